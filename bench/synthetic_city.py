"""A synthetic city for benchmarks, generated vectorised: ~1,000,000 buildings, ~200,000 road
segments, ~100,000 parcels, 5,000 facilities, with dead ends, gaps, T-junctions without shared
vertices and planned links. Returns harmonised layers (as the loader makes them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

X0, Y0 = 380_000.0, 4_480_000.0   # EPSG:4546, around Baotou
FACILITY_TYPES = ["kindergarten", "nursery", "primary_school", "middle_school", "clinic", "health_centre", "market",
                  "convenience_store", "elderly_care", "community_service", "fitness", "park", "culture", "bus_stop",
                  "parking", "charging", "shelter", "fire_station"]


def make_city(*, n_grid: int = 317, spacing: float = 80.0, buildings_per_block: int = 10,
              n_facilities: int = 5000, seed: int = 1, profile: str = "audit"):
    """``profile="audit"``: a city in poor shape (many flags, for the analysis benchmark);
    ``"portfolio"``: realistic shares (about 10% old housing, few unsafe buildings, facilities of
    the 15-minute types), giving about 100,000 flags for the deliverables benchmark."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    s = spacing
    ij = np.arange(n_grid)
    # Horizontal segments, except every 8th row, drawn as one long two-vertex arterial.
    hi, hj = np.meshgrid(ij[:-1], ij, indexing="ij")
    hi, hj = hi.ravel(), hj.ravel()
    art = hj % 8 == 0
    h_start = np.column_stack([X0 + hi * s, Y0 + hj * s])[~art]
    h_end = h_start + [s, 0]
    arterial_rows = ij[ij % 8 == 0]
    art_start = np.column_stack([np.full(len(arterial_rows), X0), Y0 + arterial_rows * s])
    art_end = art_start + [(n_grid - 1) * s, 0]
    vi, vj = np.meshgrid(ij, ij[:-1], indexing="ij")
    v_start = np.column_stack([X0 + vi.ravel() * s, Y0 + vj.ravel() * s])
    v_end = v_start + [0, s]
    # Gaps: 2,000 vertical segments become two stubs with a 30 m hole; 500 get a planned link.
    n_v = len(v_start)
    gap_idx = rng.choice(n_v, 1000 if profile == "portfolio" else 2000, replace=False)
    keep_v = np.ones(n_v, dtype=bool)
    keep_v[gap_idx] = False
    mid = (v_start[gap_idx] + v_end[gap_idx]) / 2
    stub_a = (v_start[gap_idx], mid - [0, 15])
    stub_b = (mid + [0, 15], v_end[gap_idx])
    planned = (mid[:500] - [0, 15], mid[:500] + [0, 15])
    # Cul-de-sacs: 8,000 stubs of 30 m from the middle of a horizontal segment into the block
    # (their start touches the segment's interior: a T-junction without a shared vertex).
    pick = rng.choice(len(h_start), 2000 if profile == "portfolio" else 8000, replace=False)
    cds_start = (h_start[pick] + h_end[pick]) / 2
    cds = (cds_start, cds_start + [0, 30])
    starts = np.concatenate([h_start, art_start, v_start[keep_v], stub_a[0], stub_b[0], cds[0], planned[0]])
    ends = np.concatenate([h_end, art_end, v_end[keep_v], stub_a[1], stub_b[1], cds[1], planned[1]])
    n_built = len(starts) - len(planned[0])
    geoms = shapely.linestrings(np.stack([starts, ends], axis=1))
    roads = gpd.GeoDataFrame({
        "road_id": np.char.add("R", np.arange(len(geoms)).astype(str)).astype(object),
        "name": None,
        "road_class": np.where(np.arange(len(geoms)) < len(h_start) + len(art_start), "arterial", "local").astype(object),
        "status": np.where(np.arange(len(geoms)) < n_built, "built", "planned").astype(object),
    }, geometry=geoms, crs=4546)

    # Blocks, parcels (one per block), buildings (buildings_per_block per block in 2 rows).
    bi, bj = np.meshgrid(ij[:-1], ij[:-1], indexing="ij")
    bx, by = X0 + bi.ravel() * s, Y0 + bj.ravel() * s
    n_blocks = len(bx)
    parcels_geom = shapely.box(bx + 8, by + 8, bx + s - 8, by + s - 8)
    status = rng.choice(["built", "supplied", "approved_not_supplied", "reserve"], n_blocks, p=[0.9, 0.06, 0.02, 0.02])
    agreed = pd.Series(pd.to_datetime("2018-01-01") + pd.to_timedelta(rng.integers(0, 3000, n_blocks), unit="D"))
    started = rng.random(n_blocks) < 0.5
    parcels = gpd.GeoDataFrame({
        "parcel_id": np.char.add("P", np.arange(n_blocks).astype(str)).astype(object),
        "land_use": rng.choice(["R2", "B1", "M1", "0701"], n_blocks).astype(object),
        "status": status.astype(object),
        "supply_type": np.where(status == "supplied", "transfer", None).astype(object),
        "supply_date": (agreed - pd.Timedelta(days=180)).where(status == "supplied"),
        "agreed_start": agreed.where(status == "supplied"),
        "actual_start": (agreed + pd.Timedelta(days=30)).where((status == "supplied") & started),
        "suspended_since": (agreed + pd.Timedelta(days=400)).where((status == "supplied") & started),
        "dev_ratio": rng.random(n_blocks), "invest_ratio": rng.random(n_blocks), "delay_cause": None,
        "plan_far": rng.uniform(0.8, 3.0, n_blocks), "area": np.nan,
    }, geometry=parcels_geom, crs=4546)
    k = buildings_per_block
    per_row = k // 2
    col = np.tile(np.arange(k) % per_row, n_blocks)
    row = np.tile(np.arange(k) // per_row, n_blocks)
    block = np.repeat(np.arange(n_blocks), k)
    w = (s - 20) / per_row
    gx = bx[block] + 10 + col * w
    gy = by[block] + 12 + row * (s - 24) / 2
    bgeom = shapely.box(gx, gy, gx + w * 0.7, gy + 12)
    n_b = len(bgeom)
    realistic = profile == "portfolio"
    compound_id = (bi.ravel()[block] // 3) * 1000 + bj.ravel()[block] // 3
    old_compound = (np.bincount(compound_id.astype(np.int64)) > 0) & (rng.random(compound_id.max() + 1) < 0.06)
    old_b = old_compound[compound_id]
    year = (np.where(old_b, rng.integers(1960, 2001, n_b), rng.integers(2001, 2024, n_b))
            if realistic else rng.integers(1960, 2024, n_b)).astype(float)
    decade = rng.random(n_b) < 0.1
    year_max = np.where(decade, year // 10 * 10 + 9, year)
    year = np.where(decade, year // 10 * 10, year)
    use = rng.choice(["residential", "commercial", "office", "mixed", "industrial", "public"], n_b,
                     p=[0.6, 0.12, 0.08, 0.08, 0.07, 0.05])
    floors = rng.integers(1, 20, n_b)
    buildings = gpd.GeoDataFrame({
        "building_id": np.char.add("B", np.arange(n_b).astype(str)).astype(object),
        "year_built": year, "year_built_max": year_max, "floors": pd.array(floors, dtype="Int64"),
        "use": use.astype(object),
        "has_elevator": pd.array((~old_b | (floors >= 7)) if realistic else rng.random(n_b) < 0.5, dtype="boolean"),
        "safety_grade": np.where(old_b | (not realistic), rng.choice(["A", "B", "C", "D"], n_b, p=[0.5, 0.4, 0.08, 0.02]),
                                 "A").astype(object),
        "structure": np.where(old_b | (not realistic), rng.choice(["masonry", "frame", "reinforced_concrete", "precast_slab"],
                                                             n_b, p=[0.3, 0.3, 0.3, 0.1]), "frame").astype(object),
        "households": pd.array(np.where(use == "residential", floors * 4, 0), dtype="Int64"),
        "floor_area": np.nan,
        # A compound spans 3 x 3 blocks (about 240 m square).
        "compound": np.char.add("小区", compound_id.astype(str)).astype(object),
        "vacancy_rate": np.where(np.isin(use, ["office", "commercial"]),
                                 rng.random(n_b) * (0.505 if realistic else 1.0), np.nan),
    }, geometry=bgeom, crs=4546)
    fi = rng.integers(0, len(h_start), n_facilities)
    fpos = h_start[fi] + [s / 2, 6]
    facilities = gpd.GeoDataFrame({
        "facility_id": np.char.add("F", np.arange(n_facilities).astype(str)).astype(object),
        "name": None, "type": rng.choice(["middle_school", "health_centre", "culture", "park"] if realistic
                                         else FACILITY_TYPES, n_facilities).astype(object),
    }, geometry=shapely.points(fpos), crs=4546)
    extent = (n_grid - 1) * s
    boundary = gpd.GeoDataFrame({"district_id": ["W", "E"], "name": ["西区", "东区"]},
                                geometry=[shapely.box(X0 - 30, Y0 - 30, X0 + extent / 2, Y0 + extent + 30),
                                          shapely.box(X0 + extent / 2, Y0 - 30, X0 + extent + 30, Y0 + extent + 30)],
                                crs=4546)
    return {"roads": roads, "parcels": parcels, "buildings": buildings, "facilities": facilities, "boundary": boundary}


BENCH_NAME = "基准城市 Benchmark city"
PORTFOLIO_SERVICE_TYPES = "middle_school,health_centre,culture,park"


def bench_workspace(profile: str = "portfolio", *, params: dict | None = None, layers: dict | None = None):
    """The benchmarks' workspace: the synthetic city of ``profile`` (or the ``layers`` given) loaded
    as harmonised layers in EPSG:4546, and its run configuration (as-of 2026-06-30; the
    "portfolio" city checks only the service types it has facilities of). Returns
    ``(workspace, config, layers)``."""
    import datetime as dt

    from pyproj import CRS

    from planner.catalogue import default_catalogue
    from planner.io.loading import LayerReport, LoadedLayer
    from planner.pipeline import Workspace
    from planner.project import RunConfig

    cat = default_catalogue()
    layers = make_city(profile=profile) if layers is None else layers
    ws = Workspace(CRS.from_epsg(4546), "bench", catalogue=cat)
    for role, frame in layers.items():
        rep = LayerReport(role, "bench", None, "bench", None, "", "EPSG:4546", "")
        ws.layers[role] = LoadedLayer(role, frame, rep, cat.layer(role))
    if params is None:
        params = {"services.types": PORTFOLIO_SERVICE_TYPES} if profile == "portfolio" else {}
    cfg = RunConfig(name=BENCH_NAME, as_of=dt.date(2026, 6, 30), params=dict(params))
    return ws, cfg, layers


def write_osm_xml(roads, path) -> int:
    """The built roads as OSM XML (nodes shared where coordinates are equal; arterials carry a
    node at every crossing as OSM would), in degrees, for OSMnx's graph_from_xml."""
    from pyproj import Transformer

    built = roads[roads["status"] == "built"]
    geoms = built.geometry.values
    # Split the two-vertex arterials at every grid crossing so that OSM ways share nodes there.
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    xs = np.unique(coords[:, 0])
    is_art = (built["road_class"] == "arterial").to_numpy() & (shapely.get_num_coordinates(geoms) == 2)
    pts_list = []
    art_idx = np.flatnonzero(is_art)
    c0 = coords[np.searchsorted(idx, art_idx)]
    c1 = coords[np.searchsorted(idx, art_idx) + 1]
    for a, b in zip(c0, c1, strict=True):  # one loop per arterial line (a few dozen)
        inner = xs[(xs > min(a[0], b[0])) & (xs < max(a[0], b[0]))]
        pts = np.vstack([a, np.column_stack([inner, np.full(len(inner), a[1])]), b])
        pts_list.append(pts)
    other = np.flatnonzero(~is_art)
    seg = np.stack([coords[np.searchsorted(idx, other)], coords[np.searchsorted(idx, other) + 1]], axis=1)
    all_pts = np.vstack([*pts_list, seg.reshape(-1, 2)])
    uniq, inv = np.unique(np.round(all_pts, 3), axis=0, return_inverse=True)
    inv = inv.ravel()
    lon, lat = Transformer.from_crs(4546, 4326, always_xy=True).transform(uniq[:, 0], uniq[:, 1])
    node_lines = np.char.add(np.char.add(np.char.add(np.char.add(
        '  <node id="', (np.arange(len(uniq)) + 1).astype(str)), '" lat="'), np.char.mod("%.8f", lat)),
        np.char.add(np.char.add('" lon="', np.char.mod("%.8f", lon)), '" version="1"/>'))
    ways = []
    pos = 0
    wid = 1
    for pts in pts_list:
        ids = inv[pos:pos + len(pts)] + 1
        pos += len(pts)
        nds = "".join(f'<nd ref="{i}"/>' for i in ids)
        ways.append(f'  <way id="{wid}" version="1">{nds}<tag k="highway" v="primary"/></way>')
        wid += 1
    a = inv[pos::2][: len(other)] + 1
    b = inv[pos + 1::2][: len(other)] + 1
    way_ids = (np.arange(len(other)) + wid).astype(str)
    seg_lines = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
        '  <way id="', way_ids), '" version="1"><nd ref="'), a.astype(str)), '"/><nd ref="'),
        np.char.add(b.astype(str), '"/><tag k="highway" v="residential"/></way>'))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="renewal-planner bench">\n')
        fh.write("\n".join(node_lines.tolist()))
        fh.write("\n")
        fh.write("\n".join(ways))
        fh.write("\n")
        fh.write("\n".join(seg_lines.tolist()))
        fh.write("\n</osm>\n")
    return len(other) + len(ways)


