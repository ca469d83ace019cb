"""Waterlogging points (易涝积水点) from a DEM: planted hollows and decoys on DEMs written here.

The terrain is flat at 1000 m (so a hollow's spill level is 1000 m and its depth the planted
one) with flat-bottomed bowls; every threshold has a bowl on each side of it. The same terrain
is written once on a grid of the working CRS (CGCS2000 3-degree GK, EPSG:4546) and once on a
grid of CGCS2000 geographic degrees (EPSG:4490), which the analysis warps to the working CRS.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import CRS, Transformer
from rasterio.transform import from_bounds, from_origin

from planner.analysis.registry import AnalysisInputs, get_analysis
from planner.catalogue import default_catalogue
from planner.errors import InputError
from planner.feedback import Feedback
from planner.io.rasters import open_raster

from .analysis_helpers import CRS_WORK, X0, Y0, frame

W, H = 600.0, 400.0          # the DEM's extent (m, local to X0, Y0)
BASE = 1000.0

# name: (x, y, radius, depth)
BOWLS = {
    "deep_road": (60.0, 300.0, 14.0, 0.57),          # 0.57 >= severe 0.5 -> severity 3
    "just_deep_enough": (140.0, 300.0, 14.0, 0.37),  # above min depth 0.3, below severe 0.5 -> 2
    "too_shallow": (220.0, 300.0, 14.0, 0.23),       # below min depth 0.3
    "large_enough": (300.0, 300.0, 10.0, 0.6),       # ~314 m² > 200
    "too_small": (380.0, 300.0, 7.0, 0.6),           # ~154 m² < 200
    "five_homes": (60.0, 150.0, 20.0, 0.43),         # 5 residential buildings -> severity 3
    "four_homes": (160.0, 150.0, 20.0, 0.43),        # 4 residential buildings (+1 shop) -> 2
    "shop_only": (260.0, 150.0, 14.0, 0.6),          # touches a commercial building only
    "planned_road": (360.0, 150.0, 14.0, 0.6),       # touches a planned road only
    "nothing": (460.0, 150.0, 14.0, 0.6),            # touches nothing
    "open_edge": (0.0, 60.0, 25.0, 1.0),             # centred on the west edge: drains out
    "nodata_bottom": (150.0, 60.0, 20.0, 0.8),       # its bottom is nodata: drains
    "beside_nodata": (300.0, 60.0, 20.0, 0.8),       # nodata beside it, not touching: stays
}
NODATA_BOX = (145.0, 55.0, 155.0, 65.0)              # inside the nodata_bottom bowl's flat bottom
NODATA_BESIDE = (330.0, 40.0, 345.0, 80.0)           # 10 m east of the beside_nodata bowl's rim


def terrain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elevation at local coordinates (NaN at nodata)."""
    z = np.full(np.shape(x), BASE, dtype=np.float64)
    for cx, cy, radius, depth in BOWLS.values():
        r = np.hypot(x - cx, y - cy)
        t = np.clip((radius - r) / (0.6 * radius), 0, 1)
        z = np.minimum(z, BASE - depth * t * t * (3 - 2 * t))
    for x0, y0, x1, y1 in (NODATA_BOX, NODATA_BESIDE):
        z[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)] = np.nan
    return z


def write_dem(path, crs: str = "EPSG:4546", cell: float = 1.0):
    """The terrain on a grid of ``crs`` (the working CRS, or geographic degrees of about
    ``cell`` metres), nodata -9999."""
    if crs == "EPSG:4546":
        nx, ny = int(W / cell), int(H / cell)
        transform = from_origin(X0, Y0 + H, cell, cell)
        cols, rows = np.meshgrid(np.arange(nx) + 0.5, np.arange(ny) + 0.5)
        x, y = cols * cell, H - rows * cell
    else:
        to_geo = Transformer.from_crs(4546, crs, always_xy=True)
        to_work = Transformer.from_crs(crs, 4546, always_xy=True)
        lon0, lat0 = to_geo.transform(X0, Y0)
        lon1, lat1 = to_geo.transform(X0 + W, Y0 + H)
        nx, ny = int(W / cell), int(H / cell)
        transform = from_bounds(lon0, lat0, lon1, lat1, nx, ny)
        cols, rows = np.meshgrid(np.arange(nx) + 0.5, np.arange(ny) + 0.5)
        lon = transform.c + cols * transform.a
        lat = transform.f + rows * transform.e
        x, y = to_work.transform(lon, lat)
        x, y = np.asarray(x) - X0, np.asarray(y) - Y0
    z = terrain(x, y).astype("float32")
    z[~np.isfinite(z)] = -9999.0
    with rasterio.open(path, "w", driver="GTiff", width=nx, height=ny, count=1, dtype="float32", crs=crs,
                       transform=transform, nodata=-9999.0) as ds:
        ds.write(z, 1)
    return path


