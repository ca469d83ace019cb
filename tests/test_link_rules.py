"""Buildable road links (issue 12): each rule planted on both sides, on the broken street of
tests/test_analysis_roads.py (two stubs r4, r5 with a 100 m gap between them) and small
variations of it; the OSM bounds as study area; readable reasons."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from .analysis_helpers import CRS_WORK, X0, Y0, box, frame, line, run
from .test_analysis_roads import roads


def broken_street(target: dict | None = None, source: dict | None = None):
    """Grid 1000 x 300 m; the cross street at x=500 is broken between y=100 and y=200."""
    return roads(line((0, 0), (1000, 0)), line((0, 300), (1000, 300)), line((0, 0), (0, 300)),
                 line((1000, 0), (1000, 300)), (line((500, 0), (500, 100)), source or {}),
                 (line((500, 200), (500, 300)), target or {}))


def gaps(out):
    g = out.flags["road_gap"]
    return g[g["code"] == "ROAD_GAP"]


def test_plain_broken_street_has_its_link():
    g = gaps(run("roads", {"roads": broken_street()}))
    assert len(g) == 1 and g["length_m"].iloc[0] == pytest.approx(100)


@pytest.mark.parametrize("tags", ['"bridge"=>"yes","layer"=>"1"', '"tunnel"=>"yes","layer"=>"-1"', '"layer"=>"2"'])
def test_no_link_onto_a_bridge_tunnel_or_other_layer(tags):
    assert len(gaps(run("roads", {"roads": broken_street({"other_tags": tags})}))) == 0
    # the same road at grade (layer 0, no bridge) is joined
    assert len(gaps(run("roads", {"roads": broken_street({"other_tags": '"layer"=>"0","lit"=>"yes"'})}))) == 1
    # other data: the catalogue's level / bridge fields
    assert len(gaps(run("roads", {"roads": broken_street({"level": "1"})}))) == 0
    assert len(gaps(run("roads", {"roads": broken_street({"bridge": "是"})}))) == 0
    assert len(gaps(run("roads", {"roads": broken_street({"level": "0", "bridge": "否"})}))) == 1


@pytest.mark.parametrize("cls,excluded,expected", [("expressway", None, 0), ("local", None, 1),
                                                   ("service", None, 1), ("service", ["expressway", "service"], 0)])
def test_motorway_and_trunk_never_joined_service_roads_excludable(cls, excluded, expected):
    params = {} if excluded is None else {"link_excluded_classes": excluded}
    out = run("roads", {"roads": broken_street({"road_class": cls})}, params=params)
    assert len(gaps(out)) == expected


@pytest.mark.parametrize("tags,expected", [('"access"=>"private"', 0), ('"service"=>"driveway"', 0),
                                           ('"service"=>"parking_aisle"', 0), ('"access"=>"yes"', 1),
                                           ('"service"=>"alley"', 1)])
def test_no_link_into_private_roads_driveways_or_parking_aisles(tags, expected):
    assert len(gaps(run("roads", {"roads": broken_street({"other_tags": tags})}))) == expected


def test_no_link_into_campus_or_car_park_land():
    campus = gpd.GeoDataFrame({"restricted_id": ["u1"], "name": ["某大学"], "kind": ["university"]},
                              geometry=[box(450, 180, 100, 200)], crs=CRS_WORK)
    assert len(gaps(run("roads", {"roads": broken_street(), "restricted": campus}))) == 0
    elsewhere = campus.set_geometry([box(700, 180, 100, 100)], crs=CRS_WORK)
    assert len(gaps(run("roads", {"roads": broken_street(), "restricted": elsewhere}))) == 1
    # a link wholly inside the campus stays inside it; one leaving it from a dead end inside does not
    inside = campus.set_geometry([box(450, 180, 100, 200)], crs=CRS_WORK)
    assert len(gaps(run("roads", {"roads": broken_street(), "restricted": inside}))) == 0
    whole = campus.set_geometry([box(400, 50, 200, 200)], crs=CRS_WORK)
    assert len(gaps(run("roads", {"roads": broken_street(), "restricted": whole}))) == 1


def test_osm_restricted_polygons():
    from planner.analysis.roads import restricted_from_osm

    mp = gpd.GeoDataFrame({"osm_id": ["1", "2", "3", "4"], "osm_way_id": [None] * 4, "name": ["大学", "停车场", "公园", "院"],
                           "amenity": ["university", "parking", None, None], "landuse": [None, None, "grass", None],
                           "other_tags": [None, None, None, '"access"=>"private"']},
                          geometry=[box(0, 0, 10, 10)] * 4, crs=CRS_WORK)
    r = restricted_from_osm(mp)
    assert list(r["restricted_id"]) == ["1", "2", "4"]


def _carriageways(oneway: bool, names=("兴亦路", "兴亦路")):
    """Two parallel streets 20 m apart from opposite sides, overlapping by 100 m: each end is
    20 m from the other street and far from any other road."""
    tags = '"oneway"=>"yes"' if oneway else None
    return roads(line((0, 0), (1000, 0)), line((0, 600), (1000, 600)), line((0, 0), (0, 600)),
                 line((1000, 0), (1000, 600)),
                 (line((500, 0), (500, 300)), {"name": names[0], "other_tags": tags}),
                 (line((520, 600), (520, 200)), {"name": names[1], "other_tags": tags}))


def test_no_link_between_the_two_one_way_carriageways_of_one_road():
    assert len(gaps(run("roads", {"roads": _carriageways(True)}))) == 0
    # two-way streets of that name, or one-way streets of different names, may be joined
    assert len(gaps(run("roads", {"roads": _carriageways(False)}))) == 2
    assert len(gaps(run("roads", {"roads": _carriageways(True, ("甲路", "乙路"))}))) == 2
    # unnamed one-way carriageways: parallel, so the same road
    assert len(gaps(run("roads", {"roads": _carriageways(True, (None, None))}))) == 0


def _hairpin(legs):
    """A U-shaped street whose end comes back 60 m from its first leg."""
    base = [line((0, -200), (1000, -200))]
    if legs == 1:
        return roads(*base, (line((500, -200), (500, 200), (560, 200), (560, 60)), {"name": "回头路"}))
    a, b = legs
    return roads(*base, (line((500, -200), (500, 200), (530, 200)), {"name": a}),
                 (line((530, 200), (560, 200), (560, 60)), {"name": b}))


def test_no_link_across_a_hairpin_of_its_own_road():
    assert len(gaps(run("roads", {"roads": _hairpin(1)}))) == 0
    assert len(gaps(run("roads", {"roads": _hairpin(("回头路", "回头路"))}))) == 0  # one named road in two ways
    assert len(gaps(run("roads", {"roads": _hairpin(("甲路", "乙路"))}))) == 1      # two roads: a real gap


def test_crossings_excluded_or_kept_with_their_cost():
    water = frame([{"water_id": "w1", "name": "昆都仑河"}], [box(400, 140, 200, 20)])
    rail = frame([{"rail_id": "t1", "name": None}], [line((300, 160), (700, 160))])
    b = frame([{"building_id": "B1"}], [box(480, 130, 40, 20)])
    # water and rail are not crossed by default; buildings are, with the crossing stated
    assert len(gaps(run("roads", {"roads": broken_street(), "water": water}))) == 0
    assert len(gaps(run("roads", {"roads": broken_street(), "rail": rail}))) == 0
    kept = gaps(run("roads", {"roads": broken_street(), "buildings": b}))
    assert len(kept) == 1 and kept["crosses"].iloc[0] == "建筑 B1"
    assert len(gaps(run("roads", {"roads": broken_street(), "buildings": b}, params={"crossing_allowed": []}))) == 0
    both = gaps(run("roads", {"roads": broken_street(), "water": water},
                    params={"crossing_allowed": ["buildings", "water"]}))
    assert len(both) == 1 and "水系 昆都仑河" in both["crosses"].iloc[0]


def test_a_link_crossing_nothing_is_preferred_to_a_shorter_one_through_a_building():
    # the dead end at (500, 100) sees r5 100 m away and a side street 90 m away behind a building
    r = roads(line((0, 0), (1000, 0)), line((0, 300), (1000, 300)), line((0, 0), (0, 300)),
              line((1000, 0), (1000, 300)), line((500, 0), (500, 100)), line((500, 200), (500, 300)),
              line((590, 60), (590, 140)))
    b = frame([{"building_id": "B9"}], [box(520, 80, 40, 40)])
    g = gaps(run("roads", {"roads": r, "buildings": b}))
    link = g[g["from_source_id"] == "r4"]
    assert len(link) == 1 and link["to_source_id"].iloc[0] == "r5" and link["crosses"].iloc[0] == ""
    g = gaps(run("roads", {"roads": r}))
    assert g.loc[g["from_source_id"] == "r4", "to_source_id"].iloc[0] == "r6"  # without the building: shorter


def test_osm_bounds_make_the_study_area_and_without_any_a_warning():
    from pyproj import Transformer

    r = broken_street()
    out = run("roads", {"roads": r})
    assert any("研究范围" in m and "artefacts" in m for m in out.messages)
    # bounds whose edge lies 30 m above the stub's end at y=200: that end is at the data's edge
    t = Transformer.from_crs(CRS_WORK, 4326, always_xy=True)
    w, s = t.transform(X0 - 50, Y0 - 50)
    e, n = t.transform(X0 + 1050, Y0 + 230)
    r = r.assign(osm_bounds=f"{w:.7f},{s:.7f},{e:.7f},{n:.7f}")
    out = run("roads", {"roads": r})
    dead = out.flags["flag_dead_end"]
    assert list(dead["source_id"]) == ["r4"]  # the end at y=200 is within 50 m of the edge
    assert not any("artefacts" in m for m in out.messages)


def test_reasons_print_ids_and_distances_apart():
    g = gaps(run("roads", {"roads": broken_street()}))
    assert "与无名支路（编号 r5）相距 100.0 m" in g["reason"].iloc[0]
    assert "is 100.0 m from unnamed local road (id r5)" in g["reason_en"].iloc[0]
    assert shapely.get_num_points(g.geometry.iloc[0]) == 2


def test_restricted_layer_from_a_file_through_the_catalogue(tmp_path):
    """Campus polygons in a GeoPackage, harmonised as the loader does (layers/restricted.toml)."""
    from planner.catalogue import default_catalogue
    from planner.io.loading import harmonise
    from planner.io.readers import read_vector
    from planner.io.sources import parse_source

    path = tmp_path / "campus.gpkg"
    gpd.GeoDataFrame({"osm_way_id": ["77"], "name": ["某中学"], "amenity": ["school"]},
                     geometry=[box(450, 180, 100, 200)], crs=CRS_WORK).to_file(path, engine="pyogrio")
    layer = harmonise(read_vector(parse_source(str(path)), role="restricted"), "restricted", default_catalogue(),
                      CRS_WORK)
    assert list(layer.frame["restricted_id"]) == ["77"] and list(layer.frame["kind"]) == ["school"]
    assert len(gaps(run("roads", {"roads": broken_street(), "restricted": layer.frame}))) == 0


def test_an_osm_platform_is_not_a_road():
    """A bus platform (OSM highway=platform, public_transport=platform: no road class) 2 m
    beside a street is neither a dead end nor the start of a link; the same line as a road of a
    known class is one (both sides)."""
    from .analysis_helpers import line
    from .test_analysis_roads import roads

    def city(platform_class):
        r = roads(line((0, 0), (1000, 0)), line((0, 300), (1000, 300)), line((0, 0), (0, 300)),
                  line((1000, 0), (1000, 300)), line((400, 2), (430, 2)))
        r["other_tags"] = [None] * 4 + ['"public_transport"=>"platform","bus"=>"yes"']
        r.loc[4, "road_class"] = platform_class
        return r

    out = run("roads", {"roads": city(None)})
    assert len(out.flags["flag_dead_end"]) == 0 and len(out.flags["road_gap"]) == 0
    out = run("roads", {"roads": city("local")})
    assert len(out.flags["flag_dead_end"]) == 2   # a road of a known class with that tag stays a road
