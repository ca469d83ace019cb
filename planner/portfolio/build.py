"""Turn flags into a draft portfolio of projects (grouping, names, quantities, cost, score, phase).

Grouping (portfolio.md): buildings of one compound (or parcel, or block) form one housing
project; each idle parcel is one disposal project; each physical road link one link project (a
gap along a planned road is that road's evidence); each proposed facility site one facility
project (greedy maximum coverage of the living-circle gap, planner.portfolio.sites).

Geometry is the thing itself: housing and elevator projects are their buildings, disposal
projects their parcel, link projects their corridor (the link buffered), facility projects their
site (a parcel, or a site-sized circle at a point on a road). Quantities are the project's own;
``building_ids`` and ``parcel_ids`` list its members so that totals count each once
(planner.portfolio.totals). Scores, phases and ranks come from :func:`score_projects`.

Inputs read: the harmonised layers (buildings, parcels, roads, boundary), ``result.flags``,
``result.tables["compounds"]``, ``result.shared`` arrays aligned with the buildings
(``compound_key``, ``compound_kind``, ``residential``) and ``result.parameters["roads"]``
(snapping tolerance); the road network is rebuilt from the roads layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from planner.analysis.common import anchor_points, points_in_polygons
from planner.portfolio.heritage import check_heritage
from planner.portfolio.seismic import raise_need
from planner.portfolio.settings import PortfolioSettings, ProjectType, load_settings

if TYPE_CHECKING:
    from pyproj import CRS

    from planner.analysis.network import RoadNetwork
    from planner.analysis.runner import RunResult
    from planner.pipeline import Workspace
    from planner.portfolio.sites import Candidates, SharedCover

TYPE_PREFIX = {"old_compound": "OC", "unsafe_housing": "UH", "elevator": "EL", "idle_land": "IL",
               "land_supply": "LS", "underused_land": "UL", "idle_building": "IB", "road_link": "RL",
               "service_facility": "SF", "pocket_park": "PP", "urban_village": "UV",
               "coverage_facility": "TS", "drainage": "DR"}
COLUMNS = ["project_id", "name", "type", "type_title", "subtype", "district", "buildings", "floor_area_m2",
           "households", "parcel_area_m2", "road_length_m", "quantity", "unit", "estimated_cost", "cost_basis",
           "priority_score", "priority_rank", "score_public", "score_need", "score_residents", "score_cost",
           "score_ease", "phase", "status",
           "flags", "flag_count", "notes", "building_ids", "parcel_ids"]
SERVICE_UPGRADE_TYPES = {"elderly_care", "community_service", "kindergarten", "nursery"}
# The gap layers whose facility sites are chosen (layer, project type), in the order built.
SITE_LAYERS = (("service_gap", "service_facility"), ("coverage_gap", "coverage_facility"))


@dataclass
class _SiteRun:
    """One greedy run of facility sites: a facility type and radius of a gap layer."""

    ftype: str
    radius: float
    rows: np.ndarray            # its gap flags' rows in the layer (one per building lacking the type)
    net: RoadNetwork            # the network coverage is measured over
    candidates: Candidates      # parcels (tier 0; an earlier run's are left out when it runs), road points
    tier: np.ndarray
    ticket: int                 # its cover in the plan's SharedCover


@dataclass
class _SitePlan:
    flags: gpd.GeoDataFrame
    runs: list[_SiteRun]
    walk_net: RoadNetwork
    built: gpd.GeoDataFrame
    shared: SharedCover


def _empty(crs: CRS | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype="object") for c in COLUMNS}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _group_multipolygons(geoms: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """The polygons of each group as one MultiPolygon (the buildings themselves, not a hull);
    ``None`` for a group without polygons. Vectorised: one multipolygons call with indices."""
    parts, part_of = shapely.get_parts(np.asarray(geoms), return_index=True)
    poly = shapely.get_type_id(parts) == 3
    parts, g = parts[poly], np.asarray(group)[part_of[poly]]
    order = np.argsort(g, kind="stable")
    out = np.full(n_groups, None, dtype=object)
    if len(parts):
        present = np.unique(g)
        made = shapely.multipolygons(parts[order], indices=np.searchsorted(present, g[order]))
        out[present] = made
    return out


def _district_names(geoms: np.ndarray, boundary: gpd.GeoDataFrame | None) -> np.ndarray:
    if boundary is None or len(boundary) == 0 or len(geoms) == 0:
        return np.full(len(geoms), "", dtype=object)
    which = points_in_polygons(anchor_points(geoms), boundary.geometry.values)
    names = boundary["name"].fillna(boundary["district_id"]).astype(str).to_numpy(dtype=object)
    return np.where(which >= 0, names[np.maximum(which, 0)], "")


def _join_runs(out: np.ndarray, g: np.ndarray, v: list[Any]) -> np.ndarray:
    """``out`` with each run of equal groups ``g`` (sorted) holding its values ``v`` joined with
    commas: one C-level ``join`` per group."""
    start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    out[g[start]] = [",".join(v[a:b]) for a, b in zip(start.tolist(), start[1:].tolist() + [len(v)], strict=True)]
    return out


def _join_by_group(values: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """The distinct ``values`` of each group ``0..n-1`` joined with commas ("" for an empty group).

    Duplicates go by integer codes (factorize, unique); the joins are one C-level ``join`` per
    group (pandas' groupby-join is ten times slower)."""
    out = np.full(n, "", dtype=object)
    if len(values) == 0:
        return out
    values = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # str already: hashed as objects
        codes, uniq = pd.factorize(values)
    else:
        codes, uniq = pd.factorize(pd.Series(values).astype(str))
    group = np.asarray(group, dtype=np.int64)
    _, first = np.unique(group * (len(uniq) + 1) + codes, return_index=True)  # sorted by group
    g, v = group[first], np.asarray(uniq, dtype=object)[codes[first]].tolist()
    return _join_runs(out, g, v)


def _join_in_order(values: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """The ``values`` of each group ``0..n-1`` joined with commas in their row order ("" for an
    empty group): a groupby's ``",".join`` without pandas' work per group."""
    out = np.full(n, "", dtype=object)
    group = np.asarray(group, dtype=np.int64)
    if len(group) == 0:
        return out
    order = np.argsort(group, kind="stable")
    g, v = group[order], np.asarray(values, dtype=object)[order].tolist()
    return _join_runs(out, g, v)


def _one_link_per_corridor(f: gpd.GeoDataFrame, links: dict[str, float]) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """One row per physical link: gap links whose ends lie within ``duplicate_tolerance_m`` of
    each other's are one (the shortest kept); a gap link along a planned road (inside its
    corridor of ``same_corridor_m``) is that planned road's evidence, not a project of its own.

    Returns the rows kept and, per kept row, the flag ids of the rows it absorbed ("" if none).
    """
    from planner.analysis.roads import same_link_groups

    f = f.reset_index(drop=True)
    geoms = f.geometry.values
    planned = (f["code"] == "PLANNED_UNBUILT").to_numpy()
    owner = np.arange(len(f))
    gap = np.flatnonzero(~planned)
    if len(gap) > 1:
        group = same_link_groups(geoms[gap], float(links.get("duplicate_tolerance_m", 2.0)))
        order = np.lexsort((f["length_m"].to_numpy(dtype=float)[gap], group))
        uniq, first_pos = np.unique(group[order], return_index=True)  # the shortest of each group
        keep_of_group = np.empty(group.max() + 1, dtype=np.int64)
        keep_of_group[uniq] = gap[order][first_pos]
        owner[gap] = keep_of_group[group]
    if planned.any() and len(gap):
        corridor = shapely.buffer(geoms[planned], float(links.get("same_corridor_m", 10.0)))
        gi, pi = shapely.STRtree(corridor).query(geoms[gap], predicate="within")
        first = pd.DataFrame({"g": gi, "p": pi}).drop_duplicates("g")
        owner[gap[first["g"].to_numpy()]] = np.flatnonzero(planned)[first["p"].to_numpy()]
        owner = owner[owner]  # a duplicate's kept twin may itself lie along a planned road
    absorbed = np.flatnonzero(owner != np.arange(len(f)))
    evidence = _join_by_group(f["flag_id"].to_numpy(dtype=object)[absorbed], owner[absorbed], len(f))
    keep = owner == np.arange(len(f))
    return f.loc[keep].reset_index(drop=True), evidence[keep]


class _Builder:
    def __init__(self, ws: Workspace, result: RunResult, settings: PortfolioSettings) -> None:
        self.ws = ws
        self.result = result
        self.settings = settings
        self.crs = ws.working_crs
        self.frames: list[pd.DataFrame] = []
        self.pocket_parcels: set[str] = set()
        self._site_plans: dict[tuple[str, str], _SitePlan | None] = {}  # planned, not yet built
        self.boundary = ws.frame("boundary")
        b = ws.frame("buildings")
        self.buildings = b
        key = result.shared.get("compound_key") if hasattr(result, "shared") else None
        self._bid: pa.Array | None = None  # the buildings' ids as Arrow strings
        self.compound_key = np.asarray(key, dtype=object) if b is not None and key is not None else None
        kinds = result.shared.get("compound_kind") if hasattr(result, "shared") else None
        self._kind_of: pd.Series | None = None
        # each building's compound as a code into the distinct keys (-1: none)
        self._key_codes: tuple[np.ndarray, np.ndarray] | None = None
        if key is not None:
            codes, uniq = pd.factorize(pd.Series(key, dtype=object))
            self._key_codes = codes, np.asarray(uniq, dtype=object)
        if key is not None and kinds is not None and self._key_codes is not None:
            codes, uniq = self._key_codes
            first = np.unique(codes, return_index=True)[1]
            self._kind_of = pd.Series(np.asarray(kinds, dtype=object)[first[codes[first] >= 0]],
                                      index=pd.Index(uniq, dtype=object))

    def compound_of(self, ids: npt.ArrayLike) -> np.ndarray:
        """The compound key of each building id (None where unknown)."""
        return self._compound_at(self.building_rows(ids))

    def _compound_at(self, pos: np.ndarray) -> np.ndarray:
        """The compound key of each building row (None for -1)."""
        out = np.full(len(pos), None, dtype=object)
        if self.compound_key is not None:
            found = pos >= 0
            out[found] = self.compound_key[pos[found]]
        return out

    def _compound_rows(self, compounds: pd.Index) -> np.ndarray:
        """Per building, the position of its compound in ``compounds`` (-1: not there), through
        the codes of the distinct compound keys (one lookup per compound, not per building)."""
        assert self._key_codes is not None
        codes, uniq = self._key_codes
        pos: np.ndarray = np.append(compounds.get_indexer(pd.Index(uniq, dtype=object)), -1)  # code -1 -> -1
        rows: np.ndarray = pos[codes]
        return rows

    def building_rows(self, ids: npt.ArrayLike) -> np.ndarray:
        """Row of each building id in the buildings layer (-1 where unknown; the first of a
        duplicated id).

        The layer's ids are looked up in a hash of the distinct ids asked for (Arrow's
        ``index_in`` over the ids as Arrow strings): hashing a million ids into a table costs
        more than the few lookups of a build, and the ids are never turned into Python objects."""
        q = np.asarray(ids, dtype=object).astype(str)
        out = np.full(len(q), -1, dtype=np.int64)
        if len(q) == 0 or self.buildings is None or len(self.buildings) == 0:
            return out
        if self._bid is None:
            ids_text = self.buildings["building_id"].astype(str)
            self._bid = (pa.array(ids_text.array) if hasattr(ids_text.array, "__arrow_array__")  # pandas 3: no copy
                         else pa.array(ids_text.to_numpy(dtype=object), from_pandas=True))
        codes, uniq = pd.factorize(q)
        at = pc.index_in(self._bid, value_set=pa.array(np.asarray(uniq, dtype=object), type=self._bid.type))
        rows = np.flatnonzero(at.is_valid().to_numpy(zero_copy_only=False))
        which = pc.drop_null(at).to_numpy().astype(np.int64)
        first = np.full(len(uniq), -1, dtype=np.int64)
        first[which[::-1]] = rows[::-1]  # the first row of a duplicated id wins
        found: np.ndarray = first[codes]
        return found

    def flags(self, layer: str) -> gpd.GeoDataFrame | None:
        f = self.result.flags.get(layer)
        return f if f is not None and len(f) else None

    def add(self, kind: str, data: Mapping[str, npt.ArrayLike], geoms: np.ndarray) -> None:
        n = len(geoms)
        if n == 0:
            return
        t = self.settings.types[kind]
        zero = {"buildings", "floor_area_m2", "households", "parcel_area_m2", "road_length_m"}
        frame = pd.DataFrame({c: data.get(c, 0.0 if c in zero else ("" if c.endswith("_ids") else [None] * n))
                              for c in COLUMNS if c not in {"project_id", "type", "type_title", "district", "unit"}})
        frame["type"] = kind
        frame["type_title"] = t.title
        frame["unit"] = t.unit
        frame["district"] = _district_names(geoms, self.boundary)
        frame["geometry"] = geoms
        frame["_severity"] = data["_severity"]
        frame["_ease"] = data.get("_ease", np.full(n, t.ease))
        frame["_public"] = data.get("_public", np.full(n, t.public))
        self.frames.append(frame)

    @staticmethod
    def _link_cost_basis(t: ProjectType, demolish: np.ndarray, bridge: np.ndarray, rail: np.ndarray) -> np.ndarray:
        """Each link's cost basis: the road's unit cost, and the demolition, bridge and rail
        crossing costs only where that link has them."""
        out = pd.Series(t.costs[""][1] if "" in t.costs else "", index=range(len(demolish)), dtype=object)
        for key, where in (("拆迁", demolish), ("跨水桥梁", bridge), ("铁路立交", rail)):
            if key in t.costs:
                out = out.where(~np.asarray(where, dtype=bool), out + "; " + t.costs[key][1])
        basis: np.ndarray = out.str.lstrip("; ").to_numpy(dtype=object)
        return basis

    def compound_label(self, keys: np.ndarray) -> np.ndarray:
        """Readable place names: the compound, 地块X片区, 第n街坊 or 零星住宅."""
        kind = (self._kind_of.reindex(pd.Index(np.asarray(keys, dtype=object))).to_numpy(dtype=object)
                if self._kind_of is not None else np.full(len(keys), None, dtype=object))
        k = pd.Series(keys, dtype="string")
        out = np.where(kind == "parcel", ("地块" + k + "片区").to_numpy(dtype=object),
                       np.where(kind == "block", ("第" + k.str.replace("block", "", regex=False) + "街坊").to_numpy(dtype=object),
                                np.where(kind == "building", "零星住宅", k.to_numpy(dtype=object))))
        return out.astype(object)

    # housing ----------------------------------------------------------------------------
    def housing(self) -> None:
        f = self.flags("flag_old_housing")
        comp = self.result.tables.get("compounds")
        b = self.buildings
        if f is None or self.compound_key is None or comp is None or b is None:  # (a compound key needs buildings)
            return
        rows = self.building_rows(f["source_id"].to_numpy())
        f = f.assign(compound=self._compound_at(rows), _row=rows)
        old = f[f["code"] == "OLD_HOUSING"]
        cand = comp[comp["candidate"]].reset_index(drop=True)
        if len(cand):
            gap = self.flags("service_gap")
            lacking = set()
            if gap is not None:
                sg = gap[gap["facility_type"].isin(SERVICE_UPGRADE_TYPES)]
                lacking = set(pd.unique(self.compound_of(sg["source_id"].to_numpy()))) - {None}
            cls = np.where(np.isin(cand["compound"].to_numpy(), list(lacking)), "提升类",
                           np.where(cand["elevator_candidates"] > 0, "完善类", "基础类"))
            bgroup = self._compound_rows(pd.Index(cand["compound"]))
            res = np.asarray(self.result.shared["residential"], dtype=bool)
            sel = (bgroup >= 0) & res
            geoms = _group_multipolygons(b.geometry.values[sel], bgroup[sel], len(cand))
            members = _join_by_group(b["building_id"].to_numpy(dtype=object)[sel], bgroup[sel], len(cand))
            of_key, old_keys = pd.factorize(old["compound"])  # the old flags' ids per compound, in row order
            keyed = of_key >= 0
            joined = _join_in_order(old["flag_id"].to_numpy(dtype=object)[keyed], of_key[keyed], len(old_keys))
            ids = pd.Series(joined, index=old_keys).reindex(cand["compound"]).fillna("")
            sev = old.groupby("compound")["severity"].max().reindex(cand["compound"]).fillna(2).to_numpy()
            t = self.settings.types["old_compound"]
            fa = cand["res_floor_area_m2"].to_numpy()
            cost = fa * np.array([t.unit_cost(c) for c in cls])
            label = self.compound_label(cand["compound"].to_numpy())
            self.add("old_compound", {
                "name": pd.Series(label, dtype="string") + "老旧小区改造（" + pd.Series(cls) + "）",
                "subtype": cls, "buildings": cand["buildings"].to_numpy(), "floor_area_m2": fa.round(1),
                "households": cand["households"].to_numpy(), "quantity": fa.round(1), "estimated_cost": cost,
                "cost_basis": [t.costs.get(c, ("", "assumption"))[1] for c in cls], "flags": ids.to_numpy(),
                "_severity": sev, "building_ids": members,
            }, geoms)
        self._per_compound(f[f["code"].isin(["UNSAFE_C", "UNSAFE_D"])], "unsafe_housing")
        self._per_compound(f[f["code"] == "ELEVATOR_RETROFIT"], "elevator")

    def _per_compound(self, f: pd.DataFrame, kind: str) -> None:
        b = self.buildings
        if len(f) == 0 or b is None:
            return
        pos = (f["_row"].to_numpy(dtype=np.int64) if "_row" in f  # housing() looked the rows up
               else self.building_rows(f["source_id"].to_numpy()))
        known = pos >= 0

        def column(name: str, missing: float) -> np.ndarray:
            if name not in b:
                return np.full(len(f), missing)
            values = pd.to_numeric(b[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[np.maximum(pos, 0)]
            return np.where(known & np.isfinite(values), values, missing)

        fa = f["floor_area_m2"].to_numpy(dtype=float) if "floor_area_m2" in f else np.zeros(len(f))
        # a building whose households are unknown is NaN, so that a project of only such homes has
        # unknown households (blank, never 0); the elevator count takes them as none
        hh, floors = column("households", np.nan), column("floors", 1.0)
        keys, group = np.unique(f["compound"].fillna("").astype(str).to_numpy(), return_inverse=True)
        n = len(keys)
        t = self.settings.types[kind]
        df = pd.DataFrame({"g": group, "fa": fa, "hh": hh, "sev": f["severity"].to_numpy(), "id": f["flag_id"].to_numpy(),
                           "d": (f["code"] == "UNSAFE_D").to_numpy(),
                           "elev": np.maximum(1, np.round(np.nan_to_num(hh) / np.maximum(floors * 2, 1)))})
        agg = df.groupby("g").agg(fa=("fa", "sum"), sev=("sev", "max"), n=("fa", "size"),
                                  d=("d", "any"), elev=("elev", "sum"))
        agg["hh"] = df.groupby("g")["hh"].sum(min_count=1)   # NaN where every home's households are unknown
        agg["ids"] = _join_in_order(df["id"].to_numpy(dtype=object), group, n)  # group: 0..n-1, all present
        fa_d = df[df["d"]].groupby("g")["fa"].sum().reindex(range(n)).fillna(0).to_numpy()
        geoms = _group_multipolygons(f.geometry.values, group, n)
        label = self.compound_label(keys)
        if kind == "unsafe_housing":
            sub = np.where(agg["d"], "原拆原建", "加固")
            cost = fa_d * t.unit_cost("原拆原建") + (agg["fa"].to_numpy() - fa_d) * t.unit_cost("加固")
            name = pd.Series(label, dtype="string") + "危旧房改造（" + pd.Series(sub) + "）"
            qty, basis = agg["fa"].to_numpy(), [f"{t.costs['原拆原建'][1]}; {t.costs['加固'][1]}"] * n
            ease = np.where(agg["d"], t.ease * 0.8, t.ease)
        else:
            sub = np.full(n, "")
            qty = agg["elev"].to_numpy()
            cost = qty * t.unit_cost()
            name = pd.Series(label, dtype="string") + "既有住宅加装电梯（" + pd.Series(qty.astype(int).astype(str)) + "部）"
            basis, ease = [t.costs[""][1]] * n, np.full(n, t.ease)
        self.add(kind, {"name": name.to_numpy(), "subtype": sub, "buildings": agg["n"].to_numpy(),
                        "floor_area_m2": agg["fa"].to_numpy().round(1), "households": agg["hh"].to_numpy(),
                        "quantity": qty, "estimated_cost": cost, "cost_basis": basis, "flags": agg["ids"].to_numpy(),
                        "_severity": agg["sev"].to_numpy(), "_ease": ease,
                        "building_ids": _join_by_group(f["source_id"].astype(str).to_numpy(), group, n)}, geoms)

    # land and buildings -------------------------------------------------------------------
    def land(self) -> None:
        self._pocket_parks()
        f = self.flags("flag_idle_land")
        if f is None:
            return
        area = f["parcel_area_m2"].to_numpy(dtype=float) if "parcel_area_m2" in f else shapely.area(f.geometry.values)
        for kind, mask, word in (("idle_land", f["code"].str.startswith("IDLE_").to_numpy(), "闲置土地处置"),
                                 ("land_supply", (f["code"] == "APPROVED_NOT_SUPPLIED").to_numpy(), "批而未供土地供应"),
                                 ("underused_land", (f["code"] == "UNDERUSED").to_numpy(), "低效用地再开发")):
            if not mask.any():
                continue
            t = self.settings.types[kind]
            a = area[mask]
            qty = a / 1e4 if t.unit == "公顷" else a
            sub = f["code"].to_numpy()[mask] if kind == "idle_land" else np.full(int(mask.sum()), "")
            self.add(kind, {
                "name": ("地块" + f["source_id"][mask].astype(str) + word).to_numpy(), "subtype": sub,
                "parcel_area_m2": a.round(1), "quantity": qty.round(4), "estimated_cost": qty * t.unit_cost(),
                "cost_basis": [t.costs[""][1]] * int(mask.sum()), "flags": f["flag_id"].to_numpy()[mask],
                "_severity": f["severity"].to_numpy()[mask], "parcel_ids": f["source_id"].astype(str).to_numpy()[mask],
            }, f.geometry.values[mask])

    def _pocket_parks(self) -> None:
        """One 口袋公园 project per POCKET_PARK_SITE flag that newly brings households within
        300 m of green space (planner.analysis.pocket_parks), in the flags' rank order."""
        f = self.flags("pocket_park_site")
        if f is None:
            return
        # households unknown (no households field): the homes newly in reach decide instead
        reach = pd.to_numeric(f["households_new"], errors="coerce")
        reach = reach.where(reach.notna(), pd.to_numeric(f["buildings_new"], errors="coerce")).fillna(0)
        f = f[(reach > float(self.settings.sites.get("min_new_households", 0.0))).to_numpy()]
        f = f.sort_values("site_rank", kind="stable")
        if len(f) == 0:
            return
        t = self.settings.types["pocket_park"]
        area = f["area_m2"].to_numpy(dtype=float)
        ids = f["source_id"].astype(str).to_numpy(dtype=object)
        hh = f["households_new"].to_numpy(dtype=float)
        self.pocket_parcels = set(ids.tolist())
        self.add("pocket_park", {
            "name": ("地块" + pd.Series(ids, dtype="string") + "口袋公园").to_numpy(dtype=object),
            "parcel_area_m2": area.round(1), "households": hh, "buildings": f["buildings_new"].to_numpy(dtype=float),
            "quantity": area.round(1), "estimated_cost": area * t.unit_cost(), "cost_basis": [t.costs[""][1]] * len(f),
            "flags": f["flag_id"].to_numpy(), "_severity": f["severity"].to_numpy(),
            "building_ids": f["covered_ids"].fillna("").astype(str).to_numpy(dtype=object), "parcel_ids": ids,
            "notes": ("新增300米见绿覆盖"
                      + pd.Series(np.where(np.isfinite(hh), np.nan_to_num(hh).round().astype(int).astype(str) + "户",
                                           f["buildings_new"].astype(int).astype(str).to_numpy() + "栋住宅（户数未知）"))
                      + "（口袋公园选址排序第"
                      + pd.Series(f["site_rank"].astype(int).astype(str).to_numpy()) + "）").to_numpy(dtype=object),
        }, f.geometry.values)

    def idle_buildings(self) -> None:
        f = self.flags("flag_idle_building")
        if f is None:
            return
        t = self.settings.types["idle_building"]
        fa = f["floor_area_m2"].to_numpy(dtype=float)
        self.add("idle_building", {
            "name": ("楼宇" + f["source_id"].astype(str) + "盘活利用").to_numpy(), "buildings": np.ones(len(f)),
            "floor_area_m2": fa.round(1), "quantity": fa.round(1), "estimated_cost": fa * t.unit_cost(),
            "cost_basis": [t.costs[""][1]] * len(f), "flags": f["flag_id"].to_numpy(), "_severity": f["severity"].to_numpy(),
            "building_ids": f["source_id"].astype(str).to_numpy(),
        }, f.geometry.values)

    # roads ----------------------------------------------------------------------------
    def roads(self) -> None:
        f = self.flags("road_gap")
        if f is None:
            return
        f, evidence = _one_link_per_corridor(f, self.settings.links)
        t = self.settings.types["road_link"]
        length = f["length_m"].to_numpy(dtype=float)
        crossed_fa = np.zeros(len(f))
        b = self.buildings
        if b is not None and len(b):
            # the few links' tree queried with the buildings (a tree of the buildings costs more)
            bi, li = shapely.STRtree(f.geometry.values).query(b.geometry.values, predicate="intersects")
            from planner.analysis.buildings import floor_area

            hit, at = np.unique(bi, return_inverse=True)
            order = np.lexsort((bi, li))  # per link, its buildings in row order
            fa = floor_area(b.iloc[hit])[at]
            crossed_fa = np.bincount(li[order], weights=fa[order], minlength=len(f)).astype(float)
        bridge_m, rail_n = self._water_and_rail_crossings(f.geometry.values)
        cost = (length * t.unit_cost("") + crossed_fa * t.unit_cost("拆迁") + bridge_m * t.unit_cost("跨水桥梁")
                + rail_n * t.unit_cost("铁路立交"))
        # an unnamed road is placed by the named road nearest to the link's end, or the district,
        # never by its id
        from planner.portfolio.places import place_labels

        roads = self.ws.frame("roads")
        names = pd.Series(dtype=object)
        if roads is not None and "name" in roads:
            names = pd.Series(roads["name"].to_numpy(dtype=object), index=roads["road_id"].astype(str).to_numpy())
            names = names[~names.index.duplicated()]
        first = shapely.get_point(f.geometry.values, 0)   # where the link leaves its road
        last = shapely.get_point(f.geometry.values, -1)   # and where it meets the other

        def district(g: np.ndarray) -> np.ndarray:
            return _district_names(g, self.boundary)

        label = place_labels(first, names.reindex(f["from_source_id"].astype(str)).to_numpy(dtype=object),
                             roads, district)
        to_label = place_labels(last, names.reindex(f["to_source_id"].astype(str)).to_numpy(dtype=object),
                                roads, district)
        # "「明德路」附近无名道路—明德路" says 明德路 twice: the unnamed end is just 无名道路
        a, b = pd.Series(label, dtype=object), pd.Series(to_label, dtype=object)
        a_by_b, b_by_a = (a == "「" + b + "」附近无名道路").to_numpy(), (b == "「" + a + "」附近无名道路").to_numpy()
        label, to_label = np.where(a_by_b, "无名道路", label), np.where(b_by_a, "无名道路", to_label)
        planned = (f["code"] == "PLANNED_UNBUILT").to_numpy()
        ends = np.where(label == to_label, pd.Series(label), pd.Series(label) + "—" + pd.Series(to_label))
        name = np.where(planned, pd.Series(label) + "（规划路段）建设", pd.Series(ends) + "断头路打通")
        self.add("road_link", {
            "name": name, "subtype": np.where(planned, "规划未建", "缺口打通"), "road_length_m": length.round(1),
            "quantity": length.round(1), "estimated_cost": cost,
            "cost_basis": self._link_cost_basis(t, crossed_fa > 0, bridge_m > 0, rail_n > 0),
            "flags": np.where(evidence != "", f["flag_id"].to_numpy().astype(object) + "," + evidence,
                              f["flag_id"].to_numpy()),
            "_severity": f["severity"].to_numpy(),
            "_ease": np.where((crossed_fa > 0) | (bridge_m > 0) | (rail_n > 0), t.ease * 0.5, t.ease),
            "notes": (pd.Series(np.where(evidence != "", "同一走廊的道路缺口（" + evidence + "）为本规划路段的依据；", ""))
                      + pd.Series(np.where(crossed_fa > 0, pd.Series(crossed_fa.round(0).astype(int).astype(str))
                                           .radd("需拆迁建筑面积约").add(" m²；"), ""))
                      + pd.Series(np.where(bridge_m > 0, pd.Series(bridge_m.round(0).astype(int).astype(str))
                                           .radd("需建桥跨越水系约").add(" m；"), ""))
                      + pd.Series(np.where(rail_n > 0, pd.Series(rail_n.astype(int).astype(str))
                                           .radd("需铁路立交").add("处；"), ""))).str.rstrip("；").to_numpy(),
        }, shapely.buffer(f.geometry.values, float(self.settings.links.get("corridor_half_width_m", 8.0)),
                          cap_style="flat"))

    def _water_and_rail_crossings(self, links: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per link: metres over water (a river drawn as a line counts 20 m) and railway crossings."""
        bridge_m, rail_n = np.zeros(len(links)), np.zeros(len(links))
        water = self.ws.frame("water")
        if water is not None and len(water):
            li, wi = shapely.STRtree(water.geometry.values).query(links, predicate="intersects")
            g = water.geometry.values[wi]
            over = np.where(shapely.get_type_id(g) >= 3, shapely.length(shapely.intersection(links[li], g)), 20.0)
            bridge_m = np.bincount(li, weights=over, minlength=len(links)).astype(float)
        rail = self.ws.frame("rail")
        if rail is not None and len(rail):
            li, _ = shapely.STRtree(rail.geometry.values).query(links, predicate="intersects")
            rail_n = np.bincount(li, minlength=len(links)).astype(float)
        return bridge_m, rail_n

    # services ---------------------------------------------------------------------------
    def network(self) -> tuple[RoadNetwork, gpd.GeoDataFrame] | None:
        """The built road network, rebuilt from the roads layer (as the roads analysis builds it),
        and the built roads it indexes."""
        from planner.analysis.network import RoadNetwork, build_network
        from planner.analysis.roads import built_mask

        roads = self.ws.frame("roads")
        if roads is None or len(roads) == 0:
            return None
        built = roads.loc[built_mask(roads)].reset_index(drop=True)
        params = getattr(self.result, "parameters", {}) or {}
        tol = float((params.get("roads") or {}).get("snap_tolerance_m", 1.0))
        # the roads analysis of this run built the same network from the same roads (when it ran
        # in this process: a reopened project rebuilds it)
        shared = getattr(self.result, "shared", {}) or {}
        net, kept = shared.get("road_network"), shared.get("roads_built")
        if (isinstance(net, RoadNetwork) and kept is not None and len(kept) == len(built)
                and bool(np.all(shapely.equals_exact(kept.geometry.values, built.geometry.values, tolerance=0.0)))):
            return net, built
        return build_network(built.geometry.values, tolerance=tol, split_t_junctions=True), built

    def parcel_candidates(self) -> Candidates | None:
        """Parcels a facility could be built on: idle, underused or 批而未供 parcels (their
        flags), then unbuilt public land (land use 公共管理与公共服务 with no building on it)."""
        from planner.analysis.common import anchor_points as anchors
        from planner.portfolio.sites import Candidates

        parts = []
        f = self.flags("flag_idle_land")
        words = {"APPROVED_NOT_SUPPLIED": "批而未供地块", "UNDERUSED": "低效用地"}
        if f is not None:
            site = f["code"].str.startswith("IDLE_") | f["code"].isin(list(words))
            f = f[site.to_numpy()]
            area = (f["parcel_area_m2"].to_numpy(dtype=float) if "parcel_area_m2" in f
                    else shapely.area(f.geometry.values))
            ids = f["source_id"].astype(str).to_numpy(dtype=object)
            parts.append(Candidates(anchors(f.geometry.values), f.geometry.values, np.full(len(f), "parcel", dtype=object),
                                    ids, ("地块" + pd.Series(ids, dtype="string")).to_numpy(dtype=object),
                                    f["code"].map(words).fillna("闲置土地").to_numpy(dtype=object), area,
                                    np.zeros(len(f))))
        parcels = self.ws.frame("parcels")
        cls = next((c for c in ("land_use_class", "land_use") if parcels is not None and c in parcels), None)
        if cls is not None and parcels is not None:
            pub = parcels[(parcels[cls] == "public").to_numpy()]
            flagged = set(parts[0].ref.tolist()) if parts else set()
            pub = pub[~pub["parcel_id"].astype(str).isin(flagged).to_numpy()]
            if len(pub) and self.buildings is not None and len(self.buildings):
                hit, _ = shapely.STRtree(self.buildings.geometry.values).query(pub.geometry.values, predicate="intersects")
                pub = pub[~np.isin(np.arange(len(pub)), hit)]
            if len(pub):
                ids = pub["parcel_id"].astype(str).to_numpy(dtype=object)
                parts.append(Candidates(anchors(pub.geometry.values), pub.geometry.values,
                                        np.full(len(pub), "parcel", dtype=object), ids,
                                        ("地块" + pd.Series(ids, dtype="string")).to_numpy(dtype=object),
                                        np.full(len(pub), "未建公共服务用地", dtype=object),
                                        shapely.area(pub.geometry.values), np.zeros(len(pub))))
        if not parts:
            return None
        out = Candidates.concat(parts)
        return out.take(np.flatnonzero(~np.isin(out.ref.astype(str), list(self.pocket_parcels))))

    def _anchors(self, geoms: np.ndarray, ids: np.ndarray | None) -> np.ndarray:
        """``anchor_points(geoms)``, taken from the run's building places (planner.analysis.
        common.BuildingPlaces: every building's anchor, computed once by the analyses) where a
        flag's geometry is its building's outline, coordinate for coordinate (``ids``: the
        flags' building ids); computed for the rest (a dense city's 0.9 M gap buildings' anchors
        were 18 s of its portfolio)."""
        from planner.analysis.common import PLACES, BuildingPlaces

        places = self.result.shared.get(PLACES) if hasattr(self.result, "shared") else None
        if (ids is None or not isinstance(places, BuildingPlaces) or self.buildings is None
                or len(places.points) != len(self.buildings)):
            return anchor_points(geoms)
        rows = self.building_rows(ids)
        same = np.flatnonzero(rows >= 0)
        same = same[shapely.equals_exact(geoms[same], np.asarray(places.geoms)[rows[same]], tolerance=0)]
        out = np.empty(len(geoms), dtype=object)
        out[same] = np.asarray(places.points)[rows[same]]
        rest = np.ones(len(geoms), dtype=bool)
        rest[same] = False
        if rest.any():
            out[rest] = anchor_points(geoms[rest])
        return out

    def _site_plan(self, layer: str, kind: str) -> _SitePlan | None:
        """The facility-site runs of ``layer``, planned with those of the other gap layers not
        planned yet (:data:`SITE_LAYERS`), so that their covers are measured together."""
        if (layer, kind) not in self._site_plans:
            todo = [(layer, kind)] + [(k, v) for k, v in SITE_LAYERS if k != layer and (k, v) not in self._site_plans]
            self._site_plans.update(self._plan_sites(todo))
        return self._site_plans.pop((layer, kind))

    def _plan_sites(self, layers: list[tuple[str, str]]) -> dict[tuple[str, str], _SitePlan | None]:
        """Per layer, per facility type and radius of its gap flags: the flags, the networks, the
        candidate sites (parcels before the ones an earlier run uses are left out) and the ticket
        of its cover in one :class:`~planner.portfolio.sites.SharedCover` for all the layers."""
        from planner.analysis.coverage import VEHICLE_SITES, driving_network
        from planner.portfolio.sites import (
            Candidates,
            SharedCover,
            feet,
            point_codes,
            road_candidates,
        )

        plans: dict[tuple[str, str], _SitePlan | None] = {(layer, kind): None for layer, kind in layers}
        frames = {layer: f for layer, _ in layers if (f := self.flags(layer)) is not None}
        found = self.network() if frames else None
        if found is None or found[0].n_nodes == 0:
            return plans
        walk_net, built = found
        drive_net: RoadNetwork | None = None
        opts = self.settings.sites
        parcels = self.parcel_candidates()
        road_ids = built["road_id"].astype(str).to_numpy(dtype=object)
        road_names = (built["name"].to_numpy(dtype=object) if "name" in built else np.full(len(built), None, dtype=object))
        # a gap building lacks several facility types, in both layers: its anchor is matched to
        # each network once (per distinct point), not once per type
        # (the flags of a building share its geometry object: each object's anchor is computed
        # once, not once per facility type it lacks)
        shapes = np.concatenate([np.asarray(f.geometry.values, dtype=object) for f in frames.values()])
        same, objects = pd.factorize(np.fromiter(map(id, shapes), dtype=np.int64, count=len(shapes)))
        one = np.zeros(len(objects), dtype=np.int64)
        one[same[::-1]] = np.arange(len(same))[::-1]
        sources = (np.concatenate([f["source_id"].to_numpy(dtype=object) for f in frames.values()])[one]
                   if all("source_id" in f for f in frames.values()) else None)
        anchor = self._anchors(shapes[one], sources)
        code, first = point_codes(anchor)
        distinct = anchor[first]
        code = code[same]
        del shapes, same, one, anchor
        at = np.cumsum([0] + [len(f) for f in frames.values()])
        codes = {layer: code[a:b] for layer, a, b in zip(frames, at[:-1], at[1:], strict=True)}
        attached: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        footed: dict[int, np.ndarray] = {}

        def attach(network: RoadNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            if id(network) not in attached:
                attached[id(network)] = network.attach(distinct)
            return attached[id(network)]

        def foot(network: RoadNetwork) -> np.ndarray:
            if id(network) not in footed:
                footed[id(network)] = feet(network, attach(network))
            return footed[id(network)]

        shared = SharedCover(distinct, attach)
        for layer, kind in layers:
            f = frames.get(layer)
            if f is None:
                continue
            t = self.settings.types[kind]
            radii = f["radius_m"].to_numpy(dtype=float)
            pairs = pd.DataFrame({"k": f["facility_type"].astype(str).to_numpy(dtype=object), "r": radii}).drop_duplicates()
            public = {k: t.public_of(k) for k in pairs["k"].tolist()}
            groups = sorted(zip(pairs["k"].tolist(), pairs["r"].tolist(), strict=True),
                            key=lambda k: (-public[k[0]], k[0], k[1]))
            runs = []
            for ftype, radius in groups:  # one greedy per facility type and radius (a dozen at most)
                mine = np.flatnonzero((f["facility_type"] == ftype).to_numpy() & (radii == radius))
                drives = "driving" in f and bool(f["driving"].iloc[mine].fillna(False).astype(bool).any())
                vehicle = kind != "service_facility" and ftype in VEHICLE_SITES
                if (drives or vehicle) and drive_net is None:
                    excluded = (getattr(self.result, "parameters", {}) or {}).get("coverage", {}).get(
                        "no_driving_classes", ["path"])
                    drive_net = driving_network(walk_net, built, list(excluded))
                net = drive_net if drives and drive_net is not None else walk_net
                site_net = drive_net if vehicle and drive_net is not None else net  # vehicles reach a bus stop's site
                site_m2 = t.site_m2_by_class.get(ftype, 1000.0)
                where = codes[layer][mine]
                dpts = distinct[where]
                parts, tiers = [], []
                if parcels is not None:
                    pc = parcels.take(np.flatnonzero(parcels.area >= site_m2))
                    if len(pc):  # straight distance is a lower bound of walking distance
                        near = np.unique(shapely.STRtree(dpts).query(pc.point, predicate="dwithin", distance=radius)[0])
                        pc = pc.take(near)
                        parts.append(pc)
                        tiers.append(np.zeros(len(pc), dtype=np.int64))
                spacing = max(float(opts.get("road_spacing_m", 60.0)), radius * float(opts.get("road_spacing_share", 0.2)))
                edge, t_along, off = attach(site_net)
                rc = road_candidates(site_net, dpts, spacing, site_m2, road_ids, road_names,
                                     attach=(edge[where], t_along[where], off[where]), foot=foot(site_net)[where])
                parts.append(rc)
                tiers.append(np.ones(len(rc), dtype=np.int64))
                cands = Candidates.concat(parts)
                runs.append(_SiteRun(ftype, radius, mine, net, cands, np.concatenate(tiers),
                                     shared.ask(net, radius, cands.point, where)))
            plans[(layer, kind)] = _SitePlan(f, runs, walk_net, built, shared)
        return plans

    def services(self, layer: str = "service_gap", kind: str = "service_facility") -> None:
        """One project per proposed site (greedy maximum coverage over network distance), per
        facility type and radius of the gap flags of ``layer``; flags ``driving`` are covered
        over the driving network (planner.analysis.coverage)."""
        from planner.portfolio.sites import UNNAMED_ROAD_SITE, choose_sites

        plan = self._site_plan(layer, kind)
        if plan is None:
            return
        walk_net, built = plan.walk_net, plan.built
        t = self.settings.types[kind]
        used: set[str] = set()
        rows: list[dict[str, np.ndarray]] = []
        geoms: list[np.ndarray] = []
        for run in plan.runs:
            ftype, radius, net = run.ftype, run.radius, run.net
            g = plan.flags.iloc[run.rows]
            hh = (pd.to_numeric(g["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
                  if "households" in g else np.zeros(len(g)))
            # no household data at all (the flags' households blank): the homes decide, and the
            # projects' households are unknown, not 0
            hh_known = "households" in g and bool(g["households"].notna().any())
            # a parcel an earlier run of this layer chose is no candidate any more
            keep = np.flatnonzero((run.tier != 0) | ~np.isin(run.candidates.ref.astype(str), list(used)))
            cands = run.candidates.take(keep)
            # households decide; a building without household data still counts a little
            picks = choose_sites(net, g.geometry.values, hh + 1e-3 if hh_known else np.ones(len(g)), cands, radius,
                                 tier=run.tier[keep], min_gain=self.settings.min_new_households(ftype, households_known=hh_known),
                                 cover=plan.shared.cover(run.ticket, keep))
            if not picks:
                continue
            chosen = np.array([p.candidate for p in picks], dtype=np.int64)
            site = cands.take(chosen).drawn()
            unnamed = np.flatnonzero((site.kind == "road") & (site.label == UNNAMED_ROAD_SITE))
            if len(unnamed):   # by the nearest named road or the district, never the road's id
                from planner.portfolio.places import place_labels

                site.label[unnamed] = (pd.Series(place_labels(
                    site.point[unnamed], np.full(len(unnamed), "", dtype=object), built,
                    lambda g: _district_names(g, self.boundary))) + "旁").to_numpy(dtype=object)
            used.update(site.ref[site.kind == "parcel"].astype(str).tolist())
            pick_of = np.repeat(np.arange(len(picks)), [len(p.covered) for p in picks])
            cov = np.concatenate([p.covered for p in picks])
            n = len(picks)
            new_hh = np.bincount(pick_of, weights=hh[cov], minlength=n) if hh_known else np.full(n, np.nan)
            new_b = np.bincount(pick_of, minlength=n)
            sev = pd.Series(g["severity"].to_numpy()[cov]).groupby(pick_of).max().reindex(range(n)).fillna(2).to_numpy()
            title = str(g["facility_title"].iloc[0]) if "facility_title" in g else ftype
            where = np.where(site.kind == "parcel", site.note.astype(str) + " " + site.ref.astype(str) + "（"
                             + np.round(site.area).astype(int).astype(str) + " m²）", site.note.astype(str))
            rows.append({
                "name": (pd.Series(site.label.astype(str)) + "新建" + title).to_numpy(dtype=object),
                "subtype": np.full(n, ftype, dtype=object), "buildings": new_b.astype(float), "households": new_hh,
                "parcel_area_m2": site.area.round(1), "quantity": np.ones(n), "estimated_cost": np.full(n, t.unit_cost(ftype)),
                "cost_basis": np.full(n, t.costs.get(ftype, ("", "assumption"))[1], dtype=object),
                "flags": _join_by_group(g["flag_id"].to_numpy(dtype=object)[cov], pick_of, n), "_severity": sev,
                "_public": np.full(n, t.public_of(ftype)),
                "building_ids": _join_by_group(g["source_id"].astype(str).to_numpy(dtype=object)[cov], pick_of, n),
                "parcel_ids": np.where(site.kind == "parcel", site.ref.astype(str), "").astype(object),
                "notes": ("选址：" + pd.Series(where) + "；新增覆盖"
                          + (pd.Series(np.round(np.nan_to_num(new_hh)).astype(int).astype(str)) + "户、" if hh_known
                             else pd.Series([""] * n))
                          + pd.Series(new_b.astype(str)) + "栋住宅" + ("" if hh_known else "（户数未知）")
                          + f"（{'车行' if net is not walk_net else '步行'}≤{radius:g} m）").to_numpy(dtype=object),
            })
            geoms.append(site.site)
        if not rows:
            return
        data = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
        # the same place name twice (two sites along one road): number them
        name = pd.Series(data["name"])
        dup = name.groupby(name).cumcount()
        data["name"] = name.where(dup == 0, name + "（" + (dup + 1).astype(str) + "）").to_numpy(dtype=object)
        self.add(kind, data, np.concatenate(geoms))

    def drainage(self) -> None:
        """排水防涝 projects, one per waterlogging point (planner.portfolio.drainage)."""
        from planner.portfolio.drainage import drainage_projects

        drainage_projects(self)

    def finish(self) -> gpd.GeoDataFrame:
        if not self.frames:
            return check_heritage(_empty(self.crs), self)
        df = pd.concat(self.frames, ignore_index=True)
        s = self.settings
        df["estimated_cost"] = df["estimated_cost"].astype(float).round(2)
        comp = score_components(df["households"], df["estimated_cost"], df["_severity"], df["_ease"], df["_public"], s)
        comp["score_need"], seismic = raise_need(df, comp["score_need"], self)  # policy 十三: 8° zones first
        for c, v in comp.items():
            df[c] = v
        df["status"] = "draft"
        df["flags"] = df["flags"].fillna("").astype(str)
        df["flag_count"] = df["flags"].str.count(",") + (df["flags"] != "").astype(int)
        df["notes"] = df["notes"].fillna("").astype(str)
        prefix = df["type"].map(TYPE_PREFIX)
        df["project_id"] = prefix + "-" + (df.groupby("type").cumcount() + 1).astype(str).str.zfill(4)
        df = df.drop(columns=["_severity", "_ease", "_public"])
        geoms = shapely.make_valid(np.asarray(df.pop("geometry").to_numpy(), dtype=object))
        out = gpd.GeoDataFrame(df[[c for c in COLUMNS if c in df]], geometry=gpd.GeoSeries(geoms, crs=self.crs),
                               crs=self.crs)
        if seismic is not None:
            out["seismic_intensity"] = seismic
        return score_projects(check_heritage(out, self), s)  # heritage conflicts and notes (HERITAGE_CONFLICT)


def score_components(households: npt.ArrayLike, cost: npt.ArrayLike, severity: npt.ArrayLike, ease: npt.ArrayLike,
                     public: npt.ArrayLike, settings: PortfolioSettings) -> dict[str, np.ndarray]:
    """The score's components, each 0..1 (portfolio.md: transparent, every component shown).

    ``score_public``: safety and public interest of the project's type and class (危房 and
    housing 1, public services high, market-run services such as convenience stores 0);
    ``score_need``: the severity of the flags covered (1..3 -> 1/3..1); ``score_residents``:
    households, log-scaled to 1 at ``scales.households_full``; ``score_cost``: cheaper first,
    log-scaled to 0 at ``scales.cost_full`` 万元; ``score_ease``: 先易后难, the type's ease.
    """
    sc = settings.scales
    hh = pd.to_numeric(pd.Series(households), errors="coerce").fillna(0).to_numpy(dtype=float)
    cost = pd.to_numeric(pd.Series(cost), errors="coerce").fillna(0).to_numpy(dtype=float)
    return {
        "score_public": np.clip(np.asarray(public, dtype=float), 0, 1).round(3),
        "score_need": np.clip(np.asarray(severity, dtype=float) / 3, 0, 1).round(3),
        "score_residents": np.clip(np.log1p(np.maximum(hh, 0)) / np.log1p(sc.get("households_full", 500)), 0, 1).round(3),
        "score_cost": (1 - np.clip(np.log1p(np.maximum(cost, 0)) / np.log1p(sc.get("cost_full", 10000)), 0, 1)).round(3),
        "score_ease": np.clip(np.asarray(ease, dtype=float), 0, 1).round(3),
    }


def safety_floor(flags: pd.Series) -> np.ndarray:
    """2 where a project removes whole-building danger (a D-grade flag, 整幢危房), 1 where it
    treats C-grade local danger, else 0; read from the flags it covers."""
    f = flags.fillna("").astype(str)
    return np.where(f.str.contains("UNSAFE_D:", regex=False), 2,
                    np.where(f.str.contains("UNSAFE_C:", regex=False), 1, 0)).astype(np.int64)


def score_projects(frame: gpd.GeoDataFrame, settings: PortfolioSettings) -> gpd.GeoDataFrame:
    """Priority score, phase and rank from the score components and the safety floor.

    The one scoring function (build, :func:`rescore` and projects made by hand all use it).

    Parameters
    ----------
    frame : GeoDataFrame
        Projects with ``score_public``, ``score_need``, ``score_residents``, ``score_cost``,
        ``score_ease`` (a missing component counts 0) and ``flags``.
    settings : PortfolioSettings
        Weights (normalised here; a component without a weight weighs 0) and phases.

    Returns
    -------
    GeoDataFrame
        A copy with ``priority_score`` (0-100: 100 x the weighted mean of the components),
        ``phase`` and ``priority_rank`` (1 = first). Safety first (the policy's 底线): a
        project removing a D-grade building is always in the first phase, a C-grade one no
        later than the second; otherwise the score's phase. The rank orders by phase, then
        safety (D, C), then score.
    """
    from planner.portfolio.settings import COMPONENTS

    out = frame.copy()
    w = settings.normalised_weights()
    score = np.zeros(len(out))
    for k in COMPONENTS:
        col = f"score_{k}"
        if col in out:
            score += w[k] * pd.to_numeric(out[col], errors="coerce").fillna(0).to_numpy(dtype=float)
    out["priority_score"] = np.round(100 * score, 1)
    names = [p[0] for p in settings.phases]
    mins = np.array([p[1] for p in settings.phases], dtype=float)  # highest first
    idx = np.minimum((out["priority_score"].to_numpy()[:, None] < mins[None, :]).sum(axis=1), len(names) - 1)
    floor = safety_floor(out["flags"]) if "flags" in out else np.zeros(len(out), dtype=np.int64)
    idx = np.where(floor == 2, 0, np.where(floor == 1, np.minimum(idx, min(1, len(names) - 1)), idx))
    out["phase"] = np.asarray(names, dtype=object)[idx] if len(out) else pd.Series(dtype=object)
    order = np.lexsort((out["project_id"].astype(str).to_numpy() if "project_id" in out else np.zeros(len(out)),
                        -out["priority_score"].to_numpy(), -floor, idx))
    rank = np.empty(len(out), dtype=np.int64)
    rank[order] = np.arange(1, len(out) + 1)
    out["priority_rank"] = rank
    return out


def rescore(projects: gpd.GeoDataFrame, settings: PortfolioSettings) -> gpd.GeoDataFrame:
    """Recompute scores, phases and ranks after the weights changed (components stay as they are)."""
    return score_projects(projects, settings)


def build_portfolio(ws: Workspace, result: RunResult, *, settings: PortfolioSettings | None = None) -> gpd.GeoDataFrame:
    """The draft portfolio for a run's flags."""
    b = _Builder(ws, result, settings or load_settings())
    b.housing()
    b.land()
    b.idle_buildings()
    b.roads()
    b.services()
    b.services("coverage_gap", "coverage_facility")  # transport and safety facility sites (issue 15)
    b.drainage()  # 排水防涝: one project per waterlogging point (issue 15)
    return b.finish()
