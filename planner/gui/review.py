"""Flag review at speed: every flag of the run in one model/view table (no cap), searched,
filtered (rule, district, review state, severity) and sorted in numpy, reviewed from the
keyboard (next, previous, confirm, dismiss with a note, reopen). The panel only shows and asks:
decisions go to the session through the window (undoable commands)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from PyQt6 import QtCore, QtGui, QtWidgets

from planner.arrays import in_slices, slices
from planner.flagtable import COLUMNS, apply_decisions, flag_table
from planner.gui import i18n
from planner.gui.attribute_table import resize_columns_in_turns
from planner.gui.render import TEXT_SLICE

ALL = "__all__"

# The last table's view (texts and filter choices), made on the worker that made the table
# (warm_flag_view) so showing a million flags costs the window no text work.
_VIEW: list[dict] = [{}]  # replaced whole (a worker may make one while the window reads another)


def _mapped(values: pd.Series, titles: dict) -> np.ndarray:
    """Values through a table of titles (a value without one kept), a slice at a time."""
    def part(a: int, b: int) -> np.ndarray:
        values_ = values.iloc[a:b].astype(object)
        return values_.map(titles).fillna(values_).to_numpy(dtype=object)

    return in_slices(len(values), part, size=TEXT_SLICE).astype(object, copy=False)


_STATE_COLOURS = {"confirmed": "#1a7f37", "dismissed": "#8a8a8a", "reclassified": "#9a6700"}


def _state_texts(states: pd.Series) -> np.ndarray:
    return _mapped(states, {s: i18n.state_title(s) for s in ("", "confirmed", "dismissed", "reclassified")})


def _counts(values: pd.Series) -> dict:
    """How many rows hold each value (sorted by value), a slice at a time."""
    total: dict = {}
    for a, b in slices(len(values), TEXT_SLICE):
        for k, n in values.iloc[a:b].value_counts(sort=False).items():
            total[k] = total.get(k, 0) + int(n)
    return dict(sorted(total.items()))


def flag_view(table: pd.DataFrame) -> dict:
    """The texts a review table shows (per column, each distinct value translated once) and its
    filter choices with counts, in the window's language; kept for the last table (no Qt here:
    :func:`warm_flag_view` calls it on a worker)."""
    lang = i18n.lang()
    kept = _VIEW[0]
    if kept.get("table") is table and kept.get("lang") == lang:
        return kept
    if len(table) == 0:
        texts = {c: np.zeros(0, dtype=object) for c in COLUMNS}
        counts: dict = {}
        districts: list = []
        severities: list = []
        states = np.zeros(0, dtype=object)
        raw_codes = np.zeros(0, dtype=object)
    else:
        codes = pd.Series(table["code"])
        counts = _counts(codes)
        uniq = {c: i18n.code_title(c) for c in counts}
        sev_values = list(_counts(table["severity"]))
        sev = {s: i18n.severity_title(s) for s in sev_values}
        texts = {
            "code": _mapped(codes, uniq),
            "source_id": table["source_id"].to_numpy(dtype=object),
            "district": table["district"].to_numpy(dtype=object),
            "severity": _mapped(table["severity"], sev),
            "reason": (table["reason"] if lang == "zh" else table["reason_en"]).to_numpy(dtype=object),
            "state": _state_texts(table["state"]),
            "note": table["note"].to_numpy(dtype=object),
        }
        states = table["state"].to_numpy(dtype=object).copy()
        raw_codes = codes.to_numpy(dtype=object)
        districts = [x for x in _counts(table["district"]) if x]
        severities = sorted(sev_values, reverse=True)
    view = {"table": table, "lang": lang, "texts": texts, "counts": counts, "districts": districts,
            "severities": severities, "states": states, "codes": raw_codes, "reviewed": int(np.count_nonzero(states != ""))}
    _VIEW[0] = view
    return view


def warm_flag_view(table: pd.DataFrame) -> None:
    """Make a review table's view ahead (on the worker that made the table)."""
    flag_view(table)



