"""The planning workflow in the window: run checks (and cancel), review flags across re-runs,
undo/redo, weights, save/reopen, export, responsiveness."""

import sqlite3
import time

import numpy as np
import openpyxl
import pyogrio
import pytest

pytest.importorskip("PyQt6")
from PyQt6 import QtCore  # noqa: E402

from ..conftest import SAMPLE  # noqa: E402


def new_window(qtbot, tmp_path):
    from planner.gui.app import make_app
    from planner.gui.main_window import MainWindow

    make_app()
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, ask=False)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    return w


@pytest.fixture
def window(qtbot, tmp_path):
    """The sample project opened from its TOML, before any checks."""
    w = new_window(qtbot, tmp_path)
    assert w.open_path(SAMPLE / "sample_project.toml")
    return w


@pytest.fixture
def checked(qtbot, tmp_path, saved_sample):
    """The sample after its checks: a copy of the project file the suite's one command-line run of
    the sample saved (conftest's saved_sample), opened in a new window, so the tests of what a
    planner does with the results do not run the checks again each (the checks in the window are
    run by the tests of running, cancelling, re-running, saving and exporting)."""
    import shutil

    path = tmp_path / "checked.gpkg"
    shutil.copy(saved_sample / "p.gpkg", path)
    w = new_window(qtbot, tmp_path)
    assert w.open_path(path)
    assert w.result is not None and w.projects is not None and len(w.projects) > 20
    return w


def run_and_wait(window, qtbot, **kwargs):
    worker = window.run_checks(**kwargs)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    return worker


def idle_flag(window):
    f = window.result.flags["flag_idle_land"]
    return str(f.loc[f["code"] == "IDLE_NOT_STARTED_2Y", "flag_id"].iloc[0])


def test_run_checks_shows_flags_projects_and_panels(window, qtbot):
    run_and_wait(window, qtbot)
    roles = {lyr.role for lyr in window.layers}
    assert {"flags:flag_idle_land", "flags:flag_old_housing", "flags:road_gap", "projects"} <= roles
    assert window.flag_panel.model.rowCount() == sum(len(f) for f in window.result.flags.values()) > 7_000
    assert window.portfolio_panel.model.rowCount() == len(window.projects) > 20
    assert "projects" in window.portfolio_panel.totals.text() or "项目" in window.portfolio_panel.totals.text()


def test_cancel_midway_keeps_previous_results(checked, qtbot):
    window = checked
    before = window.result
    n_projects = len(window.projects)
    worker = window.run_checks(params={"old_housing.cutoff_year": 1990})
    worker.cancel()
    with qtbot.waitSignal(worker.cancelled, timeout=60_000):
        pass
    assert window.result is before and len(window.projects) == n_projects
    assert window.session.state.params.get("old_housing.cutoff_year", 2000) == 2000


def test_dismissal_survives_rerun_undo_redo_and_changes_the_portfolio(checked, qtbot):
    window = checked
    fid = idle_flag(window)
    n_idle = int((window.projects["type"] == "idle_land").sum())
    window.flag_panel.select_flag(fid)
    window.decide(fid, "dismissed", "已现场核实：已动工")
    assert window.decisions()[fid]["state"] == "dismissed"
    assert int((window.projects["type"] == "idle_land").sum()) == n_idle - 1
    run_and_wait(window, qtbot)  # a re-run: the decision still holds
    assert window.decisions()[fid]["note"] == "已现场核实：已动工"
    assert int((window.projects["type"] == "idle_land").sum()) == n_idle - 1
    window.undo_stack.undo()
    assert fid not in window.decisions()
    assert int((window.projects["type"] == "idle_land").sum()) == n_idle
    window.undo_stack.redo()
    assert window.decisions()[fid]["state"] == "dismissed"


def test_weights_rescore_and_undo(checked, qtbot):
    window = checked
    scores = window.projects["priority_score"].to_numpy().copy()
    window.set_weights({"need": 1.0, "residents": 0.0, "cost": 0.0, "ease": 0.0})
    assert not np.allclose(window.projects["priority_score"], scores)
    assert set(window.projects["phase"]) <= {"2026-2027", "2028-2030", "2031-2035"}
    window.undo_stack.undo()
    assert np.allclose(window.projects["priority_score"], scores)


