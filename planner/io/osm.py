"""OpenStreetMap extracts (.osm XML, .osm.pbf) as buildings and facilities.

GDAL's OSM driver hands over ``points`` (tagged nodes), ``lines`` and ``multipolygons`` (closed
ways with area tags, and multipolygon relations), with a few keys as columns and every other tag
in ``other_tags`` (hstore text). Roads are read by :func:`planner.io.readers.read_vector` (the
``lines`` with a ``highway`` tag). Here:

* **buildings**: the ``multipolygons`` with a ``building`` tag (not ``building=no``). OSM says
  little of what the renewal checks need, and nothing is invented: ``use`` comes from the
  building's own tags only (``building:use``, ``building``, else ``amenity``/``shop``/``office``
  on the same outline; ``building=yes`` says nothing and leaves the use empty), ``floors`` from
  ``building:levels``, ``height`` from ``height``, ``year_built`` from ``start_date``, and
  ``compound`` is the name of the named ``landuse=residential`` area (a 小区 as Chinese OSM maps
  it) holding the building. There are no households, safety grades, structures, elevators or
  vacancy rates in OSM: those fields stay missing and the checks that need them say they
  skipped.
* **facilities**: tagged nodes and areas whose tags mean one of the catalogue's facility types
  (``layers/domains/facility_type.toml``); the table :data:`FACILITY_TAGS` gives each rule and
  where it comes from. A facility type the extract holds none of is named in a warning: a gap
  for that type is a gap in the map's data before it is one in the city.

Identifiers are OSM's own (``node/123``, ``way/456``, ``relation/789``), so a planner can look a
feature up on openstreetmap.org. © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from planner.errors import InputError
from planner.io.sources import Source, gdal_path

# ---------------------------------------------------------------------------------------------
# Building use (layers/domains/building_use.toml keys) from OSM's building values.
# Source: OSM wiki "Key:building" (building types: accommodation, commercial, civic/amenity,
# other) and "Key:building:use"; only values whose meaning is unambiguous are mapped.
OSM_BUILDING_USE: dict[str, str] = {
    # "Accommodation" buildings of Key:building.
    **dict.fromkeys(["residential", "apartments", "house", "detached", "semidetached_house", "terrace",
                     "dormitory", "bungalow", "farm", "cabin", "houseboat", "static_caravan"], "residential"),
    # "Commercial" buildings.
    **dict.fromkeys(["commercial", "retail", "supermarket", "kiosk", "hotel", "shop", "mall"], "commercial"),
    "office": "office",
    **dict.fromkeys(["industrial", "warehouse", "manufacture", "factory", "depot"], "industrial"),
    # "Civic/amenity" buildings and those of public transport.
    **dict.fromkeys(["public", "civic", "government", "school", "kindergarten", "university", "college",
                     "hospital", "train_station", "transportation", "fire_station", "sports_hall", "stadium",
                     "museum", "library", "community_centre", "townhall"], "public"),
    # "Other" buildings: garages, roofs, sheds, service buildings, car parks.
    **dict.fromkeys(["garage", "garages", "carport", "roof", "shed", "hut", "service", "parking", "toilets",
                     "bridge", "greenhouse"], "other"),
}
# Building use from tags of the same outline where the building value says nothing (building=yes):
# OSM wiki "Key:amenity" (education, healthcare, public service), "Key:shop", "Key:office".
AMENITY_USE = {**dict.fromkeys(["school", "kindergarten", "university", "college", "hospital", "clinic",
                                "library", "townhall", "community_centre", "fire_station", "police"], "public")}

# ---------------------------------------------------------------------------------------------
# Facility types (layers/domains/facility_type.toml keys) from OSM tags: (key, values, type, basis).
# The first rule that matches a feature decides its type. Tag meanings: OSM wiki pages of each
# key (Key:amenity, Key:shop, Key:leisure, Key:healthcare, Key:emergency, Key:highway,
# Key:public_transport, Tag:amenity=social_facility). The GB 50180-2018 type each serves is our
# reading of the standard's list of facilities of the 5-, 10- and 15-minute circles.
FACILITY_TAGS: list[tuple[str, tuple[str, ...], str, str]] = [
    ("amenity", ("kindergarten",), "kindergarten", "Tag:amenity=kindergarten (幼儿园, pre-school)"),
    ("amenity", ("childcare",), "nursery", "Tag:amenity=childcare (托育)"),
    ("healthcare", ("clinic", "doctor", "centre"), "clinic", "Key:healthcare"),
    ("amenity", ("clinic", "doctors"), "clinic", "Tag:amenity=clinic / doctors (卫生服务站, 诊所)"),
    # A hospital serves at least what a community health centre (社区卫生服务中心) does.
    ("amenity", ("hospital",), "health_centre", "Tag:amenity=hospital"),
    ("healthcare", ("hospital",), "health_centre", "Key:healthcare"),
    ("amenity", ("marketplace",), "market", "Tag:amenity=marketplace (菜市场, 农贸市场)"),
    # A supermarket or greengrocer sells fresh food: the standard's 生鲜超市.
    ("shop", ("supermarket", "greengrocer"), "market", "Tag:shop=supermarket / greengrocer (生鲜超市)"),
    ("shop", ("convenience",), "convenience_store", "Tag:shop=convenience (便利店)"),
    ("amenity", ("nursing_home",), "elderly_care", "Tag:amenity=nursing_home (deprecated for social_facility)"),
    ("social_facility", ("nursing_home", "assisted_living"), "elderly_care", "Tag:amenity=social_facility"),
    ("social_facility:for", ("senior",), "elderly_care", "Tag:amenity=social_facility (for=senior: 日间照料)"),
    ("amenity", ("community_centre", "social_centre"), "community_service",
     "Tag:amenity=community_centre (社区服务中心)"),
    ("leisure", ("sports_centre", "fitness_centre", "fitness_station", "pitch", "track", "stadium"), "fitness",
     "Key:leisure (运动场, 健身设施)"),
    # Public green: leisure=park, and gardens open to the public (a compound's garden is private).
    ("leisure", ("park", "garden"), "park", "Tag:leisure=park / garden"),
    ("amenity", ("arts_centre", "library", "community_hall"), "culture", "Tag:amenity=arts_centre / library (文化活动中心)"),
    ("highway", ("bus_stop",), "bus_stop", "Tag:highway=bus_stop"),
    ("amenity", ("bus_station",), "bus_stop", "Tag:amenity=bus_station"),
    ("amenity", ("parking",), "parking", "Tag:amenity=parking (公共停车场 where access is not private)"),
    ("amenity", ("charging_station",), "charging", "Tag:amenity=charging_station"),
    ("emergency", ("assembly_point",), "shelter", "Tag:emergency=assembly_point (应急避难场所)"),
    ("amenity", ("fire_station",), "fire_station", "Tag:amenity=fire_station"),
]
# public_transport=platform / stop_position with bus=yes is a bus stop too (Key:public_transport,
# the PTv2 scheme); handled beside the table since it needs two tags.
# Types whose private features serve no one else (access=private/no): a car park, a charger, a
# pitch or a garden behind a gate is not public (OSM wiki Key:access).
PUBLIC_ONLY = {"parking", "charging", "fitness", "park"}
# Chinese names that say the type where no tag does (common 社区 facilities mapped only by name,
# e.g. a building named 某某社区居民委员会): name fragment -> type, the first match decides.
NAME_TYPES: list[tuple[str, str]] = [
    ("社区卫生服务中心", "health_centre"), ("社区卫生服务站", "clinic"), ("卫生服务站", "clinic"),
    ("幼儿园", "kindergarten"), ("托育", "nursery"), ("托儿所", "nursery"),
    ("养老院", "elderly_care"), ("敬老院", "elderly_care"), ("日间照料", "elderly_care"), ("养老服务", "elderly_care"),
    ("社区服务", "community_service"), ("居民委员会", "community_service"), ("居委会", "community_service"),
    ("党群服务", "community_service"), ("菜市场", "market"), ("农贸市场", "market"),
    ("文化活动", "culture"), ("文化站", "culture"), ("消防救援站", "fire_station"), ("消防站", "fire_station"),
    ("避难场所", "shelter"),
]
# The tags read (as columns where GDAL's default osmconf.ini gives them, else from other_tags).
_FACILITY_KEYS = ("amenity", "shop", "leisure", "healthcare", "social_facility", "social_facility:for", "emergency",
                  "highway", "public_transport", "bus", "access", "isced:level", "building", "landuse")
_BUILDING_KEYS = ("building", "building:use", "building:levels", "height", "start_date", "amenity", "shop", "office",
                  "tourism", "landuse")
# Key:tourism values that are lodging businesses (commercial buildings where building=yes).
TOURISM_USE = dict.fromkeys(["hotel", "motel", "hostel", "guest_house", "apartment"], "commercial")


def osm_tags(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The values of ``keys`` per feature (None where absent): GDAL's column of that name where
    there is one, else the key's value in ``other_tags`` (hstore: "k"=>"v", quotes escaped)."""
    other = (frame["other_tags"].astype("string") if "other_tags" in frame
             else pd.Series(pd.NA, index=frame.index, dtype="string"))
    out: dict[str, pd.Series] = {}
    for key in keys:
        pattern = rf'(?:^|,)"{re.escape(key)}"=>"((?:[^"\\]|\\.)*)"'
        parsed = other.str.extract(pattern, expand=False).str.replace(r'\\(.)', r"\1", regex=True)
        if key in frame.columns:
            direct = frame[key].astype("string")
            parsed = direct.where(direct.notna(), parsed)
        out[key] = parsed.str.strip().replace("", pd.NA)
    return pd.DataFrame(out, index=frame.index)


