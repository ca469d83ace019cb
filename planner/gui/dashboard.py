"""The city-examination dashboard: indicators grouped by the examination's areas (住房、小区
（社区）、街区、城区（城市）), one column per district with pass and fail coloured, the target
and the policy or standard it comes from; a readable chart of the chosen indicator. Choosing an
indicator (in a district's column, or the whole area's) asks the window to zoom to and
highlight the features behind it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PyQt6 import QtCore, QtGui, QtWidgets

from planner.gui import i18n

ALL = "全部 (all)"  # the analysis's whole-area row
AREAS = {"housing": ("住房", "Housing"), "community": ("小区（社区）", "Compounds and communities"),
         "block": ("街区", "Blocks"), "city": ("城区（城市）", "City")}
COUNT_UNITS = {"栋", "个", "处", "户", "部"}
UNITS = {"个/km": ("个/公里", "per km"), "km/km²": ("km/km²", "km/km²"), "%": ("%", "%")}
ROLE = QtCore.Qt.ItemDataRole.UserRole


def unit_text(unit: str) -> str:
    pair = UNITS.get(str(unit))
    return i18n.pick(*pair) if pair else i18n.word(unit)


def value_text(value, unit: str) -> str:
    """Counts as integers, shares with one decimal, other measures with two."""
    if value is None or not np.isfinite(float(value)):
        return ""
    v = float(value)
    if str(unit) in COUNT_UNITS:
        return f"{v:,.0f}"
    return f"{v:,.1f}" if unit == "%" else f"{v:,.2f}"


def district_title(name: str) -> str:
    return i18n.pick("全部", "Whole area") if str(name) == ALL else str(name)


class BarChart(QtWidgets.QWidget):
    """Horizontal bars of one indicator by district (names in full on the left), the target as
    a labelled line, passing bars green and failing ones red."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(120)
        self.items: list[tuple[str, float | None, bool | None]] = []
        self.target: float | None = None
        self.title = ""
        self.unit = ""

    def set_data(self, title: str, items, target, unit: str = "") -> None:
        self.title, self.items, self.target, self.unit = title, list(items), target, unit
        self.setMinimumHeight(40 + 24 * max(len(self.items), 1))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QtGui.QColor("white"))
        fm = p.fontMetrics()
        p.setPen(QtGui.QColor("#222222"))
        p.drawText(8, 8 + fm.ascent(), self.title + (f"（{unit_text(self.unit)}）" if self.unit and i18n.lang() == "zh"
                                                    else f" ({unit_text(self.unit)})" if self.unit else ""))
        vals = [v for _, v, _ in self.items if v is not None and np.isfinite(v)]
        if not vals:
            p.end()
            return
        label_w = min(max(fm.horizontalAdvance(n) for n, _, _ in self.items) + 12, self.width() // 2)
        top = max(vals + ([self.target] if self.target is not None else [])) or 1.0
        x0, x1 = 8 + label_w, self.width() - 70
        y = 12 + fm.height()
        for name, v, ok in self.items:
            p.setPen(QtGui.QColor("#222222"))
            p.drawText(QtCore.QRectF(8, y, label_w - 8, 20), QtCore.Qt.AlignmentFlag.AlignVCenter
                       | QtCore.Qt.AlignmentFlag.AlignRight, fm.elidedText(name, QtCore.Qt.TextElideMode.ElideLeft,
                                                                           label_w - 8))
            if v is not None and np.isfinite(v):
                w = (x1 - x0) * v / top
                colour = "#2e7d32" if ok else "#c62828" if ok is False else "#4a7ab5"
                p.fillRect(QtCore.QRectF(x0, y + 3, max(w, 1), 14), QtGui.QColor(colour))
                p.drawText(QtCore.QPointF(x0 + w + 4, y + 15), value_text(v, self.unit))
            y += 24
        if self.target is not None:
            tx = x0 + (x1 - x0) * self.target / top
            p.setPen(QtGui.QPen(QtGui.QColor("#333333"), 1.2, QtCore.Qt.PenStyle.DashLine))
            p.drawLine(QtCore.QPointF(tx, 10 + fm.height()), QtCore.QPointF(tx, y))
            label = "┆ " + i18n.pick("目标 ", "Target ") + value_text(self.target, self.unit)
            lx = self.width() - fm.horizontalAdvance(label) - 6  # right of the title line
            p.drawText(QtCore.QPointF(lx, 8 + fm.ascent()), label)  # at the top: never cut off
        p.end()


class Dashboard(QtWidgets.QWidget):
    """The indicators by examination area; choosing one emits :attr:`indicatorChosen`."""

    indicatorChosen = QtCore.pyqtSignal(str, str)  # indicator, district (the analysis's name)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemClicked.connect(self._clicked)
        self.chart = BarChart()
        self.basis = QtWidgets.QLabel()
        self.basis.setWordWrap(True)
        right = QtWidgets.QWidget()
        rl = QtWidgets.QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.chart)
        rl.addWidget(self.basis)
        rl.addStretch(1)
        split = QtWidgets.QSplitter()
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([700, 450])
        right.setMinimumWidth(300)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split)
        self.frame: pd.DataFrame | None = None
        self.districts: list[str] = []

    def show_indicators(self, frame) -> None:
        self.frame = frame
        self.tree.clear()
        if frame is None or len(frame) == 0:
            self.tree.setHeaderLabels([self.tr("Indicator")])
            return
        # a few hundred rows: plain records (pandas' per-call costs would dominate)
        cols = [str(c) for c in frame.columns]
        records = [dict(zip(cols, row, strict=True)) for row in zip(*(frame[c].tolist() for c in frame.columns),
                                                                    strict=True)]
        self.districts = list(dict.fromkeys(str(r["district"]) for r in records))
        heads = [self.tr("Indicator")] + [district_title(d) for d in self.districts] + [self.tr("Unit"), self.tr("Target")]
        self.tree.setHeaderLabels(heads)
        first: dict = {}
        values: dict = {}
        passes: dict = {}
        for r in records:  # (indicator, district) -> value / pass, the first of each
            first.setdefault(r["indicator"], r)
            values.setdefault((r["indicator"], str(r["district"])), r["value"])
            passes.setdefault((r["indicator"], str(r["district"])), r.get("pass"))
        good, bad = QtGui.QColor("#c6efce"), QtGui.QColor("#ffc7ce")
        for area, (zh, en) in AREAS.items():
            keys = [k for k, r in first.items() if r.get("area", "city") == area]
            if not keys:
                continue
            top = QtWidgets.QTreeWidgetItem([i18n.pick(zh, en)])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            for k in keys:
                r = first[k]
                unit = str(r["unit"])
                target = r["target"]
                has_target = target is not None and target == target
                cells = [str(r["title"] if i18n.lang() == "zh" else r["title_en"])]
                for d in self.districts:
                    cells.append(value_text(values.get((k, d)), unit))
                direction = "≥" if r.get("direction") == "higher" else "≤"
                cells += [unit_text(unit), f"{direction} {value_text(target, unit)}" if has_target else ""]
                item = QtWidgets.QTreeWidgetItem(cells)
                item.setData(0, ROLE, k)
                basis = r.get("basis") if i18n.lang() == "zh" else r.get("basis_en")
                if isinstance(basis, str) and basis:
                    item.setToolTip(len(cells) - 1, basis)
                    item.setToolTip(0, basis)
                for j, d in enumerate(self.districts, start=1):
                    item.setTextAlignment(j, QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                    ok = passes.get((k, d))
                    if ok is True or ok is False or isinstance(ok, np.bool_):
                        item.setBackground(j, good if bool(ok) else bad)
                top.addChild(item)
            top.setExpanded(True)
        for c in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(c)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0), 360))
        failing = [k for k in first if any(ok is False or (isinstance(ok, np.bool_) and not ok)
                                           for (i, _d), ok in passes.items() if i == k)]
        if failing or first:
            self.choose(failing[0] if failing else next(iter(first)), emit=False)  # the chart shows one at once

    def indicator_items(self) -> list[QtWidgets.QTreeWidgetItem]:
        return [self.tree.topLevelItem(i).child(j) for i in range(self.tree.topLevelItemCount())
                for j in range(self.tree.topLevelItem(i).childCount())]

    def choose(self, indicator: str, district: str = ALL, *, emit: bool = True) -> None:
        """Show an indicator in the chart and ask for its features (in a district or everywhere)."""
        f = self.frame[self.frame["indicator"] == indicator]
        if not len(f):
            return
        r = f.iloc[0]
        title = str(r["title"] if i18n.lang() == "zh" else r["title_en"])
        items = [(district_title(d), None if v is None or v != v else float(v), None if p is None or p != p else bool(p))
                 for d, v, p in zip(f["district"].astype(str), f["value"], f["pass"], strict=True)]
        target = r["target"]
        self.chart.set_data(title, items, None if target is None or target != target else float(target), str(r["unit"]))
        basis = r.get("basis") if i18n.lang() == "zh" else r.get("basis_en")
        self.basis.setText(i18n.pick("依据：", "Basis: ") + basis if isinstance(basis, str) and basis else "")
        if emit:
            self.indicatorChosen.emit(indicator, district)

    def _clicked(self, item, column: int) -> None:
        indicator = item.data(0, ROLE)
        if not indicator:
            return
        district = self.districts[column - 1] if 1 <= column <= len(self.districts) else ALL
        self.choose(indicator, district)
