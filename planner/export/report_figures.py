"""Figures of the plan draft (report.docx): maps drawn with the map-sheet code
(:mod:`planner.export.sheets`: its page, base map, projects, district names, north arrow and
scale bar) on a page the width of the report's text, and charts, all at print resolution
(300 dpi) in the bundled CJK font.

Each figure is one PNG (bytes). A figure is a task (a plain dict) so that several can be drawn
in worker processes; the base layers are handed to each worker once."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from planner.export.sheets import (
    DPI,
    ROAD_ORDER,
    SheetBase,
    _draw_base,
    _draw_projects,
    _line_list,
    _north_arrow,
    _Page,
    _place_district_names,
    _place_road_names,
    _ring_list,
    _scale_bar,
    building_raster,
    fit_extent,
)
from planner.export.styles import BASE, TYPE_COLOURS, road_style
from planner.export.terms import pick, road_class_title, type_title
from planner.fonts import use_cjk_font_in_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

# A figure's task, the base map drawn once for every map figure, a legend entry's style and what
# a base map drew: plain dicts (a task is pickled to worker processes).
Task = dict[str, Any]
Cache = dict[str, Any]
Style = dict[str, Any]
LegendEntry = tuple[str, str, Style]  # (label, kind, style)

FIG_W = 160.0            # mm: the report's text width (A4, 28 + 25 mm margins, rounded down)
MAP_H = 118.0            # mm: height of a map frame
VECTOR_MAX = 5000        # more flag features than this are painted into an image
PHASE_COLOURS = ("#AA3377", "#EE7733", "#4477AA", "#BBBBBB")  # first, second, third phase, other
FAIL_COLOURS = ("#FFFFFF", "#FDDBC7", "#F4A582", "#D6604D", "#B2182B")


# ---------------------------------------------------------------------------------------------
# Maps


def _legend_strip(page: _Page, entries: list[LegendEntry], height: float, lang: str) -> None:
    """Legend entries (label, kind, style) in three columns in the strip under the map."""
    from matplotlib.patches import Rectangle

    cols = 3
    col_w = (FIG_W - 4) / cols
    for i, (label, kind, st) in enumerate(entries):
        r, c = divmod(i, cols)
        x = 2 + c * col_w
        y = height - 4.2 - r * 4.6
        if kind == "fill":
            page.paper.add_patch(Rectangle((x, y - 1.5), 6, 3.0, facecolor=st["face"], edgecolor=st["edge"],
                                           lw=st.get("lw", 0.8)))
        elif kind == "line":
            page.paper.plot([x, x + 6], [y, y], color=st["colour"], lw=st["width"], ls=st.get("ls", "-"),
                            solid_capstyle="round")
        else:
            page.paper.scatter([x + 3], [y], s=14, c=st["colour"], edgecolors="#333333", linewidths=0.3)
        text = label
        room = col_w - 9
        from planner.export.sheets import _text_mm

        while _text_mm(text, 6.8) > room and len(text) > 2:
            text = text[:-2] + "…"
        page.paper.text(x + 7.5, y, text, fontsize=6.8, va="center")


def _legend_height(n: int) -> float:
    return 3.0 + math.ceil(max(n, 1) / 3) * 4.6


def _map_box(legend_h: float = 0.0) -> tuple[float, float, float, float]:
    return (0.6, legend_h, FIG_W - 1.2, MAP_H)


def _new_page(cache: Cache, n_legend: int) -> _Page:
    legend_h = _legend_height(n_legend)
    return _Page(cache["extent"], cache["scale"], map_box=_map_box(legend_h), size_mm=(FIG_W, legend_h + MAP_H + 0.6))


GENERALISE_ABOVE = 20000   # more road segments or parcels than this: a city-wide figure shows the main ones
MAIN_ROADS = ("expressway", "arterial", "collector")


def generalised(base: SheetBase) -> tuple[SheetBase, dict[str, int]]:
    """The base layers for figures the width of a page: with more than ``GENERALISE_ABOVE``
    road segments only the main roads are drawn, with more parcels than that none (at a whole
    city's scale they are a grey mush that takes most of the drawing time). Returns the base
    and what was left out (counts), for the caption's note."""
    import copy

    from planner.export.sheets import _Layer

    out = copy.copy(base)
    left: dict[str, int] = {}
    cls = base.roads.attrs.get("class")
    if cls is not None and len(base.roads.geoms) > GENERALISE_ABOVE:
        main = np.isin(cls, MAIN_ROADS)
        if 0 < main.sum() < len(main):
            out.roads = _Layer(base.roads.geoms[main], {k: v[main] for k, v in base.roads.attrs.items()})
            left["roads"] = int((~main).sum())
    if len(base.parcels.geoms) > GENERALISE_ABOVE:
        out.parcels = _Layer(np.zeros(0, dtype=object))
        left["parcels"] = len(base.parcels.geoms)
    return out, left


def base_images(base: SheetBase, lang: str) -> Cache:
    """The base map of every map figure, drawn once (the figures share its extent and scale):
    the layers as one image and the names (districts, roads) as a transparent one above the
    figure's own features. For a city of a million buildings this saves drawing and culling
    them for each figure."""
    import matplotlib.pyplot as plt

    box = _map_box()
    extent, scale = fit_extent(base.bounds, box[2], box[3], margin=base.margin)
    out: Cache = {"extent": extent, "scale": scale, "districts": base.boundary.geoms,
                 "district_names": base.boundary.attrs.get("name", np.zeros(0, dtype=object))}
    for key in ("layers", "names"):
        page = _Page(extent, scale, map_box=(0.0, 0.0, box[2], box[3]), size_mm=(box[2], box[3]))
        for spine in page.ax.spines.values():
            spine.set_visible(False)
        if key == "layers":
            out["drawn"] = _draw_base(page, base, lang)
        else:
            page.fig.patch.set_alpha(0.0)
            page.ax.patch.set_alpha(0.0)
            _place_district_names(page, base)
            _place_road_names(page, base, limit=30)
        page.fig.canvas.draw()
        out[key] = np.asarray(page.fig.canvas.buffer_rgba()).copy()  # type: ignore[attr-defined]
        plt.close(page.fig)
    return out


def _draw_cached_base(page: _Page, cache: Cache) -> dict[str, Any]:
    page.ax.patch.set_visible(False)  # the base image goes under the map axes (see _finish)
    page.fig.patch.set_alpha(0.0)
    drawn: dict[str, Any] = cache["drawn"]  # what _draw_base drew
    return drawn


def _base_entries(drawn: dict[str, Any], lang: str) -> list[LegendEntry]:
    entries: list[LegendEntry] = []
    roads = drawn.get("roads", {})
    main = [c for c in sorted(roads, key=lambda c: -ROAD_ORDER.index(c) if c in ROAD_ORDER else 0) if c != "planned"]
    for c in main[:3]:
        colour, width = road_style(c)
        entries.append((road_class_title(c, lang), "line", {"colour": colour, "width": width}))
    if drawn.get("buildings"):
        entries.append((pick("现状建筑", "Buildings", lang), "fill",
                        {"face": BASE["buildings"], "edge": BASE["buildings_outline"], "lw": 0.3}))
    if drawn.get("study_area"):
        entries.append((pick("研究范围", "Study area", lang), "line",
                        {"colour": BASE["study_area"], "width": 1.1, "ls": (0, (6, 1.5, 1, 1.5))}))
    return entries


def _finish(page: _Page, cache: Cache, entries: list[LegendEntry], lang: str) -> bytes:
    _north_arrow(page, lang)
    _scale_bar(page, lang)
    _legend_strip(page, entries, page.map_box[1], lang)
    x, y, _w, h = page.map_box
    top_left = (int(round(x / 25.4 * DPI)), int(round((page.size[1] - y - h) / 25.4 * DPI)))
    return _png(page.fig, under=cache["layers"], over=cache["names"], at=top_left)


def _png(fig: Figure, *, under: np.ndarray | None = None, over: np.ndarray | None = None,
         at: tuple[int, int] = (0, 0)) -> bytes:
    """The figure as a 256-colour PNG at 300 dpi (maps and charts have few colours: a third of
    the bytes of a full-colour one, and quicker to write). ``under`` and ``over`` are images
    laid under and over the drawing at pixel ``at`` (top-left): the cached base map and names,
    composited here rather than drawn again."""
    import matplotlib.pyplot as plt
    from PIL import Image

    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]  # an Agg canvas
    plt.close(fig)
    if under is None and over is None:
        img = Image.fromarray(rgba[:, :, :3])
    else:
        drawn = Image.fromarray(rgba, "RGBA")
        canvas = Image.new("RGBA", drawn.size, (255, 255, 255, 255))
        for layer in (under, None, over):
            if layer is None:
                canvas.alpha_composite(drawn)
                continue
            w = min(layer.shape[1], canvas.size[0] - at[0])
            h = min(layer.shape[0], canvas.size[1] - at[1])
            canvas.alpha_composite(Image.fromarray(np.ascontiguousarray(layer[:h, :w]), "RGBA"), dest=at)
        img = canvas.convert("RGB")
    out = io.BytesIO()
    img.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        out, format="PNG", compress_level=6, dpi=(DPI, DPI))
    return out.getvalue()


