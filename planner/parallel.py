"""Run a vectorised, GIL-releasing function (shapely, pyproj) over chunks on every core."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

_MIN_CHUNK = 50_000


def die_with_parent() -> None:
    """Linux: this (forked or spawned worker) process gets SIGKILL when the thread that started it
    ends, so a run killed with ``kill -9`` leaves no worker waiting on its task queue for ever."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def chunked(fn: Callable[[np.ndarray], np.ndarray], array: np.ndarray, *, workers: int | None = None) -> np.ndarray:
    """``fn(array)`` computed in chunks on threads; small arrays run inline."""
    workers = workers or os.cpu_count() or 1
    n = len(array)
    if workers < 2 or n < 2 * _MIN_CHUNK:
        return fn(array)
    bounds = np.linspace(0, n, workers + 1).astype(int)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda ab: fn(array[ab[0]:ab[1]]), zip(bounds[:-1], bounds[1:], strict=True)))
    return np.concatenate(parts)


def query_pairs(tree: shapely.STRtree, geoms: np.ndarray, *, predicate: str, distance: float | None = None,
                workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``tree.query(geoms, predicate, distance)`` over chunks of ``geoms`` on threads."""
    workers = workers or os.cpu_count() or 1
    n = len(geoms)
    kwargs = {"predicate": predicate} if distance is None else {"predicate": predicate, "distance": distance}
    if workers < 2 or n < 2 * _MIN_CHUNK // 10:
        res = tree.query(geoms, **kwargs)
        return res[0], res[1]
    bounds = np.linspace(0, n, workers + 1).astype(int)

    def one(ab: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        a, b = ab
        res = tree.query(geoms[a:b], **kwargs)
        return res[0] + a, res[1]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(one, zip(bounds[:-1], bounds[1:], strict=True)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def map_pairs(fn: Callable[[np.ndarray, np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray,
              *, workers: int | None = None) -> np.ndarray:
    """``fn(a, b)`` element-wise over chunks on threads (for shapely binary functions)."""
    idx = np.arange(len(a))
    return chunked(lambda i: fn(a[i], b[i]), idx, workers=workers)
