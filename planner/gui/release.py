"""Letting go of a replaced project without pausing the window.

Freeing a million-building project is one long call: a numpy array of a million shapely
geometries (or Python strings) drops its items in one loop that holds the interpreter, 1-3 s
at the 1 M city under load, on whatever thread drops the last reference (the window's, when a
panel lets go of the old layer). :func:`release_in_slices` keeps the old project alive past
that point and empties its large object arrays a slice at a time on a thread of its own (each
slice a short call; the window runs in between); what is left is then freed quickly."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable

import numpy as np
import pandas as pd

from planner.arrays import breathe
from planner.gui.jobs import foreground_busy

BIG = 10_000  # object arrays shorter than this are freed at once (short calls anyway)
FREE_SLICE = 5_000  # items let go per call at first (20 k geometries: ~10-40 ms of the release thread under load)
FREE_SECONDS = 0.003  # then as many as were let go in about this time (a project's multipolygon costs more than a footprint)


def _give_way() -> None:
    """The release gives way to a running job (the next project opening) and to the window
    building a project's panels: with them it took the interpreter in turns, and the window waited
    0.2-0.7 s at a time."""
    while foreground_busy():
        time.sleep(0.05)
    breathe()


def object_arrays(root: object, depth: int = 6) -> list[np.ndarray]:
    """The large numpy object arrays reachable from ``root`` through containers, dataclasses,
    layers' attributes and (Geo)DataFrames' blocks (geometry columns included)."""
    found: dict[int, np.ndarray] = {}
    seen: set[int] = set()

    def visit(obj: object, d: int) -> None:
        if d < 0 or id(obj) in seen or obj is None or isinstance(obj, str | bytes | int | float | bool):
            return
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            if obj.dtype == object and obj.size >= BIG:
                found[id(obj)] = obj
            return
        if isinstance(obj, pd.DataFrame):
            for block in obj._mgr.blocks:
                visit(block.values, d - 1)
            return
        if isinstance(obj, pd.Series | pd.Index):
            visit(obj.array, d - 1)
            return
        data = getattr(obj, "_data", None)  # geopandas' GeometryArray
        if isinstance(data, np.ndarray):
            visit(data, d - 1)
        nd = getattr(obj, "_ndarray", None)  # pandas' NumpyExtensionArray
        if isinstance(nd, np.ndarray):
            visit(nd, d - 1)
        if isinstance(obj, dict):
            for v in list(obj.values()):
                visit(v, d - 1)
        elif isinstance(obj, list | tuple | set | frozenset):
            for v in list(obj):
                visit(v, d - 1)
        elif dataclasses.is_dataclass(obj) or hasattr(obj, "__dict__"):
            if isinstance(obj, type) or callable(obj) and not dataclasses.is_dataclass(obj):
                return
            for v in list(getattr(obj, "__dict__", {}).values()):
                visit(v, d - 1)

    visit(root, depth)
    return list(found.values())


def _address(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


def empty_in_slices(arrays: Iterable[np.ndarray], keep: Iterable[np.ndarray] = (), size: int = FREE_SLICE) -> int:
    """Set the items of ``arrays`` to None a slice at a time (the objects only they held are
    freed slice by slice), except arrays whose memory one of ``keep`` uses. Returns the items
    emptied."""
    kept = {_address(a) for a in keep}
    done = 0
    for a in arrays:
        if _address(a) in kept or not a.flags.writeable:
            continue
        flat = a.reshape(-1) if a.flags.c_contiguous else None
        if flat is None:
            continue
        s0, step = 0, size
        while s0 < len(flat):
            _give_way()
            s1 = min(s0 + step, len(flat))
            t = time.perf_counter()
            flat[s0:s1] = None
            took = time.perf_counter() - t
            step = max(1, min(4 * step, int((s1 - s0) * FREE_SECONDS / max(took, 1e-6))))
            s0 = s1
        done += len(flat)
    return done


def _let_go(old: object, new: object) -> None:
    """What is left of ``old`` (numbers, Arrow columns), a layer or a result's entry at a time
    (never a list or dict that ``new`` also holds): freeing a million-building project's memory
    at once took 0.3-0.7 s with the interpreter held."""
    if not isinstance(old, tuple):
        return
    shared = {id(v) for part in (new if isinstance(new, tuple | list) else [new]) for v in
              ([part] + list(vars(part).values()) if hasattr(part, "__dict__") else [part])}
    for part in old:
        if id(part) in shared:
            continue
        if isinstance(part, list):
            while part:
                _give_way()
                part.pop()
        elif part is not None and hasattr(part, "__dict__"):
            for value in list(vars(part).values()):
                if isinstance(value, dict) and id(value) not in shared:
                    for key in list(value):
                        _give_way()
                        value.pop(key, None)


def release_in_slices(old: object, new: object, wait_for: Iterable[threading.Thread] = ()) -> threading.Thread:
    """Empty the large object arrays of ``old`` (a replaced project: its layers and results)
    that ``new`` does not use, on a thread, after the threads ``wait_for`` (drawings that may
    still read the old layers) ended; ``old`` is let go when done."""
    holder = [old]
    waits = list(wait_for)

    def work() -> None:
        for t in waits:
            t.join()
        try:
            _give_way()
            empty_in_slices(object_arrays(holder[0]), object_arrays(new))
            _let_go(holder.pop(), new)
        finally:
            holder.clear()

    thread = threading.Thread(target=work, daemon=True, name="planner-release")
    thread.start()
    return thread
