"""Shared fixtures. Qt runs headless: the platform is set before anything imports Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
SHARED_DATA = ROOT.parent / "shared" / "data"
OSM_FILE = SHARED_DATA / "hefei_baohe.osm"


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


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, sample_project):
    """One command-line run of the sample project for every test that reads its deliverables;
    the sample inputs' bytes are compared before and after (a run never writes to its inputs)."""
    import hashlib
    import subprocess
    import sys

    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(SAMPLE.rglob("*")) if p.is_file()}

    out = tmp_path_factory.mktemp("sample_run")
    before = digest()
    proc = subprocess.run([sys.executable, "-m", "planner", "run", str(sample_project), "--out", str(out)],
                          capture_output=True, text=True)
    assert digest() == before, "the run wrote to its inputs"
    return proc, out