def test_save_reopen_export_carry_the_decisions(window, qtbot, tmp_path):
    from planner.gui.main_window import MainWindow

    run_and_wait(window, qtbot)
    fid = idle_flag(window)
    window.decide(fid, "dismissed", "不属于闲置")
    path = tmp_path / "p.gpkg"
    assert window.save_to(path)
    other = MainWindow(settings=window.settings, ask=False)
    qtbot.addWidget(other)
    assert other.open_path(path)
    assert other.decisions()[fid]["state"] == "dismissed"
    assert other.result is not None and "flag_idle_land" in other.result.flags
    # the panels show what the file worker made (texts, totals, drawing form), not stale answers
    from planner.gui import review
    from planner.gui.panels import portfolio_totals

    table = other.session.flag_table()
    assert review._VIEW[0]["table"] is table and len(other.flag_panel.model.order) == len(table)
    row = int(np.flatnonzero(table["flag_id"].to_numpy() == fid)[0])
    assert other.flag_panel.model._texts["state"][row] == "已排除"
    projects = other.session.projects
    assert portfolio_totals(projects)["n"] == len(projects) == len(window.session.projects)
    out = tmp_path / "export"
    worker = other.export(out, sheets=False)
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        pass
    flags = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="flag_idle_land", read_geometry=False)
    row = flags[flags["flag_id"] == fid].iloc[0]
    assert row["review"] == "dismissed" and row["review_note"] == "不属于闲置"
    projects = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="projects", read_geometry=False)
    assert len(projects) == len(other.projects)
    assert not projects["flags"].str.contains(fid, regex=False).any()
    wb = openpyxl.load_workbook(out / "portfolio.xlsx", read_only=True)
    assert "项目清单" in wb.sheetnames
    with sqlite3.connect(out / "portfolio.gpkg") as con:
        assert con.execute("SELECT count(*) FROM layer_styles").fetchone()[0] >= 6


@pytest.mark.slow  # a responsiveness measurement, not a check of a result: run with `pytest -m slow`
# Passes at load 1-3 (longest gaps 332 and 380 ms against 0.5 s) but with a thin margin; under load 10-13 GDAL's
# write calls held the GIL 0.25-0.7 s even with the GeoPackage written in slices. It was an xfail that xpassed
# and cost ~63 s of `make test` (checks plus a full export with sheets); as a slow test its bound is asserted
# whenever it runs (on a quiet machine), instead of being reported either way.
def test_event_loop_keeps_turning_while_checks_and_export_run(window, qtbot, tmp_path):
    stamps = []
    timer = QtCore.QTimer(interval=10)
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    timer.start()
    run_and_wait(window, qtbot)
    worker = window.export(tmp_path / "e", sheets=True)
    # a generous wait (the machine may be shared); the bound is on the event loop's gaps below
    with qtbot.waitSignal(worker.finished, timeout=600_000):
        pass
    timer.stop()
    gaps = np.diff(stamps)
    assert len(stamps) > 30
    assert gaps.max() < 0.5, f"event loop blocked {gaps.max() * 1000:.0f} ms"
    print(f"longest event-loop gap {gaps.max() * 1000:.0f} ms over {len(stamps)} ticks")


def test_run_checks_dialog_is_generated_from_parameters(window, qtbot):
    from planner.gui.panels import RunChecksDialog

    d = RunChecksDialog({"old_housing.cutoff_year": 2004}, "2026-06-30", window)
    qtbot.addWidget(d)
    assert {"idle_land", "old_housing", "roads", "services", "indicators"} <= set(d.groups)
    p, w = d.fields["old_housing.cutoff_year"]
    assert w.value() == 2004 and "2000" in w.toolTip() or "2004" in w.toolTip()
    d.fields["roads.gap_distance_m"][1].setValue(200.0)
    d.groups["services"].setChecked(False)
    assert d.params() == {"old_housing.cutoff_year": 2004, "roads.gap_distance_m": 200.0}
    assert "services" not in d.selected() and d.as_of_date().isoformat() == "2026-06-30"


def test_workflow_screenshot(checked, qtbot):
    from ..conftest import ROOT

    window = checked
    window.docks["portfolio"].raise_()
    fid = idle_flag(window)
    window.flag_panel.select_flag(fid)
    assert window.canvas.wait_rendered(30)
    shots = ROOT / "out" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(shots / "gui_workflow.png"))


def projects_layer(window):
    return next(lyr for lyr in window.layers if lyr.role == "projects")


