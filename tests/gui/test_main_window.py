"""The desktop window driven headless with pytest-qt on the sample project."""

import time

import numpy as np
import pytest
import shapely

pytest.importorskip("PyQt6")
from PyQt6 import QtCore, QtGui  # noqa: E402

from ..conftest import ROOT, SAMPLE  # noqa: E402

SHOTS = ROOT / "out" / "screenshots"


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from planner.gui.app import make_app
    from planner.gui.main_window import MainWindow

    make_app()
    w = MainWindow(settings=settings, ask=False)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    assert w.open_path(SAMPLE / "sample_project.toml")
    assert w.canvas.wait_rendered(30)
    return w


def layer_named(w, role):
    return next(lyr for lyr in w.layers if lyr.role == role)


def canvas_image(w):
    assert w.canvas.wait_rendered(30)
    return w.canvas._image


def test_open_sample_shows_city_in_chinese(window):
    assert [lyr.role for lyr in window.layers] == ["raster", "boundary", "parcels", "buildings", "roads", "facilities",
                                                   "heritage"]
    assert layer_named(window, "heritage").name == "历史文化保护 Heritage"  # titled by its catalogue file
    assert window.menuBar().actions()[0].text() == "文件(&F)"
    assert "城市更新规划助手" in window.windowTitle()
    img = canvas_image(window)
    arr = np.frombuffer(img.constBits().asstring(img.sizeInBytes()), np.uint8).reshape(img.height(), img.width(), 4)
    assert arr[..., :3].std() > 20  # the city is drawn
    assert "EPSG:4546" in window.crs_label.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / "gui_window.png"))


def test_toggle_and_reorder_layers(window, qtbot):
    panel = window.layer_panel
    buildings = layer_named(window, "buildings")
    before = canvas_image(window).copy()
    item = next(panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
                if panel.layer_of(panel.tree.topLevelItem(i)) is buildings)
    item.setCheckState(0, QtCore.Qt.CheckState.Unchecked)
    assert buildings.visible is False
    after = canvas_image(window)
    assert before != after
    # reorder: move the buildings layer to the top of the panel (drawn last)
    panel.set_current(buildings)
    i0 = window.layers.index(buildings)
    steps = len(window.layers) - 1 - i0
    for _ in range(steps):
        panel.move_current(+1)
    assert window.layers.index(buildings) == i0 + steps
    assert panel.current_layer() is buildings
    top = panel.layer_of(panel.tree.topLevelItem(0))
    assert top is buildings


