"""The main window: views of the session (map canvas, layer panel, attribute table, flag
review, identify, portfolio, dashboard, undo history, messages) and the wiring between them.
State lives in the headless :class:`planner.session.Session`; file, editing, workflow and
window actions are in ``files.py``, ``edit_actions.py``, ``workflow.py`` and ``actions.py``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import GeneratorType
from typing import Any

import numpy as np
from pyproj import CRS
from PyQt6 import QtCore, QtWidgets

from planner import messages_zh
from planner.errors import InputError
from planner.gui import i18n
from planner.gui.actions import WindowActions
from planner.gui.attribute_table import AttributeTable
from planner.gui.canvas import MapCanvas
from planner.gui.dashboard import Dashboard
from planner.gui.edit_actions import EditActions
from planner.gui.files import FileActions
from planner.gui.identify import IdentifyPanel
from planner.gui.jobs import foreground, run_blocking
from planner.gui.layer_panel import LayerPanel
from planner.gui.panels import PortfolioPanel
from planner.gui.review import FlagReviewPanel
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


class MainWindow(FileActions, EditActions, WorkflowActions, WindowActions, QtWidgets.QMainWindow):
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
        self._pending_views: list | None = None
        self.last_error = ""
        self.setWindowTitle(self.tr("Renewal Planner"))
        self.resize(1400, 900)
        self.setAcceptDrops(True)

        self.canvas = MapCanvas(self.layers, self)
        self.setCentralWidget(self.canvas)
        self.layer_panel = LayerPanel(self.layers, catalogue=self.catalogue)
        self.table = AttributeTable(self.layers, self.catalogue)
        self.messages = QtWidgets.QPlainTextEdit(readOnly=True)
        self.dashboard = Dashboard()
        self.flag_panel = FlagReviewPanel()
        self.flag_panel.ask_note = self._ask_note
        self.identify_panel = IdentifyPanel(self.catalogue)
        self.portfolio_panel = PortfolioPanel()
        self.undo_view = QtWidgets.QListWidget()
        self.docks = {}
        left, right = QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        bottom = QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        for key, title, widget, area in (
            ("layers", self.tr("Layers"), self.layer_panel, left),
            ("flags", self.tr("Flag review"), self.flag_panel, right),
            ("identify", self.tr("Identify"), self.identify_panel, right),
            ("history", self.tr("Undo history"), self.undo_view, right),
            ("table", self.tr("Attribute table"), self.table, bottom),
            ("portfolio", self.tr("Portfolio"), self.portfolio_panel, bottom),
            ("dashboard", self.tr("City examination"), self.dashboard, bottom),
            ("messages", self.tr("Messages"), self.messages, bottom),
        ):
            dock = QtWidgets.QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        for key in ("portfolio", "dashboard", "messages"):
            self.tabifyDockWidget(self.docks["table"], self.docks[key])
        for key in ("identify", "history"):
            self.tabifyDockWidget(self.docks["flags"], self.docks[key])
        self.docks["history"].hide()
        self.docks["table"].raise_()
        self.docks["flags"].raise_()
        self.setDockOptions(self.dockOptions() | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks)
        # the map gets most of the window: narrow side panels, a low table
        self.resizeDocks([self.docks["layers"], self.docks["flags"]], [270, 400], QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["table"]], [230], QtCore.Qt.Orientation.Vertical)

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
        ev.opened.connect(lambda path: self._view_update(self._opened, path))
        ev.results.connect(lambda: (self._view_update(self._show_flags), self._view_update(self._show_indicators)))
        ev.decisions.connect(self._decisions_changed)
        ev.portfolio.connect(lambda projects: self._view_update(self._portfolio_changed, projects))
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
        self.flag_panel.decideRequested.connect(self.decide)
        self.flag_panel.reclassifyRequested.connect(self._reclassify)
        self.identify_panel.featureChosen.connect(self._identify_chosen)
        self.dashboard.indicatorChosen.connect(self.select_indicator_features)
        self.portfolio_panel.model.on_edit = self._table_edit
        self.table.model.on_edit = self._table_edit
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
        c.measured.connect(self._measured)
        c.renderFinished.connect(lambda ms: self.render_label.setText(self.tr("Render {0} ms").format(f"{ms:.0f}")))

    # session events --------------------------------------------------------------------------
    def _view_update(self, fn, *args) -> None:
        """A panel follows a session event now, or, while a project is adopted, in turns of
        the event loop of its own (see :meth:`adopt`). ``fn`` may be a generator function: each
        ``yield`` is a point where the window may paint and answer before the next step."""
        if self._pending_views is not None:
            self._pending_views.append((fn, args))
        else:
            for _ in _steps(fn(*args)):
                pass

    def adopt(self, prepared) -> None:
        """Make a prepared project the session's; the layer panel, tables, flag list and
        dashboard then follow one per turn of the event loop (the window paints and answers
        between them: a million-building project is several panels' work)."""
        # the project replaced: kept until the panels let go of it, then emptied a slice at a
        # time on a thread (freeing a million geometries at once paused the window 1-3 s)
        old = (list(self.session.layers), self.session.result)
        self._pending_views = []
        try:
            self.session.adopt(prepared)
        finally:
            pending, self._pending_views = self._pending_views, None
        with foreground():  # a replaced project is let go after the panels are built
            for fn, args in pending:
                QtWidgets.QApplication.processEvents()
                for _ in _steps(fn(*args)):
                    QtWidgets.QApplication.processEvents()
        if old[0] or old[1] is not None:
            from planner.gui.canvas import _RUNNING
            from planner.gui.release import release_in_slices

            busy = list(_RUNNING.values())  # drawings that may still read the old layers
            if self.worker is not None and self.worker.thread is not None:
                busy.append(self.worker.thread)
            self._release = release_in_slices(old, (list(self.session.layers), self.session.result), busy)

    def _opened(self, _path) -> Iterator[None]:
        """The views follow an opened project, a step per turn of the event loop (a million-
        building project's panels are tens of milliseconds each the first time)."""
        state = self.session.state
        self.canvas.crs = CRS.from_user_input(state.crs) if state.crs else None
        self.crs_label.setText(state.crs or "")
        yield
        self.layer_panel.rebuild()
        yield
        buildings = self.session.layer_of_role("buildings")
        if buildings is not None:  # the table shows the buildings from the start
            self.layer_panel.set_current(buildings)
            yield
        if state.view:
            self.canvas.set_extent(state.view)
        else:
            self.canvas.zoom_full()
        self.portfolio_panel.set_weights(self.session.weights)
        self._update_title()
        self.projectLoaded.emit()

    def _show_flags(self) -> Iterator[None]:
        yield from self.flag_panel.show_table_steps(self.session.flag_table())

    def _show_indicators(self) -> None:
        result = self.session.result
        self.dashboard.show_indicators(result.tables.get("indicators") if result else None)

    def _decisions_changed(self, ids) -> None:
        self.flag_panel.update_decisions(self.session.decisions, ids)

    def _portfolio_changed(self, _projects) -> Iterator[None]:
        layer = self.session.layer_of_role(PROJECTS_ROLE)
        self.portfolio_panel.show_projects(layer)
        yield
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

    def _update_title(self) -> None:
        path = self.session.path
        name = path.name if path else self.session.state.name
        self.setWindowTitle(f"{name}{' *' if self.session.dirty else ''} — " + self.tr("Renewal Planner"))

    def log(self, text: str) -> None:
        from PyQt6 import sip

        if sip.isdeleted(self) or sip.isdeleted(self.messages):  # a message after the window closed
            return
        if i18n.lang() == "zh":  # the engine's English warnings and bad-input paragraphs, in Chinese
            text = messages_zh.display(text)
        self.messages.appendPlainText(f"[{time.strftime('%H:%M:%S')}] {text}")

    def error(self, exc: BaseException, title: str | None = None) -> None:
        """Show a problem in the Messages panel (and a dialog when asking); the traceback of a
        bug was written to the user's log folder by whoever caught it."""
        text = exc.message(i18n.lang()) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
        self.log(text)
        log_path = getattr(exc, "log_path", None)
        if log_path:
            self.log(self.tr("Details: {0}").format(log_path))
        if self.ask:
            QtWidgets.QMessageBox.warning(self, title or self.tr("Problem"), text)
        self.last_error = exc.message() if isinstance(exc, InputError) else text  # English, as in the log

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

    def _identified(self, results) -> None:
        self.identify_panel.show_results(results)
        self.identify_result = results
        if not results:
            self.statusBar().showMessage(self.tr("Nothing here"), 3000)
            return
        self.docks["identify"].show()
        self.docks["identify"].raise_()
        layer, rows = results[0]
        self.layers.select(layer, rows[:1])

    def _identify_chosen(self, layer, row: int) -> None:
        self.layer_panel.set_current(layer)
        self.layers.select(layer, np.array([row]))

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
        dialog = StyleDialog(layer, self, self.catalogue)
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
        self.log(self.tr("{0}: {1} features selected by {2}").format(i18n.layer_title(layer), len(rows), text))
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


def _steps(result: Any) -> Iterator[None]:
    """The steps of a view update: a generator's, or none for a plain function's result."""
    if isinstance(result, GeneratorType):
        yield from result
