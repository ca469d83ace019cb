"""Atomic writes: a temp file beside the target, then one rename.

A crash or kill mid-save leaves the previous file whole (os.replace is atomic on POSIX and on
NTFS within one volume).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from planner.arrays import breathe


@contextlib.contextmanager
def atomic_path(target: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or ".tmp" + target.suffix,
                               dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers (GDAL, xlsxwriter) want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(target: str | Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(target: str | Path, data: object) -> None:
    write_text_atomic(target, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def write_layer_in_slices(frame: Any, path: str | Path, *, layer: str, coordinates_per_slice: int = 100_000,
                          **kwargs: Any) -> None:
    """``pyogrio.write_dataframe(frame, path, layer=layer, **kwargs)`` in appended slices of
    about ``coordinates_per_slice`` vertices each (at least 50 rows).

    GDAL and shapely's WKB encoding hold the interpreter for the whole of one call: a layer of
    large multipolygons (a project made of its buildings) written in one call froze the window
    for a second at 1 M buildings. Between slices other threads get their turn. A layer that
    fits one slice is written in one call, so small files are written as before.
    """
    import numpy as np
    import pyogrio
    import shapely

    n = len(frame)
    geometry = getattr(frame, "_geometry_column_name", None)
    if geometry is not None and n:
        counts = shapely.get_num_coordinates(np.asarray(frame[geometry].values, dtype=object))
    else:   # a table: its fields are the work
        counts = np.full(n, max(1, len(frame.columns)), dtype=np.int64)
    if n == 0 or int(counts.sum()) <= coordinates_per_slice:
        pyogrio.write_dataframe(frame, path, layer=layer, **kwargs)
        return
    if geometry is not None and "geometry_type" not in kwargs:
        # the whole layer's type (the first slice alone may lack the multi or mixed types of later ones)
        geoms = np.asarray(frame[geometry].values, dtype=object)
        ids = np.unique(shapely.get_type_id(geoms))
        names = {0: "Point", 1: "LineString", 3: "Polygon", 4: "Point", 5: "LineString", 6: "Polygon"}
        kinds = {names.get(int(i), "Unknown") for i in ids if i >= 0}
        multi = kwargs.get("promote_to_multi") or any(int(i) in (4, 5, 6) for i in ids)
        gtype = "Unknown" if len(kinds) != 1 or kinds == {"Unknown"} else ("Multi" if multi else "") + kinds.pop()
        if gtype != "Unknown" and bool(shapely.has_z(geoms[shapely.get_type_id(geoms) >= 0]).any()):
            gtype += " Z"
        kwargs = {**kwargs, "geometry_type": gtype}
    ends = np.cumsum(counts)
    start = 0
    appended = {k: v for k, v in kwargs.items() if k != "layer_options"}
    while start < n:
        breathe()
        base = int(ends[start - 1]) if start else 0
        stop = int(np.searchsorted(ends, base + coordinates_per_slice, side="right"))
        stop = min(max(stop, start + 50), n)
        part = frame.iloc[start:stop]
        if start == 0:
            pyogrio.write_dataframe(part, path, layer=layer, **kwargs)
        else:
            pyogrio.write_dataframe(part, path, layer=layer, append=True, **appended)
        start = stop