def _paint(page: _Page, geoms: np.ndarray, colour: str, zorder: float) -> None:
    """Many features as one image: their footprints (or bounding boxes) and a dot at each, so
    that a flagged building stays visible at the scale of a whole city."""
    e = page.extent
    x, y, w, h = page.map_box
    width, height = int(w / 25.4 * DPI), int(h / 25.4 * DPI)
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    mask = building_raster(geoms[poly], e, width=width, height=height) if poly.any() else \
        np.zeros((height, width), dtype="uint8")
    pts = shapely.point_on_surface(geoms)
    px = ((shapely.get_x(pts) - e[0]) / (e[2] - e[0]) * width).astype(int)
    py = ((e[3] - shapely.get_y(pts)) / (e[3] - e[1]) * height).astype(int)
    ok = (px >= 0) & (px < width) & (py >= 0) & (py < height)
    r = 3
    for dx in range(-r, r + 1):
        for dy in range(-r, r + 1):
            if dx * dx + dy * dy <= r * r:
                xx, yy = np.clip(px[ok] + dx, 0, width - 1), np.clip(py[ok] + dy, 0, height - 1)
                mask[yy, xx] = 1
    rgba = np.zeros((height, width, 4), dtype=np.float32)
    c = colour.lstrip("#")
    rgba[mask > 0] = (int(c[0:2], 16) / 255, int(c[2:4], 16) / 255, int(c[4:6], 16) / 255, 0.9)
    page.ax.imshow(rgba, extent=(e[0], e[2], e[1], e[3]), origin="upper", zorder=zorder, interpolation="nearest")


