"""map.html: one self-contained page (Leaflet inlined from resources/web/, no network) with
base layers (study area, roads by class with their names, parcels, buildings), the projects
and the flag layers; a legend that follows the visible layers, a metric scale, popups in the
deliverables' language with numbers formatted and units, a search box for project ids and
names, and a note of what the page holds.

The page's own script is ES5 (runs in the older Chromium of government PCs; tests parse it as
ES2017 at most). Data are serialised in bulk into compact JSON script blocks (coordinates as
integer differences, properties as columns: see _features), drawn on a canvas. The file stays bounded: a million buildings become one image
layer, a flag family too long to draw one by one is summarised per source feature (a building
with the facility types it lacks) or per grid cell, and the page says so; every flag stays in
portfolio.gpkg. A basemap is added only when asked for (Tianditu with a user key, or a tile
URL)."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.export.styles import BASE, CODE_COLOURS, TYPE_COLOURS, alias, html_escape, road_style
from planner.export.terms import (
    check_lang,
    code_title,
    facility_title,
    pick,
    road_class_title,
    translate_series,
    type_title,
    word,
)
from planner.fileio import atomic_path
from planner.paths import RESOURCES_DIR

if TYPE_CHECKING:
    from pyproj import CRS

LEAFLET = RESOURCES_DIR / "web" / "leaflet"
APP_JS = RESOURCES_DIR / "web" / "map_app.js"
MAX_POLYGONS = 5000         # a flag layer beyond this is drawn as points
MAX_FEATURES = 30000        # beyond this, summarised per source feature, then per grid cell
SMALL_PROJECT_M2 = 2500.0   # beyond MAX_FEATURES projects, those smaller than this are drawn as points
VECTOR_BUILDINGS = 30000    # more buildings than this are drawn as one image
BUILDING_IMAGE_PX = 6000    # the long side of the building image
PROJECT_POPUP = ["project_id", "name", "type_title", "subtype", "district", "quantity", "unit", "estimated_cost",
                 "priority_score", "priority_rank", "phase", "status", "flag_count"]
PERCENT = {"coverage", "old_share", "vacancy_rate", "score_public", "score_need", "score_residents", "score_cost",
           "score_ease"}
INTEGER = {"buildings", "households", "flag_count", "priority_rank", "flags", "storeys", "year_built_max"}


def _layer_spec(name: str, lang: str) -> tuple[str, list[str], bool]:
    """(title, popup fields, shown when the page opens) of a layer: projects, or a flag layer
    as its analysis declared it."""
    if name == "projects":
        return pick("更新项目", "Renewal projects", lang), PROJECT_POPUP, True
    from planner.analysis.registry import flag_layer

    spec = flag_layer(name)
    if spec is None:
        return name, ["flag_id", "code", "reason"], False
    return pick(spec.title, spec.title_en, lang), list(spec.popup), spec.visible


def escape_series(s: pd.Series) -> pd.Series:
    """HTML-escape a text column in bulk (& first, then < > " ')."""
    t = s.astype("string").fillna("")
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        t = t.str.replace(a, b, regex=False)
    return t.astype(object)


def _formatted(column: str, s: pd.Series, lang: str) -> pd.Series:
    """A column as the popup shows it: numbers with thousands separators (percent where a
    share), words in the page's language, text HTML-escaped."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.map({True: pick("是", "yes", lang), False: pick("否", "no", lang)}).astype(object)
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = pd.to_numeric(s, errors="coerce").astype(float)
        if column in PERCENT:
            text = (v * 100).round(0).map("{:,.0f}%".format)
        elif column in INTEGER or (v.dropna() % 1 == 0).all():
            text = v.round(0).map("{:,.0f}".format)
        elif column == "priority_score":
            text = v.map("{:,.1f}".format)
        else:
            text = v.map("{:,.2f}".format).str.replace(r"\.?0+$", "", regex=True)
        return text.where(v.notna(), "").astype(object)
    if column in {"code", "other_codes", "review", "review_code", "status", "subtype", "unit", "crosses"}:
        s = translate_series(s, lang, sep="," if column in {"other_codes", "crosses"} else None)
    elif column == "facility_type":
        s = _facility_titles(s, lang)
    return escape_series(s)


def _facility_titles(s: pd.Series, lang: str) -> pd.Series:
    """Facility types as their titles, each distinct value looked up once."""
    s = s.astype("string")
    table = {k: facility_title(k, lang) for k in pd.unique(s.dropna())}
    return s.map(table).astype(object).where(s.notna(), None)


def titled_codes(series: pd.Series, title: Callable[[str], str]) -> tuple[np.ndarray, np.ndarray]:
    """A column of keys as (code per row, -1 where missing; their titles, sorted): each
    distinct key given its ``title`` once, keys of equal titles one code."""
    raw, keys = pd.factorize(series.astype("string"))
    codes, titles = pd.factorize(pd.Series([title(str(k)) for k in keys], dtype=object), sort=True)
    out = np.where(raw >= 0, codes[np.maximum(raw, 0)] if len(codes) else -1, -1)
    return out.astype(np.int64), np.asarray(titles, dtype=object)


def _what(frame: pd.DataFrame, lang: str) -> tuple[np.ndarray, np.ndarray]:
    """What each flag says in a summary, the facility type it lacks, else its rule, as
    titled_codes."""
    if "facility_type" in frame:
        return titled_codes(frame["facility_type"], lambda k: facility_title(k, lang))
    return titled_codes(frame["code"], lambda k: word(k, lang))


def joined_codes_per_group(group: np.ndarray, n_groups: int, code: np.ndarray, texts: np.ndarray, sep: str, *,
                           distinct: bool = True) -> np.ndarray:
    """Per group (``group`` 0..n_groups-1), the ``texts`` of its codes (``code`` indexes
    ``texts``; -1 is left out), each once with ``distinct``, in order of first appearance,
    joined with ``sep``: integers grouped, one string made per group."""
    out = np.full(n_groups, "", dtype=object)
    ok = np.asarray(code) >= 0
    g = np.asarray(group, dtype=np.int64)[ok]
    c = np.asarray(code, dtype=np.int64)[ok]
    if len(g) == 0:
        return out
    if distinct:
        k = max(len(texts), 1)
        key = pd.unique(g * k + c)  # the first of each (group, code), in order
        g, c = key // k, key % k
    order = np.argsort(g, kind="stable")
    g, c = g[order], c[order]
    piece = np.array([str(t) + sep for t in texts], dtype=object)[c]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    joined = np.add.reduceat(piece, starts)
    out[g[starts]] = [t[:-len(sep)] for t in joined] if sep else joined
    return out


def joined_per_group(codes: np.ndarray, n_groups: int, what: np.ndarray, sep: str, *,
                     distinct: bool = True) -> np.ndarray:
    """Per group (``codes`` 0..n_groups-1), its texts of ``what`` (each once with ``distinct``)
    in order of first appearance joined with ``sep``, in bulk (no Python call per group)."""
    w, uniq = pd.factorize(np.asarray(what, dtype=object))
    return joined_codes_per_group(codes, n_groups, w, np.asarray(uniq, dtype=object), sep, distinct=distinct)


def _props(frame: pd.DataFrame, fields: list[str], lang: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The popup's columns of a layer, formatted (see _formatted), and ``extra`` columns."""
    n = len(frame)
    cols: dict[str, Any] = {c: _formatted(c, frame[c].reset_index(drop=True), lang).to_numpy() for c in fields}
    for k, v in extra.items():
        cols[k] = v if isinstance(v, np.ndarray) and len(v) == n else np.full(n, v, dtype=object)
    return cols


def _column(values: Any) -> str:
    """One property column as JSON: a list, or (values repeated: few distinct among many) a
    dictionary of its distinct values and each row's index into it."""
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    n = len(arr)
    if arr.dtype.kind == "f":
        return "[" + ",".join("null" if v != v else repr(v) for v in arr.tolist()) + "]"
    if arr.dtype.kind in "iub":
        return json.dumps(arr.tolist())
    if n >= 16:
        codes, keys = pd.factorize(pd.Series(arr, dtype=object), use_na_sentinel=False)
        if len(keys) * 2 <= n:
            return ('{"k":' + json.dumps(list(keys), ensure_ascii=False, default=str) + ',"i":['
                    + ",".join(map(str, codes.tolist())) + "]}")
    return json.dumps(arr.tolist(), ensure_ascii=False, default=str)


def _features(geoms: np.ndarray, columns: dict[str, Any] | None = None, *, digits: int = 6) -> str:
    """A layer's features (geometries in WGS 84) as one compact JSON object that map_app.js
    reads: coordinates as integers of 10^-digits degrees, each the difference from the vertex
    before it (a polygon's closing vertex left out); per feature its number of parts, per part
    its kind (0 point, 1 line, 2 polygon) and number of rings, per ring its number of
    vertices (each list left out when every entry is 1); the properties as columns, repeated
    values as a dictionary (a popup's fields read by the feature's index, not one object per
    feature: the dense city's 216 k projects' GeoJSON was 189 MB)."""
    n = len(geoms)
    cols = ",".join(json.dumps(k) + ":" + _column(v) for k, v in (columns or {}).items())
    if n == 0:
        return '{"n":0,"d":' + str(digits) + ',"c":[],"k":0,"props":{' + cols + "}}"
    tid = shapely.get_type_id(geoms)
    if ((tid == 0) | (tid == 1) | (tid == 3)).all():  # single parts only: no parts made
        parts, part_of = geoms, np.arange(n)
    else:
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        tid = shapely.get_type_id(parts)
    n_coords = shapely.get_num_coordinates(parts)
    nonempty = n_coords > 0
    if not nonempty.all():
        parts, part_of, tid, n_coords = parts[nonempty], part_of[nonempty], tid[nonempty], n_coords[nonempty]
    kind = np.where(tid == 3, 2, np.where(tid == 0, 0, 1)).astype(np.int64)
    poly = kind == 2
    rings_per_part = np.ones(len(parts), dtype=np.int64)
    rings_per_part[poly] = shapely.get_num_interior_rings(parts[poly]) + 1
    if (rings_per_part == 1).all():  # no holes: a part's coordinates are its one ring's
        rings, counts = parts, n_coords
    else:
        start = np.cumsum(rings_per_part) - rings_per_part
        rings = np.empty(int(rings_per_part.sum()), dtype=object)
        rings[start[~poly]] = parts[~poly]
        poly_rings, of = shapely.get_rings(parts[poly], return_index=True)
        if len(poly_rings):
            first = np.r_[0, np.flatnonzero(np.diff(of)) + 1]
            rank = np.arange(len(of)) - np.repeat(first, np.diff(np.r_[first, len(of)]))
            rings[start[poly][of] + rank] = poly_rings
        counts = shapely.get_num_coordinates(rings)
    ring_poly = np.repeat(poly, rings_per_part)
    xy = shapely.get_coordinates(rings)
    # a polygon ring's closing vertex repeats its first: left out (the page closes the ring)
    keep = np.ones(len(xy), dtype=bool)
    keep[(np.cumsum(counts) - 1)[ring_poly & (counts > 0)]] = False
    counts = counts - ring_poly.astype(np.int64)
    q = np.round(xy[keep] * 10.0 ** digits).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    per_feature = np.bincount(part_of, minlength=n)

    def ints(a: np.ndarray) -> str:
        return json.dumps(a.tolist(), separators=(",", ":"))

    out = ['{"n":' + str(n) + ',"d":' + str(digits) + ',"c":' + ints(delta)]
    if (per_feature != 1).any():
        out.append(',"f":' + ints(per_feature))
    out.append(',"k":' + (str(int(kind[0])) if len(kind) and (kind == kind[0]).all() else ints(kind) if len(kind)
                          else "0"))
    if (rings_per_part != 1).any():
        out.append(',"p":' + ints(rings_per_part))
    if (counts != 1).any():
        out.append(',"r":' + ints(counts))
    out.append(',"props":{' + cols + "}}")
    return "".join(out)


def _wgs84(geoms: np.ndarray, crs: CRS | None) -> np.ndarray:
    return gpd.GeoSeries(geoms, crs=crs).to_crs(4326).values if crs is not None else geoms


class _Page:
    """The layers, legends and notes of the page being built."""

    def __init__(self, lang: str, max_features: int = MAX_FEATURES):
        self.lang = lang
        self.max_features = max_features
        self.layers: list[dict[str, Any]] = []
        self.blocks: list[str] = []
        self.holds: list[str] = []
        self.bounds: list[float] | None = None

    def add(self, spec: dict[str, Any], data: str | None = None) -> None:
        if data is not None:
            block = f"rp-data-{len(self.blocks)}"
            # inside <script type="application/json">: "</" may not appear (text values are
            # HTML-escaped already; this guards the rest)
            safe = data.replace("</", "<\\/") if "</" in data else data  # (no copy of a long text without)
            self.blocks.append(f'<script type="application/json" id="{block}">{safe}</script>')
            spec["data"] = block
        self.layers.append(spec)

    def extend_bounds(self, geoms_wgs84: np.ndarray) -> None:
        if len(geoms_wgs84) == 0:
            return
        b = shapely.total_bounds(geoms_wgs84)
        if not np.all(np.isfinite(b)):
            return
        self.bounds = list(b) if self.bounds is None else [min(self.bounds[0], b[0]), min(self.bounds[1], b[1]),
                                                           max(self.bounds[2], b[2]), max(self.bounds[3], b[3])]


# ---------------------------------------------------------------------------------------------
# Base layers


def _base_layers(page: _Page, base: dict[str, gpd.GeoDataFrame | None]) -> None:
    lang = page.lang
    boundary = base.get("boundary")
    if boundary is not None and len(boundary):
        geoms = _wgs84(shapely.simplify(boundary.geometry.values, 1.0), boundary.crs)
        names = escape_series(boundary["name"]) if "name" in boundary else pd.Series([""] * len(boundary))
        props = {"name": np.asarray(names, dtype=object)}
        page.add({"title": pick("研究范围", "Study area", lang), "kind": "area", "show": True, "order": 0,
                  "fields": [["name", pick("名称", "Name", lang)]],
                  "legend": [[pick("研究范围", "Study area", lang), BASE["study_area"], "dash"]]},
                 _features(geoms, props, digits=5))
        page.extend_bounds(geoms)
        page.holds.append(pick(f"研究范围 {len(boundary):,} 个片区", f"study area: {len(boundary):,} districts", lang))
    parcels = base.get("parcels")
    if parcels is not None and len(parcels):
        geoms = _wgs84(shapely.simplify(shapely.boundary(parcels.geometry.values), 0.5), parcels.crs)
        ids = escape_series(parcels["parcel_id"]) if "parcel_id" in parcels else pd.Series([""] * len(parcels))
        props = {"id": ids.to_numpy()}
        page.add({"title": pick(f"地块（{len(parcels):,}）", f"Parcels ({len(parcels):,})", lang), "kind": "parcels",
                  "show": True, "order": 1, "minZoom": 13 if len(parcels) > 20000 else 0,
                  "fields": [["id", pick("地块编号", "Parcel id", lang)]],
                  "legend": [[pick("地块", "Parcels", lang), BASE["parcels"], "outline"]]},
                 _features(geoms, props, digits=5))
        page.extend_bounds(geoms)
        page.holds.append(pick(f"地块 {len(parcels):,} 块", f"{len(parcels):,} parcels", lang))
    buildings = base.get("buildings")
    if buildings is not None and len(buildings):
        _buildings(page, buildings)
    roads = base.get("roads")
    if roads is not None and len(roads):
        _roads(page, roads)


def _buildings(page: _Page, buildings: gpd.GeoDataFrame) -> None:
    lang = page.lang
    n = len(buildings)
    legend = [[pick("现状建筑", "Buildings", lang), BASE["buildings"], "fill"]]
    title = pick(f"现状建筑（{n:,}）", f"Buildings ({n:,})", lang)
    if n <= VECTOR_BUILDINGS:
        geoms = _wgs84(shapely.simplify(buildings.geometry.values, 0.3), buildings.crs)
        page.add({"title": title, "kind": "buildings", "show": True, "order": 2, "fields": [],
                  "legend": legend}, _features(geoms, {}, digits=6))
        page.holds.append(pick(f"现状建筑 {n:,} 栋（矢量）", f"{n:,} buildings (vector)", lang))
        return
    # a million footprints: one transparent PNG in Web Mercator (the map's own projection)
    from PIL import Image
    from pyproj import Transformer

    b = shapely.bounds(buildings.geometry.values)
    t = Transformer.from_crs(buildings.crs, 3857, always_xy=True)
    x0, y0 = t.transform(b[:, 0], b[:, 1])
    x1, y1 = t.transform(b[:, 2], b[:, 3])
    # the footprints' boxes in Web Mercator as bounds (no geometry made per building)
    boxes = np.column_stack([np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1)])
    ext = np.array([np.nanmin(boxes[:, 0]), np.nanmin(boxes[:, 1]), np.nanmax(boxes[:, 2]), np.nanmax(boxes[:, 3])])
    w, h = ext[2] - ext[0], ext[3] - ext[1]
    width = BUILDING_IMAGE_PX if w >= h else max(int(BUILDING_IMAGE_PX * w / h), 50)
    height = BUILDING_IMAGE_PX if h > w else max(int(BUILDING_IMAGE_PX * h / w), 50)
    mask = _box_mask(boxes, ext, width, height)
    image = Image.fromarray(mask, mode="L").convert("P")
    grey = BASE["buildings"].lstrip("#")
    image.putpalette([255, 255, 255, int(grey[0:2], 16), int(grey[2:4], 16), int(grey[4:6], 16)] + [0] * 762)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True, transparency=0, bits=1)
    back = Transformer.from_crs(3857, 4326, always_xy=True)
    lon0, lat0 = back.transform(ext[0], ext[1])
    lon1, lat1 = back.transform(ext[2], ext[3])
    page.add({"title": title, "kind": "image", "show": True, "order": 2, "legend": legend,
              "url": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"),
              "bounds": [[lat0, lon0], [lat1, lon1]]})
    page.holds.append(pick(f"现状建筑 {n:,} 栋（以图像显示，约 {w / width:.0f} m 一像素）",
                           f"{n:,} buildings (as an image, about {w / width:.0f} m a pixel)", lang))


