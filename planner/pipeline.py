"""The headless job shared by the command line and the GUI: load, analyse, write deliverables."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

from planner import __version__
from planner.catalogue import Catalogue, default_catalogue, load_catalogue
from planner.crs import central_meridian_of, gk_zone_epsg, guess_crs, nearest_central_meridian
from planner.errors import InputError
from planner.feedback import Feedback
from planner.io.loading import LoadedLayer, harmonise
from planner.io.rasters import RasterInfo, open_raster
from planner.io.readers import RawLayer, read_crs_text, read_vector
from planner.io.sources import file_hash, parse_source
from planner.project import RunConfig, run_name

if TYPE_CHECKING:
    import geopandas as gpd

    from planner.analysis.runner import RunResult
    from planner.portfolio.settings import PortfolioSettings

# run.json and its parts: JSON objects
Manifest = dict[str, Any]
Decisions = dict[str, dict[str, str]]  # flag id -> {"state": ..., "note": ...}


@dataclass
class Workspace:
    """The harmonised inputs of a run, in one working CRS."""

    working_crs: CRS
    crs_reason: str
    layers: dict[str, LoadedLayer] = field(default_factory=dict)
    rasters: dict[str, RasterInfo] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    catalogue: Catalogue | None = None

    def frame(self, role: str) -> gpd.GeoDataFrame | None:
        layer = self.layers.get(role)
        return None if layer is None else layer.frame


def _centre_lon(raw: RawLayer) -> float | None:
    frame = raw.frame
    if frame.crs is None or len(frame) == 0:
        return None
    b = shapely.total_bounds(frame.geometry.values)
    if not np.all(np.isfinite(b)):
        return None
    t = Transformer.from_crs(frame.crs, 4490, always_xy=True)
    lon, _ = t.transform((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    return float(lon) if np.isfinite(lon) else None


def choose_working_crs(raws: dict[str, RawLayer], cfg: RunConfig) -> tuple[CRS, str]:
    """The CRS the user asked for, else the GK zone nearest the data's centre."""
    if cfg.crs:
        crs = read_crs_text(cfg.crs)
        if crs.is_geographic:
            raise InputError(f"the working CRS {cfg.crs} is in degrees; analyses need metres.",
                             hint="give a projected CRS, e.g. EPSG:4546, or leave --crs out.")
        return crs, f"given by the user ({cfg.crs})"
    lons = []
    for role, raw in raws.items():
        inp = cfg.inputs.get(role)
        if raw.frame.crs is None and not (inp and (inp.crs or inp.coords)):
            b = shapely.total_bounds(raw.frame.geometry.values) if len(raw.frame) else None
            g = guess_crs(*b) if b is not None else None
            if g is None:
                continue
            raw_frame = raw.frame.set_crs(g.crs)
        elif inp and inp.crs:
            raw_frame = raw.frame.set_crs(inp.crs, allow_override=True)
        elif inp and inp.coords:
            raw_frame = raw.frame.set_crs(4490, allow_override=True)
        else:
            raw_frame = raw.frame
        lon = _centre_lon(RawLayer(raw.source, raw_frame, raw.driver, raw.layer))
        if lon is not None:
            lons.append(lon)
    if not lons:
        raise InputError("no input layer has a CRS or coordinates from which a working CRS can be chosen.",
                         hint="give --crs EPSG:NNNN (e.g. EPSG:4546) or add .prj files.")
    lon = float(np.median(lons))
    cm = nearest_central_meridian(lon)
    epsg = gk_zone_epsg(cm)
    return CRS.from_epsg(epsg), (f"automatic: data centred at {lon:.3f}°E, nearest CGCS2000 3-degree GK "
                                 f"central meridian {cm}°E (EPSG:{epsg})")


