"""Old and unsafe housing, elevator retrofits, precast-slab houses and idle buildings.

Basis: 国办发〔2020〕23号 (old compounds built before the end of 2000), JGJ 125 危险房屋鉴定标准
(grades A-D), local elevator-retrofit policies, the policy's 预制板房 item; 闲置楼宇盘活.
Reasons are built with vectorised string operations: these codes can flag millions of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from planner.analysis.common import (
    anchor_points,
    concat_flags,
    make_flags,
    points_in_polygons,
    text_column,
)
from planner.analysis.registry import (
    Analysis,
    AnalysisInputs,
    AnalysisOutput,
    FlagLayer,
    Parameter,
    Product,
    RuleCode,
    register,
)
from planner.arrays import BoolArray, FloatArray, GeometryArray, Int64Array

if TYPE_CHECKING:
    from planner.feedback import Feedback


def _s(values: npt.ArrayLike | pd.Series) -> pd.Series:
    """Values as text for string building ('' for missing, integers without '.0')."""
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.dropna()
        if len(whole) == 0 or (whole % 1 == 0).all():
            return s.astype("Int64").astype("string").fillna("")
    return s.astype("string").fillna("")


def _s_codes(values: npt.ArrayLike | pd.Series) -> tuple[Int64Array, npt.NDArray[np.object_]]:
    """``_s(values)`` as a code per row and the distinct texts (``texts[codes]`` is ``_s(values)``,
    code -1 the empty text): each distinct value is written once."""
    s = pd.Series(values)
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    distinct = pd.Series(uniq)
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.dropna()
        if len(whole) == 0 or (whole % 1 == 0).all():
            distinct = distinct.astype("Int64")
    texts = np.append(distinct.astype("string").fillna("").to_numpy(dtype=object), "")
    return np.asarray(codes, dtype=np.int64), texts


def _reasons_by_key(key: npt.NDArray[np.integer[Any]], write: Callable[[int], tuple[str, str]]) -> tuple[Any, Any]:
    """Reasons written once per distinct key (``write(key) -> (zh, en)``) as text columns."""
    inverse, uniq = pd.factorize(key)  # hashed, not sorted: the order does not matter
    pairs = [write(k) for k in uniq.tolist()]
    inv = inverse.reshape(-1)
    return text_column([z for z, _ in pairs], inv), text_column([e for _, e in pairs], inv)


def floor_area(buildings: gpd.GeoDataFrame) -> FloatArray:
    """Floor area: the field where given, else footprint x storeys, else the footprint."""
    footprint = shapely.area(buildings.geometry.values)
    fa = buildings["floor_area"].to_numpy(dtype="float64") if "floor_area" in buildings else np.full(len(buildings), np.nan)
    floors = (pd.to_numeric(buildings["floors"], errors="coerce").to_numpy(dtype="float64")
              if "floors" in buildings else np.full(len(buildings), np.nan))
    return np.where(np.isfinite(fa), fa, np.where(np.isfinite(floors), footprint * floors, footprint))


def old_status(buildings: gpd.GeoDataFrame, cutoff: int) -> tuple[BoolArray, BoolArray]:
    """(old, unknown): old where the latest possible year is <= cutoff; unknown where the year's range
    (a decade such as 2000年代) straddles the cut-off or the year is missing."""
    lo = buildings["year_built"].to_numpy(dtype="float64")
    hi = buildings["year_built_max"].to_numpy(dtype="float64") if "year_built_max" in buildings else lo
    old = hi <= cutoff
    new = lo > cutoff
    return old, ~(old | new)


def compound_keys(buildings: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None, blocks: GeometryArray | None,
                  ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Grouping of buildings into compounds: named compound, else parcel, else block."""
    n = len(buildings)
    key = np.full(n, None, dtype=object)
    kind = np.full(n, None, dtype=object)
    if "compound" in buildings:
        names = buildings["compound"].to_numpy(dtype=object)
        has = pd.notna(names) & (pd.Series(names, dtype="string").fillna("").str.len().to_numpy() > 0)
        key[has] = names[has]
        kind[has] = "compound"
    pts = None
    if parcels is not None and len(parcels) and (kind == None).any():  # noqa: E711
        pts = anchor_points(buildings.geometry.values)
        which = points_in_polygons(pts, parcels.geometry.values)
        todo = (kind == None) & (which >= 0)  # noqa: E711
        key[todo] = parcels["parcel_id"].to_numpy()[which[todo]]
        kind[todo] = "parcel"
    if blocks is not None and len(blocks) and (kind == None).any():  # noqa: E711
        pts = anchor_points(buildings.geometry.values) if pts is None else pts
        which = points_in_polygons(pts, blocks)
        todo = (kind == None) & (which >= 0)  # noqa: E711
        key[todo] = np.char.add("block", which[todo].astype(str))
        kind[todo] = "block"
    rest = kind == None  # noqa: E711
    key[rest] = np.char.add("building", np.flatnonzero(rest).astype(str))
    kind[rest] = "building"
    return key, kind


