"""The planning panels: the run-checks dialog generated from the analyses' declared
parameters, flag review, the portfolio table with weights, the city-examination dashboard and
the export options. Views only: they show the session's state and emit what the user asked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from PyQt6 import QtCore, QtGui, QtWidgets

from planner.analysis.registry import all_analyses
from planner.gui.dialogs import ok_cancel
from planner.model import MapLayer


class RunChecksDialog(QtWidgets.QDialog):
    """Generated from each analysis's declared parameters (defaults, units, policy basis)."""

    def __init__(self, params: dict | None = None, as_of: str | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Run checks"))
        params = params or {}
        lay = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        self.as_of = QtWidgets.QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        d = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        self.as_of.setDate(QtCore.QDate(d.year, d.month, d.day))
        form.addRow(self.tr("As-of date"), self.as_of)
        lay.addLayout(form)
        scroll = QtWidgets.QScrollArea(widgetResizable=True)
        inner = QtWidgets.QWidget()
        inner_lay = QtWidgets.QVBoxLayout(inner)
        self.groups: dict[str, QtWidgets.QGroupBox] = {}
        self.fields: dict[str, tuple[object, QtWidgets.QWidget]] = {}
        for a in all_analyses():
            box = QtWidgets.QGroupBox(f"{a.title}  {a.title_en}", checkable=True, checked=True)
            box.setToolTip(a.basis)
            f = QtWidgets.QFormLayout(box)
            for p in a.parameters:
                key = f"{a.id}.{p.name}"
                value = params.get(key, p.default)
                if isinstance(p.default, bool):
                    w = QtWidgets.QCheckBox(checked=bool(value))
                elif isinstance(p.default, int):
                    w = QtWidgets.QSpinBox(minimum=int(p.minimum if p.minimum is not None else -10**9),
                                           maximum=int(p.maximum if p.maximum is not None else 10**9), value=int(value))
                elif isinstance(p.default, float):
                    w = QtWidgets.QDoubleSpinBox(minimum=p.minimum if p.minimum is not None else -1e12,
                                                 maximum=p.maximum if p.maximum is not None else 1e12, decimals=3,
                                                 value=float(value))
                else:
                    w = QtWidgets.QLineEdit(",".join(map(str, value)) if isinstance(value, list | tuple) else str(value))
                if p.unit:
                    if hasattr(w, "setSuffix"):
                        w.setSuffix(f" {p.unit}")
                w.setToolTip(f"{p.description}\n{p.description_en}\n{a.basis}")
                f.addRow(p.title or p.name, w)
                self.fields[key] = (p, w)
            inner_lay.addWidget(box)
            self.groups[a.id] = box
        scroll.setWidget(inner)
        lay.addWidget(scroll)
        buttons = ok_cancel(self)
        lay.addWidget(buttons)
        self.resize(620, 720)

    def selected(self) -> list[str]:
        return [k for k, box in self.groups.items() if box.isChecked()]

    def params(self) -> dict:
        out = {}
        for key, (p, w) in self.fields.items():
            if isinstance(w, QtWidgets.QCheckBox):
                v = w.isChecked()
            elif isinstance(w, QtWidgets.QSpinBox | QtWidgets.QDoubleSpinBox):
                v = w.value()
            else:
                v = [s.strip() for s in w.text().split(",") if s.strip()] if isinstance(p.default, list | tuple) \
                    else w.text()
            if isinstance(p.default, float) and abs(v - p.default) < 10 ** -w.decimals():
                continue  # the spin box shows a rounded default (1/3 as 0.333): not a change
            if v != p.default:
                out[key] = v
        return out

    def as_of_date(self) -> dt.date:
        q = self.as_of.date()
        return dt.date(q.year(), q.month(), q.day())


class PortfolioPanel(QtWidgets.QWidget):
    """The draft projects: a sortable, filterable table, weights that re-score live, totals."""

    weightsEdited = QtCore.pyqtSignal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        from planner.gui.attribute_table import FrameModel

        self.model = FrameModel(self)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.filter = QtWidgets.QLineEdit(placeholderText=self.tr("Filter by type, phase, district…"))
        self.filter.returnPressed.connect(lambda: self.model.set_filter(self.filter.text()))
        self.totals = QtWidgets.QLabel()
        self.totals.setWordWrap(True)
        self.spins = {}
        weights = QtWidgets.QHBoxLayout()
        for key, title in (("public", self.tr("Safety")), ("need", self.tr("Need")),
                           ("residents", self.tr("Residents")), ("cost", self.tr("Cost")), ("ease", self.tr("Ease"))):
            spin = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=2)
            spin.editingFinished.connect(self._weights_edited)
            weights.addWidget(QtWidgets.QLabel(title))
            weights.addWidget(spin)
            self.spins[key] = spin
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(weights)
        lay.addWidget(self.filter)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.totals)

    def set_weights(self, weights: dict) -> None:
        for k, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setValue(float(weights.get(k, 0.0)))
            spin.blockSignals(False)

    def _weights_edited(self) -> None:
        self.weightsEdited.emit({k: s.value() for k, s in self.spins.items()})

    def show_projects(self, layer: MapLayer | None) -> None:
        self.model.set_layer(layer)
        if layer is None or len(layer.frame) == 0:
            self.totals.setText("")
            return
        p = layer.frame
        by_type = p.groupby("type_title")["estimated_cost"].agg(["size", "sum"])
        by_phase = p.groupby("phase")["estimated_cost"].agg(["size", "sum"])
        lines = [self.tr("Total: {0} projects, {1} 10k yuan").format(len(p), f"{p['estimated_cost'].sum():,.0f}")]
        lines.append(" | ".join(f"{k} {int(v['size'])}/{v['sum']:,.0f}" for k, v in by_type.iterrows()))
        lines.append(" | ".join(f"{k} {int(v['size'])}/{v['sum']:,.0f}" for k, v in by_phase.iterrows()))
        self.totals.setText("\n".join(lines))


