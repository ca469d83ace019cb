"""The map renderer shared by the canvas and ``renewal-planner render``.

Layers are prepared once: polygon parts are oriented, sorted along a Morton curve (so that
neighbouring parts are drawn together), flattened into coordinate arrays and indexed with an
STRtree. A render then queries the parts in view, splats parts smaller than a pixel into a
numpy coverage buffer (level of detail), and draws the rest as QPainterPaths of ~64 parts per
colour, built from numpy in one step through QDataStream (no per-feature Python loop). The
work happens on whatever thread calls :meth:`Renderer.render`; a cancel callback stops it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from PyQt6 import QtCore, QtGui

from planner.arrays import breathe, breathing, in_slices, slices
from planner.gui.cartography import map_style
from planner.model import MapLayer

CHUNK_PARTS = 64
# Lines per path (in CHUNK_PARTS) and points per call: PyQt keeps the interpreter during a
# QPainter call, so the window waits for the longest single call of the drawing thread (a path
# of 1,024 streets took 70-80 ms at the 1 M city's full extent under load; 256 take about 20).
LINE_CHUNKS = 4
POINTS_PER_CALL = 1_000
QPATHS_BUFFER_VERTICES = 200_000  # vertices serialised into one QDataStream (see qpaths)
PATHS_PER_BUILD = 256  # kept paths built per gather (about 16 k parts)
PATH_CACHE_VERTICES = 6_000_000  # paths kept in map coordinates (about 300 MB with Qt's copies)
PATH_OUTLINE_PIXELS = 5_000  # at most about this many pixels of outline per path (see _chunk_parts)
LOD_PIXELS = 1.0
SPLAT_MIN_PARTS = 2_000
# Qt's antialiased stroke of a sub-pixel outline inks less than length x width; measured against
# exact renders of a million buildings (bench/bench_render.py), this factor fits best.
SPLAT_PEN_FACTOR = 1.0
_REC = np.dtype([("c", ">i4"), ("x", ">f8"), ("y", ">f8")])


_TRAILER = np.array([0, 1], dtype=">i4").tobytes()  # cStart 0, winding fill


def qpath(x: np.ndarray, y: np.ndarray, move: np.ndarray) -> QtGui.QPainterPath:
    """A QPainterPath (winding fill) from vertex arrays; ``move`` marks each sub-path's start.

    Built in one step from QPainterPath's QDataStream form (count, then type/x/y per element,
    then cStart and fill rule, all big-endian) instead of one moveTo/lineTo call per vertex."""
    n = len(x)
    rec = np.empty(n, dtype=_REC)
    rec["c"] = ~move  # 0 = MoveTo, 1 = LineTo
    rec["x"] = x
    rec["y"] = y
    buf = n.to_bytes(4, "big") + rec.tobytes() + _TRAILER
    stream = QtCore.QDataStream(QtCore.QByteArray(buf))
    path = QtGui.QPainterPath()
    stream >> path
    return path


# Items made per np.repeat call: numpy's repeat holds the interpreter (~15 ms a million items
# on an idle machine, several times that under load), so a layer's millions of vertex indices
# are made a slice at a time (the window and the other threads run between slices).
REPEAT_SLICE = 250_000
# Rows per call when a column becomes Python strings for labels (20 k strings of a million-row
# layer took ~40 ms of a worker's step at the 1 M city under load)
TEXT_SLICE = 5_000


def _repeat(values: np.ndarray, counts: np.ndarray, plus_position: bool = False) -> np.ndarray:
    """``np.repeat(values, counts)`` (plus each item's position when ``plus_position``), made
    about REPEAT_SLICE items per call."""
    values, counts = np.asarray(values), np.asarray(counts)
    total = int(counts.sum())
    if total <= REPEAT_SLICE:
        out = np.repeat(values, counts)
        return out + np.arange(total) if plus_position else out
    out = np.empty(total, dtype=values.dtype)
    step = max(1, int(len(counts) * REPEAT_SLICE // total))
    pos = 0
    for a in breathing(range(0, len(counts), step)):
        piece = np.repeat(values[a:a + step], counts[a:a + step])
        if plus_position:
            piece += np.arange(pos, pos + len(piece), dtype=piece.dtype)
        out[pos:pos + len(piece)] = piece
        pos += len(piece)
    return out


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + count)`` for each pair (vectorised, in slices)."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=offsets[1:])
    return _repeat((starts - offsets).astype(np.int64, copy=False), counts, plus_position=True)


def qpaths(x: np.ndarray, y: np.ndarray, move: np.ndarray, cuts: np.ndarray) -> list[QtGui.QPainterPath]:
    """The paths of the vertex ranges ``cuts[i]:cuts[i + 1]``, each as :func:`qpath` builds it,
    serialised into one buffer and read from one QDataStream per group of paths of about
    QPATHS_BUFFER_VERTICES vertices (one numpy pass and one Qt buffer for many paths instead of
    one of each per path; the copies into the buffer hold the interpreter, so a view's worth in
    one buffer paused the window)."""
    out: list[QtGui.QPainterPath] = []
    i, n = 0, len(cuts) - 1
    while i < n:
        j = int(np.searchsorted(cuts, cuts[i] + QPATHS_BUFFER_VERTICES, side="right")) - 1
        j = min(max(j, i + 1), n)
        out += _qpaths(x, y, move, cuts[i:j + 1])
        i = j
    return out


def _qpaths(x: np.ndarray, y: np.ndarray, move: np.ndarray, cuts: np.ndarray) -> list[QtGui.QPainterPath]:
    n = np.diff(cuts)
    if len(n) == 0:
        return []
    a0 = int(cuts[0])
    rec = np.empty(int(cuts[-1]) - a0, dtype=_REC)
    rec["c"] = ~move[a0:int(cuts[-1])]
    rec["x"] = x[a0:int(cuts[-1])]
    rec["y"] = y[a0:int(cuts[-1])]
    body = memoryview(rec.tobytes())
    heads = n.astype(">i4").tobytes()
    size = _REC.itemsize
    pieces = []
    for i, (a, c) in enumerate(zip((cuts[:-1] - a0).tolist(), (cuts[1:] - a0).tolist(), strict=True)):
        pieces += (heads[4 * i:4 * i + 4], body[a * size:c * size], _TRAILER)
    stream = QtCore.QDataStream(QtCore.QByteArray(b"".join(pieces)))
    paths = []
    for k in range(len(n)):
        if k % 64 == 0:
            breathe()  # each Qt call lets go of the interpreter and takes it back at once
        path = QtGui.QPainterPath()
        stream >> path
        paths.append(path)
    return paths


def _chunk_parts(perimeter_px: np.ndarray) -> int:
    """Parts per path. Antialiased filling costs about the same per pixel of outline in one path
    or in many, until a path's outlines cover so many pixels that Qt's rasteriser overflows its
    small cell pool and redoes bands narrower; each path also costs a call. Up to 64 parts, and
    at most about 5,000 pixels of outline per path: at 1/50 of the irregular benchmark city
    (outlines of ~150 px) 32 parts draw ~17 % faster than 64; small outlines keep 64."""
    if len(perimeter_px) == 0:
        return CHUNK_PARTS
    return int(np.clip(PATH_OUTLINE_PIXELS / max(float(np.median(perimeter_px)), 1.0), 8, CHUNK_PARTS))


def qcolor(text: str | None, alpha: float = 1.0) -> QtGui.QColor:
    if str(text).lower() in {"none", "transparent"}:
        return QtGui.QColor(0, 0, 0, 0)
    c = QtGui.QColor(text or "#999999")
    c.setAlphaF(max(0.0, min(1.0, c.alphaF() * alpha)))
    return c


def _morton(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    def spread(v):
        v = v.astype(np.uint64) & np.uint64(0xFFFF)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)
    return spread(x) | (spread(y) << np.uint64(1))


class GridIndex:
    """A bounding-box index in numpy (no geometry objects, so building it never holds the GIL
    long): parts are bucketed by the cell of their lower-left corner; parts larger than a cell
    are kept aside and tested directly."""

    N = 256

    def __init__(self, bounds: np.ndarray):
        self.bounds = bounds
        if len(bounds) == 0:
            self.size = 1.0
            self.origin = (0.0, 0.0)
            self.sorted_parts = np.zeros(0, dtype=np.int64)
            self.cell_start = np.zeros(self.N * self.N + 1, dtype=np.int64)
            self.big = np.zeros(0, dtype=np.int64)
            return
        x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
        span = max(bounds[:, 2].max() - x0, bounds[:, 3].max() - y0, 1e-9)
        self.size = span / self.N * 1.0000001
        self.origin = (x0, y0)
        w = bounds[:, 2] - bounds[:, 0]
        h = bounds[:, 3] - bounds[:, 1]
        big = (w > self.size) | (h > self.size)
        self.big = np.flatnonzero(big)
        small = np.flatnonzero(~big)
        cx = np.clip(((bounds[small, 0] - x0) / self.size).astype(np.int64), 0, self.N - 1)
        cy = np.clip(((bounds[small, 1] - y0) / self.size).astype(np.int64), 0, self.N - 1)
        cell = cy * self.N + cx
        order = np.argsort(cell, kind="stable")
        self.sorted_parts = small[order]
        self.cell_start = np.searchsorted(cell[order], np.arange(self.N * self.N + 1))

    def query(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        b = self.bounds
        if len(b) == 0:
            return np.zeros(0, dtype=np.int64)
        ox, oy = self.origin
        # a small part starts at most one cell before the window
        cx0 = int(np.clip(np.floor((x0 - self.size - ox) / self.size), 0, self.N - 1))
        cx1 = int(np.clip(np.floor((x1 - ox) / self.size), -1, self.N - 1))
        cy0 = int(np.clip(np.floor((y0 - self.size - oy) / self.size), 0, self.N - 1))
        cy1 = int(np.clip(np.floor((y1 - oy) / self.size), -1, self.N - 1))
        parts = [self.big]
        if cx1 >= cx0 and cy1 >= cy0:
            rows = np.arange(cy0, cy1 + 1) * self.N
            starts = self.cell_start[rows + cx0]
            ends = self.cell_start[rows + cx1 + 1]
            parts.append(self.sorted_parts[_ranges(starts, ends - starts)])
        cand = np.concatenate(parts)
        if len(cand) > len(b) // 4:  # most of the layer: one pass over all bounds, already in order
            return np.flatnonzero((b[:, 2] >= x0) & (b[:, 0] <= x1) & (b[:, 3] >= y0) & (b[:, 1] <= y1))
        cb = b[cand]
        hit = (cb[:, 2] >= x0) & (cb[:, 0] <= x1) & (cb[:, 3] >= y0) & (cb[:, 1] <= y1)
        return np.sort(cand[hit])


@dataclass
class Prepared:
    kind: str                 # polygon | line | point
    xy: np.ndarray            # (n, 2) vertices, all rings / parts in draw order
    ring_start: np.ndarray    # (r + 1,) offsets into xy
    part_rings: np.ndarray    # (p + 1,) offsets into rings
    part_feature: np.ndarray  # (p,) row of the layer's frame
    part_bounds: np.ndarray   # (p, 4)
    part_area: np.ndarray     # (p,)
    part_perimeter: np.ndarray
    index: GridIndex
    colour_index: np.ndarray  # (p,) index into colours
    colours: list[str]
    widths: list[float]
    # paths in map coordinates, built when first drawn and kept (see Renderer._draw_cached)
    chunks: dict = field(default_factory=dict)   # parts per path -> (order, starts, colour, bounds)
    paths: dict = field(default_factory=dict)    # (parts per path, chunk) -> QPainterPath
    path_vertices: int = 0

    def query(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        return self.index.query(x0, y0, x1, y1)

    def chunked(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The parts grouped into fixed paths: by colour, then ``size`` consecutive parts along the
        Morton curve. Returns the parts in that order, each path's first position in it (and the
        end), each path's colour index and bounds."""
        hit = self.chunks.get(size)
        if hit is None:
            order = np.argsort(self.colour_index, kind="stable")
            cats = self.colour_index[order]
            first_of_colour = np.flatnonzero(np.r_[True, cats[1:] != cats[:-1]])
            rank = np.arange(len(order)) - _repeat(first_of_colour, np.diff(np.r_[first_of_colour, len(order)]))
            starts = np.flatnonzero(rank % size == 0)
            b = self.part_bounds[order]
            bounds = np.column_stack([np.minimum.reduceat(b[:, 0], starts), np.minimum.reduceat(b[:, 1], starts),
                                      np.maximum.reduceat(b[:, 2], starts), np.maximum.reduceat(b[:, 3], starts)])
            hit = (order, np.r_[starts, len(order)], cats[starts], bounds)
            self.chunks[size] = hit
        return hit


def _style_colours(layer: MapLayer, part_feature: np.ndarray) -> tuple[np.ndarray, list[str], list[float]]:
    style = layer.style or {}
    base = style.get("fill", "#c8c8c8")
    if layer.geometry_kind == "line":
        base = style.get("line", style.get("default_fill", "#7f7f7f"))
    base_width = float(style.get("line_width", style.get("outline_width", 1.0) if layer.geometry_kind == "line" else 1.0))
    cats = style.get("categories") or {}
    field = style.get("field")
    if style.get("kind") == "categorised" and field in layer.frame.columns and cats:
        keys = list(cats)
        codes, uniques = pd.factorize(layer.frame[field])
        lookup = pd.Index(keys).get_indexer(pd.Index(uniques).astype(str))
        lookup = np.r_[np.where(lookup < 0, len(keys), lookup), len(keys)]
        idx = lookup[codes[part_feature]]
        colours = [cats[k].get("colour", base) for k in keys] + [style.get("default_fill", base)]
        widths = [float(cats[k].get("width", base_width)) for k in keys] + [base_width]
        return idx.astype(np.int64), colours, widths
    return np.zeros(len(part_feature), dtype=np.int64), [base], [base_width]


def _ring_areas(xy: np.ndarray, ring_start: np.ndarray) -> np.ndarray:
    """Signed shoelace area of each ring (closed rings)."""
    if len(xy) < 2:
        return np.zeros(len(ring_start) - 1)
    x, y = xy[:, 0], xy[:, 1]
    x0, y0 = x - x.mean(), y - y.mean()  # better precision far from the origin
    cross = x0[:-1] * y0[1:] - x0[1:] * y0[:-1]
    cross = np.r_[cross, 0.0]
    last = ring_start[1:] - 1
    cross[last] = 0.0  # no segment from one ring's end to the next ring's start
    return np.add.reduceat(cross, ring_start[:-1]) / 2 if len(ring_start) > 1 else np.zeros(0)


CHUNK_GEOMS = 2_000  # geometries per shapely call (each holds the interpreter: 8,000 took 40-60 ms under load)


def prepare(layer: MapLayer) -> Prepared:
    """Flatten a layer for drawing. Geometry objects are only touched in chunks of CHUNK_GEOMS (the
    calls that create them hold the GIL), and the thread yields between chunks, so preparing a
    million buildings off the GUI thread never freezes the window."""
    geoms = np.asarray(layer.frame.geometry.values)
    kind = layer.geometry_kind
    xys, ring_counts, part_nrings, features, bounds, areas, lengths = [], [], [], [], [], [], []
    for a in range(0, len(geoms), CHUNK_GEOMS):
        chunk = geoms[a:a + CHUNK_GEOMS]
        parts, feature = shapely.get_parts(chunk, return_index=True)
        tid = shapely.get_type_id(parts)
        keep = tid == {"polygon": 3, "line": 1}.get(kind, 0)
        if kind == "point" and not keep.all():
            parts = np.where(keep, parts, shapely.point_on_surface(parts))
            keep = np.ones(len(parts), dtype=bool)
        parts, feature = parts[keep], feature[keep] + a
        if kind == "polygon":
            rings, ring_part = shapely.get_rings(parts, return_index=True)
        else:
            rings, ring_part = parts, np.arange(len(parts))
        xy, ring_of = shapely.get_coordinates(rings, return_index=True)
        xys.append(xy)
        ring_counts.append(np.bincount(ring_of, minlength=len(rings)))
        part_nrings.append(np.bincount(ring_part, minlength=len(parts)))
        features.append(feature)
        bounds.append(shapely.bounds(parts).reshape(-1, 4))
        areas.append(shapely.area(parts) if kind == "polygon" else np.zeros(len(parts)))
        lengths.append(shapely.length(parts) if kind != "point" else np.zeros(len(parts)))
        time.sleep(0)  # let the GUI thread run between chunks
    cat = (lambda arrs, shape=(0,): np.concatenate(arrs) if arrs else np.zeros(shape))  # noqa: E731
    xy = cat(xys, (0, 2)).reshape(-1, 2)
    ring_start = np.r_[0, np.cumsum(cat(ring_counts).astype(np.int64))]
    part_rings = np.r_[0, np.cumsum(cat(part_nrings).astype(np.int64))]
    feature = cat(features).astype(np.int64)
    bounds = cat(bounds, (0, 4)).reshape(-1, 4)
    area, length = cat(areas), cat(lengths)
    if kind == "polygon" and len(xy):
        # Winding fill needs exteriors and holes in opposite directions: make exteriors
        # counter-clockwise and holes clockwise, reversing rings in numpy.
        signed = _ring_areas(xy, ring_start)
        is_exterior = np.zeros(len(signed), dtype=bool)
        is_exterior[part_rings[:-1]] = True
        flip = np.flatnonzero((signed < 0) == is_exterior)
        if len(flip):
            s0, s1 = ring_start[flip], ring_start[flip + 1]
            n = s1 - s0
            idx = _ranges(s0, n)
            rev = _repeat(s0 + s1 - 1, n)
            rev -= idx
            xy[idx] = xy[rev]
    if len(feature):  # neighbours drawn together: order parts along a Morton curve
        cx, cy = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
        span = max(np.ptp(cx), np.ptp(cy), 1e-9)
        order = np.argsort(_morton((cx - cx.min()) / span * 65535, (cy - cy.min()) / span * 65535), kind="stable")
        nr = np.diff(part_rings)[order]
        rings = _ranges(part_rings[:-1][order], nr)
        nv = np.diff(ring_start)[rings]
        vidx = _ranges(ring_start[:-1][rings], nv)
        xy = xy[vidx]
        ring_start = np.r_[0, np.cumsum(nv)]
        part_rings = np.r_[0, np.cumsum(nr)]
        feature, bounds, area, length = feature[order], bounds[order], area[order], length[order]
    colour_index, colours, widths = _style_colours(layer, feature)
    return Prepared(kind, xy, ring_start, part_rings, feature, bounds, area, length, GridIndex(bounds),
                    colour_index, colours, widths)


@dataclass
class View:
    """A map view: extent in map units and image size in pixels (uniform scale, centred)."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: int
    height: int
    crs: object = None  # the map's CRS: rasters in another CRS are reprojected into it

    @classmethod
    def fit(cls, extent, width: int, height: int, crs=None) -> View:
        x0, y0, x1, y1 = extent
        sx = (x1 - x0) / width
        sy = (y1 - y0) / height
        s = max(sx, sy) or 1.0
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return cls(cx - s * width / 2, cy - s * height / 2, cx + s * width / 2, cy + s * height / 2, width, height,
                   crs)

    @property
    def units_per_pixel(self) -> float:
        return (self.x1 - self.x0) / self.width

    def to_pixels(self, x, y):
        s = 1.0 / self.units_per_pixel
        return (np.asarray(x) - self.x0) * s, (self.y1 - np.asarray(y)) * s

    def to_map(self, px, py):
        s = self.units_per_pixel
        return self.x0 + np.asarray(px) * s, self.y1 - np.asarray(py) * s

    def scale_denominator(self, dpi: float = 96.0) -> float:
        return self.units_per_pixel * dpi / 0.0254


def _gather(prep: Prepared, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices of the given parts' rings, sub-path start flags, and each part's first vertex
    (vectorised gather)."""
    r0 = prep.part_rings[parts]
    nr = prep.part_rings[parts + 1] - r0
    rings = _ranges(r0, nr)
    s0 = prep.ring_start[rings]
    nv = prep.ring_start[rings + 1] - s0
    idx = _ranges(s0, nv)
    move = np.zeros(len(idx), dtype=bool)
    part_first = np.zeros(len(parts), dtype=np.int64)
    if len(idx):
        firsts = np.zeros(len(nv), dtype=np.int64)
        np.cumsum(nv[:-1], out=firsts[1:])
        move[firsts] = True
        ring_first = np.zeros(len(nr), dtype=np.int64)
        np.cumsum(nr[:-1], out=ring_first[1:])
        part_first = firsts[np.minimum(ring_first, len(firsts) - 1)]
    return prep.xy[idx], move, part_first


def prepare_key(layer: MapLayer) -> int:
    """What a layer's flattened form depends on: its frame (by identity) and its style."""
    return hash((id(layer.frame), len(layer.frame), repr(sorted((layer.style or {}).items(), key=str))[:2000]))


def warm_prepare(layer: MapLayer) -> None:
    """Flatten a layer for drawing ahead, on the worker that read it (the first draw then finds
    it ready and the drawing thread does not compete with the window for the interpreter)."""
    if not layer.raster and len(layer.frame):
        prep = prepare(layer)
        if prep.kind == "polygon":  # the fixed paths' grouping (a sort of every part): here, not in a draw
            for size in (CHUNK_PARTS, CHUNK_PARTS // 4):
                prep.chunked(size)
        layer.__dict__["_render_prep"] = (prepare_key(layer), prep)


class Renderer:
    """Draws a list of layers into a QImage."""

    def __init__(self) -> None:
        self._prepared: dict[int, tuple[int, Prepared]] = {}

    def prepared(self, layer: MapLayer) -> Prepared:
        key = prepare_key(layer)
        hit = self._prepared.get(layer.uid)
        if hit is None or hit[0] != key:
            ahead = layer.__dict__.pop("_render_prep", None)  # made by warm_prepare on a worker
            self._prepared[layer.uid] = (key, ahead[1] if ahead is not None and ahead[0] == key else prepare(layer))
        return self._prepared[layer.uid][1]

    def forget(self, layer: MapLayer) -> None:
        self._prepared.pop(layer.uid, None)

    def render(self, layers: list[MapLayer], view: View, *, lod: bool = True, antialias: bool = True,
               background: str | None = "#ffffff", selection: dict[int, np.ndarray] | None = None,
               cancelled: Callable[[], bool] = lambda: False, labels: bool = True) -> QtGui.QImage | None:
        """The image of ``layers`` (first drawn first) in ``view``; None when cancelled."""
        image = QtGui.QImage(view.width, view.height, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QtGui.QColor(background) if background else QtGui.QColor(0, 0, 0, 0))
        painter = QtGui.QPainter(image)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, antialias)
        try:
            scale = view.scale_denominator()
            selections, label_jobs = [], []
            for layer in layers:
                if not layer.visible_at(scale) or len(layer.frame) == 0:
                    continue
                if cancelled():
                    return None
                if layer.raster:
                    painter.setOpacity(layer.opacity)
                    draw_raster(painter, layer, view)
                    painter.setOpacity(1.0)
                    continue
                prep = self.prepared(layer)
                style = map_style(layer)
                alpha = layer.opacity * float(style.get("opacity", 1.0))
                if alpha < 0.999 and prep.kind == "polygon":
                    # Translucent layers: draw opaque into an image, then blend it once. Blending
                    # every feature is several times slower, and darkens where features overlap.
                    sub = QtGui.QImage(view.width, view.height, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
                    sub.fill(QtGui.QColor(0, 0, 0, 0))
                    sp = QtGui.QPainter(sub)
                    sp.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, antialias)
                    self._draw_layer(sp, prep, style, view, lod=lod, cancelled=cancelled)
                    sp.end()
                    painter.setOpacity(alpha)
                    painter.drawImage(0, 0, sub)
                    painter.setOpacity(1.0)
                else:
                    painter.setOpacity(alpha)
                    self._draw_layer(painter, prep, style, view, lod=lod, cancelled=cancelled)
                    painter.setOpacity(1.0)
                sel = (selection or {}).get(layer.uid)
                if sel is not None and len(sel):
                    selections.append((prep, sel))
                if labels and layer.label_field and layer.label_field in layer.frame.columns:
                    label_jobs.append((prep, layer, style))
            painter.setOpacity(1.0)
            # above every layer: the selection, then the labels (placed without collisions)
            for prep, sel in selections:
                self._draw_selection(painter, prep, sel, view)
            if label_jobs and not cancelled():
                self.last_labels = draw_labels(painter, label_jobs, view, self._visible_parts)
        finally:
            painter.end()
        return None if cancelled() else image

    # drawing --------------------------------------------------------------------------
    def _visible_parts(self, prep: Prepared, view: View) -> np.ndarray:
        if len(prep.part_feature) == 0:
            return np.zeros(0, dtype=np.int64)
        return prep.query(view.x0, view.y0, view.x1, view.y1)

    def _draw_layer(self, painter, prep: Prepared, style: dict, view: View, *, lod: bool, cancelled) -> None:
        parts = self._visible_parts(prep, view)
        if len(parts) == 0:
            return
        upp = view.units_per_pixel
        if prep.kind == "point":
            size = float(style.get("marker_size", 5))
            xy = prep.xy[prep.ring_start[parts]]
            px, py = view.to_pixels(xy[:, 0], xy[:, 1])
            for ci in np.unique(prep.colour_index[parts]):
                sel = prep.colour_index[parts] == ci
                painter.setPen(QtGui.QPen(qcolor(style.get("outline", "#222222")), size + 1.5,
                                          QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenCapStyle.RoundCap))
                outline = painter.pen()
                fill = QtGui.QPen(qcolor(prep.colours[ci]), size, QtCore.Qt.PenStyle.SolidLine,
                                  QtCore.Qt.PenCapStyle.RoundCap)
                qx, qy = px[sel], py[sel]
                polys = [QtGui.QPolygonF([QtCore.QPointF(a, b) for a, b in
                                          zip(qx[a0:a0 + POINTS_PER_CALL], qy[a0:a0 + POINTS_PER_CALL], strict=True)])
                         for a0 in range(0, len(qx), POINTS_PER_CALL)]  # bounded calls (see POINTS_PER_CALL)
                for pen in (outline, fill):  # every outline, then every fill (as one call drew them)
                    painter.setPen(pen)
                    for poly in polys:
                        painter.drawPoints(poly)
            return
        b = prep.part_bounds[parts]
        extent_px = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / upp
        big = parts
        if lod:
            tiny = extent_px < LOD_PIXELS
            if tiny.sum() > SPLAT_MIN_PARTS:  # a few tiny parts are cheaper drawn than splatted
                self._splat(painter, prep, parts[tiny], view, style)
                big = parts[~tiny]
        if len(big) == 0:
            return
        outline = qcolor(style.get("outline", "#555555"))
        outline_width = float(style.get("outline_width", 0.4))
        fill_alpha = style.get("fill_alpha")
        by_category = style.get("outline_mode") == "category"
        if (len(big) == len(parts) and prep.kind == "polygon" and style.get("order") != "area_desc"
                and not by_category and fill_alpha is None and 0 < outline_width <= 1):
            self._draw_cached(painter, prep, parts, view, QtGui.QPen(outline, outline_width), cancelled)
            return
        cats = prep.colour_index[big]
        if style.get("order") == "area_desc":  # small features drawn on top of large ones:
            # by size class (a factor of four in area each), large first, by colour within a class
            size_class = -np.floor(np.log(np.maximum(prep.part_area[big], 1.0)) / np.log(4.0))
            order = np.lexsort((cats, size_class))
            cls = size_class[order]
        else:  # one gather for all parts, grouped by colour (stable: Morton order within a colour)
            order = np.argsort(cats, kind="stable")
        big, cats = big[order], cats[order]
        if by_category:
            b = prep.part_bounds[big]
            extent_px_big = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / upp
        xy, move, part_first_vertex = _gather(prep, big)
        px, py = view.to_pixels(xy[:, 0], xy[:, 1])
        change = cats[1:] != cats[:-1]
        if style.get("order") == "area_desc":
            change |= cls[1:] != cls[:-1]
        colour_bounds = np.flatnonzero(np.r_[True, change, True])
        perimeter_px = prep.part_perimeter[big] / upp
        for g0, g1 in zip(colour_bounds[:-1], colour_bounds[1:], strict=True):
            if cancelled():
                return
            ci = cats[g0]
            colour = qcolor(prep.colours[ci])
            width = outline_width
            if by_category and np.median(extent_px_big[g0:g1]) < 16:
                width = min(outline_width, 0.9)  # small features: a fine outline, not a dark blot
            if prep.kind == "polygon":
                hollow = str(prep.colours[ci]).lower() in {"none", "transparent", ""}
                brush = QtGui.QColor(colour)
                if fill_alpha is not None:
                    brush.setAlphaF(float(fill_alpha))
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush if hollow else brush)
                if width <= 0:
                    painter.setPen(QtCore.Qt.PenStyle.NoPen)
                elif by_category:  # class-coloured outlines (projects, flags): round joins
                    painter.setPen(QtGui.QPen(colour.darker(115), width, QtCore.Qt.PenStyle.SolidLine,
                                              QtCore.Qt.PenCapStyle.RoundCap, QtCore.Qt.PenJoinStyle.RoundJoin))
                else:  # the default pen strokes a million outlines fastest
                    painter.setPen(QtGui.QPen(outline, width))
                step = _chunk_parts(perimeter_px[g0:g1])
            else:
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.setPen(QtGui.QPen(colour, prep.widths[ci], QtCore.Qt.PenStyle.SolidLine,
                                          QtCore.Qt.PenCapStyle.RoundCap, QtCore.Qt.PenJoinStyle.RoundJoin))
                step = CHUNK_PARTS * LINE_CHUNKS  # one long stroke holds the interpreter (PyQt keeps the GIL)
            end_vertex = part_first_vertex[g1] if g1 < len(part_first_vertex) else len(px)
            cuts = np.r_[part_first_vertex[g0:g1:step], end_vertex]  # a path per ``step`` parts
            for path in qpaths(px, py, move, cuts):
                if fill_alpha is not None and prep.kind == "polygon" and not hollow:
                    # a light fill needs no antialiasing (its outline has it): several times faster
                    aa = painter.testRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
                    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
                    painter.fillPath(path, brush)
                    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, aa)
                    painter.strokePath(path, painter.pen())
                else:
                    painter.drawPath(path)

    def _draw_cached(self, painter, prep: Prepared, parts: np.ndarray, view: View, pen: QtGui.QPen,
                     cancelled) -> None:
        """Polygons with a thin outline, none splatted (views of a part of the city): fixed paths of
        parts in map coordinates, built once and drawn through the view's transform, so a view
        costs no vertex gathering, transform or path building, only drawing. The picture is the
        one paths built per view give (the same parts in the same order, the pen as thin)."""
        upp = view.units_per_pixel
        # two sets of paths: 64 parts each, or 16 where outlines are long in pixels (close views)
        step = CHUNK_PARTS if _chunk_parts(prep.part_perimeter[parts] / upp) >= CHUNK_PARTS else CHUNK_PARTS // 4
        order, starts, colour, bounds = prep.chunked(step)
        visible = np.flatnonzero((bounds[:, 2] >= view.x0) & (bounds[:, 0] <= view.x1)
                                 & (bounds[:, 3] >= view.y0) & (bounds[:, 1] <= view.y1))
        if len(visible) == 0:
            return
        missing = [int(k) for k in visible if (step, int(k)) not in prep.paths]
        if missing:
            if prep.path_vertices > PATH_CACHE_VERTICES:  # a bounded cache: start again
                prep.paths.clear()
                prep.path_vertices = 0
                missing = visible.tolist()
            for a in range(0, len(missing), PATHS_PER_BUILD):  # a bounded gather per call (see qpaths)
                breathe()
                if cancelled():
                    return
                some = missing[a:a + PATHS_PER_BUILD]
                m = np.asarray(some)
                counts = starts[m + 1] - starts[m]
                chunk_parts = order[_ranges(starts[m], counts)]
                xy, move, part_first = _gather(prep, chunk_parts)
                first_part = np.r_[0, np.cumsum(counts)[:-1]]
                cuts = np.r_[part_first[first_part], len(xy)]
                for k, path in zip(some, qpaths(xy[:, 0], xy[:, 1], move, cuts), strict=True):
                    prep.paths[(step, k)] = path
                prep.path_vertices += len(xy)
        s = 1.0 / upp
        pen = QtGui.QPen(pen)
        pen.setCosmetic(True)  # the width in pixels, as drawn untransformed
        painter.save()
        try:
            painter.setTransform(QtGui.QTransform(s, 0.0, 0.0, -s, -view.x0 * s, view.y1 * s))
            painter.setPen(pen)
            cols = colour[visible]
            bounds_of_colour = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1], True])
            for g0, g1 in zip(bounds_of_colour[:-1], bounds_of_colour[1:], strict=True):
                if cancelled():
                    return
                name = prep.colours[cols[g0]]
                hollow = str(name).lower() in {"none", "transparent", ""}
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush if hollow else qcolor(name))
                for k in visible[g0:g1].tolist():
                    painter.drawPath(prep.paths[(step, k)])
        finally:
            painter.restore()

    def _splat(self, painter, prep: Prepared, parts: np.ndarray, view: View, style: dict) -> None:
        """Sub-pixel parts as coverage (level of detail).

        Each part's ink (fill area, and outline length x pen width, in pixel units) is shared
        among the pixels its bounding box overlaps (at most 2 x 2), in proportion to the overlap:
        the area sampling an exact antialiased draw does. Per pixel, ink is composited as
        1 - exp(-coverage), the chance that a pixel stays uncovered under random overlap."""
        upp = view.units_per_pixel
        b = prep.part_bounds[parts]
        inv = 1.0 / upp
        grow = 0.5 * float(style.get("outline_width", 0.4)) if prep.kind == "polygon" else 0.5
        px0 = (b[:, 0] - view.x0) * inv - grow  # the pen reaches half its width outside
        px1 = (b[:, 2] - view.x0) * inv + grow
        py0 = (view.y1 - b[:, 3]) * inv - grow
        py1 = (view.y1 - b[:, 1]) * inv + grow
        ix, iy = np.floor(px0).astype(np.int64), np.floor(py0).astype(np.int64)
        wx1 = np.clip(px1 - (ix + 1), 0, None) / np.maximum(px1 - px0, 1e-9)
        wy1 = np.clip(py1 - (iy + 1), 0, None) / np.maximum(py1 - py0, 1e-9)
        fill = prep.part_area[parts] * (inv * inv) if prep.kind == "polygon" else np.zeros(len(parts))
        pen = float(style.get("outline_width", 0.4)) if prep.kind == "polygon" else \
            np.asarray(prep.widths)[prep.colour_index[parts]]
        line = prep.part_perimeter[parts] * inv * pen
        line = line * SPLAT_PEN_FACTOR
        if prep.kind == "polygon" and all(str(c).lower() in {"none", "transparent"} for c in prep.colours):
            fill = np.zeros_like(fill)
        cat = prep.colour_index[parts]
        palette = np.array([[qcolor(c).redF(), qcolor(c).greenF(), qcolor(c).blueF()] for c in prep.colours])
        if prep.kind == "polygon":
            o = qcolor(style.get("outline", "#555555"))
            inks = [palette[cat, k] * fill + line * c for k, c in enumerate((o.redF(), o.greenF(), o.blueF()))]
        else:
            inks = [palette[cat, k] * (fill + line) for k in range(3)]
        channels = [fill + line, *inks]
        W, H = view.width, view.height
        n = W * H

        def accumulate(sl: slice) -> list[np.ndarray]:
            out = [np.zeros(n) for _ in channels]
            x, y, ax, ay = ix[sl], iy[sl], wx1[sl], wy1[sl]
            # the four pixels a part's box can touch, each with its share of the part's ink
            for dx, dy, share in ((0, 0, (1 - ax) * (1 - ay)), (1, 0, ax * (1 - ay)), (0, 1, (1 - ax) * ay),
                                  (1, 1, ax * ay)):
                qx, qy = x + dx, y + dy
                keep = (share > 0) & (qx >= 0) & (qx < W) & (qy >= 0) & (qy < H)
                if not keep.any():
                    continue
                pix = qy[keep] * W + qx[keep]
                sh = share[keep]
                for acc, ch in zip(out, channels, strict=True):
                    acc += np.bincount(pix, weights=ch[sl][keep] * sh, minlength=n)
            return out

        half = len(parts) // 2
        if half > 100_000:  # elementwise numpy releases the GIL: two halves on two cores
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(2) as pool:
                a, b2 = pool.map(accumulate, (slice(0, half), slice(half, None)))
            cov, r_, g_, b_ = (x + y for x, y in zip(a, b2, strict=True))
        else:
            cov, r_, g_, b_ = accumulate(slice(None))
        # whole-image arithmetic (contiguous, no gather/scatter of the covered pixels)
        alpha = -np.expm1(-cov)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(cov > 0, alpha / cov, 0.0) * 255.0  # premultiplied: ink / coverage x alpha
        buf = np.empty((n, 4), dtype=np.uint8)  # BGRA
        for k, channel in enumerate((b_, g_, r_)):
            np.rint(channel * scale, out=channel)
            buf[:, k] = channel
        buf[:, 3] = np.rint(alpha * 255.0)
        img = QtGui.QImage(buf.data, W, H, W * 4, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        painter.drawImage(0, 0, img)

    def _draw_selection(self, painter, prep: Prepared, rows: np.ndarray, view: View) -> None:
        """The selection above every layer: a dark halo under a bright yellow outline (stands out
        on light and dark colours alike), a pale yellow veil over polygons."""
        parts = np.flatnonzero(np.isin(prep.part_feature, rows))
        if len(parts) == 0:
            return
        xy, move, _ = _gather(prep, parts)
        px, py = view.to_pixels(xy[:, 0], xy[:, 1])
        if prep.kind == "point":
            poly = QtGui.QPolygonF([QtCore.QPointF(a, b) for a, b in zip(px, py, strict=True)])
            for colour, width in (("#111111", 15), (SELECTION_COLOUR, 11)):
                painter.setPen(QtGui.QPen(QtGui.QColor(colour), width, QtCore.Qt.PenStyle.SolidLine,
                                          QtCore.Qt.PenCapStyle.RoundCap))
                painter.drawPoints(poly)
            return
        path = qpath(px, py, move)
        if prep.kind == "polygon":
            painter.fillPath(path, QtGui.QColor(255, 230, 0, 60))
        for colour, width in (("#111111", 5.0), (SELECTION_COLOUR, 2.6)):
            painter.strokePath(path, QtGui.QPen(QtGui.QColor(colour), width, QtCore.Qt.PenStyle.SolidLine,
                                                QtCore.Qt.PenCapStyle.RoundCap, QtCore.Qt.PenJoinStyle.RoundJoin))


SELECTION_COLOUR = "#FFE600"
LABEL_LIMIT = 400


def _label_font(style: dict) -> QtGui.QFont:
    font = QtGui.QFont()
    if style.get("label_font"):
        font.setFamily(str(style["label_font"]))
    font.setPointSizeF(float(style.get("label_size", 8.5)))
    return font


def label_texts(layer: MapLayer) -> np.ndarray:
    """The layer's label column as Python strings ('' where missing), kept per frame and field:
    converting a million-row column at every draw held the interpreter for a noticeable time (a
    worker makes it when a project opens)."""
    field = layer.label_field

    def texts() -> np.ndarray:
        column = layer.frame[field]
        # each slice put in place as it is made (concatenating a million strings' slices at the
        # end was one more call holding the interpreter, 25-50 ms)
        out = np.empty(len(column), dtype=object)
        for a, b in slices(len(column), TEXT_SLICE):
            out[a:b] = column.iloc[a:b].astype("string").to_numpy(dtype=object, na_value="")
        return out

    return layer.per_frame("_label_texts", field, texts)


def label_codes(layer: MapLayer) -> tuple[np.ndarray, np.ndarray]:
    """The layer's label column as integer codes (-1 where empty) and its distinct texts (in
    order of first appearance), kept per frame and field: a draw then gathers and counts
    integers for the features in view instead of comparing and factorizing a million Python
    strings (each of those calls held the interpreter for 0.1-0.3 s, a pause of the window).
    Made a slice at a time (a worker makes it when a project opens)."""
    field = layer.label_field

    def codes() -> tuple[np.ndarray, np.ndarray]:
        texts = label_texts(layer)
        index: dict[str, int] = {}

        def part(a: int, b: int) -> np.ndarray:
            local, uniques = pd.factorize(texts[a:b])
            ids = np.array([index.setdefault(u, len(index)) if u != "" else -1 for u in uniques.tolist()],
                           dtype=np.int64)
            return ids[local] if len(ids) else np.full(b - a, -1, dtype=np.int64)

        out = in_slices(len(texts), part, size=TEXT_SLICE).astype(np.int64, copy=False)
        uniques = np.empty(len(index), dtype=object)
        uniques[:] = list(index)
        return out, uniques

    return layer.per_frame("_label_codes", field, codes)


def _features_in(prep: Prepared, parts: np.ndarray) -> np.ndarray:
    """The features (rows) the given parts belong to, sorted, without a sort of the parts
    (one count per feature: linear, and no long call holding the interpreter)."""
    if len(parts) == 0:
        return np.zeros(0, dtype=np.int64)
    n = int(prep.part_feature.max()) + 1 if len(prep.part_feature) else 0
    return np.flatnonzero(np.bincount(prep.part_feature[parts], minlength=n))


def _polygon_labels(prep: Prepared, layer: MapLayer, view: View, parts: np.ndarray, fm) -> list:
    """One label per distinct value in view (a compound's name once, not on every building),
    at the member nearest the middle of its group, when the group is large enough to carry it."""
    all_codes, all_uniques = label_codes(layer)
    codes = all_codes[prep.part_feature[parts]]
    keep = codes >= 0
    parts, codes = parts[keep], codes[keep]
    if len(parts) == 0:
        return []
    present = np.bincount(codes, minlength=len(all_uniques)) > 0
    if int(present.sum()) > LABEL_LIMIT:
        return []  # too many to read at this scale: labels appear when zoomed in
    # the texts in view numbered in order of first appearance (as pd.factorize of the parts' texts)
    firsts = np.full(len(all_uniques), len(codes), dtype=np.int64)
    np.minimum.at(firsts, codes, np.arange(len(codes)))
    used = np.flatnonzero(present)
    used = used[np.argsort(firsts[used], kind="stable")]
    compact = np.empty(len(all_uniques), dtype=np.int64)
    compact[used] = np.arange(len(used))
    codes, uniques = compact[codes], all_uniques[used]
    b = prep.part_bounds[parts]
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    n = len(uniques)
    count = np.bincount(codes, minlength=n)
    mx, my = np.bincount(codes, cx, n) / count, np.bincount(codes, cy, n) / count
    gx0, gy0 = np.full(n, np.inf), np.full(n, np.inf)
    gx1, gy1 = np.full(n, -np.inf), np.full(n, -np.inf)
    np.minimum.at(gx0, codes, b[:, 0])
    np.minimum.at(gy0, codes, b[:, 1])
    np.maximum.at(gx1, codes, b[:, 2])
    np.maximum.at(gy1, codes, b[:, 3])
    d = (cx - mx[codes]) ** 2 + (cy - my[codes]) ** 2
    order = np.lexsort((d, codes))
    first = order[np.r_[0, np.flatnonzero(np.diff(codes[order])) + 1]]  # nearest member per group
    size_px = np.maximum(gx1 - gx0, gy1 - gy0) / view.units_per_pixel
    px, py = view.to_pixels(cx[first], cy[first])
    out = []
    for g, (x, y) in enumerate(zip(px, py, strict=True)):
        text = str(uniques[g])
        width = fm.horizontalAdvance(text)
        if size_px[codes[first[g]]] < min(width, 60):
            continue
        out.append((float(size_px[codes[first[g]]]), float(x), float(y), 0.0, text, width))
    return out


def _line_labels(prep: Prepared, layer: MapLayer, view: View, parts: np.ndarray, fm) -> list:
    """A street's name once per view, along its longest piece in view, kept upright."""
    rows = _features_in(prep, parts)
    if len(rows) == 0 or len(rows) > 4 * LABEL_LIMIT:
        return []
    values = label_texts(layer)[rows]
    rows, values = rows[values != ""], values[values != ""]
    if len(rows) == 0:
        return []
    pad = 0.02 * (view.x1 - view.x0)
    geoms = shapely.clip_by_rect(layer.frame.geometry.values[rows], view.x0 + pad, view.y0 + pad,
                                 view.x1 - pad, view.y1 - pad)
    length = shapely.length(geoms)
    order = np.argsort(-length, kind="stable")
    _, first = np.unique(values[order], return_index=True)
    keep = order[first]
    keep = keep[length[keep] > 0]
    if len(keep) == 0:
        return []
    geoms, values, length = geoms[keep], values[keep], length[keep]
    # the longest simple piece of a clipped multi-line
    parts_, idx = shapely.get_parts(geoms, return_index=True)
    plen = shapely.length(parts_)
    best = np.lexsort((-plen, idx))
    best = best[np.r_[0, np.flatnonzero(np.diff(idx[best])) + 1]]
    lines, length = parts_[best], plen[best]
    upp = view.units_per_pixel
    mid = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    step = np.minimum(length * 0.2, 15 * upp)
    a = shapely.line_interpolate_point(lines, length / 2 - step)
    b = shapely.line_interpolate_point(lines, length / 2 + step)
    ax, ay = view.to_pixels(shapely.get_x(a), shapely.get_y(a))
    bx, by = view.to_pixels(shapely.get_x(b), shapely.get_y(b))
    angle = np.degrees(np.arctan2(by - ay, bx - ax))
    angle = np.where(angle > 90, angle - 180, np.where(angle < -90, angle + 180, angle))  # upright
    px, py = view.to_pixels(shapely.get_x(mid), shapely.get_y(mid))
    out = []
    for i, text in enumerate(values):
        width = fm.horizontalAdvance(str(text))
        if length[i] / upp < width + 8:
            continue  # the road is too short here to carry its name
        out.append((float(length[i] / upp), float(px[i]), float(py[i]), float(angle[i]), str(text), width))
    return out


def draw_labels(painter, jobs: list, view: View, visible_parts) -> list[tuple[str, QtCore.QRectF]]:
    """Labels of every labelled layer, placed without collisions: the largest features first,
    a label that would overlap one already placed is left out. Returns the placed labels."""
    placed = np.zeros((0, 4))
    out = []
    painter.setOpacity(1.0)
    for prep, layer, style in reversed(jobs):  # the top layer's labels first
        parts = visible_parts(prep, view)
        if len(parts) == 0:
            continue
        font = _label_font(style)
        fm = QtGui.QFontMetricsF(font)
        if prep.kind == "line":
            cands = _line_labels(prep, layer, view, parts, fm)
        elif prep.kind == "polygon":
            cands = _polygon_labels(prep, layer, view, parts, fm)
        else:
            rows = _features_in(prep, parts)
            if len(rows) > LABEL_LIMIT:
                continue
            xy = prep.xy[prep.ring_start[parts]]
            px, py = view.to_pixels(xy[:, 0], xy[:, 1])
            vals = label_texts(layer)
            cands = [(1.0, float(x) + 12 + fm.horizontalAdvance(str(vals[r])) / 2, float(y), 0.0, str(vals[r]),
                      fm.horizontalAdvance(str(vals[r])))
                     for r, x, y in zip(prep.part_feature[parts], px, py, strict=True) if vals[r]]
        if not cands:
            continue
        cands.sort(key=lambda c: -c[0])
        halo = qcolor(style.get("halo_colour", "#ffffff"))
        halo_width = float(style.get("halo_width", 3.0))
        r = halo_width / 2
        halo_offsets = [(r * np.cos(a), r * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)]
        ink = qcolor(style.get("label_colour", "#222222"))
        painter.setFont(font)
        h = fm.height()
        for _, x, y, angle, text, width in cands:
            rad = np.radians(angle)
            hw = abs(np.cos(rad)) * width / 2 + abs(np.sin(rad)) * h / 2 + 1
            hh = abs(np.sin(rad)) * width / 2 + abs(np.cos(rad)) * h / 2 + 1
            box = (x - hw, y - hh, x + hw, y + hh)
            if box[2] < 0 or box[0] > view.width or box[3] < 0 or box[1] > view.height:
                continue
            if len(placed) and np.any((placed[:, 0] < box[2]) & (placed[:, 2] > box[0])
                                      & (placed[:, 1] < box[3]) & (placed[:, 3] > box[1])):
                continue
            placed = np.vstack([placed, box])
            painter.save()
            painter.translate(x, y)
            painter.rotate(angle)
            origin = QtCore.QPointF(-width / 2, fm.ascent() - h / 2)
            if halo_width > 0:  # the halo: the text drawn around its place (glyphs are cached)
                painter.setPen(halo)
                for dx, dy in halo_offsets:
                    painter.drawText(origin + QtCore.QPointF(dx, dy), text)
            painter.setPen(ink)
            painter.drawText(origin, text)
            painter.restore()
            out.append((text, QtCore.QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])))
    return out


