"""portfolio.xlsx (xlsxwriter), finished for the finance office: 说明, 项目清单, 汇总 by district /
type / phase with totals and a chart, 城市体检指标 with pass/fail colours, one sheet per flag
family, 小区汇总, 生活圈覆盖率, 参数 (parameters, weights and unit costs as readable tables).

Every value is in the deliverables' language (``lang``): project types, classes, rule codes,
statuses, units, cost sources, land uses and facility types are written as their titles, never
as keys. Percentages are formatted as %, counts as integers, money with thousands separators
in 万元. Every sheet prints landscape, one page wide, with its header rows repeated and page
numbers in the footer; column widths fit their contents.

A flag family of more rows than a list is useful for (``LIST_LIMIT``) is summarised per source
feature (a building with the facility types it lacks); the sheet says so, and every flag stays
in portfolio.gpkg."""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

from planner.export.styles import alias
from planner.export.terms import (
    codes_in_text,
    cost_basis,
    cost_basis_series,
    crs_title,
    facility_title,
    layer_title,
    pick,
    translate_series,
    type_title,
    word,
)
from planner.fileio import atomic_path

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from planner.analysis.runner import RunResult
    from planner.portfolio.totals import Membership

# run_info (the run's name, dates, CRS, parameters and weights, as in run.json) and the About
# sheet's metadata: JSON objects
RunInfo = dict[str, Any]

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL = 32_767  # characters in one cell
LIST_LIMIT = 200_000     # a flag family longer than this is summarised per source feature
CUT_MARK = {"zh": "…（已截断）", "en": "… (cut)"}
PROJECT_COLUMNS = ["priority_rank", "project_id", "name", "type_title", "subtype", "district", "buildings",
                   "floor_area_m2", "households", "parcel_area_m2", "road_length_m", "quantity", "unit",
                   "estimated_cost", "priority_score", "score_public", "score_need", "score_residents", "score_cost",
                   "score_ease", "phase", "status", "flag_count", "flags_summary", "cost_basis", "notes"]
PERCENT = {"coverage", "old_share", "vacancy_rate", "score_public", "score_need", "score_residents", "score_cost",
           "score_ease"}
INTEGER = {"buildings", "households", "flag_count", "priority_rank", "unknown_year", "unsafe_c", "unsafe_d",
           "elevator_candidates", "precast", "buildings_covered", "households_covered", "facilities", "flags",
           "projects", "year_built_max", "storeys", "households_new", "buildings_new"}
AREA = {"floor_area_m2", "parcel_area_m2", "res_floor_area_m2", "old_floor_area_m2", "area_m2"}
# indicators counted in these units are whole numbers: "12 栋", not "12.00 栋"
COUNT_UNITS = {"栋", "处", "户", "个", "部", "所", "座"}
EXTRA_ALIASES = {"flags_summary": ("涵盖标记", "Flags covered"), "missing": ("缺少的设施", "Facilities missing"),
                 "flag_total": ("标记数", "Flags"), "codes": ("命中规则", "Rules"),
                 "rule": ("规则", "Rule"), "layer": ("图层", "Layer"), "block": ("小区/网格", "Compound / cell"),
                 "missing_n": ("缺少的设施（建筑数）", "Facilities missing (buildings)"),
                 "codes_n": ("命中规则（建筑数）", "Rules (buildings)")}


def _alias(column: str, lang: str, layer: str | None = None) -> str:
    if column in EXTRA_ALIASES:
        return pick(*EXTRA_ALIASES[column], lang)
    if column == "type_title":
        return pick("项目类型", "Project type", lang)
    if column == "code":
        return pick("规则", "Rule", lang)
    return alias(column, lang, layer)


def flag_sheets(lang: str = "zh") -> list[tuple[str, str, str]]:
    """(layer, sheet name in ``lang``, English title) of every declared flag layer: one sheet each."""
    import re

    from planner.analysis.registry import flag_layers

    # a sheet name is at most 31 characters, none of []:*?/\\
    return [(f.name, re.sub(r"[\[\]:*?/\\]", "-", pick(f.title, f.title_en, lang))[:31], f.title_en)
            for f in flag_layers()]


def text_width(value: object) -> int:
    """Display width: CJK characters count double."""
    s = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _BulkSheet(xlsxwriter.worksheet.Worksheet):  # type: ignore[misc]  # xlsxwriter has no type information
    """A worksheet whose table body is given as cell XML made in bulk (Arrow string kernels over
    whole columns) instead of one ``write`` call per cell: xlsxwriter writes everything else
    (header, totals, widths, filters, panes, print setup) as usual, and the body's rows in
    between. A million cells take a second instead of minutes."""

    def __init__(self) -> None:
        super().__init__()
        self._bulk: tuple[int, int, pa.Array] | None = None

    def bulk_rows(self, first: int, n: int, n_cols: int, cells: list[pa.Array]) -> None:
        """Rows ``first`` .. ``first + n - 1`` (0-based) from per-column Arrow arrays of cell XML
        (no nulls: an empty cell is "")."""
        rows = pc.cast(pa.array(np.arange(first + 1, first + n + 1, dtype=np.int64)), pa.string())
        text = pc.binary_join_element_wise('<row r="', rows, f'" spans="1:{n_cols}">', *cells, "</row>", "")
        self._bulk = (first, first + n - 1, text)
        self._check_dimensions(first, 0)
        self._check_dimensions(first + n - 1, n_cols - 1)

    def _write_rows(self) -> None:
        if self._bulk is None:
            super()._write_rows()
            return
        first, last, text = self._bulk
        lo: int = self.dim_rowmin  # type: ignore[has-type]
        hi: int = self.dim_rowmax  # type: ignore[has-type]
        try:
            if first > lo:
                self.dim_rowmax = first - 1
                super()._write_rows()
            _write_utf8(self.fh, text)
            if hi > last:
                self.dim_rowmin, self.dim_rowmax = last + 1, hi
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = lo, hi


def _write_utf8(fh: Any, text: pa.Array) -> None:
    """Every string of ``text`` (no nulls) one after the other into a text file: its UTF-8 bytes
    as they lie in the Arrow buffer, in slices (no Python string per row)."""
    text = text.cast(pa.large_string()) if text.type != pa.large_string() else text
    raw = getattr(fh, "buffer", None)
    if raw is not None:
        fh.flush()
    step = 1 << 18
    for start in range(0, len(text), step):
        part = text.slice(start, step)
        offsets = np.frombuffer(part.buffers()[1], dtype=np.int64)[part.offset:part.offset + len(part) + 1]
        data = memoryview(part.buffers()[2])[int(offsets[0]):int(offsets[-1])] if len(part) else memoryview(b"")
        if raw is not None:
            raw.write(data)
        else:
            fh.write(bytes(data).decode("utf-8"))


