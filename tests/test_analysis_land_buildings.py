"""Idle land, idle buildings, old and unsafe housing: planted cases on both sides of each threshold."""

import numpy as np
import pandas as pd
import pytest

from planner.analysis.registry import get_analysis
from planner.errors import InputError

from .analysis_helpers import box, frame, run

T = pd.Timestamp


def parcel(pid, i, **kw):
    base = {"parcel_id": pid, "status": "supplied", "supply_type": "transfer", "supply_date": T("2020-01-01"),
            "agreed_start": pd.NaT, "actual_start": pd.NaT, "suspended_since": pd.NaT, "dev_ratio": np.nan,
            "invest_ratio": np.nan, "delay_cause": None, "plan_far": np.nan, "area": np.nan}
    base.update(kw)
    return base, box(i * 200, 0, 100, 100)


def idle(parcels, buildings=None, **params):
    rows, geoms = zip(*parcels, strict=True)
    layers = {"parcels": frame(list(rows), list(geoms))}
    if buildings is not None:
        layers["buildings"] = buildings
    out = run("idle_land", layers, params=params)
    flags = out.flags["flag_idle_land"]
    return dict(zip(flags["source_id"], flags["code"], strict=True)), flags


def test_not_started_one_full_year_exactly_and_one_day_short():
    codes, flags = idle([
        parcel("exact", 0, agreed_start=T("2025-06-30")),     # as-of 2026-06-30: exactly one year
        parcel("short", 1, agreed_start=T("2025-07-01")),     # one day short
        parcel("two", 2, agreed_start=T("2024-06-30")),       # exactly two years
        parcel("two_short", 3, agreed_start=T("2024-07-01")),
        parcel("started", 4, agreed_start=T("2020-01-01"), actual_start=T("2020-02-01")),
    ])
    assert codes == {"exact": "IDLE_NOT_STARTED_1Y", "two": "IDLE_NOT_STARTED_2Y", "two_short": "IDLE_NOT_STARTED_1Y"}
    reason = flags.set_index("source_id").loc["two", "reason"]
    assert "2024-06-30" in reason and "2026-06-30" in reason and "已满2年（2年）" in reason and "无偿收回" in reason
    assert flags.set_index("source_id").loc["two", "severity"] == 3


def test_government_cause_keeps_the_code_but_not_the_reclaim():
    codes, flags = idle([parcel("gov", 0, agreed_start=T("2023-03-01"), delay_cause="government")])
    assert codes == {"gov": "IDLE_NOT_STARTED_2Y"}
    reason = flags["reason"].iloc[0]
    assert "3年3个月" in reason and "政府原因" in reason and "不适用无偿收回" in reason
    assert "negotiated" in flags["reason_en"].iloc[0]


def test_stalled_thresholds_at_one_third_and_25_percent():
    started = {"agreed_start": T("2019-01-01"), "actual_start": T("2019-02-01"), "suspended_since": T("2025-06-30")}
    codes, _ = idle([
        parcel("third", 0, dev_ratio=1 / 3, invest_ratio=0.5, **started),      # exactly 1/3: not below
        parcel("below", 1, dev_ratio=0.33, invest_ratio=0.5, **started),
        parcel("inv25", 2, dev_ratio=0.9, invest_ratio=0.25, **started),       # exactly 25%: not below
        parcel("inv24", 3, dev_ratio=0.9, invest_ratio=0.24, **started),
        parcel("recent", 4, dev_ratio=0.1, invest_ratio=0.1, **{**started, "suspended_since": T("2025-07-01")}),
    ])
    assert codes == {"below": "IDLE_STALLED", "inv24": "IDLE_STALLED"}


