"""The main window: views of the session (map canvas, layer panel, attribute table, flags,
portfolio, dashboard, undo history, messages) and the wiring between them. State lives in the
headless :class:`planner.session.Session`; file, editing and workflow actions are in
``files.py``, ``edit_actions.py`` and ``workflow.py``."""

from __future__ import annotations

import time

import numpy as np
from pyproj import CRS
from PyQt6 import QtCore, QtGui, QtWidgets

from planner.errors import InputError
from planner.gui.attribute_table import AttributeTable
from planner.gui.canvas import MapCanvas
from planner.gui.edit_actions import EditActions
from planner.gui.files import FileActions
from planner.gui.jobs import run_blocking
from planner.gui.layer_panel import LayerPanel
from planner.gui.panels import Dashboard, FlagPanel, PortfolioPanel
from planner.gui.workflow import WorkflowActions
from planner.model import MapLayer
from planner.session import FLAG_PREFIX, PROJECTS_ROLE, Session

ORG, APP = "RenewalPlanner", "RenewalPlanner"
AUTOSAVE_MS = 120_000


class UndoHistory:
    """The undo and redo of the session's history, for views and tests."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def undo(self) -> None:
        self.session.undo()

    def redo(self) -> None:
        self.session.redo()

    def undoText(self) -> str:  # noqa: N802 (Qt's name)
        h = self.session.history
        return h.commands[h.index - 1].text if h.can_undo() else ""


class MainWindow(FileActions, EditActions, WorkflowActions, QtWidgets.QMainWindow):
    projectLoaded = QtCore.pyqtSignal()
    _message = QtCore.pyqtSignal(str)
    report_error = QtCore.pyqtSignal(str)   # from the application-wide exception hook (any thread)

    def __init__(self, *, settings: QtCore.QSettings | None = None, ask: bool = True,
                 session: Session | None = None):
        super().__init__()
        self.settings = settings or QtCore.QSettings(ORG, APP)
        self.ask = ask  # False in tests and --screenshot: no modal questions
        self.session = session or Session()
        self.catalogue = self.session.catalogue
        self.layers = self.session.layers
        self.undo_stack = UndoHistory(self.session)
        # portfolio rebuilds (decisions, weights, edits) run on a worker; the window keeps turning
        self.session.portfolio_runner = lambda job: run_blocking(lambda _fb: job(), self)
        self.worker = None
        self.last_error = ""
        self.setWindowTitle(self.tr("Renewal Planner"))
        self.resize(1400, 900)
        self.setAcceptDrops(True)

        self.canvas = MapCanvas(self.layers, self)
        self.setCentralWidget(self.canvas)
        self.layer_panel = LayerPanel(self.layers)
        self.table = AttributeTable(self.layers, self.catalogue)
        self.messages = QtWidgets.QPlainTextEdit(readOnly=True)
        self.dashboard = Dashboard()
        self.flag_panel = FlagPanel()
        self.portfolio_panel = PortfolioPanel()
        self.undo_view = QtWidgets.QListWidget()
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
        for key in ("messages", "portfolio", "dashboard"):
            self.tabifyDockWidget(self.docks["table"], self.docks[key])
        self.docks["history"].hide()
        self.docks["table"].raise_()

        self._build_actions()
        self._build_status()
        self._connect()
        self.autosave_timer = QtCore.QTimer(self, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def _connect(self) -> None:
        ev = self.session.events
        ev.opened.connect(self._opened)
        ev.results.connect(self._results_changed)
        ev.decisions.connect(self._decisions_changed)
        ev.portfolio.connect(self._portfolio_changed)
        ev.weights.connect(self.portfolio_panel.set_weights)
        ev.history.connect(self._history_changed)
        ev.dirty.connect(lambda _d: self._update_title())
        ev.saved.connect(lambda _p: self._update_title())
        # engine messages may come from any thread: through a queued Qt signal
        ev.message.connect(self._message.emit)
        self._message.connect(self.log)
        self.report_error.connect(self._report_error)
        self.layers.changed.connect(self._layer_changed)
        self.layer_panel.activeLayerChanged.connect(self._active_layer_changed)
        self.flag_panel.flagSelected.connect(self._flag_selected)
        self.dashboard.indicatorChosen.connect(self.select_indicator_features)
        self.portfolio_panel.model.on_edit = self._table_edit
        self.table.model.on_edit = self._table_edit
        self.flag_panel.btn_confirm.clicked.connect(lambda: self._decide_current("confirmed"))
        self.flag_panel.btn_dismiss.clicked.connect(lambda: self._decide_current("dismissed"))
        self.flag_panel.btn_reopen.clicked.connect(lambda: self._decide_current(None))
        self.flag_panel.btn_reclassify.clicked.connect(lambda: self._decide_current("reclassified"))
        self.portfolio_panel.weightsEdited.connect(self.set_weights)
        self.layer_panel.zoomToLayer.connect(self.canvas.zoom_to_layer)
        c = self.canvas
        c.identified.connect(self._identified)
        c.vertexDragged.connect(lambda layer, row, i, x, y: self._guarded(self.move_vertex, layer, row, i, x, y))
        c.lineDrawn.connect(self._split_by_line)
        c.vertexAdded.connect(lambda lyr, row, x, y: self._geometry_edit(lyr, row, "add_vertex", x, y))
        c.vertexDeleted.connect(lambda lyr, row, i: self._geometry_edit(lyr, row, "delete_vertex", i))
        c.featureMoved.connect(lambda lyr, row, dx, dy: self._geometry_edit(lyr, row, "move_feature", dx, dy))
        c.featureDrawn.connect(self.add_drawn_feature)
        c.cursorMoved.connect(self._cursor_moved)
        c.extentChanged.connect(self._extent_changed)
        c.renderFinished.connect(lambda ms: self.render_label.setText(self.tr("Render {0} ms").format(f"{ms:.0f}")))

    # session events --------------------------------------------------------------------------
    def _opened(self, _path) -> None:
        state = self.session.state
        self.canvas.crs = CRS.from_user_input(state.crs) if state.crs else None
        self.crs_label.setText(state.crs or "")
        self.layer_panel.rebuild()
        buildings = self.session.layer_of_role("buildings")
        if buildings is not None:  # the table shows the buildings from the start
            self.layer_panel.set_current(buildings)
        if state.view:
            self.canvas.set_extent(state.view)
        else:
            self.canvas.zoom_full()
        self.portfolio_panel.set_weights(self.session.weights)
        self._update_title()
        self.projectLoaded.emit()

    def _results_changed(self) -> None:
        result = self.session.result
        self.flag_panel.show_flags(result.flags if result else {}, self.session.decisions)
        self.dashboard.show_indicators(result.tables.get("indicators") if result else None)

    def _decisions_changed(self, _ids) -> None:
        current = self.flag_panel.current()
        if self.session.result is not None:
            self.flag_panel.show_flags(self.session.result.flags, self.session.decisions)
        if current:
            self.flag_panel.select_flag(current[1])

    def _portfolio_changed(self, _projects) -> None:
        layer = self.session.layer_of_role(PROJECTS_ROLE)
        self.portfolio_panel.show_projects(layer)
        self.portfolio_panel.set_weights(self.session.weights)
        if layer is not None and self.table.model.layer is layer:
            self.table.set_layer(layer)

    def _history_changed(self) -> None:
        h = self.session.history
        self.undo_view.clear()
        self.undo_view.addItem(self.tr("<empty>"))
        self.undo_view.addItems(h.texts())
        self.undo_view.setCurrentRow(h.index)
        self.act_undo.setEnabled(h.can_undo())
        self.act_redo.setEnabled(h.can_redo())

    def _layer_changed(self, layer: MapLayer) -> None:
        if self.table.model.layer is layer and layer.role != PROJECTS_ROLE:
            self.table.set_layer(layer)

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
        self.act_undo = self._action(self.tr("&Undo"), self.session.undo, "Ctrl+Z")
        self.act_redo = self._action(self.tr("&Redo"), self.session.redo, "Ctrl+Y")
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

    def _cursor_moved(self, x: float, y: float) -> None:
        self.coord_label.setText(f"X {x:,.1f}  Y {y:,.1f}")
        deg = self.canvas.map_to_degrees(x, y)
        if deg:
            self.deg_label.setText(f"CGCS2000 {deg[0]:.6f}°E {deg[1]:.6f}°N")

    def _extent_changed(self, _extent) -> None:
        self.scale_label.setText(self.tr("Scale 1:{0}").format(f"{self.canvas.scale_denominator():,.0f}"))

    def _update_title(self) -> None:
        path = self.session.path
        name = path.name if path else self.session.state.name
        self.setWindowTitle(f"{name}{' *' if self.session.dirty else ''} — " + self.tr("Renewal Planner"))

    def log(self, text: str) -> None:
        from PyQt6 import sip

        if sip.isdeleted(self) or sip.isdeleted(self.messages):  # a message after the window closed
            return
        self.messages.appendPlainText(f"[{time.strftime('%H:%M:%S')}] {text}")

    def error(self, exc: BaseException, title: str | None = None) -> None:
        """Show a problem in the Messages panel (and a dialog when asking); the traceback of a
        bug was written to the user's log folder by whoever caught it."""
        text = exc.message() if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
        self.log(text)
        log_path = getattr(exc, "log_path", None)
        if log_path:
            self.log(self.tr("Details: {0}").format(log_path))
        if self.ask:
            QtWidgets.QMessageBox.warning(self, title or self.tr("Problem"), text)
        self.last_error = text

    def _report_error(self, text: str) -> None:
        self.log(self.tr("Internal error (the work is kept): {0}").format(text))
        self.last_error = text
        self.docks["messages"].raise_()

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

    def set_language(self, lang: str) -> None:
        self.settings.setValue("language", lang)
        self.act_lang_zh.setChecked(lang == "zh_CN")
        self.act_lang_en.setChecked(lang == "en")
        self.log(self.tr("The language changes at the next start."))

    def flag_layers(self) -> list[MapLayer]:
        return [lyr for lyr in self.layers if lyr.role.startswith(FLAG_PREFIX)]

    def closeEvent(self, event) -> None:
        if not self._maybe_save():
            event.ignore()
            return
        self.autosave_timer.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        super().closeEvent(event)
