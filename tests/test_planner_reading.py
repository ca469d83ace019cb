"""What a planner reads in the deliverables, checked on real files: the atlas keeps the EPSG code
and the whole cost source, an unnamed run is named in the deliverables' language, project names
carry no raw road ids, unknown households are not shown as 0."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from .helpers import buildings_frame, write


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_atlas_page_keeps_the_epsg_code_and_the_whole_cost_source(planned, tmp_path, lang):
    """The CRS's words and the cost source are long: they go on to a second line instead of
    being cut ("…(EPSG:45" or half a cost source)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    from planner.export.deliverables import sheet_info
    from planner.export.sheets import SheetBase, write_atlas
    from planner.export.terms import cost_basis

    cfg, ws, projects = planned
    # the project with the longest cost source (the road links: length, demolition, bridge, rail)
    some = projects.assign(_n=projects["cost_basis"].fillna("").str.len()).sort_values("_n").tail(2)
    info = sheet_info(ws, cfg, {}, "", lang)
    epsg = ws.working_crs.to_epsg()
    assert epsg and f"EPSG:{epsg}" in info["crs"]
    path = write_atlas(tmp_path / "atlas.pdf", SheetBase(ws), some.drop(columns="_n"), info=info, lang=lang, workers=1)
    # the panel right of the map only (at 72 dpi: from 194 mm = 550 pt), so that no map label
    # comes between its lines
    text = subprocess.run(["pdftotext", "-x", "545", "-y", "0", "-W", "300", "-H", "600", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    ordered = some.sort_values("priority_rank")
    for page, (_, p) in zip(pages, ordered.iterrows(), strict=False):
        flat = _squeeze(page)
        assert f"EPSG:{epsg}" in flat, page
        assert _squeeze(info["crs"]) in flat, f"the CRS is written whole: {info['crs']!r}\n{page}"
        basis = cost_basis(p["cost_basis"], lang)
        assert len(basis) > 40, basis   # long enough to have been cut before
        for part in re.split(r"[；;]", basis):   # each source whole, one under the other
            assert _squeeze(part) in flat, f"the cost source is written whole: {part!r}\n{page}"
        assert "…" not in page


def test_wrap_breaks_after_separators_and_keeps_a_bracketed_tail():
    from planner.export.atlas import PdfFont, _truncate, _wrap
    from planner.fonts import FONT_FILE

    font = PdfFont(FONT_FILE)
    text = "2000国家大地坐标系 3度带高斯-克吕格投影 中央经线117°E（EPSG:4548）"
    lines = _wrap(font, text, 6.5, 50.0, 2)
    assert len(lines) == 2 and "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(font.width_mm(line, 6.5) <= 50.0 for line in lines)
    cut = _truncate(font, text, 6.5, 40.0)
    assert cut.endswith("（EPSG:4548）") and "…" in cut and font.width_mm(cut, 6.5) <= 40.0


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(("lang", "name"), [("zh", "城市更新体检"), ("en", "Renewal Planner run")])
def test_an_unnamed_run_is_named_in_the_deliverables_language(tmp_path, lang, name):
    openpyxl = pytest.importorskip("openpyxl")
    good = write(buildings_frame(3, JZYT=["住宅"] * 3, JCND=["1990"] * 3), tmp_path / "b.gpkg", layer="buildings")
    out = tmp_path / "o"
    proc = _cli("run", "--buildings", good, "--out", out, "--sheets", "none", "--lang", lang, "--quiet", "--report")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["run"]["name"] == name
    book = openpyxl.load_workbook(out / "portfolio.xlsx", read_only=True)
    texts = [str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    other = "Renewal Planner run" if lang == "zh" else "城市更新体检"
    assert name in " ".join(texts) and not any(other in t for t in texts)
    docx = pytest.importorskip("docx")
    doc = docx.Document(out / "report.docx")
    assert doc.core_properties.title.startswith(name)
    assert not any(other in p.text for p in doc.paragraphs)


@pytest.fixture(scope="module")
def beijing_projects(tmp_path_factory):
    """The Beijing 亦庄 OSM extract planned (© OpenStreetMap contributors, ODbL 1.0): many of its
    roads have no name."""
    import datetime as dt

    from planner.feedback import Feedback
    from planner.pipeline import analyse, load_inputs, plan
    from planner.project import InputConfig, RunConfig

    from .conftest import TEST_DATA

    path = tmp_path_factory.mktemp("osm") / "beijing_yizhuang.osm.pbf"
    shutil.copyfile(TEST_DATA / "beijing_yizhuang.osm.pbf", path)
    cfg = RunConfig(name="北京亦庄", inputs={r: InputConfig(r, str(path)) for r in ("roads", "buildings", "facilities")},
                    as_of=dt.date(2026, 6, 30))
    ws = load_inputs(cfg, Feedback())
    projects, _, _ = plan(ws, analyse(ws, cfg, Feedback()), cfg)
    return ws, projects


def test_unnamed_roads_are_placed_by_named_roads_never_by_their_ids(beijing_projects):
    import shapely

    ws, projects = beijing_projects
    roads = ws.frame("roads")
    named = roads[roads["name"].fillna("").astype(str).str.strip() != ""]
    ids = set(roads["road_id"].astype(str))
    links = projects[projects["type"] == "road_link"]
    sites = projects[projects["type"].isin(["service_facility", "coverage_facility"])
                     & projects["name"].str.contains("道路")]
    assert len(links) and len(sites) and (~roads["name"].notna()).sum() > 100
    for name in pd_concat_names(projects):
        assert not re.search(r"\d{5,}", name), f"a raw id in a project name: {name}"
        assert not any(f"道路 {i}" in name for i in ids), name
    unnamed_links = links[links["name"].str.contains("无名道路")]
    assert len(unnamed_links), "the extract's unnamed roads are named as such"
    # a road named in 「」 as the place of an unnamed road is a named road within 300 m of the project
    for _, p in unnamed_links.iterrows():
        for near in re.findall(r"「([^」]+)」附近", p["name"]):
            these = named[named["name"].astype(str) == near]
            assert len(these), near
            assert shapely.distance(these.geometry.values, p.geometry).min() <= 300 + 1, p["name"]


def pd_concat_names(projects):
    return projects["name"].astype(str).tolist()


def test_osm_homes_have_unknown_households_never_one_each(beijing_projects):
    """OSM maps no households: the facility sites' households are unknown (blank) and their notes
    say so, instead of one household per building (the flags' households were 1 each)."""
    ws, projects = beijing_projects
    assert "households" not in ws.frame("buildings") or ws.frame("buildings")["households"].isna().all()
    sites = projects[projects["type"].isin(["service_facility", "coverage_facility"])]
    assert len(sites) and sites["households"].isna().all()
    assert sites["notes"].str.contains("户数未知").all() and (sites["buildings"] > 0).all()


def test_a_link_states_only_the_costs_it_has(planned):
    """A road link's cost source names demolition, a bridge or a rail crossing only where that
    link crosses buildings, water or a railway (its notes say so); every link names the road's
    unit cost."""
    _cfg, _ws, projects = planned
    links = projects[projects["type"] == "road_link"]
    assert len(links) > 0
    notes, basis = links["notes"].fillna(""), links["cost_basis"].fillna("")
    assert basis.str.contains("万元/m").all()
    for word, source in (("需拆迁", "compensation"), ("需建桥", "bridge"), ("需铁路立交", "railway")):
        assert (basis.str.contains(source) == notes.str.contains(word)).all(), word
    assert (~notes.str.contains("需拆迁|需建桥|需铁路立交")).any()   # a link that crosses nothing
