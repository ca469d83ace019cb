"""Deliverables made from OpenStreetMap data carry its licence notice (© OpenStreetMap
contributors, ODbL 1.0) where a planner hands them on: every atlas page (with "(c)": the bundled
font has no ©), the map sheets, the
workbook's 说明 sheet, the HTML map and run.json. Run on the real Hefei extract in tests/data
(© OpenStreetMap contributors, ODbL 1.0); the sample city (no OSM input) carries none. The same
run (no parcels, DEM or vacancy rates) checks that what did not run says so: its GeoPackage layers
and the plan draft's words for what was missing."""

from __future__ import annotations

import shutil
import subprocess
import sys

import openpyxl
import pytest

from .conftest import OSM_FILE

NOTICE = "© OpenStreetMap contributors (ODbL)"


@pytest.fixture(scope="module")
def osm_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("osm_run") / "run"
    proc = subprocess.run([sys.executable, "-m", "planner", "run", "--roads", str(OSM_FILE), "--buildings",
                           str(OSM_FILE), "--facilities", str(OSM_FILE), "--as-of", "2026-06-30", "--out", str(out),
                           "--sheets", "overview", "--atlas", "all", "--report", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


def _pdf_pages_text(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]   # pdftotext ends every page with a form feed


def test_every_atlas_page_and_sheet_of_osm_data_carries_the_notice(osm_run):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    atlas = osm_run / "maps" / "项目图集.pdf"
    pages = _pdf_pages_text(atlas)
    assert len(pages) >= 1
    # the bundled font has no ©: the atlas writes "(c)", never a box (notdef)
    assert [i + 1 for i, p in enumerate(pages) if "(c) OpenStreetMap contributors (ODbL)" not in p] == []
    assert all("OpenStreetMap contributors" in p for p in _pdf_pages_text(osm_run / "maps" / "overview.pdf"))


def test_the_workbook_and_map_of_osm_data_carry_the_notice(osm_run):
    ws = openpyxl.load_workbook(osm_run / "portfolio.xlsx")["说明"]
    rows = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    assert rows.get("数据来源") == NOTICE
    assert NOTICE in (osm_run / "map.html").read_text(encoding="utf-8")


def test_a_city_without_osm_data_has_no_notice(sample_run):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    ws = openpyxl.load_workbook(out / "portfolio.xlsx")["说明"]
    assert "数据来源" not in [r[0] for r in ws.iter_rows(values_only=True)]


def test_run_json_states_the_notice_only_for_osm_inputs(osm_run, sample_run):
    import json

    assert json.loads((osm_run / "run.json").read_text(encoding="utf-8"))["attribution"] == \
        "© OpenStreetMap contributors (ODbL 1.0)"
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["attribution"] is None


def _qgis_layer_names(gpkg) -> list[str]:
    import io
    import re
    import sqlite3
    import zipfile

    with sqlite3.connect(gpkg) as con:
        blob = con.execute("SELECT content FROM qgis_projects").fetchone()[0]
    data = bytes.fromhex(blob) if isinstance(blob, str) else blob
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(next(n for n in z.namelist() if n.endswith(".qgs"))).decode()
    return re.findall(r"<layername>([^<]*)</layername>", xml)


def test_a_flag_layer_of_an_analysis_that_did_not_run_says_so(osm_run, sample_run):
    """The Hefei extract has no parcels, DEM or heritage layer: in QGIS its empty 闲置及低效用地
    layer reads 闲置及低效用地（未评估）, not an empty layer that looks like "none found"; layers of
    analyses that ran keep their names, and the sample (every analysis ran) has no such name."""
    import sqlite3

    names = _qgis_layer_names(osm_run / "portfolio.gpkg")
    assert "闲置及低效用地（未评估）" in names and "易涝积水点（未评估）" in names and "历史文化保护冲突（未评估）" in names
    assert "断头路端点" in names and "更新项目" in names
    with sqlite3.connect(osm_run / "portfolio.gpkg") as con:
        described = dict(con.execute("SELECT table_name, description FROM gpkg_contents"))
    assert described["flag_idle_land"] == "闲置及低效用地（未评估）"
    assert described["flag_dead_end"] == "断头路端点"
    # the base layers copied from OSM keep its notice (ODbL's derived database)
    assert described["base_roads"] == "道路（数据来源：© OpenStreetMap contributors，ODbL 1.0）"
    assert "道路" in names   # the layer's name in QGIS stays short
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    assert not [n for n in _qgis_layer_names(out / "portfolio.gpkg") if "未评估" in n]
    with sqlite3.connect(out / "portfolio.gpkg") as con:
        assert not [d for (d,) in con.execute("SELECT description FROM gpkg_contents") if "OpenStreetMap" in (d or "")]


def test_the_report_names_what_an_analysis_that_did_not_run_lacked(osm_run):
    """OSM gives no vacancy rate and the run no DEM: the plan draft says so ("缺少现状建筑的空置率
    字段", "缺少高程栅格（DEM）") instead of "缺少所需字段" for both; a missing layer is named."""
    from docx import Document

    doc = Document(str(osm_run / "report.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "“易涝积水点”未运行（缺少高程栅格（DEM））" in text
    assert "“闲置楼宇”未运行（缺少现状建筑的空置率字段）" in text
    assert "“闲置及低效用地”未运行（缺少地块）" in text
    assert "所需字段" not in text
