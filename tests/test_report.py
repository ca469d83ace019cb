"""report.docx, the plan draft (issue 14), opened with python-docx: a heading for every analysis
that ran, a table and a figure in every chapter, the portfolio's numbers equal to portfolio.xlsx
and portfolio.gpkg, Word's heading styles and contents field, repeated table headers, Chinese
fonts named in the styles, figures at print resolution; English with --lang en; a newly
registered analysis gets its own section."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import numpy as np
import openpyxl
import pyogrio
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def runs(saved_sample):
    """The sample's run with --report and the project saved (RUNS/run, RUNS/p.gpkg), then an
    English export of the saved project with --report (RUNS/en)."""
    root = saved_sample
    if not (root / "en" / "report.docx").exists():
        proc = subprocess.run([sys.executable, "-m", "planner", "export", str(root / "p.gpkg"), "--out", str(root / "en"),
                               "--report", "--lang", "en", "--sheets", "none", "--quiet"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    return root


def blocks(doc):
    """The body in order: ("p", style name, text, pictures) and ("tbl", Table)."""
    names = {s.style_id: s.name for s in doc.styles}
    out = []
    for el in doc.element.body.iterchildren():
        if el.tag == qn("w:p"):
            sid = el.find(qn("w:pPr") + "/" + qn("w:pStyle"))
            style = names.get(sid.get(qn("w:val")), "") if sid is not None else "Normal"
            text = "".join(t.text or "" for t in el.iter(qn("w:t")))
            out.append(("p", style, text, len(el.findall(".//" + qn("w:drawing")))))
        elif el.tag == qn("w:tbl"):
            out.append(("tbl", Table(el, doc)))
    return out


def chapters(doc) -> dict[str, dict]:
    """Per Heading 1: its sections (Heading 2), tables, figures and text."""
    out: dict[str, dict] = {}
    current = None
    for b in blocks(doc):
        if b[0] == "p" and b[1] == "Heading 1":
            current = out.setdefault(b[2], {"sections": [], "tables": 0, "figures": 0, "text": []})
        elif current is None:
            continue
        elif b[0] == "tbl":
            current["tables"] += 1
        else:
            if b[1] == "Heading 2":
                current["sections"].append(b[2])
            current["figures"] += b[3]
            current["text"].append(b[2])
    return out


def table_after(doc, caption: str) -> list[list[str]]:
    found = False
    for b in blocks(doc):
        if b[0] == "p" and b[1] == "Caption" and caption in b[2]:
            found = True
        elif found and b[0] == "tbl":
            return [[c.text for c in row.cells] for row in b[1].rows]
    raise AssertionError(f"no table captioned {caption!r}")


def number(text: str) -> float:
    return float(text.replace(",", "")) if text.strip() else 0.0


def summary_by_type(path) -> tuple[dict[str, tuple[int, float]], list]:
    """portfolio.xlsx, sheet 汇总 / Summary: the 'by type' block (type -> projects, cost) and its
    total row."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)  # totals: the cached values of SUM
    ws = wb[wb.sheetnames[[n in ("汇总", "Summary") for n in wb.sheetnames].index(True)]]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] in ("按类型", "By type"))
    out: dict[str, tuple[int, float]] = {}
    for r in rows[start + 2:]:
        if r[0] in ("合计", "Total"):
            return out, r
        out[str(r[0])] = (int(r[1]), float(r[2]))
    raise AssertionError("no total row in the by-type block")


def test_chapters_sections_tables_figures(runs):
    doc = Document(str(runs / "run" / "report.docx"))
    ch = chapters(doc)
    assert list(ch) == ["1 概述", "2 城市体检", "3 问题清单", "4 更新项目库", "附录"], list(ch)
    for title, c in ch.items():
        assert c["tables"] >= 1 and c["figures"] >= 1, (title, c["tables"], c["figures"])
    # one section per analysis that ran and declares flag layers, titled by its declaration
    from planner.analysis.registry import all_analyses

    manifest = json.loads((runs / "run" / "run.json").read_text(encoding="utf-8"))
    ran = set(manifest["analyses"]["parameters"]) - set(manifest["analyses"]["skipped"])
    expected = [a.title for a in all_analyses() if a.id in ran and a.outputs]
    assert len(expected) >= 5
    sections = [re.sub(r"^\d+\.\d+ ", "", s) for s in ch["3 问题清单"]["sections"]]
    assert sections == expected
    # each section says its counts, with the rule titles the analysis declares
    counts = manifest["analyses"]["counts_by_code"]
    text = "\n".join(ch["3 问题清单"]["text"])
    old = next(a for a in all_analyses() if a.id == "old_housing")
    for rule in old.rules:
        if counts.get(rule.code):
            assert f"{rule.title} {counts[rule.code]:,} 处" in text, rule.title
    assert "政策与标准依据：" + old.basis in text


