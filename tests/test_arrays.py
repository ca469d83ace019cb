"""planner.arrays: slices, and the breaths a worker takes between them so a waiting window runs."""

from __future__ import annotations

import threading
import types

import numpy as np

from planner import arrays


def _recording_clock(monkeypatch) -> list[float]:
    """arrays' clock with its sleeps recorded (the clock itself is real)."""
    import time

    slept: list[float] = []
    fake = types.SimpleNamespace(perf_counter=time.perf_counter, sleep=slept.append)
    monkeypatch.setattr(arrays, "time", fake)
    return slept


def test_a_worker_going_through_slices_sleeps_between_them_and_the_main_thread_never_does(monkeypatch):
    slept = _recording_clock(monkeypatch)
    monkeypatch.setattr(arrays, "BREATHE_EVERY", 0.0)  # every slice is due a breath
    got: list[tuple[int, int]] = []
    worker = threading.Thread(target=lambda: got.extend(arrays.slices(10, 3)))
    worker.start()
    worker.join()
    assert got == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert slept == [arrays.BREATH] * 4
    slept.clear()
    assert list(arrays.slices(10, 3)) == got  # the main thread (the window's) does not sleep
    assert slept == []


def test_in_slices_concatenates_the_slices_in_order():
    out = arrays.in_slices(10, lambda a, b: np.arange(a, b) * 2, size=4)
    assert out.tolist() == list(range(0, 20, 2))
