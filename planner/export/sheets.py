"""Print-ready map sheets (A3 landscape, PNG at 300 dpi and PDF): an overview and one sheet per
project type, each a finished map a consultant hands over.

Every sheet has a base map (roads by class with their names, parcels, buildings, water, the
study area and its district names), the projects above it (outline and light fill by type,
small ones on top, those too small to see at the sheet's scale marked by a symbol), numbered
callouts placed without collisions (moved, with a leader line where needed) and a key table
of number, name and cost beside the map, a legend of only the classes drawn on the sheet with
their counts, a locator inset, north arrow, scale bar and a title block (project, sheet, 编制单位,
日期, 图号, 1:N scale, CRS, data date).

A type with more projects than one sheet's key table holds is drawn on several sheets, each
zoomed to a compact group of its projects (``old_compound.png``, ``old_compound-2.png`` ...).

Sheets are drawn in worker processes; what they share (the base layers and their spatial
indexes) is handed to each worker once. Large layers are culled to a sheet's extent with an
STRtree and drawn as collections; a million building footprints become one raster."""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.export.styles import BASE, TYPE_COLOURS, road_style
from planner.export.terms import pick, road_class_title, type_title
from planner.fileio import atomic_path
from planner.fonts import FONT_FILE, use_cjk_font_in_matplotlib

A3_MM = (420.0, 297.0)
DPI = 300
MM_PER_PT = 25.4 / 72
NICE_SCALES = tuple(int(m * 10 ** k) for k in range(2, 7) for m in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5))
RASTERIZE_ABOVE = 20000        # bigger collections go into the PDF as an image
# projects' outlines stay vectors up to this many rings (one compound path a type: a PDF writes
# it in one call; rasterised, it cost a sheet-sized raster buffer and its PNG encoding)
PROJECT_RINGS_RASTERIZE_ABOVE = 250000
VECTOR_BUILDINGS_MAX = 20000   # above this, buildings on a sheet are one raster
KEY_ROWS = 34                  # rows per column of a sheet's key table (two columns)
KEY_CAPACITY = 2 * KEY_ROWS
MAX_PAGES_PER_TYPE = 8
ROAD_ORDER = ("path", "service", "local", "other", "collector", "arterial", "expressway")

# Layout of an A3 landscape sheet, in millimetres from the bottom-left corner.
MAP_BOX = (12.0, 12.0, 268.0, 273.0)          # x, y, width, height of the map frame
PANEL_X = 286.0
PANEL_W = 122.0


def nice_scale(metres_per_mm: float) -> int:
    """The smallest usual map scale (1:N) at which ``metres_per_mm`` fits."""
    need = metres_per_mm * 1000
    return next((s for s in NICE_SCALES if s >= need), int(math.ceil(need / 100000) * 100000))


def _nice_length(max_m: float) -> float:
    exp = 10 ** math.floor(math.log10(max_m))
    for f in (5, 2, 1):
        if f * exp <= max_m:
            return f * exp
    return exp


def fit_extent(bounds, box_w_mm: float, box_h_mm: float, *, margin: float = 0.06, min_span_m: float = 0.0
               ) -> tuple[tuple[float, float, float, float], int]:
    """The extent of a map frame of ``box_w_mm`` x ``box_h_mm`` that shows ``bounds`` (with a
    margin) at a usual scale; returns (extent, N of 1:N)."""
    x0, y0, x1, y1 = bounds
    w = max(x1 - x0, min_span_m) * (1 + 2 * margin)
    h = max(y1 - y0, min_span_m) * (1 + 2 * margin)
    scale = nice_scale(max(w / box_w_mm, h / box_h_mm, 1e-6))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = box_w_mm * scale / 2000, box_h_mm * scale / 2000
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h), scale


def building_raster(geoms: np.ndarray | None, extent, width: int = 1800, height: int | None = None, *,
                    bounds: np.ndarray | None = None) -> np.ndarray:
    """A mask of building footprints at about the sheet's pixel size.

    Footprints smaller than a few pixels are filled as their bounding boxes with a vectorised
    difference-array fill (a million buildings in well under a second); where footprints are
    large on the sheet, rasterio draws their true outlines. ``bounds`` (n x 4) stands for the
    footprints' boxes when no geometries are given."""
    x0, y0, x1, y1 = extent
    if height is None:
        height = max(min(int(width * (y1 - y0) / (x1 - x0)), 6000), 50)
    px, py = (x1 - x0) / width, (y1 - y0) / height
    b = shapely.bounds(geoms) if geoms is not None else np.asarray(bounds, dtype=float).reshape(-1, 4)
    b = b[np.isfinite(b).all(axis=1)]
    if len(b) == 0:
        return np.zeros((height, width), dtype="uint8")
    if geoms is None:
        geoms = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3]) if np.median(b[:, 2] - b[:, 0]) / px >= 4 else None
    if geoms is not None and np.median(b[:, 2] - b[:, 0]) / px >= 4:
        from rasterio.features import rasterize
        from rasterio.transform import from_bounds

        return rasterize(((g, 1) for g in geoms), out_shape=(height, width),
                         transform=from_bounds(x0, y0, x1, y1, width, height), fill=0, dtype="uint8")
    c0 = np.clip(((b[:, 0] - x0) / px).astype(int), 0, width - 1)
    c1 = np.clip(((b[:, 2] - x0) / px).astype(int), 0, width - 1)
    r0 = np.clip(((y1 - b[:, 3]) / py).astype(int), 0, height - 1)
    r1 = np.clip(((y1 - b[:, 1]) / py).astype(int), 0, height - 1)
    # a difference array: +1 at each box's corners (-1 past them), summed up the rows and columns;
    # bincount does the scatter in one pass (np.add.at is several times slower)
    stride = width + 1
    flat = np.concatenate([r0 * stride + c0, (r1 + 1) * stride + c1 + 1, r0 * stride + c1 + 1, (r1 + 1) * stride + c0])
    weights = np.repeat(np.array([1, 1, -1, -1], dtype=np.int32), len(b))
    diff = np.bincount(flat, weights=weights, minlength=(height + 1) * stride).astype(np.int32)
    diff = diff.reshape(height + 1, stride)
    np.cumsum(diff, axis=0, out=diff)
    np.cumsum(diff, axis=1, out=diff)
    return (diff[:height, :width] > 0).view(np.uint8)


def _ring_list(geoms: np.ndarray) -> list[np.ndarray]:
    """Exterior rings of the polygons (parts of multipolygons) as coordinate arrays, in bulk."""
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 3]
    if len(parts) == 0:
        return []
    coords, idx = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    return np.split(coords, starts[1:])


def _line_list(geoms: np.ndarray) -> list[np.ndarray]:
    """Lines (and polygon boundaries) as coordinate arrays, in bulk."""
    parts = shapely.get_parts(geoms)
    poly = shapely.get_type_id(parts) == 3
    if poly.any():
        parts = np.concatenate([parts[~poly], shapely.get_parts(shapely.boundary(parts[poly]))])
    parts = parts[shapely.get_type_id(parts) == 1]
    if len(parts) == 0:
        return []
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    return np.split(coords, starts[1:])


def _line_path(geoms: np.ndarray):
    """Lines (and polygon boundaries) as one compound matplotlib path, or None: a layer of one
    style drawn as one path (a collection of 100,000 lines makes 100,000 Path objects and as
    many draw calls, minutes at city scale)."""
    from matplotlib.path import Path as MplPath

    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    poly = shapely.get_type_id(parts) == 3
    if poly.any():
        parts = np.concatenate([parts[~poly], shapely.get_parts(shapely.boundary(parts[poly]))])
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]
    if len(parts) == 0:
        return None
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    if len(coords) == 0:
        return None
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    codes[0] = MplPath.MOVETO
    codes[1:][idx[1:] != idx[:-1]] = MplPath.MOVETO
    return MplPath(coords, codes)


def _add_lines(ax, geoms: np.ndarray, *, colour: str, width: float, zorder: float, linestyle: Any = "-",
               capstyle: str = "butt", rasterize_above: int = RASTERIZE_ABOVE) -> int:
    """Draw ``geoms`` as lines of one style (one compound path); returns how many features."""
    import matplotlib
    from matplotlib.patches import PathPatch

    path = _line_path(geoms)
    if path is None:
        return 0
    # Agg draws a long stroked path in chunks (else its cell limit can overflow)
    matplotlib.rcParams["agg.path.chunksize"] = max(int(matplotlib.rcParams["agg.path.chunksize"]), 20000)
    # add_artist, not add_patch: the axes' limits are set, and add_patch would walk every segment
    ax.add_artist(PathPatch(path, fill=False, edgecolor=colour, linewidth=width, linestyle=linestyle, capstyle=capstyle,
                           joinstyle="round", zorder=zorder, rasterized=len(geoms) > rasterize_above))
    return len(geoms)


def _pixel_image_class():
    """The class of :func:`_pixel_image`'s artists (matplotlib imported when first needed)."""
    from matplotlib.artist import Artist
    from matplotlib.transforms import Affine2D, Bbox

    class PixelImage(Artist):
        """An RGBA image (uint8, rows top to bottom) drawn on the canvas pixels it was made for,
        without matplotlib's image pipeline (resampling, masking and colour mapping of a
        sheet-sized image took seconds per output): pasted as it is where the figure is drawn
        at the image's dpi, scaled into place in a PDF. ``whole``: (image, left, bottom) of a
        larger image this one is cut from, with its pixel offset on the canvas; a PDF places
        that image (encoded once for every sheet that shows it, see ``_pdf_images``) clipped
        to this one's pixels."""

        def __init__(self, rgba: np.ndarray, px_box: tuple[int, int, int, int], dpi: float, zorder: float,
                     whole: tuple[np.ndarray, int, int] | None = None):
            super().__init__()
            self.rgba, self.px_box, self.dpi, self.whole = rgba, px_box, dpi, whole
            self.set_zorder(zorder)

        def draw(self, renderer) -> None:
            if not self.get_visible() or self.rgba.size == 0:
                return
            p, q, w, h = self.px_box
            k = self.figure.dpi / self.dpi if self.figure is not None else 1.0
            gc = renderer.new_gc()
            if renderer.option_scale_image():   # vector output: the pixels scaled into place
                whole = self.whole if self.whole is not None else (self.rgba, p, q)
                if id(whole[0]) in _PDF_IMAGES:
                    image, left, bottom = whole
                    gc.set_clip_rectangle(Bbox.from_bounds(p * k, q * k, w * k, h * k))
                    renderer.draw_image(gc, left * k, bottom * k, image,
                                        Affine2D().scale(image.shape[1] * k, image.shape[0] * k))
                else:
                    renderer.draw_image(gc, p * k, q * k, self.rgba[::-1], Affine2D().scale(w * k, h * k))
            elif abs(k - 1) < 1e-9:
                renderer.draw_image(gc, p, q, self.rgba[::-1])   # renderers take the rows from the bottom up
            else:   # a raster at another dpi: the image resampled to it (nearest pixel)
                from PIL import Image

                size = (max(int(round(w * k)), 1), max(int(round(h * k)), 1))
                im = np.asarray(Image.fromarray(self.rgba).resize(size, Image.Resampling.NEAREST))
                renderer.draw_image(gc, int(round(p * k)), int(round(q * k)), im[::-1])
            gc.restore()
            self.stale = False

    return PixelImage


