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
from planner.io.sources import GDAL_OFFLINE, RASTER_DRIVERS, RASTER_SUFFIXES, check_path


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


def _driver(path: Path) -> str | None:
    """The allowed GDAL raster driver the file's first bytes say it is (None: not one)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "GTiff"
    if head.startswith(b"EHFA_HEADER_TAG"):
        return "HFA"
    return None


def _open(path: Path):
    """rasterio.open with the one allowed driver the file is, GDAL's network file systems shut
    (rasterio carries its own GDAL: the settings of planner.io.sources are given to it here)."""
    with rasterio.Env(**GDAL_OFFLINE):
        return rasterio.open(path, driver=_driver(path))


def open_raster(name: str, path: Path, working_crs: CRS) -> RasterInfo:
    if path.suffix.lower() not in RASTER_SUFFIXES:
        raise InputError(f"files of type '{path.suffix or '(none)'}' are not read as rasters.", file=str(path),
                         layer=name, hint="give a GeoTIFF (.tif) or ERDAS Imagine (.img) file; convert a VRT with "
                         "gdal_translate to GeoTIFF.")
    check_path(path, what="raster file")
    if _driver(path) not in RASTER_DRIVERS:
        raise InputError("the file cannot be read as a GeoTIFF or Imagine raster: its content is something else; "
                         "it is not opened.", file=str(path), layer=name,
                         hint="give the raster as a GeoTIFF file (a VRT or a file that points elsewhere is not accepted).")
    try:
        with _open(path) as ds:
            if ds.crs is None:
                raise InputError("the raster has no CRS.", file=str(path), layer=name,
                                 hint="give a GeoTIFF with its CRS (or a .prj / .aux.xml beside it).")
            crs = CRS.from_user_input(ds.crs.to_wkt())
            t = Transformer.from_crs(crs, working_crs, always_xy=True)
            bounds = t.transform_bounds(*ds.bounds)
            return RasterInfo(name, path, crs.to_string(), ds.width, ds.height, ds.count,
                              ds.dtypes[0], ds.nodata, (float(bounds[0]), float(bounds[1]), float(bounds[2]),
                                                        float(bounds[3])), ds.res)
    except RasterioIOError as exc:
        raise InputError(f"the raster cannot be read ({exc}).", file=str(path), layer=name,
                         hint="give a GeoTIFF file.") from None


def sample_raster(info: RasterInfo, x: np.ndarray, y: np.ndarray, working_crs: CRS, band: int = 1) -> np.ndarray:
    """Values at working-CRS points (NaN outside the raster or at nodata)."""
    with _open(info.path) as ds:
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
