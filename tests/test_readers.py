"""Every reader on real files written here (and the OSM extract kept in tests/data)."""

import zipfile

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import CRS, Transformer
from rasterio.transform import from_origin

from planner.errors import InputError
from planner.io.encoding import shapefile_encoding
from planner.io.rasters import open_raster, sample_raster
from planner.io.readers import read_vector
from planner.io.sources import list_layers, parse_source

from .conftest import OSM_FILE
from .helpers import buildings_frame, write

CHINESE = ["钢铁小区", "阿尔丁小区", "友谊小区", "青山小区"]


def test_gpkg_layer_choice_and_listing(tmp_path):
    path = tmp_path / "city.gpkg"
    write(buildings_frame(3), path, layer="buildings")
    write(buildings_frame(2), path, layer="other")
    names = [n for n, _ in list_layers(parse_source(path))]
    assert names == ["buildings", "other"]
    raw = read_vector(parse_source(f"{path}:other"))
    assert len(raw.frame) == 2 and raw.layer == "other"
    # several layers and none chosen: the role's name picks one, else a clear error
    assert len(read_vector(parse_source(path), role="buildings").frame) == 3
    with pytest.raises(InputError, match="several layers"):
        read_vector(parse_source(path), role="roads")
    with pytest.raises(InputError, match="no layer 'nope'"):
        read_vector(parse_source(f"{path}:nope"))


def test_windows_drive_letter_is_not_a_layer():
    s = parse_source(r"C:\data\city.gpkg")
    assert s.layer is None and s.path.name.endswith("city.gpkg")
    s = parse_source(r"C:\data\city.gpkg:buildings")
    assert s.layer == "buildings"


def _gbk_shapefile(tmp_path, *, ldid: int = 0):
    frame = buildings_frame(4, 小区名称=CHINESE, 用途=["住宅"] * 4)
    shp = tmp_path / "gbk" / "建筑.shp"
    write(frame, shp, driver="ESRI Shapefile", encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    with shp.with_suffix(".dbf").open("r+b") as fh:
        fh.seek(29)
        fh.write(bytes([ldid]))
    return shp


def test_gbk_shapefile_without_cpg_is_decoded(tmp_path):
    shp = _gbk_shapefile(tmp_path)
    assert not shp.with_suffix(".cpg").exists()
    raw_bytes = shp.with_suffix(".dbf").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw_bytes.decode("utf-8")  # the file really is GBK
    raw = read_vector(parse_source(shp))
    assert "小区名称" in raw.frame.columns  # field names decoded too
    assert raw.frame["小区名称"].tolist() == CHINESE
    assert raw.encoding == "GB18030" and "no .cpg" in raw.encoding_note


def test_utf8_shapefile_without_cpg_is_decoded(tmp_path):
    frame = buildings_frame(4, 小区=CHINESE)  # UTF-8 names of 3 characters fit the 10-byte limit
    shp = tmp_path / "utf8" / "b.shp"
    write(frame, shp, driver="ESRI Shapefile", encoding="UTF-8")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    raw = read_vector(parse_source(shp))
    assert raw.frame["小区"].tolist() == CHINESE and raw.encoding == "UTF-8"


def test_zipped_gbk_shapefile(tmp_path):
    shp = _gbk_shapefile(tmp_path)
    zpath = tmp_path / "建筑.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp.parent.iterdir():
            zf.write(f, f"data/{f.name}")
    assert shapefile_encoding(zpath, "data/建筑.shp").encoding == "GB18030"
    raw = read_vector(parse_source(zpath))
    assert raw.frame["小区名称"].tolist() == CHINESE
    assert raw.frame.crs.to_epsg() == 4546


def test_shapefile_without_prj_has_no_crs(tmp_path):
    shp = tmp_path / "noprj" / "b.shp"
    write(buildings_frame(2), shp, driver="ESRI Shapefile")
    shp.with_suffix(".prj").unlink()
    raw = read_vector(parse_source(shp))
    assert raw.frame.crs is None and raw.crs_note == "none in the file"


def test_filegdb_read(tmp_path):
    gdb = tmp_path / "city.gdb"
    write(buildings_frame(3, XQMC=CHINESE[:3]), gdb, driver="OpenFileGDB", layer="jianzhu")
    write(buildings_frame(2), gdb, driver="OpenFileGDB", layer="other")
    assert {n for n, _ in list_layers(parse_source(gdb))} == {"jianzhu", "other"}
    raw = read_vector(parse_source(f"{gdb}:jianzhu"))
    assert raw.frame["XQMC"].tolist() == CHINESE[:3] and raw.frame.crs.to_epsg() == 4546


def test_geojson(tmp_path):
    path = write(buildings_frame(2).to_crs(4326), tmp_path / "b.geojson", driver="GeoJSON")
    raw = read_vector(parse_source(path))
    assert len(raw.frame) == 2 and raw.frame.crs.to_epsg() == 4326


def test_csv_gbk_with_lonlat_columns(tmp_path):
    path = tmp_path / "设施.csv"
    pd.DataFrame({"名称": ["幼儿园1", "小学1"], "类型": ["幼儿园", "小学"], "经度": [109.83, 109.84],
                  "纬度": [40.65, 40.66]}).to_csv(path, index=False, encoding="gbk")
    raw = read_vector(parse_source(path))
    assert raw.frame["名称"].tolist() == ["幼儿园1", "小学1"]
    assert raw.frame.crs.to_epsg() == 4490 and raw.encoding == "GB18030"
    assert raw.frame.geometry.x.tolist() == [109.83, 109.84]


def test_xlsx_with_xy_columns_has_no_crs(tmp_path):
    path = tmp_path / "facilities.xlsx"
    pd.DataFrame({"name": ["a", "b"], "X": [400100.0, 400200.0], "Y": [4500100.0, 4500300.0]}).to_excel(
        path, index=False)
    raw = read_vector(parse_source(path))
    assert raw.frame.crs is None and len(raw.frame) == 2
    assert raw.frame.geometry.y.tolist() == [4500100.0, 4500300.0]


def test_table_without_coordinates_is_a_clear_error(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="no coordinate columns") as exc:
        read_vector(parse_source(path))
    assert "t.csv" in exc.value.message()


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_vector(parse_source(tmp_path / "nope.gpkg"))
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a geopackage at all")
    with pytest.raises(InputError, match="cannot be"):
        read_vector(parse_source(bad))


def test_osm_roads_from_the_hefei_extract():
    raw = read_vector(parse_source(OSM_FILE), role="roads")
    assert raw.driver == "OSM" and raw.layer == "lines"
    assert len(raw.frame) > 100 and raw.frame["highway"].notna().all()


def test_geotiff_in_another_crs_is_sampled_in_place(tmp_path):
    # A DEM in CGCS2000 degrees; the working CRS is GK metres. Value = column index.
    path = tmp_path / "dem.tif"
    data = np.tile(np.arange(100, dtype="float32"), (100, 1))
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1, dtype="float32",
                       crs="EPSG:4490", transform=from_origin(109.8, 40.7, 0.001, 0.001)) as ds:
        ds.write(data, 1)
    work = CRS.from_epsg(4546)
    info = open_raster("dem", path, work)
    assert info.crs == "EPSG:4490"
    to_work = Transformer.from_crs(4490, work, always_xy=True)
    x, y = to_work.transform([109.8005, 109.8505, 120.0], [40.6995, 40.6505, 40.0])
    values = sample_raster(info, np.array(x), np.array(y), work)
    assert values[0] == 0 and values[1] == 50 and np.isnan(values[2])
    assert shapely.box(*info.bounds_working).contains(shapely.Point(x[1], y[1]))
