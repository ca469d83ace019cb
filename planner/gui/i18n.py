"""The window's language for data shown in it (the chrome is translated by Qt's translators):
layer names, rule codes, project types, review states, domain values and field names in
Chinese (the default) or English, from the same declarations as the deliverables
(planner.export.terms, planner.export.styles, the catalogue)."""

from __future__ import annotations

import re

import pandas as pd

from planner.export import terms
from planner.model import MapLayer

_state = {"lang": "zh"}

STATES = {None: ("待审核", "Open"), "": ("待审核", "Open"), "open": ("待审核", "Open"),
          "confirmed": ("已确认", "Confirmed"), "dismissed": ("已排除", "Dismissed"),
          "reclassified": ("已改判", "Reclassified")}
SEVERITY = {1: ("低", "Low"), 2: ("中", "Medium"), 3: ("高", "High")}


def lang() -> str:
    """"zh" or "en"."""
    return _state["lang"]


def set_lang(language: str) -> None:
    _state["lang"] = "en" if str(language).lower().startswith("en") else "zh"


def pick(zh: str, en: str) -> str:
    return zh if lang() == "zh" else en


def code_title(code: str) -> str:
    return terms.code_title(code, lang())


def type_title(key: str) -> str:
    return terms.type_title(key, lang())


def word(value: object) -> str:
    return terms.word(value, lang())


def words(series: pd.Series, *, sep: str | None = None) -> pd.Series:
    """A column of stored words in the window's language (each distinct value once)."""
    return terms.translate_series(series, lang(), sep=sep)


def state_title(state: str | None) -> str:
    return pick(*STATES.get(state, (str(state), str(state))))


def severity_title(level: int) -> str:
    return pick(*SEVERITY.get(int(level), (str(level), str(level))))


def field_title(column: str) -> str:
    from planner.export.styles import alias

    return alias(column, lang())


def layer_title(layer: MapLayer, catalogue=None) -> str:
    """A layer's name in the window's language: by its role (inputs, flags, projects, rasters);
    a layer the planner added keeps its file's name."""
    from planner.session import FLAG_PREFIX, PROJECTS_ROLE, ROLE_TITLES

    role = layer.role
    if role.startswith(FLAG_PREFIX):
        return terms.layer_title(role[len(FLAG_PREFIX):], lang())
    if role == PROJECTS_ROLE:
        return pick("更新项目", "Renewal projects")
    if catalogue is None:
        from planner.catalogue import default_catalogue

        catalogue = default_catalogue()
    if layer.raster:
        kind = catalogue.raster_kind(str(layer.style.get("colormap", "")))
        if kind is not None:
            return pick(kind.title, kind.title_en)
        return layer.name
    spec = catalogue.layers.get(role)
    if spec is not None and (layer.name == ROLE_TITLES.get(role) or layer.name.split(" ")[0] in (spec.title, role)):
        return pick(spec.title, spec.title_en)
    return layer.name


def category_label(layer: MapLayer, key: str, label: str, catalogue=None) -> str:
    """A style class's legend text: a rule code's or project type's title, or a domain value's."""
    from planner.session import FLAG_PREFIX, PROJECTS_ROLE

    if layer.role.startswith(FLAG_PREFIX):
        return code_title(key)
    if layer.role == PROJECTS_ROLE:
        return type_title(key)
    if lang() == "zh":
        return str(label)
    if catalogue is None:
        from planner.catalogue import default_catalogue

        catalogue = default_catalogue()
    field = (layer.style or {}).get("field")
    spec = catalogue.layers.get(layer.role)
    if spec is not None:
        for f in spec.fields:
            if (f.name == field or f"{f.name}_class" == field) and f.domain in catalogue.domains:
                for v in catalogue.domains[f.domain].values:
                    if v.key == key:
                        return v.title_en or key
    return terms.word(key, "en")


def _has_cjk(token: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in token)


def bilingual(text: str) -> str:
    """The window's half of an engine text written in both languages ("读取图层 Reading layers
    (1/6)"): the Chinese tokens, or the others; numbers and counts are kept in both."""
    tokens = str(text).split()
    if not any(_has_cjk(t) for t in tokens):
        return str(text)
    neutral = [not any(ch.isalpha() and not _has_cjk(ch) for ch in t) and not _has_cjk(t) for t in tokens]
    keep = [t for t, n in zip(tokens, neutral, strict=True) if n or (_has_cjk(t) == (lang() == "zh"))]
    return " ".join(keep)


