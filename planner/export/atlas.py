"""The project atlas written as PDF directly: one A4 landscape page per project, in rank order.

Each page is the project's zoomed map over the base map (water, buildings, parcels, roads by
class with their names, the study area and district names, the other projects muted), a
panel of its key fields and the title block -- the page the matplotlib atlas drew, written
without a plotting library so that a city's 14,000 projects take seconds, not hours:

- The base map is cut into square tiles per map scale (``TILE_MM`` on paper), each written
  once as a PDF Form XObject and referenced by every page that shows it (a page places the
  tiles under its map frame and clips to the frame). Line widths are paper widths, so tiles
  belong to one scale; page scales are the usual ones (1:2,000, 1:2,500 ...), so a city's
  pages share a few tile sets. Tiles overlap by half a millimetre (opaque drawing only), so
  no seam shows where a viewer antialiases a tile's edge.
- Coordinates are formatted in bulk with numpy (fixed-width integers in 1/40 mm); nothing
  loops over features in Python.
- Per page only the project, the muted projects around it, the labels (district and road
  names placed without collisions), the north arrow, scale bar, panel and title block.
- One CJK font (the bundled Noto Sans SC subset) embedded once as a CID TrueType font,
  subset to the glyphs used (glyph ids kept, so pages written in different processes agree),
  with a ToUnicode map: the text is searchable and extractable.
- Tiles and pages are written in worker processes (fork: the base map is inherited, not
  copied); the parent numbers the objects and writes the file.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.export.styles import BASE, TYPE_COLOURS, road_style
from planner.export.terms import pick

A4_MM = (297.0, 210.0)
ATLAS_MAP = (10.0, 10.0, 178.0, 176.0)   # x, y, width, height of the map frame (mm)
ATLAS_PANEL_X = 194.0
TILE_MM = 60.0                          # a base-map tile's side on paper
OVERLAP_MM = 0.5                        # tiles overlap by this much (no antialiasing seams)
UNIT = 40                               # path coordinates in 1/40 mm
PT = 72 / 25.4                          # points per millimetre
MM_PER_PT = 25.4 / 72
ROAD_ORDER = ("path", "service", "local", "other", "collector", "arterial", "expressway")
NICE_SCALES = np.array(sorted({int(m * 10 ** k) for k in range(2, 7) for m in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5)}),
                       dtype=np.int64)
PAGES_PER_TASK = 400
TILES_PER_TASK = 1500
COMPRESSION = 3                          # zlib level of the streams (fast; the file is mostly paths)


# ---------------------------------------------------------------------------------------------
# Small PDF helpers


@lru_cache(maxsize=256)
def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return " ".join(f"{int(h[i:i + 2], 16) / 255:.3f}".rstrip("0").rstrip(".") or "0" for i in (0, 2, 4))


def _f(v: float) -> str:
    """A number as PDF writes it (three decimals)."""
    return f"{v:.3f}"


def _digits(v: np.ndarray, width: int) -> np.ndarray:
    """Integers as fixed-width ASCII (sign or space, then zero-padded digits): (n, width) uint8."""
    out = np.empty((len(v), width), dtype=np.uint8)
    out[:, 0] = np.where(v < 0, 45, 32)
    a = np.abs(v)
    for k in range(width - 1, 0, -1):
        out[:, k] = (a % 10 + 48).astype(np.uint8)
        a = a // 10
    return out


def _path_bytes(xy: np.ndarray, first: np.ndarray, close: bool = False) -> np.ndarray:
    """Path operators for vertices ``xy`` (n x 2, path units) where ``first`` starts a subpath:
    'x y m' / 'x y l' rows as a (n, row) uint8 array (rows of one width: bulk slicing)."""
    v = np.rint(xy).astype(np.int64)
    if len(v) == 0:
        return np.zeros((0, 8), dtype=np.uint8)
    width = len(str(int(np.abs(v).max()))) + 1
    rows = np.empty((len(v), 2 * width + 4), dtype=np.uint8)
    rows[:, :width] = _digits(v[:, 0], width)
    rows[:, width] = 32
    rows[:, width + 1:2 * width + 1] = _digits(v[:, 1], width)
    rows[:, 2 * width + 1] = 32
    rows[:, 2 * width + 2] = np.where(first, ord("m"), ord("l"))
    rows[:, 2 * width + 3] = 10
    return rows


_STAND_INS = {"©": "(c)", "®": "(R)", "™": "TM"}   # for characters the bundled font lacks


class PdfFont:
    """The bundled CJK TrueType font: glyph ids and advance widths for text, and the objects
    that embed it (subset to the glyphs used, ids kept)."""

    def __init__(self, path: Path):
        from fontTools.ttLib import TTFont

        self.path = path
        font = TTFont(str(path), lazy=True)
        order = font.getGlyphOrder()
        gid = {name: i for i, name in enumerate(order)}
        upm = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        self.advance = np.array([metrics[n][0] for n in order], dtype=float) / upm
        self._advances: list[float] = self.advance.tolist()   # summed in Python: short texts, many of them
        self.cmap = {cp: gid[n] for cp, n in font.getBestCmap().items()}
        self.unicode_of: dict[int, int] = {}
        for cp, g in sorted(self.cmap.items(), reverse=True):
            self.unicode_of[g] = cp
        head, hhea = font["head"], font["hhea"]
        self.bbox = [int(v * 1000 / upm) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.ascent, self.descent = int(hhea.ascent * 1000 / upm), int(hhea.descent * 1000 / upm)
        self.cap_height = int(getattr(font["OS/2"], "sCapHeight", 700) * 1000 / upm)
        self.name = str(font["name"].getDebugName(6) or "NotoSansSC").replace(" ", "")
        self.used: set[int] = set()
        self._cache: dict[str, tuple[str, float, tuple[int, ...]]] = {}

    def encode(self, text: str) -> tuple[str, float]:
        """(hex glyph string, width in em) of ``text``; a character the font lacks is notdef.
        Its glyphs join ``used`` at every call, a remembered text's too: a worker that measured
        or drew a text for an earlier batch of pages (or inherited the font with it) still
        embeds its glyphs in this batch (before, a glyph could be left out of the subset and
        its text map: a blank in the page and a wrong character when the text was copied)."""
        hit = self._cache.get(text)
        if hit is None:
            gids = self._gids(text)
            adv = self._advances
            hit = ("".join([f"{g:04X}" for g in gids]), float(sum([adv[g] for g in gids])), gids)
            self._cache[text] = hit
        self.used.update(hit[2])
        return hit[0], hit[1]

    def cmap_ids(self, text: str) -> tuple[int, ...]:
        """The glyph ids of ``text`` (encoded once)."""
        hit = self._cache.get(text)
        return hit[2] if hit is not None else self._gids(text)

    def _gids(self, text: str) -> tuple[int, ...]:
        """Glyph ids of ``text``; a character the font lacks is written as its stand-in (©
        as "(c)": the bundled font holds GBK, which has no ©, and a licence notice drawn with a
        box in it is not a notice) or its base letter, else notdef."""
        cmap = self.cmap
        if all(ord(ch) in cmap for ch in text):
            return tuple(cmap[ord(ch)] for ch in text)
        out: list[int] = []
        for ch in text:
            g = cmap.get(ord(ch))
            if g is not None:
                out.append(g)
                continue
            stand_in = _STAND_INS.get(ch) or "".join(c for c in unicodedata.normalize("NFKD", ch)
                                                      if not unicodedata.combining(c))
            if stand_in and stand_in != ch and all(ord(c) in cmap for c in stand_in):
                out.extend(cmap[ord(c)] for c in stand_in)
            else:
                out.append(0)
        return tuple(out)

    def width_mm(self, text: str, size_pt: float) -> float:
        return self.encode(text)[1] * size_pt * MM_PER_PT

    def objects(self, used: Iterable[int], first_id: int) -> tuple[list[bytes], int]:
        """The font's objects (Type0, CIDFontType2, descriptor, subset file, ToUnicode) numbered
        from ``first_id``; returns them and the id of the Type0 font."""
        gids = sorted({0, *used})
        data = subset_truetype(self.path.read_bytes(), set(gids))
        # the subset's tag: six capitals of its own (the PDF rule; readers may cache fonts by name)
        digest = hashlib.sha256(",".join(map(str, gids)).encode()).digest()
        tag = "".join(chr(65 + b % 26) for b in digest[:6]) + "+"
        i_type0, i_cid, i_desc, i_file, i_map = range(first_id, first_id + 5)
        widths = " ".join(f"{g} [{int(round(self.advance[g] * 1000))}]" for g in gids)
        type0 = (f"<< /Type /Font /Subtype /Type0 /BaseFont /{tag}{self.name} /Encoding /Identity-H "
                 f"/DescendantFonts [{i_cid} 0 R] /ToUnicode {i_map} 0 R >>").encode()
        cid = (f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{tag}{self.name} /CIDSystemInfo << /Registry (Adobe) "
               f"/Ordering (Identity) /Supplement 0 >> /FontDescriptor {i_desc} 0 R /CIDToGIDMap /Identity "
               f"/DW 1000 /W [{widths}] >>").encode()
        desc = (f"<< /Type /FontDescriptor /FontName /{tag}{self.name} /Flags 4 /FontBBox [{' '.join(map(str, self.bbox))}] "
                f"/ItalicAngle 0 /Ascent {self.ascent} /Descent {self.descent} /CapHeight {self.cap_height} "
                f"/StemV 80 /FontFile2 {i_file} 0 R >>").encode()
        file_obj = _stream(data, extra=f"/Length1 {len(data)}")
        pairs = [(g, self.unicode_of[g]) for g in gids if g in self.unicode_of]
        lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
                 "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
                 "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def", "1 begincodespacerange", "<0000> <FFFF>",
                 "endcodespacerange"]
        for k in range(0, len(pairs), 100):
            block = pairs[k:k + 100]
            lines.append(f"{len(block)} beginbfchar")
            lines.extend(f"<{g:04X}> <{_utf16(cp)}>" for g, cp in block)
            lines.append("endbfchar")
        lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
        cmap = _stream("\n".join(lines).encode())
        return [type0, cid, desc, file_obj, cmap], i_type0


def subset_truetype(data: bytes, gids: set[int]) -> bytes:
    """A TrueType font with only the outlines of ``gids`` (and the components of composite
    glyphs); glyph ids are kept, so text encoded against the whole font stays valid. Only the
    tables a PDF viewer reads are kept (head, hhea, hmtx, maxp, loca, glyf, cvt, fpgm, prep)."""
    import struct

    n_tables = struct.unpack(">H", data[4:6])[0]
    tables: dict[str, bytes] = {}
    for k in range(n_tables):
        tag, _, off, length = struct.unpack(">4sIII", data[12 + 16 * k:28 + 16 * k])
        tables[tag.decode("latin-1")] = data[off:off + length]
    head = bytearray(tables["head"])
    n_glyphs = struct.unpack(">H", tables["maxp"][4:6])[0]
    long_loca = struct.unpack(">h", bytes(head[50:52]))[0] == 1
    loca = np.frombuffer(tables["loca"], dtype=">u4" if long_loca else ">u2").astype(np.int64)
    if not long_loca:
        loca = loca * 2
    glyf = tables["glyf"]
    keep: set[int] = set()
    todo = [g for g in gids if 0 <= g < n_glyphs]
    while todo:
        g = todo.pop()
        if g in keep:
            continue
        keep.add(g)
        a, b = int(loca[g]), int(loca[g + 1])
        if b - a >= 10 and struct.unpack(">h", glyf[a:a + 2])[0] < 0:   # composite: its components too
            pos = a + 10
            while True:
                flags, comp = struct.unpack(">HH", glyf[pos:pos + 4])
                todo.append(comp)
                pos += 4 + (4 if flags & 0x0001 else 2)
                pos += 8 if flags & 0x0080 else 4 if flags & 0x0040 else 2 if flags & 0x0008 else 0
                if not flags & 0x0020:
                    break
    pieces, offsets, pos = [], [0], 0
    for g in range(n_glyphs):
        if g in keep:
            piece = glyf[int(loca[g]):int(loca[g + 1])]
            piece += b"\0" * (-len(piece) % 4)
            pieces.append(piece)
            pos += len(piece)
        offsets.append(pos)
    head[8:12] = b"\0\0\0\0"
    head[50:52] = struct.pack(">h", 1)
    out_tables = {"head": bytes(head), "glyf": b"".join(pieces),
                  "loca": np.asarray(offsets, dtype=">u4").tobytes()}
    for tag in ("hhea", "hmtx", "maxp", "cvt ", "fpgm", "prep", "OS/2"):
        if tag in tables:
            out_tables[tag] = tables[tag]
    tags = sorted(out_tables)
    n = len(tags)
    power = 1 << (n.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, n, power * 16, power.bit_length() - 1, n * 16 - power * 16)
    offset = 12 + 16 * n
    records, bodies = [], []
    for tag in tags:
        body = out_tables[tag]
        padded = body + b"\0" * (-len(body) % 4)
        checksum = int(np.frombuffer(padded, dtype=">u4").astype(np.uint64).sum() & 0xFFFFFFFF)
        records.append(struct.pack(">4sIII", tag.encode("latin-1"), checksum, offset, len(body)))
        bodies.append(padded)
        offset += len(padded)
    font = bytearray(header + b"".join(records) + b"".join(bodies))
    total = int(np.frombuffer(bytes(font), dtype=">u4").astype(np.uint64).sum() & 0xFFFFFFFF)
    at = 12 + 16 * n + sum(len(b) for t, b in zip(tags, bodies, strict=True) if t < "head")
    font[at + 8:at + 12] = struct.pack(">I", (0xB1B0AFBA - total) & 0xFFFFFFFF)
    return bytes(font)


def _utf16(cp: int) -> str:
    return chr(cp).encode("utf-16-be").hex().upper()


def _stream(data: bytes, *, extra: str = "", compressed: bool = False) -> bytes:
    """A stream object's body; ``data`` is compressed here unless it already is."""
    body = data if compressed else zlib.compress(data, COMPRESSION)
    return b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(body), extra.encode()) + body + \
        b"\nendstream"


