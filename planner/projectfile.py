"""Project files: one GeoPackage holding the layers, their styles and mappings, the run's
parameters and analysis products, review decisions, weights, manual project edits and the map
view, so that a reopened project rebuilds exactly what the run built. It opens in QGIS too.

Safety
------
- Saving is atomic (a temp file beside the target, then one rename): a failure or a kill during
  a save leaves the previous file whole; a failure is an :class:`InputError`, never a crash,
  and leaves no temp file. Temp files of a killed save are removed by the next save or open.
- Opening runs SQLite's quick check and validates the project description; a damaged file is
  refused with a message that offers the autosave.
- Content the app did not create (tables and layers added in QGIS, extra columns) is kept.
- The file's permissions are kept.
- An autosave (``NAME.autosave.gpkg``) holds only what changed since the project file was
  written; the layers that did not change are read from the project file on recovery.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely
from geopandas.array import GeometryArray

from planner import __version__
from planner.arrays import breathing
from planner.errors import InputError
from planner.fileio import write_layer_in_slices
from planner.model import LayerList, MapLayer
from planner.products import decode, encode

FORMAT_VERSION = 2
META_TABLE = "rp_project"
BLOB_TABLE = "rp_products"
OWN_PREFIXES = ("rp_", "gpkg_", "rtree_", "sqlite_")
RESERVED_COLUMNS = {"fid", "geom", "geometry", "ogc_fid"}


@dataclass
class ProjectState:
    """Everything a project file holds."""

    layers: LayerList = field(default_factory=LayerList)
    view: tuple[float, float, float, float] | None = None
    crs: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    as_of: str | None = None
    name: str = "未命名项目"
    decisions: dict[str, dict[str, str]] = field(default_factory=dict)
    weights: dict[str, float] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    # analysis products of the last run (tables and shared values) and what it recorded
    products: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # tables in the file that the app did not create (kept on save)
    foreign: list[str] = field(default_factory=list)
    source_path: Path | None = None
    # layer uid -> its table in the file last fully written or read (what an autosave points at)
    saved_tables: dict[int, str] = field(default_factory=dict)


def autosave_path(path: Path) -> Path:
    return path.with_name(path.stem + ".autosave.gpkg")


# temp files -------------------------------------------------------------------------------
def _temp_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.saving.gpkg")


_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.saving\.gpkg(-journal|-wal|-shm)?$")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_stale_temps(path: Path) -> list[Path]:
    """Remove temp files that a killed save of ``path`` left behind; returns them."""
    removed: list[Path] = []
    folder = path.parent
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        m = _TEMP_RE.match(entry.name)
        if m and m.group("name") == path.name and not _pid_alive(int(m.group("pid"))):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


def _unlink_all(tmp: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            Path(str(tmp) + suffix).unlink()


def _save_error(exc: BaseException, path: Path) -> InputError:
    err = getattr(exc, "errno", None)
    text = str(exc)
    if err == errno.ENOSPC or "No space left" in text or "disk is full" in text.lower() or "database or disk is full" in text:
        problem = "there is not enough free space on the disk to save the project"
        hint = "free some space or save to another drive; the previous file is unchanged."
    elif err == errno.EFBIG or "File too large" in text:
        problem = "the file system refused a file this large"
        hint = "save to another drive (e.g. NTFS instead of FAT32); the previous file is unchanged."
    elif isinstance(exc, PermissionError) or err in (errno.EACCES, errno.EPERM, errno.EROFS):
        problem = "the project cannot be written here (permission denied or read-only); it may be open in another program"
        hint = "close the file elsewhere or save under another name; the previous file is unchanged."
    else:
        problem = f"the project could not be saved ({type(exc).__name__}: {text})"
        hint = "save under another name or to another folder; the previous file is unchanged."
    return InputError(problem + ".", file=str(path), hint=hint)


# columns ------------------------------------------------------------------------------------
def _safe_columns(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Columns renamed where GeoPackage cannot hold them as they are (``fid``, ``geom``, names
    that differ only in case, empty or non-text names); returns the frame and {saved: original}."""
    geom = frame.geometry.name
    new_names, renamed = _safe_names(frame)
    out = frame.copy(deep=False)
    out.columns = new_names
    for col in out.columns:
        if col != geom and out[col].dtype == object:  # mixed values as text (vectorised)
            out[col] = out[col].astype("string")
    if geom != "geometry":
        out = out.rename_geometry("geometry")
    return out, renamed