def _row_refs(first: int, n: int) -> pa.Array:
    """The Excel row numbers of a table's ``n`` body rows under its header row ``first``, as text."""
    return pc.cast(pa.array(np.arange(first + 2, first + n + 2, dtype=np.int64)), pa.string())


def _number_cells(values: np.ndarray, col: int, rows: pa.Array, fmt: Format | None) -> pa.Array:
    """Cell XML of a numeric column (numbers in their shortest exact decimal form); empty
    where not finite."""
    ok = np.isfinite(values)
    style = fmt._get_xf_index() if fmt is not None else 0
    letter = xlsxwriter.utility.xl_col_to_name(col)
    text = pc.cast(pa.array(np.where(ok, values, 0.0)), pa.string())
    cells = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'" s="{style}"><v>', text, "</v></c>", "")
    return cells if ok.all() else pc.if_else(pa.array(ok), cells, "")


def _inline_text(text: str) -> str:
    """One inline string's XML: escaped, control characters as _xHHHH_, edge spaces kept."""
    t = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _CONTROL_RE.search(t):
        t = _CONTROL_RE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", t)
    tag = '<t xml:space="preserve">' if t[:1].isspace() or t[-1:].isspace() else "<t>"
    return f'" t="inlineStr"><is>{tag}{t}</t></is></c>'


def _inline_texts(texts: pa.Array) -> pa.Array:
    """_inline_text of every string of ``texts`` (no nulls), in bulk; the rare text with a
    control character in Python."""
    t = texts
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        t = pc.replace_substring(t, a, b)
    # an edge character that is a space (as str.isspace says; each distinct edge character once)
    edges = pa.chunked_array([pc.utf8_slice_codeunits(t, 0, 1), pc.utf8_slice_codeunits(t, -1, 2**31 - 1)])
    spaces = [c for c in pc.unique(edges).to_pylist() if c and c.isspace()]
    body = pc.binary_join_element_wise('" t="inlineStr"><is><t>', t, "</t></is></c>", "")
    if spaces:
        first = pc.is_in(pc.utf8_slice_codeunits(t, 0, 1), pa.array(spaces))
        last = pc.is_in(pc.utf8_slice_codeunits(t, -1, 2**31 - 1), pa.array(spaces))
        keep = pc.binary_join_element_wise('" t="inlineStr"><is><t xml:space="preserve">', t, "</t></is></c>", "")
        body = pc.if_else(pc.or_(first, last), keep, body)
    control = pc.match_substring_regex(texts, _CONTROL_RE.pattern).to_numpy(zero_copy_only=False)
    if control.any():
        values = body.to_pylist()
        originals = texts.to_pylist()
        for i in np.flatnonzero(control):
            values[i] = _inline_text(originals[i])
        body = pa.array(values, type=pa.string())
    return body


def _string_cells(values: pd.Series, col: int, rows: pa.Array, fmt: Format | None) -> pa.Array:
    """Cell XML of a text column as inline strings; each distinct text escaped once; empty
    where missing."""
    style = fmt._get_xf_index() if fmt is not None else 0
    letter = xlsxwriter.utility.xl_col_to_name(col)
    ok = values.notna().to_numpy()
    if not ok.any():
        return pa.array(np.full(len(values), "", dtype=object), type=pa.string())
    codes, uniq = pd.factorize(values.astype(str) if values.dtype == object else values.astype("string"))
    body = pc.take(_inline_texts(pa.array(np.asarray(uniq, dtype=object), type=pa.string())),
                   pa.array(np.maximum(codes, 0)))
    cells = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'" s="{style}', body, "")
    return cells if ok.all() else pc.if_else(pa.array(ok), cells, "")


