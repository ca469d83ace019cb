"""Analysis products (what analyses hand to each other and to the portfolio) as bytes.

A run's tables and shared products are stored in the project file so that a reopened project
rebuilds exactly what the run built. Encodings are data only (Arrow IPC streams and ``.npy``
without pickles): nothing read back from a project file is ever evaluated.

Kinds
-----
``npy``      numeric or boolean numpy array of any shape
``strings``  1-D array of text (or None)
``geoms``    1-D array of shapely geometries (WKB)
``frame``    pandas DataFrame (a GeoDataFrame's geometry as WKB, its CRS kept)
``json``     a plain scalar, list or dict of scalars
``dict``     a dict of arrays, each stored as its own product ``name/key``

Values of other kinds (the road network graph, for example) are transient: they are not stored
and an analysis that needs them again recomputes them from the harmonised inputs.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from geopandas.array import GeometryArray

from planner.arrays import SLICE, slices

GEOMETRY_MARK = b"rp:geometry"


def _ipc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _read_ipc(data: bytes) -> pa.Table:
    with pa.ipc.open_stream(pa.BufferReader(data)) as reader:
        return reader.read_all()


def _is_geometry_array(a: np.ndarray) -> bool:
    if a.dtype != object or a.ndim != 1:
        return False
    sample = a[: min(len(a), 64)]
    return len(sample) > 0 and all(v is None or isinstance(v, shapely.Geometry) for v in sample) and any(
        isinstance(v, shapely.Geometry) for v in sample)


def _is_text_array(a: np.ndarray) -> bool:
    if a.dtype.kind in "US":
        return True
    if a.dtype != object or a.ndim != 1:
        return False
    return all(v is None or isinstance(v, str) for v in a.tolist())


def encode(name: str, value: Any) -> Iterator[tuple[str, str, bytes]]:
    """(name, kind, bytes) records for one product; nothing for a transient one."""
    if isinstance(value, pd.DataFrame):
        yield name, "frame", encode_frame(value)
    elif isinstance(value, pd.Series):
        yield from encode(name, value.to_numpy())
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            buf = io.BytesIO()
            np.save(buf, value, allow_pickle=False)
            yield name, "npy", buf.getvalue()
        elif _is_geometry_array(value):
            yield name, "geoms", _ipc(pa.table({"wkb": pa.array(shapely.to_wkb(value), type=pa.binary())}))
        elif _is_text_array(value):
            yield name, "strings", _ipc(pa.table({"value": pa.array(value.astype(object), type=pa.string())}))
    elif isinstance(value, dict) and value and all(isinstance(v, np.ndarray | pd.Series) for v in value.values()):
        yield name, "dict", json.dumps([str(k) for k in value]).encode()
        for key, item in value.items():
            yield from encode(f"{name}/{key}", item)
    elif isinstance(value, bool | int | float | str) or value is None:
        yield name, "json", json.dumps(value).encode()
    elif isinstance(value, np.generic):
        yield name, "json", json.dumps(value.item()).encode()


def encode_frame(frame: pd.DataFrame) -> bytes:
    """A DataFrame (or GeoDataFrame) as one Arrow IPC stream."""
    meta: dict[bytes, bytes] = {}
    data = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        gname = frame.geometry.name
        data[gname] = shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object))
        meta[GEOMETRY_MARK] = json.dumps({"column": gname, "crs": frame.crs.to_wkt() if frame.crs else None}).encode()
    data.columns = [str(c) for c in data.columns]
    table = pa.Table.from_pandas(data, preserve_index=False)
    return _ipc(table.replace_schema_metadata({**(table.schema.metadata or {}), **meta}))


# Rows per call when stored geometries or strings become Python objects: decoding 20,000
# footprints held the interpreter 40 ms (up to 60 under load) while a window waited on it.
DECODE_SLICE = 4_000


def _in_slices(column: Any, convert: Any) -> np.ndarray:
    """Convert an Arrow column slice by slice into one object array: making a million Python
    objects in one call would hold the interpreter (and a window waiting on it) for a noticeable
    time, and so would concatenating the slices' arrays at the end (a reference taken per item:
    25-50 ms at a million), so each slice is put in place as it is made."""
    n = len(column)
    if n <= DECODE_SLICE:
        return np.asarray(convert(column))
    out = np.empty(n, dtype=object)
    for a, b in slices(n, DECODE_SLICE):
        out[a:b] = convert(column.slice(a, b - a))
    return out


def decode_frame(data: bytes) -> pd.DataFrame:
    table = _read_ipc(data)
    meta = table.schema.metadata or {}
    n = table.num_rows
    frame = table.to_pandas() if n <= SLICE else pd.concat(
        [table.slice(a, b - a).to_pandas() for a, b in slices(n)], ignore_index=True)
    if GEOMETRY_MARK in meta:
        info = json.loads(meta[GEOMETRY_MARK])
        geoms = _in_slices(table.column(info["column"]), lambda a: shapely.from_wkb(a.to_numpy(zero_copy_only=False)))
        geometry = gpd.GeoSeries(GeometryArray(geoms, crs=info["crs"]), copy=False)  # ours: no copy
        frame = gpd.GeoDataFrame(frame.drop(columns=[info["column"]]), geometry=geometry, crs=info["crs"], copy=False)
        frame = frame.rename_geometry(info["column"]) if info["column"] != "geometry" else frame
    return frame


def decode(records: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
    """The products back from ``{name: (kind, bytes)}`` (dict members folded into their dict)."""
    out: dict[str, Any] = {}
    for name, (kind, data) in records.items():
        parent = name.rsplit("/", 1)[0]
        if parent != name and parent in records and records[parent][0] == "dict":
            continue
        out[name] = _decode_one(name, kind, data, records)
    return out


def _decode_one(name: str, kind: str, data: bytes, records: dict[str, tuple[str, bytes]]) -> Any:
    if kind == "npy":
        return np.load(io.BytesIO(data), allow_pickle=False)
    if kind == "strings":
        return _in_slices(_read_ipc(data).column("value"), lambda a: a.to_numpy(zero_copy_only=False).astype(object))
    if kind == "geoms":
        return _in_slices(_read_ipc(data).column("wkb"), lambda a: shapely.from_wkb(a.to_numpy(zero_copy_only=False)))
    if kind == "frame":
        return decode_frame(data)
    if kind == "json":
        return json.loads(data)
    if kind == "dict":
        keys = json.loads(data)
        return {k: _decode_one(f"{name}/{k}", *records[f"{name}/{k}"], records) for k in keys
                if f"{name}/{k}" in records}
    raise ValueError(f"unknown product kind {kind!r}")
