"""portfolio.gpkg: flag layers, projects and tables with ASCII column names, Chinese aliases
(gpkg_data_columns and QML), descriptions in gpkg_contents, a layer_styles table that QGIS
reads as each layer's default style, and the run's parameters. Written atomically."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from planner.export.styles import ALIASES, DECLARED_ALIASES, alias, categories_for, qml
from planner.fileio import atomic_path

TABLE_DESCRIPTIONS = {
    "indicators": "城市体检指标 City-examination indicators",
    "compounds": "小区老旧情况汇总 Compounds: share of old floor area",
    "service_coverage": "生活圈设施覆盖率 Living-circle coverage by facility type",
    "run_info": "运行参数 Run parameters",
}
LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""
DATA_COLUMNS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
  mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))
"""


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns become strings so that GDAL gets one field type per column."""
    frame = frame.copy()
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for col in frame.columns:
        if col != geom and frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


def _conformed(frame: gpd.GeoDataFrame, geometry_type: str) -> gpd.GeoDataFrame:
    """Only the layer's declared type goes in: collections keep their parts of it, a single-type
    layer (LineString, Point) gets single parts, and a feature with nothing of the type keeps
    its row with no geometry."""
    from planner.io.geometry import conform, family_of

    family = family_of(geometry_type)
    if family is None or len(frame) == 0:
        return frame
    fitted = conform(frame.geometry.values, family, single=not geometry_type.startswith("Multi"))
    return frame.set_geometry(gpd.GeoSeries(fitted.geoms, index=frame.index, crs=frame.crs))


def _add_styles_and_aliases(path: Path, layers: dict[str, tuple]) -> None:
    with sqlite3.connect(path) as con:
        con.execute(LAYER_STYLES_DDL)
        con.execute(DATA_COLUMNS_DDL)
        con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                    "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', "
                    "strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
        con.execute("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                    "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                    "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
        con.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
                    "'http://www.geopackage.org/spec121/#extension_schema', 'read-write')")
        for name, (frame, gtype, description) in layers.items():
            columns = [c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None) and c != "geometry"]
            rows, seen = [], set()
            for c in columns:
                a = alias(c)
                if (c in ALIASES or c in DECLARED_ALIASES) and a not in seen:
                    seen.add(a)
                    rows.append((name, c, a, alias(c, "en"), None))
            con.executemany("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description)"
                            " VALUES (?, ?, ?, ?, ?)", rows)
            if gtype == "None":
                continue
            values = sorted(map(str, pd.unique(frame["code" if name != "projects" else "type"].dropna()))) \
                if len(frame) else []
            field, cats = categories_for(name, values)
            con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                        "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                        "VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?, '', '')",
                        (name, f"{name} 默认样式", qml(gtype, field, cats, columns), description))


def write_layers(path: Path, layers: dict[str, tuple[pd.DataFrame, str, str]]) -> None:
    """Write all layers into a new GeoPackage that replaces ``path`` in one step."""
    with atomic_path(path) as tmp:
        for name, (frame, geometry_type, description) in layers.items():
            options = {"DESCRIPTION": description, "IDENTIFIER": name}
            if isinstance(frame, gpd.GeoDataFrame) and geometry_type != "None":
                frame = _conformed(frame, geometry_type)
                pyogrio.write_dataframe(_prepare(frame), tmp, layer=name, driver="GPKG", geometry_type=geometry_type,
                                        promote_to_multi=geometry_type.startswith("Multi"), use_arrow=True,
                                        layer_options=options)
            else:
                table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
                pyogrio.write_dataframe(_prepare(table), tmp, layer=name, driver="GPKG",
                                        layer_options={**options, "ASPATIAL_VARIANT": "GPKG_ATTRIBUTES"})
        _add_styles_and_aliases(tmp, layers)


def write_portfolio_gpkg(path: Path, result, ws, cfg, projects: gpd.GeoDataFrame | None, run_info: dict) -> None:
    from planner.analysis.registry import empty_flags, flag_layers

    layers: dict = {}
    for spec in flag_layers():  # every declared flag layer, empty when its analysis did not run
        frame = result.flags.get(spec.name)
        layers[spec.name] = (frame if frame is not None else empty_flags(ws.working_crs), spec.geometry,
                             f"{spec.title} {spec.title_en}")
    if projects is not None:
        layers["projects"] = (projects, "MultiPolygon", "城市更新项目库 Renewal projects")
    for name, table in result.tables.items():
        layers[name] = (table, "None", TABLE_DESCRIPTIONS.get(name, name))
    info = pd.DataFrame({"key": list(run_info), "value": [json.dumps(v, ensure_ascii=False, default=str)
                                                          for v in run_info.values()]})
    layers["run_info"] = (info, "None", TABLE_DESCRIPTIONS["run_info"])
    write_layers(path, layers)
