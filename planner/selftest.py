"""``renewal-planner --self-test``: prove that an installation (a frozen bundle too) carries
everything it needs: GDAL and PROJ data, the layer catalogue, fonts, web assets, the sample
project. Loads the sample project, runs the checks, writes the deliverables to a temporary
folder and verifies them. Exit status 0 when everything holds, 1 otherwise."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def self_test(*, out: Path | None = None, verbose: bool = True) -> int:
    from planner import __version__
    from planner.paths import LAYERS_DIR, RESOURCES_DIR, SAMPLE_DIR

    checks: list[tuple[str, bool, str]] = []

    def check(name: str, fn: Callable[[], str]) -> None:
        t = time.perf_counter()
        try:
            detail = fn() or ""
            checks.append((name, True, f"{detail} ({time.perf_counter() - t:.1f} s)".strip()))
        except Exception as exc:  # a self-test reports every failure, it never stops at the first
            checks.append((name, False, f"{type(exc).__name__}: {exc}"))

    def proj() -> str:
        from pyproj import Transformer

        x, y = Transformer.from_crs(4490, 4546, always_xy=True).transform(109.835, 40.655)
        assert 390_000 < x < 410_000 and 4_490_000 < y < 4_510_000, (x, y)
        return f"EPSG:4490 -> EPSG:4546 ok ({x:.0f}, {y:.0f})"

    def gdal() -> str:
        import pyogrio

        drivers = pyogrio.list_drivers()
        missing = [d for d in ("GPKG", "ESRI Shapefile", "GeoJSON", "CSV", "OpenFileGDB", "OSM") if d not in drivers]
        assert not missing, f"missing GDAL drivers {missing}"
        return f"GDAL {pyogrio.__gdal_version_string__}"

    def files() -> str:
        needed = [LAYERS_DIR / "buildings.toml", LAYERS_DIR / "portfolio.toml", RESOURCES_DIR / "fonts" /
                  "NotoSansSC-Subset.ttf", RESOURCES_DIR / "web" / "leaflet" / "leaflet.js", SAMPLE_DIR /
                  "sample_project.toml"]
        missing = [str(p) for p in needed if not p.exists()]
        assert not missing, f"missing {missing}"
        from planner.catalogue import load_catalogue

        return f"catalogue of {len(load_catalogue().layers)} layers"

    out_dir = out or Path(tempfile.mkdtemp(prefix="renewal-planner-selftest-"))

    def pipeline() -> str:
        from planner.feedback import Feedback
        from planner.pipeline import run_job
        from planner.project import load_project

        manifest, ws = run_job(load_project(SAMPLE_DIR / "sample_project.toml"), out_dir, Feedback(),
                               export_options={"sheet_types": ["overview"]})
        assert not ws.errors, ws.errors
        return f"{sum(manifest['analyses']['counts_by_code'].values()):,} flags, {manifest['portfolio']['projects']:,} projects"

    def deliverables() -> str:
        with sqlite3.connect(out_dir / "portfolio.gpkg") as con:
            tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
            styles = con.execute("SELECT count(*) FROM layer_styles").fetchone()[0]
        assert {"projects", "flag_old_housing", "road_gap", "indicators"} <= tables and styles >= 6
        import openpyxl

        wb = openpyxl.load_workbook(out_dir / "portfolio.xlsx", read_only=True)
        assert "项目清单" in wb.sheetnames
        html = (out_dir / "map.html").read_text(encoding="utf-8")
        assert "L.map" in html and 'src="http' not in html
        png = out_dir / "maps" / "overview.png"
        assert png.stat().st_size > 50_000
        json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        return f"portfolio.gpkg, portfolio.xlsx, map.html, maps/overview.png in {out_dir}"

    def qt() -> str:
        from planner.gui.render_cli import self_check  # the Qt side lives in planner.gui

        detail: str = self_check(SAMPLE_DIR)  # a str; planner.gui is not followed by mypy
        return detail

    check("PROJ data", proj)
    check("GDAL drivers", gdal)
    check("data files", files)
    check("sample project run", pipeline)
    check("deliverables", deliverables)
    check("Qt and renderer", qt)
    ok = all(c[1] for c in checks)
    if verbose:
        print(f"Renewal Planner {__version__} self-test")
        for name, passed, detail in checks:
            print(f"  [{'ok' if passed else 'FAIL'}] {name}: {detail}")
        print(f"{len([c for c in checks if c[1]])} passed, {len([c for c in checks if not c[1]])} failed")
    return 0 if ok else 1
