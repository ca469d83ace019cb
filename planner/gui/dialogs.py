"""Dialogs: the field mapping found for a new layer, which the planner can correct."""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from planner.gui import i18n


def ok_cancel(dialog: QtWidgets.QDialog) -> QtWidgets.QDialogButtonBox:
    """OK / Cancel buttons wired to the dialog's accept and reject."""
    buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                         | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class FieldMappingDialog(QtWidgets.QDialog):
    def __init__(self, catalogue, role: str, columns: list[str], found: dict[str, str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Field mapping"))
        self.catalogue = catalogue
        self.columns = columns
        self.role_box = QtWidgets.QComboBox()
        for r, spec in catalogue.layers.items():
            self.role_box.addItem(i18n.pick(spec.title, spec.title_en), r)
        self.role_box.setCurrentIndex(list(catalogue.layers).index(role))
        self.table = QtWidgets.QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([self.tr("Field"), self.tr("Column in the file")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.role_box.currentIndexChanged.connect(lambda: self._fill({}))
        buttons = ok_cancel(self)
        lay = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        form.addRow(self.tr("Layer role"), self.role_box)
        lay.addLayout(form)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
        self.resize(640, 480)
        self._fill(found)

    def _fill(self, found: dict[str, str]) -> None:
        from planner.session import field_mapping

        spec = self.catalogue.layer(self.result_role())
        found = found or field_mapping(self.catalogue, self.result_role(), self.columns)
        self.table.setRowCount(len(spec.fields))
        self.boxes = {}
        for i, f in enumerate(spec.fields):
            item = QtWidgets.QTableWidgetItem(i18n.pick(f.title, f.title_en or f.title))
            item.setData(QtCore.Qt.ItemDataRole.UserRole, f.name)
            self.table.setItem(i, 0, item)
            box = QtWidgets.QComboBox()
            box.addItem(self.tr("(none)"), "")
            for c in self.columns:
                box.addItem(c, c)
            if f.name in found:
                box.setCurrentIndex(self.columns.index(found[f.name]) + 1)
            self.table.setCellWidget(i, 1, box)
            self.boxes[f.name] = box

    def result_role(self) -> str:
        return self.role_box.currentData()

    def result_mapping(self) -> dict[str, str]:
        return {name: box.currentData() for name, box in self.boxes.items() if box.currentData()}