def _draw_features(page: _Page, geoms: np.ndarray, colour: str, zorder: float) -> None:
    """Flags of one rule: polygons with a light fill, lines, points; those too small to see at
    the figure's scale get a dot."""
    from matplotlib.collections import LineCollection, PolyCollection

    if len(geoms) == 0:
        return
    if len(geoms) > VECTOR_MAX:
        lines = np.isin(shapely.get_type_id(geoms), (1, 5))
        if lines.any():
            page.ax.add_collection(LineCollection(_line_list(geoms[lines]), colors=colour, linewidths=1.4,
                                                  zorder=zorder, rasterized=True))
        if (~lines).any():
            _paint(page, geoms[~lines], colour, zorder)
        return
    tid = shapely.get_type_id(geoms)
    poly = np.isin(tid, (3, 6))
    if poly.any():
        rings = _ring_list(geoms[poly])
        page.ax.add_collection(PolyCollection(rings, facecolors=colour + "99", edgecolors=colour, linewidths=0.5,
                                              zorder=zorder))
    line = np.isin(tid, (1, 5))
    if line.any():
        page.ax.add_collection(LineCollection(_line_list(geoms[line]), colors=colour, linewidths=1.6, zorder=zorder,
                                              capstyle="round"))
    b = shapely.bounds(geoms)
    size_mm = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / page.scale * 1000
    small = np.isin(tid, (0, 4)) | (poly & (size_mm < 1.2))
    if small.any():
        pts = shapely.point_on_surface(geoms[small])
        page.ax.scatter(shapely.get_x(pts), shapely.get_y(pts), s=7 if small.sum() > 500 else 14, c=colour,
                        edgecolors="#333333", linewidths=0.25, zorder=zorder + 0.1)


def draw_flags_map(cache: Cache, task: Task) -> bytes:
    """Flags of one analysis coloured by rule: ``task["rules"]`` is a list of (code, title,
    colour, geometries) in drawing order (the most severe last, on top)."""
    lang = task["lang"]
    rules = [rule for rule in task["rules"] if len(rule[3])]
    entries: list[LegendEntry] = []
    for _code, title, colour, geoms in rules:
        tid = shapely.get_type_id(geoms[0])
        kind = "line" if tid in (1, 5) else ("marker" if tid in (0, 4) else "fill")
        style = {"colour": colour, "width": 1.6} if kind == "line" else {"colour": colour, "face": colour + "99",
                                                                         "edge": colour}
        entries.append((f"{title}（{len(geoms):,}）" if lang == "zh" else f"{title} ({len(geoms):,})", kind, style))
    page = _new_page(cache, len(entries) + 3)
    drawn = _draw_cached_base(page, cache)
    for i, (_code, _title, colour, geoms) in enumerate(rules):
        _draw_features(page, geoms, colour, 5.0 + i * 0.2)
    return _finish(page, cache, entries + _base_entries(drawn, lang)[:3], lang)


