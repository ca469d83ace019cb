"""The main window: map canvas, layer panel, attribute table, messages; project files."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

import numpy as np
from pyproj import CRS
from PyQt6 import QtCore, QtGui, QtWidgets

from planner.catalogue import default_catalogue
from planner.errors import InputError
from planner.gui.attribute_table import AttributeTable
from planner.gui.canvas import MapCanvas
from planner.gui.layer_panel import LayerPanel
from planner.gui.workflow import WeightsCommand
from planner.model import LayerList, MapLayer, default_style, role_kind
from planner.projectfile import (
    ProjectState,
    autosave_path,
    load_project_file,
    recovery_available,
    save_project,
)

ORG, APP = "RenewalPlanner", "RenewalPlanner"


def copy_result(result):
    import copy

    return copy.copy(result)
AUTOSAVE_MS = 120_000
ROLE_TITLES = {"parcels": "地块 Parcels", "buildings": "建筑 Buildings", "facilities": "设施 Facilities",
               "roads": "道路 Roads", "boundary": "研究范围 Study area", "water": "水系 Water", "rail": "铁路 Railways"}
DRAW_ORDER = ["boundary", "water", "parcels", "buildings", "rail", "roads", "facilities"]


class MainWindow(QtWidgets.QMainWindow):
    projectLoaded = QtCore.pyqtSignal()

    def __init__(self, *, settings: QtCore.QSettings | None = None, ask: bool = True):
        super().__init__()
        self.settings = settings or QtCore.QSettings(ORG, APP)
        self.ask = ask  # False in tests and --screenshot: no modal questions
        self.catalogue = default_catalogue()
        self.layers = LayerList()
        self.state = ProjectState(layers=self.layers)
        self.project_path: Path | None = None
        self.dirty = False
        self.setWindowTitle(self.tr("Renewal Planner"))
        self.resize(1400, 900)
        self.setAcceptDrops(True)

        self.canvas = MapCanvas(self.layers, self)
        self.setCentralWidget(self.canvas)
        self.layer_panel = LayerPanel(self.layers)
        self.table = AttributeTable(self.layers, self.catalogue)
        self.messages = QtWidgets.QPlainTextEdit(readOnly=True)
        from planner.gui.workflow import Dashboard, FlagPanel, PortfolioPanel

        self.dashboard = Dashboard()
        self.flag_panel = FlagPanel()
        self.portfolio_panel = PortfolioPanel()
        self.undo_stack = QtGui.QUndoStack(self)
        self.undo_view = QtWidgets.QUndoView(self.undo_stack)
        self.result = None
        self.projects = None
        self.worker = None
        self.docks = {}
        for key, title, widget, area in (
            ("layers", self.tr("Layers"), self.layer_panel, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea),
            ("flags", self.tr("Flags"), self.flag_panel, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea),
            ("portfolio", self.tr("Portfolio"), self.portfolio_panel, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea),
            ("dashboard", self.tr("City examination"), self.dashboard, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea),
            ("history", self.tr("Undo history"), self.undo_view, QtCore.Qt.DockWidgetArea.RightDockWidgetArea),
            ("table", self.tr("Attribute table"), self.table, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea),
            ("messages", self.tr("Messages"), self.messages, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock = QtWidgets.QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        self.tabifyDockWidget(self.docks["table"], self.docks["messages"])
        self.tabifyDockWidget(self.docks["table"], self.docks["portfolio"])
        self.tabifyDockWidget(self.docks["table"], self.docks["dashboard"])
        self.docks["history"].hide()
        self.docks["table"].raise_()

        self._build_actions()
        self._build_status()
        self.layer_panel.activeLayerChanged.connect(self._active_layer_changed)
        self.flag_panel.flagSelected.connect(self._flag_selected)
        self.dashboard.indicatorChosen.connect(self.select_indicator_features)
        # table edits (portfolio and attribute table) become undoable commands with type checks
        self.portfolio_panel.model.on_edit = self._table_edit
        self.table.model.on_edit = self._table_edit
        self.flag_panel.btn_confirm.clicked.connect(lambda: self._decide_current("confirmed"))
        self.flag_panel.btn_dismiss.clicked.connect(lambda: self._decide_current("dismissed"))
        self.flag_panel.btn_reopen.clicked.connect(lambda: self._decide_current(None))
        self.flag_panel.btn_reclassify.clicked.connect(lambda: self._decide_current("reclassified"))
        self.portfolio_panel.weightsEdited.connect(lambda w: self.undo_stack.push(WeightsCommand(self, w)))
        self.layer_panel.zoomToLayer.connect(self.canvas.zoom_to_layer)
        self.canvas.identified.connect(self._identified)
        self.canvas.vertexDragged.connect(lambda layer, row, i, x, y: self._guarded(self.move_vertex, layer, row, i, x, y))
        self.canvas.lineDrawn.connect(self._split_by_line)
        self.canvas.vertexAdded.connect(lambda lyr, row, x, y: self._geometry_edit(lyr, row, "add_vertex", x, y))
        self.canvas.vertexDeleted.connect(lambda lyr, row, i: self._geometry_edit(lyr, row, "delete_vertex", i))
        self.canvas.featureMoved.connect(lambda lyr, row, dx, dy: self._geometry_edit(lyr, row, "move_feature", dx, dy))
        self.canvas.featureDrawn.connect(self.add_drawn_feature)
        self.canvas.cursorMoved.connect(self._cursor_moved)
        self.canvas.extentChanged.connect(self._extent_changed)
        self.canvas.renderFinished.connect(lambda ms: self.render_label.setText(self.tr("Render {0} ms").format(f"{ms:.0f}")))
        for sig in (self.layers.inserted, self.layers.removed, self.layers.moved, self.layers.changed):
            sig.connect(self._mark_dirty)
        self.autosave_timer = QtCore.QTimer(self, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    # ui -------------------------------------------------------------------------------------
    def _action(self, text, slot, shortcut=None, checkable=False, icon=None):
        a = QtGui.QAction(text, self)
        if shortcut:
            a.setShortcut(QtGui.QKeySequence(shortcut))
        a.setCheckable(checkable)
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        a.triggered.connect(slot)
        return a

    def _build_actions(self) -> None:
        sp = QtWidgets.QStyle.StandardPixmap
        self.act_new = self._action(self.tr("&New Project"), self.new_project, "Ctrl+N", icon=sp.SP_FileIcon)
        self.act_open = self._action(self.tr("&Open Project…"), self.open_dialog, "Ctrl+O", icon=sp.SP_DialogOpenButton)
        self.act_save = self._action(self.tr("&Save Project"), self.save, "Ctrl+S", icon=sp.SP_DialogSaveButton)
        self.act_save_as = self._action(self.tr("Save Project &As…"), self.save_as_dialog, "Ctrl+Shift+S")
        self.act_add = self._action(self.tr("&Add Layer…"), self.add_layer_dialog, "Ctrl+L", icon=sp.SP_FileDialogNewFolder)
        self.act_quit = self._action(self.tr("E&xit"), self.close, "Ctrl+Q")
        self.act_full = self._action(self.tr("Zoom to &Full Extent"), self.canvas.zoom_full, "Ctrl+Shift+F")
        self.act_zoom_layer = self._action(self.tr("Zoom to &Layer"), self._zoom_to_active)
        self.act_zoom_sel = self._action(self.tr("Zoom to &Selection"), self.canvas.zoom_to_selection)
        self.act_select_expr = self._action(self.tr("Select by &Expression…"), self.select_by_expression_dialog)
        self.act_clear_sel = self._action(self.tr("&Clear Selection"), self.clear_selection)
        self.act_remove = self._action(self.tr("&Remove Layer"), self.remove_active_layer)
        self.act_style = self._action(self.tr("Layer &Style…"), self.style_dialog)
        self.act_run = self._action(self.tr("&Run Checks…"), self.run_checks_dialog, "F5", icon=sp.SP_MediaPlay)
        self.act_export = self._action(self.tr("&Export Deliverables…"), self.export_dialog, "Ctrl+E")
        self.act_merge = self._action(self.tr("&Merge Selected"), self._merge_selected)
        self.act_delete = self._action(self.tr("&Delete Selected"), self._delete_selected, "Del")
        self.act_create = self._action(self.tr("Create Project from Selection"), lambda: self.create_project_from_selection())
        self.act_undo = self.undo_stack.createUndoAction(self, self.tr("&Undo"))
        self.act_undo.setShortcut(QtGui.QKeySequence("Ctrl+Z"))
        self.act_redo = self.undo_stack.createRedoAction(self, self.tr("&Redo"))
        self.act_redo.setShortcut(QtGui.QKeySequence("Ctrl+Y"))
        self.act_lang_zh = self._action("中文", lambda: self.set_language("zh_CN"), checkable=True)
        self.act_lang_en = self._action("English", lambda: self.set_language("en"), checkable=True)
        lang = self.settings.value("language", "zh_CN")
        (self.act_lang_zh if lang == "zh_CN" else self.act_lang_en).setChecked(True)
        tools = QtGui.QActionGroup(self)
        self.tool_actions = {}
        for key, text, icon in (("pan", self.tr("Pan"), sp.SP_ArrowUp), ("zoom_box", self.tr("Zoom Box"), sp.SP_FileDialogContentsView),
                                ("identify", self.tr("Identify"), sp.SP_MessageBoxInformation),
                                ("select", self.tr("Select"), sp.SP_DialogApplyButton),
                                ("vertex", self.tr("Edit Vertices"), sp.SP_DialogResetButton),
                                ("split", self.tr("Split with Line"), sp.SP_DialogDiscardButton),
                                ("move", self.tr("Move Feature"), sp.SP_ArrowRight),
                                ("draw", self.tr("Draw Feature"), sp.SP_FileDialogStart)):
            a = self._action(text, lambda _=False, k=key: self.canvas.set_tool(k), checkable=True, icon=icon)
            tools.addAction(a)
            self.tool_actions[key] = a
        self.tool_actions["pan"].setChecked(True)

        mb = self.menuBar()
        m = mb.addMenu(self.tr("&File"))
        for a in (self.act_new, self.act_open, self.act_save, self.act_save_as):
            m.addAction(a)
        self.recent_menu = m.addMenu(self.tr("Recent Projects"))
        m.addSeparator()
        m.addAction(self.act_add)
        m.addAction(self.act_remove)
        m.addAction(self.act_style)
        m.addSeparator()
        m.addAction(self.act_quit)
        e = mb.addMenu(self.tr("&Edit"))
        e.addAction(self.act_undo)
        e.addAction(self.act_redo)
        e.addSeparator()
        e.addAction(self.tool_actions["vertex"])
        e.addAction(self.tool_actions["split"])
        e.addAction(self.tool_actions["move"])
        e.addAction(self.tool_actions["draw"])
        e.addAction(self.act_merge)
        e.addAction(self.act_delete)
        e.addAction(self.act_create)
        an = mb.addMenu(self.tr("&Analysis"))
        an.addAction(self.act_run)
        an.addAction(self.act_export)
        v = mb.addMenu(self.tr("&View"))
        for a in (self.act_full, self.act_zoom_layer, self.act_zoom_sel):
            v.addAction(a)
        v.addSeparator()
        for dock in self.docks.values():
            v.addAction(dock.toggleViewAction())
        t = mb.addMenu(self.tr("&Tools"))
        for a in self.tool_actions.values():
            t.addAction(a)
        t.addSeparator()
        t.addAction(self.act_select_expr)
        t.addAction(self.act_clear_sel)
        s = mb.addMenu(self.tr("&Settings"))
        lm = s.addMenu(self.tr("Language"))
        lm.addAction(self.act_lang_zh)
        lm.addAction(self.act_lang_en)
        tb = self.addToolBar(self.tr("Main"))
        tb.setObjectName("toolbar_main")
        for a in (self.act_open, self.act_save, self.act_add, self.act_run):
            tb.addAction(a)
        tb.addSeparator()
        for a in self.tool_actions.values():
            tb.addAction(a)
        tb.addAction(self.act_full)
        self._refresh_recent()

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.coord_label = QtWidgets.QLabel()
        self.deg_label = QtWidgets.QLabel()
        self.scale_label = QtWidgets.QLabel()
        self.crs_label = QtWidgets.QLabel()
        self.render_label = QtWidgets.QLabel()
        for w in (self.coord_label, self.deg_label, self.scale_label, self.crs_label, self.render_label):
            sb.addPermanentWidget(w)

    # status -------------------------------------------------------------------------------
    def _cursor_moved(self, x: float, y: float) -> None:
        self.coord_label.setText(f"X {x:,.1f}  Y {y:,.1f}")
        deg = self.canvas.map_to_degrees(x, y)
        if deg:
            self.deg_label.setText(f"CGCS2000 {deg[0]:.6f}°E {deg[1]:.6f}°N")

    def _extent_changed(self, _extent) -> None:
        self.scale_label.setText(self.tr("Scale 1:{0}").format(f"{self.canvas.scale_denominator():,.0f}"))

    def log(self, text: str) -> None:
        self.messages.appendPlainText(f"[{time.strftime('%H:%M:%S')}] {text}")

    def error(self, exc: Exception, title: str | None = None) -> None:
        text = exc.message() if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
        self.log(text)
        if not isinstance(exc, InputError):
            self.log(traceback.format_exc())
        if self.ask:
            QtWidgets.QMessageBox.warning(self, title or self.tr("Problem"), text)
        self.last_error = text

    # layers -------------------------------------------------------------------------------
    def _active_layer_changed(self, layer) -> None:
        self.canvas.active_layer = layer
        self.table.set_layer(layer)

    def _zoom_to_active(self) -> None:
        layer = self.layer_panel.current_layer()
        if layer is not None:
            self.canvas.zoom_to_layer(layer)

    def _identified(self, layer, rows) -> None:
        if layer is None or len(rows) == 0:
            self.statusBar().showMessage(self.tr("Nothing here"), 3000)
            return
        row = layer.frame.iloc[int(rows[0])]
        lines = [f"{layer.name} #{int(rows[0]) + 1}"]
        for c in layer.frame.columns:
            if c != layer.frame.geometry.name:
                lines.append(f"  {c}: {row[c]}")
        self.log("\n".join(lines))
        self.identify_result = (layer, rows)
        self.layer_panel.set_current(layer)
        self.layers.select(layer, rows[:1])
        self.docks["messages"].raise_()

    def _mark_dirty(self, *args) -> None:
        self.dirty = True

    def add_map_layer(self, layer: MapLayer, *, zoom: bool = False) -> None:
        self.layers.append(layer)
        self.layer_panel.set_current(layer)
        if zoom or len(self.layers) == 1:
            self.canvas.zoom_full()

    def remove_active_layer(self) -> None:
        layer = self.layer_panel.current_layer()
        if layer is not None:
            self.layers.remove(layer)

    def style_dialog(self, layer: MapLayer | None = None, *, accept: bool | None = None):
        """Edit a layer's style; ``accept`` answers the dialog without showing it (tests)."""
        from planner.gui.style_dialog import StyleDialog

        layer = layer or self.layer_panel.current_layer()
        if layer is None:
            return None
        dialog = StyleDialog(layer, self)
        if accept is None:
            accept = dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
        if accept:
            dialog.apply()
            self.layers.notify(layer)
        return dialog

    def clear_selection(self) -> None:
        for layer in self.layers:
            self.layers.select(layer, np.zeros(0, dtype=np.int64))

    def select_by_expression(self, layer: MapLayer, text: str) -> np.ndarray:
        from planner.expressions import evaluate

        rows = np.flatnonzero(evaluate(layer.frame, text))
        self.layers.select(layer, rows)
        self.log(self.tr("{0}: {1} features selected by {2}").format(layer.name, len(rows), text))
        return rows

    def select_by_expression_dialog(self) -> None:
        layer = self.layer_panel.current_layer()
        if layer is None:
            return
        text, ok = QtWidgets.QInputDialog.getText(
            self, self.tr("Select by expression"),
            self.tr("Expression, e.g. floors >= 4 and use = 'residential'\nFields: {0}").format(
                ", ".join(c for c in layer.frame.columns if c != "geometry")[:300]))
        if ok and text.strip():
            try:
                self.select_by_expression(layer, text)
            except InputError as exc:
                self.error(exc)

    # loading ------------------------------------------------------------------------------
    def load_run_config(self, path: Path) -> None:
        """Open a project TOML (like the sample project): read and harmonise its inputs."""
        from planner.feedback import Feedback
        from planner.pipeline import load_inputs
        from planner.project import load_project

        cfg = load_project(path)
        fb = Feedback()
        ws = load_inputs(cfg, fb)
        for w in fb.warnings:
            self.log(w)
        for e in ws.errors:
            self.log(e)
        self.layers_clear()
        self.state.crs = ws.working_crs.to_string()
        self.canvas.crs = ws.working_crs
        self.state.name = cfg.name
        self.state.as_of = cfg.as_of.isoformat()
        self.state.params = dict(cfg.params)
        self.state.extra["source_toml"] = str(Path(path).resolve())
        for role in DRAW_ORDER:
            loaded = ws.layers.get(role)
            if loaded is None:
                continue
            layer = MapLayer(ROLE_TITLES.get(role, role), loaded.frame, role=role,
                             style=default_style(self.catalogue, role, role_kind(self.catalogue, role)), source=str(loaded.report.path),
                             mapping=loaded.report.field_mapping)
            if role == "buildings" and "compound" in loaded.frame.columns:
                layer.label_field = "compound"
            if role == "roads" and "name" in loaded.frame.columns:
                layer.label_field = "name"
            self.layers.append(layer)
        from planner.model import raster_layer

        for name, info in ws.rasters.items():  # rasters at the bottom of the map
            kind = ws.catalogue.raster_kind(name)
            self.layers.insert(0, raster_layer(f"{kind.title if kind else name} {name}", str(info.path),
                                               info.bounds_working, ws.working_crs, kind=kind.name if kind else name))
        self.crs_label.setText(ws.working_crs.to_string())
        buildings = next((lyr for lyr in self.layers if lyr.role == "buildings"), None)
        if buildings is not None:  # the table shows the buildings from the start
            self.layer_panel.rebuild()
            self.layer_panel.set_current(buildings)
        self.log(self.tr("Loaded {0} layers from {1}; working CRS {2}").format(len(self.layers), path, ws.working_crs.to_string()))
        self.canvas.zoom_full()

    def layers_clear(self) -> None:
        for layer in list(self.layers):
            self.layers.remove(layer)

    def open_path(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            if path.suffix.lower() == ".toml":
                self.load_run_config(path)
                self.project_path = None
            else:
                source = path
                if recovery_available(path) and self._ask_recover(path):
                    source = autosave_path(path)
                state = load_project_file(source)
                self.layers_clear()
                self.state.crs, self.state.name, self.state.params = state.crs, state.name, state.params
                self.state.as_of, self.state.extra = state.as_of, state.extra
                self.canvas.crs = CRS.from_user_input(state.crs) if state.crs else None
                for layer in state.layers:
                    self.layers.append(layer)
                self.crs_label.setText(state.crs or "")
                if state.view:
                    self.canvas.set_extent(state.view)
                else:
                    self.canvas.zoom_full()
                self.project_path = path
                self._restore_results()
                self.log(self.tr("Opened project {0}").format(path) + (" (autosave)" if source != path else ""))
            self.dirty = False
            self._add_recent(path)
            self._update_title()
            self.projectLoaded.emit()
            return True
        except InputError as exc:
            self.error(exc, self.tr("Cannot open"))
            return False

    def _ask_recover(self, path: Path) -> bool:
        if not self.ask:
            return bool(self.settings.value("recover_without_asking", False, type=bool))
        answer = QtWidgets.QMessageBox.question(
            self, self.tr("Recover"), self.tr("An autosave newer than {0} exists. Open the autosave?").format(path.name))
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def add_layer_file(self, path: str, role: str | None = None, mapping: dict | None = None) -> MapLayer | None:
        """Add a file as a layer with the engine's readers, CRS handling and field mapping."""
        from planner.io.loading import harmonise, map_fields
        from planner.io.readers import read_vector
        from planner.io.sources import parse_source
        from planner.pipeline import choose_working_crs
        from planner.project import InputConfig, RunConfig

        try:
            source = parse_source(path)
            raw = read_vector(source, role=role)
            columns = [c for c in raw.frame.columns if c != raw.frame.geometry.name]
            if role is None:
                role = max(self.catalogue.layers, key=lambda r: len(map_fields(columns, self.catalogue.layers[r])))
            if mapping is None and self.ask:
                from planner.gui.dialogs import FieldMappingDialog

                found = map_fields(columns, self.catalogue.layer(role))
                dialog = FieldMappingDialog(self.catalogue, role, columns, found, self)
                if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                    return None
                role, mapping = dialog.result_role(), dialog.result_mapping()
            if self.state.crs:
                working = CRS.from_user_input(self.state.crs)
            else:
                cfg = RunConfig(inputs={role: InputConfig(role, str(path))})
                working, _ = choose_working_crs({role: raw}, cfg)
                self.state.crs = working.to_string()
                self.canvas.crs = working
                self.crs_label.setText(self.state.crs)
            loaded = harmonise(raw, role, self.catalogue, working, user_mapping=mapping or {})
            for w in loaded.report.warnings:
                self.log(w)
            layer = MapLayer(f"{Path(source.path).stem}", loaded.frame, role=role,
                             style=default_style(self.catalogue, role, role_kind(self.catalogue, role)), source=source.label(),
                             mapping=loaded.report.field_mapping)
            self.add_map_layer(layer, zoom=len(self.layers) == 0)
            self.log(self.tr("Added {0} ({1} features) as {2}").format(layer.name, len(layer.frame), role))
            return layer
        except InputError as exc:
            self.error(exc, self.tr("Cannot add layer"))
            return None

    def add_layer_dialog(self) -> None:
        files, _ = QtWidgets.QFileDialog.getOpenFileNames(
            self, self.tr("Add layer"), str(self.settings.value("last_dir", "")),
            self.tr("GIS data (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;All files (*)"))
        for f in files:
            self.settings.setValue("last_dir", str(Path(f).parent))
            self.add_layer_file(f)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if path.lower().endswith((".toml",)) or (path.lower().endswith(".gpkg") and self._is_project(path)):
                self.open_path(path)
            else:
                self.add_layer_file(path)

    @staticmethod
    def _is_project(path: str) -> bool:
        import sqlite3

        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                return con.execute("SELECT 1 FROM sqlite_master WHERE name='rp_project'").fetchone() is not None
        except sqlite3.Error:
            return False

    # workflow -----------------------------------------------------------------------------
    def decisions(self) -> dict:
        return self.state.extra.setdefault("decisions", {})

    def weights(self) -> dict:
        from planner.portfolio.settings import load_settings

        return dict(self.state.extra.get("weights") or load_settings().weights)

    def settings_for_portfolio(self):
        from planner.portfolio.settings import load_settings

        s = load_settings()
        s.weights = self.weights()
        return s

    def run_checks_dialog(self) -> None:
        from planner.gui.workflow import RunChecksDialog

        dialog = RunChecksDialog(self.state.params, self.state.as_of, self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.run_checks(params=dialog.params(), selected=dialog.selected(), as_of=dialog.as_of_date())

    def run_checks(self, *, params: dict | None = None, selected: list[str] | None = None, as_of=None):
        """Run the analyses on a worker thread; results replace the previous ones only on success."""
        import datetime as dt

        from planner.analysis.runner import run_analyses
        from planner.gui.workflow import Worker, workspace_from_layers
        from planner.portfolio.build import build_portfolio
        from planner.project import RunConfig
        from planner.review import without_dismissed

        if self.worker is not None and self.worker.is_running():
            return None
        params = dict(self.state.params if params is None else params)
        as_of = as_of or (dt.date.fromisoformat(self.state.as_of) if self.state.as_of else dt.date.today())
        decisions = dict(self.decisions())
        settings = self.settings_for_portfolio()
        ws = workspace_from_layers(self)
        cfg = RunConfig(name=self.state.name, as_of=as_of, params=params)

        def job(feedback):
            result = run_analyses(ws, cfg, feedback, only=selected)
            feedback.check()
            projects = build_portfolio(ws, without_dismissed(result, decisions), settings=settings)
            return ws, cfg, result, projects

        self.worker = Worker(job, self)
        self.worker.progress.connect(self._progress)
        self.worker.finished.connect(self._checks_finished)
        self.worker.failed.connect(lambda exc: self.error(exc, self.tr("Checks failed")))
        self.worker.cancelled.connect(lambda: self.log(self.tr("Checks cancelled; the previous results are kept.")))
        self._progress_dialog(self.tr("Running checks…"))
        self.worker.start()
        return self.worker

    def _progress_dialog(self, title: str) -> None:
        if not self.ask:
            return
        self.progress = QtWidgets.QProgressDialog(title, self.tr("Cancel"), 0, 100, self)
        self.progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        self.progress.canceled.connect(lambda: self.worker and self.worker.cancel())
        self.progress.show()

    def _progress(self, stage: str, percent: float) -> None:
        self.statusBar().showMessage(f"{stage} {percent:.0f}%")
        if self.ask and getattr(self, "progress", None) is not None:
            self.progress.setLabelText(stage)
            self.progress.setValue(int(percent))

    def _close_progress(self) -> None:
        if getattr(self, "progress", None) is not None:
            self.progress.close()
            self.progress = None

    def _checks_finished(self, payload) -> None:
        from planner.gui.workflow import flag_style

        self._close_progress()
        ws, cfg, result, projects = payload
        self.result, self.run_ws, self.run_cfg = result, ws, cfg
        self.state.params = dict(cfg.params)
        self.state.as_of = cfg.as_of.isoformat()
        for layer in list(self.layers):
            if layer.role.startswith("flags:") or layer.role == "projects":
                self.layers.remove(layer)
        from planner.gui.workflow import FLAG_TITLES

        for name, frame in result.flags.items():
            if frame is not None and len(frame):
                self.layers.append(MapLayer(f"标记 {FLAG_TITLES.get(name, name)}", frame, role=f"flags:{name}",
                                            style=flag_style(sorted(frame["code"].unique())), visible=name in {
                                                "flag_dead_end", "road_gap", "flag_idle_land"}))
        self._set_projects(projects)
        self.flag_panel.show_flags(result.flags, self.decisions())
        self.dashboard.show_indicators(result.tables.get("indicators"))
        counts = result.counts_by_code()
        self.log(self.tr("Checks done: {0} flags, {1} projects").format(sum(counts.values()), len(projects)))
        for why in result.skipped.values():
            self.log(why)

    def _set_projects(self, projects) -> None:
        from planner.gui.workflow import project_style

        self.projects = projects
        old = next((lyr for lyr in self.layers if lyr.role == "projects"), None)
        if old is not None:
            old.frame = projects
            old.style = project_style(sorted(projects["type"].unique())) if len(projects) else old.style
            self.layers.notify(old)
            layer = old
        else:
            layer = MapLayer("更新项目 Projects", projects, role="projects",
                             style=project_style(sorted(projects["type"].unique())) if len(projects) else {})
            self.layers.append(layer)
        self.portfolio_panel.show_projects(layer)
        self.portfolio_panel.set_weights(self.weights())

    def _restore_results(self) -> None:
        """Flags and projects saved in a project come back into the panels."""
        import datetime as dt

        from planner.analysis.runner import RunResult
        from planner.gui.workflow import workspace_from_layers
        from planner.project import RunConfig

        flags = {lyr.role.split(":", 1)[1]: lyr.frame for lyr in self.layers if lyr.role.startswith("flags:")}
        self.result = RunResult(flags=flags) if flags else None
        self.run_ws = workspace_from_layers(self) if flags else None
        self.run_cfg = RunConfig(name=self.state.name, params=dict(self.state.params),
                                 as_of=dt.date.fromisoformat(self.state.as_of) if self.state.as_of else dt.date.today())
        projects = next((lyr for lyr in self.layers if lyr.role == "projects"), None)
        self.projects = projects.frame if projects is not None else None
        if flags:
            self.flag_panel.show_flags(flags, self.decisions())
        self.portfolio_panel.show_projects(projects)
        self.portfolio_panel.set_weights(self.weights())

    def decide(self, flag_id: str, state: str | None, note: str = "", code: str = "") -> None:
        from planner.gui.workflow import DecisionCommand

        decision = None if state is None else {"state": state, "note": note, "code": code}
        self.undo_stack.push(DecisionCommand(self, flag_id, decision))

    def _decide_current(self, state) -> None:
        data = self.flag_panel.current()
        if not data:
            return
        note, code = "", ""
        if state == "dismissed" and self.ask:
            note, ok = QtWidgets.QInputDialog.getText(self, self.tr("Dismiss flag"), self.tr("Why is this flag dismissed?"))
            if not ok:
                return
        if state == "reclassified":
            from planner.export.styles import CODE_TITLES

            codes = [f"{k} {v}" for k, v in CODE_TITLES.items()]
            if not self.ask:
                return
            choice, ok = QtWidgets.QInputDialog.getItem(self, self.tr("Reclassify flag"), self.tr("New rule code"),
                                                        codes, 0, False)
            if not ok:
                return
            code = choice.split(" ")[0]
        self.decide(data[1], state, note, code)

    def decisions_changed(self) -> None:
        """Decisions changed (or were undone): refresh the panel and rebuild the portfolio."""
        from planner.portfolio.build import build_portfolio
        from planner.review import without_dismissed

        self.dirty = True
        if self.result is None:
            return
        current = self.flag_panel.current()
        self.flag_panel.show_flags(self.result.flags, self.decisions())
        if current:
            self.flag_panel.select_flag(current[1])
        ws = getattr(self, "run_ws", None)
        if ws is not None:
            self._set_projects(build_portfolio(ws, without_dismissed(self.result, self.decisions()),
                                               settings=self.settings_for_portfolio()))

    def set_weights(self, weights: dict) -> None:
        from planner.portfolio.build import rescore

        self.state.extra["weights"] = dict(weights)
        self.dirty = True
        if self.projects is not None and len(self.projects):
            self._set_projects(rescore(self.projects, self.settings_for_portfolio()))
        else:
            self.portfolio_panel.set_weights(weights)

    def select_indicator_features(self, indicator: str, district: str) -> np.ndarray:
        """Select the flags behind an indicator (within the district, unless it is the whole area)."""
        import shapely

        from planner.gui.workflow import indicator_features

        spec = indicator_features(indicator)
        if spec is None:
            return np.zeros(0, dtype=np.int64)
        layer = next((lyr for lyr in self.layers if lyr.role == f"flags:{spec[0]}"), None)
        if layer is None or spec[1] not in layer.frame.columns:
            return np.zeros(0, dtype=np.int64)
        mask = (layer.frame[spec[1]].astype(str) == spec[2]).to_numpy().copy()
        boundary = next((lyr for lyr in self.layers if lyr.role == "boundary"), None)
        if boundary is not None and not district.startswith("全部"):
            names = boundary.frame["name"].astype(str).to_numpy()
            polys = boundary.frame.geometry.values[names == district]
            if len(polys):
                mask &= shapely.intersects(layer.frame.geometry.values, shapely.union_all(polys))
        rows = np.flatnonzero(mask)
        layer.visible = True
        self.layers.notify(layer)
        self.layers.select(layer, rows)
        self.log(self.tr("{0}: {1} features behind {2}").format(layer.name, len(rows), indicator))
        return rows

    def _flag_selected(self, layer_name: str, flag_id: str) -> None:
        from planner.gui.workflow import zoom_to_rows

        layer = next((lyr for lyr in self.layers if lyr.role == f"flags:{layer_name}"), None)
        if layer is None:
            return
        rows = np.flatnonzero(layer.frame["flag_id"].astype(str).to_numpy() == flag_id)
        layer.visible = True
        self.layers.select(layer, rows)
        zoom_to_rows(self.canvas, layer.frame, rows)
        frame = self.result.flags.get(layer_name) if self.result else None
        if frame is not None and len(rows):
            src = str(frame["source_id"].iloc[rows[0]])
            self.log(f"{flag_id}: {frame['reason'].iloc[rows[0]]} ({src})")

    # editing -----------------------------------------------------------------------------
    def frame_edited(self, layer: MapLayer) -> None:
        """A layer's features changed (an edit, or its undo): keep the panels in step."""
        self.dirty = True
        if layer.role == "projects":
            self.projects = layer.frame
            self.portfolio_panel.show_projects(layer)
        if self.table.model.layer is layer:
            self.table.set_layer(layer)

    def _push_frame(self, layer: MapLayer, frame, text: str) -> None:
        from planner.gui.workflow import FrameEditCommand

        self.undo_stack.push(FrameEditCommand(self, layer, frame, text))

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
        from planner.editing import move_vertex, snap, with_geometry

        tol = snap_px * self.canvas.units_per_pixel
        sx, sy, how = snap(x, y, self.snap_candidates(exclude=layer), tol)
        geom = move_vertex(layer.frame.geometry.values[row], index, sx, sy)
        self._push_frame(layer, with_geometry(layer.frame, row, geom), self.tr("Move vertex"))
        return sx, sy, how

    def split_feature(self, layer: MapLayer, row: int, line) -> None:
        from planner.editing import replace_rows, split_polygon, split_project

        if layer.role == "projects":
            self._push_frame(layer, split_project(layer.frame, row, line), self.tr("Split project"))
            return
        geom = layer.frame.geometry.values[row]
        if layer.geometry_kind == "line":
            from planner.editing import split_line

            pieces = split_line(geom, line)
        else:
            pieces = split_polygon(geom, line)
        frame = layer.frame
        copies = frame.iloc[[row] * len(pieces)].copy()
        copies = copies.set_geometry(type(frame.geometry)(pieces, index=copies.index, crs=frame.crs))
        self._push_frame(layer, replace_rows(frame, [row], copies), self.tr("Split feature"))

    def merge_features(self, layer: MapLayer, rows) -> None:
        from planner.editing import merge_polygons, merge_projects, replace_rows

        rows = sorted(int(r) for r in rows)
        if layer.role == "projects":
            self._push_frame(layer, merge_projects(layer.frame, rows), self.tr("Merge projects"))
            return
        frame = layer.frame
        first = frame.iloc[[rows[0]]].copy()
        first = first.set_geometry([merge_polygons(frame.geometry.values[rows])], crs=frame.crs)
        self._push_frame(layer, replace_rows(frame, rows, first), self.tr("Merge features"))

    def delete_features(self, layer: MapLayer, rows) -> None:
        from planner.editing import replace_rows

        self._push_frame(layer, replace_rows(layer.frame, rows), self.tr("Delete features"))

    def edit_attribute(self, layer: MapLayer, row: int, column: str, value) -> None:
        """Set one attribute, converted to the column's type (a clear error where it does not fit)."""
        import pandas as pd

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
        except (TypeError, ValueError):
            raise InputError(f"'{value}' is not a valid {col.dtype} value.", layer=layer.name, field=column, row=row,
                             hint="enter a number.") from None
        frame.iloc[row, frame.columns.get_loc(column)] = value
        self._push_frame(layer, frame, self.tr("Edit {0}").format(column))

    def _geometry_edit(self, layer: MapLayer, row: int, op: str, *args) -> None:
        """Apply an editing function of planner.editing to one feature, as an undoable command."""
        from planner import editing

        try:
            geom = getattr(editing, op)(layer.frame.geometry.values[row], *args)
        except InputError as exc:
            self.error(exc)
            return
        self._push_frame(layer, editing.with_geometry(layer.frame, row, geom), {"add_vertex": self.tr("Add vertex"), "delete_vertex": self.tr("Delete vertex"),
                                        "move_feature": self.tr("Move feature")}.get(op, op))

    def add_drawn_feature(self, layer: MapLayer, geom) -> None:
        """A feature drawn on the map: a new project on the projects layer, else a new row."""
        import geopandas as gpd

        if layer.role == "projects":
            from planner.editing import project_from_features

            drawn = gpd.GeoDataFrame({"id": [0]}, geometry=[geom], crs=layer.frame.crs)
            self._push_frame(layer, project_from_features(layer.frame, drawn, "service_facility",
                                                          self.settings_for_portfolio()), self.tr("Draw project"))
            return
        from planner.editing import replace_rows

        new = gpd.GeoDataFrame({c: [None] for c in layer.frame.columns if c != layer.frame.geometry.name},
                               geometry=[geom], crs=layer.frame.crs)
        self._push_frame(layer, replace_rows(layer.frame, [], new), self.tr("Add feature"))

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
        from planner.editing import project_from_features

        layer = layer or self.layer_panel.current_layer()
        rows = self.layers.selected(layer) if layer is not None else []
        if layer is None or len(rows) == 0:
            self.error(InputError("no features are selected.", hint="select features on the map first."))
            return
        projects_layer = next((lyr for lyr in self.layers if lyr.role == "projects"), None)
        if projects_layer is None:
            self.error(InputError("there is no portfolio yet.", hint="run the checks first (F5)."))
            return
        new = project_from_features(projects_layer.frame, layer.frame.iloc[rows], kind,
                                    self.settings_for_portfolio(), name=name)
        self._push_frame(projects_layer, new, self.tr("Create project"))

    def _guarded(self, fn, *args):
        try:
            return fn(*args)
        except InputError as exc:
            self.error(exc)
            return None

    def _split_by_line(self, layer, line) -> None:
        import shapely

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
            self.delete_features(layer, self.layers.selected(layer))

    def export_dialog(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, self.tr("Export deliverables to"),
                                                            str(self.settings.value("last_dir", "")))
        if not folder:
            return
        from planner.gui.workflow import ExportOptionsDialog

        types = sorted(self.projects["type"].unique()) if self.projects is not None and len(self.projects) else []
        dialog = ExportOptionsDialog(types, self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.export(Path(folder), open_when_done=True, **dialog.options())

    def export(self, folder: Path, *, open_when_done: bool = False, sheets: bool = True,
               sheet_types: list[str] | None = None, basemap: str | None = None):
        """Write the deliverables of the current results (with review decisions) on a worker thread."""
        from planner import __version__
        from planner.export.deliverables import write_deliverables
        from planner.gui.workflow import Worker, open_folder
        from planner.review import apply_decisions

        if self.result is None or getattr(self, "run_ws", None) is None:
            self.error(InputError("there are no results to export yet.", hint="run the checks first (F5)."))
            return None
        result = copy_result(self.result)
        result.flags = apply_decisions(self.result.flags, self.decisions())
        projects = self.projects
        ws, cfg = self.run_ws, self.run_cfg
        run_info = {"name": cfg.name, "as_of": cfg.as_of.isoformat(), "working_crs": self.state.crs,
                    "parameters": result.parameters, "weights": self.weights(), "software": __version__,
                    "decisions": len(self.decisions())}

        def job(feedback):
            # Sheets are drawn in a spawned process: matplotlib holds the GIL while drawing, and
            # forking a process that runs Qt threads is unsafe.
            return write_deliverables(folder, result, ws, cfg, projects, run_info, feedback,
                                      options={"sheets": sheets, "sheet_workers": 1, "sheet_start_method": "spawn",
                                               "sheet_types": sheet_types, "basemap": basemap})

        self.worker = Worker(job, self)
        self.worker.progress.connect(self._progress)

        def done(timings):
            self._close_progress()
            self.log(self.tr("Deliverables written to {0}").format(folder))
            if open_when_done:
                open_folder(folder)

        self.worker.finished.connect(done)
        self.worker.failed.connect(lambda exc: (self._close_progress(), self.error(exc, self.tr("Export failed"))))
        self._progress_dialog(self.tr("Writing deliverables…"))
        self.worker.start()
        return self.worker

    # saving -------------------------------------------------------------------------------
    def _sync_state(self) -> None:
        self.state.view = self.canvas.extent() if len(self.layers) else None

    def save_to(self, path: str | Path) -> bool:
        path = Path(path)
        if path.suffix.lower() != ".gpkg":
            path = path.with_suffix(".gpkg")
        self._sync_state()
        try:
            save_project(self.state, path)
        except InputError as exc:
            self.error(exc, self.tr("Cannot save"))
            return False
        auto = autosave_path(path)
        if auto.exists():
            auto.unlink()
        self.project_path = path
        self.dirty = False
        self._add_recent(path)
        self._update_title()
        self.log(self.tr("Saved {0}").format(path))
        return True

    def save(self) -> bool:
        if self.project_path is None:
            return self.save_as_dialog()
        return self.save_to(self.project_path)

    def save_as_dialog(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, self.tr("Save project"), str(self.settings.value("last_dir", "")),
                                                        self.tr("Renewal Planner project (*.gpkg)"))
        return bool(path) and self.save_to(path)

    def autosave(self) -> Path | None:
        if not self.dirty or self.project_path is None or len(self.layers) == 0:
            return None
        self._sync_state()
        target = autosave_path(self.project_path)
        try:
            save_project(self.state, target)
            self.log(self.tr("Autosaved to {0}").format(target))
            return target
        except InputError as exc:
            self.log(exc.message())
            return None

    def new_project(self) -> None:
        if not self._maybe_save():
            return
        self.layers_clear()
        self.state = ProjectState(layers=self.layers)
        self.project_path = None
        self.canvas.crs = None
        self.dirty = False
        self._update_title()

    def open_dialog(self) -> None:
        if not self._maybe_save():
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, self.tr("Open project"), str(self.settings.value("last_dir", "")),
            self.tr("Projects (*.gpkg *.toml);;All files (*)"))
        if path:
            self.open_path(path)

    def _maybe_save(self) -> bool:
        if not self.dirty or not self.ask or len(self.layers) == 0:
            return True
        answer = QtWidgets.QMessageBox.question(
            self, self.tr("Unsaved changes"), self.tr("Save the changes to the project first?"),
            QtWidgets.QMessageBox.StandardButton.Save | QtWidgets.QMessageBox.StandardButton.Discard
            | QtWidgets.QMessageBox.StandardButton.Cancel)
        if answer == QtWidgets.QMessageBox.StandardButton.Cancel:
            return False
        if answer == QtWidgets.QMessageBox.StandardButton.Save:
            return self.save()
        return True

    def _update_title(self) -> None:
        name = self.project_path.name if self.project_path else self.state.name
        self.setWindowTitle(f"{name} — " + self.tr("Renewal Planner"))

    def _add_recent(self, path: Path) -> None:
        recent = [p for p in (self.settings.value("recent", []) or []) if p != str(path)]
        recent.insert(0, str(path))
        self.settings.setValue("recent", recent[:8])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.settings.value("recent", []) or []:
            self.recent_menu.addAction(p, lambda _=False, p=p: self.open_path(p))

    def set_language(self, lang: str) -> None:
        self.settings.setValue("language", lang)
        self.act_lang_zh.setChecked(lang == "zh_CN")
        self.act_lang_en.setChecked(lang == "en")
        self.log(self.tr("The language changes at the next start."))

    def closeEvent(self, event) -> None:
        if not self._maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        super().closeEvent(event)
