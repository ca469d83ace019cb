"""A project drawn or made by hand from selected features (quantities from their attributes,
cost from the unit-cost table, scored as the portfolio scores)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.editing import replace_rows
from planner.portfolio.build import TYPE_PREFIX, rescore, score_components


def project_from_features(projects: gpd.GeoDataFrame, features: gpd.GeoDataFrame, kind: str, settings: Any, *,
                          name: str | None = None) -> gpd.GeoDataFrame:
    """The projects table with one new project made of ``features`` (quantities from their
    attributes, cost from the unit-cost table, score components, score, phase and rank as the
    portfolio computes them). The geometry is the things themselves: polygons stay polygons
    (buildings, parcels), lines become a corridor, points a small site."""
    t = settings.types[kind]
    geoms = np.asarray(features.geometry.values)
    polys = shapely.get_type_id(geoms) >= 3
    parts = geoms.copy()
    parts[~polys] = shapely.buffer(geoms[~polys], float(settings.links.get("corridor_half_width_m", 8.0)))
    geom = shapely.make_valid(shapely.union_all(parts))
    fa = pd.to_numeric(features["floor_area"], errors="coerce").fillna(0).sum() if "floor_area" in features else 0.0
    hh = pd.to_numeric(features["households"], errors="coerce").fillna(0).sum() if "households" in features else 0.0
    area = float(shapely.area(geom))
    qty = {"m²": fa or area, "公顷": area / 1e4, "m": float(shapely.length(shapely.union_all(geoms[~polys])) if (~polys).any()
                                                         else shapely.length(geom) / 2),
           "部": max(1.0, hh / 12), "处": 1.0}.get(t.unit, area)
    cls = next(iter(t.costs), "")
    cost = qty * t.unit_cost(cls)
    prefix = TYPE_PREFIX.get(kind, "PJ")
    used = projects["project_id"].astype(str)
    n = 1 + int(used.str.startswith(prefix + "-").sum())
    comp = score_components([hh], [cost], [2.0], [t.ease], [t.public_of(cls)], settings)
    row: dict[str, object] = {c: None for c in projects.columns if c != projects.geometry.name}
    row.update({
        "project_id": f"{prefix}-N{n:03d}", "name": name or f"新建{t.title}项目{n}", "type": kind, "type_title": t.title,
        "subtype": "", "district": "", "buildings": float(len(features)) if "building_id" in features else 0.0,
        "floor_area_m2": float(fa), "households": float(hh), "parcel_area_m2": area if "parcel_id" in features else 0.0,
        "road_length_m": 0.0, "quantity": float(qty), "unit": t.unit,
        "estimated_cost": float(cost), "cost_basis": next(iter(t.costs.values()), (0, "assumption"))[1],
        **{k: float(v[0]) for k, v in comp.items()}, "status": "draft",
        "flags": "", "flag_count": 0, "notes": "由所选要素创建 created from selected features",
        "building_ids": ",".join(features["building_id"].astype(str)) if "building_id" in features else "",
        "parcel_ids": ",".join(features["parcel_id"].astype(str)) if "parcel_id" in features else "",
    })
    new = type(projects)(pd.DataFrame([row]), geometry=[geom], crs=projects.crs)
    return rescore(replace_rows(projects, [], new), settings)
