"""The headless planning session (no Qt): reopen, decide, edit, re-run, export — nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyogrio
import pytest
import shapely


@pytest.fixture(scope="module")
def saved(saved_sample):
    """One run of the sample with --save-project; its deliverables and project file."""
    return saved_sample


def open_copy(saved, tmp_path):
    import shutil

    from planner.session import Session

    path = tmp_path / "p.gpkg"
    shutil.copy(saved / "p.gpkg", path)
    s = Session(recovery_dir=tmp_path / "recovery")
    s.open(path)
    return s


def counts(projects):
    return projects["type"].value_counts().sort_index().to_dict()


def run_projects(saved):
    return pyogrio.read_dataframe(saved / "run" / "portfolio.gpkg", layer="projects")


def test_no_qt_is_imported_by_the_session():
    code = ("import sys, planner.session, planner.pipeline, planner.cli; "
            "assert not any(m.startswith('PyQt6') for m in sys.modules), 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_reopen_then_decide_keeps_every_other_project(saved, tmp_path):
    s = open_copy(saved, tmp_path)
    fresh = run_projects(saved)
    assert counts(s.projects) == counts(fresh)
    assert {"old_compound", "elevator", "unsafe_housing"} <= set(s.projects["type"])
    flags = s.result.flags["flag_idle_land"]
    fid = str(flags["flag_id"].iloc[0])
    s.decide(fid, "dismissed", "已处置")
    after = counts(s.projects)
    expected = counts(fresh)
    # the dismissed parcel's disposal project is gone; every housing project stays
    gone = fresh[fresh["flags"].str.split(",").apply(lambda f: fid in f) & (fresh["type"] != "service_facility")]
    assert len(gone) >= 1
    for kind in ("old_compound", "elevator", "unsafe_housing", "idle_building", "road_link"):
        assert after.get(kind, 0) == expected.get(kind, 0), kind
    for kind in ("idle_land", "land_supply", "underused_land"):
        assert after.get(kind, 0) == expected.get(kind, 0) - int((gone["type"] == kind).sum()), kind
    # ids do not move when a flag is dismissed (facility sites are chosen anew: the parcel is no
    # longer a candidate site)
    chosen = ["service_facility", "pocket_park", "coverage_facility"]  # sites chosen by coverage
    steady = fresh[~fresh["project_id"].isin(gone["project_id"]) & ~fresh["type"].isin(chosen)]
    now = s.projects[~s.projects["type"].isin(chosen)]
    assert set(steady["project_id"]) == set(now["project_id"])
    s.undo()
    assert counts(s.projects) == expected


def test_manual_edits_survive_decision_weights_and_rerun(saved, tmp_path):
    from planner.portfolio.overlay import geometry_hex

    s = open_copy(saved, tmp_path)
    p = s.projects
    oc = p[p["type"] == "old_compound"]
    # split the first compound project with a line through its middle
    g = oc.geometry.values[0]
    c = shapely.centroid(g)
    b = shapely.bounds(g)
    line = shapely.LineString([(c.x, b[1] - 10), (c.x, b[3] + 10)])
    split_id = str(oc["project_id"].iloc[0])
    s.edit_projects({"op": "split", "id": split_id, "line": geometry_hex(line)})
    # merge two idle-building projects, rename one project, draw a new one
    ib = [str(i) for i in p.loc[p["type"] == "idle_building", "project_id"].iloc[:2]]
    s.edit_projects({"op": "merge", "ids": ib, "new_id": ib[0] + "M"})
    renamed = str(oc["project_id"].iloc[1])
    s.edit_projects({"op": "set", "id": renamed, "column": "name", "value": "幸福里小区综合整治"})
    drawn = shapely.box(c.x, c.y, c.x + 50, c.y + 50)
    import geopandas as gpd

    pid = s.add_project(gpd.GeoDataFrame({"id": [0]}, geometry=[drawn], crs=p.crs), "service_facility",
                        name="手绘社区服务站")
    assert s.history.texts()[-1].endswith(pid)

    def check(projects):
        ids = set(projects["project_id"])
        assert {f"{split_id}-1", f"{split_id}-2"} <= ids and split_id not in ids
        assert ib[0] + "M" in ids and not (set(ib) & ids)
        assert projects.loc[projects["project_id"] == renamed, "name"].iloc[0] == "幸福里小区综合整治"
        assert "手绘社区服务站" in set(projects["name"])

    check(s.projects)
    fid = str(s.result.flags["flag_dead_end"]["flag_id"].iloc[0])
    s.decide(fid, "confirmed")
    check(s.projects)
    s.set_weights({"need": 2, "residents": 1, "cost": 1, "ease": 0})
    check(s.projects)
    assert abs(sum(s.weights.values()) - 1) < 1e-5  # weights are rounded to 6 decimals
    s.run_checks()
    check(s.projects)
    assert s.problems == []
    # and a save / reopen keeps them
    s.save()
    from planner.session import Session

    again = Session(recovery_dir=tmp_path / "recovery")
    again.open(s.path)
    check(again.projects)
    assert again.decisions[fid]["state"] == "confirmed"


def test_merge_and_split_keep_the_distinct_totals(saved, tmp_path):
    """A merged project carries every member building and parcel of its parts, a split one keeps
    them on both pieces: the portfolio's distinct households and buildings do not move."""
    from planner.portfolio.overlay import geometry_hex
    from planner.portfolio.totals import distinct_totals

    s = open_copy(saved, tmp_path)
    buildings = s.workspace().layers["buildings"].frame

    def totals():
        t = distinct_totals(s.projects, buildings).iloc[0]
        return int(t["buildings"]), round(float(t["households"]), 3)

    before = totals()
    p = s.projects
    oc = [str(i) for i in p.loc[p["type"] == "old_compound", "project_id"].iloc[:3]]
    s.edit_projects({"op": "merge", "ids": oc[:2], "new_id": oc[0] + "M"})
    merged = s.projects.loc[s.projects["project_id"] == oc[0] + "M", "building_ids"].iloc[0].split(",")
    parts = p.loc[p["project_id"].isin(oc[:2]), "building_ids"].str.split(",").sum()
    assert set(merged) == set(parts) and len(merged) == len(set(merged))
    assert totals() == before
    g = p.loc[p["project_id"] == oc[2]].geometry.values[0]
    c, b = shapely.centroid(g), shapely.bounds(g)
    s.edit_projects({"op": "split", "id": oc[2], "line": geometry_hex(
        shapely.LineString([(c.x, b[1] - 10), (c.x, b[3] + 10)]))})
    assert totals() == before


