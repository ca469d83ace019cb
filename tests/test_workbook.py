"""portfolio.xlsx as the finance office reads it: every value in Chinese (no codes, no English),
parameters as a readable table, numbers formatted (%, integers, thousands), every sheet set up
to print; a flag family too long to list is summarised per building and says so."""

from __future__ import annotations

import types

import openpyxl
import pandas as pd
import pyogrio
import pytest

ID_HEADS = ("编号", "起点道路", "终点道路")


@pytest.fixture(scope="module")
def demo(sample_run):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def book(demo):
    return openpyxl.load_workbook(demo / "portfolio.xlsx")


def _header_row(ws) -> int:
    for r in range(1, 6):
        values = [c.value for c in ws[r]]
        if sum(v is not None for v in values) >= 2:
            return r
    return 1


def test_no_code_or_english_value_in_a_chinese_workbook(book):
    from planner.analysis.registry import rule_codes
    from planner.catalogue import default_catalogue
    from planner.export.terms import has_english
    from planner.portfolio.settings import load_settings

    keys = set(rule_codes()) | set(load_settings().types) | {v.key for v in
                                                             default_catalogue().domains["facility_type"].values}
    keys |= {"draft", "approved", "done", "assumption"}
    found = []
    for ws in book.worksheets:
        head_row = _header_row(ws)
        heads = [c.value for c in ws[head_row]]
        for row in ws.iter_rows(min_row=head_row + 1, values_only=True):
            for j, v in enumerate(row):
                if not isinstance(v, str) or v.startswith("="):
                    continue
                head = str(heads[j]) if j < len(heads) and heads[j] else ""
                if any(h in head for h in ID_HEADS):
                    continue  # identifiers (项目编号, 标记编号, 来源要素编号) are ids, not words
                if ws.title == "参数" and head == "说明与依据":
                    continue  # the analyses' own descriptions quote the keys a user types in --set
                if v in keys or has_english(v):
                    found.append((ws.title, head, v[:60]))
    assert not found, found[:15]
    pl = book["项目清单"]
    heads = [c.value for c in pl[1]]
    col = {h: i for i, h in enumerate(heads)}
    values = list(pl.iter_rows(min_row=2, max_row=pl.max_row - 1, values_only=True))
    assert {r[col["状态"]] for r in values} == {"草案"}
    subtypes = {r[col["子类"]] for r in values if r[col["子类"]]}
    assert {"幼儿园", "提升类"} <= subtypes
    assert all("估算" in r[col["估算依据"]] for r in values)
    assert any("老旧住宅" in (r[col["涵盖标记"]] or "") for r in values)


def test_parameters_are_a_readable_table(book):
    ws = book["参数"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:5] == ("分析", "参数", "取值", "单位", "说明与依据")
    table = [r for r in rows[2:] if r[0] and r[1]]
    by_name = {r[1]: r for r in table}
    assert by_name["停工判定：已开发面积比例低于"][2] == "33.3%"
    assert by_name["老旧小区建成年份截止"][2:4] == (2000, "年")
    assert by_name["排除的道路等级"][2] == "步行道"
    assert by_name["评估的设施类型"][2] == "（全部）"
    text = " ".join(str(v) for r in rows for v in r if v is not None)
    assert "{" not in text and "0.3333" not in text
    assert "优先级权重" in text and "估算单价" in text and "安全与公益" in text


def test_numbers_are_formatted(book):
    pl = book["项目清单"]
    heads = [c.value for c in pl[1]]
    fmt = {h: pl.cell(row=2, column=i + 1).number_format for i, h in enumerate(heads)}
    assert fmt["得分：需求"] == "0%" and fmt["得分：安全与公益"] == "0%"
    assert fmt["户数"] == "#,##0" and fmt["建筑数"] == "#,##0" and fmt["标记数"] == "#,##0"
    assert fmt["估算投资（万元）"] == "#,##0.00" and fmt["建筑面积（m²）"] == "#,##0"
    cov = book["生活圈覆盖率"]
    heads = [c.value for c in cov[1]]
    assert cov.cell(row=2, column=heads.index("建筑覆盖率") + 1).number_format == "0%"
    hh = pl.cell(row=2, column=[c.value for c in pl[1]].index("户数") + 1).value
    assert hh is None or float(hh).is_integer()


