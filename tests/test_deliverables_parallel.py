"""The GeoPackage, workbook and HTML map written in forked side processes (planner.export.
deliverables) are the files written one after the other; an error or a cancel in the parallel
path stops every side process and reaches the caller as it was raised."""

from __future__ import annotations

import multiprocessing

import pandas as pd
import pyogrio
import pytest

from planner.errors import Cancelled
from planner.export.deliverables import write_deliverables
from planner.feedback import Feedback

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")


@pytest.fixture(scope="module")
def planned(sample_analysed):
    """The sample's analyses (conftest's, run once for the suite) and their portfolio."""
    from planner.portfolio.build import build_portfolio

    cfg, ws, result = sample_analysed
    return cfg, ws, result, build_portfolio(ws, result)


def _write(folder, planned, **options):
    cfg, ws, result, projects = planned
    feedback = Feedback()
    timings = write_deliverables(folder, result, ws, cfg, projects, {"name": cfg.name, "software": "test"}, feedback,
                                 options={"sheets": False, **options})
    return timings, feedback


def _workbook(path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_side_processes_write_the_same_files(tmp_path, planned):
    par, par_feedback = _write(tmp_path / "par", planned, parallel=True)
    seq, seq_feedback = _write(tmp_path / "seq", planned, parallel=False)
    assert multiprocessing.active_children() == []
    assert {"export.gpkg", "export.xlsx", "export.html"} <= set(par) and set(par) == set(seq)
    assert par_feedback.warnings == seq_feedback.warnings
    layers = [name for name, _ in pyogrio.list_layers(tmp_path / "seq" / "portfolio.gpkg")]
    assert layers == [name for name, _ in pyogrio.list_layers(tmp_path / "par" / "portfolio.gpkg")]
    assert "projects" in layers
    for name in layers:
        a = pyogrio.read_dataframe(tmp_path / "seq" / "portfolio.gpkg", layer=name)
        b = pyogrio.read_dataframe(tmp_path / "par" / "portfolio.gpkg", layer=name)
        if "geometry" in a:
            assert a.geometry.to_wkb().tolist() == b.geometry.to_wkb().tolist(), name
            a, b = a.drop(columns="geometry"), b.drop(columns="geometry")
        a, b = (x.drop(columns=[c for c in x.columns if c in ("update_time", "last_change")]) for x in (a, b))
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b), obj=name)
    seq_book, par_book = _workbook(tmp_path / "seq" / "portfolio.xlsx"), _workbook(tmp_path / "par" / "portfolio.xlsx")
    assert seq_book.keys() == par_book.keys()
    for sheet, rows in seq_book.items():   # every cell but the minute each was written ("生成时间")
        assert [r for r in rows if r[:1] != ("生成时间",)] == [r for r in par_book[sheet] if r[:1] != ("生成时间",)], sheet
    assert (tmp_path / "seq" / "map.html").read_bytes() == (tmp_path / "par" / "map.html").read_bytes()


def test_an_error_in_a_side_process_is_raised_here_and_stops_the_others(tmp_path, planned):
    out = tmp_path / "out"
    (out / "portfolio.xlsx").mkdir(parents=True)   # the workbook cannot replace a folder
    with pytest.raises(OSError) as exc:
        _write(out, planned, parallel=True)
    assert any("portfolio.xlsx" in note and "side process" in note for note in getattr(exc.value, "__notes__", []))
    assert multiprocessing.active_children() == []
    assert not [p for p in out.iterdir() if p.name.startswith(".portfolio")]   # no temporary file left


def test_cancel_stops_the_side_processes(tmp_path, planned):
    cfg, ws, result, projects = planned
    feedback = Feedback()
    feedback.cancel()
    with pytest.raises(Cancelled):
        write_deliverables(tmp_path, result, ws, cfg, projects, {"name": cfg.name}, feedback,
                           options={"sheets": False, "parallel": True})
    assert multiprocessing.active_children() == []
