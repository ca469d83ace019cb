"""Array types of the engine's signatures (numpy.typing), one name per kind of array."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

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


def slices(n: int, size: int = SLICE) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive slices of ``range(n)``, each at most ``size`` long."""
    return ((i, min(i + size, n)) for i in range(0, n, size))


def in_slices(n: int, convert: Callable[[int, int], Any], size: int = SLICE) -> npt.NDArray[Any]:
    """``convert(start, stop)`` over the slices of ``range(n)``, concatenated (an array of
    ``n`` rows); one call when ``n`` fits a slice."""
    if n <= size:
        return np.asarray(convert(0, n))
    return np.concatenate([np.asarray(convert(a, b)) for a, b in slices(n, size)])
