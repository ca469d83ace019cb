"""Every deliverable opened for real: GeoPackage (pyogrio + sqlite3), workbook (openpyxl), HTML,
PNG/PDF map sheets, and the manifest."""

import json
import re
import sqlite3

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from PIL import Image


@pytest.fixture(scope="module")
def demo(sample_run):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    return out


def test_projects_layer_and_portfolio_rules(demo):
    p = pyogrio.read_dataframe(demo / "portfolio.gpkg", layer="projects")
    assert len(p) > 20 and p["project_id"].is_unique
    assert set(p.geometry.geom_type) == {"MultiPolygon"}
    for col in ("name", "type", "district", "estimated_cost", "priority_score", "score_need", "score_residents",
                "score_cost", "score_ease", "phase", "status", "flags"):
        assert col in p.columns, col
    assert p["priority_score"].between(0, 100).all()
    assert set(p["phase"]) <= {"2026-2027", "2028-2030", "2031-2035"}
    assert (p["status"] == "draft").all()
    # each idle parcel is one disposal project; each road gap in one link project (a gap along
    # a planned road is that road's project)
    idle = pyogrio.read_dataframe(demo / "portfolio.gpkg", layer="flag_idle_land")
    n_idle = int(idle["code"].str.startswith("IDLE_").sum())
    assert int((p["type"] == "idle_land").sum()) == n_idle
    gaps = pyogrio.read_dataframe(demo / "portfolio.gpkg", layer="road_gap")
    in_links = [f for s in p.loc[p["type"] == "road_link", "flags"] for f in s.split(",") if f]
    assert sorted(in_links) == sorted(gaps["flag_id"])
    # every flag a project names exists
    from planner.analysis.registry import flag_layers

    all_ids = set()
    for spec in flag_layers():  # every declared flag layer (transport and safety gaps too)
        all_ids |= set(pyogrio.read_dataframe(demo / "portfolio.gpkg", layer=spec.name,
                                              read_geometry=False)["flag_id"])
    named = {f for s in p["flags"] for f in s.split(",") if f}
    assert named and named <= all_ids
    # names come from place names in the data
    oc = p[p["type"] == "old_compound"]
    assert oc["name"].str.contains("小区|区").all() and oc["name"].str.contains("老旧小区改造").all()
    assert oc["district"].str.contains("街道").all()


