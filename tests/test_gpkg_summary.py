"""A flag layer of millions whose flags share their source features (the dense city's 6.6 M
living-circle gaps on 0.9 M buildings) goes into portfolio.gpkg as one feature per source
feature (its rules, the facility types it lacks, its flag count), with every flag, all its
columns, in an attribute table beside it; the QGIS project lists both in the flags group."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pyogrio
import pytest

import planner.export.gpkg as gpkg


@pytest.fixture(scope="module")
def analysed(sample_workspace):
    from planner.feedback import Feedback
    from planner.pipeline import analyse, plan

    cfg, ws = sample_workspace
    result = analyse(ws, cfg, Feedback())
    projects, _, _ = plan(ws, result, cfg)
    return cfg, ws, result, projects


def test_a_long_layer_of_shared_sources_is_summarised_with_every_flag_kept(analysed, tmp_path, monkeypatch):
    from planner.export.terms import facility_title

    cfg, ws, result, projects = analysed
    gaps = result.flags["service_gap"]
    assert gaps["source_id"].nunique() * 1.5 <= len(gaps)  # several facility types missing per building
    monkeypatch.setattr(gpkg, "SUMMARY_ROWS", len(gaps) - 1)
    path = tmp_path / "portfolio.gpkg"
    gpkg.write_portfolio_gpkg(path, result, ws, cfg, projects, {"name": cfg.name}, lang="zh")
    layers = dict(map(tuple, pyogrio.list_layers(path)))
    assert layers["service_gap"] == "MultiPolygon" and layers["service_gap_flags"] is None
    # every flag with every column it had
    table = pyogrio.read_dataframe(path, layer="service_gap_flags", read_geometry=False)
    assert len(table) == len(gaps)
    assert list(table.columns) == [c for c in gaps.columns if c != gaps.geometry.name]
    merged = table.merge(pd.DataFrame(gaps.drop(columns=gaps.geometry.name)), on="flag_id", suffixes=("", "_run"))
    assert len(merged) == len(gaps)
    for c in ("source_id", "reason", "facility_type"):
        assert (merged[c].astype(str) == merged[c + "_run"].astype(str)).all(), c
    assert (merged["distance_m"] - merged["distance_m_run"]).abs().max() < 1e-9
    # one feature per building, its missing facility types and flag count, its geometry
    layer = pyogrio.read_dataframe(path, layer="service_gap")
    assert len(layer) == gaps["source_id"].nunique() and layer["source_id"].is_unique
    assert layer["flag_total"].sum() == len(gaps)
    one = gaps[gaps["source_id"] == layer["source_id"].iloc[0]]
    assert set(layer["missing"].iloc[0].split("、")) == {facility_title(k, "zh") for k in one["facility_type"]}
    assert layer.geometry.iloc[0].equals(one.geometry.iloc[0]) or layer.geometry.iloc[0].area == pytest.approx(
        one.geometry.iloc[0].area)
    # a layer with one flag per source feature stays one row per flag
    idle = pyogrio.read_dataframe(path, layer="flag_idle_building", read_geometry=False)
    assert len(idle) == len(result.flags["flag_idle_building"])
    with sqlite3.connect(path) as con:
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles")}
        assert {"service_gap", "service_gap_flags"} <= styled
        qgs = con.execute("SELECT content FROM qgis_projects").fetchone()[0]
        description = con.execute("SELECT description FROM gpkg_contents WHERE table_name = 'service_gap'").fetchone()[0]
    assert "layername=service_gap_flags</datasource>" in _qgs(qgs)
    assert "生活圈短板（逐条）" in description


def _qgs(content: str) -> str:
    """The project XML of a qgis_projects row (a .qgz as hex text)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(content))) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist())
