"""The shared helpers the analyses lean on at city scale give what the plain definitions give:
points in polygons (the 'within' predicate, first polygon wins), anchor points, text columns built
from distinct values, network subgraphs, and the run's shared building places and trees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from planner.analysis.common import (
    BuildingPlaces,
    anchor_points,
    id_text,
    points_in_polygons,
    text_column,
)
from planner.analysis.network import _csr, _subgraph, build_network


def _within_first(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """The definition: the first polygon (lowest index) the point is within, else -1."""
    out = np.full(len(points), -1, dtype=np.int64)
    for i, p in enumerate(points):
        for j, g in enumerate(polygons):
            if p is not None and g is not None and shapely.within(p, g):
                out[i] = j
                break
    return out


def _points(rng: np.random.Generator, n: int, size: float) -> np.ndarray:
    on_grid = shapely.points(rng.integers(0, int(size), (n, 2)).astype(float))  # on edges and corners
    anywhere = shapely.points(rng.random((n, 2)) * size)
    return np.array([*on_grid, *anywhere, None, shapely.Point()], dtype=object)


def test_points_in_simple_polygons_follow_within_first_polygon_wins():
    rng = np.random.default_rng(3)
    corner = rng.integers(0, 40, (60, 2))
    polygons = list(shapely.box(corner[:, 0], corner[:, 1], corner[:, 0] + rng.integers(1, 12, 60),
                                corner[:, 1] + rng.integers(1, 12, 60)))  # overlapping boxes
    polygons += [shapely.from_wkt("POLYGON((0 0, 10 0, 10 1, 1 1, 1 10, 0 10, 0 0))"),
                 shapely.from_wkt("POLYGON((0 0, 40 0, 40 40, 0 40, 0 0), (10 10, 30 10, 30 30, 10 30, 10 10))"),
                 shapely.from_wkt("MULTIPOLYGON(((41 41, 45 41, 45 45, 41 45, 41 41)), ((46 46, 48 46, 48 48, 46 48, 46 46)))"),
                 None, shapely.Polygon()]
    polygons_arr = np.array(polygons, dtype=object)
    points = _points(rng, 400, 50)
    got = points_in_polygons(points, polygons_arr)
    assert np.array_equal(got, _within_first(points, polygons_arr))
    assert (got >= 0).sum() > 200 and (got == -1).sum() > 50


def test_points_in_detailed_polygons_follow_within():
    rng = np.random.default_rng(4)
    detailed = np.array([shapely.Point(25, 25).buffer(20, 64), shapely.box(0, 0, 30, 30),
                         shapely.Point(40, 10).buffer(8, 32)], dtype=object)  # > 32 vertices on average
    points = _points(rng, 300, 50)
    got = points_in_polygons(points, detailed)
    assert np.array_equal(got, _within_first(points, detailed))
    assert set(np.unique(got)) == {-1, 0, 1, 2}


def test_anchor_points_are_the_centroid_inside_else_a_point_on_the_surface():
    geoms = np.array([shapely.box(0, 0, 2, 2), None, shapely.Polygon(),
                      shapely.from_wkt("POLYGON((0 0, 10 0, 10 1, 1 1, 1 10, 0 10, 0 0))"),
                      shapely.from_wkt("POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 3 1, 3 3, 1 3, 1 1))"),
                      shapely.from_wkt("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)), ((5 5, 6 5, 6 6, 5 6, 5 5)))"),
                      shapely.LineString([(0, 0), (2, 2)]), shapely.Point(3, 3)], dtype=object)
    got = anchor_points(geoms)
    for g, p in zip(geoms, got, strict=True):
        if g is None:
            assert p is None
            continue
        c = shapely.centroid(g)
        expected = c if shapely.get_type_id(g) < 3 or shapely.contains_properly(g, c) else shapely.point_on_surface(g)
        assert shapely.equals_exact(p, expected, tolerance=0) or (shapely.is_empty(p) and shapely.is_empty(expected))
        if shapely.get_type_id(g) >= 3 and not shapely.is_empty(g):
            assert shapely.contains_properly(g, p)
    # a large array goes through the threaded chunks and gives the same points
    many = shapely.box(*np.c_[np.arange(120_000.0), np.zeros(120_000), np.arange(120_000.0) + 0.5,
                              np.ones(120_000)].T)
    assert np.array_equal(shapely.get_coordinates(anchor_points(many)),
                          shapely.get_coordinates(shapely.centroid(many)))


def test_text_columns_equal_the_plain_strings():
    zh = ["住宅步行至最近公园12 m", "no park within 1000 m", ""]
    inverse = np.array([2, 0, 0, 1, 2, 1])
    col = text_column(zh, inverse)
    assert str(col.dtype) == "str"
    assert pd.Series(col).equals(pd.Series(np.array(zh, dtype=object)[inverse]))
    ids = pd.Series(np.array(["B1", "B2", "B3"], dtype=object))
    assert list(id_text(ids)([2, 0])) == ["B3", "B1"]
    numbers = pd.Series([7, 8, 9])
    assert list(id_text(numbers)([1])) == ["8"]
    with_missing = pd.Series(["B1", None, "B3"])
    assert list(id_text(with_missing)([0, 1])) == list(with_missing.to_numpy(dtype=object)[[0, 1]].astype(str))


def test_subgraph_gathers_the_same_entries_as_fancy_indexing():
    rng = np.random.default_rng(1)
    n = 3000
    graph = _csr(rng.integers(0, n, 12000), rng.integers(0, n, 12000), rng.random(12000) * 100, n)
    for _ in range(20):
        cand = np.unique(rng.integers(0, n, rng.integers(1, 2000)))
        ref = graph[cand][:, cand].tocoo()
        row, col, data = _subgraph(graph, cand)
        assert np.array_equal(ref.row, row) and np.array_equal(ref.col, col) and np.array_equal(ref.data, data)


def test_building_places_attach_each_building_once_and_as_the_network_does():
    # a grid of streets 100 m apart and 130,000 points (the threaded path) around them
    ticks = np.arange(0, 2001, 100.0)
    lines = [shapely.LineString([(0, y), (2000, y)]) for y in ticks] + \
            [shapely.LineString([(x, 0), (x, 2000)]) for x in ticks]
    net = build_network(np.array(lines, dtype=object))
    rng = np.random.default_rng(5)
    pts = shapely.points(rng.random((130_000, 2)) * 2000)
    edge, t, off = net.attach(pts)
    # the same as one nearest search at a time
    some = rng.choice(len(pts), 200, replace=False)
    for i in some:
        assert abs(off[i] - shapely.distance(net.segments[edge[i]], pts[i])) < 1e-9
        assert off[i] <= shapely.distance(net.segments, pts[i]).min() + 1e-9
    places = BuildingPlaces(np.empty(0, dtype=object), pts)
    first = places.attach(net, np.arange(0, 130_000, 2))
    second = places.attach(net, np.arange(130_000))
    for got, want in zip(second, (edge, t, off), strict=True):
        assert np.array_equal(got, want)
    for got, want in zip(first, (edge[::2], t[::2], off[::2]), strict=True):
        assert np.array_equal(got, want)
    districts = np.array([shapely.box(-1, -1, 1000, 2001), shapely.box(1000, -1, 2001, 2001)], dtype=object)
    which = places.district(districts)
    assert places.district(districts) is which  # found once
    assert np.array_equal(which, points_in_polygons(pts, districts))