def _safe_names(frame: gpd.GeoDataFrame) -> tuple[list[str], dict[str, str]]:
    """The column names a GeoPackage can hold, and {saved: original} for those renamed."""
    geom = frame.geometry.name
    seen: set[str] = set()
    renamed: dict[str, str] = {}
    new_names = []
    for i, col in enumerate(frame.columns):
        if col == geom:
            new_names.append(col)
            continue
        name = str(col)
        low = name.lower()
        if not name.strip() or low in RESERVED_COLUMNS or low in seen or low.startswith("rp_col_"):
            safe = f"rp_col_{i}"
            renamed[safe] = name
            name = safe
            low = safe
        seen.add(low)
        new_names.append(name)
    return new_names, renamed


def _layer_entry(layer: MapLayer, table: str, renamed: dict[str, str]) -> dict[str, Any]:
    return {"table": table, "name": layer.name, "role": layer.role, "style": layer.style, "visible": layer.visible,
            "opacity": layer.opacity, "label_field": layer.label_field, "min_scale": layer.min_scale,
            "max_scale": layer.max_scale, "source": layer.source, "mapping": layer.mapping, "raster": layer.raster,
            "columns": [str(c) for c in layer.frame.columns], "renamed": renamed}


# writing ----------------------------------------------------------------------------------
def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _write_meta(tmp: Path, meta: dict[str, Any], records: list[tuple[str, str, bytes]] | None) -> None:
    """The project description, and the products (``None``: the file's own are kept)."""
    con = sqlite3.connect(tmp)
    try:
        with con:
            con.execute(f"DROP TABLE IF EXISTS {META_TABLE}")
            con.execute(f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT)")
            con.execute(f"INSERT INTO {META_TABLE} VALUES ('project', ?)", (json.dumps(meta, ensure_ascii=False),))
            if records is not None or BLOB_TABLE not in _tables(con):
                con.execute(f"DROP TABLE IF EXISTS {BLOB_TABLE}")
                con.execute(f"CREATE TABLE {BLOB_TABLE} (name TEXT PRIMARY KEY, kind TEXT, data BLOB)")
                con.executemany(f"INSERT INTO {BLOB_TABLE} VALUES (?, ?, ?)", records or [])
            for table, text in ((META_TABLE, "Renewal Planner project"), (BLOB_TABLE, "Renewal Planner analysis products")):
                con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description) "
                            "VALUES (?, 'attributes', ?, ?)", (table, table, text))
    finally:
        con.close()


def _copy_foreign(old: Path, tmp: Path, tables: list[str]) -> None:
    """Copy tables the app did not create (styles and layers added in QGIS) from ``old``."""
    if not tables or not old.exists():
        return
    layers = {name: gtype for name, gtype in pyogrio.list_layers(old)}
    plain = []
    for t in tables:
        if layers.get(t) is not None:  # a spatial layer: GDAL rebuilds its index and metadata
            frame = pyogrio.read_dataframe(old, layer=t)
            pyogrio.write_dataframe(frame, tmp, layer=t, driver="GPKG")
        else:
            plain.append(t)
    if not plain:
        return
    con = sqlite3.connect(tmp)
    try:
        con.execute("ATTACH DATABASE ? AS old", (str(old),))
        with con:
            for t in plain:
                row = con.execute("SELECT sql FROM old.sqlite_master WHERE type='table' AND name=?", (t,)).fetchone()
                if row is None or t in _tables(con):
                    continue
                con.execute(row[0])
                con.execute(f'INSERT INTO main."{t}" SELECT * FROM old."{t}"')
                con.execute("INSERT OR REPLACE INTO main.gpkg_contents SELECT * FROM old.gpkg_contents WHERE table_name=?",
                            (t,))
        con.execute("DETACH DATABASE old")
    finally:
        con.close()


def _write_layer(frame: gpd.GeoDataFrame, tmp: Path, table: str, ident: str, description: str) -> None:
    # in slices: a save runs on a worker beside the window, which needs the interpreter between them
    write_layer_in_slices(frame, tmp, layer=table, driver="GPKG", promote_to_multi=True,
                          layer_options={"IDENTIFIER": ident, "DESCRIPTION": description})


