"""Heritage and height controls (issue 15, policy 十六 and 十七): HERITAGE_CONFLICT for projects
that demolish or rebuild inside a heritage area or on a historic building, heritage notes on
renovation projects there, TALL_BUILDING above the height controls. Every threshold is planted on
both sides, on files the tests write, with inputs in a projected and a geographic CRS and two
working CRSs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from .analysis_helpers import CRS_WORK, X0, Y0, box, frame, run


def _b(bid, x, y, *, use="住宅", floors=3, year=1980, grade=None, structure="砖混", compound=None, height=None,
       w=20.0, h=20.0, households=12, elevator="无"):
    return ({"JZBH": bid, "JZYT": use, "CS": floors, "JCND": year, "安全等级": grade, "结构类型": structure,
             "小区名称": compound, "建筑高度": height, "HS": households, "电梯": elevator}, box(x, y, w, h))


def _line(*pts):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])


def city() -> dict[str, gpd.GeoDataFrame]:
    """A small synthetic city in EPSG:4546 (metres): two road groups with a gap link each (one through
    the historic district HX01), a historic district HX02 with a D-grade, a C-grade and an old compound
    inside, a D-grade building sharing only an edge with HX02, a historic building HB01 on an underused
    parcel, and buildings around the height limits."""
    rows = [
        _b("D1", 520, 320, grade="D级", compound="老城甲"),            # 原拆原建 inside HX02: conflict
        _b("C1", 560, 320, grade="C级", compound="老城乙"),            # 加固 inside HX02: note
        _b("O1", 520, 400, floors=5, year=1990, compound="老城丙"),     # old compound inside HX02: note
        _b("O2", 560, 400, floors=5, year=1990, compound="老城丙"),
        _b("D2", 700, 300, grade="D级", compound="东区"),               # shares an edge with HX02 only
        _b("D3", 900, 600, grade="D级", compound="远郊"),               # far from any heritage
        _b("U1", 830, 330, use="商业", floors=1, year=2010, w=10, h=10),  # the underused parcel's building
        _b("T1", 0, 800, use="办公", floors=40, year=2015, height=150.0),   # at the limit: not flagged
        _b("T2", 40, 800, use="办公", floors=40, year=2015, height=150.1),  # above 150 m
        _b("T3", 80, 800, use="办公", floors=60, year=2015, height=250.1),  # above 250 m: severity 3
        _b("R1", 120, 800, floors=30, year=2015, height=80.0),              # residential at 80 m
        _b("R2", 160, 800, floors=30, year=2015, height=80.1),              # above 80 m
        _b("R3", 200, 800, floors=27, year=2015),                           # 27 x 3 m = 81 m (estimated)
        _b("R4", 240, 800, floors=26, year=2015),                           # 26 x 3 m = 78 m
        _b("R5", 280, 800, floors=40, year=2015, height=60.0),              # the height field wins over storeys
    ]
    buildings = frame([r for r, _ in rows], [g for _, g in rows])
    roads = []
    for dx, tag in ((0, "A"), (1000, "B")):  # each group: a cul-de-sac 50 m from a dead-end street
        for i, pts in enumerate((((0, 0), (400, 0)), ((0, 0), (0, 200)), ((0, 200), (150, 200)), ((200, 0), (200, 200)))):
            roads.append(({"DLBH": f"R{tag}{i}", "DLMC": f"{tag}路{i}", "ZT": "现状"},
                          _line(*[(x + dx, y) for x, y in pts])))
    roads_f = frame([r for r, _ in roads], [g for _, g in roads])
    heritage = frame([{"BHDXBH": "HX01", "名称": "老街", "保护类型": "历史文化街区", "保护级别": "自治区级"},
                      {"BHDXBH": "HX02", "名称": "老城", "保护类型": "历史文化街区", "保护级别": "市级"},
                      {"BHDXBH": "HB01", "名称": "旧货栈", "保护类型": "历史建筑", "保护级别": "市级"}],
                     [box(160, 150, 30, 100), box(500, 300, 200, 200), box(785, 285, 20, 20)])
    parcels = frame([{"DKBH": "P1", "用地性质": "商业用地", "土地状态": "已建", "规划容积率": 3.0}], [box(780, 280, 80, 80)])
    return {"buildings": buildings, "roads": roads_f, "heritage": heritage, "parcels": parcels}


def write_city(folder: Path, epsg: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for role, f in city().items():
        path = folder / f"{role}.gpkg"
        f.to_crs(epsg).to_file(path, driver="GPKG")
        paths[role] = path
    return paths


def config(paths: dict[str, Path], crs: str | None, **params):
    from planner.project import InputConfig, RunConfig

    cfg = RunConfig(name="heritage test", as_of=dt.date(2026, 6, 30), crs=crs, base_dir=next(iter(paths.values())).parent)
    cfg.inputs = {role: InputConfig(role=role, path=str(p)) for role, p in paths.items()}
    cfg.params.update(params)
    return cfg


def plan_city(cfg):
    from planner.feedback import Feedback
    from planner.pipeline import analyse, load_inputs, plan

    ws = load_inputs(cfg, Feedback())
    assert not ws.errors, ws.errors
    result = analyse(ws, cfg, Feedback())
    projects, _, _ = plan(ws, result, cfg)
    return ws, result, projects


# height controls ---------------------------------------------------------------------------
def _tall(heights, floors, uses, **params):
    rows = [{"building_id": f"B{i}", "use": u, "floors": f, "height": h} for i, (h, f, u) in
            enumerate(zip(heights, floors, uses, strict=True))]
    b = frame(rows, [box(30 * i, 0, 20, 20) for i in range(len(rows))])
    return run("height_controls", {"buildings": b}, params=params).flags["flag_tall_building"]


@pytest.mark.parametrize("population, limit, ban", [(0, 150, 250), (299.9, 150, 250), (300, 250, 500), (2500, 250, 500)])
def test_city_height_limit_by_urban_population_both_sides(population, limit, ban):
    hs = [limit, limit + 0.1, ban, ban + 0.1]
    f = _tall(hs, [np.nan] * 4, ["office"] * 4, city_population_10k=population)
    assert f["source_id"].tolist() == ["B1", "B2", "B3"]
    assert f["severity"].tolist() == [2, 2, 3]
    assert (f["height_limit_m"] == limit).all() and not f["height_estimated"].any()
    assert f["reason"].str.contains(f"超过{limit}").all() and f["reason_en"].str.contains(f"{limit} m").all()
    assert not f["reason_en"].str.contains(r"[\u3400-\u9fff]").any()


def test_residential_limit_and_heights_from_storeys_both_sides():
    f = _tall([80.0, 80.1, np.nan, np.nan, 60.0, np.nan, 85.0],
              [30, 30, 27, 26, 40, 30, np.nan], ["residential"] * 5 + ["office", "mixed"])
    # B2: 27 x 3 = 81 m; B3: 78 m; B4: the height field (60 m) wins over 40 storeys; B5: an office
    # of 90 m is under 150 m; B6: mixed use counts as residential
    assert f["source_id"].tolist() == ["B1", "B2", "B6"]
    assert f["height_m"].tolist() == [80.1, 81.0, 85.0]
    assert f["height_estimated"].tolist() == [False, True, False]
    assert (f["height_limit_m"] == 80).all()
    assert "按层数" in f["reason"].iloc[1] and "storeys x 3 m" in f["reason_en"].iloc[1]
    f = _tall([80.1, np.nan], [30, 27], ["residential"] * 2, residential_limit_m=100, floor_height_m=4.0)
    assert f["source_id"].tolist() == ["B1"] and f["height_m"].iloc[0] == 108.0


# heritage on files, two CRSs ---------------------------------------------------------------
@pytest.mark.parametrize("epsg, working", [(4546, None), (4490, "EPSG:4545")])
def test_heritage_conflicts_and_notes_on_files(tmp_path, epsg, working):
    cfg = config(write_city(tmp_path / "in", epsg), working)
    ws, result, projects = plan_city(cfg)
    assert ws.working_crs.to_epsg() == (4546 if working is None else 4545)
    h = ws.frame("heritage")
    assert set(h["kind"]) == {"historic_district", "historic_building"} and set(h["level"]) == {"provincial", "municipal"}
    f = result.flags["flag_heritage"]
    assert (f["code"] == "HERITAGE_CONFLICT").all() and (f["severity"] == 3).all()
    got = {(layer, sid, hid) for layer, sid, hid in zip(f["source_layer"], f["source_id"], f["heritage_ids"], strict=True)}
    # D1 (原拆原建 in HX02), the underused parcel P1 on the historic building HB01, the gap link
    # through HX01; not D2 (an edge shared only), D3 (far away), the other gap link, C1 (加固)
    assert {(la, s, hid) for la, s, hid in got if la != "roads"} == {("buildings", "D1", "HX02"), ("parcels", "P1", "HB01")}
    links = f[f["source_layer"] == "roads"]
    assert len(links) == 1 and links["heritage_ids"].iloc[0] == "HX01" and links["source_id"].iloc[0].startswith("RA")
    assert f["flag_id"].str.startswith("HERITAGE_CONFLICT:").all() and f["flag_id"].is_unique
    assert f.crs.equals(ws.working_crs)
    assert "历史文化街区 HX02" in f.loc[f["source_id"] == "D1", "reason"].iloc[0]
    assert "historic district HX02" in f.loc[f["source_id"] == "D1", "reason_en"].iloc[0]
    assert not f["reason_en"].str.contains(r"[\u3400-\u9fff]").any()
    # projects: conflicts marked, renovation projects inside carry the note
    p = projects.set_index("project_id")
    assert set(f["project_id"]) <= set(p.index)
    conflict = p[p["heritage_conflict"]]
    assert set(conflict["type"]) == {"unsafe_housing", "underused_land", "road_link"}
    assert conflict["notes"].str.contains("HERITAGE_CONFLICT").all()
    note = p[(p["heritage_ids"] != "") & ~p["heritage_conflict"]]
    assert {"old_compound", "elevator", "unsafe_housing"} <= set(note["type"])  # 老城丙, its elevators, C1 加固
    assert note["notes"].str.contains("HERITAGE_NOTE HX02").all()
    far = p[p["heritage_ids"] == ""]
    assert len(far) and not far["heritage_conflict"].any() and not far["notes"].str.contains("HERITAGE").any()
    d2 = p[p["building_ids"].astype(str) == "D2"]
    assert set(d2["type"]) == {"unsafe_housing", "old_compound"} and (d2["heritage_ids"] == "").all()
    # heights from the file's 建筑高度 column and its 层数
    tall = result.flags["flag_tall_building"]
    assert sorted(tall["source_id"]) == ["R2", "R3", "T2", "T3"]


def test_heritage_buffer_parameter_both_sides(tmp_path):
    paths = write_city(tmp_path / "in", 4546)
    _, result, _ = plan_city(config(paths, None, **{"heritage.buffer_m": 0.0}))
    assert "D2" not in set(result.flags["flag_heritage"]["source_id"])
    _, result, projects = plan_city(config(paths, None, **{"heritage.buffer_m": 1.0}))
    f = result.flags["flag_heritage"]
    assert "D2" in set(f["source_id"]) and "D3" not in set(f["source_id"])


def test_no_heritage_layer_no_heritage_columns(tmp_path):
    paths = write_city(tmp_path / "in", 4546)
    paths.pop("heritage")
    _, result, projects = plan_city(config(paths, None))
    assert "flag_heritage" not in result.flags and "heritage_ids" not in projects
    assert "heritage" in result.skipped


# the role reaches the command line and project files ----------------------------------------
def test_heritage_role_from_cli_and_project_file(tmp_path):
    from planner.cli import _build_parser, _config_from_args
    from planner.errors import InputError
    from planner.project import load_project

    paths = write_city(tmp_path / "in", 4546)
    args = _build_parser().parse_args(["run", "--buildings", str(paths["buildings"]), "--heritage", str(paths["heritage"]),
                                       "--layer", f"restricted={paths['parcels']}", "--out", str(tmp_path / "o")])
    cfg = _config_from_args(args)
    assert set(cfg.inputs) == {"buildings", "heritage", "restricted"}
    args = _build_parser().parse_args(["run", "--buildings", str(paths["buildings"]), "--layer", "nonsense=x.gpkg",
                                       "--out", str(tmp_path / "o")])
    with pytest.raises(InputError, match="not a layer role"):
        _config_from_args(args)
    toml = tmp_path / "p.toml"
    toml.write_text(f'[inputs.buildings]\npath = "{paths["buildings"].as_posix()}"\n'
                    f'[inputs.heritage]\npath = "{paths["heritage"].as_posix()}"\n', encoding="utf-8")
    assert set(load_project(toml).inputs) == {"buildings", "heritage"}
    toml.write_text('[inputs.heritagez]\npath = "x.gpkg"\n', encoding="utf-8")
    with pytest.raises(InputError, match="heritage"):  # the hint lists the catalogue's roles
        load_project(toml)


# every deliverable and the GUI through the declarations ----------------------------------------
@pytest.mark.slow
def test_heritage_and_tall_buildings_reach_every_deliverable(tmp_path):
    import sqlite3

    import openpyxl
    import pyogrio

    from planner.feedback import Feedback
    from planner.pipeline import run_job

    cfg = config(write_city(tmp_path / "in", 4546), None)
    out = tmp_path / "out"
    manifest, _ = run_job(cfg, out, Feedback(), export_options={"sheets": False})
    counts = manifest["analyses"]["counts_by_code"]
    assert counts["HERITAGE_CONFLICT"] == 3 and counts["TALL_BUILDING"] == 4
    layers = dict(pyogrio.list_layers(out / "portfolio.gpkg"))
    assert {"flag_heritage", "flag_tall_building"} <= set(layers)
    her = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="flag_heritage")
    assert len(her) == 3 and set(her["heritage_ids"]) == {"HX01", "HX02", "HB01"}
    projects = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="projects")
    assert projects["heritage_conflict"].astype(bool).sum() == 3
    with sqlite3.connect(out / "portfolio.gpkg") as con:
        desc = dict(con.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
        alias = dict(con.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name='flag_tall_building'")
                     .fetchall())
    assert "历史文化保护冲突" in desc["flag_heritage"] and "超高建筑" in desc["flag_tall_building"]
    assert alias.get("height_m") == "建筑高度（m）"
    wb = openpyxl.load_workbook(out / "portfolio.xlsx", read_only=True)
    assert {"历史文化保护冲突", "超高建筑"} <= set(wb.sheetnames)
    notes = [str(c.value) for row in wb["项目清单"].iter_rows() for c in row if c.value and "历史文化保护" in str(c.value)]
    assert any("历史文化保护冲突 HX" in n or "历史文化保护冲突 HB" in n for n in notes)
    assert any("历史文化保护提示 HX02" in n for n in notes)
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "历史文化保护冲突" in html and "#8C510A".lower() in html.lower() and "超高建筑" in html


def test_the_session_and_the_flag_panel_show_them(tmp_path):
    from planner.session import Session

    paths = write_city(tmp_path / "in", 4546)
    toml = tmp_path / "p.toml"
    toml.write_text('[project]\nas_of = "2026-06-30"\n' + "".join(
        f'[inputs.{role}]\npath = "{p.as_posix()}"\n' for role, p in paths.items()), encoding="utf-8")
    s = Session()
    s.open(toml)
    s.run_checks()
    assert s.layer_of_role("heritage") is not None
    layer = s.layer_of_role("flags:flag_tall_building")
    assert layer is not None and "超高建筑" in layer.name and layer.visible
    assert layer.style["categories"]["TALL_BUILDING"]["colour"].lower() == "#117733"
    assert len(s.result.flags["flag_heritage"]) == 3
    assert s.projects["heritage_conflict"].sum() == 3
    # the conflicts found on the projects are a map layer of the headless session too
    conflicts = s.layer_of_role("flags:flag_heritage")
    assert conflicts is not None and len(conflicts.frame) == 3
    pytest.importorskip("PyQt6")
    from planner.gui.app import make_app
    from planner.gui.review import FlagReviewPanel

    app = make_app()  # noqa: F841 (kept alive while the panel exists)
    panel = FlagReviewPanel()
    panel.show_flags(s.result.flags, s.decisions)
    model = panel.model
    rules = {str(model.data(model.index(r, 0))) for r in range(model.rowCount())}
    assert any("历史文化保护冲突" in t for t in rules) and any("超高建筑" in t for t in rules), sorted(rules)


def test_projects_without_geometry_or_heritage_far_away(tmp_path):
    """A heritage layer that touches no project: an empty conflict layer, no notes."""
    from types import SimpleNamespace

    from planner.portfolio.heritage import check_heritage

    heritage = frame([{"heritage_id": "HZ", "kind": "historic_district"}], [box(5000, 5000, 10, 10)])
    projects = gpd.GeoDataFrame({"project_id": ["OC-0001", "OC-0002"], "type": ["old_compound"] * 2, "name": ["甲", "乙"],
                                 "flags": ["OLD_HOUSING:B1", ""], "notes": ["", "已有备注"]},
                                geometry=gpd.GeoSeries([box(0, 0, 10, 10), None], crs=CRS_WORK), crs=CRS_WORK)
    ws = SimpleNamespace(frame=lambda role: heritage if role == "heritage" else None, catalogue=None)
    result = SimpleNamespace(flags={}, parameters={})
    out = check_heritage(projects, SimpleNamespace(ws=ws, result=result, crs=CRS_WORK, buildings=None))
    assert out["heritage_ids"].tolist() == ["", ""] and not out["heritage_conflict"].any()
    assert out["notes"].tolist() == ["", "已有备注"]
    assert len(result.flags["flag_heritage"]) == 0 and "flag_id" in result.flags["flag_heritage"]
    assert isinstance(pd.Series(out["heritage_conflict"]).dtype, np.dtype)


@pytest.mark.slow
def test_a_saved_project_reopens_with_its_heritage_conflicts(tmp_path):
    from planner.feedback import Feedback
    from planner.pipeline import run_job
    from planner.session import Session

    cfg = config(write_city(tmp_path / "in", 4546), None)
    saved = tmp_path / "p.gpkg"
    run_job(cfg, tmp_path / "out", Feedback(), export_options={"sheets": False}, save_project=saved)
    s = Session()
    s.open(saved)
    assert s.layer_of_role("flags:flag_heritage") is not None
    assert len(s.result.flags["flag_heritage"]) == 3 and s.projects["heritage_conflict"].sum() == 3
    fid = s.result.flags["flag_heritage"]["flag_id"].iloc[0]
    s.decide(fid, "dismissed", "已论证：保护规划允许")
    assert s.decisions[fid]["state"] == "dismissed"
    assert len(s.result.flags["flag_heritage"]) == 3  # the flag stays, marked by the decision