_PIXEL_IMAGE: list = []
# images placed in many PDFs, encoded once: id(image) -> (image, its PDF image stream, deflated)
_PDF_IMAGES: dict[int, tuple[np.ndarray, bytes, bytes | None]] = {}


def _encode_pdf_image(rgba: np.ndarray, alpha: bool = False) -> tuple[bytes, bytes | None]:
    """An RGBA image (rows top to bottom, as a PDF image stores them) as deflated RGB and
    (``alpha``) soft-mask streams: once for every sheet that places it (matplotlib encoded a
    sheet-sized image with PNG predictors at level 6 in every PDF, seconds a sheet)."""
    import zlib

    mask = zlib.compress(np.ascontiguousarray(rgba[:, :, 3]).tobytes(), 3) if alpha else None
    return zlib.compress(np.ascontiguousarray(rgba[:, :, :3]).tobytes(), 3), mask


@contextmanager
def _pdf_image_cache():
    """While a sheet's PDF is written, an image registered in ``_PDF_IMAGES`` is written from its
    encoded stream; other images as matplotlib writes them."""
    from matplotlib.backends import backend_pdf

    original = backend_pdf.PdfFile.writeImages

    def write_images(self) -> None:
        for img, _name, ob in self._images.values():
            hit = _PDF_IMAGES.get(id(img))
            if hit is not None and hit[0] is img:
                h, w = img.shape[:2]
                head = {"Type": backend_pdf.Name("XObject"), "Subtype": backend_pdf.Name("Image"), "Width": w,
                        "Height": h, "BitsPerComponent": 8}
                if hit[2] is not None:
                    mask = self.reserveObject("smask")
                    self.beginStream(mask.id, self.reserveObject("length of image stream"),
                                     {**head, "ColorSpace": backend_pdf.Name("DeviceGray")}, png={"Predictor": 1})
                    self.currentstream.write(hit[2])
                    self.endStream()
                    head["SMask"] = mask
                self.beginStream(ob.id, self.reserveObject("length of image stream"),
                                 {**head, "ColorSpace": backend_pdf.Name("DeviceRGB")}, png={"Predictor": 1})
                self.currentstream.write(hit[1])
                self.endStream()
                continue
            data, adata = self._unpack(img)
            smask = None
            if adata is not None:
                smask = self.reserveObject("smask")
                self._writeImg(adata, smask.id)
            self._writeImg(data, ob.id, smask)

    backend_pdf.PdfFile.writeImages = write_images
    try:
        yield
    finally:
        backend_pdf.PdfFile.writeImages = original


def _write_png(path, rgba: np.ndarray, dpi: int) -> None:
    """An opaque RGBA canvas as an RGB PNG: rows unfiltered, deflated at level 1 (Pillow's
    adaptive row filters took twice as long for a larger file on a sheet's base map), with
    the resolution recorded."""
    import struct
    import zlib

    h, w = rgba.shape[:2]
    rows = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    rows[:, 0] = 0
    rows[:, 1:].reshape(h, w, 3)[...] = rgba[:, :, :3]

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    ppm = int(round(dpi / 0.0254))
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        fh.write(chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)))
        fh.write(chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)))
        fh.write(chunk(b"IEND", b""))


def _pixel_box(ax) -> tuple[int, int, int, int]:
    """The canvas pixels (left, bottom, width, height; whole pixels, at the figure's dpi) that
    the axes' frame covers."""
    bb = ax.bbox
    p, q = int(round(bb.x0)), int(round(bb.y0))
    return p, q, int(round(bb.x1)) - p, int(round(bb.y1)) - q


def _pixel_extent(ax, px_box) -> tuple[float, float, float, float]:
    """The world extent of the whole pixels ``px_box`` of the axes (its limits are the world)."""
    bb = ax.bbox
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    kx, ky = (x1 - x0) / bb.width, (y1 - y0) / bb.height
    p, q, w, h = px_box
    return (x0 + (p - bb.x0) * kx, y0 + (q - bb.y0) * ky, x0 + (p + w - bb.x0) * kx, y0 + (q + h - bb.y0) * ky)


def _pixel_image(ax, rgba: np.ndarray, px_box: tuple[int, int, int, int], zorder: float,
                 whole: tuple[np.ndarray, int, int] | None = None):
    """Add ``rgba`` to ``ax`` over the canvas pixels ``px_box`` (see ``_pixel_box``); ``whole``:
    the larger image it is cut from and that image's left and bottom canvas pixel."""
    if not _PIXEL_IMAGE:
        _PIXEL_IMAGE.append(_pixel_image_class())
    artist = _PIXEL_IMAGE[0](rgba, px_box, ax.figure.dpi, zorder, whole)
    ax.add_artist(artist)
    return artist


@dataclass
class _Layer:
    geoms: np.ndarray
    attrs: dict = field(default_factory=dict)
    _tree: object = None
    _hits: dict = field(default_factory=dict)

    def within(self, extent) -> np.ndarray:
        """Row numbers of the features that meet ``extent`` (read-only). The last few extents'
        answers are kept: a city's sheets by type share the overview's extent, and a query
        over a million buildings is a tenth of a second each time the sheet base, the legend
        and the labels ask (kept before the workers fork, they inherit them)."""
        if len(self.geoms) == 0:
            return np.zeros(0, dtype=int)
        key = tuple(float(v) for v in extent)
        hit = self._hits.get(key)
        if hit is not None:
            return hit
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        rows = np.sort(self._tree.query(shapely.box(*extent)))  # type: ignore[attr-defined]
        rows.flags.writeable = False
        if len(self._hits) >= 4:
            self._hits.pop(next(iter(self._hits)))
        self._hits[key] = rows
        return rows


class SheetBase:
    """The base layers every sheet and atlas page draws (roads by class with names, parcels,
    buildings, water, the study area with district names), kept once and culled per sheet."""

    def __init__(self, ws, *, margin: float = 0.03):
        def frame(role):
            f = ws.frame(role)
            return f if f is not None and len(f) else None

        boundary, roads, buildings, parcels, water = (frame(r) for r in
                                                      ("boundary", "roads", "buildings", "parcels", "water"))
        present = [f for f in (boundary, roads, buildings, parcels) if f is not None]
        if not present:
            raise ValueError("no layer to draw a sheet from")
        b = np.array([f.total_bounds for f in present])
        self.bounds = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
        self.crs = ws.working_crs
        self.roads = _Layer(np.zeros(0, dtype=object))
        if roads is not None:
            cls = roads["road_class"].astype("string").fillna("other").to_numpy(dtype=object) \
                if "road_class" in roads else np.full(len(roads), "other", dtype=object)
            names = roads["name"].astype("string").fillna("").to_numpy(dtype=object) \
                if "name" in roads else np.full(len(roads), "", dtype=object)
            status = roads["status"].astype("string").fillna("built").to_numpy(dtype=object) \
                if "status" in roads else np.full(len(roads), "built", dtype=object)
            self.roads = _Layer(roads.geometry.values, {"class": cls, "name": names, "planned": status == "planned"})
        self.buildings = _Layer(buildings.geometry.values if buildings is not None else np.zeros(0, dtype=object))
        self.parcels = _Layer(parcels.geometry.values if parcels is not None else np.zeros(0, dtype=object))
        self.water = _Layer(water.geometry.values if water is not None else np.zeros(0, dtype=object))
        self.boundary = _Layer(np.zeros(0, dtype=object))
        self.study_area = None
        if boundary is not None:
            names = boundary["name"].astype("string").fillna("").to_numpy(dtype=object) \
                if "name" in boundary else np.full(len(boundary), "", dtype=object)
            self.boundary = _Layer(boundary.geometry.values, {"name": names})
            self.study_area = shapely.union_all(boundary.geometry.values)
        self.margin = margin

    def counts(self, extent) -> dict:
        """What the base map draws inside ``extent`` (for the legend)."""
        r = self.roads.within(extent)
        lengths: dict[str, float] = {}
        if len(r):
            clipped = shapely.intersection(self.roads.geoms[r], shapely.box(*extent))
            ln = shapely.length(clipped)
            cls = self.roads.attrs["class"][r]
            for c in np.unique(cls):
                lengths[str(c)] = float(ln[cls == c].sum())
        return {"roads": lengths, "buildings": len(self.buildings.within(extent)),
                "parcels": len(self.parcels.within(extent)), "water": len(self.water.within(extent)),
                "study_area": len(self.boundary.within(extent))}


# ---------------------------------------------------------------------------------------------
# Drawing


class _Occupancy:
    """Which parts of the map frame (0.5 mm cells) hold a label already."""

    CELL = 0.5

    def __init__(self, w_mm: float, h_mm: float):
        self.grid = np.zeros((int(h_mm / self.CELL) + 2, int(w_mm / self.CELL) + 2), dtype=bool)
        self.w, self.h = w_mm, h_mm

    def _slice(self, box):
        x0, y0, x1, y1 = box
        c = self.CELL
        return slice(max(int(y0 / c), 0), max(int(math.ceil(y1 / c)), 0)), slice(max(int(x0 / c), 0),
                                                                              max(int(math.ceil(x1 / c)), 0))

    def free(self, box) -> bool:
        x0, y0, x1, y1 = box
        if x0 < 1 or y0 < 1 or x1 > self.w - 1 or y1 > self.h - 1:
            return False
        return not self.grid[self._slice(box)].any()

    def take(self, box) -> None:
        self.grid[self._slice(box)] = True


def _wrapped_literal(text: str) -> str:
    """Text for a wrapped artist drawn literally: matplotlib measures wrapped lines as mathtext
    whenever they hold two "$", whatever ``text.parse_math`` says, so "$" becomes the full-width
    "＄" there (a name like "$区$" would otherwise fail the whole sheet)."""
    return str(text).replace("$", "＄")


