"""Helpers shared by the analyses: calendar arithmetic, flag frames, spatial joins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from planner.analysis.registry import FLAG_COLUMNS
from planner.arrays import BoolArray, FloatArray, GeometryArray, Int64Array

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
        "source_id": frame[id_field].to_numpy()[idx].astype(str),
        "code": code,
        "severity": np.broadcast_to(np.asarray(severity), (len(idx),)).astype("int64") if np.ndim(severity) == 0
        else np.asarray(severity)[: len(idx)].astype("int64"),
        "reason": list(reason),
        "reason_en": list(reason_en),
    }
    for name, values in (extra or {}).items():
        data[name] = values
    return gpd.GeoDataFrame(pd.DataFrame(data, columns=[*FLAG_COLUMNS, *(extra or {})]),
                            geometry=gpd.GeoSeries(geoms, crs=frame.crs), crs=frame.crs)


def concat_flags(frames: list[gpd.GeoDataFrame], crs: CRS | None) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        from planner.analysis.registry import empty_flags

        return empty_flags(crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


def points_in_polygons(points: GeometryArray, polygons: GeometryArray) -> Int64Array:
    """Index of the polygon holding each point (-1 where none; first match where several)."""
    tree = shapely.STRtree(polygons)
    pi, gi = tree.query(points, predicate="within")
    out = np.full(len(points), -1, dtype=np.int64)
    # Keep the first polygon per point: reverse-assign so the smallest index wins.
    order = np.lexsort((-gi, pi))
    out[pi[order]] = gi[order]
    return out


def anchor_points(geoms: GeometryArray) -> GeometryArray:
    """A point inside each polygon (centroid where inside, else a representative point)."""
    c: GeometryArray = shapely.centroid(geoms)
    poly = shapely.get_type_id(geoms) >= 3
    inside = ~poly | shapely.contains_properly(geoms, c)
    if (~inside).any():
        c = c.copy()
        c[~inside] = shapely.point_on_surface(geoms[~inside])
    return c