def test_gpkg_styles_aliases_and_contents(demo):
    gpkg = demo / "portfolio.gpkg"
    with sqlite3.connect(gpkg) as con:
        styles = con.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles").fetchall()
        contents = dict(con.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
        aliases = dict(con.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name='projects'").fetchall())
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
    styled = {s[0] for s in styles}
    assert {"flag_idle_land", "flag_old_housing", "flag_dead_end", "road_gap", "service_gap", "projects"} <= styled
    for name, geom_col, default, q in styles:
        assert default == 1 and geom_col == geom_cols.get(name, "")
        assert q.startswith("<!DOCTYPE qgis") and ("renderer-v2" in q or name not in geom_cols)
        assert "<aliases>" in q
    assert {"indicators", "compounds", "service_coverage"} <= styled  # tables are styled (aliases) too
    assert len(styled) == len(styles)  # one default row per layer
    assert "项目" in contents["projects"] and contents["indicators"]
    assert aliases["estimated_cost"] == "估算投资（万元）" and aliases["name"] == "项目名称"
    # all column names are ASCII
    for layer, _ in pyogrio.list_layers(gpkg):
        for col in pyogrio.read_info(gpkg, layer=layer)["fields"]:
            assert col.isascii(), (layer, col)


def test_workbook_matches_geopackage(demo):
    wb = openpyxl.load_workbook(demo / "portfolio.xlsx", data_only=True)
    assert {"说明", "项目清单", "汇总", "城市体检指标", "老旧小区与危旧房", "道路缺口与规划路", "生活圈短板"} <= set(wb.sheetnames)
    ws = wb["项目清单"]
    heads = [c.value for c in ws[1]]
    assert heads[:4] == ["优先次序", "项目编号", "项目名称", "项目类型"]  # listed safety first, by rank
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    p = pyogrio.read_dataframe(demo / "portfolio.gpkg", layer="projects", read_geometry=False)
    assert ws.max_row == len(p) + 2  # header, rows, totals
    total_row = [c.value for c in ws[ws.max_row]]
    cost_col = heads.index("估算投资（万元）")
    assert total_row[0].startswith("合计")
    assert total_row[cost_col] == pytest.approx(p["estimated_cost"].sum(), rel=1e-9)
    ids = [ws.cell(row=r, column=2).value for r in range(2, ws.max_row)]
    assert sorted(ids) == sorted(p["project_id"])
    summary = wb["汇总"]
    values = [[c.value for c in row] for row in summary.iter_rows()]
    totals = [r for r in values if r[0] == "合计"]
    assert len(totals) == 3 and all(t[2] == pytest.approx(p["estimated_cost"].sum()) for t in totals)
    assert summary._charts, "the summary sheet has a chart"
    ind = wb["城市体检指标"]
    assert ind.conditional_formatting  # pass / fail colours
    col = [c.value for c in ind[1]].index("是否达标") + 1
    passes = {c.value for c in list(ind.iter_cols(min_col=col, max_col=col))[0][1:]}
    assert passes <= {"是", "否", None} and "否" in passes


def test_html_map_offline_and_escaped(demo, tmp_path):
    html = (demo / "map.html").read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src="https?://', html)
    assert not re.search(r'<link[^>]+href="https?://', html)
    assert "L.map" in html and "LayerControl" in html or "control.layers" in html.lower()
    assert "图例" in html and "断头" in html


def test_html_escapes_attribute_text(tmp_path):
    import geopandas as gpd
    import shapely

    from planner.export.html_map import write_map

    evil = '<script>alert("x")</script>'
    flags = gpd.GeoDataFrame({"flag_id": ["a"], "code": ["DEAD_END"], "reason": [evil], "source_id": ["1"]},
                             geometry=[shapely.Point(400000, 4500000)], crs=4546)
    write_map(tmp_path / "m.html", {"flag_dead_end": flags}, title="<b>标题</b>")
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert evil not in html and "<b>标题</b>" not in html
    assert "alert" in html
    # escaped once by us (JSON may then write & as \u0026): the page shows the text, never runs it
    assert "&lt;script&gt;" in html or "\\u0026lt;script\\u0026gt;" in html
    assert "<script>alert" not in html and "\\u003cscript\\u003ealert" not in html


def test_map_sheets_are_a3_and_not_blank(demo):
    maps = demo / "maps"
    pngs = sorted(maps.glob("*.png"))
    names = {p.stem for p in pngs}
    assert "overview" in names and {"old_compound", "road_link", "idle_land"} <= names
    assert {p.stem for p in maps.glob("*.pdf")} == names
    for png in pngs:
        im = Image.open(png)
        w, h = im.size
        assert abs(w / h - 420 / 297) < 0.01 and w >= 4900  # A3 landscape at 300 dpi
        arr = np.asarray(im.convert("L"))
        assert arr.std() > 10  # not blank
    pdf = (maps / "overview.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"NotoSansSCSubset" in pdf.replace(b" ", b"")


def test_manifest_complete(demo):
    m = json.loads((demo / "run.json").read_text(encoding="utf-8"))
    assert m["software"]["version"]
    assert m["portfolio"]["projects"] == sum(m["portfolio"]["by_type"].values())
    assert m["analyses"]["counts_by_code"]["OLD_HOUSING"] > 0
    for key in ("loading", "analyses", "portfolio", "export.gpkg", "export.xlsx", "export.html", "export.sheets", "total"):
        assert key in m["timings_s"], key
    p = pyogrio.read_dataframe(demo / "portfolio.gpkg", layer="projects", read_geometry=False)
    assert m["portfolio"]["estimated_cost_wan_yuan"] == pytest.approx(p["estimated_cost"].sum(), rel=1e-6)


def test_weights_change_scores(tmp_path):
    from planner.portfolio.build import rescore
    from planner.portfolio.settings import load_settings

    s = load_settings()
    frame = pd.DataFrame({"score_need": [1.0, 0.0], "score_residents": [0.0, 1.0], "score_cost": [0.5, 0.5],
                          "score_ease": [0.2, 0.9]})
    a = rescore(frame, s)
    s.weights = {"need": 1.0, "residents": 0.0, "cost": 0.0, "ease": 0.0}
    b = rescore(frame, s)
    assert b["priority_score"].tolist() == [100.0, 0.0] and b["phase"].tolist() == ["2026-2027", "2031-2035"]
    assert a["priority_score"].tolist() != b["priority_score"].tolist()


def test_geopackage_written_in_slices_holds_the_same(tmp_path):
    """The window's export writes layers in appended slices (GDAL holds the GIL while writing):
    the layer holds every row, its type, description and spatial index as written in one call."""
    import geopandas as gpd
    import shapely

    from planner.export.gpkg import write_layers

    n = 12_000
    frame = gpd.GeoDataFrame({"building_id": np.arange(n).astype(str), "v": np.arange(n) * 0.5},
                             geometry=shapely.box(np.arange(n), 0, np.arange(n) + 0.5, 1), crs=4546)
    table = pd.DataFrame({"key": ["a", "b"], "value": ["1", "2"]})
    for sliced in (None, 0.001):
        path = tmp_path / f"s{sliced}.gpkg"
        write_layers(path, {"b": (frame, "MultiPolygon", "说明"), "t": (table, "None", "表")}, slice_seconds=sliced)
        back = pyogrio.read_dataframe(path, layer="b")
        assert back["building_id"].tolist() == frame["building_id"].tolist()
        assert shapely.equals(back.geometry.values, frame.geometry.values).all()
        assert pyogrio.read_info(path, layer="b")["geometry_type"] == "MultiPolygon"
        with sqlite3.connect(path) as con:
            assert con.execute("SELECT count(*) FROM rtree_b_geom").fetchone()[0] == n
            assert con.execute("SELECT description FROM gpkg_contents WHERE table_name='b'").fetchone()[0] == "说明"
        assert len(pyogrio.read_dataframe(path, layer="t")) == 2