class FlagModel(QtCore.QAbstractTableModel):
    """Every flag; ``order`` maps view rows to table rows (filtered and sorted)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = flag_table({}, {})
        self.order = np.zeros(0, dtype=np.int64)
        self._texts: dict[str, np.ndarray] = {}
        # each row's code and review state (the cells' colours): arrays, not a frame lookup per
        # cell (a pandas lookup is ~50 µs; a table's first paint asks for hundreds of cells)
        self._codes = np.zeros(0, dtype=object)
        self._states = np.zeros(0, dtype=object)
        self._sort: tuple[int, QtCore.Qt.SortOrder] | None = None
        self._reviewed: int | None = None
        self.filters: dict[str, str] = {}
        self.search = ""

    def headers(self) -> list[str]:
        return [i18n.pick("规则", "Rule"), i18n.pick("对象编号", "Feature"), i18n.pick("片区", "District"),
                i18n.pick("严重程度", "Severity"), i18n.pick("审核状态", "Review"), i18n.pick("备注", "Note"),
                i18n.pick("原因", "Reason")]

    def set_table(self, table: pd.DataFrame) -> None:
        self.beginResetModel()
        self.table = table
        self._texts = {}
        self._refresh_texts()
        self.order = self._filtered()
        self.endResetModel()
        if self._sort is not None:
            self.sort(*self._sort)

    def _refresh_texts(self) -> None:
        """Display texts per column (made by :func:`flag_view`, on a worker when it could)."""
        view = flag_view(self.table)
        self._texts = dict(view["texts"])
        # the view's copy of the states is as they were when it was made: rows decided since
        # (this model writes its own copy) are brought up to date
        states = self.table["state"].to_numpy(dtype=object)
        self._codes, self._states = view["codes"], states
        self._texts["state"] = view["texts"]["state"].copy()
        changed = np.flatnonzero(states != view["states"]) if len(states) else np.zeros(0, dtype=np.int64)
        self._refresh_states(changed)
        # the reviewed count the worker made, brought up to date by the rows decided since
        self._reviewed = view["reviewed"] + int(np.count_nonzero(states[changed] != "")) - \
            int(np.count_nonzero(view["states"][changed] != ""))

    def reviewed(self) -> int:
        """Flags with a review state (confirmed, dismissed, reclassified)."""
        if self._reviewed is None:
            self._reviewed = int(np.count_nonzero(self.table["state"].to_numpy(dtype=object) != "")) if len(self.table) else 0
        return self._reviewed

    def _refresh_states(self, rows: np.ndarray | None = None) -> None:
        if rows is None or "state" not in self._texts:
            self._texts["state"] = _state_texts(self.table["state"])
            self._states = self.table["state"].to_numpy(dtype=object)
        else:
            self._texts["state"][rows] = _state_texts(self.table["state"].iloc[rows])
            if len(self._states) == len(self.table) and self._states.flags.writeable:
                self._states[rows] = self.table["state"].iloc[rows].to_numpy(dtype=object)
            else:  # a view of the table's column may be read-only
                self._states = self.table["state"].to_numpy(dtype=object).copy()
        self._texts["note"] = self.table["note"].to_numpy(dtype=object)

    def update_decisions(self, decisions: dict, ids) -> None:
        """Review states changed for ``ids``: their cells change, the filter is kept."""
        rows = apply_decisions(self.table, decisions, set(ids))
        if len(rows) == 0:
            return
        self._reviewed = None  # counted again when asked
        self._refresh_states(rows)
        if self.filters.get("state"):  # a state filter: the rows shown change
            self.apply_filter()
            return
        pos = np.flatnonzero(np.isin(self.order, rows))
        if len(pos):
            self.dataChanged.emit(self.index(int(pos.min()), 0), self.index(int(pos.max()), len(COLUMNS) - 1))

    # filtering and sorting --------------------------------------------------------------
    def _filtered(self) -> np.ndarray:
        t = self.table
        if not self.search.strip() and all(v in (None, "", ALL) for v in self.filters.values()):
            return np.arange(len(t), dtype=np.int64)  # every row (no mask to build and scan)
        mask = np.ones(len(t), dtype=bool)
        for key, value in self.filters.items():
            if value in (None, "", ALL):
                continue
            col = t[key].to_numpy()
            mask &= (col == (int(value) if key == "severity" else value)) if key != "state" else \
                (col == ("" if value == "open" else value))
        text = self.search.strip()
        if text and len(t):
            hit = np.zeros(len(t), dtype=bool)
            for col in ("flag_id", "source_id", "note"):
                hit |= t[col].astype(str).str.contains(text, case=False, regex=False).to_numpy()
            for col in ("code", "reason", "district"):
                hit |= pd.Series(self._texts[col]).astype(str).str.contains(text, case=False, regex=False).to_numpy()
            mask &= hit
        return np.flatnonzero(mask)

    def apply_filter(self) -> None:
        self.beginResetModel()
        self.order = self._filtered()
        self.endResetModel()
        if self._sort is not None:
            self.sort(*self._sort)

    def sort(self, column: int, order=QtCore.Qt.SortOrder.AscendingOrder) -> None:
        if column < 0 or len(self.order) == 0:
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        key = COLUMNS[column]
        values = self.table["severity"].to_numpy()[self.order] if key == "severity" else \
            pd.Series(self._texts[key][self.order]).astype(str).to_numpy()
        idx = np.argsort(values, kind="stable")
        if order == QtCore.Qt.SortOrder.DescendingOrder:
            idx = idx[::-1]
        self.order = self.order[idx]
        self.layoutChanged.emit()

    # Qt model ------------------------------------------------------------------------------
    def rowCount(self, parent=None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(self.order)

    def columnCount(self, parent=None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = int(self.order[index.row()])
        key = COLUMNS[index.column()]
        if role in (QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.ToolTipRole):
            return str(self._texts[key][r])
        if role == QtCore.Qt.ItemDataRole.DecorationRole and key == "code":
            from planner.export.styles import CODE_COLOURS

            return QtGui.QColor(CODE_COLOURS.get(self._codes[r], "#888888"))
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and key == "state":
            return QtGui.QColor(_STATE_COLOURS.get(self._states[r], "#222222"))
        return None

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return self.headers()[section]
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flag_at(self, view_row: int) -> dict | None:
        if not 0 <= view_row < len(self.order):
            return None
        r = self.table.iloc[int(self.order[view_row])]
        return {"layer": r["layer"], "row": int(r["row"]), "flag_id": r["flag_id"], "code": r["code"],
                "reason": r["reason"] if i18n.lang() == "zh" else r["reason_en"], "state": r["state"],
                "note": r["note"]}

    def view_row_of(self, flag_id: str) -> int:
        hit = np.flatnonzero(self.table["flag_id"].to_numpy(dtype=object)[self.order] == flag_id)
        return int(hit[0]) if len(hit) else -1


class FlagReviewPanel(QtWidgets.QWidget):
    """Search, filters, the table of flags and the review keys:
    N / ↓ next, P / ↑ previous, C confirm, D dismiss with the note, R reopen, X reclassify."""

    flagSelected = QtCore.pyqtSignal(str, str, int)       # layer name, flag id, row in the layer
    decideRequested = QtCore.pyqtSignal(str, object, str)  # flag id, state (None = reopen), note
    reclassifyRequested = QtCore.pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = FlagModel(self)
        self.search = QtWidgets.QLineEdit(placeholderText=self.tr("Search flags (id, feature, reason, note)…"),
                                          clearButtonEnabled=True)
        self.search.textChanged.connect(self._search_changed)
        self.combos: dict[str, QtWidgets.QComboBox] = {}
        filters = QtWidgets.QGridLayout()
        for i, (key, title) in enumerate((("code", self.tr("Rule")), ("district", self.tr("District")),
                                          ("state", self.tr("Review")), ("severity", self.tr("Severity")))):
            box = QtWidgets.QComboBox()
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(6)
            box.currentIndexChanged.connect(lambda _i, k=key: self._filter_changed(k))
            filters.addWidget(QtWidgets.QLabel(title), i // 2, (i % 2) * 2)
            filters.addWidget(box, i // 2, (i % 2) * 2 + 1)
            self.combos[key] = box
        filters.setColumnStretch(1, 1)
        filters.setColumnStretch(3, 1)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.count = QtWidgets.QLabel()
        self.reason = QtWidgets.QPlainTextEdit(readOnly=True, maximumHeight=70)
        self.note = QtWidgets.QLineEdit(placeholderText=self.tr("Note for a dismissal (required)…"))
        self.note.returnPressed.connect(self._note_entered)
        self.buttons = {}
        row = QtWidgets.QHBoxLayout()
        for key, text, tip in (("previous", self.tr("Previous"), self.tr("Previous flag (P or ↑)")),
                               ("next", self.tr("Next"), self.tr("Next flag (N or ↓)")),
                               ("confirm", self.tr("Confirm"), self.tr("Confirm the flag and go to the next (C)")),
                               ("dismiss", self.tr("Dismiss"), self.tr("Dismiss the flag with the note and go to the next (D)")),
                               ("reclassify", self.tr("Reclassify…"), self.tr("Give the flag another rule (X)")),
                               ("reopen", self.tr("Reopen"), self.tr("Reopen the flag (R)"))):
            b = QtWidgets.QToolButton(text=text, toolTip=tip)
            b.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            row.addWidget(b)
            self.buttons[key] = b
        row.addStretch(1)
        self.buttons["previous"].clicked.connect(lambda: self.step(-1))
        self.buttons["next"].clicked.connect(lambda: self.step(+1))
        self.buttons["confirm"].clicked.connect(lambda: self.decide("confirmed"))
        self.buttons["dismiss"].clicked.connect(lambda: self.decide("dismissed"))
        self.buttons["reopen"].clicked.connect(lambda: self.decide(None))
        self.buttons["reclassify"].clicked.connect(self._reclassify)
        K = QtCore.Qt.Key
        self._keys = {K.Key_N: lambda: self.step(+1), K.Key_P: lambda: self.step(-1),
                      K.Key_C: lambda: self.decide("confirmed"), K.Key_D: lambda: self.decide("dismissed"),
                      K.Key_R: lambda: self.decide(None), K.Key_X: self._reclassify}
        self.view.installEventFilter(self)
        for b in self.buttons.values():
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # the keys keep working in the list
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.search)
        lay.addLayout(filters)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.count)
        lay.addWidget(self.reason)
        lay.addWidget(self.note)
        lay.addLayout(row)
        self.ask_note = None  # the window sets a function that asks for a missing note

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.view and event.type() == QtCore.QEvent.Type.KeyPress and \
                not event.modifiers() & ~QtCore.Qt.KeyboardModifier.KeypadModifier:
            slot = self._keys.get(event.key())
            if slot is not None:
                slot()
                return True
        return super().eventFilter(obj, event)

    # showing ---------------------------------------------------------------------------------
    def show_flags(self, flags: dict, decisions: dict, districts=None) -> None:
        self.show_table(flag_table(flags, decisions, districts))

    def show_table(self, table) -> None:
        """Show a review table (:func:`planner.flagtable.flag_table`, e.g. computed on a worker)."""
        for _ in self.show_table_steps(table):
            pass

    def show_table_steps(self, table) -> Iterator[None]:
        """:meth:`show_table` in steps: the caller may let the window paint and answer at each
        ``yield`` (each step is a few tens of milliseconds at a million-building city's flags)."""
        current = self.current()
        self.model.set_table(table)
        yield
        self._fill_filters()
        yield
        if not getattr(self, "_sized", False):  # widths from the first rows, once, a column a turn
            self._sized = True
            resize_columns_in_turns(self.view, cap=220, floors=(150, 90, 120, 60, 70, 90))
        self._update_count()
        if current:
            self.select_flag(current["flag_id"])

    def _fill_filters(self) -> None:
        view = flag_view(self.model.table)
        options = {
            "code": [(c, f"{i18n.code_title(c)}（{n:,}）" if i18n.lang() == "zh" else f"{i18n.code_title(c)} ({n:,})")
                     for c, n in view["counts"].items()],
            "district": [(d, d) for d in view["districts"]],
            "state": [(s, i18n.state_title(s)) for s in ("open", "confirmed", "dismissed", "reclassified")],
            "severity": [(str(s), i18n.severity_title(s)) for s in view["severities"]],
        }
        for key, box in self.combos.items():
            keep = box.currentData()
            box.blockSignals(True)
            box.clear()
            box.addItem(i18n.pick("全部", "All"), ALL)
            for value, text in options[key]:
                box.addItem(text, value)
            i = box.findData(keep)
            box.setCurrentIndex(max(i, 0))
            box.blockSignals(False)
            self.model.filters[key] = box.currentData()
        self.model.apply_filter()

    def _update_count(self) -> None:
        n, total = self.model.rowCount(), len(self.model.table)
        done = self.model.reviewed()
        self.count.setText(self.tr("{0} of {1} flags shown; {2} reviewed").format(f"{n:,}", f"{total:,}", f"{done:,}"))

    def update_decisions(self, decisions: dict, ids) -> None:
        current = self.current()
        self.model.update_decisions(decisions, ids)
        self._update_count()
        if current and self.current() is None:
            self.select_flag(current["flag_id"])

    def _search_changed(self, text: str) -> None:
        self.model.search = text
        self.model.apply_filter()
        self._update_count()

    def _filter_changed(self, key: str) -> None:
        self.model.filters[key] = self.combos[key].currentData()
        self.model.apply_filter()
        self._update_count()

    # selection -------------------------------------------------------------------------------
    def current(self) -> dict | None:
        return self.model.flag_at(self.view.currentIndex().row()) if self.view.currentIndex().isValid() else None

    def select_row(self, view_row: int) -> bool:
        if not 0 <= view_row < self.model.rowCount():
            return False
        index = self.model.index(view_row, 0)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def select_flag(self, flag_id: str) -> bool:
        return self.select_row(self.model.view_row_of(str(flag_id)))

    def step(self, direction: int) -> bool:
        row = self.view.currentIndex().row() if self.view.currentIndex().isValid() else -1
        return self.select_row(min(max(row + direction, 0), self.model.rowCount() - 1))

    def _current_changed(self, current, _previous) -> None:
        flag = self.model.flag_at(current.row()) if current.isValid() else None
        if flag is None:
            return
        self.reason.setPlainText(flag["reason"] + (f"\n{i18n.pick('备注：', 'Note: ')}{flag['note']}" if flag["note"] else ""))
        self.flagSelected.emit(flag["layer"], flag["flag_id"], flag["row"])

    # deciding --------------------------------------------------------------------------------
    def decide(self, state: str | None) -> None:
        flag = self.current()
        if flag is None:
            return
        note = self.note.text().strip()
        if state == "dismissed" and not note:
            note = self.ask_note() if self.ask_note is not None else ""
            if not note:
                self.note.setFocus()
                self.note.setPlaceholderText(self.tr("A dismissal needs a note: type it here, then press Enter"))
                return
        self.decideRequested.emit(flag["flag_id"], state, note if state == "dismissed" else "")
        self.note.clear()
        if state is not None:
            self.step(+1)

    def _note_entered(self) -> None:
        """Enter in the note box dismisses the flag with that note (then back to the list)."""
        if self.note.text().strip():
            self.decide("dismissed")
            self.view.setFocus()

    def _reclassify(self) -> None:
        flag = self.current()
        if flag is not None:
            self.reclassifyRequested.emit(flag["flag_id"])