def _read_layer(source: Source, layer: str, where: str | None = None) -> tuple[gpd.GeoDataFrame, int]:
    """One layer of GDAL's OSM driver; areas whose rings GDAL cannot close (an outline cut by the
    extract's edge) come back without geometry and are counted, not fatal."""
    kwargs: dict[str, Any] = {"layer": layer, "use_arrow": True, "on_invalid": "ignore"}
    if where:
        kwargs["where"] = where
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "Non closed ring detected": counted below
            frame = pyogrio.read_dataframe(gdal_path(source), **kwargs)
    except Exception as exc:
        raise InputError(f"the OpenStreetMap file cannot be read ({exc}).", file=str(source.path), layer=layer,
                         hint="check that the file is a complete .osm or .osm.pbf extract (e.g. export it "
                              "again from openstreetmap.org or cut it with osmium).") from None
    broken = shapely.is_missing(np.asarray(frame.geometry.values))
    if broken.any():
        frame = frame.loc[~broken]
    return frame.reset_index(drop=True), int(broken.sum())


def _osm_ids(frame: pd.DataFrame, kind: str) -> np.ndarray:
    """node/N for points; way/N or relation/N for GDAL's multipolygons (osm_way_id or osm_id)."""
    if kind == "points":
        nodes: np.ndarray = ("node/" + frame["osm_id"].astype("string")).to_numpy(dtype=object)
        return nodes
    way = frame["osm_way_id"].astype("string") if "osm_way_id" in frame else pd.Series(pd.NA, index=frame.index)
    rel = frame["osm_id"].astype("string") if "osm_id" in frame else pd.Series(pd.NA, index=frame.index)
    ids: np.ndarray = ("way/" + way).where(way.notna(), "relation/" + rel).to_numpy(dtype=object)
    return ids


