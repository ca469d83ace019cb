"""The one registry of analyses (after QGIS Processing: parameters are data).

Each analysis declares an id, titles, the layer roles and fields it needs, and its parameters
with the defaults of rules.md. The command line (``--set id.param=value``), the GUI's dialog and
the manifest are generated from these declarations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from planner.errors import InputError

if TYPE_CHECKING:
    from pyproj import CRS

    from planner.catalogue import Catalogue
    from planner.feedback import Feedback

#: What a parameter's value must be, in words (not Python's type names), for its messages.
_KIND_NOUN: dict[type, str] = {int: "a whole number", float: "a number", bool: "true/false", str: "text",
                               list: "a list", tuple: "a list"}

FLAG_COLUMNS = ["source_layer", "source_id", "code", "severity", "reason", "reason_en"]


@dataclass(frozen=True)
class Parameter:
    name: str
    default: object
    unit: str = ""
    title: str = ""
    title_en: str = ""
    description: str = ""
    description_en: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[object, ...] = ()

    def coerce(self, value: Any, *, analysis_id: str) -> object:
        """Check and convert a user value to the default's type.

        Numbers must be finite (NaN and infinities are refused); a list is given as ``a,b`` or
        as printed by ``renewal-planner analyses`` (``['a', 'b']``), and a text in quotes as
        printed (``'path'``), so that what is printed reads back as the same value."""
        import ast
        import math

        kind = type(self.default)
        where = f"{analysis_id}.{self.name}"
        try:
            if isinstance(value, str) and kind is not str and value.strip()[:1] in ("[", "(", "'", '"'):
                try:  # the printed form: a Python literal, read, never evaluated
                    value = ast.literal_eval(value.strip())
                except (ValueError, SyntaxError):
                    if kind not in (list, tuple):
                        raise ValueError from None
                    value = value.strip().strip("[]()")
            elif isinstance(value, str) and kind is str and len(value) >= 2 and value[0] == value[-1] and \
                    value[0] in "'\"":
                value = value[1:-1]
            if kind is bool:
                if isinstance(value, str):
                    if value.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                        raise ValueError
                    value = value.lower() in {"true", "1", "yes"}
                elif not isinstance(value, bool | int) or value not in (0, 1):
                    raise ValueError
                out: object = bool(value)
            elif kind is int:
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                out = int(value)
            elif kind is float:
                out = float(value)
            elif kind in (list, tuple):
                if isinstance(value, str):
                    items = [s.strip().strip("'\"").strip() for s in value.split(",")]
                    out = [s for s in items if s]
                elif isinstance(value, list | tuple | set):
                    out = [str(v).strip() for v in value if str(v).strip()]
                else:
                    raise ValueError
            else:
                out = str(value)
        except (TypeError, ValueError, OverflowError):
            noun = _KIND_NOUN.get(kind, "text")
            raise InputError(f"parameter {where} = {value!r} is not {noun}.",
                             hint=f"give {noun} (default {self.default!r}).") from None
        if isinstance(out, float) and not math.isfinite(out):
            raise InputError(f"parameter {where} = {out} is not a finite number.",
                             hint=f"give a number (default {self.default!r}).")
        if isinstance(out, int | float) and not isinstance(out, bool):
            if (self.minimum is not None and out < self.minimum) or (self.maximum is not None and out > self.maximum):
                raise InputError(f"parameter {where} = {out} is outside {self.minimum}..{self.maximum}.",
                                 hint=f"give a value in range (default {self.default!r}).")
        if self.choices and out not in self.choices:
            raise InputError(f"parameter {where} = {out!r} is not one of {', '.join(map(str, self.choices))}.",
                             hint="pick one of the choices listed.")
        return out


@dataclass(frozen=True)
class RuleCode:
    """A rule code an analysis flags (rules.md): its titles, map colour and default severity."""

    code: str
    title: str
    title_en: str
    colour: str = "#888888"
    severity: int = 2


@dataclass(frozen=True)
class FlagLayer:
    """A flag layer an analysis writes: every deliverable and panel reads this declaration.

    ``geometry`` is the GeoPackage geometry type (MultiPolygon, LineString, Point);
    ``fields`` the layer's own columns (besides flag_id, source_layer, source_id, code,
    severity, reason, reason_en) in table order; ``popup`` the fields a map popup shows;
    ``aliases`` Chinese and English titles of its own fields; ``visible`` whether maps show it
    when they open."""

    name: str
    geometry: str
    title: str
    title_en: str
    fields: tuple[str, ...] = ()
    popup: tuple[str, ...] = ("flag_id", "code", "reason")
    aliases: tuple[tuple[str, str, str], ...] = ()
    visible: bool = False


@dataclass(frozen=True)
class Product:
    """A value an analysis hands to later analyses and to the portfolio (``shared``).

    ``kind``: ``per_building`` (an array aligned with the buildings' rows), ``table`` (a
    DataFrame), ``value`` (a scalar or a dict of arrays) or ``transient`` (recomputed when needed,
    never stored, e.g. the road network)."""

    name: str
    kind: str
    description: str = ""


@dataclass
class AnalysisInputs:
    """What an analysis gets: harmonised layers by role, rasters, as-of date, catalogue."""

    layers: dict[str, gpd.GeoDataFrame]
    as_of: dt.date
    catalogue: Catalogue | None
    crs: CRS
    # planner.io.rasters.RasterInfo by name: not imported here, since the GUI reads this module's
    # declarations and must not reach planner.io's readers (import-linter), so typed loosely.
    rasters: dict[str, Any] = field(default_factory=dict)
    missing_fields: dict[str, list[str]] = field(default_factory=dict)
    # Intermediate results of earlier analyses (e.g. the road network), by name.
    shared: dict[str, object] = field(default_factory=dict)


@dataclass
class AnalysisOutput:
    """Flags by output layer (flag_idle_land, road_gap, ...) and attribute tables."""

    flags: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    # Intermediate results other analyses may use (e.g. the road network).
    shared: dict[str, object] = field(default_factory=dict)


RunFunction = Callable[[AnalysisInputs, dict[str, object], "Feedback"], AnalysisOutput]


@dataclass
class Analysis:
    id: str
    title: str
    title_en: str
    run: RunFunction
    requires: dict[str, list[str]]          # role -> fields that must be present
    optional: dict[str, list[str]] = field(default_factory=dict)
    parameters: list[Parameter] = field(default_factory=list)
    codes: tuple[str, ...] = ()
    basis: str = ""
    order: int = 100
    # Parameter families named at run time, e.g. "radius." -> radius.park (numbers, in metres).
    open_prefixes: tuple[str, ...] = ()
    # What it writes (flag layers, rule codes) and hands on (products): the deliverables, the
    # styles and the panels follow these declarations.
    outputs: tuple[FlagLayer, ...] = ()
    rules: tuple[RuleCode, ...] = ()
    products: tuple[Product, ...] = ()
    # Raster kinds it needs (layers/rasters.toml, e.g. "dem"): without one it is skipped.
    rasters: tuple[str, ...] = ()

    def defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.parameters}

    def resolve_params(self, user: dict[str, object]) -> dict[str, object]:
        params = self.defaults()
        by_name = {p.name: p for p in self.parameters}
        for key, value in user.items():
            prefix = next((p for p in self.open_prefixes if key.startswith(p)), None)
            if prefix is not None and key not in by_name:
                params[key] = Parameter(key, 0.0, minimum=0.0).coerce(value, analysis_id=self.id)
                continue
            if key not in by_name:
                raise InputError(f"analysis '{self.id}' has no parameter '{key}'.",
                                 hint=f"its parameters: {', '.join(by_name) or 'none'}.")
            params[key] = by_name[key].coerce(value, analysis_id=self.id)
        return params

    def missing_inputs(self, inputs: AnalysisInputs) -> list[str]:
        """Plain-words list of what is missing for this analysis (empty: it can run)."""
        missing = []
        for role, fields in self.requires.items():
            frame = inputs.layers.get(role)
            if frame is None:
                missing.append(f"layer '{role}'")
                continue
            absent = [f for f in fields if f in inputs.missing_fields.get(role, [])]
            if absent:
                missing.append(f"field(s) {', '.join(absent)} of layer '{role}'")
        kind_of = getattr(inputs.catalogue, "raster_kind", None)
        for kind in self.rasters:
            if not any(name == kind or getattr(kind_of(name) if kind_of else None, "name", None) == kind
                       for name in inputs.rasters):
                missing.append(f"raster '{kind}'")
        return missing


_REGISTRY: dict[str, Analysis] = {}


def register(analysis: Analysis) -> Analysis:
    if analysis.id in _REGISTRY:
        raise ValueError(f"analysis id '{analysis.id}' registered twice")
    _REGISTRY[analysis.id] = analysis
    return analysis


def all_analyses() -> list[Analysis]:
    from planner.analysis import modules  # noqa: F401  (importing registers them)

    return sorted(_REGISTRY.values(), key=lambda a: (a.order, a.id))


def unregister(analysis_id: str) -> None:
    """Remove an analysis (tests that register one of their own)."""
    _REGISTRY.pop(analysis_id, None)


def flag_layers() -> list[FlagLayer]:
    """Every declared flag layer, in the analyses' run order."""
    out: dict[str, FlagLayer] = {}
    for a in all_analyses():
        for layer in a.outputs:
            out.setdefault(layer.name, layer)
    return list(out.values())


def flag_layer(name: str) -> FlagLayer | None:
    return next((f for f in flag_layers() if f.name == name), None)


def rule_codes() -> dict[str, RuleCode]:
    """Every declared rule code, in the analyses' run order."""
    out: dict[str, RuleCode] = {}
    for a in all_analyses():
        for rule in a.rules:
            out.setdefault(rule.code, rule)
    return out


def transient_products() -> set[str]:
    return {p.name for a in all_analyses() for p in a.products if p.kind == "transient"}


def get_analysis(analysis_id: str) -> Analysis:
    all_analyses()
    try:
        return _REGISTRY[analysis_id]
    except KeyError:
        raise InputError(f"there is no analysis '{analysis_id}'.",
                         hint=f"analyses: {', '.join(sorted(_REGISTRY))}.") from None


def empty_flags(crs: CRS | None, extra: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    cols = {c: pd.Series(dtype="object") for c in FLAG_COLUMNS}
    cols["severity"] = pd.Series(dtype="int64")
    for name, dtype in (extra or {}).items():
        cols[name] = pd.Series(dtype=dtype)
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
