"""Project files never lose work: failures keep the app and the previous file, damaged or
malformed files are refused clearly, content added in QGIS is kept, autosaves are small."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from planner.errors import InputError
from planner.model import MapLayer
from planner.projectfile import ProjectState, load_project_file, save_project

ROOT = Path(__file__).resolve().parent.parent


def small_state(n: int = 50, extra_columns: dict | None = None) -> ProjectState:
    xs = np.arange(n, dtype=float) * 10 + 400000
    frame = gpd.GeoDataFrame({"building_id": [f"B{i}" for i in range(n)], "floors": np.arange(n) % 7,
                              **(extra_columns or {})},
                             geometry=shapely.box(xs, 4500000, xs + 5, 4500005), crs=4546)
    state = ProjectState(crs="EPSG:4546", name="测试项目")
    state.layers.append(MapLayer("建筑", frame, role="buildings", source="b.gpkg"))
    return state


def litter(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".saving." in p.name]


def test_columns_gpkg_cannot_hold_and_the_same_file_twice(tmp_path):
    n = 5
    state = small_state(n, {"FID": ["a", "b", "c", "d", "e"], "geom": list("vwxyz"), "Name": list("ABCDE"),
                            "name": list("abcde")})
    state.layers.append(MapLayer("建筑", state.layers[0].frame, role="buildings", source="b.gpkg"))
    path = tmp_path / "p.gpkg"
    save_project(state, path)
    back = load_project_file(path)
    assert [lyr.name for lyr in back.layers] == ["建筑", "建筑"]
    frame = back.layers[0].frame
    for col in ("FID", "geom", "Name", "name"):
        assert list(frame[col]) == list(state.layers[0].frame[col]), col


def test_damaged_file_is_refused_and_points_to_the_autosave(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(small_state(3000), path)
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 3: page * 8] = bytes(page * 5)  # zeroed pages in the middle
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as err:
        load_project_file(path)
    assert "damaged" in err.value.message() and "autosave" in err.value.message()


@pytest.mark.parametrize("meta", [
    "[]", '"text"', '{"format_version": 2}', '{"format_version": "2", "layers": []}',
    '{"format_version": 2, "layers": [5]}', '{"format_version": 2, "layers": [{"name": "x"}]}',
    '{"format_version": 2, "layers": [], "view": [1, 2]}', '{"format_version": 2, "layers": [], "decisions": {"a": 1}}',
    '{"format_version": 2, "layers": [], "edits": [{"id": 1}]}', '{"format_version": 2, "layers": [], "weights": {"a": "x"}}',
    "{not json",
])
def test_malformed_metadata_gets_a_clear_message(tmp_path, meta):
    path = tmp_path / "p.gpkg"
    save_project(small_state(), path)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE rp_project SET value=?", (meta,))
    with pytest.raises(InputError) as err:
        load_project_file(path)
    assert "p.gpkg" in err.value.message()


def test_content_added_in_qgis_is_kept_and_permissions_too(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(small_state(), path)
    os.chmod(path, 0o640)
    with sqlite3.connect(path) as con:  # what QGIS does: a column, a style table, a layer
        con.execute("ALTER TABLE layer_000 ADD COLUMN remark TEXT DEFAULT '已核实'")
        con.execute("CREATE TABLE layer_styles (id INTEGER PRIMARY KEY, f_table_name TEXT, styleQML TEXT)")
        con.execute("INSERT INTO layer_styles VALUES (1, 'layer_000', '<qgis/>')")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES "
                    "('layer_styles', 'attributes', 'layer_styles')")
    pts = gpd.GeoDataFrame({"note": ["现场照片"]}, geometry=[shapely.Point(400000, 4500000)], crs=4546)
    pyogrio.write_dataframe(pts, path, layer="survey_points", driver="GPKG")
    state = load_project_file(path)
    assert "remark" in state.layers[0].frame.columns
    assert set(state.foreign) == {"layer_styles", "survey_points"}
    save_project(state, path)
    assert (path.stat().st_mode & 0o777) == 0o640
    again = load_project_file(path)
    assert again.layers[0].frame["remark"].iloc[0] == "已核实"
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT styleQML FROM layer_styles").fetchone()[0] == "<qgis/>"
    assert len(pyogrio.read_dataframe(path, layer="survey_points")) == 1


SAVE_SCRIPT = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, {root!r})
    from planner.errorlog import survive_file_size_limits
    from planner.errors import InputError
    from planner.projectfile import load_project_file, save_project
    from tests.test_projectfile import small_state
    survive_file_size_limits()
    limit = int(sys.argv[2])
    if limit:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    state = small_state(int(sys.argv[3]))
    try:
        save_project(state, sys.argv[1])
    except InputError as exc:
        print("MESSAGE", exc.message())
        sys.exit(0)
    print("SAVED")
""")