def load_inputs(cfg: RunConfig, feedback: Feedback, *, catalogue: Catalogue | None = None) -> Workspace:
    """Read and harmonise every input; a layer that fails is reported and the others go on."""
    catalogue = catalogue or (load_catalogue(*cfg.catalogue_dirs) if cfg.catalogue_dirs else default_catalogue())
    feedback.set_stage("读取图层 Reading layers")
    raws: dict[str, RawLayer] = {}
    errors: list[str] = []
    n = max(len(cfg.inputs), 1)
    for i, (role, inp) in enumerate(cfg.inputs.items()):
        feedback.check()
        try:
            source = parse_source(inp.path, base=cfg.base_dir)
            raws[role] = read_vector(source, role=role, encoding=inp.encoding)
        except InputError as exc:
            errors.append(f"{role}: {exc.message()}")
            feedback.warn(exc.message())
        feedback.set_progress(100 * (i + 1) / n)
    working_crs, reason = choose_working_crs(raws, cfg)
    cm = central_meridian_of(working_crs)
    ws = Workspace(working_crs, reason, errors=errors, catalogue=catalogue)
    feedback.info(f"working CRS {working_crs.to_string()}: {reason}")
    feedback.set_stage("整理图层 Harmonising layers")
    for i, (role, raw) in enumerate(raws.items()):
        feedback.check()
        inp = cfg.inputs[role]
        try:
            layer = harmonise(raw, role, catalogue, working_crs, user_mapping=inp.mapping,
                              declared_crs=inp.crs, offset=inp.coords,
                              zone_hint_cm=int(cm) if cm is not None and float(cm).is_integer() else None)
            ws.layers[role] = layer
            for w in layer.report.warnings:
                feedback.warn(w)
        except InputError as exc:
            ws.errors.append(f"{role}: {exc.message()}")
            feedback.warn(exc.message())
        feedback.set_progress(100 * (i + 1) / max(len(raws), 1))
    for name, path in cfg.rasters.items():
        try:
            ws.rasters[name] = open_raster(name, parse_source(path, base=cfg.base_dir).path, working_crs)
            if catalogue.raster_kind(name) is None:
                feedback.warn(f"raster '{name}' is of no kind in the catalogue (layers/rasters.toml); "
                              "it is recorded but no analysis uses it")
        except InputError as exc:
            ws.errors.append(f"raster {name}: {exc.message()}")
            feedback.warn(exc.message())
    return ws


def build_manifest(cfg: RunConfig, ws: Workspace, timings: dict[str, float], extra: Manifest | None = None) -> Manifest:
    inputs: Manifest = {}
    for role, layer in ws.layers.items():
        report = layer.report.to_dict()
        try:
            report["sha256"] = file_hash(Path(report["path"]))
        except OSError:
            report["sha256"] = None
        inputs[role] = report
    return {
        "software": {"name": "renewal-planner", "version": __version__},
        "run": {
            "name": cfg.name,
            "project_file": str(cfg.project_file) if cfg.project_file else None,
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "as_of": cfg.as_of.isoformat(),
        },
        "crs": {
            "working": ws.working_crs.to_string(),
            "working_name": ws.working_crs.name,
            "reason": ws.crs_reason,
            "inputs": {role: {"found": layer.report.crs_in, "note": layer.report.crs_note}
                       for role, layer in ws.layers.items()},
        },
        "inputs": inputs,
        "rasters": {name: info.to_dict() for name, info in ws.rasters.items()},
        "parameters": dict(cfg.params),
        "errors": ws.errors,
        "warnings": [w for layer in ws.layers.values() for w in layer.report.warnings],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        # the licence notice the inputs ask for (OSM's ODbL), none for a city's own data
        "attribution": ("© OpenStreetMap contributors (ODbL 1.0)"
                        if any(layer.report.driver == "OSM" for layer in ws.layers.values()) else None),
        **(extra or {}),
    }


def analyse(ws: Workspace, cfg: RunConfig, feedback: Feedback, *, only: list[str] | None = None) -> RunResult:
    """Stage 2: run the registered analyses on the harmonised inputs (a RunResult)."""
    from planner.analysis.runner import run_analyses  # noqa: PLC0415 (keeps loading importable alone)

    return run_analyses(ws, cfg, feedback, only=only)


def plan(ws: Workspace, result: RunResult, cfg: RunConfig, *, decisions: Decisions | None = None,
         weights: dict[str, float] | None = None, edits: list[dict[str, Any]] | None = None,
         ) -> tuple[gpd.GeoDataFrame, PortfolioSettings, list[str]]:
    """Stage 3: the portfolio (decisions, weights and manual edits applied); returns the
    projects, the settings used and the edits that could not be applied."""
    from planner.session import compute_portfolio, portfolio_settings  # noqa: PLC0415

    settings: PortfolioSettings = portfolio_settings(dict(cfg.params), weights)
    projects, problems = compute_portfolio(ws, result, decisions or {}, settings, edits or [])
    return projects, settings, problems


def portfolio_summary(projects: gpd.GeoDataFrame, weights: dict[str, float]) -> Manifest:
    return {
        "projects": len(projects),
        "by_type": {str(k): int(v) for k, v in projects["type"].value_counts().sort_index().items()},
        "by_phase": {str(k): int(v) for k, v in projects["phase"].value_counts().sort_index().items()},
        "estimated_cost_wan_yuan": round(float(projects["estimated_cost"].sum()), 2),
        "weights": weights,
    }


