"""City-examination indicators (城市体检), per district and for the whole study area.

Targets come from national policy where one exists: road network density >= 8 km/km²
(中共中央 国务院《关于进一步加强城市规划建设管理工作的若干意见》, 2016), park 500 m service
coverage >= 90% (城市体检基础指标体系 / 国家园林城市标准), D-grade dangerous housing = 0
(危房清零). Indicators without a target report their value only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.analysis.common import anchor_points, building_places, points_in_polygons, states
from planner.analysis.registry import Analysis, AnalysisInputs, AnalysisOutput, Parameter, register
from planner.arrays import FloatArray, GeometryArray, Int64Array

if TYPE_CHECKING:
    from planner.feedback import Feedback

ALL = "全部 (all)"

# The four areas of the city examination (住房和城乡建设部《关于全面开展城市体检工作的指导意见》,
# 2023: 住房、小区（社区）、街区、城区（城市）) and the policy or standard behind each target.
AREAS = {"housing": ("住房", "Housing"), "community": ("小区（社区）", "Compounds and communities"),
         "block": ("街区", "Blocks"), "city": ("城区（城市）", "City")}
COMMUNITY_FACILITIES = {"kindergarten", "nursery", "elderly_care", "community_service", "convenience_store", "fitness",
                        "clinic"}
BASIS = {  # (Chinese, English)
    "unsafe": ("城市体检基础指标体系（2023）：存在安全隐患的住宅数量，目标清零",
               "City examination basic indicators (2023): housing with safety hazards, target zero"),
    "road_density": ("中共中央 国务院《关于进一步加强城市规划建设管理工作的若干意见》（2016）：路网密度 8 km/km²",
                     "CPC Central Committee and State Council guideline on urban planning and management (2016): 8 km/km²"),
    "park": ("城市体检基础指标体系；《国家园林城市评选标准》：公园绿地服务半径覆盖率 ≥ 90%",
             "City examination basic indicators; National Garden City standard: park service coverage ≥ 90%"),
    "community": ("《完整居住社区建设标准（试行）》（住房和城乡建设部，2020）：社区基本公共服务设施全覆盖",
                  "Standard for complete residential communities (trial, MOHURD 2020): basic services for every community"),
    "life_circle": ("《城市居住区规划设计标准》GB 50180-2018：十五分钟、十分钟生活圈设施服务半径全覆盖",
                    "Standard for urban residential area planning GB 50180-2018: 15- and 10-minute life-circle radii"),
    "idle_2y": ("《闲置土地处置办法》（国土资源部令第53号，2012）第十四条：未动工满两年的闲置土地依法处置",
                "Measures on the disposal of idle land (MLR order 53, 2012), art. 14: land idle two years is disposed of"),
}


def _district_of(geoms: GeometryArray, districts: gpd.GeoDataFrame | None) -> Int64Array:
    if districts is None or len(districts) == 0 or len(geoms) == 0:
        return np.full(len(geoms), -1, dtype=np.int64)
    return points_in_polygons(anchor_points(geoms), districts.geometry.values)


def _length_inside(lines: GeometryArray, line_len: FloatArray, poly: shapely.Geometry) -> float:
    """Total length of the lines inside the polygon: only lines crossing its edge are cut."""
    prepared = shapely.from_wkb(shapely.to_wkb(poly))  # a copy: the layer's own geometry stays unprepared
    shapely.prepare(prepared)
    inside = np.where(shapely.covers(prepared, lines), line_len, 0.0)
    cut = np.flatnonzero((inside == 0) & shapely.intersects(prepared, lines))
    inside[cut] = shapely.length(shapely.intersection(lines[cut], poly))
    return float(inside.sum())


def run(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    out = AnalysisOutput()
    districts = inputs.layers.get("boundary")
    names = (districts["name"].fillna(districts["district_id"]).astype(str).tolist()
             if districts is not None and len(districts) else [])
    groups = [(ALL, None)] + [(n, i) for i, n in enumerate(names)]
    rows: list[dict[str, object]] = []

    def add(key: str, title: str, title_en: str, unit: str, values_by_group: list[float], target: float | None = None,
            better: str = "higher", area: str = "city", basis: tuple[str, str] = ("", "")) -> None:
        for (name, _), value in zip(groups, values_by_group, strict=True):
            passed = None
            if target is not None and value is not None and np.isfinite(value):
                passed = bool(value >= target) if better == "higher" else bool(value <= target)
            # a direction only where there is a target to pass: an indicator without one is not
            # "higher is better" (the share of old housing), and a value without data passes nothing
            rows.append({"indicator": key, "title": title, "title_en": title_en, "district": name,
                         "value": None if value is None or not np.isfinite(value) else round(float(value), 4),
                         "unit": unit, "target": target, "direction": better if target is not None else None,
                         "pass": passed,
                         "area": area, "basis": basis[0], "basis_en": basis[1]})

    def per_group(district_idx: np.ndarray, values: np.ndarray) -> list[float]:
        res = [float(np.nansum(values))]
        for _, i in groups[1:]:
            res.append(float(np.nansum(values[district_idx == i])))
        return res

    b = inputs.layers.get("buildings")
    shared: dict[str, Any] = inputs.shared  # what earlier analyses handed on (typed by their declarations)
    building_district: np.ndarray | None = None

    def buildings_district() -> np.ndarray:  # the district of every building, found once
        nonlocal building_district
        if building_district is None:
            assert b is not None
            building_district = (building_places(inputs, out).district(districts.geometry.values)
                                 if districts is not None and len(districts) and len(b) else np.full(len(b), -1))
        return building_district

    if b is not None and "old" in shared:
        bd = buildings_district()
        res = shared["residential"]
        fa = shared["floor_area"]
        old_fa = per_group(bd, np.where(res & shared["old"], fa, 0.0))
        res_fa = per_group(bd, np.where(res, fa, 0.0))
        # where no home states its year the share is unknown (no data), not 0 % old
        unknown_year = shared.get("old_unknown")
        known_fa = res_fa if unknown_year is None else per_group(bd, np.where(res & ~unknown_year, fa, 0.0))
        add("old_housing_share", "2000年及以前建成住宅建筑面积占比", "Share of residential floor area built in or before "
            f"{inputs.shared.get('cutoff_year', 2000)}", "%",
            [o / r * 100 if r and k else np.nan for o, r, k in zip(old_fa, res_fa, known_fa, strict=True)],
            area="housing")
        grade = b["safety_grade"].to_numpy(dtype=object) if "safety_grade" in b else np.full(len(b), None)
        # without any safety grade the counts are unknown (no data), not 0 dangerous buildings that pass
        graded = states(b, "unsafe_d")

        def count(mask: np.ndarray) -> list[float]:
            return per_group(bd, mask.astype(float)) if graded else [np.nan] * len(groups)

        add("unsafe_d_count", "D级危房数量", "Grade D dangerous buildings", "栋", count(grade == "D"),
            target=0, better="lower", area="housing", basis=BASIS["unsafe"])
        add("unsafe_c_count", "C级危房数量", "Grade C buildings", "栋", count(grade == "C"),
            target=0, better="lower", area="housing", basis=BASIS["unsafe"])
        flags = shared.get("elevator_flags")
        if flags is not None:
            # a candidate is a home of enough floors stated to have no elevator: where no building
            # states floors or elevators, unknown, not 0
            add("elevator_candidates", "加装电梯候选住宅数量", "Elevator-retrofit candidates", "栋",
                per_group(bd, flags.astype(float)) if states(b, "elevator_candidates") else [np.nan] * len(groups),
                area="housing")
    parcels = inputs.layers.get("parcels")
    idle = shared.get("idle_codes")
    if parcels is not None and idle is not None:
        pd_idx = _district_of(parcels.geometry.values, districts)
        area = shapely.area(parcels.geometry.values)
        from planner.analysis.registry import rule_codes

        declared = rule_codes()
        for code, mask in idle.items():
            rule = declared.get(code)
            zh, en = (rule.title, rule.title_en) if rule is not None else (code, code)
            target = 0 if code == "IDLE_NOT_STARTED_2Y" else None
            add(f"idle_area.{code}", f"{zh}用地面积", f"Land area: {en.lower()}", "公顷",
                per_group(pd_idx, np.where(mask, area, 0) / 1e4), target=target, better="lower",
                basis=BASIS["idle_2y"] if target is not None else ("", ""))
    roads_built = shared.get("roads_built")
    if roads_built is not None and len(roads_built):
        lines = np.asarray(roads_built.geometry.values)
        line_len = shapely.length(lines)
        lengths = []
        areas = []
        if districts is not None and len(districts):
            total_area = shapely.area(shapely.union_all(districts.geometry.values))
            total_len = _length_inside(lines, line_len, shapely.union_all(districts.geometry.values))
        else:
            total_area = shapely.area(shapely.convex_hull(shapely.union_all(lines)))
            total_len = float(shapely.length(lines).sum())
        lengths.append(total_len)
        areas.append(total_area)
        for _, i in groups[1:]:
            assert districts is not None  # groups beyond the first are its districts
            poly = districts.geometry.values[i]
            lengths.append(_length_inside(lines, line_len, poly))
            areas.append(float(shapely.area(poly)))
        km = np.array(lengths) / 1000
        add("road_density", "道路网密度", "Road network density", "km/km²",
            list(km / (np.array(areas) / 1e6)), target=params["road_density_target"], basis=BASIS["road_density"])
        dead = shared.get("dead_end_points")
        gaps = shared.get("gap_points")
        if dead is not None:
            dd = _district_of(dead, districts)
            add("dead_ends_per_km", "每公里道路断头路数", "Dead ends per km of road", "个/km",
                [c / k if k else np.nan for c, k in zip(per_group(dd, np.ones(len(dead))), km, strict=True)], better="lower")
        if gaps is not None:
            gd = _district_of(gaps, districts)
            add("gaps_per_km", "每公里道路缺口数", "Road gaps per km of road", "个/km",
                [c / k if k else np.nan for c, k in zip(per_group(gd, np.ones(len(gaps))), km, strict=True)], better="lower")
    dist = shared.get("service_distances")
    if dist is not None and b is not None:
        bidx = np.asarray(shared["service_buildings"])
        # without households the coverage is of residential buildings, and says so
        known_hh = "households" in b and bool(b["households"].notna().any())
        hh = (pd.to_numeric(b["households"], errors="coerce").fillna(0).to_numpy()[bidx] if known_hh
              else np.ones(len(bidx)))
        whom, whom_en = ("居民户", "Households") if known_hh else ("住宅建筑", "Residential buildings")
        bd = buildings_district()[bidx]
        assert inputs.catalogue is not None
        radii = inputs.catalogue.facility_radii()
        domain = inputs.catalogue.domains["facility_type"]
        total = per_group(bd, hh)
        for t, d in dist.items():
            cov = per_group(bd, np.where(d <= radii.get(t, 0), hh, 0))
            add(f"coverage.{t}", f"{domain.title(t)}{radii.get(t, 0):g}米覆盖{whom}比例",
                f"{whom_en} within {radii.get(t, 0):g} m of a {domain.title(t, 'en').lower()}", "%",
                [c / n * 100 if n else np.nan for c, n in zip(cov, total, strict=True)], target=100.0,
                area="community" if t in COMMUNITY_FACILITIES else "block",
                basis=BASIS["community"] if t in COMMUNITY_FACILITIES else BASIS["life_circle"])
        if "park" in dist:
            cov = per_group(bd, np.where(dist["park"] <= params["park_radius_m"], hh, 0))
            add("park_500m_coverage", f"公园绿地{params['park_radius_m']:g}米服务半径覆盖率",
                f"Park {params['park_radius_m']:g} m service coverage", "%",
                [c / n * 100 if n else np.nan for c, n in zip(cov, total, strict=True)],
                target=params["park_coverage_target"], area="block", basis=BASIS["park"])
    for key in sorted(k for k in shared if str(k).startswith("indicator_rows.")):  # rows other analyses hand on
        rows.extend(pd.DataFrame(shared[key]).to_dict("records"))
    out.tables["indicators"] = pd.DataFrame(rows, columns=["indicator", "title", "title_en", "district", "value",
                                                           "unit", "target", "direction", "pass", "area", "basis",
                                                           "basis_en"])
    return out


register(Analysis(
    id="indicators",
    title="城市体检指标",
    title_en="City-examination indicators",
    run=run,
    requires={},
    optional={"boundary": ["name"]},
    basis="城市体检基础指标体系；中共中央 国务院关于进一步加强城市规划建设管理工作的若干意见（2016）",
    order=90,
    parameters=[
        Parameter("road_density_target", 8.0, "km/km²", "道路网密度目标", "Road density target",
                  "建成区路网密度不低于该值（2016年若干意见：8 km/km²）", "at least this (2016 guideline: 8)", 0.0, 50.0),
        Parameter("park_radius_m", 500.0, "m", "公园服务半径", "Park service radius", "公园绿地服务半径",
                  "park service radius", 50.0, 5000.0),
        Parameter("park_coverage_target", 90.0, "%", "公园覆盖率目标", "Park coverage target",
                  "公园绿地服务半径覆盖率不低于该值", "park coverage at least this", 0.0, 100.0),
    ],
))
