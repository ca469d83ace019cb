"""The style dialog: fill or class colours, outline, the opacity the layer is really drawn with,
labels (field, font, size, colour, halo), the visible scale range. What the planner sets here is
recorded in ``style["edited"]`` so the map window's cartographic rules do not override it."""

from __future__ import annotations

from PyQt6 import QtGui, QtWidgets

from planner.gui import i18n
from planner.gui.attribute_table import column_title
from planner.gui.cartography import map_style, true_opacity
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
    def __init__(self, layer: MapLayer, parent=None, catalogue=None):
        super().__init__(parent)
        self.layer = layer
        self.setWindowTitle(self.tr("Layer style: {0}").format(i18n.layer_title(layer, catalogue)))
        style = map_style(layer)
        lay = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        lay.addLayout(form)
        self.fill = ColourButton(style.get("fill", "#c8c8c8"))
        self.outline = ColourButton(style.get("outline", "#555555"))
        self.width = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=10.0, singleStep=0.1,
                                              value=float(style.get("outline_width", 0.4)))
        self.opacity = QtWidgets.QSpinBox(minimum=0, maximum=100, suffix=" %", value=int(round(true_opacity(layer) * 100)))
        self.fill_alpha = QtWidgets.QSpinBox(minimum=0, maximum=100, suffix=" %",
                                             value=int(round(float(style.get("fill_alpha", 1.0)) * 100)))
        categorised = style.get("kind") == "categorised" and bool(style.get("categories"))
        if not categorised:
            form.addRow(self.tr("Fill colour"), self.fill)
        form.addRow(self.tr("Outline colour"), self.outline)
        form.addRow(self.tr("Outline width (px)"), self.width)
        form.addRow(self.tr("Opacity"), self.opacity)
        if layer.geometry_kind == "polygon":
            form.addRow(self.tr("Fill strength"), self.fill_alpha)
        # class colours
        self.class_buttons: dict[str, ColourButton] = {}
        if categorised:
            box = QtWidgets.QGroupBox(self.tr("Class colours"))
            grid = QtWidgets.QFormLayout(box)
            present = set(layer.frame[style["field"]].dropna().astype(str).unique()) if style.get("field") in \
                layer.frame.columns else set()
            for key, cat in style["categories"].items():
                if present and key not in present:
                    continue
                b = ColourButton(cat.get("colour", "#999999"))
                grid.addRow(i18n.category_label(layer, key, cat.get("label", key), catalogue), b)
                self.class_buttons[key] = b
            scroll = QtWidgets.QScrollArea(widgetResizable=True)
            scroll.setWidget(box)
            scroll.setMaximumHeight(260)
            lay.addWidget(scroll)
        # labels
        labels = QtWidgets.QGroupBox(self.tr("Labels"))
        lf = QtWidgets.QFormLayout(labels)
        self.label = QtWidgets.QComboBox()
        self.label.addItem(self.tr("(none)"), None)
        for c in layer.frame.columns:
            if c != layer.frame.geometry.name:
                self.label.addItem(column_title(layer, c, catalogue), c)
        if layer.label_field:
            self.label.setCurrentIndex(max(self.label.findData(layer.label_field), 0))
        self.font = QtWidgets.QFontComboBox()
        if style.get("label_font"):
            self.font.setCurrentFont(QtGui.QFont(str(style["label_font"])))
        self.font_size = QtWidgets.QDoubleSpinBox(minimum=5.0, maximum=36.0, singleStep=0.5, suffix=" pt",
                                                  value=float(style.get("label_size", 8.5)))
        self.label_colour = ColourButton(style.get("label_colour", "#222222"))
        self.halo_colour = ColourButton(style.get("halo_colour", "#ffffff"))
        self.halo_width = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=8.0, singleStep=0.5, suffix=" px",
                                                   value=float(style.get("halo_width", 3.0)))
        lf.addRow(self.tr("Label field"), self.label)
        lf.addRow(self.tr("Font"), self.font)
        lf.addRow(self.tr("Size"), self.font_size)
        lf.addRow(self.tr("Text colour"), self.label_colour)
        lf.addRow(self.tr("Halo colour"), self.halo_colour)
        lf.addRow(self.tr("Halo width"), self.halo_width)
        lay.addWidget(labels)
        scales = QtWidgets.QFormLayout()
        self.min_scale = QtWidgets.QSpinBox(minimum=0, maximum=100_000_000, prefix="1:", specialValueText=self.tr("any"),
                                            value=int(layer.min_scale or 0))
        self.max_scale = QtWidgets.QSpinBox(minimum=0, maximum=100_000_000, prefix="1:", specialValueText=self.tr("any"),
                                            value=int(layer.max_scale or 0))
        scales.addRow(self.tr("Visible from scale"), self.min_scale)
        scales.addRow(self.tr("Visible up to scale"), self.max_scale)
        lay.addLayout(scales)
        lay.addWidget(ok_cancel(self))
        self._initial = self._values()

    def _values(self) -> dict:
        return {"fill": self.fill.colour, "outline": self.outline.colour, "outline_width": self.width.value(),
                "fill_alpha": self.fill_alpha.value() / 100, "label_font": self.font.currentFont().family(),
                "label_size": self.font_size.value(), "label_colour": self.label_colour.colour,
                "halo_colour": self.halo_colour.colour, "halo_width": self.halo_width.value()}

    def apply(self) -> None:
        """Write the dialog's values into the layer (the caller notifies the layer list)."""
        style = dict(self.layer.style or {})
        edited = set(style.get("edited", ()))
        for key, value in self._values().items():
            if value != self._initial[key] or key in ("fill", "outline", "outline_width") and key in style:
                style[key] = value
                if value != self._initial[key]:
                    edited.add(key)
        if self.class_buttons:
            cats = {k: dict(v) for k, v in style.get("categories", {}).items()}
            for key, b in self.class_buttons.items():
                cats.setdefault(key, {})["colour"] = b.colour
            style["categories"] = cats
        opacity = self.opacity.value() / 100
        if abs(opacity - true_opacity(self.layer)) > 0.004:  # the opacity the layer is drawn with
            style["opacity"] = 1.0
            edited.add("opacity")
            self.layer.opacity = opacity
        if edited:
            style["edited"] = sorted(edited)
        self.layer.style = style
        self.layer.label_field = self.label.currentData()
        self.layer.min_scale = self.min_scale.value() or None
        self.layer.max_scale = self.max_scale.value() or None