def draw_projects_map(cache: Cache, task: Task) -> bytes:
    """Projects by type (the map sheets' colours) or by phase."""
    lang = task["lang"]
    projects = task["projects"]
    by = task.get("by", "type")
    groups: list[tuple[str, Any]] = []  # (phase, its projects)
    colours: dict[str, str] = {}
    type_order: list[str] = []  # largest type first
    if by == "phase":
        phases = task["phases"]
        colours = {p: PHASE_COLOURS[min(i, len(PHASE_COLOURS) - 1)] for i, p in enumerate(phases)}
        groups = [(p, projects[projects["phase"] == p]) for p in phases]
        entries = [(f"{p}（{len(g):,}）" if lang == "zh" else f"{p} ({len(g):,})", "fill",
                    {"face": colours[p] + "59", "edge": colours[p]}) for p, g in groups if len(g)]
    else:
        counts = projects["type"].value_counts()
        type_order = list(counts.index)
        order = sorted(counts.index, key=lambda t: list(TYPE_COLOURS).index(t) if t in TYPE_COLOURS else 99)
        entries = [(f"{type_title(t, lang)}（{counts[t]:,}）" if lang == "zh" else
                    f"{type_title(t, lang)} ({counts[t]:,})", "fill",
                    {"face": TYPE_COLOURS.get(t, "#888888") + "59", "edge": TYPE_COLOURS.get(t, "#888888")})
                   for t in order]
    page = _new_page(cache, len(entries) + 3)
    drawn = _draw_cached_base(page, cache)
    if by == "phase":  # later phases below, the first phase on top
        for k, (p, g) in enumerate(reversed(groups)):
            _draw_features(page, g.geometry.values, colours[p], 5.0 + k * 0.3)
    elif len(projects) > VECTOR_MAX:  # a city's thousands of projects: painted by type, large types first
        for k, t in enumerate(type_order):
            g = projects[projects["type"] == t]
            _draw_features(page, g.geometry.values, TYPE_COLOURS.get(t, "#888888"), 5.0 + k * 0.1)
    else:
        _draw_projects(page, projects, zorder=5.0)
    return _finish(page, cache, entries + _base_entries(drawn, lang)[:3], lang)


def draw_study_area_map(cache: Cache, task: Task) -> bytes:
    lang = task["lang"]
    page = _new_page(cache, 6)
    drawn = _draw_cached_base(page, cache)
    entries = _base_entries(drawn, lang)
    if drawn.get("parcels"):
        entries.append((pick("地块", "Parcels", lang), "fill", {"face": "none", "edge": BASE["parcels"], "lw": 0.5}))
    if drawn.get("water"):
        entries.append((pick("水系", "Water", lang), "fill", {"face": BASE["water"], "edge": BASE["water_outline"]}))
    return _finish(page, cache, entries, lang)


def draw_districts_map(cache: Cache, task: Task) -> bytes:
    """Districts shaded by how many indicators with a target they fail."""
    from matplotlib.collections import PolyCollection

    lang = task["lang"]
    fails: dict[str, int] = task["fails"]
    top = max([*fails.values(), 1])
    steps = sorted(set(fails.values())) or [0]
    colour_of = {v: FAIL_COLOURS[min(int(round(v / top * (len(FAIL_COLOURS) - 1))), len(FAIL_COLOURS) - 1)]
                 for v in steps}
    entries = [(pick(f"未达标 {v} 项", f"{v} not met", lang), "fill", {"face": colour_of[v] + "CC", "edge": "#666666",
                                                                     "lw": 0.5}) for v in steps]
    page = _new_page(cache, len(entries) + 3)
    drawn = _draw_cached_base(page, cache)
    names, geoms = cache["district_names"], cache["districts"]
    if len(geoms):
        parts, idx = shapely.get_parts(geoms, return_index=True)
        keep = shapely.get_type_id(parts) == 3
        rings = _ring_list(parts[keep])
        faces = [colour_of.get(fails.get(str(names[i]), 0), FAIL_COLOURS[0]) + "66" for i in idx[keep]]
        page.ax.add_collection(PolyCollection(rings, facecolors=faces, edgecolors="#555555", linewidths=0.6,
                                              zorder=1.5))  # over the base map, seen through
    return _finish(page, cache, entries + _base_entries(drawn, lang)[:3], lang)


# ---------------------------------------------------------------------------------------------
# Charts


def _chart_figure(height_mm: float) -> Figure:
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(FIG_W / 25.4, height_mm / 25.4), dpi=DPI)


def _save(fig: Figure) -> bytes:
    return _png(fig)


