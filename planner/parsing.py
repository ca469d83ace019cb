"""Parse messy attribute values into typed columns, vectorised.

Every parser takes a pandas Series and returns a :class:`Parsed` with the typed values and the
count (and a few examples) of non-empty values it could not read; those become null. Text
columns are factorised first so each distinct spelling is parsed once: a million buildings
usually hold a few hundred distinct years or grades.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_TRUE = {"有", "是", "y", "yes", "true", "t", "1", "有电梯", "是的", "√", "on"}
_FALSE = {"无", "否", "n", "no", "false", "f", "0", "无电梯", "没有", "×", "off"}


@dataclass
class Parsed:
    values: pd.Series
    failed: int = 0
    examples: list[str] = field(default_factory=list)
    extra: dict[str, pd.Series] = field(default_factory=dict)


_BLANK_TEXT = {"", "nan", "null", "none", "-", "/", "—"}


def _blank_text(value: object) -> bool:
    return str(value).strip().casefold() in _BLANK_TEXT


def _is_blank(series: pd.Series) -> npt.NDArray[np.bool_]:
    """Null or blank-looking text ("", "-", "null" ...), tested once per distinct value."""
    codes: npt.NDArray[np.intp]
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    blank = np.array([_blank_text(u) for u in uniques] + [True], dtype=bool)
    return blank[codes]


def _by_unique(
    series: pd.Series, parse_one: Callable[[str], object], dtype: str
) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:  # values of the caller's ``dtype``
    """Apply ``parse_one`` to each distinct non-blank value; returns (values, failed mask)."""
    codes: npt.NDArray[np.intp]
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    fill = np.datetime64("NaT") if dtype.startswith("datetime") else np.nan
    values: list[object] = []
    ok: list[bool] = []
    for u in uniques:
        if _blank_text(u):
            values.append(fill)
            ok.append(True)
            continue
        p = parse_one(str(u).strip())
        values.append(fill if p is None else p)
        ok.append(p is not None)
    table = np.array(values + [fill], dtype=dtype)
    okay = np.array(ok + [True], dtype=bool)
    return table[codes], ~okay[codes]


def _examples(series: pd.Series, failed: npt.NDArray[np.bool_], n: int = 3) -> list[str]:
    if not failed.any():
        return []
    return [str(v) for v in pd.unique(series[failed])[:n]]


# dates ------------------------------------------------------------------------------
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONTH_PATTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")


def _date_from_text(text: str) -> np.datetime64 | None:
    text = text.replace("／", "/").replace("－", "-").strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            return _valid_date(y, mo, d)
    m = _MONTH_PATTERN.match(text)
    if m:  # month only: the first day of that month
        return _valid_date(int(m.group(1)), int(m.group(2)), 1)
    try:  # real date text with a time, or a float written as text (Excel serial)
        number = float(text)
    except ValueError:
        return None
    return _date_from_number(number)


def _valid_date(y: int, mo: int, d: int) -> np.datetime64 | None:
    if not (1900 <= y <= 2100):
        return None
    try:
        return np.datetime64(pd.Timestamp(year=y, month=mo, day=d).date(), "ns")
    except ValueError:
        return None


def _date_from_number(number: float) -> np.datetime64 | None:
    if not np.isfinite(number):
        return None
    if 19000101 <= number <= 21001231 and float(number).is_integer():  # 20190305
        n = int(number)
        return _valid_date(n // 10000, n // 100 % 100, n % 100)
    if 1 <= number <= 80000:  # Excel serial day number (1900 system)
        return np.datetime64((EXCEL_EPOCH + pd.Timedelta(days=int(number))).date(), "ns")
    return None


def parse_date(series: pd.Series) -> Parsed:
    """ISO, 2019/3/5, 2019年3月5日, 20190305, real dates and Excel serials -> datetime64."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = pd.to_datetime(series).dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        return Parsed(pd.Series(values.to_numpy("datetime64[ns]"), index=series.index))
    if pd.api.types.is_numeric_dtype(series.dtype):
        values, failed = _by_unique(series, lambda s: _date_from_number(float(s)), "datetime64[ns]")
    else:
        def one(text: str) -> np.datetime64 | None:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?.*)?", text):
                try:
                    return np.datetime64(pd.Timestamp(text).tz_localize(None).normalize(), "ns")
                except (ValueError, TypeError):
                    return None
            return _date_from_text(text)
        values, failed = _by_unique(series, one, "datetime64[ns]")
    return Parsed(pd.Series(values, index=series.index), int(failed.sum()), _examples(series, failed))


