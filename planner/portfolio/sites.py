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

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


def _refresh(blocks: np.ndarray, arg: np.ndarray, best: np.ndarray, changed: np.ndarray) -> None:
    """The maximum (first among equals) of each changed block of candidates' gains."""
    sub = blocks[changed]
    at = sub.argmax(axis=1)
    arg[changed] = at
    best[changed] = sub[np.arange(len(changed)), at]


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
    # each candidate's weight summed in its row's order from 0, as the matrix-vector product
    # (cover.astype(float) @ weight) sums it, without a float copy of the matrix
    gains = np.bincount(np.repeat(np.arange(n_cand), np.diff(cover.indptr)), weights=weight[cover.indices],
                        minlength=n_cand)
    lost = np.zeros(n_cand)  # scratch: the weight each candidate loses by a pick, zero between picks
    covered = np.zeros(n_dem, dtype=bool)
    free = np.ones(n_cand, dtype=bool)
    picks: list[Pick] = []
    # The best candidate is found through the maxima of blocks of candidates: a pick changes the
    # gains of the candidates covering what it newly covers, and only their blocks are looked at
    # again (each a vectorised max), then the largest of the block maxima is the next pick. The
    # first maximum is taken at both levels: the largest gain, the lowest index among equals,
    # as argmax over every candidate (and a heap of the gains before) chose.
    size = max(32, int(np.sqrt(max(n_cand, 1))))
    n_blocks = max(1, -(-n_cand // size))
    hit_block = np.zeros(n_blocks, dtype=bool)  # scratch: the blocks a pick changed
    for level in np.unique(tier):
        mask = free & (tier == level)
        key = np.full(n_blocks * size, -np.inf)  # the gain of a candidate of this level, -inf for the rest
        key[:n_cand][mask] = gains[mask]
        blocks = key.reshape(n_blocks, size)
        arg = blocks.argmax(axis=1)
        best = blocks[np.arange(n_blocks), arg]
        while max_sites is None or len(picks) < max_sites:
            top = int(best.argmax())
            j = top * size + int(arg[top])
            if not best[top] > min_gain:  # -inf: no candidate of this level is left
                break
            cols = cover.indices[cover.indptr[j]:cover.indptr[j + 1]]  # the demand j covers
            new = cols[~covered[cols]]
            if len(new) == 0:
                # its gain was rounding residue, as is that of every candidate of this level
                # whose demand is all covered: they are dropped at once (one at a time, each
                # would come to the top, cover nothing and go, changing nothing else)
                dead = mask & ((cover @ (~covered).astype(np.int64)) == 0)
                gains[dead] = 0.0
                mask[dead] = False
                key[:n_cand][dead] = -np.inf
                _refresh(blocks, arg, best, np.unique(np.flatnonzero(dead) // size))
                continue
            mask[j] = False
            key[j] = -np.inf
            if weight[new].sum() <= min_gain:  # too little left to cover
                gains[j] = 0.0
                _refresh(blocks, arg, best, np.array([top]))
                continue
            covered[new] = True
            picks.append(Pick(j, new, float(weight[new].sum())))
            free[j] = False
            # every candidate that also covered the newly covered demand loses its weight (summed
            # per candidate in the same order as a bincount over all candidates)
            # (np.add.at sums each candidate's losses from 0 in the order a bincount over all
            # candidates does; a candidate listed twice is written twice with the same value)
            which, cand = _rows_of(by_demand, new)
            np.add.at(lost, cand, weight[new][which])
            gains[cand] -= lost[cand]
            lost[cand] = 0.0
            key[cand] = np.where(mask[cand], gains[cand], -np.inf)
            hit_block[cand // size] = True  # holding top's block (j covers new)
            hit = np.flatnonzero(hit_block)
            hit_block[hit] = False
            _refresh(blocks, arg, best, hit)
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
                    road_ids: np.ndarray, road_names: np.ndarray, *, attach: Attachment | None = None,
                    foot: np.ndarray | None = None) -> Candidates:
    """Points on the roads inside the gap: where each gap building meets its nearest road,
    thinned to one per ``spacing`` grid cell; the site is a circle of the facility's area
    (made by :meth:`Candidates.drawn` for the candidates chosen).
    ``attach`` is ``net.attach(demand_pts)`` where the caller has it already, ``foot`` the
    points where they meet the network (:func:`feet`)."""
    edge, t, _ = attach if attach is not None else net.attach(demand_pts)
    ok = edge >= 0
    pts = foot[ok] if foot is not None else feet(net, (edge, t, np.zeros(0)))[ok]
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


def feet(net: RoadNetwork, attach: Attachment) -> np.ndarray:
    """Where each attached point meets the network (None where it found no segment)."""
    edge, t, _ = attach
    ok = edge >= 0
    out = np.full(len(edge), None, dtype=object)
    out[ok] = shapely.line_interpolate_point(net.segments[edge[ok]], t[ok], normalized=True)
    return out


def choose_sites(net: RoadNetwork, demand_pts: np.ndarray, weight: np.ndarray, candidates: Candidates,
                 radius: float, *, tier: np.ndarray, min_gain: float = 0.0, attach: Attachment | None = None,
                 cover: sparse.csr_matrix | None = None) -> list[Pick]:
    """Greedy sites for one facility type (candidates covering nothing are never chosen).
    ``cover`` is the candidates x demand points within ``radius`` where the caller has it
    already (:class:`SharedCover`)."""
    if len(candidates) == 0 or len(demand_pts) == 0:
        return []
    if cover is None:
        ci, di, _ = pairs_within(net, candidates.point, demand_pts, limit=radius, target_attach=attach)
        cover = sparse.csr_matrix((np.ones(len(ci), dtype=bool), (ci, di)), shape=(len(candidates), len(demand_pts)))
    return greedy_max_coverage(cover, weight, tier=tier, min_gain=min_gain)


def point_codes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A code per distinct point (equal coordinates) and the position of each code's first point."""
    code = pd.DataFrame({"x": shapely.get_x(points), "y": shapely.get_y(points)}).groupby(
        ["x", "y"], sort=False, dropna=False).ngroup().to_numpy()
    first = np.zeros(int(code.max()) + 1 if len(code) else 0, dtype=np.int64)
    first[code[::-1]] = np.arange(len(code))[::-1]
    return code, first


class SharedCover:
    """Which candidate covers which demand point, measured once per network and radius for all
    the greedy runs that ask.

    The facility types of one radius lack most of the same buildings, and their candidates share
    many points (a road point is where the first gap building of its cell meets the road), so a
    city's dozen runs measured one by one walked the same pairs five or six times. A pair's
    walking distance depends on nothing but its two points' coordinates (planner.analysis.
    network.pairs_within), so the pairs of the union of the points asked for, measured in one
    call, give each run exactly the cover its own call gave.

    Parameters
    ----------
    points : ndarray of Point
        The distinct demand points; asks name theirs by position.
    attach : callable
        ``attach(net)``: ``net.attach(points)`` (kept by the caller, which needs it too).
    chunk : int, optional
        Candidate points per pairs_within call (default a few thousand, fewer for a larger radius).
    """

    def __init__(self, points: np.ndarray, attach: Callable[[RoadNetwork], Attachment], *,
                 chunk: int | None = None) -> None:
        self.points = points
        self.chunk = chunk  # sources measured per pairs_within call (default by the radius)
        self._attach = attach
        self._asks: list[tuple[tuple[int, float], np.ndarray, np.ndarray]] = []
        self._nets: dict[int, RoadNetwork] = {}
        self._made: dict[tuple[int, float], tuple[list[np.ndarray], np.ndarray, sparse.csr_matrix]] = {}
        self._left: dict[tuple[int, float], int] = {}

    def ask(self, net: RoadNetwork, radius: float, candidates: np.ndarray, demand: np.ndarray) -> int:
        """Register a run's candidate points and demand (positions in ``points``); returns its ticket.
        Every ask is registered before the first :meth:`cover`."""
        key = (id(net), float(radius))
        if key in self._made:
            raise RuntimeError("SharedCover.ask after the pairs of its network and radius were measured")
        self._nets[id(net)] = net
        self._asks.append((key, np.asarray(candidates), np.asarray(demand, dtype=np.int64)))
        self._left[key] = self._left.get(key, 0) + 1
        return len(self._asks) - 1

    def cover(self, ticket: int, rows: np.ndarray | None = None) -> sparse.csr_matrix:
        """The ask's candidates (those at ``rows``, default all) x its demand points: True where
        the walk is within the radius (sorted indices, as a matrix built from the pairs is)."""
        key, _, demand = self._asks[ticket]
        if key not in self._made:
            self._made[key] = self._measure(key)
        codes, dem, matrix = self._made[key]
        cu = codes[ticket] if rows is None else codes[ticket][rows]
        out = sparse.csr_matrix(matrix[cu][:, np.searchsorted(dem, demand)], dtype=bool)
        out.sort_indices()
        self._left[key] -= 1
        if self._left[key] == 0:  # every run of this network and radius served
            del self._made[key]
        return out

    def _measure(self, key: tuple[int, float]) -> tuple[list[np.ndarray], np.ndarray, sparse.csr_matrix]:
        tickets = [i for i, a in enumerate(self._asks) if a[0] == key]
        pts = np.concatenate([self._asks[i][1] for i in tickets])
        code, first = point_codes(pts)
        bounds = np.cumsum([0] + [len(self._asks[i][1]) for i in tickets])
        codes = [np.empty(0, dtype=np.int64)] * len(self._asks)
        for i, a, b in zip(tickets, bounds[:-1], bounds[1:], strict=True):
            codes[i] = code[a:b]
        asked = np.zeros(len(self.points), dtype=bool)  # the distinct demand asked for, sorted (no sort)
        for i in tickets:
            asked[self._asks[i][2]] = True
        dem = np.flatnonzero(asked)
        del asked
        net = self._nets[key[0]]
        edge, t, off = self._attach(net)
        radius = key[1]
        src, tgt = pts[first], self.points[dem]
        attach = (edge[dem], t[dem], off[dem])
        # sources a few thousand at a time, by cells as pairs_within groups them, so that the
        # pairs in hand stay bounded (a dense city's 1 km runs have tens of millions)
        xy = shapely.get_coordinates(src)
        cell = max(500.0, 2 * radius)
        order = np.lexsort((np.floor(xy[:, 1] / cell), np.floor(xy[:, 0] / cell))) if len(xy) else np.zeros(0, dtype=np.int64)
        # chunks measured at once share the bound: as many pairs in hand as one chunk had
        threads = min(4, os.cpu_count() or 1)
        step = self.chunk or max(256, int(4e9 / radius ** 2) // threads)

        def measure(part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ci, di, _ = pairs_within(net, src[part], tgt, limit=radius, target_attach=attach)
            return part[ci].astype(np.int32), di.astype(np.int32)

        # the chunks on threads, in order (scipy's Dijkstra and numpy's large array operations
        # release the GIL; each chunk's pairs depend on nothing but its own points); the
        # network's lazily made graph and tree are made first, not by two threads at once
        net.graph, net.tree  # noqa: B018
        parts = [order[a:a + step] for a in range(0, len(order), step)]
        workers = min(threads, len(parts))
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                found = list(pool.map(measure, parts))
        else:
            found = [measure(part) for part in parts]
        ci = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.int32)
        di = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int32)
        del found
        matrix = sparse.csr_matrix((np.ones(len(ci), dtype=bool), (ci, di)), shape=(len(first), len(dem)))
        return codes, dem, matrix
