"""A simple style dialog: colours, outline width, opacity, labels, visible scale range."""

from __future__ import annotations

from PyQt6 import QtGui, QtWidgets

from planner.gui.dialogs import ok_cancel
from planner.model import MapLayer


class ColourButton(QtWidgets.QPushButton):
    def __init__(self, colour: str, parent=None):
        super().__init__(parent)
        self.set_colour(colour)
        self.clicked.connect(self._pick)

    def set_colour(self, colour: str) -> None:
        self.colour = colour
        self.setText(colour)
        if str(colour).lower() not in {"none", "transparent"}:
            self.setStyleSheet(f"background:{colour}; color:{'white' if QtGui.QColor(colour).lightness() < 128 else 'black'}")

    def _pick(self) -> None:
        c = QtWidgets.QColorDialog.getColor(QtGui.QColor(self.colour), self, self.tr("Colour"))
        if c.isValid():
            self.set_colour(c.name())


class StyleDialog(QtWidgets.QDialog):
    def __init__(self, layer: MapLayer, parent=None):
        super().__init__(parent)
        self.layer = layer
        self.setWindowTitle(self.tr("Layer style: {0}").format(layer.name))
        style = dict(layer.style or {})
        form = QtWidgets.QFormLayout(self)
        self.fill = ColourButton(style.get("fill", "#c8c8c8"))
        self.outline = ColourButton(style.get("outline", "#555555"))
        self.width = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=10.0, singleStep=0.1,
                                              value=float(style.get("outline_width", 0.4)))
        self.opacity = QtWidgets.QSpinBox(minimum=0, maximum=100, suffix=" %", value=int(round(layer.opacity * 100)))
        self.label = QtWidgets.QComboBox()
        self.label.addItem(self.tr("(none)"), None)
        for c in layer.frame.columns:
            if c != layer.frame.geometry.name:
                self.label.addItem(str(c), c)
        if layer.label_field:
            self.label.setCurrentIndex(max(self.label.findData(layer.label_field), 0))
        self.min_scale = QtWidgets.QSpinBox(minimum=0, maximum=100_000_000, prefix="1:", specialValueText=self.tr("any"),
                                            value=int(layer.min_scale or 0))
        self.max_scale = QtWidgets.QSpinBox(minimum=0, maximum=100_000_000, prefix="1:", specialValueText=self.tr("any"),
                                            value=int(layer.max_scale or 0))
        if style.get("kind") != "categorised":
            form.addRow(self.tr("Fill colour"), self.fill)
        form.addRow(self.tr("Outline colour"), self.outline)
        form.addRow(self.tr("Outline width (px)"), self.width)
        form.addRow(self.tr("Opacity"), self.opacity)
        form.addRow(self.tr("Label field"), self.label)
        form.addRow(self.tr("Visible from scale"), self.min_scale)
        form.addRow(self.tr("Visible up to scale"), self.max_scale)
        buttons = ok_cancel(self)
        form.addRow(buttons)

    def apply(self) -> None:
        """Write the dialog's values into the layer (the caller notifies the layer list)."""
        style = dict(self.layer.style or {})
        style["fill"] = self.fill.colour
        style["outline"] = self.outline.colour
        style["outline_width"] = self.width.value()
        self.layer.style = style
        self.layer.opacity = self.opacity.value() / 100
        self.layer.label_field = self.label.currentData()
        self.layer.min_scale = self.min_scale.value() or None
        self.layer.max_scale = self.max_scale.value() or None