def test_portfolio_numbers_equal_the_workbook_and_the_geopackage(runs):
    from planner.export.terms import type_title

    out = runs / "run"
    doc = Document(str(out / "report.docx"))
    gpkg = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="projects", read_geometry=False)
    by_type_gpkg = {type_title(t): int(n) for t, n in gpkg["type"].value_counts().items()}
    xlsx, xlsx_total = summary_by_type(out / "portfolio.xlsx")
    rows = table_after(doc, "按类型汇总")
    head, body, total = rows[0], rows[1:-1], rows[-1]
    assert head[:4] == ["项目类型", "项目数", "估算投资（万元）", "受益户数（去重）"]
    report = {r[0]: (int(number(r[1])), number(r[2])) for r in body}
    assert {k: v[0] for k, v in report.items()} == by_type_gpkg == {k: v[0] for k, v in xlsx.items()}
    for k, (_n, cost) in report.items():
        assert cost == pytest.approx(xlsx[k][1], abs=0.006)
    assert total[0] == "合计" and int(number(total[1])) == len(gpkg) == int(xlsx_total[1])
    assert number(total[2]) == pytest.approx(float(gpkg["estimated_cost"].sum()), abs=0.006)
    assert number(total[2]) == pytest.approx(sum(v[1] for v in xlsx.values()), abs=0.006)
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    households = manifest["portfolio"]["households_benefiting"]
    assert int(number(total[3])) == households == int(round(float(xlsx_total[3])))
    # the sentence states the same numbers
    text = "\n".join(chapters(doc)["4 更新项目库"]["text"])
    assert f"共 {len(gpkg):,} 个项目，估算总投资 {gpkg['estimated_cost'].sum():,.2f} 万元，受益 {households:,} 户" in text
    # phases add up to the portfolio
    phases = table_after(doc, "按实施阶段汇总")
    assert [r[0] for r in phases[1:-1]] == sorted(gpkg["phase"].unique())
    assert sum(int(number(r[1])) for r in phases[1:-1]) == len(gpkg)
    for r in phases[1:-1]:
        assert int(number(r[1])) == int((gpkg["phase"] == r[0]).sum())


