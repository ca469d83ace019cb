"""Readable places for project names: a road's name, or for an unnamed road the nearest named
road ("「昆河路」附近无名道路") or its district ("友谊街道无名道路"), never a raw id (an OSM way id
such as 239184459 means nothing to a planner reading 项目库)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely

NEAR_M = 300.0   # an unnamed road is placed by a named road at most this far away


def _text(values: object, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, "", dtype=object)
    s = pd.Series(np.asarray(values, dtype=object)).astype("string").fillna("").str.strip()
    return s.to_numpy(dtype=object)


def unnamed_road_labels(own: np.ndarray, near: np.ndarray, district: object = None) -> np.ndarray:
    """The label of each road in a project name: its name; for an unnamed road
    "「nearest」附近无名道路", else "<district>无名道路", else "无名道路"."""
    own = _text(own, len(own))
    near = _text(near, len(own))
    dist = _text(district, len(own))
    fallback = np.where(dist != "", dist + "无名道路", "无名道路")
    return np.where(own != "", own, np.where(near != "", "「" + near + "」附近无名道路", fallback)).astype(object)


def place_labels(points: np.ndarray, own: object, roads: pd.DataFrame | None,
                 district_of: Callable[[np.ndarray], object] | None = None, *, near_m: float = NEAR_M) -> np.ndarray:
    """The label for project names of places on roads: ``own`` (the road's name) where there is
    one; else, for a place on an unnamed road, the named road of ``roads`` nearest to the place
    (``points``: where the link ends, where the site is) within ``near_m`` metres, else the
    place's district (``district_of(geoms)``), else 无名道路."""
    points = np.asarray(points, dtype=object)
    own = _text(own, len(points))
    near = np.full(len(points), "", dtype=object)
    lost = np.flatnonzero((own == "") & ~shapely.is_missing(points) & ~shapely.is_empty(points))
    if len(lost) and roads is not None and len(roads) and "name" in roads:
        names = _text(roads["name"].to_numpy(dtype=object), len(roads))
        geoms = np.asarray(roads.geometry.values, dtype=object)
        which = np.flatnonzero((names != "") & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
        if len(which):   # one nearest query of the places against the named roads
            src, dst = shapely.STRtree(geoms[which]).query_nearest(points[lost], max_distance=near_m,
                                                                   all_matches=False)
            near[lost[src]] = names[which[dst]]
    need = np.flatnonzero((own == "") & (near == ""))
    dist = np.full(len(points), "", dtype=object)
    if district_of is not None and len(need):
        dist[need] = _text(district_of(points[need]), len(need))
    return unnamed_road_labels(own, near, dist)


def nearest_named_road(points: np.ndarray, roads: pd.DataFrame | None, *, near_m: float = NEAR_M) -> np.ndarray:
    """The name of the named road of ``roads`` nearest to each of ``points`` (any geometry)
    within ``near_m`` metres, else ""; one nearest query."""
    points = np.asarray(points, dtype=object)
    out = np.full(len(points), "", dtype=object)
    ok = np.flatnonzero(~shapely.is_missing(points) & ~shapely.is_empty(points))
    if not len(ok) or roads is None or len(roads) == 0 or "name" not in roads:
        return out
    names = _text(roads["name"].to_numpy(dtype=object), len(roads))
    geoms = np.asarray(roads.geometry.values, dtype=object)
    which = np.flatnonzero((names != "") & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if len(which):
        src, dst = shapely.STRtree(geoms[which]).query_nearest(points[ok], max_distance=near_m, all_matches=False)
        out[ok[src]] = names[which[dst]]
    return out


def location_labels(points: np.ndarray, roads: pd.DataFrame | None, *, compound: object = None,
                    district: object = None, lang: str = "zh", near_m: float = NEAR_M) -> np.ndarray:
    """Where a feature is, in words a planner can find: its compound (小区) where known, and the
    named road nearest to it within ``near_m`` ("甲小区，「昆河路」旁"); without either its district;
    else ""."""
    n = len(points)
    road = nearest_named_road(points, roads, near_m=near_m)
    comp = _text(compound, n)
    dist = _text(district, n)
    if lang == "zh":
        near = np.where(road != "", "「" + road.astype(str) + "」旁", "")
        sep = "，"
    else:
        near = np.where(road != "", "near '" + road.astype(str) + "'", "")
        sep = ", "
    both = (comp != "") & (near != "")
    out = np.where(both, comp.astype(str) + sep + near, np.where(comp != "", comp, near))
    return np.where(out != "", out, dist).astype(object)
