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


def test_a_replaced_project_is_emptied_a_slice_at_a_time_and_what_the_new_one_uses_is_kept():
    """release_in_slices: the old layers' geometries, object columns and kept label texts are
    set to None slice by slice (on a thread, after the threads it waits for); an array the new
    project also uses is left alone; small arrays are not touched."""
    import threading

    from planner.gui.release import empty_in_slices, object_arrays, release_in_slices

    n = 25_000
    import pandas as pd

    notes = pd.Series([f"n{i}" for i in range(n)], dtype=object)  # Python objects (not Arrow strings)
    old = MapLayer("b", gpd.GeoDataFrame({"note": notes},
                                         geometry=shapely.points(np.arange(n, dtype=float), np.zeros(n)), crs=4546))
    old.__dict__["_label_texts"] = (old.frame, "note", np.array([f"t{i}" for i in range(n)], dtype=object))
    small = MapLayer("s", _frame([1, 2], ["a", "b"]))
    shared = MapLayer("shared", gpd.GeoDataFrame(geometry=shapely.points(np.arange(n, dtype=float), np.ones(n)),
                                                 crs=4546))
    new = MapLayer("shared", shared.frame)
    result = RunResult(flags={"f": old.frame}, tables={}, derived={})
    arrays = object_arrays(([old, small, shared], result))
    assert len(arrays) == 4  # geometry and note of the old layer, its label texts, the shared geometry
    gate = threading.Event()
    waiter = threading.Thread(target=gate.wait)
    waiter.start()
    thread = release_in_slices(([old, small, shared], result), [new], [waiter])
    thread.join(0.2)
    assert thread.is_alive() and old.frame.geometry.values[0] is not None  # waits for the drawing
    gate.set()
    thread.join(10)
    assert not thread.is_alive()
    assert old.frame.geometry.isna().all() and old.frame["note"].isna().all()
    assert (old.__dict__["_label_texts"][2] == None).all()  # noqa: E711 (elementwise)
    assert not shared.frame.geometry.isna().any()  # the new project's
    assert not small.frame.geometry.isna().any()   # small: freed at once anyway
    assert empty_in_slices([np.array(["x"] * 3, dtype=object)], size=2) == 3


def test_the_release_gives_way_to_foreground_work_and_lets_go_of_no_dict_the_new_project_holds():
    """While a job runs or the window builds a project's panels (foreground), the release of the
    replaced project waits; then it empties it, and empties the old result's tables one entry at
    a time, except a table the new result shares."""
    from planner.gui.jobs import foreground
    from planner.gui.release import release_in_slices

    n = 25_000
    old = MapLayer("b", gpd.GeoDataFrame(geometry=shapely.points(np.arange(n, dtype=float), np.zeros(n)), crs=4546))
    old_result = RunResult(flags={"f": old.frame}, tables={}, derived={"k": 1})
    new_result = RunResult(flags={}, tables={}, derived=old_result.derived)
    with foreground():
        thread = release_in_slices(([old], old_result), ([], new_result))
        thread.join(0.3)
        assert thread.is_alive() and old.frame.geometry.values[0] is not None
    thread.join(10)
    assert not thread.is_alive()
    assert old.frame.geometry.isna().all()
    assert old_result.flags == {}              # let go an entry at a time
    assert old_result.derived == {"k": 1}      # the new result's own table