RAMPS = {  # colour ramps for single-band rasters (low -> high)
    # elevation: a light hypsometric tint (lowland green to upland brown) under a hillshade
    "dem": ["#DCE9D5", "#EEF0D6", "#F1E4C6", "#E2CDAA", "#CDB593"],
    "nightlight": ["#000004", "#51127c", "#b73779", "#fc8961", "#fcfdbf"],
    "landcover": ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"],
}


def _ramp(values: np.ndarray, name: str) -> np.ndarray:
    stops = np.array([[QtGui.QColor(c).red(), QtGui.QColor(c).green(), QtGui.QColor(c).blue()]
                      for c in RAMPS.get(name, RAMPS["dem"])], dtype=float)
    pos = np.clip(values, 0, 1) * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    f = (pos - i)[..., None]
    return stops[i] * (1 - f) + stops[i + 1] * f


def hillshade(z: np.ndarray, cell: float, azimuth: float = 315.0, altitude: float = 45.0) -> np.ndarray:
    """Shading factor 0.55..1 of a height grid (rows top-down; light from the north-west): the
    cosine between the surface normal and the light, in float32 without trigonometry per cell.
    The relief is exaggerated so that a gentle city terrain still reads; flat ground stays light."""
    exaggeration = np.float32(3.0 / cell)
    drow, dcol = np.gradient(z.astype("float32", copy=False))
    p = dcol * exaggeration          # dz/dx (east)
    q = drow * -exaggeration         # dz/dy (north; rows run south)
    az, alt = np.radians(azimuth), np.radians(altitude)
    lx, ly, lz = np.float32(np.cos(alt) * np.sin(az)), np.float32(np.cos(alt) * np.cos(az)), np.float32(np.sin(alt))
    shade = (lz - p * lx - q * ly) / np.sqrt(np.float32(1.0) + p * p + q * q)
    shade *= np.float32(0.45) / lz
    shade += np.float32(0.55)
    return np.clip(shade, 0.55, 1.0, out=shade)