def _drop_tables(tmp: Path, tables: set[str]) -> None:
    """Remove layers and tables (with their spatial index and GeoPackage metadata) from a file."""
    if not tables:
        return
    con = sqlite3.connect(tmp)
    try:
        present = _tables(con)
        with con:
            for t in tables:
                for (rtree,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE ? "
                                            "AND sql LIKE '%VIRTUAL%'", (f"rtree_{t}_%",)).fetchall():
                    con.execute(f'DROP TABLE IF EXISTS "{rtree}"')
                con.execute(f'DROP TABLE IF EXISTS "{t}"')
                for meta_table in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_data_columns",
                                   "gpkg_ogr_contents"):
                    if meta_table in present:
                        con.execute(f"DELETE FROM {meta_table} WHERE table_name=?", (t,))
    finally:
        con.close()


def save_project(state: ProjectState, path: str | Path, *, base: Path | None = None,
                 unchanged: set[int] | None = None, products: bool = True, reuse: Path | None = None) -> int:
    """Write the project into ``path`` atomically; returns the bytes written.

    With ``base`` (an autosave), the layers whose uid is in ``unchanged`` are not written but
    read from ``base`` on recovery, and the products only when ``products`` is true.
    With ``reuse`` (the file the project was read from or last saved to), a full save starts
    from a copy of it (the operating system copies; nothing holds the interpreter) and writes
    only the layers not in ``unchanged``, so saving a large project keeps the window turning.
    """
    path = Path(path)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError("the project file is read-only.", file=str(path), hint="save it under another name (Save As).")
    if path.exists() and not path.is_file():
        raise InputError("this is not a file.", file=str(path), hint="choose a file name.")
    clean_stale_temps(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    meta: dict[str, Any] = {
        "format_version": FORMAT_VERSION, "software": __version__, "name": state.name, "view": state.view,
        "crs": state.crs, "params": state.params, "as_of": state.as_of, "decisions": state.decisions,
        "weights": state.weights, "edits": state.edits, "run": state.run, "extra": state.extra, "layers": [],
        "foreign": list(state.foreign),
    }
    if base is not None:
        meta["base"] = str(Path(base).resolve())
        meta["base_mtime"] = Path(base).stat().st_mtime if Path(base).exists() else None
        meta["products_from_base"] = not products
    tmp = _temp_for(path)
    _unlink_all(tmp)
    kept: dict[int, str] = {}  # layer uid -> table kept from ``reuse``
    try:
        if base is None and reuse is not None and Path(reuse).is_file() and unchanged:
            shutil.copyfile(reuse, tmp)
            con = sqlite3.connect(tmp)
            try:
                present = _tables(con)
            finally:
                con.close()
            kept = {uid: t for uid, t in state.saved_tables.items() if uid in unchanged and t in present}
            ours = {t for t in present if t.startswith("layer_") or t == META_TABLE or (products and t == BLOB_TABLE)}
            _drop_tables(tmp, ours - set(kept.values()))
        used: set[str] = set(state.foreign) | set(kept.values())
        identifiers: set[str] = set()
        for i, layer in enumerate(state.layers):
            if layer.uid in kept:  # its table is in the copy: only the names are needed
                entry = _layer_entry(layer, kept[layer.uid], _safe_names(layer.frame)[1])
                meta["layers"].append(entry)
                continue
            if base is not None and unchanged is not None and layer.uid in unchanged and \
                    layer.uid in state.saved_tables:
                frame, renamed = layer.frame, _safe_names(layer.frame)[1]
            else:
                frame, renamed = _safe_columns(layer.frame)
            table = f"layer_{i:03d}"
            while table in used:
                table += "_"
            used.add(table)
            entry = _layer_entry(layer, table, renamed)
            if base is not None and unchanged is not None and layer.uid in unchanged and layer.uid in state.saved_tables:
                entry["table"] = state.saved_tables[layer.uid]
                entry["from_base"] = True
                meta["layers"].append(entry)
                continue
            if frame.crs is None:
                frame = frame.set_crs(state.crs or 4546, allow_override=True)
            ident = layer.name or table
            while ident in identifiers:
                ident += " ·"
            identifiers.add(ident)
            _write_layer(frame, tmp, table, ident, layer.source or layer.name)
            meta["layers"].append(entry)
        records: list[tuple[str, str, bytes]] | None = None
        if products or (not kept and base is None):  # an autosave points at the base's products
            records = [r for name, value in state.products.items() for r in encode(name, value)]
        if not tmp.exists():  # no layer: an empty GeoPackage to hold the description
            pyogrio.write_dataframe(gpd.GeoDataFrame({"id": pd.Series(dtype="int64")}, geometry=gpd.GeoSeries([], crs=4326)),
                                    tmp, layer="rp_empty", driver="GPKG")
            _drop_tables(tmp, {"rp_empty"})
        _write_meta(tmp, meta, records)
        if base is None and not kept:
            _copy_foreign(path, tmp, state.foreign)
        if mode is not None:
            os.chmod(tmp, mode)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        size = tmp.stat().st_size
        os.replace(tmp, path)
    except InputError:
        _unlink_all(tmp)
        raise
    except BaseException as exc:  # disk full, file size limit, GDAL errors: the old file stays
        _unlink_all(tmp)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise _save_error(exc, path) from None
    if base is None:
        state.saved_tables = {layer.uid: entry["table"] for entry, layer in zip(meta["layers"], state.layers, strict=True)}
    return size


# reading ----------------------------------------------------------------------------------
_META_TYPES: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "format_version": (int, True), "name": (str, False), "view": ((list, type(None)), False),
    "crs": ((str, type(None)), False), "params": (dict, False), "as_of": ((str, type(None)), False),
    "decisions": (dict, False), "weights": ((dict, type(None)), False), "edits": (list, False), "run": (dict, False),
    "extra": (dict, False), "layers": (list, True), "foreign": (list, False),
}
_LAYER_TYPES: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "table": (str, True), "name": (str, True), "role": (str, False), "style": (dict, False), "visible": (bool, False),
    "opacity": ((int, float), False), "label_field": ((str, type(None)), False),
    "min_scale": ((int, float, type(None)), False), "max_scale": ((int, float, type(None)), False),
    "source": (str, False), "mapping": (dict, False), "raster": ((str, type(None)), False), "columns": (list, False),
    "renamed": (dict, False), "from_base": (bool, False),
}


