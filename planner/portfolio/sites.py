"""Facility sites for living-circle gaps: greedy maximum coverage over network distances.

For each facility type with a gap (residential buildings farther than the type's radius from
every facility of the type), candidate sites are, first, idle, underused or 批而未供 parcels and
unbuilt public land large enough for the facility, then points on the roads inside the gap.
A site covers a gap building when the walking distance over the network (planner.analysis.
network.pairs_within) is within the radius. Sites are chosen greedily: each time the candidate
that newly covers the most households (parcels before road points), until no candidate covers
anything more. Each proposal states the households and buildings it newly covers, so overlaps
are counted once.

Greedy maximum coverage is within 1 - 1/e of the optimum with the same number of sites
(Nemhauser, Wolsey & Fisher 1978); :func:`optimal_max_coverage` solves small cases exactly with
``scipy.optimize.milp`` (HiGHS) to measure the real ratio (tests and ``make bench``).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.analysis.network import RoadNetwork, pairs_within

if TYPE_CHECKING:
    from planner.arrays import FloatArray, Int64Array

    Attachment = tuple[Int64Array, FloatArray, FloatArray]  # RoadNetwork.attach's answer


@dataclass
class Pick:
    """One chosen site: the candidate's index, the demand it newly covers and their weight."""

    candidate: int
    covered: np.ndarray
    gain: float