def _box_mask(boxes: np.ndarray, extent: np.ndarray, width: int, height: int) -> np.ndarray:
    """A mask of boxes (n x 4: x0, y0, x1, y1) on a ``width`` x ``height`` grid over ``extent``,
    filled with a difference array in bulk: a pixel is on where its centre is inside a box (as
    rasterising the box would) when boxes are several pixels across, else where the box touches
    it (a footprint smaller than a pixel stays visible)."""
    x0, y0, x1, y1 = (float(v) for v in extent)
    px, py = (x1 - x0) / width, (y1 - y0) / height
    b = boxes[np.isfinite(boxes).all(axis=1)]
    if len(b) == 0:
        return np.zeros((height, width), dtype="uint8")
    cx0, cx1 = (b[:, 0] - x0) / px, (b[:, 2] - x0) / px
    ry0, ry1 = (y1 - b[:, 3]) / py, (y1 - b[:, 1]) / py
    if np.median(cx1 - cx0) >= 4:  # pixel centres inside the box
        c0, c1 = np.ceil(cx0 - 0.5), np.floor(cx1 - 0.5)
        r0, r1 = np.ceil(ry0 - 0.5), np.floor(ry1 - 0.5)
    else:  # pixels the box touches
        c0, c1, r0, r1 = np.floor(cx0), np.floor(cx1), np.floor(ry0), np.floor(ry1)
    c0, c1 = np.clip(c0, 0, width - 1).astype(np.int64), np.clip(c1, 0, width - 1).astype(np.int64)
    r0, r1 = np.clip(r0, 0, height - 1).astype(np.int64), np.clip(r1, 0, height - 1).astype(np.int64)
    ok = (c0 <= c1) & (r0 <= r1)
    c0, c1, r0, r1 = c0[ok], c1[ok], r0[ok], r1[ok]
    # the four corners' +1/-1 counted with bincount (np.add.at: ten times the time for a million boxes)
    # one corner and one band of ~4 M cells at a time into int32 (a 6,000-pixel image's int64
    # counts whole would be 0.3 GiB each)
    w1, size = width + 1, (height + 1) * (width + 1)
    flat = np.zeros(size, dtype=np.int32)
    corners = [(r0 * w1 + c0, 1), (r0 * w1 + c1 + 1, -1), ((r1 + 1) * w1 + c0, -1), ((r1 + 1) * w1 + c1 + 1, 1)]
    band = 1 << 22
    for lo in range(0, size, band):
        hi = min(lo + band, size)
        for cells, sign in corners:
            inside = cells[(cells >= lo) & (cells < hi)] - lo
            if len(inside):
                counts = np.bincount(inside, minlength=hi - lo)
                if sign > 0:
                    flat[lo:hi] += counts
                else:
                    flat[lo:hi] -= counts
    diff = flat.reshape(height + 1, w1)
    np.cumsum(diff, axis=0, out=diff)  # in place: a 6,000-pixel image's int64 sums were 0.6 GiB
    np.cumsum(diff, axis=1, out=diff)
    out: np.ndarray = (diff[:height, :width] > 0).astype("uint8")
    return out


