"""What the window keeps per frame or per result (made on workers, read by the panels) follows
the data: a changed frame or new results are never shown with the old answer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.analysis.runner import RunResult
from planner.flagtable import flag_table
from planner.model import MapLayer
from planner.session import result_flag_ids


def _frame(xs, uses) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"use": uses}, geometry=shapely.points(np.asarray(xs, float), np.zeros(len(xs))),
                            crs=4546)


def test_layer_extent_and_classes_follow_a_new_frame():
    layer = MapLayer("b", _frame([0, 10], ["residential", None]), role="buildings")
    assert layer.bounds() == (0.0, 0.0, 10.0, 0.0)
    assert layer.present_values("use") == {"residential"}
    layer.frame = _frame([5, 50, 7], ["commercial", "residential", "commercial"])
    assert layer.bounds() == (5.0, 0.0, 50.0, 0.0)
    assert layer.present_values("use") == {"commercial", "residential"}
    assert layer.present_values("missing") == frozenset()


def test_flag_ids_are_every_flag_of_the_results_and_new_results_have_their_own():
    flags = {"a": gpd.GeoDataFrame({"flag_id": [f"A{i}" for i in range(120_000)], "code": "X"},
                                   geometry=shapely.points(np.arange(120_000.0), np.zeros(120_000)), crs=4546),
             "b": gpd.GeoDataFrame({"flag_id": ["B1"], "code": "Y"}, geometry=[shapely.Point(0, 0)], crs=4546)}
    result = RunResult(flags=flags)
    ids = result_flag_ids(result)
    assert len(ids) == 120_001 and "A119999" in ids and "B1" in ids and "C1" not in ids
    assert result_flag_ids(result) is ids  # kept with the result
    other = RunResult(flags={"b": flags["b"]})
    assert set(result_flag_ids(other)) == {"B1"}


def test_flag_table_text_columns_are_python_strings_in_the_frames_order():
    frame = gpd.GeoDataFrame({"flag_id": ["f1", "f2"], "code": ["X", "Y"], "source_id": ["s1", "s2"],
                              "severity": [3, None], "reason": ["r1", "r2"], "reason_en": ["e1", "e2"]},
                             geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs=4546, index=[7, 3])
    t = flag_table({"L": frame}, {"f2": {"state": "dismissed", "note": "n"}})
    assert list(t["flag_id"]) == ["f1", "f2"] and list(t["severity"]) == [3, 1]
    assert list(t["state"]) == ["", "dismissed"] and list(t["note"]) == ["", "n"]
    for col in ("flag_id", "code", "source_id", "reason", "state", "note", "district"):
        assert t[col].dtype == object, col
