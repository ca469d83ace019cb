"""portfolio.gpkg: flag layers (and later projects) with ASCII columns, written atomically."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from planner.fileio import atomic_path

# Layer -> (geometry type, description) of run-contract.md.
FLAG_LAYERS = {
    "flag_idle_land": ("MultiPolygon", "闲置及低效用地 Idle and inefficient land"),
    "flag_idle_building": ("MultiPolygon", "闲置楼宇 Idle buildings"),
    "flag_old_housing": ("MultiPolygon", "老旧小区与危旧房 Old and unsafe housing"),
    "flag_dead_end": ("Point", "断头路端点 Dead-end road ends"),
    "road_gap": ("LineString", "建议打通路段 Proposed road links"),
    "service_gap": ("MultiPolygon", "生活圈服务短板 Living-circle service gaps"),
}


def _prepare(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Object columns become strings so that GDAL gets one field type per column."""
    frame = frame.copy()
    for col in frame.columns:
        if col != frame.geometry.name and frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


def write_layers(path: Path, layers: dict[str, tuple[gpd.GeoDataFrame | pd.DataFrame, str, str]]) -> None:
    """Write all layers into a new GeoPackage that replaces ``path`` in one step."""
    with atomic_path(path) as tmp:
        for name, (frame, geometry_type, description) in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                frame = _prepare(frame)
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", geometry_type=geometry_type,
                                        promote_to_multi=geometry_type.startswith("Multi"),
                                        use_arrow=True, layer_options={"DESCRIPTION": description,
                                                                       "IDENTIFIER": name})
            else:
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG",
                                        layer_options={"DESCRIPTION": description, "IDENTIFIER": name,
                                                       "ASPATIAL_VARIANT": "GPKG_ATTRIBUTES"})


def write_flags_gpkg(path: Path, result, ws, cfg) -> None:
    from planner.analysis.registry import empty_flags

    layers: dict = {}
    for name, (gtype, description) in FLAG_LAYERS.items():
        frame = result.flags.get(name)
        if frame is None:
            frame = empty_flags(ws.working_crs)
        layers[name] = (frame, gtype, description)
    for name, table in result.tables.items():
        layers[name] = (table, "None", name)
    write_layers(path, layers)


def gpkg_tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as con:
        return [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name")]
