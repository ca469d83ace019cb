"""Map sheets as a planner reads them: PNG pixels sampled on known roads and water, every project
of a type sheet numbered with a callout that collides with no other, a legend of only what
is drawn, the title block's settings in the PDF's text."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image


class _WithWater:
    """The sample workspace with a pond added (the sample city has no water layer)."""

    def __init__(self, ws, water):
        self._ws, self._water = ws, water
        self.working_crs = ws.working_crs

    def frame(self, role):
        return self._water if role == "water" else self._ws.frame(role)


@pytest.fixture(scope="module")
def sheets(planned, tmp_path_factory):
    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_sheets

    cfg, ws, projects = planned
    roads = ws.frame("roads")
    # a pond in a block away from the roads: a block's centre between two parallel local roads
    b = roads.total_bounds
    cx, cy = b[0] + (b[2] - b[0]) * 0.62, b[1] + (b[3] - b[1]) * 0.37
    pond = gpd.GeoDataFrame({"name": ["示例湖"]}, geometry=[shapely.Point(cx, cy).buffer(25)], crs=roads.crs)
    out = tmp_path_factory.mktemp("sheets")
    base = SheetBase(_WithWater(ws, pond))
    info = {**sheet_info(ws, cfg, {"organisation": "示例规划设计研究院", "date": "2026-07-15"}), "organisation":
            "示例规划设计研究院", "date": "2026-07-15"}
    records = write_sheets(out, base, projects, title=cfg.name, info=info, prefix="GX",
                           which=["overview", "road_link", "old_compound"], workers=2, key_capacity=12)
    return records, projects, ws, pond


def _pixel(record, x, y):
    """World coordinates to PNG pixel (column, row) through the sheet's map frame."""
    x0, y0, x1, y1 = record["extent"]
    px0, py0, px1, py1 = record["map_box_px"]
    return (int(px0 + (x - x0) / (x1 - x0) * (px1 - px0)), int(py1 - (y - y0) / (y1 - y0) * (py1 - py0)))


def test_sheets_show_the_road_network(sheets):
    records, projects, ws, _ = sheets
    roads = ws.frame("roads")
    arterial = roads[roads["road_class"] == "arterial"]
    assert len(arterial)
    rec = next(r for r in records if r["stem"] == "road_link")
    im = np.asarray(Image.open(rec["files"][0]).convert("RGB")).astype(int)
    # points along the arterials, away from their ends
    pts = shapely.line_interpolate_point(np.asarray(arterial.geometry.values, dtype=object)[:, None], np.linspace(0.1, 0.9, 17)[None, :],
                                         normalized=True).ravel()
    grey = []
    for p in pts:
        c, r = _pixel(rec, p.x, p.y)
        patch = im[r - 1:r + 2, c - 1:c + 2].reshape(-1, 3)
        darkest = patch[patch.sum(1).argmin()]
        grey.append(darkest.max() < 190 and np.ptp(darkest) < 25)  # a grey road line, not white paper
    assert np.mean(grey) > 0.8, f"only {np.mean(grey):.0%} of points on arterials are drawn as road"
    # and the paper between blocks far from roads is white: the sheet is not all grey
    assert (im > 245).all(axis=2).mean() > 0.3
    assert rec["road_names"] >= 5, "road names are placed along the roads"


def test_every_project_of_a_type_sheet_has_a_callout_without_collisions(sheets):
    records, projects, _, _ = sheets
    for kind in ("road_link", "old_compound"):
        pages = [r for r in records if r["stem"].split("-")[0] == kind]
        ids = [c["project_id"] for r in pages for c in r["callouts"]]
        expected = projects.loc[projects["type"] == kind, "project_id"]
        assert sorted(ids) == sorted(expected), kind  # every project, once
        for r in pages:
            assert all(c["placed"] for c in r["callouts"]), r["stem"]
            boxes = np.array([c["box_px"] for c in r["callouts"]])
            if len(boxes) > 1:
                x0, y0, x1, y1 = (boxes[:, i] for i in range(4))
                overlap = (x0[:, None] < x1[None, :]) & (x0[None, :] < x1[:, None]) & \
                          (y0[:, None] < y1[None, :]) & (y0[None, :] < y1[:, None])
                np.fill_diagonal(overlap, False)
                assert not overlap.any(), f"{r['stem']}: callouts overlap"
            # a callout is ink on the PNG: its box is not blank
            im = np.asarray(Image.open(r["files"][0]).convert("L"))
            for c in r["callouts"][:20]:
                bx0, by0, bx1, by1 = (int(v) for v in c["box_px"])
                assert im[by0:by1 + 1, bx0:bx1 + 1].min() < 120
    many = [r for r in records if r["stem"].startswith("old_compound")]
    assert len(many) == 3, "a type with more projects than one key table holds is drawn on several sheets"
    assert all(r["scale"] <= next(o for o in records if o["stem"] == "overview")["scale"] for r in many)