# ---------------------------------------------------------------------------------------------
# The base map as parts (rings and lines) with their coordinates, for bulk tile writing


@dataclass
class _Parts:
    """Parts of a layer (polygon exterior rings or lines) with their vertices in one array."""

    geoms: np.ndarray
    coords: np.ndarray
    offsets: np.ndarray
    attrs: dict[str, np.ndarray] = field(default_factory=dict)
    tree: Any = None

    @classmethod
    def of(cls, geoms: np.ndarray, *, lines: bool, attrs: dict[str, np.ndarray] | None = None,
           tree: Any = None) -> _Parts:
        """``tree``: an STRtree of ``geoms`` already made (the sheets' base), used where the parts
        are ``geoms`` themselves."""
        geoms = np.asarray(geoms, dtype=object)
        if len(geoms) == 0:
            return cls(np.zeros(0, dtype=object), np.zeros((0, 2)), np.zeros(1, dtype=np.int64))
        kind = shapely.get_type_id(geoms)
        if (not lines and (kind == 3).all()) or (lines and ((kind == 1) | (kind == 2)).all()):
            # single parts already (the usual buildings or road segments): no copies
            if not lines and shapely.get_num_interior_rings(geoms).any():
                geoms = shapely.get_exterior_ring(geoms)
                tree = None
            coords, cidx = shapely.get_coordinates(geoms, return_index=True)
            offsets = np.searchsorted(cidx, np.arange(len(geoms) + 1)).astype(np.int64)
            return cls(geoms, coords, offsets, {k: np.asarray(v) for k, v in (attrs or {}).items()}, tree)
        parts, idx = shapely.get_parts(geoms, return_index=True)
        kind = shapely.get_type_id(parts)
        if lines:
            poly = kind == 3
            if poly.any():
                rings, ridx = shapely.get_parts(shapely.boundary(parts[poly]), return_index=True)
                parts = np.concatenate([parts[~poly], rings])
                idx = np.concatenate([idx[~poly], idx[poly][ridx]])
                kind = shapely.get_type_id(parts)
            keep = (kind == 1) | (kind == 2)
        else:
            keep = kind == 3
        parts, idx = parts[keep], idx[keep]
        if not lines:
            parts = shapely.get_exterior_ring(parts)
        order = np.argsort(idx, kind="stable")
        parts, idx = parts[order], idx[order]
        coords, cidx = shapely.get_coordinates(parts, return_index=True)
        offsets = np.searchsorted(cidx, np.arange(len(parts) + 1)).astype(np.int64)
        sub = {k: np.asarray(v)[idx] for k, v in (attrs or {}).items()}
        return cls(parts, coords, offsets, sub)

    def index(self) -> Any:
        if self.tree is None:
            self.tree = shapely.STRtree(self.geoms)
        return self.tree

    def query(self, boxes: np.ndarray, *, exact: bool) -> tuple[np.ndarray, np.ndarray]:
        """(box index, part index) of the parts meeting each box, in (box, part) order."""
        if len(self.geoms) == 0 or len(boxes) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        q = self.index().query(boxes, predicate="intersects" if exact else None)
        order = np.lexsort((q[1], q[0]))
        return q[0][order].astype(np.int64), q[1][order].astype(np.int64)