def test_suspected_needs_two_years_and_low_coverage():
    parcels = [parcel("bare", 0, supply_date=T("2024-06-30")), parcel("young", 1, supply_date=T("2024-07-01")),
               parcel("built", 2, supply_date=T("2020-01-01"))]
    # 100 x 100 m parcels: 6% coverage on "built", 4.9% would still be suspected.
    b = frame([{"building_id": "b1", "floors": 2, "floor_area": np.nan}], [box(400, 0, 6, 100)])
    codes, flags = idle(parcels, b)
    assert codes == {"bare": "IDLE_SUSPECTED"}
    assert "需现场核实" in flags["reason"].iloc[0]
    codes, _ = idle(parcels, frame([{"building_id": "b1", "floors": 2, "floor_area": np.nan}], [box(400, 0, 4.9, 100)]))
    assert codes == {"bare": "IDLE_SUSPECTED", "built": "IDLE_SUSPECTED"}


def test_approved_not_supplied_and_underused_at_half_of_planned_far():
    parcels = [parcel("ans", 0, status="approved_not_supplied", supply_type=None, supply_date=pd.NaT),
               parcel("half", 1, status="built", plan_far=2.0),     # actual 1.0 = 50%: not below
               parcel("low", 2, status="built", plan_far=2.0)]      # actual 0.99
    b = frame([{"building_id": "b1", "floors": 4, "floor_area": np.nan},
               {"building_id": "b2", "floors": np.nan, "floor_area": 9900.0}],
              [box(200, 0, 50, 50), box(400, 0, 10, 10)])
    codes, flags = idle(parcels, b)
    assert codes == {"ans": "APPROVED_NOT_SUPPLIED", "low": "UNDERUSED"}
    assert "0.99" in flags.set_index("source_id").loc["low", "reason"]


def test_most_severe_code_only_with_others_as_evidence():
    codes, flags = idle([parcel("both", 0, agreed_start=T("2023-01-01"), actual_start=pd.NaT)], frame(
        [{"building_id": "x", "floors": 1, "floor_area": np.nan}], [box(5000, 0, 1, 1)]))
    assert codes == {"both": "IDLE_NOT_STARTED_2Y"}
    assert len(flags) == 1


def test_idle_building_at_50_percent():
    b = frame([{"building_id": i, "use": u, "vacancy_rate": v}
               for i, u, v in [("o50", "office", 0.5), ("o49", "office", 0.49), ("c60", "commercial", 0.6),
                               ("r90", "residential", 0.9)]], [box(i * 50, 0, 20, 20) for i in range(4)])
    flags = run("idle_buildings", {"buildings": b}).flags["flag_idle_building"]
    assert sorted(flags["source_id"]) == ["c60", "o50"]
    assert "50%" in flags.set_index("source_id").loc["o50", "reason"]


def housing(rows, **params):
    geoms = [box(i * 50, 0, 20, 20) for i in range(len(rows))]
    base = {"use": "residential", "year_built": np.nan, "year_built_max": np.nan, "floors": np.nan,
            "has_elevator": pd.NA, "safety_grade": None, "structure": None, "compound": None, "households": 10,
            "floor_area": 1000.0}
    b = frame([{**base, **r} for r in rows], geoms)
    b["has_elevator"] = b["has_elevator"].astype("boolean")
    return run("old_housing", {"buildings": b}, params=params)


def codes_of(out):
    f = out.flags["flag_old_housing"]
    return {(s, c) for s, c in zip(f["source_id"], f["code"], strict=True)}


def test_old_housing_years_and_decades():
    out = housing([
        {"building_id": "y2000", "year_built": 2000, "year_built_max": 2000},
        {"building_id": "y2001", "year_built": 2001, "year_built_max": 2001},
        {"building_id": "d1980s", "year_built": 1980, "year_built_max": 1989},
        {"building_id": "d2000s", "year_built": 2000, "year_built_max": 2009},   # unknown for 2000
        {"building_id": "none"},
        {"building_id": "shop", "use": "commercial", "year_built": 1980, "year_built_max": 1980},
    ])
    old = {s for s, c in codes_of(out) if c == "OLD_HOUSING"}
    assert old == {"y2000", "d1980s"}
    assert any("2 residential buildings have an unknown" in m for m in out.messages)
    reason = out.flags["flag_old_housing"].set_index("source_id").loc["d1980s", "reason"]
    assert "1980年代" in reason