def _wrap_mm(text: str, size_pt: float, width_mm: float) -> list[str]:
    """``text`` broken into lines no wider than ``width_mm`` (at spaces where there are any,
    else between characters, as Chinese is)."""
    lines: list[str] = []
    line = ""
    for token in [t for t in re.split(r"(\s+)", str(text)) if t]:
        pieces = [token] if _text_mm(token, size_pt) <= width_mm else list(token)
        for piece in pieces:
            if line and _text_mm(line + piece, size_pt) > width_mm:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _text_mm(text: str, size_pt: float) -> float:
    """Approximate printed width of a text: CJK characters one em, others about half."""
    em = size_pt * MM_PER_PT
    return sum(em if ord(ch) > 0x2E80 else 0.56 * em for ch in str(text))


class _Page:
    """One sheet being drawn: the figure, the map axes and the world-to-paper transform."""

    def __init__(self, extent, scale: int, map_box=MAP_BOX, size_mm=A3_MM):
        import matplotlib.pyplot as plt

        self.extent, self.scale, self.map_box, self.size = extent, scale, map_box, size_mm
        W, H = size_mm
        self.fig = plt.figure(figsize=(W / 25.4, H / 25.4), dpi=DPI)
        x, y, w, h = map_box
        self.ax = self.fig.add_axes((x / W, y / H, w / W, h / H))
        self.ax.set_xlim(extent[0], extent[2])
        self.ax.set_ylim(extent[1], extent[3])
        self.ax.set_aspect("auto")
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        for s in self.ax.spines.values():
            s.set_linewidth(1.2)
        self.occupancy = _Occupancy(w, h)
        self.paper = self.fig.add_axes((0, 0, 1, 1), zorder=10)  # paper coordinates in mm, above the map
        self.paper.set_xlim(0, W)
        self.paper.set_ylim(0, H)
        self.paper.set_axis_off()

    def to_mm(self, x, y):
        """World coordinates to millimetres inside the map frame (from its bottom-left)."""
        e = self.extent
        return ((np.asarray(x) - e[0]) / (e[2] - e[0]) * self.map_box[2],
                (np.asarray(y) - e[1]) / (e[3] - e[1]) * self.map_box[3])

    def to_world(self, mx, my):
        e = self.extent
        return (e[0] + np.asarray(mx) / self.map_box[2] * (e[2] - e[0]),
                e[1] + np.asarray(my) / self.map_box[3] * (e[3] - e[1]))

    def pt_to_world(self, pt: float) -> float:
        """A length on paper (points) as metres on the ground at this scale."""
        return pt * MM_PER_PT * self.scale / 1000

    def pixel_box(self, box_mm) -> tuple[float, float, float, float]:
        """A box in map-frame millimetres as PNG pixels (x0, y0 from the top-left, x1, y1)."""
        x0, y0, x1, y1 = box_mm
        mx, my = self.map_box[0], self.map_box[1]
        k = DPI / 25.4
        return ((mx + x0) * k, (self.size[1] - (my + y1)) * k, (mx + x1) * k, (self.size[1] - (my + y0)) * k)


def _draw_base(page: _Page, base: SheetBase, lang: str) -> dict:
    """Water, buildings, parcels, roads by class, study area; returns what was drawn."""
    from matplotlib.collections import PolyCollection

    ax, extent = page.ax, page.extent
    drawn: dict = {}
    w = base.water.within(extent)
    if len(w):
        rings = _ring_list(base.water.geoms[w])
        ax.add_collection(PolyCollection(rings, facecolors=BASE["water"], edgecolors=BASE["water_outline"],
                                         linewidths=0.4, zorder=1.5, rasterized=len(rings) > RASTERIZE_ABOVE))
        drawn["water"] = len(w)
    b = base.buildings.within(extent)
    if len(b) > VECTOR_BUILDINGS_MAX:
        # one pixel of the mask is one pixel of the sheet (at the figure's dpi)
        box = _pixel_box(ax)
        mask = building_raster(base.buildings.geoms[b], _pixel_extent(ax, box), width=box[2], height=box[3])
        rgba = np.zeros((*mask.shape, 4), dtype=np.uint8)   # bytes, not floats: a quarter of the memory and no rescaling
        h = BASE["buildings"].lstrip("#")
        rgba[mask > 0] = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 255)
        _pixel_image(ax, rgba, box, zorder=2)
    elif len(b):
        ax.add_collection(PolyCollection(_ring_list(base.buildings.geoms[b]), facecolors=BASE["buildings"],
                                         edgecolors=BASE["buildings_outline"], linewidths=0.15, zorder=2))
    if len(b):
        drawn["buildings"] = len(b)
    p = base.parcels.within(extent)
    if len(p):
        _add_lines(ax, base.parcels.geoms[p], colour=BASE["parcels"], width=0.3, zorder=2.5)
        drawn["parcels"] = len(p)
    r = base.roads.within(extent)
    drawn["roads"] = {}
    if len(r):
        cls = base.roads.attrs["class"][r]
        planned = base.roads.attrs["planned"][r]
        for i, c in enumerate(sorted(set(cls.tolist()), key=lambda c: ROAD_ORDER.index(c) if c in ROAD_ORDER else 3)):
            colour, width = road_style(c)
            sel = (cls == c) & ~planned
            if sel.any():
                _add_lines(ax, base.roads.geoms[r[sel]], colour=colour, width=width, capstyle="round",
                           zorder=3 + i * 0.01)
                drawn["roads"][c] = int(sel.sum())
        if planned.any():
            _add_lines(ax, base.roads.geoms[r[planned]], colour="#7D7D7D", width=0.8, linestyle=(0, (3, 2)), zorder=3.2)
            drawn["roads"]["planned"] = int(planned.sum())
    if base.study_area is not None:
        _add_lines(ax, np.array([base.study_area]), colour=BASE["study_area"], width=1.1,
                   linestyle=(0, (6, 1.5, 1, 1.5)), zorder=3.5)
        inner = base.boundary.within(extent)
        if len(inner) > 1:
            _add_lines(ax, base.boundary.geoms[inner], colour="#666666", width=0.5, linestyle=(0, (2, 1.5)), zorder=3.4)
        drawn["study_area"] = 1
    return drawn


def _halo(width: float = 1.6):
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _place_road_names(page: _Page, base: SheetBase, limit: int = 120) -> int:
    """Road names along their roads, where the road is long enough on paper and no other
    label is there; the longest roads first. Returns how many were placed."""
    r = base.roads.within(page.extent)
    if not len(r):
        return 0
    names = base.roads.attrs["name"][r]
    named = names != ""
    if not named.any():
        return 0
    import pandas as pd

    box = shapely.box(*page.extent)
    clipped = shapely.intersection(base.roads.geoms[r[named]], box)
    frame = pd.DataFrame({"name": names[named], "len": shapely.length(clipped)})
    order = frame.groupby("name")["len"].sum().sort_values(ascending=False).index[:limit]
    size = 5.5
    placed = 0
    by_name = frame.groupby("name").indices
    for name in order:
        merged = shapely.line_merge(shapely.union_all(clipped[by_name[name]]))
        parts = shapely.get_parts(merged)
        parts = parts[shapely.get_type_id(parts) == 1]
        if len(parts) == 0:
            continue
        line = parts[np.argmax(shapely.length(parts))]
        text_m = page.pt_to_world(_text_mm(name, size) / MM_PER_PT)
        if shapely.length(line) < text_m * 1.4:
            continue
        for frac in (0.5, 0.3, 0.7, 0.15, 0.85):
            d = shapely.length(line) * frac
            a = shapely.line_interpolate_point(line, max(d - text_m / 2, 0))
            b = shapely.line_interpolate_point(line, min(d + text_m / 2, shapely.length(line)))
            mid = shapely.line_interpolate_point(line, d)
            angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
            if angle > 90:
                angle -= 180
            elif angle < -90:
                angle += 180
            mx, my = page.to_mm(mid.x, mid.y)
            tw, th = _text_mm(name, size), size * MM_PER_PT * 1.2
            ca, sa = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
            hw, hh = (tw * ca + th * sa) / 2, (tw * sa + th * ca) / 2
            lb = (float(mx) - hw, float(my) - hh, float(mx) + hw, float(my) + hh)
            if page.occupancy.free(lb):
                page.occupancy.take(lb)
                page.ax.text(mid.x, mid.y, name, fontsize=size, color=BASE["road_names"], rotation=angle,
                             rotation_mode="anchor", ha="center", va="center", zorder=8, path_effects=_halo(),
                             clip_on=True)
                placed += 1
                break
    return placed


def _place_district_names(page: _Page, base: SheetBase) -> None:
    inner = base.boundary.within(page.extent)
    if len(inner) == 0:
        return
    names = base.boundary.attrs["name"][inner]
    pts = shapely.point_on_surface(shapely.intersection(base.boundary.geoms[inner], shapely.box(*page.extent)))
    for name, p in zip(names, pts, strict=True):
        if not name or shapely.is_empty(p):
            continue
        size = 10.0
        mx, my = page.to_mm(p.x, p.y)
        tw, th = _text_mm(name, size) * 1.15, size * MM_PER_PT * 1.3
        lb = (float(mx) - tw / 2, float(my) - th / 2, float(mx) + tw / 2, float(my) + th / 2)
        if page.occupancy.free(lb):
            page.occupancy.take(lb)
            page.ax.text(p.x, p.y, name, fontsize=size, color=BASE["place_names"], ha="center", va="center",
                         alpha=0.75, zorder=7, path_effects=_halo(2.2))


def _ring_path(polygons: np.ndarray):
    """The exterior rings of ``polygons`` as one compound matplotlib path, all turning the same
    way (so that a non-zero fill covers where they overlap), or None."""
    from matplotlib.path import Path as MplPath

    rings = shapely.get_exterior_ring(shapely.orient_polygons(polygons))
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return None
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    start = np.r_[True, idx[1:] != idx[:-1]]
    codes[start] = MplPath.MOVETO
    codes[np.r_[start[1:], True]] = MplPath.CLOSEPOLY
    return MplPath(coords, codes)


