"""Transport and safety coverage (policy 八, 十四): BUS_STOP_GAP, PARKING_GAP, CHARGING_GAP,
SHELTER_GAP, FIRE_GAP.

Network coverage as for the living circles (planner.analysis.services.walking_distances: the
straight walk from a residential building to the nearest point of its nearest road, along the
built roads, and the straight walk to the facility), per residential building. Bus stops,
public parking, public charging and emergency shelters are measured walking over every built
road; fire stations driving, over the built roads without the classes fire engines cannot use
(``no_driving_classes``, default the 步行道 class: footways, paths, steps, cycleways).

Every radius is a parameter whose description cites its basis and says where the standard's
own text could not be verified (searched 2026-12; see ``BASIS``). The city centre (城市中心区),
where public parking must be closer (200 m instead of 300 m), is given by the parameter
``centre_districts``: names or ids of districts of the boundary layer (empty: no centre).

District indicators (city examination) with the targets the basis gives are handed to the
indicators analysis as rows (``indicator_rows.coverage``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.analysis.common import (
    PLACES,
    anchor_points,
    building_places,
    concat_flags,
    id_text,
    text_column,
)
from planner.analysis.network import RoadNetwork, build_network
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
from planner.analysis.services import walking_distances
from planner.arrays import BoolArray, FloatArray, Int64Array
from planner.errors import InputError

if TYPE_CHECKING:
    from planner.catalogue import Domain
    from planner.feedback import Feedback

# facility type -> (rule code, radius parameter, mode, indicator area, target %)
TYPES = {
    "bus_stop": ("BUS_STOP_GAP", "bus_stop_radius_m", "walk", "city"),
    "parking": ("PARKING_GAP", "parking_radius_m", "walk", "block"),
    "charging": ("CHARGING_GAP", "charging_radius_m", "walk", "block"),
    "shelter": ("SHELTER_GAP", "shelter_radius_m", "walk", "city"),
    "fire_station": ("FIRE_GAP", "fire_reach_m", "drive", "city"),
}
# Types whose new sites need a road vehicles can use (the portfolio's site search).
VEHICLE_SITES = frozenset({"bus_stop", "parking", "charging", "fire_station"})
BASE_SEVERITY = {"BUS_STOP_GAP": 2, "PARKING_GAP": 1, "CHARGING_GAP": 1, "SHELTER_GAP": 2, "FIRE_GAP": 3}
# (Chinese, English) basis of each radius, as cited in the parameters and the indicators; a
# text the search of the standards could not confirm says so.
BASIS = {
    "bus_stop": ("中共中央 国务院《关于进一步加强城市规划建设管理工作的若干意见》（2016）第十七条：实现中心城区公交站点500米内全覆盖",
                 "CPC Central Committee and State Council guideline on urban planning and management (2016), §17: "
                 "bus stops within 500 m of every place of the central city"),
    "parking": ("《城市停车规划规范》GB/T 51149-2016 公共停车场服务半径（一般地区300 m，城市中心区200 m）；"
                "规范原文未能核实，按规则说明取值",
                "Code for urban parking planning GB/T 51149-2016, public car park service radius (300 m, 200 m in the "
                "city centre); the code's own text could not be verified, value as in the rules"),
    "charging": ("《电动汽车充电基础设施发展指南（2015-2020年）》（发改能源〔2015〕1454号）：城市核心区公共充电服务半径小于0.9 km；"
                 "原文未能核实，按规则说明取值",
                 "Guidance on EV charging infrastructure 2015-2020 (NDRC 1454/2015): public charging within 0.9 km in "
                 "city cores; the text could not be verified, value as in the rules"),
    "shelter": ("《城市抗震防灾规划标准》GB 50413-2007：紧急避震疏散场所服务半径宜为500米，步行约10分钟可到达（见于引述该标准的资料，"
                "标准原文未能核实）；"
                "《防灾避难场所设计规范》GB 51143-2015：紧急避难场所应满足就地疏散避难的需要（该规范条文未给出半径）",
                "Standard for urban earthquake-hazard planning GB 50413-2007: emergency evacuation places within 500 m "
                "(about 10 min walk; seen quoted from it, the standard's own text could not be verified); GB 51143-2015: emergency shelters serve evacuation on the spot (gives no radius)"),
    "fire_station": ("《城市消防站建设标准》建标152-2017、《城市消防规划规范》GB 51080-2015 第4.1.3条：接到出动指令后5分钟内"
                     "可到达辖区边缘；3公里车行距离为假定的换算（标准未给出距离）",
                     "Urban fire station construction standard 152-2017 and GB 51080-2015 §4.1.3: reach the edge of the "
                     "district within 5 min of the call; 3 km driving is an assumed conversion (no distance in the text)"),
}
# District-indicator targets (% of households covered) where the basis gives one.
TARGETS = {"bus_stop": 100.0, "shelter": 100.0, "fire_station": 100.0}


def _built_roads(inputs: AnalysisInputs) -> gpd.GeoDataFrame:
    from planner.analysis.roads import built_mask

    built = inputs.shared.get("roads_built")
    if isinstance(built, gpd.GeoDataFrame):
        return built
    roads = inputs.layers["roads"]
    return roads.loc[built_mask(roads)].reset_index(drop=True)


def walking_network(inputs: AnalysisInputs) -> RoadNetwork:
    """The built road network the roads analysis made (or the same, built here)."""
    net = inputs.shared.get("road_network")
    if isinstance(net, RoadNetwork):
        return net
    return build_network(_built_roads(inputs).geometry.values, tolerance=1.0)


def driving_network(net: RoadNetwork, roads_built: gpd.GeoDataFrame, excluded: list[str]) -> RoadNetwork:
    """The walking network without the edges of roads of the excluded classes (same nodes)."""
    if not excluded or "road_class" not in roads_built or len(net.edge_u) == 0:
        return net
    cls = roads_built["road_class"].to_numpy(dtype=object)
    keep = ~np.isin(cls[net.edge_road], excluded)
    if keep.all():
        return net
    u, v = net.edge_u[keep], net.edge_v[keep]
    degree = np.bincount(u, minlength=net.n_nodes) + np.bincount(v, minlength=net.n_nodes)
    return RoadNetwork(net.node_xy, u, v, net.edge_len[keep], net.edge_road[keep], degree, net.end_nodes,
                       net.end_road, net.t_splits, _segments=net.segments[keep])


def _districts(inputs: AnalysisInputs) -> tuple[gpd.GeoDataFrame | None, list[str]]:
    d = inputs.layers.get("boundary")
    if d is None or len(d) == 0:
        return None, []
    names = d["name"].fillna(d["district_id"]).astype(str).tolist() if "name" in d else d["district_id"].astype(str).tolist()
    return d, names


def centre_mask(inputs: AnalysisInputs, params: dict[str, Any], district_of: Int64Array) -> BoolArray:
    """Buildings in the city centre: their district is one of ``centre_districts``."""
    wanted = [str(w) for w in params["centre_districts"]]
    if not wanted:
        return np.zeros(len(district_of), dtype=bool)
    d, names = _districts(inputs)
    if d is None:
        raise InputError("parameter coverage.centre_districts names districts, but there is no boundary layer.",
                         layer="boundary", hint="add the districts layer (boundary), or leave centre_districts empty.")
    ids = d["district_id"].astype(str).tolist() if "district_id" in d else names
    unknown = [w for w in wanted if w not in names and w not in ids]
    if unknown:
        raise InputError(f"parameter coverage.centre_districts: no district named {', '.join(unknown)} in the "
                         "boundary layer.", layer="boundary",
                         hint=f"give names or ids of its districts: {', '.join(names[:20])}.")
    hit = np.array([n in wanted or i in wanted for n, i in zip(names, ids, strict=True)], dtype=bool)
    centre: BoolArray = (district_of >= 0) & hit[np.maximum(district_of, 0)]
    return centre


def _indicator_rows(dist: dict[str, FloatArray], radius: dict[str, FloatArray], hh: npt.NDArray[Any],
                    district_of: Int64Array, names: list[str], domain: Domain, types: list[str],
                    target_bus: float, *, households: bool = True) -> pd.DataFrame:
    from planner.analysis.indicators import ALL

    groups = [(ALL, None)] + [(n, i) for i, n in enumerate(names)]
    rows = []
    for t in types:
        covered = dist[t] <= radius[t]
        target = target_bus if t == "bus_stop" else TARGETS.get(t)
        r = radius[t]
        rtext = f"{r.min():g}" if r.min() == r.max() else f"{r.min():g}/{r.max():g}"
        title, title_en = domain.title(t), domain.title(t, "en").lower()
        mode_zh, mode_en = ("车行", "driving") if TYPES[t][2] == "drive" else ("步行", "walking")
        for name, i in groups:
            sel = np.ones(len(hh), dtype=bool) if i is None else district_of == i
            total = hh[sel].sum()
            value = float(hh[sel & covered].sum() / total * 100) if total > 0 else None
            whom, whom_en = ("居民户", "Households") if households else ("住宅建筑", "Residential buildings")
            rows.append({"indicator": f"coverage.{t}", "title": f"{title}{rtext}米{mode_zh}覆盖{whom}比例",
                         "title_en": f"{whom_en} within {rtext} m {mode_en} of a {title_en}", "district": name,
                         "value": None if value is None else round(value, 4), "unit": "%", "target": target,
                         "direction": "higher" if target is not None else None,
                         "pass": None if value is None or target is None else bool(value >= target),
                         "area": TYPES[t][3], "basis": BASIS[t][0] if target is not None else "",
                         "basis_en": BASIS[t][1] if target is not None else ""})
    return pd.DataFrame(rows)


def _reasons(t: str, mode: str, dd: FloatArray, rr: FloatArray, centre: BoolArray, limit: float,
             domain: Domain) -> tuple[Any, Any]:
    """Chinese and English reasons, written once per distinct (metres, radius, centre) and
    indexed (a million flags share a few thousand texts)."""
    finite = np.isfinite(dd)
    metres = np.where(finite, np.round(np.where(finite, dd, 0)), -1).astype(np.int64)
    r_vals, r_idx = np.unique(rr, return_inverse=True)
    key = (metres + 1) * (2 * len(r_vals)) + r_idx.reshape(-1) * 2 + centre.astype(np.int64)
    inverse, uniq = pd.factorize(key)  # hashed, not sorted: the order does not matter
    title, title_en = domain.title(t), domain.title(t, "en").lower()
    verb, verb_en = ("车行", "driving") if mode == "drive" else ("步行", "walking")
    zh, en = [], []
    for k in uniq.tolist():
        m, rest = divmod(k, 2 * len(r_vals))
        m -= 1
        r, c = float(r_vals[rest // 2]), rest % 2
        where, where_en = ("（城市中心区）", " (city centre)") if c else ("", "")
        if m >= 0:
            zh.append(f"住宅{verb}至最近{title}{m} m，超过{r:g} m覆盖半径{where}")
            en.append(f"{verb_en} to the nearest {title_en} is {m} m, beyond the {r:g} m radius{where_en}")
        else:
            zh.append(f"住宅{limit:g} m{verb}范围内无{title}（覆盖半径{r:g} m）{where}")
            en.append(f"no {title_en} within {limit:g} m {verb_en} (radius {r:g} m){where_en}")
    inv = inverse.reshape(-1)
    return text_column(zh, inv), text_column(en, inv)


def run(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    out = AnalysisOutput()
    b = inputs.layers["buildings"]
    f = inputs.layers["facilities"]
    residential = b["use"].isin(params["residential_uses"]).to_numpy()
    rows = np.flatnonzero(residential)
    net = walking_network(inputs)
    if len(rows) == 0 or net.n_nodes == 0:
        why = ("no building has a residential use (" + ", ".join(map(str, params["residential_uses"])) + ")"
               if len(rows) == 0 else "the roads layer has no built road to walk along")
        out.messages.append(f"transport and safety coverage: not assessed, {why}")
        return out
    ftype = f["type"].to_numpy(dtype=object).astype(str)
    assert inputs.catalogue is not None
    domain = inputs.catalogue.domains["facility_type"]
    wanted = [t for t in (params["types"] or list(TYPES)) if t in TYPES]
    types = []
    for t in wanted:
        if (ftype == t).any():
            types.append(t)
        else:
            out.messages.append(f"transport and safety coverage: no {domain.title(t, 'en').lower()} ({domain.title(t)}) "
                                "in the facilities layer; not assessed (add them to the layer)")
    if not types:
        return out
    districts, names = _districts(inputs)
    places = building_places(inputs, out)
    bpts = places.points[rows]
    district_of = (places.district(districts.geometry.values)[rows] if districts is not None
                   else np.full(len(rows), -1, dtype=np.int64))
    centre = centre_mask(inputs, params, district_of)
    fpts = anchor_points(f.geometry.values)
    margin = float(params["search_margin_m"])
    radius: dict[str, np.ndarray] = {}
    for t in types:
        r = np.full(len(rows), float(params[TYPES[t][1]]))
        if t == "parking":
            r[centre] = float(params["parking_centre_radius_m"])
        radius[t] = r
    walk = [t for t in types if TYPES[t][2] == "walk"]
    limits = {t: float(radius[t].max()) + margin for t in types}
    drive = driving_network(net, _built_roads(inputs), list(params["no_driving_classes"])) \
        if "fire_station" in types else net
    if drive is net and "fire_station" in types:  # no road closed to fire engines: one search for all
        walk.append("fire_station")
    dist: dict[str, np.ndarray] = {}
    if walk:
        dist.update(walking_distances(net, bpts, fpts, ftype, walk, limit=max(limits[t] for t in walk),
                                      building_attach=places.attach(net, rows)))
    feedback.set_progress(50)
    if "fire_station" not in dist and "fire_station" in types:
        dist.update(walking_distances(drive, bpts, fpts, ftype, ["fire_station"], limit=limits["fire_station"]))
    for t in types:  # each type searched to its own limit
        dist[t] = np.where(dist[t] <= limits[t], dist[t], np.inf)
    feedback.set_progress(80)
    # without households the coverage counts residential buildings and says so; a flag's
    # households are then unknown (blank), never one per building
    known_hh = "households" in b and bool(b["households"].notna().any())
    hh = (pd.to_numeric(b["households"], errors="coerce").fillna(0).to_numpy()[rows] if known_hh
          else np.ones(len(rows)))
    flag_hh = hh if known_hh else np.full(len(rows), np.nan)
    ids = id_text(b["building_id"])
    geoms = b.geometry.values
    frames = []
    for t in types:
        feedback.check()
        code, _, mode, _ = TYPES[t]
        d, r = dist[t], radius[t]
        gap = ~(d <= r)
        if not gap.any():
            continue
        idx = np.flatnonzero(gap)
        dd, rr = d[idx], r[idx]
        finite = np.isfinite(dd)
        zh, en = _reasons(t, mode, dd, rr, centre[idx], limits[t], domain)
        base = BASE_SEVERITY[code]
        sev = np.minimum(3, np.where(finite & (dd <= 2 * rr), base, base + 1)).astype("int64")
        frames.append(gpd.GeoDataFrame({
            "source_layer": "buildings", "source_id": ids(rows[idx]), "code": code, "severity": sev, "reason": zh,
            "reason_en": en, "facility_type": t, "facility_title": domain.title(t),
            "route_m": np.where(finite, np.round(dd, 1), np.nan), "radius_m": rr, "households": flag_hh[idx],
            "driving": mode == "drive", "centre": centre[idx],
        }, geometry=gpd.GeoSeries(geoms[rows[idx]], crs=inputs.crs), crs=inputs.crs))
    out.flags["coverage_gap"] = concat_flags(frames, inputs.crs)
    out.shared["indicator_rows.coverage"] = _indicator_rows(dist, radius, hh, district_of, names, domain, types,
                                                            float(params["bus_stop_target_pct"]), households=known_hh)
    feedback.set_progress(100)
    return out


def _radius(name: str, default: float, title: str, title_en: str, basis_key: str, note: str, note_en: str,
            lo: float = 50.0, hi: float = 20000.0) -> Parameter:
    zh, en = BASIS[basis_key]
    return Parameter(name, default, "m", title, title_en, f"{note}。依据：{zh}", f"{note_en}. Basis: {en}", lo, hi)


register(Analysis(
    id="coverage",
    title="交通与安全设施覆盖",
    title_en="Transport and safety coverage",
    run=run,
    requires={"buildings": ["use"], "facilities": ["type"], "roads": []},
    optional={"buildings": ["households"], "boundary": ["name"], "roads": ["road_class"]},
    codes=tuple(c[0] for c in TYPES.values()),
    outputs=(FlagLayer("coverage_gap", "MultiPolygon", "交通与安全设施短板", "Transport and safety gaps",
                       fields=("facility_type", "facility_title", "route_m", "radius_m", "households", "driving",
                               "centre"),
                       popup=("flag_id", "facility_title", "reason", "route_m", "radius_m"),
                       aliases=(("route_m", "道路距离（m）", "Distance over the roads (m)"),
                                ("driving", "按车行计", "Driving"), ("centre", "城市中心区", "City centre"))),),
    rules=(RuleCode("BUS_STOP_GAP", "公交站点覆盖不足", "Bus stop gap", "#4393C3", 2),
           RuleCode("PARKING_GAP", "公共停车场覆盖不足", "Public parking gap", "#BBBBBB", 1),
           RuleCode("CHARGING_GAP", "公共充电设施覆盖不足", "Public charging gap", "#01665E", 1),
           RuleCode("SHELTER_GAP", "应急避难场所覆盖不足", "Emergency shelter gap", "#762A83", 2),
           RuleCode("FIRE_GAP", "消防站5分钟可达范围外", "Beyond a fire station's 5-minute reach", "#A50026", 3)),
    products=(Product("indicator_rows.coverage", "table", "coverage of households by district, for the indicators"),
              Product(PLACES, "transient", "each building's anchor point, district and nearest road")),
    basis="2016 若干意见 §17；GB/T 51149-2016；电动汽车充电基础设施发展指南；GB 50413-2007、GB 51143-2015；建标152-2017",
    order=45,
    parameters=[
        _radius("bus_stop_radius_m", 500.0, "公交站点覆盖半径", "Bus stop radius", "bus_stop",
                "住宅步行至最近公交站的距离不超过该值（已核实原文）", "walking distance to the nearest bus stop at most this "
                "(text verified)"),
        _radius("parking_radius_m", 300.0, "公共停车场服务半径", "Public parking radius", "parking",
                "城市中心区以外，住宅步行至最近公共停车场的距离不超过该值", "outside the city centre, walking distance to "
                "the nearest public car park at most this"),
        _radius("parking_centre_radius_m", 200.0, "中心区公共停车场服务半径", "Public parking radius in the centre",
                "parking", "城市中心区内的公共停车场服务半径", "public parking radius inside the city "
                "centre (centre_districts)"),
        Parameter("centre_districts", [], "", "城市中心区", "City centre districts",
                  "研究范围图层中属于城市中心区的街道（区）的名称或编号，其中公共停车场服务半径取中心区值；为空时无中心区",
                  "names or ids of the boundary layer's districts that form the city centre, where the centre parking "
                  "radius applies; empty: no centre"),
        _radius("charging_radius_m", 900.0, "公共充电服务半径", "Public charging radius", "charging",
                "住宅步行至最近公共充电站（桩）的距离不超过该值", "walking distance to the nearest public charging point "
                "at most this"),
        _radius("shelter_radius_m", 500.0, "紧急避难场所服务半径", "Emergency shelter radius", "shelter",
                "住宅步行至最近应急避难场所的距离不超过该值", "walking distance to the nearest emergency shelter at most "
                "this"),
        _radius("fire_reach_m", 3000.0, "消防站5分钟车行可达距离", "Fire station 5-minute reach", "fire_station",
                "住宅车行至最近消防站的道路距离不超过该值", "driving distance over the roads to the nearest fire station "
                "at most this"),
        Parameter("no_driving_classes", ["path"], "", "不通行消防车的道路等级", "Road classes without driving",
                  "计算消防车行距离时不使用的道路等级（默认步行道）", "road classes left out of fire-engine driving "
                  "distances (default: paths)"),
        Parameter("bus_stop_target_pct", 100.0, "%", "公交站点覆盖率目标", "Bus stop coverage target",
                  "中心城区公交站点500米覆盖居民户比例目标（2016年若干意见：全覆盖）",
                  "share of households within the bus stop radius (2016 guideline: full coverage of the central city)",
                  0.0, 100.0),
        Parameter("search_margin_m", 500.0, "m", "搜索余量", "Search margin",
                  "最大半径之外继续搜索的距离（用于报告实际距离）", "searched beyond the largest radius, to report actual "
                  "distances", 0.0, 10000.0),
        Parameter("residential_uses", ["residential", "mixed"], "", "住宅用途", "Residential uses",
                  "参与评估的建筑用途", "building uses assessed"),
        Parameter("types", [], "", "评估的设施类型", "Facility types assessed",
                  "为空时评估全部五类：公交站、公共停车场、充电站、应急避难场所、消防站",
                  "empty: all five (bus_stop, parking, charging, shelter, fire_station)"),
    ],
))
