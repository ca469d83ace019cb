"""Waterlogging (issue 15): the analysis on a 20 km x 20 km DEM at 5 m (4,000 x 4,000 = 16 M
cells), target < 30 s and < 4 GiB peak. Rough terrain with thousands of closed hollows, a street
every 200 m and 40,000 residential buildings over it. Three runs, each in a fresh process (peak
memory is the process's): the DEM in the working CRS, the same terrain in CGCS2000 degrees
(warped to the working CRS in windows), and the DEM in the working CRS with 2,000 nodata holes
(lakes around them refilled). The ratio is against the first run. Each run also prints its CPU
time, which does not grow with the load of a shared machine as the wall time does."""

from __future__ import annotations

import os

from common import DATA, measure, row

SIZE_M, CELL_M = 20_000.0, 5.0
X0, Y0 = 400_000.0, 4_490_000.0

MAKE = f"""
def main():
    import sys, time
    import numpy as np
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import from_bounds, from_origin
    from scipy import ndimage
    out, crs, holes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n = int({SIZE_M} / {CELL_M})
    t = time.perf_counter()
    rng = np.random.default_rng(15)
    noise = ndimage.gaussian_filter(rng.normal(size=(n, n)).astype(np.float32), 8) * 60
    if crs == "EPSG:4546":
        transform = from_origin({X0}, {Y0} + {SIZE_M}, {CELL_M}, {CELL_M})
        rows, cols = np.mgrid[0:n, 0:n].astype(np.float32)
        x, y = cols * {CELL_M}, {SIZE_M} - rows * {CELL_M}
    else:  # the same terrain on a grid of degrees: sample it where the degree cells fall
        to_geo = Transformer.from_crs(4546, crs, always_xy=True)
        lon0, lat0 = to_geo.transform({X0}, {Y0})
        lon1, lat1 = to_geo.transform({X0} + {SIZE_M}, {Y0} + {SIZE_M})
        transform = from_bounds(lon0, lat0, lon1, lat1, n, n)
        to_work = Transformer.from_crs(crs, 4546, always_xy=True)
        rows, cols = np.mgrid[0:n, 0:n]
        x, y = to_work.transform(transform.c + (cols + 0.5) * transform.a, transform.f + (rows + 0.5) * transform.e)
        x, y = (np.asarray(x) - {X0}).astype(np.float32), (np.asarray(y) - {Y0}).astype(np.float32)
        del rows, cols
        r = np.clip((({SIZE_M} - y) / {CELL_M}).astype(np.int64), 0, n - 1)
        c = np.clip((x / {CELL_M}).astype(np.int64), 0, n - 1)
        noise = noise[r, c]
    dem = (1000 + 0.002 * y + 2 * np.sin(x / 750) * np.cos(y / 850) + noise).astype(np.float32)
    if holes:
        hr, hc = rng.integers(10, n - 10, holes), rng.integers(10, n - 10, holes)
        for dr in range(-2, 3):
            for dc in range(-2, 3):
                dem[hr + dr, hc + dc] = -9999.0
    with rasterio.open(out, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs=crs,
                       transform=transform, nodata=-9999.0, tiled=True, blockxsize=512, blockysize=512) as ds:
        ds.write(dem, 1)
    return {{"seconds": time.perf_counter() - t}}
"""

RUN = f"""
def main():
    import datetime as dt, sys, time
    from pathlib import Path
    import numpy as np
    import geopandas as gpd
    import shapely
    from pyproj import CRS
    from planner.analysis.registry import AnalysisInputs, get_analysis
    from planner.catalogue import default_catalogue
    from planner.feedback import Feedback
    from planner.io.rasters import open_raster
    work = CRS.from_epsg(4546)
    size, x0, y0 = {SIZE_M}, {X0}, {Y0}
    ticks = np.arange(0, size + 1, 200.0)
    lines = [shapely.LineString([(x0 + v, y0), (x0 + v, y0 + size)]) for v in ticks]
    lines += [shapely.LineString([(x0, y0 + v), (x0 + size, y0 + v)]) for v in ticks]
    roads = gpd.GeoDataFrame({{"road_id": [f"R{{i}}" for i in range(len(lines))], "status": None, "name": None}},
                             geometry=lines, crs=work)
    rng = np.random.default_rng(3)
    bx, by = rng.uniform(x0, x0 + size, 40_000), rng.uniform(y0, y0 + size, 40_000)
    buildings = gpd.GeoDataFrame({{"building_id": [f"B{{i}}" for i in range(len(bx))], "use": "residential",
                                  "households": 24}}, geometry=shapely.box(bx, by, bx + 40, by + 12), crs=work)
    analysis = get_analysis("waterlogging")
    inputs = AnalysisInputs(layers={{"roads": roads, "buildings": buildings}}, as_of=dt.date(2026, 6, 30),
                            catalogue=default_catalogue(), crs=work, rasters={{"dem": open_raster("dem", Path(sys.argv[1]), work)}})
    t, cpu = time.perf_counter(), time.process_time()
    out = analysis.run(inputs, analysis.resolve_params({{}}), Feedback())
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    flags = out.flags["flag_waterlogging"]
    return {{"seconds": seconds, "cpu": cpu, "flags": int(len(flags)), "message": out.messages[0]}}
"""


def _measure(code: str, args: list[str], label: str) -> dict:
    import sys

    saved = sys.argv
    try:  # measure() runs `python -c CODE`: arguments through a small prelude
        prelude = f"import sys\nsys.argv = ['bench'] + {args!r}\n"
        return measure(prelude + code, label=label)
    finally:
        sys.argv = saved


def run() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    cases = [("DEM in the working CRS (EPSG:4546)", "EPSG:4546", 0, "dem_work.tif"),
             ("DEM in degrees (EPSG:4490), warped in windows", "EPSG:4490", 0, "dem_degrees.tif"),
             ("DEM in the working CRS, 2,000 nodata holes", "EPSG:4546", 2000, "dem_holes.tif")]
    base = None
    for label, crs, holes, name in cases:
        path = DATA / name
        if not path.exists():
            _measure(MAKE, [str(path), crs, str(holes)], label=f"make {name}")
        r = _measure(RUN, [str(path)], label=label)
        base = base or r["seconds"]
        print(row(f"waterlogging 16 M cells: {label}", r["seconds"], r["peak_mib"], r["seconds"] / base))
        print(f"    CPU {r['cpu']:.2f} s (the process's own, all threads: the wall time on an idle core; the wall time "
              f"above grows with the machine's load, {os.getloadavg()[0]:.1f} now); {r['flags']} waterlogging points; "
              f"{r['message']}")
    print("  target: < 30 s and < 4 GiB peak for each")


if __name__ == "__main__":
    run()