def _check(obj: dict[str, Any], types: dict[str, tuple[Any, bool]], path: Path, where: str) -> None:
    for key, (kind, required) in types.items():
        if key not in obj:
            if required:
                raise InputError(f"the project description lacks '{where}{key}'.", file=str(path),
                                 hint="restore a backup or open the autosave copy.")
            continue
        if not isinstance(obj[key], kind) or (kind is int and isinstance(obj[key], bool)):
            raise InputError(f"the project description's '{where}{key}' has the wrong type "
                             f"({type(obj[key]).__name__}).", file=str(path),
                             hint="restore a backup or open the autosave copy.")


def validate_meta(meta: object, path: Path) -> dict[str, Any]:
    if not isinstance(meta, dict):
        raise InputError("the project description inside the file is not an object.", file=str(path),
                         hint="restore a backup or open the autosave copy.")
    _check(meta, _META_TYPES, path, "")
    if meta["format_version"] > FORMAT_VERSION:
        raise InputError(f"the project was saved by a newer version (format {meta['format_version']}, software "
                         f"{meta.get('software')}).", file=str(path), hint="update Renewal Planner to open it.")
    view = meta.get("view")
    if view is not None and (len(view) != 4 or not all(isinstance(v, int | float) for v in view)):
        raise InputError("the project description's 'view' is not four numbers.", file=str(path),
                         hint="restore a backup or open the autosave copy.")
    for i, entry in enumerate(meta["layers"]):
        if not isinstance(entry, dict):
            raise InputError(f"layer entry {i} of the project description is not an object.", file=str(path),
                             hint="restore a backup or open the autosave copy.")
        _check(entry, _LAYER_TYPES, path, f"layers[{i}].")
    for fid, decision in meta.get("decisions", {}).items():
        if not isinstance(decision, dict):
            raise InputError(f"the decision on flag '{fid}' is not an object.", file=str(path),
                             hint="restore a backup or open the autosave copy.")
    for i, edit in enumerate(meta.get("edits", [])):
        if not isinstance(edit, dict) or not isinstance(edit.get("op"), str):
            raise InputError(f"manual edit {i} of the project description is malformed.", file=str(path),
                             hint="restore a backup or open the autosave copy.")
    if any(not isinstance(v, int | float) for v in (meta.get("weights") or {}).values()):
        raise InputError("the project description's weights are not numbers.", file=str(path),
                         hint="restore a backup or open the autosave copy.")
    return meta


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield con
    finally:
        con.close()


