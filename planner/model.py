"""The map's layer model, shared by the GUI and the project file (no Qt: after napari's
LayerList). Views subscribe to its psygnal signals."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from psygnal import Signal

if TYPE_CHECKING:
    from pyproj import CRS

    from planner.catalogue import Catalogue

_ids = itertools.count(1)
T = TypeVar("T")


@dataclass(eq=False)
class MapLayer:
    """One layer on the map: a GeoDataFrame in the working CRS and how to draw it."""

    name: str
    frame: gpd.GeoDataFrame
    role: str = ""                    # parcels / buildings / ... / flags / projects / "" (other)
    style: dict[str, Any] = field(default_factory=dict)  # the catalogue's TOML style table, edited in the GUI
    visible: bool = True
    opacity: float = 1.0
    label_field: str | None = None
    min_scale: float | None = None    # visible when the map scale denominator is within these
    max_scale: float | None = None
    source: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    raster: str | None = None         # a raster layer: the file drawn; frame holds its footprint
    uid: int = field(default_factory=lambda: next(_ids))

    def per_frame(self, name: str, key: object, compute: Callable[[], T]) -> T:
        """A value worked out from the layer's frame, kept until the frame (by identity) or
        ``key`` changes, so a worker can make it before the window needs it."""
        kept = self.__dict__.get(name)
        if kept is not None and kept[0] is self.frame and kept[1] == key:
            return cast(T, kept[2])
        value = compute()
        self.__dict__[name] = (self.frame, key, value)
        return value

    @property
    def geometry_kind(self) -> str:
        """polygon, line or point (kept per frame: the type scan holds the GIL)."""
        if self.raster:
            return "raster"

        def kind() -> str:
            ids = set(np.unique(shapely.get_type_id(self.frame.geometry.values)).tolist()) if len(self.frame) else set()
            return "polygon" if ids & {3, 6} else "line" if ids & {1, 2, 5} else "point"

        return self.per_frame("_kind", None, kind)

    def present_values(self, column: str | None) -> frozenset[str]:
        """The distinct values of a column as text (a legend lists the classes present; kept per
        frame)."""
        if column is None or column not in self.frame.columns:
            return frozenset()
        return self.per_frame("_present", column,
                              lambda: frozenset(str(v) for v in pd.unique(self.frame[column].dropna())))

    def bounds(self) -> tuple[float, float, float, float] | None:
        """The layer's extent (kept per frame)."""
        if len(self.frame) == 0:
            return None

        def extent() -> tuple[float, float, float, float] | None:
            b = self.frame.total_bounds
            return (float(b[0]), float(b[1]), float(b[2]), float(b[3])) if np.all(np.isfinite(b)) else None

        return self.per_frame("_bounds", None, extent)

    def visible_at(self, scale: float) -> bool:
        if not self.visible:
            return False
        if self.min_scale is not None and scale < self.min_scale:
            return False
        return not (self.max_scale is not None and scale > self.max_scale)


class LayerList:
    """Ordered layers, first drawn first (the top of the layer panel is the last)."""

    inserted = Signal(int, object)
    removed = Signal(int, object)
    moved = Signal(int, int)
    changed = Signal(object)          # a layer's visibility, style, data or name changed
    selection_changed = Signal(object, object)   # layer, np.ndarray of row positions

    def __init__(self) -> None:
        self._layers: list[MapLayer] = []
        self.selection: dict[int, npt.NDArray[np.int64]] = {}

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[MapLayer]:
        return iter(list(self._layers))

    def __getitem__(self, i: int) -> MapLayer:
        return self._layers[i]

    def index(self, layer: MapLayer) -> int:
        return self._layers.index(layer)

    def by_name(self, name: str) -> MapLayer | None:
        return next((lyr for lyr in self._layers if lyr.name == name), None)

    def append(self, layer: MapLayer) -> None:
        self.insert(len(self._layers), layer)

    def insert(self, i: int, layer: MapLayer) -> None:
        self._layers.insert(i, layer)
        self.inserted.emit(i, layer)

    def remove(self, layer: MapLayer) -> None:
        i = self._layers.index(layer)
        self._layers.pop(i)
        self.selection.pop(layer.uid, None)
        self.removed.emit(i, layer)

    def move(self, src: int, dst: int) -> None:
        layer = self._layers.pop(src)
        self._layers.insert(dst, layer)
        self.moved.emit(src, dst)

    def set_visible(self, layer: MapLayer, visible: bool) -> None:
        if layer.visible != visible:
            layer.visible = visible
            self.changed.emit(layer)

    def notify(self, layer: MapLayer) -> None:
        self.changed.emit(layer)

    def select(self, layer: MapLayer, rows: npt.ArrayLike) -> None:
        self.selection[layer.uid] = np.asarray(rows, dtype=np.int64)
        self.selection_changed.emit(layer, self.selection[layer.uid])

    def selected(self, layer: MapLayer) -> npt.NDArray[np.int64]:
        return self.selection.get(layer.uid, np.zeros(0, dtype=np.int64))

    def extent(self) -> tuple[float, float, float, float] | None:
        bs = [b for b in (lyr.bounds() for lyr in self._layers) if b is not None]
        if not bs:
            return None
        a = np.array(bs)
        return float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max())


def role_kind(catalogue: Catalogue, role: str) -> str:
    """polygon / line / point for a layer role, from the catalogue's declared geometry."""
    spec = catalogue.layers.get(role)
    geometry = spec.geometry if spec is not None else "any"
    return geometry if geometry in ("polygon", "line") else "point"


def default_style(catalogue: Catalogue, role: str, kind: str) -> dict[str, Any]:
    """The layer catalogue's default style for a role, with its category colours."""
    spec = catalogue.layers.get(role)
    style: dict[str, Any] = dict(spec.style) if spec is not None else {"kind": "single"}
    field_name = style.get("field")
    if style.get("kind") == "categorised" and spec is not None and field_name:
        fspec = next((f for f in spec.fields if f.name == field_name or f"{f.name}_class" == field_name), None)
        domain = catalogue.domains.get(fspec.domain) if fspec is not None and fspec.domain else None
        if domain is not None:
            style["categories"] = {v.key: {"colour": v.colour or "#999999", "label": v.title}
                                   for v in domain.values}
    style.setdefault("fill", {"polygon": "#c8c8c8", "line": "#7f7f7f", "point": "#3182bd"}[kind])
    style.setdefault("outline", "#555555")
    style.setdefault("outline_width", 0.4 if kind == "polygon" else 1.0)
    return style


def raster_layer(name: str, path: str, bounds_working: tuple[float, float, float, float], crs: CRS, *,
                 kind: str = "dem") -> MapLayer:
    """A raster on the map: its footprint (in the working CRS) as the frame, the file as source."""
    frame = gpd.GeoDataFrame({"name": [name], "path": [str(path)], "kind": [kind]},
                             geometry=[shapely.box(*bounds_working)], crs=crs)
    return MapLayer(name, frame, role="raster", style={"kind": "raster", "colormap": kind}, raster=str(path),
                    opacity=0.5, source=str(path))
