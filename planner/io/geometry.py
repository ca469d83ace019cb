"""Geometry of one family (polygon, line, point): what inputs are conformed to and what every
output layer holds.

Vectorised over whole arrays (shapely 2): collections are exploded once per nesting level, not
per feature. Curved geometries never get here: GDAL linearises them as it reads
(:func:`planner.io.readers.read_vector`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from planner.arrays import BoolArray, GeometryArray

# shapely type ids: 0 Point, 1 LineString, 2 LinearRing, 3 Polygon, 4 MultiPoint,
# 5 MultiLineString, 6 MultiPolygon, 7 GeometryCollection
FAMILY_TYPES = {"polygon": (3, 6), "line": (1, 2, 5), "point": (0, 4)}
SINGLE_TYPES = {"polygon": 3, "line": 1, "point": 0}
TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
              5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
_MULTI = {"polygon": shapely.multipolygons, "line": shapely.multilinestrings, "point": shapely.multipoints}


def family_of(geometry_type: str) -> str | None:
    """'MultiPolygon' -> 'polygon', 'LineString' -> 'line', 'Point' -> 'point', else None."""
    t = geometry_type.lower()
    for key, word in (("polygon", "polygon"), ("line", "line"), ("point", "point")):
        if word in t:
            return key
    return None


@dataclass
class Conformed:
    geoms: GeometryArray
    exploded: BoolArray    # collections (or multi-parts of single layers) reduced to the family
    lost: BoolArray        # holding nothing of the family (None in ``geoms``)


def conform(geoms: npt.ArrayLike, family: str, *, single: bool = False) -> Conformed:
    """Every geometry as one of ``family``: collections keep their parts of the family (as a
    multi-geometry), geometries of another family become None (``lost``). With ``single``,
    multi-geometries become single ones: one-part ones directly, lines merged where they
    join (else the longest part), points and polygons their largest or first part."""
    arr: GeometryArray = np.asarray(geoms, dtype=object).copy()
    n = len(arr)
    exploded = np.zeros(n, dtype=bool)
    lost = np.zeros(n, dtype=bool)
    if n == 0:
        return Conformed(arr, exploded, lost)
    present = ~shapely.is_missing(arr)
    types = np.full(n, -1)
    types[present] = shapely.get_type_id(arr[present])
    allowed = FAMILY_TYPES[family]
    collection = types == 7
    if collection.any():
        sel = np.flatnonzero(collection)
        parts, owner = shapely.get_parts(arr[sel], return_index=True)
        while len(parts):  # nested collections and multi-parts down to single parts
            t = shapely.get_type_id(parts)
            nested = np.isin(t, (4, 5, 6, 7))
            if not nested.any():
                break
            sub, sub_owner = shapely.get_parts(parts[nested], return_index=True)
            parts = np.concatenate([parts[~nested], sub])
            owner = np.concatenate([owner[~nested], owner[nested][sub_owner]])
        keep = np.isin(shapely.get_type_id(parts), allowed) & ~shapely.is_empty(parts)
        parts, owner = parts[keep], owner[keep]
        built = np.full(len(sel), None, dtype=object)
        if len(parts):
            order = np.argsort(owner, kind="stable")
            parts, owner = parts[order], owner[order]
            groups = np.unique(owner)
            ring = shapely.get_type_id(parts) == 2
            if ring.any():  # a ring inside a collection is a closed line
                coords, idx = shapely.get_coordinates(parts[ring], return_index=True)
                parts[ring] = shapely.linestrings(coords, indices=idx)
            built[groups] = _MULTI[family](parts, indices=np.searchsorted(groups, owner))
        arr[sel] = built
        exploded[sel] = True
        lost[sel] = shapely.is_missing(built)
    other = present & ~collection & ~np.isin(types, allowed)
    arr[other] = None
    lost |= other
    if single:
        has = ~shapely.is_missing(arr)
        is_multi = has & np.isin(shapely.get_type_id(arr), (4, 5, 6))
        multi = is_multi & (shapely.get_num_geometries(arr) > 1)
        one = is_multi & ~multi
        arr[one] = shapely.get_geometry(arr[one], 0)
        if multi.any():
            arr[multi] = _one_part(arr[multi], family)
            exploded |= multi
    return Conformed(arr, exploded, lost)


def _one_part(geoms: GeometryArray, family: str) -> GeometryArray:
    if family == "line":
        geoms = shapely.line_merge(geoms)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    size = shapely.length(parts) if family == "line" else shapely.area(parts)
    # the largest part of each owner: sort by (owner, -size) and take each owner's first
    order = np.lexsort((-size, owner))
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    out = np.empty(len(geoms), dtype=object)
    out[owner[first]] = parts[first]
    return out
