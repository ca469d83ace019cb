"""The headless planning session: one owner for a project's state (after napari's ViewerModel).

A :class:`Session` holds the layers, the last run's results, review decisions, weights, manual
project edits and the undo history, and emits psygnal events that views subscribe to. The
desktop window, the command line (``run --save-project``, ``review``, ``export``) and the tests
drive the same session; nothing here imports Qt.

The portfolio is never edited in place: it is :func:`compute_portfolio` of (harmonised inputs,
persisted analysis results, decisions, settings) with the overlay of manual edits applied, so
that a reopened project, a decision, a weight change or a re-run never loses a project or an
edit.

Long operations come in two halves so that a GUI can run the first on a worker thread: a pure
``prepare_*``/``compute_*`` function over a snapshot, then an ``apply_*`` method on the session.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import math
import os
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from psygnal import Signal, SignalGroup
from pyproj import CRS

from planner.analysis.runner import RunResult
from planner.arrays import slices
from planner.catalogue import Catalogue, default_catalogue
from planner.errors import InputError
from planner.feedback import Feedback
from planner.model import LayerList, MapLayer, default_style, raster_layer, role_kind
from planner.portfolio.overlay import apply_edits, describe
from planner.project import RunConfig
from planner.projectfile import ProjectState, autosave_path, load_project_file, save_project

ROLE_TITLES = {"parcels": "地块 Parcels", "buildings": "建筑 Buildings", "facilities": "设施 Facilities",
               "roads": "道路 Roads", "boundary": "研究范围 Study area", "water": "水系 Water", "rail": "铁路 Railways"}
DRAW_ORDER = ["boundary", "water", "parcels", "buildings", "rail", "roads", "facilities"]
PROJECTS_ROLE = "projects"
FLAG_PREFIX = "flags:"
# products that are not stored (recomputed when needed): large or not data
TRANSIENT_PRODUCTS = {"road_network", "service_distances"}


class SessionEvents(SignalGroup):
    """What views subscribe to."""

    opened = Signal(object)        # the project path (or None for a new / TOML-started project)
    results = Signal()             # run results replaced
    decisions = Signal(object)     # flag ids whose decision changed
    portfolio = Signal(object)     # the projects frame
    weights = Signal(object)
    history = Signal()             # undo history changed
    dirty = Signal(bool)
    saved = Signal(object)         # the path written
    message = Signal(str)


# commands ------------------------------------------------------------------------------------
@dataclass
class Command:
    """An undoable change of the session (after glue: every GUI action is a command)."""

    text: str
    redo_fn: Callable[[], None]
    undo_fn: Callable[[], None]


class History:
    """The undo history: a list of commands and a position."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.commands: list[Command] = []
        self.index = 0
        self._on_change = on_change

    def push(self, command: Command) -> None:
        command.redo_fn()
        del self.commands[self.index:]
        self.commands.append(command)
        self.index += 1
        self._on_change()

    def can_undo(self) -> bool:
        return self.index > 0

    def can_redo(self) -> bool:
        return self.index < len(self.commands)

    def undo(self) -> None:
        if self.can_undo():
            self.index -= 1
            self.commands[self.index].undo_fn()
            self._on_change()

    def redo(self) -> None:
        if self.can_redo():
            self.commands[self.index].redo_fn()
            self.index += 1
            self._on_change()

    def clear(self) -> None:
        self.commands.clear()
        self.index = 0
        self._on_change()

    def texts(self) -> list[str]:
        return [c.text for c in self.commands]


# pure functions ------------------------------------------------------------------------------
def normalise_weights(weights: dict[str, float]) -> dict[str, float]:
    """Weights that sum to 1 (negative, NaN and infinite values refused)."""
    clean = {}
    for k, v in weights.items():
        v = float(v)
        if not math.isfinite(v) or v < 0:
            raise InputError(f"weight '{k}' = {v} is not a number ≥ 0.", field=k, hint="give weights ≥ 0.")
        clean[k] = v
    total = sum(clean.values())
    if total <= 0:
        raise InputError("the weights add up to 0.", hint="give at least one weight above 0.")
    return {k: v / total for k, v in clean.items()}


def _settings(overrides: dict[str, float]) -> Any:
    """layers/portfolio.toml read with ``overrides`` (parsed once per content of the file: the
    window asks for the weights on every event); a copy the caller may change."""
    from planner.portfolio.settings import LAYERS_DIR

    stamp = (LAYERS_DIR / "portfolio.toml").stat()
    return copy.deepcopy(_read_settings(tuple(sorted(overrides.items())), stamp.st_mtime_ns, stamp.st_size))


@functools.lru_cache(maxsize=16)
def _read_settings(overrides: tuple[tuple[str, float], ...], _mtime: int, _size: int) -> Any:
    from planner.portfolio.settings import load_settings

    return load_settings(overrides=dict(overrides))


def portfolio_settings(params: dict[str, Any], weights: dict[str, float] | None) -> Any:
    """The portfolio settings with the run's ``weights.*`` / ``scales.*`` / ``sites.*``
    parameters (checked: known names, finite numbers ≥ 0) and the project's weights; weights
    normalised. ``sites.min_new_households_by_type.TYPE`` replaces a facility type's minimum."""
    from planner.portfolio.settings import COMPONENTS, MIN_NEW_HOUSEHOLDS

    base = _settings({})
    types = sorted(set(MIN_NEW_HOUSEHOLDS) | set(base.min_new_by_type))
    overrides: dict[str, float] = {}
    for key, value in params.items():
        group, _, name = str(key).partition(".")
        if group not in ("weights", "scales", "sites"):
            continue
        if group == "sites":
            known = (*base.sites, *(f"min_new_households_by_type.{t}" for t in types))
            word = "site setting"
        else:
            known = COMPONENTS if group == "weights" else tuple(base.scales)
            word = group[:-1]
        if name not in known:
            shown = ", ".join(known) if group != "sites" else (
                ", ".join(base.sites) + ", min_new_households_by_type.TYPE (TYPE: " + ", ".join(types) + ")")
            raise InputError(f"there is no {word} '{name}'.", field=str(key),
                             hint=f"{group}: {shown} (layers/portfolio.toml).")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{key} = {value!r} is not a number.", field=str(key), hint="give a number ≥ 0.") from None
        if not math.isfinite(number) or number < 0 or (group == "scales" and number == 0):
            raise InputError(f"{key} = {value!r} is not a finite number ≥ 0.", field=str(key),
                             hint="give a number ≥ 0 (scales above 0).")
        overrides[str(key)] = number
    settings = _settings(overrides)
    if weights:
        settings.weights = normalise_weights({k: float(weights.get(k, 0.0)) for k in COMPONENTS})
    return settings


