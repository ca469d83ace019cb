"""The command line on real files: exit codes, messages, the manifest and the flag layers."""

import json
import sqlite3
import subprocess
import sys

import geopandas as gpd
import pyogrio
import pytest

from .conftest import SAMPLE
from .helpers import buildings_frame, write


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_sample_run_succeeds_and_reports_crs(sample_run):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    assert "%]" in proc.stderr  # progress on stderr
    m = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert m["crs"]["working"] == "EPSG:4546"
    assert "111" in m["crs"]["reason"]
    assert m["inputs"]["parcels"]["crs_note"].startswith("guessed") and "EPSG:4525" in m["inputs"]["parcels"]["crs_note"]
    assert "GCJ02" in m["inputs"]["facilities"]["crs_note"]


def test_manifest_recognises_every_field_of_every_sample_layer(sample_run):
    _, out = sample_run
    m = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert set(m["inputs"]) == {"parcels", "buildings", "facilities", "roads", "boundary", "heritage"}
    for role, report in m["inputs"].items():
        assert report["unmapped_fields"] == [], (role, report["unmapped_fields"])
        assert report["field_mapping"], role
        assert len(report["sha256"]) == 64
    assert m["inputs"]["parcels"]["encoding"] == "GB18030" and "no .cpg" in m["inputs"]["parcels"]["encoding_note"]
    assert m["inputs"]["facilities"]["encoding"] == "GB18030"
    assert m["inputs"]["buildings"]["geometry_repaired"] == 1
    assert m["inputs"]["buildings"]["field_mapping"]["year_built"] == "JCND"
    assert m["rasters"]["dem"]["crs"] == "EPSG:4490"
    assert m["timings_s"]["loading"] > 0


def test_flag_layers_written_with_contract_columns(sample_run):
    _, out = sample_run
    gpkg = out / "portfolio.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    for name in ("flag_idle_land", "flag_idle_building", "flag_old_housing", "flag_dead_end", "road_gap",
                 "service_gap", "indicators"):
        assert name in layers
    m = json.loads((out / "run.json").read_text(encoding="utf-8"))
    counts = m["analyses"]["counts_by_code"]
    for code in ("IDLE_NOT_STARTED_2Y", "IDLE_NOT_STARTED_1Y", "IDLE_STALLED", "IDLE_SUSPECTED",
                 "APPROVED_NOT_SUPPLIED", "UNDERUSED", "IDLE_BUILDING", "OLD_HOUSING", "UNSAFE_C", "UNSAFE_D",
                 "ELEVATOR_RETROFIT", "PRECAST_SLAB", "DEAD_END", "ROAD_GAP", "PLANNED_UNBUILT", "SERVICE_GAP"):
        assert counts.get(code, 0) > 0, code
    assert counts.get("WATERLOGGING", 0) > 0  # the sample DEM's planted hollows
    total, codes = 0, set()
    for name in ("flag_idle_land", "flag_idle_building", "flag_old_housing", "flag_dead_end", "road_gap", "service_gap",
                 "flag_waterlogging"):
        df = pyogrio.read_dataframe(gpkg, layer=name)
        assert {"source_layer", "source_id", "code", "severity", "reason", "reason_en"} <= set(df.columns)
        assert df["reason"].str.len().min() > 5
        assert df.crs.to_epsg() == 4546
        total += len(df)
        codes |= set(df["code"])
    assert total == sum(counts[c] for c in codes)  # other analyses' layers (issue 15 ...) are counted apart
    gap = pyogrio.read_dataframe(gpkg, layer="road_gap")
    assert {"length_m", "detour_ratio", "crosses", "from_source_id", "to_source_id"} <= set(gap.columns)
    with sqlite3.connect(gpkg) as con:
        assert con.execute("select count(*) from gpkg_contents where table_name='indicators' "
                           "and data_type='attributes'").fetchone()[0] == 1


def test_layers_command_lists_layers_fields_and_mapping():
    proc = cli("layers", SAMPLE / "city.gpkg")
    assert proc.returncode == 0, proc.stderr
    assert "buildings" in proc.stdout and "districts" in proc.stdout
    assert "JCND" in proc.stdout and "year_built" in proc.stdout
    proc = cli("layers", SAMPLE / "parcels" / "地块.shp")
    assert "土地状态" in proc.stdout and "-> status" in proc.stdout


def test_analyses_command_lists_parameters():
    proc = cli("analyses")
    assert proc.returncode == 0 and "old_housing.cutoff_year = 2000" in proc.stdout


@pytest.mark.parametrize("args,words", [
    (["run", "--buildings", "nope.gpkg", "--out", "o"], ["nope.gpkg", "does not exist"]),
    (["run", "--out", "o"], ["no input layers"]),
    (["run", str(SAMPLE / "sample_project.toml"), "--set", "old_housing.colour=1", "--out", "o"], ["no parameter"]),
    (["run", str(SAMPLE / "sample_project.toml"), "--set", "old_housing.cutoff_year=soon", "--out", "o"], ["cutoff_year"]),
    (["run", str(SAMPLE / "sample_project.toml"), "--map", "buildings.year_built=nope", "--out", "o"], ["nope"]),
    (["run", str(SAMPLE / "sample_project.toml"), "--as-of", "yesterday", "--out", "o"], ["YYYY-MM-DD"]),
    (["run", str(SAMPLE / "sample_project.toml"), "--crs", "EPSG:4490", "--out", "o"], ["degrees"]),
])
def test_bad_input_exits_2_with_a_clear_message(tmp_path, args, words):
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in proc.stderr


def test_corrupt_project_file(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text("[project\nname = ", encoding="utf-8")
    proc = cli("run", bad, "--out", tmp_path / "o")
    assert proc.returncode == 2 and "p.toml" in proc.stderr and "TOML" in proc.stderr


def test_one_bad_layer_does_not_stop_the_rest(tmp_path):
    good = write(buildings_frame(3, JZYT=["住宅"] * 3, JCND=["1990"] * 3), tmp_path / "b.gpkg", layer="buildings")
    bad = tmp_path / "roads.gpkg"
    bad.write_bytes(b"garbage")
    proc = cli("run", "--buildings", good, "--roads", bad, "--out", tmp_path / "o")
    assert proc.returncode == 2 and "roads.gpkg" in proc.stderr
    m = json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))
    assert m["analyses"]["counts_by_code"]["OLD_HOUSING"] == 3
    assert any("roads.gpkg" in e for e in m["errors"])
    assert "roads" in m["analyses"]["skipped"]  # said exactly what was missing


def test_points_as_parcels_is_exit_2(tmp_path):
    pts = gpd.GeoDataFrame({"DKBH": ["1"]}, geometry=gpd.points_from_xy([400000], [4500000]), crs=4546)
    path = write(pts, tmp_path / "p.gpkg", layer="parcels")
    proc = cli("run", "--land", path, "--out", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 2 and "Point" in proc.stderr and "p.gpkg" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