_CODE_IN_ID = re.compile(r"(?<![A-Za-z0-9_])([A-Z][A-Z0-9_]{2,})(?=[:\s,]|$)")


def codes_to_titles(text: str) -> str:
    """Flag ids and lists of them with each rule code by its title ("IDLE_NOT_STARTED_2Y:DK0006"
    -> "未动工满2年:DK0006")."""
    from planner.export.styles import CODE_TITLES

    text = _CODE_IN_ID.sub(lambda m: code_title(m.group(1)) if m.group(1) in CODE_TITLES else m.group(1), str(text))
    return _KEY_IN_ID.sub(lambda m: ":" + word(m.group(1)), text)  # ...:culture -> ...:文化活动站


_KEY_IN_ID = re.compile(r":([a-z][a-z_]+)(?=$|[,\s])")


def flag_text(flag_id: str) -> str:
    """A flag in words: its rule's title and the feature it concerns ("生活圈服务短板 JZ00007 文化活动站")."""
    code, *rest = str(flag_id).split(":")
    return " ".join([code_title(code), *(word(x) for x in rest)])


def layer_role_title(role: str) -> str:
    """An input layer's title by its role (the source layer of a flag)."""
    from planner.catalogue import default_catalogue

    spec = default_catalogue().layers.get(str(role))
    return pick(spec.title, spec.title_en) if spec is not None else terms.layer_title(str(role), lang())


def type_title_text(title: str) -> str:
    """A project type's stored (Chinese) title in the window's language."""
    if lang() == "zh":
        return str(title)
    from planner.export.terms import _types

    by_zh = {zh: en for zh, en in _types().values()}
    return by_zh.get(str(title), str(title))


# the portfolio's notes (written in Chinese by the engine) in English, part by part
_NOTE_SITES = [(re.compile(r"^道路旁选址（示意，需落实用地）$"), "a roadside site (indicative; land to be secured)"),
               (re.compile(r"^闲置土地 (\S+)（([\d,.]+) m²）$"), r"idle land \1 (\2 m²)"),
               (re.compile(r"^低效用地 (\S+)（([\d,.]+) m²）$"), r"underused land \1 (\2 m²)"),
               (re.compile(r"^批而未供地块 (\S+)（([\d,.]+) m²）$"), r"approved, unsupplied parcel \1 (\2 m²)")]
_NOTE_PARTS = [
    (re.compile(r"^选址：(.+)$"), lambda m: "Site: " + _site_en(m.group(1))),
    (re.compile(r"^新增覆盖([\d,]+)户、([\d,]+)栋住宅（步行≤([\d,.]+) m）$"),
     lambda m: f"newly covers {m.group(1)} households in {m.group(2)} residential buildings (walk ≤ {m.group(3)} m)"),
    (re.compile(r"^需拆迁建筑面积约([\d,.]+) m²$"), lambda m: f"about {m.group(1)} m² of floor area to demolish"),
    (re.compile(r"^同一走廊的道路缺口（(.+)）为本规划路段的依据$"),
     lambda m: f"the road gap in the same corridor ({codes_to_titles(m.group(1))}) supports this planned section"),
]


def _site_en(text: str) -> str:
    for pattern, repl in _NOTE_SITES:
        if pattern.match(text):
            return pattern.sub(repl, text)
    return text


def note_text(text: str) -> str:
    """A project's note in the window's language (the engine writes notes in Chinese); a part
    without a known English form stays as written."""
    if lang() == "zh" or not text:
        return codes_to_titles(text)
    out = []
    for part in str(text).split("；"):
        for pattern, fn in _NOTE_PARTS:
            m = pattern.match(part.strip())
            if m:
                out.append(fn(m))
                break
        else:
            out.append(codes_to_titles(part))  # e.g. "HERITAGE_NOTE LS01" -> its rule's title
    return "; ".join(out)


def crossing_text(text: str) -> str:
    """What a proposed link crosses ("建筑 JZ00734；水系 东河") in the window's language."""
    if lang() == "zh":
        return str(text)
    from planner.analysis.roads import crossings_en

    return crossings_en(str(text))
