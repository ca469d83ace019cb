"""Shared fixtures. Qt runs headless: the platform is set before anything imports Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
TEST_DATA = ROOT / "tests" / "data"


def _decompressed_osm() -> Path:
    """The Hefei OSM extract (tests/data/hefei_baohe.osm.xz, © OpenStreetMap contributors,
    ODbL 1.0) as plain OSM XML in a private temporary folder removed at exit: GDAL's OSM driver
    and OSMnx read it there, and the tests never read outside the repository."""
    import atexit
    import lzma
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="renewal-planner-tests-"))
    atexit.register(shutil.rmtree, folder, True)
    target = folder / "hefei_baohe.osm"
    with lzma.open(TEST_DATA / "hefei_baohe.osm.xz") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


OSM_FILE = _decompressed_osm()


@pytest.fixture(scope="session")
def sample_project() -> Path:
    return SAMPLE / "sample_project.toml"


@pytest.fixture(scope="session")
def catalogue():
    from planner.catalogue import default_catalogue

    return default_catalogue()


@pytest.fixture(scope="session")
def sample_workspace(sample_project):
    from planner.feedback import Feedback
    from planner.pipeline import load_inputs
    from planner.project import load_project

    cfg = load_project(sample_project)
    return cfg, load_inputs(cfg, Feedback())


@pytest.fixture(scope="session", autouse=True)
def _user_data_folder(tmp_path_factory):
    """The suite's user folders (logs, the GeoPackage base-layer cache, settings) in a temporary
    folder, never the user's own; the command-line runs the tests start inherit it."""
    old = os.environ.get("RENEWAL_PLANNER_DATA")
    os.environ["RENEWAL_PLANNER_DATA"] = str(tmp_path_factory.mktemp("user_data"))
    yield
    if old is None:
        os.environ.pop("RENEWAL_PLANNER_DATA", None)
    else:
        os.environ["RENEWAL_PLANNER_DATA"] = old


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, sample_project):
    """One command-line run of the sample for every test that reads its deliverables (every
    sheet, the plan draft, and the project file saved beside the output folder); the sample
    inputs' bytes are compared before and after (a run never writes to its inputs)."""
    import hashlib
    import subprocess
    import sys

    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(SAMPLE.rglob("*")) if p.is_file()}

    folder = tmp_path_factory.mktemp("sample_run")
    out = folder / "run"
    before = digest()
    proc = subprocess.run([sys.executable, "-m", "planner", "run", str(sample_project), "--out", str(out), "--report",
                           "--save-project", str(folder / "p.gpkg")], capture_output=True, text=True)
    assert digest() == before, "the run wrote to its inputs"
    return proc, out


@pytest.fixture(scope="session")
def saved_sample(sample_run):
    """The sample run's folder for the tests of the session, project file and report: FOLDER/run
    holds the deliverables (with report.docx), FOLDER/p.gpkg the saved project. Tests that change
    the project work on a copy."""
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    return out.parent


@pytest.fixture(scope="session")
def sample_analysed(sample_workspace):
    """(cfg, ws, result) of the sample city, analysed once for the whole suite (the analyses
    build new frames; no test writes into them)."""
    from planner.feedback import Feedback
    from planner.pipeline import analyse

    cfg, ws = sample_workspace
    return cfg, ws, analyse(ws, cfg, Feedback())


@pytest.fixture(scope="session")
def planned(sample_analysed):
    """(cfg, ws, projects) of the sample city, analysed and planned once for the whole suite
    (it was once per test module: four modules, four runs of the analyses). Tests that change
    the projects work on a copy."""
    from planner.pipeline import plan

    cfg, ws, result = sample_analysed
    projects, _, _ = plan(ws, result, cfg)
    return cfg, ws, projects