def _rows_of(matrix: sparse.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row position in ``rows``, column) of every stored entry of the given rows (vectorised)."""
    start, stop = matrix.indptr[rows], matrix.indptr[rows + 1]
    counts = stop - start
    which = np.repeat(np.arange(len(rows)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return which, matrix.indices[np.repeat(start, counts) + offsets]


def greedy_max_coverage(cover: sparse.csr_matrix, weight: np.ndarray, *, tier: np.ndarray | None = None,
                        min_gain: float = 0.0, max_sites: int | None = None) -> list[Pick]:
    """Greedy maximum coverage, tier by tier.

    Parameters
    ----------
    cover : csr_matrix, shape (candidates, demand)
        Nonzero where a candidate covers a demand point.
    weight : ndarray, shape (demand,)
        Weight of each demand point (households, plus a little per building).
    tier : ndarray of int, optional
        Candidates of tier 0 are used up first, then tier 1 ... (parcels before road points).
    min_gain : float
        A site must newly cover more than this weight.
    max_sites : int, optional
        At most this many sites (default: until nothing more can be covered).

    Returns
    -------
    list of Pick
        In the order chosen.
    """
    cover = sparse.csr_matrix(cover, dtype=bool)
    n_cand, n_dem = cover.shape
    weight = np.asarray(weight, dtype=float)
    tier = np.zeros(n_cand, dtype=np.int64) if tier is None else np.asarray(tier, dtype=np.int64)
    by_demand = cover.T.tocsr()
    gains = cover.astype(float) @ weight
    covered = np.zeros(n_dem, dtype=bool)
    free = np.ones(n_cand, dtype=bool)
    picks: list[Pick] = []
    for level in np.unique(tier):
        mask = free & (tier == level)
        # the best candidate from a heap of (-gain, index): gains only fall, so an entry whose
        # gain is out of date is refreshed when it comes to the top; the first valid entry is
        # the largest gain, the lowest index among equals (as argmax over every candidate was,
        # at a cost per pick of the candidates touched, not of all of them)
        idx = np.flatnonzero(mask)
        heap = list(zip((-gains[idx]).tolist(), idx.tolist(), strict=True))
        heapq.heapify(heap)
        while max_sites is None or len(picks) < max_sites:
            j = -1
            while heap:
                g, c = heap[0]
                if not mask[c]:
                    heapq.heappop(heap)
                elif -g != gains[c]:
                    heapq.heapreplace(heap, (-float(gains[c]), c))
                else:
                    j = c
                    break
            if j < 0 or gains[j] <= min_gain:
                break
            cols = cover.indices[cover.indptr[j]:cover.indptr[j + 1]]  # the demand j covers
            new = cols[~covered[cols]]
            if len(new) == 0 or weight[new].sum() <= min_gain:  # its gain was rounding residue
                gains[j] = 0.0
                mask[j] = False
                continue
            covered[new] = True
            picks.append(Pick(j, new, float(weight[new].sum())))
            mask[j] = free[j] = False
            # every candidate that also covered the newly covered demand loses its weight (summed
            # per candidate in the same order as a bincount over all candidates)
            which, cand = _rows_of(by_demand, new)
            touched, inverse = np.unique(cand, return_inverse=True)
            gains[touched] -= np.bincount(inverse, weights=weight[new][which], minlength=len(touched))
    return picks


def optimal_max_coverage(cover: sparse.csr_matrix, weight: np.ndarray, k: int, *,
                         time_limit: float = 60.0) -> tuple[float, np.ndarray]:
    """The exact maximum coverage with at most ``k`` sites (mixed-integer program, HiGHS).

    maximise sum w_i y_i subject to y_i <= sum_{j covers i} x_j, sum x_j <= k, x binary,
    0 <= y <= 1 (y is integral at the optimum).

    Returns
    -------
    (float, ndarray)
        The covered weight and the chosen candidates.
    """
    cover = sparse.csr_matrix(cover, dtype=float)
    n_cand, n_dem = cover.shape
    weight = np.asarray(weight, dtype=float)
    c = np.concatenate([np.zeros(n_cand), -weight])
    link = sparse.hstack([-cover.T, sparse.identity(n_dem)], format="csr")
    budget = sparse.csr_matrix(np.concatenate([np.ones(n_cand), np.zeros(n_dem)])[None, :])
    res = milp(c, constraints=[LinearConstraint(link, -np.inf, 0), LinearConstraint(budget, 0, k)],
               integrality=np.concatenate([np.ones(n_cand), np.zeros(n_dem)]), bounds=Bounds(0, 1),
               options={"time_limit": time_limit})
    if res.x is None:
        raise RuntimeError(f"milp found no solution: {res.message}")
    return float(-res.fun), np.flatnonzero(res.x[:n_cand] > 0.5)


UNNAMED_ROAD_SITE = "无名道路旁"


@dataclass
class Candidates:
    """Candidate sites of one facility type."""

    point: np.ndarray       # where the site meets the network (Point)
    site: np.ndarray        # the site itself: the parcel, or (see ``circle``) None at a road point
    kind: np.ndarray        # "parcel" | "road"
    ref: np.ndarray         # parcel id or road id
    label: np.ndarray       # readable place: 地块DK0003 / 「昆河路」旁 / 无名道路旁
    note: np.ndarray        # what the site is (批而未供地块 …)
    area: np.ndarray        # parcel area (m²); 0 for road points
    circle: np.ndarray      # radius (m) of the site circle a road point's site is, made by drawn(); 0: given

    def __len__(self) -> int:
        return len(self.point)

    def drawn(self) -> Candidates:
        """These candidates with the site circle of each road point made (only the chosen few
        need one: buffering every candidate of a dense city was a sixth of its portfolio)."""
        todo = np.flatnonzero(self.circle > 0)
        site = self.site.copy()
        if len(todo):
            site[todo] = shapely.buffer(self.point[todo], self.circle[todo], quad_segs=8)
        return replace(self, site=site, circle=np.zeros(len(self)))

    def take(self, idx: np.ndarray) -> Candidates:
        return Candidates(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: list[Candidates]) -> Candidates:
        return Candidates(*(np.concatenate([getattr(p, f) for p in parts]) for f in Candidates.__dataclass_fields__))


def road_candidates(net: RoadNetwork, demand_pts: np.ndarray, spacing: float, site_m2: float,
                    road_ids: np.ndarray, road_names: np.ndarray, *, attach: Attachment | None = None) -> Candidates:
    """Points on the roads inside the gap: where each gap building meets its nearest road,
    thinned to one per ``spacing`` grid cell; the site is a circle of the facility's area
    (made by :meth:`Candidates.drawn` for the candidates chosen).
    ``attach`` is ``net.attach(demand_pts)`` where the caller has it already."""
    edge, t, _ = attach if attach is not None else net.attach(demand_pts)
    ok = edge >= 0
    pts = shapely.line_interpolate_point(net.segments[edge[ok]], t[ok], normalized=True)
    xy = shapely.get_coordinates(pts)
    key = pd.Series(np.floor(xy[:, 0] / spacing).astype(np.int64) * 1_000_003 + np.floor(xy[:, 1] / spacing).astype(np.int64))
    first = np.flatnonzero(~key.duplicated().to_numpy())
    pts, e = pts[first], edge[ok][first]
    road = net.edge_road[e]
    rid = road_ids[road].astype(str)
    name = pd.Series(road_names[road], dtype="string").fillna("")
    # an unnamed road is never named by its id (an OSM way id): the caller places a chosen site on
    # it by the nearest named road or the district (planner.portfolio.places)
    label = ("「" + name + "」旁").where(name != "", UNNAMED_ROAD_SITE).to_numpy(dtype=object)
    n = len(pts)
    return Candidates(pts, np.full(n, None, dtype=object),
                      np.full(n, "road", dtype=object), rid.astype(object), label,
                      np.full(n, "道路旁选址（示意，需落实用地）", dtype=object), np.zeros(n),
                      np.full(n, float(np.sqrt(site_m2 / np.pi))))


def choose_sites(net: RoadNetwork, demand_pts: np.ndarray, weight: np.ndarray, candidates: Candidates,
                 radius: float, *, tier: np.ndarray, min_gain: float = 0.0, attach: Attachment | None = None) -> list[Pick]:
    """Greedy sites for one facility type (candidates covering nothing are never chosen)."""
    if len(candidates) == 0 or len(demand_pts) == 0:
        return []
    ci, di, _ = pairs_within(net, candidates.point, demand_pts, limit=radius, target_attach=attach)
    cover = sparse.csr_matrix((np.ones(len(ci), dtype=bool), (ci, di)), shape=(len(candidates), len(demand_pts)))
    return greedy_max_coverage(cover, weight, tier=tier, min_gain=min_gain)