def test_every_sheet_prints_landscape_one_page_wide(book):
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0, ws.title  # 1 is the default
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows, ws.title
        assert "&P" in (ws.oddFooter.center.text or ""), ws.title
    pl = book["项目清单"]
    widths = {pl.cell(row=1, column=i + 1).value: pl.column_dimensions[pl.cell(row=1, column=i + 1).column_letter].width
              for i in range(pl.max_column)}
    assert widths["项目名称"] > widths["户数"] >= 6


def test_a_flag_family_too_long_to_list_is_summarised_per_building(demo, tmp_path):
    """The workbook keeps to a list where a list is useful: past the limit one row per building
    with the facility types it lacks, and a note saying so and where every flag is."""
    from planner.export.xlsx import write_workbook

    gpkg = demo / "portfolio.gpkg"
    flags = {name: pyogrio.read_dataframe(gpkg, layer=name) for name in
             ("flag_old_housing", "service_gap", "road_gap")}
    tables = {"indicators": pyogrio.read_dataframe(gpkg, layer="indicators", read_geometry=False)}
    projects = pyogrio.read_dataframe(gpkg, layer="projects")
    result = types.SimpleNamespace(flags=flags, tables=tables)
    write_workbook(tmp_path / "p.xlsx", result, projects, {"name": "t", "parameters": {}}, list_limit=1000)
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx", read_only=True)
    rows = list(wb["生活圈短板"].iter_rows(values_only=True))
    assert "逐条列出已无意义" in rows[0][0] and "portfolio.gpkg" in rows[0][0]
    heads = rows[1]
    assert heads[:3] == ("来源要素编号", "命中规则", "缺少的设施")
    gaps = flags["service_gap"]
    assert len(rows) - 2 == gaps["source_id"].nunique()
    first = gaps[gaps["source_id"] == rows[2][0]]
    missing = set(rows[2][2].split("、"))
    assert missing == set(first["facility_title"])
    assert rows[2][heads.index("标记数")] == len(first)
    # a short family is still listed one flag a row
    assert len(list(wb["道路缺口与规划路"].iter_rows(values_only=True))) == len(flags["road_gap"]) + 1
    assert pd.notna(rows[2][0])


