"""Run one analysis on harmonised in-memory layers (as the loader makes them)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import shapely
from pyproj import CRS

from planner.analysis.registry import AnalysisInputs, get_analysis
from planner.catalogue import default_catalogue
from planner.feedback import Feedback

CRS_WORK = CRS.from_epsg(4546)
X0, Y0 = 400_000.0, 4_500_000.0


def frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=CRS_WORK), crs=CRS_WORK)


def box(x, y, w, h):
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def line(*pts):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])


def run(analysis_id: str, layers: dict, *, as_of=dt.date(2026, 6, 30), params=None, shared=None, missing=None):
    analysis = get_analysis(analysis_id)
    inputs = AnalysisInputs(layers=layers, as_of=as_of, catalogue=default_catalogue(), crs=CRS_WORK,
                            missing_fields=missing or {}, shared=dict(shared or {}))
    return analysis.run(inputs, analysis.resolve_params(params or {}), Feedback())
