"""The map window's cartography: how the declared styles (analyses, layers/palette.toml through
planner.export.styles) are drawn so that the map stays readable after the checks.

- Projects are outlines in their type's colour with a light fill (small ones drawn on top),
  so they never bury the city or the flags.
- Flags are drawn above the projects: polygons with a half-strong fill in the rule code's
  colour and an outline in the same colour, lines and points in it.
- Labels: one per distinct value of a polygon layer (one name per compound, not one per
  building), road names along the road; labels never overlap (the renderer places them).

A key the planner set in the style dialog (listed in ``style["edited"]``) wins over these rules.
"""

from __future__ import annotations

from planner.model import MapLayer

PROJECTS_ROLE = "projects"
FLAG_PREFIX = "flags:"

# role -> the map window's rules (for one geometry kind or all)
_PROJECTS = {"fill_alpha": 0.16, "outline_mode": "category", "outline_width": 1.8, "order": "area_desc",
             "opacity": 1.0, "label_size": 8.5}
_FLAG_POLYGONS = {"fill_alpha": 0.55, "outline_mode": "category", "outline_width": 1.2, "opacity": 1.0}
_FLAG_POINTS = {"marker_size": 8.0, "outline": "#ffffff", "opacity": 1.0}
_LABELS = {"label_size": 8.5, "label_colour": "#222222", "halo_colour": "#ffffff", "halo_width": 3.0}


def map_style(layer: MapLayer) -> dict:
    """The style the map window draws ``layer`` with: its declared style with the window's
    cartographic rules for its role, the planner's own edits kept."""
    style = dict(layer.style or {})
    edited = set(style.get("edited", ()))
    rules: dict = dict(_LABELS)
    if layer.role == PROJECTS_ROLE:
        rules.update(_PROJECTS)
    elif layer.role.startswith(FLAG_PREFIX):
        kind = layer.geometry_kind
        if kind == "polygon":
            rules.update(_FLAG_POLYGONS)
        elif kind == "point":
            rules.update(_FLAG_POINTS)
        else:
            rules["opacity"] = 1.0
    for key, value in rules.items():
        if key in edited:
            continue
        if key in _LABELS and key in style:
            continue  # label settings: the layer's own when it has them
        style[key] = value
    return style


def true_opacity(layer: MapLayer) -> float:
    """The opacity the layer is drawn with (the layer's times its style's)."""
    return float(layer.opacity) * float(map_style(layer).get("opacity", 1.0))
