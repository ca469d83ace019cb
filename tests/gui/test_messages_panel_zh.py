"""The Messages panel in the window's language: the engine's warnings and bad-input messages
(layers that cannot be read or mapped, rows left out, unreadable dates, features outside the
study area, a raster of no kind, manual edits that no longer apply, a value a field does not take)
are Chinese in the Chinese window, keep their file and field names, and are English in the English
window; the engine's own text (Prepared.messages, session messages, last_error) stays English."""

import re
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

pytest.importorskip("PyQt6")
from PyQt6 import QtCore  # noqa: E402

from ..conftest import SAMPLE  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")
#: English sentences of the messages this test provokes (none may show in the Chinese window).
ENGLISH = ("does not exist", "What to do", "NO COLUMN FOUND", "share an id", "could not be read",
           "rows dropped", "outside the study area", "is of no kind", "is not a field", "not applied",
           "no longer exist", "is not a whole number", "this field takes", "skipped: missing")


@pytest.fixture(params=["zh", "en"])
def lang(request):
    from planner.gui import i18n
    from planner.gui.app import install_translations, make_app

    app = make_app()
    install_translations(app, "zh_CN" if request.param == "zh" else "en")
    yield request.param
    install_translations(app, "zh_CN")
    i18n.set_lang("zh")


def new_window(qtbot, tmp_path):
    from planner.gui.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, ask=False)
    qtbot.addWidget(w)
    return w


def bad_project(tmp: Path) -> Path:
    """A project TOML over the sample city with a problem of each kind: a boundary that leaves half
    the buildings outside, parcels with a shared id, unreadable dates and no land-use column, a
    facility table with a row whose longitude is text, a roads file that is missing, a heritage
    mapping of a field the role has not, and a raster of no kind."""
    buildings = gpd.read_file(SAMPLE / "city.gpkg", layer="buildings")
    xmin, ymin, xmax, ymax = buildings.total_bounds
    half = shapely.box(xmin - 1, ymin - 1, (xmin + xmax) / 2, ymax + 1)
    gpd.GeoDataFrame({"QHMC": ["一区"]}, geometry=[half], crs=buildings.crs).to_file(tmp / "范围.gpkg")
    parcels = buildings.head(3)[["geometry"]].copy()
    parcels["DKBH"] = ["D1", "D1", "D2"]
    parcels["GDRQ"] = ["2010-05-01", "不详", "13/13/2020"]
    parcels.to_file(tmp / "地块.gpkg")
    (tmp / "设施.csv").write_text("名称,lon,lat\n幼儿园,109.83,40.65\n小学,abc,40.65\n", encoding="utf-8")
    path = tmp / "问题项目.toml"
    path.write_text(f'''[project]
name = "问题项目"
crs = "auto"
[inputs.buildings]
path = "{(SAMPLE / 'city.gpkg').as_posix()}:buildings"
[inputs.boundary]
path = "范围.gpkg"
[inputs.parcels]
path = "地块.gpkg"
[inputs.facilities]
path = "设施.csv"
[inputs.roads]
path = "缺失道路.geojson"
[inputs.heritage]
path = "{(SAMPLE / 'city.gpkg').as_posix()}:heritage"
mapping = {{ nonsense = "名称" }}
[rasters]
dem = "{(SAMPLE / 'dem.tif').as_posix()}"
slope = "{(SAMPLE / 'dem.tif').as_posix()}"
''', encoding="utf-8")
    return path