def _gather(parts: _Parts, bi: np.ndarray, pi: np.ndarray, boxes: np.ndarray, long_m: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices of parts ``pi`` for boxes ``bi``: (box of each vertex, xy, starts a subpath).
    Parts much longer than a tile are clipped to their (padded) box first, so that path
    coordinates stay small."""
    if len(pi) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2)), np.zeros(0, dtype=bool)
    b = shapely.bounds(parts.geoms[pi])
    big = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) > long_m
    out_b, out_xy, out_first = [], [], []
    s_bi, s_pi = bi[~big], pi[~big]
    if len(s_pi):
        n = parts.offsets[s_pi + 1] - parts.offsets[s_pi]
        starts = np.cumsum(n) - n
        v = np.repeat(parts.offsets[s_pi] - starts, n) + np.arange(int(n.sum()))
        first = np.zeros(len(v), dtype=bool)
        first[starts[n > 0]] = True
        out_b.append(np.repeat(s_bi, n))
        out_xy.append(parts.coords[v])
        out_first.append(first)
    if big.any():
        clipped = shapely.intersection(parts.geoms[pi[big]], boxes[bi[big]])
        sub, sidx = shapely.get_parts(clipped, return_index=True)
        kind = shapely.get_type_id(sub)
        keep = (kind == 1) | (kind == 2)
        sub, sidx = sub[keep], sidx[keep]
        if len(sub):
            xy, cidx = shapely.get_coordinates(sub, return_index=True)
            first = np.r_[True, cidx[1:] != cidx[:-1]]
            out_b.append(bi[big][sidx][cidx])
            out_xy.append(xy)
            out_first.append(first)
    if not out_b:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2)), np.zeros(0, dtype=bool)
    tb = np.concatenate(out_b)
    order = np.argsort(tb, kind="stable")
    return tb[order], np.concatenate(out_xy)[order], np.concatenate(out_first)[order]


class AtlasBase:
    """The base map of the atlas: the sheet base's layers as parts, ready for bulk tile writing."""

    def __init__(self, base: Any, projects: np.ndarray | None = None):
        self.sheet = base
        # every project as context, muted (a page draws its own project over it in colour)
        self.projects = _Parts.of(projects if projects is not None else np.zeros(0, dtype=object), lines=True)
        # the sheets' spatial indexes where they were made (a city's million buildings: a second
        # STRtree was a second or two before the first page)
        self.water = _Parts.of(base.water.geoms, lines=False, tree=getattr(base.water, "_tree", None))
        self.buildings = _Parts.of(base.buildings.geoms, lines=False, tree=getattr(base.buildings, "_tree", None))
        self.parcels = _Parts.of(base.parcels.geoms, lines=True)
        roads = base.roads
        attrs = {"class": np.asarray(roads.attrs.get("class", np.full(len(roads.geoms), "other", dtype=object))),
                 "planned": np.asarray(roads.attrs.get("planned", np.zeros(len(roads.geoms), dtype=bool)))}
        self.roads = _Parts.of(roads.geoms, lines=True, attrs=attrs, tree=getattr(roads, "_tree", None))
        self.study = _Parts.of(np.array([base.study_area]) if base.study_area is not None else np.zeros(0, dtype=object),
                               lines=True)
        self.districts = _Parts.of(base.boundary.geoms if len(base.boundary.geoms) > 1 else np.zeros(0, dtype=object),
                                   lines=True)
        for layer in (self.water, self.buildings, self.parcels, self.roads, self.study, self.districts, self.projects):
            if len(layer.geoms):
                layer.index()
        boundary = np.asarray(base.boundary.geoms, dtype=object)
        self.district_geoms = boundary
        self.district_names = np.asarray(base.boundary.attrs.get("name", np.full(len(boundary), "", dtype=object)))
        self.district_tree = shapely.STRtree(boundary) if len(boundary) else None
        if len(boundary):
            shapely.prepare(boundary)
        self.classes = sorted({str(c) for c in self.roads.attrs.get("class", [])},
                              key=lambda c: ROAD_ORDER.index(c) if c in ROAD_ORDER else 3)
        self._names: tuple[np.ndarray, np.ndarray, Any] | None = None

    def named_roads(self) -> tuple[np.ndarray, np.ndarray, Any]:
        """Named roads merged by name once (names, merged parts, their tree), for road labels."""
        if self._names is None:
            roads = self.sheet.roads
            names = np.asarray(roads.attrs.get("name", np.zeros(0, dtype=object)), dtype=object)
            named = np.flatnonzero(names != "") if len(names) else np.zeros(0, dtype=np.int64)
            if len(named) == 0:
                self._names = (np.zeros(0, dtype=object), np.zeros(0, dtype=object), None)
            else:
                uniq, inv = np.unique(names[named].astype(str), return_inverse=True)
                parts, pidx = shapely.get_parts(roads.geoms[named], return_index=True)
                lines = shapely.get_type_id(parts) == 1
                group = inv[pidx[lines]]
                order = np.argsort(group, kind="stable")
                present, gi = np.unique(group[order], return_inverse=True)
                merged = shapely.line_merge(shapely.multilinestrings(parts[lines][order], indices=gi))
                mparts, midx = shapely.get_parts(merged, return_index=True)
                keep = shapely.get_type_id(mparts) == 1
                mparts, midx = mparts[keep], midx[keep]
                self._names = (uniq[present][midx], mparts, shapely.STRtree(mparts))
        return self._names


# ---------------------------------------------------------------------------------------------
# Tiles


def _tile_m(scale: int) -> float:
    return TILE_MM * scale / 1000


def _tile_streams(ab: AtlasBase, scale: int, keys: Sequence[tuple[int, int]]) -> list[bytes]:
    """The compressed content of the tiles ``keys`` (column, row) at ``scale``, in order."""
    t_m = _tile_m(scale)
    k = 1000 / scale * UNIT                       # metres to path units
    ij = np.array(keys, dtype=float).reshape(-1, 2)
    origin = ij * t_m
    pad = (OVERLAP_MM + 3.0) * scale / 1000       # room for the widest stroke and the overlap
    boxes = shapely.box(origin[:, 0] - pad, origin[:, 1] - pad, origin[:, 0] + t_m + pad, origin[:, 1] + t_m + pad)
    clip = shapely.box(origin[:, 0] - 4 * pad, origin[:, 1] - 4 * pad, origin[:, 0] + t_m + 4 * pad,
                       origin[:, 1] + t_m + 4 * pad)
    n = len(keys)
    pieces: list[list[bytes]] = [[] for _ in range(n)]
    lw = MM_PER_PT * UNIT                         # one point as path units

    def emit(parts: _Parts, sel: np.ndarray | None, exact: bool, style: str, paint: str) -> None:
        bi, pi = parts.query(boxes, exact=exact)
        if sel is not None and len(pi):
            ok = sel[pi]
            bi, pi = bi[ok], pi[ok]
        if len(pi) == 0:
            return
        tb, xy, first = _gather(parts, bi, pi, clip, 2 * t_m)
        if len(tb) == 0:
            return
        rows = _path_bytes((xy - origin[tb]) * k, first)
        cuts = np.searchsorted(tb, np.arange(n + 1))
        head, tail = style.encode(), paint.encode()
        for t in np.flatnonzero(cuts[1:] > cuts[:-1]):
            pieces[t].extend((head, rows[cuts[t]:cuts[t + 1]].tobytes(), tail))

    emit(ab.water, None, False, f"{_rgb(BASE['water'])} rg {_rgb(BASE['water_outline'])} RG {_f(0.4 * lw)} w\n", "B\n")
    emit(ab.buildings, None, False,
         f"{_rgb(BASE['buildings'])} rg {_rgb(BASE['buildings_outline'])} RG {_f(0.15 * lw)} w\n", "B\n")
    emit(ab.parcels, None, True, f"{_rgb(BASE['parcels'])} RG {_f(0.3 * lw)} w\n", "S\n")
    cls = ab.roads.attrs.get("class")
    planned = ab.roads.attrs.get("planned")
    if cls is not None and planned is not None:
        for c in ab.classes:
            colour, width = road_style(c)
            emit(ab.roads, (cls == c) & ~planned.astype(bool), True,
                 f"{_rgb(colour)} RG {_f(width * lw)} w 1 J 1 j\n", "S\n")
        if planned.any():
            d = 0.8 * lw
            emit(ab.roads, planned.astype(bool), True,
                 f"{_rgb('#7D7D7D')} RG {_f(d)} w 0 J [{_f(3 * d)} {_f(2 * d)}] 0 d\n", "S [] 0 d\n")
    d = 0.5 * lw
    emit(ab.districts, None, True, f"{_rgb('#666666')} RG {_f(d)} w 0 J [{_f(2 * d)} {_f(1.5 * d)}] 0 d\n", "S [] 0 d\n")
    d = 1.1 * lw
    emit(ab.study, None, True,
         f"{_rgb(BASE['study_area'])} RG {_f(d)} w 0 J [{_f(6 * d)} {_f(1.5 * d)} {_f(d)} {_f(1.5 * d)}] 0 d\n",
         "S [] 0 d\n")
    emit(ab.projects, None, True, f"{_rgb(BASE['other_projects'])} RG {_f(0.25 * lw)} w 0 J 1 j\n", "S\n")
    return [zlib.compress(b"".join(p), COMPRESSION) for p in pieces]


def tile_bbox() -> str:
    lo, hi = -OVERLAP_MM * UNIT, (TILE_MM + OVERLAP_MM) * UNIT
    return f"[{_f(lo)} {_f(lo)} {_f(hi)} {_f(hi)}]"


# ---------------------------------------------------------------------------------------------
# Pages


_BLOCKS: dict[tuple[Any, ...], tuple[str, frozenset[int]]] = {}   # a drawn block and its glyphs


class _Canvas:
    """One page's content stream in millimetres (origin at the paper's bottom-left)."""

    def __init__(self, font: PdfFont):
        self.font = font
        self.out: list[str] = [f"q {_f(PT)} 0 0 {_f(PT)} 0 0 cm\n"]

    def raw(self, s: str) -> None:
        self.out.append(s)

    def text(self, x: float, y: float, s: str, size: float, *, colour: str = "#000000", ha: str = "left",
             va: str = "baseline", angle: float = 0.0, halo: float = 0.0, alpha_gs: str = "") -> tuple[float, float]:
        """Text in the font at ``size`` points; ``ha`` left/center/right, ``va`` top/center/
        bottom/baseline (matplotlib's single-line layout); returns its (width, height) in mm."""
        if not s:
            return 0.0, 0.0
        hexs, em = self.font.encode(s)
        h = size * MM_PER_PT
        w = em * h
        dx = {"left": 0.0, "center": -w / 2, "right": -w}[ha]
        dy = {"baseline": 0.0, "top": -0.88 * h, "center": -0.38 * h, "bottom": 0.12 * h}[va]
        if angle:
            c, sn = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            ox, oy = x + c * dx - sn * dy, y + sn * dx + c * dy
            tm = f"{_f(c)} {_f(sn)} {_f(-sn)} {_f(c)} {_f(ox)} {_f(oy)} Tm"
        else:
            tm = f"1 0 0 1 {_f(x + dx)} {_f(y + dy)} Tm"
        q = f"q {alpha_gs} gs " if alpha_gs else ""
        end = " Q" if alpha_gs else ""
        if halo:
            # the halo is drawn as text too; marked as no text of its own so that a search or a copy
            # finds the label once
            self.out.append(f"/Span << /ActualText () >> BDC {q}BT /F1 {_f(h)} Tf {tm} 1 1 1 RG {_f(halo * MM_PER_PT)} w "
                            f"1 j 1 Tr <{hexs}> Tj ET{end} EMC\n")
        self.out.append(f"{q}BT /F1 {_f(h)} Tf {_rgb(colour)} rg {tm} 0 Tr <{hexs}> Tj ET{end}\n")
        return w, h

    def lines_of(self, lines: Sequence[str], x: float, top: float, size: float, spacing: float, *,
                 colour: str = "#000000") -> None:
        """Lines of text from ``top`` down (matplotlib's multi-line layout at ``spacing``)."""
        key = (str(self.font.path), tuple(lines), x, top, size, spacing, colour)
        hit = _BLOCKS.get(key)
        if hit is not None:   # copied: its glyphs still go into this batch's font subset
            self.font.used.update(hit[1])
        else:   # the panel's labels repeat page after page: drawn once, copied after
            if len(_BLOCKS) > 50_000:
                _BLOCKS.clear()
            mark = len(self.out)
            h = size * MM_PER_PT
            base = top - (0.388 + 0.5 * spacing) * h
            for i, s in enumerate(lines):
                self.text(x, base - i * spacing * h, s, size, colour=colour)
            glyphs = frozenset(g for s in lines for g in self.font.cmap_ids(s))
            hit = _BLOCKS[key] = ("".join(self.out[mark:]), glyphs)
            del self.out[mark:]
        self.out.append(hit[0])

    def bytes(self) -> bytes:
        return ("".join(self.out) + "Q\n").encode()


def _copied(cv: _Canvas, key: tuple[Any, ...], draw: Any) -> None:
    """What ``draw`` adds to the page, drawn once per ``key`` and copied after (the north arrow
    and the scale bar of a map scale); a copy's glyphs still join this batch's font subset."""
    font = cv.font
    hit = _BLOCKS.get(key)
    if hit is None:
        if len(_BLOCKS) > 50_000:
            _BLOCKS.clear()
        mark, used = len(cv.out), font.used
        font.used = set()
        try:
            draw()
            hit = _BLOCKS[key] = ("".join(cv.out[mark:]), frozenset(font.used))
        finally:
            used.update(font.used)
            font.used = used
        del cv.out[mark:]
    font.used.update(hit[1])
    cv.out.append(hit[0])


def _truncate(font: PdfFont, text: str, size: float, room: float) -> str:
    """``text`` cut to ``room`` mm with "…"; a closing part in brackets (an EPSG code, a unit)
    is kept whole and the text before it is cut."""
    if font.width_mm(text, size) <= room:
        return text
    m = _TAIL.search(text)
    tail = m.group(0) if m and font.width_mm(m.group(0), size) < room / 2 else ""
    head = text[:len(text) - len(tail)].rstrip()
    while head and font.width_mm(head + "…" + tail, size) > room:
        head = head[:-1]
    return head.rstrip(" ，,；;/") + "…" + tail


# a closing part in brackets: （EPSG:4548）, (EPSG:4548)
_TAIL = re.compile(r"\s*[（(][^（()）]{1,40}[)）]$")
# where a line may break: after a separator or a space, before an opening bracket
_BREAK = re.compile(r"(?<=[；;，,、 /])|(?=[（(])")


@lru_cache(maxsize=8192)   # the same CRS, cost sources and classes page after page
def _wrap(font: PdfFont, text: str, size: float, room: float, max_lines: int = 2) -> tuple[str, ...]:
    """``text`` in lines of at most ``room`` mm, at most ``max_lines`` of them. A text that
    does not fit starts a line at each part ("；"- or "; "-separated: the cost sources); lines
    break after separators and spaces (or between any two characters where none fits); the
    last line is cut with "…" keeping a closing part in brackets (the EPSG code of a CRS)."""
    text = str(text).strip()
    if font.width_mm(text, size) <= room:
        return (text,)
    parts = [p for p in re.split(r"(?<=；)|(?<=; )", text) if p.strip()]
    lines: list[str] = []
    for k, part in enumerate(parts):
        part = part.strip()
        while part and len(lines) < max_lines - 1 and font.width_mm(part, size) > room:
            n = 1   # the longest prefix that fits
            while n < len(part) and font.width_mm(part[:n + 1], size) <= room:
                n += 1
            cuts = [m.start() for m in _BREAK.finditer(part, 1, n + 1) if m.start() >= n // 2]
            at = cuts[-1] if cuts else n
            lines.append(part[:at].rstrip())
            part = part[at:].strip()
        if len(lines) == max_lines - 1:   # the last line: the rest, cut if it must be
            lines.append(_truncate(font, " ".join([part, *(p.strip() for p in parts[k + 1:])]).strip(), size, room))
            break
        lines.append(part)
    return tuple(lines) or ("",)


def _free(box: tuple[float, float, float, float], taken: list[tuple[float, float, float, float]]) -> bool:
    x0, y0, x1, y1 = box
    _, _, w, h = ATLAS_MAP
    if x0 < 1 or y0 < 1 or x1 > w - 1 or y1 > h - 1:
        return False
    return not any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in taken)


@dataclass
class _PageState:
    extent: tuple[float, float, float, float]
    scale: int

    def to_mm(self, x: float, y: float) -> tuple[float, float]:
        e = self.extent
        return ((x - e[0]) / (e[2] - e[0]) * ATLAS_MAP[2], (y - e[1]) / (e[3] - e[1]) * ATLAS_MAP[3])

    def m_per_mm(self) -> float:
        return self.scale / 1000


@dataclass
class _ProjectShapes:
    """What each page of a run draws of its own project, made for all the run's pages at once
    (per page, shapely's and numpy's call overheads were a quarter of a page's time): the
    outlines (polygons' exterior rings, largest first) and lines as path operators in each
    page's path units, the project's bounds, geometry type and a point on it."""

    rings: list[bytes]
    lines: list[bytes]
    bounds: np.ndarray
    kinds: np.ndarray
    points: np.ndarray

    @classmethod
    def of(cls, geoms: np.ndarray, extents: np.ndarray, scales: np.ndarray) -> _ProjectShapes:
        geoms = np.asarray(geoms, dtype=object)
        n = len(geoms)
        extents = np.asarray(extents, dtype=float).reshape(-1, 4)
        k = 1000 / np.asarray(scales, dtype=np.int64) * UNIT   # metres to path units, page by page
        parts, pidx = shapely.get_parts(geoms, return_index=True)
        kinds = shapely.get_type_id(parts)
        polys, ppage = parts[kinds == 3], pidx[kinds == 3]
        order = np.lexsort((-shapely.area(polys), ppage))   # page by page, the largest first
        rings = _paths_by_page(shapely.get_exterior_ring(polys[order]), ppage[order], n, extents, k)
        lines = _paths_by_page(parts[kinds == 1], pidx[kinds == 1], n, extents, k)
        bounds = shapely.bounds(geoms)
        points = np.full((n, 2), np.nan)
        b = bounds
        size = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * k / UNIT   # mm on the page
        kind = shapely.get_type_id(geoms)
        small = np.flatnonzero(((size < 2.0) & np.isfinite(size)) | np.isin(kind, (0, 4)))
        if len(small):
            pts = shapely.point_on_surface(geoms[small])
            points[small] = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
        return cls(rings, lines, bounds, kind, points)


def _paths_by_page(geoms: np.ndarray, page_of: np.ndarray, n: int, extents: np.ndarray, k: np.ndarray) -> list[bytes]:
    """The vertices of ``geoms`` (each on page ``page_of``, in page order) as path operators in
    their page's path units, one bytes object a page (b"" where it has none). Each page's
    numbers have the width its own largest needs (``_path_bytes``), as when drawn page by page."""
    out = [b""] * n
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) == 0:
        return out
    page = page_of[idx]
    first = np.empty(len(idx), dtype=bool)
    first[0] = True
    first[1:] = idx[1:] != idx[:-1]
    xy = (coords - extents[page, :2]) * k[page, None]
    v = np.abs(np.rint(xy).astype(np.int64)).max(axis=1)
    peak = np.zeros(n, dtype=np.int64)
    np.maximum.at(peak, page, v)
    width = np.char.str_len(peak.astype(str))
    for wd in np.unique(width[page]):
        sel = width[page] == wd
        rows = _path_bytes(xy[sel], first[sel])
        pages = page[sel]
        cuts = np.searchsorted(pages, np.arange(n + 1))
        for p in np.flatnonzero(cuts[1:] > cuts[:-1]):
            out[p] = rows[cuts[p]:cuts[p + 1]].tobytes()
    return out


