"""The deliverables' words in their language (``lang`` "zh" or "en"): titles of rule codes,
project types, statuses, classes, facility types, layers, units and cost sources, read from
their declarations (analyses, layers/portfolio.toml, layers/domains/) and layers/terms.toml.
A Chinese deliverable shows no code and no English; an English one no Chinese word where an
English title is declared."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.paths import LAYERS_DIR

if TYPE_CHECKING:
    from pyproj import CRS

LANGS = ("zh", "en")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (zh or en)")
    return lang


def pick(zh: str, en: str, lang: str) -> str:
    return zh if lang == "zh" else en


@lru_cache(maxsize=1)
def _terms() -> dict[str, Any]:  # layers/terms.toml as read
    return tomllib.loads((LAYERS_DIR / "terms.toml").read_text(encoding="utf-8"))


@lru_cache(maxsize=16)
def _pair_table(section: str) -> dict[str, tuple[str, str]]:
    return {str(k): (str(v[0]), str(v[1])) for k, v in _terms().get(section, {}).items()}


@lru_cache(maxsize=1)
def _types() -> dict[str, tuple[str, str]]:
    from planner.portfolio.settings import load_settings

    return {k: (t.title, t.title_en) for k, t in load_settings().types.items()}


@lru_cache(maxsize=4)
def _domain(name: str) -> dict[str, tuple[str, str]]:
    from planner.catalogue import default_catalogue

    try:
        domain = default_catalogue().domains[name]
    except (KeyError, AttributeError):
        return {}
    return {v.key: (v.title, v.title_en or v.key) for v in domain.values}


def _codes() -> dict[str, tuple[str, str]]:
    """Rule codes and their titles, built once per set of registered analyses (a table of
    thousands of values asks for them once per value)."""
    from planner.analysis.registry import all_analyses

    return _codes_of(len(all_analyses()))


@lru_cache(maxsize=4)
def _codes_of(n_analyses: int) -> dict[str, tuple[str, str]]:
    from planner.export.styles import CODE_TITLES, CODE_TITLES_EN

    titles = dict(CODE_TITLES)
    return {c: (t, CODE_TITLES_EN.get(c, c)) for c, t in titles.items()}


def warm() -> None:
    """Read the vocabulary (terms, project types, domains, rule codes: the analyses' modules are
    imported for their declarations) now, e.g. on a worker, rather than when a table first shows."""
    _terms()
    _types()
    for name in ("facility_type", "road_class", "building_use"):
        _domain(name)
    _codes()


def type_title(key: str, lang: str = "zh") -> str:
    pair = _types().get(str(key))
    return pair[lang == "en"] if pair else str(key)


def code_title(code: str, lang: str = "zh") -> str:
    pair = _codes().get(str(code))
    return pair[lang == "en"] if pair else str(code)


def facility_title(key: str, lang: str = "zh") -> str:
    pair = _domain("facility_type").get(str(key))
    return pair[lang == "en"] if pair else str(key)


def road_class_title(key: str, lang: str = "zh") -> str:
    pair = _domain("road_class").get(str(key))
    return pair[lang == "en"] if pair else str(key)


def layer_title(name: str, lang: str = "zh") -> str:
    """A deliverable layer's title: a flag layer as its analysis declared it, or a table's."""
    from planner.analysis.registry import flag_layer

    spec = flag_layer(name)
    if spec is not None:
        return pick(spec.title, spec.title_en, lang)
    fixed = {"projects": ("更新项目", "Renewal projects"), "indicators": ("城市体检指标", "City-examination indicators"),
             "compounds": ("小区老旧情况", "Compounds"), "service_coverage": ("生活圈覆盖率", "Living-circle coverage"),
             "run_info": ("运行参数", "Run parameters"), "roads": ("道路", "Roads"), "parcels": ("地块", "Parcels"),
             "buildings": ("现状建筑", "Buildings"), "water": ("水系", "Water"), "boundary": ("研究范围", "Study area"),
             "facilities": ("现状设施", "Facilities")}
    pair = fixed.get(name)
    if pair:
        return pick(*pair, lang)
    from planner.catalogue import default_catalogue

    spec_in = default_catalogue().layers.get(name)   # an input of another role (heritage, rail ...)
    return pick(spec_in.title, spec_in.title_en, lang) if spec_in is not None and spec_in.title else name


def _word(value: str, lang: str) -> str:
    """One stored word in the deliverables' language: a status, class, facility type, rule
    code, unit or value word; unknown words are returned as they are."""
    v = str(value)
    for section in ("status", "subtype", "units", "values"):
        pair = _pair_table(section).get(v)
        if pair:
            return pair[lang == "en"]
    for table in (_domain("facility_type"), _codes(), _types(), _domain("road_class"), _domain("building_use")):
        pair = table.get(v)
        if pair:
            return pair[lang == "en"]
    return v


def translate_series(series: pd.Series, lang: str = "zh", *, sep: str | None = None) -> pd.Series:
    """A column of stored words (keys, codes, statuses, classes) in the deliverables' language,
    each distinct value translated once. With ``sep`` (e.g. ","), lists are translated item by
    item and joined with the language's list separator."""
    s = series.astype("string")
    uniq = pd.unique(s.dropna())
    out_sep = "、" if lang == "zh" else ", "

    def one(v: str) -> str:
        if sep is None:
            return _word(v, lang)
        return out_sep.join(_word(x.strip(), lang) for x in v.split(sep) if x.strip())

    table = {u: one(u) for u in uniq}
    return s.map(table).astype(object).where(s.notna(), None)


