"""Project files: one GeoPackage holding the layers, their styles and mappings, the run
parameters, the portfolio and the map view, so it opens in QGIS too.

Saving is atomic (temp file, then one rename): a kill during a save leaves the old file whole.
An autosave goes to a side file ``NAME.autosave.gpkg`` that is offered for recovery when it is
newer than the project."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from planner import __version__
from planner.errors import InputError
from planner.fileio import atomic_path
from planner.model import LayerList, MapLayer

FORMAT_VERSION = 1
META_TABLE = "rp_project"


@dataclass
class ProjectState:
    layers: LayerList = field(default_factory=LayerList)
    view: tuple[float, float, float, float] | None = None
    crs: str | None = None
    params: dict = field(default_factory=dict)
    as_of: str | None = None
    name: str = "未命名项目"
    extra: dict = field(default_factory=dict)


def autosave_path(path: Path) -> Path:
    return path.with_name(path.stem + ".autosave.gpkg")


def _table(i: int) -> str:
    return f"layer_{i:03d}"


def save_project(state: ProjectState, path: str | Path) -> None:
    """Write the whole project into ``path`` atomically."""
    path = Path(path)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError("the project file is read-only.", file=str(path), hint="save it under another name (Save As).")
    meta = {"format_version": FORMAT_VERSION, "software": __version__, "name": state.name, "view": state.view,
            "crs": state.crs, "params": state.params, "as_of": state.as_of, "extra": state.extra, "layers": []}
    try:
        with atomic_path(path) as tmp:
            for i, layer in enumerate(state.layers):
                table = _table(i)
                frame = layer.frame
                for col in frame.columns:
                    if col != frame.geometry.name and frame[col].dtype == object:
                        frame = frame.assign(**{col: frame[col].astype("string")})
                if len(frame) == 0 or frame.crs is None:
                    frame = frame.set_crs(state.crs or 4546, allow_override=True) if frame.crs is None else frame
                pyogrio.write_dataframe(frame, tmp, layer=table, driver="GPKG", promote_to_multi=True,
                                        layer_options={"IDENTIFIER": layer.name, "DESCRIPTION": layer.source or layer.name})
                meta["layers"].append({"table": table, "name": layer.name, "role": layer.role, "style": layer.style,
                                       "visible": layer.visible, "opacity": layer.opacity, "label_field": layer.label_field,
                                       "min_scale": layer.min_scale, "max_scale": layer.max_scale,
                                       "source": layer.source, "mapping": layer.mapping, "raster": layer.raster,
                                       "columns": [str(c) for c in layer.frame.columns]})
            pyogrio.write_dataframe(pd.DataFrame({"key": ["project"], "value": [json.dumps(meta, ensure_ascii=False)]}),
                                    tmp, layer=META_TABLE, driver="GPKG",
                                    layer_options={"ASPATIAL_VARIANT": "GPKG_ATTRIBUTES",
                                                   "DESCRIPTION": "Renewal Planner project"})
    except PermissionError as exc:
        raise InputError(f"the project cannot be written ({exc.strerror}); it may be open in another program.",
                         file=str(path), hint="close the file elsewhere or save under another name.") from None


def read_meta(path: Path) -> dict:
    if not path.exists():
        raise InputError("the project file does not exist.", file=str(path), hint="check the path.")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if META_TABLE not in tables:
                raise InputError("this GeoPackage is not a Renewal Planner project.", file=str(path),
                                 hint="open it with Add Layer instead, or open a project file (.gpkg) saved by the app.")
            row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key='project'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"the project file is damaged or not a GeoPackage ({exc}).", file=str(path),
                         hint="open the autosave copy if there is one, or restore a backup.") from None
    try:
        meta = json.loads(row[0])
    except (TypeError, json.JSONDecodeError):
        raise InputError("the project description inside the file is damaged.", file=str(path),
                         hint="restore a backup or the autosave copy.") from None
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise InputError(f"the project was saved by a newer version (format {meta['format_version']}, software "
                         f"{meta.get('software')}).", file=str(path), hint="update Renewal Planner to open it.")
    return meta


def load_project_file(path: str | Path) -> ProjectState:
    path = Path(path)
    meta = read_meta(path)
    state = ProjectState(view=tuple(meta["view"]) if meta.get("view") else None, crs=meta.get("crs"),
                         params=meta.get("params", {}), as_of=meta.get("as_of"), name=meta.get("name", path.stem),
                         extra=meta.get("extra", {}))
    for entry in meta.get("layers", []):
        try:
            frame = pyogrio.read_dataframe(path, layer=entry["table"], use_arrow=True)
        except Exception as exc:
            raise InputError(f"layer '{entry.get('name')}' cannot be read ({exc}).", file=str(path),
                             layer=entry.get("table"), hint="restore a backup or the autosave copy.") from None
        if not isinstance(frame, gpd.GeoDataFrame):
            frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=state.crs))
        cols = [c for c in entry.get("columns", []) if c in frame.columns]
        if cols:
            frame = frame[cols]
        state.layers.append(MapLayer(
            name=entry["name"], frame=frame, role=entry.get("role", ""), style=entry.get("style", {}),
            visible=entry.get("visible", True), opacity=entry.get("opacity", 1.0), label_field=entry.get("label_field"),
            min_scale=entry.get("min_scale"), max_scale=entry.get("max_scale"), source=entry.get("source", ""),
            mapping=entry.get("mapping", {}), raster=entry.get("raster")))
    return state


def recovery_available(path: Path) -> bool:
    auto = autosave_path(path)
    return auto.exists() and (not path.exists() or auto.stat().st_mtime > path.stat().st_mtime)
