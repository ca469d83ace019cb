"""Buildings and facilities read from real OpenStreetMap extracts (issue 15 on real data).

Two extracts in tests/data (© OpenStreetMap contributors, ODbL 1.0; THIRD_PARTY_NOTICES.md):
Hefei 包河区 (a 3 x 3 km XML extract: 9 building outlines, none residential, a handful of
facilities) and Beijing 亦庄 (a PBF extract: 2,600 building outlines, 770 of them tagged as
housing, 350 facilities). What the reader makes of them is checked against the raw tags, read
here independently (ElementTree for the XML, GDAL's other_tags for the PBF); the living-circle
gaps on Beijing are checked against straight-line distances (a walk over the network is never
shorter than the straight line); and what OSM lacks must be said, never turned into findings.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from planner.catalogue import default_catalogue
from planner.feedback import Feedback
from planner.io.loading import harmonise
from planner.io.readers import read_vector
from planner.io.sources import parse_source
from planner.pipeline import analyse, load_inputs
from planner.project import InputConfig, RunConfig

from .conftest import OSM_FILE, TEST_DATA

HOUSING = {"residential", "apartments", "house", "detached", "semidetached_house", "terrace", "dormitory",
           "bungalow", "farm", "cabin", "houseboat", "static_caravan"}


def xml_elements(path) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, id, tags) of every node, way and relation of an OSM XML file."""
    out = []
    for el in ET.parse(path).getroot():
        if el.tag in ("node", "way", "relation"):
            out.append((el.tag, el.get("id"), {t.get("k"): t.get("v") for t in el.findall("tag")}))
    return out


def raw_tag(frame: pd.DataFrame, key: str) -> pd.Series:
    """A tag's value per GDAL feature: its column, else parsed from other_tags."""
    if key in frame:
        return frame[key].astype("string")
    other = frame["other_tags"].astype("string").fillna("")
    return other.str.extract(rf'"{re.escape(key)}"=>"([^"]*)"', expand=False)


# ---------------------------------------------------------------------------------------------
# Hefei: almost no buildings in OSM. Read as it is, and nothing invented.

def test_hefei_buildings_are_the_extracts_outlines_and_none_is_made_housing():
    elements = xml_elements(OSM_FILE)
    outlines = {f"{k}/{i}": t for k, i, t in elements if k in ("way", "relation") and t.get("building", "no") != "no"}
    raw = read_vector(parse_source(OSM_FILE), role="buildings")
    loaded = harmonise(raw, "buildings", default_catalogue(), raw.frame.crs)
    frame = loaded.frame
    assert set(frame["building_id"]) == set(outlines) and len(frame) == 9
    by_id = frame.set_index("building_id")
    for osm_id, tags in outlines.items():
        use = by_id.loc[osm_id, "use"]
        if tags["building"] == "industrial":
            assert use == "industrial"
        if tags["building"] == "yes" and not ({"amenity", "shop", "office", "tourism"} & set(tags)):
            assert use is None or use != use, (osm_id, use)  # building=yes says no use
    assert not (frame["use"] == "residential").any()
    # What OSM lacks is said once, in words, and the fields stay missing (no zeros invented).
    assert {"households", "safety_grade", "structure", "has_elevator", "vacancy_rate"} <= set(
        loaded.report.missing_fields)
    assert any("no households" in w and "survey" in w for w in loaded.report.warnings)
    assert not loaded.report.parse_failures
    # The extract maps 15 named compounds (landuse=residential) without one building in them: said.
    compounds = [t["name"] for k, _, t in elements if t.get("landuse") == "residential" and t.get("name")]
    said = next(w for w in loaded.report.warnings if "named residential areas" in w)
    assert f"{len(compounds)} of {len(compounds)} named residential areas" in said and compounds[0] in said


