"""Atlas pages: a run's own projects are made in bulk for all its pages, and what a page draws of
its project is what drawing it page by page drew (the same path operators), a line project's
page shows its line, and the north arrow and scale bar copied from the first page of a scale
still embed their glyphs."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import shapely


def _one_page(geoms: np.ndarray, extent, scale: int, rings: bool) -> bytes:
    """The page-by-page formatting the bulk one replaced (a project's polygons largest first)."""
    from planner.export.atlas import UNIT, _path_bytes

    parts = shapely.get_parts(geoms)
    kinds = shapely.get_type_id(parts)
    if rings:
        polys = parts[kinds == 3]
        sel = shapely.get_exterior_ring(polys[np.argsort(-shapely.area(polys), kind="stable")])
    else:
        sel = parts[kinds == 1]
    coords, idx = shapely.get_coordinates(sel, return_index=True)
    if len(coords) == 0:
        return b""
    first = np.r_[True, idx[1:] != idx[:-1]]
    xy = (coords - [extent[0], extent[1]]) * (1000 / scale * UNIT)
    return _path_bytes(xy, first).tobytes()


def test_bulk_project_paths_equal_page_by_page():
    from planner.export.atlas import _ProjectShapes, page_extents

    rng = np.random.default_rng(3)
    geoms = []
    for k in range(40):
        x, y = rng.uniform(0, 20000, 2)
        size = float(rng.choice([5.0, 60.0, 900.0, 4000.0]))
        if k % 5 == 0:     # multipolygons: parts of different sizes, drawn largest first
            geoms.append(shapely.multipolygons([shapely.box(x, y, x + size / 3, y + size / 3),
                                                shapely.box(x + size, y, x + 2 * size, y + size)]))
        elif k % 7 == 0:   # lines
            geoms.append(shapely.linestrings([(x, y), (x + size, y + size / 2), (x + 2 * size, y)]))
        elif k % 11 == 0:
            geoms.append(shapely.points(x, y))
        else:
            geoms.append(shapely.buffer(shapely.points(x, y), size / 2, quad_segs=3))
    geoms.append(None)   # a project without a geometry
    arr = np.array(geoms, dtype=object)
    extents, scales = page_extents(arr, (0.0, 0.0, 20000.0, 20000.0))
    shapes = _ProjectShapes.of(arr, extents, scales)
    assert len(set(scales.tolist())) > 2   # pages of several scales: several number widths
    for i in range(len(arr)):
        one = np.array([arr[i]], dtype=object)
        assert shapes.rings[i] == _one_page(one, extents[i], int(scales[i]), rings=True), i
        assert shapes.lines[i] == _one_page(one, extents[i], int(scales[i]), rings=False), i
    kinds = shapely.get_type_id(arr)
    assert all(shapes.lines[i] for i in np.flatnonzero(kinds == 1))        # a line is drawn
    assert all(b"l\n" in shapes.lines[i] for i in np.flatnonzero(kinds == 1))
    # a symbol where the project is a point or under 2 mm on its page, none elsewhere
    b = shapely.bounds(arr)
    size_mm = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / scales * 1000
    want = np.isin(kinds, (0, 4)) | (np.nan_to_num(size_mm, nan=99) < 2.0)
    assert (np.isfinite(shapes.points[:, 0]) == want).all()
    assert want.any() and not want.all()


def test_line_project_page_shows_its_line(planned, tmp_path):
    """A road link drawn as a line (not a buffered polygon) is seen on its atlas page, in its
    type's colour along the line (the page-by-page code stroked only the line's end points)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    import geopandas as gpd
    from PIL import Image

    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_atlas
    from planner.export.styles import TYPE_COLOURS

    cfg, ws, projects = planned
    one = projects.sort_values("priority_rank").head(2).copy()
    c = shapely.centroid(one.geometry.values[0])
    line = shapely.linestrings([(c.x - 120, c.y - 40), (c.x + 120, c.y + 40)])
    one.loc[one.index[0], "type"] = "road_link"
    one = one.set_geometry(gpd.GeoSeries([line, one.geometry.values[1]], index=one.index, crs=one.crs))
    path = write_atlas(tmp_path / "atlas.pdf", SheetBase(ws), one, info=sheet_info(ws, cfg, {}, "", "zh"), workers=1)
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p")], check=True)
    page = np.asarray(Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")).astype(int)
    h = TYPE_COLOURS["road_link"].lstrip("#")
    rgb = np.array([int(h[k:k + 2], 16) for k in (0, 2, 4)])
    # the map frame only (10 mm from the left and bottom, 178 x 176 mm; 100 dpi)
    k = 100 / 25.4
    H = page.shape[0]
    frame = page[int(H - (10 + 176) * k):int(H - 10 * k), int(10 * k):int((10 + 178) * k)]
    near = (np.abs(frame - rgb).sum(axis=2) < 40).sum()
    # 240 m by 80 m on the page's scale: the line is several centimetres long, 2.2 pt wide
    assert near > 300, near


def test_copied_scale_bar_keeps_its_glyphs():
    """The scale bar drawn for a scale is copied onto later pages of that scale; each batch's
    font subset still gets its glyphs (a copy that left them out showed blanks)."""
    from planner.export.atlas import (
        _BLOCKS,
        PdfFont,
        _Canvas,
        _copied,
        _north_arrow_and_scale,
        _PageState,
    )
    from planner.fonts import FONT_FILE

    font = PdfFont(FONT_FILE)
    page = _PageState((0.0, 0.0, 1000.0, 1000.0), 2500)
    key = ("test scale", str(font.path), 2500, "zh")
    _BLOCKS.pop(key, None)
    first = _Canvas(font)
    _copied(first, key, lambda: _north_arrow_and_scale(first, page, "zh"))
    drawn = set(font.used)
    assert drawn >= {font.cmap[ord("北")], font.cmap[ord("1")], font.cmap[ord(":")]}
    font.used = set()   # a later batch
    second = _Canvas(font)
    _copied(second, key, lambda: pytest.fail("drawn again instead of copied"))
    assert font.used == drawn
    assert second.bytes() == first.bytes()


def test_every_page_has_a_legend_of_its_project_type_clear_of_the_table(planned, tmp_path):
    """Each atlas page keys what its map shows: 图例 with this project in its type's words, the
    other projects, buildings and roads, between the key-field table and the title block."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    import re

    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_atlas
    from planner.export.terms import type_title

    cfg, ws, projects = planned
    ranked = projects.sort_values("priority_rank")
    some = ranked.groupby("type", sort=False).head(1)   # one page per project type
    path = write_atlas(tmp_path / "atlas.pdf", SheetBase(ws), some, info=sheet_info(ws, cfg, {}, "", "zh"), workers=1)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = html.split("<page ")[1:]
    assert len(pages) == len(some) > 5
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>')
    for page, t in zip(pages, some["type"].astype(str), strict=True):
        words = [(float(x), float(y0), float(y1), w) for x, y0, y1, w in word.findall(page)]
        text = "".join(w for *_, w in words)
        assert f"本项目（{type_title(t)}）" in text and "其他更新项目" in text and "现状建筑" in text, t
        legend_top = next(y0 for x, y0, y1, w in words if w == "图例" and x > 500)
        block_top = next(y0 for x, y0, y1, w in words if w == "编制单位")
        # between the legend's heading and the title block only the legend (no line of the table)
        between = {w for x, y0, y1, w in words if x > 500 and legend_top <= y0 < block_top}
        assert between == {"图例", f"本项目（{type_title(t)}）", "其他更新项目", "现状建筑", "道路"}, (t, between)
        table_bottom = max(y1 for x, y0, y1, w in words if x > 500 and w == "估算依据")
        assert table_bottom < legend_top < block_top, t
