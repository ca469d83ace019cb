"""Run configuration: a project TOML file, with command-line options on top.

A project file names the inputs and the settings of a run::

    [project]
    name = "示例城市"
    as_of = "2026-06-30"
    crs = "auto"                      # or "EPSG:4546"
    organisation = "某市规划设计研究院"   # 编制单位, in the sheets' title block and the workbook
    date = "2026-07-15"               # 编制日期 (default: the day the deliverables are written)
    drawing_prefix = "CSGX"           # 图号 prefix: sheets are numbered CSGX-01, CSGX-02 ...

    [inputs.parcels]                  # roles: those of the catalogue (layers/*.toml): parcels, buildings,
                                      # facilities, roads, boundary, water, rail, restricted, heritage ...
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
from typing import Any

from planner.errors import InputError

ROLE_ALIASES = {"land": "parcels", "parcel": "parcels", "building": "buildings", "facility": "facilities",
                "road": "roads", "study_area": "boundary", "districts": "boundary", "rivers": "water",
                "railways": "rail", "railway": "rail", "historic": "heritage", "历史文化保护": "heritage"}


def known_roles(catalogue_dirs: list[str] | None = None) -> tuple[str, ...]:
    """The layer roles of the catalogue (``layers/*.toml`` and the project's own catalogue folders):
    a role added as a catalogue file is an input role, with no list to edit here."""
    from planner.catalogue import default_catalogue, load_catalogue

    catalogue = load_catalogue(*catalogue_dirs) if catalogue_dirs else default_catalogue()
    return tuple(catalogue.layers)


@dataclass
class InputConfig:
    role: str
    path: str
    crs: str | None = None
    coords: str | None = None
    encoding: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)


# The name of a run that was given none, in the deliverables' language (a Chinese workbook
# titled "Renewal Planner run" reads as untranslated); any of them is replaced on export.
DEFAULT_NAMES = {"zh": "城市更新体检", "en": "Renewal Planner run"}
_UNNAMED = {*DEFAULT_NAMES.values(), "未命名项目", "Untitled project", ""}


def run_name(name: object, lang: str = "zh") -> str:
    """The name the deliverables carry: ``name``, or the default name in ``lang`` when the run
    was given none (empty, or the default of either language or of the desktop application)."""
    text = "" if name is None else str(name).strip()
    return DEFAULT_NAMES["en" if lang == "en" else "zh"] if text in _UNNAMED else text


@dataclass
class RunConfig:
    name: str = DEFAULT_NAMES["zh"]   # the command line sets the one of --lang (run_name)
    inputs: dict[str, InputConfig] = field(default_factory=dict)
    rasters: dict[str, str] = field(default_factory=dict)
    as_of: dt.date = field(default_factory=dt.date.today)
    crs: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)
    project_file: Path | None = None
    catalogue_dirs: list[str] = field(default_factory=list)
    organisation: str = ""            # 编制单位
    issued: dt.date | None = None     # 编制日期 (None: the day the deliverables are written)
    drawing_prefix: str = ""          # 图号 prefix


def role_of(name: str, catalogue_dirs: list[str] | None = None) -> str:
    key = name.strip().lower()
    key = ROLE_ALIASES.get(key, key)
    roles = known_roles(catalogue_dirs)
    if key not in roles:
        raise InputError(f"'{name}' is not a layer role.", hint=f"use one of: {', '.join(roles)}.")
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


_KIND = {str: "text", int: "an integer", float: "a number", bool: "true/false", list: "a list", dict: "a table",
         dt.date: "a date", dt.datetime: "a date and time"}


def _kind(value: object) -> str:
    return next((word for t, word in _KIND.items() if type(value) is t), type(value).__name__)


def _expect(value: Any, types: tuple[type, ...], key: str, path: Path, want: str, example: str) -> Any:
    """``value`` if it is one of ``types``, else exit 2 naming the key and what it must be."""
    if isinstance(value, bool) and bool not in types:
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        raise InputError(f"'{key}' must be {want}, not {_kind(value)} ({value!r}).", file=str(path), field=key,
                         hint=f"write it as {example} (see the sample project in sample_data/).")
    return value


def _read_project_text(path: Path) -> str:
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError("the project file does not exist.", file=str(path), hint="check the path.") from None
    if not stat.S_ISREG(mode):
        raise InputError("the project file is not a regular file (a folder, pipe or device); it is not read.",
                         file=str(path), hint="give the path of a .toml file.")
    try:
        return path.read_bytes().decode("utf-8-sig")  # a byte-order mark (Windows Notepad) is fine
    except UnicodeDecodeError as exc:
        raise InputError(f"the project file is not UTF-8 text ({exc.reason} at byte {exc.start}).", file=str(path),
                         hint="save it as UTF-8 (any editor's \"UTF-8\" encoding).") from None


def load_project(path: str | Path) -> RunConfig:
    path = Path(path)
    text = _read_project_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"the project file is not valid TOML ({exc}).", file=str(path),
                         hint="fix the syntax (see the sample project in sample_data/).") from None
    for section in ("project", "inputs", "rasters", "params"):
        _expect(data.get(section, {}), (dict,), section, path, "a table", f"[{section}] on a line of its own")
    meta = data.get("project", {})
    cfg = RunConfig(base_dir=path.resolve().parent, project_file=path.resolve())
    cfg.name = str(_expect(meta.get("name", path.stem), (str, int, float), "project.name", path, "text",
                           'name = "示例城市"'))
    if "as_of" in meta:
        cfg.as_of = parse_date_option(_expect(meta["as_of"], (str, dt.date), "project.as_of", path, "a date",
                                              "as_of = 2026-06-30"))
    cfg.organisation = str(_expect(meta.get("organisation", ""), (str,), "project.organisation", path, "text",
                                   'organisation = "某市规划设计研究院"'))
    if "date" in meta:
        cfg.issued = parse_date_option(_expect(meta["date"], (str, dt.date), "project.date", path, "a date",
                                               "date = 2026-07-15"), what="project date")
    cfg.drawing_prefix = str(_expect(meta.get("drawing_prefix", ""), (str,), "project.drawing_prefix", path, "text",
                                     'drawing_prefix = "CSGX"'))
    crs = _expect(meta.get("crs"), (str, type(None)), "project.crs", path, "text", 'crs = "EPSG:4546" or "auto"')
    cfg.crs = None if crs in (None, "", "auto") else str(crs)
    dirs = _expect(meta.get("catalogue_dirs", []), (list,), "project.catalogue_dirs", path, "a list of folders",
                   'catalogue_dirs = ["my_layers"]')
    for i, d in enumerate(dirs):
        _expect(d, (str,), f"project.catalogue_dirs[{i}]", path, "a folder (text)", '"my_layers"')
    cfg.catalogue_dirs = [str(cfg.base_dir / d) for d in dirs]
    for role_name, entry in data.get("inputs", {}).items():
        key = f"inputs.{role_name}"
        role = role_of(role_name, cfg.catalogue_dirs)
        entry = _expect(entry, (str, dict), key, path, "a file path (text) or a table with a path",
                        f'{role_name} = "file.gpkg:layer", or [inputs.{role_name}] with path = "..."')
        if isinstance(entry, str):
            entry = {"path": entry}
        if "path" not in entry:
            raise InputError(f"input '{role_name}' has no path.", file=str(path), field=key, hint="add path = \"...\".")
        texts = {}
        for name in ("path", "crs", "coords", "encoding"):
            if name in entry:
                texts[name] = str(_expect(entry[name], (str,), f"{key}.{name}", path, "text", f'{name} = "..."'))
        mapping = _expect(entry.get("mapping", {}), (dict,), f"{key}.mapping", path, "a table",
                          'mapping = { year_built = "建造年份" }')
        for field_name, column in mapping.items():
            _expect(column, (str,), f"{key}.mapping.{field_name}", path, "a column name (text)",
                    f'{field_name} = "COLUMN"')
        cfg.inputs[role] = InputConfig(
            role=role, path=texts["path"], crs=texts.get("crs"), coords=texts.get("coords"),
            encoding=texts.get("encoding"), mapping={str(k): str(v) for k, v in mapping.items()},
        )
    for name, raster in data.get("rasters", {}).items():
        _expect(raster, (str,), f"rasters.{name}", path, "a file path (text)", f'{name} = "dem.tif"')
    cfg.rasters = {str(k): str(v) for k, v in data.get("rasters", {}).items()}
    cfg.params = dict(data.get("params", {}))
    return cfg


def apply_mapping_option(cfg: RunConfig, text: str) -> None:
    """``--map layer.field=column``."""
    left, sep, column = text.partition("=")
    role_name, dot, canonical = left.partition(".")
    if not sep or not dot or not column or not canonical:
        raise InputError(f"the mapping '{text}' is not of the form layer.field=column.",
                         hint="e.g. --map buildings.year_built=建造年份")
    role = role_of(role_name, cfg.catalogue_dirs)
    if role not in cfg.inputs:
        raise InputError(f"the mapping '{text}' names layer '{role}', which is not an input.",
                         hint=f"give --{'land' if role == 'parcels' else role} FILE too.")
    cfg.inputs[role].mapping[canonical.strip()] = column.strip()