def read_meta(path: Path, *, check: bool = True) -> dict[str, Any]:
    """The project description of ``path`` (after SQLite's quick check), validated."""
    if not path.exists():
        raise InputError("the project file does not exist.", file=str(path), hint="check the path.")
    if not path.is_file():
        raise InputError("this is not a regular file.", file=str(path), hint="choose a project file (.gpkg).")
    try:
        with _read_only(path) as con:
            if check:
                status = con.execute("PRAGMA quick_check").fetchone()
                if status is None or status[0] != "ok":
                    raise sqlite3.DatabaseError(status[0] if status else "no answer")
            tables = _tables(con)
            if META_TABLE not in tables:
                raise InputError("this GeoPackage is not a Renewal Planner project.", file=str(path),
                                 hint="open it with Add Layer instead, or open a project file (.gpkg) saved by the app.")
            row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key='project'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"the project file is damaged or not a GeoPackage ({exc}).", file=str(path),
                         hint="open the autosave copy if there is one (NAME.autosave.gpkg), or restore a backup.") from None
    try:
        meta = json.loads(row[0])
    except (TypeError, json.JSONDecodeError):
        raise InputError("the project description inside the file is damaged.", file=str(path),
                         hint="restore a backup or open the autosave copy.") from None
    if isinstance(meta, dict) and "format_version" not in meta:
        meta["format_version"] = 1
    if isinstance(meta, dict) and isinstance(meta.get("format_version"), int) and meta["format_version"] == 1:
        meta = _upgrade_v1(meta)
    return validate_meta(meta, path)


def _upgrade_v1(meta: dict[str, Any]) -> dict[str, Any]:
    extra = dict(meta.get("extra") or {}) if isinstance(meta.get("extra"), dict) else {}
    meta["decisions"] = extra.pop("decisions", {})
    meta["weights"] = extra.pop("weights", None)
    meta["extra"] = extra
    return meta


BLOB_CHUNK = 1 << 20  # bytes of a stored product read per call


def _read_blob(con: sqlite3.Connection, rowid: int, size: int | None) -> bytes:
    """One stored product, read a megabyte at a time: SQLite copies a large value out with the
    interpreter held (the window waited 60-110 ms on the products of a million-building
    project when they came out with their rows)."""
    if not size:
        return b""
    out = bytearray(size)
    with con.blobopen(BLOB_TABLE, "data", rowid, readonly=True) as blob:
        for at in breathing(range(0, size, BLOB_CHUNK)):
            out[at:at + BLOB_CHUNK] = blob.read(BLOB_CHUNK)
    return bytes(out)


def _read_products(path: Path) -> dict[str, Any]:
    try:
        with _read_only(path) as con:
            if BLOB_TABLE not in _tables(con):
                return {}
            records = {name: (kind, _read_blob(con, rowid, size))
                       for rowid, name, kind, size in con.execute(
                           f"SELECT rowid, name, kind, length(CAST(data AS BLOB)) FROM {BLOB_TABLE}").fetchall()}
        return decode(records)
    except Exception as exc:
        raise InputError(f"the analysis results stored in the project are damaged ({exc}).", file=str(path),
                         hint="run the checks again, or open the autosave copy.") from None


def _foreign_tables(path: Path, ours: set[str]) -> list[str]:
    with _read_only(path) as con:
        if "gpkg_contents" in _tables(con):
            names = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        else:
            names = []
        names += [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='layer_styles'")]
    return sorted({n for n in names if n not in ours and not n.startswith(OWN_PREFIXES)})


READ_BATCH = 2_000  # a batch of 2,000 footprints decodes in ~4 ms (5,000: 10 ms, up to 60 ms under load)


WKB_BYTES = 200_000  # bytes of geometry decoded per call (~12,000 vertices, a few ms)


def _from_wkb(column: pa.Array) -> list[np.ndarray]:
    """A batch's geometries, decoded in calls of about :data:`WKB_BYTES` each: a batch of 2,000
    projects made of their buildings' footprints is one large multipolygon per row, and decoding
    it in one call held the interpreter (and the window waiting on it) for 50-70 ms."""
    wkb = column.to_numpy(zero_copy_only=False)
    ends = np.cumsum(pc.binary_length(column).fill_null(0).to_numpy(zero_copy_only=False))
    if len(wkb) <= 1 or ends[-1] <= WKB_BYTES:
        return [shapely.from_wkb(wkb)]
    cuts = np.unique(np.r_[0, np.searchsorted(ends, np.arange(WKB_BYTES, ends[-1], WKB_BYTES), side="right"), len(wkb)])
    return [shapely.from_wkb(wkb[a:b]) for a, b in breathing(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True))
            if b > a]