def _count_text(counts: pd.Series) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def read_osm_buildings(source: Source) -> tuple[gpd.GeoDataFrame, list[str], list[str]]:
    """(frame, notes, warnings) of the buildings of an OSM extract; see the module's text."""
    areas, broken = _read_layer(source, "multipolygons", "building IS NOT NULL OR landuse = 'residential'")
    tags = osm_tags(areas, _BUILDING_KEYS)
    is_building = tags["building"].notna() & ~tags["building"].str.lower().isin(["no"])
    b, bt = areas.loc[is_building.to_numpy()].reset_index(drop=True), tags.loc[is_building].reset_index(drop=True)
    notes: list[str] = []
    warns: list[str] = []
    label = source.label()
    if broken:
        notes.append(f"{broken} OpenStreetMap area(s) whose outline does not close in the extract (cut at its "
                     "edge) were left out")
    if len(b) == 0:
        warns.append(f"{label}: the OpenStreetMap extract holds no building outlines (building=*); the checks of "
                     "buildings find nothing here")
    value = bt["building:use"].fillna(bt["building"]).str.lower()
    use = value.map(OSM_BUILDING_USE)
    # Else the outline's amenity (AMENITY_USE), tourism (TOURISM_USE), shop (commercial) or office tag.
    from_tags = (bt["amenity"].str.lower().map(AMENITY_USE)
                 .fillna(bt["tourism"].str.lower().map(TOURISM_USE))
                 .fillna(bt["shop"].notna().map({True: "commercial", False: None}))
                 .fillna(bt["office"].notna().map({True: "office", False: None})))
    use = use.where(use.notna(), from_tags)
    levels = bt["building:levels"]
    height = pd.to_numeric(bt["height"].str.extract(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(?:m|米)?\s*$",
                                                    expand=False), errors="coerce")
    start = bt["start_date"].fillna("")
    year = start.str.extract(r"^\s*~?\s*(\d{4})(?!s)", expand=False)
    decade = start.str.extract(r"^\s*~?\s*(\d{3}0)s\b", expand=False)
    year = year.where(year.notna(), decade + "年代")
    frame = gpd.GeoDataFrame({
        "building_id": _osm_ids(b, "areas"),
        "name": b["name"].astype("string").to_numpy(dtype=object) if "name" in b else None,
        "use": use.to_numpy(dtype=object),
        "floors": levels.to_numpy(dtype=object),
        "height": height.to_numpy(dtype="float64"),
        "year_built": year.to_numpy(dtype=object),
        "osm_building": bt["building"].to_numpy(dtype=object),
    }, geometry=b.geometry.values, crs=areas.crs)
    compounds = areas.loc[tags["landuse"].isin(["residential"]).to_numpy() & areas["name"].notna().to_numpy()
                          if "name" in areas else np.zeros(len(areas), dtype=bool)]
    frame["compound"] = None
    if len(compounds) and len(frame):
        # The named residential area holding each building's inside point (the smallest where several do).
        pts = shapely.point_on_surface(np.asarray(frame.geometry.values))
        cgeoms = np.asarray(compounds.geometry.values)
        tree = shapely.STRtree(cgeoms)
        bi, ci = tree.query(pts, predicate="within")
        if len(bi):
            order = np.lexsort((shapely.area(cgeoms[ci]), bi))
            bi, ci = bi[order], ci[order]
            first = np.r_[True, bi[1:] != bi[:-1]]
            names = compounds["name"].to_numpy(dtype=object)
            frame.loc[bi[first], "compound"] = names[ci[first]]
    n = len(frame)
    if len(compounds):
        # Named residential areas (小区) without one building outline inside: OSM maps the compound
        # but not its housing, so the housing checks cannot see it.
        inside = np.zeros(len(compounds), dtype=bool)
        if n:
            hit, _ = shapely.STRtree(np.asarray(frame.geometry.values)).query(
                np.asarray(compounds.geometry.values), predicate="intersects")
            inside[np.unique(hit)] = True
        if (~inside).any():
            names = compounds["name"].to_numpy(dtype=object)[~inside]
            shown = "、".join(map(str, names[:5])) + ("…" if len(names) > 5 else "")
            warns.append(f"{label}: {len(names)} of {len(compounds)} named residential areas (landuse=residential, "
                         f"e.g. {shown}) hold no building outline in OpenStreetMap: their housing is not on the map, "
                         "so no check sees it; load the city's building survey for them")
    if n and frame["compound"].notna().any():
        with_homes = set(frame.loc[(use == "residential").to_numpy(), "compound"].dropna())
        untagged = sorted(set(frame["compound"].dropna()) - with_homes)
        if untagged:
            shown = "、".join(untagged[:5]) + ("…" if len(untagged) > 5 else "")
            warns.append(f"{label}: in {len(untagged)} named residential areas (e.g. {shown}) no building outline is "
                         "tagged as housing (building=yes or another use): they are not checked as homes; tag them "
                         "building=residential / apartments, or load the city's building survey")
    if n:
        known = use.notna()
        counts = use.value_counts()
        notes.append(
            f"OpenStreetMap buildings: use from their own tags for {int(known.sum())} of {n} ({_count_text(counts)}); "
            f"{n - int(known.sum())} are tagged building=yes or another value that says no use, and stay without "
            "one (no check treats them as housing)")
        notes.append(f"storeys (building:levels) for {int(levels.notna().sum())} of {n}, height for "
                     f"{int(height.notna().sum())}, year built (start_date) for {int(year.notna().sum())}, "
                     f"compound (the named landuse=residential area holding the building) for "
                     f"{int(frame['compound'].notna().sum())}")
        warns.append(f"{label}: OpenStreetMap has no households, safety grades, structures, elevators or vacancy "
                     "rates: the checks that need them (unsafe housing, elevators, precast slabs, idle buildings, "
                     "households served) have nothing to go on for these buildings; load the city's building survey "
                     "for them")
    return frame, notes, warns


