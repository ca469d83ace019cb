"""Living-circle service gaps (一刻钟便民生活圈 / 完整社区): SERVICE_GAP.

Basis: GB 50180-2018 城市居住区规划设计标准 (5-, 10- and 15-minute circles: 300, 500 and
800-1000 m walking), 完整居住社区建设标准 (2020). Radii come from the layer catalogue
(layers/domains/facility_type.toml); ``radius.<type>`` parameters override them.

Walking distance = straight walk from the building to the nearest point of the nearest road
segment + network distance + straight walk from the road to the facility. Buildings and
facilities are attached to the nearest point on the nearest segment (not the nearest node),
and a building and a facility on the same segment are measured along it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

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
from planner.arrays import FloatArray, GeometryArray, Int64Array

if TYPE_CHECKING:
    from planner.feedback import Feedback


def walking_distances(net: RoadNetwork, building_pts: GeometryArray, facility_pts: GeometryArray,
                      facility_type: npt.NDArray[Any], types: list[str], *, limit: float,
                      building_attach: tuple[Int64Array, FloatArray, FloatArray] | None = None,
                      ) -> dict[str, FloatArray]:
    """Distance from every building to the nearest facility of each type (inf: none within limit).

    ``building_attach``: ``net.attach(building_pts)`` where the caller has it already (the
    run's :class:`planner.analysis.common.BuildingPlaces`)."""
    n = net.n_nodes
    b_edge, b_t, b_off = building_attach if building_attach is not None else net.attach(building_pts)
    f_edge, f_t, f_off = net.attach(facility_pts)
    length = net.edge_len
    # One virtual node per facility, joined to both ends of its segment.
    nf = len(facility_pts)
    fv = n + np.arange(nf)
    w_u = f_off + f_t * length[f_edge]
    w_v = f_off + (1 - f_t) * length[f_edge]
    base = net.graph.tocoo()
    rows = np.concatenate([base.row, fv, net.edge_u[f_edge], fv, net.edge_v[f_edge]])
    cols = np.concatenate([base.col, net.edge_u[f_edge], fv, net.edge_v[f_edge], fv])
    vals = np.concatenate([base.data, w_u, w_u, w_v, w_v])
    graph = coo_matrix((np.maximum(vals, 1e-9), (rows, cols)), shape=(n + nf, n + nf)).tocsr()
    bu, bv = net.edge_u[b_edge], net.edge_v[b_edge]
    bl = length[b_edge]
    out: dict[str, FloatArray] = {}
    for ftype in types:
        sel = np.flatnonzero(facility_type == ftype)
        if len(sel) == 0:
            out[ftype] = np.full(len(building_pts), np.inf)
            continue
        dist = dijkstra(graph, directed=False, indices=fv[sel], min_only=True, limit=limit)
        via = np.minimum(dist[bu] + b_t * bl, dist[bv] + (1 - b_t) * bl) + b_off
        # Same segment: walk along it directly (the graph route would pass an end node).
        same = pd.DataFrame({"edge": f_edge[sel], "t": f_t[sel], "off": f_off[sel]})
        on = np.flatnonzero(np.isin(b_edge, f_edge[sel]))  # only buildings on a facility's segment
        bdf = pd.DataFrame({"b": on, "edge": b_edge[on], "t": b_t[on], "off": b_off[on]})
        pair = bdf.merge(same, on="edge", suffixes=("", "_f"))
        if len(pair):
            direct = pair["off"] + pair["off_f"] + np.abs(pair["t"] - pair["t_f"]) * length[pair["edge"].to_numpy()]
            best = direct.groupby(pair["b"]).min()
            via[best.index.to_numpy()] = np.minimum(via[best.index.to_numpy()], best.to_numpy())
        via[~np.isfinite(via) | (via > limit)] = np.inf
        out[ftype] = via
    return out


def _radii(inputs: AnalysisInputs, params: dict[str, Any]) -> dict[str, float]:
    assert inputs.catalogue is not None
    radii = inputs.catalogue.facility_radii()
    for key, value in params.items():
        if key.startswith("radius.") and value is not None:
            radii[key.split(".", 1)[1]] = float(value)
    wanted = params.get("types") or list(radii)
    return {t: radii[t] for t in wanted if t in radii and radii[t] > 0}


def _reasons(titles: list[tuple[str, str, float]], kind: Int64Array, dd: FloatArray, limit: float,
             ) -> tuple[pd.api.extensions.ExtensionArray, pd.api.extensions.ExtensionArray]:
    """Chinese and English reasons, written once per distinct (facility type, rounded distance)
    and indexed; ``titles[k]`` is type k's (title, English title, radius)."""
    finite = np.isfinite(dd)
    metres = np.where(finite, np.round(np.where(finite, dd, 0)), -1).astype(np.int64)
    inverse, uniq = pd.factorize((metres + 1) * len(titles) + kind)  # hashed, not sorted: order is free
    zh, en = [], []
    for key in uniq.tolist():
        m, k = divmod(key, len(titles))
        m -= 1
        title, title_en, radius = titles[k]
        if m >= 0:
            zh.append(f"住宅步行至最近{title}{m} m，超过{radius:g} m服务半径")
            en.append(f"walk to the nearest {title_en} is {m} m, beyond the {radius:g} m radius")
        else:
            zh.append(f"住宅{limit:g} m步行范围内无{title}（服务半径{radius:g} m）")
            en.append(f"no {title_en} within {limit:g} m walking (radius {radius:g} m)")
    inv = inverse.reshape(-1)
    return text_column(zh, inv), text_column(en, inv)


def domain_title(inputs: AnalysisInputs, key: str, lang: str) -> str:
    assert inputs.catalogue is not None
    return str(inputs.catalogue.domains["facility_type"].title(key, lang))


def run(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    out = AnalysisOutput()
    b = inputs.layers["buildings"]
    f = inputs.layers["facilities"]
    net = inputs.shared.get("road_network")
    if not isinstance(net, RoadNetwork):  # the roads analysis did not run: build the network here
        from planner.analysis.roads import built_mask

        roads = inputs.layers["roads"]
        net = build_network(roads.geometry.values[built_mask(roads)], tolerance=1.0)
    residential = b["use"].isin(params["residential_uses"]).to_numpy()
    rows = np.flatnonzero(residential)
    radii = _radii(inputs, params)
    if len(rows) == 0 or net.n_nodes == 0:
        why = ("no building has a residential use (" + ", ".join(map(str, params["residential_uses"])) + ")"
               if len(rows) == 0 else "the roads layer has no built road to walk along")
        out.messages.append(f"living-circle gaps: not assessed, {why}")
        return out
    ftype = f["type"].to_numpy(dtype=object).astype(str)
    # a type the facilities layer holds none of is not assessed (as the coverage analysis does):
    # an absent type means the data lacks it far more often than the city does, and flagging
    # every home for it would bury the real gaps
    types = []
    for t in radii:
        if (ftype == t).any():
            types.append(t)
        else:
            out.messages.append(f"living-circle gaps: no {domain_title(inputs, t, 'en').lower()} "
                                f"({domain_title(inputs, t, 'zh')}) in the facilities layer; not assessed "
                                "(add them to the layer)")
    if not types:
        out.flags["service_gap"] = concat_flags([], inputs.crs)
        out.tables["service_coverage"] = pd.DataFrame(columns=["facility_type", "title", "radius_m", "buildings",
                                                               "buildings_covered", "households", "households_covered",
                                                               "coverage", "facilities"])
        return out
    places = building_places(inputs, out)
    bpts = places.points[rows]
    fpts = anchor_points(f.geometry.values)
    limit = max(radii[t] for t in types) + float(params["search_margin_m"])
    dist = walking_distances(net, bpts, fpts, ftype, types, limit=limit, building_attach=places.attach(net, rows))
    feedback.set_progress(80)
    # without households the coverage counts residential buildings (its table says so: households
    # blank) and a flag's households are unknown (blank), never one per building
    known_hh = "households" in b and bool(b["households"].notna().any())
    hh = (pd.to_numeric(b["households"], errors="coerce").fillna(0).to_numpy()[rows] if known_hh
          else np.ones(len(rows)))
    flag_hh = hh if known_hh else np.full(len(rows), np.nan)
    ids = id_text(b["building_id"])
    geoms = b.geometry.values
    assert inputs.catalogue is not None
    domain = inputs.catalogue.domains["facility_type"]
    coverage_rows: list[dict[str, object]] = []
    gaps: list[tuple[str, Int64Array]] = []  # (type, residential rows beyond its radius)
    for t in types:
        feedback.check()
        d = dist[t]
        radius = radii[t]
        gap = ~(d <= radius)
        covered_hh = float(hh[~gap].sum())
        coverage_rows.append({"facility_type": t, "title": domain.title(t), "radius_m": radius,
                              "buildings": len(rows), "buildings_covered": int((~gap).sum()),
                              "households": float(hh.sum()) if known_hh else None,
                              "households_covered": covered_hh if known_hh else None,
                              "coverage": round(covered_hh / hh.sum(), 4) if hh.sum() > 0 else None,
                              "facilities": int((ftype == t).sum())})
        if gap.any():
            gaps.append((t, np.flatnonzero(gap)))
    feedback.set_progress(90)
    if not gaps:
        out.flags["service_gap"] = concat_flags([], inputs.crs)
    else:
        # one frame for every type (type by type, each in row order): no per-type frames to concatenate
        idx = np.concatenate([i for _, i in gaps])
        kind = np.repeat(np.arange(len(gaps), dtype=np.int64), [len(i) for _, i in gaps])
        dd = np.concatenate([dist[t][i] for t, i in gaps])
        finite = np.isfinite(dd)
        titles = [(domain.title(t), domain.title(t, "en").lower(), radii[t]) for t, _ in gaps]
        radius_of = np.array([r for _, _, r in titles], dtype=np.float64)[kind]
        zh, en = _reasons(titles, kind, dd, limit)
        out.flags["service_gap"] = gpd.GeoDataFrame({
            "source_layer": "buildings", "source_id": ids(rows[idx]),
            "code": "SERVICE_GAP", "severity": np.where(finite & (dd <= 2 * radius_of), 2, 3).astype("int64"),
            "reason": zh, "reason_en": en, "facility_type": text_column([t for t, _ in gaps], kind),
            "facility_title": text_column([z for z, _, _ in titles], kind),
            "distance_m": np.where(finite, np.round(dd, 1), np.nan), "radius_m": radius_of,
            "households": flag_hh[idx],
        }, geometry=gpd.GeoSeries(geoms[rows[idx]], crs=inputs.crs), crs=inputs.crs)
    out.tables["service_coverage"] = pd.DataFrame(coverage_rows)
    out.shared["service_distances"] = dist
    out.shared["service_buildings"] = rows
    return out


register(Analysis(
    id="services",
    title="生活圈服务短板",
    title_en="Living-circle service gaps",
    run=run,
    requires={"buildings": ["use"], "facilities": ["type"], "roads": []},
    optional={"buildings": ["households"]},
    codes=("SERVICE_GAP",),
    outputs=(FlagLayer("service_gap", "MultiPolygon", "生活圈短板", "Living-circle gaps",
                       fields=("facility_type", "facility_title", "distance_m", "radius_m", "households"),
                       popup=("flag_id", "facility_title", "reason", "distance_m", "radius_m")),),
    rules=(RuleCode("SERVICE_GAP", "生活圈服务短板", "Living-circle service gap", "#ff7f00", 2),),
    products=(Product("service_distances", "transient", "network distances from buildings to facilities"),
              Product(PLACES, "transient", "each building's anchor point, district and nearest road (made by the "
                      "first analysis that needs them)"),
              Product("service_buildings", "value", "the residential buildings the distances belong to")),
    basis="GB 50180-2018 城市居住区规划设计标准；完整居住社区建设标准（2020）",
    order=40,
    open_prefixes=("radius.",),
    parameters=[
        Parameter("search_margin_m", 500.0, "m", "搜索余量", "Search margin",
                  "最大服务半径之外继续搜索的距离（用于报告实际距离）",
                  "searched beyond the largest radius, to report actual distances", 0.0, 10000.0),
        Parameter("residential_uses", ["residential", "mixed"], "", "住宅用途", "Residential uses",
                  "参与生活圈评估的建筑用途", "building uses assessed"),
        Parameter("types", [], "", "评估的设施类型", "Facility types assessed",
                  "为空时评估目录中所有有服务半径的类型", "empty: every type with a radius in the catalogue"),
    ],
))