def _circle(cx: float, cy: float, r: float) -> str:
    k = 0.5523 * r
    return (f"{_f(cx + r)} {_f(cy)} m {_f(cx + r)} {_f(cy + k)} {_f(cx + k)} {_f(cy + r)} {_f(cx)} {_f(cy + r)} c "
            f"{_f(cx - k)} {_f(cy + r)} {_f(cx - r)} {_f(cy + k)} {_f(cx - r)} {_f(cy)} c "
            f"{_f(cx - r)} {_f(cy - k)} {_f(cx - k)} {_f(cy - r)} {_f(cx)} {_f(cy - r)} c "
            f"{_f(cx + k)} {_f(cy - r)} {_f(cx + r)} {_f(cy - k)} {_f(cx + r)} {_f(cy)} c ")


def district_points(ab: AtlasBase, extents: np.ndarray) -> list[list[tuple[str, float, float]]]:
    """Where each page names its districts: a point on the part of each district in the page's
    frame (the frame's centre when the district covers it), for all pages at once."""
    out: list[list[tuple[str, float, float]]] = [[] for _ in range(len(extents))]
    if ab.district_tree is None or len(extents) == 0:
        return out
    frames = shapely.box(extents[:, 0], extents[:, 1], extents[:, 2], extents[:, 3])
    pi, di = ab.district_tree.query(frames)
    order = np.lexsort((di, pi))
    pi, di = pi[order], di[order]
    keep = ab.district_names[di] != ""
    pi, di = pi[keep], di[keep]
    if len(pi) == 0:
        return out
    whole = shapely.contains(ab.district_geoms[di], frames[pi])   # prepared: no intersection needed
    xy = np.column_stack([(extents[pi, 0] + extents[pi, 2]) / 2, (extents[pi, 1] + extents[pi, 3]) / 2])
    gone = np.zeros(len(pi), dtype=bool)
    if not whole.all():
        pts = shapely.point_on_surface(shapely.intersection(ab.district_geoms[di[~whole]], frames[pi[~whole]]))
        xy[~whole] = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
        gone[~whole] = shapely.is_empty(pts)
    for p, d, (x, y), g in zip(pi.tolist(), di.tolist(), xy.tolist(), gone.tolist(), strict=True):
        if not g:
            out[p].append((str(ab.district_names[d]), x, y))
    return out