def _draw_projects(page: _Page, projects, *, muted: bool = False, zorder: float = 5.0) -> None:
    """Projects as outline plus light fill by type, the types of large projects first so that
    small ones stay on top; a project too small to see at this scale gets a symbol in its
    colour. Each type is one compound path (one style): thousands of projects draw in one
    call, not one each."""
    from matplotlib.patches import PathPatch

    if len(projects) == 0:
        return
    geoms = projects.geometry.values
    if muted:  # other types as context: thin outlines, no fill, no symbols
        _add_lines(page.ax, geoms, colour=BASE["other_projects"], width=0.25, zorder=zorder)
        return
    area = shapely.area(geoms)
    types = projects["type"].astype(object).to_numpy()
    colours = np.array([TYPE_COLOURS.get(t, "#888888") for t in types], dtype=object)
    parts, idx = shapely.get_parts(geoms, return_index=True)
    kinds = shapely.get_type_id(parts)
    n_rings = int((kinds == 3).sum())
    by_colour = {c: np.flatnonzero(colours == c) for c in dict.fromkeys(colours.tolist())}
    ranked = sorted(by_colour, key=lambda c: -float(np.median(area[by_colour[c]])))
    for k, c in enumerate(ranked):
        mine = colours[idx] == c
        path = _ring_path(parts[mine & (kinds == 3)]) if (mine & (kinds == 3)).any() else None
        if path is not None:
            page.ax.add_artist(PathPatch(path, facecolor=c + "59", edgecolor=c, linewidth=0.9, zorder=zorder + k * 1e-3,
                                         rasterized=n_rings > PROJECT_RINGS_RASTERIZE_ABOVE))
        if (mine & (kinds == 1)).any():
            _add_lines(page.ax, parts[mine & (kinds == 1)], colour=c, width=2.2, capstyle="projecting",
                       zorder=zorder + 0.1 + k * 1e-3)
    # too small to see (under 2 mm across on paper), or points: a symbol at the project
    b = shapely.bounds(geoms)
    size_mm = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / page.scale * 1000
    small = np.flatnonzero((size_mm < 2.0) | np.isin(shapely.get_type_id(geoms), (0, 4)))
    if len(small):
        small = small[np.argsort(-area[small], kind="stable")]   # large first, small on top
        pts = shapely.point_on_surface(geoms[small])
        xs, ys = shapely.get_x(pts), shapely.get_y(pts)
        # one marker line a colour, the colours in the order of their outlines above (a PDF
        # writes a marker once and places it; a scatter's PDF wrote each of a city's 16,000
        # symbols with its own colour state, seconds a sheet)
        for k, c in enumerate(ranked):
            mine = colours[small] == c
            if mine.any():
                page.ax.plot(xs[mine], ys[mine], linestyle="none", marker="o", markersize=math.sqrt(22),
                             markerfacecolor=c, markeredgecolor="#333333", markeredgewidth=0.4,
                             zorder=zorder + 0.2 + k * 1e-3, rasterized=int(mine.sum()) > RASTERIZE_ABOVE,
                             scalex=False, scaley=False)


def _place_callouts(page: _Page, projects, numbers: list[str]) -> list[dict]:
    """A numbered callout for every project: at its point when free, else moved to the first
    free spot around it (rings of eight directions) with a leader line. Returns the callouts."""
    from matplotlib.collections import LineCollection, PolyCollection

    pts = shapely.point_on_surface(projects.geometry.values)
    ax_mm, ay_mm = page.to_mm(shapely.get_x(pts), shapely.get_y(pts))
    leaders: list = []
    boxes: list = []
    edges: list[str] = []
    b = shapely.bounds(projects.geometry.values)
    extent_mm = np.minimum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / page.scale * 1000
    size = 6.5
    out = []
    directions = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
    for i, (pid, ptype, num) in enumerate(zip(projects["project_id"], projects["type"], numbers, strict=True)):
        tw, th = _text_mm(num, size) + 1.4, size * MM_PER_PT + 1.0
        x, y = float(ax_mm[i]), float(ay_mm[i])
        chosen = None
        # on the project where it is large enough to show around the callout, else beside it
        rings = (0.0, 3.0, 5.5, 8.5, 12.0, 16.0, 21.0, 27.0) if extent_mm[i] > 3 * max(tw, th) else \
            (2.0, 4.0, 6.5, 9.5, 13.0, 17.0, 22.0, 28.0)
        for ring in rings:
            cands = [(x, y)] if ring == 0 else [(x + dx * (ring + tw / 2) / (1.4 if dx and dy else 1),
                                                 y + dy * (ring + th / 2) / (1.4 if dx and dy else 1))
                                                for dx, dy in directions]
            for cx, cy in cands:
                box = (cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2)
                if page.occupancy.free(box):
                    chosen = (cx, cy, box)
                    break
            if chosen:
                break
        if chosen is None:  # nowhere free: beside the point all the same (recorded as not placed)
            cx, cy = x, y
            box = (cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2)
            placed = False
        else:
            cx, cy, box = chosen
            placed = True
        page.occupancy.take(box)
        wx, wy = page.to_world(cx, cy)
        if math.hypot(cx - x, cy - y) > 0.8:
            ex, ey = page.to_world(x, y)
            leaders.append(((float(ex), float(ey)), (float(wx), float(wy))))
        (bx0, by0), (bx1, by1) = page.to_world(box[0], box[1]), page.to_world(box[2], box[3])
        boxes.append([(bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1)])
        edges.append(TYPE_COLOURS.get(ptype, "#555555"))
        page.ax.text(wx, wy, num, fontsize=size, ha="center", va="center_baseline", zorder=11, color="#111111")
        out.append({"project_id": str(pid), "number": num, "box_mm": box, "box_px": page.pixel_box(box),
                    "anchor_px": page.pixel_box((x, y, x, y))[:2], "placed": placed})
    # leader lines, their dots and the boxes as three collections (not three artists a callout)
    if leaders:
        page.ax.add_collection(LineCollection(leaders, colors="#333333", linewidths=0.45, zorder=9, capstyle="round"),
                               autolim=False)
        page.ax.scatter([a[0][0] for a in leaders], [a[0][1] for a in leaders], s=2.5, c="#333333", zorder=9.1,
                        linewidths=0)
    if boxes:
        page.ax.add_collection(PolyCollection(boxes, closed=True, facecolors="white", edgecolors=edges, linewidths=0.8,
                                              zorder=10), autolim=False)
    return out


def _place_small_numbers(page: _Page, projects, where: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Small grey numbers beside projects numbered on another sheet (``where``: number and
    sheet of each), where no label is; returns (number, sheet) of those placed."""
    pts = shapely.point_on_surface(projects.geometry.values)
    xs, ys = page.to_mm(shapely.get_x(pts), shapely.get_y(pts))
    size = 5.0
    th = size * MM_PER_PT + 0.4
    placed: list[tuple[str, int]] = []
    for x, y, (num, sheet) in zip(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), where, strict=True):
        tw = _text_mm(num, size) + 0.6
        for dx, dy in ((1.4 + tw / 2, 0.0), (-1.4 - tw / 2, 0.0), (0.0, 1.2 + th / 2), (0.0, -1.2 - th / 2)):
            box = (x + dx - tw / 2, y + dy - th / 2, x + dx + tw / 2, y + dy + th / 2)
            if page.occupancy.free(box):
                page.occupancy.take(box)
                wx, wy = page.to_world(x + dx, y + dy)
                page.ax.text(float(wx), float(wy), num, fontsize=size, color="#555555", ha="center", va="center",
                             zorder=8.5, path_effects=_halo(1.2))
                placed.append((num, int(sheet)))
                break
    return placed


def _north_arrow(page: _Page, lang: str) -> None:
    x, y, w, h = page.map_box
    cx, top = x + w - 10, y + h - 6
    page.paper.fill([cx, cx - 3, cx, cx + 3], [top, top - 11, top - 8, top - 11], color="#111111", zorder=20)
    page.paper.text(cx, top - 15, pick("北", "N", lang), ha="center", va="center", fontsize=9, zorder=20)


def _scale_bar(page: _Page, lang: str) -> None:
    from matplotlib.patches import Rectangle

    x, y, w, h = page.map_box
    ground = _nice_length(60 * page.scale / 1000)      # at most 60 mm long
    length_mm = ground / page.scale * 1000
    bx, by = x + 6, y + 6
    page.paper.add_patch(Rectangle((bx - 3, by - 3), length_mm + 14, 15, facecolor="white", edgecolor="none",
                                   alpha=0.85, zorder=19))
    for i in range(4):
        page.paper.add_patch(Rectangle((bx + i * length_mm / 4, by), length_mm / 4, 1.4,
                                       facecolor="#111111" if i % 2 == 0 else "white", edgecolor="#111111",
                                       lw=0.6, zorder=20))
    unit = "km" if ground >= 1000 else "m"
    value = ground / 1000 if ground >= 1000 else ground
    for frac in (0, 0.5, 1):
        page.paper.text(bx + frac * length_mm, by + 2.6, f"{value * frac:g}" + (f" {unit}" if frac == 1 else ""),
                        ha="center", va="bottom", fontsize=6.5, zorder=20)
    page.paper.text(bx, by + 7.5, f"1:{page.scale:,}", ha="left", va="bottom", fontsize=8, zorder=20)


def _locator(page: _Page, base: SheetBase, box_mm, lang: str) -> None:
    from matplotlib.patches import Rectangle

    W, H = page.size
    x, y, w, h = box_mm
    bx0, by0, bx1, by1 = base.bounds
    span = max(bx1 - bx0, (by1 - by0) * w / h) * 1.08
    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
    ax = page.fig.add_axes((x / W, y / H, w / W, h / H))
    ax.set_xlim(cx - span / 2, cx + span / 2)
    ax.set_ylim(cy - span * h / w / 2, cy + span * h / w / 2)
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_linewidth(0.6)
    main = np.isin(base.roads.attrs.get("class", np.zeros(0)), ("expressway", "arterial", "collector"))
    if main.sum() > LOCATOR_RASTER_ABOVE:
        # a city's main roads: the inset's roads and study area drawn once as an image for every
        # sheet (rasterised in every PDF, they cost a sheet-sized raster buffer a sheet)
        box = _pixel_box(ax)
        key = (id(base), box[2], box[3], ax.get_xlim(), ax.get_ylim())
        image = _LOCATORS.get(key)
        if image is None:
            image = _LOCATORS[key] = _locator_image(base, main, _pixel_extent(ax, box), box[2], box[3])
            _PDF_IMAGES[id(image)] = (image, *_encode_pdf_image(image, alpha=True))
        _pixel_image(ax, image, box, zorder=2)
    else:
        _locator_layers(ax, base, main)
    e = page.extent
    ax.add_patch(Rectangle((e[0], e[1]), e[2] - e[0], e[3] - e[1], facecolor="#CC331133", edgecolor="#CC3311",
                           lw=1.0))
    page.paper.text(x - 2, y + h, pick("位置示意", "Locator", lang), fontsize=7, va="top", ha="right")


def _locator_box(H: float) -> tuple[float, float, float, float]:
    return (PANEL_X + 40, H - 74, PANEL_W - 40, 44)


def _prepare_locator(base: SheetBase, lang: str) -> None:
    """A large city's locator image made before the sheets' workers fork (they inherit it)."""
    import matplotlib.pyplot as plt

    main = np.isin(base.roads.attrs.get("class", np.zeros(0)), ("expressway", "arterial", "collector"))
    if main.sum() > LOCATOR_RASTER_ABOVE:
        use_cjk_font_in_matplotlib()
        page = _Page(base.bounds, 1000)
        _locator(page, base, _locator_box(page.size[1]), lang)
        plt.close(page.fig)


LOCATOR_RASTER_ABOVE = 2000   # main roads in the locator above this: drawn once as an image
_LOCATORS: dict = {}


def _locator_layers(ax, base: SheetBase, main: np.ndarray) -> None:
    """The locator's main roads and study area (or the data's bounds)."""
    from matplotlib.patches import Rectangle

    if main.any():   # a small inset: raster whatever its size
        _add_lines(ax, base.roads.geoms[main], colour="#AAAAAA", width=0.4, zorder=2, rasterize_above=2000)
    if base.study_area is not None:
        _add_lines(ax, np.array([base.study_area]), colour="#222222", width=0.7, zorder=2.1)
    else:
        bx0, by0, bx1, by1 = base.bounds
        ax.add_patch(Rectangle((bx0, by0), bx1 - bx0, by1 - by0, fill=False, edgecolor="#222222", lw=0.7,
                               zorder=2.1))


def _locator_image(base: SheetBase, main: np.ndarray, extent, cols: int, rows: int) -> np.ndarray:
    """The locator's layers over ``extent`` as an RGBA image of ``cols`` x ``rows`` pixels at
    ``DPI``, transparent where nothing is drawn."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=((cols + 1e-3) / DPI, (rows + 1e-3) / DPI), dpi=DPI)
    fig.patch.set_alpha(0)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    _locator_layers(ax, base, main)
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[:rows, :cols].copy()  # type: ignore[attr-defined]
    plt.close(fig)
    return image


