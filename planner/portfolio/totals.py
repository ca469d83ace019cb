"""Portfolio totals that count each building, household and parcel once.

A building can belong to a compound renovation, an elevator retrofit and a facility's newly
covered catchment; a parcel can be an idle-land disposal and a pocket park. Per-project figures
stay the project's own, but every total over projects (whole portfolio, by type, district or
phase) is taken over the *distinct* buildings and parcels of those projects (portfolio.md,
"Counting"). Membership is carried by the projects' ``building_ids`` and ``parcel_ids`` columns
(comma-separated ids of the input layers), so totals stay right after projects are edited,
merged or deleted.

Unknown households are unknown, not 0 (an OpenStreetMap building says nothing of them): a
total counts the households of the buildings that state them, and says how many of its
buildings (``households_unknown_buildings``) and projects (``households_unknown_projects``)
have households it could not count; where no building of a group states its households the
total is blank (NaN) with ``blank_unknown=True``, never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

# 第七次全国人口普查：全国家庭户平均每户 2.62 人 (National Bureau of Statistics, 2021).
PERSONS_PER_HOUSEHOLD = 2.62
# Building uses that hold homes (the analyses' default ``residential_uses``): another known use
# has no households; a blank use with blank households is unknown.
RESIDENTIAL_USES = ("residential", "mixed")
TOTAL_COLUMNS = ["projects", "buildings", "households", "floor_area_m2", "residents", "parcels", "parcel_area_m2",
                 "households_unknown_buildings", "households_unknown_projects"]


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
        Indexed by building id (text, unique), columns ``households`` (NaN where the layer
        does not state them: unknown, not 0) and ``floor_area_m2``.
    """
    if buildings is None or len(buildings) == 0 or "building_id" not in buildings:
        return pd.DataFrame({"households": pd.Series(dtype=float), "floor_area_m2": pd.Series(dtype=float)})
    from planner.analysis.buildings import floor_area

    hh = (pd.to_numeric(buildings["households"], errors="coerce").to_numpy(dtype=float)
          if "households" in buildings else np.full(len(buildings), np.nan))
    if "use" in buildings:  # a building of a known use that is not housing has no households (0, not unknown)
        use = buildings["use"].astype("string").fillna("").str.strip()
        no_homes = ((use != "") & ~use.isin(list(RESIDENTIAL_USES))).to_numpy(dtype=bool)
        hh = np.where(np.isnan(hh) & no_homes, 0.0, hh)
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

    Vectorised: one join and one split over the whole column.
    """
    if column not in projects or len(projects) == 0:
        return pd.DataFrame({"row": pd.Series(dtype=np.int64), "id": pd.Series(dtype=object)})
    s = pd.Series(projects[column].to_numpy(dtype=object))
    s = s.where(s.notna(), "").astype(str).str.strip(",")
    has = (s != "").to_numpy()
    lists = s[has]
    counts = lists.str.count(",").to_numpy() + 1
    ids = np.array(",".join(lists.tolist()).split(","), dtype=object) if len(lists) else np.zeros(0, dtype=object)
    rows = np.repeat(np.flatnonzero(has), counts)
    keep = ids != ""
    return pd.DataFrame({"row": rows[keep].astype(np.int64), "id": ids[keep]})


class Membership:
    """Which buildings and parcels each project holds, with their quantities, computed once and
    totalled over any grouping of the projects (each thing counted once per group).

    Parameters
    ----------
    projects : DataFrame
        The portfolio (``building_ids``, ``parcel_ids``; per-project quantities are used only
        for projects without members, e.g. drawn by hand).
    buildings, parcels : DataFrame, optional
        The harmonised input layers giving each building's households and floor area and each
        parcel's area. Without them the per-project figures are summed (and may double count).
    persons_per_household : float
        Residents per household (default: the 2020 census average, 2.62).
    """

    def __init__(self, projects: pd.DataFrame, buildings: pd.DataFrame | None = None,
                 parcels: pd.DataFrame | None = None, *, persons_per_household: float = PERSONS_PER_HOUSEHOLD):
        self.projects = projects
        self.n = len(projects)
        self.persons = persons_per_household
        q = building_quantities(buildings)
        mb = members(projects, "building_ids") if len(q) else members(projects.iloc[:0], "building_ids")
        codes, uniq = pd.factorize(mb["id"])
        known = q.reindex(pd.Index(uniq))
        self.b_row = mb["row"].to_numpy()
        self.b_code = codes
        # a member building without households (none given, or not in the layer) is unknown
        self.b_hh = known["households"].to_numpy(dtype=float)
        self.b_unknown = ~np.isfinite(self.b_hh)
        self.b_fa = known["floor_area_m2"].fillna(0).to_numpy(dtype=float)
        self.b_listed = np.zeros(self.n, dtype=bool)
        self.b_listed[self.b_row] = True
        mp = members(projects, "parcel_ids")
        pcodes, puniq = pd.factorize(mp["id"])
        self.p_row, self.p_code = mp["row"].to_numpy(), pcodes
        areas = parcel_areas(parcels)
        a = areas.reindex(pd.Index(puniq)).to_numpy(dtype=float) if len(areas) else np.full(len(puniq), np.nan)
        # Without the parcels layer a parcel's area is that of the (one-parcel) project naming it.
        own = self._own("parcel_area_m2")
        first = np.full(len(puniq), -1, dtype=np.int64)
        first[pcodes[::-1]] = self.p_row[::-1]
        self.p_area = np.where(np.isfinite(a), a, own[np.maximum(first, 0)] if self.n else a)
        self.p_listed = np.zeros(self.n, dtype=bool)
        self.p_listed[self.p_row] = True

    def _own(self, column: str) -> np.ndarray:
        if column not in self.projects:
            return np.zeros(self.n)
        return np.asarray(pd.to_numeric(self.projects[column], errors="coerce").fillna(0), dtype=np.float64)

    def _own_unknown_households(self) -> np.ndarray:
        """Projects without a member list whose own households are unknown though they hold
        buildings (blank households, buildings > 0)."""
        if "households" not in self.projects:
            return np.zeros(self.n, dtype=bool)
        hh = pd.to_numeric(self.projects["households"], errors="coerce").to_numpy(dtype=float)
        out: np.ndarray = ~self.b_listed & ~np.isfinite(hh) & (self._own("buildings") > 0)
        return out

    def unknown_households(self) -> np.ndarray:
        """Per project: True where some of its households are unknown (a member building whose
        households the buildings layer does not state, or, for a project without members, blank
        households over buildings)."""
        out = self._own_unknown_households()
        out[self.b_row[self.b_unknown[self.b_code]]] = True
        return out

    def totals(self, by: str | None = None, *, blank_unknown: bool = False) -> pd.DataFrame:
        """One row per group of ``by`` (a column of the projects; ``None``: the whole portfolio,
        indexed ``""``) with ``projects``, ``buildings``, ``households``, ``floor_area_m2``,
        ``residents``, ``parcels`` and ``parcel_area_m2``, each thing once per group, and
        ``households_unknown_buildings`` / ``households_unknown_projects``: the distinct
        buildings and the projects of the group whose households are unknown (not counted in
        ``households``).

        ``households`` counts the households that are known. With ``blank_unknown`` a group
        none of whose households is known but some of whose are unknown has NaN households and
        residents (blank in the deliverables) instead of 0."""
        n = self.n
        key = (self.projects[by].fillna("").astype(str).to_numpy(dtype=object) if by is not None
               else np.full(n, "", dtype=object))
        gcode, groups = pd.factorize(pd.Series(key, dtype=object))
        groups = pd.Index(groups) if n else pd.Index([""])
        out = pd.DataFrame(0.0, index=groups, columns=TOTAL_COLUMNS)
        if n == 0:
            return out
        k = len(groups)
        out["projects"] = np.bincount(gcode, minlength=k)

        def once(rows: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            g = gcode[rows]
            _, first = np.unique(g * (int(codes.max(initial=0)) + 1) + codes, return_index=True)
            return g[first], codes[first]

        g, c = once(self.b_row, self.b_code)
        own = ~self.b_listed
        hh = self.b_hh[c]
        for col, values in (("buildings", np.ones(len(c))), ("households", np.nan_to_num(hh)),
                            ("floor_area_m2", self.b_fa[c])):
            # projects without a member list (drawn by hand, or no buildings layer): their own figures
            out[col] = np.bincount(g, weights=values, minlength=k) + np.bincount(
                gcode[own], weights=self._own(col)[own], minlength=k)
        unknown = ~np.isfinite(hh)
        own_unknown = self._own_unknown_households()
        out["households_unknown_buildings"] = np.bincount(g[unknown], minlength=k) + np.bincount(
            gcode[own_unknown], weights=self._own("buildings")[own_unknown], minlength=k)
        out["households_unknown_projects"] = np.bincount(gcode[self.unknown_households()], minlength=k)
        out["residents"] = (out["households"] * self.persons).round(0)
        if blank_unknown:
            # a group with households of its own known counts them; none known but some unknown: blank
            own_known = own & ~own_unknown & (self._own("households") > 0)
            known = (np.bincount(g[~unknown], minlength=k) + np.bincount(gcode[own_known], minlength=k)) > 0
            blank = ~known & (out["households_unknown_buildings"].to_numpy() > 0)
            out.loc[blank, ["households", "residents"]] = np.nan
        g, c = once(self.p_row, self.p_code)
        out["parcels"] = np.bincount(g, minlength=k)
        pown = ~self.p_listed
        out["parcel_area_m2"] = np.bincount(g, weights=self.p_area[c], minlength=k) + np.bincount(
            gcode[pown], weights=self._own("parcel_area_m2")[pown], minlength=k)
        return out


def distinct_totals(projects: pd.DataFrame, buildings: pd.DataFrame | None = None,
                    parcels: pd.DataFrame | None = None, *, by: str | None = None,
                    persons_per_household: float = PERSONS_PER_HOUSEHOLD) -> pd.DataFrame:
    """Totals over projects with each building and parcel counted once (see :class:`Membership`).

    Returns
    -------
    DataFrame
        One row per group of ``by`` (``None``: one row for the whole portfolio, indexed ``""``)
        with ``projects``, ``buildings``, ``households``, ``floor_area_m2``, ``residents``,
        ``parcels`` and ``parcel_area_m2``.
    """
    return Membership(projects, buildings, parcels, persons_per_household=persons_per_household).totals(by)


def benefit_summary(projects: pd.DataFrame, buildings: pd.DataFrame | None = None,
                    parcels: pd.DataFrame | None = None) -> dict[str, float | int | None]:
    """The distinct totals of the whole portfolio as plain numbers (for run.json).

    ``households_benefiting`` is the number of distinct known households in all projects
    (None where no project building states its households: unknown, not 0);
    ``households_unknown_buildings`` and ``households_unknown_projects`` say how many
    buildings and projects have households that could not be counted.
    """
    t = Membership(projects, buildings, parcels).totals(blank_unknown=True).iloc[0]

    def whole(v: float) -> int | None:
        return int(round(float(v))) if np.isfinite(v) else None

    return {"households_benefiting": whole(t["households"]),
            "households_unknown_buildings": int(t["households_unknown_buildings"]),
            "households_unknown_projects": int(t["households_unknown_projects"]),
            "buildings_benefiting": int(t["buildings"]),
            "residents_benefiting": whole(t["residents"]),
            "floor_area_m2": round(float(t["floor_area_m2"]), 1),
            "parcels": int(t["parcels"]), "parcel_area_m2": round(float(t["parcel_area_m2"]), 1)}