def test_word_structure_fonts_headers_and_figures(runs):
    from PIL import Image

    doc = Document(str(runs / "run" / "report.docx"))
    body = doc.element.body
    instr = " ".join(t.text for t in body.iter(qn("w:instrText")))
    assert "TOC" in instr  # the contents are a field Word updates
    assert doc.settings.element.find(qn("w:updateFields")) is not None
    entries = [b[2] for b in blocks(doc) if b[0] == "p" and b[1] == "toc 1"]
    assert "3 问题清单" in entries
    tables = body.findall(qn("w:tbl"))
    assert len(tables) >= 20
    for t in tables:  # header row repeated on every page
        first = t.find(qn("w:tr"))
        assert first.find(qn("w:trPr") + "/" + qn("w:tblHeader")) is not None

    def east_asia(style):
        return style.element.find(qn("w:rPr") + "/" + qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asia(doc.styles["Normal"]) == "宋体" and east_asia(doc.styles["Heading 1"]) == "黑体"
    font_table = next(p for p in doc.part.package.parts if str(p.partname).endswith("fontTable.xml")).blob.decode()
    assert "SimSun" in font_table and "SimHei" in font_table  # substitutes named
    shapes = list(doc.inline_shapes)
    assert len(shapes) >= 10
    for shape in shapes:  # print resolution: about 300 pixels per inch as placed
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        width_px = Image.open(io.BytesIO(doc.part.related_parts[blip.embed].blob)).size[0]
        assert width_px / (shape.width / 914400) >= 290
    # the cover is filled from the project settings
    cover = "\n".join(p.text for p in doc.paragraphs[:12])
    assert "示例城市更新体检" in cover and "城市体检与更新规划草案" in cover and "示例规划设计研究院" in cover
    assert "{{" not in "\n".join(p.text for p in doc.paragraphs)


def test_chinese_text_has_no_english(runs):
    from planner.export.terms import has_english

    doc = Document(str(runs / "run" / "report.docx"))
    allowed = re.compile(r"[\w.\-]+\.(xlsx|gpkg|json|docx|shp|csv|geojson|tif)(:\w+)?|EPSG:\d+|GB[/T ]*\s?\d+|JGJ\s?\d+"
                         r"|DEM|OSMnx|QGIS|km|m²|m³")
    bad = [b[2] for b in blocks(doc) if b[0] == "p" and has_english(allowed.sub("", b[2]))]
    assert not bad, bad[:5]


def test_english_report(runs):
    doc = Document(str(runs / "en" / "report.docx"))
    ch = chapters(doc)
    assert list(ch) == ["1 Overview", "2 City examination", "3 Problems found", "4 Renewal portfolio", "Appendix"]
    for title, c in ch.items():
        assert c["tables"] >= 1 and c["figures"] >= 1, title
    words = [b[2] for b in blocks(doc) if b[0] == "p" and b[1] in ("Heading 1", "Heading 2", "Caption", "toc 1",
                                                                    "toc 2")]
    assert words and not [w for w in words if CJK.search(w)], [w for w in words if CJK.search(w)][:5]
    from planner.export.terms import type_title

    gpkg = pyogrio.read_dataframe(runs / "en" / "portfolio.gpkg", layer="projects", read_geometry=False)
    rows = table_after(doc, "Projects by type")
    report = {r[0]: int(number(r[1])) for r in rows[1:-1]}
    assert report == {type_title(t, "en"): int(n) for t, n in gpkg["type"].value_counts().items()}
    xlsx, _total = summary_by_type(runs / "en" / "portfolio.xlsx")
    assert report == {k: v[0] for k, v in xlsx.items()}


@pytest.fixture
def dummy():
    from planner.analysis.registry import (
        Analysis,
        FlagLayer,
        Parameter,
        RuleCode,
        register,
        unregister,
    )

    from .test_declarations import run_dummy

    analysis = register(Analysis(
        id="test_tall", title="测试高层", title_en="Test: tall buildings", run=run_dummy,
        requires={"buildings": ["floors"]}, order=99, basis="测试依据（示例）",
        parameters=[Parameter("min_floors", 12, "层", "最低层数", "Minimum storeys", minimum=1)],
        outputs=(FlagLayer("flag_test_tall", "MultiPolygon", "测试高层建筑", "Test tall buildings",
                           fields=("storeys_test",), aliases=(("storeys_test", "层数（测试）", "Storeys"),)),),
        rules=(RuleCode("TEST_TALL", "测试高层", "Test tall", "#123456", 1),)))
    yield analysis
    unregister("test_tall")


def test_a_registered_analysis_gets_its_section(dummy, tmp_path):
    """A small city of buildings only: the analyses that need other layers do not run (and
    the report says so), the dummy analysis gets its section with counts, a map, its main
    items and its rule, without any change to the report code."""
    import geopandas as gpd
    import shapely

    from planner.feedback import Feedback
    from planner.pipeline import run_job
    from planner.project import InputConfig, RunConfig

    n = 40
    x0, y0 = 400_000.0, 4_500_000.0
    geoms = [shapely.box(x0 + (i % 8) * 40, y0 + (i // 8) * 40, x0 + (i % 8) * 40 + 20, y0 + (i // 8) * 40 + 15)
             for i in range(n)]
    rng = np.random.default_rng(3)
    frame = gpd.GeoDataFrame({"building_id": [f"B{i:03d}" for i in range(n)],
                              "floors": rng.integers(2, 20, n), "year_built": rng.integers(1975, 2015, n),
                              "use": ["residential"] * n, "households": rng.integers(10, 80, n)},
                             geometry=geoms, crs=4546)
    frame.to_file(tmp_path / "city.gpkg", layer="buildings", engine="pyogrio")
    cfg = RunConfig(name="测试城市", inputs={"buildings": InputConfig("buildings", str(tmp_path / "city.gpkg"))},
                    base_dir=tmp_path)
    cfg.params["test_tall.min_floors"] = 10
    manifest, _ws = run_job(cfg, tmp_path / "out", Feedback(), export_options={"sheets": False, "report": True,
                                                                                "sheet_workers": 1})
    flagged = manifest["analyses"]["counts_by_code"]["TEST_TALL"]
    assert flagged > 0
    doc = Document(str(tmp_path / "out" / "report.docx"))
    ch = chapters(doc)
    assert any(s.endswith("测试高层") for s in ch["3 问题清单"]["sections"])
    # its section: counts, a figure, a table of its main items with its own field, its rule and basis
    seen = False
    figures = tables = 0
    text = []
    for b in blocks(doc):
        if b[0] == "p" and b[1] in ("Heading 1", "Heading 2"):
            seen = b[2].endswith("测试高层")
            continue
        if not seen:
            continue
        if b[0] == "tbl":
            tables += 1
            text.append(" ".join(c.text for row in b[1].rows for c in row.cells))
        else:
            figures += b[3]
            text.append(b[2])
    joined = "\n".join(text)
    assert figures == 1 and tables >= 2
    assert f"共标记 {flagged:,} 处，其中测试高层 {flagged:,} 处" in joined
    assert "层数（测试）" in joined and "参数：最低层数" in joined and "测试依据（示例）" in joined
    assert "TEST_TALL" not in joined
    # analyses that could not run are named with what they lacked
    assert "未运行" in "\n".join(ch["1 概述"]["text"]) or "未运行" in " ".join(
        " ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows)


def test_what_an_official_reads_in_the_parameters_and_unit_costs(runs):
    """Read as the official who signs it: a year is 2000 年 (not 2,000), a parameter whose 0 means
    'not given' says so, a cost source is not the same sentence twice, each cost class has its
    own unit, and the appendices number their own tables (表 B-1, not 表 A-5)."""
    doc = Document(runs / "run" / "report.docx")
    params = table_after(doc, "判定参数")
    year = next(r for r in params if r[1] == "老旧小区建成年份截止")
    assert year[2] == "2000" and year[3] == "年", year
    seismic = next(r for r in params if r[1] == "抗震设防烈度")
    assert seismic[2] == "未给出" and seismic[3] == "", seismic
    costs = table_after(doc, "估算单价")
    for row in costs:
        parts = [p for p in row[4].split("；") if p]
        assert len(parts) == len(set(parts)), f"a cost source said twice: {row}"
    units = {r[1]: r[3] for r in costs if r[0] == "断头路打通"}
    assert units["拆迁"] == "m²" and units["铁路立交"] == "处" and units[""] == "m", units
    captions = [b[2] for b in blocks(doc) if b[0] == "p" and b[1] == "Caption"]
    assert any(c.startswith("表 B-1") for c in captions), captions[-5:]
    idle = table_after(doc, "闲置楼宇主要问题")
    col = idle[0].index(next(h for h in idle[0] if h.startswith("空置率")))
    assert all(row[col].endswith("%") for row in idle[1:]), "a vacancy rate reads as the reason says it: 62.0%"
    title = next(p for p in doc.paragraphs if p.style.name == "Title")
    assert title.text == "示例城市更新体检\n（包头，虚构数据）", "the bracketed tail on its own line on the cover"
    sources = table_after(doc, "数据来源")
    assert "heritage" not in [row[0] for row in sources] and "历史文化保护" in [row[0] for row in sources]
    assert not any(c.startswith("表 A-5") for c in captions)


def test_pocket_park_sheet_counts_households_whole_and_gives_the_walk_to_a_park(runs):
    wb = openpyxl.load_workbook(runs / "run" / "portfolio.xlsx")
    ws = wb["口袋公园选址"]
    rows = list(ws.iter_rows())
    head = next(i for i, r in enumerate(rows) if any(c.value == "新增300米见绿户数" for c in r))
    titles = [c.value for c in rows[head]]
    hh, walk = titles.index("新增300米见绿户数"), titles.index("至最近公园步行距离（m）")
    body = [r for r in rows[head + 1:] if r[0].value not in (None, "")]
    body = [r for r in body if isinstance(r[hh].value, (int, float))]
    assert body, "the sheet lists the sites"
    for r in body:
        assert r[hh].number_format == "#,##0" and float(r[hh].value).is_integer()
        assert isinstance(r[walk].value, (int, float)) and r[walk].value > 500, "the walk to the nearest park is given"


def test_households_of_a_type_that_serves_no_building_do_not_apply(runs):
    """As in the workbook's 汇总: road links and land serve no building, their households read
    不适用 rather than 0; a type with homes keeps its count."""
    doc = Document(str(runs / "run" / "report.docx"))
    rows = {r[0]: r for r in table_after(doc, "按类型汇总")[1:-1]}
    assert rows["断头路打通"][3] == "不适用" and rows["断头路打通"][4] == "0"
    assert number(rows["危旧房改造"][3]) > 0
    xlsx = openpyxl.load_workbook(runs / "run" / "portfolio.xlsx")["汇总"]
    summary = {r[0]: r for r in xlsx.iter_rows(values_only=True) if r[0]}
    assert summary["断头路打通"][3] == "不适用"


def test_the_reasons_of_main_item_tables_get_the_room(runs):
    """A main-items table of seven columns gave its 原因 a quarter of the page (16 lines a
    cell) while short headers such as 严重程度 held nine characters' width: headers wrap now,
    the reasons get the room (on average over a third of the width)."""
    doc = Document(str(runs / "run" / "report.docx"))
    shares = []
    for t in doc.tables:
        heads = [c.text for c in t.rows[0].cells]
        if "原因" not in heads:
            continue
        widths = [int(g.get(qn("w:w"))) for g in t._tbl.tblGrid.findall(qn("w:gridCol"))]
        shares.append(widths[heads.index("原因")] / sum(widths))
        # a column keeps at least two Chinese characters of width (五号, about 3.7 mm each)
        assert min(widths) >= 7.4 / 25.4 * 1440, heads
    assert len(shares) >= 8
    assert min(shares) >= 0.2 and sum(shares) / len(shares) >= 0.33, shares