def test_legend_lists_only_what_is_drawn(sheets):
    records, projects, _, _ = sheets
    from planner.export.terms import type_title

    titles = {t: type_title(t) for t in projects["type"].unique()}
    road_link = next(r for r in records if r["stem"] == "road_link")
    legend = " ".join(road_link["legend"])
    assert f"{titles['road_link']}（{(projects['type'] == 'road_link').sum()}）" in legend
    for t, title in titles.items():
        if t != "road_link":
            assert title not in legend, f"{title} is not drawn on the road-link sheet"
    assert "快速路" not in legend  # no expressway in the sample city
    assert "主干路" in legend and "支路" in legend and "研究范围" in legend
    overview = next(r for r in records if r["stem"] == "overview")
    assert {t for t in overview["types"]} == set(projects["type"])


def test_water_is_drawn_and_in_the_legend(sheets):
    records, _, _, pond = sheets
    rec = next(r for r in records if r["stem"] == "road_link")
    assert any("水系" in e for e in rec["legend"])
    im = np.asarray(Image.open(rec["files"][0]).convert("RGB")).astype(int)
    c, r = _pixel(rec, pond.geometry.iloc[0].centroid.x + 12, pond.geometry.iloc[0].centroid.y)
    pix = im[r, c]
    assert pix[2] > pix[0] + 15, f"water is blue on the sheet, got {pix}"


def test_title_block_scale_and_settings_in_the_pdf(sheets):
    pypdf = pytest.importorskip("pypdf")
    records, _, _, _ = sheets
    rec = next(r for r in records if r["stem"] == "old_compound")
    text = pypdf.PdfReader(rec["files"][1]).pages[0].extract_text()
    for word in ("编制单位", "示例规划设计研究院", "编制日期", "2026-07-15", "图号", rec["number"],
                 f"1:{rec['scale']:,}", "坐标系", "数据截至", "图例", "位置示意", "项目编号与名称"):
        assert word in text, word
    assert rec["number"].startswith("GX-")
    assert not any(c in text for c in ("OC-0", "old_compound", "Gauss")), "no codes or English on a Chinese sheet"
    # a usual scale, and the map frame really is at that scale (A3 frame 268 mm wide)
    x0, _, x1, _ = rec["extent"]
    assert (x1 - x0) / 0.268 == pytest.approx(rec["scale"], rel=1e-6)
    im = Image.open(rec["files"][0])
    assert im.size == (4961, 3508) or abs(im.size[0] - 4961) <= 2  # A3 at 300 dpi


