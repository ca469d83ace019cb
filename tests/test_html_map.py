"""map.html read as a file: offline, its own script no newer than ES2017, base layers in it,
popups in Chinese with formatted numbers, and a flag family too long to draw one by one
summarised per building (then per grid cell) with a note saying so."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

esprima = pytest.importorskip("esprima")


@pytest.fixture(scope="module")
def demo(sample_run):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    return out


def _config(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="rp-config">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def _block(html: str, block: str) -> dict:
    """A data block read back as a GeoJSON FeatureCollection (lon/lat), decoded here on its own
    from the compact form map_app.js reads (see html_map._features)."""
    m = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', html, re.S)
    return _decoded(json.loads(m.group(1)))


def _decoded(d: dict) -> dict:
    n, scale = d["n"], 10.0 ** d["d"]
    xy = np.cumsum(np.asarray(d["c"], dtype=np.int64).reshape(-1, 2), axis=0) / scale
    per_feature = d.get("f", [1] * n)
    n_parts = sum(per_feature)
    kinds = d["k"] if isinstance(d["k"], list) else [d["k"]] * n_parts
    rings_per_part = d.get("p", [1] * n_parts)
    vertices = d.get("r", [1] * sum(rings_per_part))
    features, v, part, ring = [], 0, 0, 0
    for i in range(n):
        parts = []
        for _ in range(per_feature[i]):
            rings = []
            for _ in range(rings_per_part[part]):
                pts = xy[v:v + vertices[ring]].tolist()
                v, ring = v + vertices[ring], ring + 1
                rings.append(pts + pts[:1] if kinds[part] == 2 else pts)
            parts.append((kinds[part], rings))
            part += 1
        kinds_here = {k for k, _ in parts}
        if not parts:
            geometry = None
        elif kinds_here == {0}:
            geometry = ({"type": "Point", "coordinates": parts[0][1][0][0]} if len(parts) == 1 else
                        {"type": "MultiPoint", "coordinates": [r[0][0] for _, r in parts]})
        elif kinds_here == {1}:
            lines = [line for _, r in parts for line in r]
            geometry = ({"type": "LineString", "coordinates": lines[0]} if len(lines) == 1 else
                        {"type": "MultiLineString", "coordinates": lines})
        elif kinds_here == {2}:
            geometry = ({"type": "Polygon", "coordinates": parts[0][1]} if len(parts) == 1 else
                        {"type": "MultiPolygon", "coordinates": [r for _, r in parts]})
        else:
            geometry = {"type": "GeometryCollection", "geometries": []}
        props = {k: (col["k"][col["i"][i]] if isinstance(col, dict) else col[i]) for k, col in d["props"].items()}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    assert v == len(xy), "every coordinate belongs to a feature"
    return {"type": "FeatureCollection", "features": features}


_NEWER = {  # ES2018+ syntax esprima 4 still reads, found in the tree instead
    "SpreadElement in an object literal (ES2018)": lambda node, parent: node.type == "SpreadElement"
    and parent is not None and parent.type == "ObjectExpression",
    "rest element in an object pattern (ES2018)": lambda node, parent: node.type == "RestElement"
    and parent is not None and parent.type == "ObjectPattern",
    "for await (ES2018)": lambda node, parent: node.type == "ForOfStatement" and getattr(node, "await", False),
    "async generator (ES2018)": lambda node, parent: node.type in ("FunctionDeclaration", "FunctionExpression")
    and node.isAsync and node.generator,
    "catch without a binding (ES2019)": lambda node, parent: node.type == "CatchClause" and node.param is None,
}


def _es2017_violations(source: str) -> list[str]:
    """Parse as a script (esprima reads ES2017 and rejects ?., ??, class fields, BigInt ...)
    and walk the tree for the ES2018+ constructs it still accepts."""
    tree = esprima.parseScript(source, {"tolerant": False})
    found = []

    def walk(node, parent=None):
        if isinstance(node, list):
            for n in node:
                walk(n, parent)
            return
        if not hasattr(node, "type"):
            return
        for what, test in _NEWER.items():
            if test(node, parent):
                found.append(what)
        if node.type == "Literal" and getattr(node, "regex", None) and re.search(r"[su]", node.regex.flags or ""):
            if "s" in node.regex.flags:
                found.append("regex dotAll flag (ES2018)")
        for value in vars(node).values():
            if isinstance(value, list) or hasattr(value, "type"):
                walk(value, node)

    walk(tree)
    return found


def test_es2017_checker_catches_newer_syntax():
    assert _es2017_violations("var a = {b: 1}; async function f() { await g(); }") == []
    assert _es2017_violations("var a = {...b};")
    with pytest.raises(esprima.Error):
        _es2017_violations("var x = a?.b;")


def test_the_pages_own_script_is_es2017_and_offline(demo):
    html = (demo / "map.html").read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src=', html) and not re.search(r'<link[^>]+href="https?://', html)
    assert "https://" not in html.split('id="rp-config"')[1].split("rp-app")[0]
    scripts = re.findall(r"<script(?: id=\"rp-app\")?>(.*?)</script>", html, re.S)
    own = [s for s in scripts if "Leaflet" not in s[:2000] and s.strip()]
    assert own, "the page's own script is inline"
    for source in own:
        assert _es2017_violations(source) == []
    assert "..." not in own[-1].replace("…", "")


def test_base_layers_legend_and_language(demo):
    html = (demo / "map.html").read_text(encoding="utf-8")
    cfg = _config(html)
    titles = [layer["title"] for layer in cfg["layers"]]
    for word in ("研究范围", "地块", "现状建筑", "道路", "更新项目", "生活圈短板"):
        assert any(word in t for t in titles), word
    roads = next(layer for layer in cfg["layers"] if layer["kind"] == "roads")
    data = _block(html, roads["data"])
    names = {f["properties"]["name"] for f in data["features"]}
    assert {"钢铁大街", "团结大街"} <= names
    assert {e[0] for e in roads["legend"]} >= {"主干路", "支路"}
    # legends per layer carry titles, never codes
    flat = [e[0] for layer in cfg["layers"] for e in layer.get("legend", [])]
    assert not any(re.fullmatch(r"[A-Z_0-9]+", e) for e in flat)
    assert any("老旧住宅" in e for e in flat)
    assert cfg["text"]["legend"] == "图例" and cfg["holds"]
    projects = next(layer for layer in cfg["layers"] if layer["kind"] == "projects")
    props = [f["properties"] for f in _block(html, projects["data"])["features"]]
    assert {p["status"] for p in props} == {"草案"}
    assert all("," in p["estimated_cost"] for p in props if float(p["estimated_cost"].replace(",", "")) >= 1000)
    assert not any(re.search(r"\.\d{3,}", p["estimated_cost"]) for p in props)  # no raw 2402.4111
    fields = dict(projects["fields"])
    assert fields["estimated_cost"] == "估算投资（万元）" and fields["type_title"] == "项目类型"
    assert any(p["subtype"] == "幼儿园" for p in props)


def test_a_long_flag_family_is_summarised_and_says_so(demo, tmp_path):
    from planner.export.html_map import write_map

    gaps = pyogrio.read_dataframe(demo / "portfolio.gpkg", layer="service_gap")
    out = write_map(tmp_path / "m.html", {"service_gap": gaps}, title="t", max_features=2000)
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    cfg = _config(html)
    layer = cfg["layers"][0]
    assert "按要素汇总" in layer["title"] and any("逐条显示已无意义" in h and "portfolio.gpkg" in h for h in out["holds"])
    features = _block(html, layer["data"])["features"]
    assert len(features) == gaps["source_id"].nunique()
    one = features[0]["properties"]
    expected = gaps.loc[gaps["source_id"] == one["source_id"], "facility_title"]
    assert set(one["detail"].split("、")) == set(expected) and int(one["n"].replace(",", "")) == len(expected)
    # fewer cells than buildings allowed: a grid
    out = write_map(tmp_path / "g.html", {"service_gap": gaps}, title="t", max_features=100)
    cfg = _config((tmp_path / "g.html").read_text(encoding="utf-8"))
    assert cfg["layers"][0]["kind"] == "grid" and "网格" in cfg["layers"][0]["title"]


def test_many_buildings_are_one_image(tmp_path):
    from planner.export.html_map import VECTOR_BUILDINGS, write_map

    n = VECTOR_BUILDINGS + 10
    rng = np.random.default_rng(0)
    x = 400000 + rng.random(n) * 5000
    y = 4500000 + rng.random(n) * 5000
    b = gpd.GeoDataFrame({"building_id": np.arange(n).astype(str)}, geometry=shapely.box(x, y, x + 12, y + 10),
                         crs=4546)
    write_map(tmp_path / "b.html", {}, title="t", base={"buildings": b})
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    cfg = _config(html)
    layer = cfg["layers"][0]
    assert layer["kind"] == "image" and layer["url"].startswith("data:image/png;base64,")
    assert (tmp_path / "b.html").stat().st_size < 3_000_000
    (lat0, lon0), (lat1, lon1) = layer["bounds"]
    assert 40 < lat0 < lat1 < 41 and 109 < lon0 < lon1 < 111


def test_per_source_summary_lists_each_type_once_in_order(tmp_path):
    """A building's flags become one point listing the facility types it lacks, each once, in
    the order first met; a flag without a type adds nothing to the list."""
    from planner.export.html_map import _source_summary

    flags = gpd.GeoDataFrame({"source_id": ["B2", "B1", "B2", "B2", "B1", "B3"], "code": "SERVICE_GAP",
                              "facility_type": ["park", "culture", "culture", "park", None, None]},
                             geometry=shapely.points([[2, 2], [1, 1], [2, 2], [2, 2], [1, 1], [3, 3]]), crs=4546)
    out = _source_summary(flags, "en")
    got = pd.DataFrame({"id": out["source_id"], "detail": out["detail"], "n": out["n"]}).to_dict("records")
    assert got == [{"id": "B2", "detail": "Park, Culture", "n": 3}, {"id": "B1", "detail": "Culture", "n": 2},
                   {"id": "B3", "detail": "", "n": 1}]
    assert shapely.equals(out.geometry.values, shapely.points([[2, 2], [1, 1], [3, 3]])).all()


def test_more_projects_than_drawn_as_shapes_draw_the_small_ones_as_points(demo, tmp_path):
    """Past max_features projects, those smaller than SMALL_PROJECT_M2 are points in their place
    (every project still on the page, searchable), and the page says so."""
    from planner.export.html_map import SMALL_PROJECT_M2, write_map

    projects = pyogrio.read_dataframe(demo / "portfolio.gpkg", layer="projects")
    area = shapely.area(projects.geometry.values)
    small = (area < SMALL_PROJECT_M2) & (shapely.get_type_id(projects.geometry.values) >= 3)
    assert 0 < small.sum() < len(projects)
    out = write_map(tmp_path / "p.html", {"projects": projects}, title="t", max_features=len(projects) - 1)
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    layer = next(layer for layer in _config(html)["layers"] if layer["kind"] == "projects")
    features = _block(html, layer["data"])["features"]
    assert len(features) == len(projects)
    kinds = {f["properties"]["project_id"]: f["geometry"]["type"] for f in features}
    ids = projects["project_id"].to_numpy()
    assert {kinds[i] for i in ids[small]} == {"Point"}
    assert "Point" not in {kinds[i] for i in ids[~small]}
    assert any(f"{int(small.sum()):,} 个以点显示" in h for h in out["holds"])
    # within the limit every project is its shape
    write_map(tmp_path / "q.html", {"projects": projects}, title="t")
    html = (tmp_path / "q.html").read_text(encoding="utf-8")
    layer = next(layer for layer in _config(html)["layers"] if layer["kind"] == "projects")
    assert "Point" not in {f["geometry"]["type"] for f in _block(html, layer["data"])["features"]}


def test_compact_features_give_back_every_geometry_and_value(tmp_path):
    """The page's compact data (coordinates as integer differences, properties as columns)
    decode to the layer's own geometries (to 10^-6 degrees) and values: polygons with holes,
    multipolygons, lines, multilines, points, a feature without geometry; repeated values
    written once as a dictionary."""

    ring = shapely.box(400000, 4500000, 400100, 4500080)
    holed = shapely.Polygon(ring.exterior.coords, [shapely.box(400020, 4500020, 400040, 4500040).exterior.coords])
    geoms = [holed, shapely.multipolygons([shapely.box(400200, 4500000, 400260, 4500050),
                                           shapely.box(400300, 4500000, 400350, 4500050)]),
             shapely.linestrings([[400000, 4500200], [400150, 4500230], [400300, 4500200]]),
             shapely.multilinestrings([[[400000, 4500300], [400100, 4500300]], [[400200, 4500300], [400200, 4500400]]]),
             shapely.points(400500, 4500500), None]
    n = len(geoms)
    flags = gpd.GeoDataFrame({"flag_id": [f"F{i}" for i in range(n)], "code": ["X_RULE"] * n,
                              "reason": ["甲", "乙", "甲", "丙", "甲", "乙"]}, geometry=geoms, crs=4546)
    many = pd.concat([flags] * 4, ignore_index=True)  # 24 rows: repeated reasons become a dictionary
    raw = _check_compact(tmp_path / "c.html", many)
    assert isinstance(raw["props"]["reason"], dict) and sorted(raw["props"]["reason"]["k"]) == ["丙", "乙", "甲"]
    # without holes (the rings are not taken apart) and single parts only (no parts made)
    _check_compact(tmp_path / "d.html", many[many.index % n != 0].reset_index(drop=True))
    single = many[many.geometry.geom_type.isin(["Polygon", "LineString", "Point"])].reset_index(drop=True)
    _check_compact(tmp_path / "e.html", single)


def _check_compact(path, many):
    from planner.export.html_map import write_map

    write_map(path, {"odd_layer": many}, title="t")
    html = path.read_text(encoding="utf-8")
    layer = _config(html)["layers"][0]
    raw = json.loads(re.search(rf'id="{layer["data"]}">(.*?)</script>', html, re.S).group(1))
    features = _block(html, layer["data"])["features"]
    assert [f["properties"]["reason"] for f in features] == many["reason"].tolist()
    assert [f["properties"]["flag_id"] for f in features] == many["flag_id"].tolist()
    expected = many.to_crs(4326).geometry.values
    for f, g in zip(features, expected, strict=True):
        if g is None:
            assert f["geometry"] is None
            continue
        got = shapely.from_geojson(json.dumps(f["geometry"]))
        assert shapely.get_type_id(got) == shapely.get_type_id(g)
        assert shapely.get_num_interior_rings(got if got.geom_type == "Polygon" else shapely.Point()) == \
            shapely.get_num_interior_rings(g if g.geom_type == "Polygon" else shapely.Point())
        assert np.allclose(shapely.get_coordinates(got), shapely.get_coordinates(g), atol=1e-6, rtol=0)
    return raw