def test_pan_and_zoom_with_mouse_wheel_and_keys(window, qtbot):
    c = window.canvas
    ext0 = c.extent()
    qtbot.keyClick(c, QtCore.Qt.Key.Key_Right)
    assert c.extent()[0] > ext0[0]
    # wheel zoom keeps the map point under the cursor
    pos = QtCore.QPointF(300, 200)
    before = c.view().to_map(pos.x(), pos.y())
    ev = QtGui.QWheelEvent(pos, c.mapToGlobal(pos), QtCore.QPoint(0, 0), QtCore.QPoint(0, 240),
                           QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier,
                           QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtCore.QCoreApplication.sendEvent(c, ev)
    after = c.view().to_map(pos.x(), pos.y())
    assert c.units_per_pixel < window.canvas.units_per_pixel * 1.01
    assert np.allclose(before, after, atol=c.units_per_pixel)
    # drag to pan
    upp = c.units_per_pixel
    cx = c.center[0]
    qtbot.mousePress(c, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(400, 300))
    qtbot.mouseMove(c, QtCore.QPoint(500, 300))
    qtbot.mouseRelease(c, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(500, 300))
    assert c.center[0] == pytest.approx(cx - 100 * upp, rel=1e-6)
    c.zoom_full()
    assert c.wait_rendered(30)


def _pixel_of(canvas, x, y):
    px, py = canvas.view().to_pixels(x, y)
    return QtCore.QPoint(int(round(float(px))), int(round(float(py))))


def test_identify_shows_the_building(window, qtbot):
    b = layer_named(window, "buildings")
    target = 100
    g = b.frame.geometry.values[target]
    window.canvas.set_extent(shapely.bounds(shapely.buffer(g, 60)))
    window.tool_actions["identify"].trigger()
    p = shapely.point_on_surface(g)
    with qtbot.waitSignal(window.canvas.identified, timeout=5000) as sig:
        qtbot.mouseClick(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=_pixel_of(window.canvas, p.x, p.y))
    (results,) = sig.args
    hits = {layer.role: rows for layer, rows in results}
    assert target in hits["buildings"] and "parcels" in hits  # every visible layer at the point
    texts = [window.identify_panel.tree.topLevelItem(i).child(j).text(0)
             for i in range(window.identify_panel.tree.topLevelItemCount())
             for j in range(window.identify_panel.tree.topLevelItem(i).childCount())]
    assert any(b.frame["building_id"].iloc[target] in t for t in texts)


def test_select_by_box_and_the_table_follows(window, qtbot):
    b = layer_named(window, "buildings")
    window.layer_panel.set_current(b)
    assert window.table.model.layer is b
    window.tool_actions["select"].trigger()
    ext = b.bounds()
    cx, cy = (ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2
    a = _pixel_of(window.canvas, cx - 150, cy + 150)
    z = _pixel_of(window.canvas, cx + 150, cy - 150)
    qtbot.mousePress(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(window.canvas, z)
    qtbot.mouseRelease(window.canvas, QtCore.Qt.MouseButton.LeftButton, pos=z)
    selected = window.layers.selected(b)
    expected = np.flatnonzero(shapely.intersects(b.frame.geometry.values, shapely.box(cx - 150, cy - 150, cx + 150, cy + 150)))
    assert len(selected) > 3 and set(selected) == set(expected)
    assert set(window.table.selected_rows()) == set(selected)
    # and the other way: selecting rows in the table selects on the map
    window.table.view.selectRow(0)
    assert list(window.layers.selected(b)) == [int(window.table.model.order[0])]
    # by expression
    rows = window.select_by_expression(b, "floors >= 7 and use = 'residential'")
    assert len(rows) == int(((b.frame["floors"] >= 7) & (b.frame["use"] == "residential")).sum()) > 0


def test_attribute_table_sorts_filters_and_shows_chinese_headers(window):
    b = layer_named(window, "buildings")
    window.layer_panel.set_current(b)
    m = window.table.model
    assert "建成年代" in m.titles and "层数" in m.titles
    col = m.columns.index("floors")
    m.sort(col, QtCore.Qt.SortOrder.DescendingOrder)
    first = int(b.frame["floors"].iloc[m.order[0]])
    assert first == int(b.frame["floors"].max())
    m.set_filter("钢铁")
    assert 0 < m.rowCount() < len(b.frame)
    assert all("钢铁" in str(v) for v in b.frame["compound"].iloc[m.order])


def test_save_and_reopen_keeps_layers_styles_and_view(window, qtbot, tmp_path, settings):
    from planner.gui.main_window import MainWindow

    layer_named(window, "parcels").visible = False
    window.canvas.set_extent((400800, 4502200, 401600, 4502900))
    path = tmp_path / "p.gpkg"
    assert window.save_to(path)
    other = MainWindow(settings=settings, ask=False)
    qtbot.addWidget(other)
    other.resize(1400, 900)
    other.show()
    assert other.open_path(path)
    assert [lyr.name for lyr in other.layers] == [lyr.name for lyr in window.layers]
    assert [lyr.style for lyr in other.layers] == [lyr.style for lyr in window.layers]
    assert layer_named(other, "parcels").visible is False
    assert len(layer_named(other, "buildings").frame) == len(layer_named(window, "buildings").frame)
    ext = other.canvas.extent()
    assert abs((ext[0] + ext[2]) / 2 - 401200) < 5 and abs((ext[1] + ext[3]) / 2 - 4502550) < 5


def test_autosave_and_recovery(window, qtbot, tmp_path, settings):
    from planner.gui.main_window import MainWindow
    from planner.projectfile import autosave_path

    path = tmp_path / "p.gpkg"
    assert window.save_to(path)
    window.layers.remove(layer_named(window, "facilities"))
    time.sleep(0.05)
    auto = window.autosave()
    assert auto == autosave_path(path) and auto.exists()
    # a crash: the project file is older than its autosave
    settings.setValue("recover_without_asking", True)
    other = MainWindow(settings=settings, ask=False)
    qtbot.addWidget(other)
    assert other.open_path(path)
    assert "facilities" not in [lyr.role for lyr in other.layers]
    assert "autosave" in other.messages.toPlainText()


def test_corrupt_or_foreign_project_is_refused_clearly(window, tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"this is not a geopackage" * 100)
    assert window.open_path(bad) is False
    assert "bad.gpkg" in window.last_error and "damaged" in window.last_error
    foreign = tmp_path / "plain.gpkg"
    import shutil

    shutil.copy(SAMPLE / "city.gpkg", foreign)
    before = list(window.layers)
    assert window.open_path(foreign) is False
    assert "not a Renewal Planner project" in window.last_error
    after = list(window.layers)  # the open project is untouched
    assert len(after) == len(before) and all(a is b for a, b in zip(after, before, strict=True))


def test_newer_version_is_refused(window, tmp_path):
    import json
    import sqlite3

    path = tmp_path / "new.gpkg"
    assert window.save_to(path)
    with sqlite3.connect(path) as con:
        meta = json.loads(con.execute("SELECT value FROM rp_project").fetchone()[0])
        meta["format_version"] = 99
        con.execute("UPDATE rp_project SET value=?", (json.dumps(meta),))
    assert window.open_path(path) is False and "newer version" in window.last_error


def test_add_layer_file_with_mapping(window, tmp_path):
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"SSBH": ["a"], "设施类型": ["幼儿园"]}, geometry=gpd.points_from_xy([400500], [4502500]),
                             crs=4546)
    path = tmp_path / "f.gpkg"
    frame.to_file(path, engine="pyogrio")
    layer = window.add_layer_file(str(path), mapping={"type": "设施类型"})
    assert layer is not None and layer.role == "facilities" and layer.frame["type"].tolist() == ["kindergarten"]


def test_zoomed_view_with_labels_screenshot(window):
    b = layer_named(window, "buildings")
    g = b.frame.geometry.values[50]
    window.canvas.set_extent(shapely.bounds(shapely.buffer(g, 120)))
    assert window.canvas.wait_rendered(30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / "gui_zoom_labels.png"))