def test_edit_project_boundary_with_snapping_split_merge_undo_save_export(checked, qtbot, tmp_path):
    import shapely

    from planner.gui.main_window import MainWindow

    window = checked
    layer = projects_layer(window)
    oc = int(np.flatnonzero((layer.frame["type"] == "old_compound").to_numpy())[0])
    pid = layer.frame["project_id"].iloc[oc]
    g = layer.frame.geometry.values[oc]
    window.canvas.set_extent(shapely.bounds(shapely.buffer(g, 100)))
    # move a vertex to near a parcel corner: it snaps onto the corner exactly
    parcels = next(lyr for lyr in window.layers if lyr.role == "parcels")
    target = shapely.get_coordinates(parcels.frame.geometry.values[0])[0]
    near = shapely.get_coordinates(parcels.frame.geometry.values)
    d = np.hypot(*(near - shapely.get_coordinates(g)[0]).T)
    target = near[int(np.argmin(d))]
    sx, sy, how = window.move_vertex(layer, oc, 0, target[0] + 0.4 * window.canvas.units_per_pixel * 10,
                                     target[1], snap_px=10)
    assert how == "vertex" and (sx, sy) == (float(target[0]), float(target[1]))
    row = int(np.flatnonzero(layer.frame["project_id"] == pid)[0])
    assert tuple(shapely.get_coordinates(layer.frame.geometry.values[row])[0]) == (sx, sy)
    window.undo_stack.undo()
    assert shapely.equals(layer.frame.geometry.values[row], g)
    window.undo_stack.redo()
    n = len(layer.frame)
    # split the project with a line across it
    b = shapely.bounds(layer.frame.geometry.values[row])
    cut = shapely.LineString([((b[0] + b[2]) / 2, b[1] - 10), ((b[0] + b[2]) / 2, b[3] + 10)])
    window.split_feature(layer, row, cut)
    assert len(layer.frame) == n + 1 and {f"{pid}-1", f"{pid}-2"} <= set(layer.frame["project_id"])
    cost_parts = layer.frame.loc[layer.frame["project_id"].str.startswith(f"{pid}-"), "estimated_cost"].sum()
    window.undo_stack.undo()
    assert len(layer.frame) == n
    window.undo_stack.redo()
    # merge the two halves back, then undo and redo
    halves = np.flatnonzero(layer.frame["project_id"].str.startswith(f"{pid}-").to_numpy())
    window.merge_features(layer, halves)
    assert len(layer.frame) == n
    merged = layer.frame.iloc[-1]
    assert merged["estimated_cost"] == pytest.approx(cost_parts) and "合并" in merged["name"]
    window.undo_stack.undo()
    assert len(layer.frame) == n + 1
    window.undo_stack.redo()
    # attribute edit with a type check
    window.edit_attribute(layer, 0, "estimated_cost", "123.5")
    assert layer.frame["estimated_cost"].iloc[0] == 123.5
    with pytest.raises(Exception, match="not a (valid|number)"):
        window.edit_attribute(layer, 0, "estimated_cost", "lots")
    # save, reopen, export: the edits are there
    path = tmp_path / "edited.gpkg"
    assert window.save_to(path)
    other = MainWindow(settings=window.settings, ask=False)
    qtbot.addWidget(other)
    assert other.open_path(path)
    assert len(other.projects) == n and other.projects["estimated_cost"].iloc[0] == 123.5
    worker = other.export(tmp_path / "out", sheets=False)
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        pass
    exported = pyogrio.read_dataframe(tmp_path / "out" / "portfolio.gpkg", layer="projects")
    assert len(exported) == n and exported["name"].str.contains("合并").any()
    wb = openpyxl.load_workbook(tmp_path / "out" / "portfolio.xlsx", read_only=True)
    ids = [r[0] for r in wb["项目清单"].iter_rows(min_row=2, values_only=True) if r[0] and not str(r[0]).startswith("合计")]
    assert len(ids) == n


