"""portfolio.xlsx (xlsxwriter): README, 项目清单, one sheet per flag family, indicators with
pass/fail colours, summaries by district / type / phase with totals and a chart."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from planner.export.styles import alias
from planner.fileio import atomic_path

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL = 32_767  # characters in one cell
CUT_MARK = "…（已截断 cut）"
def flag_sheets() -> list[tuple[str, str, str]]:
    """(layer, Chinese title, English title) of every declared flag layer: one sheet each."""
    import re

    from planner.analysis.registry import flag_layers

    # a sheet name is at most 31 characters, none of []:*?/\\
    return [(f.name, re.sub(r"[\[\]:*?/\\]", "-", f.title)[:31], f.title_en) for f in flag_layers()]
PROJECT_COLUMNS = ["priority_rank", "project_id", "name", "type_title", "subtype", "district", "buildings",
                   "floor_area_m2", "households", "parcel_area_m2", "road_length_m", "quantity", "unit",
                   "estimated_cost", "priority_score", "score_public", "score_need", "score_residents", "score_cost",
                   "score_ease", "phase", "status", "flag_count", "cost_basis", "flags", "notes"]


def text_width(value: object) -> int:
    """Display width: CJK characters count double."""
    s = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


class _Book:
    def __init__(self, path: Path):
        self.wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True, "strings_to_urls": False,
                                                  "strings_to_formulas": False})
        self.warnings: list[str] = []
        wb = self.wb
        base = {"font_name": "Microsoft YaHei", "font_size": 10}
        self.f_head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "vcenter"})
        self.f_text = wb.add_format(base)
        self.f_int = wb.add_format({**base, "num_format": "#,##0"})
        self.f_num = wb.add_format({**base, "num_format": "#,##0.00"})
        self.f_score = wb.add_format({**base, "num_format": "0.0"})
        self.f_ratio = wb.add_format({**base, "num_format": "0.000"})
        self.f_title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.f_total = wb.add_format({**base, "bold": True, "num_format": "#,##0.00", "top": 1})
        self.f_total_text = wb.add_format({**base, "bold": True, "top": 1})
        self.f_total_int = wb.add_format({**base, "bold": True, "num_format": "#,##0", "top": 1})
        self.f_pass = wb.add_format({**base, "bg_color": "#C6EFCE", "font_color": "#006100"})
        self.f_fail = wb.add_format({**base, "bg_color": "#FFC7CE", "font_color": "#9C0006"})

    def fmt(self, column: str, series: pd.Series):
        if column.startswith("score_") or column in {"coverage", "old_share", "detour_ratio", "vacancy_rate"}:
            return self.f_ratio
        if column == "priority_score":
            return self.f_score
        if pd.api.types.is_integer_dtype(series.dtype) or column in {"buildings", "households", "flag_count", "severity",
                                                                      "priority_rank"}:
            return self.f_int
        if pd.api.types.is_float_dtype(series.dtype):
            return self.f_num
        return self.f_text

    def table(self, name: str, frame: pd.DataFrame, columns: list[str], *, note: str | None = None,
              totals: list[str] | None = None, fixed_totals: dict[str, float] | None = None):
        ws = self.wb.add_worksheet(name)
        columns = [c for c in columns if c in frame.columns]
        start = 0
        if note:
            ws.write(0, 0, note, self.f_text)
            start = 1
        heads = [alias(c) for c in columns]
        ws.write_row(start, 0, heads, self.f_head)
        ws.set_row(start, 30)
        n = min(len(frame), EXCEL_MAX_ROWS - start - 3)
        widths = [text_width(h) for h in heads]
        for j, c in enumerate(columns):
            s = frame[c].iloc[:n]
            fmt = self.fmt(c, s)
            boolish = s.dtype == object and set(pd.unique(s.dropna())) <= {True, False} and s.notna().any()
            if pd.api.types.is_bool_dtype(s.dtype) or boolish:
                values = [None if v is None or v is pd.NA else ("是" if bool(v) else "否") for v in s.tolist()]
            elif pd.api.types.is_numeric_dtype(s.dtype):
                arr = s.to_numpy(dtype=float, na_value=np.nan)
                values = [None if not np.isfinite(v) else v for v in arr.tolist()]
            else:
                values = [None if (v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA) else str(v)
                          for v in s.tolist()]
                self._cut_long(values, name, c, start)
            ws.write_column(start + 1, j, values, fmt)
            sample = [v for v in values[:200] if v is not None]
            if sample:
                widths[j] = max(widths[j], max(text_width(v if isinstance(v, str) else f"{v:,.2f}") for v in sample))
        for j, w in enumerate(widths):
            ws.set_column(j, j, min(max(w + 2, 6), 60))
        ws.freeze_panes(start + 1, 0)
        ws.autofilter(start, 0, start + max(n, 1), max(len(columns) - 1, 0))
        if (totals or fixed_totals) and n:
            row = start + n + 1
            ws.write(row, 0, "合计 Total" if not fixed_totals else "合计（户数、建筑、面积去重）Total (distinct)",
                     self.f_total_text)
            for c, value in (fixed_totals or {}).items():
                if c in columns:  # a distinct count over all projects, not the sum of the rows
                    ws.write_number(row, columns.index(c), float(value), self.f_total)
            totals = totals or []
            for c in totals:
                if c in columns:
                    j = columns.index(c)
                    col = xlsxwriter.utility.xl_col_to_name(j)
                    value = float(pd.to_numeric(frame[c], errors="coerce").fillna(0).sum())
                    ws.write_formula(row, j, f"=SUBTOTAL(109,{col}{start + 2}:{col}{start + n + 1})", self.f_total, value)
        return ws, n

    def _cut_long(self, values: list, sheet: str, column: str, start: int) -> None:
        """Excel holds 32,767 characters in a cell: longer texts are cut, with a mark, and said."""
        long = [i for i, v in enumerate(values) if v is not None and len(v) > EXCEL_MAX_CELL]
        for i in long:
            values[i] = values[i][:EXCEL_MAX_CELL - len(CUT_MARK)] + CUT_MARK
        if long:
            self.warnings.append(
                f"portfolio.xlsx, sheet '{sheet}', column '{alias(column)}': {len(long)} cell(s) longer than Excel's "
                f"{EXCEL_MAX_CELL:,} characters were cut (first in row {start + 2 + long[0]}); the full text is in "
                "portfolio.gpkg")

    def close(self):
        self.wb.close()


def _summary(book: _Book, projects: pd.DataFrame, membership) -> dict[str, float]:
    """汇总: projects, cost and benefiting households by district / type / phase.

    Households, buildings and floor area are distinct counts (a household in a compound
    renovation, an elevator retrofit and a facility's catchment counts once), per group and
    in the total row; returns the whole portfolio's distinct totals."""
    ws = book.wb.add_worksheet("汇总")
    ws.write(0, 0, "项目汇总 Portfolio summary", book.f_title)
    overall = membership.totals().iloc[0]
    ws.write(1, 0, "受益户数、建筑与面积为去重数：同一住户或建筑属于多个项目时只计一次；合计行为全部项目的去重数，"
                   "不等于各行之和。 Households, buildings and areas are distinct counts.", book.f_text)
    row = 3
    chart_source = None
    heads = ["项目数", "估算投资（万元）", "受益户数（去重）", "涉及建筑（去重）", "建筑面积（m²，去重）", "受益人口（估算）"]
    for key, title in (("district", "按片区 By district"), ("type_title", "按类型 By type"), ("phase", "按阶段 By phase")):
        ws.write(row, 0, title, book.f_title)
        row += 1
        ws.write_row(row, 0, [alias(key) if key != "type_title" else "项目类型", *heads], book.f_head)
        label = projects[key].fillna("").astype(str)
        cost = projects.groupby(label)["estimated_cost"].sum()
        t = membership.totals(by=key).sort_index()
        first = row + 1
        for name, r in t.iterrows():
            row += 1
            ws.write(row, 0, name or "（未分区）", book.f_text)
            ws.write_number(row, 1, int(r["projects"]), book.f_int)
            ws.write_number(row, 2, float(cost.get(name, 0.0)), book.f_num)
            for j, c in ((3, "households"), (4, "buildings"), (5, "floor_area_m2"), (6, "residents")):
                ws.write_number(row, j, float(r[c]), book.f_int)
        row += 1
        ws.write(row, 0, "合计 Total", book.f_total_text)
        for j, col in ((1, "B"), (2, "C")):
            total = float(len(projects)) if j == 1 else float(cost.sum())
            ws.write_formula(row, j, f"=SUM({col}{first + 1}:{col}{row})", book.f_total, total)
        for j, c in ((3, "households"), (4, "buildings"), (5, "floor_area_m2"), (6, "residents")):
            ws.write_number(row, j, float(overall[c]), book.f_total_int)
        if key == "type_title":
            chart_source = (first, row - 1)
        row += 3
    ws.set_column(0, 0, 28)
    ws.set_column(1, 6, 16)
    if chart_source:
        chart = book.wb.add_chart({"type": "bar"})
        a, b = chart_source
        chart.add_series({"name": "估算投资（万元）", "categories": ["汇总", a, 0, b, 0], "values": ["汇总", a, 2, b, 2],
                          "fill": {"color": "#4472C4"}})
        chart.set_title({"name": "各类项目估算投资（万元）", "name_font": {"name": "Microsoft YaHei"}})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": 360})
        ws.insert_chart(3, 8, chart)
    return {c: float(overall[c]) for c in overall.index}


def write_workbook(path: Path, result, projects: pd.DataFrame, run_info: dict, *, buildings=None,
                   parcels=None, warnings: list[str] | None = None) -> dict[str, int]:
    """Write the workbook; returns rows written per sheet (``warnings`` gets what was cut).

    ``buildings`` and ``parcels`` (the harmonised input layers) give each building's households
    and floor area and each parcel's area, so that totals count each of them once."""
    rows: dict[str, int] = {}
    with atomic_path(path) as tmp:
        book = _Book(tmp)
        readme = book.wb.add_worksheet("说明")
        readme.write(0, 0, "城市更新项目库与体检结果 Renewal portfolio and city examination", book.f_title)
        lines = [
            ("项目名称 Run", run_info.get("name", "")),
            ("评估基准日 As-of date", run_info.get("as_of", "")),
            ("生成时间 Written", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
            ("坐标系 CRS", run_info.get("working_crs", "")),
            ("软件版本 Software", f"renewal-planner {run_info.get('software', '')}"),
            ("优先级权重 Weights", json.dumps(run_info.get("weights", {}), ensure_ascii=False)),
            ("", ""),
            ("工作表 Sheet", "内容 Content"),
            ("项目清单", "城市更新项目：类型、数量、估算投资（万元）、优先级得分及其构成、实施阶段、涵盖的标记"),
            ("汇总", "按片区、类型、阶段汇总的项目数、投资与受益户数，及投资图表"),
            ("城市体检指标", "各片区及全域指标，与目标值比较（绿色达标，红色未达标）"),
        ]
        for _layer, zh, en in flag_sheets():
            lines.append((zh, f"{en}: 每条标记的来源要素、规则代码、严重程度与原因"))
        lines.append(("", ""))
        lines.append(("参数 Parameters", ""))
        for analysis, params in run_info.get("parameters", {}).items():
            lines.append((analysis, json.dumps(params, ensure_ascii=False, default=str)))
        for i, (a, b) in enumerate(lines):
            readme.write(i + 2, 0, a, book.f_head if a == "工作表 Sheet" else book.f_text)
            readme.write(i + 2, 1, b, book.f_text)
        readme.set_column(0, 0, 26)
        readme.set_column(1, 1, 110)

        pcols = PROJECT_COLUMNS
        # Safety first: the rank orders by phase (D-grade 危房 always first), then the score.
        key = "priority_rank" if "priority_rank" in projects else "priority_score"
        ordered = projects.sort_values(key, ascending=key == "priority_rank") if len(projects) else projects
        distinct = membership = None
        if len(projects):
            from planner.portfolio.totals import Membership

            membership = Membership(pd.DataFrame(projects), buildings, parcels)
            distinct = membership.totals().iloc[0]
        _, n = book.table("项目清单", pd.DataFrame(ordered), pcols, totals=["road_length_m", "estimated_cost"],
                          fixed_totals=None if distinct is None else {
                              "buildings": distinct["buildings"], "households": distinct["households"],
                              "floor_area_m2": distinct["floor_area_m2"], "parcel_area_m2": distinct["parcel_area_m2"]})
        rows["项目清单"] = n
        if len(projects):
            _summary(book, pd.DataFrame(projects), membership)
        ind = result.tables.get("indicators")
        if ind is not None:
            ws, n = book.table("城市体检指标", ind, ["district", "title", "value", "unit", "target", "pass", "indicator",
                                                     "title_en"])
            rows["城市体检指标"] = n
            col = ["district", "title", "value", "unit", "target", "pass"].index("pass")
            ws.conditional_format(1, col, n, col, {"type": "cell", "criteria": "==", "value": '"是"', "format": book.f_pass})
            ws.conditional_format(1, col, n, col, {"type": "cell", "criteria": "==", "value": '"否"', "format": book.f_fail})
        for layer, zh, _en in flag_sheets():
            f = result.flags.get(layer)
            if f is None:
                continue
            frame = pd.DataFrame(f.drop(columns=f.geometry.name))
            cols = ["flag_id", "source_id", "code", "severity", "reason"] + [
                c for c in frame.columns if c not in {"flag_id", "source_id", "code", "severity", "reason", "reason_en",
                                                      "source_layer"}] + ["reason_en"]
            note = None
            if len(frame) > EXCEL_MAX_ROWS - 4:
                note = (f"共 {len(frame):,} 条，超过Excel行数上限，仅列出前 {EXCEL_MAX_ROWS - 4:,} 条；完整数据见 portfolio.gpkg "
                        f"图层 {layer}。")
            _, n = book.table(zh, frame, cols, note=note)
            rows[zh] = n
        for name, title in (("compounds", "小区汇总"), ("service_coverage", "生活圈覆盖率")):
            t = result.tables.get(name)
            if t is not None:
                _, rows[title] = book.table(title, t, list(t.columns))
        book.close()
    if warnings is not None:
        warnings.extend(book.warnings)
    return rows