def test_gui_thread_stays_responsive_during_redraw(window, qtbot):
    """A timer on the event loop must keep firing (gaps under 100 ms) while a big layer renders."""
    import geopandas as gpd

    from planner.model import MapLayer, default_style

    rng = np.random.default_rng(0)
    n = 300_000
    x = 400_300 + rng.uniform(0, 2400, n)
    y = 4_501_900 + rng.uniform(0, 2000, n)
    frame = gpd.GeoDataFrame({"use": rng.choice(["residential", "office"], n)}, geometry=shapely.box(x, y, x + 3, y + 2),
                             crs=4546)
    big = MapLayer("big", frame, role="buildings", style=default_style(window.catalogue, "buildings", "polygon"))
    window.layers.append(big)
    stamps = []
    timer = QtCore.QTimer(interval=5)
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    timer.start()
    for factor in (1.5, 1 / 1.5, 1.2):
        window.canvas.zoom_by(factor)
        assert window.canvas.wait_rendered(60)
    timer.stop()
    gaps = np.diff(stamps)
    assert len(stamps) > 20
    # The window's responsiveness target is 100 ms (issue 16's review benchmark). Since the
    # renderer keeps paths between views and draws them through the view's transform, one draw
    # call holds the interpreter 50-65 ms here on a quiet machine (the previous per-view paths:
    # under 50 ms), in exchange for ~1.5x less CPU per small view; `make bench review` measures it.
    assert gaps.max() < 0.100, f"event loop blocked {gaps.max() * 1000:.0f} ms"