def _district_names(cv: _Canvas, districts: list[tuple[str, float, float]], page: _PageState,
                    taken: list[tuple[float, float, float, float]]) -> None:
    size = 10.0
    for name, px, py in districts:
        x0, y0 = page.to_mm(px, py)
        tw, th = cv.font.width_mm(name, size) * 1.15, size * MM_PER_PT * 1.3
        for mx, my in ((x0, y0), (x0, y0 - 30), (x0, y0 + 30), (x0 - 45, y0), (x0 + 45, y0)):
            box = (mx - tw / 2, my - th / 2, mx + tw / 2, my + th / 2)
            if _free(box, taken):   # not over the page's project or another label
                taken.append(box)
                cv.text(ATLAS_MAP[0] + mx, ATLAS_MAP[1] + my, name, size, colour=BASE["place_names"], ha="center",
                        va="center", halo=2.2, alpha_gs="/A75")
                break


def _road_names(cv: _Canvas, ab: AtlasBase, page: _PageState, taken: list[tuple[float, float, float, float]], limit: int = 8) -> int:
    """Road names along their roads, longest in the frame first, where no other label is (the
    sheets' rule, on roads merged by name once)."""
    names, merged, tree = ab.named_roads()
    if tree is None:
        return 0
    frame = shapely.box(*page.extent)
    hit = tree.query(frame, predicate="intersects")
    if len(hit) == 0:
        return 0
    clipped = shapely.intersection(merged[hit], frame)
    lengths = shapely.length(clipped)
    hit_names = names[hit]
    totals: dict[str, float] = {}
    for n, ln in zip(hit_names, lengths, strict=True):
        totals[n] = totals.get(n, 0.0) + float(ln)
    size = 5.5
    placed = 0
    for name in sorted(totals, key=lambda n: -totals[n])[:limit]:
        parts = shapely.get_parts(clipped[hit_names == name])
        parts = parts[shapely.get_type_id(parts) == 1]
        if len(parts) == 0:
            continue
        line = parts[np.argmax(shapely.length(parts))]
        length = float(shapely.length(line))
        text_m = cv.font.width_mm(name, size) * page.m_per_mm()
        if length < text_m * 1.4:
            continue
        for frac in (0.5, 0.3, 0.7, 0.15, 0.85):
            d = length * frac
            a, b, mid = shapely.line_interpolate_point(line, [max(d - text_m / 2, 0), min(d + text_m / 2, length), d])
            angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
            if angle > 90:
                angle -= 180
            elif angle < -90:
                angle += 180
            mx, my = page.to_mm(mid.x, mid.y)
            tw, th = cv.font.width_mm(name, size), size * MM_PER_PT * 1.2
            ca, sa = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
            hw, hh = (tw * ca + th * sa) / 2, (tw * sa + th * ca) / 2
            box = (mx - hw, my - hh, mx + hw, my + hh)
            if _free(box, taken):
                taken.append(box)
                cv.text(ATLAS_MAP[0] + mx, ATLAS_MAP[1] + my, name, size, colour=BASE["road_names"], ha="center",
                        va="center", angle=angle, halo=1.6)
                placed += 1
                break
    return placed


def _nice_length(max_m: float) -> float:
    exp = 10 ** math.floor(math.log10(max_m))
    for f in (5, 2, 1):
        if f * exp <= max_m:
            return f * exp
    return exp