def run_save(path: Path, limit: int, n: int, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "save.py"
    script.write_text(SAVE_SCRIPT.format(root=str(ROOT)), encoding="utf-8")
    return subprocess.run([sys.executable, str(script), str(path), str(limit), str(n)], capture_output=True, text=True,
                          cwd=ROOT)


def test_save_past_a_file_size_limit_keeps_the_process_and_the_old_file(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(small_state(10), path)
    before = path.read_bytes()
    proc = run_save(path, 400_000, 20_000, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "MESSAGE" in proc.stdout and "previous file is unchanged" in proc.stdout
    assert path.read_bytes() == before
    assert len(load_project_file(path).layers[0].frame) == 10
    assert litter(tmp_path) == []


def test_save_on_a_full_filesystem(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        path = mnt / "p.gpkg"
        save_project(small_state(10), path)
        before = path.read_bytes()
        proc = run_save(path, 0, 20_000, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "MESSAGE" in proc.stdout and "not enough free space" in proc.stdout
        assert path.read_bytes() == before
        assert litter(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_kill_during_save_leaves_the_old_file_and_no_litter(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(small_state(10), path)
    before = path.read_bytes()
    script = tmp_path / "save.py"
    script.write_text(SAVE_SCRIPT.format(root=str(ROOT)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(path), "0", "300000"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not litter(tmp_path) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert litter(tmp_path), "the save never started writing its temp file"
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert path.read_bytes() == before
    state = load_project_file(path)  # opening removes what the killed save left
    assert len(state.layers[0].frame) == 10
    assert litter(tmp_path) == []


def test_autosave_after_one_decision_is_small(tmp_path, saved_sample):
    from planner.session import Session

    folder = tmp_path
    shutil.copy(saved_sample / "p.gpkg", folder / "p.gpkg")
    s = Session(recovery_dir=tmp_path / "rec")
    s.open(folder / "p.gpkg")
    full = (folder / "p.gpkg").stat().st_size
    fid = str(s.result.flags["flag_idle_land"]["flag_id"].iloc[0])
    s.decide(fid, "dismissed", "测试")
    auto, size = s.autosave()
    assert size < 0.25 * full, (size, full)
    # the crash: recover from the autosave, the decision is there and every layer is whole
    back = Session(recovery_dir=tmp_path / "rec")
    back.open(folder / "p.gpkg", source=auto)
    assert back.decisions[fid]["state"] == "dismissed"
    assert [len(lyr.frame) for lyr in back.layers] == [len(lyr.frame) for lyr in s.layers]
    assert len(back.projects) == len(s.projects)
    meta = json.loads(sqlite3.connect(auto).execute("SELECT value FROM rp_project").fetchone()[0])
    assert meta["base"] and all(e.get("from_base") for e in meta["layers"] if e["role"] != "projects")


def test_a_layer_read_in_many_batches_equals_one_read(tmp_path, monkeypatch):
    """A layer read back in batches (as a large project is, so the window keeps turning) has the
    same columns, types, values, missing values and geometries as the whole layer read at once."""
    import pandas as pd

    import planner.projectfile as pf

    rng = np.random.default_rng(5)
    n = 103
    names = np.array(["住宅", "商业", None, "办公"], dtype=object)[rng.integers(0, 4, n)]
    frame = gpd.GeoDataFrame(
        {"name": names, "floors": rng.integers(1, 30, n), "area": rng.uniform(10, 900, n).round(2),
         "old": rng.random(n) < 0.3, "year": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1950, 2020, n))},
        geometry=[None if i % 17 == 0 else shapely.box(i, 0, i + 1 + (i % 3), 2) for i in range(n)], crs=4546)
    path = tmp_path / "layer.gpkg"
    pyogrio.write_dataframe(frame, path, layer="t")
    whole = pyogrio.read_dataframe(path, layer="t", use_arrow=True)
    monkeypatch.setattr(pf, "READ_BATCH", 10)
    batched = pf._read_frame(path, "t")
    assert isinstance(batched, gpd.GeoDataFrame) and batched.crs == whole.crs and len(batched) == n
    assert list(batched.columns) == list(whole.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(batched.drop(columns="geometry")),
                                  pd.DataFrame(whole.drop(columns="geometry")))
    assert batched["name"].isna().sum() == (names == None).sum() > 0  # noqa: E711
    geoms, expected = batched.geometry.to_numpy(), whole.geometry.to_numpy()
    missing = pd.isna(expected)
    assert (pd.isna(geoms) == missing).all() and shapely.equals(geoms[~missing], expected[~missing]).all()
    assert pd.isna(geoms).sum() == len(range(0, n, 17))


def test_stored_products_come_back_whole_and_damaged_ones_are_refused(tmp_path):
    """Analysis products are read back a megabyte at a time (several megabytes here, equal to
    what was saved); a product SQLite holds as text or NULL gives a clear message, not a
    traceback."""
    from planner.projectfile import BLOB_CHUNK, BLOB_TABLE, _read_products

    state = small_state()
    big = np.arange(3 * BLOB_CHUNK // 8 + 17, dtype=np.float64)  # 3 MB and a bit: four reads
    state.products = {"shared/values": big, "shared/kinds": np.array(["甲", "乙", "丙"], dtype=object)}
    path = tmp_path / "p.gpkg"
    save_project(state, path)
    back = _read_products(path)
    assert np.array_equal(back["shared/values"], big)
    assert list(back["shared/kinds"]) == ["甲", "乙", "丙"]
    for bad in ("'text, not a product'", "NULL"):
        damaged = tmp_path / f"d{len(bad)}.gpkg"
        shutil.copy(path, damaged)
        with sqlite3.connect(damaged) as con:
            con.execute(f"UPDATE {BLOB_TABLE} SET data = {bad} WHERE name = 'shared/values'")
        with pytest.raises(InputError) as err:
            _read_products(damaged)
        assert "damaged" in err.value.message()