# years ------------------------------------------------------------------------------
_YEAR = re.compile(r"^(\d{4})\s*(?:年|年建成?|a)?$")
_DECADE = re.compile(r"^(\d{2,4})\s*(?:年代|s|'s)$")
_YEAR_IN_DATE = re.compile(r"^(\d{4})[-/.年]\d{1,2}")


def _year_range(text: str) -> tuple[float, float] | None:
    t = text.strip().replace(" ", "")
    if re.fullmatch(r"\d{4}\.0+", t):
        t = t.split(".")[0]
    m = _YEAR.match(t)
    if m:
        y = int(m.group(1))
        return (y, y) if 1800 <= y <= 2100 else None
    m = _DECADE.match(t)
    if m:
        d = int(m.group(1))
        if d < 100:  # "80年代": the 1900s unless it reads as this century's
            d += 1900 if d >= 30 else 2000
        if d % 10 or not 1800 <= d <= 2100:
            return None
        return (d, d + 9)
    m = _YEAR_IN_DATE.match(t)
    if m:
        y = int(m.group(1))
        return (y, y) if 1800 <= y <= 2100 else None
    return None


def parse_year(series: pd.Series) -> Parsed:
    """Years as 1987, "1987年", "1980年代", "80年代", dates -> year_min/year_max.

    ``values`` holds the earliest possible year; ``extra['max']`` the latest (equal for an
    exact year, the decade's last year for a decade), so rules decide only what is certain.
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        y = series.dt.year.astype("float64")
        return Parsed(y, 0, [], {"max": y.copy()})
    if pd.api.types.is_numeric_dtype(series.dtype):
        y = series.astype("float64")
        bad = y.notna() & ~y.between(1800, 2100)
        y = y.where(~bad)
        return Parsed(y, int(bad.sum()), _examples(series, bad.to_numpy()), {"max": y.copy()})
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    ranges = [None if _blank_text(u) else _year_range(str(u)) for u in uniques]
    lo = np.array([r[0] if r else np.nan for r in ranges] + [np.nan])[codes]
    hi = np.array([r[1] if r else np.nan for r in ranges] + [np.nan])[codes]
    ok = np.array([r is not None or _blank_text(u) for r, u in zip(ranges, uniques, strict=True)] + [True])
    failed = ~ok[codes]
    return Parsed(
        pd.Series(lo, index=series.index),
        int(failed.sum()),
        _examples(series, failed),
        {"max": pd.Series(hi, index=series.index)},
    )


# numbers ----------------------------------------------------------------------------
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _number_from_text(text: str) -> float | None:
    t = text.replace(",", "").replace("，", "").strip()
    try:
        return float(t)
    except ValueError:
        pass
    m = _NUMBER.search(t)
    if m is None:
        return None
    rest = (t[: m.start()] + t[m.end():]).strip()
    # Accept units and counting words around the number (6层, 120㎡, 36户), not other numbers.
    if _NUMBER.search(rest):
        return None
    return float(m.group(0))


def parse_float(series: pd.Series) -> Parsed:
    """Numbers, also written with thousands separators or units (120.5㎡)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return Parsed(series.astype("float64"))
    values, failed = _by_unique(series, _number_from_text, "float64")
    return Parsed(pd.Series(values, index=series.index), int(failed.sum()), _examples(series, failed))


