"""Dead ends and gaps: planted T-junctions, near misses, boundary ends, planned roads, the detour
test, and agreement with OSMnx on the real Hefei street network."""

import numpy as np
import pytest
import shapely

from planner.analysis.network import build_network, local_distances
from planner.io.readers import read_vector
from planner.io.sources import parse_source

from .analysis_helpers import X0, Y0, box, frame, line, run
from .conftest import OSM_FILE


def roads(*specs):
    rows, geoms = [], []
    for i, spec in enumerate(specs):
        g, extra = (spec, {}) if not isinstance(spec, tuple) else spec
        rows.append({"road_id": f"r{i}", "name": None, "road_class": "local", "status": "built", **extra})
        geoms.append(g)
    return frame(rows, geoms)


def run_roads(r, *, boundary=None, buildings=None, **params):
    layers = {"roads": r}
    if boundary is not None:
        layers["boundary"] = frame([{"district_id": "d", "name": "d"}], [boundary])
    if buildings is not None:
        layers["buildings"] = buildings
    return run("roads", layers, params=params)


def dead_ids(out):
    return sorted(out.flags["flag_dead_end"]["source_id"])


def test_t_junction_without_shared_vertex_is_a_connection():
    # r1 ends on r0's interior where r0 has no vertex: not a dead end (at the T).
    r = roads(line((0, 0), (1000, 0)), line((500, 0), (500, 300)), line((500, 300), (0, 300)),
              line((0, 300), (0, 0)), line((1000, 0), (1000, 300)), line((1000, 300), (500, 300)))
    out = run_roads(r)
    assert dead_ids(out) == []
    net = out.shared["road_network"]
    assert net.t_splits == 1
    # the T carries network distances too: from (500, 300) to (500, 0) is 300 m
    a = np.argmin(np.hypot(*(net.node_xy - [X0 + 500, Y0 + 300]).T))
    b = np.argmin(np.hypot(*(net.node_xy - [X0 + 500, Y0]).T))
    assert local_distances(net, np.array([a]), np.array([b]), limit=1000)[0] == pytest.approx(300)


def test_near_miss_ends_within_tolerance_connect():
    base = [line((0, 0), (1000, 0))]
    out = run_roads(roads(*base, line((300, 0.5), (300, 200)), line((600, 3), (600, 200))))
    # the 0.5 m miss connects; the 3 m miss is a dead end (twice: its top end is free too)
    assert dead_ids(out) == ["r0", "r0", "r1", "r2", "r2"]
    out = run_roads(roads(*base, line((600, 3), (600, 200))), snap_tolerance_m=5.0)
    assert "r1" in dead_ids(out)  # its top end
    starts = out.flags["flag_dead_end"].geometry.y.round(0).tolist()
    assert Y0 + 3 not in starts


def test_boundary_ends_are_not_dead_ends():
    r = roads(line((0, 500), (1000, 500)), line((500, 500), (500, 560)))
    area = box(-20, -1000, 1040, 3000)  # the long road's ends are 20 m from the edge
    out = run_roads(r, boundary=area)
    assert dead_ids(out) == ["r1"]
    out = run_roads(r, boundary=area, edge_buffer_m=10.0)
    assert dead_ids(out) == ["r0", "r0", "r1"]


def test_excluded_classes_are_not_flagged():
    r = roads(line((0, 0), (1000, 0)), (line((500, 0), (500, 60)), {"road_class": "path"}))
    assert "r1" not in dead_ids(run_roads(r))
    assert "r1" in dead_ids(run_roads(r, excluded_classes=[]))


def _grid_with_broken_street(gap):
    """Two parallel streets 300 m apart joined at both ends, and a cross street broken in the middle."""
    return roads(line((0, 0), (1000, 0)), line((0, 300), (1000, 300)), line((0, 0), (0, 300)),
                 line((1000, 0), (1000, 300)), line((500, 0), (500, 150 - gap / 2)),
                 line((500, 150 + gap / 2), (500, 300)))


def test_broken_street_is_one_gap_with_detour_ratio():
    out = run_roads(_grid_with_broken_street(100))
    gaps = out.flags["road_gap"]
    assert list(gaps["code"]) == ["ROAD_GAP"]  # two dead ends, one link
    g = gaps.iloc[0]
    assert g["length_m"] == pytest.approx(100)
    # The way round (100 + 500 + 300 + 500 + 100 m) is beyond the 450 m search: no ratio, said so.
    assert np.isnan(g["detour_ratio"]) and "无连通路径" in g["reason"]
    assert g["severity"] == 2 and {g["from_source_id"], g["to_source_id"]} == {"r4", "r5"}
    assert out.flags["flag_dead_end"]["in_gap"].all() and len(out.flags["flag_dead_end"]) == 2
    short = run_roads(_grid_with_broken_street(40)).flags["road_gap"]
    assert short["severity"].tolist() == [3]


def test_cul_de_sac_next_to_its_own_access_road_is_not_a_gap():
    # A straight stub and a short hook: their ends are near their own access road by a short
    # network path (ratio below 3), so they are dead ends but not gaps.
    r = roads(line((0, 0), (1000, 0)), line((300, 0), (300, 60)), line((500, 0), (500, 30), (515, 30)))
    out = run_roads(r)
    assert dead_ids(out) == ["r0", "r0", "r1", "r2"]
    assert len(out.flags["road_gap"]) == 0


