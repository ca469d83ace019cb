"""The map canvas: renders off the GUI thread, pans a cached image, zooms around the cursor.

Every redraw runs in a worker thread (the renderer's numpy and Qt calls release the GIL) and
is cancelled when the view changes again; while it runs, the last image is shown shifted and
scaled to the new view, so panning and zooming never wait for a render. The drawing thread never
touches the canvas (a widget the GUI thread may be deleting): its image reaches the canvas through
:mod:`planner.gui.threads`."""

from __future__ import annotations

import atexit
import gc
import threading
import time
import weakref

import numpy as np
import shapely
from pyproj import Transformer
from PyQt6 import QtCore, QtGui, QtWidgets

from planner.gui.render import Renderer, View
from planner.gui.threads import alive, call_in_gui, init_relay
from planner.model import LayerList, MapLayer

TOOLS = ("pan", "zoom_box", "identify", "select", "vertex", "split", "move", "draw", "measure_line", "measure_area")


class _Job:
    def __init__(self, view: View):
        self.view = view
        self.cancelled = False


_RUNNING: dict[_Job, threading.Thread] = {}  # drawing threads now running


def stop_renders(timeout: float = 3.0) -> None:
    """Cancel the drawing threads and wait for them (up to ``timeout`` seconds in all): when the
    application quits and at exit, so that no thread is painting while Qt tears down the fonts
    and the application it paints with."""
    end = time.monotonic() + timeout
    for job, thread in list(_RUNNING.items()):
        job.cancelled = True
        thread.join(max(0.0, end - time.monotonic()))


atexit.register(stop_renders)


def _deliver(canvas: weakref.ref, job: _Job, image: QtGui.QImage, seconds: float) -> None:
    """On the GUI thread: a finished image to its canvas, if the canvas still exists."""
    target = canvas()
    if alive(target):
        target._on_rendered(job, image, seconds)


