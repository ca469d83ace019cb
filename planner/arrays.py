"""Array types of the engine's signatures (numpy.typing), one name per kind of array."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]          # masks
FloatArray = npt.NDArray[np.float64]       # measures, coordinates
Int64Array = npt.NDArray[np.int64]         # row positions, ids
IndexArray = npt.NDArray[np.intp]          # indices numpy and shapely return (factorize codes, STRtree hits)
IntegerArray = npt.NDArray[np.integer[Any]]  # integers of a width that depends on the producer (intp, int32 ...)
GeometryArray = npt.NDArray[np.object_]    # shapely geometries (None where missing)


# Rows per call when a long column is converted to Python objects (strings, geometries) on a
# worker: each call holds the interpreter, and a window waiting for it waits for one slice.
SLICE = 20_000


# A worker going through slices lets go of the interpreter inside each call (numpy, shapely and
# Arrow release it) but takes it straight back, and CPython hands the interpreter to a waiting
# thread only when its holder keeps it for a whole switch interval (5 ms by default, 1 ms in the
# window) without a break: a window waiting on such a
# worker waited for the whole loop (100-190 ms when a million-building project was opened). So a
# worker going through slices sleeps a moment every few milliseconds, long enough for a waiting
# thread to wake up and take its turn.
BREATHE_EVERY = 0.004  # seconds of work between two breaths
BREATH = 0.0003  # seconds asleep

_T = TypeVar("_T")


class _Last(threading.local):
    at = 0.0


_last = _Last()


def breathe() -> None:
    """Let a waiting thread (the window) run: on a worker, sleep :data:`BREATH` when
    :data:`BREATHE_EVERY` has passed since the last breath; nothing on the main thread."""
    if threading.current_thread() is threading.main_thread():
        return
    if time.perf_counter() - _last.at >= BREATHE_EVERY:
        time.sleep(BREATH)
        _last.at = time.perf_counter()


def breathing(items: Iterable[_T]) -> Iterator[_T]:
    """``items``, with a :func:`breathe` before each one."""
    for item in items:
        breathe()
        yield item


def slices(n: int, size: int = SLICE) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive slices of ``range(n)``, each at most ``size`` long (with a
    :func:`breathe` before each)."""
    return breathing((i, min(i + size, n)) for i in range(0, n, size))


def in_slices(n: int, convert: Callable[[int, int], Any], size: int = SLICE) -> npt.NDArray[Any]:
    """``convert(start, stop)`` over the slices of ``range(n)``, concatenated (an array of
    ``n`` rows); one call when ``n`` fits a slice."""
    if n <= size:
        return np.asarray(convert(0, n))
    return np.concatenate([np.asarray(convert(a, b)) for a, b in slices(n, size)])