def test_an_unchanged_project_opens_with_its_stored_portfolio(saved, tmp_path):
    """A project file keeps the portfolio it showed with the key of what it was built from
    (decisions, edits, weights, parameters, catalogue): opening shows it without a rebuild, and any
    change to those or to a layer makes the next open rebuild it."""
    from planner.projectfile import load_project_file
    from planner.session import _stored_portfolio, prepare_project

    prepared = prepare_project(saved / "p.gpkg")
    assert prepared.portfolio is not None and not prepared.owners  # no build ran
    # the review table is made on the worker too, one row per flag
    table = prepared.result.derived["flag_table"]
    assert len(table) == sum(len(f) for f in prepared.result.flags.values()) > 0
    stored = prepared.portfolio[0]
    run = run_projects(saved)
    assert list(stored["project_id"]) == list(run["project_id"])
    assert np.allclose(stored["estimated_cost"].astype(float), run["estimated_cost"].astype(float))
    state = load_project_file(saved / "p.gpkg")
    state.decisions["x"] = {"state": "dismissed"}
    assert _stored_portfolio(state) is None
    state = load_project_file(saved / "p.gpkg")
    state.params["weights.need"] = 0.5
    assert _stored_portfolio(state) is None
    s = open_copy(saved, tmp_path)
    assert "portfolio_cache" in s.snapshot().extra
    fid = str(s.flag_table()["flag_id"].iloc[0])
    s.decide(fid, "confirmed", "现场核实")
    row = s.flag_table().set_index("flag_id").loc[fid]
    assert (row["state"], row["note"]) == ("confirmed", "现场核实")
    s.undo()
    assert s.flag_table().set_index("flag_id").loc[fid, "state"] == ""
    layer = s.layer_of_role("buildings")
    s.replace_frame(layer, layer.frame.iloc[1:], "删除建筑")  # an input layer edited, no rebuild yet
    assert "portfolio_cache" not in s.snapshot().extra
    s.undo()
    assert "portfolio_cache" in s.snapshot().extra


