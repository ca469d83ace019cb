"""Dead-end roads and gaps (断头路): DEAD_END, ROAD_GAP, PLANNED_UNBUILT.

Basis: the policy's "加快贯通城市断头路"; connectivity as QGIS's topology checker ("must not
have dangles") and OSMnx (nodes with one street) measure it. Connectivity uses built roads
only; planned roads never connect anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from planner.analysis.common import TREES, concat_flags, layer_tree
from planner.analysis.network import RoadNetwork, build_network, local_distances
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
from planner.arrays import BoolArray, FloatArray, GeometryArray, Int64Array
from planner.parallel import map_pairs, query_pairs

if TYPE_CHECKING:
    from planner.feedback import Feedback

GAP_EXTRA = {"length_m": "float64", "detour_ratio": "float64", "crosses": "object",
             "from_source_id": "object", "to_source_id": "object"}


def built_mask(roads: gpd.GeoDataFrame) -> BoolArray:
    """The roads the network is made of: built (status not planned) and roads at all: an OSM
    bus or rail platform (highway=platform, public_transport=platform: a line of no road class
    a few metres beside the street) is not one; its ends were dead ends and its 1.5-3 m to the
    street proposed links (68 platforms on the Beijing 亦庄 extract)."""
    built: BoolArray = (np.ones(len(roads), dtype=bool) if "status" not in roads
                        else (roads["status"] != "planned").fillna(True).to_numpy(dtype=bool, copy=True))
    if "other_tags" in roads and len(roads):
        tags = roads["other_tags"].astype("string").fillna("")
        platform = tags.str.contains(r'"(?:public_transport|railway)"=>"platform"', regex=True).to_numpy(dtype=bool)
        if "road_class" in roads:
            platform &= roads["road_class"].isna().to_numpy(dtype=bool)
        built &= ~platform
    return built


def study_area(inputs: AnalysisInputs) -> shapely.Geometry | None:
    """The study area: the boundary layer, within the OSM extract's bounds where the roads come
    from an OSM file with <bounds> (``osm_bounds``: beyond them the data is incomplete); else
    those bounds; else None."""
    roads = inputs.layers.get("roads")
    bounds = osm_bounds_area(roads, getattr(roads, "crs", None) or inputs.crs)
    boundary = inputs.layers.get("boundary")
    if boundary is not None and len(boundary):
        area: shapely.Geometry = shapely.union_all(boundary.geometry.values)
        return area if bounds is None else shapely.intersection(area, bounds)
    return bounds


def osm_bounds_area(roads: gpd.GeoDataFrame | None, crs: Any) -> shapely.Geometry | None:
    """The OSM file's <bounds> (minlon,minlat,maxlon,maxlat) as a polygon in ``crs``."""
    if roads is None or "osm_bounds" not in roads or not roads["osm_bounds"].notna().any():
        return None
    from pyproj import Transformer

    try:
        w, s, e, n = (float(v) for v in str(roads["osm_bounds"].dropna().iloc[0]).split(","))
    except ValueError:
        return None
    t = Transformer.from_crs(4326, crs, always_xy=True)
    edge = np.linspace(0, 1, 21)  # densified: the box's sides are curves in a projected CRS
    lon = np.concatenate([w + (e - w) * edge, np.full(21, e), e - (e - w) * edge, np.full(21, w)])
    lat = np.concatenate([np.full(21, s), s + (n - s) * edge, np.full(21, n), n - (n - s) * edge])
    x, y = t.transform(lon, lat)
    box: shapely.Geometry = shapely.Polygon(np.column_stack([x, y]))
    return box


# OSM values (other_tags) and catalogue values that make a road unfit to join a proposed link.
NOT_AT_GRADE = {"bridge": ("", "no", "false", "f", "0", "否"), "tunnel": ("", "no", "false", "f", "0", "否")}
ONEWAY = ("yes", "true", "1", "-1", "t", "f", "是", "单行", "单向")  # Geofabrik shapefiles: F/T one way, B both
PRIVATE_ACCESS = ("private", "no", "customers", "delivery", "permit", "military", "私有", "内部", "禁止")
PRIVATE_SERVICE = ("driveway", "parking_aisle", "parking", "drive-through")
# OSM polygons a link must not enter (restricted_from_osm): campuses, hospitals, car parks, military.
RESTRICTED_AMENITY = ("university", "college", "school", "kindergarten", "hospital", "parking", "prison")
RESTRICTED_LANDUSE = ("military", "education")


def _tag(roads: pd.DataFrame, key: str, *columns: str) -> pd.Series | None:
    """A road attribute, lower case ('' where unknown; None where no road has it): the
    catalogue's column (roads.toml ``bridge``, ``tunnel``, ``level``, ``oneway``, ``access``,
    ``structure``), else the OSM tag ``key`` in GDAL's other_tags."""
    out = None
    for c in columns or (key,):
        if c in roads:
            out = roads[c].astype("string").fillna("").str.strip().str.lower()
            break
    if key and "other_tags" in roads and roads["other_tags"].notna().any():  # where the column is silent
        found = roads["other_tags"].astype("string").str.extract(rf'"{key}"=>"([^"]*)"', expand=False)
        found = found.fillna("").str.lower()
        out = found if out is None else out.where(out != "", found)
    return out


