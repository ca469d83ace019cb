"""A layer written in appended slices (planner.fileio.write_layer_in_slices: a save on a worker
leaves the window its turns) reads back as the same layer written in one call."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from planner.fileio import write_layer_in_slices


def _frame(kind: str) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    boxes = [shapely.box(x, y, x + 5, y + 5) for x, y in rng.uniform(0, 1000, (400, 2))]
    if kind == "multi_later":   # plain polygons first, multipolygons only after the first slice
        geoms = boxes[:300] + [shapely.MultiPolygon([b, shapely.box(0, 0, 1, 1)]) for b in boxes[300:]]
    elif kind == "mixed":       # sites, links and buildings in one layer (the projects)
        geoms = [b.centroid if i % 3 == 0 else b.boundary if i % 3 == 1 else b for i, b in enumerate(boxes)]
    else:                        # with heights, and one row without a geometry
        geoms = [shapely.force_3d(b, 12.0) for b in boxes[:-1]] + [None]
    return gpd.GeoDataFrame({"name": [f"项目{i}" for i in range(len(geoms))], "n": np.arange(len(geoms))},
                            geometry=gpd.GeoSeries(geoms, crs=4546))


@pytest.mark.parametrize("kind", ["multi_later", "mixed", "z_and_empty"])
def test_slices_read_back_as_one_call(tmp_path, kind):
    frame = _frame(kind)
    one, sliced = tmp_path / "one.gpkg", tmp_path / "sliced.gpkg"
    write_layer_in_slices(frame, one, layer="t", driver="GPKG", promote_to_multi=True)  # fits one slice
    write_layer_in_slices(frame, sliced, layer="t", driver="GPKG", promote_to_multi=True, coordinates_per_slice=300)
    a, b = pyogrio.read_info(one, layer="t"), pyogrio.read_info(sliced, layer="t")
    assert a["features"] == b["features"] == len(frame)
    assert a["geometry_type"] == b["geometry_type"]
    ra, rb = pyogrio.read_dataframe(one, layer="t"), pyogrio.read_dataframe(sliced, layer="t")
    assert ra["name"].tolist() == rb["name"].tolist() == frame["name"].tolist()
    assert ra.geometry.to_wkb().tolist() == rb.geometry.to_wkb().tolist()
