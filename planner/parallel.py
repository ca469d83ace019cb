"""Run a vectorised, GIL-releasing function (shapely, pyproj) over chunks on every core."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_MIN_CHUNK = 50_000


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