def test_cutoff_year_is_a_parameter():
    out = housing([{"building_id": "y2003", "year_built": 2003, "year_built_max": 2003},
                   {"building_id": "d2000s", "year_built": 2000, "year_built_max": 2009}], cutoff_year=2004)
    assert {s for s, c in codes_of(out) if c == "OLD_HOUSING"} == {"y2003"}


def test_unsafe_elevator_precast():
    out = housing([
        {"building_id": "d", "safety_grade": "D"}, {"building_id": "c", "safety_grade": "C"},
        {"building_id": "f4", "floors": 4, "has_elevator": False}, {"building_id": "f3", "floors": 3, "has_elevator": False},
        {"building_id": "f6e", "floors": 6, "has_elevator": True}, {"building_id": "f6u", "floors": 6},
        {"building_id": "p", "structure": "precast_slab"},
    ])
    assert codes_of(out) == {("d", "UNSAFE_D"), ("c", "UNSAFE_C"), ("f4", "ELEVATOR_RETROFIT"), ("p", "PRECAST_SLAB")}
    f = out.flags["flag_old_housing"].set_index("code")
    assert f.loc["UNSAFE_D", "severity"] == 3 and "原拆原建" in f.loc["UNSAFE_D", "reason"]


def test_compound_share_of_old_floor_area():
    out = housing([
        {"building_id": "a1", "compound": "甲小区", "year_built": 1990, "year_built_max": 1990, "floor_area": 3000.0},
        {"building_id": "a2", "compound": "甲小区", "year_built": 2010, "year_built_max": 2010, "floor_area": 1000.0},
        {"building_id": "b1", "compound": "乙小区", "year_built": 1990, "year_built_max": 1990, "floor_area": 1000.0},
        {"building_id": "b2", "compound": "乙小区", "year_built": 2010, "year_built_max": 2010, "floor_area": 1000.0},
    ])
    t = out.tables["compounds"].set_index("compound")
    assert t.loc["甲小区", "old_share"] == 0.75 and bool(t.loc["甲小区", "candidate"])
    assert t.loc["乙小区", "old_share"] == 0.5 and not bool(t.loc["乙小区", "candidate"])  # half is not "most"


def test_parameters_are_checked():
    a = get_analysis("old_housing")
    assert a.resolve_params({"cutoff_year": "2004"})["cutoff_year"] == 2004
    with pytest.raises(InputError, match="is not a whole number"):
        a.resolve_params({"cutoff_year": "soon"})
    with pytest.raises(InputError, match="no parameter"):
        a.resolve_params({"colour": 1})
    with pytest.raises(InputError, match="outside"):
        a.resolve_params({"elevator_min_floors": 0})


def test_indicators_say_unknown_where_no_home_states_its_year_or_elevator():
    """A city whose buildings state no year and no elevator (an OSM extract): the share of old homes
    and the elevator candidates are unknown (blank), not 0 % and 0 that a reviewer would sign; with
    the data, the same indicators count."""
    def indicators(rows):
        geoms = [box(i * 50, 0, 20, 20) for i in range(len(rows))]
        base = {"use": "residential", "year_built": np.nan, "year_built_max": np.nan, "floors": 6,
                "has_elevator": pd.NA, "safety_grade": None, "structure": None, "compound": None,
                "households": 10, "floor_area": 1000.0}
        b = frame([{**base, **r} for r in rows], geoms)
        b["has_elevator"] = b["has_elevator"].astype("boolean")
        out = run("old_housing", {"buildings": b})
        return run("indicators", {"buildings": b}, shared=out.shared).tables["indicators"].set_index("indicator")

    blank = indicators([{"building_id": "a"}, {"building_id": "b"}])
    assert pd.isna(blank.loc["old_housing_share", "value"]) and pd.isna(blank.loc["elevator_candidates", "value"])
    known = indicators([{"building_id": "a", "year_built": 1990, "year_built_max": 1990, "has_elevator": False},
                        {"building_id": "b", "year_built": 2010, "year_built_max": 2010, "has_elevator": True}])
    assert known.loc["old_housing_share", "value"] == pytest.approx(50.0)
    assert known.loc["elevator_candidates", "value"] == 1
