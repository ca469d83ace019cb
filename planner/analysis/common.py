"""Helpers shared by the analyses: calendar arithmetic, flag frames, spatial joins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import shapely

from planner.analysis.network import RoadNetwork
from planner.analysis.registry import FLAG_COLUMNS, AnalysisInputs, AnalysisOutput
from planner.arrays import BoolArray, FloatArray, GeometryArray, Int64Array
from planner.parallel import chunked

if TYPE_CHECKING:
    from pyproj import CRS


def full_months(start: pd.Series, as_of: dt.date) -> FloatArray:
    """Whole calendar months from each start date to ``as_of`` (NaN where no date).

    A month is full on the same day of the month (2023-03-01 -> 2024-03-01 is 12), so
    "one full year" means the anniversary has been reached.
    """
    s = pd.to_datetime(start)
    months = (as_of.year - s.dt.year) * 12 + (as_of.month - s.dt.month) - (as_of.day < s.dt.day).astype(int)
    out: FloatArray = months.to_numpy(dtype="float64")
    return out


def full_years(start: pd.Series, as_of: dt.date) -> FloatArray:
    return np.floor(full_months(start, as_of) / 12)


def span_text(months: Iterable[float], lang: str = "zh") -> list[str]:
    """'3年4个月' / '3 years 4 months' for whole-month counts."""
    out: list[str] = []
    for m in months:
        if not np.isfinite(m):
            out.append("")
            continue
        y, r = divmod(int(m), 12)
        if lang == "zh":
            out.append(f"{y}年{r}个月" if r else f"{y}年")
        else:
            out.append(f"{y} year{'s' if y != 1 else ''}" + (f" {r} month{'s' if r != 1 else ''}" if r else ""))
    return out


def date_text(values: pd.Series) -> list[str]:
    return [v.strftime("%Y-%m-%d") if pd.notna(v) else "" for v in pd.to_datetime(values)]


def make_flags(frame: gpd.GeoDataFrame, mask: BoolArray, *, source_layer: str, id_field: str, code: str,
               severity: int | npt.NDArray[np.integer[Any]], reason: Iterable[str], reason_en: Iterable[str],
               geometry: GeometryArray | None = None, extra: dict[str, object] | None = None) -> gpd.GeoDataFrame:
    """A flag frame for the rows of ``frame`` where ``mask`` holds (reasons given for those rows)."""
    idx = np.flatnonzero(mask)
    geoms = frame.geometry.values[idx] if geometry is None else np.asarray(geometry)
    data: dict[str, object] = {
        "source_layer": source_layer,
        "source_id": id_text(frame[id_field])(idx),
        "code": code,
        "severity": np.broadcast_to(np.asarray(severity), (len(idx),)).astype("int64") if np.ndim(severity) == 0
        else np.asarray(severity)[: len(idx)].astype("int64"),
        "reason": _texts(reason),
        "reason_en": _texts(reason_en),
    }
    for name, values in (extra or {}).items():
        data[name] = values
    return gpd.GeoDataFrame(pd.DataFrame(data, columns=[*FLAG_COLUMNS, *(extra or {})]),
                            geometry=gpd.GeoSeries(geoms, crs=frame.crs), crs=frame.crs)


def _texts(values: Iterable[str]) -> Any:
    """Texts as given where already an array (no Python list of a million strings)."""
    if isinstance(values, pd.Series):
        return values.array  # by position, never aligned on the series' index
    if isinstance(values, np.ndarray | pd.api.extensions.ExtensionArray):
        return values
    return list(values)


def concat_flags(frames: list[gpd.GeoDataFrame], crs: CRS | None) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        from planner.analysis.registry import empty_flags

        return empty_flags(crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


def points_in_polygons(points: GeometryArray, polygons: GeometryArray) -> Int64Array:
    """Index of the polygon holding each point (-1 where none; first match where several)."""
    # A point is within a polygon exactly when the polygon contains it. Simple outlines
    # (parcels, blocks): bounding-box pairs, then contains_xy on each pair; else the tree holds
    # the points and each polygon is prepared once as the query geometry (a million points in a
    # few detailed districts cost one prepared polygon each, not a million unprepared tests).
    polygons = np.asarray(polygons)
    points_only = bool(np.all(shapely.get_type_id(points) <= 0))  # points (or missing)
    if points_only and len(polygons) and shapely.get_num_coordinates(polygons).mean() <= 32:
        pi, gi = shapely.STRtree(polygons).query(points)
        coords, at = shapely.get_coordinates(points, return_index=True)
        xy = np.full((len(points), 2), np.nan)
        xy[at] = coords
        ok = shapely.contains_xy(polygons[gi], xy[pi, 0], xy[pi, 1])
        pi, gi = pi[ok], gi[ok]
    else:
        gi, pi = shapely.STRtree(points).query(polygons, predicate="contains")
    out = np.full(len(points), -1, dtype=np.int64)
    # Keep the first polygon per point: reverse-assign so the smallest index wins.
    order = np.lexsort((-gi, pi))
    out[pi[order]] = gi[order]
    return out


def anchor_points(geoms: GeometryArray) -> GeometryArray:
    """A point inside each polygon (centroid where inside, else a representative point).

    Large arrays are computed in chunks on threads (shapely releases the GIL)."""
    geoms = np.asarray(geoms)
    c: GeometryArray = chunked(shapely.centroid, geoms)
    poly = shapely.get_type_id(geoms) >= 3
    # contains_xy is contains_properly for a point, without the point objects (6x faster); an
    # empty centroid has NaN coordinates and is never inside
    coords, at = shapely.get_coordinates(c, return_index=True)
    xy = np.full((len(c), 2), np.nan)
    xy[at] = coords
    inside = ~poly | chunked(lambda i: shapely.contains_xy(geoms[i], xy[i, 0], xy[i, 1]), np.arange(len(geoms)))
    if (~inside).any():
        c = c.copy()
        c[~inside] = shapely.point_on_surface(geoms[~inside])
    return c


# The buildings' places, computed once per run and handed on (product ``building_places``).
PLACES = "building_places"


@dataclass(eq=False)
class BuildingPlaces:
    """Where each building is, for every analysis of a run: its anchor point (computed once),
    the district holding it and the nearest point of a road network (each computed when first
    asked for, for the rows asked, and kept). Rows are the buildings layer's rows. Not stored in
    a project file (a reopened project recomputes it)."""

    geoms: Any                    # the buildings layer's geometry array these places belong to
    points: GeometryArray
    _districts: list[tuple[Any, Int64Array]] = field(default_factory=list)
    _attached: list[tuple[RoadNetwork, Int64Array, FloatArray, FloatArray]] = field(default_factory=list)

    def district(self, polygons: Any) -> Int64Array:
        """Index of the polygon holding each building's anchor (-1: none), as points_in_polygons."""
        for known, which in self._districts:
            if known is polygons:
                return which
        which = points_in_polygons(self.points, np.asarray(polygons))
        self._districts.append((polygons, which))
        return which

    def attach(self, net: RoadNetwork, rows: Int64Array) -> tuple[Int64Array, FloatArray, FloatArray]:
        """``net.attach`` of the given buildings' anchors (nearest segment, position, distance);
        each building attached once per network."""
        entry = next((e for e in self._attached if e[0] is net), None)
        if entry is None:
            n = len(self.points)
            entry = (net, np.full(n, -2, dtype=np.int64), np.zeros(n), np.zeros(n))
            self._attached.append(entry)
        _, edge, t, off = entry
        todo = rows[edge[rows] == -2]
        if len(todo):
            todo = np.unique(todo)
            edge[todo], t[todo], off[todo] = net.attach(self.points[todo])
        return edge[rows], t[rows], off[rows]


