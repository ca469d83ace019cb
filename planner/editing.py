"""Geometry and portfolio edits as pure functions (the GUI wraps each in an undoable command).

Vertices are addressed by their position in ``shapely.get_coordinates(geom)`` order (exterior
ring then holes, part by part); closed rings keep their first and last vertex together."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely import Geometry  # shapely ships no type information: mypy reads it as Any

from planner.arrays import FloatArray, GeometryArray, IndexArray, IntegerArray
from planner.errors import InputError


def replace_rows(frame: gpd.GeoDataFrame, drop_rows: Iterable[int],
                 new_rows: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """A new GeoDataFrame without ``drop_rows`` (positions) and with ``new_rows`` appended."""
    kept = frame.drop(frame.index[list(drop_rows)])
    parts = [kept] if new_rows is None else [kept, new_rows]
    return type(frame)(pd.concat(parts, ignore_index=True), crs=frame.crs)


def with_geometry(frame: gpd.GeoDataFrame, row: int, geom: Geometry | None) -> gpd.GeoDataFrame:
    """A copy of ``frame`` whose feature at position ``row`` has the geometry ``geom``."""
    geoms = np.asarray(frame.geometry.values).copy()
    geoms[row] = geom
    return frame.set_geometry(type(frame.geometry)(geoms, index=frame.index, crs=frame.crs))


def vertex_rings(geom: Geometry) -> tuple[FloatArray, IndexArray]:
    """Coordinates of a geometry and, for each, the index of the ring (or line) it belongs to."""
    if shapely.get_type_id(geom) in (3, 6):
        parts = shapely.get_parts(geom)
        rings = shapely.get_rings(parts)
    else:
        rings = shapely.get_parts(geom)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    return xy, ring


def nearest_vertex(geom: Geometry, x: float, y: float) -> tuple[int, float]:
    xy, _ = vertex_rings(geom)
    d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    i = int(np.argmin(d))
    return i, float(d[i])


def move_vertex(geom: Geometry, index: int, x: float, y: float) -> Geometry:
    """The geometry with vertex ``index`` moved to (x, y) (both ends of a closed ring move)."""
    xy, ring = vertex_rings(geom)
    xy = xy.copy()
    xy[index] = (x, y)
    first = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    last = np.r_[first[1:] - 1, len(xy) - 1]
    r = ring[index]
    if shapely.get_type_id(geom) in (3, 6):
        if index == first[r]:
            xy[last[r]] = (x, y)
        elif index == last[r]:
            xy[first[r]] = (x, y)
    out = shapely.set_coordinates(shapely.transform(geom, lambda c: c), xy)  # a copy, then the new coordinates
    return shapely.make_valid(out) if not shapely.is_valid(out) else out


def snap(x: float, y: float, candidates: GeometryArray, tolerance: float) -> tuple[float, float, str]:
    """(x, y) snapped to the nearest vertex within ``tolerance``, else the nearest point on a
    segment within it, else unchanged; the third value says which ("vertex", "segment", "")."""
    if len(candidates) == 0 or tolerance <= 0:
        return x, y, ""
    p = shapely.Point(x, y)
    near = candidates[shapely.dwithin(candidates, p, tolerance)]
    if len(near) == 0:
        return x, y, ""
    xy = shapely.get_coordinates(near)
    d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    if len(d) and d.min() <= tolerance:
        i = int(np.argmin(d))
        return float(xy[i, 0]), float(xy[i, 1]), "vertex"
    # segments: polygons' outlines and lines themselves (a line's boundary is its end points)
    kind = shapely.get_type_id(near)
    boundaries = np.where(np.isin(kind, [3, 6]), shapely.boundary(near), near)
    boundaries = boundaries[np.isin(shapely.get_type_id(boundaries), [1, 2, 5])]
    if len(boundaries) == 0:
        return x, y, ""
    dist = shapely.distance(boundaries, p)
    b = boundaries[int(np.argmin(dist))]
    q = shapely.line_interpolate_point(b, shapely.line_locate_point(b, p))
    return float(q.x), float(q.y), "segment"


def split_polygon(geom: Geometry, line: Geometry) -> list[Geometry]:
    """The pieces of a polygon cut by a line that crosses it (at least two), largest first."""
    from shapely.ops import split

    pieces = [g for g in shapely.get_parts(split(shapely.make_valid(geom), line)) if shapely.area(g) > 0]
    if len(pieces) < 2:
        raise InputError("the line does not cut the polygon in two.", hint="draw the line across the whole shape.")
    return sorted(pieces, key=lambda g: -shapely.area(g))


def split_by_sides(geom: Geometry, line: Geometry) -> list[Geometry]:
    """A polygon or multipolygon cut by a line into the parts on each side of it (a project of
    many buildings becomes two projects, not one per building), largest first."""
    from shapely.ops import split

    geom = shapely.make_valid(geom)
    if shapely.get_num_geometries(geom) <= 1:
        return split_polygon(geom, line)
    x0, y0, x1, y1 = shapely.bounds(geom)
    pad: float = max(x1 - x0, y1 - y0) + 10.0
    frame = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    # the line with its ends extended past the frame, so that it divides the whole extent
    blade = line
    coords = shapely.get_coordinates(line)
    if len(coords) >= 2:
        def extended(a: FloatArray, b: FloatArray) -> FloatArray:
            d = b - a
            n = float(np.hypot(*d)) or 1.0
            return b + d / n * (4 * pad)
        start, end = extended(coords[1], coords[0]), extended(coords[-2], coords[-1])
        blade = shapely.LineString(np.vstack([start, coords, end]))
    regions = [g for g in shapely.get_parts(split(frame, blade)) if shapely.area(g) > 0]
    if len(regions) < 2:
        raise InputError("the line does not divide the project.", hint="draw the line across the whole project.")
    parts = shapely.get_parts(split(geom, line)) if shapely.intersects(geom, line) else shapely.get_parts(geom)
    parts = np.asarray([g for g in parts if shapely.area(g) > 0], dtype=object)
    where = np.array([int(np.argmax([shapely.area(shapely.intersection(g, r)) for r in regions])) for g in parts])
    sides = [shapely.union_all(parts[where == k]) for k in range(len(regions)) if (where == k).any()]
    if len(sides) < 2:
        raise InputError("the line does not divide the project.", hint="draw the line between its parts.")
    return sorted(sides, key=lambda g: -shapely.area(g))


def split_line(geom: Geometry, blade: Geometry) -> list[Geometry]:
    from shapely.ops import split

    pieces = list(shapely.get_parts(split(geom, blade)))
    if len(pieces) < 2:
        raise InputError("the cut does not cross the line.", hint="draw the cut across the line.")
    return pieces


def merge_polygons(geoms: npt.ArrayLike) -> Geometry:
    return shapely.make_valid(shapely.union_all(np.asarray(geoms)))


SUMMED = ["buildings", "floor_area_m2", "households", "parcel_area_m2", "road_length_m", "quantity", "estimated_cost"]


def _union_ids(column: pd.Series) -> str:
    """The comma-joined ids of a column of comma-joined id lists, each once, in first-seen order."""
    ids = ",".join(column.fillna("").astype(str)).split(",")
    return ",".join(dict.fromkeys(i.strip() for i in ids if i.strip() and i.strip() != "nan"))


def merge_projects(projects: gpd.GeoDataFrame, rows: list[int], *, new_id: str | None = None) -> gpd.GeoDataFrame:
    """Projects table with ``rows`` merged into one (quantities and costs summed, flags joined,
    the highest score and earliest phase kept)."""
    if len(rows) < 2:
        raise InputError("select at least two projects to merge.", hint="select them in the table or on the map.")
    part = projects.iloc[rows]
    merged = part.iloc[[0]].copy()
    for c in SUMMED:
        if c in part:
            merged[c] = pd.to_numeric(part[c], errors="coerce").sum()
    merged["flags"] = _union_ids(part["flags"])
    for c in ("building_ids", "parcel_ids"):  # membership: the totals count distinct members
        if c in part:
            merged[c] = _union_ids(part[c])
    merged["flag_count"] = len([f for f in merged["flags"].iloc[0].split(",") if f])
    merged["priority_score"] = part["priority_score"].max()
    merged["phase"] = sorted(part["phase"].astype(str))[0]
    merged["name"] = str(part["name"].iloc[0]) + f"（合并{len(rows)}项）"
    merged["notes"] = "合并自 " + ", ".join(part["project_id"].astype(str))
    merged["project_id"] = new_id or str(part["project_id"].iloc[0]) + "M"
    merged = merged.set_geometry([merge_polygons(part.geometry.values)], crs=projects.crs)
    return replace_rows(projects, rows, merged)


def split_project(projects: gpd.GeoDataFrame, row: int, line: Geometry) -> gpd.GeoDataFrame:
    """Projects table with project ``row`` cut by ``line`` into two; quantities and costs are
    shared in proportion to area."""
    p = projects.iloc[[row]]
    pieces = split_by_sides(p.geometry.values[0], line)
    total = sum(shapely.area(g) for g in pieces)
    out: list[gpd.GeoDataFrame] = []
    for k, g in enumerate(pieces):
        q = p.copy()
        share = shapely.area(g) / total
        for c in SUMMED:
            if c in q:
                q[c] = pd.to_numeric(q[c], errors="coerce") * share
        q["project_id"] = f"{p['project_id'].iloc[0]}-{k + 1}"
        q["name"] = f"{p['name'].iloc[0]}（{k + 1}）"
        q = q.set_geometry([g], crs=projects.crs)
        out.append(q)
    return replace_rows(projects, [row], pd.concat(out))


def _rebuild(geom: Geometry, xy: FloatArray, ring: IntegerArray) -> Geometry:
    """A polygon / multipolygon / line rebuilt from edited coordinates and ring ids."""
    tid = shapely.get_type_id(geom)
    rings = [xy[ring == r] for r in np.unique(ring)]
    if tid == 3:
        return shapely.Polygon(rings[0], rings[1:])
    if tid == 6:  # keep the part structure: rings counted per part
        parts, out, k = shapely.get_parts(geom), [], 0
        for part in parts:
            n = 1 + shapely.get_num_interior_rings(part)
            out.append(shapely.Polygon(rings[k], rings[k + 1:k + n]))
            k += n
        return shapely.MultiPolygon(out)
    if tid == 1:
        return shapely.LineString(rings[0])
    if tid == 5:
        return shapely.MultiLineString(rings)
    return geom


def add_vertex(geom: Geometry, x: float, y: float) -> Geometry:
    """Insert a vertex at (x, y) into the segment nearest to it."""
    xy, ring = vertex_rings(geom)
    a, b = xy[:-1], xy[1:]
    same = ring[:-1] == ring[1:]
    ab = b - a
    t = np.clip(((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1]) / np.maximum((ab ** 2).sum(1), 1e-18), 0, 1)
    d = np.hypot(a[:, 0] + t * ab[:, 0] - x, a[:, 1] + t * ab[:, 1] - y)
    d[~same] = np.inf
    i = int(np.argmin(d))
    return _rebuild(geom, np.insert(xy, i + 1, (x, y), axis=0), np.insert(ring, i + 1, ring[i]))


def delete_vertex(geom: Geometry, index: int) -> Geometry:
    """Remove a vertex (a ring keeps at least a triangle; a line at least two points)."""
    xy, ring = vertex_rings(geom)
    r = ring[index]
    n = int((ring == r).sum())
    polygonal = shapely.get_type_id(geom) in (3, 6)
    if (polygonal and n <= 4) or (not polygonal and n <= 2):
        raise InputError("the shape cannot lose another vertex.", hint="delete the feature instead.")
    idx = np.flatnonzero(ring == r)
    if polygonal and index in (idx[0], idx[-1]):  # the closing vertex: drop both ends, re-close
        keep = np.ones(len(xy), dtype=bool)
        keep[[idx[0], idx[-1]]] = False
        xy2, ring2 = xy[keep], ring[keep]
        first = np.flatnonzero(ring2 == r)[0]
        xy2 = np.insert(xy2, np.flatnonzero(ring2 == r)[-1] + 1, xy2[first], axis=0)
        ring2 = np.insert(ring2, np.flatnonzero(ring2 == r)[-1] + 1, r)
        return _rebuild(geom, xy2, ring2)
    return _rebuild(geom, np.delete(xy, index, axis=0), np.delete(ring, index))


def move_feature(geom: Geometry, dx: float, dy: float) -> Geometry:
    return shapely.transform(geom, lambda c: c + np.array([dx, dy]))