def _disc_edge(cx, cy, radius, angle_deg):
    a = np.deg2rad(angle_deg)
    return X0 + cx + 0.8 * radius * np.cos(a), Y0 + cy + 0.8 * radius * np.sin(a)


def layers():
    """Roads through some bowls, residential buildings (4 m squares) in others."""
    roads, road_geoms = [], []

    def road(rid, pts, status=None, name=None):
        roads.append({"road_id": rid, "status": status, "name": name})
        road_geoms.append(shapely.LineString([(X0 + x, Y0 + y) for x, y in pts]))

    # one E-W street through the upper row of bowls, with a gap around five_homes' row
    road("R1", [(-10, 300), (610, 300)], name="北街")
    road("R2", [(340, 150), (380, 150)], status="planned", name="规划路")
    road("R3", [(-10, 60), (40, 60)], name="西路")          # over the open-edge bowl
    road("R4", [(120, 60), (330, 60)], name="南街")         # over the nodata bowls
    road("R5", [(500, 10), (590, 10)], name="远路")         # touches nothing planted
    buildings, b_geoms = [], []

    def building(bid, x, y, use):
        buildings.append({"building_id": bid, "use": use, "households": 12})
        b_geoms.append(shapely.box(x - 2, y - 2, x + 2, y + 2))

    for i, angle in enumerate((0, 72, 144, 216, 288)):
        building(f"H5-{i}", *_disc_edge(*BOWLS["five_homes"][:3], angle), "residential")
    for i, angle in enumerate((0, 90, 180, 270)):
        building(f"H4-{i}", *_disc_edge(*BOWLS["four_homes"][:3], angle), "residential")
    building("S4", X0 + 160, Y0 + 150, "commercial")
    building("S1", X0 + 260, Y0 + 150, "commercial")
    building("FAR", X0 + 550, Y0 + 350, "residential")
    return {"roads": frame(roads, road_geoms), "buildings": frame(buildings, b_geoms)}


def run(dem_path, params=None, name="dem", layer_set=None):
    analysis = get_analysis("waterlogging")
    rasters = {} if dem_path is None else {name: open_raster(name, dem_path, CRS_WORK)}
    inputs = AnalysisInputs(layers=layer_set or layers(), as_of=dt.date(2026, 6, 30), catalogue=default_catalogue(),
                            crs=CRS_WORK, rasters=rasters)
    missing = analysis.missing_inputs(inputs)
    assert not missing, missing
    return analysis.run(inputs, analysis.resolve_params(params or {}), Feedback())


def by_bowl(flags) -> dict[str, pd.Series]:
    """The flag of each planted bowl (matched by the bowl's centre inside the flag's polygon)."""
    out = {}
    for name, (cx, cy, _, _) in BOWLS.items():
        hit = shapely.contains_xy(flags.geometry.values, X0 + cx, Y0 + cy)
        assert hit.sum() <= 1
        if hit.any():
            out[name] = flags.iloc[int(np.flatnonzero(hit)[0])]
    return out


FLAGGED = {"deep_road", "just_deep_enough", "large_enough", "five_homes", "four_homes", "beside_nodata"}


@pytest.fixture(scope="module", params=["EPSG:4546", "EPSG:4490"], ids=["same-crs", "dem-in-degrees"])
def dem(request, tmp_path_factory):
    return write_dem(tmp_path_factory.mktemp("dem") / "dem.tif", request.param)


