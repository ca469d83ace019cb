"""The renderer's small views: paths kept in map coordinates and drawn through the view's
transform give the picture of each polygon drawn on its own in pixels, and the batched path
builder gives the paths the one-at-a-time builder gives."""

import os

import numpy as np
import pytest
import shapely

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6 import QtCore, QtGui  # noqa: E402


@pytest.fixture(scope="module")
def app():
    return QtGui.QGuiApplication.instance() or QtGui.QGuiApplication([])


def _city(tmp_path, n_side: int = 40):
    """Rotated rectangles and L-shapes (one with a hole) on a jittered grid, written to a
    GeoPackage and read back as the loader would give them."""
    import geopandas as gpd
    import pyogrio

    rng = np.random.default_rng(3)
    i, j = np.meshgrid(np.arange(n_side), np.arange(n_side))
    cx = 400_000 + i.ravel() * 30.0 + rng.uniform(-3, 3, i.size)
    cy = 4_500_000 + j.ravel() * 30.0 + rng.uniform(-3, 3, i.size)
    ang = rng.uniform(0, np.pi, i.size)
    shapes = []
    for k, (x, y, a) in enumerate(zip(cx, cy, ang, strict=True)):
        local = [(-9, -5), (9, -5), (9, 5), (-9, 5)] if k % 3 else [(-9, -5), (9, -5), (9, 1), (1, 1), (1, 5), (-9, 5)]
        c, s = np.cos(a), np.sin(a)
        ring = [(x + u * c - v * s, y + u * s + v * c) for u, v in local]
        hole = None
        if k % 7 == 0:
            hole = [[(x + u * c - v * s, y + u * s + v * c) for u, v in [(-6, -2), (-2, -2), (-2, 2), (-6, 2)]]]
        shapes.append(shapely.Polygon(ring, hole))
    uses = rng.choice(["residential", "commercial", "office", "industrial"], i.size)
    frame = gpd.GeoDataFrame({"use": uses}, geometry=shapes, crs=4546)
    path = tmp_path / "b.gpkg"
    frame.to_file(path, layer="buildings", driver="GPKG", engine="pyogrio")
    return pyogrio.read_dataframe(path)


def _array(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format.Format_RGBA8888)
    return np.frombuffer(img.constBits().asstring(img.sizeInBytes()), np.uint8).reshape(img.height(), img.width(), 4)


@pytest.mark.parametrize("per_build", [256, 3])  # kept paths built in one gather, or in several
def test_small_view_matches_each_polygon_drawn_alone(app, tmp_path, monkeypatch, per_build):
    from planner.catalogue import default_catalogue
    from planner.gui import render
    from planner.gui.cartography import map_style
    from planner.gui.render import Renderer, View, qcolor, qpath
    from planner.model import MapLayer, default_style

    monkeypatch.setattr(render, "PATHS_PER_BUILD", per_build)
    frame = _city(tmp_path)
    layer = MapLayer("b", frame, role="buildings", style=default_style(default_catalogue(), "buildings", "polygon"))
    renderer = Renderer()
    x0, y0, x1, y1 = frame.total_bounds
    for f in (1.5, 4.0):  # most of the city, then a close view (both without level of detail)
        w, h = (x1 - x0) / f, (y1 - y0) / f
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        view = View.fit((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), 640, 400)
        ours = _array(renderer.render([layer], view, labels=False))
        again = _array(renderer.render([layer], view, labels=False))  # from the kept paths
        assert np.array_equal(ours, again)
        # the reference: every polygon on its own, in pixels, in the renderer's order
        prep = renderer.prepared(layer)
        assert prep.paths, "a small view of thin-outlined polygons draws the kept map-coordinate paths"
        style = map_style(layer)
        ref = QtGui.QImage(view.width, view.height, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        ref.fill(QtGui.QColor("#ffffff"))
        p = QtGui.QPainter(ref)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.setPen(QtGui.QPen(qcolor(style.get("outline", "#555555")), float(style.get("outline_width", 0.4))))
        for part in np.argsort(prep.colour_index, kind="stable"):
            rings = range(prep.part_rings[part], prep.part_rings[part + 1])
            idx = np.concatenate([np.arange(prep.ring_start[r], prep.ring_start[r + 1]) for r in rings])
            move = np.isin(idx, prep.ring_start[list(rings)])
            px, py = view.to_pixels(prep.xy[idx, 0], prep.xy[idx, 1])
            p.setBrush(qcolor(prep.colours[prep.colour_index[part]]))
            p.drawPath(qpath(px, py, move))
        p.end()
        diff = np.abs(ours[..., :3].astype(int) - _array(ref)[..., :3].astype(int))
        assert (diff > 0).any(axis=2).mean() < 0.001, "the picture differs from the polygons drawn alone"
        assert diff.max() <= 8
        # and it shows the city: coloured ink over a good part of the view
        assert (ours[..., :3] < 250).any(axis=2).mean() > 0.1


@pytest.mark.parametrize("buffer_vertices", [200_000, 300, 1])  # one buffer; groups of paths; a path each
def test_batched_paths_equal_single_paths(app, monkeypatch, buffer_vertices):
    from planner.gui import render
    from planner.gui.render import qpath, qpaths

    monkeypatch.setattr(render, "QPATHS_BUFFER_VERTICES", buffer_vertices)
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 500, 1000), rng.uniform(0, 500, 1000)
    move = rng.random(1000) < 0.2
    move[0] = True
    cuts = np.array([0, 7, 7 + 120, 400, 401, 1000])
    batched = qpaths(x, y, move, cuts)
    assert len(batched) == 5
    for path, a, c in zip(batched, cuts[:-1], cuts[1:], strict=True):
        single = qpath(x[a:c], y[a:c], move[a:c])
        assert path == single and path.elementCount() == c - a
        assert path.fillRule() == QtCore.Qt.FillRule.WindingFill