def _legend(page: _Page, entries: list[tuple[str, str, dict]], top: float, lang: str) -> float:
    """Legend entries (label, kind, style) from ``top`` down; returns the bottom (mm)."""
    from matplotlib.patches import Rectangle

    x = PANEL_X
    page.paper.text(x, top, pick("图例", "Legend", lang), fontsize=9, va="top")
    y = top - 6
    col_w = PANEL_W / 2
    for i, (label, kind, st) in enumerate(entries):
        cx = x + (i % 2) * col_w
        if i % 2 == 0 and i:
            y -= 4.6
        if kind == "fill":
            page.paper.add_patch(Rectangle((cx, y - 1.6), 6, 3.2, facecolor=st["face"], edgecolor=st["edge"],
                                           lw=st.get("lw", 0.8)))
        elif kind == "line":
            page.paper.plot([cx, cx + 6], [y, y], color=st["colour"], lw=st["width"], ls=st.get("ls", "-"),
                            solid_capstyle="round")
        elif kind == "marker":
            page.paper.scatter([cx + 3], [y], s=20, c=st["colour"], edgecolors="#333333", linewidths=0.4)
        page.paper.text(cx + 7.5, y, label, fontsize=6.8, va="center")
    return y - 4


def _key_table(page: _Page, rows: list[tuple[str, str, str]], top: float, bottom: float, lang: str,
               note: str = "") -> None:
    """Number, project name and cost of every callout on the sheet, in up to two columns."""
    x = PANEL_X
    page.paper.text(x, top, pick("项目编号与名称", "Project key", lang), fontsize=9, va="top")
    head_y = top - 5.5
    row_h = 3.05
    size = 5.8
    col_w = PANEL_W / 2
    note_lines = _wrap_mm(_wrapped_literal(note), 6, PANEL_W) if note else []
    rows_bottom = bottom + (len(note_lines) * 6 * 1.2 * MM_PER_PT + 2.0 if note_lines else 0.0)
    per_col = max(int((head_y - rows_bottom - 2) / row_h), 1)
    if 2 * per_col < len(rows):  # every numbered project keeps its row: closer rows, smaller text
        per_col = math.ceil(len(rows) / 2)
        row_h = max(head_y - rows_bottom - 2, 1.0) / per_col
        size = min(size, max(row_h / 3.05 * 5.8, 3.5))
    cost_head = pick("投资（万元）", "Cost (10k yuan)", lang)
    for c in range(2 if len(rows) > per_col else 1):
        cx = x + c * col_w
        page.paper.text(cx, head_y, pick("编号", "No.", lang), fontsize=size, va="center")
        page.paper.text(cx + 6, head_y, pick("项目名称", "Name", lang), fontsize=size, va="center")
        page.paper.text(cx + col_w - 2, head_y, cost_head, fontsize=size, va="center", ha="right")
    name_room = col_w - 6 - _text_mm("9,999,999", size) - 3
    for i, (num, name, cost) in enumerate(rows[: 2 * per_col]):
        c, r = divmod(i, per_col)
        cx, cy = x + c * col_w, head_y - (r + 1) * row_h
        label = name
        while _text_mm(label, size) > name_room and len(label) > 2:
            label = label[:-2] + "…"
        page.paper.text(cx, cy, num, fontsize=size, va="center")
        page.paper.text(cx + 6, cy, label, fontsize=size, va="center")
        page.paper.text(cx + col_w - 2, cy, cost, fontsize=size, va="center", ha="right")
    if note_lines:  # below the rows, never under them
        page.paper.text(x, bottom, "\n".join(note_lines), fontsize=6, va="bottom", color="#444444", linespacing=1.2)


def _title_block(page: _Page, info: dict, lang: str) -> None:
    """The title block at the panel's foot: project, sheet, 编制单位, 日期, 图号, scale, CRS, data date."""
    from matplotlib.patches import Rectangle

    x0, y0, w = PANEL_X, 12.0, PANEL_W
    rows = [
        (pick("项目名称", "Project", lang), info["project"]),
        (pick("图名", "Sheet", lang), info["sheet_title"]),
        (pick("编制单位", "Prepared by", lang), info["organisation"] or pick("（未填写）", "(not given)", lang)),
        (pick("编制日期", "Date", lang), info["date"]),
        (pick("图号", "Sheet no.", lang), info["number"]),
        (pick("比例", "Scale", lang), f"1:{page.scale:,}"),
        (pick("坐标系", "CRS", lang), info["crs"]),
        (pick("数据截至", "Data as of", lang), info["as_of"]),
    ]
    row_h = 5.6
    h = row_h * len(rows)
    page.paper.add_patch(Rectangle((x0, y0), w, h, fill=False, edgecolor="#111111", lw=1.0))
    for i, (k, v) in enumerate(rows):
        y = y0 + h - (i + 1) * row_h
        if i:
            page.paper.plot([x0, x0 + w], [y + row_h, y + row_h], color="#111111", lw=0.4)
        page.paper.text(x0 + 1.5, y + row_h / 2, k, fontsize=6.8, va="center", color="#333333")
        text = str(v)
        room = w - 23
        size = 7.2 if i > 1 else 7.8
        while _text_mm(text, size) > room and size > 5.2:
            size -= 0.4
        while _text_mm(text, size) > room and len(text) > 2:
            text = text[:-2] + "…"
        page.paper.text(x0 + 21, y + row_h / 2, text, fontsize=size, va="center")
    page.paper.plot([x0 + 19.5, x0 + 19.5], [y0, y0 + h], color="#111111", lw=0.4)
    if info.get("attribution"):
        page.paper.text(x0, y0 - 2.5, info["attribution"], fontsize=5.5, color="#555555", va="top")


# ---------------------------------------------------------------------------------------------
# Sheets


@lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    return FONT_FILE.read_bytes()


@contextmanager
def _quick_font_subsets():
    """While a sheet's PDF is written, the bundled CJK font is subset with the atlas's
    ``subset_truetype`` (the outlines of the glyphs used, glyph ids kept: milliseconds) instead
    of fontTools' subsetter, which parses the whole 13 MB font for every PDF (seconds a sheet).
    Other fonts, and matplotlib versions whose subsetting hook is not this one, are left alone."""
    import contextlib
    import inspect
    import os
    from types import SimpleNamespace

    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    original = getattr(pdf_ps, "get_glyphs_subset", None)
    if original is None or list(inspect.signature(original).parameters) != ["fontfile", "glyphs"]:
        yield
        return

    class _Subset:
        def __init__(self, data: bytes):
            self.data = data

        def save(self, fh, **_kw) -> None:
            fh.write(self.data)

    ours = os.path.realpath(FONT_FILE)

    def subset(fontfile, glyphs):
        if os.path.realpath(os.fspath(fontfile)) != ours or getattr(fontfile, "face_index", 0):
            return original(fontfile, glyphs)
        from planner.export.atlas import subset_truetype

        gids = {int(g) for g in glyphs}
        data = subset_truetype(_font_bytes(), gids | {0})
        return contextlib.nullcontext(SimpleNamespace(font=_Subset(data), glyph_index_map={g: g for g in gids}))

    pdf_ps.get_glyphs_subset = subset
    try:
        yield
    finally:
        pdf_ps.get_glyphs_subset = original


_WORKER: dict = {}


def _init_worker(base: SheetBase) -> None:
    from planner.parallel import die_with_parent

    die_with_parent()  # a killed run leaves no sheet worker waiting for tasks
    _WORKER["base"] = base


def _render(task: dict) -> dict:
    """Draw one sheet (PNG and PDF) in a worker process; every text is drawn literally (a
    project name such as "$区$" is not matplotlib mathtext)."""
    import matplotlib.pyplot as plt

    use_cjk_font_in_matplotlib()
    frames = _WORKER.get("frames", {})   # (inherited; see _share_frames)
    task = {k: frames[v[1]] if isinstance(v, tuple) and len(v) == 2 and v[0] == _SHARED_FRAME else v
            for k, v in task.items()}
    # the PDF's streams deflated at level 1: most of a sheet's PDF is paths and its base image,
    # compressed at level 6 they took longer than drawing them. The PNG's glyphs unhinted: at
    # 300 dpi hinting changes little, and FreeType's auto-hinter on the CJK font's outlines was
    # a third of the PNG's text drawing (1 M city, 12 sheets: 3,353 texts 8.0 -> 5.7 s CPU)
    with plt.rc_context({"text.parse_math": False, "text.usetex": False, "pdf.fonttype": 42, "pdf.compression": 1,
                         "text.hinting": "no_hinting"}), _shared_text_metrics():
        return _draw_sheet(task, _WORKER["base"])


_METRICS: dict[tuple, tuple[float, float, float]] = {}