@pytest.fixture(scope="module")
def result(dem):
    return run(dem)


def test_planted_hollows_are_flagged_and_decoys_are_not(result, dem):
    flags = result.flags["flag_waterlogging"]
    found = by_bowl(flags)
    assert set(found) == FLAGGED, result.messages
    assert len(flags) == len(FLAGGED)
    assert (flags["code"] == "WATERLOGGING").all() and (flags["source_layer"] == "dem").all()
    for name, row in found.items():
        depth = BOWLS[name][3]
        assert row["depth_m"] == pytest.approx(depth, abs=0.02), name
        assert row["area_m2"] == pytest.approx(np.pi * BOWLS[name][2] ** 2, rel=0.2), name
        # the volume of a smoothstep bowl with a flat bottom of 0.4 R: 2 pi depth x the integral of the profile
        r = np.linspace(0, BOWLS[name][2], 2001)
        t = np.clip((BOWLS[name][2] - r) / (0.6 * BOWLS[name][2]), 0, 1)
        volume = np.trapezoid(2 * np.pi * r * depth * t * t * (3 - 2 * t), r)
        if name != "beside_nodata":
            assert row["volume_m3"] == pytest.approx(volume, rel=0.1), name
    assert shapely.is_valid(flags.geometry.values).all()
    assert set(shapely.get_type_id(flags.geometry.values)) <= {3, 6}


def test_severity_on_both_sides_of_depth_and_homes(result):
    found = by_bowl(result.flags["flag_waterlogging"])
    assert found["deep_road"]["severity"] == 3              # 0.57 m >= 0.5
    assert found["just_deep_enough"]["severity"] == 2       # 0.37 m, touches a road only
    assert found["five_homes"]["severity"] == 3             # 0.43 m but 5 homes
    assert found["four_homes"]["severity"] == 2             # 0.43 m and 4 homes (the shop does not count)
    assert "严重" in found["deep_road"]["reason"] and "0.5 m" in found["deep_road"]["reason"]
    assert "5栋" in found["five_homes"]["reason"] and "severe: 5 or more homes" in found["five_homes"]["reason_en"]
    assert "严重" not in found["four_homes"]["reason"]


def test_what_each_hollow_touches(result):
    found = by_bowl(result.flags["flag_waterlogging"])
    row = found["five_homes"]
    assert row["residential_count"] == 5 and row["road_ids"] == ""
    assert sorted(row["building_ids"].split(",")) == [f"H5-{i}" for i in range(5)]
    row = found["four_homes"]
    assert row["residential_count"] == 4 and "S4" not in row["building_ids"]
    row = found["deep_road"]
    assert row["road_ids"] == "R1" and row["road_names"] == "北街" and row["residential_count"] == 0
    assert "北街" in row["reason"] and "road '北街'" in row["reason_en"]  # a name quoted in English
    assert found["beside_nodata"]["road_ids"] == "R4"


def test_thresholds_are_parameters(dem):
    found = by_bowl(run(dem, {"min_depth_m": 0.2, "min_area_m2": 100}).flags["flag_waterlogging"])
    assert {"too_shallow", "too_small"} <= set(found)
    found = by_bowl(run(dem, {"min_depth_m": 0.4, "severe_depth_m": 0.6, "severe_buildings": 4}
                        ).flags["flag_waterlogging"])
    assert "just_deep_enough" not in found and "deep_road" in found
    assert found["deep_road"]["severity"] == 2                # 0.57 < 0.6
    assert found["four_homes"]["severity"] == 3               # 4 homes >= 4


def test_the_raster_is_found_by_its_kind(dem):
    flags = run(dem, name="elevation").flags["flag_waterlogging"]  # a synonym of dem (layers/rasters.toml)
    assert set(by_bowl(flags)) == FLAGGED


def test_without_a_dem_the_analysis_is_skipped():
    analysis = get_analysis("waterlogging")
    inputs = AnalysisInputs(layers=layers(), as_of=dt.date(2026, 6, 30), catalogue=default_catalogue(), crs=CRS_WORK)
    assert analysis.missing_inputs(inputs) == ["raster 'dem'"]


