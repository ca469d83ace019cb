"""Bad-input messages in Chinese for the Chinese window (planner.messages_zh).

1. Every InputError call site in planner/ (its problem and its hint, read with ast; the parts of
   an f-string become wildcards) has a catalogue entry, and every entry has a call site.
2. Real bad inputs through the engine, on real files: message("zh") is Chinese, keeps the file
   and field names, and message() is the English text as before.
3. The window shows the Chinese text in its Messages panel in Chinese, the English in English.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS

from planner import messages_zh
from planner.catalogue import default_catalogue
from planner.errors import InputError
from planner.io.loading import harmonise
from planner.io.readers import read_vector
from planner.io.sources import parse_source

from .conftest import ROOT
from .helpers import buildings_frame, write

CJK = re.compile(r"[\u4e00-\u9fff]")
#: Three English words in a row: a sentence (or most of one) left untranslated.
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")
WILD = "\x00{}\x01"  # an f-string's variable part in a call site's shape, around its expression
VARIABLE = re.compile("\x00([^\x01]*)\x01")


# 1. coverage ------------------------------------------------------------------------------------
def _shapes(node: ast.expr, scope: ast.AST) -> list[str] | None:
    """The English shapes an argument can take (WILD for a variable part), None when it cannot
    be read statically. A name is followed to its assignments in the enclosing function."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else WILD.format(ast.unparse(v.value))
                        for v in node.values if isinstance(v, ast.Constant | ast.FormattedValue))]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _shapes(node.left, scope), _shapes(node.right, scope)
        if left is None or right is None:
            return None
        return [a + b for a in left for b in right]
    if isinstance(node, ast.Name):
        values = [a.value for a in ast.walk(scope) if isinstance(a, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
        if not values:
            return None
        out: list[str] = []
        for value in values:
            shapes = _shapes(value, scope)
            if shapes is None:
                return None
            out += shapes
        return out
    if isinstance(node, ast.Call):  # e.g. ' | '.join(errors): a variable part
        return [WILD.format(ast.unparse(node))]
    if isinstance(node, ast.IfExp):  # f"; {legacy}" if legacy else "": both texts
        body, orelse = _shapes(node.body, scope), _shapes(node.orelse, scope)
        return None if body is None or orelse is None else body + orelse
    return None


def _call_sites() -> Iterator[tuple[str, str, list[str] | None]]:
    """(file:line, 'problem' or 'hint', shapes) of every InputError(...) in planner/."""
    for path in sorted((ROOT / "planner").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and (getattr(node.func, "id", None) == "InputError"
                                                    or getattr(node.func, "attr", None) == "InputError")):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            scope = min((s for s in scopes if s.lineno <= node.lineno <= (s.end_lineno or s.lineno)),
                        key=lambda s: (s.end_lineno or s.lineno) - s.lineno, default=tree)
            problem = node.args[0] if node.args else next(k.value for k in node.keywords if k.arg == "problem")
            yield where, "problem", _shapes(problem, scope)
            for k in node.keywords:
                if k.arg == "hint" and not (isinstance(k.value, ast.Constant) and k.value.value is None):
                    yield where, "hint", _shapes(k.value, scope)


def _sample(shape: str) -> str:
    """A shape with its variable parts filled with sample words, one per distinct expression."""
    seen: dict[str, str] = {}
    return VARIABLE.sub(lambda m: seen.setdefault(m.group(1), f"X{len(seen)}"), shape)


def _readable(shape: str) -> str:
    return VARIABLE.sub(r"{\1}", shape)


SITES = list(_call_sites())


def test_the_call_sites_are_found():
    assert len(SITES) > 250  # ~140 calls, most with a hint
    assert {w.split(":")[0] for w, _, _ in SITES} >= {"planner/io/readers.py", "planner/projectfile.py",
                                                      "planner/session.py", "planner/project.py"}


def test_every_message_of_every_call_site_has_a_chinese_entry():
    missing, unreadable = [], []
    for where, part, shapes in SITES:
        if shapes is None:
            unreadable.append(f"{where} ({part})")
            continue
        for shape in shapes:
            if VARIABLE.sub("", shape).strip(" .") == "":
                unreadable.append(f"{where} ({part}: only variable parts)")
            elif messages_zh.find_entry(_sample(shape)) is None:
                missing.append(f"{where} {part}: {_readable(shape)!r}")
    assert not unreadable, "messages whose text cannot be read statically:\n" + "\n".join(unreadable)
    assert not missing, "add these to planner/messages_zh.py ENTRIES:\n" + "\n".join(missing)


def test_every_entry_has_a_call_site_and_a_chinese_template():
    used = set()
    for _, _, shapes in SITES:
        for shape in shapes or []:
            entry = messages_zh.find_entry(_sample(shape))
            if entry is not None:
                used.add(entry.shape)
    dead = [shape for shape, _ in messages_zh.ENTRIES if shape not in used]
    assert not dead, f"entries no call site writes (or that a more specific entry hides): {dead}"
    shapes = [shape for shape, _ in messages_zh.ENTRIES]
    assert len(shapes) == len(set(shapes))
    for shape, template in messages_zh.ENTRIES:
        assert CJK.search(template), shape
        assert not ENGLISH_RUN.search(re.sub(r"\{[^}]*\}", "", template).replace("Renewal Planner", "")), template


def _planner_strings() -> set[str]:
    """Every string constant and f-string (variable parts as sample words) in planner/."""
    out = set()
    for path in sorted((ROOT / "planner").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                out.update(_sample(s) for s in _shapes(node, node) or [])
    return out


def test_every_term_and_part_is_a_text_of_the_engine():
    """TERMS and PARTS translate words the engine writes: each is a string in planner/."""
    strings = _planner_strings()
    unknown = [t for t in messages_zh.TERMS if t not in strings and t.strip() not in strings]
    assert not unknown, f"TERMS no code writes: {unknown}"
    for shape, template in messages_zh.PARTS:
        entry = next(e for e in messages_zh._PARTS if e.shape == shape)
        assert any(entry.pattern.fullmatch(s) for s in strings), shape
        assert CJK.search(template)


def test_variable_parts_are_kept_and_terms_translated():
    t = messages_zh.translate
    assert t("the raster file does not exist.") == "该栅格文件不存在。"
    assert t("the project file does not exist.") == "项目文件不存在。"  # the specific entry wins
    assert t("there is no field '建造年份'.") == "不存在字段 '建造年份'。"
    assert t("the file is a named pipe, not a regular file; it is not read.") == "该文件是命名管道，不是普通文件，未予读取。"
    assert t("the working CRS EPSG:4490 is in degrees; analyses need metres.").startswith("工作坐标系 EPSG:4490 ")
    # no entry: the English text, never an empty one
    assert t("a sentence nobody wrote.") == "a sentence nobody wrote."
    exc = InputError("a sentence nobody wrote.", file="a.shp", hint="check the path.")
    assert exc.message("zh") == "文件 'a.shp'：a sentence nobody wrote. 处理办法：请检查路径。"


# 1b. warnings -----------------------------------------------------------------------------------
#: Where the engine's warnings that reach the window's Messages panel are written: the loading
#: feedback's warnings (Prepared.messages), the layer reports' warnings, the portfolio's problems
#: (manual edits not applied) and the run's notices. planner/gui writes its own text through Qt's
#: translators; planner/export's warnings go to run.json and the CLI, never to the panel.
LABEL = "X9: "  # a sentence that sits inside a warning after its file's label


def _warning_sites() -> Iterator[tuple[str, ast.expr, list[str] | None]]:
    """(file:line, the argument, its shapes as the panel gets them) of every warning call site."""
    for path in sorted((ROOT / "planner").rglob("*.py")):
        if {"gui", "export"} & set(path.relative_to(ROOT).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for node in ast.walk(tree):
            found: list[tuple[ast.expr, str]] = []  # (argument, how it is shown)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                owner, attr = ast.unparse(node.func.value), node.func.attr
                if (attr in ("warn", "info") and owner.endswith("feedback")) or (
                        attr == "append" and (owner.endswith("warnings") or owner in ("warns", "problems"))):
                    found.append((node.args[0], ""))
                elif attr == "append" and owner == "notes":
                    found.append((node.args[0], "note"))
            if isinstance(node, ast.Call):
                found += [(k.value, "inner") for k in node.keywords if k.arg == "warning"]
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "warning"
                                                    for t in node.targets):
                found.append((node.value, "inner"))
            for arg, how in found:
                scope = min((s for s in scopes if s.lineno <= node.lineno <= (s.end_lineno or s.lineno)),
                            key=lambda s: (s.end_lineno or s.lineno) - s.lineno, default=tree)
                shapes = _shapes(arg, scope)
                if how == "note":  # a reader's note "warning: ..." becomes "LABEL: ..." (readers.read_vector)
                    if shapes is None or not all(x.startswith("warning: ") for x in shapes):
                        continue
                    shapes = [LABEL + x[len("warning: "):] for x in shapes]
                elif how == "inner" and shapes is not None:
                    shapes = [LABEL + x for x in shapes]
                yield f"{path.relative_to(ROOT)}:{node.lineno}", arg, shapes


WARNING_SITES = list(_warning_sites())


def _passed_on(arg: ast.expr) -> bool:
    """A warning passed on as it came (``feedback.warn(w)``, ``exc.message()``): its text is
    written, and checked, where it was made."""
    return isinstance(arg, ast.Name) or (isinstance(arg, ast.Call) and getattr(arg.func, "attr", "") == "message")


def test_the_warning_sites_are_found():
    files = {w.split(":")[0] for w, _, _ in WARNING_SITES}
    assert files >= {"planner/pipeline.py", "planner/io/loading.py", "planner/io/readers.py", "planner/io/osm.py",
                     "planner/io/encoding.py", "planner/portfolio/overlay.py", "planner/analysis/runner.py"}
    assert len(WARNING_SITES) > 30


def test_every_warning_the_panel_shows_has_a_chinese_entry():
    missing, unreadable = [], []
    for where, arg, shapes in WARNING_SITES:
        if shapes is None:
            if not _passed_on(arg):
                unreadable.append(f"{where}: {ast.unparse(arg)}")
            continue
        for shape in shapes:
            if CJK.search(shape) or VARIABLE.sub("", shape).replace(LABEL, "").strip(" .:") == "":
                continue  # already Chinese (bilingual notices), or a text passed on from elsewhere
            if messages_zh.find_warning(_sample(shape)) is None:
                missing.append(f"{where}: {_readable(shape)!r}")
    assert not unreadable, "warnings whose text cannot be read statically:\n" + "\n".join(unreadable)
    assert not missing, "add these to planner/messages_zh.py WARNINGS:\n" + "\n".join(missing)


def test_every_warning_entry_has_a_call_site_and_a_chinese_template():
    used = set()
    for _, _, shapes in WARNING_SITES:
        for shape in shapes or []:
            entry = messages_zh.find_warning(_sample(shape))
            if entry is not None:
                used.add(entry.shape)
    dead = [shape for shape, _ in messages_zh.WARNINGS if shape not in used]
    assert not dead, f"WARNINGS entries no call site writes: {dead}"
    for shape, template in messages_zh.WARNINGS:
        assert CJK.search(template), shape
        assert not ENGLISH_RUN.search(re.sub(r"\{[^}]*\}", "", template)), template


def test_display_reads_a_whole_message_back():
    """display(): a warning, an InputError paragraph alone or after its role, or the text as it is."""
    d = messages_zh.display
    en = "file 'a b.shp', field '年份': there is no field '年份'. What to do: fields: id, name"
    assert d(en) == "文件 'a b.shp'，字段 '年份'：不存在字段 '年份'。处理办法：现有字段：id, name"
    assert d("buildings: " + en) == "buildings：" + d(en)
    assert d("raster dem: file 'd.tif': the raster cannot be read (bad). What to do: give a GeoTIFF file.") == \
        "栅格 dem：文件 'd.tif'：无法读取该栅格（bad）。处理办法：请提供 GeoTIFF 文件。"
    assert d("/x/楼.shp: 1 feature left out, no geometry: row 4 (ids B7)") == \
        "/x/楼.shp：1 个要素被略去（没有几何图形）：第 4 行（编号 B7）"
    assert d("manual edit 2 (merge) not applied: KeyError: 'x'") == "手工编辑 2（merge）未能应用：KeyError: 'x'"
    # no entry: as it is (a text with a colon is not taken for a role and a message)
    for text in ("hello: world", "a sentence nobody wrote.", "file 'a': nobody wrote this. What to do: nothing."):
        assert d(text) == text


# 2. real bad inputs -----------------------------------------------------------------------------
def _english_before(exc: InputError) -> str:
    """The English paragraph as InputError.message() wrote it before it had a language."""
    where = []
    if exc.file:
        where.append(f"file '{exc.file}'")
    if exc.layer:
        where.append(f"layer '{exc.layer}'")
    if exc.field:
        where.append(f"field '{exc.field}'")
    if exc.row is not None:
        where.append(f"row {exc.row}")
    text = exc.problem
    if where:
        text = f"{', '.join(where)}: {text}"
    if exc.hint:
        text = f"{text} What to do: {exc.hint}"
    return text


def _check(exc: InputError, *kept: str) -> str:
    """message("zh") is Chinese and keeps ``kept``; message() is the English paragraph."""
    zh, en = exc.message("zh"), exc.message()
    assert en == str(exc) == exc.message("en") == _english_before(exc)
    assert CJK.search(zh) and "What to do" not in zh and ("处理办法：" in zh) == bool(exc.hint)
    for text in kept:
        assert text in zh, (text, zh)
    # each sentence found its entry; what English is left is in the verbatim parts only
    rest = zh
    for sentence in (exc.problem, exc.hint or ""):
        if not sentence:
            continue
        entry = messages_zh.find_entry(sentence)
        assert entry is not None, sentence
        match = entry.pattern.fullmatch(sentence)
        assert match is not None
        for name, value in match.groupdict().items():
            if value and name not in entry.translated:
                rest = rest.replace(value, "")
    for text in kept:
        rest = rest.replace(text, "")
    assert not ENGLISH_RUN.search(rest), (rest, zh)
    return zh


def test_a_missing_file(tmp_path):
    path = tmp_path / "规划地块.shp"
    with pytest.raises(InputError) as exc:
        read_vector(parse_source(str(path)))
    zh = _check(exc.value, str(path))
    assert exc.value.message() == (f"file '{path}': the file does not exist. What to do: check the path in the "
                                   "project file or on the command line.")
    assert zh == f"文件 '{path}'：该文件不存在。处理办法：请检查项目文件或命令行中的路径。"


def test_a_table_with_a_header_but_no_rows(tmp_path):
    path = tmp_path / "设施.csv"
    path.write_text("名称,lon,lat\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_vector(parse_source(str(path)))
    zh = _check(exc.value, "设施.csv", "第 2 行")
    assert "表格只有表头，没有数据行" in zh


def test_a_mapping_to_a_missing_field(tmp_path):
    path = write(buildings_frame(3), tmp_path / "b.gpkg", layer="buildings")
    raw = read_vector(parse_source(str(path)), role="buildings")
    with pytest.raises(InputError) as exc:
        harmonise(raw, "buildings", default_catalogue(), CRS.from_epsg(4546), user_mapping={"year_built": "建造年份"})
    zh = _check(exc.value, "buildings.year_built=建造年份", "JZBH")
    assert "指定的列不存在" in zh


def test_coordinates_outside_china_in_the_declared_crs(tmp_path):
    rows = [f"p{i},幼儿园,109.8{i:02d},40.6" for i in range(5)]
    rows[3] = "p3,幼儿园,150.0,10.0"  # file row 5: in the Pacific
    path = tmp_path / "g.csv"
    path.write_text("名称,类型,经度,纬度\n" + "\n".join(rows) + "\n", encoding="utf-8")
    raw = read_vector(parse_source(str(path)), role="facilities")
    with pytest.raises(InputError, match="1 of 5 features lie outside China") as exc:
        harmonise(raw, "facilities", default_catalogue(), CRS.from_epsg(4546))
    zh = _check(exc.value, "g.csv", "第 5 行", exc.value.problem.split(" in CRS ")[1].split(" ")[0])
    assert "5 个要素中有 1 个位于中国境外" in zh and "投影带" in zh


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_a_layer_without_a_crs_whose_coordinates_fit_nothing(tmp_path):
    frame = gpd.GeoDataFrame({"JZBH": ["a", "b"]}, geometry=[shapely.box(5e8, 5e8, 5e8 + 10, 5e8 + 10)] * 2)
    path = write(frame, tmp_path / "无坐标.gpkg", layer="buildings")
    raw = read_vector(parse_source(str(path)), role="buildings")
    with pytest.raises(InputError, match="has no CRS") as exc:
        harmonise(raw, "buildings", default_catalogue(), CRS.from_epsg(4546))
    zh = _check(exc.value, "无坐标.gpkg", 'crs = "EPSG:4546"')
    assert "该图层没有坐标系" in zh


def test_a_project_toml_value_of_the_wrong_type(tmp_path):
    from planner.project import load_project

    project = tmp_path / "p.toml"
    project.write_text("[inputs]\nbuildings = 5\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_project(project)
    zh = _check(exc.value, "p.toml", "inputs.buildings", "sample_data/")
    assert "应为文件路径（文本）或带 path 的表，而不是整数（5）" in zh
    assert '请写成 buildings = "file.gpkg:layer"，或带 path = "..." 的 [inputs.buildings] 表' in zh


def test_a_geopackage_that_is_not_a_project_and_a_damaged_one(tmp_path):
    from planner.projectfile import load_project_file

    layer = write(buildings_frame(2), tmp_path / "建筑.gpkg", layer="buildings")
    with pytest.raises(InputError) as exc:
        load_project_file(layer)
    zh = _check(exc.value, "建筑.gpkg")
    assert "不是城市更新规划助手的项目文件" in zh and "添加图层" in zh
    damaged = tmp_path / "项目.gpkg"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    with pytest.raises(InputError, match="damaged") as exc:
        load_project_file(damaged)
    zh = _check(exc.value, "项目.gpkg")
    assert "项目文件已损坏或不是 GeoPackage" in zh and "自动保存的副本" in zh


def test_bad_set_values(tmp_path):
    from planner.analysis.registry import all_analyses
    from planner.project import parse_value

    p = next(p for a in all_analyses() for p in a.parameters if p.name == "snap_tolerance_m")
    with pytest.raises(InputError) as exc:
        p.coerce(parse_value("nan"), analysis_id="roads")
    zh = _check(exc.value, "roads.snap_tolerance_m = nan")
    assert "不是有限数值" in zh and "默认值" in zh
    from planner.cli import _build_parser, _config_from_args

    args = _build_parser().parse_args(["run", "--buildings", str(tmp_path / "b.gpkg"), "--set", "cutoff_year",
                                       "--out", str(tmp_path / "o")])
    with pytest.raises(InputError) as exc:
        _config_from_args(args)
    zh = _check(exc.value, "--set 'cutoff_year'", "old_housing.cutoff_year=2004")
    assert zh.startswith("--set 'cutoff_year' 不符合 规则.参数=取值（RULE.PARAM=VALUE）的格式。处理办法：例如")


def test_a_run_where_no_input_can_be_used(tmp_path):
    """The run's summary of unusable inputs: each "ROLE: <message>" read back and translated."""
    from planner.feedback import Feedback
    from planner.pipeline import run_job
    from planner.project import load_project

    (tmp_path / "r.csv").write_text("名称,lon,lat\n", encoding="utf-8")
    project = tmp_path / "p.toml"
    project.write_text('[project]\ncrs = "EPSG:4546"\n[inputs]\nbuildings = "缺失.gpkg"\nfacilities = "r.csv"\n',
                       encoding="utf-8")
    with pytest.raises(InputError, match="no input layer could be used") as exc:
        run_job(load_project(project), tmp_path / "out", Feedback())
    zh = _check(exc.value, "缺失.gpkg", "r.csv")
    assert zh.startswith(f"没有可用的输入图层：buildings：文件 '{tmp_path / '缺失.gpkg'}'：该文件不存在。处理办法：")
    assert f" | facilities：文件 '{tmp_path / 'r.csv'}'，第 2 行：表格只有表头，没有数据行。" in zh
    assert zh.endswith("处理办法：请修正上述输入后重新运行。")


# 3. the window ----------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_window_shows_the_message_in_its_language(lang, qtbot, tmp_path, monkeypatch):
    pytest.importorskip("PyQt6")
    from PyQt6 import QtCore

    from planner.gui import i18n
    from planner.gui.app import install_translations, make_app
    from planner.gui.main_window import MainWindow

    monkeypatch.setenv("RENEWAL_PLANNER_DATA", str(tmp_path / "user_data"))
    app = make_app()
    install_translations(app, "zh_CN" if lang == "zh" else "en")
    try:
        settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
        w = MainWindow(settings=settings, ask=False)
        qtbot.addWidget(w)
        path = tmp_path / "设施.csv"
        path.write_text("名称,lon,lat\n", encoding="utf-8")
        assert w.add_layer_file(str(path)) is None
        shown = w.messages.toPlainText()
        if lang == "zh":
            assert f"文件 '{path}'，第 2 行：表格只有表头，没有数据行。" in shown and "处理办法：" in shown
            assert "no rows" not in shown and "What to do" not in shown
        else:
            assert "the table has a header but no rows. What to do: add one row per feature" in shown
            assert not CJK.search(shown.replace(str(path), ""))
        # the window's record of the last problem stays English (like the log and the CLI)
        assert w.last_error.startswith(f"file '{path}', row 2: the table has a header but no rows.")
    finally:
        install_translations(app, "zh_CN")
        i18n.set_lang("zh")


def test_the_sample_projects_warning_of_a_guessed_crs():
    """The sample's parcels have no .prj: the warning of the guessed CRS and of the older datums
    it may be, read back in Chinese with the role, the EPSG codes and the file kept."""
    from planner.session import prepare_toml

    from .conftest import SAMPLE

    (warning,) = prepare_toml(SAMPLE / "sample_project.toml").messages
    assert warning.startswith(f"{SAMPLE / 'parcels' / '地块.shp'}: no CRS in the file; guessed: eastings carry")
    zh = messages_zh.display(warning)
    assert zh == (f"{SAMPLE / 'parcels' / '地块.shp'}：文件中没有坐标系；按坐标推断：横坐标带有带号 37，按 CGCS2000 3 度带"
                  "高斯-克吕格投影第 37 带（EPSG:4525）读取；如数据实为北京 1954 或西安 1980 坐标（较早的测绘成果），"
                  "坐标看似相同，但位置会偏差数十米（最多约 100 米）；此时请在项目文件的 [inputs.parcels] 下声明坐标系，"
                  'crs = "EPSG:2361"（西安 1980） 或 crs = "EPSG:2413"（北京 1954），或补上数据附带的 .prj 文件')
    assert not ENGLISH_RUN.search(zh.replace(str(SAMPLE), ""))
    # a reason it does not know stays as it is, after the parts it knows
    assert messages_zh.display("a.shp: no CRS in the file; guessed: by magic") == "a.shp：文件中没有坐标系；按坐标推断：by magic"


def test_parameter_values_are_named_in_words():
    """A parameter value of the wrong kind: 'a whole number' / 'a number', never Python's type name."""
    from planner.analysis.registry import all_analyses
    from planner.project import parse_value

    p = next(p for a in all_analyses() for p in a.parameters if p.name == "cutoff_year")
    with pytest.raises(InputError) as exc:
        p.coerce(parse_value("'去年'"), analysis_id="old_housing")
    assert exc.value.message() == ("parameter old_housing.cutoff_year = '去年' is not a whole number. "
                                   f"What to do: give a whole number (default {p.default!r}).")
    assert exc.value.message("zh") == f"参数 old_housing.cutoff_year = '去年' 不是整数。处理办法：请填写整数（默认值 {p.default!r}）。"
    q = next(p for a in all_analyses() for p in a.parameters if p.name == "snap_tolerance_m")
    with pytest.raises(InputError, match=r"= 'x' is not a number\. What to do: give a number \(default"):
        q.coerce(parse_value("'x'"), analysis_id="roads")


def test_the_warnings_of_a_real_openstreetmap_extract():
    """The Hefei extract read as buildings and facilities with a declared encoding: every warning
    (the ignored encoding, compounds without outlines, what OSM lacks, facility types it maps
    none of) is Chinese for the window, keeps the file and the compound names, and names the
    facility types by their titles."""
    from .conftest import OSM_FILE

    warnings = [w for role in ("buildings", "facilities")
                for w in read_vector(parse_source(str(OSM_FILE)), role=role, encoding="GBK").warnings]
    assert len(warnings) >= 4
    for w in warnings:
        zh = messages_zh.display(w)
        assert zh.startswith(f"{OSM_FILE}：") and zh != w, w
        assert not ENGLISH_RUN.search(zh.replace(str(OSM_FILE), "")), zh
    shown = "\n".join(messages_zh.display(w) for w in warnings)
    assert "已忽略编码 'GBK'：OSM 文本按规范即为 UTF-8" in shown
    assert "包河苑C区" in shown and "在 OpenStreetMap 中没有建筑轮廓" in shown
    assert "幼儿园（kindergarten）" in shown and "OpenStreetMap 没有户数、安全等级" in shown
