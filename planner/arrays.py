"""Array types of the engine's signatures (numpy.typing), one name per kind of array."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]          # masks
FloatArray = npt.NDArray[np.float64]       # measures, coordinates
Int64Array = npt.NDArray[np.int64]         # row positions, ids
IndexArray = npt.NDArray[np.intp]          # indices numpy and shapely return (factorize codes, STRtree hits)
GeometryArray = npt.NDArray[np.object_]    # shapely geometries (None where missing)