def road_blocks(roads: gpd.GeoDataFrame | None) -> GeometryArray | None:
    """City blocks: the faces the road lines enclose."""
    if roads is None or len(roads) == 0:
        return None
    merged = shapely.union_all(roads.geometry.values)
    faces = shapely.get_parts(shapely.polygonize([merged]))
    return faces if len(faces) else None


def run_housing(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    b = inputs.layers["buildings"]
    out = AnalysisOutput()
    uses = set(params["residential_uses"])
    residential = b["use"].isin(uses).to_numpy() if "use" in b else np.zeros(len(b), bool)
    cutoff = int(params["cutoff_year"])
    old, unknown = old_status(b, cutoff) if "year_built" in b else (np.zeros(len(b), bool), np.ones(len(b), bool))
    # years as text, each distinct year written once (a million buildings have a few hundred)
    lo_codes, lo_texts = (_s_codes(b["year_built"]) if "year_built" in b
                          else (np.full(len(b), -1, dtype=np.int64), np.array([""], dtype=object)))
    hi_codes, hi_texts = _s_codes(b["year_built_max"]) if "year_built_max" in b else (lo_codes, lo_texts)
    floors = pd.to_numeric(b["floors"], errors="coerce").to_numpy(dtype="float64") if "floors" in b else np.full(len(b), np.nan)
    elevator = b["has_elevator"] if "has_elevator" in b else pd.Series(pd.NA, index=b.index, dtype="boolean")
    grade = b["safety_grade"].to_numpy(dtype=object) if "safety_grade" in b else np.full(len(b), None)
    structure = b["structure"].to_numpy(dtype=object) if "structure" in b else np.full(len(b), None)
    fa = floor_area(b)
    frames = []

    m = residential & old
    if m.any():
        code_m = lo_codes[m]
        decade = lo_texts[code_m] != hi_texts[hi_codes[m]]  # a decade (2000年代): its years differ

        def old_reason(k: int) -> tuple[str, str]:
            label = lo_texts[k // 2 - 1] + ("年代" if k % 2 else "")
            return (f"住宅建成于{label}，不晚于{cutoff}年，属老旧小区改造对象",
                    f"residential building built {label.replace('年代', 's')}, in or before {cutoff}: "
                    "old-compound renovation candidate")

        zh, en = _reasons_by_key((code_m + 1) * 2 + decade, old_reason)
        frames.append(make_flags(b, m, source_layer="buildings", id_field="building_id", code="OLD_HOUSING",
                                 severity=2, reason=zh, reason_en=en, extra={"floor_area_m2": fa[m].round(1)}))
    n_unknown = int((residential & unknown).sum())
    if n_unknown:
        out.messages.append(f"OLD_HOUSING: {n_unknown} residential buildings have an unknown or undecidable year "
                            f"(missing, or a decade spanning {cutoff}); they are not flagged and are counted as unknown")
    for code, g, sev, zh, en in (
        ("UNSAFE_D", "D", 3, "房屋安全鉴定为D级（整幢危房），应原拆原建或拆除重建", "safety grade D (whole building dangerous): demolish and rebuild"),
        ("UNSAFE_C", "C", 2, "房屋安全鉴定为C级（局部危房），应加固改造", "safety grade C (local danger): reinforce"),
    ):
        m = grade == g
        if m.any():
            same = np.zeros(int(m.sum()), dtype=np.int64)
            frames.append(make_flags(b, m, source_layer="buildings", id_field="building_id", code=code, severity=sev,
                                     reason=text_column([zh], same), reason_en=text_column([en], same),
                                     extra={"floor_area_m2": fa[m].round(1)}))
    no_elevator = (elevator == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712 (nullable boolean)
    m = residential & (floors >= params["elevator_min_floors"]) & no_elevator
    if m.any():
        f_codes, f_texts = _s_codes(floors[m])
        least = params["elevator_min_floors"]
        zh, en = _reasons_by_key(f_codes, lambda k: (
            f"既有住宅{f_texts[k]}层，无电梯，符合加装电梯条件（{least}层及以上）",
            f"existing residential building of {f_texts[k]} storeys without an elevator ({least} storeys or more): "
            "elevator retrofit candidate"))
        frames.append(make_flags(b, m, source_layer="buildings", id_field="building_id", code="ELEVATOR_RETROFIT",
                                 severity=1, reason=zh, reason_en=en, extra={"floor_area_m2": fa[m].round(1)}))
    m = structure == "precast_slab"
    if m.any():
        same = np.zeros(int(m.sum()), dtype=np.int64)
        frames.append(make_flags(b, m, source_layer="buildings", id_field="building_id", code="PRECAST_SLAB", severity=2,
                                 reason=text_column(["结构为预制板，属预制板房治理对象（抗震加固）"], same),
                                 reason_en=text_column(["precast-slab structure: precast-slab housing remediation "
                                                        "(seismic reinforcement)"], same),
                                 extra={"floor_area_m2": fa[m].round(1)}))
    out.flags["flag_old_housing"] = concat_flags(frames, inputs.crs)

    # Compound level: share of residential floor area that is old.
    blocks = road_blocks(inputs.layers.get("roads")) if "compound" not in b else None
    key, kind = compound_keys(b, inputs.layers.get("parcels"), blocks)
    # households unknown (no field, or blank) stay unknown: a compound none of whose homes states them is blank, not 0
    hh = pd.to_numeric(b["households"], errors="coerce").to_numpy(dtype=float) if "households" in b \
        else np.full(len(b), np.nan)
    table = pd.DataFrame({
        "compound": key, "compound_kind": kind, "residential": residential, "res_floor_area": np.where(residential, fa, 0.0),
        "old_floor_area": np.where(residential & old, fa, 0.0), "unknown_year": residential & unknown,
        "households": np.where(residential, hh, 0), "unsafe_c": grade == "C", "unsafe_d": grade == "D",
        "elevator": residential & (floors >= params["elevator_min_floors"]) & no_elevator,
        "precast": structure == "precast_slab",
    })
    agg = table[table["residential"]].groupby("compound", sort=True).agg(
        compound_kind=("compound_kind", "first"), buildings=("residential", "size"),
        res_floor_area_m2=("res_floor_area", "sum"), old_floor_area_m2=("old_floor_area", "sum"),
        unknown_year=("unknown_year", "sum"), households=("households", "sum"), unsafe_c=("unsafe_c", "sum"),
        unsafe_d=("unsafe_d", "sum"), elevator_candidates=("elevator", "sum"), precast=("precast", "sum"),
    ).reset_index()
    agg["households"] = table[table["residential"]].groupby("compound", sort=True)["households"].sum(min_count=1).to_numpy()
    agg["old_share"] = (agg["old_floor_area_m2"] / agg["res_floor_area_m2"].where(agg["res_floor_area_m2"] > 0)).round(4)
    agg["candidate"] = agg["old_share"] > params["compound_old_share"]
    out.tables["compounds"] = agg
    out.shared["compound_key"] = key
    out.shared["compound_kind"] = kind
    out.shared["floor_area"] = fa
    out.shared["old"] = old
    out.shared["old_unknown"] = unknown
    out.shared["residential"] = residential
    out.shared["cutoff_year"] = cutoff
    out.shared["elevator_flags"] = residential & (floors >= params["elevator_min_floors"]) & no_elevator
    n_cand = int(agg["candidate"].sum())
    out.messages.append(f"old housing: {n_cand} of {len(agg)} compounds have most of their residential floor area "
                        f"built in or before {cutoff}")
    return out


def run_idle_buildings(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    b = inputs.layers["buildings"]
    out = AnalysisOutput()
    vac = b["vacancy_rate"].to_numpy(dtype="float64")
    m = b["use"].isin(params["uses"]).to_numpy() & (vac >= params["vacancy_threshold"])
    # reasons written once per distinct (use, whole per cent)
    use_codes, uses = pd.factorize(pd.Series(b["use"].to_numpy(dtype=object)[m], dtype=object))
    pct = (vac[m] * 100).round(0).astype(int)
    span = int(pct.max() - pct.min() + 1) if len(pct) else 1
    low = int(pct.min()) if len(pct) else 0
    assert inputs.catalogue is not None
    domain = inputs.catalogue.domains["building_use"]
    titles = [domain.title(k) for k in uses]
    threshold = f"{params['vacancy_threshold']:.0%}"
    zh, en = _reasons_by_key(use_codes.astype(np.int64) * span + (pct - low), lambda k: (
        f"{titles[k // span]}楼宇空置率{k % span + low}%，不低于{threshold}，属闲置楼宇盘活对象",
        f"building ({uses[k // span]}) with vacancy rate {k % span + low}% (>= {threshold}): "
        "idle-building revitalisation candidate"))
    out.flags["flag_idle_building"] = make_flags(
        b, m, source_layer="buildings", id_field="building_id", code="IDLE_BUILDING", severity=2,
        reason=zh, reason_en=en,
        extra={"vacancy_rate": vac[m], "floor_area_m2": floor_area(b)[m].round(1)},
    )
    return out


register(Analysis(
    id="old_housing",
    title="老旧小区与危旧房",
    title_en="Old and unsafe housing",
    run=run_housing,
    requires={"buildings": ["use"]},
    optional={"buildings": ["year_built", "floors", "has_elevator", "safety_grade", "structure", "compound"]},
    codes=("OLD_HOUSING", "UNSAFE_D", "UNSAFE_C", "ELEVATOR_RETROFIT", "PRECAST_SLAB"),
    outputs=(FlagLayer("flag_old_housing", "MultiPolygon", "老旧小区与危旧房", "Old and unsafe housing",
                       fields=("floor_area_m2", "year_built_max", "compound"),
                       popup=("flag_id", "code", "reason", "floor_area_m2")),),
    rules=(RuleCode("OLD_HOUSING", "老旧住宅", "Old housing", "#fdae61", 2),
           RuleCode("UNSAFE_D", "D级危房", "Unsafe, grade D", "#a50026", 3),
           RuleCode("UNSAFE_C", "C级危房", "Unsafe, grade C", "#f46d43", 3),
           RuleCode("ELEVATOR_RETROFIT", "加装电梯候选", "Elevator retrofit candidate", "#74add1", 1),
           RuleCode("PRECAST_SLAB", "预制板房", "Precast-slab building", "#984ea3", 2)),
    products=(Product("compound_key", "per_building", "the compound (or parcel, or block) of each building"),
              Product("compound_kind", "per_building", "how each building's compound was found"),
              Product("residential", "per_building", "residential use"),
              Product("floor_area", "per_building", "floor area in m²"),
              Product("old", "per_building", "built in or before the cut-off year"),
              Product("old_unknown", "per_building", "year of construction unknown"),
              Product("elevator_flags", "per_building", "elevator retrofit candidate"),
              Product("cutoff_year", "value", "the cut-off year used")),
    basis="国办发〔2020〕23号；JGJ 125 危险房屋鉴定标准；各地既有住宅加装电梯政策",
    order=20,
    parameters=[
        Parameter("cutoff_year", 2000, "年", "老旧小区建成年份截止", "Old-housing cut-off year",
                  "建成于该年及以前的住宅为老旧小区改造对象（部分城市为2004年）",
                  "residential buildings built in or before this year (some cities use 2004)", 1949, 2030),
        Parameter("elevator_min_floors", 4, "层", "加装电梯最低层数", "Elevator retrofit: minimum storeys",
                  "无电梯且层数不低于该值的既有住宅", "existing residential buildings of at least this many storeys", 2, 30),
        Parameter("compound_old_share", 0.5, "", "小区老旧判定：老旧住宅面积占比高于", "Compound candidate: old share above",
                  "小区住宅建筑面积中老旧住宅占比高于该值（多数）", "share of residential floor area that is old", 0.0, 1.0),
        Parameter("residential_uses", ["residential", "mixed"], "", "住宅用途", "Residential uses",
                  "视为住宅的建筑用途代码", "building-use keys counted as residential"),
    ],
))

register(Analysis(
    id="idle_buildings",
    title="闲置楼宇",
    title_en="Idle buildings",
    run=run_idle_buildings,
    requires={"buildings": ["use", "vacancy_rate"]},
    codes=("IDLE_BUILDING",),
    outputs=(FlagLayer("flag_idle_building", "MultiPolygon", "闲置楼宇", "Idle buildings",
                       fields=("floor_area_m2", "vacancy_rate"), popup=("flag_id", "code", "reason", "floor_area_m2")),),
    rules=(RuleCode("IDLE_BUILDING", "闲置楼宇", "Idle building", "#8c510a", 2),),
    basis="闲置楼宇盘活",
    order=15,
    parameters=[
        Parameter("vacancy_threshold", 0.5, "", "空置率不低于", "Vacancy rate at least",
                  "办公、商业、商住楼宇空置率不低于该值为闲置", "office / commercial / mixed buildings at or above", 0.0, 1.0),
        Parameter("uses", ["office", "commercial", "mixed"], "", "适用用途", "Uses", "参与判定的建筑用途",
                  "building uses checked"),
    ],
))
