"""The planning panels: the run-checks dialog generated from the analyses' declared
parameters, flag review, the portfolio table with weights, the city-examination dashboard and
the export options. Views only: they show the session's state and emit what the user asked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from PyQt6 import QtCore, QtGui, QtWidgets

from planner.analysis.registry import all_analyses
from planner.gui import i18n
from planner.gui.dialogs import ok_cancel
from planner.model import MapLayer

# list parameters whose items are keys of a catalogue domain (shown as checkable titles)
LIST_DOMAINS = {"uses": "building_use", "residential_uses": "building_use", "excluded_classes": "road_class",
                "link_excluded_classes": "road_class", "types": "facility_type"}
CROSSINGS = ("water", "rail", "buildings")  # what a proposed road link may cross (roads.crossing_allowed)


class CheckList(QtWidgets.QListWidget):
    """A list parameter as checkable titles (keys kept as item data); for an ``all_if_empty``
    parameter, every item checked means the empty list (all)."""

    def __init__(self, items: list[tuple[str, str]], chosen, all_if_empty: bool = False, parent=None):
        super().__init__(parent)
        self.all_if_empty = all_if_empty
        chosen = set(map(str, chosen))
        for key, title in items:
            item = QtWidgets.QListWidgetItem(title)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            on = key in chosen or (all_if_empty and not chosen)
            item.setCheckState(QtCore.Qt.CheckState.Checked if on else QtCore.Qt.CheckState.Unchecked)
            self.addItem(item)
        self.setMaximumHeight(min(24 * len(items) + 8, 150))

    def value(self) -> list[str]:
        keys = [self.item(i).data(QtCore.Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == QtCore.Qt.CheckState.Checked]
        return [] if self.all_if_empty and len(keys) == self.count() else keys


def _list_items(name: str, catalogue) -> list[tuple[str, str]] | None:
    domain = LIST_DOMAINS.get(name)
    if domain and catalogue is not None and domain in catalogue.domains:
        return [(v.key, i18n.pick(v.title, v.title_en or v.key)) for v in catalogue.domains[domain].values]
    if name == "crossing_allowed":
        return [(k, i18n.word(k)) for k in CROSSINGS]
    return None


class RunChecksDialog(QtWidgets.QDialog):
    """Generated from each analysis's declared parameters (defaults, units, policy basis); list
    parameters are checkable lists of their domain's titles."""

    def __init__(self, params: dict | None = None, as_of: str | None = None, parent=None, catalogue=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Run checks"))
        if catalogue is None:
            from planner.catalogue import default_catalogue

            catalogue = default_catalogue()
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
            box = QtWidgets.QGroupBox(i18n.pick(a.title, a.title_en), checkable=True, checked=True)
            if i18n.lang() == "zh":
                box.setToolTip(a.basis)
            f = QtWidgets.QFormLayout(box)
            for p in a.parameters:
                key = f"{a.id}.{p.name}"
                value = params.get(key, p.default)
                items = _list_items(p.name, catalogue) if isinstance(p.default, list | tuple) else None
                if isinstance(p.default, bool):
                    w = QtWidgets.QCheckBox(checked=bool(value))
                elif isinstance(p.default, int):
                    w = QtWidgets.QSpinBox(minimum=int(p.minimum if p.minimum is not None else -10**9),
                                           maximum=int(p.maximum if p.maximum is not None else 10**9), value=int(value))
                elif isinstance(p.default, float):
                    w = QtWidgets.QDoubleSpinBox(minimum=p.minimum if p.minimum is not None else -1e12,
                                                 maximum=p.maximum if p.maximum is not None else 1e12, decimals=3,
                                                 value=float(value))
                elif items is not None:
                    w = CheckList(items, value, all_if_empty=not p.default)
                else:
                    w = QtWidgets.QLineEdit(",".join(map(str, value)) if isinstance(value, list | tuple) else str(value))
                if p.unit and hasattr(w, "setSuffix"):
                    w.setSuffix(f" {i18n.word(p.unit)}")
                w.setToolTip(i18n.pick(f"{p.description}\n{a.basis}", p.description_en or p.description))
                f.addRow(i18n.pick(p.title or p.name, p.title_en or p.title or p.name), w)
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
            elif isinstance(w, CheckList):
                v = w.value()
                if sorted(map(str, v)) == sorted(map(str, p.default)):
                    continue
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


PORTFOLIO_COLUMNS = ["phase", "priority_rank", "priority_score", "project_id", "name", "type_title", "subtype", "district",
                     "estimated_cost", "buildings", "households", "floor_area_m2", "road_length_m", "quantity", "unit",
                     "cost_basis", "status", "flag_count", "notes"]


def weight_titles(tr) -> dict[str, str]:
    return {"public": tr("Safety"), "need": tr("Need"), "residents": tr("Residents"), "cost": tr("Cost"),
            "ease": tr("Ease")}


class PortfolioPanel(QtWidgets.QWidget):
    """The draft projects by phase and priority score, the priority weights (normalised, with a
    live preview of the shares; a change only when a weight really changed) and the totals."""

    weightsEdited = QtCore.pyqtSignal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        from planner.gui.attribute_table import FrameModel

        self.model = FrameModel(self)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.filter = QtWidgets.QLineEdit(placeholderText=self.tr("Filter by type, phase, district…"))
        self.filter.returnPressed.connect(lambda: self.model.set_filter(self.filter.text()))
        self.totals = QtWidgets.QLabel()
        self.totals.setWordWrap(True)
        self.totals.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.spins: dict[str, QtWidgets.QDoubleSpinBox] = {}
        self.current_weights: dict[str, float] = {}
        weights = QtWidgets.QGridLayout()
        for i, (key, title) in enumerate(weight_titles(self.tr).items()):
            spin = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=10.0, singleStep=0.05, decimals=2)
            spin.setToolTip(self.tr("Weight of {0}; the weights are normalised to add up to 1").format(title))
            spin.valueChanged.connect(self._preview)
            spin.editingFinished.connect(self._weights_edited)
            weights.addWidget(QtWidgets.QLabel(title), i // 3, (i % 3) * 2)
            weights.addWidget(spin, i // 3, (i % 3) * 2 + 1)
            self.spins[key] = spin
        self.preview = QtWidgets.QLabel()
        self.preview.setWordWrap(True)
        side = QtWidgets.QVBoxLayout()
        side.addWidget(QtWidgets.QLabel(f"<b>{self.tr('Priority weights')}</b>"))
        side.addLayout(weights)
        side.addWidget(self.preview)
        side.addWidget(self.totals, 1)
        inner = QtWidgets.QWidget()
        inner.setLayout(side)
        side_widget = QtWidgets.QScrollArea(widgetResizable=True)  # a low dock still shows all the totals
        side_widget.setWidget(inner)
        side_widget.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        side_widget.setMaximumWidth(470)
        side_widget.setMinimumWidth(320)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.filter)
        left.addWidget(self.view, 1)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(left, 1)
        lay.addWidget(side_widget)

    def set_weights(self, weights: dict) -> None:
        self.current_weights = {k: float(weights.get(k, 0.0)) for k in self.spins}
        for k, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setValue(self.current_weights[k])
            spin.blockSignals(False)
        self._preview()

    def normalised(self) -> dict[str, float] | None:
        raw = {k: s.value() for k, s in self.spins.items()}
        total = sum(raw.values())
        return {k: v / total for k, v in raw.items()} if total > 0 else None

    def _preview(self) -> None:
        """The shares the weights will have (normalised), shown while typing."""
        shares = self.normalised()
        titles = weight_titles(self.tr)
        if shares is None:
            self.preview.setText(self.tr("At least one weight must be above 0"))
            return
        self.preview.setText(" · ".join(f"{titles[k]} {v:.0%}" for k, v in shares.items()))

    def _weights_edited(self) -> None:
        shares = self.normalised()
        if shares is None:
            return
        if self.current_weights and all(abs(shares[k] - self.current_weights.get(k, 0.0)) < 5e-4 for k in shares):
            return  # nothing changed (e.g. the box only lost the focus): no command
        self.weightsEdited.emit({k: s.value() for k, s in self.spins.items()})

    def show_projects(self, layer: MapLayer | None) -> None:
        if layer is None or len(layer.frame) == 0:
            self.model.set_layer(layer)
            self.totals.setText("")
            return
        p = layer.frame
        phase = p["phase"].astype("string").fillna("~").to_numpy(dtype=object) if "phase" in p else np.zeros(len(p))
        score = pd.to_numeric(p.get("priority_score", 0), errors="coerce")
        score = np.nan_to_num(np.asarray(score, dtype=float), nan=-1.0) if np.ndim(score) else np.zeros(len(p))
        order = np.lexsort((-score, phase))  # by phase, then the highest score first
        self.model.set_layer(layer, columns=PORTFOLIO_COLUMNS, order=order)
        self.view.horizontalHeader().setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)
        if not getattr(self, "_sized", False):  # widths from the first rows, once (a rebuild keeps them)
            self._sized = True
            from planner.gui.attribute_table import resize_columns_in_turns

            resize_columns_in_turns(self.view, cap=260)
        self.totals.setText(self.totals_html(p))

    def totals_html(self, p) -> str:
        """Totals in words: projects and cost overall, by phase and by type (万元 with separators)."""
        totals = portfolio_totals(p)
        wan = i18n.pick("万元", "10k yuan")

        def part(groups) -> str:
            return " · ".join(f"{k}：{int(n):,} {i18n.pick('项', 'projects')}，{c:,.0f} {wan}" if i18n.lang() == "zh"
                              else f"{k}: {int(n):,} projects, {c:,.0f} {wan}" for k, (n, c) in groups)

        by_type = [(i18n.type_title(k), nc) for k, nc in totals["by_type"]]
        head = self.tr("Total: {0} projects, {1} 10k yuan").format(f"{totals['n']:,}", f"{totals['cost']:,.0f}")
        return (f"<b>{head}</b><br><b>{i18n.pick('按实施阶段', 'By phase')}</b>　{part(totals['by_phase'])}"
                f"<br><b>{i18n.pick('按项目类型', 'By type')}</b>　{part(by_type)}")