def deliver(out_dir: Path, ws: Workspace, cfg: RunConfig, result: RunResult, projects: gpd.GeoDataFrame,
            feedback: Feedback, *, decisions: Decisions | None = None, weights: dict[str, float] | None = None,
            options: dict[str, Any] | None = None, extra: Manifest | None = None,
            timings: dict[str, float] | None = None, started: float | None = None) -> Manifest:
    """Stage 4: write every deliverable and the run.json that lists them; returns the manifest."""
    import copy  # noqa: PLC0415

    from planner.export.deliverables import write_deliverables  # noqa: PLC0415
    from planner.export.outdir import prepare_output  # noqa: PLC0415
    from planner.review import apply_decisions  # noqa: PLC0415

    timings = dict(timings or {})
    t0 = time.perf_counter()
    decisions = decisions or {}
    weights = weights or {}
    out = copy.copy(result)
    out.flags = apply_decisions(result.flags, decisions)
    lang = (options or {}).get("lang") or "zh"
    if run_name(cfg.name, lang) != cfg.name:  # an unnamed run: the default name in the deliverables' language
        cfg = copy.copy(cfg)
        cfg.name = run_name(cfg.name, lang)
    run_info = {"name": cfg.name, "as_of": cfg.as_of.isoformat(), "working_crs": ws.working_crs.to_string(),
                "parameters": result.parameters, "weights": weights, "software": __version__,
                "decisions": len(decisions)}
    # The output folder is written as one set (planner.export.outdir): staged, then moved in
    # place of the earlier run's files, with run.json listing every deliverable.
    with prepare_output(out_dir) as folder:
        timings.update(write_deliverables(folder.staging, out, ws, cfg, projects, run_info, feedback,
                                          options=options))
        timings["deliver"] = time.perf_counter() - t0
        if started is not None:  # the whole run, from its start (run_job)
            timings["total"] = time.perf_counter() - started
        from planner.portfolio.totals import benefit_summary  # noqa: PLC0415

        summary = {"analyses": result.summary(),
                   "portfolio": {**portfolio_summary(projects, weights),
                                 **benefit_summary(projects, ws.frame("buildings"), ws.frame("parcels"))},
                   "review": {"decisions": len(decisions),
                              "dismissed": sum(1 for d in decisions.values() if d.get("state") == "dismissed")},
                   **(extra or {})}
        manifest = folder.commit(build_manifest(cfg, ws, timings, summary))
    return manifest


def run_job(cfg: RunConfig, out_dir: Path, feedback: Feedback, *, export_options: dict[str, Any] | None = None,
            save_project: Path | None = None) -> tuple[Manifest, Workspace]:
    """The whole headless run (load, analyse, plan, deliver). Returns the manifest and the
    workspace; with ``save_project`` also writes the project file the desktop app opens."""
    from planner.export.outdir import check_output_dir  # noqa: PLC0415
    from planner.io.loading import exclude_outside_study_area  # noqa: PLC0415

    inputs = [parse_source(i.path, base=cfg.base_dir).path for i in cfg.inputs.values()]
    check_output_dir(out_dir, inputs=inputs)
    if save_project is not None:  # checked before any work, like the output folder
        save_project = Path(save_project)
        if save_project.suffix.lower() != ".gpkg":
            save_project = save_project.with_name(save_project.name + ".gpkg")
        if save_project.resolve() in {Path(p).resolve() for p in inputs} or save_project.is_dir():
            raise InputError("the project file would replace an input layer or a folder.", file=str(save_project),
                             hint="give --save-project another file name.")
    from planner.session import portfolio_settings  # noqa: PLC0415

    portfolio_settings(dict(cfg.params), None)  # weights.* and scales.* checked before any work
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ws = load_inputs(cfg, feedback)
    for warning in exclude_outside_study_area(ws.layers):
        feedback.warn(warning)
    timings["loading"] = time.perf_counter() - t0
    if not ws.layers:
        raise InputError("no input layer could be used: " + " | ".join(ws.errors),
                         hint="fix the inputs named above and run again.")
    t1 = time.perf_counter()
    result = analyse(ws, cfg, feedback)
    timings.update({f"analysis.{k}": v for k, v in result.timings.items()})
    timings["analyses"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    projects, settings, _ = plan(ws, result, cfg)
    timings["portfolio"] = time.perf_counter() - t2
    extra: Manifest = {}
    if save_project is not None:
        from planner.session import session_from_run  # noqa: PLC0415

        t3 = time.perf_counter()
        try:  # a folder that does not exist yet is made, as for --out
            save_project.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"the project file's folder cannot be created ({exc.strerror or exc}).",
                             file=str(save_project), hint="give --save-project a folder you can write to.") from exc
        session = session_from_run(ws, cfg, result)
        target = session.save(save_project)
        timings["save_project"] = time.perf_counter() - t3
        extra["project_file"] = str(target)
    manifest = deliver(out_dir, ws, cfg, result, projects, feedback, weights=settings.weights,
                       options=export_options, extra=extra, timings=timings, started=t0)
    return manifest, ws