@contextmanager
def _shared_text_metrics():
    """While a sheet is drawn, a text's measured size is kept for every renderer of its kind
    (the PNG's at one dpi, the PDF's), not per renderer object: a worker's sheets share their
    callout numbers, headings, road and district names and title-block labels, which
    matplotlib measured again for each sheet's PNG and PDF (a CJK text's glyphs loaded each
    time). The size of a text depends only on the renderer's kind and dpi, the text, its font
    properties and the hinting setting, which make the key."""
    import matplotlib
    from matplotlib import text as mtext

    original = getattr(mtext, "_get_text_metrics_with_cache", None)
    if original is None:
        yield
        return

    def metrics(renderer, text, fontprop, ismath, dpi):
        fp = fontprop
        key = (type(renderer), getattr(renderer, "dpi", None), text, ismath, dpi,
               matplotlib.rcParams["text.hinting"], tuple(fp.get_family()), fp.get_style(), fp.get_variant(),
               fp.get_weight(), fp.get_stretch(), fp.get_size_in_points(), fp.get_file(), fp.get_math_fontfamily())
        hit = _METRICS.get(key)
        if hit is None:
            if len(_METRICS) > 100_000:
                _METRICS.clear()
            hit = _METRICS[key] = original(renderer, text, fontprop, ismath, dpi)
        return hit

    mtext._get_text_metrics_with_cache = metrics
    try:
        yield
    finally:
        mtext._get_text_metrics_with_cache = original


_SHARED_FRAME = "shared frame"


def _share_frames(tasks: list[dict]) -> list[dict]:
    """The tasks with their project frames (the city's projects, a type's projects, those a
    sheet numbers) put in ``_WORKER`` for forked workers to inherit, each task naming them:
    pickled into every task, a city's 16,000 projects cost about 0.2 s of CPU a sheet."""
    frames: dict[int, Any] = _WORKER.setdefault("frames", {})
    out = []
    for t in tasks:
        t = dict(t)
        for k in ("projects", "focus", "labelled"):
            if k in t and len(t[k]) > 100:
                frames[id(t[k])] = t[k]
                t[k] = (_SHARED_FRAME, id(t[k]))
        out.append(t)
    return out


SHARED_BASE_GROWTH = 2.5   # a shared base raster covers at most this many sheets' areas


def _base_counts(base: SheetBase, extent) -> dict:
    """What ``_draw_base`` draws inside ``extent`` (for the legend), without drawing it."""
    drawn: dict = {}
    for key, layer in (("water", base.water), ("buildings", base.buildings), ("parcels", base.parcels)):
        n = len(layer.within(extent))
        if n:
            drawn[key] = n
    r = base.roads.within(extent)
    drawn["roads"] = {}
    if len(r):
        cls, planned = base.roads.attrs["class"][r], base.roads.attrs["planned"][r]
        for c in sorted(set(cls[~planned].tolist()), key=lambda c: ROAD_ORDER.index(c) if c in ROAD_ORDER else 3):
            drawn["roads"][c] = int(((cls == c) & ~planned).sum())
        if planned.any():
            drawn["roads"]["planned"] = int(planned.sum())
    if base.study_area is not None:
        drawn["study_area"] = 1
    return drawn


def _raster_base(base: SheetBase, extent) -> bool:
    """Whether a sheet of ``extent`` draws its base mostly as a raster anyway (a large city)."""
    return len(base.buildings.within(extent)) > VECTOR_BUILDINGS_MAX or \
        len(base.roads.within(extent)) > RASTERIZE_ABOVE or len(base.parcels.within(extent)) > RASTERIZE_ABOVE


def _sheet_pixels(scale: int) -> tuple[tuple[int, int, int, int], tuple[float, float], float]:
    """A sheet's map frame on the canvas at ``DPI``: its whole pixels (left, bottom, width,
    height), the frame's exact left and bottom (pixels) and the metres a pixel covers."""
    import matplotlib.pyplot as plt

    page = _Page((0.0, 0.0, MAP_BOX[2] * scale / 1000, MAP_BOX[3] * scale / 1000), scale)
    box, bb = _pixel_box(page.ax), page.ax.bbox
    plt.close(page.fig)
    return box, (bb.x0, bb.y0), scale / 1000 * 25.4 / DPI


def _shared_bases(base: SheetBase, tasks: list[dict], lang: str) -> dict:
    """The base maps of a large city's sheets drawn once for many sheets: sheets of one scale
    whose frames lie close together (the overview and the sheets by type at the city's extent;
    zoomed sheets of one scale near each other) share one raster of their frames' union, drawn
    on one pixel grid. Each such sheet's extent is moved onto that grid (by under half a pixel,
    0.04 mm on paper) and gets the key of its raster; returns {key: (extent, RGBA image)}."""
    by_scale: dict[int, list[dict]] = {}
    for t in tasks:
        if _raster_base(base, t["extent"]):
            by_scale.setdefault(int(t["scale"]), []).append(t)
    images: dict = {}
    for scale, group in by_scale.items():
        (_, _, w, h), (left, bottom), m = _sheet_pixels(scale)
        clusters: list[tuple[list[float], list[dict]]] = []
        for t in group:   # greedy: join the first union that stays small
            e = t["extent"]
            for u, members in clusters:
                grown = [min(u[0], e[0]), min(u[1], e[1]), max(u[2], e[2]), max(u[3], e[3])]
                if (grown[2] - grown[0]) * (grown[3] - grown[1]) <= SHARED_BASE_GROWTH * (e[2] - e[0]) * (e[3] - e[1]):
                    u[:] = grown
                    members.append(t)
                    break
            else:
                clusters.append((list(e), [t]))
        for u, members in clusters:
            ux0, uy0 = u[0] - 2 * m, u[1] - 2 * m
            cols, rows = int(math.ceil((u[2] - u[0]) / m)) + 4, int(math.ceil((u[3] - u[1]) / m)) + 4
            ux1, uy1 = ux0 + cols * m, uy0 + rows * m
            key = f"{scale}-{len(images)}"
            image = _base_image(base, (ux0, uy0, ux1, uy1), scale, cols, rows, lang, projects=members[0]["projects"])
            for t in members:
                e = t["extent"]
                # the frame's left and bottom edges are at fractional pixels (``left``, ``bottom``);
                # the raster's pixel columns and rows are made to fall on the sheet's pixels
                c0 = round((e[0] - ux0) / m - (left - round(left)))
                x0 = ux0 + (c0 + left - round(left)) * m
                r0 = round((uy1 - e[1]) / m - (round(bottom) + h - bottom))
                y0 = uy1 - (r0 + round(bottom) + h - bottom) * m
                c0, r0 = int(min(max(c0, 0), cols - w)), int(min(max(r0, 0), rows - h))
                t["extent"] = (x0, y0, x0 + (e[2] - e[0]), y0 + (e[3] - e[1]))
                t["base_key"] = key
                t["base_crop"] = (r0, c0, h, w)
            images[key] = image
            _PDF_IMAGES[id(image)] = (image, *_encode_pdf_image(image))   # forked workers inherit it
    return images


