"""Seismic priority (issue 15, policy 十三): precast-slab and C/D buildings in zones of 8° and above
raise the need score of their housing projects; the intensity comes from a parameter, a place of
the Inner Mongolia table (shipped with its caveat) or a layer of zones. Thresholds on both sides,
on files the tests write, in a projected and a geographic CRS."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from .analysis_helpers import box, frame, run


def test_intensity_texts_are_read():
    from planner.analysis.seismic import parse_intensity

    got = parse_intensity(pd.Series([8, "8", "8度", "VIII", "viii", "八度", "7度（0.15g）", "7.5", "", None, "高"]))
    assert got[:8].tolist() == [8, 8, 8, 8, 8, 8, 7, 7.5] and np.isnan(got[8:]).all()


def test_inner_mongolia_table_with_its_caveat():
    from planner.analysis.seismic import intensity_table, place_intensity
    from planner.errors import InputError

    assert place_intensity("包头")[0] == 8 and place_intensity("昆都仑区")[0] == 8
    assert place_intensity("Hohhot") == (8.0, "呼和浩特") and place_intensity("Chifeng")[0] == 7
    assert place_intensity(" 鄂尔多斯市 ")[0] == 7
    table = intensity_table()
    assert "GB 18306-2015" in table["caveat"] and "GB 18306-2015" in table["caveat_en"]
    with pytest.raises(InputError, match="seismic_intensity.toml"):
        place_intensity("上海")


def _buildings():
    rows = [{"building_id": "P", "structure": "precast_slab", "safety_grade": "B"},
            {"building_id": "D", "structure": "frame", "safety_grade": "D"},
            {"building_id": "C", "structure": "masonry", "safety_grade": "C"},
            {"building_id": "B", "structure": "frame", "safety_grade": "B"}]
    return frame(rows, [box(30 * i, 0, 20, 20) for i in range(4)])


@pytest.mark.parametrize("params, expected", [
    ({"intensity": 8.0}, [True, True, True, False]),
    ({"intensity": 7.9}, [False] * 4),
    ({"intensity": 7.9, "min_intensity": 7.5}, [True, True, True, False]),
    ({"place": "乌海"}, [True, True, True, False]),
    ({"place": "通辽"}, [False] * 4),
    ({}, [False] * 4),
])
def test_priority_threshold_both_sides(params, expected):
    out = run("seismic", {"buildings": _buildings()}, params=params)
    assert out.shared["seismic_priority"].tolist() == expected
    if params.get("place") == "乌海":
        assert any("GB 18306-2015" in m for m in out.messages)


def test_zones_layer_prevails_over_the_parameter():
    zones = frame([{"zone_id": "Z8", "intensity": "8度"}, {"zone_id": "Z7", "intensity": "VII"},
                   {"zone_id": "Zx", "intensity": "不详"}],
                  [box(-5, -5, 50, 30), box(55, -5, 30, 30), box(85, -5, 30, 30)])
    out = run("seismic", {"buildings": _buildings(), "seismic": zones}, params={"intensity": 6.0})
    # P, D in the 8° zone; C in the 7° zone; B in an unreadable zone: the parameter (6°)
    assert out.shared["seismic_intensity"].tolist() == [8, 8, 7, 6]
    assert out.shared["seismic_priority"].tolist() == [True, True, False, False]
    assert any("no readable intensity" in m for m in out.messages)


def _write_city(folder, epsg):
    """Two compounds alike but for their seismic zone: 甲 (8°) and 乙 (7°), each with a C-grade
    precast-slab building, an old building and a 6-storey building without an elevator."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, geoms = [], []
    for dx, name in ((0, "甲"), (400, "乙")):
        for i, (grade, structure, floors) in enumerate((("C级", "预制板", 3), (None, "砖混", 3), (None, "预制板", 6))):
            rows.append({"JZBH": f"{name}{i}", "JZYT": "住宅", "CS": floors, "JCND": 1985, "安全等级": grade,
                         "结构类型": structure, "小区名称": f"{name}小区", "HS": 24, "电梯": "无"})
            geoms.append(box(dx + 40 * i, 0, 20, 20))
    buildings = frame(rows, geoms)
    zones = frame([{"编号": "Z1", "抗震设防烈度": "8度"}, {"编号": "Z2", "抗震设防烈度": "7度"}],
                  [box(-50, -50, 350, 150), box(300, -50, 350, 150)])
    paths = {}
    for role, f in (("buildings", buildings), ("seismic", zones)):
        paths[role] = folder / f"{role}.gpkg"
        f.to_crs(epsg).to_file(paths[role], driver="GPKG")
    return paths


@pytest.mark.parametrize("epsg, working", [(4546, None), (4490, "EPSG:4545")])
def test_housing_projects_in_8_degree_zones_rank_higher(tmp_path, epsg, working):
    from planner.feedback import Feedback
    from planner.pipeline import analyse, load_inputs, plan
    from planner.project import InputConfig, RunConfig

    paths = _write_city(tmp_path / "in", epsg)
    cfg = RunConfig(as_of=dt.date(2026, 6, 30), crs=working, base_dir=tmp_path)
    cfg.inputs = {role: InputConfig(role=role, path=str(p)) for role, p in paths.items()}
    ws = load_inputs(cfg, Feedback())
    assert not ws.errors
    result = analyse(ws, cfg, Feedback())
    assert result.shared["seismic_priority"].tolist() == [True, False, True, False, False, False]
    projects, settings, _ = plan(ws, result, cfg)
    p = projects.assign(compound=projects["name"].str[0]).set_index(["type", "compound"])
    raise_ = settings.scales["seismic_need_raise"]
    for kind in ("unsafe_housing", "old_compound"):
        hi, lo = p.loc[(kind, "甲")], p.loc[(kind, "乙")]
        assert hi["seismic_intensity"] == 8 and np.isnan(lo["seismic_intensity"])
        assert hi["score_need"] == pytest.approx(min(1.0, lo["score_need"] + raise_), abs=1e-3)
        assert hi["score_need"] > lo["score_need"] and hi["priority_score"] > lo["priority_score"]
        assert hi["priority_rank"] < lo["priority_rank"] or hi["phase"] < lo["phase"]
    # an elevator retrofit is no seismic work: the same need in both zones
    assert p.loc[("elevator", "甲"), "score_need"] == p.loc[("elevator", "乙"), "score_need"]
    # the raise is a setting (scales.seismic_need_raise)
    cfg.params["scales.seismic_need_raise"] = 0.1
    projects, _, _ = plan(ws, result, cfg)
    q = projects.assign(compound=projects["name"].str[0]).set_index(["type", "compound"])
    assert q.loc[("unsafe_housing", "甲"), "score_need"] == pytest.approx(q.loc[("unsafe_housing", "乙"), "score_need"] + 0.1,
                                                                           abs=1e-3)
