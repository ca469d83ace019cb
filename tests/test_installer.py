"""The Linux bundle runs its self-test outside the source tree with a minimal environment
(no virtualenv on PATH, offscreen Qt). Slow: run by ``make test-installer`` after ``make installer``."""

import subprocess

import pytest

from .conftest import ROOT

BUNDLE = ROOT / "dist" / "renewal-planner" / "renewal-planner"


@pytest.mark.slow
def test_bundle_self_test_passes_outside_the_tree(tmp_path):
    assert BUNDLE.exists(), "build the bundle first: make installer"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    proc = subprocess.run([str(BUNDLE), "--self-test"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 passed, 0 failed" in proc.stdout


@pytest.mark.slow
def test_bundle_carries_no_test_suites_or_other_qt_bindings():
    internal = BUNDLE.parent / "_internal"
    names = {p.name for p in internal.iterdir()}
    assert not names & {"PySide6", "PyQt5", "tkinter", "osmnx", "pytest", "selenium"}
    assert not list(internal.glob("*/tests/test_*.py"))
    assert (internal / "layers" / "buildings.toml").exists()
    assert (internal / "resources" / "fonts" / "NotoSansSC-Subset.ttf").exists()
    size = sum(p.stat().st_size for p in BUNDLE.parent.rglob("*") if p.is_file())
    print(f"bundle size {size / 1e6:.0f} MB")
    assert size < 1.2e9