def make_irregular_city(*, n_buildings: int = 1_000_000, n_blocks: int = 150_000, half_size: float = 20_000.0,
                        seed: int = 11):
    """A second, differently generated city (the render benchmark's other city): irregular blocks
    (Voronoi cells of seeds that crowd towards the centre, so blocks are small and dense there
    and large at the edge, each shrunk by a street setback) filled with rotated footprints (each
    block has its own orientation, along its longest edge; rows of footprints sized by the block,
    each a few degrees off its row; a quarter of them L-shaped), ``n_buildings`` of them (a random
    subset of those that fit). Only the buildings (harmonised fields), in EPSG:4546."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    cx, cy = X0 + half_size, Y0 + half_size
    # Block seeds: a dense core (a Gaussian) over a sparse spread, kept inside the square.
    n_core = int(n_blocks * 0.55)
    core = rng.normal(0, half_size * 0.28, (n_core, 2))
    spread = rng.uniform(-half_size, half_size, (n_blocks - n_core, 2))
    pts = np.vstack([core, spread])
    pts = pts[(np.abs(pts) < half_size * 0.98).all(axis=1)] + [cx, cy]
    frame_box = shapely.box(cx - half_size, cy - half_size, cx + half_size, cy + half_size)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame_box))
    cells = shapely.intersection(cells, frame_box)
    area = shapely.area(cells)
    setback = np.clip(np.sqrt(area) * 0.06, 4.0, 12.0)  # wider streets round larger blocks
    blocks = shapely.buffer(cells, -setback, join_style="mitre")
    blocks = blocks[~shapely.is_empty(blocks) & (shapely.area(blocks) > 400)]
    nb = len(blocks)
    shapely.prepare(blocks)
    # Each block: an orientation (its longest edge's, jittered) and a footprint size by block size.
    ring = shapely.get_coordinates(shapely.get_exterior_ring(blocks), return_index=True)
    xy, owner = ring
    d = np.diff(xy, axis=0)
    same = owner[1:] == owner[:-1]
    seg_len = np.where(same, np.hypot(d[:, 0], d[:, 1]), -1.0)
    order = np.lexsort((-seg_len, owner[:-1]))
    first = order[np.r_[0, np.flatnonzero(np.diff(owner[:-1][order])) + 1]]
    theta = np.arctan2(d[first, 1], d[first, 0]) + rng.normal(0, 0.05, nb)
    barea = shapely.area(blocks)
    scale = np.clip(np.sqrt(np.sqrt(barea) / 60.0), 0.6, 1.8)  # larger blocks: somewhat larger footprints, and more
    length = rng.uniform(14, 30, nb) * scale
    depth = rng.uniform(9, 14, nb) * np.sqrt(scale)
    gap_x, gap_y = length * rng.uniform(0.1, 0.35, nb), depth * rng.uniform(0.3, 0.8, nb)
    # Candidate grid per block in its own frame, then rotated into place; keep those inside.
    c = shapely.centroid(blocks)
    bx, by = shapely.get_x(c), shapely.get_y(c)
    far = np.hypot(xy[:, 0] - bx[owner], xy[:, 1] - by[owner])
    radius = np.maximum.reduceat(far, np.r_[0, np.flatnonzero(np.diff(owner)) + 1])  # the farthest corner
    nx = np.maximum(1, np.ceil(2 * radius / (length + gap_x))).astype(np.int64)
    ny = np.maximum(1, np.ceil(2 * radius / (depth + gap_y))).astype(np.int64)
    per = nx * ny
    blk = np.repeat(np.arange(nb), per)
    k = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    ix, iy = k % nx[blk], k // nx[blk]
    u = (ix - (nx[blk] - 1) / 2) * (length + gap_x)[blk]
    v = (iy - (ny[blk] - 1) / 2) * (depth + gap_y)[blk]
    mx = bx[blk] + u * np.cos(theta[blk]) - v * np.sin(theta[blk])
    my = by[blk] + u * np.sin(theta[blk]) + v * np.cos(theta[blk])
    near = shapely.contains_xy(blocks[blk], mx, my)  # centres inside first (cheap), footprints below
    blk, mx, my = blk[near], mx[near], my[near]
    ang = theta[blk] + rng.normal(0, 0.04, len(blk))  # each footprint a few degrees off its row
    cos_a, sin_a = np.cos(ang), np.sin(ang)
    hl = length[blk] / 2 * rng.uniform(0.7, 1.0, len(blk))
    hd = depth[blk] / 2 * rng.uniform(0.85, 1.0, len(blk))
    # Footprint shapes in the local frame: a rectangle, or an L (6 vertices) for a quarter of them.
    ell = rng.random(len(blk)) < 0.25
    loc_rect = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1], [-1, -1], [-1, -1]], dtype=float)
    loc_ell = np.array([[-1, -1], [1, -1], [1, 0.1], [0.1, 0.1], [0.1, 1], [-1, 1], [-1, -1]], dtype=float)
    loc = np.where(ell[:, None, None], loc_ell, loc_rect)
    lx, ly = loc[..., 0] * hl[:, None], loc[..., 1] * hd[:, None]
    gx = mx[:, None] + lx * cos_a[:, None] - ly * sin_a[:, None]
    gy = my[:, None] + lx * sin_a[:, None] + ly * cos_a[:, None]
    coords = np.stack([gx, gy], axis=-1)
    n_vertex = np.where(ell, 7, 5)
    flat = coords.reshape(-1, 2)[(np.arange(7)[None, :] < n_vertex[:, None]).ravel()]
    ring_id = np.repeat(np.arange(len(blk)), n_vertex)
    cand = shapely.polygons(shapely.linearrings(flat, indices=ring_id))
    inside = shapely.contains(blocks[blk], cand)
    keep = np.flatnonzero(inside)
    if len(keep) > n_buildings:
        keep = np.sort(rng.choice(keep, n_buildings, replace=False))
    geoms = cand[keep]
    n_b = len(geoms)
    use = rng.choice(["residential", "commercial", "office", "mixed", "industrial", "public"], n_b,
                     p=[0.6, 0.12, 0.08, 0.08, 0.07, 0.05])
    year = rng.integers(1960, 2024, n_b).astype(float)
    floors = rng.integers(1, 30, n_b)
    return gpd.GeoDataFrame({
        "building_id": np.char.add("B", np.arange(n_b).astype(str)).astype(object),
        "year_built": year, "year_built_max": year, "floors": pd.array(floors, dtype="Int64"),
        "use": use.astype(object),
        "compound": np.char.add("小区", blk[keep].astype(str)).astype(object),
    }, geometry=geoms, crs=4546)
