"""Worker threads and the window: no crash path.

The GUI tests died twice with a segmentation fault in ``QMetaObject::activate``: the map's drawing
thread emitted a signal of its canvas while the GUI thread deleted that canvas (the previous test's
window, removed by its deferred delete). PyQt lets go of the interpreter inside ``emit``, so the
GUI thread can delete the object while Qt still reads it. Job threads did the same with their
worker, a child of the window. Now threads hand everything over through a relay that is never
deleted (``planner.gui.threads``).

The stress runs go in a child process: a crash there is a failed test with its stack, not the end
of the test session. On the code before the relay each crashed within about a second (3,000
iterations here: 4 of 4 runs crashed within the first 200)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("PyQt6")
from PyQt6 import QtCore, QtWidgets, sip  # noqa: E402

from .conftest import ROOT, SAMPLE  # noqa: E402

PRELUDE = """
import faulthandler, os, random, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
faulthandler.enable(all_threads=True)
from PyQt6 import QtCore, QtWidgets, sip
from planner.gui.app import make_app
app = make_app()
random.seed(1)
deadline = time.monotonic() + SECONDS

def busy(seconds):  # Python work on the GUI thread: it wants the interpreter back at once
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
"""

CANVAS_DELETED_WHILE_RENDERING = """
from planner.gui.canvas import MapCanvas
from planner.model import LayerList
i = 0
while time.monotonic() < deadline:
    canvas = MapCanvas(LayerList())
    canvas.resize(8, 8)
    for _ in range(10):  # ten drawing threads, each hands an image over when done
        canvas._start_render()
    busy(random.uniform(0, 0.003))
    sip.delete(canvas)  # deleted on the GUI thread while drawing threads hand over
    i += 1
    if i % 200 == 0:
        app.processEvents()
time.sleep(0.3)
app.processEvents()
print("iterations", i)
"""

WORKER_OWNER_DELETED = """
from planner.gui.jobs import Worker
def job(feedback):
    for k in range(200):
        feedback.set_progress(k / 2)
    return 1
i = 0
while time.monotonic() < deadline:
    owner = QtWidgets.QWidget()
    workers = [Worker(job, owner) for _ in range(3)]
    for w in workers:
        w.progress.connect(lambda *a: None)
        w.start()
    busy(random.uniform(0, 0.003))
    sip.delete(owner)  # the window that owns the workers closes while they report progress
    del workers
    i += 1
    if i % 200 == 0:
        app.processEvents()