def test_vertex_tool_and_split_tool_by_mouse(checked, qtbot):
    import shapely

    window = checked
    layer = projects_layer(window)
    window.layer_panel.rebuild()
    window.layer_panel.set_current(layer)
    row = int(np.flatnonzero((layer.frame["type"] == "idle_land").to_numpy())[0])
    g = layer.frame.geometry.values[row]
    window.canvas.set_extent(shapely.bounds(shapely.buffer(g, 80)))
    v = window.canvas.view()
    corner = shapely.get_coordinates(g)[0]
    a = QtCore.QPoint(*[int(round(float(t))) for t in v.to_pixels(corner[0], corner[1])])
    b = a + QtCore.QPoint(25, 0)
    window.tool_actions["vertex"].trigger()
    qtbot.mousePress(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(window.canvas, b)
    qtbot.mouseRelease(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=b)
    moved = shapely.get_coordinates(layer.frame.geometry.values[row])
    assert not np.allclose(moved, shapely.get_coordinates(g))
    assert window.undo_stack.undoText()
    # split with a drawn line across the parcel
    n = len(layer.frame)
    bb = shapely.bounds(layer.frame.geometry.values[row])
    p0 = QtCore.QPoint(*[int(round(float(t))) for t in v.to_pixels((bb[0] + bb[2]) / 2, bb[3] + 20)])
    p1 = QtCore.QPoint(*[int(round(float(t))) for t in v.to_pixels((bb[0] + bb[2]) / 2, bb[1] - 20)])
    window.tool_actions["split"].trigger()
    qtbot.mousePress(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=p0)
    qtbot.mouseMove(window.canvas, p1)
    qtbot.mouseRelease(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=p1)
    assert len(layer.frame) == n + 1
    window.undo_stack.undo()
    assert len(layer.frame) == n


def test_reclassify_is_exported(checked, qtbot, tmp_path):
    window = checked
    f = window.result.flags["flag_old_housing"]
    fid = str(f.loc[f["code"] == "UNSAFE_C", "flag_id"].iloc[0])
    window.decide(fid, "reclassified", "复核为D级", "UNSAFE_D")
    worker = window.export(tmp_path / "x", sheets=False)
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        pass
    out = pyogrio.read_dataframe(tmp_path / "x" / "portfolio.gpkg", layer="flag_old_housing", read_geometry=False)
    row = out[out["flag_id"] == fid].iloc[0]
    assert (row["review"], row["review_code"], row["review_note"]) == ("reclassified", "UNSAFE_D", "复核为D级")


def test_dashboard_lists_indicators_and_selects_the_features_behind_one(checked, qtbot):
    from planner.gui.dashboard import ALL

    window = checked
    d = window.dashboard
    ind = window.result.tables["indicators"]
    items = d.indicator_items()
    assert len(items) == ind["indicator"].nunique() > 20  # one row per indicator, grouped by area
    areas = [d.tree.topLevelItem(i).text(0) for i in range(d.tree.topLevelItemCount())]
    assert areas == ["住房", "小区（社区）", "街区", "城区（城市）"]
    row = next(it for it in items if it.data(0, QtCore.Qt.ItemDataRole.UserRole) == "unsafe_d_count")
    district = next(x for x in d.districts if x != ALL)
    col = d.districts.index(district) + 1
    value = row.text(col)
    assert value.isdigit()  # a count: an integer, not "12.00"
    assert row.background(col).color().name() == "#ffc7ce"  # failing the target 0
    assert "清零" in row.toolTip(0)  # the target's basis is cited
    with qtbot.waitSignal(d.indicatorChosen):
        d._clicked(row, col)
    layer = next(lyr for lyr in window.layers if lyr.role == "flags:flag_old_housing")
    selected = window.layers.selected(layer)
    assert len(selected) == int(value) and set(layer.frame["code"].iloc[selected]) == {"UNSAFE_D"}
    assert layer.visible
    # the map went to them
    import shapely
    box = shapely.box(*window.canvas.extent())
    assert shapely.contains(box, shapely.union_all(layer.frame.geometry.values[selected]))
    assert d.chart.items and d.chart.target == 0


def test_create_project_from_selection_and_edit_in_the_table(checked, qtbot):
    window = checked
    buildings = next(lyr for lyr in window.layers if lyr.role == "buildings")
    window.select_by_expression(buildings, "compound = '钢铁小区'")
    layer = projects_layer(window)
    n = len(layer.frame)
    window.create_project_from_selection(buildings, "elevator", name="钢铁小区加梯试点")
    assert len(layer.frame) == n + 1
    new = layer.frame.iloc[-1]
    assert new["name"] == "钢铁小区加梯试点" and new["estimated_cost"] > 0 and 0 <= new["priority_score"] <= 100
    # edit through the portfolio table: a valid number is accepted, text in a number column is refused
    m = window.portfolio_panel.model
    col = m.columns.index("estimated_cost")
    view_row = int(np.flatnonzero(m.order == n)[0])
    assert m.setData(m.index(view_row, col), "88.5")
    assert layer.frame["estimated_cost"].iloc[n] == 88.5
    assert not m.setData(m.index(view_row, col), "很多")
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert len(layer.frame) == n


def test_draw_move_add_and_delete_vertices_by_mouse(checked, qtbot):
    import shapely

    window = checked
    layer = projects_layer(window)
    window.layer_panel.rebuild()
    window.layer_panel.set_current(layer)
    parcels = next(lyr for lyr in window.layers if lyr.role == "parcels")
    window.canvas.set_extent(shapely.bounds(shapely.buffer(parcels.frame.geometry.values[40], 60)))
    v = window.canvas.view()
    n = len(layer.frame)
    # draw a new project: three clicks and a double-click
    window.tool_actions["draw"].trigger()
    pts = [QtCore.QPoint(300, 200), QtCore.QPoint(500, 200), QtCore.QPoint(500, 380)]
    for p in pts:
        qtbot.mouseClick(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=p)
    qtbot.mouseDClick(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(300, 380))
    assert len(layer.frame) == n + 1
    drawn = layer.frame.geometry.values[-1]
    assert shapely.area(drawn) > 0 and layer.frame["project_id"].iloc[-1].startswith("SF-N")
    # move it by dragging
    window.tool_actions["move"].trigger()
    inside = QtCore.QPoint(420, 250)
    before = shapely.centroid(drawn)
    qtbot.mousePress(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=inside)
    qtbot.mouseMove(window.canvas, inside + QtCore.QPoint(40, 0))
    qtbot.mouseRelease(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=inside + QtCore.QPoint(40, 0))
    after = shapely.centroid(layer.frame.geometry.values[-1])
    assert after.x - before.x == pytest.approx(40 * v.units_per_pixel, rel=0.05)
    # add a vertex with a double-click on the outline, delete it with shift-click
    g = layer.frame.geometry.values[-1]
    count = len(shapely.get_coordinates(g))
    window.tool_actions["vertex"].trigger()
    mid = shapely.line_interpolate_point(shapely.boundary(g), 0.1, normalized=True)
    pm = QtCore.QPoint(*[int(round(float(t))) for t in window.canvas.view().to_pixels(mid.x, mid.y)])
    qtbot.mouseDClick(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=pm)
    assert len(shapely.get_coordinates(layer.frame.geometry.values[-1])) == count + 1
    qtbot.mouseClick(window.canvas, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.ShiftModifier, pm)
    assert len(shapely.get_coordinates(layer.frame.geometry.values[-1])) == count
    for _ in range(4):
        window.undo_stack.undo()
    assert len(layer.frame) == n


def test_split_a_road_and_export_options(window, qtbot, tmp_path):
    import shapely

    from planner.gui.panels import ExportOptionsDialog

    roads = next(lyr for lyr in window.layers if lyr.role == "roads")
    n = len(roads.frame)
    g = roads.frame.geometry.values[0]
    m = shapely.line_interpolate_point(g, 0.5, normalized=True)
    cut = shapely.LineString([(m.x - 20, m.y - 20), (m.x + 20, m.y + 20)])
    window.split_feature(roads, 0, cut)
    assert len(roads.frame) == n + 1
    d = ExportOptionsDialog(["road_link", "idle_land"], window)
    qtbot.addWidget(d)
    d.sheets.item(2).setCheckState(QtCore.Qt.CheckState.Unchecked)
    d.basemap.setText("tianditu:abc")
    assert d.options() == {"sheets": True, "sheet_types": ["overview", "road_link"], "basemap": "tianditu:abc",
                           "report": False}
    d.report.setChecked(True)  # the plan draft too (report.docx)
    assert d.options()["report"] is True
    run_and_wait(window, qtbot)
    worker = window.export(tmp_path / "o", **d.options())
    with qtbot.waitSignal(worker.finished, timeout=600_000):  # sheets and the report on a shared machine
        pass
    assert sorted(p.stem for p in (tmp_path / "o" / "maps").glob("*.png")) == ["overview", "road_link"]
    assert "tianditu" in (tmp_path / "o" / "map.html").read_text(encoding="utf-8")
    assert (tmp_path / "o" / "report.docx").stat().st_size > 100_000
