"""Harmonisation: field mapping, value parsing, geometry validation, CRS resolution."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Transformer

from planner.crs import wgs84_to_gcj02
from planner.errors import InputError
from planner.io.loading import harmonise, map_fields
from planner.io.readers import read_vector
from planner.io.sources import parse_source

from .helpers import buildings_frame, squares, write

WORK = CRS.from_epsg(4546)


def load(path, role="buildings", catalogue=None, **kwargs):
    from planner.catalogue import default_catalogue

    raw = read_vector(parse_source(path), role=role)
    return harmonise(raw, role, catalogue or default_catalogue(), WORK, **kwargs)


def test_synonyms_match_case_insensitively(catalogue):
    spec = catalogue.layer("buildings")
    mapping = map_fields(["jzbh", "Jcnd", "DSCS", "建筑用途", "有无电梯", "鉴定等级", "xqmc", "other"], spec)
    assert mapping == {"building_id": "jzbh", "year_built": "Jcnd", "floors": "DSCS", "use": "建筑用途",
                       "has_elevator": "有无电梯", "safety_grade": "鉴定等级", "compound": "xqmc"}


def test_every_synonym_of_the_spec_is_in_the_catalogue(catalogue):
    # A few from each table of input-layers.md, checked through the real mapping function.
    cases = {
        "parcels": {"DKBH": "parcel_id", "YDDM": "land_use", "地类编码": "land_use", "TDZT": "status",
                    "GDFS": "supply_type", "合同签订日期": "supply_date", "约定开工日期": "agreed_start",
                    "SJDGRQ": "actual_start", "已开发面积比例": "dev_ratio", "应开发面积": "dev_total_area",
                    "已投资额": "invested", "总投资额": "total_investment", "停工日期": "suspended_since",
                    "闲置原因": "delay_cause", "RJL": "plan_far", "DKMJ": "area"},
        "buildings": {"JZND": "year_built", "竣工年份": "year_built", "CS": "floors", "JZYT": "use",
                      "电梯": "has_elevator", "危房等级": "safety_grade", "JG": "structure", "HS": "households",
                      "JZMJ": "floor_area", "所属小区": "compound", "空置率": "vacancy_rate"},
        "facilities": {"SSBH": "facility_id", "设施名称": "name", "类别": "type"},
        "roads": {"DLBH": "road_id", "路名": "name", "DJ": "road_class", "建设状态": "status"},
    }
    for role, columns in cases.items():
        spec = catalogue.layer(role)
        for column, field in columns.items():
            assert map_fields([column], spec) == {field: column}, (role, column)


def test_values_are_parsed_and_failures_counted(tmp_path, catalogue):
    frame = buildings_frame(
        5, JCND=["1987", "1980年代", "1999年", "unknown", None], CS=["6", "6F", "6层", "x", "12"],
        有无电梯=["有", "无", "Y", "N", "maybe"], 鉴定等级=["A", "C级", "D", "b", "Z"], JZYT=["住宅", "商业", "办公", "商住", "?"],
        空置率=["50%", "10%", "", "0.6", "70"],
    )
    path = write(frame, tmp_path / "b.gpkg", layer="buildings")
    layer = load(path)
    f = layer.frame
    assert f["year_built"].tolist()[:3] == [1987, 1980, 1999]
    assert f["year_built_max"].tolist()[:3] == [1987, 1989, 1999]
    assert f["floors"].tolist()[:3] == [6, 6, 6]
    assert f["has_elevator"].tolist()[:4] == [True, False, True, False]
    assert f["safety_grade"].tolist()[:4] == ["A", "C", "D", "B"]
    assert f["use"].tolist()[:4] == ["residential", "commercial", "office", "mixed"]
    failures = layer.report.parse_failures
    assert failures["year_built"]["count"] == 1 and failures["year_built"]["examples"] == ["unknown"]
    assert failures["floors"]["count"] == 1 and failures["has_elevator"]["count"] == 1
    assert failures["safety_grade"]["count"] == 1 and failures["use"]["count"] == 1
    assert any("could not be read" in w for w in layer.report.warnings)


def test_user_mapping_overrides_and_bad_mapping_is_clear(tmp_path):
    frame = buildings_frame(2, 建造年份=["1990", "2001"], JCND=["x", "y"])
    path = write(frame, tmp_path / "b.gpkg", layer="buildings")
    layer = load(path, user_mapping={"year_built": "建造年份"})
    assert layer.frame["year_built"].tolist() == [1990, 2001]
    assert layer.report.field_mapping["year_built"] == "建造年份"
    with pytest.raises(InputError, match="not there") as exc:
        load(path, user_mapping={"year_built": "no_such_column"})
    assert "b.gpkg" in exc.value.message()
    with pytest.raises(InputError, match="not a field"):
        load(path, user_mapping={"colour": "JCND"})


def test_invalid_geometries_repaired_null_and_empty_dropped(tmp_path):
    bow = shapely.Polygon([(400000, 4500000), (400010, 4500010), (400010, 4500000), (400000, 4500010)])
    geoms = [*squares(2), bow, None, shapely.Polygon()]
    frame = gpd.GeoDataFrame({"JZBH": list("abcde")}, geometry=geoms, crs=4546)
    path = write(frame, tmp_path / "b.gpkg", layer="buildings")
    layer = load(path)
    r = layer.report
    assert (r.features_read, r.features_loaded) == (5, 3)
    assert r.geometry_repaired == 1 and r.geometry_null_dropped == 1 and r.geometry_empty_dropped == 1
    assert shapely.is_valid(layer.frame.geometry.values).all()


def test_points_given_as_parcels_is_a_clear_error(tmp_path):
    frame = gpd.GeoDataFrame({"DKBH": ["1"]}, geometry=[shapely.Point(400000, 4500000)], crs=4546)
    path = write(frame, tmp_path / "p.gpkg", layer="parcels")
    with pytest.raises(InputError, match="Point geometries") as exc:
        load(path, role="parcels")
    assert "p.gpkg" in exc.value.message() and "parcels" in exc.value.message()


def test_empty_layer_warns_and_duplicate_ids_warn(tmp_path):
    empty = gpd.GeoDataFrame({"JZBH": pd.Series([], dtype=str)}, geometry=gpd.GeoSeries([], crs=4546), crs=4546)
    path = write(empty, tmp_path / "e.gpkg", layer="buildings")
    assert any("empty" in w for w in load(path).report.warnings)
    dup = buildings_frame(3)
    dup["JZBH"] = ["a", "a", "b"]
    path = write(dup, tmp_path / "d.gpkg", layer="buildings")
    layer = load(path)
    assert layer.report.duplicate_ids == 2 and any("share an id" in w for w in layer.report.warnings)


def test_missing_ids_get_row_numbers(tmp_path):
    frame = gpd.GeoDataFrame({"XQMC": ["a", "b"]}, geometry=squares(2), crs=4546)
    layer = load(write(frame, tmp_path / "b.gpkg", layer="buildings"))
    assert layer.frame["building_id"].tolist() == ["row1", "row2"]  # the file's own rows (first = 1)
    assert "building_id" in layer.report.missing_fields


def test_reprojects_geographic_input_to_working_crs(tmp_path):
    path = write(buildings_frame(2).to_crs(4490), tmp_path / "b.gpkg", layer="buildings")
    layer = load(path)
    assert layer.frame.crs.equals(WORK)
    assert np.allclose(layer.frame.geometry.values[0].bounds, squares(1)[0].bounds, atol=1e-3)


def test_no_prj_prefixed_easting_is_guessed_with_warning(tmp_path):
    frame = buildings_frame(2).to_crs(4525)  # zone 37 with prefix
    shp = write(frame, tmp_path / "s" / "b.shp", driver="ESRI Shapefile")
    shp.with_suffix(".prj").unlink()
    layer = load(shp)
    assert "guessed" in layer.report.crs_note and "EPSG:4525" in layer.report.crs_note
    assert any("no CRS" in w for w in layer.report.warnings)
    assert np.allclose(layer.frame.geometry.values[0].bounds, squares(1)[0].bounds, atol=1e-3)


def test_no_prj_without_prefix_needs_a_zone_hint(tmp_path):
    shp = write(buildings_frame(2), tmp_path / "s" / "b.shp", driver="ESRI Shapefile")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="no CRS") as exc:
        load(shp)
    assert "EPSG" in exc.value.message()  # says what to do
    layer = load(shp, zone_hint_cm=111)
    assert "assumed" in layer.report.crs_note


def test_declared_crs_wins(tmp_path):
    shp = write(buildings_frame(2), tmp_path / "s" / "b.shp", driver="ESRI Shapefile")
    shp.with_suffix(".prj").unlink()
    layer = load(shp, declared_crs="EPSG:4546")
    assert "declared" in layer.report.crs_note


def test_gcj02_points_are_converted(tmp_path):
    to_deg = Transformer.from_crs(4546, 4326, always_xy=True)
    lon, lat = to_deg.transform([400100.0], [4500100.0])
    glon, glat = wgs84_to_gcj02(np.array(lon), np.array(lat))
    path = tmp_path / "f.csv"
    pd.DataFrame({"名称": ["幼儿园"], "类型": ["幼儿园"], "经度": glon, "纬度": glat}).to_csv(path, index=False)
    raw_layer = load(path, role="facilities")
    off = raw_layer.frame.geometry.values[0].distance(shapely.Point(400100, 4500100))
    assert off > 50  # without conversion the point is hundreds of metres away
    layer = load(path, role="facilities", offset="gcj02")
    assert layer.frame.geometry.values[0].distance(shapely.Point(400100, 4500100)) < 0.5
    assert layer.frame["type"].tolist() == ["kindergarten"]


def test_out_of_range_coordinates_name_layer_and_rows(tmp_path):
    frame = buildings_frame(3).to_crs(4490)
    frame.loc[2, "geometry"] = shapely.box(150, 10, 150.001, 10.001)  # in the Pacific
    path = write(frame, tmp_path / "b.gpkg", layer="buildings")
    with pytest.raises(InputError, match="1 of 3 features lie outside China") as exc:
        load(path)
    assert "b.gpkg" in exc.value.message() and "row 3" in exc.value.message()  # the third feature