def test_bulk_written_cells_read_back_as_written(tmp_path):
    """The table body is written as bulk cell XML: texts (escaped, spaces and control characters
    kept as xlsxwriter keeps them), numbers, yes/no, empties, the totals row and the filter."""
    import numpy as np

    from planner.export.xlsx import _Book

    frame = pd.DataFrame({"name": ["a&b<c>", None, " lead", "x\x01y"], "buildings": [1.0, np.nan, 3.4, 2.0],
                          "households": pd.array([1, None, 3, 4], dtype="Int64"), "ok": [True, False, None, True],
                          "coverage": [0.5, 0.25, 1.0, 0.0]})
    book = _Book(tmp_path / "t.xlsx", "zh")
    book.table("表", frame, list(frame.columns), note="说明", totals=["buildings"])
    book.close()
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["表"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "说明"
    assert rows[2:6] == [("a&b<c>", 1, 1, "是", 0.5), (None, None, None, "否", 0.25), (" lead", 3, 3, None, 1),
                         ("x_x0001_y", 2, 4, "是", 0)]
    assert rows[6][1] == "=SUBTOTAL(109,B3:B6)"
    assert ws.auto_filter.ref == "A2:E6" and ws.freeze_panes == "A3" and ws.dimensions == "A1:E7"
    assert ws["B5"].number_format == "#,##0" and ws["E3"].number_format == "0%"


def test_a_flag_family_on_too_many_buildings_is_summarised_per_compound(demo, tmp_path):
    """Past the limit in buildings too, one row per compound: how many of its buildings lack each
    facility type, its buildings, households and flags; the note says so and where every flag is."""
    from planner.export.terms import facility_title
    from planner.export.xlsx import write_workbook

    gpkg = demo / "portfolio.gpkg"
    gaps = pyogrio.read_dataframe(gpkg, layer="service_gap")
    buildings = pyogrio.read_dataframe(gpkg, layer="base_buildings")
    result = types.SimpleNamespace(flags={"service_gap": gaps}, tables={})
    projects = pyogrio.read_dataframe(gpkg, layer="projects")
    limit = gaps["source_id"].nunique() - 1
    write_workbook(tmp_path / "p.xlsx", result, projects, {"name": "t", "parameters": {}}, buildings=buildings,
                   list_limit=limit)
    rows = list(openpyxl.load_workbook(tmp_path / "p.xlsx", read_only=True)["生活圈短板"].iter_rows(values_only=True))
    assert "按小区汇总" in rows[0][0] and "portfolio.gpkg" in rows[0][0] and f"{len(gaps):,} 条标记" in rows[0][0]
    heads = rows[1]
    assert heads[:4] == ("小区/网格", "建筑数", "户数", "标记数") and heads[4] == "缺少的设施（建筑数）"
    body = [r for r in rows[2:] if r[0] is not None]
    compound = buildings.set_index("building_id")["compound"]
    expected = gaps.assign(block=gaps["source_id"].map(compound))
    assert expected["block"].notna().all()
    assert len(body) == expected["block"].nunique()
    assert sum(r[3] for r in body) == len(gaps) and sum(r[1] for r in body) == gaps["source_id"].nunique()
    name, *_, text = body[0][:5]
    mine = expected[expected["block"] == name]
    counts = mine.groupby("facility_type")["source_id"].nunique()
    assert dict(part.rsplit(" ", 1) for part in text.split("、")) == {
        facility_title(k, "zh"): f"{v:,}" for k, v in counts.items()}
    shown = [int(part.rsplit(" ", 1)[1].replace(",", "")) for part in text.split("、")]
    assert shown == sorted(shown, reverse=True)  # most first


def test_a_measure_that_does_not_apply_is_blank_not_zero(book):
    """A housing project has no parcel area or road length: those cells are blank, not 0; a
    road link states its length."""
    pl = book["项目清单"]
    heads = [c.value for c in pl[1]]
    col = {h: heads.index(h) for h in ("项目类型", "地块面积（m²）", "道路长度（m）")}
    rows = [[c.value for c in r] for r in pl.iter_rows(min_row=2) if r[col["项目类型"]].value]
    housing = [r for r in rows if r[col["项目类型"]] == "危旧房改造"]
    links = [r for r in rows if r[col["项目类型"]] == "断头路打通"]
    assert housing and links
    assert all(r[col["地块面积（m²）"]] is None and r[col["道路长度（m）"]] is None for r in housing)
    assert all(isinstance(r[col["道路长度（m）"]], int | float) and r[col["道路长度（m）"]] > 0 for r in links)


def _indicator_rows(ws):
    rows = list(ws.iter_rows(min_row=2))
    heads = [c.value for c in ws[1]]
    return heads, rows


def test_indicator_counts_are_whole_numbers_and_shares_keep_decimals(book):
    """"D级危房数量 12 栋" reads 12, not 12.00; a share in % keeps its two decimals."""
    heads, rows = _indicator_rows(book["城市体检指标"])
    value, unit, target = heads.index("数值"), heads.index("单位"), heads.index("目标值")
    counts = [r for r in rows if r[unit].value in {"栋", "处", "户"} and r[value].value is not None]
    shares = [r for r in rows if r[unit].value == "%" and r[value].value is not None]
    assert counts and shares
    assert {r[value].number_format for r in counts} == {"#,##0"}
    assert {r[target].number_format for r in counts if r[target].value is not None} == {"#,##0"}
    assert {r[value].number_format for r in shares} == {"#,##0.00"}


def test_an_english_workbook_gives_indicator_units_in_english(demo, tmp_path):
    import re

    from planner.export.xlsx import write_workbook

    gpkg = demo / "portfolio.gpkg"
    tables = {"indicators": pyogrio.read_dataframe(gpkg, layer="indicators", read_geometry=False)}
    projects = pyogrio.read_dataframe(gpkg, layer="projects")
    result = types.SimpleNamespace(flags={}, tables=tables)
    write_workbook(tmp_path / "p.xlsx", result, projects, {"name": "t", "parameters": {}}, lang="en")
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["Indicators"]
    heads, rows = _indicator_rows(ws)
    units = {r[heads.index("Unit")].value for r in rows} - {None}
    assert "buildings" in units and "%" in units
    assert [u for u in units if re.search(r"[\u4e00-\u9fff]", u)] == []
    grade_d = [r for r in rows if r[heads.index("Title")].value == "Grade D dangerous buildings"]
    assert grade_d and grade_d[0][heads.index("Value")].number_format == "#,##0"


def test_no_zero_where_a_count_does_not_apply(book):
    """A facility site counts the buildings and households it serves but measures no floor area:
    its 建筑面积 is blank, not "370 栋, 0 m²"; a road link or a parcel serves no building: its
    建筑数 and 户数 are blank in 项目清单 and its type's households read 不适用 in 汇总 (not
    "受益户数 0"); a type with buildings keeps its numbers."""
    pl = book["项目清单"]
    heads = [c.value for c in pl[1]]
    col = {h: heads.index(h) for h in ("项目类型", "建筑数", "户数", "建筑面积（m²）")}
    rows = [[c.value for c in r] for r in pl.iter_rows(min_row=2) if r[col["项目类型"]].value in
            {"完整社区补短板", "断头路打通", "闲置土地处置", "危旧房改造"}]
    by_type: dict[str, list] = {}
    for r in rows:
        by_type.setdefault(r[col["项目类型"]], []).append(r)
    assert set(by_type) == {"完整社区补短板", "断头路打通", "闲置土地处置", "危旧房改造"}
    sites = by_type["完整社区补短板"]
    assert all(r[col["建筑数"]] > 0 and r[col["建筑面积（m²）"]] is None for r in sites)
    for t in ("断头路打通", "闲置土地处置"):
        assert all(r[col["建筑数"]] is None and r[col["户数"]] is None for r in by_type[t]), t
    assert all(r[col["建筑面积（m²）"]] > 0 and r[col["建筑数"]] > 0 for r in by_type["危旧房改造"])
    summary = [[c.value for c in r] for r in book["汇总"].iter_rows()]
    start = next(i for i, r in enumerate(summary) if r[0] == "按类型")
    heads = summary[start + 1]
    hh, res, bld = heads.index("受益户数（去重）"), heads.index("受益人口（估算）"), heads.index("涉及建筑（去重）")
    types = {r[0]: r for r in summary[start + 2:] if r[0] and r[0] != "合计" and not str(r[0]).startswith("按")}
    for t in ("断头路打通", "闲置土地处置", "低效用地再开发", "批而未供土地供应"):
        assert types[t][hh] == "不适用" and types[t][res] == "不适用" and types[t][bld] == 0, types[t]
    assert isinstance(types["危旧房改造"][hh], int | float) and types["危旧房改造"][hh] > 0
    assert types["闲置楼宇盘活"][hh] == 0   # offices: buildings without homes, a true 0


def test_compounds_of_osm_buildings_leave_what_osm_does_not_state_blank(tmp_path):
    """小区汇总 of the Beijing 亦庄 extract (© OpenStreetMap contributors, ODbL 1.0): OSM gives no
    construction year, safety grade, structure or elevator, so a compound none of whose homes
    has a known year has no 老旧占比 (blank, not 0%, and no 否 as a candidate) and the C级, D级,
    预制板 and 加梯候选 counts are blank, not 0; the sample city, which states them, keeps its
    numbers (test_numbers_are_formatted and the sheet's other tests)."""
    import datetime as dt

    from planner.export.xlsx import write_workbook
    from planner.feedback import Feedback
    from planner.pipeline import analyse, load_inputs
    from planner.project import InputConfig, RunConfig

    from .conftest import TEST_DATA

    path = tmp_path / "beijing_yizhuang.osm.pbf"
    path.write_bytes((TEST_DATA / "beijing_yizhuang.osm.pbf").read_bytes())
    cfg = RunConfig(name="北京亦庄", inputs={r: InputConfig(r, str(path)) for r in ("roads", "buildings")},
                    as_of=dt.date(2026, 6, 30))
    ws = load_inputs(cfg, Feedback())
    result = analyse(ws, cfg, Feedback(), only=["old_housing"])
    compounds = result.tables["compounds"]
    assert len(compounds) > 10 and (compounds["unknown_year"] == compounds["buildings"]).all()
    write_workbook(tmp_path / "p.xlsx", result, pd.DataFrame(), {"name": "t", "parameters": {}},
                   buildings=ws.frame("buildings"))
    rows = list(openpyxl.load_workbook(tmp_path / "p.xlsx")["小区汇总"].iter_rows(values_only=True))
    heads, body = rows[0], rows[1:]
    assert len(body) == len(compounds)
    for h in ("老旧住宅面积（m²）", "老旧占比", "改造候选", "C级", "D级", "加梯候选", "预制板"):
        assert {r[heads.index(h)] for r in body} == {None}, h
    assert all(r[heads.index("建筑数")] > 0 and r[heads.index("住宅建筑面积（m²）")] > 0 for r in body)