def test_a_dem_elsewhere_is_refused(tmp_path):
    path = tmp_path / "far.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32", crs="EPSG:4546",
                       transform=from_origin(X0 + 50_000, Y0, 1, 1)) as ds:
        ds.write(np.full((1, 10, 10), 5.0, dtype="float32"))
    with pytest.raises(InputError) as err:
        run(path)
    assert "far.tif" in err.value.message() and "overlap" in err.value.message()


def test_an_all_nodata_dem_is_refused(tmp_path):
    path = tmp_path / "empty.tif"
    with rasterio.open(path, "w", driver="GTiff", width=50, height=50, count=1, dtype="float32", crs="EPSG:4546",
                       transform=from_origin(X0, Y0 + 50, 1, 1), nodata=-9999.0) as ds:
        ds.write(np.full((1, 50, 50), -9999.0, dtype="float32"))
    with pytest.raises(InputError) as err:
        run(path)
    assert "nodata" in err.value.message()


def test_the_fill_drains_edges_and_nodata_like_the_classic_reconstruction():
    """RichDEM's Priority-Flood with the nodata refill equals scikit-image's reconstruction by
    erosion seeded at the edges and next to nodata, on rough random terrain with nodata holes
    (inside, and on the edge)."""
    from scipy import ndimage
    from skimage.morphology import reconstruction

    from planner.analysis.waterlogging import fill_depressions

    rng = np.random.default_rng(7)
    z = ndimage.gaussian_filter(rng.normal(size=(300, 240)), 3).astype(np.float32) * 50 + 1000
    z[100:104, 50:53] = np.nan
    z[200:230, 150:160] = np.nan
    z[0:20, 100:120] = np.nan
    z[rng.random(z.shape) < 0.001] = np.nan
    valid = np.isfinite(z)
    low = np.nanmin(z) - 1
    mask = np.where(valid, z, low)
    drains = ~ndimage.binary_erosion(valid, structure=np.ones((3, 3)), border_value=0)
    seed = np.where(drains, mask, mask.max())
    expected = reconstruction(seed, mask, method="erosion")
    got = fill_depressions(z)
    assert np.array_equal(np.isnan(got), ~valid)
    assert np.allclose(got[valid], expected[valid], atol=1e-4)
    assert (got[valid] > z[valid]).sum() > 1000  # there was something to fill


def test_the_sample_city_has_waterlogging_points(sample_workspace):
    from planner.analysis.runner import run_analyses

    cfg, ws = sample_workspace
    result = run_analyses(ws, cfg, Feedback(), only=["old_housing", "waterlogging"])
    flags = result.flags["flag_waterlogging"]
    # three planted hollows (make_sample_city.DEM_HOLLOWS); five decoys are not flagged
    assert len(flags) == 3, result.messages
    assert sorted(flags["severity"].tolist()) == [2, 3, 3]
    assert (flags["residential_count"] > 0).sum() == 2 and (flags["road_ids"] != "").sum() == 2
    assert flags["flag_id"].str.startswith("WATERLOGGING:WL").all()
    assert CRS(flags.crs) == CRS(ws.working_crs)


@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    """A project file with the test's roads and buildings (GeoPackage) and the DEM in degrees."""
    folder = tmp_path_factory.mktemp("project")
    lay = layers()
    lay["roads"].to_file(folder / "city.gpkg", layer="roads", driver="GPKG", engine="pyogrio")
    lay["buildings"].assign(floors=6, year_built=1990).to_file(folder / "city.gpkg", layer="buildings", driver="GPKG",
                                                               engine="pyogrio")
    write_dem(folder / "高程.tif", "EPSG:4490")
    (folder / "project.toml").write_text(
        '[project]\nname = "积水测试"\nas_of = "2026-06-30"\ncrs = "EPSG:4546"\n\n'
        '[inputs.roads]\npath = "city.gpkg:roads"\n\n[inputs.buildings]\npath = "city.gpkg:buildings"\n\n'
        '[rasters]\nelevation = "高程.tif"\n', encoding="utf-8")
    return folder / "project.toml"