def raster_stats(layer: MapLayer) -> list[float] | None:
    """The 2nd and 98th percentile of a raster's first band (the ramp's ends; cached in the style)."""
    stats = layer.style.get("stats")
    if stats:
        return stats
    try:
        import rasterio

        with rasterio.open(layer.raster) as ds:
            sample = ds.read(1, out_shape=(min(ds.height, 256), min(ds.width, 256)), masked=True).compressed()
    except Exception:  # unreadable: no legend
        return None
    stats = [float(np.percentile(sample, 2)), float(np.percentile(sample, 98))] if sample.size else [0.0, 1.0]
    layer.style["stats"] = stats
    return stats


def ramp_image(name: str, width: int = 120, height: int = 12) -> QtGui.QImage:
    """The colour ramp of a raster for its legend."""
    rgb = _ramp(np.linspace(0, 1, width), name).astype(np.uint8)
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2], rgba[..., 3] = rgb[:, 2], rgb[:, 1], rgb[:, 0], 255
    img = QtGui.QImage(rgba.data, width, height, width * 4, QtGui.QImage.Format.Format_ARGB32)
    return img.copy()


def draw_raster(painter, layer: MapLayer, view: View) -> None:
    """Draw a GeoTIFF: a decimated windowed read (rasterio uses the file's overviews), then a
    reprojection onto the view's grid in the map CRS, so a raster in another CRS lands in place."""
    import rasterio
    from rasterio.transform import from_bounds
    from rasterio.warp import Resampling, reproject, transform_bounds
    from rasterio.windows import Window
    from rasterio.windows import from_bounds as window_from_bounds

    with rasterio.open(layer.raster) as ds:
        dst_crs = view.crs or ds.crs
        try:
            b = transform_bounds(dst_crs, ds.crs, view.x0, view.y0, view.x1, view.y1, densify_pts=21)
        except Exception:
            return
        try:
            win = window_from_bounds(*b, transform=ds.transform).intersection(Window(0, 0, ds.width, ds.height))
        except Exception:  # the view does not overlap the raster
            return
        if win.width < 1 or win.height < 1:
            return
        bands = [1, 2, 3] if ds.count >= 3 and layer.style.get("colormap") == "imagery" else [1]
        # a single band (elevation) is smooth: drawn from a grid of half the view's resolution
        gw, gh = (view.width, view.height) if len(bands) == 3 else (max(1, view.width // 2), max(1, view.height // 2))
        factor = max(1.0, min(win.width / gw, win.height / gh) / 1.5)
        out_h, out_w = max(1, int(win.height / factor)), max(1, int(win.width / factor))
        data = ds.read(bands, window=win, out_shape=(len(bands), out_h, out_w), resampling=Resampling.bilinear,
                       masked=True).astype("float32").filled(np.nan)
        src_transform = ds.window_transform(win) @ rasterio.Affine.scale(win.width / out_w, win.height / out_h)
        dst = np.full((len(bands), gh, gw), np.nan, dtype="float32")
        reproject(data, dst, src_transform=src_transform, src_crs=ds.crs, src_nodata=np.nan,
                  dst_transform=from_bounds(view.x0, view.y0, view.x1, view.y1, gw, gh),
                  dst_crs=dst_crs, dst_nodata=np.nan, resampling=Resampling.bilinear, num_threads=2)
    stats = raster_stats(layer) or [0.0, 1.0]
    valid = np.isfinite(dst).all(axis=0)
    rgba = np.zeros((gh, gw, 4), dtype=np.uint8)
    if len(bands) == 3:
        rgb = np.clip(np.nan_to_num(np.moveaxis(dst, 0, -1)), 0, 255)
    else:
        lo, hi = stats
        name = str(layer.style.get("colormap", "dem"))
        z = np.nan_to_num(dst[0], nan=float(lo))
        level = np.clip((z - np.float32(lo)) * np.float32(255.0 / max(hi - lo, 1e-9)), 0, 255).astype(np.uint8)
        rgb = _ramp(np.linspace(0, 1, 256), name).astype("float32")[level]  # a 256-colour lookup table
        if name == "dem":  # relief: the tint shaded by a hillshade of the grid
            rgb *= hillshade(z, (view.x1 - view.x0) / gw)[..., None]
    rgba[..., 0] = rgb[..., 2]  # BGRA
    rgba[..., 1] = rgb[..., 1]
    rgba[..., 2] = rgb[..., 0]
    rgba[..., 3] = np.where(valid, 255, 0)
    rgba[~valid, :3] = 0
    image = QtGui.QImage(rgba.data, gw, gh, gw * 4, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.drawImage(QtCore.QRectF(0, 0, view.width, view.height), image)
    painter.restore()
