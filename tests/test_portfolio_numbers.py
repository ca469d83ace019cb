"""Numbers an official can sign (issue 12): totals without double counting, one project per
physical thing, safety first, facility sites, project geometry that is the thing itself."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.portfolio.totals import distinct_totals

from .conftest import SAMPLE


@pytest.fixture(scope="module")
def sample_out(sample_run):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    projects = gpd.read_file(out / "portfolio.gpkg", layer="projects")
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return out, projects, manifest


@pytest.fixture(scope="module")
def sample_buildings():
    """The sample's buildings as in the file (JZBH = id, HS = households)."""
    b = gpd.read_file(SAMPLE / "city.gpkg", layer="buildings")
    return b.assign(building_id=b["JZBH"].astype(str), households=pd.to_numeric(b["HS"], errors="coerce"))


def _ids(series: pd.Series) -> list[str]:
    return [i for s in series.fillna("").astype(str) for i in s.split(",") if i]


def test_households_benefiting_counts_each_household_once(sample_out, sample_buildings):
    out, projects, manifest = sample_out
    hh = sample_buildings.set_index("building_id")["households"].fillna(0)
    ids = set(_ids(projects["building_ids"]))
    expected = int(hh.reindex(sorted(ids)).fillna(0).sum())
    got = manifest["portfolio"]["households_benefiting"]
    assert got == expected
    assert got <= int(hh.sum())  # never more than the city has
    # the per-project figures overlap (a building in a renovation and a facility's catchment)
    assert projects["households"].sum() > got
    assert manifest["portfolio"]["buildings_benefiting"] == len(ids)


def test_workbook_summary_total_is_the_same_distinct_number(sample_out):
    import openpyxl

    out, projects, manifest = sample_out
    wb = openpyxl.load_workbook(out / "portfolio.xlsx", data_only=True)
    ws = wb["汇总"]
    rows = list(ws.iter_rows(values_only=True))
    heads = next(r for r in rows if r and r[1] == "项目数")
    col = heads.index("受益户数（去重）")
    totals = [r[col] for r in rows if r and isinstance(r[0], str) and r[0].startswith("合计")]
    assert len(totals) == 3  # by district, by type, by phase
    assert all(int(round(t)) == manifest["portfolio"]["households_benefiting"] for t in totals)
    # the project list's total row shows the distinct households too, not the sum of the rows
    pl = list(wb["项目清单"].iter_rows(values_only=True))
    hcol = pl[0].index("户数")
    last = next(r for r in pl if r and isinstance(r[0], str) and r[0].startswith("合计"))
    assert int(round(last[hcol])) == manifest["portfolio"]["households_benefiting"]


def test_distinct_totals_by_group_and_without_members():
    b = gpd.GeoDataFrame({"building_id": ["a", "b", "c"], "households": [10, 20, 40], "floor_area": [100.0, 200, 400]},
                         geometry=[shapely.box(0, 0, 1, 1)] * 3)
    p = pd.DataFrame({"type_title": ["T1", "T1", "T2", "T3"], "building_ids": ["a,b", "b,c", "a", ""],
                      "households": [30.0, 60, 10, 5], "buildings": [2.0, 2, 1, 1], "parcel_ids": ["", "", "", "P1"],
                      "parcel_area_m2": [0.0, 0, 0, 50]})
    whole = distinct_totals(p, b).iloc[0]
    # a, b, c once each; the drawn project without members adds its own 5 households
    assert whole["households"] == 75 and whole["buildings"] == 4 and whole["floor_area_m2"] == 700
    assert whole["parcels"] == 1 and whole["parcel_area_m2"] == 50
    by = distinct_totals(p, b, by="type_title")
    assert by.loc["T1", "households"] == 70 and by.loc["T2", "households"] == 10
    assert by["projects"].tolist() == [2, 1, 1]
    assert np.isclose(whole["residents"], round(75 * 2.62))


