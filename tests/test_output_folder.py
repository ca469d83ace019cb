"""The output folder (run-contract.md): checked before any work, written as one set, stale files
of earlier runs removed, run.json listing every deliverable; a failed or killed run leaves the
folder as it was. Plus what the deliverables must survive: a "$...$" project name (map sheets),
Excel's cell limit, features outside the study area."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from planner.errors import InputError
from planner.export.outdir import check_output_dir, prepare_output

from .helpers import buildings_frame, write


def cli(*args, cwd=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=180, **kwargs)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its sha256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.renewal-planner-"))


@pytest.fixture
def project(tmp_path) -> Path:
    """Five old residential buildings, one of them outside the study area; a project name that
    matplotlib would read as mathtext."""
    b = buildings_frame(5, JZYT=["住宅"] * 5, JCND=["1990"] * 5, CS=["6"] * 5)
    b.loc[4, "geometry"] = shapely.box(401000, 4500000, 401020, 4500020)
    write(b, tmp_path / "b.gpkg", layer="buildings")
    area = gpd.GeoDataFrame({"name": ["区"]}, geometry=[shapely.box(399900, 4499900, 400400, 4500100)], crs=4546)
    write(area, tmp_path / "area.gpkg", layer="boundary")
    path = tmp_path / "p.toml"
    path.write_text('[project]\nname = "$\\\\frac{区$ 更新 $x_"\nas_of = "2026-06-30"\n'
                    '[inputs]\nbuildings = "b.gpkg"\nboundary = "area.gpkg"\n', encoding="utf-8")
    return path


def test_one_set_stale_files_removed_killed_and_failed_runs_leave_it_as_it_was(tmp_path, project):
    out = tmp_path / "out"
    # 1. a full run: map sheets drawn although the name is "$\frac{区$ ..."; the building outside
    #    the study area is left out, with a warning
    first = cli("run", project, "--out", out)
    assert first.returncode == 0, first.stderr
    assert "1 of 5 features of the buildings layer lie outside the study area" in first.stderr
    m = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert m["inputs"]["buildings"]["outside_study_area"] == 1 and m["inputs"]["buildings"]["features_loaded"] == 4
    assert (out / "maps" / "overview.png").stat().st_size > 10_000
    assert {d["path"] for d in m["deliverables"]} == set(snapshot(out)) - {"run.json"}
    for d in m["deliverables"]:
        f = out / d["path"]
        assert f.stat().st_size == d["bytes"] and hashlib.sha256(f.read_bytes()).hexdigest() == d["sha256"]
    # 2. into the same folder with --sheets none: the old sheets go, files that are not the
    #    tool's stay
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "maps" / "sketch.jpg").write_bytes(b"mine")
    second = cli("run", project, "--sheets", "none", "--out", out)
    assert second.returncode == 0, second.stderr
    m = json.loads((out / "run.json").read_text(encoding="utf-8"))
    files = snapshot(out)
    assert set(files) == {"portfolio.gpkg", "portfolio.xlsx", "map.html", "run.json", "notes.txt", "maps/sketch.jpg"}
    assert {d["path"] for d in m["deliverables"]} == {"portfolio.gpkg", "portfolio.xlsx", "map.html"}
    assert leftovers(out) == []
    # 3. a run killed while it writes: the folder is the second run's, untouched
    proc = subprocess.Popen([sys.executable, "-m", "planner", "run", project, "--out", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    staged = []
    while time.monotonic() < deadline and proc.poll() is None:
        staged = [p for p in out.parent.glob(f".{out.name}.renewal-planner-staging-*/portfolio.gpkg")]
        if staged:
            break
        time.sleep(0.005)
    assert staged, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(out) == files
    assert leftovers(out)  # its staging folder, beside the output folder
    # 4. a run that cannot write its deliverables (file-size limit, as on a full disk): exit 2,
    #    the folder as it was, nothing staged left
    def small_files():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    full = cli("run", project, "--sheets", "none", "--out", out, preexec_fn=small_files)
    assert full.returncode == 2, full.stderr
    assert "could not be written" in full.stderr and "What to do" in full.stderr and "Traceback" not in full.stderr
    assert snapshot(out) == files
    assert leftovers(out) == []  # the killed run's staging folder is cleared too


def test_out_that_is_a_file_or_unwritable_is_exit_2_before_any_work(tmp_path, project):
    a_file = tmp_path / "report.txt"
    a_file.write_text("x", encoding="utf-8")
    t0 = time.perf_counter()
    proc = cli("run", project, "--out", a_file)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert str(a_file) in proc.stderr and "is a file" in proc.stderr and "What to do" in proc.stderr
    assert "Reading layers" not in proc.stderr  # checked before any work
    assert time.perf_counter() - t0 < 30
    assert a_file.read_text(encoding="utf-8") == "x"
    unwritable = Path("/sys/renewal-planner-out") if os.geteuid() == 0 else tmp_path / "locked" / "out"
    if os.geteuid() != 0:
        (tmp_path / "locked").mkdir()
        (tmp_path / "locked").chmod(0o500)
    for out, words in ((a_file / "sub", "is a file"), (unwritable, "cannot be written")):
        with pytest.raises(InputError, match=words) as exc:
            prepare_output(out)
        assert str(out) in exc.value.message() and "What to do" in exc.value.message()


def test_an_input_in_the_output_folder_under_a_deliverables_name_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = write(buildings_frame(2), out / "portfolio.gpkg", layer="buildings")
    with pytest.raises(InputError, match="deliverable's name"):
        check_output_dir(out, inputs=[victim])


def test_prepare_and_commit_api(tmp_path):
    out = tmp_path / "out"
    outside = tmp_path / "victim.txt"
    outside.write_text("keep", encoding="utf-8")
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"deliverables": [{"path": "../victim.txt"}, {"path": "old.csv"},
                                                               {"path": "/etc/hostname"}]}), encoding="utf-8")
    (out / "old.csv").write_text("earlier run", encoding="utf-8")
    with prepare_output(out) as folder:
        assert folder.staging.parent == tmp_path and not folder.staging.is_relative_to(out)
        (folder.staging / "portfolio.xlsx").write_bytes(b"new")
        manifest = folder.commit({"run": {"name": "x"}})
    assert manifest["deliverables"] == [{"path": "portfolio.xlsx", "bytes": 3,
                                         "sha256": hashlib.sha256(b"new").hexdigest()}]
    assert sorted(p.name for p in out.iterdir()) == ["portfolio.xlsx", "run.json"]  # old.csv was listed: gone
    assert outside.read_text(encoding="utf-8") == "keep"  # never outside the folder
    with pytest.raises(RuntimeError), prepare_output(out) as folder:
        (folder.staging / "map.html").write_text("half", encoding="utf-8")
        raise RuntimeError("a bug while writing")
    assert not folder.staging.exists() and sorted(p.name for p in out.iterdir()) == ["portfolio.xlsx", "run.json"]


def test_cells_over_excels_limit_are_cut_with_a_warning(tmp_path):
    import openpyxl

    from planner.export.xlsx import EXCEL_MAX_CELL, write_workbook

    flags = gpd.GeoDataFrame({"flag_id": ["f1", "f2"], "source_id": ["B1", "B2"], "code": ["OLD_HOUSING"] * 2,
                              "severity": [2, 2], "reason": ["短", "长" * 40_000], "reason_en": ["a", "b"],
                              "source_layer": ["buildings"] * 2},
                             geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=4546)
    warnings: list[str] = []
    write_workbook(tmp_path / "p.xlsx", SimpleNamespace(flags={"flag_old_housing": flags}, tables={}),
                   pd.DataFrame(), {"name": "x"}, warnings=warnings)
    assert len(warnings) == 1 and "32,767" in warnings[0] and "portfolio.gpkg" in warnings[0]
    book = openpyxl.load_workbook(tmp_path / "p.xlsx", read_only=True)
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
             if isinstance(c, str) and c.startswith("长长")]
    assert len(cells) == 1 and len(cells[0]) == EXCEL_MAX_CELL and cells[0].endswith("（已截断）")  # the Chinese workbook says it in Chinese
