"""The facility-site search's faster paths give exactly what the plain ones gave: the greedy
through block maxima (and dropping at once the candidates left with only rounding residue)
against a plain argmax greedy, and one pairs_within over the union of several runs' points
(SharedCover) against each run's own call, on the sample city's network."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from planner.analysis.common import anchor_points
from planner.portfolio.sites import SharedCover, greedy_max_coverage


def _plain_greedy(cover, weight, tier, min_gain=0.0):
    """The greedy as first written: argmax over every candidate of the tier, one pick at a time
    (gains kept with the same subtractions in the same order)."""
    cover = sparse.csr_matrix(cover, dtype=bool)
    by_demand = cover.T.tocsr()
    gains = cover.astype(float) @ weight
    covered = np.zeros(cover.shape[1], dtype=bool)
    free = np.ones(cover.shape[0], dtype=bool)
    out = []
    for level in np.unique(tier):
        mask = free & (tier == level)
        while True:
            masked = np.where(mask, gains, -np.inf)
            j = int(masked.argmax())
            if not masked[j] > min_gain:
                break
            cols = cover.indices[cover.indptr[j]:cover.indptr[j + 1]]
            new = cols[~covered[cols]]
            mask[j] = False
            if len(new) == 0 or weight[new].sum() <= min_gain:
                gains[j] = 0.0
                continue
            covered[new] = True
            out.append((j, new.tolist(), float(weight[new].sum())))
            free[j] = False
            rows = np.concatenate([np.full(by_demand.indptr[d + 1] - by_demand.indptr[d], k)
                                   for k, d in enumerate(new)])
            cand = np.concatenate([by_demand.indices[by_demand.indptr[d]:by_demand.indptr[d + 1]] for d in new])
            touched, inverse = np.unique(cand, return_inverse=True)
            gains[touched] -= np.bincount(inverse, weights=weight[new][rows], minlength=len(touched))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_greedy_picks_exactly_what_a_plain_argmax_greedy_picks(seed):
    rng = np.random.default_rng(seed)
    n_cand, n_dem = int(rng.integers(50, 700)), int(rng.integers(100, 3000))
    cover = sparse.random(n_cand, n_dem, density=float(rng.uniform(0.005, 0.05)), random_state=rng, format="csr") > 0
    # duplicated rows (equal gains: the lowest index wins) and households as the build weighs them
    # (whole numbers + 1e-3, whose sums leave rounding residue on candidates whose demand is covered)
    dup = rng.choice(n_cand, n_cand // 5)
    cover = sparse.vstack([cover, cover[dup]]).tocsr()
    weight = rng.integers(0, 40, n_dem).astype(float) + 1e-3
    tier = (rng.random(cover.shape[0]) < 0.3).astype(np.int64)
    for min_gain in (0.0, 5.0):
        ref = _plain_greedy(cover, weight, tier, min_gain)
        got = greedy_max_coverage(cover, weight, tier=tier, min_gain=min_gain)
        assert len(ref) > 5
        assert [(p.candidate, p.covered.tolist(), p.gain) for p in got] == ref


@pytest.mark.parametrize("chunk", [None, 7])
def test_shared_cover_gives_each_run_its_own_pairs(sample_workspace, chunk):
    from planner.analysis.network import build_network, pairs_within
    from planner.analysis.roads import built_mask

    cfg, ws = sample_workspace
    roads = ws.frame("roads")
    net = build_network(roads.geometry.values[built_mask(roads)], tolerance=1.0)
    pts = anchor_points(ws.frame("buildings").geometry.values)
    rng = np.random.default_rng(5)
    distinct = pts
    shared = SharedCover(distinct, lambda n: n.attach(distinct), chunk=chunk)
    runs = []
    for radius in (300.0, 300.0, 500.0):
        demand = np.sort(rng.choice(len(pts), len(pts) // 2, replace=False))
        # candidates: some shared between runs, some repeated within a run
        cand = pts[rng.choice(len(pts), 60)]
        runs.append((radius, demand, cand, shared.ask(net, radius, cand, demand)))
    for radius, demand, cand, ticket in runs:
        keep = np.flatnonzero(rng.random(len(cand)) < 0.7)
        got = shared.cover(ticket, keep)
        ci, di, _ = pairs_within(net, cand[keep], pts[demand], limit=radius)
        want = sparse.csr_matrix((np.ones(len(ci), dtype=bool), (ci, di)), shape=(len(keep), len(demand)))
        assert want.nnz > 100
        assert got.shape == want.shape and got.has_sorted_indices
        assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)


def test_gap_anchors_from_the_building_places_equal_those_computed(sample_analysed):
    """The gap flags' anchors taken from the run's building places are the anchors computed
    from the flags' own geometries, coordinate for coordinate; a flag whose geometry is not its
    building's outline (moved here) or whose building is unknown gets its own anchor."""
    import pandas as pd
    import shapely

    from planner.analysis.common import PLACES
    from planner.portfolio.build import _Builder
    from planner.portfolio.settings import load_settings

    _, ws, result = sample_analysed
    assert PLACES in result.shared
    gaps = result.flags["service_gap"]
    geoms = np.asarray(gaps.geometry.values, dtype=object)
    ids = gaps["source_id"].to_numpy(dtype=object).copy()
    moved = np.arange(0, len(geoms), 7)
    geoms = geoms.copy()
    geoms[moved] = shapely.transform(geoms[moved], lambda xy: xy + 3.0)
    ids[1] = "no such building"
    got = _Builder(ws, result, load_settings())._anchors(geoms, ids)
    want = anchor_points(geoms)
    assert len(got) == len(gaps) > 100
    assert np.array_equal(shapely.get_coordinates(got), shapely.get_coordinates(want))
    # the places' anchors were used for the others (the same point objects)
    places = result.shared[PLACES].points
    rows = pd.Index(ws.frame("buildings")["building_id"].astype(str)).get_indexer(ids.astype(str))
    used = np.array([g is places[r] for g, r in zip(got, rows, strict=True)])
    assert used.sum() > 0.8 * len(got) and not used[moved].any() and not used[1]
