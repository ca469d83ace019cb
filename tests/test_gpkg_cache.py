"""portfolio.gpkg's base layers (boundary, roads, parcels, buildings) are copied from a cached
GeoPackage of them when their content has not changed (a re-export, the next run on the same
inputs); any change to a row, a geometry or the CRS writes them anew. The cache lives in the
user's cache folder (here under RENEWAL_PLANNER_DATA), never beside the inputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

import planner.export.gpkg as gpkg


def _layers(floors: int = 3, crs: int = 4546):
    n = 300
    x = 400000 + np.arange(n) % 20 * 30.0
    y = 4500000 + np.arange(n) // 20 * 30.0
    buildings = gpd.GeoDataFrame({"building_id": [f"B{i}" for i in range(n)], "floors": np.full(n, floors),
                                  "use": ["residential"] * n}, geometry=shapely.box(x, y, x + 12, y + 10), crs=crs)
    roads = gpd.GeoDataFrame({"road_id": ["R1"], "name": ["长江路"]},
                             geometry=[shapely.LineString([(400000, 4499990), (400600, 4499990)])], crs=crs)
    flags = gpd.GeoDataFrame({"flag_id": ["F1"], "code": ["X"]}, geometry=[shapely.box(400000, 4500000, 400012,
                                                                                      4500010)], crs=crs)
    return {"flag_x": (flags, "MultiPolygon", "flags"), "base_roads": (roads, "LineString", "道路"),
            "base_buildings": (buildings, "MultiPolygon", "现状建筑")}


def _read(path, layer):
    return pyogrio.read_dataframe(path, layer=layer)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RENEWAL_PLANNER_DATA", str(tmp_path / "data"))
    return gpkg.base_cache_dir()


def test_unchanged_base_layers_come_from_the_cache_and_a_change_writes_them_anew(tmp_path, cache):
    out = tmp_path / "out"
    gpkg.write_layers(out / "a.gpkg", _layers(), styles={}, cache_base=True)
    entries = list(cache.glob("*.gpkg"))
    assert len(entries) == 1 and str(cache).startswith(str(tmp_path / "data"))
    assert not list(out.glob("*cache*")) and {p.name for p in out.iterdir()} == {"a.gpkg"}
    # the entry holds only the base layers; the deliverable every layer
    assert {n for n, _ in pyogrio.list_layers(entries[0])} == {"base_roads", "base_buildings"}
    assert {n for n, _ in pyogrio.list_layers(out / "a.gpkg")} >= {"flag_x", "base_roads", "base_buildings"}
    # the second export copies the entry (its bytes are the start of the file: marked here to prove it)
    import sqlite3

    with sqlite3.connect(entries[0]) as con:
        con.execute("UPDATE gpkg_contents SET description = 'FROM CACHE' WHERE table_name = 'base_roads'")
    gpkg.write_layers(out / "b.gpkg", _layers(), styles={}, cache_base=True)
    with sqlite3.connect(out / "b.gpkg") as con:
        assert con.execute("SELECT description FROM gpkg_contents WHERE table_name = 'base_roads'").fetchone()[0] \
            == "FROM CACHE"
    b = _read(out / "b.gpkg", "base_buildings")
    a = _read(out / "a.gpkg", "base_buildings")
    assert len(b) == 300 and b.drop(columns="geometry").equals(a.drop(columns="geometry"))
    assert shapely.equals(b.geometry.values, a.geometry.values).all()
    assert _read(out / "b.gpkg", "flag_x")["flag_id"].tolist() == ["F1"]
    # one storey changed in one building: a new entry, and the file has the new value
    changed = _layers()
    changed["base_buildings"][0].loc[7, "floors"] = 9
    gpkg.write_layers(out / "c.gpkg", changed, styles={}, cache_base=True)
    assert len(list(cache.glob("*.gpkg"))) == 2
    c = _read(out / "c.gpkg", "base_buildings")
    assert c.loc[7, "floors"] == 9 and (c.drop(index=7)["floors"] == 3).all()
    # a moved building or another CRS: other keys
    moved = _layers()
    moved["base_buildings"][0].geometry.values[5] = shapely.box(0, 0, 1, 1)
    keys = {gpkg.base_layers_key({k: v for k, v in d.items() if k.startswith("base_")})
            for d in (_layers(), changed, moved, _layers(crs=4547))}
    assert len(keys) == 4


def test_an_unusable_cache_writes_the_layers_as_usual(tmp_path, monkeypatch):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("RENEWAL_PLANNER_DATA", str(blocker))
    gpkg.write_layers(tmp_path / "a.gpkg", _layers(), styles={}, cache_base=True)
    assert len(_read(tmp_path / "a.gpkg", "base_buildings")) == 300
