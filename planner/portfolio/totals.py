"""Portfolio totals that count each building, household and parcel once.

A building can belong to a compound renovation, an elevator retrofit and a facility's newly
covered catchment; a parcel can be an idle-land disposal and a pocket park. Per-project figures
stay the project's own, but every total over projects (whole portfolio, by type, district or
phase) is taken over the *distinct* buildings and parcels of those projects (portfolio.md,
"Counting"). Membership is carried by the projects' ``building_ids`` and ``parcel_ids`` columns
(comma-separated ids of the input layers), so totals stay right after projects are edited,
merged or deleted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

# 第七次全国人口普查：全国家庭户平均每户 2.62 人 (National Bureau of Statistics, 2021).
PERSONS_PER_HOUSEHOLD = 2.62
TOTAL_COLUMNS = ["projects", "buildings", "households", "floor_area_m2", "residents", "parcels", "parcel_area_m2"]


def building_quantities(buildings: pd.DataFrame | None) -> pd.DataFrame:
    """Households and floor area per building id (the lookup behind distinct totals).

    Parameters
    ----------
    buildings : DataFrame or None
        The harmonised buildings layer (``building_id``, optional ``households``,
        ``floor_area``, ``floors``).

    Returns
    -------
    DataFrame
        Indexed by building id (text, unique), columns ``households`` and ``floor_area_m2``.
    """
    if buildings is None or len(buildings) == 0 or "building_id" not in buildings:
        return pd.DataFrame({"households": pd.Series(dtype=float), "floor_area_m2": pd.Series(dtype=float)})
    from planner.analysis.buildings import floor_area

    hh = (pd.to_numeric(buildings["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
          if "households" in buildings else np.zeros(len(buildings)))
    out = pd.DataFrame({"households": hh, "floor_area_m2": floor_area(buildings)},
                       index=pd.Index(buildings["building_id"].astype(str).to_numpy(), name="building_id"))
    return out[~out.index.duplicated()]


def parcel_areas(parcels: pd.DataFrame | None) -> pd.Series:
    """Area (m²) per parcel id: the ``area`` field where given, else the polygon's area."""
    if parcels is None or len(parcels) == 0 or "parcel_id" not in parcels:
        return pd.Series(dtype=float)
    area = shapely.area(parcels.geometry.values)
    if "area" in parcels:
        given = pd.to_numeric(parcels["area"], errors="coerce").to_numpy(dtype=float)
        area = np.where(np.isfinite(given) & (given > 0), given, area)
    s = pd.Series(area, index=pd.Index(parcels["parcel_id"].astype(str).to_numpy(), name="parcel_id"))
    return s[~s.index.duplicated()]


def members(projects: pd.DataFrame, column: str) -> pd.DataFrame:
    """Long table of (row, id): the position of each project and each id listed in ``column``.

    Vectorised (one split and explode over the whole column).
    """
    if column not in projects or len(projects) == 0:
        return pd.DataFrame({"row": pd.Series(dtype=np.int64), "id": pd.Series(dtype=object)})
    s = pd.Series(projects[column].to_numpy(dtype=object), index=np.arange(len(projects)))
    s = s.where(s.notna(), "").astype(str)
    ex = s[s != ""].str.split(",").explode()
    ex = ex[ex != ""]
    return pd.DataFrame({"row": ex.index.to_numpy(dtype=np.int64), "id": ex.to_numpy(dtype=object)})


