"""Attribute table: a lazy Qt model over a layer's columns (a million rows open at once and
scroll smoothly: cells are read from numpy arrays on demand), with sorting, a text filter,
Chinese aliases as headers, and selection kept in step with the map."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PyQt6 import QtCore, QtWidgets

from planner.export.styles import alias as export_alias
from planner.gui import i18n
from planner.model import LayerList, MapLayer


def column_title(layer: MapLayer, column: str, catalogue=None) -> str:
    """A column's title (alias) in the window's language: the catalogue's field title, or the
    deliverables' alias (flag, project and table fields)."""
    if catalogue is not None and layer.role in getattr(catalogue, "layers", {}):
        for f in catalogue.layers[layer.role].fields:
            if f.name == column:
                return i18n.pick(f.title, f.title_en or f.title)
    if column in _RASTER_FIELDS:
        return i18n.pick(*_RASTER_FIELDS[column])
    return export_alias(column, i18n.lang(), layer.role.removeprefix("flags:") if layer.role.startswith("flags:")
                        else None)


_RASTER_FIELDS = {"path": ("文件", "File"), "kind": ("栅格类型", "Raster kind")}  # a raster's footprint

# columns of flag and project layers whose stored words are shown by their titles
_WORD_COLUMNS = {"code", "other_codes", "type", "subtype", "status", "review", "review_code", "source_layer",
                 "facility_type", "crosses", "unit", "phase", "compound_kind", "direction", "land_use"}
_LIST_COLUMNS = {"other_codes", "flags_summary", "crosses"}
_SPECIAL_COLUMNS = {"cost_basis", "severity", "flag_id", "flags", "source_layer", "type_title", "notes"}
# the other language's copy of a text column: not shown
_OTHER_LANGUAGE = {"zh": {"reason_en", "title_en"}, "en": {"reason", "title"}}


class _LazyLabels(dict):
    """Titles computed when a cell is shown (ids: too many to translate up front)."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def __contains__(self, key) -> bool:
        return isinstance(key, str)

    def __missing__(self, key):
        value = self[key] = self.fn(key)
        return value


def domain_labels(layer: MapLayer, column: str, catalogue, values=None) -> dict | None:
    """Titles of a column's stored keys in the window's language (residential -> 住宅 / Residential):
    a catalogue domain's, or for flag and project layers rule codes, project types, statuses,
    review states and cost sources. Titles of words outside a small domain are computed when a
    cell is shown and kept (nothing scans a million-row column when a table opens). ``values``
    is accepted for callers that have the column; it is not needed."""
    if catalogue is not None and layer.role in getattr(catalogue, "layers", {}):
        for f in catalogue.layers[layer.role].fields:
            name = f.name if column == f.name else (f.name if column == f"{f.name}_class" else None)
            if name and f.domain in catalogue.domains:
                domain = catalogue.domains[f.domain]
                if domain.keep_raw and column == f.name:
                    if i18n.lang() == "zh":
                        return None  # the file's own words (e.g. 城镇住宅用地), as written
                    titles = {v.key: v.title_en or v.title for v in domain.values}
                    return _LazyLabels(lambda u, d=domain, t=titles: t.get(d.lookup(u), u))
                return {v.key: i18n.pick(v.title, v.title_en or v.title) for v in domain.values}
        return None
    if column not in _WORD_COLUMNS and column not in _SPECIAL_COLUMNS:
        return None
    if column == "severity":
        return {v: i18n.severity_title(v) for v in (1, 2, 3)}
    return _LazyLabels(_label_function(column))


def _label_function(column: str):
    """The title of one stored value of a word column, in the window's language."""
    if column in ("flag_id", "flags"):
        return i18n.codes_to_titles
    if column == "notes":
        return i18n.note_text
    if column == "crosses":
        return i18n.crossing_text
    if column == "source_layer":
        return i18n.layer_role_title
    if column == "type_title":
        return i18n.type_title_text
    if column == "review":
        return i18n.state_title
    lang = i18n.lang()
    if column == "cost_basis":
        from planner.export.terms import cost_basis

        return lambda u: cost_basis(u, lang)
    if column in _LIST_COLUMNS:
        from planner.export.terms import word

        joiner = "、" if lang == "zh" else ", "
        return lambda u: joiner.join(word(x.strip(), lang) for x in u.split(",") if x.strip())
    return i18n.word