def _north_arrow_and_scale(cv: _Canvas, page: _PageState, lang: str) -> None:
    x, y, w, h = ATLAS_MAP
    cx, top = x + w - 10, y + h - 6
    cv.raw(f"{_rgb('#111111')} rg {_f(cx)} {_f(top)} m {_f(cx - 3)} {_f(top - 11)} l {_f(cx)} {_f(top - 8)} l "
           f"{_f(cx + 3)} {_f(top - 11)} l h f\n")
    cv.text(cx, top - 15, pick("北", "N", lang), 9, ha="center", va="center")
    ground = _nice_length(60 * page.scale / 1000)
    length = ground / page.scale * 1000
    bx, by = x + 6, y + 6
    cv.raw(f"q /A85 gs 1 1 1 rg {_f(bx - 3)} {_f(by - 3)} {_f(length + 14)} 15 re f Q\n")
    seg = length / 4
    cv.raw(f"{_rgb('#111111')} RG {_f(0.6 * MM_PER_PT)} w 0 J 0 j\n")
    for i in range(4):
        fill = "0.067 0.067 0.067" if i % 2 == 0 else "1 1 1"
        cv.raw(f"{fill} rg {_f(bx + i * seg)} {_f(by)} {_f(seg)} 1.4 re B\n")
    unit = "km" if ground >= 1000 else "m"
    value = ground / 1000 if ground >= 1000 else ground
    for frac in (0, 0.5, 1):
        cv.text(bx + frac * length, by + 2.6, f"{value * frac:g}" + (f" {unit}" if frac == 1 else ""), 6.5,
                ha="center", va="bottom")
    cv.text(bx, by + 7.5, f"1:{page.scale:,}", 8, va="bottom")


def _panel(cv: _Canvas, project: dict[str, Any], rows: list[tuple[str, str]], info: dict[str, Any], number: str, scale: int,
           lang: str, *, drawn: str = "fill") -> None:
    """The panel right of the map: title, key fields, legend (``drawn``: how the project is
    drawn, fill, line or point), title block and a licence notice."""
    font = cv.font
    W, H = A4_MM
    x = ATLAS_PANEL_X
    title = str(project.get("name", ""))
    size = 12.0
    while font.width_mm(title, size) > W - x - 8 and size > 9:
        size -= 0.5
    heads = _wrap(font, title, size, W - x - 8)   # a long name on two lines rather than off the page
    for i, line in enumerate(heads):
        cv.text(x, H - 10 - i * size * MM_PER_PT * 1.2, line, size, va="top")
    down = (len(heads) - 1) * size * MM_PER_PT * 1.2
    cv.text(x, H - 17 - down, str(info["project"]), 7, va="top", colour="#444444")
    keys, values = _wrapped_rows(font, rows, 7.2, W - x - 34, max_lines=7)
    top = H - 25 - down
    cv.lines_of(keys, x, top, 7.2, 1.9, colour="#333333")
    cv.lines_of(values, x + 27, top, 7.2, 1.9)
    table_bottom = top - len(keys) * 1.9 * 7.2 * MM_PER_PT
    block = [(pick("编制单位", "Prepared by", lang), info["organisation"] or pick("（未填写）", "(not given)", lang)),
             (pick("编制日期", "Date", lang), info["date"]), (pick("图号", "Sheet no.", lang), number),
             (pick("比例", "Scale", lang), f"1:{scale:,}"), (pick("坐标系", "CRS", lang), info["crs"]),
             (pick("数据截至", "Data as of", lang), info["as_of"])]
    by = 10.0
    bkeys, texts = _wrapped_rows(font, [(k, str(v)) for k, v in block], 6.5, W - x - 30, max_lines=2)
    cv.lines_of(bkeys, x + 1, by + 5 * len(bkeys) - 1, 6.5, 1.75, colour="#333333")
    cv.lines_of(texts, x + 22, by + 5 * len(bkeys) - 1, 6.5, 1.75)
    cv.raw(f"{_rgb('#111111')} RG {_f(0.8 * MM_PER_PT)} w {_f(x)} {_f(by)} {_f(W - 8 - x)} {_f(5 * len(bkeys))} re S\n")
    legend_top = by + 5 * len(bkeys) + 17
    if legend_top < table_bottom - 2:   # (a table of very long values keeps its room)
        ptype = str(project.get("type", ""))
        _copied(cv, ("legend", str(font.path), ptype, drawn, legend_top, lang),
                lambda: _legend(cv, ptype, x, legend_top, W - 8 - x, lang, drawn))
    if info.get("attribution"):   # data under a licence that asks for it (OSM's ODbL): on every page, as on the sheets
        cv.text(x, by - 1.5, str(info["attribution"]), 5.5, colour="#555555", va="top")


def _legend(cv: _Canvas, ptype: str, x: float, top: float, width: float, lang: str, drawn: str = "fill") -> None:
    """图例 of what the map shows: this project in its type's colour, the other projects muted,
    buildings and roads (as drawn by ``_page_stream`` and the tiles)."""
    from planner.export.terms import type_title

    colour = TYPE_COLOURS.get(ptype, "#888888")
    road_colour, road_width = road_style("secondary")
    cv.text(x, top, pick("图例", "Legend", lang), 7.5, va="top")
    entries = [(pick(f"本项目（{type_title(ptype, lang)}）", f"This project ({type_title(ptype, lang)})", lang),
                "", drawn),
               (pick("其他更新项目", "Other projects", lang), f"{_rgb(BASE['other_projects'])} RG {_f(0.25 * MM_PER_PT)} w",
                "outline"),
               (pick("现状建筑", "Buildings", lang),
                f"{_rgb(BASE['buildings'])} rg {_rgb(BASE['buildings_outline'])} RG {_f(0.15 * MM_PER_PT)} w", "box"),
               (pick("道路", "Roads", lang), f"{_rgb(road_colour)} RG {_f(road_width * MM_PER_PT)} w", "line")]
    third = width / 3
    for k, (label, style, kind) in enumerate(entries):   # this project on a row of its own, then three a row
        ex, ey = (x, top - 6.8) if k == 0 else (x + (k - 1) * third, top - 11.3)   # swatch's lower left
        room = width - 10 if k == 0 else third - 10
        if kind == "fill":   # the project's translucent fill under its outline, as on the map
            cv.raw(f"q /A35 gs {_rgb(colour)} rg {_f(ex)} {_f(ey)} 6 3 re f Q "
                   f"{_rgb(colour)} RG {_f(0.9 * MM_PER_PT)} w {_f(ex)} {_f(ey)} 6 3 re S\n")
        elif kind == "point":
            r = math.sqrt(22) / 2 * MM_PER_PT
            cv.raw(f"{_rgb(colour)} rg {_rgb('#333333')} RG {_f(0.4 * MM_PER_PT)} w {_circle(ex + 3, ey + 1.5, r)}B\n")
        elif kind == "line" and k == 0:
            cv.raw(f"q {_rgb(colour)} RG {_f(2.2 * MM_PER_PT)} w 1 J {_f(ex)} {_f(ey + 1.5)} m {_f(ex + 6)} "
                   f"{_f(ey + 1.5)} l S Q\n")
        elif kind == "outline":
            cv.raw(f"q {style} {_f(ex)} {_f(ey)} 6 3 re S Q\n")
        elif kind == "box":
            cv.raw(f"q {style} {_f(ex)} {_f(ey)} 6 3 re B Q\n")
        else:
            cv.raw(f"q {style} 1 J {_f(ex)} {_f(ey + 1.5)} m {_f(ex + 6)} {_f(ey + 1.5)} l S Q\n")
        cv.text(ex + 8, ey + 1.5, _truncate(cv.font, label, 6.5, room), 6.5, va="center")


def _wrapped_rows(font: PdfFont, rows: Sequence[tuple[str, str]], size: float, room: float, *,
                  max_lines: int) -> tuple[list[str], list[str]]:
    """The (label, value) rows as the label and value columns' lines: a long value (a CRS, a
    cost source) goes on to further lines under its own, the label column blank beside them."""
    keys: list[str] = []
    values: list[str] = []
    for k, v in rows:
        lines = _wrap(font, str(v), size, room, max_lines)
        keys += [k] + [""] * (len(lines) - 1)
        values += lines
    return keys, values


def _words(frame: Any, lang: str) -> dict[str, dict[Any, str]]:
    """The translated words of the panel, once per distinct value (types, classes, units,
    statuses, cost sources): a page looks them up instead of translating again."""
    from planner.export.terms import cost_basis, type_title, word

    out: dict[str, dict[Any, str]] = {}
    for col, fn in (("type", type_title), ("subtype", word), ("unit", word), ("status", word), ("cost_basis", cost_basis)):
        if col in frame:
            out[col] = {v: ("" if _missing(v) else fn(v, lang)) for v in frame[col].dropna().unique()}
    return out


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v)) or v == ""


