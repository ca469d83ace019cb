"""One icon set for every action: Material Design Icons 6 through qtawesome (fonts bundled
in the package, offline; icons Apache 2.0, font SIL OFL 1.1, qtawesome MIT — see
THIRD_PARTY_NOTICES.md). Each action's picture says what it does."""

from __future__ import annotations

from functools import cache

from PyQt6 import QtGui

ICONS = {
    "new": "mdi6.file-plus-outline", "open": "mdi6.folder-open-outline", "save": "mdi6.content-save-outline",
    "save_as": "mdi6.content-save-edit-outline", "add_layer": "mdi6.layers-plus", "remove_layer": "mdi6.layers-remove",
    "style": "mdi6.palette-outline", "quit": "mdi6.exit-to-app", "run": "mdi6.clipboard-check-outline",
    "export": "mdi6.file-export-outline", "undo": "mdi6.undo", "redo": "mdi6.redo",
    "pan": "mdi6.hand-back-right-outline", "zoom_box": "mdi6.magnify-plus-outline",
    "identify": "mdi6.information-outline", "select": "mdi6.selection-drag", "vertex": "mdi6.vector-polyline-edit",
    "split": "mdi6.content-cut", "move": "mdi6.cursor-move", "draw": "mdi6.vector-polygon",
    "measure_line": "mdi6.ruler", "measure_area": "mdi6.ruler-square", "full": "mdi6.arrow-expand-all",
    "zoom_layer": "mdi6.layers-search-outline", "zoom_selection": "mdi6.selection-search",
    "back": "mdi6.arrow-left", "forward": "mdi6.arrow-right", "bookmark": "mdi6.bookmark-plus-outline",
    "bookmarks": "mdi6.bookmark-multiple-outline", "merge": "mdi6.vector-union", "delete": "mdi6.delete-outline",
    "create": "mdi6.shape-polygon-plus", "clear_selection": "mdi6.selection-off", "select_expression": "mdi6.filter-outline",
    "confirm": "mdi6.check-bold", "dismiss": "mdi6.close-thick", "reopen": "mdi6.restore", "reclassify": "mdi6.swap-horizontal",
    "next": "mdi6.chevron-down", "previous": "mdi6.chevron-up", "language": "mdi6.translate",
}
COLOURS = {"confirm": "#1a7f37", "dismiss": "#b42318", "run": "#1f5fa8", "delete": "#b42318"}


@cache
def icon(key: str) -> QtGui.QIcon:
    """The icon of an action (an empty icon when qtawesome is missing: actions keep their text)."""
    try:
        import qtawesome as qta
    except ImportError:  # pragma: no cover - a declared dependency
        return QtGui.QIcon()
    return qta.icon(ICONS[key], color=COLOURS.get(key, "#3c4043"), color_disabled="#b0b0b0")
