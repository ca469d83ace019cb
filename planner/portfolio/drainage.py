"""Drainage projects (排水防涝, policy 十四 易涝积水点治理): one project per waterlogging point.

Each WATERLOGGING flag (planner.analysis.waterlogging) becomes one 排水防涝 project on the
depression's polygon. Its quantity is the depression's ponding volume (m³: what pipes, inlets
or storage must drain or hold), its cost the type's unit cost per m³ (layers/portfolio.toml),
its households those of the residential buildings the depression touches (``building_ids``,
so that the portfolio's totals count each building once, planner.portfolio.totals), its
severity the flag's. Called by ``_Builder.drainage`` in planner.portfolio.build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from planner.portfolio.build import _Builder


def drainage_projects(builder: _Builder) -> None:
    """Add one 排水防涝 project per waterlogging flag to ``builder`` (a portfolio _Builder)."""
    f = builder.flags("flag_waterlogging")
    t = builder.settings.types.get("drainage")
    if f is None or t is None:
        return
    f = f.reset_index(drop=True)
    n = len(f)
    volume = pd.to_numeric(f["volume_m3"], errors="coerce").fillna(0).to_numpy(dtype=float)
    depth = pd.to_numeric(f["depth_m"], errors="coerce").fillna(0).to_numpy(dtype=float)
    area = pd.to_numeric(f["area_m2"], errors="coerce").fillna(0).to_numpy(dtype=float)
    ids = f["building_ids"].fillna("").astype(str) if "building_ids" in f else pd.Series([""] * n)
    # households and floor area of the touched residential buildings (one long table, no loop)
    long = ids.str.split(",").explode()
    long = long[long.fillna("") != ""]
    row = long.index.to_numpy(dtype=np.int64)
    households: np.ndarray = np.zeros(n)
    buildings: np.ndarray = np.zeros(n)
    first_building = np.full(n, None, dtype=object)
    if len(long) and builder.buildings is not None and len(builder.buildings):
        pos = builder.building_rows(long.to_numpy(dtype=object))
        b = builder.buildings
        hh = (pd.to_numeric(b["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
              if "households" in b else np.zeros(len(b)))
        found = pos >= 0
        households = np.bincount(row[found], weights=hh[pos[found]], minlength=n)
        buildings = np.bincount(row[found], minlength=n).astype(np.float64)
        firsts = pd.Series(long.to_numpy(dtype=object), index=row).groupby(level=0).first()
        first_building[firsts.index.to_numpy()] = firsts.to_numpy(dtype=object)
    # a name a planner recognises: the first road it floods, else the compound of its first home
    road = (f["road_names"].fillna("").astype(str).str.split(",").str[0] if "road_names" in f
            else pd.Series([""] * n))
    place = road.to_numpy(dtype=object).copy()
    need = (road == "").to_numpy() & pd.notna(first_building)
    if need.any():
        keys = builder.compound_of(first_building[need])
        known = pd.notna(keys)
        label = np.full(int(need.sum()), "", dtype=object)
        if known.any():
            label[known] = builder.compound_label(keys[known])
        place[np.flatnonzero(need)] = label
    place = np.where(place == "", "积水点" + f["source_id"].astype(str).to_numpy(dtype=object), place)
    name = pd.Series(place, dtype="string") + "易涝积水点排水防涝改造"
    dup = name.groupby(name).cumcount()
    name = name.where(dup == 0, name + "（" + (dup + 1).astype(str) + "）")
    roads_txt = f["road_names"].fillna("").astype(str).str.replace(",", "、", regex=False) if "road_names" in f \
        else pd.Series([""] * n)
    res = pd.to_numeric(f.get("residential_count", pd.Series(np.zeros(n))), errors="coerce").fillna(0).astype(int)
    notes = ("最大积水深度" + pd.Series(np.round(depth, 2)).map("{:.2f}".format) + " m，面积"
             + pd.Series(np.round(area)).map("{:,.0f}".format) + " m²，积水容积"
             + pd.Series(np.round(volume)).map("{:,.0f}".format) + " m³"
             + pd.Series(np.where(roads_txt != "", "；涉及道路" + roads_txt, ""))
             + pd.Series(np.where(res > 0, "；涉及住宅" + res.astype(str) + "栋", "")))
    builder.add("drainage", {
        "name": name.to_numpy(dtype=object), "subtype": np.full(n, "", dtype=object),
        "buildings": buildings, "households": households, "parcel_area_m2": np.zeros(n),
        "quantity": volume.round(1), "estimated_cost": volume * t.unit_cost(),
        "cost_basis": np.full(n, t.costs.get("", (0.0, "assumption"))[1], dtype=object),
        "flags": f["flag_id"].to_numpy(dtype=object), "_severity": f["severity"].to_numpy(),
        "building_ids": ids.to_numpy(dtype=object), "notes": notes.to_numpy(dtype=object),
    }, f.geometry.values)
