"""Each facility type has a default minimum of households a proposed site must newly bring
within its radius (planner/portfolio/settings.py MIN_NEW_HOUSEHOLDS, from GB 50180-2018's
living-circle sizes), so a site bringing a few homes is not proposed: tested on both sides of
the minimum, with known households and with households unknown (homes counted instead)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from planner.portfolio.settings import HOUSEHOLDS_PER_BUILDING, MIN_NEW_HOUSEHOLDS, load_settings
from planner.portfolio.sites import greedy_max_coverage


def test_every_facility_type_of_the_portfolio_has_a_minimum():
    s = load_settings()
    for kind in ("service_facility", "coverage_facility"):
        for cls in s.types[kind].costs:
            if cls:
                assert s.min_new_households(cls) > 0, f"{kind}/{cls} has no minimum"
    # the living circles' order: a neighbourhood shop asks for fewer homes than a school
    assert (s.min_new_households("convenience_store") < s.min_new_households("kindergarten")
            < s.min_new_households("primary_school") < s.min_new_households("middle_school"))


def test_unknown_households_read_the_minimum_in_homes():
    s = load_settings()
    assert s.min_new_households("kindergarten", households_known=False) == pytest.approx(
        MIN_NEW_HOUSEHOLDS["kindergarten"] / HOUSEHOLDS_PER_BUILDING)
    assert s.min_new_households("no_such_type") == 0


def test_the_toml_and_overrides_replace_a_type_and_set_a_floor(tmp_path):
    from planner.paths import LAYERS_DIR

    text = (LAYERS_DIR / "portfolio.toml").read_text(encoding="utf-8")
    path = tmp_path / "portfolio.toml"
    path.write_text(text.replace("[sites]", "[sites.min_new_households_by_type]\nkindergarten = 5\n\n[sites]", 1),
                    encoding="utf-8")
    s = load_settings(path)
    assert s.min_new_households("kindergarten") == 5
    assert s.min_new_households("primary_school") == MIN_NEW_HOUSEHOLDS["primary_school"]
    s = load_settings(path, overrides={"sites.min_new_households": 800,
                                       "sites.min_new_households_by_type.park": 0})
    assert s.min_new_households("kindergarten") == 800        # the floor lifts a lower one
    assert s.min_new_households("primary_school") == 1000     # and leaves a higher one
    assert s.min_new_households("park") == 800
    assert load_settings(path, overrides={"sites.households_per_building": 10}).min_new_households(
        "kindergarten", households_known=False) == 0.5


@pytest.mark.parametrize("households,proposed", [(299.0, False), (300.0, False), (301.0, True)])
def test_a_site_is_proposed_only_above_its_types_minimum(households, proposed):
    """Greedy coverage with the kindergarten's minimum: a candidate covering three buildings of
    ``households`` in all is chosen only when that is more than the minimum (300)."""
    minimum = load_settings().min_new_households("kindergarten")
    assert minimum == 300
    cover = sparse.csr_matrix(np.array([[1, 1, 1]], dtype=bool))
    weight = np.full(3, households / 3)
    picks = greedy_max_coverage(cover, weight, min_gain=minimum)
    assert bool(picks) is proposed


def test_beijing_osm_sites_each_bring_more_homes_than_their_minimum(tmp_path):
    """On the Beijing OSM extract (households unknown; © OpenStreetMap contributors, ODbL 1.0)
    no community-facility site brings fewer homes than its type's minimum, and far fewer sites
    than the 493 proposed without minimums remain."""
    from planner.feedback import Feedback
    from planner.pipeline import analyse, load_inputs, plan
    from planner.project import InputConfig, RunConfig

    from .conftest import TEST_DATA

    path = Path(tmp_path) / "beijing_yizhuang.osm.pbf"
    shutil.copyfile(TEST_DATA / "beijing_yizhuang.osm.pbf", path)
    cfg = RunConfig(name="北京亦庄", inputs={r: InputConfig(r, str(path)) for r in ("roads", "buildings", "facilities")},
                    as_of=dt.date(2026, 6, 30))
    ws = load_inputs(cfg, Feedback())
    projects, _, _ = plan(ws, analyse(ws, cfg, Feedback()), cfg)
    s = load_settings()
    sites = projects[projects["type"].isin(["service_facility", "coverage_facility"])]
    assert len(sites)
    need = sites["subtype"].map(lambda k: s.min_new_households(str(k), households_known=False))
    assert (sites["buildings"] > need).all(), sites.loc[sites["buildings"] <= need, ["name", "buildings"]]
    assert (sites["type"] == "service_facility").sum() < 250


def test_site_minimums_set_on_the_command_line_change_the_sites(planned):
    """``--set sites.min_new_households_by_type.TYPE=N`` (and ``sites.*``) reach the portfolio:
    a zero minimum proposes at least as many sites of that type as the default, a huge one none;
    an unknown site setting is refused naming the field."""
    import dataclasses

    from planner.errors import InputError
    from planner.feedback import Feedback
    from planner.pipeline import analyse, plan

    cfg, ws, projects = planned
    result = analyse(ws, cfg, Feedback())

    def sites(params):
        p, settings, _ = plan(ws, result, dataclasses.replace(cfg, params={**cfg.params, **params}))
        return p[(p["type"] == "service_facility") & (p["subtype"] == "primary_school")], settings

    default = projects[(projects["type"] == "service_facility") & (projects["subtype"] == "primary_school")]
    low, s_low = sites({"sites.min_new_households_by_type.primary_school": 0})
    high, s_high = sites({"sites.min_new_households": 1e9})
    assert s_low.min_new_households("primary_school") == 0 and s_high.min_new_households("primary_school") == 1e9
    assert len(low) >= len(default) > len(high) == 0
    assert (default["households"] >= MIN_NEW_HOUSEHOLDS["primary_school"]).all()
    with pytest.raises(InputError) as err:
        sites({"sites.bogus": 1})
    assert err.value.field == "sites.bogus" and "min_new_households" in str(err.value.hint)