def _num(v: Any, digits: int = 0) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if not math.isfinite(f) else f"{f:,.{digits}f}"


def _households(p: dict[str, Any], lang: str) -> str:
    """A project's households; 未知 where it has homes whose households are unknown (never 0)."""
    text = _num(p.get("households"))
    if text == "" and _num(p.get("buildings")) not in ("", "0"):
        return pick("未知", "unknown", lang)
    return text


def atlas_rows(p: dict[str, Any], lang: str, words: dict[str, dict[Any, str]]) -> list[tuple[str, str]]:
    """The key fields of a project's page as (label, value), empty ones left out."""
    def w(col: str) -> str:
        v = p.get(col)
        return "" if _missing(v) else words.get(col, {}).get(v, str(v))

    q = p.get("quantity")
    qf = float(q) if not _missing(q) and isinstance(q, (int, float)) else 0.0
    qty = f"{_num(q, 1 if qf % 1 else 0)} {w('unit')}".strip()
    rows = [(pick("项目编号", "Project id", lang), str(p.get("project_id", ""))),
            (pick("项目类型", "Type", lang), w("type")),
            (pick("子类", "Class", lang), w("subtype")),
            (pick("所在片区", "District", lang), "" if _missing(p.get("district")) else str(p.get("district"))),
            (pick("工程量", "Quantity", lang), qty),
            (pick("估算投资（万元）", "Cost (10k yuan)", lang), _num(p.get("estimated_cost"), 2)),
            (pick("优先级得分", "Priority score", lang), _num(p.get("priority_score"), 1)),
            (pick("优先次序", "Rank", lang), _num(p.get("priority_rank"))),
            (pick("实施阶段", "Phase", lang), "" if _missing(p.get("phase")) else str(p.get("phase"))),
            (pick("状态", "Status", lang), w("status")),
            (pick("涉及建筑", "Buildings", lang), _num(p.get("buildings"))),
            (pick("户数", "Households", lang), _households(p, lang)),
            (pick("建筑面积（m²）", "Floor area (m²)", lang), _num(p.get("floor_area_m2"))),
            (pick("用地面积（m²）", "Parcel area (m²)", lang), _num(p.get("parcel_area_m2"))),
            (pick("道路长度（m）", "Road length (m)", lang), _num(p.get("road_length_m"))),
            (pick("涵盖标记", "Flags", lang), _num(p.get("flag_count"))),
            (pick("估算依据", "Cost source", lang), w("cost_basis"))]
    return [(k, v) for k, v in rows if v not in ("", "0", "0.00")]


def _page_stream(ab: AtlasBase, font: PdfFont, project: dict[str, Any], shapes: _ProjectShapes, i: int,
                 page: _PageState, tiles: Sequence[tuple[int, int, int]], districts: list[tuple[str, float, float]],
                 info: dict[str, Any], number: str, lang: str, words: dict[str, dict[Any, str]]) -> bytes:
    """Page ``i`` of a run (``shapes``: the run's projects, made in bulk)."""
    cv = _Canvas(font)
    x, y, w, h = ATLAS_MAP
    e = page.extent
    t_m = _tile_m(page.scale)
    cv.raw(f"q {_f(x)} {_f(y)} {_f(w)} {_f(h)} re W n\n")
    for tid, ti, tj in tiles:   # the base map: tiles placed under the frame
        dx, dy = x + (ti * t_m - e[0]) / page.m_per_mm(), y + (tj * t_m - e[1]) / page.m_per_mm()
        cv.raw(f"q 1 0 0 1 {_f(dx)} {_f(dy)} cm /T{tid} Do Q\n")
    k = 1 / UNIT
    cv.raw(f"q 1 0 0 1 {_f(x)} {_f(y)} cm {_f(k)} 0 0 {_f(k)} 0 0 cm\n")
    colour = TYPE_COLOURS.get(str(project.get("type", "")), "#888888")
    if shapes.rings[i]:
        cv.raw(f"q /A35 gs {_rgb(colour)} rg {_rgb(colour)} RG {_f(0.9 * MM_PER_PT * UNIT)} w 0 J 1 j\n")
        cv.raw(shapes.rings[i].decode() + "B Q\n")
    if shapes.lines[i]:
        cv.raw(f"{_rgb(colour)} RG {_f(2.2 * MM_PER_PT * UNIT)} w 0 J 1 j\n")
        cv.raw(shapes.lines[i].decode() + "S\n")
    cv.raw("Q\n")
    px, py = shapes.points[i]
    if math.isfinite(px):   # too small to see, or a point: a symbol
        mx, my = page.to_mm(px, py)
        r = math.sqrt(22) / 2 * MM_PER_PT
        cv.raw(f"{_rgb(colour)} rg {_rgb('#333333')} RG {_f(0.4 * MM_PER_PT)} w {_circle(x + mx, y + my, r)}B\n")
    taken: list[tuple[float, float, float, float]] = [(w - 14, h - 22, w - 6, h - 5), (3, 3, 74, 18)]
    pb = shapes.bounds[i]   # the project itself: labels go beside it
    (px0, py0), (px1, py1) = page.to_mm(pb[0], pb[1]), page.to_mm(pb[2], pb[3])
    if (px1 - px0) * (py1 - py0) < 0.25 * w * h:   # a large project may carry the label, as on the sheets
        taken.append((px0 - 1, py0 - 1, px1 + 1, py1 + 1))
    _district_names(cv, districts, page, taken)
    _road_names(cv, ab, page, taken)
    cv.raw("Q\n")
    cv.raw(f"0 0 0 RG {_f(1.2 * MM_PER_PT)} w 0 j {_f(x)} {_f(y)} {_f(w)} {_f(h)} re S\n")
    _copied(cv, ("north arrow and scale", str(font.path), page.scale, lang),
            lambda: _north_arrow_and_scale(cv, page, lang))
    drawn = "fill" if shapes.rings[i] else "line" if shapes.lines[i] else "point"
    _panel(cv, project, atlas_rows(project, lang, words), info, number, page.scale, lang, drawn=drawn)
    return zlib.compress(cv.bytes(), 1)   # a page's own stream is small: the fastest level


# ---------------------------------------------------------------------------------------------
# Planning the pages, workers, and the file