def without_dismissed(result: RunResult, decisions: dict[str, dict[str, str]]) -> RunResult:
    dismissed = {k for k, v in decisions.items() if v.get("state") == "dismissed"}
    clone = copy.copy(result)
    clone.flags = {name: (f[~f["flag_id"].astype(str).isin(dismissed)] if "flag_id" in f and len(f) else f)
                   for name, f in result.flags.items()}
    return clone


def id_owners(base: gpd.GeoDataFrame) -> dict[tuple[str, str], str]:
    """(project type, flag id) -> the id of the project that covers the flag in a full build."""
    owner: dict[tuple[str, str], str] = {}
    for pid, kind, flags in zip(base["project_id"].astype(str), base["type"].astype(str),
                                base["flags"].fillna("").astype(str), strict=True):
        for f in flags.split(","):
            if f:
                owner.setdefault((kind, f), pid)
    return owner


def _carry_ids(owner: dict[tuple[str, str], str], decided: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give the projects built without the dismissed flags the ids they have in the full build,
    so that ids (and the manual edits addressed by them) do not move when a flag is dismissed."""
    if len(decided) == 0 or not owner:
        return decided
    ids = []
    used: set[str] = set()
    for pid, kind, flags in zip(decided["project_id"].astype(str), decided["type"].astype(str),
                                decided["flags"].fillna("").astype(str), strict=True):
        first = next((f for f in flags.split(",") if f), "")
        new = owner.get((kind, first), pid + "*")
        while new in used:
            new += "*"
        used.add(new)
        ids.append(new)
    out = decided.copy()
    out["project_id"] = ids
    return out


def compute_portfolio(ws: Any, result: RunResult, decisions: dict[str, dict[str, str]], settings: Any,
                      edits: list[dict[str, Any]], *, owners: dict[tuple[str, str], str] | None = None
                      ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The portfolio: built from the results without the dismissed flags, ids carried from the
    full build, then the manual edits applied. Returns it and the edits that did not apply.

    ``owners`` caches the full build's ids for these results (filled when empty), so that a
    decision costs one build, not two."""
    from planner.portfolio.build import build_portfolio

    if not any(v.get("state") == "dismissed" for v in decisions.values()):
        projects = build_portfolio(ws, result, settings=settings)
        if owners is not None and not owners:
            owners.update(id_owners(projects))
        return apply_edits(projects, edits)
    if owners is None or not owners:
        full = id_owners(build_portfolio(ws, result, settings=settings))
        if owners is not None:
            owners.update(full)
    else:
        full = owners
    projects = _carry_ids(full, build_portfolio(ws, without_dismissed(result, decisions), settings=settings))
    return apply_edits(projects, edits)


def workspace_from_layers(layers: LayerList, crs_text: str | None, catalogue: Catalogue,
                          rasters: dict[str, Any] | None = None) -> Any:
    """A Workspace for the analyses and the portfolio from the input layers of a project."""
    from planner.io.loading import LayerReport, LoadedLayer
    from planner.pipeline import Workspace

    crs = CRS.from_user_input(crs_text) if crs_text else None
    ws = Workspace(crs, "from the project", catalogue=catalogue)  # type: ignore[arg-type]  # no CRS: no layers
    for layer in layers:
        if layer.role in catalogue.layers and not layer.raster and len(layer.frame) and layer.role not in ws.layers:
            spec = catalogue.layer(layer.role)
            report = LayerReport(layer.role, layer.source, None, "project", None, "", crs.to_string() if crs else None, "")
            report.field_mapping = dict(layer.mapping)
            report.missing_fields = [f.name for f in spec.fields if f.name not in layer.frame.columns]
            ws.layers[layer.role] = LoadedLayer(layer.role, layer.frame, report, spec)
    if rasters:
        ws.rasters.update(rasters)
    return ws


def input_layers(ws: Any, catalogue: Catalogue) -> list[MapLayer]:
    """Map layers for the harmonised inputs of a workspace (rasters at the bottom)."""
    out: list[MapLayer] = []
    for name, info in ws.rasters.items():
        kind = catalogue.raster_kind(name)
        out.append(raster_layer(f"{kind.title if kind else name} {name}", str(info.path), info.bounds_working,
                                ws.working_crs, kind=kind.name if kind else name))
    for role in DRAW_ORDER + [r for r in ws.layers if r not in DRAW_ORDER]:
        loaded = ws.layers.get(role)
        if loaded is None:
            continue
        spec = catalogue.layers.get(role)
        title = ROLE_TITLES.get(role) or (f"{spec.title} {spec.title_en}" if spec is not None else role)
        layer = MapLayer(title, loaded.frame, role=role,
                         style=default_style(catalogue, role, role_kind(catalogue, role)),
                         source=str(loaded.report.path), mapping=loaded.report.field_mapping)
        if role == "buildings" and "compound" in loaded.frame.columns:
            layer.label_field = "compound"
        if role == "roads" and "name" in loaded.frame.columns:
            layer.label_field = "name"
        out.append(layer)
    return out


def flag_layer_title(name: str) -> str:
    from planner.export.styles import FLAG_LAYER_TITLES

    return f"标记 {FLAG_LAYER_TITLES.get(name, name)}"


@dataclass
class Prepared:
    """What a worker prepared for a session to adopt (a project opened or a TOML loaded)."""

    state: ProjectState
    path: Path | None
    ws: Any = None
    cfg: RunConfig | None = None
    result: RunResult | None = None
    messages: list[str] = field(default_factory=list)
    # the portfolio computed on the worker (so adopting it does not rebuild on the main thread)
    portfolio: tuple[gpd.GeoDataFrame, list[str]] | None = None
    owners: dict[tuple[str, str], str] = field(default_factory=dict)


def prepare_toml(path: str | Path, feedback: Feedback | None = None, catalogue: Catalogue | None = None) -> Prepared:
    """Read and harmonise the inputs of a project TOML (no session state touched)."""
    from planner.export.terms import warm
    from planner.pipeline import load_inputs
    from planner.project import load_project

    warm()  # here on the worker, not in the window when the tables first show
    feedback = feedback or Feedback()
    catalogue = catalogue or default_catalogue()
    from planner.io.loading import exclude_outside_study_area

    cfg = load_project(path)
    ws = load_inputs(cfg, feedback, catalogue=catalogue)
    for warning in exclude_outside_study_area(ws.layers):  # as a run does
        feedback.warn(warning)
    state = ProjectState(crs=ws.working_crs.to_string(), name=cfg.name, as_of=cfg.as_of.isoformat(),
                         params=dict(cfg.params), extra={"title_block": title_block(cfg)})
    state.extra["source_toml"] = str(Path(path).resolve())
    for layer in input_layers(ws, catalogue):
        state.layers.append(layer)
    # an input that failed is listed once, as "ROLE: message" (feedback also had it without its role)
    failed = {e.split(": ", 1)[1] for e in ws.errors if ": " in e}
    return Prepared(state, None, ws=ws, cfg=cfg,
                    messages=[w for w in feedback.warnings if w not in failed] + list(ws.errors))


@functools.lru_cache(maxsize=1)
def _catalogue_digest() -> str:
    """A digest of the shipped catalogue (layers/*.toml: types, costs, domains) and the version."""
    from planner import __version__
    from planner.paths import LAYERS_DIR

    h = hashlib.sha256(__version__.encode())
    for f in sorted(LAYERS_DIR.rglob("*.toml")):
        h.update(str(f.relative_to(LAYERS_DIR)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def portfolio_key(state: ProjectState) -> str:
    """What the portfolio of a project's results depends on besides its layers: decisions, manual
    edits, weights, parameters and the catalogue. A project file stores the key of the portfolio
    it holds; when the key read back matches, opening shows that portfolio without rebuilding it."""
    text = json.dumps({"decisions": state.decisions, "edits": state.edits, "weights": state.weights,
                       "params": state.params, "catalogue": _catalogue_digest()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _stored_portfolio(state: ProjectState) -> tuple[gpd.GeoDataFrame, list[str]] | None:
    """The project file's own portfolio when it is the one its state would build (see
    :func:`portfolio_key`), else None."""
    cache = state.extra.get("portfolio_cache")
    if not isinstance(cache, dict) or cache.get("key") != portfolio_key(state):
        return None
    layer = next((lyr for lyr in state.layers if lyr.role == PROJECTS_ROLE), None)
    if layer is None or not isinstance(layer.frame, gpd.GeoDataFrame) or "project_id" not in layer.frame:
        return None
    frame = layer.frame
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    problems = cache.get("problems")
    return frame, [str(p) for p in problems] if isinstance(problems, list) else []


def _boundary(layers: Any) -> gpd.GeoDataFrame | None:
    layer = next((lyr for lyr in layers if lyr.role == "boundary"), None)
    return layer.frame if layer is not None else None


def result_flag_ids(result: RunResult) -> AbstractSet[str]:
    """Every flag id of ``result``, kept with it (a worker makes it when the project opens or the
    checks finish; each decision looks its flag up here)."""
    cached = result.derived.get("flag_ids")
    if isinstance(cached, set):
        return cached
    from planner.flagtable import text_objects

    found: set[str] = set()
    for f in result.flags.values():
        if "flag_id" in f:
            values = text_objects(f["flag_id"])
            for a, b in slices(len(values)):  # a slice per call: the window waits on each
                found.update(values[a:b])
    result.derived["flag_ids"] = found  # read only from here on
    return found


def review_table(result: RunResult, decisions: dict[str, dict[str, str]], districts: Any = None) -> Any:
    """The review table of ``result`` (one row per flag, its district and review state), made
    once and kept with the result (a worker makes it, so the window only shows it)."""
    from planner.flagtable import flag_table

    table = result.derived.get("flag_table")
    if table is None:
        table = flag_table(result.flags, decisions, districts)
        result.derived["flag_table"] = table
        result_flag_ids(result)
    return table


def prepare_project(path: str | Path, *, source: str | Path | None = None) -> Prepared:
    """Read a project file (or its autosave ``source``) without touching a session."""
    import planner.pipeline  # noqa: F401 (imported here on the worker: a first decision needs it, rasterio is slow)
    from planner.export.terms import warm

    warm()  # here on the worker, not in the window when the tables first show
    state = load_project_file(source or path)
    prepared = Prepared(state, Path(path), result=result_from_state(state))
    stored = _stored_portfolio(state) if prepared.result is not None else None
    if stored is not None:
        prepared.portfolio = stored  # the full build's ids are computed at the first decision
    elif prepared.result is not None:
        ws = workspace_from_layers(state.layers, state.crs, default_catalogue())
        settings = portfolio_settings(state.params, state.weights)
        prepared.portfolio = compute_portfolio(ws, prepared.result, state.decisions, settings, state.edits,
                                               owners=prepared.owners)
    if prepared.portfolio is not None:
        # the projects layer as adopting will show it (its frame and style), so what the worker
        # works out ahead for drawing it is what the window draws
        layer = next((lyr for lyr in state.layers if lyr.role == PROJECTS_ROLE), None)
        if layer is not None:
            layer.frame = prepared.portfolio[0]
            layer.style = _projects_style(prepared.portfolio[0], layer.style)
    if prepared.result is not None:  # after the portfolio: it may add flags (heritage)
        review_table(prepared.result, state.decisions, _boundary(state.layers))
    return prepared


def _projects_style(projects: gpd.GeoDataFrame, current: dict[str, Any] | None) -> dict[str, Any]:
    """The projects layer's style for a portfolio: a class per type present (its opacity kept)."""
    from planner.export.styles import project_style

    current = current or {}
    if not len(projects):
        return current
    style = project_style(sorted(projects["type"].astype(str).unique()))
    return {**style, **{k: v for k, v in current.items() if k in ("opacity",)}}


def result_from_state(state: ProjectState) -> RunResult | None:
    flags = {lyr.role[len(FLAG_PREFIX):]: lyr.frame for lyr in state.layers if lyr.role.startswith(FLAG_PREFIX)}
    if not flags and not state.products:
        return None
    tables = {k[len("table/"):]: v for k, v in state.products.items() if k.startswith("table/")}
    shared = {k[len("shared/"):]: v for k, v in state.products.items() if k.startswith("shared/")}
    run = state.run or {}
    return RunResult(flags=flags, tables=tables, shared=shared, skipped=dict(run.get("skipped", {})),
                     messages=list(run.get("messages", [])), parameters=dict(run.get("parameters", {})))


def products_of(result: RunResult) -> dict[str, Any]:
    out: dict[str, Any] = {f"table/{k}": v for k, v in result.tables.items()}
    out.update({f"shared/{k}": v for k, v in result.shared.items() if k not in TRANSIENT_PRODUCTS})
    return out


# the session ---------------------------------------------------------------------------------
class Session:
    """A project's state and the operations on it (no Qt)."""

    def __init__(self, *, catalogue: Catalogue | None = None, recovery_dir: Path | None = None) -> None:
        self.events = SessionEvents()
        self.catalogue = catalogue or default_catalogue()
        self.state = ProjectState()
        self.layers: LayerList = self.state.layers
        self.path: Path | None = None
        self.result: RunResult | None = None
        self.rasters: dict[str, Any] = {}
        self.history = History(self.events.history.emit)
        self.dirty = False
        self.problems: list[str] = []
        self._projects: gpd.GeoDataFrame | None = None
        self._weights_kept: tuple[tuple[str, str], dict[str, float]] | None = None
        self._recovery_dir = recovery_dir
        # How portfolio rebuilds run: directly, or (the window) on a worker while the event loop
        # turns; a rebuild overtaken by a newer one is dropped.
        self.portfolio_runner: Callable[[Callable[[], Any]], Any] | None = None
        self._portfolio_seq = 0
        self._owners: dict[tuple[str, str], str] = {}  # project ids of the full build of self.result
        self._portfolio_basis: tuple[Any, ...] | None = None  # what the shown portfolio was built from
        # what the last full save or open wrote: layer uid -> frame object; products version
        self._saved_frames: dict[int, Any] = {}
        self._products_version = 0
        self._saved_products_version = 0
        for sig in (self.layers.inserted, self.layers.removed, self.layers.moved, self.layers.changed):
            sig.connect(self._layers_touched)

    # state helpers -------------------------------------------------------------------------
    def _layers_touched(self, *args: Any) -> None:
        self.set_dirty(True)

    def set_dirty(self, dirty: bool) -> None:
        if self.dirty != dirty:
            self.dirty = dirty
            self.events.dirty.emit(dirty)

    def message(self, text: str) -> None:
        self.events.message.emit(text)

    @property
    def decisions(self) -> dict[str, dict[str, str]]:
        return self.state.decisions

    @property
    def weights(self) -> dict[str, float]:
        """The normalised priority weights (kept for the parameters and weights they come from:
        the panels ask on every event, and the settings are deep-copied per call)."""
        key = (repr(sorted((str(k), repr(v)) for k, v in self.state.params.items()
                           if str(k).startswith(("weights.", "scales.")))),
               repr(sorted((self.state.weights or {}).items())))
        hit = self._weights_kept
        if hit is None or hit[0] != key:
            hit = self._weights_kept = (key, dict(portfolio_settings(self.state.params, self.state.weights).weights))
        return dict(hit[1])

    @property
    def edits(self) -> list[dict[str, Any]]:
        return self.state.edits

    def settings(self) -> Any:
        return portfolio_settings(self.state.params, self.state.weights)

    def workspace(self) -> Any:
        return workspace_from_layers(self.layers, self.state.crs, self.catalogue, self.rasters)

    def layer_of_role(self, role: str) -> MapLayer | None:
        return next((lyr for lyr in self.layers if lyr.role == role), None)

    @property
    def projects(self) -> gpd.GeoDataFrame | None:
        return self._projects

    def input_paths(self) -> set[Path]:
        """The files the project's input layers were read from (never to be overwritten)."""
        out = set()
        for layer in self.layers:
            src = (layer.raster or layer.source or "").strip()
            if not src:
                continue
            path = src
            if not os.path.exists(path) and ":" in src[2:]:  # file.gpkg:layer
                path = src[:2] + src[2:].rsplit(":", 1)[0]
            with_suffix = Path(path)
            if with_suffix.exists():
                out.add(with_suffix.resolve())
        toml = self.state.extra.get("source_toml")
        if toml:
            out.add(Path(toml).resolve())
        return out

    # opening ------------------------------------------------------------------------------
    def _replace_layers(self, layers: list[MapLayer]) -> None:
        for layer in list(self.layers):
            self.layers.remove(layer)
        for layer in layers:
            self.layers.append(layer)

    def adopt(self, prepared: Prepared) -> None:
        """Make a prepared project the session's (replaces everything; views follow events)."""
        state = prepared.state
        layers = list(state.layers)
        state.layers = self.layers
        self.state = state
        self._replace_layers(layers)
        self.path = prepared.path
        self.rasters = dict(prepared.ws.rasters) if prepared.ws is not None else {}
        self.result = prepared.result or result_from_state(state)
        self._owners = prepared.owners  # taken, not copied (a full build's ids: a copy paused the window)
        self.history.clear()
        self._projects = None
        self._saved_frames = {lyr.uid: lyr.frame for lyr in self.layers} if prepared.path else {}
        self._saved_products_version = self._products_version
        if self.result is not None and prepared.portfolio is not None:
            self.set_portfolio(*prepared.portfolio)
            projects = self.layer_of_role(PROJECTS_ROLE)
            if prepared.path and projects is not None and projects.uid in self._saved_frames:
                # the file's own portfolio (its table read back): a save copies it, not rewrites it
                self._saved_frames[projects.uid] = projects.frame
        elif self.result is not None:
            self.refresh_portfolio()
        for m in prepared.messages:
            self.message(m)
        self.set_dirty(False)
        self.events.opened.emit(prepared.path)
        self.events.results.emit()

    def open(self, path: str | Path, *, source: str | Path | None = None, feedback: Feedback | None = None) -> None:
        path = Path(path)
        if path.suffix.lower() == ".toml":
            self.adopt(prepare_toml(path, feedback, self.catalogue))
        else:
            self.adopt(prepare_project(path, source=source))

    def new(self) -> None:
        self.adopt(Prepared(ProjectState(), None))

    def inspect_file(self, path: str) -> tuple[Any, str, list[str], dict[str, str]]:
        """Read a file to add as a layer: (raw layer, the role its fields suggest, its columns,
        the field mapping the catalogue finds)."""
        from planner.io.loading import map_fields
        from planner.io.readers import read_vector
        from planner.io.sources import parse_source

        raw = read_vector(parse_source(path))
        columns = [c for c in raw.frame.columns if c != raw.frame.geometry.name]
        role = max(self.catalogue.layers, key=lambda r: len(map_fields(columns, self.catalogue.layers[r])))
        return raw, role, columns, map_fields(columns, self.catalogue.layer(role))

    def mapping_for(self, columns: list[str], role: str) -> dict[str, str]:
        return field_mapping(self.catalogue, role, columns)

    def layer_from_file(self, path: str, raw: Any, role: str, mapping: dict[str, str] | None) -> MapLayer:
        """Harmonise a read file into the project's CRS (chosen from it when the project has
        none) as a new map layer with the role's default style; warnings go to the messages."""
        from planner.io.loading import harmonise
        from planner.io.sources import parse_source
        from planner.pipeline import choose_working_crs
        from planner.project import InputConfig

        source = parse_source(path)
        if self.state.crs:
            working = CRS.from_user_input(self.state.crs)
        else:
            working, _ = choose_working_crs({role: raw}, RunConfig(inputs={role: InputConfig(role, str(path))}))
            self.state.crs = working.to_string()
        loaded = harmonise(raw, role, self.catalogue, working, user_mapping=mapping or {})
        for w in loaded.report.warnings:
            self.message(w)
        name, k, taken = Path(source.path).stem, 2, {lyr.name for lyr in self.layers}
        while name in taken:
            name, k = f"{Path(source.path).stem} ({k})", k + 1
        return MapLayer(name, loaded.frame, role=role, style=default_style(self.catalogue, role,
                                                                         role_kind(self.catalogue, role)),
                        source=source.label(), mapping=loaded.report.field_mapping)

    # results ------------------------------------------------------------------------------
    def run_config(self, params: dict[str, Any] | None = None, as_of: dt.date | None = None) -> RunConfig:
        params = dict(self.state.params if params is None else params)
        if as_of is None:
            as_of = dt.date.fromisoformat(self.state.as_of) if self.state.as_of else dt.date.today()
        cfg = RunConfig(name=self.state.name, as_of=as_of, params=params)
        apply_title_block(cfg, self.state.extra.get("title_block"))
        return cfg

    def compute_checks(self, feedback: Feedback, *, params: dict[str, Any] | None = None,
                       selected: list[str] | None = None, as_of: dt.date | None = None) -> tuple[RunResult, RunConfig]:
        """Run the analyses over the current input layers (safe on a worker: reads a snapshot)."""
        from planner.pipeline import analyse

        cfg = self.run_config(params, as_of)
        return analyse(self.workspace(), cfg, feedback, only=selected), cfg

    def checks_job(self, *, params: dict[str, Any] | None = None, selected: list[str] | None = None,
                   as_of: dt.date | None = None) -> Callable[[Feedback], tuple[Any, ...]]:
        """A job over a snapshot: run the analyses and build the portfolio; its result goes to
        :meth:`apply_results` as ``apply_results(result, cfg, portfolio=(projects, problems))``."""
        from planner.pipeline import analyse

        ws, cfg = self.workspace(), self.run_config(params, as_of)
        decisions, settings, edits = copy.deepcopy(self.decisions), self.settings(), copy.deepcopy(self.edits)
        districts = _boundary(self.layers)

        def job(feedback: Feedback) -> tuple[Any, ...]:
            result = analyse(ws, cfg, feedback, only=selected)
            feedback.check()
            owners: dict[tuple[str, str], str] = {}
            projects, problems = compute_portfolio(ws, result, decisions, settings, edits, owners=owners)
            review_table(result, decisions, districts)  # after the portfolio: it may add flags (heritage)
            return result, cfg, projects, problems, owners

        return job

    def apply_results(self, result: RunResult, cfg: RunConfig, *, portfolio: tuple[Any, ...] | None = None) -> None:
        """Adopt a run's results: flag layers replaced, the portfolio rebuilt with the edits
        (or ``portfolio`` as a worker computed it with :func:`compute_portfolio`)."""
        from planner.export.styles import flag_style

        self.result = result
        self._owners = {} if portfolio is None or len(portfolio) < 3 else dict(portfolio[2])
        self.state.params = dict(cfg.params)
        self.state.as_of = cfg.as_of.isoformat()
        self.state.products = products_of(result)
        self.state.run = {"parameters": result.parameters, "skipped": result.skipped, "messages": result.messages}
        self._products_version += 1
        old_visible = {lyr.role: lyr.visible for lyr in self.layers if lyr.role.startswith(FLAG_PREFIX)}
        for layer in list(self.layers):
            if layer.role.startswith(FLAG_PREFIX):
                self.layers.remove(layer)
        # the portfolio first: building it may add flags (heritage conflicts are found on projects)
        if portfolio is not None:
            self.set_portfolio(portfolio[0], portfolio[1])
        else:
            self.refresh_portfolio()
        # flags above the projects (the projects are outlines with light fills beneath them)
        insert_at = next((i + 1 for i, lyr in enumerate(self.layers) if lyr.role == PROJECTS_ROLE), len(self.layers))
        from planner.export.styles import default_visible_flags

        for name, frame in result.flags.items():
            if frame is None or len(frame) == 0:
                continue
            role = FLAG_PREFIX + name
            layer = MapLayer(flag_layer_title(name), frame, role=role, style=flag_style(sorted(frame["code"].unique())),
                             visible=old_visible.get(role, name in default_visible_flags()))
            self.layers.insert(insert_at, layer)
            insert_at += 1
        self.set_dirty(True)
        self.events.results.emit()

    def run_checks(self, feedback: Feedback | None = None, **kwargs: Any) -> RunResult:
        result, cfg = self.compute_checks(feedback or Feedback(), **kwargs)
        self.apply_results(result, cfg)
        return result

    # portfolio ----------------------------------------------------------------------------
    def refresh_portfolio(self) -> gpd.GeoDataFrame | None:
        """Rebuild the portfolio from the results, decisions, settings and edits."""
        if self.result is None:
            return None
        ws, result, settings = self.workspace(), self.result, self.settings()
        decisions, edits, owners = copy.deepcopy(self.decisions), copy.deepcopy(self.edits), self._owners

        def job() -> tuple[gpd.GeoDataFrame, list[str]]:
            return compute_portfolio(ws, result, decisions, settings, edits, owners=owners)

        self._portfolio_seq += 1
        seq = self._portfolio_seq
        projects, problems = self.portfolio_runner(job) if self.portfolio_runner is not None else job()
        if seq != self._portfolio_seq:  # a newer rebuild started meanwhile: it shows its own
            return self._projects
        return self.set_portfolio(projects, problems)

    def set_portfolio(self, projects: gpd.GeoDataFrame, problems: list[str]) -> gpd.GeoDataFrame:
        """Show a computed portfolio (the projects layer follows)."""
        self.problems = problems
        for p in problems:
            self.message(p)
        self._projects = projects
        self._portfolio_basis = self._basis()
        layer = self.layer_of_role(PROJECTS_ROLE)
        if layer is None:
            layer = MapLayer("更新项目 Projects", projects, role=PROJECTS_ROLE, style=_projects_style(projects, None))
            below_flags = next((i for i, lyr in enumerate(self.layers) if lyr.role.startswith(FLAG_PREFIX)),
                               len(self.layers))
            self.layers.insert(below_flags, layer)
        else:
            layer.frame = projects
            layer.style = _projects_style(projects, layer.style)
            self.layers.notify(layer)
        self.events.portfolio.emit(projects)
        return projects

    # commands -----------------------------------------------------------------------------
    def _decision_command(self, changes: dict[str, dict[str, str] | None], text: str) -> Command:
        old = {k: copy.deepcopy(self.decisions.get(k)) for k in changes}

        def put(values: dict[str, dict[str, str] | None]) -> None:
            for k, v in values.items():
                if v is None:
                    self.decisions.pop(k, None)
                else:
                    self.decisions[k] = dict(v)
            table = self.result.derived.get("flag_table") if self.result is not None else None
            if table is not None:
                from planner.flagtable import apply_decisions

                apply_decisions(table, self.decisions, {str(k) for k in values})
            self.set_dirty(True)
            self.events.decisions.emit(set(values))
            self.refresh_portfolio()

        return Command(text, lambda: put(changes), lambda: put(old))

    def flag_ids(self) -> AbstractSet[str]:
        """Every flag id of the results (made once per results; see :func:`result_flag_ids`)."""
        return frozenset() if self.result is None else result_flag_ids(self.result)

    def decide(self, flag_id: str, state: str | None, note: str = "", code: str = "", *,
               text: str | None = None) -> None:
        """Confirm, dismiss (with a note), reclassify (``code``) or reopen (None) one flag;
        ``text`` names the command in the undo history (a view's language)."""
        if flag_id not in self.flag_ids():
            raise InputError(f"there is no flag '{flag_id}' in this project.", field="flag_id",
                             hint="use a flag id of the flag_id column of a flag layer.")
        if state not in (None, "open", "confirmed", "dismissed", "reclassified"):
            raise InputError(f"'{state}' is not a review state.", hint="confirmed, dismissed, reclassified or open.")
        decision = None if state in (None, "open") else {"state": state, "note": note, "code": code}
        words = {"confirmed": "确认", "dismissed": "排除", "reclassified": "改判", None: "重新打开", "open": "重新打开"}
        self.history.push(self._decision_command({flag_id: decision}, text or f"{words[state]}标记 {flag_id}"))

    def set_weights(self, weights: dict[str, float], *, text: str | None = None) -> None:
        new = normalise_weights(weights)
        old = None if self.state.weights is None else dict(self.state.weights)

        def put(value: dict[str, float] | None) -> None:
            self.state.weights = None if value is None else dict(value)
            self.set_dirty(True)
            self.events.weights.emit(self.weights)
            self.refresh_portfolio()

        current = old if old is not None else self.weights
        if all(abs(current.get(k, 0) - v) < 1e-9 for k, v in new.items()):
            return  # no change: no command
        self.history.push(Command(text or "修改优先级权重", lambda: put(new), lambda: put(old)))

    def edit_projects(self, edit: dict[str, Any], text: str | None = None) -> None:
        """Add one manual edit to the overlay (undoable); refused when it cannot apply now."""
        from planner.portfolio.overlay import apply_edit

        if self._projects is None:
            raise InputError("there is no portfolio yet.", hint="run the checks first (F5).")
        apply_edit(self._projects, edit)  # raises InputError when it does not apply

        def redo() -> None:
            self.edits.append(edit)
            self.set_dirty(True)
            self.refresh_portfolio()

        def undo() -> None:
            for i in range(len(self.edits) - 1, -1, -1):
                if self.edits[i] is edit:
                    del self.edits[i]
                    break
            self.set_dirty(True)
            self.refresh_portfolio()

        self.history.push(Command(text or describe(edit), redo, undo))

    def add_project(self, features: gpd.GeoDataFrame, kind: str, *, name: str | None = None,
                    text: str | None = None) -> str:
        """Add a project made of ``features`` (selected or drawn) as one undoable edit; its
        quantities, cost and score are computed as the portfolio computes them. Returns its id."""
        from planner.portfolio.manual import project_from_features
        from planner.portfolio.overlay import geometry_hex

        if self._projects is None:
            raise InputError("there is no portfolio yet.", hint="run the checks first (F5).")
        new = project_from_features(self._projects, features, kind, self.settings(), name=name)
        row = new.iloc[-1]
        data = {c: (None if (isinstance(v, float) and v != v) else (v.item() if hasattr(v, "item") else v))
                for c, v in row.drop(labels=[new.geometry.name]).items()}
        pid = str(data.get("project_id", ""))
        self.edit_projects({"op": "add", "row": data, "wkb": geometry_hex(new.geometry.values[-1])},
                           f"{text or '新建项目'} {pid}")
        return pid

    def replace_frame(self, layer: MapLayer, frame: gpd.GeoDataFrame, text: str) -> None:
        """Replace an input or other layer's features (geometry and attribute edits), undoable.
        Frames are immutable snapshots, so the history never holds a frame that changed."""
        if layer.role == PROJECTS_ROLE:
            raise InputError("projects are edited through project edits.", hint="use edit_projects.")
        old = layer.frame

        def put(value: gpd.GeoDataFrame) -> None:
            layer.frame = value
            self.layers.notify(layer)
            self.set_dirty(True)

        self.history.push(Command(text, lambda: put(frame), lambda: put(old)))

    def undo(self) -> None:
        self.history.undo()

    def redo(self) -> None:
        self.history.redo()

    # saving -------------------------------------------------------------------------------
    def check_save_target(self, path: Path) -> Path:
        """The path a Save As writes (``.gpkg`` added first), refused when it is an input."""
        path = Path(path)
        if path.suffix.lower() != ".gpkg":
            path = path.with_name(path.name + ".gpkg")
        resolved = path.resolve()
        if resolved in self.input_paths():
            raise InputError("this file is one of the project's input layers and is never overwritten.",
                             file=str(path), hint="choose another name for the project.")
        if path.is_dir():
            raise InputError("this is a folder.", file=str(path), hint="choose a file name.")
        return path

    def flag_table(self) -> Any:
        """The review table of the current results with their review states (empty without)."""
        from planner.flagtable import flag_table

        if self.result is None:
            return flag_table({}, {})
        return review_table(self.result, self.decisions, _boundary(self.layers))

    def _basis(self) -> tuple[Any, ...]:
        """The portfolio's inputs as they are now: the key, the layers' frames (immutable
        snapshots: a changed layer has a new frame) and the products' version."""
        frames = tuple((lyr.uid, lyr.frame) for lyr in self.layers
                       if lyr.role != PROJECTS_ROLE and not lyr.role.startswith(FLAG_PREFIX))  # flags: results
        return portfolio_key(self.state), frames, self._products_version

    def _portfolio_is_current(self) -> bool:
        """Whether the shown portfolio is the one the state would build now (frames compared by
        identity: the basis holds them, so an id cannot be reused)."""
        if self._projects is None or self._portfolio_basis is None:
            return False
        key, frames, version = self._basis()
        old_key, old_frames, old_version = self._portfolio_basis
        return (key == old_key and version == old_version and len(frames) == len(old_frames)
                and all(u == v and f is g for (u, f), (v, g) in zip(frames, old_frames, strict=True)))

    def snapshot(self) -> ProjectState:
        """A consistent copy of the state to write on a worker (frames are shared: they are
        immutable snapshots by convention)."""
        snap = copy.copy(self.state)
        layers = LayerList()
        for layer in self.layers:
            layers.append(copy.copy(layer))
        snap.layers = layers
        snap.decisions = copy.deepcopy(self.state.decisions)
        snap.edits = copy.deepcopy(self.state.edits)
        snap.params = copy.deepcopy(self.state.params)
        snap.weights = None if self.state.weights is None else dict(self.state.weights)
        snap.extra = copy.deepcopy(self.state.extra)
        snap.extra.pop("portfolio_cache", None)
        if self._portfolio_is_current():
            snap.extra["portfolio_cache"] = {"key": portfolio_key(self.state), "problems": list(self.problems)}
        snap.saved_tables = dict(self.state.saved_tables)
        return snap

    def save(self, path: str | Path | None = None, *, snapshot: ProjectState | None = None) -> Path:
        """Save the project (atomic); the session is untouched when it fails."""
        target = self.check_save_target(Path(path)) if path is not None else self.path
        if target is None:
            raise InputError("the project has no file yet.", hint="use Save As.")
        if snapshot is not None:
            save_project(snapshot, target)
            self.saved(target, snapshot)
            return target
        job, snap = self.save_job(target)
        job(Feedback())
        self.saved(target, snap)
        return target

    def _unchanged(self) -> set[int]:
        """Layers whose frame is the one last written to or read from the project file."""
        return {lyr.uid for lyr in self.layers if self._saved_frames.get(lyr.uid) is lyr.frame}

    def save_job(self, path: Path) -> tuple[Callable[[Feedback], int], ProjectState]:
        """A job that writes a snapshot taken now (to :meth:`saved` when it succeeded); the
        layers unchanged since the project file was read or written are copied from it."""
        snap = self.snapshot()
        reuse = self.path if self.path is not None and self.path.is_file() else None
        unchanged = self._unchanged() if reuse is not None else set()
        products = self._products_version != self._saved_products_version
        return (lambda feedback: save_project(snap, path, reuse=reuse, unchanged=unchanged, products=products)), snap

    def autosave_job(self) -> tuple[Path, Callable[[Feedback], int]] | None:
        """The autosave target and a job writing what changed over a snapshot taken now."""
        target = self.autosave_target()
        if target is None:
            return None
        path, base, unchanged, products = target
        snap = self.snapshot()
        if base is not None:  # the projects layer is not written: the stored one is not this portfolio
            snap.extra.pop("portfolio_cache", None)
        return path, lambda feedback: save_project(snap, path, base=base, unchanged=unchanged, products=products)

    def saved(self, target: Path, snap: ProjectState) -> None:
        """Record a finished full save (called on the main thread after a worker saved)."""
        self.state.saved_tables = dict(snap.saved_tables)
        self._saved_frames = {lyr.uid: lyr.frame for lyr in snap.layers}
        self._saved_products_version = self._products_version
        self.path = target
        auto = autosave_path(target)
        if auto.exists():
            auto.unlink()
        rec = self.recovery_path()
        if rec is not None and rec.exists():
            rec.unlink()
        self.set_dirty(False)
        self.events.saved.emit(target)

    def recovery_path(self) -> Path | None:
        """Where an unsaved (e.g. TOML-started) project autosaves, in the user's data folder."""
        if self.path is not None:
            return None
        key = self.state.extra.get("source_toml") or self.state.name or "untitled"
        return recovery_path_for(str(key), self._recovery_dir)

    def autosave_target(self) -> tuple[Path, Path | None, set[int], bool] | None:
        """(target, base, unchanged layer uids, write products) for an autosave, or None."""
        if not self.dirty or len(self.layers) == 0:
            return None
        if self.path is not None:
            # the projects layer is derived (rebuilt from the rest on recovery): never autosaved
            unchanged = self._unchanged() | {lyr.uid for lyr in self.layers if lyr.role == PROJECTS_ROLE}
            return (autosave_path(self.path), self.path, unchanged,
                    self._products_version != self._saved_products_version)
        rec = self.recovery_path()
        assert rec is not None
        rec.parent.mkdir(parents=True, exist_ok=True)
        return rec, None, set(), True

    def autosave(self, snapshot: ProjectState | None = None) -> tuple[Path, int] | None:
        """Write what changed since the last save beside the project (or into the recovery
        folder for a project without a file); returns the file and its size."""
        target = self.autosave_target()
        if target is None:
            return None
        path, base, unchanged, products = target
        snap = snapshot or self.snapshot()
        if base is not None:  # the projects layer is not written: the stored one is not this portfolio
            snap.extra.pop("portfolio_cache", None)
        size = save_project(snap, path, base=base, unchanged=unchanged, products=products)
        return path, size

    # export -------------------------------------------------------------------------------
    def export_job(self, out_dir: str | Path, options: dict[str, Any] | None = None
                   ) -> Callable[[Feedback], dict[str, Any]]:
        """A job over a snapshot of the session that writes the deliverables of the project as
        it stands (decisions, weights and manual edits applied) with a run.json, like ``run``."""
        from planner.pipeline import deliver

        if self.result is None or self._projects is None:
            raise InputError("there are no results to export yet.", hint="run the checks first.")
        ws, cfg, result, projects = self.workspace(), self.run_config(), self.result, self._projects
        decisions, weights = copy.deepcopy(self.decisions), self.weights
        extra = {"project_file": str(self.path) if self.path else None, "manual_edits": len(self.edits),
                 "edits_not_applied": list(self.problems)}

        def job(feedback: Feedback) -> dict[str, Any]:
            return deliver(Path(out_dir), ws, cfg, result, projects, feedback, decisions=decisions, weights=weights,
                           options=options, extra=extra)

        return job

    def export(self, out_dir: str | Path, feedback: Feedback | None = None,
               options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the deliverables now (see :meth:`export_job`)."""
        return self.export_job(out_dir, options)(feedback or Feedback())


def field_mapping(catalogue: Catalogue, role: str, columns: list[str]) -> dict[str, str]:
    """The catalogue's mapping of a file's columns to a role's fields (synonyms)."""
    from planner.io.loading import map_fields

    return map_fields(columns, catalogue.layer(role))


def recovery_offer(path: Path) -> Path | None:
    """The autosave of a project file when it is newer than the file (offered on open)."""
    from planner.projectfile import recovery_available

    return autosave_path(path) if recovery_available(path) else None


def is_project_file(path: str | Path) -> bool:
    """A GeoPackage the app saved (it holds the project description)."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return con.execute("SELECT 1 FROM sqlite_master WHERE name='rp_project'").fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error:
        return False


def recovery_path_for(key: str, folder: Path | None = None) -> Path:
    """The recovery file of a project without a file (keyed by its TOML path or name)."""
    import hashlib

    from planner.paths import user_data_dir

    folder = folder or user_data_dir() / "recovery"
    return folder / f"{Path(key).stem}-{hashlib.sha1(key.encode()).hexdigest()[:8]}.gpkg"


def title_block(cfg: RunConfig) -> dict[str, str]:
    """The deliverables' title block of a project (``[project]`` organisation, issue date,
    drawing-number prefix), kept in the project file so an export from it signs the same."""
    return {"organisation": cfg.organisation, "issued": cfg.issued.isoformat() if cfg.issued else "",
            "drawing_prefix": cfg.drawing_prefix}


def apply_title_block(cfg: RunConfig, block: object) -> None:
    """Set ``cfg``'s title block from a project file's (text values only; anything else in the
    file is ignored, as a damaged value must not stop an export)."""
    if not isinstance(block, dict):
        return
    for key in ("organisation", "drawing_prefix"):
        if isinstance(block.get(key), str):
            setattr(cfg, key, block[key])
    issued = block.get("issued")
    if isinstance(issued, str) and issued:
        try:
            cfg.issued = dt.date.fromisoformat(issued)
        except ValueError:
            pass


def session_from_run(ws: Any, cfg: RunConfig, result: RunResult, *, catalogue: Catalogue | None = None) -> Session:
    """A session holding a finished run (for ``run --save-project``)."""
    session = Session(catalogue=catalogue or ws.catalogue)
    state = ProjectState(crs=ws.working_crs.to_string(), name=cfg.name, as_of=cfg.as_of.isoformat(),
                         params=dict(cfg.params), extra={"title_block": title_block(cfg)})
    if cfg.project_file:
        state.extra["source_toml"] = str(Path(cfg.project_file).resolve())
    for layer in input_layers(ws, session.catalogue):
        state.layers.append(layer)
    session.adopt(Prepared(state, None, ws=ws, cfg=cfg))
    session.apply_results(result, cfg)
    return session

