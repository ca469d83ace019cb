"""Rasters (DEM, land cover, night lights, imagery) with rasterio.

A raster stays in its file; we record its CRS and extent, and sample it at points given in the
working CRS by transforming the points into the raster's CRS (never assuming they match).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import rasterio
from pyproj import CRS, Transformer
from rasterio.errors import RasterioIOError

from planner.arrays import FloatArray
from planner.errors import InputError
from planner.io.sources import GDAL_OFFLINE, RASTER_DRIVERS, RASTER_SUFFIXES, check_path

if TYPE_CHECKING:
    from rasterio.io import DatasetReader


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

    def to_dict(self) -> dict[str, Any]:  # the manifest's JSON object
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


def _open(path: Path) -> DatasetReader:
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


def sample_raster(info: RasterInfo, x: npt.ArrayLike, y: npt.ArrayLike, working_crs: CRS, band: int = 1) -> FloatArray:
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


@dataclass
class WorkingGrid:
    """A band of a raster on a grid of the working CRS: ``values`` (float32, NaN at nodata and
    outside the raster), the grid's affine ``transform`` and whether it was reprojected."""

    values: npt.NDArray[np.float32]
    transform: object  # an affine.Affine; typed so once waterlogging.py drops its attr-defined ignores
    reprojected: bool

    @property
    def cell_area(self) -> float:
        t = self.transform
        return abs(float(t.a) * float(t.e) - float(t.b) * float(t.d))  # type: ignore[attr-defined]


def read_in_working_crs(info: RasterInfo, working_crs: CRS,
                        bounds: tuple[float, float, float, float] | None = None, *, band: int = 1,
                        rows_per_window: int = 1024, warp_mem_mb: int = 256,
                        max_cells: int = 200_000_000) -> WorkingGrid:
    """One band of a raster on a grid of the working CRS, clipped to ``bounds`` (working CRS).

    In the working CRS already: the cells are read as they are (a window of the file, in
    windows of ``rows_per_window`` rows). In another CRS: warped (bilinear, GDAL's warper, which
    works in chunks of ``warp_mem_mb``) to a grid of the working CRS whose cell has about the
    source cell's size. Nodata and cells outside the raster are NaN. Refuses (with
    an :class:`InputError`) a raster that does not overlap ``bounds`` or would exceed
    ``max_cells`` cells."""
    from rasterio.enums import Resampling
    from rasterio.transform import Affine
    from rasterio.warp import calculate_default_transform, reproject
    from rasterio.windows import Window

    with rasterio.Env(**GDAL_OFFLINE), rasterio.open(info.path, driver=_driver(info.path)) as ds:
        src_crs = CRS.from_user_input(ds.crs.to_wkt())
        same = src_crs.equals(working_crs, ignore_axis_order=True)
        if same:
            transform = ds.transform
            width, height = ds.width, ds.height
        else:
            transform, width, height = calculate_default_transform(ds.crs, working_crs.to_wkt(), ds.width, ds.height,
                                                                   *ds.bounds)
        res_x, res_y = abs(transform.a), abs(transform.e)
        left, top = transform.c, transform.f
        x0, y0, x1, y1 = left, top - height * res_y, left + width * res_x, top
        if bounds is not None:
            x0, y0, x1, y1 = max(x0, bounds[0]), max(y0, bounds[1]), min(x1, bounds[2]), min(y1, bounds[3])
        if not (x1 > x0 and y1 > y0):
            raise InputError("the raster does not overlap the layers (its extent in the working CRS lies elsewhere).",
                             file=str(info.path), layer=info.name,
                             hint="check the raster's CRS and that it covers the study area.")
        # the window, snapped to the grid's cells
        c0, c1 = int(np.floor((x0 - left) / res_x)), int(np.ceil((x1 - left) / res_x))
        r0, r1 = int(np.floor((top - y1) / res_y)), int(np.ceil((top - y0) / res_y))
        if same:
            c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, width), min(r1, height)
        w, h = c1 - c0, r1 - r0
        if w * h > max_cells:
            raise InputError(f"the raster would be {w} x {h} cells over the study area, more than {max_cells:,} "
                             "cells can be analysed at once.", file=str(info.path), layer=info.name,
                             hint="resample it to a coarser cell (e.g. gdalwarp -tr 5 5) or clip it to the study area.")
        grid = Affine(res_x, 0.0, left + c0 * res_x, 0.0, -res_y, top - r0 * res_y)
        out = np.full((h, w), np.nan, dtype=np.float32)
        if same:
            for start in range(0, h, rows_per_window):
                n = min(rows_per_window, h - start)
                data = ds.read(band, window=Window(c0, r0 + start, w, n), masked=True)
                out[start:start + n] = np.ma.filled(data.astype(np.float32), np.nan)
        else:  # GDAL's warper, chunked by its memory limit (1.5x faster here than reading a WarpedVRT by rows)
            reproject(rasterio.band(ds, band), out, src_nodata=ds.nodata, dst_transform=grid,
                      dst_crs=working_crs.to_wkt(), dst_nodata=np.nan, resampling=Resampling.bilinear,
                      warp_mem_limit=warp_mem_mb)
        return WorkingGrid(out, grid, not same)