_TOTALS: list[dict] = [{}]  # replaced whole (a worker may make one while the window reads another)


def portfolio_totals(p) -> dict:
    """Projects and cost overall, by phase and by type (the largest cost first); kept for the last
    frame, so a worker can work them out before the panel shows them (no Qt here)."""
    if _TOTALS[0].get("frame") is p:
        return _TOTALS[0]
    cost = pd.to_numeric(p["estimated_cost"], errors="coerce").fillna(0)
    phase = cost.groupby(p["phase"].astype(str), sort=True).agg(["size", "sum"])
    types = p["type"].astype(str) if "type" in p else pd.Series([""] * len(p), index=p.index)
    by_type = cost.groupby(types).agg(["size", "sum"]).sort_values("sum", ascending=False, kind="stable")
    totals = {"frame": p, "n": len(p), "cost": float(cost.sum()),
              "by_phase": [(k, (int(n), float(c))) for k, n, c in zip(phase.index, phase["size"], phase["sum"],
                                                                     strict=True)],
              "by_type": [(k, (int(n), float(c))) for k, n, c in zip(by_type.index, by_type["size"],
                                                                    by_type["sum"], strict=True)]}
    _TOTALS[0] = totals
    return totals


def open_folder(path: Path) -> None:
    QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(path)))


