"""Manual project edits as an overlay on the built portfolio.

The portfolio is a pure function of the harmonised inputs, the analysis results, the review
decisions and the settings; what a planner changes by hand (projects created, split, merged,
deleted, attributes or outlines changed) is kept as a list of edits, each addressed by project
id, and applied in order after every rebuild. An edit whose project no longer exists (a re-run
with other parameters) is reported and kept, so that nothing is silently lost.

Edits are plain JSON (stored in the project file)::

    {"op": "set", "id": "OC-0003", "column": "name", "value": "..."}
    {"op": "geometry", "id": "OC-0003", "wkb": "<hex>"}
    {"op": "delete", "ids": ["IL-0002"]}
    {"op": "merge", "ids": ["OC-0001", "OC-0002"], "new_id": "OC-0001M"}
    {"op": "split", "id": "OC-0004", "line": "<hex WKB>"}
    {"op": "add", "row": {...}, "wkb": "<hex>"}
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import InputError


def geometry_hex(geom: Any) -> str:
    return str(shapely.to_wkb(geom, hex=True))


def from_hex(text: str) -> Any:
    return shapely.from_wkb(text)


def _rows_of(projects: gpd.GeoDataFrame, ids: list[str], what: str = "") -> list[int]:
    """Row positions of the projects ``ids``; InputError naming them when one is gone."""
    pid = projects["project_id"].astype(str).to_numpy()
    rows = [int(np.flatnonzero(pid == i)[0]) for i in ids if (pid == i).any()]
    if len(rows) != len(ids):
        raise InputError(f"project(s) {', '.join(ids)}{what} no longer exist.")
    return rows


def _coerce(series: pd.Series, value: Any, column: str) -> Any:
    if value is None:
        return None
    dtype = series.dtype
    try:
        if pd.api.types.is_bool_dtype(dtype):
            return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "是", "有"}
        if pd.api.types.is_integer_dtype(dtype):
            return int(value)
        if pd.api.types.is_float_dtype(dtype) or column in NUMERIC:
            return float(value)
    except (TypeError, ValueError):
        raise InputError(f"'{value}' is not a number.", field=column, hint="enter a number.") from None
    return value if isinstance(value, str | int | float) else str(value)


NUMERIC = {"buildings", "floor_area_m2", "households", "parcel_area_m2", "road_length_m", "quantity",
           "estimated_cost", "priority_score", "score_need", "score_residents", "score_cost", "score_ease", "flag_count"}


def apply_edit(projects: gpd.GeoDataFrame, edit: dict[str, Any]) -> gpd.GeoDataFrame:
    """The portfolio with one edit applied; InputError when it cannot apply."""
    from planner.editing import merge_projects, replace_rows, split_project, with_geometry

    op = edit.get("op")
    if op == "set":
        rows = _rows_of(projects, [str(edit["id"])])
        column = str(edit["column"])
        out = projects.copy()
        if column not in out.columns:
            out[column] = None
        value = _coerce(out[column], edit.get("value"), column)
        if isinstance(value, str) and out[column].dtype != object and not pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].astype(object)
        out.iloc[rows[0], out.columns.get_loc(column)] = value
        return out
    if op == "geometry":
        rows = _rows_of(projects, [str(edit["id"])])
        return with_geometry(projects, rows[0], from_hex(edit["wkb"]))
    if op == "delete":
        rows = _rows_of(projects, [str(i) for i in edit["ids"]])
        return replace_rows(projects, rows)
    if op == "merge":
        rows = _rows_of(projects, [str(i) for i in edit["ids"]], " to merge")
        return merge_projects(projects, rows, new_id=edit.get("new_id"))
    if op == "split":
        rows = _rows_of(projects, [str(edit["id"])], " to split")
        return split_project(projects, rows[0], from_hex(edit["line"]))
    if op == "add":
        row = {c: edit["row"].get(c) for c in projects.columns if c != projects.geometry.name}
        for c, v in edit["row"].items():
            row.setdefault(c, v)
        new = gpd.GeoDataFrame(pd.DataFrame([row]), geometry=[from_hex(edit["wkb"])], crs=projects.crs)
        if str(row.get("project_id")) in set(projects["project_id"].astype(str)):
            raise InputError(f"project {row.get('project_id')} exists already.")
        return replace_rows(projects, [], new)
    raise InputError(f"unknown project edit '{op}'.")


def apply_edits(projects: gpd.GeoDataFrame, edits: list[dict[str, Any]]) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The portfolio with every edit applied in order, and what could not be applied (kept)."""
    problems = []
    for i, edit in enumerate(edits):
        try:
            projects = apply_edit(projects, edit)
        except (InputError, KeyError, ValueError, TypeError, shapely.errors.GEOSException) as exc:
            text = exc.message() if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
            problems.append(f"manual edit {i + 1} ({edit.get('op')}) not applied: {text}")
    return projects, problems


def describe(edit: dict[str, Any]) -> str:
    """A short Chinese description of an edit (undo history, messages)."""
    op = edit.get("op")
    if op == "set":
        return f"修改项目 {edit['id']} 的 {edit['column']}"
    if op == "geometry":
        return f"修改项目 {edit['id']} 的范围"
    if op == "delete":
        return f"删除项目 {', '.join(map(str, edit['ids']))}"
    if op == "merge":
        return f"合并项目 {', '.join(map(str, edit['ids']))}"
    if op == "split":
        return f"拆分项目 {edit['id']}"
    if op == "add":
        return f"新建项目 {edit['row'].get('project_id', '')}"
    return str(op)
