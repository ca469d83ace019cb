"""Loading stage: 1,000,000 building polygons from a GeoPackage (issue 2's benchmark).

Compares the full loading stage (read, CRS, validation, field mapping, parsing, reprojection)
with a bare ``pyogrio.read_dataframe(use_arrow=True)`` + ``to_crs`` of the same file.
Target: at most 1.5x the bare read, peak memory under 2 GiB.
"""

from __future__ import annotations

import time

import numpy as np
from common import DATA, measure, row

N = 1_000_000
PATH = DATA / "buildings_1m.gpkg"


def make_data() -> None:
    if PATH.exists():
        return
    import geopandas as gpd
    import pandas as pd
    import shapely

    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    x = 109.5 + rng.uniform(0, 0.6, N)
    y = 40.4 + rng.uniform(0, 0.5, N)
    geoms = shapely.box(x, y, x + 0.0002, y + 0.00012)
    years = rng.integers(1960, 2024, N)
    frame = gpd.GeoDataFrame({
        "JZBH": pd.Series(np.char.add("JZ", np.arange(N).astype(str))),
        "JCND": np.where(rng.random(N) < 0.3, np.char.add(years.astype(str), "年"), years.astype(str)),
        "CS": np.char.add(rng.integers(1, 30, N).astype(str), "层"),
        "JZYT": rng.choice(["住宅", "商业", "办公", "商住", "工业"], N),
        "有无电梯": rng.choice(["有", "无"], N),
        "鉴定等级": rng.choice(["A", "B", "C", "D"], N),
        "JG": rng.choice(["砖混", "框架", "钢混", "预制板"], N),
        "HS": rng.integers(0, 120, N),
        "JZMJ": rng.uniform(100, 20000, N).round(1),
        "XQMC": np.char.add("小区", rng.integers(0, 5000, N).astype(str)),
    }, geometry=geoms, crs=4490)
    frame.to_file(PATH, layer="buildings", driver="GPKG", engine="pyogrio", use_arrow=True)


BARE = f"""
def main():
    import pyogrio
    t = time.perf_counter()
    df = pyogrio.read_dataframe({str(PATH)!r}, use_arrow=True)
    df = df.to_crs(4546)
    return {{"seconds": time.perf_counter() - t, "rows": len(df)}}
"""

FULL = f"""
def main():
    from pyproj import CRS
    from planner.catalogue import default_catalogue
    from planner.io.loading import harmonise
    from planner.io.readers import read_vector
    from planner.io.sources import parse_source
    cat = default_catalogue()
    t = time.perf_counter()
    raw = read_vector(parse_source({str(PATH)!r}), role="buildings")
    layer = harmonise(raw, "buildings", cat, CRS.from_epsg(4546))
    return {{"seconds": time.perf_counter() - t, "rows": len(layer.frame),
             "mapped": len(layer.report.field_mapping)}}
"""


def run() -> dict:
    t = time.perf_counter()
    make_data()
    print(f"loading benchmark: {N:,} building polygons (data ready in {time.perf_counter() - t:.1f} s)")
    bare = min((measure(BARE, label="bare") for _ in range(2)), key=lambda r: r["seconds"])
    full = min((measure(FULL, label="full") for _ in range(2)), key=lambda r: r["seconds"])
    ratio = full["seconds"] / bare["seconds"]
    print(row("bare pyogrio.read_dataframe(use_arrow) + to_crs", bare["seconds"], bare["peak_mib"]))
    print(row(f"full loading stage ({full['mapped']} fields mapped)", full["seconds"], full["peak_mib"], ratio))
    ok = ratio <= 1.5 and full["peak_mib"] < 2048
    print(f"  target: <= 1.5x bare and < 2 GiB peak -> {'met' if ok else 'NOT met'}")
    return {"bare_s": bare["seconds"], "full_s": full["seconds"], "ratio": ratio, "peak_mib": full["peak_mib"]}


if __name__ == "__main__":
    run()