def test_style_dialog_changes_the_drawing_and_scale_range(window):
    parcels = layer_named(window, "parcels")
    before = canvas_image(window).copy()
    dialog = window.style_dialog(parcels, accept=False)
    dialog.opacity.setValue(100)
    dialog.outline.set_colour("#ff0000")
    dialog.width.setValue(3.0)
    dialog.apply()
    window.layers.notify(parcels)
    assert parcels.style["outline"] == "#ff0000" and parcels.opacity == 1.0
    after = canvas_image(window)
    assert after != before
    # scale-dependent visibility: hidden when the map scale is beyond the range
    parcels.max_scale = 1000
    assert not parcels.visible_at(window.canvas.scale_denominator())


def test_raster_in_another_crs_is_drawn_in_place(tmp_path):
    """A GeoTIFF in CGCS2000 degrees drawn on a GK-metre map lands where its coordinates say."""
    import rasterio
    from pyproj import CRS, Transformer
    from PyQt6 import QtGui
    from rasterio.transform import from_origin

    from planner.gui.render import Renderer, View
    from planner.model import raster_layer

    path = tmp_path / "r.tif"
    data = np.zeros((100, 100), dtype="float32")
    data[40:50, 60:70] = 100.0  # a bright block at lon 109.86-109.87, lat 40.65-40.66
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1, dtype="float32", crs="EPSG:4490",
                       transform=from_origin(109.80, 40.70, 0.001, 0.001)) as ds:
        ds.write(data, 1)
    work = CRS.from_epsg(4546)
    t = Transformer.from_crs(4490, work, always_xy=True)
    x0, y0 = t.transform(109.80, 40.60)
    x1, y1 = t.transform(109.90, 40.70)
    layer = raster_layer("r", str(path), (x0, y0, x1, y1), work)
    layer.opacity = 1.0
    layer.style["stats"] = [0.0, 100.0]
    layer.style["colormap"] = "nightlight"  # black to pale yellow, no relief shading
    view = View.fit((x0, y0, x1, y1), 400, 400, crs=work)
    img = Renderer().render([layer], view).convertToFormat(QtGui.QImage.Format.Format_RGBA8888)
    arr = np.frombuffer(img.constBits().asstring(img.sizeInBytes()), np.uint8).reshape(400, 400, 4)
    bright = (arr[..., 0] > 200) & (arr[..., 2] < 215)  # the top of the ramp (pale yellow; no-data is white)
    ys, xs = np.nonzero(bright)
    cx, cy = view.to_map(xs.mean(), ys.mean())
    lon, lat = Transformer.from_crs(work, 4490, always_xy=True).transform(cx, cy)
    assert abs(lon - 109.865) < 0.002 and abs(lat - 40.655) < 0.002


def test_map_gets_most_of_the_window_and_the_dock_layout_is_remembered(qtbot, settings):
    from planner.gui.app import make_app
    from planner.gui.main_window import MainWindow

    make_app()
    w = MainWindow(settings=settings, ask=False)
    qtbot.addWidget(w)
    w.resize(1920, 1080)
    w.show()
    qtbot.waitExposed(w)
    assert w.canvas.height() > 0.6 * w.height() and w.canvas.width() > 0.6 * w.width()
    w.docks["layers"].hide()
    w.docks["dashboard"].show()
    w.docks["dashboard"].raise_()
    w.close()
    again = MainWindow(settings=settings, ask=False)
    qtbot.addWidget(again)
    again.show()
    assert not again.docks["layers"].isVisible() and again.docks["dashboard"].isVisible()
