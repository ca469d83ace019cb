"""Rasters (DEM, land cover, night lights, imagery) with rasterio.

A raster stays in its file; we record its CRS and extent, and sample it at points given in the
working CRS by transforming the points into the raster's CRS (never assuming they match).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from pyproj import CRS, Transformer
from rasterio.errors import RasterioIOError

from planner.errors import InputError


@dataclass
class RasterInfo:
    name: str
    path: Path
    crs: str | None
    width: int
    height: int
    bands: int
    dtype: str
    nodata: float | None
    bounds_working: tuple[float, float, float, float] | None
    resolution: tuple[float, float]

    def to_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def open_raster(name: str, path: Path, working_crs: CRS) -> RasterInfo:
    if not path.exists():
        raise InputError("the raster file does not exist.", file=str(path), layer=name,
                         hint="check the path given with --raster NAME=FILE.")
    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise InputError("the raster has no CRS.", file=str(path), layer=name,
                                 hint="give a GeoTIFF with its CRS (or a .prj / .aux.xml beside it).")
            crs = CRS.from_user_input(ds.crs.to_wkt())
            t = Transformer.from_crs(crs, working_crs, always_xy=True)
            bounds = t.transform_bounds(*ds.bounds)
            return RasterInfo(name, path, crs.to_string(), ds.width, ds.height, ds.count,
                              ds.dtypes[0], ds.nodata, tuple(float(b) for b in bounds), ds.res)
    except RasterioIOError as exc:
        raise InputError(f"the raster cannot be read ({exc}).", file=str(path), layer=name,
                         hint="give a GeoTIFF file.") from None


def sample_raster(info: RasterInfo, x: np.ndarray, y: np.ndarray, working_crs: CRS, band: int = 1) -> np.ndarray:
    """Values at working-CRS points (NaN outside the raster or at nodata)."""
    with rasterio.open(info.path) as ds:
        t = Transformer.from_crs(working_crs, CRS.from_user_input(ds.crs.to_wkt()), always_xy=True)
        rx, ry = t.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        rows, cols = rasterio.transform.rowcol(ds.transform, rx, ry)
        rows, cols = np.asarray(rows), np.asarray(cols)
        inside = (rows >= 0) & (rows < ds.height) & (cols >= 0) & (cols < ds.width)
        out = np.full(len(rx), np.nan)
        if inside.any():
            data = ds.read(band, masked=True)
            vals = data[rows[inside], cols[inside]]
            out[inside] = np.ma.filled(vals.astype(float), np.nan)
        return out