def open_folder(path: Path) -> None:
    QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(path)))


def zoom_to_rows(canvas, frame, rows: np.ndarray) -> None:
    import shapely

    if len(rows):
        b = shapely.total_bounds(frame.geometry.values[rows])
        pad = max(b[2] - b[0], b[3] - b[1]) * 0.5 + 60
        canvas.set_extent((b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad))


class BarChart(QtWidgets.QWidget):
    """A small bar chart (values by district, the target as a line), drawn with QPainter."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(140)
        self.items: list[tuple[str, float, bool | None]] = []
        self.target: float | None = None
        self.title = ""

    def set_data(self, title: str, items, target) -> None:
        self.title, self.items, self.target = title, list(items), target
        self.update()

    def paintEvent(self, event) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor("white"))
        p.drawText(8, 16, self.title)
        vals = [v for _, v, _ in self.items if v is not None and np.isfinite(v)]
        if not vals:
            p.end()
            return
        top = max(vals + ([self.target] if self.target is not None else [])) or 1.0
        w, h = self.width() - 20, self.height() - 50
        bw = max(10, w // max(len(self.items), 1) - 10)
        for i, (label, v, ok) in enumerate(self.items):
            if v is None or not np.isfinite(v):
                continue
            bh = int(h * v / top)
            x = 10 + i * (bw + 10)
            colour = "#2ca02c" if ok else "#d62728" if ok is False else "#4472c4"
            p.fillRect(x, 25 + h - bh, bw, bh, QtGui.QColor(colour))
            p.drawText(x, 25 + h + 14, label[:8])
            p.drawText(x, 25 + h - bh - 2, f"{v:,.1f}")
        if self.target is not None:
            y = int(25 + h - h * self.target / top)
            p.setPen(QtGui.QPen(QtGui.QColor("#333333"), 1, QtCore.Qt.PenStyle.DashLine))
            p.drawLine(5, y, self.width() - 5, y)
        p.end()


# indicator -> (flag layer, filter column, value) of the features behind it
INDICATOR_FEATURES = {
    "unsafe_d_count": ("flag_old_housing", "code", "UNSAFE_D"),
    "unsafe_c_count": ("flag_old_housing", "code", "UNSAFE_C"),
    "elevator_candidates": ("flag_old_housing", "code", "ELEVATOR_RETROFIT"),
    "old_housing_share": ("flag_old_housing", "code", "OLD_HOUSING"),
    "dead_ends_per_km": ("flag_dead_end", "code", "DEAD_END"),
    "gaps_per_km": ("road_gap", "code", "ROAD_GAP"),
    "park_500m_coverage": ("service_gap", "facility_type", "park"),
}


def indicator_features(indicator: str) -> tuple[str, str, str] | None:
    if indicator in INDICATOR_FEATURES:
        return INDICATOR_FEATURES[indicator]
    if indicator.startswith("idle_area."):
        return ("flag_idle_land", "code", indicator.split(".", 1)[1])
    if indicator.startswith("coverage."):
        return ("service_gap", "facility_type", indicator.split(".", 1)[1])
    return None


class Dashboard(QtWidgets.QWidget):
    """City-examination indicators per district with targets and pass/fail, and a chart;
    choosing an indicator selects the features behind it."""

    indicatorChosen = QtCore.pyqtSignal(str, str)  # indicator, district

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QtWidgets.QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels([self.tr("District"), self.tr("Indicator"), self.tr("Value"),
                                              self.tr("Unit"), self.tr("Target"), self.tr("Pass")])
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.cellClicked.connect(self._clicked)
        self.chart = BarChart()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.table, 2)
        lay.addWidget(self.chart, 1)
        self.frame = None

    def show_indicators(self, frame) -> None:
        self.frame = frame
        self.table.setRowCount(0 if frame is None else len(frame))
        if frame is None:
            return
        for i, r in enumerate(frame.itertuples(index=False)):
            passed = r.__getattribute__("pass") if hasattr(r, "pass") else getattr(r, "_8", None)
            cells = [r.district, r.title, "" if r.value is None or r.value != r.value else f"{r.value:,.2f}", r.unit,
                     "" if r.target is None or r.target != r.target else f"{r.target:g}",
                     "" if passed is None or passed != passed else ("是" if passed else "否")]
            for j, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(str(text))
                item.setData(QtCore.Qt.ItemDataRole.UserRole, (r.indicator, r.district))
                if j == 5 and text:
                    item.setBackground(QtGui.QColor("#c6efce" if text == "是" else "#ffc7ce"))
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()

    def _clicked(self, row: int, _col: int) -> None:
        indicator, district = self.table.item(row, 0).data(QtCore.Qt.ItemDataRole.UserRole)
        f = self.frame[self.frame["indicator"] == indicator]
        title = str(f["title"].iloc[0]) if len(f) else indicator
        self.chart.set_data(title, [(str(d), None if v is None else float(v), p if p == p else None)
                                    for d, v, p in zip(f["district"], f["value"], f["pass"], strict=True)],
                            None if not len(f) or f["target"].iloc[0] != f["target"].iloc[0] else float(f["target"].iloc[0]))
        self.indicatorChosen.emit(indicator, district)


class ExportOptionsDialog(QtWidgets.QDialog):
    """Which map sheets to draw, and an optional basemap for map.html (needs a network)."""

    def __init__(self, project_types: list[str], parent=None, titles: dict[str, str] | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export options"))
        titles = titles or {}
        form = QtWidgets.QFormLayout(self)
        self.sheets = QtWidgets.QListWidget()
        for key in ["overview", *project_types]:
            item = QtWidgets.QListWidgetItem(self.tr("Overview") if key == "overview" else
                                             titles.get(key, key))
            item.setData(QtCore.Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.CheckState.Checked)
            self.sheets.addItem(item)
        self.basemap = QtWidgets.QLineEdit(placeholderText=self.tr("none (offline); tianditu:KEY or a tile URL"))
        form.addRow(self.tr("Map sheets"), self.sheets)
        form.addRow(self.tr("Basemap"), self.basemap)
        buttons = ok_cancel(self)
        form.addRow(buttons)

    def options(self) -> dict:
        chosen = [self.sheets.item(i).data(QtCore.Qt.ItemDataRole.UserRole) for i in range(self.sheets.count())
                  if self.sheets.item(i).checkState() == QtCore.Qt.CheckState.Checked]
        return {"sheets": bool(chosen), "sheet_types": chosen or None, "basemap": self.basemap.text().strip() or None}
