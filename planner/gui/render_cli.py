"""``renewal-planner render``: the canvas's renderer, headless, for docs, tests and benchmarks."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from planner.errors import InputError


def load_layers(inputs: list[str]):
    """MapLayers from a project (TOML or GeoPackage project) or from files (in their own CRS
    when one file is given, else in the working CRS chosen for them), read by the session."""
    from planner.session import Session, is_project_file, prepare_project, prepare_toml

    first = Path(inputs[0].split(":")[0] if not Path(inputs[0]).exists() else inputs[0])
    if len(inputs) == 1 and first.suffix.lower() == ".toml":
        return [lyr for lyr in prepare_toml(first).state.layers if not lyr.raster]
    if len(inputs) == 1 and first.suffix.lower() == ".gpkg" and first.exists() and is_project_file(first):
        return list(prepare_project(first).state.layers)
    session = Session()
    read = [(text, *session.inspect_file(text)[:2]) for text in inputs]
    if len(read) == 1 and read[0][1].frame.crs is not None:
        session.state.crs = read[0][1].frame.crs.to_string()
    return [session.layer_from_file(text, raw, role, None) for text, raw, role in read]


def render_command(args) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6 import QtGui

    from planner.gui.app import register_font
    from planner.gui.render import Renderer, View

    app = QtGui.QGuiApplication.instance() or QtGui.QGuiApplication(sys.argv[:1])
    register_font(app)
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise InputError(f"--size '{args.size}' is not WIDTHxHEIGHT.", hint="e.g. --size 1920x1080") from None
    layers = load_layers(args.inputs)
    if not layers:
        raise InputError("nothing to draw.", hint="give at least one layer or a project.")
    if args.extent:
        try:
            extent = tuple(float(v) for v in args.extent.split(","))
            assert len(extent) == 4
        except (ValueError, AssertionError):
            raise InputError(f"--extent '{args.extent}' is not XMIN,YMIN,XMAX,YMAX.",
                             hint="give four numbers in the layers' CRS.") from None
    else:
        from planner.model import LayerList

        ll = LayerList()
        for layer in layers:
            ll.append(layer)
        extent = ll.extent()
    renderer = Renderer()
    view = View.fit(extent, w, h)
    for layer in layers:  # preparing (indexing) belongs to loading, not to drawing
        renderer.prepared(layer)
    best = float("inf")
    image = None
    for _ in range(max(1, args.repeat)):
        t = time.perf_counter()
        image = renderer.render(layers, view)
        best = min(best, time.perf_counter() - t)
    if not image.save(str(args.out)):
        raise InputError("the image cannot be written.", file=str(args.out), hint="check the folder and the suffix (.png).")
    print(f"rendered {len(layers)} layer(s) to {args.out}")
    print(f"render_ms: {best * 1000:.1f}")
    return 0


def self_check(sample_dir: Path) -> str:
    """Qt, the bundled font and the renderer work (used by ``renewal-planner --self-test``)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6 import QtGui

    from planner.gui.app import register_font
    from planner.gui.render import Renderer, View

    app = QtGui.QGuiApplication.instance() or QtGui.QGuiApplication([])
    family = register_font(app)
    layers = load_layers([str(sample_dir / "city.gpkg") + ":buildings"])
    image = Renderer().render(layers, View.fit(layers[0].bounds(), 400, 300))
    assert image is not None and not image.isNull()
    return f"Qt ok, font '{family}'"
