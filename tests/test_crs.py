import numpy as np
import pytest
from pyproj import Transformer

from planner.crs import (
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    gk_zone_epsg,
    guess_crs,
    wgs84_to_gcj02,
    working_crs_for_lon,
)


@pytest.mark.parametrize("lon,epsg", [(109.84, 4546), (111.65, 4546), (118.9, 4549), (75.0, 4534), (135.0, 4554)])
def test_working_zone_is_nearest_central_meridian(lon, epsg):
    # Baotou and Hohhot -> 111E (EPSG:4546); Chifeng -> 120E (EPSG:4549)
    assert working_crs_for_lon(lon).to_epsg() == epsg


def test_zone_series():
    assert gk_zone_epsg(111) == 4546
    assert gk_zone_epsg(111, prefixed=True) == 4525  # zone 37
    with pytest.raises(ValueError):
        gk_zone_epsg(110)


def test_guess_degrees_prefixed_and_unprefixed():
    assert guess_crs(109.8, 40.6, 109.9, 40.7).crs.to_epsg() == 4490
    g = guess_crs(37_400_000, 4_500_000, 37_402_000, 4_502_000)
    assert g.crs.to_epsg() == 4525 and "zone prefix 37" in g.reason
    # Without prefix the zone cannot be told from the numbers: only with a hint from other layers.
    assert guess_crs(400_000, 4_500_000, 402_000, 4_502_000) is None
    g = guess_crs(400_000, 4_500_000, 402_000, 4_502_000, zone_hint_cm=111)
    assert g.crs.to_epsg() == 4546 and "assumed" in g.reason
    assert guess_crs(-5e6, 0, 5e6, 1) is None


def _metres(lon_a, lat_a, lon_b, lat_b):
    t = Transformer.from_crs(4326, 4546, always_xy=True)
    xa, ya = t.transform(lon_a, lat_a)
    xb, yb = t.transform(lon_b, lat_b)
    return np.hypot(np.asarray(xa) - xb, np.asarray(ya) - yb)


def test_gcj02_offset_is_hundreds_of_metres_and_inverse_is_sub_metre():
    rng = np.random.default_rng(1)
    lon = rng.uniform(106, 124, 500)
    lat = rng.uniform(37, 50, 500)
    glon, glat = wgs84_to_gcj02(lon, lat)
    offset = _metres(lon, lat, glon, glat)
    assert offset.min() > 50  # the offset is real (hundreds of metres)
    back = gcj02_to_wgs84(glon, glat)
    assert _metres(lon, lat, *back).max() < 0.01  # well under a metre


def test_bd09_inverse_is_sub_metre():
    lon, lat = np.array([109.835, 111.67]), np.array([40.655, 40.82])
    b = gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, *bd09_to_wgs84(*b)).max() < 0.01
