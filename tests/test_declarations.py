"""Analyses declare their outputs once; every deliverable and panel follows the declarations.
A dummy analysis registered here reaches portfolio.gpkg, portfolio.xlsx, map.html, the
session's map layers and the flag panel without any other module being edited."""

from __future__ import annotations

import numpy as np
import openpyxl
import pyogrio
import pytest
import shapely

from planner.analysis.registry import (
    Analysis,
    AnalysisOutput,
    FlagLayer,
    Parameter,
    RuleCode,
    flag_layers,
    register,
    rule_codes,
    unregister,
)

from .conftest import SAMPLE


def run_dummy(inputs, params, feedback):
    from planner.analysis.common import make_flags

    b = inputs.layers["buildings"]
    floors = b["floors"].fillna(0).to_numpy(dtype=float)
    mask = floors >= params["min_floors"]
    out = AnalysisOutput()
    out.flags["flag_test_tall"] = make_flags(
        b, mask, source_layer="buildings", id_field="building_id", code="TEST_TALL", severity=1,
        reason=[f"测试：{int(f)}层" for f in floors[mask]], reason_en=[f"test: {int(f)} storeys" for f in floors[mask]],
        extra={"storeys_test": floors[mask]})
    return out


@pytest.fixture
def dummy():
    analysis = register(Analysis(
        id="test_tall", title="测试高层", title_en="Test: tall buildings", run=run_dummy,
        requires={"buildings": ["floors"]}, order=99,
        parameters=[Parameter("min_floors", 12, "层", "最低层数", "Minimum storeys", minimum=1)],
        outputs=(FlagLayer("flag_test_tall", "MultiPolygon", "测试高层建筑", "Test tall buildings", fields=("storeys_test",),
                           popup=("flag_id", "code", "reason", "storeys_test"), aliases=(("storeys_test", "层数（测试）", "Storeys"),),
                           visible=True),),
        rules=(RuleCode("TEST_TALL", "测试高层", "Test tall", "#123456", 1),)))
    yield analysis
    unregister("test_tall")


def test_a_registered_analysis_reaches_every_deliverable(dummy, tmp_path):
    from planner.feedback import Feedback
    from planner.pipeline import run_job
    from planner.project import load_project

    assert "flag_test_tall" in [f.name for f in flag_layers()] and "TEST_TALL" in rule_codes()
    cfg = load_project(SAMPLE / "sample_project.toml")
    cfg.params["test_tall.min_floors"] = 6
    out = tmp_path / "out"
    manifest, ws = run_job(cfg, out, Feedback(), export_options={"sheets": False})
    n = manifest["analyses"]["counts_by_code"]["TEST_TALL"]
    assert n > 0
    layers = dict(pyogrio.list_layers(out / "portfolio.gpkg"))
    assert "flag_test_tall" in layers
    flags = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="flag_test_tall")
    assert len(flags) == n and (flags["storeys_test"] >= 6).all()
    import sqlite3

    with sqlite3.connect(out / "portfolio.gpkg") as con:
        desc = con.execute("SELECT description FROM gpkg_contents WHERE table_name='flag_test_tall'").fetchone()[0]
        alias = con.execute("SELECT name FROM gpkg_data_columns WHERE table_name='flag_test_tall' "
                            "AND column_name='storeys_test'").fetchone()
    assert "测试高层建筑" in desc
    assert alias is not None and alias[0] == "层数（测试）"
    wb = openpyxl.load_workbook(out / "portfolio.xlsx", read_only=True)
    assert "测试高层建筑" in wb.sheetnames
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "测试高层建筑" in html and "#123456" in html


def test_the_session_and_the_flag_panel_show_it(dummy):
    from planner.session import Session

    s = Session()
    s.open(SAMPLE / "sample_project.toml")
    s.run_checks(params={"test_tall.min_floors": 6})
    layer = s.layer_of_role("flags:flag_test_tall")
    assert layer is not None and "测试高层建筑" in layer.name and layer.visible
    assert layer.style["categories"]["TEST_TALL"]["colour"] == "#123456"
    pytest.importorskip("PyQt6")
    from planner.gui.app import make_app
    from planner.gui.review import FlagReviewPanel

    app = make_app()  # noqa: F841 (kept alive while the panel exists)
    panel = FlagReviewPanel()
    panel.show_flags(s.result.flags, s.decisions)
    model = panel.model
    rules = {model.data(model.index(r, 0)) for r in range(model.rowCount())}
    assert any("测试高层" in str(t) for t in rules), sorted(map(str, rules))[:10]
    assert np.all(shapely.is_valid(layer.frame.geometry.values))


def test_each_flag_layer_keeps_its_own_column_titles():
    """Two layers may declare the same column name with different titles (a pocket park's
    area_m2 is its parcel's area, a waterlogging depression's its ponding area): each layer's
    deliverables and table show its own."""
    from planner.analysis.registry import flag_layers
    from planner.export.styles import alias

    for layer in flag_layers():
        for column, zh, en in layer.aliases:
            assert alias(column, "zh", layer.name) == zh, (layer.name, column)
            assert alias(column, "en", layer.name) == en, (layer.name, column)
    assert alias("area_m2", "zh", "flag_waterlogging") != alias("area_m2", "zh", "pocket_park_site")
