"""Layer panel: visibility check boxes, order (drag and drop or buttons; top is drawn last),
the active layer, and a legend of each layer's style categories."""

from __future__ import annotations

from PyQt6 import QtCore, QtGui, QtWidgets

from planner.gui import i18n
from planner.model import LayerList, MapLayer

ROLE_UID = QtCore.Qt.ItemDataRole.UserRole + 1


def swatch(colour: str, kind: str = "polygon") -> QtGui.QIcon:
    pm = QtGui.QPixmap(14, 14)
    pm.fill(QtGui.QColor(0, 0, 0, 0))
    p = QtGui.QPainter(pm)
    c = QtGui.QColor(colour) if str(colour).lower() not in {"none", "transparent"} else QtGui.QColor(0, 0, 0, 0)
    if kind == "line":
        p.setPen(QtGui.QPen(c, 3))
        p.drawLine(1, 12, 13, 2)
    elif kind == "point":
        p.setBrush(c)
        p.drawEllipse(3, 3, 8, 8)
    else:
        p.setBrush(c)
        p.setPen(QtGui.QColor("#444444"))
        p.drawRect(1, 1, 12, 12)
    p.end()
    return QtGui.QIcon(pm)


class LayerPanel(QtWidgets.QWidget):
    activeLayerChanged = QtCore.pyqtSignal(object)
    zoomToLayer = QtCore.pyqtSignal(object)

    def __init__(self, layers: LayerList, parent=None, catalogue=None):
        super().__init__(parent)
        self.layers = layers
        self.catalogue = catalogue
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.InternalMove)
        self.tree.setDefaultDropAction(QtCore.Qt.DropAction.MoveAction)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.model().rowsMoved.connect(self._rows_moved)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        up = QtWidgets.QToolButton(text="▲", toolTip=self.tr("Move layer up"))
        down = QtWidgets.QToolButton(text="▼", toolTip=self.tr("Move layer down"))
        up.clicked.connect(lambda: self.move_current(+1))
        down.clicked.connect(lambda: self.move_current(-1))
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(up)
        buttons.addWidget(down)
        buttons.addStretch(1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.tree)
        lay.addLayout(buttons)
        self._updating = False
        # Rebuilt after the event that caused it: rebuilding inside an item's own signal would
        # delete the item while Qt still uses it.
        self._rebuild_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._rebuild_timer.timeout.connect(self.rebuild)
        for sig in (layers.inserted, layers.removed, layers.moved, layers.changed):
            sig.connect(lambda *a: self._rebuild_timer.start())
        self.rebuild()

    def rebuild(self) -> None:
        self._updating = True
        current = self.current_layer()
        self.tree.clear()
        for layer in reversed(list(self.layers)):  # top of the panel = drawn last
            count = "" if layer.raster else f"  ({len(layer.frame):,})"
            item = QtWidgets.QTreeWidgetItem([f"{i18n.layer_title(layer, self.catalogue)}{count}"])
            item.setToolTip(0, layer.source or "")
            item.setData(0, ROLE_UID, layer.uid)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable | QtCore.Qt.ItemFlag.ItemIsDragEnabled)
            item.setFlags(item.flags() & ~QtCore.Qt.ItemFlag.ItemIsDropEnabled)
            item.setCheckState(0, QtCore.Qt.CheckState.Checked if layer.visible else QtCore.Qt.CheckState.Unchecked)
            style = layer.style or {}
            cats = style.get("categories") or {}
            field = style.get("field")
            present = layer.present_values(field) if cats else frozenset()
            for key, cat in cats.items():
                if key in present:
                    child = QtWidgets.QTreeWidgetItem([i18n.category_label(layer, key, cat.get("label", key),
                                                                           self.catalogue)])
                    child.setIcon(0, swatch(cat.get("colour", "#999"), layer.geometry_kind))
                    child.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
                    item.addChild(child)
            if layer.raster:
                pass  # its ramp is added once the item is in the tree (below)
            elif not cats:
                item.setIcon(0, swatch(style.get("fill", "#999999") if layer.geometry_kind == "polygon"
                                       else style.get("line", style.get("fill", "#999999")), layer.geometry_kind))
            self.tree.addTopLevelItem(item)
            if layer.raster:
                self._raster_legend(layer, item)
            if current is not None and layer.uid == current.uid:
                self.tree.setCurrentItem(item)
        self._updating = False

    def _raster_legend(self, layer: MapLayer, item: QtWidgets.QTreeWidgetItem) -> None:
        """A raster's legend: its colour ramp from the low to the high value (with its unit)."""
        from planner.gui.render import ramp_image, raster_stats

        name = str(layer.style.get("colormap", "dem"))
        if name == "imagery":
            return
        stats = raster_stats(layer)
        child = QtWidgets.QTreeWidgetItem([""])
        child.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
        item.addChild(child)
        label = QtWidgets.QWidget()
        ramp = QtGui.QPixmap.fromImage(ramp_image(name, 90, 12))
        unit = i18n.pick(" 米", " m") if name == "dem" else ""
        text = "" if stats is None else f"{stats[0]:,.0f}{unit} – {stats[1]:,.0f}{unit}"
        if name == "dem":
            text += i18n.pick("（晕渲）", " (hillshade)")
        lay = QtWidgets.QHBoxLayout(label)
        lay.setContentsMargins(0, 0, 0, 0)
        swatch_label = QtWidgets.QLabel()
        swatch_label.setPixmap(ramp)
        lay.addWidget(swatch_label)
        lay.addWidget(QtWidgets.QLabel(text), 1)
        label.setMinimumHeight(18)
        self.tree.setItemWidget(child, 0, label)
        item.setExpanded(True)

    def layer_of(self, item) -> MapLayer | None:
        if item is None:
            return None
        while item.parent() is not None:
            item = item.parent()
        uid = item.data(0, ROLE_UID)
        return next((lyr for lyr in self.layers if lyr.uid == uid), None)

    def current_layer(self) -> MapLayer | None:
        return self.layer_of(self.tree.currentItem()) if hasattr(self, "tree") else None

    def set_current(self, layer: MapLayer) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, ROLE_UID) == layer.uid:
                self.tree.setCurrentItem(item)

    def _item_changed(self, item, column) -> None:
        if self._updating or item.parent() is not None:
            return
        layer = self.layer_of(item)
        if layer is not None:
            self.layers.set_visible(layer, item.checkState(0) == QtCore.Qt.CheckState.Checked)

    def _current_changed(self, current, _previous) -> None:
        if not self._updating:
            self.activeLayerChanged.emit(self.layer_of(current))

    def _double_clicked(self, item, _column) -> None:
        layer = self.layer_of(item)
        if layer is not None:
            self.zoomToLayer.emit(layer)

    def _rows_moved(self, *args) -> None:
        if self._updating:
            return
        # the panel's order top-to-bottom is the reverse of the draw order
        uids = [self.tree.topLevelItem(i).data(0, ROLE_UID) for i in range(self.tree.topLevelItemCount())]
        QtCore.QTimer.singleShot(0, lambda: self.apply_order(list(reversed(uids))))

    def apply_order(self, uids: list[int]) -> None:
        for target, uid in enumerate(uids):
            current = next(i for i, lyr in enumerate(self.layers) if lyr.uid == uid)
            if current != target:
                self.layers.move(current, target)

    def move_current(self, direction: int) -> None:
        layer = self.current_layer()
        if layer is None:
            return
        i = self.layers.index(layer)
        j = min(max(i + direction, 0), len(self.layers) - 1)
        if i != j:
            self.layers.move(i, j)
            self.rebuild()
            self.set_current(layer)
