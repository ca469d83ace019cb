"""Print-ready map sheets (A3 landscape, PNG and PDF): an overview and one per project type,
with title, legend, scale bar, north arrow, CRS and data-date note, in the bundled CJK font.

Buildings are drawn once as a raster (rasterio.features.rasterize) shared by every sheet, so a
city of a million footprints costs one rasterisation, not one vector plot per sheet."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import shapely

from planner.export.styles import TYPE_COLOURS
from planner.fileio import atomic_path
from planner.fonts import use_cjk_font_in_matplotlib

A3 = (16.54, 11.69)  # inches, landscape
DPI = 150
RASTERIZE_ABOVE = 3000  # larger collections go into the PDF as an image: vector PDFs of 100k shapes crawl


def _nice_length(max_m: float) -> float:
    exp = 10 ** math.floor(math.log10(max_m))
    for f in (5, 2, 1):
        if f * exp <= max_m:
            return f * exp
    return exp


def building_raster(geoms: np.ndarray, extent, width: int = 1800) -> np.ndarray:
    """A mask of building footprints at about the sheet's pixel size, built once.

    Footprints smaller than a few pixels are filled as their bounding boxes with a vectorised
    difference-array fill (a million buildings in well under a second); where footprints are
    large on the sheet, rasterio draws their true outlines (small towns: few polygons)."""
    x0, y0, x1, y1 = extent
    height = max(min(int(width * (y1 - y0) / (x1 - x0)), 3000), 100)
    px = (x1 - x0) / width
    b = shapely.bounds(geoms)
    if np.median(b[:, 2] - b[:, 0]) / px >= 4:
        from rasterio.features import rasterize
        from rasterio.transform import from_bounds

        return rasterize(((g, 1) for g in geoms), out_shape=(height, width),
                         transform=from_bounds(x0, y0, x1, y1, width, height), fill=0, dtype="uint8")
    c0 = np.clip(((b[:, 0] - x0) / px).astype(int), 0, width - 1)
    c1 = np.clip(((b[:, 2] - x0) / px).astype(int), 0, width - 1)
    r0 = np.clip(((y1 - b[:, 3]) / px * height / ((y1 - y0) / px)).astype(int), 0, height - 1)
    r1 = np.clip(((y1 - b[:, 1]) / px * height / ((y1 - y0) / px)).astype(int), 0, height - 1)
    diff = np.zeros((height + 1, width + 1), dtype=np.int32)
    np.add.at(diff, (r0, c0), 1)
    np.add.at(diff, (r0, c1 + 1), -1)
    np.add.at(diff, (r1 + 1, c0), -1)
    np.add.at(diff, (r1 + 1, c1 + 1), 1)
    return (diff.cumsum(0).cumsum(1)[:height, :width] > 0).astype("uint8")


class SheetBase:
    """What every sheet shares, drawn once: the extent, and a base image of buildings and roads
    (a city's million footprints and 200,000 road segments are drawn once, not once per sheet),
    plus the study-area outlines (few, kept as vectors)."""

    def __init__(self, ws, *, margin: float = 0.04, width: int = 1800):
        use_cjk_font_in_matplotlib()
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection

        frames = [f for f in (ws.frame("boundary"), ws.frame("roads"), ws.frame("buildings"), ws.frame("parcels"))
                  if f is not None and len(f)]
        b = np.array([f.total_bounds for f in frames])
        x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
        dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
        self.extent = (x0 - dx, y0 - dy, x1 + dx, y1 + dy)
        x0, y0, x1, y1 = self.extent
        height = max(min(int(width * (y1 - y0) / (x1 - x0)), 3000), 100)
        fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        buildings = ws.frame("buildings")
        if buildings is not None and len(buildings):
            mask = building_raster(buildings.geometry.values, self.extent, width=width)
            rgba = np.zeros((*mask.shape, 4), dtype=np.float32)
            rgba[mask > 0] = (0.78, 0.78, 0.78, 1.0)
            ax.imshow(rgba, extent=(x0, x1, y0, y1), origin="upper", interpolation="nearest")
        roads = ws.frame("roads")
        if roads is not None and len(roads):
            coords, idx = shapely.get_coordinates(shapely.get_parts(roads.geometry.values), return_index=True)
            starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
            ax.add_collection(LineCollection(np.split(coords, starts[1:]), colors="#9a9a9a", linewidths=0.5))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        fig.canvas.draw()
        self.image = np.asarray(fig.canvas.buffer_rgba()).copy()  # type: ignore[attr-defined]  # Agg canvas
        plt.close(fig)
        self.outlines: list[np.ndarray] = []
        boundary = ws.frame("boundary")
        if boundary is not None and len(boundary):
            self.outlines = [shapely.get_coordinates(g) for g in
                             shapely.get_parts(shapely.boundary(boundary.geometry.values))]

    def draw_base(self, ax) -> None:
        x0, y0, x1, y1 = self.extent
        ax.imshow(self.image, extent=(x0, x1, y0, y1), origin="upper", zorder=1, interpolation="antialiased")
        for xy in self.outlines:
            ax.plot(xy[:, 0], xy[:, 1], color="#d62728", lw=1.0, ls="--", zorder=3)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])


def _polys(ax, geoms: np.ndarray, colour: str, zorder: int = 4) -> None:
    from matplotlib.collections import PolyCollection

    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 3]
    if len(parts) == 0:
        return
    rings = shapely.get_exterior_ring(parts)
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    verts = np.split(coords, starts[1:])
    ax.add_collection(PolyCollection(verts, facecolors=colour, edgecolors="#333333", linewidths=0.3, alpha=0.75,
                                     zorder=zorder, rasterized=len(verts) > RASTERIZE_ABOVE))


def _furniture(fig, ax, *, title: str, subtitle: str, legend: list[tuple[str, str]], note: str) -> None:
    from matplotlib.patches import Patch, Rectangle

    fig.text(0.04, 0.955, title, fontsize=22, va="top")
    fig.text(0.04, 0.915, subtitle, fontsize=12, va="top", color="#333333")
    if legend:
        handles = [Patch(facecolor=c, edgecolor="#333333", label=t) for t, c in legend]
        handles += [Patch(facecolor="#c7c7c7", label="现状建筑"), Patch(facecolor="none", edgecolor="#d62728", ls="--",
                                                                        label="研究范围/行政区")]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10, title="图例",
                  title_fontsize=12, frameon=True)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length((x1 - x0) / 5)
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    h = (y1 - y0) * 0.008
    for i in range(4):
        ax.add_patch(Rectangle((bx + i * length / 4, by), length / 4, h, facecolor="black" if i % 2 == 0 else "white",
                               edgecolor="black", lw=0.8, zorder=10))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx, by + 2.2 * h, "0", fontsize=9, ha="center", zorder=10)
    ax.text(bx + length, by + 2.2 * h, label, fontsize=9, ha="center", zorder=10)
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction", ha="center", va="center",
                fontsize=16, arrowprops={"arrowstyle": "-|>", "lw": 2, "color": "black"}, zorder=10)
    fig.text(0.04, 0.03, note, fontsize=9, color="#444444")


def _render_sheet(task: dict) -> list[str]:
    """Draw one sheet (PNG and PDF). A module-level function, so it can run in a worker process.

    Every text is drawn literally: a project name such as "$区$" is not matplotlib mathtext."""
    import matplotlib.pyplot as plt

    with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _draw_sheet(task)


def _draw_sheet(task: dict) -> list[str]:
    import matplotlib.pyplot as plt

    use_cjk_font_in_matplotlib()
    base, projects, name, kinds, types = task["base"], task["projects"], task["name"], task["kinds"], task["types"]
    fig = plt.figure(figsize=A3, dpi=DPI)
    ax = fig.add_axes((0.04, 0.07, 0.74, 0.82))
    base.draw_base(ax)
    legend = []
    # Large areas first so that small projects stay visible; on the overview, facility projects
    # (whose areas are the gap neighbourhoods) are drawn as markers at their centres.
    order = sorted(kinds, key=lambda k: -float(shapely.area(projects.geometry.values[
        (projects["type"] == k).to_numpy()]).mean()))
    for k in order:
        sel = projects[projects["type"] == k]
        colour = TYPE_COLOURS.get(k, "#888888")
        if name == "overview" and k == "service_facility":
            pts = shapely.point_on_surface(sel.geometry.values)
            ax.scatter(shapely.get_x(pts), shapely.get_y(pts), marker="^", s=28, c=colour, edgecolors="#333333",
                       linewidths=0.4, zorder=6, rasterized=len(sel) > RASTERIZE_ABOVE)
        else:
            _polys(ax, sel.geometry.values, colour, zorder=4 if k != "road_link" else 5)
        legend.append((f"{types.get(k, k)}（{len(sel)}）", colour))
    if name != "overview" and len(kinds) == 1:
        top = projects[projects["type"] == kinds[0]].sort_values("priority_score", ascending=False).head(15)
        pts = shapely.point_on_surface(top.geometry.values)
        for p, label in zip(pts, top["project_id"], strict=True):
            ax.text(p.x, p.y, label, fontsize=7, ha="center", va="center", zorder=11,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    sheet_title = task["title"] if name == "overview" else f"{task['title']} — {types.get(name, name)}"
    mine = projects if name == "overview" else projects[projects["type"] == name]
    _furniture(fig, ax, title=sheet_title, subtitle=f"项目 {len(mine)} 个，估算投资 {float(mine['estimated_cost'].sum()):,.0f} 万元",
               legend=legend, note=task["note"])
    written = []
    for suffix in (".png", ".pdf"):
        target = Path(task["out_dir"]) / f"{name}{suffix}"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=suffix[1:], dpi=DPI)
        written.append(str(target))
    plt.close(fig)
    return written


def write_sheets(out_dir: Path, base: SheetBase, projects, *, title: str, note: str, types: dict,
                 which: list[str] | None = None, workers: int | None = None, start_method: str | None = None
                 ) -> list[Path]:
    """Overview plus one sheet per project type present (or those in ``which``).

    Sheets are drawn in parallel worker processes where the platform forks cheaply (``workers``
    defaults to the core count there, 1 elsewhere); pass ``workers=1`` from a GUI thread."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    out_dir.mkdir(parents=True, exist_ok=True)
    present = list(dict.fromkeys(projects["type"].tolist())) if len(projects) else []
    sheets = [("overview", present)] + [(t, [t]) for t in present]
    if which is not None:
        sheets = [sh for sh in sheets if sh[0] in which]
    titles = {k: (v.title if hasattr(v, "title") else str(v)) for k, v in types.items()}
    slim = projects[["project_id", "type", "priority_score", "estimated_cost", projects.geometry.name]]
    tasks = [{"base": base, "projects": slim if name == "overview" else slim[slim["type"].isin(kinds)],
              "name": name, "kinds": kinds, "types": titles, "title": title, "note": note, "out_dir": str(out_dir)}
             for name, kinds in sheets]
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    workers = workers if workers is not None else (min(os.cpu_count() or 1, 4) if can_fork else 1)
    if start_method == "spawn" or (workers > 1 and len(tasks) > 1):
        # "spawn" keeps matplotlib, which holds the GIL while it draws, out of a GUI process
        ctx = multiprocessing.get_context(start_method or "fork")
        with ProcessPoolExecutor(max_workers=max(workers, 1), mp_context=ctx) as pool:
            results = list(pool.map(_render_sheet, tasks))
    else:
        results = [_render_sheet(t) for t in tasks]
    return [Path(p) for r in results for p in r]
