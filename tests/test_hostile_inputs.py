"""Messy and hostile inputs, written here as real files: each is either read right (with the
same flags as the clean input) or refused with exit 2 and a message that names the file, the
layer, the row or field, and what to do. Never a wrong result with exit 0, never the network."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS

from planner.analysis.registry import all_analyses
from planner.catalogue import default_catalogue
from planner.errors import InputError
from planner.io.loading import harmonise
from planner.io.readers import read_vector
from planner.io.sources import GDAL_OFFLINE, parse_source
from planner.project import load_project, parse_value

from .analysis_helpers import run
from .helpers import buildings_frame, squares, write

WORK = CRS.from_epsg(4546)
YEARS = ["1990", "1995", "2005", "1980年代"]
FLOORS = ["6", "3", "7", "5"]


def cli(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def load(path, role="buildings", **kwargs):
    raw = read_vector(parse_source(path), role=role, encoding=kwargs.pop("encoding", None))
    return raw, harmonise(raw, role, default_catalogue(), WORK, **kwargs)


def housing_flags(path, **kwargs):
    """(source_id, code) of the old-housing flags of a buildings file, through the real reader,
    harmoniser and analysis."""
    _, layer = load(path, **kwargs)
    out = run("old_housing", {"buildings": layer.frame}, missing={"buildings": layer.report.missing_fields})
    flags = out.flags["flag_old_housing"]
    return sorted(zip(flags["source_id"], flags["code"], strict=True))


@pytest.fixture(scope="module")
def clean_flags(tmp_path_factory):
    """The flags of the clean input: a UTF-8 GeoPackage with full Chinese field names."""
    path = write(buildings_frame(4, 建筑用途=["住宅"] * 4, 建成年代=YEARS, 地上层数=FLOORS),
                 tmp_path_factory.mktemp("clean") / "b.gpkg", layer="buildings")
    flags = housing_flags(path)
    assert {code for _, code in flags} >= {"OLD_HOUSING"} and len(flags) >= 3
    return flags


# 1. Text decoding ----------------------------------------------------------------------------
def _cut_names_shapefile(folder, *, cpg: bool):
    """Field names longer than 10 bytes cut in the middle of a UTF-8 character, as GDAL writes
    them: 建筑用途 / 建成年代 / 地上层数 are 12 bytes each, 10 are kept."""
    names = {"AAAAAAAAAA": "建筑用途", "BBBBBBBBBB": "建成年代", "CCCCCCCCCC": "地上层数"}
    frame = buildings_frame(4, AAAAAAAAAA=["住宅"] * 4, BBBBBBBBBB=YEARS, CCCCCCCCCC=FLOORS)
    shp = write(frame, folder / "b.shp", driver="ESRI Shapefile", encoding="UTF-8")
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    for placeholder, name in names.items():
        i = data.index(placeholder.encode())
        data[i:i + 10] = name.encode("utf-8")[:10]
    dbf.write_bytes(bytes(data))
    if cpg:
        shp.with_suffix(".cpg").write_text("UTF-8")
    else:
        shp.with_suffix(".cpg").unlink()
    return shp


@pytest.mark.parametrize("cpg", [False, True])
def test_utf8_field_names_cut_mid_character_are_repaired(tmp_path, clean_flags, cpg):
    shp = _cut_names_shapefile(tmp_path, cpg=cpg)
    raw, layer = load(shp)
    assert {"建筑用途", "建成年代", "地上层数"} <= set(raw.frame.columns)
    assert raw.encoding == "UTF-8" and raw.encoding_confidence >= 0.8
    assert layer.report.field_mapping["year_built"] == "建成年代"
    assert layer.report.renamed_fields["建成年代"] == "建成年"  # what the cut name read as
    assert housing_flags(shp) == clean_flags


RARE = ["䶮山小区", "𠀀村", "钢铁小区", "友谊小区"]  # 䶮 and 𠀀 are four-byte characters in GB18030


@pytest.mark.parametrize("declared", ["GBK", "936", "CP936"])
def test_gbk_declarations_decode_as_gb18030_with_rare_characters(tmp_path, declared):
    shp = write(buildings_frame(4, 小区名称=RARE, 用途=["住宅"] * 4), tmp_path / "b.shp", driver="ESRI Shapefile",
                encoding="GB18030")
    shp.with_suffix(".cpg").write_text(declared)
    raw, layer = load(shp)
    assert raw.frame["小区名称"].tolist() == RARE
    assert raw.encoding == "GB18030" and declared in raw.encoding_note
    assert not [w for w in layer.report.warnings if "decoded" in w or "not decode" in w or "uncertain" in w]


TRAD = ["友誼社區", "鋼鐵社區", "青山區", "臺北市中正路"]


def test_big5_without_cpg_is_detected(tmp_path, clean_flags):
    frame = buildings_frame(4, 建筑用途=["住宅"] * 4, 建成年代=YEARS, 地上层数=FLOORS, 社區名稱=TRAD)
    # Big5 cannot hold simplified 层/筑: those names are written in their traditional forms and
    # mapped back by hand, as a user would.
    frame = frame.rename(columns={"建筑用途": "用途", "地上层数": "CS"})
    shp = write(frame, tmp_path / "big5" / "b.shp", driver="ESRI Shapefile", encoding="CP950")
    shp.with_suffix(".cpg").unlink()
    raw, _ = load(shp)
    assert raw.encoding == "CP950" and raw.encoding_confidence >= 0.8
    assert raw.frame["社區名稱"].tolist() == TRAD and "建成年代" in raw.frame.columns
    assert housing_flags(shp) == clean_flags


def test_prj_with_a_chinese_crs_name_in_gbk(tmp_path):
    shp = write(buildings_frame(2), tmp_path / "b.shp", driver="ESRI Shapefile")
    wkt = CRS.from_epsg(4546).to_wkt("WKT1_ESRI").replace("CGCS2000_3_Degree_GK_CM_111E", "国家2000坐标系_111E")
    shp.with_suffix(".prj").write_bytes(wkt.encode("gbk"))
    raw, layer = load(shp)
    assert raw.frame.crs is not None and ".prj" in layer.report.crs_note
    # same coordinates as the GK zone it is
    assert np.allclose(layer.frame.geometry.values[0].bounds, squares(1)[0].bounds, atol=1e-6)


def test_missing_key_fields_warn_loudly_with_the_columns_seen(tmp_path):
    path = write(buildings_frame(2, 字段1=["x", "y"], 字段2=["1", "2"]), tmp_path / "b.gpkg", layer="buildings")
    _, layer = load(path)
    warning = next(w for w in layer.report.warnings if "NO COLUMN FOUND" in w)
    for word in ("year_built", "use", "floors", "字段1", "字段2", "b.gpkg", "--map buildings.year_built="):
        assert word in warning


def test_unsure_encoding_is_said(tmp_path):
    shp = write(buildings_frame(1, 名=["区"]), tmp_path / "b.shp", driver="ESRI Shapefile", encoding="GB18030")
    shp.with_suffix(".cpg").unlink()
    raw, _ = load(shp)
    assert raw.encoding == "GB18030" and raw.encoding_confidence < 0.8
    assert any("uncertain" in w and "encoding" in w for w in raw.warnings)


@pytest.mark.parametrize("encoding,names", [("cp950", ["幼兒園", "國民小學"]), ("gb18030", ["䶮幼儿园", "小学"])])
def test_csv_encodings(tmp_path, encoding, names):
    path = tmp_path / "f.csv"
    pd.DataFrame({"名": names, "lon": [109.83, 109.84], "lat": [40.65, 40.66]}).to_csv(
        path, index=False, encoding=encoding)
    raw = read_vector(parse_source(path))
    assert raw.frame.iloc[:, 0].tolist() == names and raw.encoding == encoding.upper()


# 2. One bad feature costs one feature ----------------------------------------------------------
def test_nan_coordinate_costs_one_feature_named_by_row_and_id(tmp_path, clean_flags):
    frame = buildings_frame(4, 建筑用途=["住宅"] * 4, 建成年代=YEARS, 地上层数=FLOORS)
    x0, y0 = squares(3)[2].bounds[:2]
    with warnings.catch_warnings():  # shapely says so while we build the bad file
        warnings.simplefilter("ignore", RuntimeWarning)
        frame.loc[2, "geometry"] = shapely.Polygon([(x0, y0), (x0 + 20, y0), (x0 + 20, math.nan), (x0, y0 + 20)])
    path = write(frame, tmp_path / "b.gpkg", layer="buildings")
    _, layer = load(path)
    assert len(layer.frame) == 3
    dropped = next(v for k, v in layer.report.features_dropped.items() if "NaN" in k)
    assert dropped == {"count": 1, "rows": [3], "ids": ["B2"]}
    assert any("row 3" in w and "B2" in w and "NaN" in w for w in layer.report.warnings)
    assert housing_flags(path) == [f for f in clean_flags if f[0] != "B2"]


def _wkb_circle(x, y, r):
    """CurvePolygon (WKB type 10) with one CircularString ring: a full circle."""
    pts = [(x + r, y), (x - r, y), (x + r, y)]
    ring = struct.pack("<BII", 1, 8, 3) + b"".join(struct.pack("<dd", *p) for p in pts)
    return struct.pack("<BII", 1, 10, 1) + ring


def _wkb_compound_line(x, y):
    """CompoundCurve (type 9) of a straight piece and an arc."""
    line = struct.pack("<BII", 1, 2, 2) + struct.pack("<dddd", x, y, x + 50, y)
    arc = struct.pack("<BII", 1, 8, 3) + struct.pack("<dddddd", x + 50, y, x + 75, y + 25, x + 100, y)
    return struct.pack("<BII", 1, 9, 2) + line + arc


def _replace_geometries(path, layer, wkbs):
    """Put raw WKB (curves shapely cannot make) into a GeoPackage written without spatial index."""
    with sqlite3.connect(path) as con:
        for fid, wkb in wkbs.items():
            blob = con.execute(f"select geom from {layer} where fid=?", (fid,)).fetchone()[0]
            env = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(blob[3] >> 1) & 7]
            con.execute(f"update {layer} set geom=? where fid=?", (blob[:8 + env] + wkb, fid))
        con.execute("update gpkg_geometry_columns set geometry_type_name='GEOMETRY'")


def test_curved_geometries_are_linearised(tmp_path):
    b = tmp_path / "b.gpkg"
    write(buildings_frame(3, 建筑用途=["住宅"] * 3), b, layer="buildings", layer_options={"SPATIAL_INDEX": "NO"})
    x, y = squares(1)[0].centroid.coords[0]
    multisurface = struct.pack("<BII", 1, 12, 1) + _wkb_circle(x + 100, y, 8)
    _replace_geometries(b, "buildings", {1: _wkb_circle(x, y, 10), 3: multisurface})
    with pytest.warns(RuntimeWarning):  # GDAL notes the declared type GEOMETRY
        _, layer = load(b)
    assert len(layer.frame) == 3
    assert set(shapely.get_type_id(layer.frame.geometry.values)) <= {3, 6}
    assert layer.frame.geometry.values[0].area == pytest.approx(math.pi * 100, rel=0.01)
    assert any("linearised" in n for n in layer.report.notes)
    r = tmp_path / "r.gpkg"
    roads = gpd.GeoDataFrame({"DLBH": ["R1"]}, geometry=[shapely.LineString([(x, y), (x + 1, y)])], crs=4546)
    write(roads, r, layer="roads", layer_options={"SPATIAL_INDEX": "NO"})
    _replace_geometries(r, "roads", {1: _wkb_compound_line(x, y)})
    with pytest.warns(RuntimeWarning):
        _, layer = load(r, role="roads")
    assert shapely.get_type_id(layer.frame.geometry.values[0]) == 1
    assert layer.frame.geometry.values[0].length == pytest.approx(50 + math.pi * 25, rel=0.01)


def test_collections_are_exploded_to_the_roles_type(tmp_path):
    boxes = squares(3)
    geoms = [boxes[0], shapely.GeometryCollection([boxes[1], shapely.LineString(boxes[1].exterior.coords)]),
             shapely.GeometryCollection([shapely.Point(boxes[2].centroid)])]
    path = write(gpd.GeoDataFrame({"JZBH": ["B0", "B1", "B2"], "JZYT": ["住宅"] * 3}, geometry=geoms, crs=4546),
                 tmp_path / "b.gpkg", layer="buildings")
    _, layer = load(path)
    assert layer.frame["building_id"].tolist() == ["B0", "B1"]
    assert set(shapely.get_type_id(layer.frame.geometry.values)) <= {3, 6}
    assert layer.report.geometry_exploded == 1  # B1 kept its polygon; B2 had none and is left out
    assert any("row 3" in w and "B2" in w for w in layer.report.warnings)


def test_output_layers_hold_only_their_declared_type(tmp_path):
    from planner.export.gpkg import write_layers

    boxes = squares(3)
    flags = gpd.GeoDataFrame(
        {"code": ["OLD_HOUSING"] * 3},
        geometry=[boxes[0], shapely.GeometryCollection([boxes[1], shapely.Point(0, 0)]),
                  shapely.GeometryCollection([shapely.Point(1, 1)])], crs=4546)
    links = gpd.GeoDataFrame({"code": ["ROAD_GAP"]}, geometry=[shapely.MultiLineString([[(0, 0), (1, 0)],
                                                                                       [(1, 0), (2, 0)]])], crs=4546)
    path = tmp_path / "p.gpkg"
    write_layers(path, {"flag_old_housing": (flags, "MultiPolygon", "x"), "road_gap": (links, "LineString", "y")})
    polys = pyogrio.read_dataframe(path, layer="flag_old_housing")
    assert len(polys) == 3
    assert set(polys.geometry.dropna().geom_type) == {"MultiPolygon"} and polys.geometry.isna().sum() == 1
    lines = pyogrio.read_dataframe(path, layer="road_gap")
    assert lines.geom_type.tolist() == ["LineString"] and lines.geometry.values[0].length == pytest.approx(2)


# 3. CSV and XLSX -------------------------------------------------------------------------------
def _csv(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BROKEN_CSV = [
    ("名称,lon,lat\na,109.8,40.6\nb,109.8,40.6,extra\n", ["row 3", "more fields"]),
    ("名称,lon,lat\na,109.8,40.6\n\"b,109.8,40.6\nc,109.8,40.6\n", ["row 3", "quote"]),
    ("名称,lon,lat\n", ["row 2", "no rows"]),
    ("", ["empty"]),
]


def test_broken_csv_is_exit_2_with_the_row(tmp_path):
    path = _csv(tmp_path, BROKEN_CSV[0][0])
    proc = cli("run", "--facilities", path, "--out", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    for w in ["f.csv", "What to do", *BROKEN_CSV[0][1]]:
        assert w in proc.stderr


@pytest.mark.parametrize("text,words", BROKEN_CSV)
def test_broken_csv_messages(tmp_path, text, words):
    path = _csv(tmp_path, text)
    with pytest.raises(InputError) as exc:
        read_vector(parse_source(path))
    for w in ["f.csv", "What to do", *words]:
        assert w in exc.value.message()


def test_recoverable_inputs_from_the_command_line(tmp_path, clean_flags):
    """Cut field names and a table with rows that have no coordinates: exit 0, the clean flags,
    the encoding and the dropped rows in run.json, the rows on the console."""
    shp = _cut_names_shapefile(tmp_path, cpg=False)
    rows = [f"p{i},幼儿园,109.8{i:02d},40.6" for i in range(30)]
    rows[3] = "p3,幼儿园,abc,40.6"      # file row 5
    rows[7] = "p7,幼儿园,,40.6"         # file row 9
    path = _csv(tmp_path, "名称,类型,经度,纬度\n" + "\n".join(rows) + "\n")
    proc = cli("run", "--buildings", shp, "--facilities", path, "--sheets", "none", "--out", tmp_path / "o",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    warning = next(line for line in proc.stderr.splitlines() if "rows dropped" in line)
    assert warning.startswith("warning:") and "2 of 30 rows" in warning and "rows 5, 9" in warning
    m = json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))
    assert m["inputs"]["facilities"]["rows_dropped"]["rows"] == [5, 9]
    assert m["inputs"]["facilities"]["features_loaded"] == 28
    b = m["inputs"]["buildings"]
    assert b["encoding"] == "UTF-8" and b["encoding_confidence"] >= 0.8 and "cut" in b["encoding_note"]
    assert m["analyses"]["counts_by_code"].get("OLD_HOUSING") == sum(c == "OLD_HOUSING" for _, c in clean_flags)


def test_later_errors_name_the_files_own_rows(tmp_path):
    rows = [f"p{i},幼儿园,109.8{i:02d},40.6" for i in range(30)]
    rows[3] = "p3,幼儿园,abc,40.6"      # file row 5
    rows[7] = "p7,幼儿园,,40.6"         # file row 9
    # a later error names the file's own row, not one counted after the drop
    rows[10] = "p10,幼儿园,150.0,10.0"  # file row 12: in the Pacific
    path = _csv(tmp_path, "名称,类型,经度,纬度\n" + "\n".join(rows) + "\n", name="g.csv")
    with pytest.raises(InputError, match="1 of 28 features lie outside China") as exc:
        load(path, role="facilities")
    assert "row 12" in exc.value.message() and "g.csv" in exc.value.message()


def test_xlsx_rows_are_the_sheets_rows(tmp_path):
    path = tmp_path / "f.xlsx"
    pd.DataFrame({"名称": ["a", "b", "c"], "经度": [109.8, "x", 109.9], "纬度": [40.6, 40.6, 40.7]}).to_excel(
        path, index=False)
    raw = read_vector(parse_source(path))
    assert raw.frame.index.tolist() == [2, 4] and raw.rows_dropped["rows"] == [3]
    assert any("row 3" in w for w in raw.warnings)
    empty = tmp_path / "e.xlsx"
    pd.DataFrame({"名称": [], "经度": [], "纬度": []}).to_excel(empty, index=False)
    with pytest.raises(InputError, match="no rows") as exc:
        read_vector(parse_source(empty))
    assert "e.xlsx" in exc.value.message() and "row 2" in exc.value.message()


# 4. No network, no hanging ----------------------------------------------------------------------
class _Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).seen.append(self.path)
        body = json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"JZBH": "remote"},
             "geometry": {"type": "Point", "coordinates": [109.8, 40.6]}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Recorder.seen
    server.shutdown()
    server.server_close()


def _vrt(url):
    return (f'<OGRVRTDataSource><OGRVRTLayer name="b"><SrcDataSource>/vsicurl/{url}</SrcDataSource>'
            f'</OGRVRTLayer></OGRVRTDataSource>')


def test_vrt_disguised_as_geopackage_is_refused_without_a_request(tmp_path, http_server):
    server, seen = http_server
    url = f"http://127.0.0.1:{server.server_address[1]}/b.geojson"
    fake = tmp_path / "b.gpkg"
    fake.write_text(_vrt(url), encoding="utf-8")
    proc = cli("run", "--buildings", fake, "--out", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 2 and "b.gpkg" in proc.stderr and "VRT" in proc.stderr and "What to do" in proc.stderr
    with pytest.raises(InputError, match="VRT"):
        read_vector(parse_source(fake))
    plain = tmp_path / "b.vrt"
    plain.write_text(_vrt(url), encoding="utf-8")
    with pytest.raises(InputError, match="not read"):
        read_vector(parse_source(plain))
    assert seen == []


def test_gdal_itself_stays_offline_even_past_the_gate(tmp_path, http_server):
    """Defence in depth: a VRT handed straight to GDAL makes no request either (and, as a check
    of this test, does make one once our GDAL settings are lifted)."""
    server, seen = http_server
    port = server.server_address[1]
    with pytest.raises(Exception):  # noqa: B017 (GDAL's own error)
        pyogrio.read_dataframe(_vrt(f"http://127.0.0.1:{port}/a.geojson").encode())
    assert seen == []
    pyogrio.set_gdal_config_options({k: None for k in GDAL_OFFLINE})
    try:
        try:
            pyogrio.read_dataframe(_vrt(f"http://127.0.0.1:{port}/b.geojson").encode())
        except Exception:  # noqa: S110 (whether GDAL then reads it does not matter here)
            pass
    finally:
        pyogrio.set_gdal_config_options(GDAL_OFFLINE)
    assert seen, "the test's server was not reachable: the offline check above proves nothing"


def test_rasters_are_gated_too(tmp_path, http_server):
    from planner.io.rasters import open_raster

    server, seen = http_server
    vrt = (f'<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1"><SimpleSource>'
           f'<SourceFilename>/vsicurl/http://127.0.0.1:{server.server_address[1]}/dem.tif</SourceFilename>'
           f"</SimpleSource></VRTRasterBand></VRTDataset>")
    for name in ("dem.vrt", "dem.tif"):
        (tmp_path / name).write_text(vrt, encoding="utf-8")
        with pytest.raises(InputError) as exc:
            open_raster("dem", tmp_path / name, WORK)
        assert name in exc.value.message() and "What to do" in exc.value.message()
    assert seen == []
    # the gate keeps what local side files say: a GeoTIFF whose CRS is in its .aux.xml
    import rasterio
    from rasterio.transform import from_origin

    tif = tmp_path / "aux.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=from_origin(109.8, 40.7, 0.001, 0.001)) as ds:
        ds.write(np.zeros((1, 4, 4), dtype="float32"))
    wkt = CRS.from_epsg(4490).to_wkt().replace("<", "&lt;")
    (tmp_path / "aux.tif.aux.xml").write_text(f"<PAMDataset><SRS>{wkt}</SRS></PAMDataset>", encoding="utf-8")
    assert open_raster("dem", tif, WORK).crs == "EPSG:4490"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipes_are_refused_at_once(tmp_path):
    pipe = tmp_path / "b.gpkg"
    os.mkfifo(pipe)
    shp = write(buildings_frame(1), tmp_path / "s" / "b.shp", driver="ESRI Shapefile")
    shp.with_suffix(".dbf").unlink()
    os.mkfifo(shp.with_suffix(".dbf"))
    project = tmp_path / "p.toml"
    os.mkfifo(project)
    errors = []

    def attempt():
        for call in (lambda: read_vector(parse_source(pipe)), lambda: read_vector(parse_source(shp)),
                     lambda: load_project(project)):
            try:
                call()
            except InputError as exc:
                errors.append(exc.message())

    t = threading.Thread(target=attempt, daemon=True)
    t0 = time.perf_counter()
    t.start()
    t.join(10)
    assert not t.is_alive(), "reading a named pipe hung"
    assert time.perf_counter() - t0 < 5
    assert len(errors) == 3 and all("named pipe" in e or "not a regular file" in e for e in errors)
    assert "b.gpkg" in errors[0] and "b.dbf" in errors[1] and "p.toml" in errors[2]


def test_basemap_key_only_when_asked_and_with_a_warning(tmp_path):
    from planner.export.html_map import basemap_warning, write_map

    layers = {"projects": None}
    write_map(tmp_path / "a.html", layers, title="t")
    assert "tk=" not in (tmp_path / "a.html").read_text(encoding="utf-8") and basemap_warning(None) is None
    write_map(tmp_path / "b.html", layers, title="t", basemap="tianditu:SECRET123")
    assert "SECRET123" in (tmp_path / "b.html").read_text(encoding="utf-8")
    warning = basemap_warning("tianditu:SECRET123")
    assert "map.html" in warning and "key" in warning and "SECRET123" not in warning


# 5. Parameters and project files ----------------------------------------------------------------
@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_parameters_are_refused(text):
    p = next(p for a in all_analyses() for p in a.parameters if p.name == "snap_tolerance_m")
    with pytest.raises(InputError, match="snap_tolerance_m") as exc:
        p.coerce(parse_value(text), analysis_id="roads")
    assert "finite" in exc.value.message()


def test_nan_in_a_project_file_is_refused(tmp_path):
    from planner.analysis.registry import get_analysis

    project = tmp_path / "p.toml"
    project.write_text('[inputs]\nbuildings = "b.gpkg"\n[params]\n"roads.snap_tolerance_m" = nan\n', encoding="utf-8")
    value = load_project(project).params["roads.snap_tolerance_m"]
    with pytest.raises(InputError, match="roads.snap_tolerance_m = nan is not a finite number"):
        get_analysis("roads").resolve_params({"snap_tolerance_m": value})


def test_what_analyses_prints_reads_back():
    proc = cli("analyses")
    assert proc.returncode == 0
    for a in all_analyses():
        for p in a.parameters:
            printed = repr(p.default)
            assert f"{a.id}.{p.name} = {printed}" in proc.stdout
            value = p.coerce(parse_value(printed), analysis_id=a.id)
            assert value == (list(p.default) if isinstance(p.default, tuple) else p.default), (a.id, p.name)
    roads = next(a for a in all_analyses() if a.id == "roads")
    excluded = next(p for p in roads.parameters if p.name == "excluded_classes")
    assert excluded.coerce("['path', 'track']", analysis_id="roads") == ["path", "track"]
    assert excluded.coerce("path,track", analysis_id="roads") == ["path", "track"]


def test_project_file_with_a_byte_order_mark(tmp_path):
    b = write(buildings_frame(2), tmp_path / "b.gpkg", layer="buildings")
    project = tmp_path / "p.toml"
    project.write_bytes("\ufeff[project]\nname = \"示例\"\n[inputs]\nbuildings = \"b.gpkg\"\n".encode())
    cfg = load_project(project)
    assert cfg.name == "示例" and cfg.inputs["buildings"].path == "b.gpkg" and b.exists()


@pytest.mark.parametrize("body,key", [
    ("[inputs]\nbuildings = 5\n", "inputs.buildings"),
    ("[inputs.buildings]\npath = 5\n", "inputs.buildings.path"),
    ("[inputs.buildings]\npath = \"b.gpkg\"\nmapping = { year_built = 3 }\n", "inputs.buildings.mapping.year_built"),
    ("[project]\ncrs = 4546\n", "project.crs"),
    ("inputs = 3\n", "inputs"),
    ("[rasters]\ndem = 1\n", "rasters.dem"),
])
def test_project_values_of_the_wrong_type_name_the_key(tmp_path, body, key):
    project = tmp_path / "p.toml"
    project.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_project(project)
    assert key in exc.value.message() and "p.toml" in exc.value.message() and "What to do" in exc.value.message()
    if key == "inputs.buildings":
        proc = cli("run", project, "--out", tmp_path / "o")
        assert proc.returncode == 2 and key in proc.stderr and "Traceback" not in proc.stderr


# 7. A guessed CGCS2000 ---------------------------------------------------------------------------
def test_guessed_cgcs2000_warns_about_beijing_1954_and_xian_1980(tmp_path):
    shp = write(buildings_frame(2).to_crs(4490), tmp_path / "b.shp", driver="ESRI Shapefile")
    shp.with_suffix(".prj").unlink()
    _, layer = load(shp)
    warning = next(w for w in layer.report.warnings if "no CRS" in w)
    for word in ("Beijing 1954", "Xian 1980", "tens of metres", 'crs = "EPSG:4610"', "[inputs.buildings]"):
        assert word in warning