def test_hefei_facilities_follow_their_tags_and_the_missing_types_are_named():
    elements = xml_elements(OSM_FILE)
    raw = read_vector(parse_source(OSM_FILE), role="facilities")
    loaded = harmonise(raw, "facilities", default_catalogue(), raw.frame.crs)
    f = loaded.frame.set_index("facility_id")
    bus = {f"node/{i}" for k, i, t in elements if k == "node" and t.get("highway") == "bus_stop"}
    parks = {f"{k}/{i}" for k, i, t in elements if t.get("leisure") == "park"}
    hospitals = {f"{k}/{i}" for k, i, t in elements if t.get("amenity") == "hospital"}
    assert bus and parks and hospitals
    assert set(f.index[f["type"] == "bus_stop"]) == bus
    assert set(f.index[f["type"] == "park"]) == parks
    assert set(f.index[f["type"] == "health_centre"]) == hospitals
    # The residents' committee is mapped only by its name: 社区居民委员会 -> community service.
    committee = [f"way/{i}" for k, i, t in elements if k == "way" and "居民委员会" in t.get("name", "")]
    assert committee and (f.loc[committee, "type"] == "community_service").all()
    assert f.loc[committee[0], "osm_tag"] == "name contains 居民委员会"
    # Every facility is one of the catalogue's types, and no subway stop became a bus stop.
    assert set(f["type"]) <= {v.key for v in default_catalogue().domains["facility_type"].values}
    subway = {f"node/{i}" for k, i, t in elements if t.get("railway") == "stop"}
    assert subway and not (subway & set(f.index))
    warning = next(w for w in loaded.report.warnings if "maps no" in w)
    for missing in ("kindergarten", "primary_school", "clinic", "elderly_care", "fire_station"):
        assert missing in warning


@pytest.mark.slow
def test_hefei_run_says_there_is_no_housing_to_check_and_flags_no_service_gap():
    cfg = RunConfig(name="合肥包河", inputs={r: InputConfig(r, str(OSM_FILE)) for r in ("roads", "buildings", "facilities")},
                    as_of=dt.date(2026, 6, 30))
    ws = load_inputs(cfg, Feedback())
    result = analyse(ws, cfg, Feedback())
    counts = result.counts_by_code()
    for code in ("SERVICE_GAP", "BUS_STOP_GAP", "PARKING_GAP", "CHARGING_GAP", "OLD_HOUSING", "UNSAFE_D",
                 "ELEVATOR_RETROFIT", "PRECAST_SLAB", "IDLE_BUILDING"):
        assert counts.get(code, 0) == 0, code
    assert any("living-circle gaps: not assessed" in m and "residential use" in m for m in result.messages)
    assert any("coverage: not assessed" in m and "residential use" in m for m in result.messages)
    assert "vacancy_rate" in result.skipped["idle_buildings"]
    assert counts.get("DEAD_END", 0) > 0  # the roads are real and still checked


# ---------------------------------------------------------------------------------------------
# Beijing 亦庄: enough housing and facilities to judge the living-circle gaps.

@pytest.fixture(scope="module")
def beijing(tmp_path_factory):
    path = tmp_path_factory.mktemp("osm") / "beijing_yizhuang.osm.pbf"
    shutil.copyfile(TEST_DATA / "beijing_yizhuang.osm.pbf", path)
    cfg = RunConfig(name="北京亦庄", inputs={r: InputConfig(r, str(path)) for r in ("roads", "buildings", "facilities")},
                    as_of=dt.date(2026, 6, 30))
    ws = load_inputs(cfg, Feedback())
    return path, ws, analyse(ws, cfg, Feedback())


@pytest.mark.slow
def test_beijing_housing_is_what_osm_tags_as_housing(beijing):
    path, ws, _ = beijing
    raw = pyogrio.read_dataframe(path, layer="multipolygons", on_invalid="ignore")
    raw = raw[raw["building"].notna()]
    ids = np.where(raw["osm_way_id"].notna(), "way/" + raw["osm_way_id"].astype("string"),
                   "relation/" + raw["osm_id"].astype("string"))
    # What the outline says it is: building:use where given, else the building value.
    said = pd.Series(raw_tag(raw, "building:use").fillna(raw["building"]).str.lower().to_numpy(), index=ids)
    b = ws.layers["buildings"].frame
    housing = b.loc[b["use"] == "residential", "building_id"].to_numpy()
    assert len(housing) > 700 and len(b) > 2500
    # Every residential building is tagged as housing in OSM, and every housing tag is residential.
    assert said.loc[housing].isin(HOUSING).all()
    assert set(said.index[said.isin(HOUSING)]) & set(b["building_id"]) == set(housing)
    # Storeys come from building:levels as written.
    levels = pd.to_numeric(pd.Series(raw_tag(raw, "building:levels").to_numpy(), index=ids), errors="coerce")
    with_floors = b[b["floors"].notna()]
    assert len(with_floors) > 300
    assert np.array_equal(with_floors["floors"].to_numpy(dtype=float),
                          levels.loc[with_floors["building_id"].to_numpy()].to_numpy(dtype=float))
    # The compound is the named residential area the building stands in.
    areas = pyogrio.read_dataframe(path, layer="multipolygons", on_invalid="ignore",
                                   where="landuse = 'residential' AND name IS NOT NULL").to_crs(ws.working_crs)
    named = b[b["compound"].notna()]
    assert len(named) > 1000
    pts = shapely.point_on_surface(np.asarray(named.geometry.values))
    by_name = {n: shapely.union_all(g.geometry.values) for n, g in areas.groupby("name")}
    inside = [shapely.within(p, by_name[n]) for p, n in zip(pts, named["compound"], strict=True)]
    assert np.mean(inside) > 0.99  # the same points, reprojected: a few on a shared edge may fall out
    # Compounds whose housing OSM does not show are named, so a planner knows what the gaps leave out.
    warnings = ws.layers["buildings"].report.warnings
    assert any("hold no building outline" in w for w in warnings)
    assert any("no building outline is tagged as housing" in w for w in warnings)


