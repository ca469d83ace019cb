"""report.docx read as a reviewing official reads it: the order of the project list is the one
described (safety first: D before C, then the score), a living-circle table says where each
flagged building is instead of repeating the facility type, and a city whose households are
unknown (OpenStreetMap) says so instead of "受益 0 户" (© OpenStreetMap contributors, ODbL 1.0,
tests/data/beijing_yizhuang.osm.pbf)."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from docx import Document

from .test_report import blocks, table_after


def _text(doc) -> str:
    return "\n".join(b[2] for b in blocks(doc) if b[0] == "p")


def _write(tmp, result, ws, cfg, projects, lang="zh"):
    from planner.export.report import write_report

    path = tmp / f"report-{lang}.docx"
    write_report(path, result, ws, cfg, projects, {}, lang=lang, workers=1)
    return Document(str(path))


@pytest.fixture(scope="module")
def sample(sample_analysed, tmp_path_factory):
    from planner.pipeline import plan

    cfg, ws, result = sample_analysed  # the suite's one analysis of the sample
    projects, _, _ = plan(ws, result, cfg)
    tmp = tmp_path_factory.mktemp("report_review")
    return projects, _write(tmp, result, ws, cfg, projects), _write(tmp, result, ws, cfg, projects, "en")


@pytest.fixture(scope="module")
def beijing(tmp_path_factory):
    from planner.feedback import Feedback
    from planner.pipeline import analyse, load_inputs, plan
    from planner.project import InputConfig, RunConfig

    from .conftest import TEST_DATA

    tmp = tmp_path_factory.mktemp("beijing_report")
    path = tmp / "beijing_yizhuang.osm.pbf"
    shutil.copyfile(TEST_DATA / "beijing_yizhuang.osm.pbf", path)
    cfg = RunConfig(name="北京亦庄", inputs={r: InputConfig(r, str(path)) for r in ("roads", "buildings", "facilities")},
                    as_of=dt.date(2026, 6, 30))
    ws = load_inputs(cfg, Feedback())
    result = analyse(ws, cfg, Feedback())
    projects, _, _ = plan(ws, result, cfg)
    return projects, _write(tmp, result, ws, cfg, projects)


def test_the_rank_order_is_said_and_is_the_order_of_the_list(sample):
    projects, doc, doc_en = sample
    text = _text(doc)
    # said where priorities are described: method, first projects, appendix
    assert text.count("同一阶段内安全优先：消除D级（整幢危房）的项目在前，C级（局部危房）次之") >= 3
    assert "within a phase safety comes first" in _text(doc_en)
    assert "按优先级得分排序的前" not in text   # the old words said the list was by score alone
    # and it is the list's order: within the first phase every D project before every C-only one
    flags = projects["flags"].fillna("").astype(str)
    d = projects[flags.str.contains("UNSAFE_D:", regex=False)]
    c = projects[flags.str.contains("UNSAFE_C:", regex=False) & ~flags.str.contains("UNSAFE_D:", regex=False)]
    assert len(d) and len(c)
    first = sorted(projects["phase"].unique())[0]
    assert (d["phase"] == first).all()
    c1 = c[c["phase"] == first]
    assert len(c1) and d["priority_rank"].max() < c1["priority_rank"].min()
    assert c1["priority_score"].max() > d["priority_score"].min(), "a C project of a higher score still comes later"


def test_living_circle_table_says_where_not_the_type_twice(sample):
    _projects, doc, doc_en = sample
    rows = table_after(doc, "生活圈短板主要问题")
    head = rows[0]
    assert "设施名称" not in head and "位置" in head
    kind, where = head.index("设施类型"), head.index("位置")
    body = rows[1:]
    assert body and all(r[where] and r[where] != r[kind] for r in body)
    # a compound of the sample's buildings (XQMC) or a named road (「…」旁)
    assert all(re.search(r"「.+」旁", r[where]) for r in body), "; ".join(r[where] + " " + r[1] for r in body)
    rows_en = table_after(doc_en, "Living-circle gaps")
    assert "Location" in rows_en[0] and all(not re.search(r"[\u3400-\u9fff]旁", r[rows_en[0].index("Location")])
                                           for r in rows_en[1:])


def test_unknown_households_are_said_never_zero(beijing):
    projects, doc = beijing
    text = _text(doc)
    assert "受益户数未知" in text and "受益 0 户" not in text and "约 0 人" not in text
    m = re.search(r"受益户数未知（([\d,]+) 栋住宅未给出户数）", text)
    assert m and int(m.group(1).replace(",", "")) > 100
    rows = table_after(doc, "按类型汇总")
    col, bcol = rows[0].index("受益户数（去重）"), rows[0].index("涉及建筑（去重）")
    homes = [r for r in rows[1:] if r[bcol] not in ("", "0")]
    assert len(homes) >= 2 and all(r[col] == "" for r in homes), rows   # blank, not 0
    assert "项目分布在 0 个片区" not in text and "未提供片区划分" in text
    assert re.search(r"\d+ 个项目的 [\d,]+ 栋住宅未给出户数", text)


def test_osm_road_tags_are_not_called_missing(beijing):
    _projects, doc = beijing
    text = _text(doc)
    assert "取自 OpenStreetMap 标签" in text
    said = [line for line in text.split("\n") if line.startswith("道路缺少字段")]
    assert not any("桥梁" in line or "单行" in line for line in said), said