def test_the_flags_and_projects_reach_every_deliverable(small_project, tmp_path):
    import sqlite3

    import openpyxl
    import pyogrio

    from planner.pipeline import run_job
    from planner.project import load_project

    cfg = load_project(small_project)
    out = tmp_path / "out"
    manifest, _ = run_job(cfg, out, Feedback(), export_options={"sheets": False})
    assert manifest["analyses"]["counts_by_code"]["WATERLOGGING"] == len(FLAGGED)
    flags = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="flag_waterlogging")
    assert len(flags) == len(FLAGGED)
    assert {"depth_m", "area_m2", "volume_m3", "road_ids", "building_ids", "residential_count"} <= set(flags.columns)
    with sqlite3.connect(out / "portfolio.gpkg") as con:
        desc = con.execute("SELECT description FROM gpkg_contents WHERE table_name='flag_waterlogging'").fetchone()[0]
        alias = con.execute("SELECT name FROM gpkg_data_columns WHERE table_name='flag_waterlogging' "
                            "AND column_name='depth_m'").fetchone()
    assert "易涝积水点" in desc and alias[0] == "最大积水深度（m）"
    # one 排水防涝 project per waterlogging point, its homes and households carried
    projects = pyogrio.read_dataframe(out / "portfolio.gpkg", layer="projects")
    drainage = projects[projects["type"] == "drainage"]
    assert len(drainage) == len(FLAGGED)
    assert drainage["project_id"].str.startswith("DR-").all()
    assert (drainage["type_title"] == "排水防涝").all() and (drainage["unit"] == "m³").all()
    five = drainage[drainage["flags"].isin(flags.loc[flags["residential_count"] == 5, "flag_id"])].iloc[0]
    assert five["buildings"] == 5 and five["households"] == 60
    assert sorted(five["building_ids"].split(",")) == [f"H5-{i}" for i in range(5)]
    assert five["estimated_cost"] == pytest.approx(five["quantity"] * 0.2, rel=1e-3)
    road = drainage[drainage["name"].str.startswith("北街")]
    assert len(road) == 3 and road["name"].is_unique                # three points on 北街, numbered
    wb = openpyxl.load_workbook(out / "portfolio.xlsx", read_only=True)
    assert "易涝积水点" in wb.sheetnames
    indicators = [r for r in wb["城市体检指标"].iter_rows(values_only=True) if r and "易涝积水点数量" in map(str, r)]
    assert indicators and str(len(FLAGGED)) in {str(v).split(".")[0] for v in indicators[0]}, indicators
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "易涝积水点" in html and "#2166AC".lower() in html.lower()


def test_the_session_map_and_flag_panel_show_them(small_project):
    from planner.session import Session

    s = Session()
    s.open(small_project)
    s.run_checks()
    layer = s.layer_of_role("flags:flag_waterlogging")
    assert layer is not None and "易涝积水点" in layer.name and layer.visible
    assert len(layer.frame) == len(FLAGGED)
    pytest.importorskip("PyQt6")
    from planner.gui.app import make_app
    from planner.gui.review import FlagReviewPanel

    app = make_app()  # noqa: F841 (kept alive while the panel exists)
    panel = FlagReviewPanel()
    panel.show_flags(s.result.flags, s.decisions)
    model = panel.model
    rules = {str(model.data(model.index(r, 0))) for r in range(model.rowCount())}
    assert any("易涝积水点" in t for t in rules), sorted(rules)[:10]


def test_polygons_of_kept_labels_only_with_islands_and_diagonal_parts():
    from rasterio.transform import from_origin as origin

    from planner.analysis.waterlogging import polygons_of

    labels = np.zeros((20, 20), dtype=np.int32)
    labels[2:9, 2:9] = 1
    labels[5, 5] = 0                      # an island (a hole in the polygon)
    labels[9, 9] = 1                      # a part joined to it by a corner only (8-neighbour)
    labels[12:15, 12:18] = 2              # not kept
    labels[16:19, 1:4] = 3
    polys = polygons_of(labels, np.array([3, 1]), origin(0, 20, 1, 1))
    assert [round(p.area) for p in polys] == [9, 49 - 1 + 1]
    assert shapely.is_valid(polys).all()
    assert shapely.get_num_interior_rings(shapely.get_geometry(polys[1], 0)) == 1
