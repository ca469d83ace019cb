"""Identify and measure.

The identify panel lists what lies under a click on every visible layer: layer → features →
fields, with the fields' titles (aliases) and values by their titles (domains, rule codes,
project types, review states) in the window's language. Measuring gives geodesic-free planar
lengths and areas in the working CRS (metres), which is what a planner reads off a plan."""

from __future__ import annotations

import numpy as np
import shapely
from PyQt6 import QtCore, QtWidgets

from planner.gui import i18n
from planner.gui.attribute_table import cell_text, column_title, domain_labels
from planner.model import MapLayer

MAX_FEATURES = 50  # per layer in the panel (the count says how many more)
_NAME_FIELDS = ("name", "compound", "title", "facility_title", "road_name")
_ID_FIELDS = ("project_id", "flag_id", "building_id", "parcel_id", "road_id", "facility_id", "source_id")


def feature_caption(layer: MapLayer, row: int) -> str:
    """A feature's line in the panel: its id and name where it has them, else its row."""
    frame = layer.frame
    ident = next((str(frame[c].iat[row]) for c in _ID_FIELDS if c in frame.columns), f"#{row + 1}")
    name = next((str(frame[c].iat[row]) for c in _NAME_FIELDS if c in frame.columns
                 and cell_text(frame[c].iat[row])), "")
    return f"{ident}  {name}".strip()


class IdentifyPanel(QtWidgets.QWidget):
    """Layer → features → fields of the last identify; choosing a feature selects it."""

    featureChosen = QtCore.pyqtSignal(object, int)  # layer, row

    def __init__(self, catalogue=None, parent=None):
        super().__init__(parent)
        self.catalogue = catalogue
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([self.tr("Feature / field"), self.tr("Value")])
        self.tree.header().setStretchLastSection(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.summary = QtWidgets.QLabel(self.tr("Choose the Identify tool (I) and click on the map."))
        self.summary.setWordWrap(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.summary)
        lay.addWidget(self.tree, 1)
        self.results: list[tuple[MapLayer, np.ndarray]] = []

    def show_results(self, results: list[tuple[MapLayer, np.ndarray]]) -> None:
        self.results = results
        self.tree.clear()
        n = sum(len(r) for _, r in results)
        self.summary.setText(self.tr("{0} features on {1} layers").format(n, len(results)) if results
                             else self.tr("Nothing here"))
        for layer, rows in results:
            top = QtWidgets.QTreeWidgetItem([f"{i18n.layer_title(layer, self.catalogue)}", f"{len(rows):,}"])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            frame = layer.frame
            columns = [c for c in frame.columns if c != frame.geometry.name]
            labels = {c: domain_labels(layer, c, self.catalogue, frame[c].iloc[rows[:MAX_FEATURES]])
                      for c in columns}
            for row in rows[:MAX_FEATURES]:
                feature = QtWidgets.QTreeWidgetItem([feature_caption(layer, int(row)), ""])
                feature.setData(0, QtCore.Qt.ItemDataRole.UserRole, (layer, int(row)))
                top.addChild(feature)
                for c in columns:
                    text = cell_text(frame[c].iat[int(row)], labels[c])
                    if c == "reason_en" and i18n.lang() == "zh" or c == "reason" and i18n.lang() == "en":
                        continue  # the reason in the window's language only
                    feature.addChild(QtWidgets.QTreeWidgetItem([column_title(layer, c, self.catalogue), text]))
            if len(rows) > MAX_FEATURES:
                top.addChild(QtWidgets.QTreeWidgetItem([self.tr("… {0} more").format(len(rows) - MAX_FEATURES), ""]))
            top.setExpanded(True)
        if self.tree.topLevelItemCount() and self.tree.topLevelItem(0).childCount():
            first = self.tree.topLevelItem(0).child(0)
            first.setExpanded(True)
        self.tree.resizeColumnToContents(0)

    def _current_changed(self, item, _previous) -> None:
        data = item.data(0, QtCore.Qt.ItemDataRole.UserRole) if item is not None else None
        if data:
            self.featureChosen.emit(data[0], data[1])


def identify_layers(layers, canvas, x: float, y: float, tolerance: float) -> list[tuple[MapLayer, np.ndarray]]:
    """Every visible vector layer's features at (x, y) within ``tolerance`` map units, top layer
    first (the canvas's prepared index narrows the candidates)."""
    box = shapely.box(x - tolerance, y - tolerance, x + tolerance, y + tolerance)
    scale = canvas.scale_denominator()
    out = []
    for layer in reversed(list(layers)):
        if layer.raster or not layer.visible_at(scale) or len(layer.frame) == 0:
            continue
        rows = canvas._rows_in(layer, box)
        if len(rows):
            out.append((layer, rows))
    return out


def measure(points: list[tuple[float, float]], area: bool) -> tuple[float, float]:
    """(length, area) of a measured line or polygon in map units (metres in the working CRS):
    the line's length, or the polygon's perimeter and area."""
    if len(points) < 2:
        return 0.0, 0.0
    xy = np.asarray(points, dtype=float)
    if area and len(xy) >= 3:
        ring = np.vstack([xy, xy[:1]])
        perimeter = float(np.hypot(*np.diff(ring, axis=0).T).sum())
        x, y = xy[:, 0] - xy[:, 0].mean(), xy[:, 1] - xy[:, 1].mean()
        return perimeter, float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)
    return float(np.hypot(*np.diff(xy, axis=0).T).sum()), 0.0


def measure_text(length: float, area: float, is_area: bool) -> str:
    """A measurement in words: metres or kilometres, square metres, hectares or km²."""
    def dist(v: float) -> str:
        return f"{v / 1000:,.3f} km" if v >= 10_000 else f"{v:,.1f} m"

    if not is_area:
        return i18n.pick("长度 ", "Length ") + dist(length)
    a = f"{area / 1e6:,.3f} km²" if area >= 1e6 else (f"{area / 1e4:,.2f} {i18n.pick('公顷', 'ha')}" if area >= 1e4
                                                       else f"{area:,.1f} m²")
    return i18n.pick("面积 ", "Area ") + a + i18n.pick("，周长 ", ", perimeter ") + dist(length)