def word(value: object, lang: str = "zh") -> str:
    return _word(str(value), lang)


def cost_basis(text: object, lang: str = "zh", *, per_unit: float | None = None, unit: str = "") -> str:
    """A cost source in the deliverables' language: translated from layers/terms.toml part by
    part ("; "-separated); a part without a translation that is not in the language is replaced
    by a plain statement of the unit cost (so no English reaches a Chinese workbook)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    table = _pair_table("cost_sources")
    whole = table.get(str(text).strip())   # a source with "; " inside it is one source
    if whole:
        return whole[lang == "en"]
    parts: list[str] = []
    for part in str(text).split("; "):
        part = part.strip()
        if not part:
            continue
        pair = table.get(part)
        if pair:
            said = pair[lang == "en"]
        elif lang == "zh" and _LATIN_WORD.search(part.replace("m²", "")):
            unit_text = f" {per_unit:g} 万元/{unit}" if per_unit is not None and unit else ""
            said = f"估算假设{('：单价' + unit_text) if unit_text else ''}（依据见参数表，请以当地造价替换）"
        else:
            said = part
        if said not in parts:   # two untranslated parts must not read as the same sentence twice
            parts.append(said)
    return ("；" if lang == "zh" else "; ").join(parts)


def cost_basis_series(series: pd.Series, lang: str = "zh") -> pd.Series:
    s = series.astype("string")
    table = {u: cost_basis(u, lang) for u in pd.unique(s.dropna())}
    return s.map(table).astype(object).where(s.notna(), None)


_ENGLISH = re.compile(r"(?<![A-Za-z0-9_])([a-z]{3,}|[A-Z][a-z]{2,}|[A-Z0-9]+_[A-Z0-9_]+)(?![A-Za-z0-9_])")
_CODE_TOKEN = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![A-Za-z0-9_])")


def has_english(text: object) -> bool:
    """Whether a text holds an English word (three or more letters, lower case or capitalised)
    or a code such as IDLE_NOT_STARTED_2Y. Identifiers (DK0037, JZ00734), standard numbers
    (JGJ 125, GB 50180) and units (m², km) are not words."""
    s = str(text)
    if s.startswith("="):  # a formula
        return False
    return bool(_ENGLISH.search(s.replace("m²", "").replace("km", "")))


def codes_in_text(text: str, lang: str = "zh") -> str:
    """A text with every rule code in it (IDLE_NOT_STARTED_2Y ...) replaced by its title."""
    titles = _codes()
    return _CODE_TOKEN.sub(lambda m: titles[m.group(0)][lang == "en"] if m.group(0) in titles else m.group(0),
                           str(text))


def number(value: float, digits: int = 0) -> str:
    """A number with thousands separators (the same in both languages)."""
    if value is None or not np.isfinite(value):
        return ""
    return f"{value:,.{digits}f}"


def crs_title(crs: CRS | str, lang: str = "zh") -> str:
    """A working CRS in words: CGCS2000 Gauss-Krüger zones in Chinese, with their EPSG code."""
    name = str(getattr(crs, "name", crs))
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    tail = f"（EPSG:{epsg}）" if epsg and lang == "zh" else (f" (EPSG:{epsg})" if epsg else "")
    m = re.match(r"(CGCS2000|New Beijing|Beijing 1954|Xian 1980) / (3|6)-degree Gauss-Kruger (CM (\d+)E|zone (\d+))",
                 name)
    if m and lang == "zh":
        datum = {"CGCS2000": "2000国家大地坐标系", "New Beijing": "新1954北京坐标系", "Beijing 1954": "1954北京坐标系",
                 "Xian 1980": "1980西安坐标系"}[m.group(1)]
        where = f"中央经线{m.group(4)}°E" if m.group(4) else f"第{m.group(5)}带"
        return f"{datum} {m.group(2)}度带高斯-克吕格投影 {where}{tail}"
    if lang == "zh" and name.startswith("WGS 84"):
        return f"WGS 84 坐标系{tail}"
    return f"{name}{tail}"