def page_extents(geoms: np.ndarray, fallback: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each project's map extent and scale (the sheets' ``fit_extent`` with the atlas's margin,
    vectorised): (n x 4 extents, n scales). A project without a geometry gets ``fallback``'s
    extent (the base map's)."""
    b = shapely.bounds(geoms)
    bad = ~np.isfinite(b).all(axis=1)
    if bad.any():
        b[bad] = fallback if fallback is not None else (0.0, 0.0, 1.0, 1.0)
    margin, min_span = 0.15, 250.0
    w = np.maximum(b[:, 2] - b[:, 0], min_span) * (1 + 2 * margin)
    h = np.maximum(b[:, 3] - b[:, 1], min_span) * (1 + 2 * margin)
    need = np.maximum(np.maximum(w / ATLAS_MAP[2], h / ATLAS_MAP[3]), 1e-6) * 1000
    pos = np.searchsorted(NICE_SCALES, need, side="left")
    beyond = pos >= len(NICE_SCALES)
    scale = np.where(beyond, np.ceil(need / 100000) * 100000, NICE_SCALES[np.minimum(pos, len(NICE_SCALES) - 1)])
    scale = scale.astype(np.int64)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    hw, hh = ATLAS_MAP[2] * scale / 2000, ATLAS_MAP[3] * scale / 2000
    return np.column_stack([cx - hw, cy - hh, cx + hw, cy + hh]), scale


_STATE: dict[str, Any] = {}
TIMINGS: dict[str, float] = {}   # the last atlas: seconds of its stages and CPU seconds in the workers


def _init(ab: AtlasBase | None, base: Any = None, project_geoms: np.ndarray | None = None) -> None:
    """A worker's state: inherited when forked; rebuilt from the sheet base when spawned."""
    from planner.parallel import die_with_parent

    die_with_parent()  # a killed run leaves no page worker waiting for tasks
    _STATE["ab"] = ab if ab is not None else AtlasBase(base, project_geoms)
    if "font" not in _STATE:
        from planner.fonts import FONT_FILE

        _STATE["font"] = PdfFont(FONT_FILE)


def _tile_task(task: tuple[int, list[tuple[int, int]]]) -> tuple[list[bytes], float]:
    import time

    t = time.process_time()
    scale, keys = task
    return _tile_streams(_STATE["ab"], scale, keys), time.process_time() - t


def _page_task(task: dict[str, Any]) -> tuple[list[bytes], set[int], float]:
    import time

    t = time.process_time()
    font: PdfFont = _STATE["font"]
    font.used = set()
    out = []
    districts = district_points(_STATE["ab"], np.asarray(task["extents"], dtype=float).reshape(-1, 4))
    shapes = _ProjectShapes.of(task["geoms"], task["extents"], task["scales"])
    for k in range(len(task["rows"])):
        page = _PageState(tuple(task["extents"][k]), int(task["scales"][k]))
        out.append(_page_stream(_STATE["ab"], font, task["rows"][k], shapes, k, page, task["tiles"][k],
                                districts[k], task["info"], task["numbers"][k], task["lang"], task["words"]))
    return out, set(font.used), time.process_time() - t


def write_atlas_pdf(path: Path, base: Any, projects: Any, *, info: dict[str, Any], lang: str = "zh", prefix: str = "",
                    workers: int | None = None, start_method: str | None = None) -> Path | None:
    """One A4 landscape page per project in rank order, written as described in the module's
    docstring; ``workers`` processes (forked where the platform can, else spawned or none)."""
    import multiprocessing
    import os
    import time
    from concurrent.futures import ProcessPoolExecutor

    from planner.fileio import atomic_path
    from planner.fonts import FONT_FILE

    if projects is None or len(projects) == 0:
        return None
    start = time.perf_counter()
    ordered = projects.sort_values("priority_rank", kind="stable") if "priority_rank" in projects else projects
    cols = [c for c in ("project_id", "name", "type", "subtype", "district", "quantity", "unit", "estimated_cost",
                        "priority_score", "priority_rank", "phase", "status", "buildings", "households",
                        "floor_area_m2", "parcel_area_m2", "road_length_m", "flag_count", "cost_basis")
            if c in ordered.columns]
    rows = ordered[cols].to_dict("records")
    words = _words(ordered, lang)
    geoms = np.asarray(ordered.geometry.values, dtype=object)
    n = len(rows)
    numbers = [f"{prefix}{'-' if prefix else ''}A{str(i + 1).zfill(len(str(n)))}" for i in range(n)]
    extents, scales = page_extents(geoms, getattr(base, "bounds", None))

    # the tiles each page shows, numbered once
    tile_ids: dict[tuple[int, int, int], int] = {}
    page_tiles: list[list[tuple[int, int, int]]] = []
    for e, s in zip(extents, scales, strict=True):
        t_m = _tile_m(int(s))
        i0, i1 = math.floor(e[0] / t_m), math.floor(e[2] / t_m)
        j0, j1 = math.floor(e[1] / t_m), math.floor(e[3] / t_m)
        mine = []
        for i in range(i0, i1 + 1):
            for j in range(j0, j1 + 1):
                tid = tile_ids.setdefault((int(s), i, j), len(tile_ids))
                mine.append((tid, i, j))
        page_tiles.append(mine)
    keys_by_scale: dict[int, list[tuple[int, int, int]]] = {}
    for (s, i, j), tid in tile_ids.items():
        keys_by_scale.setdefault(s, []).append((i, j, tid))
    tile_tasks: list[tuple[int, list[tuple[int, int]]]] = []
    tile_task_ids: list[list[int]] = []
    for s, keys in sorted(keys_by_scale.items()):
        keys.sort()
        for a in range(0, len(keys), TILES_PER_TASK):
            chunk = keys[a:a + TILES_PER_TASK]
            tile_tasks.append((s, [(i, j) for i, j, _ in chunk]))
            tile_task_ids.append([tid for _, _, tid in chunk])

    ab = AtlasBase(base, geoms)
    n_tasks = max(1, math.ceil(n / PAGES_PER_TASK))
    cuts = np.linspace(0, n, n_tasks + 1).astype(int)
    page_tasks = [{"rows": rows[a:b], "geoms": geoms[a:b], "extents": extents[a:b], "scales": scales[a:b],
                   "tiles": page_tiles[a:b], "numbers": numbers[a:b], "info": info, "lang": lang,
                   "words": words}
                  for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    workers = workers if workers is not None else (min(os.cpu_count() or 1, 4) if can_fork else 1)
    _STATE.clear()
    tile_out: list[tuple[list[bytes], float]]
    page_out: list[tuple[list[bytes], set[int], float]]
    TIMINGS.clear()
    TIMINGS["prepare"] = time.perf_counter() - start
    if start_method == "spawn" or (workers > 1 and len(tile_tasks) + len(page_tasks) > 1):
        method = start_method or "fork"
        ctx = multiprocessing.get_context(method)
        init = (ab,) if method == "fork" else (None, base, geoms)
        if method == "fork":
            _init(ab)   # the font too, inherited by the workers
        with ProcessPoolExecutor(max_workers=max(workers, 1), mp_context=ctx, initializer=_init,
                                 initargs=init) as pool:
            page_futures = [pool.submit(_page_task, t) for t in page_tasks]
            tile_futures = [pool.submit(_tile_task, t) for t in tile_tasks]
            page_out = [f.result() for f in page_futures]
            tile_out = [f.result() for f in tile_futures]
    else:
        _init(ab)
        page_out = [_page_task(t) for t in page_tasks]
        tile_out = [_tile_task(t) for t in tile_tasks]
    TIMINGS["draw"] = time.perf_counter() - start - TIMINGS["prepare"]
    TIMINGS["cpu_pages"] = sum(c for _, _, c in page_out)
    TIMINGS["cpu_tiles"] = sum(c for _, c in tile_out)
    TIMINGS["tiles"] = len(tile_ids)
    font: PdfFont = _STATE.get("font") or PdfFont(FONT_FILE)
    used: set[int] = set()
    for _, u, _ in page_out:
        used |= u
    tile_streams: list[bytes] = [b""] * len(tile_ids)
    for ids, (streams, _) in zip(tile_task_ids, tile_out, strict=True):
        for tid, data in zip(ids, streams, strict=True):
            tile_streams[tid] = data
    pages = [p for chunk, _, _ in page_out for p in chunk]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        _write_file(tmp, pages, page_tiles, tile_streams, font, used, title=str(info.get("project", "")))
    _STATE.clear()
    TIMINGS["write"] = time.perf_counter() - start - TIMINGS["prepare"] - TIMINGS["draw"]
    return path


def _write_file(path: Path, pages: list[bytes], page_tiles: list[list[tuple[int, int, int]]],
                tile_streams: list[bytes], font: PdfFont, used: set[int], *, title: str) -> None:
    """Number the objects and write the PDF: catalogue, page tree, font, graphics states,
    tiles, then each page and its content."""
    n_pages = len(pages)
    font_objs, font_id = font.objects(used, 4)
    gs_id = 4 + len(font_objs)
    tile0 = gs_id + 1
    page0 = tile0 + len(tile_streams)
    offsets: list[int] = []
    with open(path, "wb") as fh:
        pos = fh.write(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")

        def obj(num: int, body: bytes) -> None:
            nonlocal pos
            assert num == len(offsets) + 1
            offsets.append(pos)
            pos += fh.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")

        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = " ".join(f"{page0 + 2 * k} 0 R" for k in range(n_pages))
        obj(2, f"<< /Type /Pages /Count {n_pages} /Kids [{kids}] >>".encode())
        obj(3, b"<< /Producer (Renewal Planner) /Title <FEFF" + title.encode("utf-16-be").hex().upper().encode()
            + b"> >>")
        for k, body in enumerate(font_objs):
            obj(4 + k, body)
        obj(gs_id, b"<< /A35 << /Type /ExtGState /ca 0.349 /CA 1 >> /A75 << /Type /ExtGState /ca 0.75 /CA 0.75 >> "
                   b"/A85 << /Type /ExtGState /ca 0.85 /CA 0.85 >> >>")
        bbox, matrix = tile_bbox(), f"[{_f(1 / UNIT)} 0 0 {_f(1 / UNIT)} 0 0]"
        for k, data in enumerate(tile_streams):
            obj(tile0 + k, _stream(data, extra=f"/Type /XObject /Subtype /Form /BBox {bbox} /Matrix {matrix}",
                                   compressed=True))
        media = f"[0 0 {_f(A4_MM[0] * PT)} {_f(A4_MM[1] * PT)}]"
        for k, data in enumerate(pages):
            xobj = " ".join(f"/T{tid} {tile0 + tid} 0 R" for tid, _, _ in page_tiles[k])
            obj(page0 + 2 * k, (f"<< /Type /Page /Parent 2 0 R /MediaBox {media} /Resources << /Font << /F1 {font_id} 0 R"
                                f" >> /ExtGState {gs_id} 0 R /XObject << {xobj} >> >> /Contents {page0 + 2 * k + 1} 0 R >>"
                                ).encode())
            obj(page0 + 2 * k + 1, _stream(data, compressed=True))
        xref = pos
        fh.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        fh.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
        fh.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
