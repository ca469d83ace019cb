"""Road topology from line geometry, vectorised (no loop over features).

Lines are exploded to 2-point segments; vertices closer than the snapping tolerance are merged
(KD-tree pairs + connected components); a line end that touches another segment's interior
(a T-junction without a shared vertex) splits that segment there. The result is an undirected
graph (CSR matrix of segment lengths) with a street count per node as OSMnx counts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from planner.arrays import FloatArray, GeometryArray, IndexArray, Int64Array, IntegerArray
from planner.parallel import chunked, map_pairs, query_pairs


@dataclass
class RoadNetwork:
    node_xy: FloatArray          # (N, 2)
    edge_u: IntegerArray         # (E,)
    edge_v: IntegerArray
    edge_len: FloatArray
    edge_road: IntegerArray      # index of the source road (row of the roads frame)
    degree: IntegerArray         # street count per node (OSMnx's definition)
    end_nodes: IntegerArray      # node of each line-part end (2 per part)
    end_road: IntegerArray       # road of each of those ends
    t_splits: int = 0            # T-junctions found without a shared vertex
    _graph: csr_matrix | None = None
    _segments: GeometryArray | None = None
    _tree: shapely.STRtree | None = None

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def graph(self) -> csr_matrix:
        """Symmetric CSR of edge lengths (the shortest of parallel edges)."""
        if self._graph is None:
            self._graph = _csr(self.edge_u, self.edge_v, self.edge_len, self.n_nodes)
        return self._graph

    @property
    def segments(self) -> GeometryArray:
        if self._segments is None:
            self._segments = shapely.linestrings(
                np.stack([self.node_xy[self.edge_u], self.node_xy[self.edge_v]], axis=1))
        return self._segments

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.segments)
        return self._tree

    def dead_end_nodes(self) -> IndexArray:
        return np.flatnonzero(self.degree == 1)

    def road_of_node(self, nodes: IntegerArray) -> Int64Array:
        """The road whose line ends at each node (the first such end)."""
        order = np.argsort(self.end_nodes, kind="stable")
        sorted_nodes = self.end_nodes[order]
        pos = np.searchsorted(sorted_nodes, nodes)
        pos = np.clip(pos, 0, len(sorted_nodes) - 1)
        found = sorted_nodes[pos] == nodes
        out = np.full(len(nodes), -1, dtype=np.int64)
        out[found] = self.end_road[order][pos[found]]
        return out

    def attach(self, points: GeometryArray) -> tuple[Int64Array, FloatArray, FloatArray]:
        """Nearest segment of each point: (edge index, position along it 0..1, straight distance).

        Chunks of a large array are matched on threads (shapely's nearest search, location and
        distance release the GIL; each point's answer does not depend on the others)."""
        tree = self.tree

        def nearest(chunk: GeometryArray) -> Int64Array:
            idx_pts, idx_seg = tree.query_nearest(chunk, all_matches=False)
            edge = np.full(len(chunk), -1, dtype=np.int64)
            edge[idx_pts] = idx_seg
            return edge

        points = np.asarray(points)
        edge = chunked(nearest, points)
        seg = self.segments[edge]
        t = map_pairs(lambda s, p: shapely.line_locate_point(s, p, normalized=True), seg, points)
        d = map_pairs(shapely.distance, seg, points)
        return edge, np.nan_to_num(t), d


def _csr(u: IntegerArray, v: IntegerArray, w: FloatArray, n: int) -> csr_matrix:
    a, b = np.minimum(u, v), np.maximum(u, v)
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]
    # A zero-length edge would vanish from a sparse matrix: give it a tiny positive length.
    w = np.maximum(w, 1e-9)
    m = coo_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n))
    return m.tocsr()


def _subgraph(graph: csr_matrix, cand: IntegerArray) -> tuple[Int64Array, Int64Array, FloatArray]:
    """``graph[cand][:, cand].tocoo()`` as (row, col, data) for sorted unique ``cand``, gathered
    straight from the CSR arrays (the same entries in the same order, without scipy's two
    fancy-indexing passes over a city-wide matrix)."""
    start = graph.indptr[cand].astype(np.int64)
    counts = graph.indptr[cand + 1].astype(np.int64) - start
    total = int(counts.sum())
    offsets = np.cumsum(counts) - counts
    pos = np.repeat(start - offsets, counts) + np.arange(total, dtype=np.int64)
    row = np.repeat(np.arange(len(cand), dtype=np.int64), counts)
    cols = graph.indices[pos]
    local = np.minimum(np.searchsorted(cand, cols), len(cand) - 1)
    keep = cand[local] == cols
    return row[keep], local[keep].astype(np.int64), graph.data[pos][keep]