class MapCanvas(QtWidgets.QWidget):
    extentChanged = QtCore.pyqtSignal(object)
    cursorMoved = QtCore.pyqtSignal(float, float)
    renderFinished = QtCore.pyqtSignal(float)
    identified = QtCore.pyqtSignal(object)                # [(layer, rows)] top layer first
    measured = QtCore.pyqtSignal(float, float, bool)       # length, area (map units), an area
    navigated = QtCore.pyqtSignal(bool, bool)             # can go back, can go forward
    vertexDragged = QtCore.pyqtSignal(object, int, int, float, float)  # layer, row, vertex, x, y
    lineDrawn = QtCore.pyqtSignal(object, object)          # layer, shapely LineString (map units)
    vertexAdded = QtCore.pyqtSignal(object, int, float, float)     # layer, row, x, y
    vertexDeleted = QtCore.pyqtSignal(object, int, int)            # layer, row, vertex
    featureMoved = QtCore.pyqtSignal(object, int, float, float)    # layer, row, dx, dy
    featureDrawn = QtCore.pyqtSignal(object, object)               # layer, shapely geometry

    def __init__(self, layers: LayerList, parent=None):
        super().__init__(parent)
        self.layers = layers
        self.renderer = Renderer()
        self.setMouseTracking(True)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 150)
        self.setAcceptDrops(False)
        self.center = (0.0, 0.0)
        self.units_per_pixel = 1.0
        self.tool = "pan"
        self.active_layer: MapLayer | None = None
        self._image: QtGui.QImage | None = None
        self._image_view: View | None = None
        self._job: _Job | None = None
        self._lock = threading.Lock()
        self._drag_start: QtCore.QPointF | None = None
        self._drag_now: QtCore.QPointF | None = None
        self._pan_origin: tuple[float, float] | None = None
        self.last_render_ms = 0.0
        self._timer = QtCore.QTimer(self, singleShot=True, interval=25)
        self._timer.timeout.connect(self._start_render)
        init_relay()
        app = QtCore.QCoreApplication.instance()
        if app is not None and not app.property("planner_stops_renders"):
            app.setProperty("planner_stops_renders", True)
            app.aboutToQuit.connect(stop_renders)
        layers.inserted.connect(lambda *a: self.refresh())
        layers.removed.connect(self._on_removed)
        layers.moved.connect(lambda *a: self.refresh())
        layers.changed.connect(self._on_changed)
        layers.selection_changed.connect(lambda *a: self.refresh())
        self.crs = None
        self._measure: list[tuple[float, float]] = []
        self._measure_hover: tuple[float, float] | None = None
        # zoom back and forward: the extents the map settled on (a pause of 400 ms)
        self._history: list[tuple[float, float, float, float]] = []
        self._history_at = -1
        self._navigating = False
        self._history_timer = QtCore.QTimer(self, singleShot=True, interval=400)
        self._history_timer.timeout.connect(self._record_extent)

    # view ------------------------------------------------------------------------------
    def view(self) -> View:
        w, h = max(self.width(), 1), max(self.height(), 1)
        cx, cy = self.center
        s = self.units_per_pixel
        return View(cx - s * w / 2, cy - s * h / 2, cx + s * w / 2, cy + s * h / 2, w, h, self.crs)

    def extent(self) -> tuple[float, float, float, float]:
        v = self.view()
        return (v.x0, v.y0, v.x1, v.y1)

    def set_extent(self, extent) -> None:
        x0, y0, x1, y1 = extent
        if not np.all(np.isfinite([x0, y0, x1, y1])):
            return
        w, h = max(self.width(), 1), max(self.height(), 1)
        self.center = ((x0 + x1) / 2, (y0 + y1) / 2)
        self.units_per_pixel = max((x1 - x0) / w, (y1 - y0) / h, 1e-6)
        self._view_changed()

    def zoom_full(self) -> None:
        ext = self.layers.extent()
        if ext:
            dx, dy = (ext[2] - ext[0]) * 0.03 + 1, (ext[3] - ext[1]) * 0.03 + 1
            self.set_extent((ext[0] - dx, ext[1] - dy, ext[2] + dx, ext[3] + dy))

    def zoom_to_layer(self, layer: MapLayer) -> None:
        b = layer.bounds()
        if b:
            self.set_extent((b[0] - 10, b[1] - 10, b[2] + 10, b[3] + 10))

    def zoom_to_selection(self) -> None:
        boxes = []
        for layer in self.layers:
            rows = self.layers.selected(layer)
            if len(rows):
                boxes.append(shapely.total_bounds(layer.frame.geometry.values[rows]))
        if boxes:
            b = np.array(boxes)
            pad = max(b[:, 2].max() - b[:, 0].min(), b[:, 3].max() - b[:, 1].min()) * 0.1 + 20
            self.set_extent((b[:, 0].min() - pad, b[:, 1].min() - pad, b[:, 2].max() + pad, b[:, 3].max() + pad))

    def zoom_by(self, factor: float, anchor: QtCore.QPointF | None = None) -> None:
        v = self.view()
        if anchor is None:
            anchor = QtCore.QPointF(self.width() / 2, self.height() / 2)
        mx, my = v.to_map(anchor.x(), anchor.y())
        self.units_per_pixel /= factor
        s = self.units_per_pixel
        # keep the map point under the cursor where it is
        self.center = (float(mx) - (anchor.x() - self.width() / 2) * s, float(my) + (anchor.y() - self.height() / 2) * s)
        self._view_changed()

    def pan_pixels(self, dx: float, dy: float) -> None:
        s = self.units_per_pixel
        self.center = (self.center[0] - dx * s, self.center[1] + dy * s)
        self._view_changed()

    def _view_changed(self) -> None:
        self.update()
        self.extentChanged.emit(self.extent())
        self.refresh()
        if not self._navigating:
            self._history_timer.start()

    def _record_extent(self) -> None:
        ext = self.extent()
        if self._history_at >= 0 and np.allclose(self._history[self._history_at], ext):
            return
        del self._history[self._history_at + 1:]
        self._history.append(ext)
        self._history = self._history[-100:]
        self._history_at = len(self._history) - 1
        self.navigated.emit(self.can_go(-1), self.can_go(+1))

    def can_go(self, step: int) -> bool:
        return 0 <= self._history_at + step < len(self._history)

    def go(self, step: int) -> bool:
        """Zoom back (-1) or forward (+1) through the extents shown before."""
        if self._history_timer.isActive():  # the current view counts as visited
            self._history_timer.stop()
            self._record_extent()
        if not self.can_go(step):
            return False
        self._history_at += step
        self._navigating = True
        try:
            self.set_extent(self._history[self._history_at])
        finally:
            self._navigating = False
        self.navigated.emit(self.can_go(-1), self.can_go(+1))
        return True

    def scale_denominator(self) -> float:
        return self.view().scale_denominator()

    # rendering --------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._job is not None:
            self._job.cancelled = True  # the view changed: stop the running render
        self._timer.start()

    def _on_removed(self, _i, layer) -> None:
        self.renderer.forget(layer)
        self.refresh()

    def _on_changed(self, layer) -> None:
        self.renderer.forget(layer)
        self.refresh()

    def _start_render(self) -> None:
        # The objects alive now (layers, geometries) need no cycle collection; without this a
        # full collection over millions of objects, triggered by the worker's allocations,
        # would hold the GIL for tens of milliseconds and stall the window.
        gc.freeze()
        job = _Job(self.view())
        self._job = job
        layers = list(self.layers)
        selection = dict(self.layers.selection)
        # The thread gets what it needs, never the canvas: a widget the GUI thread may delete
        # (window closed) while the thread hands its image over; emitting one of its signals
        # then read freed memory (segmentation faults in the GUI tests).
        lock, renderer, canvas = self._lock, self.renderer, weakref.ref(self)

        def work():
            try:
                t = time.perf_counter()
                with lock:  # one render at a time; a cancelled one gives way quickly
                    if job.cancelled:
                        return
                    image = renderer.render(layers, job.view, selection=selection, cancelled=lambda: job.cancelled)
                if image is not None and not job.cancelled:
                    call_in_gui(_deliver, canvas, job, image, time.perf_counter() - t)
            finally:
                _RUNNING.pop(job, None)

        thread = threading.Thread(target=work, daemon=True, name="map-render")
        _RUNNING[job] = thread
        thread.start()

    def _on_rendered(self, job: _Job, image: QtGui.QImage, seconds: float) -> None:
        if job is not self._job:
            return
        self._image = image
        self._image_view = job.view
        self.last_render_ms = seconds * 1000
        self._job = None
        self.update()
        self.renderFinished.emit(self.last_render_ms)

    def is_rendering(self) -> bool:
        return self._job is not None or self._timer.isActive()

    def wait_rendered(self, timeout: float = 10.0) -> bool:
        """Process events until the current render is shown (for tests and screenshots)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if not self.is_rendering() and self._image is not None:
                return True
            time.sleep(0.005)
        return False

    def paintEvent(self, event) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor("white"))
        if self._image is not None and self._image_view is not None:
            old, new = self._image_view, self.view()
            # where the cached image's corners fall in the current view (pan and zoom preview)
            ax, ay = new.to_pixels(old.x0, old.y1)
            bx, by = new.to_pixels(old.x1, old.y0)
            p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(QtCore.QRectF(float(ax), float(ay), float(bx - ax), float(by - ay)), self._image)
        if getattr(self, "_sketch", None):
            v = self.view()
            pts = [QtCore.QPointF(*[float(c) for c in v.to_pixels(x, y)]) for x, y in self._sketch]
            p.setPen(QtGui.QPen(QtGui.QColor("#d62728"), 2))
            p.drawPolyline(QtGui.QPolygonF(pts))
        if self._measure:
            v = self.view()
            pts = self._measure + ([self._measure_hover] if self._measure_hover else [])
            if self.tool == "measure_area" and len(pts) >= 3:
                pts = pts + pts[:1]
            qpts = [QtCore.QPointF(*[float(c) for c in v.to_pixels(x, y)]) for x, y in pts]
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            if self.tool == "measure_area" and len(qpts) >= 3:
                p.setBrush(QtGui.QColor(230, 100, 0, 40))
                p.setPen(QtCore.Qt.PenStyle.NoPen)
                p.drawPolygon(QtGui.QPolygonF(qpts))
            for colour, width in (("#ffffff", 4.5), ("#e65100", 2.0)):
                p.setPen(QtGui.QPen(QtGui.QColor(colour), width, QtCore.Qt.PenStyle.SolidLine,
                                    QtCore.Qt.PenCapStyle.RoundCap, QtCore.Qt.PenJoinStyle.RoundJoin))
                p.drawPolyline(QtGui.QPolygonF(qpts))
        if self._drag_start is not None and self._drag_now is not None and self.tool in ("vertex", "split", "move"):
            p.setPen(QtGui.QPen(QtGui.QColor("#d62728"), 1.5, QtCore.Qt.PenStyle.DashLine))
            p.drawLine(self._drag_start, self._drag_now)
        if self._drag_start is not None and self._drag_now is not None and self.tool in ("zoom_box", "select"):
            p.setPen(QtGui.QPen(QtGui.QColor("#1f77b4"), 1, QtCore.Qt.PenStyle.DashLine))
            p.setBrush(QtGui.QColor(31, 119, 180, 40))
            p.drawRect(QtCore.QRectF(self._drag_start, self._drag_now).normalized())
        p.end()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.refresh()

    # interaction --------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        assert tool in TOOLS
        self.tool = tool
        cursor = {"pan": QtCore.Qt.CursorShape.OpenHandCursor, "zoom_box": QtCore.Qt.CursorShape.CrossCursor,
                  "identify": QtCore.Qt.CursorShape.WhatsThisCursor, "select": QtCore.Qt.CursorShape.ArrowCursor,
                  "vertex": QtCore.Qt.CursorShape.PointingHandCursor,
                  "split": QtCore.Qt.CursorShape.CrossCursor, "move": QtCore.Qt.CursorShape.SizeAllCursor,
                  "draw": QtCore.Qt.CursorShape.CrossCursor, "measure_line": QtCore.Qt.CursorShape.CrossCursor,
                  "measure_area": QtCore.Qt.CursorShape.CrossCursor}[tool]
        self._sketch: list[tuple[float, float]] = []
        self._measure, self._measure_hover = [], None
        self.update()
        self.setCursor(cursor)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())

    def keyPressEvent(self, event) -> None:
        k = event.key()
        step_x, step_y = self.width() / 4, self.height() / 4
        moves = {QtCore.Qt.Key.Key_Left: (step_x, 0), QtCore.Qt.Key.Key_Right: (-step_x, 0),
                 QtCore.Qt.Key.Key_Up: (0, step_y), QtCore.Qt.Key.Key_Down: (0, -step_y)}
        if k in moves:
            self.pan_pixels(*moves[k])
        elif k in (QtCore.Qt.Key.Key_Plus, QtCore.Qt.Key.Key_Equal):
            self.zoom_by(1.5)
        elif k == QtCore.Qt.Key.Key_Minus:
            self.zoom_by(1 / 1.5)
        elif k in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter) and self.tool == "draw":
            self.finish_sketch()
        elif k == QtCore.Qt.Key.Key_Escape:
            self._sketch = []
            self._measure, self._measure_hover = [], None
            self.update()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        self._drag_start = event.position()
        self._drag_now = event.position()
        self._pan_origin = self.center

    def mouseMoveEvent(self, event) -> None:
        v = self.view()
        x, y = v.to_map(event.position().x(), event.position().y())
        self.cursorMoved.emit(float(x), float(y))
        if self._measure and self.tool.startswith("measure"):
            self._measure_hover = (float(x), float(y))
            self._emit_measure(self._measure + [self._measure_hover])
            self.update()
        if self._drag_start is None:
            return
        self._drag_now = event.position()
        if self.tool == "pan" and self._pan_origin is not None:
            d = event.position() - self._drag_start
            s = self.units_per_pixel
            self.center = (self._pan_origin[0] - d.x() * s, self._pan_origin[1] + d.y() * s)
            self.update()  # only the cached image moves while dragging
        else:
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._drag_start is None:
            return
        start, end = self._drag_start, event.position()
        self._drag_start = self._drag_now = None
        moved = (end - start).manhattanLength() > 4
        if self.tool == "pan":
            if moved:
                self._view_changed()
        elif self.tool == "zoom_box" and moved:
            v = self.view()
            x0, y0 = v.to_map(min(start.x(), end.x()), max(start.y(), end.y()))
            x1, y1 = v.to_map(max(start.x(), end.x()), min(start.y(), end.y()))
            self.set_extent((float(x0), float(y0), float(x1), float(y1)))
        elif self.tool == "zoom_box":
            self.zoom_by(2.0, end)
        elif self.tool == "identify":
            self.identify_at(end)
        elif self.tool == "select":
            if moved:
                self.select_box(start, end)
            else:
                self.select_box(end - QtCore.QPointF(3, 3), end + QtCore.QPointF(3, 3))
        elif self.tool == "vertex" and moved:
            hit = self.vertex_at(start)
            if hit is not None:
                x, y = self.view().to_map(end.x(), end.y())
                self.vertexDragged.emit(hit[0], hit[1], hit[2], float(x), float(y))
        elif self.tool == "vertex" and event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier:
            hit = self.vertex_at(end)  # shift-click deletes a vertex
            if hit is not None:
                self.vertexDeleted.emit(hit[0], hit[1], hit[2])
        elif self.tool == "move" and moved and self.active_layer is not None:
            v = self.view()
            a, b = v.to_map(start.x(), start.y()), v.to_map(end.x(), end.y())
            tol = 3 * v.units_per_pixel
            rows = self._rows_in(self.active_layer, shapely.box(float(a[0]) - tol, float(a[1]) - tol,
                                                                float(a[0]) + tol, float(a[1]) + tol))
            if len(rows):
                self.featureMoved.emit(self.active_layer, int(rows[-1]), float(b[0] - a[0]), float(b[1] - a[1]))
        elif self.tool.startswith("measure") and not moved:
            x, y = self.view().to_map(end.x(), end.y())
            self.add_measure_point(float(x), float(y))
        elif self.tool == "draw" and not moved:
            x, y = self.view().to_map(end.x(), end.y())
            self._sketch.append((float(x), float(y)))
        elif self.tool == "split" and moved and self.active_layer is not None:
            v = self.view()
            a, b = v.to_map(start.x(), start.y()), v.to_map(end.x(), end.y())
            self.lineDrawn.emit(self.active_layer, shapely.LineString([(float(a[0]), float(a[1])),
                                                                        (float(b[0]), float(b[1]))]))
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:
        v = self.view()
        x, y = v.to_map(event.position().x(), event.position().y())
        if self.tool == "draw":
            self.finish_sketch()
        elif self.tool.startswith("measure"):  # a double-click ends the measurement (shown until the next)
            self._measure_hover = None
            self._emit_measure(self._measure)
            self._measure_done = True
        elif self.tool == "vertex" and self.active_layer is not None:
            tol = 5 * v.units_per_pixel
            rows = self._rows_in(self.active_layer, shapely.box(float(x) - tol, float(y) - tol,
                                                                float(x) + tol, float(y) + tol))
            if len(rows):  # double-click on an outline adds a vertex there
                self.vertexAdded.emit(self.active_layer, int(rows[-1]), float(x), float(y))

    def add_measure_point(self, x: float, y: float) -> None:
        if getattr(self, "_measure_done", False):
            self._measure, self._measure_done = [], False
        self._measure.append((x, y))
        self._emit_measure(self._measure)
        self.update()

    def _emit_measure(self, points) -> None:
        from planner.gui.identify import measure

        is_area = self.tool == "measure_area"
        length, area = measure(points, is_area)
        self.measured.emit(length, area, is_area)

    def finish_sketch(self) -> None:
        pts = list(dict.fromkeys(self._sketch))
        self._sketch = []
        layer = self.active_layer
        if layer is None or len(pts) < 1:
            return
        kind = layer.geometry_kind
        if kind == "polygon" and len(pts) >= 3:
            geom = shapely.Polygon(pts)
        elif kind == "line" and len(pts) >= 2:
            geom = shapely.LineString(pts)
        elif kind == "point":
            geom = shapely.Point(pts[-1])
        else:
            return
        self.featureDrawn.emit(layer, shapely.make_valid(geom) if not shapely.is_valid(geom) else geom)
        self.update()

    def vertex_at(self, pos: QtCore.QPointF, tolerance_px: float = 10.0):
        """(layer, row, vertex index) of the active layer's vertex nearest ``pos`` within tolerance."""
        from planner.editing import nearest_vertex

        layer = self.active_layer
        if layer is None or layer.raster or len(layer.frame) == 0:
            return None
        v = self.view()
        x, y = v.to_map(pos.x(), pos.y())
        tol = tolerance_px * v.units_per_pixel
        rows = self._rows_in(layer, shapely.box(float(x) - tol, float(y) - tol, float(x) + tol, float(y) + tol))
        best = None
        for row in rows[:50]:  # candidates under the cursor only
            i, d = nearest_vertex(layer.frame.geometry.values[row], float(x), float(y))
            if d <= tol and (best is None or d < best[3]):
                best = (layer, int(row), i, d)
        return None if best is None else best[:3]

    def _rows_in(self, layer: MapLayer, box) -> np.ndarray:
        geoms = layer.frame.geometry.values
        if len(geoms) == 0:
            return np.zeros(0, dtype=np.int64)
        prep = self.renderer.prepared(layer)
        parts = prep.query(*shapely.bounds(box))
        rows = np.unique(prep.part_feature[parts])
        if len(rows):
            rows = rows[shapely.intersects(geoms[rows], box)]
        return rows

    def identify_at(self, pos: QtCore.QPointF, tolerance_px: float = 3.0) -> list:
        """Every visible layer's features under ``pos`` (top layer first); emits :attr:`identified`."""
        from planner.gui.identify import identify_layers

        v = self.view()
        x, y = v.to_map(pos.x(), pos.y())
        results = identify_layers(self.layers, self, float(x), float(y), tolerance_px * v.units_per_pixel)
        self.identified.emit(results)
        return results

    def select_box(self, a: QtCore.QPointF, b: QtCore.QPointF) -> np.ndarray:
        layer = self.active_layer or (list(self.layers)[-1] if len(self.layers) else None)
        if layer is None:
            return np.zeros(0, dtype=np.int64)
        v = self.view()
        x0, y0 = v.to_map(min(a.x(), b.x()), max(a.y(), b.y()))
        x1, y1 = v.to_map(max(a.x(), b.x()), min(a.y(), b.y()))
        rows = self._rows_in(layer, shapely.box(float(x0), float(y0), float(x1), float(y1)))
        self.layers.select(layer, rows)
        return rows

    def map_to_degrees(self, x: float, y: float) -> tuple[float, float] | None:
        if self.crs is None:
            return None
        if getattr(self, "_to_deg", None) is None or self._to_deg[0] != self.crs:
            self._to_deg = (self.crs, Transformer.from_crs(self.crs, 4490, always_xy=True))
        lon, lat = self._to_deg[1].transform(x, y)
        return float(lon), float(lat)
