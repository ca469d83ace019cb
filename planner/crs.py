"""Coordinate reference systems: working-CRS choice, guesses for layers with none, GCJ-02/BD-09.

China's official frame is CGCS2000 (EPSG:4490). Its 3-degree Gauss-Kruger zones come in two
series: EPSG:4513-4533 (zones 25-45, the zone number prefixed to the false easting) and
EPSG:4534-4554 (central meridians 75°E-135°E, no prefix). The working CRS is the latter zone
whose central meridian is nearest the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer

from planner.arrays import FloatArray, GeometryArray

LonLat = tuple[FloatArray, FloatArray]

CGCS2000_GEOGRAPHIC = "EPSG:4490"
# Mainland China with a margin, in degrees: anything outside is a coordinate error.
CHINA_LON = (72.0, 136.0)
CHINA_LAT = (3.0, 54.0)


def gk_zone_epsg(central_meridian: int, *, prefixed: bool = False) -> int:
    """EPSG code of the CGCS2000 3-degree GK zone with this central meridian (75..135)."""
    if central_meridian % 3 or not 75 <= central_meridian <= 135:
        raise ValueError(f"no CGCS2000 3-degree zone has central meridian {central_meridian}")
    k = (central_meridian - 75) // 3
    return (4513 if prefixed else 4534) + k


def nearest_central_meridian(lon: float) -> int:
    cm = int(round(lon / 3.0)) * 3
    return min(max(cm, 75), 135)


def working_crs_for_lon(lon: float) -> CRS:
    """The CGCS2000 3-degree GK zone (no prefix) whose central meridian is nearest ``lon``."""
    return CRS.from_epsg(gk_zone_epsg(nearest_central_meridian(lon)))


def central_meridian_of(crs: CRS) -> float | None:
    """Central meridian of a transverse Mercator CRS, else None."""
    try:
        for p in crs.coordinate_operation.params if crs.coordinate_operation else []:
            if "longitude of natural origin" in p.name.lower():
                return float(p.value)
    except AttributeError:
        return None
    return None


@dataclass
class CrsGuess:
    crs: CRS
    reason: str


def guess_crs(
    xmin: float, ymin: float, xmax: float, ymax: float, *, zone_hint_cm: int | None = None
) -> CrsGuess | None:
    """Guess a CRS for a layer that has none, from its coordinate ranges.

    Geographic degrees -> CGCS2000 geographic; eastings of 25-45 million -> the GK zone of that
    prefix; eastings of 0-1,000,000 with northings of China -> GK without prefix, in the zone of
    ``zone_hint_cm`` (from the other layers) only, since the ranges alone cannot tell the zone.
    """
    if not all(np.isfinite([xmin, ymin, xmax, ymax])):
        return None
    if CHINA_LON[0] <= xmin and xmax <= CHINA_LON[1] and CHINA_LAT[0] <= ymin and ymax <= CHINA_LAT[1]:
        return CrsGuess(CRS.from_epsg(4490), "coordinates are degrees within China: CGCS2000 geographic (EPSG:4490)")
    north_ok = 300_000 <= ymin and ymax <= 6_000_000
    zone = int(xmin // 1_000_000)
    if north_ok and 25 <= zone <= 45 and int(xmax // 1_000_000) == zone:
        local = (xmin - zone * 1_000_000, xmax - zone * 1_000_000)
        if 100_000 <= local[0] and local[1] <= 900_000:
            epsg = 4513 + zone - 25
            return CrsGuess(
                CRS.from_epsg(epsg),
                f"eastings carry zone prefix {zone}: CGCS2000 3-degree GK zone {zone} (EPSG:{epsg})",
            )
    if north_ok and 100_000 <= xmin and xmax <= 900_000 and zone_hint_cm is not None:
        epsg = gk_zone_epsg(zone_hint_cm)
        return CrsGuess(
            CRS.from_epsg(epsg),
            f"eastings without zone prefix; assumed the zone of the other layers, central meridian "
            f"{zone_hint_cm}°E (EPSG:{epsg})",
        )
    return None


def legacy_equivalents(crs: CRS) -> dict[str, int]:
    """The Xian 1980 and Beijing 1954 systems that look like a CGCS2000 one (same zone, same
    kind of coordinates): data in them would pass for CGCS2000 and land tens of metres off."""
    epsg = crs.to_epsg() or 0
    if epsg == 4490:
        return {"Xian 1980": 4610, "Beijing 1954": 4214}
    if 4513 <= epsg <= 4533:  # 3-degree zones with the zone prefix
        return {"Xian 1980": 2349 + epsg - 4513, "Beijing 1954": 2401 + epsg - 4513}
    if 4534 <= epsg <= 4554:  # 3-degree zones by central meridian
        return {"Xian 1980": 2370 + epsg - 4534, "Beijing 1954": 2422 + epsg - 4534}
    return {}


def legacy_datum_warning(crs: CRS, role: str) -> str:
    """What to say when a layer without CRS was taken for CGCS2000."""
    alt = legacy_equivalents(crs)
    if not alt:
        return ""
    options = " or ".join(f"crs = \"EPSG:{code}\" ({name})" for name, code in alt.items())
    return (f"if the data are in Beijing 1954 or Xian 1980 coordinates (older surveys), they look the same but "
            f"would be offset by tens of metres (up to about 100 m); then declare the CRS under [inputs.{role}] "
            f"in the project file, {options}, or add the .prj file that came with the data")


# GCJ-02 / BD-09 ---------------------------------------------------------------------------
# GCJ-02 is a published obfuscation of WGS 84 used by Chinese web maps; its forward formula is
# public. The inverse has no closed form: iterate x <- x - (f(x) - target) to sub-millimetre.
_A = 6378245.0
_EE = 0.00669342162296594323


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    r: FloatArray = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    r: FloatArray = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """Forward GCJ-02 offset (vectorised, degrees)."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30) -> LonLat:
    """Iterative inverse of :func:`wgs84_to_gcj02` (converges to well under a millimetre)."""
    glon = np.asarray(lon, dtype="float64")
    glat = np.asarray(lat, dtype="float64")
    x, y = glon.copy(), glat.copy()
    for _ in range(max_iter):
        fx, fy = wgs84_to_gcj02(x, y)
        dx, dy = fx - glon, fy - glat
        x -= dx
        y -= dy
        if np.nanmax(np.abs(np.concatenate([dx.ravel(), dy.ravel(), [0.0]]))) < tol_deg:
            break
    return x, y


