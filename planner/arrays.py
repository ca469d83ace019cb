"""Array types of the engine's signatures (numpy.typing), one name per kind of array."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]          # masks
FloatArray = npt.NDArray[np.float64]       # measures, coordinates
Int64Array = npt.NDArray[np.int64]         # row positions, ids
IndexArray = npt.NDArray[np.intp]          # indices numpy and shapely return (factorize codes, STRtree hits)
IntegerArray = npt.NDArray[np.integer[Any]]  # integers of a width that depends on the producer (intp, int32 ...)
GeometryArray = npt.NDArray[np.object_]    # shapely geometries (None where missing)