def _facility_rows(frame: pd.DataFrame, tags: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(type, the tag or name that gave it) per feature (None where none), by FACILITY_TAGS,
    the public-transport bus rule, then NAME_TYPES."""
    n = len(frame)
    ftype = np.full(n, None, dtype=object)
    basis = np.full(n, None, dtype=object)
    lower = {k: tags[k].str.lower() for k in tags.columns}
    private = lower["access"].isin(["private", "no"]).to_numpy()

    def assign(mask: np.ndarray, value: str, why: np.ndarray | str) -> None:
        free = mask & (ftype == None)  # noqa: E711  (object array: elementwise)
        ftype[free] = value
        basis[free] = why[free] if isinstance(why, np.ndarray) else why

    for key, values, kind, _ in FACILITY_TAGS:
        col = lower[key]
        hit = col.isin(values).to_numpy()
        if kind in PUBLIC_ONLY:
            hit = hit & ~private
        if kind == "park" and "garden" in values:  # a garden is public only when it says so or is not private
            hit = hit & ~(col.isin(["garden"]).to_numpy() & lower["access"].isin(["private", "no", "customers"]).to_numpy())
        assign(hit, kind, (key + "=" + col.fillna("")).to_numpy(dtype=object))
    bus = lower["bus"].isin(["yes"]).to_numpy() & lower["public_transport"].isin(["platform", "stop_position"]).to_numpy()
    assign(bus, "bus_stop", "public_transport=" + lower["public_transport"].fillna("").to_numpy(dtype=object) + " + bus=yes")
    # Schools: amenity=school is a primary or a middle school by its ISCED level or its name; a
    # school that says neither (九年一贯制, 学校) counts as both (handled by the caller).
    school = lower["amenity"].isin(["school"]).to_numpy() & (ftype == None)  # noqa: E711
    name = frame["name"].astype("string").fillna("") if "name" in frame else pd.Series("", index=frame.index)
    level = lower["isced:level"].fillna("")
    primary = (name.str.contains("小学") | level.str.fullmatch(r"1|0;1|1;0")).to_numpy(dtype=bool)
    middle = (name.str.contains("中学|初中|初级中学") | level.str.contains("2")).to_numpy(dtype=bool)
    ftype[school & primary & ~middle] = "primary_school"
    ftype[school & middle & ~primary] = "middle_school"
    ftype[school & (primary == middle)] = "primary_school+middle_school"
    basis[school] = "amenity=school"
    # Names, only for features that are not homes or land-use areas.
    homes = lower["building"].isin(["residential", "apartments", "house", "dormitory"]).to_numpy() | \
        lower["landuse"].notna().to_numpy()
    for fragment, kind in NAME_TYPES:
        hit = name.str.contains(fragment, regex=False).to_numpy(dtype=bool) & ~homes
        assign(hit, kind, f"name contains {fragment}")
    return ftype, basis


def read_osm_facilities(source: Source) -> tuple[gpd.GeoDataFrame, list[str], list[str]]:
    """(frame, notes, warnings) of the facilities of an OSM extract: tagged nodes and areas."""
    parts = []
    broken_total = 0
    for layer in ("points", "multipolygons"):
        frame, broken = _read_layer(source, layer)
        broken_total += broken
        tags = osm_tags(frame, _FACILITY_KEYS)
        ftype, basis = _facility_rows(frame, tags)
        keep = ftype != None  # noqa: E711
        if not keep.any():
            continue
        kind = "points" if layer == "points" else "areas"
        part = gpd.GeoDataFrame({
            "facility_id": _osm_ids(frame, kind)[keep],
            "name": (frame["name"].astype("string").to_numpy(dtype=object)[keep] if "name" in frame
                     else np.full(int(keep.sum()), None, dtype=object)),
            "type": ftype[keep], "osm_tag": basis[keep],
        }, geometry=np.asarray(frame.geometry.values)[keep], crs=frame.crs)
        parts.append(part)
    if parts:
        out = pd.concat(parts, ignore_index=True)
    else:
        out = gpd.GeoDataFrame({"facility_id": [], "name": [], "type": [], "osm_tag": []},
                               geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    # A school of no stated level serves both circles: one facility of each type.
    both = out["type"] == "primary_school+middle_school"
    if both.any():
        twin = out.loc[both].copy()
        out.loc[both, "type"] = "primary_school"
        twin["type"] = "middle_school"
        twin["facility_id"] = twin["facility_id"] + "#middle_school"  # one id per facility row
        out = pd.concat([out, twin], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=out.crs)
    notes: list[str] = []
    warns: list[str] = []
    label = source.label()
    if broken_total:
        notes.append(f"{broken_total} OpenStreetMap area(s) whose outline does not close in the extract (cut at "
                     "its edge) were left out")
    counts = out["type"].value_counts()
    notes.append(f"OpenStreetMap facilities by their tags (planner/io/osm.py FACILITY_TAGS) and, where no tag says, "
                 f"by Chinese names: {_count_text(counts) or 'none'}; a school that gives no level counts as a "
                 f"primary and a middle school ({int(both.sum())})")
    from planner.catalogue import default_catalogue

    domain = default_catalogue().domains["facility_type"]
    absent = [v.key for v in domain.values if v.key not in counts.index]
    if absent:
        warns.append(f"{label}: the OpenStreetMap extract maps no {', '.join(absent)}: the service and coverage gaps "
                     "of those types show what the map lacks as much as what the city lacks; add the city's "
                     "facility list (POI table) before relying on them")
    return out, notes, warns