# one project per physical thing ---------------------------------------------------------------

def test_links_with_ends_within_two_metres_are_one_flag():
    from .analysis_helpers import line, run
    from .test_analysis_roads import roads

    # A street forks 10 m before it ends; the two branch ends lie dx apart (beyond the 1 m
    # snapping) 100 m short of the far street. Each proposes a link to it; with dx = 1.5 their
    # ends lie within 2 m of each other's -> one link, and both dead ends are in the gap.
    def city(dx):
        return roads(line((0, 0), (1000, 0)), line((0, 300), (1000, 300)), line((0, 0), (0, 300)),
                     line((1000, 0), (1000, 300)), line((500, 0), (500, 190)), line((500, 190), (500, 200)),
                     line((500, 190), (500 + dx, 200)))

    out = run("roads", {"roads": city(1.5)})
    gaps = out.flags["road_gap"]
    assert len(gaps) == 1
    dead = out.flags["flag_dead_end"]
    assert dead["in_gap"].sum() == 2  # both stubs' ends are served by the one link
    # 2.5 m apart: two links (both sides of the tolerance)
    assert len(run("roads", {"roads": city(2.5)}).flags["road_gap"]) == 2
    assert len(run("roads", {"roads": city(1.5)}, params={"duplicate_tolerance_m": 1.0}).flags["road_gap"]) == 2


def test_gap_along_a_planned_road_is_one_project(sample_out):
    out, projects, manifest = sample_out
    gaps = gpd.read_file(out / "portfolio.gpkg", layer="road_gap")
    links = projects[projects["type"] == "road_link"]
    listed = _ids(links["flags"])
    # every gap and planned-road flag is in exactly one link project
    assert sorted(listed) == sorted(gaps["flag_id"])
    assert len(links) < len(gaps)
    planned = links[links["subtype"] == "规划未建"]
    assert len(planned) and planned["flags"].str.contains("ROAD_GAP:").all()
    assert planned["notes"].str.contains("依据").all()
    # no two link projects for the same corridor: their ends are never within 2 m of each other's
    from planner.analysis.roads import same_link_groups

    link_geoms = gaps.set_index("flag_id").geometry.reindex([f.split(",")[0] for f in links["flags"]]).values
    assert len(np.unique(same_link_groups(link_geoms, 2.0))) == len(links)


# safety first, then the transparent score -------------------------------------------------------

HOUSING = {"unsafe_housing", "old_compound", "elevator"}


def test_d_grade_first_phase_and_first_ranks_c_next(sample_out):
    out, projects, manifest = sample_out
    from planner.portfolio.settings import load_settings

    phases = [p[0] for p in load_settings().phases]
    d = projects["flags"].str.contains("UNSAFE_D:")
    c = projects["flags"].str.contains("UNSAFE_C:") & ~d
    assert d.any() and c.any()
    assert (projects.loc[d, "phase"] == phases[0]).all()
    assert projects.loc[c, "phase"].isin(phases[:2]).all()
    # safety first: the D projects hold the first ranks, the C ones follow within their phase
    assert sorted(projects.loc[d, "priority_rank"]) == list(range(1, int(d.sum()) + 1))
    first_phase = projects[projects["phase"] == phases[0]]
    c_first = first_phase["flags"].str.contains("UNSAFE_C:") & ~first_phase["flags"].str.contains("UNSAFE_D:")
    others = first_phase[~first_phase["flags"].str.contains("UNSAFE_")]
    if c_first.any() and len(others):
        assert first_phase.loc[c_first, "priority_rank"].max() < others["priority_rank"].min()


def test_market_run_services_never_outrank_safety_and_housing(sample_out):
    out, projects, manifest = sample_out
    market = projects[(projects["type"] == "service_facility") & projects["subtype"].isin(["convenience_store", "market"])]
    housing = projects[projects["type"].isin(HOUSING)]
    assert len(market) and len(housing)
    assert market["priority_rank"].min() > housing["priority_rank"].max()
    assert market["priority_score"].max() < housing["priority_score"].min()