@pytest.mark.parametrize("h,is_gap", [(95, False), (100, True), (105, True)])
def test_detour_ratio_threshold_both_sides(h, is_gap):
    # Dead end D=(100, 200) is 100 m from road A (x=0); the network path runs down h metres,
    # 100 m west and h metres up A: 100 + 2h, so the ratio is exactly 3 at h = 100.
    r = roads(line((0, -200), (0, 400)), line((0, 200 - h), (100, 200 - h)), line((100, 200 - h), (100, 200)))
    gaps = run_roads(r).flags["road_gap"]
    from_d = gaps[gaps["from_source_id"] == "r2"]
    assert len(from_d) == int(is_gap)
    if is_gap:
        assert from_d["length_m"].iloc[0] == pytest.approx(100)
        assert from_d["detour_ratio"].iloc[0] == pytest.approx((100 + 2 * h) / 100, rel=1e-3)


def test_planned_roads_never_connect_and_are_reported():
    r = roads(line((0, 0), (1000, 0)), line((0, 300), (1000, 300)), line((0, 0), (0, 300)),
              line((1000, 0), (1000, 300)), line((500, 0), (500, 100)), line((500, 200), (500, 300)),
              (line((500, 100), (500, 200)), {"status": "planned"}))
    out = run_roads(r)
    assert dead_ids(out) == ["r4", "r5"]
    codes = sorted(out.flags["road_gap"]["code"])
    assert codes == ["PLANNED_UNBUILT", "ROAD_GAP"]


def test_gap_reports_crossed_buildings():
    b = frame([{"building_id": "B1"}], [box(480, 140, 40, 20)])
    out = run_roads(_grid_with_broken_street(100), buildings=b)
    assert out.flags["road_gap"]["crosses"].iloc[0] == "建筑 B1"


@pytest.fixture(scope="module")
def hefei():
    raw = read_vector(parse_source(OSM_FILE), role="roads")
    return raw.frame


def test_dead_ends_equal_osmnx_without_snapping_or_boundary(hefei):
    ox = pytest.importorskip("osmnx")
    G = ox.graph_from_xml(str(OSM_FILE), simplify=False, retain_all=True)
    # graph_from_xml turns every way into edges (buildings, land use ...): keep the highway ways,
    # which is what our reader takes as roads.
    keep = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("highway") is not None]
    H = G.edge_subgraph(keep)
    streets = ox.stats.count_streets_per_node(H)
    theirs = {(round(H.nodes[n]["x"], 7), round(H.nodes[n]["y"], 7)) for n, c in streets.items() if c == 1}
    net = build_network(hefei.geometry.values, tolerance=0.0, split_t_junctions=False)
    ours = {(round(x, 7), round(y, 7)) for x, y in net.node_xy[net.dead_end_nodes()]}
    assert len(theirs) > 20
    assert ours == theirs
    # T-junction splitting with exact touching changes nothing on OSM data (ways share nodes).
    net_t = build_network(hefei.geometry.values, tolerance=0.0, split_t_junctions=True)
    assert len(net_t.dead_end_nodes()) == len(theirs)


def test_defaults_on_hefei_and_every_difference_explained(hefei):
    from pyproj import CRS

    metric = hefei.to_crs(CRS.from_epsg(4548))  # CGCS2000 GK CM 117E
    plain = build_network(metric.geometry.values, tolerance=0.0, split_t_junctions=False)
    default = build_network(metric.geometry.values, tolerance=1.0, split_t_junctions=True)
    plain_set = {tuple(np.round(p, 3)) for p in plain.node_xy[plain.dead_end_nodes()]}
    default_pts = default.node_xy[default.dead_end_nodes()]
    # With the 1 m tolerance, a dead end disappears only where it was a near miss (< 1 m from
    # another road) or a T-junction without a shared vertex; list them with their distances.
    tree = shapely.STRtree(plain.segments)
    vanished = plain_set - {tuple(np.round(p, 3)) for p in default_pts}
    for p in vanished:
        pt = shapely.Point(p)
        near = tree.query(pt, predicate="dwithin", distance=1.0)
        node = np.argmin(np.hypot(*(plain.node_xy - p).T))
        own = (plain.edge_u[near] == node) | (plain.edge_v[near] == node)
        assert (~own).any(), f"dead end at {p} vanished without a road within 1 m"
    # Extract edge: with the study area = data extent (buffer 50 m), ends at the extract's edge go;
    # the file's <bounds> bound it too (beyond them the extract is incomplete).
    from planner.analysis.roads import osm_bounds_area

    hull = shapely.convex_hull(shapely.union_all(metric.geometry.values))
    area = shapely.intersection(hull, osm_bounds_area(metric, CRS.from_epsg(4548)))
    pts = shapely.points(default_pts)
    at_edge = (shapely.distance(shapely.boundary(area), pts) <= 50) | ~shapely.contains(area, pts)
    import geopandas as gpd

    boundary = gpd.GeoDataFrame({"district_id": ["h"], "name": ["h"]}, geometry=[hull], crs=4548)
    out = run("roads", {"roads": metric.assign(road_id=metric["osm_id"].astype(str), status="built",
                                                road_class=None), "boundary": boundary},
              params={"excluded_classes": []})
    assert len(out.flags["flag_dead_end"]) == int((~at_edge).sum())
    assert int(at_edge.sum()) > 0


def test_gap_reports_crossed_water_and_rail():
    water = frame([{"water_id": "w1", "name": "昆都仑河"}], [box(400, 145, 200, 10)])
    rail = frame([{"rail_id": "r1", "name": None}], [line((300, 160), (700, 160))])
    out = run("roads", {"roads": _grid_with_broken_street(100), "water": water, "rail": rail},
              params={"crossing_allowed": ["buildings", "water", "rail"]})  # by default not proposed
    crosses = out.flags["road_gap"]["crosses"].iloc[0]
    assert "水系 昆都仑河" in crosses and "铁路 r1" in crosses