def distinct_totals(projects: pd.DataFrame, buildings: pd.DataFrame | None = None,
                    parcels: pd.DataFrame | None = None, *, by: str | None = None,
                    persons_per_household: float = PERSONS_PER_HOUSEHOLD) -> pd.DataFrame:
    """Totals over projects with each building and parcel counted once.

    Parameters
    ----------
    projects : DataFrame
        The portfolio (``building_ids``, ``parcel_ids``; per-project quantities are used only
        for projects without membership, e.g. drawn by hand).
    buildings, parcels : DataFrame, optional
        The harmonised input layers giving each building's households and floor area and each
        parcel's area. Without them the per-project figures are summed (and may double count).
    by : str, optional
        A column of ``projects`` to group by (type_title, district, phase ...); ``None`` gives
        one row for the whole portfolio, indexed ``""``.
    persons_per_household : float
        Residents per household (default: the 2020 census average, 2.62).

    Returns
    -------
    DataFrame
        One row per group with ``projects``, ``buildings``, ``households``, ``floor_area_m2``,
        ``residents``, ``parcels`` and ``parcel_area_m2``.
    """
    n = len(projects)
    key = (projects[by].fillna("").astype(str).to_numpy(dtype=object) if by is not None
           else np.full(n, "", dtype=object))
    groups = pd.Index(pd.unique(key)) if n else pd.Index([""])
    out = pd.DataFrame(0.0, index=groups, columns=TOTAL_COLUMNS)
    if n == 0:
        return out
    out["projects"] = pd.Series(key).value_counts().reindex(groups).fillna(0).to_numpy()
    q = building_quantities(buildings)
    mb = members(projects, "building_ids")
    listed = np.zeros(n, dtype=bool)
    if len(mb) and len(q):
        listed[mb["row"].to_numpy()] = True
        mb = mb.assign(g=key[mb["row"].to_numpy()]).drop_duplicates(["g", "id"])
        known = q.reindex(mb["id"].to_numpy())
        mb = mb.assign(households=known["households"].fillna(0).to_numpy(),
                       floor_area_m2=known["floor_area_m2"].fillna(0).to_numpy())
        agg = mb.groupby("g").agg(buildings=("id", "size"), households=("households", "sum"),
                                  floor_area_m2=("floor_area_m2", "sum"))
        for c in ("buildings", "households", "floor_area_m2"):
            out[c] = agg[c].reindex(groups).fillna(0).to_numpy()
    # Projects without a member list (drawn by hand, or no buildings layer): their own figures.
    own = ~listed
    for c in ("buildings", "households", "floor_area_m2"):
        if c in projects and own.any():
            extra = pd.Series(pd.to_numeric(projects[c], errors="coerce").fillna(0).to_numpy()[own]).groupby(
                key[own]).sum()
            out[c] += extra.reindex(groups).fillna(0).to_numpy()
    out["residents"] = (out["households"] * persons_per_household).round(0)
    mp = members(projects, "parcel_ids")
    plisted = np.zeros(n, dtype=bool)
    if len(mp):
        plisted[mp["row"].to_numpy()] = True
        mp = mp.assign(g=key[mp["row"].to_numpy()]).drop_duplicates(["g", "id"])
        areas = parcel_areas(parcels)
        # Without the parcels layer the project's own area is the parcel's (one parcel per project).
        own_area = pd.to_numeric(projects["parcel_area_m2"], errors="coerce").fillna(0).to_numpy() \
            if "parcel_area_m2" in projects else np.zeros(n)
        a = areas.reindex(mp["id"].to_numpy()).to_numpy(dtype=float) if len(areas) else np.full(len(mp), np.nan)
        a = np.where(np.isfinite(a), a, own_area[mp["row"].to_numpy()])
        agg = mp.assign(a=a).groupby("g").agg(parcels=("id", "size"), parcel_area_m2=("a", "sum"))
        out["parcels"] = agg["parcels"].reindex(groups).fillna(0).to_numpy()
        out["parcel_area_m2"] = agg["parcel_area_m2"].reindex(groups).fillna(0).to_numpy()
    if "parcel_area_m2" in projects and (~plisted).any():
        extra = pd.Series(pd.to_numeric(projects["parcel_area_m2"], errors="coerce").fillna(0).to_numpy()[~plisted]
                          ).groupby(key[~plisted]).sum()
        out["parcel_area_m2"] += extra.reindex(groups).fillna(0).to_numpy()
    return out


def benefit_summary(projects: pd.DataFrame, buildings: pd.DataFrame | None = None,
                      parcels: pd.DataFrame | None = None) -> dict[str, float]:
    """The distinct totals of the whole portfolio as plain numbers (for run.json).

    ``households_benefiting`` is the number of distinct households in all projects.
    """
    t = distinct_totals(projects, buildings, parcels).iloc[0]
    return {"households_benefiting": int(round(float(t["households"]))),
            "buildings_benefiting": int(t["buildings"]),
            "residents_benefiting": int(round(float(t["residents"]))),
            "floor_area_m2": round(float(t["floor_area_m2"]), 1),
            "parcels": int(t["parcels"]), "parcel_area_m2": round(float(t["parcel_area_m2"]), 1)}
