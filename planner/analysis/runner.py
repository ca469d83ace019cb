"""Run the registered analyses on a workspace: skip what lacks inputs, time each, collect flags."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import geopandas as gpd
import pandas as pd

from planner.analysis.registry import AnalysisInputs, AnalysisOutput, all_analyses, get_analysis
from planner.errors import InputError
from planner.feedback import Feedback

if TYPE_CHECKING:
    from pyproj import CRS

    from planner.catalogue import Catalogue
    from planner.io.loading import LoadedLayer
    from planner.io.rasters import RasterInfo
    from planner.project import RunConfig


class WorkspaceLike(Protocol):
    """What the runner reads of a workspace (:class:`planner.pipeline.Workspace`, which the
    analyses may not import)."""

    @property
    def layers(self) -> Mapping[str, LoadedLayer]: ...
    @property
    def rasters(self) -> dict[str, RasterInfo]: ...
    @property
    def working_crs(self) -> CRS: ...
    @property
    def catalogue(self) -> Catalogue | None: ...


@dataclass
class RunResult:
    flags: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, dict[str, object]] = field(default_factory=dict)
    # Intermediate results of the analyses (network, compound of each building ...).
    shared: dict[str, object] = field(default_factory=dict)
    # Views of the results computed on a worker for the window (e.g. the review table); not saved.
    derived: dict[str, object] = field(default_factory=dict)

    def counts_by_code(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for frame in self.flags.values():
            if "code" in frame.columns and len(frame):
                for code, n in frame["code"].value_counts().items():
                    counts[str(code)] = counts.get(str(code), 0) + int(n)
        return dict(sorted(counts.items()))

    def summary(self) -> dict[str, Any]:  # the manifest's JSON object
        return {
            "counts_by_code": self.counts_by_code(),
            "features_by_layer": {k: len(v) for k, v in self.flags.items()},
            "skipped": self.skipped,
            "messages": self.messages,
            "parameters": self.parameters,
        }


PORTFOLIO_PREFIXES = ("weights.", "scales.", "sites.")


def split_params(params: dict[str, object]) -> dict[str, dict[str, object]]:
    """{'old_housing.cutoff_year': 2004} -> {'old_housing': {'cutoff_year': 2004}}."""
    out: dict[str, dict[str, object]] = {}
    for key, value in params.items():
        if str(key).startswith(PORTFOLIO_PREFIXES):  # weights, scales, sites: the portfolio's, checked there
            continue
        analysis_id, sep, name = str(key).partition(".")
        if not sep:
            raise InputError(f"parameter '{key}' does not name its analysis.",
                             hint="write it as ANALYSIS.PARAM, e.g. old_housing.cutoff_year.")
        get_analysis(analysis_id)
        out.setdefault(analysis_id, {})[name] = value
    return out


def inputs_from_workspace(ws: WorkspaceLike, cfg: RunConfig) -> AnalysisInputs:
    return AnalysisInputs(
        layers={role: layer.frame for role, layer in ws.layers.items()},
        as_of=cfg.as_of,
        catalogue=ws.catalogue,
        crs=ws.working_crs,
        rasters=ws.rasters,
        missing_fields={role: layer.report.missing_fields for role, layer in ws.layers.items()},
    )


def run_analyses(ws: WorkspaceLike, cfg: RunConfig, feedback: Feedback, *, only: list[str] | None = None) -> RunResult:
    inputs = inputs_from_workspace(ws, cfg)
    user = split_params(cfg.params)
    result = RunResult()
    analyses = [a for a in all_analyses() if only is None or a.id in only]
    for i, analysis in enumerate(analyses):
        feedback.check()
        params = analysis.resolve_params(user.get(analysis.id, {}))
        result.parameters[analysis.id] = params
        missing = analysis.missing_inputs(inputs)
        if missing:
            why = f"{analysis.title_en} ({analysis.id}) skipped: missing {'; '.join(missing)}"
            result.skipped[analysis.id] = why
            feedback.warn(why)
            continue
        feedback.set_stage(f"{analysis.title} {analysis.title_en} ({i + 1}/{len(analyses)})")
        t0 = time.perf_counter()
        out: AnalysisOutput = analysis.run(inputs, params, feedback)
        inputs.shared.update(out.shared)
        result.timings[analysis.id] = time.perf_counter() - t0
        for name, frame in out.flags.items():
            if name in result.flags and len(result.flags[name]):
                result.flags[name] = gpd.GeoDataFrame(pd.concat([result.flags[name], frame], ignore_index=True),
                                                      crs=frame.crs)
            else:
                result.flags[name] = frame
        result.tables.update(out.tables)
        result.messages.extend(out.messages)
        for m in out.messages:
            feedback.info(m)
        feedback.set_progress(100.0)
    result.shared = inputs.shared
    for name, frame in result.flags.items():
        result.flags[name] = with_flag_ids(frame)
    return result


def with_flag_ids(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A stable id per flag: CODE:source_id (plus the facility type, or the link's far end).

    Stable across runs on the same data, so that review decisions can follow a flag."""
    if len(frame) == 0:
        return frame.assign(flag_id=pd.Series(dtype="object"))
    fid = frame["code"].astype(str) + ":" + frame["source_id"].astype(str)
    if "facility_type" in frame:
        fid = fid + ":" + frame["facility_type"].astype(str)
    if "to_source_id" in frame:
        fid = fid + ">" + frame["to_source_id"].astype(str)
    dup = fid.groupby(fid).cumcount()
    fid = fid.where(dup == 0, fid + "#" + (dup + 1).astype(str))
    out = frame.copy()
    out.insert(0, "flag_id", fid.to_numpy())
    return out