def _merge_vertices(coords: FloatArray, tol: float) -> tuple[IntegerArray, FloatArray]:
    """Node id of each vertex and node coordinates: exact equality, or within ``tol``."""
    # Exact duplicates first (most shared vertices), hashed as complex numbers (no sort), then
    # close pairs among the distinct ones.
    inverse, keys = pd.factorize(coords[:, 0] + 1j * coords[:, 1])
    uniq = np.column_stack([keys.real, keys.imag]) if isinstance(keys, np.ndarray) else \
        np.column_stack([np.real(keys.to_numpy()), np.imag(keys.to_numpy())])
    if tol <= 0:
        return inverse, uniq
    pairs = cKDTree(uniq).query_pairs(tol, output_type="ndarray")
    if len(pairs) == 0:
        return inverse, uniq
    n = len(uniq)
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    # Each merged node sits at its first member's position.
    first = np.full(label.max() + 1, -1, dtype=np.int64)
    order = np.arange(n)[::-1]
    first[label[order]] = order
    return label[inverse], uniq[first]


def build_network(geoms: npt.ArrayLike, *, tolerance: float = 1.0, split_t_junctions: bool = True) -> RoadNetwork:
    """The topology of the given lines (one array entry per road; multi-lines allowed)."""
    parts, part_road = shapely.get_parts(np.asarray(geoms), return_index=True)
    keep = shapely.get_type_id(parts) == 1
    parts, part_road = parts[keep], part_road[keep]
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    if len(coords) == 0:
        z = np.zeros(0, dtype=np.int64)
        return RoadNetwork(np.zeros((0, 2)), z, z, np.zeros(0), z, z, z, z)
    node_of, node_xy = _merge_vertices(coords, tolerance)
    same_part = cidx[1:] == cidx[:-1]
    u = node_of[:-1][same_part]
    v = node_of[1:][same_part]
    road = part_road[cidx[:-1][same_part]]
    seg_keep = u != v
    u, v, road = u[seg_keep], v[seg_keep], road[seg_keep]
    # Line-part ends.
    starts = np.flatnonzero(np.r_[True, cidx[1:] != cidx[:-1]])
    ends = np.flatnonzero(np.r_[cidx[1:] != cidx[:-1], True])
    end_nodes = np.concatenate([node_of[starts], node_of[ends]])
    end_road = np.concatenate([part_road[cidx[starts]], part_road[cidx[ends]]])
    t_splits = 0
    if split_t_junctions and len(u):
        # Only ends that are not yet junctions (one or two segments) can be T-junctions to find.
        pre_degree = np.bincount(u, minlength=len(node_xy)) + np.bincount(v, minlength=len(node_xy))
        ends_open = np.unique(end_nodes)
        ends_open = ends_open[pre_degree[ends_open] <= 2]
        u, v, road, t_splits, segments = _split_at_t_junctions(u, v, road, node_xy, ends_open, tolerance)
    else:
        segments = None
    length = np.hypot(*(node_xy[u] - node_xy[v]).T)
    degree = np.bincount(u, minlength=len(node_xy)) + np.bincount(v, minlength=len(node_xy))
    return RoadNetwork(node_xy, u, v, length, road, degree, end_nodes, end_road, t_splits, _segments=segments)


def _split_at_t_junctions(u: IntegerArray, v: IntegerArray, road: IntegerArray, node_xy: FloatArray,
                          end_nodes: IntegerArray, tol: float,
                          ) -> tuple[IntegerArray, IntegerArray, IntegerArray, int, GeometryArray]:
    """Split segments whose interior an end node touches (within ``tol``); join the end there."""
    segs = shapely.linestrings(np.stack([node_xy[u], node_xy[v]], axis=1))
    pts = shapely.points(node_xy[end_nodes])
    tree = shapely.STRtree(segs)
    if tol > 0:
        pi, si = query_pairs(tree, pts, predicate="dwithin", distance=tol)
    else:
        pi, si = query_pairs(tree, pts, predicate="intersects")
    node = end_nodes[pi]
    own = (u[si] == node) | (v[si] == node)
    pi, si, node = pi[~own], si[~own], node[~own]
    if len(si) == 0:
        return u, v, road, 0, segs
    seglen = np.hypot(*(node_xy[u[si]] - node_xy[v[si]]).T)
    t = shapely.line_locate_point(segs[si], pts[pi], normalized=False)
    interior = (t > min(tol, 1e-9)) & (t < seglen - min(tol, 1e-9)) & (seglen > 0)
    # Where a segment end is itself within tol of the node, snapping already joined them.
    si, node, t = si[interior], node[interior], t[interior]
    if len(si) == 0:
        return u, v, road, 0, segs
    order = np.lexsort((t, si))
    si, node = si[order], node[order]
    # One end node may touch two segments (a crossing at a vertex of neither): keep both splits.
    group_start = np.r_[True, si[1:] != si[:-1]]
    prev = np.where(group_start, u[si], np.r_[-1, node[:-1]])
    group_end = np.r_[si[1:] != si[:-1], True]
    new_u = np.concatenate([prev, node[group_end]])
    new_v = np.concatenate([node, v[si[group_end]]])
    new_road = np.concatenate([road[si], road[si[group_end]]])
    keep = np.ones(len(u), dtype=bool)
    keep[np.unique(si)] = False
    u2 = np.concatenate([u[keep], new_u])
    v2 = np.concatenate([v[keep], new_v])
    r2 = np.concatenate([road[keep], new_road])
    ok = u2 != v2
    new_segs = shapely.linestrings(np.stack([node_xy[new_u], node_xy[new_v]], axis=1))
    s2 = np.concatenate([segs[keep], new_segs])
    return u2[ok], v2[ok], r2[ok], int(len(np.unique(node))), s2[ok]


