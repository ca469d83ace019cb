"""The window's actions declared as data (text, shortcut, icon, tooltip), its menus and tool
bar, and the navigation around the map: zoom back and forward, bookmarks, the scale box, the
cursor's coordinates in the working CRS and in degrees, measuring."""

from __future__ import annotations

import json
import re

from PyQt6 import QtCore, QtGui, QtWidgets

from planner.gui import i18n
from planner.gui.icons import icon

SCALES = (500, 1000, 2000, 5000, 10_000, 25_000, 50_000, 100_000)


class WindowActions:
    """Mixed into the main window: ``self.canvas``, ``self.session``, ``self.settings``."""

    def _action(self, key, text, slot, shortcut=None, tip=None, checkable=False):
        a = QtGui.QAction(text, self)
        a.setObjectName(f"act_{key}")
        if shortcut:
            a.setShortcut(QtGui.QKeySequence(shortcut))
        if key in _icon_keys():
            a.setIcon(icon(key))
        plain = re.sub(r"\(&\w\)", "", text).replace("&", "").rstrip("…")  # no mnemonic in a tooltip
        hint = tip or plain
        if shortcut:
            hint += f" ({QtGui.QKeySequence(shortcut).toString(QtGui.QKeySequence.SequenceFormat.NativeText)})"
        a.setToolTip(hint)
        a.setStatusTip(hint)
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        return a

    def _build_actions(self) -> None:
        A = self._action  # noqa: N806
        self.act_new = A("new", self.tr("&New Project"), self.new_project, "Ctrl+N")
        self.act_open = A("open", self.tr("&Open Project…"), self.open_dialog, "Ctrl+O")
        self.act_save = A("save", self.tr("&Save Project"), self.save, "Ctrl+S")
        self.act_save_as = A("save_as", self.tr("Save Project &As…"), self.save_as_dialog, "Ctrl+Shift+S")
        self.act_add = A("add_layer", self.tr("&Add Layer…"), self.add_layer_dialog, "Ctrl+L")
        self.act_quit = A("quit", self.tr("E&xit"), self.close, "Ctrl+Q")
        self.act_full = A("full", self.tr("Zoom to &Full Extent"), self.canvas.zoom_full, "Ctrl+Shift+F")
        self.act_zoom_layer = A("zoom_layer", self.tr("Zoom to &Layer"), self._zoom_to_active)
        self.act_zoom_sel = A("zoom_selection", self.tr("Zoom to &Selection"), self.canvas.zoom_to_selection, "Ctrl+J")
        self.act_back = A("back", self.tr("Zoom &Back"), lambda: self.canvas.go(-1), "Alt+Left")
        self.act_forward = A("forward", self.tr("Zoom &Forward"), lambda: self.canvas.go(+1), "Alt+Right")
        self.act_back.setEnabled(False)
        self.act_forward.setEnabled(False)
        self.act_bookmark = A("bookmark", self.tr("&New Bookmark…"), self.add_bookmark_dialog, "Ctrl+B")
        self.act_select_expr = A("select_expression", self.tr("Select by &Expression…"), self.select_by_expression_dialog)
        self.act_clear_sel = A("clear_selection", self.tr("&Clear Selection"), self.clear_selection, "Ctrl+Shift+A")
        self.act_remove = A("remove_layer", self.tr("&Remove Layer"), self.remove_active_layer)
        self.act_style = A("style", self.tr("Layer &Style…"), self.style_dialog)
        self.act_run = A("run", self.tr("&Run Checks…"), self.run_checks_dialog, "F5")
        self.act_export = A("export", self.tr("&Export Deliverables…"), self.export_dialog, "Ctrl+E")
        self.act_merge = A("merge", self.tr("&Merge Selected"), self._merge_selected)
        self.act_delete = A("delete", self.tr("&Delete Selected"), self._delete_selected, "Del")
        self.act_create = A("create", self.tr("Create Project from Selection"),
                            lambda: self.create_project_from_selection())
        self.act_undo = A("undo", self.tr("&Undo"), self.session.undo, "Ctrl+Z")
        self.act_redo = A("redo", self.tr("&Redo"), self.session.redo, "Ctrl+Y")
        self.act_lang_zh = A("lang_zh", "中文", lambda: self.set_language("zh_CN"), checkable=True)
        self.act_lang_en = A("lang_en", "English", lambda: self.set_language("en"), checkable=True)
        lang = self.settings.value("language", "zh_CN")
        (self.act_lang_zh if lang == "zh_CN" else self.act_lang_en).setChecked(True)
        tools = QtGui.QActionGroup(self)
        self.tool_actions = {}
        for key, text, shortcut, tip in (
                ("pan", self.tr("Pan"), "H", self.tr("Pan the map (drag; arrow keys)")),
                ("zoom_box", self.tr("Zoom Box"), "Z", self.tr("Drag a box to zoom in")),
                ("identify", self.tr("Identify"), "I", self.tr("Identify the features of every visible layer at a click")),
                ("select", self.tr("Select"), "S", self.tr("Select features of the active layer (click or drag)")),
                ("measure_line", self.tr("Measure Distance"), "M", self.tr("Measure a distance (click points, double-click to end)")),
                ("measure_area", self.tr("Measure Area"), "Shift+M", self.tr("Measure an area (click corners, double-click to end)")),
                ("vertex", self.tr("Edit Vertices"), "V", self.tr("Drag a vertex; double-click adds one, Shift+click deletes one")),
                ("split", self.tr("Split with Line"), None, self.tr("Draw a line across a feature to split it")),
                ("move", self.tr("Move Feature"), None, self.tr("Drag a feature of the active layer")),
                ("draw", self.tr("Draw Feature"), None, self.tr("Click the corners, double-click to finish"))):
            a = A(key, text, lambda _=False, k=key: self.canvas.set_tool(k), shortcut, tip, checkable=True)
            tools.addAction(a)
            self.tool_actions[key] = a
        self.tool_actions["pan"].setChecked(True)

        mb = self.menuBar()
        m = mb.addMenu(self.tr("&File"))
        for a in (self.act_new, self.act_open, self.act_save, self.act_save_as):
            m.addAction(a)
        self.recent_menu = m.addMenu(self.tr("Recent Projects"))
        m.addSeparator()
        for a in (self.act_add, self.act_remove, self.act_style):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_quit)
        e = mb.addMenu(self.tr("&Edit"))
        e.addAction(self.act_undo)
        e.addAction(self.act_redo)
        e.addSeparator()
        for key in ("vertex", "split", "move", "draw"):
            e.addAction(self.tool_actions[key])
        for a in (self.act_merge, self.act_delete, self.act_create):
            e.addAction(a)
        an = mb.addMenu(self.tr("&Analysis"))
        an.addAction(self.act_run)
        an.addAction(self.act_export)
        v = mb.addMenu(self.tr("&View"))
        for a in (self.act_full, self.act_zoom_layer, self.act_zoom_sel, self.act_back, self.act_forward):
            v.addAction(a)
        v.addSeparator()
        self.panels_menu = v.addMenu(self.tr("Panels"))
        for dock in self.docks.values():
            self.panels_menu.addAction(dock.toggleViewAction())
        self.bookmarks_menu = mb.addMenu(self.tr("&Bookmarks"))
        t = mb.addMenu(self.tr("&Tools"))
        for a in self.tool_actions.values():
            t.addAction(a)
        t.addSeparator()
        t.addAction(self.act_select_expr)
        t.addAction(self.act_clear_sel)
        s = mb.addMenu(self.tr("&Settings"))
        lm = s.addMenu(icon("language"), self.tr("Language"))
        lm.addAction(self.act_lang_zh)
        lm.addAction(self.act_lang_en)
        tb = self.addToolBar(self.tr("Project"))
        tb.setObjectName("toolbar_main")
        for a in (self.act_open, self.act_save, self.act_add, None, self.act_undo, self.act_redo, None,
                  self.act_run, self.act_export):
            tb.addAction(a) if a is not None else tb.addSeparator()
        nav = self.addToolBar(self.tr("Map"))
        nav.setObjectName("toolbar_map")
        for key in ("pan", "zoom_box", "identify", "select", "measure_line", "measure_area"):
            nav.addAction(self.tool_actions[key])
        nav.addSeparator()
        for a in (self.act_full, self.act_zoom_layer, self.act_zoom_sel, self.act_back, self.act_forward,
                  self.act_bookmark):
            nav.addAction(a)
        ed = self.addToolBar(self.tr("Editing"))
        ed.setObjectName("toolbar_edit")
        for key in ("vertex", "split", "move", "draw"):
            ed.addAction(self.tool_actions[key])
        for a in (self.act_merge, self.act_delete, self.act_create):
            ed.addAction(a)
        for bar in (tb, nav, ed):
            bar.setIconSize(QtCore.QSize(20, 20))
        self.toolbars = [tb, nav, ed]
        self._refresh_recent()
        self._refresh_bookmarks()
        self.canvas.navigated.connect(lambda back, fwd: (self.act_back.setEnabled(back), self.act_forward.setEnabled(fwd)))

    # status bar: coordinates, scale box, measure ---------------------------------------------------
    def _build_status(self) -> None:
        sb = self.statusBar()
        self.measure_label = QtWidgets.QLabel()
        self.coord_label = QtWidgets.QLabel()
        self.coord_label.setToolTip(self.tr("Cursor in the working coordinate system (metres)"))
        self.deg_label = QtWidgets.QLabel()
        self.deg_label.setToolTip(self.tr("Cursor in degrees (CGCS2000)"))
        self.scale_box = QtWidgets.QComboBox(editable=True)
        self.scale_box.setToolTip(self.tr("Map scale: choose or type 1:N"))
        self.scale_box.setMinimumContentsLength(10)
        self.scale_box.addItems([f"1:{s:,}" for s in SCALES])
        self.scale_box.lineEdit().returnPressed.connect(self._scale_entered)
        self.scale_box.activated.connect(lambda _i: self._scale_entered())
        self.crs_label = QtWidgets.QLabel()
        self.crs_label.setToolTip(self.tr("Working coordinate system"))
        self.render_label = QtWidgets.QLabel()
        sb.addPermanentWidget(self.measure_label)
        for w in (self.coord_label, self.deg_label, QtWidgets.QLabel(self.tr("Scale")), self.scale_box,
                  self.crs_label, self.render_label):
            sb.addPermanentWidget(w)

    def _cursor_moved(self, x: float, y: float) -> None:
        self.coord_label.setText(f"X {x:,.1f}  Y {y:,.1f} m")
        deg = self.canvas.map_to_degrees(x, y)
        if deg:
            self.deg_label.setText(f"{deg[0]:.6f}°E  {deg[1]:.6f}°N")

    def _extent_changed(self, _extent) -> None:
        if not self.scale_box.lineEdit().hasFocus():
            self.scale_box.setEditText(f"1:{self.canvas.scale_denominator():,.0f}")

    def _scale_entered(self) -> None:
        text = self.scale_box.currentText().replace(",", "").replace("，", "").replace(" ", "")
        try:
            denominator = float(text.split(":")[-1])
        except ValueError:
            return
        if denominator > 0:
            self.zoom_to_scale(denominator)

    def zoom_to_scale(self, denominator: float) -> None:
        c = self.canvas
        c.units_per_pixel = denominator * 0.0254 / 96.0
        c._view_changed()

    def _measured(self, length: float, area: float, is_area: bool) -> None:
        from planner.gui.identify import measure_text

        self.measure_label.setText(measure_text(length, area, is_area))

    # bookmarks (kept per project in the user's settings) -----------------------------------------
    def _bookmark_key(self) -> str:
        return "bookmarks/" + (str(self.session.path) if self.session.path else
                               str(self.session.state.extra.get("source_toml") or self.session.state.name or "untitled"))

    def bookmarks(self) -> list[tuple[str, list[float]]]:
        try:
            return [(str(n), list(map(float, e))) for n, e in json.loads(self.settings.value(self._bookmark_key(), "[]"))]
        except (TypeError, ValueError):
            return []

    def add_bookmark(self, name: str) -> None:
        marks = [b for b in self.bookmarks() if b[0] != name] + [(name, list(self.canvas.extent()))]
        self.settings.setValue(self._bookmark_key(), json.dumps(marks, ensure_ascii=False))
        self._refresh_bookmarks()

    def add_bookmark_dialog(self) -> None:
        default = i18n.pick("书签 ", "Bookmark ") + str(len(self.bookmarks()) + 1)
        if not self.ask:
            self.add_bookmark(default)
            return
        name, ok = QtWidgets.QInputDialog.getText(self, self.tr("New bookmark"), self.tr("Name of this view"), text=default)
        if ok and name.strip():
            self.add_bookmark(name.strip())

    def _refresh_bookmarks(self) -> None:
        menu = self.bookmarks_menu
        menu.clear()
        menu.addAction(self.act_bookmark)
        marks = self.bookmarks()
        if marks:
            menu.addSeparator()
        for name, extent in marks:
            menu.addAction(icon("bookmarks"), name, lambda _=False, e=extent: self.canvas.set_extent(e))


def _icon_keys() -> set[str]:
    from planner.gui.icons import ICONS

    return set(ICONS)
