"""Loading edge cases found while typing the engine strictly (mypy): a NaN coordinate in a line
layer, and a catalogue field of kind "domain" whose domain no file defines."""

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS

from planner.catalogue import default_catalogue, load_catalogue
from planner.errors import InputError
from planner.io.loading import harmonise
from planner.io.readers import read_vector
from planner.io.sources import parse_source

from .helpers import ORIGIN, buildings_frame, write

WORK = CRS.from_epsg(4546)
X0, Y0 = ORIGIN
NAN = float("nan")


@pytest.mark.parametrize(("role", "geoms"), [
    ("roads", [shapely.LineString([(X0, Y0), (X0 + 100, Y0)]), shapely.LineString([(X0, Y0), (NAN, Y0 + 100)]),
               shapely.LineString([(X0, Y0 + 50), (X0 + 100, Y0 + 50)])]),
    ("rail", [shapely.LineString([(X0, Y0), (X0 + 100, Y0)]), shapely.MultiLineString([[(X0, Y0), (X0, NAN)]]),
              shapely.LineString([(X0, Y0 + 50), (X0 + 100, Y0 + 50)])]),
])
def test_a_nan_coordinate_in_a_line_layer_costs_that_feature_only(tmp_path, role, geoms):
    # Used to stop loading the layer with an UnboundLocalError (the polygon-only repair mask).
    frame = gpd.GeoDataFrame({"name": ["a", "b", "c"]}, geometry=geoms, crs=4546)
    path = write(frame, tmp_path / f"{role}.gpkg")
    raw = read_vector(parse_source(path), role=role)
    loaded = harmonise(raw, role, default_catalogue(), WORK)
    assert len(loaded.frame) == 2
    assert loaded.report.features_dropped["coordinates that are not numbers (NaN)"]["rows"] == [2]
    assert any("row 2" in w and "NaN" in w for w in loaded.report.warnings)


def test_a_catalogue_domain_field_without_its_domain_is_an_input_error(tmp_path):
    # A user's catalogue folder adds a domain field to buildings but misspells the domain's name.
    own = tmp_path / "my_layers"
    own.mkdir()
    (own / "buildings.toml").write_text(
        '[layer]\nrole = "buildings"\n\n[[fields]]\nname = "roof"\nkind = "domain"\ndomain = "roof_typ"\n'
        'synonyms = ["WDLX"]\n', encoding="utf-8")
    catalogue = load_catalogue(own)
    path = write(buildings_frame(3, WDLX=["平", "坡", "平"]), tmp_path / "buildings.gpkg")
    raw = read_vector(parse_source(path), role="buildings")
    with pytest.raises(InputError) as info:
        harmonise(raw, "buildings", catalogue, WORK)
    err = info.value
    assert err.field == "roof" and "roof_typ" in err.problem and "buildings.gpkg" in (err.file or "")
    assert "layers/domains" in (err.hint or "")