def _base_image(base: SheetBase, extent, scale: int, cols: int, rows: int, lang: str, projects=None) -> np.ndarray:
    """The base map of ``extent`` at ``scale`` as an RGBA image of ``cols`` x ``rows`` pixels at
    ``DPI`` (one pixel is one pixel of a sheet), drawn once for the sheets that show it, with
    ``projects`` above it as muted outlines (the other projects of a sheet by type; a sheet's
    own projects are drawn over theirs in colour)."""
    import matplotlib.pyplot as plt

    use_cjk_font_in_matplotlib()
    size = ((cols + 1e-3) * 25.4 / DPI, (rows + 1e-3) * 25.4 / DPI)
    with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
        page = _Page(extent, scale, map_box=(0.0, 0.0, *size), size_mm=size)
        page.ax.set_axis_off()
        _draw_base(page, base, lang)
        if projects is not None and len(projects):
            near = shapely.intersects(projects.geometry.values, shapely.box(*extent)).nonzero()[0]
            _draw_projects(page, projects.iloc[near], muted=True, zorder=4.5)
        page.fig.canvas.draw()
        rgba = np.asarray(page.fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
        image = rgba[:rows, :cols].copy()
        plt.close(page.fig)
    return image


def _draw_sheet(task: dict, base: SheetBase) -> dict:
    import matplotlib.pyplot as plt

    lang = task["lang"]
    page = _Page(task["extent"], task["scale"])
    shared = _WORKER.get("base_images", {}).get(task.get("base_key"))
    if shared is not None:
        # the city's base map, drawn once for the sheets near this one at its scale
        r0, c0, h, w = task["base_crop"]
        box = _pixel_box(page.ax)
        _pixel_image(page.ax, shared[r0:r0 + h, c0:c0 + w], (box[0], box[1], w, h), zorder=1,
                     whole=(shared, box[0] - c0, box[1] - (shared.shape[0] - r0 - h)))
        drawn = _base_counts(base, page.extent)
    else:
        drawn = _draw_base(page, base, lang)
    projects, focus = task["projects"], task["focus"]
    e = page.extent
    if len(projects):
        inside = projects.iloc[shapely.intersects(projects.geometry.values, shapely.box(*e)).nonzero()[0]]
    else:
        inside = projects
    others = inside[~inside["project_id"].isin(focus["project_id"])] if len(focus) else inside
    if task["name"] != "overview":
        if shared is None:   # (a shared base has them)
            _draw_projects(page, others, muted=True, zorder=4.5)
        shown = focus
    else:
        shown = inside
    shown_in = shown.iloc[shapely.intersects(shown.geometry.values, shapely.box(*e)).nonzero()[0]] if len(shown) \
        else shown
    _draw_projects(page, shown_in, zorder=5.0)
    callouts = _place_callouts(page, task["labelled"], task["numbers"]) if len(task["labelled"]) else []
    note = task.get("note", "")
    small: list[tuple[str, int]] = []
    elsewhere = task.get("elsewhere")
    if elsewhere is not None and len(shown_in):
        where = dict(zip(elsewhere["ids"], zip(elsewhere["numbers"], elsewhere["pages"], strict=True), strict=True))
        ids = shown_in["project_id"].astype(str).to_numpy()
        away = np.flatnonzero([i in where for i in ids])
        if len(away):
            small = _place_small_numbers(page, shown_in.iloc[away], [where[ids[i]] for i in away])
            pages = sorted({k for _, k in small})
            if pages:
                n = elsewhere["n_pages"]
                listed = "、".join(f"{k}/{n}" for k in pages) if lang == "zh" else ", ".join(f"{k}/{n}" for k in pages)
                note = (note + " " if note else "") + pick(
                    f"灰色小号编号为本类在其他分幅图（{listed}）上编号的项目，名称见该图。",
                    f"Small grey numbers: projects of this type numbered on its other sheets ({listed}); see their keys.",
                    lang)
    _place_district_names(page, base)
    road_names = _place_road_names(page, base)
    _north_arrow(page, lang)
    _scale_bar(page, lang)

    # right panel: title, locator, legend, key table, title block
    W, H = page.size
    # the title wrapped to the panel's width (two lines at most, smaller type if need be), the
    # subtitle below its measured foot
    size = 14.0
    text = _wrapped_literal(task["sheet_title"])
    renderer = page.fig.canvas.get_renderer()  # type: ignore[attr-defined]
    title = page.paper.text(PANEL_X, H - 12, text, fontsize=size, va="top", linespacing=1.15)
    width_mm = title.get_window_extent(renderer=renderer).width / page.fig.dpi * 25.4
    lines = [text]
    if width_mm > PANEL_W:
        k = width_mm / max(_text_mm(text, size), 1e-6)   # the measured width over the estimate
        lines = _wrap_mm(text, size, PANEL_W / k)
        while len(lines) > 2 and size > 10:
            size -= 1.0
            lines = _wrap_mm(text, size, PANEL_W / k)
        title.set_text("\n".join(lines))
        title.set_fontsize(size)
    foot_mm = title.get_window_extent(renderer=renderer).y0 / page.fig.dpi * 25.4
    subtitle_top = min(H - 20.5, foot_mm - 2.0)
    page.paper.text(PANEL_X, subtitle_top, task["subtitle"], fontsize=7.5, va="top", color="#333333")
    _locator(page, base, _locator_box(H), lang)
    entries: list[tuple[str, str, dict]] = []
    counts = shown_in["type"].value_counts() if len(shown_in) else {}
    for t, n in (counts.items() if len(shown_in) else []):
        c = TYPE_COLOURS.get(t, "#888888")
        entries.append((f"{type_title(t, lang)}（{n:,}）" if lang == "zh" else f"{type_title(t, lang)} ({n:,})", "fill",
                        {"face": c + "59", "edge": c}))
    if task["name"] != "overview" and len(others):
        entries.append((pick(f"其他更新项目（{len(others):,}）", f"Other projects ({len(others):,})", lang), "fill",
                        {"face": BASE["other_projects"] + "22", "edge": BASE["other_projects"], "lw": 0.4}))
    for c in sorted(drawn.get("roads", {}), key=lambda c: -ROAD_ORDER.index(c) if c in ROAD_ORDER else 0):
        n = drawn["roads"][c]
        if c == "planned":
            entries.append((pick(f"规划道路（{n:,}段）", f"Planned roads ({n:,})", lang), "line",
                            {"colour": "#7D7D7D", "width": 0.8, "ls": (0, (3, 2))}))
            continue
        colour, width = road_style(c)
        entries.append((pick(f"{road_class_title(c, 'zh')}（{n:,}段）", f"{road_class_title(c, 'en')} ({n:,})", lang),
                        "line", {"colour": colour, "width": width}))
    if drawn.get("buildings"):
        n = drawn["buildings"]
        entries.append((pick(f"现状建筑（{n:,}栋）", f"Buildings ({n:,})", lang), "fill",
                        {"face": BASE["buildings"], "edge": BASE["buildings_outline"], "lw": 0.3}))
    if drawn.get("parcels"):
        n = drawn["parcels"]
        entries.append((pick(f"地块（{n:,}块）", f"Parcels ({n:,})", lang), "fill",
                        {"face": "none", "edge": BASE["parcels"], "lw": 0.5}))
    if drawn.get("water"):
        entries.append((pick("水系", "Water", lang), "fill", {"face": BASE["water"], "edge": BASE["water_outline"]}))
    if drawn.get("study_area"):
        entries.append((pick("研究范围", "Study area", lang), "line",
                        {"colour": BASE["study_area"], "width": 1.1, "ls": (0, (6, 1.5, 1, 1.5))}))
    bottom = _legend(page, entries, H - 80, lang)
    key_rows = task["key_rows"]
    if key_rows:
        _key_table(page, key_rows, bottom - 2, 12 + 8 * 5.6 + 4, lang, note=note)
    elif note:
        page.paper.text(PANEL_X, bottom - 3, _wrapped_literal(note), fontsize=6.5, va="top", color="#444444", wrap=True)
    _title_block(page, {**task["info"], "sheet_title": task["sheet_title"], "number": task["number"]}, lang)

    written = []
    out_dir = Path(task["out_dir"])
    for suffix in (".png", ".pdf"):
        target = out_dir / f"{task['stem']}{suffix}"
        with atomic_path(target) as tmp:
            if suffix == ".png":   # the figure is at the sheet's dpi: its canvas is the PNG
                page.fig.canvas.draw()
                _write_png(tmp, np.asarray(page.fig.canvas.buffer_rgba()), DPI)  # type: ignore[attr-defined]
            else:
                with _quick_font_subsets(), _pdf_image_cache():
                    page.fig.savefig(tmp, format="pdf", dpi=DPI)
        written.append(str(target))
    plt.close(page.fig)
    return {"stem": task["stem"], "files": written, "callouts": callouts, "legend": [e[0] for e in entries],
            "extent": page.extent, "scale": page.scale, "map_box_px": page.pixel_box((0, 0, MAP_BOX[2], MAP_BOX[3])),
            "road_names": road_names, "types": {str(k): int(v) for k, v in (counts.items() if len(shown_in) else [])},
            "number": task["number"], "title": {"lines": lines, "foot_mm": foot_mm, "subtitle_top_mm": subtitle_top},
            "elsewhere_numbers": small}


def _morton(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Z-order of points (16 bits a coordinate): nearby points get nearby numbers."""
    def spread(v):
        v = v.astype(np.uint64)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    def norm(v):
        span = np.ptp(v) or 1.0
        return ((v - v.min()) / span * 65535).astype(np.uint64)

    return spread(norm(x)) | (spread(norm(y)) << np.uint64(1))


def plan_sheets(base: SheetBase, projects, *, title: str, info: dict, lang: str = "zh",
                which: list[str] | None = None, prefix: str = "", key_capacity: int = KEY_CAPACITY) -> list[dict]:
    """The sheets to draw (one task each): the overview, then each project type on one sheet,
    or on several zoomed sheets when its projects do not fit one key table."""
    full_extent, full_scale = fit_extent(base.bounds, MAP_BOX[2], MAP_BOX[3], margin=base.margin)
    slim_cols = [c for c in ("project_id", "name", "type", "priority_rank", "priority_score", "estimated_cost")
                 if c in projects.columns]
    slim = projects[[*slim_cols, projects.geometry.name]] if len(projects) else projects
    if "priority_rank" in slim and len(slim):
        slim = slim.sort_values("priority_rank")
    present = list(dict.fromkeys(slim["type"].tolist())) if len(slim) else []
    present.sort(key=lambda t: list(TYPE_COLOURS).index(t) if t in TYPE_COLOURS else 99)
    tasks: list[dict] = []
    cost_total = float(slim["estimated_cost"].sum()) if len(slim) else 0.0

    def subtitle(n: int, cost: float) -> str:
        return pick(f"项目 {n:,} 个，估算投资 {cost:,.0f} 万元", f"{n:,} projects, estimated cost {cost:,.0f} (10k yuan)",
                    lang)

    empty = slim.iloc[0:0]
    tasks.append({"name": "overview", "stem": "overview", "extent": full_extent, "scale": full_scale,
                  "projects": slim, "focus": empty, "labelled": empty, "numbers": [], "key_rows": [],
                  "sheet_title": pick(f"{title} 更新项目总图", f"{title}: renewal projects, overview", lang),
                  "subtitle": subtitle(len(slim), cost_total),
                  "note": pick("各项目的编号与名称见分类图和项目图集。", "Project numbers and names: see the sheets by type "
                               "and the atlas.", lang)})
    for t in present:
        mine = slim[slim["type"] == t]
        cost = float(mine["estimated_cost"].sum())
        label = type_title(t, lang)
        numbers = [str(i + 1) for i in range(len(mine))]
        rows = [(n, str(name), f"{c:,.0f}") for n, name, c in zip(numbers, mine["name"], mine["estimated_cost"],
                                                                    strict=True)]
        if len(mine) <= key_capacity or len(mine) > key_capacity * MAX_PAGES_PER_TYPE:
            extent, scale = full_extent, full_scale
            labelled, nums, key = mine, numbers, rows
            note = ""
            if len(mine) > key_capacity:
                labelled, nums, key = mine.iloc[:key_capacity], numbers[:key_capacity], rows[:key_capacity]
                note = pick(f"图上编号优先级最高的 {key_capacity} 个项目；其余 {len(mine) - key_capacity:,} 个见项目图集与项目清单。",
                            f"The {key_capacity} highest-priority projects are numbered; the other "
                            f"{len(mine) - key_capacity:,} are in the atlas and the workbook.", lang)
            tasks.append({"name": t, "stem": t, "extent": extent, "scale": scale, "projects": slim, "focus": mine,
                          "labelled": labelled, "numbers": nums, "key_rows": key, "note": note,
                          "sheet_title": f"{title} — {label}", "subtitle": subtitle(len(mine), cost)})
            continue
        # several sheets, each a compact group of the type's projects (in Z-order)
        pts = shapely.point_on_surface(mine.geometry.values)
        order = np.argsort(_morton(shapely.get_x(pts), shapely.get_y(pts)), kind="stable")
        n_pages = math.ceil(len(mine) / key_capacity)
        groups = np.array_split(order, n_pages)
        page_of = np.empty(len(mine), dtype=int)
        for k, g in enumerate(groups):
            page_of[g] = k
        type_ids = mine["project_id"].astype(str).to_numpy()
        for k, g in enumerate(groups):
            g = np.sort(g)  # rank order inside the group
            away = np.flatnonzero(page_of != k)
            part = mine.iloc[g]
            ext, sc = fit_extent(shapely.total_bounds(part.geometry.values), MAP_BOX[2], MAP_BOX[3], margin=0.08,
                                 min_span_m=300)
            tasks.append({"name": t, "stem": t if k == 0 else f"{t}-{k + 1}", "extent": ext, "scale": sc,
                          "projects": slim, "focus": mine, "labelled": part, "numbers": [numbers[i] for i in g],
                          "key_rows": [rows[i] for i in g], "note": "",
                          # the type's projects numbered on its other sheets (small numbers here)
                          "elsewhere": {"ids": type_ids[away], "numbers": [numbers[i] for i in away],
                                        "pages": (page_of[away] + 1).tolist(), "n_pages": n_pages},
                          "sheet_title": f"{title} — {label}（{k + 1}/{n_pages}）" if lang == "zh"
                          else f"{title} — {label} ({k + 1}/{n_pages})",
                          "subtitle": subtitle(len(mine), cost)})
    if which is not None:
        tasks = [t for t in tasks if t["name"] in which]
    width = max(2, len(str(len(tasks))))
    for i, task in enumerate(tasks):
        task["number"] = f"{prefix}{'-' if prefix else ''}{str(i + 1).zfill(width)}"
        task["info"] = info
        task["lang"] = lang
    return tasks


def write_sheets(out_dir: Path, base: SheetBase, projects, *, title: str, info: dict, lang: str = "zh",
                 which: list[str] | None = None, workers: int | None = None, start_method: str | None = None,
                 prefix: str = "", key_capacity: int = KEY_CAPACITY) -> list[dict]:
    """Draw the overview and the sheets by project type (or those in ``which``) into
    ``out_dir``; returns one record per sheet (files, callouts in PNG pixels, legend, scale).

    ``info``: project, organisation, date, crs, as_of, attribution (title block). Sheets are drawn
    in worker processes (``workers`` defaults to the core count where the platform forks
    cheaply, 1 elsewhere); pass ``workers=1`` or ``start_method="spawn"`` from a GUI."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = plan_sheets(base, projects, title=title, info=info, lang=lang, which=which, prefix=prefix,
                        key_capacity=key_capacity)
    for t in tasks:
        t["out_dir"] = str(out_dir)
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    workers = workers if workers is not None else (min(os.cpu_count() or 1, 4) if can_fork else 1)
    try:
        if start_method != "spawn":   # forked workers inherit them; spawned ones would not
            # a large city's base is a raster at these scales anyway: drawn once for the sheets near each other
            _WORKER["base_images"] = _shared_bases(base, tasks, lang)
            _prepare_locator(base, lang)
        if start_method == "spawn" or (workers > 1 and len(tasks) > 1):
            ctx = multiprocessing.get_context(start_method or "fork")
            shared = _share_frames(tasks) if ctx.get_start_method() == "fork" else tasks
            with ProcessPoolExecutor(max_workers=max(min(workers, len(tasks)), 1), mp_context=ctx,
                                     initializer=_init_worker, initargs=(base,)) as pool:
                return list(pool.map(_render, shared))
        _init_worker(base)
        return [_render(t) for t in tasks]
    finally:
        _WORKER.pop("base_images", None)
        _WORKER.pop("frames", None)
        _PDF_IMAGES.clear()
        _LOCATORS.clear()


# ---------------------------------------------------------------------------------------------
# Atlas: one A4 page per project (zoomed map and a table of its key fields), in one PDF

A4_MM = (297.0, 210.0)
ATLAS_MAP = (10.0, 10.0, 178.0, 176.0)
ATLAS_PANEL_X = 194.0


def _atlas_rows(p, lang: str) -> list[tuple[str, str]]:
    from planner.export.terms import cost_basis, word

    def num(v, digits=0):
        try:
            f = float(v)
        except (TypeError, ValueError):
            return ""
        return "" if not np.isfinite(f) else f"{f:,.{digits}f}"

    qty = f"{num(p.get('quantity'), 1 if float(p.get('quantity') or 0) % 1 else 0)} {word(p.get('unit') or '', lang)}"
    rows = [(pick("项目编号", "Project id", lang), str(p.get("project_id", ""))),
            (pick("项目类型", "Type", lang), type_title(p.get("type", ""), lang)),
            (pick("子类", "Class", lang), word(p.get("subtype") or "", lang) if p.get("subtype") else ""),
            (pick("所在片区", "District", lang), str(p.get("district") or "")),
            (pick("工程量", "Quantity", lang), qty.strip()),
            (pick("估算投资（万元）", "Cost (10k yuan)", lang), num(p.get("estimated_cost"), 2)),
            (pick("优先级得分", "Priority score", lang), num(p.get("priority_score"), 1)),
            (pick("优先次序", "Rank", lang), num(p.get("priority_rank"))),
            (pick("实施阶段", "Phase", lang), str(p.get("phase") or "")),
            (pick("状态", "Status", lang), word(p.get("status") or "", lang)),
            (pick("涉及建筑", "Buildings", lang), num(p.get("buildings"))),
            (pick("户数", "Households", lang), num(p.get("households"))),
            (pick("建筑面积（m²）", "Floor area (m²)", lang), num(p.get("floor_area_m2"))),
            (pick("用地面积（m²）", "Parcel area (m²)", lang), num(p.get("parcel_area_m2"))),
            (pick("道路长度（m）", "Road length (m)", lang), num(p.get("road_length_m"))),
            (pick("涵盖标记", "Flags", lang), num(p.get("flag_count"))),
            (pick("估算依据", "Cost source", lang), cost_basis(p.get("cost_basis"), lang))]
    return [(k, v) for k, v in rows if v not in ("", "0", "0.00")]


def _draw_atlas_page(pdf, base: SheetBase, project, others, info: dict, number: str, lang: str) -> None:
    import matplotlib.pyplot as plt

    geom = project.geometry
    ext, scale = fit_extent(shapely.bounds(geom), ATLAS_MAP[2], ATLAS_MAP[3], margin=0.15, min_span_m=250)
    page = _Page(ext, scale, map_box=ATLAS_MAP, size_mm=A4_MM)
    _draw_base(page, base, lang)
    near = others.iloc[shapely.intersects(others.geometry.values, shapely.box(*ext)).nonzero()[0]]
    _draw_projects(page, near, muted=True, zorder=4.5)
    import geopandas as gpd

    one = gpd.GeoDataFrame({"type": [project["type"]], "project_id": [project["project_id"]]},
                           geometry=[geom], crs=others.crs)
    _draw_projects(page, one, zorder=5.0)
    _place_district_names(page, base)
    _place_road_names(page, base, limit=8)
    _north_arrow(page, lang)
    _scale_bar(page, lang)
    W, H = A4_MM
    x = ATLAS_PANEL_X
    title = str(project.get("name", ""))
    size = 12.0
    while _text_mm(title, size) > W - x - 8 and size > 7:
        size -= 0.5
    page.paper.text(x, H - 10, title, fontsize=size, va="top")
    page.paper.text(x, H - 17, info["project"], fontsize=7, va="top", color="#444444")
    # the table as two text blocks (one per column): a page draws in a fraction of the time
    rows = _atlas_rows(project, lang)
    values = []
    for _k, v in rows:
        text = v
        while _text_mm(text, 7.2) > W - x - 34 and len(text) > 2:
            text = text[:-2] + "…"
        values.append(text)
    top = H - 25
    page.paper.text(x, top, "\n".join(k for k, _ in rows), fontsize=7.2, va="top", color="#333333", linespacing=1.9)
    page.paper.text(x + 27, top, "\n".join(values), fontsize=7.2, va="top", linespacing=1.9)
    block = [(pick("编制单位", "Prepared by", lang), info["organisation"] or pick("（未填写）", "(not given)", lang)),
             (pick("编制日期", "Date", lang), info["date"]), (pick("图号", "Sheet no.", lang), number),
             (pick("比例", "Scale", lang), f"1:{scale:,}"), (pick("坐标系", "CRS", lang), info["crs"]),
             (pick("数据截至", "Data as of", lang), info["as_of"])]
    by = 10.0
    texts = []
    for _k, v in block:
        text = str(v)
        while _text_mm(text, 6.5) > W - x - 30 and len(text) > 2:
            text = text[:-2] + "…"
        texts.append(text)
    page.paper.text(x + 1, by + 5 * len(block) - 1, "\n".join(k for k, _ in block), fontsize=6.5, va="top",
                    color="#333333", linespacing=1.75)
    page.paper.text(x + 22, by + 5 * len(block) - 1, "\n".join(texts), fontsize=6.5, va="top", linespacing=1.75)
    page.paper.plot([x, W - 8, W - 8, x, x], [by, by, by + 5 * len(block), by + 5 * len(block), by], color="#111111",
                    lw=0.8)
    pdf.savefig(page.fig)
    plt.close(page.fig)


def _render_atlas(task: dict) -> str:
    """Draw a run of atlas pages into one PDF (in a worker process)."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    use_cjk_font_in_matplotlib()
    base = _WORKER["base"]
    projects, others = task["projects"], task["others"]
    with plt.rc_context({"text.parse_math": False, "pdf.fonttype": 42}), PdfPages(task["path"]) as pdf:
        for i in range(len(projects)):
            _draw_atlas_page(pdf, base, projects.iloc[i], others, task["info"], task["numbers"][i], task["lang"])
    return task["path"]


def write_atlas(path: Path, base: SheetBase, projects, *, info: dict, lang: str = "zh", prefix: str = "",
                workers: int | None = None, start_method: str | None = None) -> Path | None:
    """The project atlas: one A4 landscape page per project, in rank order, in one PDF, written
    directly (``planner.export.atlas``: the base map as shared tiles, pages in worker processes)."""
    from planner.export.atlas import write_atlas_pdf

    return write_atlas_pdf(path, base, projects, info=info, lang=lang, prefix=prefix, workers=workers,
                           start_method=start_method)


def _write_atlas_matplotlib(path: Path, base: SheetBase, projects, *, info: dict, lang: str = "zh", prefix: str = "",
                            workers: int | None = None, start_method: str | None = None) -> Path | None:
    """The project atlas: one A4 landscape page per project, in rank order, in one PDF; pages
    are drawn in worker processes (each a run of pages) and joined."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    if projects is None or len(projects) == 0:
        return None
    ordered = projects.sort_values("priority_rank") if "priority_rank" in projects else projects
    cols = [c for c in ("project_id", "name", "type", "subtype", "district", "quantity", "unit", "estimated_cost",
                        "priority_score", "priority_rank", "phase", "status", "buildings", "households",
                        "floor_area_m2", "parcel_area_m2", "road_length_m", "flag_count", "cost_basis")
            if c in ordered.columns]
    ordered = ordered[[*cols, ordered.geometry.name]]
    others = ordered[["project_id", "type", ordered.geometry.name]]
    numbers = [f"{prefix}{'-' if prefix else ''}A{str(i + 1).zfill(len(str(len(ordered))))}" for i in range(len(ordered))]
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    workers = workers if workers is not None else (min(os.cpu_count() or 1, 4) if can_fork else 1)
    n_parts = max(1, min(workers * 2, len(ordered) // 20 or 1))
    bounds = np.linspace(0, len(ordered), n_parts + 1).astype(int)
    path.parent.mkdir(parents=True, exist_ok=True)
    tasks = [{"projects": ordered.iloc[a:b], "others": others, "info": info, "lang": lang, "numbers": numbers[a:b],
              "path": str(path.with_name(f".{path.stem}-{k}.pdf"))} for k, (a, b) in enumerate(zip(bounds[:-1],
                                                                                                   bounds[1:],
                                                                                                   strict=True))]
    if start_method == "spawn" or (workers > 1 and len(tasks) > 1):
        ctx = multiprocessing.get_context(start_method or "fork")
        with ProcessPoolExecutor(max_workers=max(min(workers, len(tasks)), 1), mp_context=ctx,
                                 initializer=_init_worker, initargs=(base,)) as pool:
            parts = list(pool.map(_render_atlas, tasks))
    else:
        _init_worker(base)
        parts = [_render_atlas(t) for t in tasks]
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(part)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            writer.write(fh)
    for part in parts:
        Path(part).unlink(missing_ok=True)
    return path