def _read_frame(path: Path, table: str) -> gpd.GeoDataFrame | pd.DataFrame:
    """A layer read in batches of Arrow records, so that no single step holds the interpreter
    long (the window keeps turning while a worker opens a large project): each batch's
    geometries decoded on their own, the attributes converted once from the whole Arrow table
    (a pandas frame per batch, then their concatenation, cost 15 times the CPU at a million
    buildings) and the geometries put into one array a batch at a time."""
    batches: list[Any] = []
    geoms: list[Any] = []
    with pyogrio.open_arrow(path, layer=table, batch_size=READ_BATCH, use_pyarrow=True) as (info, reader):
        gname = info.get("geometry_name") or "wkb_geometry"
        spatial = info.get("geometry_type") is not None
        for batch in breathing(reader):
            names = batch.schema.names
            if spatial and gname in names:
                geoms += _from_wkb(batch.column(names.index(gname)))
                batch = batch.drop_columns([gname])
            batches.append(batch)
        crs = info.get("crs")
    if not batches:
        return pyogrio.read_dataframe(path, layer=table, use_arrow=True)
    data = pa.Table.from_batches(batches).to_pandas()
    if not spatial:
        return data
    values = np.empty(len(data), dtype=object)
    at = 0
    for part in breathing(geoms):
        values[at:at + len(part)] = part
        at += len(part)
    # the array and the frame are this function's own: no copies (each copy of a million-row
    # geometry column held the interpreter 16-48 ms, twice)
    geometry = gpd.GeoSeries(GeometryArray(values, crs=crs), copy=False)
    return gpd.GeoDataFrame(data, geometry=geometry, crs=crs, copy=False)


def _read_layer(path: Path, entry: dict[str, Any], crs: str | None) -> gpd.GeoDataFrame:
    try:
        frame = _read_frame(path, entry["table"])
    except Exception as exc:
        raise InputError(f"layer '{entry.get('name')}' cannot be read ({exc}).", file=str(path),
                         layer=entry.get("table"), hint="restore a backup or open the autosave copy.") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), crs=crs), crs=crs)
    renamed = entry.get("renamed") or {}
    if renamed:
        frame = frame.rename(columns=renamed)
    saved = [c for c in entry.get("columns", []) if c in frame.columns]
    if saved:  # our columns in their order, then any column added elsewhere (QGIS)
        geom = frame.geometry.name
        added = [c for c in frame.columns if c not in saved and c != geom]
        order = saved + added + ([geom] if geom not in saved else [])
        frame = frame[order]
    return frame


def load_project_file(path: str | Path) -> ProjectState:
    """Read a project file (or an autosave, whose unchanged layers come from its base file)."""
    path = Path(path)
    clean_stale_temps(path)
    meta = read_meta(path)
    base = Path(meta["base"]) if meta.get("base") else None
    if base is not None and not base.exists():
        raise InputError("this autosave needs its project file, which is missing.", file=str(path),
                         hint=f"put {base.name} back beside it, or open the project file itself.")
    state = ProjectState(view=tuple(meta["view"]) if meta.get("view") else None, crs=meta.get("crs"),
                         params=meta.get("params", {}), as_of=meta.get("as_of"), name=meta.get("name", path.stem),
                         decisions=meta.get("decisions", {}), weights=meta.get("weights"), edits=meta.get("edits", []),
                         run=meta.get("run", {}), extra=meta.get("extra", {}), source_path=path)
    for entry in meta["layers"]:
        where = base if entry.get("from_base") and base is not None else path
        frame = _read_layer(where, entry, state.crs)
        layer = MapLayer(
            name=entry["name"], frame=frame, role=entry.get("role", ""), style=entry.get("style", {}),
            visible=entry.get("visible", True), opacity=entry.get("opacity", 1.0), label_field=entry.get("label_field"),
            min_scale=entry.get("min_scale"), max_scale=entry.get("max_scale"), source=entry.get("source", ""),
            mapping=entry.get("mapping", {}), raster=entry.get("raster"))
        state.layers.append(layer)
    state.products = _read_products(base if meta.get("products_from_base") and base is not None else path)
    ours = {e["table"] for e in meta["layers"]}
    state.foreign = list(meta.get("foreign") or []) if base is not None else _foreign_tables(path, ours)
    if base is None:
        state.saved_tables = {layer.uid: entry["table"] for entry, layer in zip(meta["layers"], state.layers, strict=True)}
    return state


def recovery_available(path: Path) -> bool:
    auto = autosave_path(path)
    return auto.exists() and (not path.exists() or auto.stat().st_mtime > path.stat().st_mtime)