def _roads(page: _Page, roads: gpd.GeoDataFrame) -> None:
    """Roads by class: the segments of one road (class and name) merged into one feature; the
    names as tooltips and as labels along the longest stretch (shown from zoom 15)."""
    lang = page.lang
    cls = roads["road_class"].astype("string").fillna("other") if "road_class" in roads else \
        pd.Series(["other"] * len(roads), index=roads.index, dtype="string")
    names = roads["name"].astype("string").fillna("") if "name" in roads else \
        pd.Series([""] * len(roads), index=roads.index, dtype="string")
    key = cls.str.cat(names, sep="\x1f")
    codes, uniques = pd.factorize(key)
    parts, part_idx = shapely.get_parts(roads.geometry.values, return_index=True)
    line = shapely.get_type_id(parts) == 1
    group = codes[part_idx[line]]
    by_group = np.argsort(group, kind="stable")
    keep = np.unique(group)
    merged = shapely.line_merge(shapely.multilinestrings(parts[line][by_group], indices=group[by_group])[keep])
    u_cls = np.array([u.split("\x1f", 1)[0] for u in uniques], dtype=object)[keep]
    u_name = np.array([u.split("\x1f", 1)[1] for u in uniques], dtype=object)[keep]
    geoms = _wgs84(shapely.simplify(merged, 0.5), roads.crs)
    colours = np.array([road_style(c)[0] for c in u_cls], dtype=object)
    widths = np.array([max(road_style(c)[1] * 1.3, 0.8) for c in u_cls])
    titles = np.array([road_class_title(c, lang) for c in u_cls], dtype=object)
    props = {"name": escape_series(pd.Series(u_name)).to_numpy(), "cls": titles, "_c": colours,
             "_w": widths.round(1)}
    order = [c for c in ("expressway", "arterial", "collector", "local", "service", "path") if c in set(u_cls)]
    order += sorted(set(u_cls) - set(order))
    legend = [[road_class_title(c, lang), road_style(c)[0], "line"] for c in order]
    page.add({"title": pick(f"道路（{len(roads):,} 段）", f"Roads ({len(roads):,} segments)", lang), "kind": "roads",
              "show": True, "order": 3, "fields": [["name", pick("道路名称", "Name", lang)],
                                                  ["cls", pick("道路等级", "Class", lang)]],
              "legend": legend}, _features(geoms, props, digits=5))
    page.extend_bounds(geoms)
    page.holds.append(pick(f"道路 {len(roads):,} 段（按等级，同名路段合并）",
                           f"{len(roads):,} road segments (by class, segments of a road merged)", lang))
    # labels: one per named road, at the middle of its longest stretch
    named = u_name != ""
    if named.any():
        longest = shapely.get_parts(merged[named], return_index=True)
        lp, li = longest
        ln = shapely.length(lp)
        best = pd.Series(ln).groupby(li).idxmax().to_numpy()
        mids = shapely.line_interpolate_point(lp[best], 0.5, normalized=True)
        a = shapely.line_interpolate_point(lp[best], 0.45, normalized=True)
        b = shapely.line_interpolate_point(lp[best], 0.55, normalized=True)
        ang = np.degrees(np.arctan2(shapely.get_y(b) - shapely.get_y(a), shapely.get_x(b) - shapely.get_x(a)))
        ang = np.where(ang > 90, ang - 180, np.where(ang < -90, ang + 180, ang))
        pts = _wgs84(mids, roads.crs)
        label_props = {"name": escape_series(pd.Series(u_name[named][np.unique(li)])).to_numpy(),
                       "a": np.round(-ang, 0).astype(np.int64)}
        page.add({"title": pick("道路名称", "Road names", lang), "kind": "labels", "show": True, "order": 4,
                  "minZoom": 15, "legend": []}, _features(pts, label_props, digits=6))


