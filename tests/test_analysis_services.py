"""Living-circle service gaps: walking distances along the network from the nearest point of the
nearest segment, the same-segment case, unreachable buildings, coverage by households."""

import numpy as np
import pandas as pd
import pytest

from .analysis_helpers import box, frame, line, run


def layers(buildings, facilities, roads):
    b = frame([{"building_id": f"b{i}", "use": "residential", "households": hh} for i, (_, hh) in enumerate(buildings)],
              [g for g, _ in buildings])
    f = frame([{"facility_id": f"f{i}", "name": None, "type": t} for i, (_, t) in enumerate(facilities)],
              [g for g, _ in facilities])
    r = frame([{"road_id": f"r{i}", "status": "built"} for i in range(len(roads))], roads)
    return {"buildings": b, "facilities": f, "roads": r}


def point(x, y):
    import shapely

    from .analysis_helpers import X0, Y0

    return shapely.Point(X0 + x, Y0 + y)


def test_same_segment_is_measured_along_it():
    # One long segment: building and kindergarten both beside it, 250 m apart along the road.
    out = run("services", layers([(box(95, 10, 10, 10), 10)], [(point(350, 5), "kindergarten")],
                                 [line((0, 0), (1000, 0))]), params={"types": ["kindergarten"]})
    d = out.shared["service_distances"]["kindergarten"][0]
    assert d == pytest.approx(15 + 250 + 5)  # 15 m to the road, 250 m along it, 5 m to the door
    assert len(out.flags.get("service_gap", [])) == 0


def test_nearest_point_not_nearest_node():
    # A 1,000 m segment; the building is 400 m from both its ends but beside the facility's road.
    roads = [line((0, 0), (1000, 0)), line((1000, 0), (1000, 600)), line((0, 0), (0, 600))]
    out = run("services", layers([(box(495, 10, 10, 10), 5)], [(point(760, 5), "kindergarten")], roads),
              params={"types": ["kindergarten"]})
    d = out.shared["service_distances"]["kindergarten"][0]
    assert d == pytest.approx(15 + 260 + 5)  # snapping to nodes would say 500 + ... > 300 m
    gaps = out.flags["service_gap"]
    assert len(gaps) == 0


def test_gap_distance_radius_and_unreachable():
    roads = [line((0, 0), (2000, 0)), line((5000, 0), (5600, 0))]  # the second road is an island
    out = run("services", layers([(box(0, 5, 10, 10), 30), (box(700, 5, 10, 10), 20), (box(5300, 5, 10, 10), 50)],
                                 [(point(0, -5), "kindergarten")], roads), params={"types": ["kindergarten"]})
    g = out.flags["service_gap"].set_index("source_id")
    assert set(g.index) == {"b1", "b2"}
    assert g.loc["b1", "distance_m"] == pytest.approx(10 + 705 + 5) and g.loc["b1", "radius_m"] == 300
    assert g.loc["b1", "severity"] == 3 and "720 m" in g.loc["b1", "reason"]  # beyond twice the radius
    assert np.isnan(g.loc["b2", "distance_m"]) and "无幼儿园" in g.loc["b2", "reason"]
    assert g.loc["b2", "severity"] == 3
    cov = out.tables["service_coverage"].set_index("facility_type").loc["kindergarten"]
    assert cov["households_covered"] == 30 and cov["coverage"] == pytest.approx(30 / 100)


def test_radii_come_from_catalogue_and_can_be_overridden(catalogue):
    assert catalogue.facility_radii()["primary_school"] == 500
    assert catalogue.facility_radii()["park"] == 1000
    roads = [line((0, 0), (2000, 0))]
    lay = layers([(box(0, 5, 10, 10), 1)], [(point(700, 0), "primary_school")], roads)
    assert len(run("services", lay, params={"types": ["primary_school"]}).flags["service_gap"]) == 1
    out = run("services", lay, params={"types": ["primary_school"], "radius.primary_school": 800})
    assert len(out.flags.get("service_gap", [])) == 0


def test_without_households_the_flags_say_unknown_and_coverage_counts_buildings():
    """No households field (an OSM extract): a flag's households are blank, not 1; the coverage
    table's households are blank and its indicators say they count residential buildings; an
    indicator on data that is not there (safety grades) has no value and no pass; an indicator
    without a target has no direction."""
    roads = [line((0, 0), (2000, 0))]
    lay = layers([(box(0, 5, 10, 10), None), (box(700, 5, 10, 10), None)], [(point(0, -5), "kindergarten")], roads)
    lay["buildings"] = lay["buildings"].drop(columns="households")
    out = run("services", lay, params={"types": ["kindergarten"]})
    g = out.flags["service_gap"].set_index("source_id")
    assert list(g.index) == ["b1"] and np.isnan(g.loc["b1", "households"])
    cov = out.tables["service_coverage"].set_index("facility_type").loc["kindergarten"]
    assert cov["households"] is None and cov["coverage"] == pytest.approx(0.5)  # one of two homes
    shared = {**out.shared, "old": np.array([True, False]), "residential": np.array([True, True]),
              "floor_area": np.array([100.0, 100.0])}
    ind = run("indicators", {"buildings": lay["buildings"]}, shared=shared).tables["indicators"].set_index("indicator")
    k = ind.loc["coverage.kindergarten"]
    assert "覆盖住宅建筑比例" in k["title"] and k["title_en"].startswith("Residential buildings")
    assert k["value"] == pytest.approx(50.0) and k["direction"] == "higher"
    d = ind.loc["unsafe_d_count"]
    assert pd.isna(d["value"]) and pd.isna(d["pass"]), "no safety grades: no data, not 0 that passes"
    assert pd.isna(ind.loc["old_housing_share", "direction"]) and pd.isna(ind.loc["old_housing_share", "target"])
