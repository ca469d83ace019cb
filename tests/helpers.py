"""Builders of real test files (GeoPackage, Shapefile, CSV ...) in a temp folder."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

ORIGIN = (400_000.0, 4_500_000.0)  # EPSG:4546, near Baotou


def squares(n: int, *, size: float = 20.0, step: float = 50.0, origin=ORIGIN) -> list:
    x0, y0 = origin
    return [shapely.box(x0 + i * step, y0, x0 + i * step + size, y0 + size) for i in range(n)]


def buildings_frame(n: int = 4, crs: int | None = 4546, **columns) -> gpd.GeoDataFrame:
    data = {"JZBH": [f"B{i}" for i in range(n)], **columns}
    return gpd.GeoDataFrame(data, geometry=squares(n), crs=crs)


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, engine="pyogrio", **kwargs)
    return path