def test_default_weights_rank_housing_above_market_run_in_every_case():
    """The bound behind the default weights: the least a housing project can score against the
    most a market-run service can, over every severity, household count, cost and ease the
    portfolio can give them."""
    from planner.portfolio.build import score_components
    from planner.portfolio.settings import load_settings

    s = load_settings()
    w = s.weights
    assert sum(w.values()) == pytest.approx(1.0)
    t = s.types
    market_costs = [t["service_facility"].unit_cost(c) for c in ("convenience_store", "market")]
    best_market = max(100 * (w["public"] * t["service_facility"].public_of(c) + w["need"] + w["residents"]
                             + w["cost"] * score_components([0], [cost], [3], [0], [0], s)["score_cost"][0]
                             + w["ease"] * t["service_facility"].ease)
                      for c, cost in zip(("convenience_store", "market"), market_costs, strict=True))
    # the hardest housing project: severity 1, no households, very costly, D-grade rebuild ease
    worst_housing = min(100 * (w["public"] * t[k].public + w["need"] / 3 + w["ease"] * t[k].ease * 0.8) for k in HOUSING)
    assert best_market < worst_housing


def test_weights_are_normalised_and_every_component_is_shown(sample_out):
    from planner.portfolio.build import rescore
    from planner.portfolio.settings import COMPONENTS, load_settings

    out, projects, manifest = sample_out
    s = load_settings()
    doubled = load_settings(overrides={f"weights.{k}": 2 * v for k, v in s.weights.items()})
    assert doubled.weights == pytest.approx(s.weights)
    a, b = rescore(projects, s), rescore(projects, doubled)
    assert (a["priority_score"] == b["priority_score"]).all()
    # the score is 100 x the weighted mean of the components shown
    manual = sum(s.weights[k] * projects[f"score_{k}"] for k in COMPONENTS) * 100
    assert np.allclose(manual, projects["priority_score"], atol=0.051)
    # a component without a weight weighs 0 (the others are renormalised)
    s4 = load_settings()
    s4.weights = {"need": 0.2, "residents": 0.15, "cost": 0.1, "ease": 0.15}
    manual4 = sum(s4.weights[k] * projects[f"score_{k}"] for k in s4.weights) * 100 / 0.6
    assert np.allclose(rescore(projects, s4)["priority_score"], manual4, atol=0.051)
    assert sorted(manifest["portfolio"]["weights"]) == sorted(COMPONENTS)
    import openpyxl

    heads = next(openpyxl.load_workbook(out / "portfolio.xlsx", read_only=True)["项目清单"].iter_rows(values_only=True))
    assert {"得分：安全与公益", "得分：需求", "得分：受益居民", "得分：成本", "得分：实施难易", "优先次序"} <= set(heads)


# project geometry is the thing itself -------------------------------------------------------------

def test_housing_and_elevator_projects_are_their_buildings(sample_out, sample_buildings):
    out, projects, manifest = sample_out
    crs = projects.crs
    b = sample_buildings.to_crs(crs).set_index("building_id")
    housing = projects[projects["type"].isin(HOUSING)]
    assert len(housing) > 50
    for kind in HOUSING:
        assert (housing["type"] == kind).any()
    for _, p in housing.iterrows():
        ids = p["building_ids"].split(",")
        things = shapely.union_all(b.geometry.reindex(ids).values)
        g = p.geometry
        # the project is exactly its buildings: nothing outside them, none of them left out
        assert shapely.area(shapely.difference(g, things)) < 1.0, p["project_id"]
        assert shapely.area(shapely.difference(things, g)) < 1.0, p["project_id"]
        assert g.geom_type in ("Polygon", "MultiPolygon")
        assert int(p["buildings"]) == len(ids)
