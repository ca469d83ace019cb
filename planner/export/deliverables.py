"""Write every deliverable of run-contract.md for a finished run; returns timings.

The GeoPackage, the workbook and the HTML map do not depend on each other or on the map
sheets: where the platform forks cheaply (Linux) and the caller does not ask for responsive
writing (the desktop window does), each is written in a forked side process while this
process draws the map sheets, the atlas and the report (which fork their own page workers).
The side processes inherit the run's state (nothing is pickled but their warnings and their
time), die with their parent, and their files land in the same staging folder; an error in
one is raised here as it was raised there (a full disk stays exit 2), and cancelling stops
them. ``options["parallel"]`` (default: fork available, more than one core, not responsive)
turns it on or off.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from planner.export.terms import check_lang, crs_title, pick
from planner.feedback import Feedback


def sheet_info(ws: Any, cfg: Any, options: dict[str, Any], attribution: str = "", lang: str = "zh") -> dict[str, str]:
    """What a sheet's title block says: project, 编制单位, 日期, CRS, data date (project settings,
    export options over them)."""
    import datetime as dt

    issued = options.get("date") or getattr(cfg, "issued", None) or dt.date.today()
    crs = ws.working_crs
    return {"project": cfg.name, "organisation": options.get("organisation") or getattr(cfg, "organisation", ""),
            "date": issued.isoformat() if hasattr(issued, "isoformat") else str(issued),
            "crs": crs_title(crs, lang), "as_of": cfg.as_of.isoformat(),
            "attribution": attribution}


@dataclass
class _Run:
    """What every deliverable is written from."""

    out_dir: Path
    result: Any
    ws: Any
    cfg: Any
    projects: Any
    run_info: dict[str, Any]
    options: dict[str, Any]
    lang: str
    warnings: list[str] = field(default_factory=list)

    @property
    def attribution(self) -> str:
        return "© OpenStreetMap contributors (ODbL)" if any(
            layer.report.driver == "OSM" for layer in self.ws.layers.values()) else ""


def _gpkg(r: _Run) -> None:
    from planner.export.gpkg import write_portfolio_gpkg

    # the desktop window asks for responsive writing: GDAL's writes in short slices (the GIL)
    write_portfolio_gpkg(r.out_dir / "portfolio.gpkg", r.result, r.ws, r.cfg, r.projects, r.run_info, lang=r.lang,
                         slice_seconds=0.1 if r.options.get("responsive") else None)


def _xlsx(r: _Run) -> None:
    from planner.export.xlsx import write_workbook

    info = sheet_info(r.ws, r.cfg, r.options, r.attribution, r.lang)   # OSM's ODbL notice on 说明
    write_workbook(r.out_dir / "portfolio.xlsx", r.result, r.projects, r.run_info, buildings=r.ws.frame("buildings"),
                   parcels=r.ws.frame("parcels"), warnings=r.warnings, lang=r.lang, meta=info)


def _html(r: _Run) -> None:
    from planner.analysis.registry import flag_layers
    from planner.export.html_map import basemap_warning, write_map

    declared = [f.name for f in flag_layers()]
    layers = {"projects": r.projects, **{k: r.result.flags.get(k) for k in declared},
              **{k: v for k, v in r.result.flags.items() if k not in declared}}
    base = {role: r.ws.frame(role) for role in ("boundary", "parcels", "buildings", "roads")}
    name = r.cfg.name
    write_map(r.out_dir / "map.html", layers, title=pick(f"{name} 城市更新项目与体检图",
                                                         f"{name}: renewal projects and city examination", r.lang),
              basemap=r.options.get("basemap"), attribution=r.attribution, base=base, lang=r.lang)
    note = basemap_warning(r.options.get("basemap"))
    if note:
        r.warnings.append(note)


# the independent deliverables, in the order they are written when not in parallel, with the
# progress reached after each
_SIDE_JOBS: dict[str, tuple[Callable[[_Run], None], float]] = {
    "export.gpkg": (_gpkg, 30.0), "export.xlsx": (_xlsx, 55.0), "export.html": (_html, 70.0)}
_TARGETS = {"export.gpkg": "portfolio.gpkg", "export.xlsx": "portfolio.xlsx", "export.html": "map.html"}
_FORKED: dict[str, _Run] = {}   # the run a forked side process writes from (inherited, never pickled)


def _side(name: str, conn: Connection) -> None:
    """A forked side process: write one deliverable, send back (seconds, warnings) or the error."""
    from planner.parallel import die_with_parent

    die_with_parent()  # a killed run leaves no side process writing on
    run = _FORKED["run"]
    run.warnings = []
    t = time.perf_counter()
    try:
        _SIDE_JOBS[name][0](run)
        conn.send(("ok", time.perf_counter() - t, run.warnings))
    except BaseException as exc:  # noqa: BLE001 - every error goes back to the parent, which raises it
        text = traceback.format_exc()
        try:
            exc.add_note(f"(raised while writing {name} in a side process)\n{text}")
            conn.send(("error", exc, text))
        except Exception:  # noqa: BLE001 - an error that does not pickle goes back as its text
            conn.send(("error", RuntimeError(f"{name} failed:\n{text}"), text))
    finally:
        conn.close()


class _SideProcesses:
    """The side deliverables, each in a forked process."""

    def __init__(self, run: _Run) -> None:
        ctx = multiprocessing.get_context("fork")
        _FORKED["run"] = run
        self.procs: dict[str, tuple[Any, Connection]] = {}
        try:
            for name in _SIDE_JOBS:
                parent, child = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_side, args=(name, child), name=f"renewal-planner {name}", daemon=True)
                proc.start()
                child.close()
                self.procs[name] = (proc, parent)
        finally:
            _FORKED.clear()

    def collect(self, feedback: Feedback, timings: dict[str, float]) -> None:
        """Wait for every side process (checking for cancellation); record times and warnings,
        raise the first error."""
        from multiprocessing.connection import wait

        pending = dict(self.procs)
        while pending:
            ready = wait([conn for _, conn in pending.values()], timeout=0.2)
            feedback.check()
            for name, (proc, conn) in list(pending.items()):
                if conn not in ready:
                    continue
                try:
                    message = conn.recv()
                except EOFError:
                    proc.join()
                    raise RuntimeError(f"writing {name} stopped without a result (exit code {proc.exitcode})") from None
                proc.join()
                del pending[name]
                if message[0] == "error":
                    raise message[1]
                timings[name] = message[1]
                for text in message[2]:
                    feedback.warn(text)
                feedback.set_progress(max(feedback.progress, _SIDE_JOBS[name][1]))

    def stop(self, out_dir: Path) -> None:
        """Kill what still runs and remove the temporary file a killed writer leaves."""
        for name, (proc, conn) in self.procs.items():
            killed = proc.is_alive()
            if killed:
                proc.kill()
            proc.join()
            conn.close()
            if killed:
                for tmp in out_dir.glob(f".{_TARGETS[name]}.*.tmp*"):
                    tmp.unlink(missing_ok=True)


def _parallel(options: dict[str, Any]) -> bool:
    if "parallel" in options:
        return bool(options["parallel"])
    # not from a process that runs Qt (its threads and their locks are not forked with it)
    return ("fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1
            and not options.get("responsive") and options.get("sheet_start_method") != "spawn"
            and "PyQt6.QtCore" not in sys.modules)


def write_deliverables(out_dir: Path, result: Any, ws: Any, cfg: Any, projects: Any, run_info: dict[str, Any],
                       feedback: Feedback, *, options: dict[str, Any] | None = None) -> dict[str, float]:
    options = dict(options or {})
    lang = check_lang(options.get("lang") or "zh")
    timings: dict[str, float] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    feedback.set_stage("写出成果 Writing deliverables")
    run = _Run(out_dir, result, ws, cfg, projects, run_info, options, lang)

    parallel = _parallel(options)
    if parallel:
        # the run's objects (a million geometries, flag tables) out of the collector's reach in the
        # forked processes: a collection there writes to every tracked object's header, which copies
        # each memory page it touches from the parent (copy-on-write) - CPU and memory per process
        gc.freeze()
    side = _SideProcesses(run) if parallel else None
    try:
        if side is None:
            for name, (job, progress) in _SIDE_JOBS.items():
                t = time.perf_counter()
                run.warnings = []
                job(run)
                for warning in run.warnings:
                    feedback.warn(warning)
                timings[name] = time.perf_counter() - t
                feedback.set_progress(progress)
                feedback.check()
        _sheets_atlas_report(run, feedback, timings)
        if side is not None:
            side.collect(feedback, timings)
    finally:
        if side is not None:
            side.stop(out_dir)
        if parallel:
            gc.unfreeze()
    feedback.set_progress(100)
    return timings


def _sheets_atlas_report(run: _Run, feedback: Feedback, timings: dict[str, float]) -> None:
    ws, cfg, projects, options, lang = run.ws, run.cfg, run.projects, run.options, run.lang
    attribution = run.attribution
    sheet_base = None
    if options.get("sheets", True) and any(len(layer.frame) for layer in ws.layers.values()):
        t = time.perf_counter()
        from planner.export.sheets import SheetBase, write_sheets

        sheet_base = SheetBase(ws)
        write_sheets(run.out_dir / "maps", sheet_base, projects, title=f"{cfg.name}",
                     info=sheet_info(ws, cfg, options, attribution, lang),
                     lang=lang, which=options.get("sheet_types"), workers=options.get("sheet_workers"),
                     start_method=options.get("sheet_start_method"), prefix=getattr(cfg, "drawing_prefix", "") or "")
        timings["export.sheets"] = time.perf_counter() - t
        feedback.check()
        if options.get("atlas", False) and projects is not None and len(projects):
            t = time.perf_counter()
            from planner.export.sheets import write_atlas

            write_atlas(run.out_dir / "maps" / pick("项目图集.pdf", "atlas.pdf", lang), sheet_base, projects,
                        info=sheet_info(ws, cfg, options, attribution, lang), lang=lang,
                        prefix=getattr(cfg, "drawing_prefix", "") or "", workers=options.get("sheet_workers"),
                        start_method=options.get("sheet_start_method"))
            timings["export.atlas"] = time.perf_counter() - t
            feedback.check()
    if options.get("report", False) and any(len(layer.frame) for layer in ws.layers.values()):
        feedback.check()
        t = time.perf_counter()
        from planner.export.report import write_report

        write_report(run.out_dir / "report.docx", run.result, ws, cfg, projects, run.run_info, lang=lang,
                     info=sheet_info(ws, cfg, options, attribution, lang), base=sheet_base,
                     workers=options.get("sheet_workers"), start_method=options.get("sheet_start_method"))
        timings["export.report"] = time.perf_counter() - t