def zoom_to_rows(canvas, frame, rows: np.ndarray) -> None:
    import shapely

    if len(rows):
        b = shapely.total_bounds(frame.geometry.values[rows])
        pad = max(b[2] - b[0], b[3] - b[1]) * 0.5 + 60
        canvas.set_extent((b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad))


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
                                             titles.get(key) or i18n.type_title(key))
            item.setData(QtCore.Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.CheckState.Checked)
            self.sheets.addItem(item)
        self.basemap = QtWidgets.QLineEdit(placeholderText=self.tr("none (offline); tianditu:KEY or a tile URL"))
        # the plan draft (report.docx): words of the window's language from i18n (no .ts entry needed)
        self.report = QtWidgets.QCheckBox(i18n.pick("同时生成规划草案文本（城市体检与更新规划草案）",
                                                    "Also write the plan draft (report.docx)"))
        form.addRow(self.tr("Map sheets"), self.sheets)
        form.addRow(self.tr("Basemap"), self.basemap)
        form.addRow(self.report)
        buttons = ok_cancel(self)
        form.addRow(buttons)

    def options(self) -> dict:
        chosen = [self.sheets.item(i).data(QtCore.Qt.ItemDataRole.UserRole) for i in range(self.sheets.count())
                  if self.sheets.item(i).checkState() == QtCore.Qt.CheckState.Checked]
        return {"sheets": bool(chosen), "sheet_types": chosen or None, "basemap": self.basemap.text().strip() or None,
                "report": self.report.isChecked()}