def parse_int(series: pd.Series) -> Parsed:
    parsed = parse_float(series)
    v = parsed.values
    frac = v.notna() & (v != np.round(v))
    parsed.values = v.round().astype("Int64")
    if frac.any():  # a fractional household count is read as its nearest integer
        parsed.examples = parsed.examples or _examples(series, frac.to_numpy())
    return parsed


def parse_storeys(series: pd.Series) -> Parsed:
    """Storeys as 6, "6", "6F", "6层", "地上6层" -> integer storeys (1..200)."""
    parsed = parse_int(series)
    v = parsed.values
    bad = v.notna() & ~v.between(1, 200)
    if bad.any():
        parsed.failed += int(bad.sum())
        parsed.examples += _examples(series, bad.to_numpy(dtype=bool))
        parsed.values = v.mask(bad)
    return parsed


# yes / no ---------------------------------------------------------------------------
def _bool_from_text(text: str) -> float | None:
    t = text.strip().casefold()
    if re.fullmatch(r"[01]\.0+", t):
        t = t[0]
    if t in _TRUE:
        return 1.0
    if t in _FALSE:
        return 0.0
    return None


def parse_bool(series: pd.Series) -> Parsed:
    """有/无, 是/否, Y/N, 1/0, true/false -> nullable boolean."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return Parsed(series.astype("boolean"))
    values, failed = _by_unique(series, _bool_from_text, "float64")
    out = pd.Series(values, index=series.index).astype("boolean")
    return Parsed(out, int(failed.sum()), _examples(series, failed))


# ratios -----------------------------------------------------------------------------
def parse_ratio(series: pd.Series) -> Parsed:
    """Ratios given as 0-1 or as percent (0-100, or with a % sign) -> 0..1.

    A value with a % sign is a percent; the other values of a column are read as percent
    when any of them is above 1.
    """
    if pd.api.types.is_numeric_dtype(series.dtype):
        v = series.astype("float64")
        percent_marked = pd.Series(False, index=series.index)
        failed = np.zeros(len(series), dtype=bool)
    else:
        text = series.astype("string").str.strip()
        percent_marked = text.str.endswith("%").fillna(False) | text.str.endswith("％").fillna(False)
        cleaned = series.where(~percent_marked, text.str.rstrip("%％"))
        p = parse_float(cleaned)
        v = p.values
        failed = np.zeros(len(series), dtype=bool)
        failed |= (v.isna().to_numpy() & ~_is_blank(series))
    marked = percent_marked.to_numpy(dtype=bool)
    unmarked_percent = bool((v[~marked] > 1).any())
    v = v.where(~(marked | unmarked_percent), v / 100.0)
    bad = v.notna() & ~v.between(0, 1)
    failed = failed | bad.to_numpy()
    v = v.mask(bad)
    return Parsed(v.astype("float64"), int(failed.sum()), _examples(series, failed))


def parse_text(series: pd.Series) -> Parsed:
    """Text kept as text (trimmed, blank -> null); integral float ids lose their '.0'."""
    if pd.api.types.is_float_dtype(series.dtype):
        whole = series.dropna()
        v = series.astype("Int64").astype("string") if (whole % 1 == 0).all() else series.astype("string")
    elif pd.api.types.is_integer_dtype(series.dtype):
        v = series.astype("string")
    else:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pc.utf8_trim_whitespace(pa.array(series.astype("string[pyarrow]").array))
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        return Parsed(pd.Series(arr.to_numpy(zero_copy_only=False), index=series.index, dtype=object))
    return Parsed(v.astype(object).where(v.notna(), None))


PARSERS: dict[str, Callable[[pd.Series], Parsed]] = {
    "text": parse_text,
    "int": parse_int,
    "float": parse_float,
    "date": parse_date,
    "year": parse_year,
    "storeys": parse_storeys,
    "bool": parse_bool,
    "ratio": parse_ratio,
}
