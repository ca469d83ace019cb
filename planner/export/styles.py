"""Layer styles and field aliases shared by every deliverable (GeoPackage QML, HTML map, sheets)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from xml.sax.saxutils import escape, quoteattr

from planner.paths import LAYERS_DIR

if TYPE_CHECKING:
    from planner.analysis.registry import FlagLayer, RuleCode

V = TypeVar("V")


class _Declared(Mapping[str, V]):
    """A read-only mapping computed on first use from the analyses' declarations (so that
    an analysis registered later, e.g. by a test, shows up too: it is recomputed whenever the
    number of registered analyses changes)."""

    def __init__(self, build: Callable[[], dict[str, V]]) -> None:
        self._build = build
        self._data: dict[str, V] = {}
        self._n = -1

    def _get(self) -> dict[str, V]:
        from planner.analysis import registry

        if self._n < 0:
            registry.all_analyses()  # the first time: imports (registers) the analyses
        # then their number (all_analyses() sorts them on every call: 60 µs a lookup, per flag in map.html)
        n = len(registry._REGISTRY)
        if n != self._n:
            self._data, self._n = self._build(), n
        return self._data

    def __getitem__(self, key: str) -> V:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def _rules() -> dict[str, RuleCode]:
    from planner.analysis.registry import rule_codes

    return rule_codes()


def _flag_layers() -> list[FlagLayer]:
    from planner.analysis.registry import flag_layers

    return flag_layers()


@lru_cache(maxsize=1)
def palette() -> dict[str, Any]:  # layers/palette.toml as read
    """layers/palette.toml: the one palette of rule codes, project types and the base map."""
    return tomllib.loads((LAYERS_DIR / "palette.toml").read_text(encoding="utf-8"))


# Colours and titles per rule code and per flag layer: declared by each analysis (registry);
# a code's colour comes from the palette (layers/palette.toml), its declared colour otherwise.
CODE_COLOURS: _Declared[str] = _Declared(lambda: {c.code: palette().get("codes", {}).get(c.code, c.colour) for c in _rules().values()})
CODE_TITLES: _Declared[str] = _Declared(lambda: {c.code: c.title for c in _rules().values()})
CODE_TITLES_EN: _Declared[str] = _Declared(lambda: {c.code: c.title_en for c in _rules().values()})
FLAG_LAYER_TITLES: _Declared[str] = _Declared(lambda: {f.name: f.title for f in _flag_layers()})
DECLARED_ALIASES: _Declared[tuple[str, str]] = _Declared(lambda: {a[0]: (a[1], a[2]) for f in _flag_layers() for a in f.aliases})
# each flag layer's own aliases: two layers may title the same column name differently (a pocket
# park's area_m2 is its parcel's area, a waterlogging depression's its ponding area)
LAYER_ALIASES: _Declared[dict[str, tuple[str, str]]] = _Declared(
    lambda: {f.name: {a[0]: (a[1], a[2]) for a in f.aliases} for f in _flag_layers()})
TYPE_COLOURS: dict[str, str] = dict(palette().get("types", {}))
BASE: dict[str, Any] = palette().get("base", {})


def road_style(road_class: str) -> tuple[str, float]:
    """(colour, width in points) of a road class on the base map."""
    roads = BASE.get("roads", {})
    spec = roads.get(str(road_class)) or roads.get("other", {"colour": "#A3A3A3", "width": 0.8})
    return spec["colour"], float(spec["width"])


def default_visible_flags() -> set[str]:
    """Flag layers shown when a run finishes (declared ``visible``; the others are one click away)."""
    return {f.name for f in _flag_layers() if f.visible}


def flag_style(codes: list[str]) -> dict[str, Any]:
    """The map style of a flag layer: one colour per rule code."""
    return {"kind": "categorised", "field": "code", "outline": "#333333", "outline_width": 0.6,
            "categories": {c: {"colour": CODE_COLOURS.get(c, "#888888"), "label": f"{CODE_TITLES.get(c, c)} {c}",
                               "width": 3.0} for c in codes}}


def project_style(types: list[str]) -> dict[str, Any]:
    """The map style of the projects layer: one colour per project type."""
    from planner.portfolio.settings import load_settings

    t = load_settings().types
    return {"kind": "categorised", "field": "type", "outline": "#222222", "outline_width": 0.8, "opacity": 0.6,
            "categories": {k: {"colour": TYPE_COLOURS.get(k, "#888888"), "label": t[k].title if k in t else k}
                           for k in types}}


ALIASES = {
    "flag_id": ("标记编号", "Flag id"), "source_layer": ("来源图层", "Source layer"),
    "source_id": ("来源要素编号", "Source id"), "code": ("规则代码", "Rule code"), "severity": ("严重程度", "Severity"),
    "reason": ("原因", "Reason"), "reason_en": ("原因（英文）", "Reason (English)"),
    "other_codes": ("其他命中规则", "Other codes"), "parcel_area_m2": ("地块面积（m²）", "Parcel area (m²)"),
    "coverage": ("建筑覆盖率", "Coverage"), "actual_far": ("实际容积率", "Actual FAR"), "land_use": ("用地性质", "Land use"),
    "floor_area_m2": ("建筑面积（m²）", "Floor area (m²)"), "vacancy_rate": ("空置率", "Vacancy rate"),
    "road_name": ("道路名称", "Road name"), "edge_distance_m": ("距边界距离（m）", "Distance to edge (m)"),
    "in_gap": ("属于缺口", "In a gap"), "length_m": ("长度（m）", "Length (m)"), "detour_ratio": ("绕行系数", "Detour ratio"),
    "crosses": ("穿越", "Crosses"), "from_source_id": ("起点道路", "From road"), "to_source_id": ("终点道路", "To road"),
    "facility_type": ("设施类型", "Facility type"), "facility_title": ("设施名称", "Facility"),
    "distance_m": ("步行距离（m）", "Walking distance (m)"), "radius_m": ("服务半径（m）", "Radius (m)"),
    "households": ("户数", "Households"), "project_id": ("项目编号", "Project id"), "name": ("项目名称", "Name"),
    "type": ("项目类型代码", "Type"), "type_title": ("项目类型", "Project type"), "subtype": ("子类", "Subtype"),
    "district": ("所在片区", "District"), "buildings": ("建筑数", "Buildings"), "road_length_m": ("道路长度（m）", "Road length (m)"),
    "quantity": ("工程量", "Quantity"), "unit": ("单位", "Unit"), "estimated_cost": ("估算投资（万元）", "Estimated cost (10k yuan)"),
    "cost_basis": ("估算依据", "Cost basis"), "priority_score": ("优先级得分", "Priority score"),
    "score_need": ("得分：需求", "Score: need"), "score_residents": ("得分：受益居民", "Score: residents"),
    "score_cost": ("得分：成本", "Score: cost"), "score_ease": ("得分：实施难易", "Score: ease"),
    "score_public": ("得分：安全与公益", "Score: safety and public interest"),
    "priority_rank": ("优先次序", "Rank"), "building_ids": ("涉及建筑编号", "Building ids"),
    "parcel_ids": ("涉及地块编号", "Parcel ids"),
    "phase": ("实施阶段", "Phase"), "status": ("状态", "Status"), "flags": ("涵盖标记", "Flags covered"),
    "flag_count": ("标记数", "Flag count"), "notes": ("备注", "Notes"),
    "indicator": ("指标代码", "Indicator"), "title": ("指标", "Title"), "title_en": ("指标（英文）", "Title (English)"),
    "value": ("数值", "Value"), "target": ("目标值", "Target"), "direction": ("方向", "Direction"), "pass": ("是否达标", "Pass"),
    "compound": ("小区/片区", "Compound"), "compound_kind": ("分组方式", "Grouping"), "res_floor_area_m2": ("住宅建筑面积（m²）", "Residential floor area (m²)"),
    "old_floor_area_m2": ("老旧住宅面积（m²）", "Old floor area (m²)"), "old_share": ("老旧占比", "Old share"),
    "candidate": ("改造候选", "Candidate"), "unknown_year": ("年代不详", "Unknown year"), "unsafe_c": ("C级", "Grade C"),
    "unsafe_d": ("D级", "Grade D"), "elevator_candidates": ("加梯候选", "Elevator candidates"), "precast": ("预制板", "Precast"),
    "buildings_covered": ("覆盖建筑数", "Buildings covered"), "households_covered": ("覆盖户数", "Households covered"),
    "facilities": ("设施数", "Facilities"),
    "year_built_max": ("建成年代（上限）", "Year built (latest)"), "land_use_class": ("用地大类", "Land-use class"),
    "parcel_ref": ("所属地块", "Parcel"),
    "review": ("审核状态", "Review"), "review_note": ("审核备注", "Review note"), "review_code": ("改判规则", "Re-classified as"),
    "flags_summary": ("涵盖标记", "Flags covered"),
    "flag_total": ("标记数", "Flags"), "missing": ("缺少的设施", "Facilities missing"), "codes": ("命中规则", "Rules"),
}


def alias(column: str, lang: str = "zh", layer: str | None = None) -> str:
    """A column's title; ``layer`` (a flag layer's declared name) makes that layer's declared
    title win over another layer's for the same column name."""
    own = LAYER_ALIASES.get(layer, {}) if layer else {}
    pair = own.get(column) or ALIASES.get(column) or DECLARED_ALIASES.get(column)
    if pair is None:
        return column
    return pair[0] if lang == "zh" else pair[1]


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _symbol(kind: str, name: str, colour: str) -> str:
    if kind == "line":
        opts = {"line_color": _rgba(colour), "line_width": "0.8", "line_style": "solid", "capstyle": "round"}
        cls = "SimpleLine"
    elif kind == "marker":
        opts = {"color": _rgba(colour), "outline_color": "35,35,35,255", "size": "2.4", "name": "circle"}
        cls = "SimpleMarker"
    else:
        opts = {"color": _rgba(colour, 170), "outline_color": "60,60,60,255", "outline_width": "0.2", "style": "solid"}
        cls = "SimpleFill"
    options = "".join(f'<Option name="{k}" type="QString" value="{v}"/>' for k, v in opts.items())
    return (f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="{cls}" enabled="1" locked="0" pass="0"><Option type="Map">{options}</Option></layer></symbol>')


def qml(geometry_type: str, field: str, categories: dict[str, tuple[str, str]], columns: list[str]) -> str:
    """A QGIS style: categorised by ``field`` (value -> (label, colour)), with Chinese aliases."""
    kind = {"Point": "marker", "MultiPoint": "marker", "LineString": "line", "MultiLineString": "line"}.get(
        geometry_type, "fill")
    cats, syms = [], []
    for i, (value, (label, colour)) in enumerate(categories.items()):
        cats.append(f'<category value={quoteattr(value)} symbol="{i}" label={quoteattr(label)} render="true"/>')
        syms.append(_symbol(kind, str(i), colour))
    aliases = "".join(f'<alias field={quoteattr(c)} index="{i}" name={quoteattr(alias(c))}/>'
                      for i, c in enumerate(columns))
    geom_code = {"marker": 0, "line": 1, "fill": 2}[kind]
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            '<qgis version="3.28.0" styleCategories="AllStyleCategories">'
            f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" enableorderby="0" '
            f'forceraster="0"><categories>{"".join(cats)}</categories><symbols>{"".join(syms)}</symbols>'
            '</renderer-v2>'
            f'<aliases>{aliases}</aliases><layerGeometryType>{geom_code}</layerGeometryType></qgis>')


def categories_for(layer: str, values: list[str]) -> tuple[str, dict[str, tuple[str, str]]]:
    """(field, categories) to style a deliverable layer by."""
    from planner.portfolio.settings import load_settings

    if layer == "projects":
        types = load_settings().types
        return "type", {k: (types[k].title if k in types else k, TYPE_COLOURS.get(k, "#888888")) for k in
                        (values or list(TYPE_COLOURS))}
    return "code", {c: (f"{CODE_TITLES.get(c, c)} {c}", CODE_COLOURS.get(c, "#888888")) for c in values}


def html_escape(text: object) -> str:
    return escape(str(text), {'"': "&quot;", "'": "&#x27;"})