def test_the_warnings_of_opening_a_project(lang, qtbot, tmp_path):
    w = new_window(qtbot, tmp_path)
    project = bad_project(tmp_path)
    messages: list[str] = []
    w.session.events.message.connect(messages.append)
    assert w.open_path(project)
    assert {lyr.role for lyr in w.layers} >= {"buildings", "boundary", "parcels", "facilities"}
    shown = w.messages.toPlainText()
    # the engine's text stays English whatever the window's language
    assert any(m.startswith("roads: file '") and "does not exist" in m for m in messages)
    assert sum("缺失道路.geojson" in m for m in messages) == 1  # once, with its role
    assert any("lie outside the study area" in m for m in messages)
    names = [str(tmp_path / "缺失道路.geojson"), str(tmp_path / "地块.gpkg"), "'DKBH'", "'GDRQ'", "不详",
             str(tmp_path / "设施.csv"), "lon/lat", "'nonsense'", "'slope'", str(tmp_path / "范围.gpkg"), "JZ00"]
    for name in names:
        assert name in shown, name
    if lang == "zh":
        expected = [
            f"roads：文件 '{tmp_path / '缺失道路.geojson'}'：该文件不存在。处理办法：请检查项目文件或命令行中的路径。",
            f"{tmp_path / '地块.gpkg'}：字段 'DKBH' 中有 2 个要素编号重复（例如 D1）",
            f"{tmp_path / '地块.gpkg'}：字段 'GDRQ'（supply_date）中有 2 个值无法读取，已留空（例如 不详, 13/13/2020）",
            f"{tmp_path / '地块.gpkg'}：未找到列！parcels 图层中没有 用地性质 (land_use)",
            f"{tmp_path / '设施.csv'}：2 行中有 1 行被略去：其坐标列 lon/lat 为空或不是数值（第 3 行）",
            "heritage：文件 '", "字段 'nonsense'：'nonsense' 不是图层角色 'heritage' 的字段",
            "栅格 'slope' 不属于图层目录（layers/rasters.toml）中的任何栅格类型",
            f"{tmp_path / '设施.csv'}：文本编码不确定：已按 UTF-8 读取（为有效的 UTF-8 文本，置信度 ",
            f"buildings 图层的 813 个要素中有 439 个位于研究范围（边界 {tmp_path / '范围.gpkg'}）之外",
        ]
        for text in expected:
            assert text in shown, text
        for english in ENGLISH:
            assert english not in shown, english
    else:
        for text in ("roads: file '", "the file does not exist. What to do:", "2 features share an id in field 'DKBH'",
                     "field 'GDRQ' (supply_date): 2 values could not be read", "1 of 2 rows dropped",
                     "NO COLUMN FOUND", "'nonsense' is not a field of layer role 'heritage'",
                     "raster 'slope' is of no kind", "439 of 813 features of the buildings layer lie outside"):
            assert text in shown, text
        assert not CJK.search(re.sub(r"\S*[\u4e00-\u9fff]\S*", "", shown.replace(str(tmp_path), "")))
    # a value a field does not take: what the field takes, in the window's language
    buildings = next(lyr for lyr in w.layers if lyr.role == "buildings")
    assert not w._table_edit(buildings, 0, "floors", "3.5")
    assert not w._table_edit(buildings, 0, "height", "高")
    assert w.last_error == f"layer '{buildings.name}', field 'height', row 0: '高' is not a number. What to do: " \
                           "this field takes numbers: enter a number."
    shown = w.messages.toPlainText()
    if lang == "zh":
        assert "字段 'floors'，第 0 行：'3.5' 不是整数。处理办法：该字段只接受整数：请输入整数。" in shown
        assert "字段 'height'，第 0 行：'高' 不是数值。处理办法：该字段只接受数值：请输入数值。" in shown
    else:
        assert "'3.5' is not a whole number. What to do: this field takes whole numbers: enter a whole number." in shown
    assert "int64" not in shown.lower() and "float64" not in shown


def test_a_manual_edit_that_no_longer_applies_and_skipped_checks(lang, qtbot, tmp_path, saved_sample):
    """The sample's saved project with an edit of a project the portfolio no longer has (as after
    a re-run with other parameters), and checks re-run without the roads layer."""
    path = tmp_path / "checked.gpkg"
    shutil.copy(saved_sample / "p.gpkg", path)
    w = new_window(qtbot, tmp_path)
    assert w.open_path(path)
    gone = {"op": "merge", "ids": ["OC-9998", "OC-9999"], "new_id": "OC-9998M"}
    w.session.edits.append(gone)
    w.session.refresh_portfolio()
    assert w.session.problems == ["manual edit 1 (merge) not applied: project(s) OC-9998, OC-9999 to merge "
                                  "no longer exist."]
    shown = w.messages.toPlainText()
    if lang == "zh":
        assert "手工编辑 1（merge）未能应用：待合并的项目 OC-9998, OC-9999 已不存在。" in shown
    else:
        assert "manual edit 1 (merge) not applied: project(s) OC-9998, OC-9999 to merge no longer exist." in shown
    # checks without roads: the analyses that need them are skipped, said in the window's language
    w.layers.remove(next(lyr for lyr in w.layers if lyr.role == "roads"))
    worker = w.run_checks(selected=["roads", "services"])
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        pass
    shown = w.messages.toPlainText()
    if lang == "zh":
        assert "分析项 roads 已跳过：缺少图层 'roads'" in shown, shown[-2000:]
        for english in ENGLISH:
            assert english not in shown, english
    else:
        assert "(roads) skipped: missing " in shown
