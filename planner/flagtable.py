"""The review table: one row per flag of every flag layer with its district and review state
(no Qt: computed on a worker when a project opens or a run finishes, shown by the flag panel)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from planner.arrays import in_slices, slices

COLUMNS = ("code", "source_id", "district", "severity", "state", "note", "reason")


def text_objects(values: Any) -> np.ndarray:
    """A column as an array of Python strings, converted a slice at a time (pandas keeps text as
    Arrow strings; making a million Python objects in one call would hold the interpreter)."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    return in_slices(len(s), lambda a, b: s.iloc[a:b].astype(str).to_numpy(dtype=object))


def _obj(values: Any, n: int) -> pd.Series:
    """An object column (pandas would store text as Arrow strings, converted back when shown)."""
    return pd.Series(np.full(n, values, dtype=object) if isinstance(values, str) else values, dtype=object)


def flag_table(flags: dict[str, Any], decisions: dict[str, Any], districts: Any = None) -> pd.DataFrame:
    """One row per flag of every flag layer: layer, row in the layer, id, code, source id,
    district (by the study area's district the flag lies in), severity, review state and note,
    reason in both languages."""
    frames = []
    for name, frame in flags.items():
        if frame is None or len(frame) == 0 or "flag_id" not in frame:
            continue
        n = len(frame)
        t = pd.DataFrame({
            "layer": _obj(name, n), "row": np.arange(n, dtype=np.int64),
            "flag_id": _obj(text_objects(frame["flag_id"]), n),
            "code": _obj(text_objects(frame["code"]), n),
            "source_id": _obj(text_objects(frame["source_id"]) if "source_id" in frame else "", n),
            "severity": pd.to_numeric(frame["severity"], errors="coerce").to_numpy(dtype=float)
            if "severity" in frame else np.ones(n),
            "reason": _obj(text_objects(frame["reason"]) if "reason" in frame else "", n),
            "reason_en": _obj(text_objects(frame["reason_en"]) if "reason_en" in frame else "", n),
        })
        t["district"] = _obj(_districts_of(frame.geometry.values, districts), n)
        frames.append(t)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("layer", "row", "flag_id", *COLUMNS, "reason_en")})
    table = pd.concat(frames, ignore_index=True)
    table["severity"] = table["severity"].fillna(1).astype(np.int64)
    # plain object columns (pandas would store text as Arrow strings): the flag panel reads
    # states and notes as Python strings after every decision, without converting a million rows
    table["state"] = pd.Series(np.full(len(table), "", dtype=object), index=table.index, dtype=object)
    table["note"] = pd.Series(np.full(len(table), "", dtype=object), index=table.index, dtype=object)
    apply_decisions(table, decisions)
    return table


def _districts_of(geoms: np.ndarray, districts: Any) -> np.ndarray:
    """The name of the district each geometry's representative point lies in ('' outside)."""
    out = np.full(len(geoms), "", dtype=object)
    if districts is None or len(districts) == 0 or len(geoms) == 0:
        return out
    names = districts["name"].astype(str).to_numpy(dtype=object) if "name" in districts else \
        np.array([str(i) for i in range(len(districts))], dtype=object)
    # in short calls: this runs on the reading worker while a project opens, and each call holds
    # the interpreter (20,000 footprints' points took 25-38 ms, a pause of the window)
    pts = in_slices(len(geoms), lambda a, b: shapely.point_on_surface(geoms[a:b]), size=4_000)
    tree = shapely.STRtree(districts.geometry.values)
    for a, b in slices(len(pts), 4_000):
        src, dst = tree.query(pts[a:b], predicate="intersects")
        out[src + a] = names[dst]
    return out


def apply_decisions(table: pd.DataFrame, decisions: dict[str, Any], ids: set[str] | None = None) -> np.ndarray:
    """Write review states and notes into the table (only ``ids`` when given); the rows changed."""
    if len(table) == 0:
        return np.zeros(0, dtype=np.int64)
    keys = table["flag_id"].to_numpy(dtype=object)
    if ids is None:
        rows = np.arange(len(table))
    else:
        rows = np.flatnonzero(pd.Index(keys).isin([str(i) for i in ids]))
    states = np.array([decisions.get(k, {}).get("state", "") for k in keys[rows]], dtype=object)
    notes = np.array([decisions.get(k, {}).get("note", "") for k in keys[rows]], dtype=object)
    table.iloc[rows, table.columns.get_loc("state")] = states
    table.iloc[rows, table.columns.get_loc("note")] = notes
    return rows