# ---------------------------------------------------------------------------------------------
# Thematic layers


def _grid_summary(frame: gpd.GeoDataFrame, cell: float, lang: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Flags counted per square grid cell (``cell`` metres): cell polygons and per cell the
    number of flags and the rules (or facility types) with counts, most first."""
    x, y = _centres(frame.geometry.values)
    return _grid_cells(x, y, *_what(frame, lang), cell, lang)


def _centres(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The centres of the geometries' bounding boxes (where a flag is counted in a grid: a
    tenth of the time of a point on the surface, millions of flags)."""
    b = shapely.bounds(geoms)
    return (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


def _grid_cells(x: np.ndarray, y: np.ndarray, what: np.ndarray, titles: np.ndarray, cell: float, lang: str
                ) -> tuple[np.ndarray, pd.DataFrame]:
    """_grid_summary from the flags' points and their codes of ``titles`` (integers grouped,
    titles joined only per cell)."""
    keep = (what >= 0) & np.isfinite(x) & np.isfinite(y)
    gx = np.floor(x[keep] / cell).astype(np.int64)
    gy = np.floor(y[keep] / cell).astype(np.int64)
    counts = pd.DataFrame({"gx": gx, "gy": gy, "w": what[keep]}).groupby(["gx", "gy", "w"]).size().rename("n")
    counts = counts.reset_index().sort_values(["gx", "gy", "n"], ascending=[True, True, False], kind="stable")
    sep = "、" if lang == "zh" else ", "
    texts = titles[counts["w"].to_numpy()] + " " + counts["n"].map("{:,}".format).to_numpy(dtype=object)
    cell_codes, cell_keys = pd.factorize(pd.MultiIndex.from_arrays([counts["gx"], counts["gy"]]), sort=False)
    cells = pd.DataFrame({"gx": cell_keys.get_level_values(0), "gy": cell_keys.get_level_values(1),
                          "n": np.bincount(cell_codes, weights=counts["n"].to_numpy()).astype(np.int64),
                          "detail": joined_per_group(cell_codes, len(cell_keys), texts, sep)})
    polys = shapely.box(cells["gx"] * cell, cells["gy"] * cell, (cells["gx"] + 1) * cell, (cells["gy"] + 1) * cell)
    return polys, cells


def _source_summary(frame: gpd.GeoDataFrame, lang: str, limit: int | None = None) -> gpd.GeoDataFrame | None:
    """Flags of one source feature (a building) as one point: the rules, or the facility types
    it lacks, and how many; None when there are more than ``limit`` source features (nothing
    else is worked out)."""
    key = frame["source_id"].astype("string").fillna("")
    codes, uniq = pd.factorize(key)
    if limit is not None and len(uniq) > limit:
        return None
    first = np.unique(codes, return_index=True)[1]
    sep = "、" if lang == "zh" else ", "
    what, titles = _what(frame, lang)
    detail = joined_codes_per_group(codes, len(uniq), what, titles, sep)
    out = gpd.GeoDataFrame({"source_id": np.asarray(uniq, dtype=object).astype(str), "detail": detail,
                            "n": np.bincount(codes), "code": frame["code"].to_numpy()[first]},
                           geometry=shapely.point_on_surface(frame.geometry.values[first]), crs=frame.crs)
    return out


def _thematic(page: _Page, name: str, frame: gpd.GeoDataFrame, order: int) -> None:
    lang = page.lang
    title, popup, shown = _layer_spec(name, lang)
    n = len(frame)
    if name == "projects":
        _projects(page, frame, title, order)
        return
    codes = sorted({str(c) for c in pd.unique(frame["code"])})
    legend = [[code_title(c, lang), CODE_COLOURS.get(c, "#888888"), "fill"] for c in codes]
    # each code's colour looked up once (a lookup in the declarations per flag was 60 µs: 1.8 s
    # for 30,000 flags)
    palette = {c: CODE_COLOURS.get(c, "#888888") for c in codes}
    if n <= page.max_features:
        geoms = frame.geometry.values
        as_points = n > MAX_POLYGONS and (shapely.get_type_id(geoms) >= 1).any()
        geoms = shapely.point_on_surface(geoms) if as_points else shapely.simplify(geoms, 0.5,
                                                                                    preserve_topology=True)
        fields = [f for f in popup if f in frame.columns]
        if lang == "en" and "reason" in fields and "reason_en" in frame:
            frame = frame.assign(reason=frame["reason_en"])
        colours = frame["code"].astype(str).map(palette).to_numpy()
        props = _props(frame, fields, lang, {"_c": colours})
        g = _wgs84(geoms, frame.crs)
        label = f"{title}（{n:,}）" if lang == "zh" else f"{title} ({n:,})"
        page.add({"title": label, "kind": "flags", "show": shown, "order": order,
                  "fields": [[f, html_escape(alias(f, lang, name) if f != "code" else pick("规则", "Rule", lang))]
                             for f in fields], "legend": legend}, _features(g, props))
        page.extend_bounds(g)
        page.holds.append(pick(f"{title} {n:,} 条（逐条{'，以点显示' if as_points else ''}）",
                               f"{title}: {n:,} flags (each{', as points' if as_points else ''})", lang))
        return
    per_source = _source_summary(frame, lang, page.max_features)
    what = pick("缺少的设施", "Facilities missing", lang) if "facility_type" in frame else pick("规则", "Rules", lang)
    if per_source is not None:
        colours = per_source["code"].astype(str).map(palette).to_numpy()
        props = {"source_id": escape_series(per_source["source_id"]).to_numpy(),
                 "detail": escape_series(per_source["detail"]).to_numpy(),
                 "n": per_source["n"].map("{:,}".format).to_numpy(dtype=object), "_c": colours}
        g = _wgs84(per_source.geometry.values, frame.crs)
        label = pick(f"{title}（{n:,}，按要素汇总为 {len(per_source):,} 处）",
                     f"{title} ({n:,}, summarised as {len(per_source):,} features)", lang)
        page.add({"title": label, "kind": "flags", "show": shown, "order": order,
                  "fields": [["source_id", pick("来源要素编号", "Source id", lang)], ["detail", what],
                             ["n", pick("标记数", "Flags", lang)]], "legend": legend}, _features(g, props))
        page.holds.append(pick(f"{title} {n:,} 条：逐条显示已无意义，按来源要素（每栋建筑一处，列出{what}）汇总为 "
                               f"{len(per_source):,} 处；逐条数据见 portfolio.gpkg",
                               f"{title}: {n:,} flags, too many to draw one by one: summarised per source feature "
                               f"({len(per_source):,}, each with its {what.lower()}); every flag is in portfolio.gpkg",
                               lang))
        return
    cell = 250.0
    x, y = _centres(frame.geometry.values)
    flag_what, titles = _what(frame, lang)
    polys, cells = _grid_cells(x, y, flag_what, titles, cell, lang)
    while len(cells) > page.max_features:
        cell *= 2
        polys, cells = _grid_cells(x, y, flag_what, titles, cell, lang)
    colour = CODE_COLOURS.get(codes[0], "#888888") if len(codes) == 1 else "#555555"
    props = {"n": cells["n"].map("{:,}".format).to_numpy(dtype=object),
             "detail": escape_series(cells["detail"]).to_numpy(), "_c": np.full(len(cells), colour, dtype=object),
             "_o": np.round(0.15 + 0.6 * cells["n"].to_numpy() / cells["n"].max(), 2)}
    g = _wgs84(polys, frame.crs)
    label = pick(f"{title}（{n:,}，按 {cell:g} m 网格汇总）", f"{title} ({n:,}, summarised per {cell:g} m cell)", lang)
    page.add({"title": label, "kind": "grid", "show": shown, "order": order,
              "fields": [["n", pick("标记数", "Flags", lang)], ["detail", what]], "legend": legend},
             _features(g, props))
    page.holds.append(pick(f"{title} {n:,} 条：逐条显示已无意义，按 {cell:g} m 网格汇总为 {len(cells):,} 格；"
                           "逐条数据见 portfolio.gpkg",
                           f"{title}: {n:,} flags summarised per {cell:g} m grid cell ({len(cells):,} cells); every "
                           "flag is in portfolio.gpkg", lang))


def _projects(page: _Page, frame: gpd.GeoDataFrame, title: str, order: int) -> None:
    """Projects: outline and light fill by type, small ones on top; facility sites as their
    parcel or point; searchable by id and name."""
    lang = page.lang
    area = shapely.area(frame.geometry.values)
    by_area = np.argsort(-area, kind="stable")
    frame, area = frame.iloc[by_area], area[by_area]
    frame = frame.assign(type_title=[type_title(t, lang) for t in frame["type"]])
    geoms = np.array(frame.geometry.values, dtype=object)
    # more projects than a page draws one by one as shapes (the dense city's 216 k): the small
    # ones (a building, a facility site's circle) as points, in their place; the large as shapes
    small = np.zeros(len(frame), dtype=bool)
    if len(frame) > page.max_features:
        small = (shapely.get_type_id(geoms) >= 3) & (area < SMALL_PROJECT_M2)
        geoms[small] = shapely.point_on_surface(geoms[small])
    # shapes simplified, except those of about five vertices a part (a project of buildings:
    # nothing to take away, and simplifying the dense city's million footprints cost 8 s)
    shaped = ~small & (shapely.get_num_coordinates(geoms) > 5 * shapely.get_num_geometries(geoms))
    geoms[shaped] = shapely.simplify(geoms[shaped], 0.5, preserve_topology=True)
    fields = [f for f in PROJECT_POPUP if f in frame.columns]
    colours = frame["type"].map(lambda t: TYPE_COLOURS.get(t, "#888888")).to_numpy()
    props = _props(frame, fields, lang, {"_c": colours})
    g = _wgs84(geoms, frame.crs)
    n = len(frame)
    types = frame["type"].value_counts()
    legend = [[f"{type_title(t, lang)}（{c:,}）" if lang == "zh" else f"{type_title(t, lang)} ({c:,})",
               TYPE_COLOURS.get(t, "#888888"), "fill"] for t, c in types.items()]
    page.add({"title": f"{title}（{n:,}）" if lang == "zh" else f"{title} ({n:,})", "kind": "projects", "show": True,
              "order": order, "search": True,
              "fields": [[f, html_escape(alias(f, lang) if f != "type_title" else pick("项目类型", "Project type", lang))]
                         for f in fields], "legend": legend}, _features(g, props))
    page.extend_bounds(g)
    if small.any():
        k = int(small.sum())
        page.holds.append(pick(f"更新项目 {n:,} 个（全部；其中占地小于 {SMALL_PROJECT_M2:,.0f} m² 的 {k:,} 个以点显示）",
                               f"{n:,} renewal projects (all; {k:,} smaller than {SMALL_PROJECT_M2:,.0f} m² "
                               "drawn as points)", lang))
    else:
        page.holds.append(pick(f"更新项目 {n:,} 个（全部）", f"{n:,} renewal projects (all)", lang))


# ---------------------------------------------------------------------------------------------
# The page


def _offline_leaflet() -> tuple[str, str]:
    return (LEAFLET / "leaflet.js").read_text(encoding="utf-8"), (LEAFLET / "leaflet.css").read_text(encoding="utf-8")


def basemap_warning(basemap: str | None) -> str | None:
    """The warning that map.html holds the basemap's key (a Tianditu key, or a key in a tile URL
    template); None without a basemap. The key itself is not repeated."""
    if not basemap:
        return None
    if basemap.startswith("tianditu:"):
        what = "your Tianditu key"
    elif re.search(r"[?&](tk|key|token|access_token|apikey|api_key)=", basemap, re.IGNORECASE):
        what = "the key in your tile URL"
    else:
        what = "your tile URL"
    return (f"map.html now holds {what} (written in as asked with --basemap): anyone who gets the file can "
            "use it; share map.html only with people who may, or write it without --basemap")


def _tiles(basemap: str | None) -> dict[str, str] | None:
    if not basemap:
        return None
    if basemap.startswith("tianditu:"):
        key = basemap.split(":", 1)[1]
        return {"url": "https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                       "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + key,
                "attribution": "天地图"}
    return {"url": basemap, "attribution": ""}


def write_map(path: Path, layers: dict[str, gpd.GeoDataFrame | None], *, title: str, basemap: str | None = None,
              attribution: str = "", base: dict[str, gpd.GeoDataFrame | None] | None = None, lang: str = "zh",
              max_features: int = MAX_FEATURES) -> dict[str, Any]:
    """Write map.html; returns what it holds (layer titles and notes).

    ``layers``: projects and flag layers by name; ``base``: the input layers to draw under them
    (boundary, parcels, buildings, roads); ``basemap``: None (offline), 'tianditu:KEY' or a
    tile URL template."""
    lang = check_lang(lang)
    page = _Page(lang, max_features)
    _base_layers(page, base or {})
    order = 10
    for name, frame in layers.items():
        if frame is None or len(frame) == 0:
            continue
        _thematic(page, name, frame, order)
        order += 1
    config = {
        "lang": lang, "layers": page.layers, "bounds": page.bounds, "tiles": _tiles(basemap),
        "holds": page.holds,
        "text": {"legend": pick("图例", "Legend", lang), "search": pick("搜索项目编号或名称", "Search project id or name", lang),
                 "holds": pick("本图包含", "This map holds", lang), "none": pick("无匹配项目", "No matching project", lang),
                 "layers": pick("图层", "Layers", lang)},
    }
    js, css = _offline_leaflet()
    app = APP_JS.read_text(encoding="utf-8")
    config_text = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    foot = f'<div id="rp-attribution">{html_escape(attribution)}</div>' if attribution else ""
    head = (
        f'<!DOCTYPE html>\n<html lang="{pick("zh-CN", "en", lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{html_escape(title)}</title>\n<style>{css}</style>\n<style>{_CSS}</style>\n"
        f"<script>{js}</script>\n</head>\n<body>\n<div id=\"map\"></div>\n"
        f'<div id="rp-title">{html_escape(title)}</div>\n{foot}\n'
        f'<script type="application/json" id="rp-config">{config_text}</script>\n'
    )
    tail = f'\n<script id="rp-app">\n{app}\n</script>\n</body>\n</html>\n'
    # written piece by piece (the page of a city's layers is hundreds of megabytes: no copy of it
    # joined in memory)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(head)
        for i, block in enumerate(page.blocks):
            f.write(block if i == 0 else "\n" + block)
        f.write(tail)
    return {"layers": [sp["title"] for sp in page.layers], "holds": page.holds}


_CSS = """
html, body, #map { width: 100%; height: 100%; margin: 0; padding: 0; }
body { font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans SC", sans-serif; }
#rp-title { position: fixed; top: 8px; left: 56px; z-index: 1000; background: #fff; padding: 4px 10px;
  border: 1px solid #999; border-radius: 4px; font-size: 15px; font-weight: bold; }
#rp-attribution { position: fixed; bottom: 2px; right: 8px; z-index: 1000; background: rgba(255,255,255,.8);
  font-size: 11px; padding: 1px 6px; }
.rp-box { background: #fff; border: 1px solid #999; border-radius: 4px; padding: 6px 9px; font-size: 12px;
  box-shadow: 0 1px 4px rgba(0,0,0,.25); }
.rp-legend { max-height: 45vh; overflow: auto; min-width: 150px; }
.rp-legend h4, .rp-holds h4 { margin: 0 0 4px 0; font-size: 13px; }
.rp-legend .rp-group { margin-top: 4px; font-weight: bold; }
.rp-legend .rp-item { white-space: nowrap; line-height: 18px; }
.rp-swatch { display: inline-block; width: 16px; height: 11px; margin-right: 6px; vertical-align: middle;
  border: 1px solid #555; }
.rp-swatch.line { height: 0; border: 0; border-top: 3px solid; }
.rp-swatch.dash { height: 0; border: 0; border-top: 2px dashed; }
.rp-swatch.outline { background: none !important; }
.rp-search input { width: 220px; padding: 3px 5px; font-size: 13px; }
.rp-search ul { list-style: none; margin: 4px 0 0 0; padding: 0; max-height: 260px; overflow: auto; }
.rp-search li { padding: 2px 4px; cursor: pointer; }
.rp-search li:hover { background: #e8f0fe; }
.rp-holds { max-width: 360px; }
.rp-holds ul { margin: 4px 0 0 16px; padding: 0; }
.rp-popup th { text-align: left; padding-right: 8px; white-space: nowrap; vertical-align: top; color: #333; }
.rp-popup { font-size: 12px; border-collapse: collapse; }
.rp-road-label { font-size: 11px; color: #444; white-space: nowrap; text-shadow: 0 0 2px #fff, 0 0 2px #fff; }
"""