def test_polygon_labels_from_kept_codes_match_labels_from_the_texts(app):
    """Labels placed from the layer's kept integer codes (made once per frame, a slice at a
    time) are the labels the texts in view give when factorized at every draw, in the same order;
    over the limit of distinct names, none; empty names never label."""
    import geopandas as gpd
    import pandas as pd

    from planner.gui import render
    from planner.model import MapLayer

    rng = np.random.default_rng(5)
    n = 45_000  # more than one slice of codes
    x, y = rng.uniform(0, 5_000, n), rng.uniform(0, 5_000, n)
    names = np.array([f"小区{k}" for k in rng.integers(0, 30, n)], dtype=object)
    names[rng.random(n) < 0.2] = None
    frame = gpd.GeoDataFrame({"name": pd.array(names, dtype="str")},
                             geometry=shapely.box(x, y, x + 4 + rng.uniform(0, 30, n), y + 6), crs=32650)
    layer = MapLayer("b", frame, role="buildings", label_field="name")
    prep = render.prepare(layer)
    fm = QtGui.QFontMetricsF(QtGui.QFont())
    codes, uniques = render.label_codes(layer)
    texts = render.label_texts(layer)
    assert (np.where(codes >= 0, uniques[np.maximum(codes, 0)], "") == texts).all()
    assert "" not in set(uniques)

    def reference(view):  # the previous way: the texts in view factorized at every draw
        parts = prep.query(view.x0, view.y0, view.x1, view.y1)
        values = texts[prep.part_feature[parts]]
        parts, values = parts[values != ""], values[values != ""]
        codes_, uniques_ = pd.factorize(values)
        return [str(u) for u in uniques_]

    for extent in ((0, 0, 5_000, 5_000), (1_000, 1_000, 1_400, 1_300), (4_990, 4_990, 5_100, 5_100)):
        view = render.View.fit(extent, 800, 600)
        parts = prep.query(view.x0, view.y0, view.x1, view.y1)
        got = render._polygon_labels(prep, layer, view, parts, fm)
        assert [c[4] for c in got] == [u for u in reference(view) if u in {c[4] for c in got}]
        assert {c[4] for c in got} <= set(reference(view))
    few = render._polygon_labels(prep, layer, render.View.fit((1_000, 1_000, 1_400, 1_300), 800, 600),
                                 prep.query(1_000, 1_000, 1_400, 1_300), fm)
    assert few  # a zoomed view carries names
    render.LABEL_LIMIT, limit = 10, render.LABEL_LIMIT
    try:
        assert render._polygon_labels(prep, layer, render.View.fit((0, 0, 5_000, 5_000), 800, 600),
                                      prep.query(0, 0, 5_000, 5_000), fm) == []
    finally:
        render.LABEL_LIMIT = limit


def test_flattening_in_slices_gives_the_same_drawing_form(app, tmp_path, monkeypatch):
    """A layer flattened with its vertex and ring indices made a few items per call (as a
    million-building layer is, so a worker never holds the interpreter long) gives the same
    arrays, grouping and index as made in one call each."""
    from planner.catalogue import default_catalogue
    from planner.gui import render
    from planner.model import MapLayer, default_style

    frame = _city(tmp_path, n_side=30)
    layer = MapLayer("b", frame, role="buildings", style=default_style(default_catalogue(), "buildings", "polygon"))
    whole = render.prepare(layer)
    whole_chunks = whole.chunked(16)
    monkeypatch.setattr(render, "REPEAT_SLICE", 7)
    sliced = render.prepare(layer)
    assert len(whole.xy) > 5_000 and (np.diff(whole.part_rings) > 1).any()  # holes too
    for name in ("xy", "ring_start", "part_rings", "part_feature", "part_bounds", "colour_index"):
        assert np.array_equal(getattr(whole, name), getattr(sliced, name)), name
    for a, b in zip(whole_chunks, sliced.chunked(16), strict=True):
        assert np.array_equal(a, b)
    box = frame.total_bounds
    q = (box[0], box[1], (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    assert len(sliced.query(*q)) > 100 and np.array_equal(whole.query(*q), sliced.query(*q))
