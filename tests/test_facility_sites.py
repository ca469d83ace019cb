"""Facility sites instead of hulls (issue 12): network pairs, greedy maximum coverage against the
exact optimum (scipy.optimize.milp), and the sample's facility projects as sites."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy import sparse

from planner.analysis.common import anchor_points
from planner.portfolio.sites import greedy_max_coverage, optimal_max_coverage


@pytest.fixture(scope="module")
def sample_network(sample_workspace):
    from planner.analysis.network import build_network
    from planner.analysis.roads import built_mask

    cfg, ws = sample_workspace
    roads = ws.frame("roads")
    return ws, build_network(roads.geometry.values[built_mask(roads)], tolerance=1.0)


def test_pairs_within_agree_with_the_living_circle_distances(sample_network):
    """The site-to-building distances are the walking distances the gap analysis measures."""
    from planner.analysis.network import pairs_within
    from planner.analysis.services import walking_distances

    ws, net = sample_network
    b = ws.frame("buildings")
    pts = anchor_points(b.geometry.values)
    rng = np.random.default_rng(3)
    sites = pts[rng.choice(len(pts), 12, replace=False)]
    si, ti, dist = pairs_within(net, sites, pts, limit=500.0, block=5)
    assert len(si) > 100
    for k in range(len(sites)):
        ref = walking_distances(net, pts, sites[k:k + 1], np.array(["x"]), ["x"], limit=500.0)["x"]
        assert set(ti[si == k]) == set(np.flatnonzero(ref <= 500.0)), k
        mine = dist[si == k]
        assert np.allclose(np.sort(mine), np.sort(ref[ref <= 500.0]), atol=1e-6)


def _random_instance(rng, n_cand, n_dem, density):
    cover = sparse.random(n_cand, n_dem, density=density, random_state=rng, format="csr") > 0
    return sparse.csr_matrix(cover), rng.integers(1, 60, n_dem).astype(float)


def test_greedy_is_close_to_the_milp_optimum_on_small_cases():
    rng = np.random.default_rng(12)
    ratios = []
    for _ in range(12):
        cover, w = _random_instance(rng, 30, 120, 0.06)
        picks = greedy_max_coverage(cover, w)
        for k in (2, 4, 6):
            greedy = sum(p.gain for p in picks[:k])
            best, chosen = optimal_max_coverage(cover, w, k)
            assert len(chosen) <= k
            assert greedy <= best + 1e-6
            ratios.append(greedy / best)
    # the (1 - 1/e) guarantee, and in practice much closer
    assert min(ratios) >= 1 - 1 / np.e
    assert np.mean(ratios) >= 0.9


def test_greedy_uses_up_the_first_tier_and_stops_when_nothing_more_is_covered():
    # candidate 0 (tier 1, a road point) covers everything; candidates 1 and 2 (tier 0, parcels)
    # cover parts: the parcels come first, then the road point covers only what is left.
    cover = sparse.csr_matrix(np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]],
                                       dtype=bool))
    w = np.array([5.0, 5, 1, 1, 1])
    picks = greedy_max_coverage(cover, w, tier=np.array([1, 0, 0, 1]))
    assert [p.candidate for p in picks] == [1, 2, 0]
    assert [sorted(p.covered) for p in picks] == [[0, 1], [2], [3, 4]]
    assert [p.gain for p in picks] == [10.0, 1.0, 2.0]
    # a candidate covering nothing is never proposed; min_gain stops early
    assert [p.candidate for p in greedy_max_coverage(cover, w, tier=np.array([1, 0, 0, 1]), min_gain=1.5)] == [1, 0]


def test_greedy_on_a_real_sample_case_against_the_optimum(sample_network):
    """One facility type of the sample city: the coverage of its first k greedy sites against
    the best k sites of the same candidates (exact, HiGHS through scipy.optimize.milp)."""
    from planner.analysis.network import pairs_within
    from planner.analysis.roads import built_mask
    from planner.portfolio.sites import road_candidates

    ws, net = sample_network
    b = ws.frame("buildings")
    res = b[(b["use"] == "residential").to_numpy()]
    pts = anchor_points(res.geometry.values)
    w = res["households"].fillna(0).to_numpy(dtype=float) + 1e-3
    built = ws.frame("roads")[built_mask(ws.frame("roads"))].reset_index(drop=True)
    cands = road_candidates(net, pts, 120.0, 1000.0, built["road_id"].astype(str).to_numpy(dtype=object),
                            built["name"].to_numpy(dtype=object))
    ci, di, _ = pairs_within(net, cands.point, pts, limit=300.0)
    cover = sparse.csr_matrix((np.ones(len(ci), dtype=bool), (ci, di)), shape=(len(cands), len(pts)))
    picks = greedy_max_coverage(cover, w)
    for k in (3, 6):
        greedy = sum(p.gain for p in picks[:k])
        best, _ = optimal_max_coverage(cover, w, k)
        assert greedy / best >= 0.9, (k, greedy, best)


@pytest.fixture(scope="module")
def sample_sites(sample_run):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    projects = gpd.read_file(out / "portfolio.gpkg", layer="projects")
    gaps = gpd.read_file(out / "portfolio.gpkg", layer="service_gap")
    return projects, gaps


def test_facility_projects_are_sites_not_hulls(sample_sites, sample_workspace):
    from planner.portfolio.settings import load_settings

    projects, gaps = sample_sites
    cfg, ws = sample_workspace
    sf = projects[projects["type"] == "service_facility"]
    assert len(sf) > 10
    t = load_settings().types["service_facility"]
    parcels = ws.frame("parcels")
    biggest_parcel = float(shapely.area(parcels.geometry.values).max())
    site_area = sf["subtype"].map(lambda k: t.site_m2_by_class.get(k, 1000.0)).to_numpy()
    on_parcel = sf["parcel_ids"].fillna("") != ""
    area = shapely.area(sf.geometry.values)
    # a road site is a site-sized circle; a parcel site is its parcel; never a hull over blocks
    assert np.all(area[~on_parcel.to_numpy()] <= site_area[~on_parcel.to_numpy()] * 1.001)
    assert np.all(area[on_parcel.to_numpy()] <= biggest_parcel * 1.001)
    assert on_parcel.any() and (~on_parcel).any()
    # each parcel hosts at most one proposal
    assert sf.loc[on_parcel, "parcel_ids"].is_unique
    # the old hulls covered most of the city; the sites cover a small share of it
    city = shapely.area(shapely.union_all(ws.frame("boundary").geometry.values))
    assert shapely.area(shapely.union_all(sf.geometry.values)) < 0.25 * city
    assert sf["notes"].str.contains("新增覆盖").all()


def test_each_site_states_what_it_newly_covers_and_the_gap_is_used_up(sample_sites, sample_network):
    from planner.analysis.services import walking_distances
    from planner.portfolio.settings import load_settings

    projects, gaps = sample_sites
    ws, net = sample_network
    settings = load_settings()
    sf = projects[projects["type"] == "service_facility"]
    b = ws.frame("buildings").set_index(ws.frame("buildings")["building_id"].astype(str))
    for ftype, group in sf.groupby("subtype"):
        g = gaps[gaps["facility_type"] == ftype]
        radius = float(g["radius_m"].iloc[0])
        ids = [i.split(",") for i in group["building_ids"]]
        flat = [i for s in ids for i in s]
        # newly covered: never twice for one type; together the whole gap but what no site
        # could bring above the type's minimum (the sample's gap buildings can all be reached
        # from some candidate, so a building left out has no more households than the minimum)
        assert len(flat) == len(set(flat)), ftype
        gap = set(g["source_id"].astype(str))
        assert set(flat) <= gap, ftype
        hh = g.set_index(g["source_id"].astype(str))["households"]
        minimum = settings.min_new_households(ftype)
        assert (hh.reindex(sorted(gap - set(flat))) <= minimum + 1e-3).all(), (ftype, minimum)
        assert (group["households"] >= minimum).all(), (ftype, minimum)
        assert np.allclose(group["households"], [hh.reindex(s).sum() for s in ids])
        assert (group["buildings"] == [len(s) for s in ids]).all()
        # what a site claims is within the radius over the network
        for (_, p), covered in zip(group.head(3).iterrows(), ids[:3], strict=True):
            site_pt = anchor_points(np.array([p.geometry]))
            pts = anchor_points(b.geometry.reindex(covered).values)
            d = walking_distances(net, pts, site_pt, np.array(["x"]), ["x"], limit=radius + 1)["x"]
            assert (d <= radius + 1e-6).all(), (ftype, p["project_id"])


def test_greedy_picks_as_a_scan_of_every_candidate_would():
    """The heap-driven greedy picks what a plain scan (argmax over every candidate, then every
    gain lowered) picks, in the same order, on random instances with tiers, ties and limits."""
    import numpy as np
    from scipy import sparse

    from planner.portfolio.sites import greedy_max_coverage

    def scan(cover, weight, tier, min_gain, max_sites):
        cover = sparse.csr_matrix(cover, dtype=bool)
        gains = cover.astype(float) @ weight
        covered = np.zeros(cover.shape[1], dtype=bool)
        free = np.ones(cover.shape[0], dtype=bool)
        picks = []
        for level in np.unique(tier):
            mask = free & (tier == level)
            while max_sites is None or len(picks) < max_sites:
                j = int(np.argmax(np.where(mask, gains, -np.inf)))
                if not mask[j] or gains[j] <= min_gain:
                    break
                cols = cover.indices[cover.indptr[j]:cover.indptr[j + 1]]
                new = cols[~covered[cols]]
                mask[j] = False
                if len(new) == 0 or weight[new].sum() <= min_gain:
                    gains[j] = 0.0
                    continue
                covered[new] = True
                free[j] = False
                picks.append(j)
                gains -= cover[:, new].astype(float) @ weight[new]
        return picks

    rng = np.random.default_rng(7)
    for trial in range(150):
        nc, nd = int(rng.integers(1, 50)), int(rng.integers(1, 70))
        cover = sparse.random(nc, nd, density=float(rng.uniform(0.03, 0.5)), random_state=trial, format="csr") > 0
        weight = rng.choice([0.0, 1.0, 2.0, 0.5], nd) if trial % 2 else rng.uniform(0, 5, nd).round(1)
        tier = rng.integers(0, 3, nc) if trial % 3 == 0 else np.zeros(nc, dtype=np.int64)
        min_gain, max_sites = float(rng.choice([0.0, 0.5, 2.0])), None if trial % 4 else int(rng.integers(1, 8))
        got = [p.candidate for p in greedy_max_coverage(cover, weight, tier=tier, min_gain=min_gain,
                                                        max_sites=max_sites)]
        assert got == scan(cover, weight, tier, min_gain, max_sites), trial
