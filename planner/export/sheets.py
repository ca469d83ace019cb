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


def _nice_length(max_m: float) -> float:
    exp = 10 ** math.floor(math.log10(max_m))
    for f in (5, 2, 1):
        if f * exp <= max_m:
            return f * exp
    return exp


class SheetBase:
    """What every sheet shares: extent, building raster, roads and districts."""

    def __init__(self, ws, *, margin: float = 0.04):
        use_cjk_font_in_matplotlib()
        frames = [f for f in (ws.frame("boundary"), ws.frame("roads"), ws.frame("buildings"), ws.frame("parcels"))
                  if f is not None and len(f)]
        b = np.array([f.total_bounds for f in frames])
        x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
        dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
        self.extent = (x0 - dx, y0 - dy, x1 + dx, y1 + dy)
        self.ws = ws
        self.raster = None
        buildings = ws.frame("buildings")
        if buildings is not None and len(buildings):
            from rasterio.features import rasterize
            from rasterio.transform import from_bounds

            w, h = 2400, int(2400 * (self.extent[3] - self.extent[1]) / (self.extent[2] - self.extent[0]))
            h = max(min(h, 4000), 200)
            transform = from_bounds(*self.extent, w, h)
            self.raster = rasterize(((g, 1) for g in buildings.geometry.values), out_shape=(h, w), transform=transform,
                                    fill=0, dtype="uint8")

    def draw_base(self, ax) -> None:
        from matplotlib.collections import LineCollection

        x0, y0, x1, y1 = self.extent
        if self.raster is not None:
            rgba = np.zeros((*self.raster.shape, 4), dtype=np.float32)
            rgba[self.raster > 0] = (0.78, 0.78, 0.78, 1.0)
            ax.imshow(rgba, extent=(x0, x1, y0, y1), origin="upper", zorder=1, interpolation="nearest")
        roads = self.ws.frame("roads")
        if roads is not None and len(roads):
            coords, idx = shapely.get_coordinates(shapely.get_parts(roads.geometry.values), return_index=True)
            starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
            segs = np.split(coords, starts[1:])
            ax.add_collection(LineCollection(segs, colors="#9a9a9a", linewidths=0.5, zorder=2))
        boundary = self.ws.frame("boundary")
        if boundary is not None and len(boundary):
            for g in shapely.get_parts(shapely.boundary(boundary.geometry.values)):
                xy = shapely.get_coordinates(g)
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
                                     zorder=zorder))


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


def write_sheets(out_dir: Path, base: SheetBase, projects, *, title: str, note: str, types: dict,
                 which: list[str] | None = None) -> list[Path]:
    """Overview plus one sheet per project type present (or those in ``which``)."""
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    present = list(dict.fromkeys(projects["type"].tolist())) if len(projects) else []
    sheets = [("overview", present)] + [(t, [t]) for t in present]
    if which is not None:
        sheets = [s for s in sheets if s[0] in which]
    for name, kinds in sheets:
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
                           linewidths=0.4, zorder=6)
            else:
                _polys(ax, sel.geometry.values, colour, zorder=4 if k != "road_link" else 5)
            legend.append((f"{types[k].title if k in types else k}（{len(sel)}）", colour))
        if name != "overview" and len(kinds) == 1:
            sel = projects[projects["type"] == kinds[0]].sort_values("priority_score", ascending=False).head(15)
            pts = shapely.point_on_surface(sel.geometry.values)
            for p, label in zip(pts, sel["project_id"], strict=True):
                ax.text(p.x, p.y, label, fontsize=7, ha="center", va="center", zorder=11,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
        sheet_title = title if name == "overview" else f"{title} — {types[name].title if name in types else name}"
        n = len(projects) if name == "overview" else int((projects["type"] == name).sum())
        cost = float(projects["estimated_cost"].sum() if name == "overview"
                     else projects.loc[projects["type"] == name, "estimated_cost"].sum())
        _furniture(fig, ax, title=sheet_title, subtitle=f"项目 {n} 个，估算投资 {cost:,.0f} 万元", legend=legend, note=note)
        for suffix in (".png", ".pdf"):
            target = out_dir / f"{name}{suffix}"
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=suffix[1:], dpi=DPI)
            written.append(target)
        plt.close(fig)
    return written