class _Book:
    def __init__(self, path: Path, lang: str) -> None:
        self.lang = lang
        self.wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True, "strings_to_urls": False,
                                                  "strings_to_formulas": False})
        self.warnings: list[str] = []
        wb = self.wb
        base = {"font_name": "Microsoft YaHei" if lang == "zh" else "Calibri", "font_size": 10}
        self.f_head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "vcenter"})
        self.f_text = wb.add_format(base)
        self.f_wrap = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.f_int = wb.add_format({**base, "num_format": "#,##0"})
        self.f_num = wb.add_format({**base, "num_format": "#,##0.00"})
        self.f_num1 = wb.add_format({**base, "num_format": "#,##0.0"})
        self.f_score = wb.add_format({**base, "num_format": "0.0"})
        self.f_ratio = wb.add_format({**base, "num_format": "0.00"})
        self.f_pct = wb.add_format({**base, "num_format": "0%"})
        self.f_pct1 = wb.add_format({**base, "num_format": "0.0%"})
        self.f_title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.f_bold = wb.add_format({**base, "bold": True})
        self.f_note = wb.add_format({**base, "italic": True, "font_color": "#444444"})
        self.f_total = wb.add_format({**base, "bold": True, "num_format": "#,##0.00", "top": 1})
        self.f_total_text = wb.add_format({**base, "bold": True, "top": 1})
        self.f_total_int = wb.add_format({**base, "bold": True, "num_format": "#,##0", "top": 1})
        self.f_na = wb.add_format({**base, "align": "right", "font_color": "#666666"})
        self.f_pass = wb.add_format({**base, "bg_color": "#C6EFCE", "font_color": "#006100"})
        self.f_fail = wb.add_format({**base, "bg_color": "#FFC7CE", "font_color": "#9C0006"})

    def print_setup(self, ws: Worksheet, header_row: int, last_col: int) -> None:
        """Landscape, one page wide, header rows repeated, page numbers in the footer."""
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, header_row)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer(pick("&C第 &P 页，共 &N 页", "&CPage &P of &N", self.lang))
        ws.set_header(f"&L&8{self.sheet_title(ws)}")

    @staticmethod
    def sheet_title(ws: Worksheet) -> str:
        name: str = ws.get_name()
        return name.replace("&", "&&")

    def fmt(self, column: str, series: pd.Series) -> Format:
        if column in PERCENT:
            return self.f_pct
        if column == "priority_score":
            return self.f_score
        if column in INTEGER or column in AREA or pd.api.types.is_integer_dtype(series.dtype):
            return self.f_int
        if column in {"detour_ratio", "actual_far", "plan_far"}:
            return self.f_ratio
        if column in {"road_length_m", "length_m", "distance_m", "radius_m", "edge_distance_m", "quantity"}:
            return self.f_num1
        if pd.api.types.is_float_dtype(series.dtype):
            return self.f_num
        return self.f_text

    def table(self, name: str, frame: pd.DataFrame, columns: list[str], *, note: str | None = None,
              totals: list[str] | None = None, fixed_totals: dict[str, float] | None = None,
              wide: set[str] | None = None, layer: str | None = None,
              count_rows: np.ndarray | None = None) -> tuple[_BulkSheet, int]:
        """``count_rows``: a mask of the rows whose numbers are counts (shown as whole numbers
        whatever their column's format)."""
        ws = self.wb.add_worksheet(name, worksheet_class=_BulkSheet)
        columns = [c for c in columns if c in frame.columns]
        start = 0
        if note:
            ws.write(0, 0, note, self.f_note)
            start = 1
        heads = [_alias(c, self.lang, layer) for c in columns]
        ws.write_row(start, 0, heads, self.f_head)
        ws.set_row(start, 30)
        n = min(len(frame), EXCEL_MAX_ROWS - start - 3)
        widths = [min(text_width(h), 24) for h in heads]
        cells: list[pa.Array] = []
        refs = _row_refs(start, n)
        for j, c in enumerate(columns):
            s = frame[c].iloc[:n].reset_index(drop=True)
            fmt = self.fmt(c, s)
            boolish = s.dtype == object and set(pd.unique(s.dropna())) <= {True, False} and s.notna().any()
            if pd.api.types.is_bool_dtype(s.dtype) or boolish:
                yes, no = pick("是", "yes", self.lang), pick("否", "no", self.lang)
                text = s.map({True: yes, False: no}).astype(object).where(s.notna(), None)
                fmt = self.f_text
                cells.append(_string_cells(text, j, refs, fmt))
                sample: list[Any] = text.iloc[:500].dropna().tolist()  # texts or numbers
            elif pd.api.types.is_numeric_dtype(s.dtype):
                arr = s.to_numpy(dtype=float, na_value=np.nan)
                if fmt is self.f_int:
                    arr = np.round(arr)
                body = _number_cells(arr, j, refs, fmt)
                if count_rows is not None and fmt is not self.f_int and count_rows[:n].any():
                    whole = _number_cells(np.round(arr), j, refs, self.f_int)
                    body = pc.if_else(pa.array(count_rows[:n]), whole, body)
                cells.append(body)
                sample = [v for v in arr[:500].tolist() if np.isfinite(v)]
            else:
                text = s.astype(object).where(s.notna(), None)
                text = text.map(str, na_action="ignore") if len(text) else text
                text = self._cut_long(text, name, c, start)
                cells.append(_string_cells(text, j, refs, fmt))
                sample = text.iloc[:500].dropna().tolist()
            if sample:
                if fmt is self.f_pct:
                    shown = [f"{v:.0%}" for v in sample]
                elif fmt is self.f_int:
                    shown = [f"{v:,.0f}" for v in sample]
                elif isinstance(sample[0], float):
                    shown = [f"{v:,.2f}" for v in sample]
                else:
                    shown = [str(v) for v in sample]
                widths[j] = max(widths[j], max(text_width(v) for v in shown))
        if n and columns:
            ws.bulk_rows(start + 1, n, len(columns), cells)
        for j, (c, w) in enumerate(zip(columns, widths, strict=True)):
            cap = 70 if wide and c in wide else 40
            ws.set_column(j, j, min(max(w + 2, 6), cap), self.f_wrap if wide and c in wide and w > cap else None)
        ws.freeze_panes(start + 1, 0)
        ws.autofilter(start, 0, start + max(n, 1), max(len(columns) - 1, 0))
        if (totals or fixed_totals) and n:
            row = start + n + 1
            ws.write(row, 0, pick("合计", "Total", self.lang) if not fixed_totals else
                     pick("合计（户数、建筑、面积去重）", "Total (households, buildings, areas distinct)", self.lang),
                     self.f_total_text)
            for c, value in (fixed_totals or {}).items():
                if c in columns:  # a distinct count over all projects, not the sum of the rows
                    if np.isfinite(float(value)):   # unknown households: blank, not 0
                        ws.write_number(row, columns.index(c), float(value), self.f_total_int)
                    else:
                        ws.write_blank(row, columns.index(c), None, self.f_total_int)
            for c in totals or []:
                if c in columns:
                    j = columns.index(c)
                    col = xlsxwriter.utility.xl_col_to_name(j)
                    value = float(pd.to_numeric(frame[c], errors="coerce").fillna(0).sum())
                    ws.write_formula(row, j, f"=SUBTOTAL(109,{col}{start + 2}:{col}{start + n + 1})", self.f_total, value)
        self.print_setup(ws, start, len(columns) - 1)
        return ws, n

    def _cut_long(self, values: pd.Series, sheet: str, column: str, start: int) -> pd.Series:
        """Excel holds 32,767 characters in a cell: longer texts are cut, with a mark, and said."""
        lengths = values.str.len() if len(values) else pd.Series([], dtype=float)
        long = np.flatnonzero((lengths > EXCEL_MAX_CELL).to_numpy(dtype=bool, na_value=False))
        if not len(long):
            return values
        mark = CUT_MARK[self.lang]
        values = values.copy()
        values.iloc[long] = values.iloc[long].str.slice(0, EXCEL_MAX_CELL - len(mark)) + mark
        self.warnings.append(
            f"portfolio.xlsx, sheet '{sheet}', column '{alias(column)}': {len(long)} cell(s) longer than Excel's "
            f"{EXCEL_MAX_CELL:,} characters were cut (first in row {start + 2 + long[0]}); the full text is in "
            "portfolio.gpkg")
        return values

    def close(self) -> None:
        """Write the file, its parts compressed at zlib level 1 (a third of level 6's time;
        most of a large workbook's writing was compression; a few per cent larger)."""
        import xlsxwriter.workbook as xw

        with _ZIP_LOCK:
            xw.ZipFile = _FastZipFile  # the one ZipFile xlsxwriter makes
            try:
                self.wb.close()
            finally:
                xw.ZipFile = zipfile.ZipFile


_ZIP_LOCK = threading.Lock()