def test_export_of_an_unchanged_project_equals_the_run(saved, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "planner", "export", str(saved / "p.gpkg"), "--out",
                           str(tmp_path / "exp"), "--sheets", "none", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    a = run_projects(saved)
    b = pyogrio.read_dataframe(tmp_path / "exp" / "portfolio.gpkg", layer="projects")
    assert list(a["project_id"]) == list(b["project_id"])
    assert list(a["type"]) == list(b["type"])
    for col in ("quantity", "estimated_cost", "households", "buildings"):
        assert np.allclose(a[col].astype(float), b[col].astype(float)), col
    assert shapely.equals(a.geometry.values, b.geometry.values).all()
    manifest = json.loads((tmp_path / "exp" / "run.json").read_text(encoding="utf-8"))
    assert manifest["portfolio"]["projects"] == len(a)
    # the title block of the project's [project] table signs the export as it signed the run
    import openpyxl

    about = openpyxl.load_workbook(tmp_path / "exp" / "portfolio.xlsx", read_only=True)["说明"]
    cells = {str(c) for row in about.iter_rows(max_row=12, values_only=True) for c in row if c}
    assert "示例规划设计研究院（虚构）" in cells


def test_review_on_the_command_line(saved, tmp_path):
    import shutil

    path = tmp_path / "p.gpkg"
    shutil.copy(saved / "p.gpkg", path)
    cmd = [sys.executable, "-m", "planner", "review", str(path)]
    bad = subprocess.run(cmd + ["--flag", "NO_SUCH:FLAG", "--dismiss"], capture_output=True, text=True)
    assert bad.returncode == 2 and "NO_SUCH:FLAG" in bad.stderr and "Traceback" not in bad.stderr
    fid = str(pyogrio.read_dataframe(saved / "run" / "portfolio.gpkg", layer="flag_idle_land",
                                     read_geometry=False)["flag_id"].iloc[0])
    ok = subprocess.run(cmd + ["--flag", fid, "--dismiss", "--note", "已收回"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    out = tmp_path / "exp"
    subprocess.run([sys.executable, "-m", "planner", "export", str(path), "--out", str(out), "--sheets", "none",
                    "--quiet"], check=True)
    flags = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="flag_idle_land", read_geometry=False)
    row = flags[flags["flag_id"] == fid].iloc[0]
    assert row["review"] == "dismissed" and row["review_note"] == "已收回"
    projects = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="projects", read_geometry=False)
    assert not projects["flags"].str.split(",").apply(lambda f: fid in f).any()


def test_weights_are_parameters(tmp_path):
    from planner.session import portfolio_settings

    s = portfolio_settings({"weights.need": 3}, None)
    assert abs(sum(s.weights.values()) - 1) < 1e-5  # weights are rounded to 6 decimals
    from planner.errors import InputError

    for bad in ({"weights.nope": 1}, {"weights.need": "nan"}, {"weights.need": -1}):
        with pytest.raises(InputError):
            portfolio_settings(bad, None)


def test_a_reopened_projects_table_is_copied_on_save_until_the_portfolio_changes(saved, tmp_path):
    """Opening shows the file's own portfolio: saving the unchanged project copies its projects
    table (no rewrite that would hold the window), and the table read back is the same; once a
    decision rebuilds the portfolio the next save writes the new one."""
    s = open_copy(saved, tmp_path)
    projects = s.layer_of_role("projects")
    assert projects is not None and projects.uid in s._unchanged()
    before = s.projects.copy()
    s.save(tmp_path / "again.gpkg")
    from planner.session import Session

    reread = Session(recovery_dir=tmp_path / "recovery")
    reread.open(tmp_path / "again.gpkg")
    assert list(reread.projects["project_id"]) == list(before["project_id"])
    assert reread.projects.geometry.to_wkb().tolist() == before.geometry.to_wkb().tolist()
    fid = str(s.flag_table()["flag_id"].iloc[0])
    s.decide(fid, "dismissed", "test")
    assert projects.uid not in s._unchanged()


def test_the_projects_layer_is_prepared_as_adopting_shows_it(saved, tmp_path):
    """What the open worker works out ahead for the projects layer (drawing, legend) stays valid:
    adopting the prepared project leaves that layer's frame and style as the worker saw them."""
    import shutil

    from planner.session import Session, prepare_project

    path = tmp_path / "p.gpkg"
    shutil.copy(saved / "p.gpkg", path)
    prepared = prepare_project(path)
    assert prepared.portfolio is not None
    layer = next(lyr for lyr in prepared.state.layers if lyr.role == "projects")
    assert layer.frame is prepared.portfolio[0]
    frame, style = layer.frame, dict(layer.style)
    s = Session(recovery_dir=tmp_path / "recovery")
    s.adopt(prepared)
    shown = s.layer_of_role("projects")
    assert shown is layer and shown.frame is frame and shown.style == style
    assert set(style["categories"]) == set(frame["type"].astype(str))
