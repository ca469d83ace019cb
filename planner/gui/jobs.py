"""Jobs on worker threads: progress, result, failure and cancellation come back as signals of
the job's :class:`Worker` emitted on the GUI thread, so the window keeps turning while the engine
works. The thread never touches the Worker (the window owns it and may delete it meanwhile): it
hands each event over through :mod:`planner.gui.threads`."""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterator

from PyQt6 import QtCore

from planner.feedback import Feedback
from planner.gui.threads import emit_in_gui, init_relay


class QtFeedback(Feedback):
    """Feedback whose progress goes to ``report(stage, percent)`` (called on the job's thread)."""

    def __init__(self, report: Callable[[str, float], None]):
        super().__init__()
        self._report = report

    def set_progress(self, percent: float) -> None:
        super().set_progress(percent)
        self._report(self.stage, float(percent))


_FULL = {"jobs": 0, "threshold": 10}
_FULL_LOCK = threading.Lock()


def pause_full_collections() -> None:
    """No full cycle collection until the matching :func:`resume_full_collections`."""
    import gc

    with _FULL_LOCK:
        if _FULL["jobs"] == 0:
            t0, t1, t2 = gc.get_threshold()
            _FULL["threshold"] = t2
            gc.set_threshold(t0, t1, 1_000_000_000)
        _FULL["jobs"] += 1


def resume_full_collections() -> None:
    """The objects made meanwhile join the frozen ones; full collections as before."""
    import gc

    with _FULL_LOCK:
        _FULL["jobs"] = max(_FULL["jobs"] - 1, 0)
        gc.freeze()
        if _FULL["jobs"] == 0:
            t0, t1, _ = gc.get_threshold()
            gc.set_threshold(t0, t1, _FULL["threshold"])


PACE = 0.01  # seconds between two turns of the pacer
_JOBS = {"running": 0}
_JOBS_LOCK = threading.Lock()


def foreground_busy() -> bool:
    """Whether a worker's job (an open, a save, a run) or other work the window waits on (see
    :func:`foreground`) is under way: background work (letting go of a replaced project) waits."""
    return _JOBS["running"] > 0


@contextlib.contextmanager
def foreground() -> Iterator[None]:
    """Work the window does that background work should not compete with (a project's panels
    being built after it opened)."""
    _job_count(+1)
    try:
        yield
    finally:
        _job_count(-1)


def _job_count(step: int) -> None:
    with _JOBS_LOCK:
        _JOBS["running"] += step


def _pace(job: threading.Thread) -> None:
    """While ``job`` runs, a thread of no work takes the interpreter every :data:`PACE` seconds
    and gives it back at once.

    CPython hands the interpreter to a waiting thread only when its holder keeps it a whole
    switch interval without letting go; a worker whose calls let go and take it back at once
    (numpy, shapely, Arrow, SQLite do, many times a millisecond) is never asked to, and the
    window waited for it 60-110 ms at a time while a million-building project opened. Each turn
    of the pacer takes the interpreter from the worker; when the pacer lets go, the window,
    waiting longer, may get its turn. (Reopening the 1 M project four times in a row: longest
    pauses 21-48 ms with it, 31-115 ms without; in ``bench files`` the runs with and without it
    overlap, so the evidence is weak; it costs nothing measurable.)"""

    def pace() -> None:
        while job.is_alive():
            time.sleep(PACE)

    threading.Thread(target=pace, daemon=True, name="planner-pacer").start()


class Worker(QtCore.QObject):
    """Runs a function on a thread; progress, result and failure come back as queued signals."""

    progress = QtCore.pyqtSignal(str, float)
    finished = QtCore.pyqtSignal(object)
    failed = QtCore.pyqtSignal(object)
    cancelled = QtCore.pyqtSignal()

    def __init__(self, fn, parent=None):
        super().__init__(parent)
        init_relay()
        self.fn = fn
        me = weakref.ref(self)
        self.feedback = QtFeedback(lambda stage, percent: emit_in_gui(me, "progress", stage, percent))
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        import gc

        from planner.errors import Cancelled

        # The cycle collector's full passes walk every geometry object (shapely's are tracked: a
        # million-building project has millions), 0.3-0.7 s each with the interpreter held: the
        # window froze several times while a project opened. What exists is frozen (never walked
        # again; freed by reference counting as usual), full passes wait while the job runs (the
        # young generations are still collected), and what the job made is frozen when it ends.
        gc.freeze()
        pause_full_collections()
        # what the thread needs, never the Worker itself (see the module's docstring); the job
        # (and what it captured: a run's inputs) is let go when the thread ends, even if the
        # window keeps this worker
        fn, feedback, me = self.fn, self.feedback, weakref.ref(self)
        self.fn = None

        def run():
            try:
                try:
                    result = fn(feedback)
                finally:
                    resume_full_collections()
                    _job_count(-1)
            except Cancelled:
                emit_in_gui(me, "cancelled")
                return
            except Exception as exc:  # reported in the window with its traceback; the app goes on
                from planner.errors import InputError

                if not isinstance(exc, InputError):
                    from planner.errorlog import write_error_log

                    exc.traceback_text = traceback.format_exc()  # type: ignore[attr-defined]
                    exc.log_path = write_error_log(exc.traceback_text)  # type: ignore[attr-defined]
                emit_in_gui(me, "failed", exc)
                return
            if feedback.is_cancelled:
                emit_in_gui(me, "cancelled")
            else:
                emit_in_gui(me, "finished", result)

        self.thread = threading.Thread(target=run, daemon=True, name="planner-job")
        _job_count(+1)  # taken back when the job ends (in run), or here if the thread never starts
        try:
            self.thread.start()
        except BaseException:
            _job_count(-1)
            raise
        _pace(self.thread)

    def cancel(self) -> None:
        self.feedback.cancel()

    def is_running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def run_blocking(fn, parent=None, progress=None):
    """Run ``fn(feedback)`` on a worker and wait in a local event loop (the window keeps
    painting and answering); returns its result, raises its exception.

    The worker belongs to this call, not to ``parent`` (accepted for the callers' sake): a
    worker owned by the window was deleted with it while the loop waited for its result, and
    every worker stayed alive with the window, holding its result (a whole project per open)
    through the connections below."""
    del parent
    worker = Worker(fn)
    if progress is not None:
        worker.progress.connect(progress)
    loop = QtCore.QEventLoop()
    box: dict = {}
    worker.finished.connect(lambda r: (box.__setitem__("result", r), loop.quit()))
    worker.failed.connect(lambda e: (box.__setitem__("error", e), loop.quit()))
    worker.cancelled.connect(lambda: (box.__setitem__("cancelled", True), loop.quit()))
    worker.start()
    if worker.is_running() or not box:
        loop.exec()
    if "error" in box:
        raise box["error"]
    if "cancelled" in box:
        from planner.errors import Cancelled

        raise Cancelled()
    return box.get("result")