_X_PI = np.pi * 3000.0 / 180.0


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    x = np.asarray(lon, dtype="float64") - 0.0065
    y = np.asarray(lat, dtype="float64") - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, *, max_iter: int = 30) -> LonLat:
    """BD-09 -> WGS 84: invert BD-09 -> GCJ-02 iteratively too, then GCJ-02 -> WGS 84."""
    blon = np.asarray(lon, dtype="float64")
    blat = np.asarray(lat, dtype="float64")
    x, y = bd09_to_gcj02(blon, blat)
    for _ in range(max_iter):
        fx, fy = gcj02_to_bd09(x, y)
        dx, dy = fx - blon, fy - blat
        x, y = x - dx, y - dy
        if np.nanmax(np.abs(np.concatenate([dx.ravel(), dy.ravel(), [0.0]]))) < 1e-10:
            break
    return gcj02_to_wgs84(x, y)


OFFSET_SYSTEMS: dict[str, Callable[[npt.ArrayLike, npt.ArrayLike], LonLat]] = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


def reproject(geoms: npt.ArrayLike, source: CRS, target: CRS) -> GeometryArray:
    """Transform shapely geometries between CRSs on every core (a Transformer per chunk,
    since Transformers are not thread-safe)."""
    import shapely

    from planner.parallel import chunked

    def one(chunk: GeometryArray) -> GeometryArray:
        t = Transformer.from_crs(source, target, always_xy=True)
        out: GeometryArray = shapely.transform(chunk, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        return out

    return chunked(one, np.asarray(geoms))
