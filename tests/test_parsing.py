import numpy as np
import pandas as pd
import pytest

from planner.parsing import (
    parse_bool,
    parse_date,
    parse_float,
    parse_ratio,
    parse_storeys,
    parse_year,
)


def test_dates_in_every_written_form():
    raw = pd.Series(["2019-03-05", "2019/3/5", "2019年3月5日", "20190305", "2019.3.5", "2019-03-05 08:30:00",
                     None, "", "not a date", "2019-02-30"])
    p = parse_date(raw)
    expected = pd.Timestamp("2019-03-05")
    assert (p.values.iloc[:6] == expected).all()
    assert p.values.iloc[6:].isna().all()
    assert p.failed == 2  # "not a date" and 30 February; blanks are not failures
    assert "not a date" in p.examples


def test_dates_from_real_date_fields_and_excel_serials():
    real = pd.Series(pd.to_datetime(["2020-01-02", None]))
    assert parse_date(real).values.iloc[0] == pd.Timestamp("2020-01-02")
    serial = pd.Series([43529, 20190305, None])  # Excel 1900 day number and yyyymmdd integer
    p = parse_date(serial)
    assert p.values.iloc[0] == pd.Timestamp("2019-03-05")
    assert p.values.iloc[1] == pd.Timestamp("2019-03-05")
    assert p.failed == 0


def test_years_exact_and_decades_keep_their_range():
    p = parse_year(pd.Series(["1987", "1987年", "1980年代", "2000年代", "80年代", "1990s", "约1990", None]))
    lo, hi = p.values.tolist(), p.extra["max"].tolist()
    assert lo[:6] == [1987, 1987, 1980, 2000, 1980, 1990]
    assert hi[:6] == [1987, 1987, 1989, 2009, 1989, 1999]
    assert np.isnan(lo[6]) and np.isnan(lo[7])
    assert p.failed == 1 and p.examples == ["约1990"]


def test_numeric_years_out_of_range_are_failures():
    p = parse_year(pd.Series([1987.0, 12.0, np.nan]))
    assert p.values.iloc[0] == 1987 and np.isnan(p.values.iloc[1]) and p.failed == 1


@pytest.mark.parametrize("text", ["6", "6F", "6层", "地上6层", "6.0", " 6 "])
def test_storeys(text):
    assert parse_storeys(pd.Series([text])).values.iloc[0] == 6


def test_storeys_rejects_nonsense():
    p = parse_storeys(pd.Series(["0", "abc", "6-7", None]))
    assert p.values.isna().all() and p.failed == 3


def test_yes_no_in_every_spelling():
    yes = ["有", "是", "Y", "y", "1", "true", "TRUE", "yes"]
    no = ["无", "否", "N", "0", "false", "no"]
    p = parse_bool(pd.Series(yes + no + ["maybe", None]))
    assert p.values.iloc[: len(yes)].all()
    assert not p.values.iloc[len(yes): len(yes) + len(no)].any()
    assert p.failed == 1 and p.values.iloc[-1] is pd.NA


def test_ratios_as_fractions_and_percent():
    assert parse_ratio(pd.Series([0.2, 0.5])).values.tolist() == [0.2, 0.5]
    assert parse_ratio(pd.Series([20, 50, 0.5])).values.tolist() == [0.2, 0.5, 0.005]
    assert parse_ratio(pd.Series(["20%", "0.3", None])).values.iloc[:2].tolist() == [0.2, 0.3]
    bad = parse_ratio(pd.Series(["150%", "abc", "0.1"]))
    assert bad.failed == 2 and bad.values.iloc[2] == pytest.approx(0.1)


def test_numbers_with_units_and_separators():
    p = parse_float(pd.Series(["1,234.5", "120㎡", "36户", "1-2", None]))
    assert p.values.iloc[:3].tolist() == [1234.5, 120.0, 36.0]
    assert p.failed == 1
