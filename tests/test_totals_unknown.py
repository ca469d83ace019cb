"""Totals that do not pretend: households of unknown size are counted as unknown, never as 0
(an OpenStreetMap building states no households), and the totals say how many buildings and
projects they could not count."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import shapely

from planner.portfolio.totals import Membership, benefit_summary, distinct_totals


def _city() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    # a, b known (10, 20 households); c, d homes of unknown size; e an office (no homes)
    b = gpd.GeoDataFrame({"building_id": list("abcde"), "households": [10, 20, None, None, None],
                          "use": ["residential", "residential", "residential", "", "office"],
                          "floor_area": [100.0, 200, 300, 400, 500]}, geometry=[shapely.box(0, 0, 1, 1)] * 5)
    p = pd.DataFrame({"type_title": ["known", "mixed", "unknown", "office", "drawn"],
                      "building_ids": ["a,b", "b,c", "c,d", "e", ""],
                      "households": [30.0, 20, None, 0, None], "buildings": [2.0, 2, 2, 1, 3],
                      "parcel_ids": [""] * 5, "parcel_area_m2": [0.0] * 5})
    return p, b


def test_known_households_are_counted_and_unknown_ones_are_said():
    p, b = _city()
    whole = distinct_totals(p, b).iloc[0]
    assert whole["households"] == 30   # a + b, each once; c and d are not 0, they are left out
    # c, d (members) and the drawn project's 3 buildings of blank households
    assert whole["households_unknown_buildings"] == 2 + 3
    assert whole["households_unknown_projects"] == 3   # mixed, unknown, drawn
    by = distinct_totals(p, b, by="type_title")
    assert by.loc["known", "households_unknown_buildings"] == 0 and by.loc["known", "households"] == 30
    assert by.loc["mixed", "households"] == 20 and by.loc["mixed", "households_unknown_buildings"] == 1
    # an office of a known use has no homes: 0 households, not unknown
    assert by.loc["office", "households"] == 0 and by.loc["office", "households_unknown_buildings"] == 0
    m = Membership(p, b)
    assert m.unknown_households().tolist() == [False, True, True, False, True]


def test_a_group_with_no_known_household_is_blank_not_zero():
    p, b = _city()
    by = Membership(p, b).totals(by="type_title", blank_unknown=True)
    assert math.isnan(by.loc["unknown", "households"]) and math.isnan(by.loc["unknown", "residents"])
    assert math.isnan(by.loc["drawn", "households"])
    assert by.loc["mixed", "households"] == 20      # partly known: the known ones count
    assert by.loc["office", "households"] == 0      # known to have none
    assert by.loc["unknown", "buildings"] == 2      # the buildings are still counted
    # without blank_unknown (the old reading) the same group reads 0
    assert Membership(p, b).totals(by="type_title").loc["unknown", "households"] == 0


def test_run_json_numbers_say_unknown():
    p, b = _city()
    only_unknown = p[p["type_title"] == "unknown"]
    s = benefit_summary(only_unknown, b)
    assert s["households_benefiting"] is None and s["residents_benefiting"] is None
    assert s["households_unknown_buildings"] == 2 and s["households_unknown_projects"] == 1
    assert s["buildings_benefiting"] == 2
    whole = benefit_summary(p, b)
    assert whole["households_benefiting"] == 30 and whole["households_unknown_buildings"] == 5
    # a buildings layer without a households field: every home unknown
    s = benefit_summary(p[p["type_title"] == "known"], b.drop(columns="households"))
    assert s["households_benefiting"] is None and s["households_unknown_buildings"] == 2


def test_compounds_table_leaves_unknown_households_blank():
    import numpy as np

    from .test_analysis_land_buildings import housing

    out = housing([
        {"building_id": "a1", "compound": "甲小区", "households": 30},
        {"building_id": "a2", "compound": "甲小区", "households": np.nan},   # counted as the known 30
        {"building_id": "b1", "compound": "乙小区", "households": np.nan},
        {"building_id": "b2", "compound": "乙小区", "households": np.nan},   # none known: blank, not 0
    ])
    t = out.tables["compounds"].set_index("compound")
    assert t.loc["甲小区", "households"] == 30
    assert math.isnan(t.loc["乙小区", "households"]) and t.loc["乙小区", "buildings"] == 2
