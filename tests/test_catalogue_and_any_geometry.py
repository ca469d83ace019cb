"""Two loading checks: a catalogue field of an unknown kind is an InputError that names the
catalogue file and the field, and a layer of "any" geometry (facilities: points or polygons)
leaves out a feature with a coordinate that is not a number, like the other layers do."""

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS

from planner.catalogue import default_catalogue, load_catalogue
from planner.errors import InputError
from planner.io.loading import harmonise
from planner.io.readers import read_vector
from planner.io.sources import parse_source

from .helpers import ORIGIN, write

WORK = CRS.from_epsg(4546)
X0, Y0 = ORIGIN
NAN = float("nan")


def test_an_unknown_field_kind_in_a_catalogue_file_names_the_file_and_the_field(tmp_path):
    own = tmp_path / "my_layers"
    own.mkdir()
    (own / "buildings.toml").write_text(
        '[layer]\nrole = "buildings"\n\n[[fields]]\nname = "roof"\nkind = "texte"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_catalogue(own)
    err = info.value
    assert (err.file or "").endswith("buildings.toml") and err.field == "roof"
    assert "texte" in err.problem and "buildings" in err.problem
    assert "text" in (err.hint or "") and "domain" in (err.hint or "")


@pytest.mark.parametrize("bad", [
    shapely.Point(X0 + 50, NAN),
    shapely.Polygon([(X0, Y0), (X0 + 20, Y0), (X0 + 20, NAN), (X0, Y0 + 20)]),
])
def test_a_nan_coordinate_in_an_any_geometry_layer_costs_that_feature_only(tmp_path, bad):
    geoms = [shapely.Point(X0, Y0), bad, shapely.box(X0 + 100, Y0, X0 + 150, Y0 + 40)]
    frame = gpd.GeoDataFrame({"facility_id": ["F1", "F2", "F3"], "type": ["幼儿园", "小学", "公园"]},
                             geometry=geoms, crs=4546)
    path = write(frame, tmp_path / "facilities.gpkg")
    raw = read_vector(parse_source(path), role="facilities")
    loaded = harmonise(raw, "facilities", default_catalogue(), WORK)
    assert loaded.frame["facility_id"].tolist() == ["F1", "F3"]
    dropped = loaded.report.features_dropped["coordinates that are not numbers (NaN)"]
    assert dropped["rows"] == [2] and dropped["ids"] == ["F2"]
    assert any("row 2" in w and "F2" in w and "NaN" in w for w in loaded.report.warnings)