def building_places(inputs: AnalysisInputs, out: AnalysisOutput) -> BuildingPlaces:
    """The run's :class:`BuildingPlaces` (made here and handed on in ``out.shared`` if no earlier
    analysis made it for these buildings)."""
    geoms = inputs.layers["buildings"].geometry.values
    known = inputs.shared.get(PLACES)
    if isinstance(known, BuildingPlaces) and known.geoms is geoms:
        return known
    places = BuildingPlaces(geoms, anchor_points(np.asarray(geoms)))
    out.shared[PLACES] = places
    return places


def text_column(uniq: Iterable[str], inverse: npt.ArrayLike) -> pd.api.extensions.ExtensionArray:
    """``uniq[inverse[i]]`` for each row as a text column, built in Arrow from the distinct
    texts (no Python string per row: a million flags share a few thousand reasons)."""
    table = pa.array(list(uniq), type=pa.large_string())
    # a dictionary array cast to plain text: half the time of take() on long texts
    codes = pa.array(np.asarray(inverse, dtype=np.int64).astype(np.int32 if len(table) < 2**31 else np.int64))
    return pd.array(pa.DictionaryArray.from_arrays(codes, table).cast(pa.large_string()), dtype="str")


def id_text(values: pd.Series) -> Callable[[npt.ArrayLike], Any]:
    """A function giving the text of the values at some rows (as ``to_numpy(dtype=object)[rows]
    .astype(str)`` writes them), taken from the Arrow text where the column already is text."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and not values.isna().any():
        arrow = pa.array(values.array)
        return lambda rows: pd.array(arrow.take(pa.array(np.asarray(rows, dtype=np.int64))), dtype="str")
    objects = values.to_numpy(dtype=object)
    return lambda rows: objects[np.asarray(rows, dtype=np.int64)].astype(str)


TREES = "layer_trees"


@dataclass(eq=False)
class LayerTrees:
    """STRtrees of input layers' geometries (the buildings' million outlines above all), each
    built once per run and handed on (product ``layer_trees``; not stored)."""

    _trees: dict[str, tuple[Any, shapely.STRtree]] = field(default_factory=dict)

    def tree(self, role: str, geoms: Any) -> shapely.STRtree:
        known = self._trees.get(role)
        if known is None or known[0] is not geoms:
            known = (geoms, shapely.STRtree(geoms))
            self._trees[role] = known
        return known[1]


def layer_tree(inputs: AnalysisInputs, out: AnalysisOutput, role: str) -> shapely.STRtree:
    """``shapely.STRtree(inputs.layers[role].geometry.values)``, built once per run."""
    trees = inputs.shared.get(TREES)
    if not isinstance(trees, LayerTrees):
        trees = out.shared.get(TREES)
        if not isinstance(trees, LayerTrees):
            trees = LayerTrees()
            out.shared[TREES] = trees
    return trees.tree(role, inputs.layers[role].geometry.values)


#: The old-housing check's counts per building and the building fields each needs: where the
#: buildings layer fills none of them (OpenStreetMap states no grade, structure or elevator), a
#: count is unknown, not 0 (indicators, the workbook's 小区汇总).
COUNT_NEEDS: dict[str, tuple[str, ...]] = {"unsafe_c": ("safety_grade",), "unsafe_d": ("safety_grade",),
                                           "precast": ("structure",), "elevator_candidates": ("floors", "has_elevator")}


def states(buildings: pd.DataFrame, count: str) -> bool:
    """Whether ``buildings`` fill the fields the count ``count`` of :data:`COUNT_NEEDS` needs."""
    return all(f in buildings and bool(buildings[f].notna().any()) for f in COUNT_NEEDS[count])
