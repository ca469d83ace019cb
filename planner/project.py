"""Run configuration: a project TOML file, with command-line options on top.

A project file names the inputs and the settings of a run::

    [project]
    name = "示例城市"
    as_of = "2026-06-30"
    crs = "auto"                      # or "EPSG:4546"

    [inputs.parcels]                  # roles: parcels, buildings, facilities, roads, boundary, water, rail
    path = "parcels/地块.shp"         # relative to the project file; "file.gpkg:layer" picks a layer
    crs = "EPSG:4525"                 # optional: a CRS for a file that has none (or a wrong one)
    coords = "gcj02"                  # optional: gcj02 / bd09 web-map coordinates
    encoding = "GBK"                  # optional: overrides shapefile encoding detection
    mapping = { year_built = "建造年份" }

    [rasters]
    dem = "dem.tif"

    [params]
    "old_housing.cutoff_year" = 2000
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import InputError

ROLES = ("parcels", "buildings", "facilities", "roads", "boundary", "water", "rail")
ROLE_ALIASES = {"land": "parcels", "parcel": "parcels", "building": "buildings", "facility": "facilities",
                "road": "roads", "study_area": "boundary", "districts": "boundary", "rivers": "water",
                "railways": "rail", "railway": "rail"}


@dataclass
class InputConfig:
    role: str
    path: str
    crs: str | None = None
    coords: str | None = None
    encoding: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)


@dataclass
class RunConfig:
    name: str = "Renewal Planner run"
    inputs: dict[str, InputConfig] = field(default_factory=dict)
    rasters: dict[str, str] = field(default_factory=dict)
    as_of: dt.date = field(default_factory=dt.date.today)
    crs: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)
    project_file: Path | None = None
    catalogue_dirs: list[str] = field(default_factory=list)


def role_of(name: str) -> str:
    key = name.strip().lower()
    key = ROLE_ALIASES.get(key, key)
    if key not in ROLES:
        raise InputError(f"'{name}' is not a layer role.", hint=f"use one of: {', '.join(ROLES)}.")
    return key


def parse_date_option(text: object, *, what: str = "as-of date") -> dt.date:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError(f"the {what} '{text}' is not a date.", hint="write it as YYYY-MM-DD.") from None


def parse_value(text: str) -> object:
    """A --set value: bool, int, float or text, read literally (never evaluated)."""
    low = text.strip().lower()
    if low in {"true", "false"}:
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def load_project(path: str | Path) -> RunConfig:
    path = Path(path)
    if not path.exists():
        raise InputError("the project file does not exist.", file=str(path), hint="check the path.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"the project file is not valid TOML ({exc}).", file=str(path),
                         hint="fix the syntax (see the sample project in sample_data/).") from None
    meta = data.get("project", {})
    cfg = RunConfig(base_dir=path.resolve().parent, project_file=path.resolve())
    cfg.name = str(meta.get("name", path.stem))
    if "as_of" in meta:
        cfg.as_of = parse_date_option(meta["as_of"])
    crs = meta.get("crs")
    cfg.crs = None if crs in (None, "", "auto") else str(crs)
    for role_name, entry in data.get("inputs", {}).items():
        role = role_of(role_name)
        if isinstance(entry, str):
            entry = {"path": entry}
        if "path" not in entry:
            raise InputError(f"input '{role_name}' has no path.", file=str(path), hint="add path = \"...\".")
        cfg.inputs[role] = InputConfig(
            role=role, path=str(entry["path"]), crs=entry.get("crs"), coords=entry.get("coords"),
            encoding=entry.get("encoding"), mapping={str(k): str(v) for k, v in entry.get("mapping", {}).items()},
        )
    cfg.rasters = {str(k): str(v) for k, v in data.get("rasters", {}).items()}
    cfg.params = dict(data.get("params", {}))
    cfg.catalogue_dirs = [str(cfg.base_dir / d) for d in meta.get("catalogue_dirs", [])]
    return cfg


def apply_mapping_option(cfg: RunConfig, text: str) -> None:
    """``--map layer.field=column``."""
    left, sep, column = text.partition("=")
    role_name, dot, canonical = left.partition(".")
    if not sep or not dot or not column or not canonical:
        raise InputError(f"the mapping '{text}' is not of the form layer.field=column.",
                         hint="e.g. --map buildings.year_built=建造年份")
    role = role_of(role_name)
    if role not in cfg.inputs:
        raise InputError(f"the mapping '{text}' names layer '{role}', which is not an input.",
                         hint=f"give --{'land' if role == 'parcels' else role} FILE too.")
    cfg.inputs[role].mapping[canonical.strip()] = column.strip()