def local_distances(net: RoadNetwork, sources: IntegerArray, targets: npt.ArrayLike, *, limit: float,
                    cell: float | None = None) -> FloatArray:
    """Network distance from ``sources[i]`` to each of ``targets[i, :]`` (inf beyond ``limit``).

    Limited multi-source Dijkstra, one search per spatial cell of sources on the subgraph within
    ``limit`` of that cell (network distance is never shorter than the straight line), so memory
    stays (sources in cell) x (nodes near cell) instead of sources x all nodes. ``targets`` may be
    1-D (one target per source) or 2-D (several per source).
    """
    targets = np.asarray(targets)
    one_d = targets.ndim == 1
    targets = targets.reshape(len(sources), 1 if one_d else targets.shape[1])
    out = np.full(targets.shape, np.inf)
    if len(sources) == 0:
        return out[:, 0] if one_d else out
    cell = cell or max(2000.0, 4 * limit)
    xy = net.node_xy
    sxy = xy[sources]
    cx = np.floor(sxy[:, 0] / cell).astype(np.int64)
    cy = np.floor(sxy[:, 1] / cell).astype(np.int64)
    cell_id = (cx - cx.min()) * (cy.max() - cy.min() + 1) + (cy - cy.min())
    order = np.argsort(cell_id, kind="stable")
    bounds = np.flatnonzero(np.r_[True, cell_id[order][1:] != cell_id[order][:-1], True])
    by_x = np.argsort(xy[:, 0], kind="stable")
    xs = xy[by_x, 0]
    graph = net.graph
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):  # one Dijkstra per cell, not per source
        rows = order[a:b]
        x0, x1 = sxy[rows, 0].min() - limit, sxy[rows, 0].max() + limit
        y0, y1 = sxy[rows, 1].min() - limit, sxy[rows, 1].max() + limit
        cand = by_x[np.searchsorted(xs, x0):np.searchsorted(xs, x1, side="right")]
        cand = np.sort(cand[(xy[cand, 1] >= y0) & (xy[cand, 1] <= y1)])
        sub_row, sub_col, sub_data = _subgraph(graph, cand)
        sub = csr_matrix((sub_data, (sub_row, sub_col)), shape=(len(cand), len(cand)))
        src_local = np.searchsorted(cand, sources[rows])
        uniq_src, src_row = np.unique(src_local, return_inverse=True)
        dist = dijkstra(sub, directed=False, indices=uniq_src, limit=limit)
        tg = targets[rows]
        pos = np.minimum(np.searchsorted(cand, tg), len(cand) - 1)
        found = cand[pos] == tg
        vals = np.full(tg.shape, np.inf)
        r = np.broadcast_to(src_row.reshape(-1, 1), tg.shape)
        vals[found] = dist[r[found], pos[found]]
        out[rows] = vals
    return out[:, 0] if one_d else out


