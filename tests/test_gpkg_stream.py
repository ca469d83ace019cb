"""A long layer goes to GDAL as a stream of Arrow batches (memory bounded by a batch): the file
is the one a single write makes, geometry blobs, attributes, spatial index and metadata alike."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

import planner.export.gpkg as gpkg


def _layers() -> dict:
    rng = np.random.default_rng(3)
    n = 2_500
    x, y = rng.uniform(0, 5_000, n), rng.uniform(0, 5_000, n)
    polys = shapely.box(x, y, x + 12, y + 10).astype(object)
    polys[::7] = shapely.multipolygons(np.atleast_2d(polys[::7]), axis=0)  # some multi already
    polys[5] = None
    flags = gpd.GeoDataFrame({
        "flag_id": [f"SERVICE_GAP:B{i}:clinic" for i in range(n)],
        "code": pd.Series(["SERVICE_GAP"] * n, dtype="str"),
        "reason": np.where(np.arange(n) % 3 == 0, None, "住宅步行至最近卫生站 1402 m"),
        "distance_m": np.where(np.arange(n) % 5 == 0, np.nan, rng.uniform(300, 2000, n)),
        "households": rng.integers(0, 80, n),
        "driving": np.arange(n) % 2 == 0,
    }, geometry=polys, crs=4546)
    points = gpd.GeoDataFrame({"flag_id": [f"DEAD_END:N{i}" for i in range(n)], "severity": np.ones(n, dtype=int)},
                              geometry=shapely.points(x, y), crs=4546)
    return {"service_gap": (flags, "MultiPolygon", "生活圈短板"), "flag_dead_end": (points, "Point", "断头路端点")}


def test_a_streamed_layer_is_the_layer_written_at_once(tmp_path, monkeypatch):
    layers = _layers()
    whole, streamed = tmp_path / "whole.gpkg", tmp_path / "streamed.gpkg"
    gpkg.write_layers(whole, layers, styles={})
    monkeypatch.setattr(gpkg, "STREAM_ROWS", 600)  # five batches
    gpkg.write_layers(streamed, layers, styles={})
    a, b = sqlite3.connect(whole), sqlite3.connect(streamed)
    for name in layers:
        for query in (f"SELECT * FROM {name} ORDER BY fid", f"SELECT * FROM rtree_{name}_geom ORDER BY id",
                      "SELECT table_name, data_type, identifier, description, srs_id FROM gpkg_contents "
                      f"WHERE table_name = '{name}'",
                      f"SELECT * FROM gpkg_geometry_columns WHERE table_name = '{name}'",
                      f"SELECT * FROM gpkg_extensions WHERE table_name = '{name}'",
                      f"SELECT sql FROM sqlite_master WHERE tbl_name = '{name}' ORDER BY name"):
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), query
        back = pyogrio.read_dataframe(streamed, layer=name)
        assert len(back) == len(layers[name][0])
    back = pyogrio.read_dataframe(streamed, layer="service_gap")
    assert set(back.geom_type.dropna()) == {"MultiPolygon"} and back.geometry.isna().sum() == 1
