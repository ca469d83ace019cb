"""Pocket parks (口袋公园, issue 15): POCKET_PARK_SITE on both sides of every threshold (399/400
and 10,000/10,001 m², 5 m either side of the 500 m park radius, 5 m either side of 300 m for the
households newly covered, a household already within 300 m of a park not counted), ranked by
households newly covered; the 口袋公园 projects follow the flags. On GeoPackages the test
writes, in two CRSs."""

from __future__ import annotations

import pytest

from .test_analysis_coverage import CASES, Plan


def city(inputs, working) -> Plan:
    p = Plan(inputs, working)
    p.add("roads", p.line((-100, 0), (5000, 0)), road_id="r0", name="主路", road_class="支路", status="现状")
    p.add("facilities", p.pt(0, 0), facility_id="park", name="公园", type="公园")

    def parcel(pid, x, w, h, south=False):
        """A reserve parcel of w x h m centred on x, 5 m off the road (north, or south)."""
        y0, y1 = (-5 - h, -5) if south else (5, 5 + h)
        p.add("parcels", p.box(x - w / 2, y0, x + w / 2, y1), parcel_id=pid, status="储备", land_use="R2")

    parcel("P399", 1000, 20, 19.95)          # 399 m²: too small
    parcel("P400", 2000, 20, 20)             # 400 m²: a site (centre 15 m off the road)
    parcel("P10000", 3000, 100, 100)         # 10,000 m²: a site (centre 55 m off the road)
    parcel("P10001", 4000, 100, 100.01)      # 10,001 m²: too large
    parcel("Pinside", 480, 20, 20)           # 15 + 480 = 495 m from the park: covered already
    parcel("Poutside", 490, 20, 20, south=True)  # 505 m: a site
    # households (centres 10 m south of the road)
    p.building("B1", 2000 + 270, -10, households=5)    # 10 + 270 + 15 = 295 m from P400
    p.building("B2", 2000 - 280, -10, households=50)   # 305 m from P400: not covered
    p.building("B3", 3000 + 230, -10, households=20)   # 10 + 230 + 55 = 295 m from P10000
    p.building("B4", 250, -10, households=1000)        # 260 m from the park: green already
    p.building("B5", 310, -10, households=3)           # 320 m from the park, 205 m from Poutside
    p.add("boundary", p.box(-500, -500, 5500, 500), district_id="D", name="示例区")
    return p


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-in-{c[1]}")
def run(request, tmp_path_factory):
    inputs, working = request.param
    tmp = tmp_path_factory.mktemp("pocket")
    cfg, ws, result = city(inputs, working).write_and_load(tmp, only=["roads", "pocket_parks"])
    return cfg, ws, result


def test_sites_on_both_sides_of_every_threshold(run):
    _, _, result = run
    f = result.flags["pocket_park_site"].set_index("source_id")
    assert set(f.index) == {"P400", "P10000", "Poutside"}  # not P399, P10001 nor the covered Pinside
    assert set(f["code"]) == {"POCKET_PARK_SITE"}
    assert f.loc["P400", "area_m2"] == pytest.approx(400, abs=0.05)
    assert f.loc["P10000", "area_m2"] == pytest.approx(10000, abs=0.05)
    assert f.loc["Poutside", "park_distance_m"] == pytest.approx(505, abs=0.2)
    assert f["reason"].str.startswith("储备及边角地块").all() and f["reason_en"].str.startswith("Reserve").all()


def test_households_newly_within_300_m_and_the_rank(run):
    _, _, result = run
    f = result.flags["pocket_park_site"].set_index("source_id")
    assert f.loc["P400", "households_new"] == 5 and f.loc["P400", "covered_ids"] == "B1"  # B2 at 305 m is not
    assert f.loc["P10000", "households_new"] == 20 and f.loc["P10000", "buildings_new"] == 1
    assert f.loc["Poutside", "households_new"] == 3 and f.loc["Poutside", "covered_ids"] == "B5"  # not B4
    assert f["site_rank"].to_dict() == {"P10000": 1, "P400": 2, "Poutside": 3}
    assert "新增300 m见绿覆盖20户" in f.loc["P10000", "reason"] and "rank 1" in f.loc["P10000", "reason_en"]


def test_projects_follow_the_flags(run):
    from planner.pipeline import plan

    cfg, ws, result = run
    projects, _, _ = plan(ws, result, cfg)
    pp = projects[projects["type"] == "pocket_park"].set_index("parcel_ids")
    assert set(pp.index) == {"P400", "P10000", "Poutside"}
    assert pp.loc["P10000", "households"] == 20 and pp.loc["P10000", "building_ids"] == "B3"
    assert pp.loc["P400", "households"] == 5 and pp.loc["Poutside", "households"] == 3
    assert pp.loc["P10000", "parcel_area_m2"] == pytest.approx(10000, abs=0.1)
    assert "排序第1" in pp.loc["P10000", "notes"]
    assert pp.loc["P10000", "flags"] == "POCKET_PARK_SITE:P10000"


def test_thresholds_are_parameters():
    from planner.analysis.registry import get_analysis

    params = {p.name: p for p in get_analysis("pocket_parks").parameters}
    assert params["min_area_m2"].default == 400 and params["max_area_m2"].default == 10000
    assert params["park_radius_m"].default == 500 and params["green_radius_m"].default == 300


def test_the_walk_to_the_nearest_park_is_given_beyond_the_search(run):
    """A site further than the park radius plus the search margin (1,000 m) still states its
    walk to the nearest park (the table's column was blank): 15 m to the road, then along it."""
    _, _, result = run
    f = result.flags["pocket_park_site"].set_index("source_id")
    assert f.loc["P400", "park_distance_m"] == pytest.approx(2015, abs=0.5)
    assert f.loc["P10000", "park_distance_m"] == pytest.approx(3055, abs=0.5)
    assert "最近公园步行2015 m" in f.loc["P400", "reason"]


def test_households_unknown_are_not_one_per_building(tmp_path):
    """Buildings without a households field: the sites say how many homes (buildings) they
    bring within 300 m and that the households are unknown; the households column is blank, not
    a count of buildings; the projects are still made."""
    from planner.pipeline import plan

    p = city("EPSG:4546", "EPSG:4546")
    for attrs, _ in p.layers["buildings"]:
        attrs.pop("households")
    cfg, ws, result = p.write_and_load(tmp_path, only=["roads", "pocket_parks"])
    assert "households" not in ws.frame("buildings")
    f = result.flags["pocket_park_site"].set_index("source_id")
    assert f["households_new"].isna().all()
    assert f.loc["P10000", "buildings_new"] == 1 and "新增300 m见绿覆盖1栋住宅（户数未知）" in f.loc["P10000", "reason"]
    assert "households unknown" in f.loc["P10000", "reason_en"]
    projects, _, _ = plan(ws, result, cfg)
    pp = projects[projects["type"] == "pocket_park"].set_index("parcel_ids")
    assert set(pp.index) == {"P400", "P10000", "Poutside"}
    assert pp["households"].isna().all() and "户数未知" in pp.loc["P10000", "notes"]
    # the atlas page says the households are unknown, not 0 (nor leaves the row out)
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        return
    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_atlas

    path = write_atlas(tmp_path / "atlas.pdf", SheetBase(ws), pp.reset_index().head(1), info=sheet_info(ws, cfg, {}),
                       workers=1)
    text = subprocess.run(["pdftotext", "-x", "545", "-y", "0", "-W", "300", "-H", "600", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert "户数" in lines and lines[lines.index("户数") + 1] == "未知", lines