def draw_bar_chart(task: Task) -> bytes:
    """Horizontal bars, one per label, with their values written at the bars' ends; an
    optional second series is drawn stacked (``stack``: list of (name, values, colour))."""
    labels: list[str] = task["labels"]
    series: list[tuple[str, list[float], str]] = task["series"]
    n = len(labels)
    legend_mm = 4.2 * math.ceil(len(series) / 4) + 1.5 if len(series) > 1 else 0.0
    height = max(42.0, 16 + 6.2 * n) + legend_mm
    fig = _chart_figure(height)
    bottom, top = 11 / height, (2.5 + legend_mm) / height  # mm for the axis and the legend
    ax = fig.add_axes((0.30, bottom, 0.62, 1 - bottom - top))
    y = np.arange(n)
    left = np.zeros(n)
    for name, values, colour in series:
        v = np.asarray(values, dtype=float)
        ax.barh(y, v, left=left, color=colour, height=0.62, label=name)
        left = left + v
    total = left
    span = float(total.max()) if n and total.max() > 0 else 1.0
    digits = task.get("digits", 0)
    for i, t in enumerate(total):
        ax.text(t + span * 0.01, i, f"{t:,.{digits}f}", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, span * 1.16)
    ax.tick_params(axis="x", labelsize=7)
    ax.xaxis.set_major_formatter(_thousands())
    ax.set_xlabel(task.get("xlabel", ""), fontsize=7.5)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    if len(series) > 1:
        fig.legend(loc="upper center", ncol=min(len(series), 4), fontsize=7, frameon=False,
                   bbox_to_anchor=(0.61, 1.0))
    return _save(fig)


def _thousands() -> FuncFormatter:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}")


def draw_pass_chart(task: Task) -> bytes:
    """Indicators met and not met per district (stacked bars)."""
    lang = task["lang"]
    return draw_bar_chart({"labels": task["labels"], "lang": lang,
                           "series": [(pick("达标", "Met", lang), task["met"], "#4477AA"),
                                      (pick("未达标", "Not met", lang), task["failed"], "#CC3311")],
                           "xlabel": pick("有目标值的指标（项）", "Indicators with a target", lang)})


# ---------------------------------------------------------------------------------------------
# Drawing the tasks (in this process or in workers)

_WORKER: dict[str, Any] = {}
DRAW = {"flags": draw_flags_map, "projects": draw_projects_map, "study_area": draw_study_area_map,
        "districts": draw_districts_map}


def _init(cache: Cache | None) -> None:
    from planner.parallel import die_with_parent

    die_with_parent()  # a killed run leaves no figure worker waiting for tasks
    _WORKER["cache"] = cache


def draw(task: Task) -> bytes:
    """One figure as PNG bytes; every text is drawn literally (no mathtext)."""
    import matplotlib.pyplot as plt

    use_cjk_font_in_matplotlib()
    with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
        kind = task["kind"]
        if kind == "bars":
            return draw_bar_chart(task)
        if kind == "pass":
            return draw_pass_chart(task)
        return DRAW[kind](_WORKER["cache"], task)


def draw_all(tasks: list[Task], base: SheetBase | None, *, workers: int | None = None,
             start_method: str | None = None) -> list[bytes]:
    """Draw every figure: here, or in ``workers`` processes (``start_method`` "fork" or "spawn")."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import matplotlib.pyplot as plt

    cache = None
    if base is not None and any(t["kind"] in DRAW for t in tasks):
        use_cjk_font_in_matplotlib()
        with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
            cache = base_images(base, tasks[0].get("lang", "zh"))
    # In this process by default: handing a city's flag geometries to workers (tens of MB pickled)
    # cost more than the second core saved on the 2-core machine measured (1 M-building city:
    # 15 s drawing here against 26 s in two forked workers). A GUI passes start_method="spawn"
    # to keep matplotlib (which holds the GIL) out of its process.
    workers = workers if workers is not None else 1
    if len(tasks) > 1 and (start_method == "spawn" or workers > 1):
        ctx = multiprocessing.get_context(start_method or "fork")
        # the slowest figures first, so that the pool ends together
        order = sorted(range(len(tasks)), key=lambda i: tasks[i]["kind"] in ("bars", "pass"))
        with ProcessPoolExecutor(max_workers=max(min(workers, len(tasks)), 1), mp_context=ctx, initializer=_init,
                                 initargs=(cache,)) as pool:
            drawn = list(pool.map(draw, [tasks[i] for i in order]))
        out: list[bytes] = [b""] * len(tasks)
        for i, png in zip(order, drawn, strict=True):
            out[i] = png
        return out
    _init(cache)
    return [draw(t) for t in tasks]
