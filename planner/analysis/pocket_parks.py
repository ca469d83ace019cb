"""Pocket-park sites (口袋公园, policy 十二): POCKET_PARK_SITE.

Basis: 住房和城乡建设部办公厅《关于推动"口袋公园"建设的通知》(2022): a pocket park is a small
public green space of, as a rule, 400-10,000 m², sited first where park service-radius coverage
falls short (text verified); 300 m to green space (300米见绿) from the park-city guidance.

A site is an idle, stalled, suspected-idle, 批而未供 or underused parcel (the idle-land flags),
a reserve parcel with no building on it (储备、边角地) or unbuilt public land (公共管理与公共服务
用地 without a building), of 400-10,000 m² (planar area in the working CRS, both ends included, to 0.01 m²),
whose walking distance to the nearest park is beyond the park radius (500 m). Each site states
the households it newly brings within 300 m walking: residential buildings farther than 300 m
from every park now and within 300 m of the site. Sites are ranked by those households
(``site_rank`` 1 = most). Walking distances as for the living circles
(planner.analysis.services.walking_distances, planner.analysis.network.pairs_within), from the
parcel's inner point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planner.analysis.common import PLACES, TREES, anchor_points, building_places, layer_tree
from planner.analysis.coverage import walking_network
from planner.analysis.network import pairs_within
from planner.analysis.registry import (
    Analysis,
    AnalysisInputs,
    AnalysisOutput,
    FlagLayer,
    Parameter,
    Product,
    RuleCode,
    empty_flags,
    register,
)
from planner.analysis.services import walking_distances
from planner.arrays import BoolArray

if TYPE_CHECKING:
    from planner.feedback import Feedback

SITE_WORDS = {"IDLE_NOT_STARTED_2Y": ("闲置土地", "idle land"), "IDLE_NOT_STARTED_1Y": ("闲置土地", "idle land"),
              "IDLE_STALLED": ("停工闲置土地", "stalled land"), "IDLE_SUSPECTED": ("疑似闲置土地", "suspected idle land"),
              "APPROVED_NOT_SUPPLIED": ("批而未供地块", "approved, not supplied"),
              "UNDERUSED": ("低效用地", "underused land"), "reserve_land": ("储备及边角地块", "reserve or leftover land"),
              "public_land": ("未建公共服务用地", "unbuilt public land")}
FIELDS = {"area_m2": "float64", "park_distance_m": "float64",
          "households_new": "float64", "buildings_new": "int64", "site_rank": "int64", "covered_ids": "object"}


def _unbuilt(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None,
             tree: shapely.STRtree | None = None) -> BoolArray:
    if buildings is None or len(buildings) == 0:
        return np.ones(len(parcels), dtype=bool)
    tree = tree if tree is not None else shapely.STRtree(buildings.geometry.values)
    hit, _ = tree.query(parcels.geometry.values, predicate="intersects")
    out = np.ones(len(parcels), dtype=bool)
    out[hit] = False
    return out


def site_kinds(inputs: AnalysisInputs, params: dict[str, Any], out: AnalysisOutput | None = None,
               ) -> npt.NDArray[np.object_]:
    """The kind of site each parcel can be ("" where none): its idle-land code, reserve_land or
    public_land."""
    p = inputs.layers["parcels"]
    kind = np.full(len(p), "", dtype=object)
    idle = inputs.shared.get("idle_codes")
    idle = idle if isinstance(idle, dict) else {}
    for code in params["site_codes"]:
        mask = idle.get(code)
        if mask is not None and len(mask) == len(p):
            kind[np.asarray(mask, dtype=bool) & (kind == "")] = code
    free = kind == ""
    if free.any():
        b = inputs.layers.get("buildings")
        unbuilt = _unbuilt(p, b, layer_tree(inputs, out, "buildings") if out is not None and b is not None and len(b)
                           else None)
        if "status" in p:
            kind[free & unbuilt & (p["status"] == "reserve").fillna(False).to_numpy(dtype=bool)] = "reserve_land"
        cls = next((c for c in ("land_use_class", "land_use") if c in p), None)
        if cls is not None and params["include_public_land"]:
            pub = (p[cls] == "public").fillna(False).to_numpy(dtype=bool)
            kind[(kind == "") & unbuilt & pub] = "public_land"
    return kind


def run(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    out = AnalysisOutput()
    p = inputs.layers["parcels"]
    b = inputs.layers["buildings"]
    f = inputs.layers["facilities"]
    out.flags["pocket_park_site"] = empty_flags(inputs.crs, FIELDS)
    net = walking_network(inputs)
    kind = site_kinds(inputs, params, out)
    area = shapely.area(p.geometry.values)
    # an area within 0.01 m² of a bound counts as on it (round-off of a reprojected outline)
    size = (area >= float(params["min_area_m2"]) - 0.01) & (area <= float(params["max_area_m2"]) + 0.01)
    cand = np.flatnonzero((kind != "") & size)
    if len(cand) == 0 or net.n_nodes == 0:
        out.messages.append("pocket parks: no idle, underused, reserve or unbuilt public parcel of "
                            f"{params['min_area_m2']:g}-{params['max_area_m2']:g} m²" if len(cand) == 0 else
                            "pocket parks: no road network")
        return out
    ftype = f["type"].to_numpy(dtype=object).astype(str)
    parks = np.isin(ftype, list(params["park_types"]))
    park_r, green_r = float(params["park_radius_m"]), float(params["green_radius_m"])
    fpts = anchor_points(f.geometry.values)
    ptype = np.where(parks, "park", "")
    cpts = anchor_points(p.geometry.values[cand])
    pdist = walking_distances(net, cpts, fpts, ptype, ["park"], limit=park_r + float(params["search_margin_m"]))["park"]
    outside = ~(pdist <= park_r)
    cand, cpts, pdist = cand[outside], cpts[outside], pdist[outside]
    far = np.flatnonzero(~np.isfinite(pdist))
    if len(far) and parks.any():   # the walk to the nearest park of the sites beyond the search, for the table
        pdist[far] = walking_distances(net, cpts[far], fpts, ptype, ["park"], limit=np.inf)["park"]
    feedback.set_progress(40)
    residential = b["use"].isin(params["residential_uses"]).to_numpy()
    rows = np.flatnonzero(residential)
    # without a households field the sites are ranked by the homes (buildings) they bring within
    # reach and their households are unknown (NaN), never one per building
    known_hh = "households" in b and bool(b["households"].notna().any())
    hh = (pd.to_numeric(b["households"], errors="coerce").fillna(0).to_numpy()[rows] if known_hh
          else np.ones(len(rows)))
    n = len(cand)
    new_hh, new_b, covered = np.zeros(n), np.zeros(n, dtype=np.int64), np.full(n, "", dtype=object)
    if n and len(rows):
        # only a building within 300 m of a site as the crow flies can be within 300 m walking
        places = building_places(inputs, out)
        allpts = places.points[rows]
        gap, _ = cKDTree(shapely.get_coordinates(cpts)).query(shapely.get_coordinates(allpts),
                                                              distance_upper_bound=green_r)
        near = np.flatnonzero(gap <= green_r)
        bpts = allpts[near]
        known = inputs.shared.get("service_distances")
        known = known if isinstance(known, dict) else {}
        service_rows = inputs.shared.get("service_buildings")
        if "park" in known and service_rows is not None and list(params["park_types"]) == ["park"] and \
                np.array_equal(np.asarray(service_rows), rows):
            bdist = np.asarray(known["park"])[near]  # the living circles' walk to the nearest park
        else:
            bdist = walking_distances(net, bpts, fpts, ptype, ["park"], limit=green_r,
                                      building_attach=places.attach(net, rows[near]))["park"]
        lacking = np.flatnonzero(~(bdist <= green_r))  # not within 300 m of a park now
        si, ti, _ = pairs_within(net, cpts, bpts[lacking], limit=green_r,
                                 target_attach=places.attach(net, rows[near[lacking]]))
        bi = near[lacking[ti]]
        new_hh = np.bincount(si, weights=hh[bi], minlength=n).astype(float)
        new_b = np.bincount(si, minlength=n).astype(np.int64)
        if len(si):
            order = np.lexsort((bi, si))
            ids = b["building_id"].to_numpy(dtype=object)[rows[bi[order]]].astype(str).astype(object)
            start = np.flatnonzero(np.r_[True, si[order][1:] != si[order][:-1]])
            covered[si[order][start]] = [",".join(part) for part in np.split(ids, start[1:])]
    feedback.set_progress(80)
    if n == 0:
        return out
    new_hh = np.round(new_hh)   # households are counted whole
    rank_order = np.lexsort((p["parcel_id"].astype(str).to_numpy()[cand], -new_hh))
    rank = np.empty(n, dtype=np.int64)
    rank[rank_order] = np.arange(1, n + 1)
    k = kind[cand]
    words = pd.Series(k).map(lambda c: SITE_WORDS.get(c, (c, c)))
    title = words.str[0].to_numpy(dtype=object)
    title_en = words.str[1].to_numpy(dtype=object)
    a = area[cand]
    finite = np.isfinite(pdist)
    dzh = np.where(finite, "最近公园步行" + pd.Series(np.round(np.where(finite, pdist, 0)).astype(int).astype(str)) + " m",
                   "步行可达范围内无公园")
    den = np.where(finite, "nearest park " + pd.Series(np.round(np.where(finite, pdist, 0)).astype(int).astype(str))
                   + " m walking", "no park reachable on foot")
    count = pd.Series((new_hh if known_hh else new_b).astype(np.int64).astype(str))
    zh = (pd.Series(title) + pd.Series(np.round(a).astype(int).astype(str)) + " m²，位于公园" + f"{park_r:g} m服务半径外（"
          + pd.Series(dzh) + "），可建口袋公园，新增" + f"{green_r:g} m见绿覆盖" + count
          + ("户" if known_hh else "栋住宅（户数未知）") + "（排序第" + pd.Series(rank.astype(str)) + "）").to_numpy()
    en = (pd.Series(title_en).str.capitalize() + " of " + pd.Series(np.round(a).astype(int).astype(str))
          + f" m² beyond the {park_r:g} m park radius (" + pd.Series(den) + "): a pocket park would bring " + count
          + (" households" if known_hh else " residential buildings (households unknown)")
          + f" within {green_r:g} m of green space (rank " + pd.Series(rank.astype(str)) + ")").to_numpy()
    out.flags["pocket_park_site"] = gpd.GeoDataFrame({
        "source_layer": "parcels", "source_id": p["parcel_id"].astype(str).to_numpy()[cand], "code": "POCKET_PARK_SITE",
        "severity": np.where(new_hh > 0, 2, 1).astype("int64"), "reason": zh, "reason_en": en,
        "area_m2": a.round(1),
        "park_distance_m": np.where(finite, np.round(pdist, 1), np.nan),
        "households_new": new_hh if known_hh else np.full(n, np.nan),
        "buildings_new": new_b, "site_rank": rank, "covered_ids": covered,
    }, geometry=gpd.GeoSeries(p.geometry.values[cand], crs=inputs.crs), crs=inputs.crs)
    return out


register(Analysis(
    id="pocket_parks",
    title="口袋公园选址",
    title_en="Pocket-park sites",
    run=run,
    requires={"parcels": [], "buildings": ["use"], "facilities": ["type"], "roads": []},
    optional={"buildings": ["households"], "parcels": ["status", "land_use"]},
    codes=("POCKET_PARK_SITE",),
    outputs=(FlagLayer("pocket_park_site", "MultiPolygon", "口袋公园选址", "Pocket-park sites",
                       fields=("area_m2", "park_distance_m", "households_new", "buildings_new",
                               "site_rank", "covered_ids"),
                       popup=("flag_id", "reason", "area_m2", "households_new", "site_rank"),
                       aliases=(("area_m2", "地块面积（m²）", "Area (m²)"),
                                ("park_distance_m", "至最近公园步行距离（m）", "Walk to nearest park (m)"),
                                ("households_new", "新增300米见绿户数", "Households newly within 300 m"),
                                ("buildings_new", "新增覆盖住宅栋数", "Buildings newly covered"),
                                ("site_rank", "排序", "Rank"), ("covered_ids", "新增覆盖住宅", "Buildings covered"))),),
    rules=(RuleCode("POCKET_PARK_SITE", "口袋公园选址", "Pocket-park site", "#5AAE61", 2),),
    products=(Product(PLACES, "transient", "each building's anchor point, district and nearest road"),
              Product(TREES, "transient", "spatial indexes of the input layers (buildings ...), built once")),
    basis="住房和城乡建设部办公厅关于推动“口袋公园”建设的通知（2022）：面积一般在400-10000平方米之间，优先选择公园绿化活动场地"
          "服务半径覆盖不足的区域；300米见绿",
    order=50,
    parameters=[
        Parameter("min_area_m2", 400.0, "m²", "最小面积", "Minimum area",
                  "口袋公园面积下限（住建部2022年通知：一般400-10000 m²，已核实原文）",
                  "smallest pocket park (MOHURD 2022 notice: as a rule 400-10,000 m², text verified)", 0.0, 1e6),
        Parameter("max_area_m2", 10000.0, "m²", "最大面积", "Maximum area",
                  "口袋公园面积上限（住建部2022年通知）", "largest pocket park (MOHURD 2022 notice)", 0.0, 1e7),
        Parameter("park_radius_m", 500.0, "m", "公园服务半径", "Park radius",
                  "地块步行至最近公园超过该距离时为覆盖不足区域（城市体检：公园绿地500米服务半径）",
                  "a site must be farther than this from every park (city examination: 500 m park coverage)",
                  50.0, 5000.0),
        Parameter("green_radius_m", 300.0, "m", "见绿距离", "Green-space distance",
                  "按新增该距离内（300米见绿）无公园住户数排序", "sites are ranked by the households they newly bring "
                  "within this distance of green space (300 m)", 50.0, 2000.0),
        Parameter("park_types", ["park"], "", "公园类设施", "Park facility types",
                  "视为公园绿地的设施类型", "facility types counted as parks"),
        Parameter("site_codes", ["IDLE_NOT_STARTED_2Y", "IDLE_NOT_STARTED_1Y", "IDLE_STALLED", "IDLE_SUSPECTED",
                                 "APPROVED_NOT_SUPPLIED", "UNDERUSED"], "", "可用地块标记", "Site codes",
                  "可作口袋公园的闲置及低效用地标记", "idle-land codes whose parcels may become pocket parks"),
        Parameter("include_public_land", True, "", "含未建公共用地", "Include unbuilt public land",
                  "无建筑的公共管理与公共服务用地也可作口袋公园", "unbuilt public land may also become a pocket park"),
        Parameter("search_margin_m", 500.0, "m", "搜索余量", "Search margin",
                  "公园服务半径之外继续搜索的距离（用于报告实际距离）", "searched beyond the park radius, to report actual "
                  "distances", 0.0, 10000.0),
        Parameter("residential_uses", ["residential", "mixed"], "", "住宅用途", "Residential uses",
                  "计算新增覆盖住户的建筑用途", "building uses counted for households"),
    ],
))