def pairs_within(net: RoadNetwork, sources: GeometryArray, targets: GeometryArray, *, limit: float,
                 block: int = 256, cell: float | None = None,
                 target_attach: tuple[Int64Array, FloatArray, FloatArray] | None = None,
                 ) -> tuple[IntegerArray, IntegerArray, FloatArray]:
    """Every (source, target) pair of points within ``limit`` walking distance over the network.

    Walking distance as for living circles: the straight walk from a point to the nearest point
    of its nearest segment, along the network, and the straight walk to the other point (two
    points on one segment walk along it directly).

    Parameters
    ----------
    net : RoadNetwork
        The network (built roads).
    sources, targets : ndarray of Point
        The two point sets (e.g. candidate facility sites and buildings lacking the facility).
    limit : float
        Largest distance (m) of a pair returned.
    block : int
        Sources per Dijkstra call (bounds memory to block x local nodes).
    cell : float, optional
        Side (m) of the spatial cells sources are grouped by (default max(500, 2 x limit)).
    target_attach : tuple of ndarray, optional
        ``net.attach(targets)`` where the caller has it already.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Source index, target index and distance (m) of each pair within ``limit``.
    """
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    if len(sources) == 0 or len(targets) == 0 or net.n_nodes == 0:
        return empty
    s_edge, s_t, s_off = net.attach(sources)
    d_edge, d_t, d_off = target_attach if target_attach is not None else net.attach(targets)
    length = net.edge_len
    s_wu, s_wv = s_off + s_t * length[s_edge], s_off + (1 - s_t) * length[s_edge]
    d_wu, d_wv = d_off + d_t * length[d_edge], d_off + (1 - d_t) * length[d_edge]
    su, sv = net.edge_u[s_edge], net.edge_v[s_edge]
    du, dv = net.edge_u[d_edge], net.edge_v[d_edge]
    sxy, dxy = shapely.get_coordinates(sources), shapely.get_coordinates(targets)
    cell = cell or max(500.0, 2 * limit)
    cx = np.floor(sxy[:, 0] / cell).astype(np.int64)
    cy = np.floor(sxy[:, 1] / cell).astype(np.int64)
    cell_id = (cx - cx.min()) * (cy.max() - cy.min() + 1) + (cy - cy.min())
    # within a cell, sources in rows of a tenth of the cell: a block of them stays compact
    order = np.lexsort((sxy[:, 0], np.floor(sxy[:, 1] / (cell / 10)), cell_id))
    bounds = np.flatnonzero(np.r_[True, cell_id[order][1:] != cell_id[order][:-1], True])
    xy = net.node_xy
    by_x = np.argsort(xy[:, 0], kind="stable")
    xs = xy[by_x, 0]
    t_by_x = np.argsort(dxy[:, 0], kind="stable")
    txs = dxy[t_by_x, 0]
    graph = net.graph
    out_s, out_t, out_d = [], [], []
    chunks = [order[a:b][k:k + block] for a, b in zip(bounds[:-1], bounds[1:], strict=True)
              for k in range(0, b - a, block)]
    for rows in chunks:  # one Dijkstra per block of nearby sources, on the subgraph they can reach
        x0, x1 = sxy[rows, 0].min() - limit, sxy[rows, 0].max() + limit
        y0, y1 = sxy[rows, 1].min() - limit, sxy[rows, 1].max() + limit
        cand = by_x[np.searchsorted(xs, x0):np.searchsorted(xs, x1, side="right")]
        cand = cand[(xy[cand, 1] >= y0) & (xy[cand, 1] <= y1)]
        tg = t_by_x[np.searchsorted(txs, x0):np.searchsorted(txs, x1, side="right")]
        tg = tg[(dxy[tg, 1] >= y0) & (dxy[tg, 1] <= y1)]
        if len(tg) == 0:
            continue
        # the ends of the sources' and targets' segments too (a long segment may leave the box)
        cand = np.unique(np.concatenate([cand, su[rows], sv[rows], du[tg], dv[tg]]))
        n_c, n_s = len(cand), len(rows)
        sub_row, sub_col, sub_data = _subgraph(graph, cand)
        lu, lv = np.searchsorted(cand, su[rows]), np.searchsorted(cand, sv[rows])
        virt = n_c + np.arange(n_s)
        aug = coo_matrix((np.concatenate([sub_data, np.maximum(s_wu[rows], 1e-9), np.maximum(s_wv[rows], 1e-9)]),
                          (np.concatenate([sub_row, virt, virt]), np.concatenate([sub_col, lu, lv]))),
                         shape=(n_c + n_s, n_c + n_s)).tocsr()
        dist = dijkstra(aug, directed=True, indices=virt, limit=limit)[:, :n_c]
        pu = np.searchsorted(cand, du[tg])
        pv = np.searchsorted(cand, dv[tg])
        okv = (pu < n_c) & (pv < n_c)
        pu, pv = np.minimum(pu, n_c - 1), np.minimum(pv, n_c - 1)
        okv &= (cand[pu] == du[tg]) & (cand[pv] == dv[tg])
        d = np.minimum(dist[:, pu] + d_wu[tg], dist[:, pv] + d_wv[tg])
        d[:, ~okv] = np.inf
        same = s_edge[rows][:, None] == d_edge[tg][None, :]
        if same.any():
            i, j = np.nonzero(same)
            direct = s_off[rows][i] + d_off[tg][j] + np.abs(s_t[rows][i] - d_t[tg][j]) * length[s_edge[rows][i]]
            d[i, j] = np.minimum(d[i, j], direct)
        i, j = np.nonzero(d <= limit)
        out_s.append(rows[i])
        out_t.append(tg[j])
        out_d.append(d[i, j])
    if not out_s:
        return empty
    return np.concatenate(out_s), np.concatenate(out_t), np.concatenate(out_d)
