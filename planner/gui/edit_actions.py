"""Editing on the map and in the tables, as undoable commands of the session.

Project edits go into the session's overlay of manual edits (so they survive decisions, weight
changes and re-runs); edits of other layers replace the layer's frame through the session.
The geometry functions themselves are the engine's (``planner.editing``)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner import editing
from planner.errors import InputError
from planner.export.styles import alias as export_alias
from planner.gui import i18n
from planner.model import MapLayer
from planner.portfolio.overlay import geometry_hex
from planner.session import PROJECTS_ROLE


class EditActions:
    """Mixed into the main window: ``self.session``, ``self.layers``, ``self.canvas``."""

    def _project_id(self, layer: MapLayer, row: int) -> str:
        return str(layer.frame["project_id"].iloc[row])

    def _push_frame(self, layer: MapLayer, frame, text: str) -> None:
        self.session.replace_frame(layer, frame, text)

    def _set_geometry(self, layer: MapLayer, row: int, geom, text: str) -> None:
        if layer.role == PROJECTS_ROLE:
            self.session.edit_projects({"op": "geometry", "id": self._project_id(layer, row), "wkb": geometry_hex(geom)},
                                       f"{text} {self._project_id(layer, row)}")
        else:
            self._push_frame(layer, editing.with_geometry(layer.frame, row, geom), text)

    def snap_candidates(self, exclude: MapLayer | None = None):
        """Geometries of the visible vector layers in view, for snapping."""
        v = self.canvas.view()
        out = []
        for layer in self.layers:
            if layer is exclude or layer.raster or not layer.visible or len(layer.frame) == 0:
                continue
            prep = self.canvas.renderer.prepared(layer)
            rows = np.unique(prep.part_feature[prep.query(v.x0, v.y0, v.x1, v.y1)])
            out.append(layer.frame.geometry.values[rows])
        return np.concatenate(out) if out else np.array([], dtype=object)

    def move_vertex(self, layer: MapLayer, row: int, index: int, x: float, y: float, *, snap_px: float = 10.0):
        """Move one vertex (snapped to vertices or segments of visible layers within ``snap_px``)."""
        tol = snap_px * self.canvas.units_per_pixel
        sx, sy, how = editing.snap(x, y, self.snap_candidates(exclude=layer), tol)
        geom = editing.move_vertex(layer.frame.geometry.values[row], index, sx, sy)
        self._set_geometry(layer, row, geom, self.tr("Move vertex"))
        return sx, sy, how

    def split_feature(self, layer: MapLayer, row: int, line) -> None:
        if layer.role == PROJECTS_ROLE:
            self.session.edit_projects({"op": "split", "id": self._project_id(layer, row), "line": geometry_hex(line)},
                                       self.tr("Split project {0}").format(self._project_id(layer, row)))
            return
        geom = layer.frame.geometry.values[row]
        pieces = editing.split_line(geom, line) if layer.geometry_kind == "line" else editing.split_polygon(geom, line)
        frame = layer.frame
        copies = frame.iloc[[row] * len(pieces)].copy()
        copies = copies.set_geometry(type(frame.geometry)(pieces, index=copies.index, crs=frame.crs))
        self._push_frame(layer, editing.replace_rows(frame, [row], copies), self.tr("Split feature"))

    def merge_features(self, layer: MapLayer, rows) -> None:
        rows = sorted(int(r) for r in rows)
        if layer.role == PROJECTS_ROLE:
            if len(rows) < 2:
                raise InputError("select at least two projects to merge.", hint="select them in the table or on the map.")
            ids = [self._project_id(layer, r) for r in rows]
            self.session.edit_projects({"op": "merge", "ids": ids, "new_id": ids[0] + "M"},
                                       self.tr("Merge projects {0}").format(", ".join(ids)))
            return
        frame = layer.frame
        first = frame.iloc[[rows[0]]].copy()
        first = first.set_geometry([editing.merge_polygons(frame.geometry.values[rows])], crs=frame.crs)
        self._push_frame(layer, editing.replace_rows(frame, rows, first), self.tr("Merge features"))

    def delete_features(self, layer: MapLayer, rows) -> None:
        if layer.role == PROJECTS_ROLE:
            ids = [self._project_id(layer, int(r)) for r in rows]
            self.session.edit_projects({"op": "delete", "ids": ids}, self.tr("Delete projects {0}").format(", ".join(ids)))
            return
        self._push_frame(layer, editing.replace_rows(layer.frame, rows), self.tr("Delete features"))

    def edit_attribute(self, layer: MapLayer, row: int, column: str, value) -> None:
        """Set one attribute, converted to the column's type (a clear error where it does not fit)."""
        import pandas as pd

        if layer.role == PROJECTS_ROLE:
            pid = self._project_id(layer, row)
            self.session.edit_projects({"op": "set", "id": pid, "column": column, "value": value},
                                       self.tr("Edit {0} of {1}").format(export_alias(column, i18n.lang()), pid))
            return
        frame = layer.frame.copy()
        col = frame[column]
        try:
            if pd.api.types.is_integer_dtype(col.dtype):
                value = int(value)
            elif pd.api.types.is_float_dtype(col.dtype):
                value = float(value)
            elif pd.api.types.is_bool_dtype(col.dtype):
                value = str(value).strip().lower() in {"1", "true", "yes", "是", "有"}
            else:
                value = str(value)
        except (TypeError, ValueError):  # only the number columns refuse a text
            whole = pd.api.types.is_integer_dtype(col.dtype)
            noun, nouns = ("a whole number", "whole numbers") if whole else ("a number", "numbers")
            raise InputError(f"'{value}' is not {noun}.", layer=layer.name, field=column, row=row,
                             hint=f"this field takes {nouns}: enter {noun}.") from None
        frame.iloc[row, frame.columns.get_loc(column)] = value
        self._push_frame(layer, frame, self.tr("Edit {0}").format(column))

    def _geometry_edit(self, layer: MapLayer, row: int, op: str, *args) -> None:
        """Apply an editing function of planner.editing to one feature, as an undoable command."""
        try:
            geom = getattr(editing, op)(layer.frame.geometry.values[row], *args)
            self._set_geometry(layer, row, geom, {"add_vertex": self.tr("Add vertex"),
                                                  "delete_vertex": self.tr("Delete vertex"),
                                                  "move_feature": self.tr("Move feature")}.get(op, op))
        except InputError as exc:
            self.error(exc)

    def _add_project(self, features: gpd.GeoDataFrame, kind: str, name: str | None, text: str) -> None:
        self.session.add_project(features, kind, name=name, text=text)

    def add_drawn_feature(self, layer: MapLayer, geom) -> None:
        """A feature drawn on the map: a new project on the projects layer, else a new row."""
        try:
            if layer.role == PROJECTS_ROLE:
                drawn = gpd.GeoDataFrame({"id": [0]}, geometry=[geom], crs=layer.frame.crs)
                self._add_project(drawn, "service_facility", None, self.tr("Draw project"))
                return
            new = gpd.GeoDataFrame({c: [None] for c in layer.frame.columns if c != layer.frame.geometry.name},
                                   geometry=[geom], crs=layer.frame.crs)
            self._push_frame(layer, editing.replace_rows(layer.frame, [], new), self.tr("Add feature"))
        except InputError as exc:
            self.error(exc)

    def _table_edit(self, layer, row: int, column: str, value) -> bool:
        try:
            self.edit_attribute(layer, row, column, value)
            return True
        except InputError as exc:
            self.error(exc, self.tr("Invalid value"))
            return False

    def create_project_from_selection(self, layer: MapLayer | None = None, kind: str = "old_compound",
                                      name: str | None = None) -> None:
        """A new project from the selected features of a layer (its outline, quantities, cost)."""
        layer = layer or self.layer_panel.current_layer()
        rows = self.layers.selected(layer) if layer is not None else []
        try:
            if layer is None or len(rows) == 0:
                raise InputError("no features are selected.", hint="select features on the map first.")
            self._add_project(layer.frame.iloc[rows], kind, name, self.tr("Create project"))
        except InputError as exc:
            self.error(exc)

    def _guarded(self, fn, *args):
        try:
            return fn(*args)
        except InputError as exc:
            self.error(exc)
            return None

    def _split_by_line(self, layer, line) -> None:
        rows = np.flatnonzero(shapely.crosses(layer.frame.geometry.values, line))
        if len(rows):
            self._guarded(self.split_feature, layer, int(rows[0]), line)

    def _merge_selected(self) -> None:
        layer = self.layer_panel.current_layer()
        if layer is not None:
            self._guarded(self.merge_features, layer, self.layers.selected(layer))

    def _delete_selected(self) -> None:
        layer = self.layer_panel.current_layer()
        if layer is not None and len(self.layers.selected(layer)):
            self._guarded(self.delete_features, layer, self.layers.selected(layer))