class _FastZipFile(zipfile.ZipFile):
    """A ZipFile that deflates at level 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", 1)
        super().__init__(*args, **kwargs)


def _unknown_not_zero(t: pd.DataFrame, buildings: pd.DataFrame | None) -> pd.DataFrame:
    """小区汇总 without a 0 that means "not known": a compound none of whose homes has a known
    year has no old share (blank, and no 是/否 as a candidate), and a count whose fields the
    buildings layer does not fill (no safety grades: C级/D级) is blank in every row."""
    t = t.copy()
    if {"unknown_year", "buildings"} <= set(t.columns):
        unknown = (pd.to_numeric(t["unknown_year"], errors="coerce") >= pd.to_numeric(t["buildings"], errors="coerce")
                   ).to_numpy(dtype=bool)
        for c in ("old_floor_area_m2", "old_share", "candidate"):
            if c in t:
                t[c] = t[c].astype(object).where(~unknown, None) if c == "candidate" else \
                    pd.to_numeric(t[c], errors="coerce").where(~unknown)
    if buildings is not None:
        from planner.analysis.common import COUNT_NEEDS, states

        for c in COUNT_NEEDS:
            if c in t and not states(buildings, c):
                t[c] = np.nan
    return t


def _summary(book: _Book, projects: pd.DataFrame, membership: Membership) -> dict[str, float]:
    """汇总: projects, cost and benefiting households by district / type / phase.

    Households, buildings and floor area are distinct counts (a household in a compound
    renovation, an elevator retrofit and a facility's catchment counts once), per group and
    in the total row; returns the whole portfolio's distinct totals."""
    lang = book.lang
    name = pick("汇总", "Summary", lang)
    ws = book.wb.add_worksheet(name)
    ws.write(0, 0, pick("项目汇总", "Portfolio summary", lang), book.f_title)
    overall = membership.totals(blank_unknown=True).iloc[0]
    ws.write(1, 0, pick("受益户数、建筑与面积为去重数：同一住户或建筑属于多个项目时只计一次；合计行为全部项目的去重数，不等于各行之和。",
                        "Households, buildings and areas are distinct counts: a household or building in several "
                        "projects counts once; a total row counts all projects' distinct ones, not the sum of the rows.",
                        lang), book.f_note)
    if overall["households_unknown_buildings"]:   # say what the households leave out
        ws.write(2, 0, pick(f"{int(overall['households_unknown_projects']):,} 个项目的 "
                            f"{int(overall['households_unknown_buildings']):,} 栋住宅未给出户数，不计入受益户数；户数空白为未知，不是 0。",
                            f"{int(overall['households_unknown_buildings']):,} homes in "
                            f"{int(overall['households_unknown_projects']):,} projects have no household count and are "
                            "not in the households; a blank is unknown, not 0.", lang), book.f_note)
    row = 3
    chart_source = None
    heads = [pick("项目数", "Projects", lang), pick("估算投资（万元）", "Estimated cost (10k yuan)", lang),
             pick("受益户数（去重）", "Households (distinct)", lang), pick("涉及建筑（去重）", "Buildings (distinct)", lang),
             pick("建筑面积（m²，去重）", "Floor area (m², distinct)", lang),
             pick("受益人口（估算）", "Residents (estimated)", lang)]
    for key, title in (("district", pick("按片区", "By district", lang)), ("type_title", pick("按类型", "By type", lang)),
                       ("phase", pick("按阶段", "By phase", lang))):
        ws.write(row, 0, title, book.f_title)
        row += 1
        ws.write_row(row, 0, [_alias(key, lang), *heads], book.f_head)
        label = projects[key].fillna("").astype(str)
        cost = projects.groupby(label)["estimated_cost"].sum()
        t = membership.totals(by=key, blank_unknown=True).sort_index()
        first = row + 1
        for group, r in t.iterrows():
            row += 1
            ws.write(row, 0, group or pick("（未分区）", "(no district)", lang), book.f_text)
            ws.write_number(row, 1, int(r["projects"]), book.f_int)
            ws.write_number(row, 2, float(cost.get(group, 0.0)), book.f_num)
            for j, c in ((3, "households"), (4, "buildings"), (5, "floor_area_m2"), (6, "residents")):
                if c in {"households", "residents"} and float(r["buildings"]) == 0:
                    # road links, land: they serve no building, "受益户数 0" would read as benefiting no one
                    ws.write_string(row, j, pick("不适用", "n/a", lang), book.f_na)
                elif np.isfinite(float(r[c])):   # unknown households: blank, not 0
                    ws.write_number(row, j, round(float(r[c])), book.f_int)
                else:
                    ws.write_blank(row, j, None, book.f_int)
        row += 1
        ws.write(row, 0, pick("合计", "Total", lang), book.f_total_text)
        for j, col in ((1, "B"), (2, "C")):
            total = float(len(projects)) if j == 1 else float(cost.sum())
            ws.write_formula(row, j, f"=SUM({col}{first + 1}:{col}{row})", book.f_total_int if j == 1 else book.f_total,
                             total)
        for j, c in ((3, "households"), (4, "buildings"), (5, "floor_area_m2"), (6, "residents")):
            if np.isfinite(float(overall[c])):
                ws.write_number(row, j, round(float(overall[c])), book.f_total_int)
            else:
                ws.write_blank(row, j, None, book.f_total_int)
        if key == "type_title":
            chart_source = (first, row - 1)
        row += 3
    ws.set_column(0, 0, 30)
    ws.set_column(1, 6, 18)
    if chart_source:
        chart = book.wb.add_chart({"type": "bar"})
        a, b = chart_source
        font = {"name": "Microsoft YaHei" if lang == "zh" else "Calibri"}
        chart.add_series({"name": heads[1], "categories": [name, a, 0, b, 0], "values": [name, a, 2, b, 2],
                          "fill": {"color": "#4472C4"}, "data_labels": {"value": True, "num_format": "#,##0"}})
        chart.set_title({"name": pick("各类项目估算投资（万元）", "Estimated cost by type (10k yuan)", lang),
                         "name_font": font})
        chart.set_x_axis({"num_format": "#,##0", "num_font": font})
        chart.set_y_axis({"num_font": font, "reverse": True})
        chart.set_legend({"none": True})
        chart.set_size({"width": 640, "height": 380})
        ws.insert_chart(3, 8, chart)
    book.print_setup(ws, 0, 6)
    return {c: float(overall[c]) for c in overall.index}


def _flags_summary(flags: pd.Series, lang: str) -> pd.Series:
    """A project's flags as counts by rule ("老旧住宅 12、加装电梯候选 6", rules in the order of
    their codes), in bulk: the comma-joined flag ids split and counted in Arrow, one text made
    per project."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from planner.export.html_map import joined_codes_per_group

    s = flags.fillna("").astype("string[pyarrow]")
    ids = pc.split_pattern(pa.array(s.array), ",")
    owner = pc.list_parent_indices(ids).to_numpy(zero_copy_only=False)
    code = pc.list_element(pc.split_pattern(pc.list_flatten(ids), ":", max_splits=1), 0)
    keep = pc.not_equal(code, "").to_numpy(zero_copy_only=False)
    if not keep.any():
        return pd.Series([""] * len(s), index=s.index, dtype=object)
    owner = owner[keep]
    raw, keys = pd.factorize(pd.Series(code.filter(pa.array(keep)), dtype="string"), sort=True)
    k = len(keys)
    pair, n = np.unique(owner.astype(np.int64) * k + raw, return_counts=True)  # by project, then code
    titles = np.array([word(str(c), lang) for c in keys], dtype=object)
    text = titles[pair % k] + " " + pd.Series(n).map("{:,}".format).to_numpy(dtype=object)
    sep = "、" if lang == "zh" else ", "
    joined = joined_codes_per_group(pair // k, len(s), np.arange(len(pair)), text, sep, distinct=False)
    return pd.Series(joined, index=s.index, dtype=object)


def _project_table(projects: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The project list in the deliverables' language."""
    p = pd.DataFrame(projects).copy()
    if "type" in p:
        p["type_title"] = translate_series(p["type"], lang)
    for c in ("subtype", "status", "unit"):
        if c in p:
            p[c] = translate_series(p[c], lang)
    if "cost_basis" in p:
        p["cost_basis"] = cost_basis_series(p["cost_basis"], lang)
    if "flags" in p:
        p["flags_summary"] = _flags_summary(p["flags"], lang)
    if "district" in p:
        p["district"] = translate_series(p["district"], lang)
    if "notes" in p:
        notes = {t: codes_in_text(t, lang) for t in pd.unique(p["notes"].dropna().astype(str))}
        p["notes"] = p["notes"].astype("string").map(notes).astype(object)
    return p


def _flag_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A flag layer's rows in the deliverables' language (codes, land uses, facility types,
    crossings as titles; the reason in the language)."""
    f = pd.DataFrame(frame).copy()
    if "code" in f:
        f["code"] = translate_series(f["code"], lang)
    if lang == "en" and "reason_en" in f:
        f["reason"] = f["reason_en"]
    for c in ("other_codes", "review_code"):
        if c in f:
            f[c] = translate_series(f[c], lang, sep=",")
    if "review" in f:
        f["review"] = translate_series(f["review"], lang)
    if "crosses" in f:
        f["crosses"] = translate_series(f["crosses"], lang, sep=",")
    if "facility_type" in f:
        f["facility_type"] = f["facility_type"].astype("string").map(lambda k: facility_title(k, lang)
                                                                     if k is not pd.NA else None)
        f = f.drop(columns=[c for c in ("facility_title",) if c in f])
    if "land_use" in f:
        f["land_use"] = _land_use_titles(f["land_use"], lang)
    if "severity" in f:
        f["severity"] = f["severity"].map({1: pick("低", "low", lang), 2: pick("中", "medium", lang),
                                           3: pick("高", "high", lang)}).astype(object)
    return f


def _land_use_titles(series: pd.Series, lang: str) -> pd.Series:
    """A land-use code (R2, 0701 ...) as its class title with the code kept in brackets."""
    from planner.catalogue import default_catalogue

    domain = default_catalogue().domains.get("land_use")
    s = series.astype("string")
    table = {}
    for v in pd.unique(s.dropna()):
        key = domain.lookup(v) if domain is not None else None
        value = domain.value(key) if key and domain is not None else None
        title = (value.title if lang == "zh" else value.title_en) if value is not None else v
        table[v] = title if title == v else f"{title}（{v}）" if lang == "zh" else f"{title} ({v})"
    return s.map(table).astype(object).where(s.notna(), None)


def _flag_summary_sheet(book: _Book, sheet: str, layer: str, flags: pd.DataFrame, buildings: pd.DataFrame | None,
                        list_limit: int) -> tuple[_BulkSheet, int]:
    """A flag family too long to list: one row per source feature (a building with the rules it
    meets and the facility types it lacks) while those are few enough to list, else one row
    per block (the buildings' compound; a 500 m grid cell where there is none) with how many of
    its buildings meet each rule or lack each facility type. A note says so and names the
    GeoPackage layer or table holding every flag."""
    from planner.export.gpkg import flags_table_title, summarised_by_source

    lang = book.lang
    source, keys = pd.factorize(flags["source_id"].astype("string").fillna(""), sort=True)
    where = (flags_table_title(layer, lang) if summarised_by_source(flags, len(keys)) else layer_title(layer, lang))
    n_flags = len(flags)
    facility = "facility_type" in flags
    if len(keys) <= list_limit:
        summary = _summarise_flags(flags, lang, (source, keys))
        note = pick(f"共 {n_flags:,} 条标记，逐条列出已无意义：本表按来源要素汇总（每栋建筑一行，列出命中的规则"
                    f"{'与缺少的设施' if facility else ''}），共 {len(summary):,} 行；逐条数据见 "
                    f"portfolio.gpkg “{where}”。",
                    f"{n_flags:,} flags are too many to list one by one: this sheet has one row per source "
                    f"feature (the rules it meets{' and the facilities it lacks' if facility else ''})"
                    f", {len(summary):,} rows; every flag is in portfolio.gpkg, '{where}'.", lang)
        if len(summary) > EXCEL_MAX_ROWS - 4:
            note += pick(f"（仅列出前 {EXCEL_MAX_ROWS - 4:,} 行）", f" (first {EXCEL_MAX_ROWS - 4:,} rows)", lang)
        return book.table(sheet, summary, ["source_id", "codes", "missing", "households", "flag_total"], note=note,
                          wide={"codes", "missing"})
    summary, kind = _summarise_by_block(flags, source, len(keys), buildings, lang)
    what = pick("缺少各类设施的建筑数", "buildings lacking each facility type", lang) if facility else \
        pick("命中各规则的建筑数", "buildings meeting each rule", lang)
    note = pick(f"共 {n_flags:,} 条标记、涉及 {len(keys):,} 栋建筑（要素），逐条或逐栋列出均已无意义：本表按{kind}汇总，"
                f"每{kind}一行，列出{what}，共 {len(summary):,} 行；逐条数据见 portfolio.gpkg “{where}”。",
                f"{n_flags:,} flags on {len(keys):,} source features are too many to list one by one or per "
                f"feature: this sheet has one row per {kind} with the {what}, {len(summary):,} rows; every flag is "
                f"in portfolio.gpkg, '{where}'.", lang)
    return book.table(sheet, summary, ["block", "buildings", "households", "flag_total", "missing_n", "codes_n"],
                      note=note, wide={"missing_n", "codes_n"})


def _summarise_by_block(flags: pd.DataFrame, source: np.ndarray, n_sources: int, buildings: pd.DataFrame | None,
                        lang: str) -> tuple[pd.DataFrame, str]:
    """Flags counted per block: per block its source features, their households (each
    feature's once), its flags and, most first, how many of its features have each facility
    type missing (or each rule). The block of a flag is its building's compound; where it has
    none (or the source is no building), the 500 m grid cell of the flag. Returns the table
    and what a block is in words."""
    from planner.export.html_map import joined_codes_per_group, titled_codes

    first = np.unique(source, return_index=True)[1]   # each source feature's first flag
    label = np.full(n_sources, None, dtype=object)
    if buildings is not None and {"building_id", "compound"} <= set(buildings.columns):
        ids = flags["source_id"].to_numpy()[first]
        compound = pd.Series(buildings["compound"].to_numpy(), index=buildings["building_id"].astype("string"))
        compound = compound[~compound.index.duplicated()]
        found = compound.reindex(pd.Index(ids).astype("string")).to_numpy(dtype=object)
        if "source_layer" in flags:
            found[flags["source_layer"].to_numpy()[first] != "buildings"] = None
        ok = pd.notna(found) & (pd.Series(found).astype("string").fillna("").str.len() > 0).to_numpy()
        label[ok] = found[ok]
    kind = pick("小区", "compound", lang)
    missing = pd.isna(label)
    if missing.any():
        import shapely

        b = shapely.bounds(flags.geometry.to_numpy()[first[missing]])
        gx = np.floor((b[:, 0] + b[:, 2]) / 2 / 500).astype(np.int64)
        gy = np.floor((b[:, 1] + b[:, 3]) / 2 / 500).astype(np.int64)
        cells = pd.Series(gx * 500).astype(str).to_numpy(dtype=object) + "," + pd.Series(gy * 500).astype(
            str).to_numpy(dtype=object)
        label[missing] = pick("网格 ", "cell ", lang) + cells
        kind = pick("小区（无小区处为 500 m 网格）", "compound (a 500 m grid cell where none)", lang) if (~missing).any() \
            else pick("500 m 网格", "500 m grid cell", lang)
    block_of_source, blocks = pd.factorize(pd.Series(label, dtype=object), sort=True)
    block = block_of_source[source]
    n = len(blocks)
    out = pd.DataFrame({"block": np.asarray(blocks, dtype=object),
                        "buildings": np.bincount(block_of_source, minlength=n)})
    if "households" in flags:
        hh = pd.to_numeric(flags["households"], errors="coerce").groupby(source).max().reindex(range(n_sources))
        out["households"] = np.bincount(block_of_source, weights=hh.fillna(0).to_numpy(), minlength=n)
    out["flag_total"] = np.bincount(block, minlength=n)
    what, titles = (titled_codes(flags["facility_type"], lambda k: facility_title(k, lang)) if "facility_type" in flags
                    else titled_codes(flags["code"], lambda c: word(c, lang)))
    keep = what >= 0
    counts = pd.DataFrame({"b": block[keep], "w": what[keep]}).groupby(["b", "w"]).size().rename("n").reset_index()
    counts = counts.sort_values(["b", "n", "w"], ascending=[True, False, True], kind="stable")
    texts = titles[counts["w"].to_numpy()] + " " + counts["n"].map("{:,}".format).to_numpy(dtype=object)
    sep = "、" if lang == "zh" else ", "
    out["missing_n" if "facility_type" in flags else "codes_n"] = joined_codes_per_group(counts["b"].to_numpy(), n, np.arange(len(counts)), texts, sep,
                                           distinct=False)
    return out, kind


def _summarise_flags(frame: pd.DataFrame, lang: str,
                     factorized: tuple[np.ndarray, pd.Index] | None = None) -> pd.DataFrame:
    """One row per source feature (a building, a parcel, a road): the rules it meets and, for
    living-circle gaps, the facility types it lacks (codes grouped as integers, one text made
    per source feature)."""
    from planner.export.html_map import joined_codes_per_group, titled_codes

    f = frame
    sep = "、" if lang == "zh" else ", "
    group, keys = factorized or pd.factorize(f["source_id"].astype("string").fillna(""), sort=True)
    n = len(keys)
    codes, titles = titled_codes(f["code"], lambda c: word(c, lang))
    table = pd.DataFrame({"source_id": np.asarray(keys, dtype=object),
                          "codes": joined_codes_per_group(group, n, codes, titles, sep)})
    if "facility_type" in f:
        codes, titles = titled_codes(f["facility_type"], lambda k: facility_title(k, lang))
        table["missing"] = joined_codes_per_group(group, n, codes, titles, sep)
    if "households" in f:
        table["households"] = pd.to_numeric(f["households"], errors="coerce").groupby(group).max().reindex(
            range(n)).to_numpy()
    table["flag_total"] = np.bincount(group, minlength=n)
    return table


def _parameter_rows(run_info: RunInfo, lang: str) -> list[list[object]]:
    """Analyses' parameters as rows (analysis, parameter, value, unit, basis) in ``lang``."""
    from planner.analysis.registry import all_analyses

    by_id = {a.id: a for a in all_analyses()}
    rows: list[list[object]] = []
    for analysis_id, params in (run_info.get("parameters") or {}).items():
        a = by_id.get(analysis_id)
        declared = {p.name: p for p in a.parameters} if a else {}
        a_title = pick(a.title, a.title_en, lang) if a else analysis_id
        for name, value in params.items():
            p = declared.get(name)
            if p is not None:
                title = pick(p.title or name, p.title_en or name, lang)
                basis = pick(p.description, p.description_en or p.description, lang)
                unit = p.unit
            elif name.startswith("radius."):
                title = pick("服务半径：", "Radius: ", lang) + facility_title(name.split(".", 1)[1], lang)
                basis, unit = "", "m"
            else:
                title, basis, unit = name, "", ""
            rows.append([a_title, title, *_value_and_unit(value, unit, lang), basis])
        if a is not None and a.basis:
            rows.append([a_title, pick("政策与标准依据", "Policy and standard basis", lang), a.basis, "", ""])
    return rows


def _value_and_unit(value: object, unit: str, lang: str) -> tuple[object, str]:
    """A parameter's value as shown: a share as a percentage, a list as its titles."""
    if isinstance(value, bool):
        return pick("是" if value else "否", "yes" if value else "no", lang), ""
    if isinstance(value, float) and not unit and 0 < value < 1:
        return f"{value:.1%}".replace(".0%", "%"), ""
    if isinstance(value, (int, float)):
        return (int(value) if float(value).is_integer() else round(float(value), 4)), word(unit, lang) if unit else ""
    if isinstance(value, (list, tuple)):
        if not value:
            return pick("（全部）", "(all)", lang), ""
        sep = "、" if lang == "zh" else ", "
        return sep.join(word(v, lang) for v in value), ""
    return word(str(value), lang), unit


def _parameters_sheet(book: _Book, run_info: RunInfo) -> None:
    from planner.portfolio.settings import COMPONENTS, load_settings

    lang = book.lang
    ws = book.wb.add_worksheet(pick("参数", "Parameters", lang))
    heads = [pick("分析", "Analysis", lang), pick("参数", "Parameter", lang), pick("取值", "Value", lang),
             pick("单位", "Unit", lang), pick("说明与依据", "Meaning and basis", lang)]
    ws.write(0, 0, pick("判定参数", "Rule parameters", lang), book.f_title)
    ws.write_row(1, 0, heads, book.f_head)
    row = 2
    for r in _parameter_rows(run_info, lang):
        for j, v in enumerate(r):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(row, j, v, book.f_num1 if isinstance(v, float) else book.f_int)
            else:
                ws.write(row, j, v, book.f_wrap if j == 4 else book.f_text)
        row += 1
    settings = load_settings()
    names = {"public": ("安全与公益", "Safety and public interest"), "need": ("需求严重程度", "Need"),
             "residents": ("受益居民", "Residents"), "cost": ("投资（低者优先）", "Cost (cheaper first)"),
             "ease": ("实施难易（先易后难）", "Ease (easy first)")}
    weights = settings.normalised_weights(run_info.get("weights") or None)
    row += 1
    ws.write(row, 0, pick("优先级权重", "Priority weights", lang), book.f_title)
    row += 1
    ws.write_row(row, 0, [pick("得分构成", "Component", lang), pick("权重", "Weight", lang)], book.f_head)
    for k in COMPONENTS:
        row += 1
        ws.write(row, 0, pick(*names[k], lang), book.f_text)
        ws.write_number(row, 1, float(weights.get(k, 0.0)), book.f_pct)
    row += 2
    ws.write(row, 0, pick("实施阶段", "Phases", lang), book.f_title)
    row += 1
    ws.write_row(row, 0, [pick("阶段", "Phase", lang), pick("最低得分", "Minimum score", lang)], book.f_head)
    for phase, minimum in settings.phases:
        row += 1
        ws.write(row, 0, phase, book.f_text)
        ws.write_number(row, 1, minimum, book.f_score)
    row += 2
    ws.write(row, 0, pick("估算单价", "Unit costs", lang), book.f_title)
    row += 1
    ws.write_row(row, 0, [pick("项目类型", "Project type", lang), pick("子类", "Class", lang),
                          pick("单价（万元）", "Unit cost (10k yuan)", lang), pick("单位", "Unit", lang),
                          pick("估算依据", "Cost source", lang)], book.f_head)
    for key, t in settings.types.items():
        for cls, (per_unit, source) in t.costs.items():
            row += 1
            ws.write(row, 0, type_title(key, lang), book.f_text)
            ws.write(row, 1, word(cls, lang) if cls else "", book.f_text)
            ws.write_number(row, 2, per_unit, book.f_num)
            ws.write(row, 3, word(t.unit, lang), book.f_text)
            ws.write(row, 4, cost_basis(source, lang, per_unit=per_unit, unit=t.unit), book.f_wrap)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 2, 18)
    ws.set_column(3, 3, 10)
    ws.set_column(4, 4, 80)
    ws.freeze_panes(2, 0)
    book.print_setup(ws, 1, 4)


def _readme(book: _Book, run_info: RunInfo, sheets: list[tuple[str, str]], meta: dict[str, Any]) -> None:
    lang = book.lang
    ws = book.wb.add_worksheet(pick("说明", "About", lang))
    ws.write(0, 0, pick("城市更新项目库与体检结果", "Renewal portfolio and city examination", lang), book.f_title)
    lines = [
        (pick("项目名称", "Project", lang), run_info.get("name", "")),
        (pick("编制单位", "Prepared by", lang), meta.get("organisation") or pick("（未填写）", "(not given)", lang)),
        (pick("编制日期", "Date", lang), meta.get("date", "")),
        (pick("评估基准日", "As-of date", lang), run_info.get("as_of", "")),
        (pick("生成时间", "Written", lang), dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        (pick("坐标系", "CRS", lang), meta.get("crs") or run_info.get("working_crs", "")),
        (pick("软件版本", "Software", lang), f"{pick('城市更新规划助手', 'Renewal Planner', lang)} "
                                             f"{run_info.get('software', '')}"),
        *([(pick("数据来源", "Data", lang), str(meta["attribution"]))] if meta.get("attribution") else []),
        ("", ""),
        (pick("工作表", "Sheet", lang), pick("内容", "Content", lang)),
    ]
    for i, (a, b) in enumerate(lines + sheets):
        fmt = book.f_head if a == pick("工作表", "Sheet", lang) else book.f_text
        ws.write(i + 2, 0, a, fmt)
        ws.write(i + 2, 1, b, fmt if fmt is book.f_head else book.f_wrap)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 100)
    book.print_setup(ws, 0, 1)


def write_workbook(path: Path, result: RunResult, projects: pd.DataFrame, run_info: RunInfo, *,
                   buildings: pd.DataFrame | None = None, parcels: pd.DataFrame | None = None,
                   warnings: list[str] | None = None, lang: str = "zh", meta: dict[str, Any] | None = None,
                   list_limit: int = LIST_LIMIT) -> dict[str, int]:
    """Write the workbook; returns rows written per sheet (``warnings`` gets what was cut).

    ``buildings`` and ``parcels`` (the harmonised input layers) give each building's households
    and floor area and each parcel's area, so that totals count each of them once. ``meta``:
    organisation, date, crs (in words) and attribution (a licence notice of the inputs) for the 说明 sheet."""
    rows: dict[str, int] = {}
    meta = dict(meta or {})
    if "crs" not in meta and run_info.get("working_crs"):
        from pyproj import CRS

        try:
            meta["crs"] = crs_title(CRS.from_user_input(run_info["working_crs"]), lang)
        except Exception:  # noqa: BLE001 (an unreadable CRS text is shown as it is)
            meta["crs"] = run_info["working_crs"]
    with atomic_path(path) as tmp:
        book = _Book(tmp, lang)
        sheet_lines: list[tuple[str, str]] = [
            (pick("项目清单", "Projects", lang), pick("城市更新项目：类型、数量、估算投资（万元）、优先级得分及其构成、实施阶段、涵盖的标记",
                                                   "Renewal projects: type, quantities, estimated cost (10k yuan), "
                                                   "priority score and its components, phase, flags covered", lang)),
            (pick("汇总", "Summary", lang), pick("按片区、类型、阶段汇总的项目数、投资与受益户数（去重），及投资图表",
                                               "Projects, cost and households (distinct) by district, type and "
                                               "phase, with a chart", lang)),
            (pick("城市体检指标", "Indicators", lang), pick("各片区及全域指标，与目标值比较（绿色达标，红色未达标）",
                                                       "Indicators by district and overall against their targets "
                                                       "(green met, red not met)", lang)),
        ]
        for _layer, sheet, _en in flag_sheets(lang):
            sheet_lines.append((sheet, pick("每条标记的来源要素、规则、严重程度与原因", "Each flag's source feature, rule, "
                                             "severity and reason", lang)))
        sheet_lines += [(pick("小区汇总", "Compounds", lang), pick("各小区（或地块、街区）的老旧住宅占比与危房、加梯情况",
                                                               "Old floor-area share, unsafe and elevator counts per "
                                                               "compound", lang)),
                        (pick("生活圈覆盖率", "Coverage", lang), pick("各类设施服务半径内的住宅与户数比例",
                                                                  "Share of homes within each facility's radius",
                                                                  lang)),
                        (pick("参数", "Parameters", lang), pick("判定参数（名称、取值、单位、依据）、优先级权重、实施阶段与估算单价",
                                                             "Rule parameters (name, value, unit, basis), priority "
                                                             "weights, phases and unit costs", lang))]
        _readme(book, run_info, sheet_lines, meta)

        key = "priority_rank" if "priority_rank" in projects else "priority_score"
        ordered = projects.sort_values(key, ascending=key == "priority_rank") if len(projects) else projects
        distinct = membership = None
        table = _project_table(ordered, lang) if len(ordered) else pd.DataFrame(ordered)
        # 0: the measure does not apply (a house has no road length; a facility site's beneficiaries
        # are counted as buildings and households, its floor area is not measured: "370 栋, 0 m²"
        # read as empty homes)
        for column in ("parcel_area_m2", "road_length_m", "floor_area_m2"):
            if column in table:
                table[column] = pd.to_numeric(table[column], errors="coerce").where(lambda v: v != 0)
        if "buildings" in table:   # a road link or a parcel has no buildings: no buildings or households to count
            none = pd.to_numeric(table["buildings"], errors="coerce").fillna(0).to_numpy() == 0
            for column in ("buildings", "households"):
                if column in table:
                    table[column] = pd.to_numeric(table[column], errors="coerce").where(~none)
        if len(projects):
            from planner.portfolio.totals import Membership

            # the translated table: its groups (district, type, phase) are in the workbook's language
            membership = Membership(table, buildings, parcels)
            distinct = membership.totals(blank_unknown=True).iloc[0]
        name = pick("项目清单", "Projects", lang)
        _, n = book.table(name, table, PROJECT_COLUMNS, totals=["road_length_m", "estimated_cost"],
                          fixed_totals=None if distinct is None else {
                              "buildings": distinct["buildings"], "households": distinct["households"],
                              "floor_area_m2": distinct["floor_area_m2"], "parcel_area_m2": distinct["parcel_area_m2"]},
                          wide={"name", "cost_basis", "flags_summary", "notes"})
        rows[name] = n
        if membership is not None:  # there are projects
            _summary(book, table, membership)
        ind = result.tables.get("indicators")
        if ind is not None:
            ind = pd.DataFrame(ind).copy()
            ind["district"] = translate_series(ind["district"], lang)
            if "direction" in ind:
                ind["direction"] = translate_series(ind["direction"], lang)
            if lang == "en" and "title_en" in ind:
                ind["title"] = ind["title_en"]
            titles = {t: codes_in_text(t, lang) for t in pd.unique(ind["title"].dropna().astype(str))}
            ind["title"] = ind["title"].astype(str).map(titles)
            counts = None
            if "unit" in ind:
                counts = ind["unit"].astype("string").isin(COUNT_UNITS).to_numpy(dtype=bool, na_value=False)
                ind["unit"] = translate_series(ind["unit"], lang)
            cols = ["district", "title", "value", "unit", "target", "direction", "pass"]
            name = pick("城市体检指标", "Indicators", lang)
            ws, n = book.table(name, ind, cols, wide={"title"}, count_rows=counts)
            rows[name] = n
            col = [c for c in cols if c in ind.columns].index("pass")
            yes, no = pick("是", "yes", lang), pick("否", "no", lang)
            ws.conditional_format(1, col, n, col, {"type": "cell", "criteria": "==", "value": f'"{yes}"',
                                                   "format": book.f_pass})
            ws.conditional_format(1, col, n, col, {"type": "cell", "criteria": "==", "value": f'"{no}"',
                                                   "format": book.f_fail})
        for layer, sheet, _en in flag_sheets(lang):
            f = result.flags.get(layer)
            if f is None:
                continue
            if len(f) > list_limit:
                _, n = _flag_summary_sheet(book, sheet, layer, f, buildings, list_limit)
                rows[sheet] = n
                continue
            frame = _flag_table(pd.DataFrame(f.drop(columns=f.geometry.name)), lang)
            own = [c for c in frame.columns if c not in {"flag_id", "source_id", "code", "severity", "reason",
                                                         "reason_en", "source_layer"}]
            cols = ["source_id", "code", "severity", "reason", *own, "flag_id"]
            _, rows[sheet] = book.table(sheet, frame, cols, wide={"reason"}, layer=layer)
        t = result.tables.get("compounds")
        if t is not None:
            t = pd.DataFrame(t).copy()
            if "compound_kind" in t:
                block = t["compound_kind"].astype(str) == "block"
                t.loc[block, "compound"] = t.loc[block, "compound"].astype(str).str.replace(
                    "block", pick("街区", "Block ", lang), regex=False)
                t["compound_kind"] = translate_series(t["compound_kind"], lang)
            t = _unknown_not_zero(t, buildings)
            name = pick("小区汇总", "Compounds", lang)
            _, rows[name] = book.table(name, t, list(t.columns))
        t = result.tables.get("service_coverage")
        if t is not None:
            t = pd.DataFrame(t).copy()
            if "facility_type" in t:
                t["title"] = t["facility_type"].astype("string").map(lambda k: facility_title(k, lang))
            cols = ["title", *[c for c in t.columns if c not in {"facility_type", "title"}]]
            name = pick("生活圈覆盖率", "Coverage", lang)
            _, rows[name] = book.table(name, t.rename(columns={"title": "facility_title"}),
                                       ["facility_title", *cols[1:]])
        _parameters_sheet(book, run_info)
        book.close()
    if warnings is not None:
        warnings.extend(book.warnings)
    return rows