time.sleep(0.3)
app.processEvents()
print("iterations", i)
"""

WINDOWS_CLOSED_WHILE_RENDERING = """
from pathlib import Path
from planner.gui.main_window import MainWindow
tmp = Path(sys.argv[1])
os.environ["RENEWAL_PLANNER_DATA"] = str(tmp / "user_data")
i = 0
while time.monotonic() < deadline:
    settings = QtCore.QSettings(str(tmp / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, ask=False)
    w.resize(900, 700)
    w.show()
    assert w.open_path(Path(sys.argv[2]))  # a worker reads the inputs with pyogrio meanwhile
    for k in range(6):  # drawings in flight (the DEM, labels, every layer)
        w.canvas.zoom_by(1.3 if k % 2 else 1 / 1.3)
        w.canvas._start_render()
    busy(random.uniform(0, 0.2))
    w.close()
    w.deleteLater()  # as pytest-qt does: deleted in the next window's event loop
    del w
    i += 1
print("iterations", i)
"""


def _stress(script: str, seconds: float, *args: str) -> str:
    code = PRELUDE.replace("SECONDS", repr(seconds)) + script
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(code), *args],
                          capture_output=True, text=True, timeout=seconds + 120, env=env, cwd=str(ROOT))
    assert proc.returncode == 0, f"the stress run died (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
    assert "iterations" in proc.stdout
    return proc.stdout


def test_a_canvas_deleted_while_its_drawing_threads_hand_over_does_not_crash():
    out = _stress(CANVAS_DELETED_WHILE_RENDERING, 4.0)
    assert int(out.split()[-1]) > 100


def test_a_worker_deleted_with_its_window_while_it_reports_does_not_crash():
    out = _stress(WORKER_OWNER_DELETED, 4.0)
    assert int(out.split()[-1]) > 100


@pytest.mark.slow
def test_windows_closed_while_drawing_and_reading_do_not_crash(tmp_path):
    """The test suite's sequence for minutes: a window opens the sample project (pyogrio reads on
    a worker), draws, and is closed and deleted while drawing; the next one opens meanwhile."""
    out = _stress(WINDOWS_CLOSED_WHILE_RENDERING, 240.0, str(tmp_path), str(SAMPLE / "sample_project.toml"))
    assert int(out.split()[-1]) > 10


# in this process: what the hand-over must still do -------------------------------------------

@pytest.fixture
def app(qapp):
    from planner.gui.app import make_app

    return make_app()


def _spin(until, timeout=20.0):
    end = time.monotonic() + timeout
    while not until() and time.monotonic() < end:
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)
    return until()


def test_the_canvas_gets_its_image_and_a_deleted_canvas_is_skipped(app):
    import geopandas as gpd
    import shapely

    from planner.gui.canvas import MapCanvas
    from planner.model import LayerList, MapLayer

    layers = LayerList()
    layers.append(MapLayer("boxes", gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10)], crs=4546)))
    canvas = MapCanvas(layers)
    canvas.resize(240, 180)
    canvas.set_extent((-5, -5, 15, 15))
    assert canvas.wait_rendered(20)
    image = canvas._image
    assert image is not None and image.width() == 240 and image.height() == 180
    assert image.pixelColor(120, 90) != image.pixelColor(2, 2)  # the box is drawn

    # a canvas deleted before its image arrives: the image is dropped, nothing raises
    other = MapCanvas(layers)
    other.resize(60, 40)
    other._start_render()
    sip.delete(other)
    errors = []
    sys_hook, sys.excepthook = sys.excepthook, lambda *a: errors.append(a)
    try:
        time.sleep(0.3)
        _spin(lambda: False, 0.3)
    finally:
        sys.excepthook = sys_hook
    assert errors == []


def test_run_blocking_returns_results_errors_and_cancellation(app):
    from planner.errors import Cancelled, InputError
    from planner.gui.jobs import Worker, run_blocking

    parent = QtWidgets.QWidget()
    seen = []
    assert run_blocking(lambda fb: (fb.set_progress(50), 42)[1], parent, lambda s, p: seen.append(p)) == 42
    assert seen == [50.0]
    with pytest.raises(InputError):
        run_blocking(lambda fb: (_ for _ in ()).throw(InputError("bad input")), parent)
    with pytest.raises(Cancelled):
        run_blocking(lambda fb: (_ for _ in ()).throw(Cancelled()), parent)
    # the workers do not pile up on the window, each holding its result
    assert parent.findChildren(Worker) == []


def test_run_blocking_survives_its_window_being_deleted_meanwhile(app):
    """The window that started a blocking job is deleted while the job runs: the call still
    returns the job's result (the worker was the window's child and died with it: the local
    loop waited for ever)."""
    from planner.gui.jobs import run_blocking

    parent = QtWidgets.QWidget()

    def job(fb):
        time.sleep(0.2)
        return "done"

    QtCore.QTimer.singleShot(50, lambda: sip.delete(parent))
    assert run_blocking(job, parent) == "done"
    assert sip.isdeleted(parent)


def test_a_worker_emits_on_the_gui_thread(app):
    import threading

    from planner.gui.jobs import Worker

    threads = []
    worker = Worker(lambda fb: (fb.set_progress(10), "r")[1])
    worker.progress.connect(lambda s, p: threads.append(threading.current_thread()))
    worker.finished.connect(lambda r: threads.append(threading.current_thread()))
    worker.start()
    assert _spin(lambda: len(threads) == 2)
    assert all(t is threading.main_thread() for t in threads)


def test_a_finished_worker_kept_by_its_window_lets_go_of_its_job(app):
    """The window keeps its last workers (analyses, export); they must not keep what their job
    captured (a run's inputs) once it has run."""
    import gc
    import weakref

    from planner.gui.jobs import Worker

    class Inputs:
        pass

    inputs = Inputs()
    gone = weakref.ref(inputs)
    window = QtWidgets.QWidget()
    worker = Worker(lambda fb, data=inputs: len(str(data)), window)
    del inputs
    done = []
    worker.finished.connect(done.append)
    worker.start()
    assert _spin(lambda: bool(done))
    worker.thread.join(5)
    gc.collect()
    assert gone() is None and not sip.isdeleted(worker)


def test_quitting_stops_the_drawing_threads(app):
    """When the application quits (and at exit) no drawing thread is left painting while Qt
    tears down what it paints with: running renders are cancelled and waited for."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from planner.gui import canvas as canvas_module
    from planner.gui.canvas import MapCanvas
    from planner.model import LayerList, MapLayer

    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 5000, 60_000), rng.uniform(0, 5000, 60_000)
    layers = LayerList()
    layers.append(MapLayer("many", gpd.GeoDataFrame(geometry=shapely.box(x, y, x + 4, y + 3), crs=4546)))
    canvas = MapCanvas(layers)
    canvas.resize(900, 700)
    canvas.set_extent((0, 0, 5000, 5000))
    canvas._timer.stop()  # only this drawing
    canvas._start_render()
    assert canvas_module._RUNNING
    canvas_module.stop_renders(30)
    assert not canvas_module._RUNNING
    QtWidgets.QApplication.processEvents()
    assert canvas._image is None  # the cancelled drawing was not handed over