def cell_text(v, labels: dict | None = None) -> str:
    """A value as the tables show it: empty when missing (NaN, NaT, None), domain and code
    titles, yes/no in the window's language, integers without decimals, dates as dates."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, np.datetime64) and np.isnat(v):
        return ""
    if labels is not None and v in labels:
        return labels[v]
    if isinstance(v, bool | np.bool_):
        return i18n.pick("是", "Yes") if v else i18n.pick("否", "No")
    if isinstance(v, float | np.floating):
        v = float(v)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:,.2f}"
    if isinstance(v, pd.Timestamp | np.datetime64):
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    return str(v)


_RESIZES: list = []  # the tables' column fits waiting, one column per turn across every table
_RESIZE_TIMER: list = []


def resize_columns_in_turns(view: QtWidgets.QTableView, *, cap: int = 260, floors: tuple[int, ...] = (),
                            rows: int = 40) -> None:
    """Fit a table's columns to their first ``rows`` rows, one column per turn of the event loop
    (a wide table's texts are measured without holding the window), each at most ``cap`` and
    at least its ``floors`` entry. Tables shown together (a project opened) take turns: one
    column of one table a turn, never a column of each in the same turn."""
    from PyQt6 import sip

    view.horizontalHeader().setResizeContentsPrecision(rows)
    model = view.model()
    column = [0]

    def step() -> bool:
        """One column; False when this table is done (or gone, or shows another model)."""
        if sip.isdeleted(view) or model is not view.model() or column[0] >= model.columnCount():
            return False
        c = column[0]
        view.resizeColumnToContents(c)
        width = min(view.columnWidth(c), cap)
        view.setColumnWidth(c, max(width, floors[c]) if c < len(floors) else width)
        column[0] = c + 1
        return column[0] < model.columnCount()

    _RESIZES.append(step)
    if _RESIZE_TIMER and sip.isdeleted(_RESIZE_TIMER[0]):  # its application was closed
        _RESIZE_TIMER.clear()
    if not _RESIZE_TIMER:
        timer = QtCore.QTimer(interval=0)

        def turn() -> None:
            while _RESIZES:
                job = _RESIZES.pop(0)
                try:
                    more = job()
                except RuntimeError:  # the view was deleted meanwhile
                    continue
                if more:
                    _RESIZES.append(job)  # the next table's column next turn
                return
            timer.stop()

        timer.timeout.connect(turn)
        _RESIZE_TIMER.append(timer)
    _RESIZE_TIMER[0].start()


class FrameModel(QtCore.QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.layer: MapLayer | None = None
        self.columns: list[str] = []
        self.titles: list[str] = []
        self._labels: list[dict | None] = []
        # edits go through this callback (layer, row, column, text) so they are undoable commands
        self.on_edit = None
        # a column's values and titles are fetched when one of its cells is first shown (a
        # wide layer's columns one by one, as the view paints them, not all when it is set)
        self._frame: pd.DataFrame | None = None
        self._catalogue = None
        self._arrays: dict[int, pd.Series] = {}
        self._labels: dict[int, dict | None] = {}
        self.order = np.zeros(0, dtype=np.int64)   # view row -> frame row

    def set_layer(self, layer: MapLayer | None, catalogue=None, columns: list[str] | None = None,
                  order: np.ndarray | None = None) -> None:
        """Show a layer (``columns``: these first, in this order; ``order``: rows in this order)."""
        self.beginResetModel()
        self.layer = layer
        self._arrays, self._labels = {}, {}
        self._frame, self._catalogue = (None if layer is None else layer.frame), catalogue
        if layer is None:
            self.columns, self.titles = [], []
            self.order = np.zeros(0, dtype=np.int64)
        else:
            frame = layer.frame
            hidden = _OTHER_LANGUAGE[i18n.lang()] if {"reason", "reason_en"} <= set(frame.columns) or \
                {"title", "title_en"} <= set(frame.columns) else set()
            self.columns = [c for c in frame.columns if c != frame.geometry.name and c not in hidden]
            if columns is not None:
                self.columns = [c for c in columns if c in self.columns]
            self.titles = [column_title(layer, c, catalogue) for c in self.columns]
            # cells are read one by one when shown: nothing converts a million-row column up front
            self.order = np.arange(len(frame), dtype=np.int64) if order is None else np.asarray(order, dtype=np.int64)
        self.endResetModel()

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.order)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.columns)

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role not in (QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.EditRole) or not index.isValid():
            return None
        c = index.column()
        if c not in self._arrays:
            assert self._frame is not None and self.layer is not None
            self._arrays[c] = self._frame[self.columns[c]]
            self._labels[c] = domain_labels(self.layer, self.columns[c], self._catalogue)
        return cell_text(self._arrays[c].iat[int(self.order[index.row()])], self._labels[c])

    def flags(self, index):
        base = super().flags(index)
        if self.on_edit is not None and index.isValid():
            return base | QtCore.Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index, value, role=QtCore.Qt.ItemDataRole.EditRole) -> bool:
        if role != QtCore.Qt.ItemDataRole.EditRole or self.on_edit is None or not index.isValid():
            return False
        return bool(self.on_edit(self.layer, int(self.order[index.row()]), self.columns[index.column()], value))

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role != QtCore.Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == QtCore.Qt.Orientation.Horizontal:
            return self.titles[section] if section < len(self.titles) else None
        return str(int(self.order[section]) + 1) if section < len(self.order) else None

    def sort(self, column: int, order=QtCore.Qt.SortOrder.AscendingOrder) -> None:
        if self.layer is None or column < 0:
            return
        self.layoutAboutToBeChanged.emit()
        s = self.layer.frame[self.columns[column]].iloc[self.order]
        idx = np.argsort(s.to_numpy(), kind="stable") if pd.api.types.is_numeric_dtype(s.dtype) else \
            s.astype("string").fillna("").argsort(kind="stable").to_numpy()
        if order == QtCore.Qt.SortOrder.DescendingOrder:
            idx = idx[::-1]
        self.order = self.order[idx]
        self.layoutChanged.emit()

    def set_filter(self, text: str) -> None:
        if self.layer is None:
            return
        self.beginResetModel()
        frame = self.layer.frame
        if not text:
            self.order = np.arange(len(frame), dtype=np.int64)
        else:
            mask = np.zeros(len(frame), dtype=bool)
            for c in self.columns:
                col = frame[c]
                if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
                    mask |= col.astype("string").str.contains(text, regex=False, na=False).to_numpy()
                else:
                    mask |= col.astype("string").fillna("") .eq(text).to_numpy()
            self.order = np.flatnonzero(mask)
        self.endResetModel()


class AttributeTable(QtWidgets.QWidget):
    def __init__(self, layers: LayerList, catalogue=None, parent=None):
        super().__init__(parent)
        self.layers = layers
        self.catalogue = catalogue
        self.model = FrameModel(self)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setDefaultSectionSize(110)
        self.filter = QtWidgets.QLineEdit(placeholderText=self.tr("Filter rows…"))
        self.filter.returnPressed.connect(lambda: self.model.set_filter(self.filter.text()))
        self.label = QtWidgets.QLabel()
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.label, 1)
        top.addWidget(self.filter, 1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.view)
        self._syncing = False
        self.view.selectionModel().selectionChanged.connect(self._table_selection_changed)
        layers.selection_changed.connect(self._map_selection_changed)

    def set_layer(self, layer: MapLayer | None) -> None:
        self.model.set_layer(layer, self.catalogue)
        self.label.setText("" if layer is None else f"{i18n.layer_title(layer, self.catalogue)}: {len(layer.frame):,}")
        if layer is not None:
            self._map_selection_changed(layer, self.layers.selected(layer))

    def selected_rows(self) -> np.ndarray:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return self.model.order[rows] if rows else np.zeros(0, dtype=np.int64)

    def _table_selection_changed(self, *_):
        if self._syncing or self.model.layer is None:
            return
        self._syncing = True
        self.layers.select(self.model.layer, self.selected_rows())
        self._syncing = False

    def _map_selection_changed(self, layer, rows) -> None:
        if self._syncing or layer is not self.model.layer:
            return
        self._syncing = True
        sel = QtCore.QItemSelection()
        pos = np.flatnonzero(np.isin(self.model.order, rows))
        # contiguous ranges, so a large selection is a few ranges, not one item per row
        if len(pos):
            breaks = np.flatnonzero(np.diff(pos) != 1)
            starts = np.r_[pos[0], pos[breaks + 1]]
            ends = np.r_[pos[breaks], pos[-1]]
            last = self.model.columnCount() - 1
            for a, b in zip(starts, ends, strict=True):
                sel.select(self.model.index(int(a), 0), self.model.index(int(b), last))
        self.view.selectionModel().select(sel, QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if len(pos):
            self.view.scrollTo(self.model.index(int(pos[0]), 0))
        self._syncing = False