def test_atlas_has_one_page_per_project_with_its_fields(planned, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_atlas

    cfg, ws, projects = planned
    some = projects.sort_values("priority_rank").groupby("type").head(1)  # one of each type
    path = write_atlas(tmp_path / "项目图集.pdf", SheetBase(ws), some, info=sheet_info(ws, cfg, {}), prefix="GX",
                       workers=2)
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == len(some)
    ordered = some.sort_values("priority_rank")
    for page, (_, p) in zip(reader.pages, ordered.iterrows(), strict=True):
        text = page.extract_text()
        assert p["project_id"] in text and p["name"][:8] in text
        assert "估算投资（万元）" in text and "编制单位" in text and "1:" in text
    assert not list(tmp_path.glob(".*.pdf")), "the parts are joined and removed"


def test_atlas_page_draws_the_base_map_and_the_project(planned, tmp_path):
    """The atlas written directly as PDF: the project in its type's colour over grey roads, the
    base map shared between pages (tiles written once), the font embedded once as a subset,
    every label found once by a text search."""
    import shutil
    import subprocess

    pypdf = pytest.importorskip("pypdf")
    from planner.export.atlas import A4_MM, ATLAS_MAP, page_extents
    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_atlas
    from planner.export.styles import TYPE_COLOURS

    cfg, ws, projects = planned
    some = projects[projects["type"].isin(["old_compound", "idle_land"])].sort_values("priority_rank").head(6)
    path = write_atlas(tmp_path / "atlas.pdf", SheetBase(ws), some, info=sheet_info(ws, cfg, {}), workers=1)
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == len(some)
    fonts = {id(p["/Resources"]["/Font"]["/F1"].get_object()) for p in reader.pages}
    assert len({str(p["/Resources"]["/Font"]["/F1"].indirect_reference) for p in reader.pages}) == 1, fonts
    font_file = reader.pages[0]["/Resources"]["/Font"]["/F1"]["/DescendantFonts"][0]["/FontDescriptor"]["/FontFile2"]
    assert len(font_file.get_data()) < 1_000_000, "the CJK font is subset"
    tiles = [set(p["/Resources"]["/XObject"].keys()) for p in reader.pages]
    assert len(set().union(*tiles)) < sum(len(t) for t in tiles), "pages share base-map tiles"
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed: the picture and the text search are not checked")
    # a haloed label (drawn twice, the halo marked as no text) is found once, as a viewer searches
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = [line.strip() for line in text.splitlines()]
    names = [n for n in ws.frame("roads")["name"].dropna().unique() if n in lines]
    assert names and all(lines.count(n) == 1 for n in names), text
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p")], check=True)
    im = np.asarray(Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")).astype(int)
    first = some.sort_values("priority_rank").iloc[0]
    extents, _ = page_extents(np.array([first.geometry]))
    x0, y0, x1, y1 = extents[0]
    k = im.shape[1] / A4_MM[0]

    def pixel(x, y):
        mx = ATLAS_MAP[0] + (x - x0) / (x1 - x0) * ATLAS_MAP[2]
        my = ATLAS_MAP[1] + (y - y0) / (y1 - y0) * ATLAS_MAP[3]
        return im[int((A4_MM[1] - my) * k), int(mx * k)]

    inside = first.geometry.representative_point()
    colour = TYPE_COLOURS[first["type"]].lstrip("#")
    rgb = np.array([int(colour[i:i + 2], 16) for i in (0, 2, 4)])
    got = pixel(inside.x, inside.y)
    expected = 255 + (rgb - 255) * 0.349   # the type's colour at 35 % over white paper (or a grey building)
    assert np.abs(got - expected).max() < 60 or np.ptp(got) > 10, f"the project is filled in its colour: {got}"
    roads = ws.frame("roads").clip(shapely.box(x0, y0, x1, y1))
    pts = shapely.line_interpolate_point(roads.geometry.values, 0.5, normalized=True)
    grey = [(lambda c: c.max() < 200 and np.ptp(c) < 25)(
        min((im[r + dr, c + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)), key=lambda v: v.sum()))
        for r, c in [(int((A4_MM[1] - (ATLAS_MAP[1] + (p.y - y0) / (y1 - y0) * ATLAS_MAP[3])) * k),
                      int((ATLAS_MAP[0] + (p.x - x0) / (x1 - x0) * ATLAS_MAP[2]) * k)) for p in pts]]
    assert len(grey) >= 3 and np.mean(grey) > 0.7, f"roads are drawn grey on the atlas page ({np.mean(grey):.0%})"


def test_key_table_rows_stay_above_the_note():
    """A full key table (two columns) and a long note: every row is drawn above the note's top,
    and every numbered project keeps its row."""
    import matplotlib.pyplot as plt

    from planner.export.sheets import KEY_CAPACITY, MAP_BOX, _key_table, _Page, _wrap_mm
    from planner.fonts import use_cjk_font_in_matplotlib

    use_cjk_font_in_matplotlib()
    page = _Page((0.0, 0.0, MAP_BOX[2] * 10.0, MAP_BOX[3] * 10.0), 10000)
    rows = [(str(i + 1), f"「光明路」旁新建社区服务站（{i}）", "200") for i in range(KEY_CAPACITY)]
    note = "图上编号优先级最高的 68 个项目；其余 1,872 个见项目图集与项目清单。" * 3
    bottom = 12 + 8 * 5.6 + 4
    _key_table(page, rows, 160.0, bottom, "zh", note=note)
    texts = page.paper.texts
    note_text = next(t for t in texts if "其余" in t.get_text())
    lines = len(note_text.get_text().splitlines())
    assert lines == len(_wrap_mm(note, 6, 122.0)) > 1
    note_top = bottom + lines * 6 * 1.2 * 25.4 / 72
    numbers = [t for t in texts if t.get_text().isdigit() and t.get_text() != "200"]
    assert sorted(int(t.get_text()) for t in numbers) == list(range(1, KEY_CAPACITY + 1)), "every row is drawn"
    assert min(t.get_position()[1] for t in numbers) > note_top + 1.0, "rows clear of the note"
    plt.close(page.fig)


def test_zoomed_sheets_number_the_types_projects_of_their_other_sheets(sheets):
    """A type drawn on several zoomed sheets: its projects that a sheet shows but another sheet
    numbers carry their (small) numbers there too, and the panel says where they are keyed."""
    records, projects, _, _ = sheets
    pages = [r for r in records if r["stem"].split("-")[0] == "old_compound"]
    own = {c["project_id"]: c["number"] for r in pages for c in r["callouts"]}
    small = [(r, num, sheet) for r in pages for num, sheet in r["elsewhere_numbers"]]
    assert small, "some project of another sheet is in view and numbered small"
    for r, num, sheet in small:
        assert num in own.values() and num not in [c["number"] for c in r["callouts"]], r["stem"]
        assert 1 <= sheet <= len(pages) and sheet != pages.index(r) + 1, "a number from another sheet"
        assert num in [c["number"] for c in pages[sheet - 1]["callouts"]], "the sheet that numbers it"
    pypdf = pytest.importorskip("pypdf")
    r = small[0][0]
    text = pypdf.PdfReader(r["files"][1]).pages[0].extract_text()
    assert "其他分幅图" in text and small[0][1] in text
    for r in records:   # the sample's titles: one line where it fits, else two above the subtitle
        t = r["title"]
        assert len(t["lines"]) == (2 if r["stem"].startswith("old_compound") else 1), t
        assert t["subtitle_top_mm"] < t["foot_mm"] - 1.0, t


def test_a_long_sheet_title_wraps_above_the_subtitle(planned, tmp_path):
    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_sheets

    cfg, ws, projects = planned
    title = "某某市中心城区城市更新专项规划（2026—2035年）老旧小区与低效用地综合整治示范片区实施方案"
    records = write_sheets(tmp_path, SheetBase(ws), projects, title=title, info=sheet_info(ws, cfg, {}),
                           which=["road_link"], workers=1)
    t = records[0]["title"]
    assert len(t["lines"]) == 2, t
    assert max(len(line) for line in t["lines"]) < len(title), "wrapped, not cut"
    assert t["subtitle_top_mm"] < t["foot_mm"] - 1.0, "the subtitle starts below the title's last line"
    assert t["subtitle_top_mm"] > 297.0 - 30.0, "and above the locator"


def test_atlas_font_embeds_every_glyph_a_batch_draws_even_when_measured_before():
    """A worker draws several batches of pages with one font object: a label measured or drawn
    in an earlier batch (or before the fork) must still be embedded, with its text map, in a
    later batch's glyph set (it was left out: a blank on the page, '㡶例' for '比例' in a copy)."""
    import zlib

    from planner.export.atlas import PdfFont
    from planner.fonts import FONT_FILE

    font = PdfFont(FONT_FILE)
    font.encode("比例 数据截至")   # an earlier batch
    font.used = set()              # the next batch starts
    font.encode("比例 数据截至")
    assert {font.cmap[ord(c)] for c in "比例数据截至"} <= font.used
    objects, _ = font.objects(font.used, 10)
    text_map = zlib.decompress(objects[-1].split(b"stream\n", 1)[1].rsplit(b"\nendstream", 1)[0]).decode()
    for ch in "比例截至":
        assert f"<{font.cmap[ord(ch)]:04X}> <{ord(ch):04X}>" in text_map
    tags = {objects[0].split(b"/BaseFont /")[1][:7]}
    other, _ = font.objects({font.cmap[ord("比")]}, 10)
    tags.add(other[0].split(b"/BaseFont /")[1][:7])
    assert len(tags) == 2, "each subset has its own tag"


def test_a_second_atlas_in_one_process_embeds_its_panel_labels(planned, tmp_path):
    """The title block's labels are drawn once and copied page after page; an atlas written after
    another one in the same process (or in workers forked from it) still embeds their glyphs and
    text map (the second atlas read '㡶例' for '比例' and lacked '编制单位')."""
    pypdf = pytest.importorskip("pypdf")
    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_atlas

    cfg, ws, projects = planned
    some = projects.sort_values("priority_rank").head(2)
    base = SheetBase(ws)
    for k in range(2):
        path = write_atlas(tmp_path / f"atlas{k}.pdf", base, some, info=sheet_info(ws, cfg, {}), workers=1)
        text = pypdf.PdfReader(path).pages[0].extract_text()
        assert "编制单位" in text and "比例" in text and "数据截至" in text, (k, text[-200:])


def test_a_large_citys_sheets_share_one_base_image_and_pdf_matches_png(planned, tmp_path, monkeypatch):
    """The large-city path on the sample (thresholds lowered): sheets at one extent share one
    base raster with the other projects' muted outlines, each PDF places that image (encoded
    once) clipped to its frame and a locator image; the PDF shows the same map as the PNG, and
    the PNG is an RGB image at 300 dpi."""
    import shutil
    import subprocess

    pypdf = pytest.importorskip("pypdf")
    from planner.export import sheets as S
    from planner.export.deliverables import sheet_info

    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    monkeypatch.setattr(S, "VECTOR_BUILDINGS_MAX", 10)       # the buildings become a raster: the shared path
    monkeypatch.setattr(S, "LOCATOR_RASTER_ABOVE", 0)        # the locator an image drawn once
    cfg, ws, projects = planned
    base = S.SheetBase(ws)
    encoded: list[int] = []
    original = S._encode_pdf_image
    monkeypatch.setattr(S, "_encode_pdf_image", lambda *a, **k: encoded.append(1) or original(*a, **k))
    records = S.write_sheets(tmp_path, base, projects, title=cfg.name, info=sheet_info(ws, cfg, {}),
                             which=["overview", "road_link", "idle_land"], workers=1)
    assert len(records) == 3
    assert len(encoded) == 2, "one base image for the three sheets at one extent, one locator image"
    assert not S._PDF_IMAGES and not S._LOCATORS, "released after the sheets"
    for rec in records:
        png, pdf = rec["files"]
        im = Image.open(png)
        assert im.mode == "RGB" and abs(im.info["dpi"][0] - 300) < 0.5
        reader = pypdf.PdfReader(pdf)
        images = reader.pages[0]["/Resources"]["/XObject"]
        sizes = sorted((int(o.get_object()["/Width"]), int(o.get_object()["/Height"])) for o in images.values()
                       if o.get_object()["/Subtype"] == "/Image")
        x0, y0, x1, y1 = rec["map_box_px"]
        assert any(w >= x1 - x0 - 2 and h >= y1 - y0 - 2 for w, h in sizes), sizes   # the base image, whole
        # the PDF's picture is the PNG's: rendered at 50 dpi against the PNG scaled down
        subprocess.run(["pdftoppm", "-r", "50", "-png", pdf, str(tmp_path / rec["stem"])], check=True)
        got = np.asarray(Image.open(next(tmp_path.glob(f"{rec['stem']}-*.png"))).convert("RGB")).astype(int)
        want = np.asarray(im.convert("RGB").resize((got.shape[1], got.shape[0]), Image.Resampling.BOX)).astype(int)
        frame = (slice(int(y0 / 6) + 3, int(y1 / 6) - 3), slice(int(x0 / 6) + 3, int(x1 / 6) - 3))
        diff = np.abs(got[frame] - want[frame]).max(axis=2)
        assert np.median(diff) < 12 and (diff > 80).mean() < 0.02, (rec["stem"], np.median(diff), (diff > 80).mean())
    # the other projects' outlines are in the shared base: the road-link sheet still draws them
    road_link = next(r for r in records if r["stem"] == "road_link")
    assert any("其他更新项目" in e for e in road_link["legend"])