def _any_of(value: pd.Series | None, values: Iterable[object], n: int) -> BoolArray:
    return np.zeros(n, dtype=bool) if value is None else value.isin(list(values)).to_numpy(dtype=bool)


def road_attributes(roads: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """What the link rules need per road: at grade (no bridge, tunnel or other layer), one-way,
    private (OSM access, service=driveway|parking_aisle), excluded class, and its name."""
    n = len(roads)
    level = _tag(roads, "layer", "level")
    not_at_grade = np.zeros(n, dtype=bool)
    for value, fine in ((_tag(roads, "bridge", "bridge"), NOT_AT_GRADE["bridge"]),
                        (_tag(roads, "tunnel", "tunnel"), NOT_AT_GRADE["tunnel"]), (level, ("", "0", "+0"))):
        if value is not None:
            not_at_grade |= ~_any_of(value, fine, n)
    not_at_grade |= _any_of(_tag(roads, "", "structure"), ("bridge", "tunnel", "viaduct", "桥", "桥梁", "隧道", "高架"), n)
    oneway = _any_of(_tag(roads, "oneway", "oneway"), ONEWAY, n) | _any_of(_tag(roads, "junction", "junction"),
                                                                          ("roundabout", "circular"), n)
    private = _any_of(_tag(roads, "access", "access"), PRIVATE_ACCESS, n) | _any_of(_tag(roads, "service", "service"),
                                                                                   PRIVATE_SERVICE, n)
    excluded = (roads["road_class"].isin(list(params["link_excluded_classes"])).to_numpy(dtype=bool)
                if "road_class" in roads else np.zeros(n, dtype=bool))
    names = roads["name"].astype("string").fillna("").str.strip().to_numpy(dtype=object) if "name" in roads \
        else np.full(n, "", dtype=object)
    return pd.DataFrame({"at_grade": ~not_at_grade, "oneway": oneway, "private": private, "excluded": excluded,
                         "name": names})


def restricted_from_osm(multipolygons: pd.DataFrame) -> gpd.GeoDataFrame:
    """The polygons of an OSM file a proposed link must not enter: campuses (university,
    college, school, kindergarten), hospitals, car parks, prisons, military land, and land
    tagged access=private (GDAL's ``multipolygons`` layer in, ``restricted_id``/``name`` out)."""
    mp = multipolygons
    n = len(mp)
    blank = pd.Series("", index=mp.index, dtype="string")
    amenity = _tag(mp, "amenity", "amenity")
    landuse = _tag(mp, "landuse", "landuse")
    amenity = (blank if amenity is None else amenity).to_numpy(dtype=object)
    landuse = (blank if landuse is None else landuse).to_numpy(dtype=object)
    keep = (np.isin(amenity, RESTRICTED_AMENITY) | np.isin(landuse, RESTRICTED_LANDUSE)
            | _any_of(_tag(mp, "access", "access"), ("private", "no"), n))
    ident = (mp["osm_way_id"].fillna(mp["osm_id"]) if "osm_way_id" in mp else mp["osm_id"]).astype(str)
    names = mp["name"] if "name" in mp else pd.Series(None, index=mp.index)
    return gpd.GeoDataFrame({"restricted_id": ident.to_numpy()[keep], "name": names.to_numpy()[keep],
                             "kind": np.where(amenity[keep] != "", amenity[keep], landuse[keep])},
                            geometry=mp.geometry.values[keep], crs=mp.crs)


def _names(roads: pd.DataFrame, idx: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.object_]:
    if "name" not in roads:
        return np.full(len(idx), "", dtype=object)
    names = roads["name"].to_numpy(dtype=object)[np.maximum(idx, 0)]
    return np.where(pd.isna(names), "", names)


# Road classes in words where the catalogue is not at hand (layers/domains/road_class.toml).
CLASS_WORDS = {"expressway": ("快速路", "expressway"), "arterial": ("主干路", "arterial"),
               "collector": ("次干路", "collector road"), "local": ("支路", "local road"),
               "service": ("内部道路", "service road"), "path": ("步行道", "path")}


def class_words(roads: pd.DataFrame, idx: npt.NDArray[np.integer[Any]], inputs: AnalysisInputs | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The class of roads ``idx`` in words (zh, en): the catalogue's road_class titles, "" where
    the class is unknown."""
    n = len(idx)
    if "road_class" not in roads or n == 0:
        return np.full(n, "", dtype=object), np.full(n, "", dtype=object)
    cls = pd.Series(roads["road_class"].to_numpy(dtype=object)[np.maximum(idx, 0)]).astype("string").fillna("")
    domain = getattr(getattr(inputs, "catalogue", None), "domains", {}).get("road_class")
    zh, en = {}, {}
    for k in pd.unique(cls[(cls != "") & (cls != "other")]):   # "other": no class to speak of (无名道路)
        pair = CLASS_WORDS.get(str(k))
        if domain is not None and any(v.key == k for v in getattr(domain, "values", [])):
            # the catalogue's Chinese title; English words that read in a sentence ("local road")
            pair = (str(domain.title(k, "zh")), pair[1] if pair else str(domain.title(k, "en")).lower())
        if pair is not None:
            zh[str(k)], en[str(k)] = pair
    return (cls.map(lambda k: zh.get(k, "")).to_numpy(dtype=object),
            cls.map(lambda k: en.get(k, "")).to_numpy(dtype=object))


def _label(names: np.ndarray, ids: np.ndarray, lang: str, classes: np.ndarray | None = None) -> pd.Series:
    """A road as a reason names it: 「name」; an unnamed road by its class in words with its id
    apart ("无名支路（编号 239184459）", "unnamed local road (id 239184459)"), never a bare id
    that runs into the number after it."""
    n = pd.Series(names, dtype="string").fillna("")
    i = pd.Series(ids, dtype="string").fillna("")
    c = pd.Series(np.full(len(n), "", dtype=object) if classes is None else classes, dtype="string").fillna("")
    if lang == "zh":
        unnamed = "无名" + c.where(c != "", "道路") + ("（编号 " + i + "）").where(i != "", "")
        return ("「" + n + "」").where(n != "", unnamed)
    unnamed = "unnamed " + c.where(c != "", "road") + (" (id " + i + ")").where(i != "", "")
    return ("'" + n + "'").where(n != "", unnamed)


def dead_ends(net: RoadNetwork, roads_built: gpd.GeoDataFrame, area: shapely.Geometry | None,
              params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(nodes, road row) of dead ends after the study-area edge and class exclusions."""
    nodes = net.dead_end_nodes()
    road = net.road_of_node(nodes)
    keep = road >= 0
    buffer = float(params["edge_buffer_m"])
    if area is not None and buffer > 0:
        pts = shapely.points(net.node_xy[nodes])
        inside = shapely.contains(area, pts)
        far = shapely.distance(shapely.boundary(area), pts) > buffer
        keep &= inside & far
    excluded = set(params["excluded_classes"])
    if excluded and "road_class" in roads_built:
        cls = roads_built["road_class"].to_numpy(dtype=object)[np.maximum(road, 0)]
        keep &= ~np.isin(cls.astype(str), list(excluded))
    return nodes[keep], road[keep]


def named_roads(net: RoadNetwork, names: np.ndarray) -> np.ndarray:
    """A label per road: roads of one (non-empty) name that meet, directly or through roads of
    that name, share a label (one named road, e.g. the two legs of a hairpin); others their own."""
    n = len(names)
    named = names[net.edge_road] != ""
    if not named.any():
        return np.arange(n, dtype=np.int64)
    node = np.concatenate([net.edge_u[named], net.edge_v[named]])
    road = np.concatenate([net.edge_road[named], net.edge_road[named]])
    df = pd.DataFrame({"node": node, "road": road}).drop_duplicates()
    pairs = df.merge(df, on="node")
    a, b = pairs["road_x"].to_numpy(), pairs["road_y"].to_numpy()
    same = (a != b) & (names[a] == names[b]) & (names[a] != "")
    adj = coo_matrix((np.ones(int(same.sum())), (a[same], b[same])), shape=(n, n))
    label: Int64Array = connected_components(adj, directed=False)[1].astype(np.int64)
    return label


def _unit(v: FloatArray) -> FloatArray:
    unit: FloatArray = v / np.maximum(np.hypot(v[:, 0], v[:, 1]), 1e-12)[:, None]
    return unit


def buildable(net: RoadNetwork, nodes: np.ndarray, edges: np.ndarray, links: np.ndarray, rules: dict[str, Any],
              params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Which candidate links may be built, and which cross something (kept only as a crossing).

    A link from dead end ``nodes[i]`` to segment ``edges[i]`` (geometry ``links[i]``) is not
    proposed when it joins a road that is not at grade (bridge, tunnel, other layer), of an
    excluded class (motorway and trunk: ``expressway``), private (OSM access, driveways, parking
    aisles); when it joins its own road (the same road, or one of the same name reached through
    roads of that name: a hairpin); when both roads are one-way and are the two carriageways of
    one road (same name, or unnamed and parallel); when it enters restricted land (campus, car
    park: the ``restricted`` layer; a link wholly inside one stays inside); or when it crosses what
    ``crossing_allowed`` does not list (buildings, water, rail).

    Returns
    -------
    (ndarray of bool, ndarray of bool)
        Allowed, and crossing (passes through an allowed obstacle: a stated crossing).
    """
    attrs, node_road, label = rules["attrs"], rules["node_road"], rules["label"]
    at_grade, oneway = attrs["at_grade"].to_numpy(), attrs["oneway"].to_numpy()
    unfit = ~at_grade | attrs["excluded"].to_numpy() | attrs["private"].to_numpy()
    names = attrs["name"].to_numpy()
    src = node_road
    bad = unfit[src].copy()
    # every road at the link's far end (its own segment and any that meet there, e.g. a bridge
    # or the other carriageway starting at that node), each judged against the dead end's road
    end = shapely.get_point(links, -1)
    c, e = net.tree.query(end, predicate="dwithin", distance=max(float(params["snap_tolerance_m"]), 0.5))
    c, e = np.concatenate([np.arange(len(edges)), c]), np.concatenate([edges, e])
    r, s_ = net.edge_road[e], src[c]
    pair_bad = unfit[r] | (r == s_) | ((label[r] == label[s_]) & (names[s_] != ""))
    both = oneway[s_] & oneway[r]
    if both.any():
        # direction of the dead end's road (its last segment) against the segment at the far end
        own = rules["node_edge"][c]
        d_src = _unit(net.node_xy[net.edge_v[own]] - net.node_xy[net.edge_u[own]])
        d_tgt = _unit(net.node_xy[net.edge_v[e]] - net.node_xy[net.edge_u[e]])
        parallel = np.abs((d_src * d_tgt).sum(axis=1)) >= np.cos(np.radians(30))
        same_name = (names[s_] == names[r]) & (names[s_] != "")
        pair_bad |= both & (same_name | ((names[s_] == "") & (names[r] == "") & parallel))
    bad[np.unique(c[pair_bad])] = True
    restricted = rules.get("restricted")
    if restricted is not None and len(restricted):
        li, pi = shapely.STRtree(restricted.geometry.values).query(links, predicate="intersects")
        enters = ~shapely.covers(restricted.geometry.values[pi], links[li])  # not wholly inside: crosses its edge
        bad[np.unique(li[enters])] = True
    allowed = set(params["crossing_allowed"])
    crossing = np.zeros(len(links), dtype=bool)
    inner = _inner(links) if rules.get("obstacles") else links
    for role, layer in rules.get("obstacles", {}).items():
        hit = np.zeros(len(links), dtype=bool)
        tree = rules.get("trees", {}).get(role) or shapely.STRtree(layer.geometry.values)
        hit[np.unique(tree.query(inner, predicate="intersects")[0])] = True
        if role in allowed:
            crossing |= hit
        else:
            bad |= hit
    return ~bad, crossing


def _inner(links: np.ndarray, by: float = 0.5) -> np.ndarray:
    """Each link without its last ``by`` metres at both ends (touching a wall at a road end is
    no crossing)."""
    length = shapely.length(links)
    a = shapely.get_coordinates(shapely.line_interpolate_point(links, np.minimum(by, length / 2)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(links, np.maximum(length - by, length / 2)))
    inner: GeometryArray = shapely.linestrings(np.stack([a, b], axis=1))
    return inner


def find_gaps(net: RoadNetwork, nodes: np.ndarray, params: dict[str, Any], rules: dict[str, Any] | None = None,
              ) -> pd.DataFrame:
    """For each dead end, the shortest buildable link to another road that passes the detour
    test (one that crosses nothing before one that crosses buildings; see :func:`buildable`)."""
    gap_max = float(params["gap_distance_m"])
    ratio = float(params["detour_ratio"])
    extra = float(params["detour_extra_m"])
    if len(nodes) == 0:
        return pd.DataFrame(columns=["node", "edge", "t", "straight", "network"])
    pts = shapely.points(net.node_xy[nodes])
    pi, si = query_pairs(net.tree, pts, predicate="dwithin", distance=gap_max)
    own = (net.edge_u[si] == nodes[pi]) | (net.edge_v[si] == nodes[pi])
    pi, si = pi[~own], si[~own]
    straight = map_pairs(shapely.distance, pts[pi], net.segments[si])
    t = map_pairs(lambda s, p: shapely.line_locate_point(s, p, normalized=True), net.segments[si], pts[pi])
    limit = max(ratio * gap_max, gap_max + extra) + 1.0
    src = nodes[pi]
    duv = local_distances(net, src, np.column_stack([net.edge_u[si], net.edge_v[si]]), limit=limit)
    du, dv = duv[:, 0], duv[:, 1]
    length = net.edge_len[si]
    network = np.minimum(du + t * length, dv + (1 - t) * length)
    ok = (network >= ratio * straight) & (network >= straight + extra) & (straight > 0)
    crossing = np.zeros(len(ok), dtype=bool)
    if rules is not None and ok.any():
        k = np.flatnonzero(ok)
        end = shapely.line_interpolate_point(net.segments[si[k]], t[k], normalized=True)
        links = shapely.linestrings(np.stack([net.node_xy[src[k]], shapely.get_coordinates(end)], axis=1))
        sub = {**rules, "node_road": rules["node_road"][pi[k]], "node_edge": rules["node_edge"][pi[k]]}
        allowed, crosses = buildable(net, src[k], si[k], links, sub, params)
        ok[k] = allowed
        crossing[k] = crosses
    cand = pd.DataFrame({"node": src[ok], "row": pi[ok], "edge": si[ok], "t": t[ok], "straight": straight[ok],
                         "network": network[ok], "crossing": crossing[ok]})
    # The shortest qualifying link per dead end (crossing nothing before crossing buildings).
    cand = cand.sort_values(["node", "crossing", "straight"], kind="stable").drop_duplicates("node")
    return cand.reset_index(drop=True)


def same_link_groups(links: np.ndarray, tolerance: float = 2.0) -> np.ndarray:
    """Group label per link: links whose two ends lie within ``tolerance`` of the other's two
    ends (in either direction) are one physical link (one group).

    Parameters
    ----------
    links : ndarray of LineString
        Proposed links (their first and last points are the ends).
    tolerance : float
        Largest distance (m) between corresponding ends.

    Returns
    -------
    ndarray of int
        A component label per link (0..k-1); equal labels are the same link.
    """
    n = len(links)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    a = shapely.get_coordinates(shapely.get_point(links, 0))
    b = shapely.get_coordinates(shapely.get_point(links, -1))
    fwd = np.hstack([a, b])
    both = np.vstack([fwd, np.hstack([b, a])])
    # Both ends within tol implies the 4-D distance is within tol * sqrt(2); check each end exactly.
    pairs = cKDTree(fwd).sparse_distance_matrix(cKDTree(both), tolerance * np.sqrt(2) + 1e-9,
                                                output_type="ndarray")
    i, j = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
    other = both[j]
    ok = (np.hypot(*(fwd[i, :2] - other[:, :2]).T) <= tolerance) & (np.hypot(*(fwd[i, 2:] - other[:, 2:]).T) <= tolerance)
    i, j = i[ok], j[ok] % n
    adj = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    group: Int64Array = connected_components(adj, directed=False)[1].astype(np.int64)
    return group


def _target_node(net: RoadNetwork, edge: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The node a link ends at where it ends at a segment's end (else -1)."""
    out = np.full(len(edge), -1, dtype=np.int64)
    out[t <= 1e-9] = net.edge_u[edge[t <= 1e-9]]
    out[t >= 1 - 1e-9] = net.edge_v[edge[t >= 1 - 1e-9]]
    return out


def run(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    roads = inputs.layers["roads"]
    out = AnalysisOutput()
    built = built_mask(roads)
    roads_built = roads.loc[built].reset_index(drop=True)
    planned = (roads["status"] == "planned").fillna(False).to_numpy(dtype=bool) if "status" in roads \
        else np.zeros(len(roads), dtype=bool)
    roads_planned = roads.loc[planned].reset_index(drop=True)   # (a platform is neither built nor planned)
    net = build_network(roads_built.geometry.values, tolerance=float(params["snap_tolerance_m"]),
                        split_t_junctions=True)
    out.shared["road_network"] = net
    out.shared["roads_built"] = roads_built
    feedback.set_progress(30)
    area = study_area(inputs)
    boundary = inputs.layers.get("boundary")
    if area is None:
        note = ("无研究范围（研究范围图层或OSM文件的<bounds>）：数据边缘处的断头路可能只是裁剪造成的 / no study area "
                "(boundary layer or the OSM file's <bounds>): dead ends at the data's edge may be artefacts of the extract")
        out.messages.append(note)
        feedback.warn(note)
    elif boundary is None or len(boundary) == 0:
        out.messages.append("研究范围取自OSM文件的<bounds> / study area: the OSM file's <bounds>")
    nodes, road_row = dead_ends(net, roads_built, area, params)
    ids = roads_built["road_id"].to_numpy(dtype=object)[road_row].astype(str)
    names = _names(roads_built, road_row)
    pts = shapely.points(net.node_xy[nodes])
    edge_dist = (shapely.distance(shapely.boundary(area), pts) if area is not None
                 else np.full(len(nodes), np.nan))
    cls_zh, cls_en = class_words(roads_built, road_row, inputs)
    zh = (_label(names, ids, "zh", cls_zh) + "在此断头：端点未与其他道路相接（捕捉容差 "
          + f"{params['snap_tolerance_m']:g} m）").tolist()
    en = (_label(names, ids, "en", cls_en) + " ends here without meeting another road (snapping tolerance "
          + f"{params['snap_tolerance_m']:g} m)").tolist()
    dead = gpd.GeoDataFrame({
        "source_layer": "roads", "source_id": ids, "code": "DEAD_END", "severity": np.full(len(nodes), 2, dtype="int64"),
        "reason": zh, "reason_en": en, "road_name": names,
        "edge_distance_m": np.round(edge_dist, 1), "in_gap": False,
    }, geometry=gpd.GeoSeries(pts, crs=inputs.crs), crs=inputs.crs)
    feedback.set_progress(50)
    feedback.check()

    first_edge = np.full(net.n_nodes, -1, dtype=np.int64)
    first_edge[net.edge_v] = np.arange(len(net.edge_v))
    first_edge[net.edge_u] = np.arange(len(net.edge_u))
    attrs = road_attributes(roads_built, params)
    rules = {"attrs": attrs, "node_road": road_row, "node_edge": np.maximum(first_edge[nodes], 0),
             "label": named_roads(net, attrs["name"].to_numpy()),
             "obstacles": {role: inputs.layers[role] for role in ("buildings", "water", "rail")
                           if inputs.layers.get(role) is not None and len(inputs.layers[role])},
             "trees": {role: layer_tree(inputs, out, role) for role in ("buildings", "water", "rail")
                       if inputs.layers.get(role) is not None and len(inputs.layers[role])},
             "restricted": inputs.layers.get("restricted")}
    gaps = find_gaps(net, nodes, params, rules)
    gap_frames = []
    if len(gaps):
        # A link between two dead ends that chose each other is one gap, listed once.
        target = _target_node(net, gaps["edge"].to_numpy(), gaps["t"].to_numpy())
        chosen = dict(zip(gaps["node"].to_numpy().tolist(), target.tolist(), strict=True))
        back = np.array([chosen.get(int(tn), -2) for tn in target])  # lookup over gap rows only
        mutual = (target >= 0) & (back == gaps["node"].to_numpy())
        drop = mutual & (gaps["node"].to_numpy() > target)
        gaps = gaps.loc[~drop].reset_index(drop=True)
        target = target[~drop]
        start = net.node_xy[gaps["node"].to_numpy()]
        seg = net.segments[gaps["edge"].to_numpy()]
        end = shapely.get_coordinates(shapely.line_interpolate_point(seg, gaps["t"].to_numpy(), normalized=True))
        links = shapely.linestrings(np.stack([start, end], axis=1))
        # One physical link once: links whose ends lie within the tolerance of each other's
        # (two dead ends a metre apart proposing the same link) keep the shortest.
        group = same_link_groups(links, float(params["duplicate_tolerance_m"]))
        first = pd.DataFrame({"g": group, "len": gaps["straight"].to_numpy()}).sort_values(
            ["g", "len"], kind="stable").drop_duplicates("g").index.to_numpy()
        twin = np.setdiff1d(np.arange(len(gaps)), first)
        twin_nodes = gaps["node"].to_numpy()[twin]
        first = np.sort(first)
        gaps, target, links = gaps.iloc[first].reset_index(drop=True), target[first], links[first]
        row = gaps["row"].to_numpy()
        to_row = net.edge_road[gaps["edge"].to_numpy()]
        from_id = ids[row]
        to_id = roads_built["road_id"].to_numpy(dtype=object)[to_row].astype(str)
        length = gaps["straight"].to_numpy()
        network = gaps["network"].to_numpy()
        detour = np.where(np.isfinite(network), network / length, np.nan)
        crosses = _crossings(links, inputs, out)
        dead.loc[row, "in_gap"] = True
        in_gap_nodes = np.isin(nodes, np.concatenate([target[target >= 0], twin_nodes]))
        dead.loc[in_gap_nodes, "in_gap"] = True
        det_zh = pd.Series(np.where(np.isfinite(detour), np.char.add("绕行距离为直线的", np.round(detour, 1).astype(str)) + "倍",
                                    f"{params['gap_distance_m'] * params['detour_ratio']:g} m内无连通路径"))
        det_en = pd.Series(np.where(np.isfinite(detour), np.char.add("detour ratio ", np.round(detour, 1).astype(str)),
                                    "no connection within the search limit"))
        len_txt = pd.Series([f"{v:,.1f}" for v in length], dtype=object)
        cross_zh = pd.Series(crosses).map(lambda c: f"，穿越{c}" if c else "")
        cross_en = pd.Series(crosses).map(lambda c: f", crosses {crossings_en(c)}" if c else "")
        to_zh, to_en = class_words(roads_built, to_row, inputs)
        from_lab_zh = _label(names[row], from_id, "zh", cls_zh[row])
        to_lab_zh = _label(_names(roads_built, to_row), to_id, "zh", to_zh)
        from_lab_en = _label(names[row], from_id, "en", cls_en[row])
        to_lab_en = _label(_names(roads_built, to_row), to_id, "en", to_en)
        zh = (from_lab_zh + "断头端点与" + to_lab_zh + "相距 " + len_txt + " m，" + det_zh + cross_zh + "，建议打通").tolist()
        en = (from_lab_en + " dead end is " + len_txt + " m from " + to_lab_en + ", " + det_en + cross_en +
              ": proposed link").tolist()
        sev = np.where(length <= params["short_gap_m"], 3, 2)
        gap_frames.append(gpd.GeoDataFrame({
            "source_layer": "roads", "source_id": from_id, "code": "ROAD_GAP", "severity": sev.astype("int64"),
            "reason": zh, "reason_en": en, "length_m": np.round(length, 1), "detour_ratio": np.round(detour, 2),
            "crosses": crosses, "from_source_id": from_id, "to_source_id": to_id,
        }, geometry=gpd.GeoSeries(links, crs=inputs.crs), crs=inputs.crs))
    feedback.set_progress(80)
    if len(roads_planned):
        gap_frames.append(_planned(net, roads_built, roads_planned, params, inputs, out))
    out.flags["flag_dead_end"] = dead
    out.shared["dead_end_points"] = pts
    out_gaps = [f for f in gap_frames if len(f)]
    out.shared["gap_points"] = (shapely.get_point(np.concatenate([f.geometry.values[f["code"].to_numpy() == "ROAD_GAP"]
                                                                  for f in out_gaps]), 0)
                                if out_gaps else np.array([], dtype=object))
    out.flags["road_gap"] = concat_flags(gap_frames, inputs.crs) if gap_frames else empty_flags(inputs.crs, GAP_EXTRA)
    km = float(shapely.length(roads_built.geometry.values).sum()) / 1000
    out.messages.append(f"roads: {net.n_nodes:,} nodes, {len(net.edge_u):,} segments, {net.t_splits:,} T-junctions "
                        f"without a shared vertex joined, {len(nodes):,} dead ends, "
                        f"{int((out.flags['road_gap']['code'] == 'ROAD_GAP').sum()):,} gaps on {km:,.1f} km of built road")
    return out


CROSSING_WORDS = {"建筑": "buildings", "水系": "water", "铁路": "railway"}


def crossings_en(text: str) -> str:
    """What a link crosses, in English ("建筑 JZ00734；水系 东河" -> "buildings JZ00734; water 东河")."""
    for zh, en in CROSSING_WORDS.items():
        text = text.replace(f"{zh} ", f"{en} ")
    return text.replace("；", "; ")


def _crossings(links: np.ndarray, inputs: AnalysisInputs, out: AnalysisOutput | None = None) -> list[str]:
    """What each proposed link crosses: buildings (by id), water and railways (by name or id),
    at most five named per kind, in the order the index finds them (" …" where there are more)."""
    result: list[list[str]] = [[] for _ in range(len(links))]
    if len(links) == 0:
        return [""] * len(links)
    for role, label, id_field in (("buildings", "建筑", "building_id"), ("water", "水系", "water_id"),
                                  ("rail", "铁路", "rail_id")):
        layer = inputs.layers.get(role)
        if layer is None or len(layer) == 0:
            continue
        tree = layer_tree(inputs, out, role) if out is not None else shapely.STRtree(layer.geometry.values)
        li, oi = tree.query(links, predicate="intersects")
        if len(li) == 0:
            continue
        names = layer[id_field].to_numpy(dtype=object)
        if role != "buildings" and "name" in layer:
            named = layer["name"].to_numpy(dtype=object)
            names = np.where(pd.isna(named) | (named == ""), names, named)
        hits = pd.DataFrame({"link": li, "name": names[oi].astype(str)})
        # per link: the distinct names among its first five hits, and " …" past five distinct ones
        first = hits[hits.groupby("link", sort=False).cumcount().to_numpy() < 5].drop_duplicates()
        listed = first.groupby("link", sort=True)["name"].agg(", ".join)
        more = hits.drop_duplicates().groupby("link", sort=True).size().reindex(listed.index) > 5
        listed = listed + np.where(more.to_numpy(), " …", "")
        for k, v in listed.items():
            result[int(k)].append(f"{label} {v}")
    return ["；".join(parts) for parts in result]


def _planned(net: RoadNetwork, roads_built: gpd.GeoDataFrame, planned: gpd.GeoDataFrame, params: dict[str, Any],
             inputs: AnalysisInputs, out: AnalysisOutput | None = None) -> gpd.GeoDataFrame:
    """Planned roads whose both ends meet built roads: they would connect existing roads."""
    tol = float(params["snap_tolerance_m"])
    geoms = shapely.line_merge(planned.geometry.values)
    first = shapely.get_point(shapely.get_geometry(geoms, 0), 0)
    last = shapely.get_point(shapely.get_geometry(geoms, -1), -1)
    # Planned pieces of one road chain: treat touching planned ends as continuing the link.
    hit_first = _touches_built(net, first, tol)
    hit_last = _touches_built(net, last, tol)
    m = hit_first & hit_last
    ids = planned["road_id"].to_numpy(dtype=object).astype(str)
    names = _names(planned, np.arange(len(planned)))
    length = shapely.length(planned.geometry.values)
    cls_zh, cls_en = class_words(planned, np.arange(len(planned)), inputs)
    lab_zh = _label(names, ids, "zh", cls_zh)[m]
    lab_en = _label(names, ids, "en", cls_en)[m]
    len_txt = pd.Series([f"{v:,.1f}" for v in length[m]], index=lab_zh.index, dtype=object)
    return gpd.GeoDataFrame({
        "source_layer": "roads", "source_id": ids[m], "code": "PLANNED_UNBUILT", "severity": np.full(int(m.sum()), 2, "int64"),
        "reason": (lab_zh + "为规划/在建道路（" + len_txt + " m），建成后可连通现状道路，属规划未建断头路").tolist(),
        "reason_en": (lab_en + " is planned / under construction (" + len_txt +
                      " m) and would connect existing roads: planned but unbuilt").tolist(),
        "length_m": np.round(length[m], 1), "detour_ratio": np.nan, "crosses": _crossings(planned.geometry.values[m], inputs, out),
        "from_source_id": ids[m], "to_source_id": ids[m],
    }, geometry=gpd.GeoSeries(planned.geometry.values[m], crs=inputs.crs), crs=inputs.crs)


def _touches_built(net: RoadNetwork, points: np.ndarray, tol: float) -> np.ndarray:
    pi, _ = net.tree.query(points, predicate="dwithin", distance=max(tol, 1e-6))
    out = np.zeros(len(points), dtype=bool)
    out[pi] = True
    return out


register(Analysis(
    id="roads",
    title="断头路与道路缺口",
    title_en="Dead-end roads and gaps",
    run=run,
    requires={"roads": []},
    optional={"roads": ["status", "road_class", "name", "bridge", "tunnel", "level", "oneway", "access"],
              "boundary": [], "buildings": [], "water": [], "rail": [], "restricted": []},
    codes=("DEAD_END", "ROAD_GAP", "PLANNED_UNBUILT"),
    outputs=(FlagLayer("flag_dead_end", "Point", "断头路端点", "Dead-end road ends",
                       fields=("road_name", "edge_distance_m", "in_gap"), visible=True),
             FlagLayer("road_gap", "LineString", "道路缺口与规划路", "Road gaps and planned links",
                       fields=("length_m", "detour_ratio", "crosses", "from_source_id", "to_source_id"),
                       popup=("flag_id", "code", "reason", "length_m", "detour_ratio", "crosses"), visible=True)),
    rules=(RuleCode("DEAD_END", "断头路端点", "Dead end", "#e41a1c", 2),
           RuleCode("ROAD_GAP", "道路缺口", "Road gap", "#7b3294", 2),
           RuleCode("PLANNED_UNBUILT", "规划未建道路", "Planned, not built", "#377eb8", 1)),
    products=(Product("road_network", "transient", "the built road network graph (rebuilt from the roads)"),
              Product("roads_built", "value", "built roads mask"),
              Product("dead_end_points", "value", "dead-end points"), Product("gap_points", "value", "gap end points"),
              Product(TREES, "transient", "spatial indexes of the input layers (buildings ...), built once")),
    basis="加快贯通城市断头路；QGIS拓扑检查“不得有悬挂点”；OSMnx 街道数",
    order=30,
    parameters=[
        Parameter("snap_tolerance_m", 1.0, "m", "捕捉容差", "Snapping tolerance",
                  "端点相距小于该距离视为相接", "ends closer than this are connected", 0.0, 50.0),
        Parameter("edge_buffer_m", 50.0, "m", "研究范围边缘缓冲", "Study-area edge buffer",
                  "距研究范围边界该距离内的端点不计为断头路（0为不排除）",
                  "ends within this distance of the study-area edge are not dead ends (0: none excluded)", 0.0, 5000.0),
        Parameter("excluded_classes", ["path"], "", "排除的道路等级", "Excluded road classes",
                  "这些等级道路的端点不计为断头路", "ends of roads of these classes are not flagged"),
        Parameter("gap_distance_m", 150.0, "m", "缺口搜索距离", "Gap distance",
                  "断头端点与其他道路的最大直线距离", "largest straight distance from a dead end to another road", 1.0, 2000.0),
        Parameter("detour_ratio", 3.0, "", "绕行系数不低于", "Detour ratio at least",
                  "网络距离不低于直线距离的该倍数", "network distance at least this times the straight distance", 1.0, 100.0),
        Parameter("detour_extra_m", 50.0, "m", "绕行增加距离不低于", "Detour at least longer by",
                  "网络距离比直线距离至少长出该值", "network distance at least this much longer", 0.0, 5000.0),
        Parameter("link_excluded_classes", ["expressway"], "", "不接入的道路等级", "Road classes links never join",
                  "建议连线不与这些等级的道路相接（快速路含高速公路、一级公路及其匝道；可加内部道路一并排除）",
                  "proposed links never join roads of these classes (expressway: motorway, trunk and their ramps; add "
                  "service to leave out service roads)"),
        Parameter("crossing_allowed", ["buildings"], "", "允许穿越（计入费用）", "Crossings allowed (cost stated)",
                  "建议连线可穿越的对象（建筑：需拆迁；水体：需建桥；铁路：需立交），其余穿越的连线不提出",
                  "what a proposed link may cross with its cost stated (buildings: demolition; water: a bridge; "
                  "rail: a grade separation); links crossing anything else are not proposed"),
        Parameter("duplicate_tolerance_m", 2.0, "m", "重复缺口容差", "Duplicate link tolerance",
                  "两端分别相距不超过该距离的建议连线视为同一条（只保留最短的一条）",
                  "links whose ends lie within this distance of each other's are one link (the shortest kept)",
                  0.0, 50.0),
        Parameter("short_gap_m", 50.0, "m", "短缺口（高优先）长度", "Short gap (high severity) up to",
                  "不超过该长度的缺口为严重程度3", "gaps up to this length have severity 3", 0.0, 2000.0),
    ],
))