@pytest.mark.slow
def test_beijing_service_gaps_are_never_shorter_than_the_straight_line(beijing):
    _, ws, result = beijing
    b = ws.layers["buildings"].frame
    f = ws.layers["facilities"].frame
    gaps = result.flags["service_gap"]
    housing = b[b["use"].isin(["residential", "mixed"])].set_index("building_id")
    assert set(gaps["source_id"]) <= set(housing.index)
    radii = default_catalogue().facility_radii()
    checked = 0
    for ftype in ("kindergarten", "primary_school", "middle_school", "market", "fitness", "park", "health_centre"):
        fac = np.asarray(f.loc[f["type"] == ftype].geometry.values)
        assert len(fac), ftype
        tree = shapely.STRtree(fac)
        geoms = np.asarray(housing.geometry.values)
        idx = tree.nearest(geoms)
        straight = shapely.distance(geoms, fac[idx])  # a lower bound of any walk between the two
        flagged = gaps[gaps["facility_type"] == ftype].set_index("source_id")
        is_gap = housing.index.isin(flagged.index)
        # Served buildings are within the radius as the crow flies.
        assert (straight[~is_gap] <= radii[ftype] + 1.0).all(), ftype
        # A gap's walk is beyond the radius and never shorter than the straight line.
        d = flagged["distance_m"].reindex(housing.index[is_gap]).to_numpy(dtype=float)
        finite = np.isfinite(d)
        assert (d[finite] > radii[ftype]).all()
        assert (d[finite] >= straight[is_gap][finite] - 1.0).all(), ftype
        checked += int(is_gap.sum())
    assert checked > 2000
    # Transport and safety: no shelter or fire station in the extract -> not assessed, and said.
    cov = result.flags["coverage_gap"]
    assert not cov["facility_type"].isin(["shelter", "fire_station"]).any()
    assert any("no emergency shelter" in m and "not assessed" in m for m in result.messages)
    assert (cov["facility_type"] == "bus_stop").sum() < 0.5 * len(housing)  # 117 bus stops serve most housing


@pytest.mark.slow
def test_beijing_a_facility_type_osm_does_not_map_is_not_a_gap_everywhere(beijing):
    _, ws, result = beijing
    gaps = result.flags["service_gap"]
    f = ws.layers["facilities"].frame
    absent = {"nursery", "clinic", "elderly_care"} - set(f["type"])
    assert absent
    assert not gaps["facility_type"].isin(absent).any()


def test_osm_tags_reads_gdal_hstore_with_escaped_quotes_and_prefers_columns():
    from planner.io.osm import osm_tags

    frame = pd.DataFrame({
        "amenity": [None, "school", None],
        "other_tags": ['"name:en"=>"The \\"Old\\" Market","amenity"=>"marketplace","access"=>"private"',
                       '"isced:level"=>"1"', None],
    })
    tags = osm_tags(frame, ["amenity", "name:en", "access", "isced:level", "shop"])
    assert tags["amenity"].tolist()[:2] == ["marketplace", "school"]
    assert tags.loc[0, "name:en"] == 'The "Old" Market' and tags.loc[0, "access"] == "private"
    assert tags.loc[1, "isced:level"] == "1"
    assert tags.iloc[2].isna().all() and tags["shop"].isna().all()


def test_an_osm_layer_named_by_hand_reads_even_with_areas_cut_at_the_extracts_edge(tmp_path):
    # Beijing's multipolygons hold two areas whose rings GDAL cannot close (cut by the extract):
    # reading the layer by name used to fail the whole file; now they are left out, by row.
    path = tmp_path / "beijing_yizhuang.osm.pbf"
    shutil.copyfile(TEST_DATA / "beijing_yizhuang.osm.pbf", path)
    raw = read_vector(parse_source(f"{path}:multipolygons"), role="restricted")
    assert len(raw.frame) > 3000
    loaded = harmonise(raw, "restricted", default_catalogue(), raw.frame.crs)
    dropped = loaded.report.features_dropped["no geometry"]
    assert dropped["count"] == 2 and len(loaded.frame) > 3000
