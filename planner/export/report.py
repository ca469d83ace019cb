"""report.docx: the plan draft (城市体检与更新规划草案), written from the same run as the workbook.

Built with python-docx on a Word template (``resources/report/template.docx``, which an
institute replaces with its own: cover, logo, styles, header and footer; the placeholders it
fills are listed in ``resources/report/make_template.py``). Chapters:

1. 概述: study area, data sources with their dates, CRS, method, as-of date.
2. 城市体检: indicators by district against their targets, a chart and a map.
3. 问题清单: one section per analysis that ran and declares flag layers (registry
   ``Analysis.outputs`` / ``rules`` / ``basis`` / ``parameters``): counts by rule, a map, a
   table of the main items (the top ``top_n``), the rule's parameters and its basis. A new
   analysis gets its section without any change here.
4. 更新项目库: projects by type and district, 实施时序 by phase, 投资估算 with the cost
   sources, the first projects by rank, maps.
5. 附录: parameters and weights, data quality (parse failures, repairs, dropped rows),
   limitations.

Every sentence states numbers the workbook holds too, computed from the same objects
(:class:`planner.portfolio.totals.Membership` for distinct totals, the flag layers, the
indicator table, the run's parameters). Headings use Word's heading styles and the contents
are a TOC field (Word updates it on opening); tables repeat their header row on every page;
figures are drawn at 300 dpi with the map-sheet code (:mod:`planner.export.report_figures`)."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.export.terms import (
    cost_basis,
    crs_title,
    facility_title,
    layer_title,
    pick,
    translate_series,
    type_title,
    word,
)
from planner.fileio import atomic_path
from planner.paths import RESOURCES_DIR

if TYPE_CHECKING:
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.text.paragraph import Paragraph

    from planner.analysis.registry import Analysis, FlagLayer, RuleCode
    from planner.analysis.runner import RunResult
    from planner.catalogue import LayerSpec
    from planner.export.sheets import SheetBase
    from planner.pipeline import Workspace
    from planner.project import RunConfig

TEMPLATE = RESOURCES_DIR / "report" / "template.docx"
TOP_N = 15            # rows of a "main items" table
TOP_PROJECTS = 20     # rows of the table of first projects
WIDE_DISTRICTS = 6    # up to this many districts, the district table has a column per district
MEASURES = ("parcel_area_m2", "floor_area_m2", "households", "length_m", "area_m2", "volume_m3")
SEVERITY = {1: ("低", "low"), 2: ("中", "medium"), 3: ("高", "high")}


def _n(v: float) -> str:
    return f"{int(round(float(v))):,}"


def _hh(v: float) -> str:
    """Households (or residents) in a table cell: blank where unknown, never 0."""
    return _n(v) if np.isfinite(float(v)) else ""


# The order of the project list, said wherever priorities are described (score_projects in
# planner/portfolio/build.py: phase, then the safety floor D before C, then the score).
RANK_ORDER = ("项目按实施阶段排序；同一阶段内安全优先：消除D级（整幢危房）的项目在前，C级（局部危房）次之，其余按优先级得分由高到低",
              "projects are ordered by phase; within a phase safety comes first: projects removing grade-D (whole "
              "building) danger, then grade-C (local danger), then the rest by priority score, highest first")


def _money(v: float) -> str:
    return f"{float(v):,.2f}"


def _num(v: Any, digits: int = 2) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v) if v is not None else ""
    if not np.isfinite(f):
        return ""
    if f.is_integer():
        return f"{int(f):,}"
    return f"{f:,.{digits}f}"


def _param_text(v: Any, unit: str, description: str, lang: str) -> str:
    """A parameter's value as the report shows it: a year without a thousands separator (2000
    年, not 2,000 年), 0 of a parameter whose 0 means "not given" as 未给出, numbers grouped."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if v == 0 and re.search(r"0\s*(为未给出|: not given)", description or ""):
        return pick("未给出", "not given", lang)
    if unit in ("年", "year") and float(v).is_integer() and 1000 <= v < 3000:
        return str(int(v))
    return _num(v)


def _pct(share: float) -> str:
    return f"{share:.1%}"


def _sep(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def _end(lang: str) -> str:
    return "。" if lang == "zh" else "."


def _paren(text: str, lang: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


# ---------------------------------------------------------------------------------------------
# The document


@dataclass
class _Figure:
    paragraph: Paragraph
    task: dict[str, Any]  # planner.export.report_figures' task


def _missing_inputs(a: Any, r: Any) -> list[str]:
    """What an analysis that did not run lacked, in the report's words: a layer (地块), a field
    of a layer (现状建筑的空置率) or a raster (高程); before, a missing field or DEM read
    "缺少所需字段" (a run without a DEM was said to lack fields)."""
    from planner.catalogue import default_catalogue
    from planner.export.styles import alias

    lang, ws = r.lang, r.ws
    out = []
    for role, fields in a.requires.items():
        layer = ws.layers.get(role)
        if layer is None:
            out.append(layer_title(role, lang))
            continue
        absent = [f for f in fields if f in (getattr(layer.report, "missing_fields", None) or [])]
        if absent:
            names = _sep(lang).join(alias(f, lang, role) for f in absent)
            out.append(pick(f"{layer_title(role, lang)}的{names}字段", f"{names} of {layer_title(role, lang)}", lang))
    kinds = default_catalogue().rasters
    present = {getattr(kinds.get(n), "name", n) for n in ws.rasters} | set(ws.rasters)
    for kind in a.rasters:
        if kind not in present:
            k = kinds.get(kind)
            out.append(pick(f"{k.title}栅格（{kind.upper()}）" if k else f"栅格 {kind}",
                            f"{k.title_en} raster" if k else f"raster '{kind}'", lang))
    return out


def _head_room(head: str) -> int:
    """The narrowest width (half-width characters, with a margin) a header can wrap to: its
    longest word; Chinese wraps between characters, so two of them."""
    from planner.export.xlsx import text_width

    words = [w for w in re.split(r"(?<=[\u3000-\u9fff\uff00-\uffef])|(?=[\u3000-\u9fff\uff00-\uffef])|\s+", head) if w]
    return max([text_width(w) for w in words] or [0]) + 3


@dataclass
class _Doc:
    """The Word document being written: headings, numbered captions, tables and figures
    (drawn together at the end, then placed)."""

    template: Path
    lang: str
    doc: Any = None
    chapter: str = ""
    fig_n: int = 0
    tab_n: int = 0
    sec_n: int = 0
    figures: list[_Figure] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: int = 0
    text_width_mm: float = 157.0
    _styles: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from docx import Document

        self.doc = Document(str(self.template))
        sec = self.doc.sections[-1]
        if sec.page_width and sec.left_margin is not None and sec.right_margin is not None:
            self.text_width_mm = float((sec.page_width - sec.left_margin - sec.right_margin) / 36000)

    def style(self, name: str, fallback: str = "Normal") -> str | None:
        """The style id of a style name (the template's, else ``fallback``'s, else None)."""
        if name not in self._styles:
            found = None
            for candidate in (name, fallback):
                if not candidate:
                    continue
                try:
                    found = self.doc.styles[candidate].style_id
                    break
                except KeyError:
                    continue
            self._styles[name] = found
        return self._styles[name]

    def add(self, text: str = "", style: str = "Normal") -> Paragraph:
        """A paragraph at the end of the body (styled by id: python-docx's style lookup by
        name scans every style of the template for each paragraph)."""
        p: Paragraph = self.doc.add_paragraph(text)
        sid = self.style(style)
        if sid:
            p._p.style = sid
        return p

    # text ------------------------------------------------------------------------------------
    def chapter_heading(self, number: str, title: str) -> None:
        self.chapter, self.fig_n, self.tab_n, self.sec_n = number, 0, 0, 0
        text = f"{number} {title}" if number and number[0].isdigit() else title
        self.heading(text, 1)

    def section(self, title: str) -> None:
        self.sec_n += 1
        label = f"{self.chapter}.{self.sec_n}" if self.chapter[:1].isdigit() else f"{self.chapter}{self.sec_n}"
        self.heading(f"{label} {title}", 2)

    def heading(self, text: str, level: int) -> None:
        self.add(text, f"Heading {level}")
        self.headings.append((level, text))

    def para(self, text: str, style: str = "Normal") -> None:
        if text:
            self.add(text, style)

    def note(self, text: str) -> None:
        self.para(text, "Note")

    def bullets(self, items: list[str]) -> None:
        st = self.style("List Bullet", "")
        for item in items:
            if st is not None:
                self.add(item, "List Bullet")
            else:
                self.para(f"• {item}")

    # figures and tables ------------------------------------------------------------------------
    def _label(self, kind: str) -> str:
        if kind == "fig":
            self.fig_n += 1
            n = self.fig_n
            return pick(f"图 {self.chapter}-{n}", f"Figure {self.chapter}-{n}", self.lang)
        self.tab_n += 1
        n = self.tab_n
        return pick(f"表 {self.chapter}-{n}", f"Table {self.chapter}-{n}", self.lang)

    def figure(self, task: dict[str, Any], caption: str) -> None:
        p = self.add("", "Figure")
        self.figures.append(_Figure(p, {**task, "lang": self.lang}))
        self.add(f"{self._label('fig')}  {caption}", "Caption")

    def table(self, headers: list[str], rows: list[list[Any]], caption: str, *, numeric: set[int] | None = None,
              total: list[Any] | None = None, note: str = "") -> None:
        """A table with its caption above, the header row repeated on every page, rows kept
        whole, numbers right aligned, column widths after their contents; ``total`` is a last
        row in bold. Written as one piece of XML (python-docx's cell API is slow)."""
        from xml.sax.saxutils import escape

        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls


        cap = self.add(f"{self._label('tab')}  {caption}", "Caption")
        cap.paragraph_format.keep_with_next = True
        numeric = numeric or set()
        body = [[("" if v is None else str(v)) for v in row] for row in [*rows, *([total] if total is not None else [])]]
        n_cols = len(headers)
        widths = self._widths(headers, body)
        text_style = self.style("Table Text") or ""
        grid = self.style("Table Grid", "")
        parts = [f"<w:tbl {nsdecls('w')}><w:tblPr>"]
        if grid:
            parts.append(f'<w:tblStyle w:val="{grid}"/>')
        parts.append('<w:tblW w:w="5000" w:type="pct"/><w:jc w:val="center"/>')
        if not grid:
            parts.append("<w:tblBorders>" + "".join(
                f'<w:{e} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                for e in ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders>")
        parts.append('<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="57" w:type="dxa"/>'
                     '<w:right w:w="57" w:type="dxa"/></w:tblCellMar><w:tblLook w:val="04A0" w:firstRow="1" '
                     'w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>')
        parts.append("<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>")
        style_xml = f'<w:pStyle w:val="{text_style}"/>' if text_style else ""
        for i, values in enumerate([list(headers), *body]):
            head = i == 0
            bold = head or (total is not None and i == len(body))
            parts.append("<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if head else "") + "</w:trPr>")
            for j in range(n_cols):
                value = values[j] if j < len(values) else ""
                shade = '<w:shd w:val="clear" w:color="auto" w:fill="DDE6F0"/>' if head else ""
                align = "center" if head else ("right" if j in numeric else "left")
                run = (f'<w:r>{"<w:rPr><w:b/></w:rPr>" if bold else ""}'
                       f'<w:t xml:space="preserve">{escape(value)}</w:t></w:r>') if value else ""
                parts.append(f'<w:tc><w:tcPr><w:tcW w:w="{widths[j]}" w:type="dxa"/>{shade}</w:tcPr>'
                             f'<w:p><w:pPr>{style_xml}<w:jc w:val="{align}"/></w:pPr>{run}</w:p></w:tc>')
            parts.append("</w:tr>")
        parts.append("</w:tbl>")
        self.doc.element.body._insert_tbl(parse_xml("".join(parts)))
        self.tables += 1
        if note:
            self.note(note)
        else:
            self.add("", "Note")

    def _widths(self, headers: list[str], body: list[list[str]]) -> list[int]:
        """Column widths (twips) after their contents: short columns (numbers, short words) get
        their natural width, long texts share what remains. A header may wrap (a Chinese one
        between any two characters, an English one between words): it asks for no more than
        its longest word (before, 严重程度 and 历史文化保护对象 each held 9 characters' width, and
        a 7-column table left its reasons a quarter of the page, 16 lines a cell)."""
        from planner.export.xlsx import text_width

        total = self.text_width_mm / 1.95      # half-width characters of 五号 text across the page
        natural, minimum = [], []
        for j, head in enumerate(headers):
            cells = [row[j] for row in body[:300] if j < len(row)]
            longest = max([text_width(c) for c in cells] or [0]) + 1
            head_w = text_width(head) + 1
            natural.append(min(max(longest, head_w, 4), 80))
            minimum.append(max(min(longest, 11), min(_head_room(head), 9), 4))
        if sum(natural) <= total:
            units = [float(n) for n in natural]
        else:
            spare = max(total - sum(minimum), 0.0)
            extra = [n - m for n, m in zip(natural, minimum, strict=True)]
            units = [m + (spare * e / sum(extra) if sum(extra) else 0.0) for m, e in zip(minimum, extra, strict=True)]
        width_twips = self.text_width_mm / 25.4 * 1440
        return [max(int(width_twips * u / sum(units)), 280) for u in units]

    # placing everything ----------------------------------------------------------------------
    def fill_placeholders(self, values: dict[str, str]) -> None:
        """Replace ``{{key}}`` in the template's paragraphs, headers and footers (a placeholder
        split over several runs is joined into the first)."""
        from docx.oxml.ns import qn
        from docx.text.paragraph import Paragraph

        def paragraphs() -> Iterator[Paragraph]:  # every paragraph: body, tables, text boxes, headers and footers
            parts = [self.doc.part]
            for s in self.doc.sections:
                for hf in (s.header, s.footer, s.first_page_header, s.first_page_footer):
                    if not hf.is_linked_to_previous and hf.part not in parts:
                        parts.append(hf.part)
            for part in parts:
                for el in list(part.element.iter(qn("w:p"))):
                    yield Paragraph(el, part)

        for p in paragraphs():
            text = p.text
            if "{{" not in text:
                continue
            for key, value in values.items():
                mark = "{{" + key + "}}"
                if mark not in text:
                    continue
                runs = [r for r in p.runs if mark in r.text]
                if runs:
                    for r in runs:
                        r.text = r.text.replace(mark, value)
                elif p.runs:
                    p.runs[0].text = text.replace(mark, value)
                    for r in p.runs[1:]:
                        r.text = ""
                text = p.text

    def placeholder(self, key: str) -> Paragraph | None:
        mark = "{{" + key + "}}"
        return next((p for p in self.doc.paragraphs if mark in p.text), None)

    def remove(self, paragraph: Paragraph | None) -> None:
        if paragraph is not None:
            paragraph._p.getparent().remove(paragraph._p)

    def contents(self, at: Paragraph | None, title: str) -> None:
        """The TOC field at the ``{{contents}}`` placeholder; its shown result lists the
        headings already (Word refreshes it, with page numbers, when the document opens)."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        if at is None:
            return
        def fld(kind: str) -> BaseOxmlElement:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            return el

        first = at
        for r in list(first.runs):
            r._r.getparent().remove(r._r)
        run = first.add_run()
        run._r.append(fld("begin"))
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = ' TOC \\o "1-2" \\h \\z \\u '
        run._r.append(instr)
        run._r.append(fld("separate"))
        anchor = first
        entries = [(lvl, text) for lvl, text in self.headings if lvl <= 2]
        for lvl, text in entries:
            new = self.add(text, f"toc {lvl}")
            anchor._p.addnext(new._p)
            anchor = new
        if anchor is first:  # no heading: the field ends where it begins
            first.add_run()._r.append(fld("end"))
        else:
            anchor.add_run()._r.append(fld("end"))
        # The template's section break after the contents sits in an empty paragraph of its own:
        # carried into the last entry, so that a full page of contents never pushes it onto a
        # blank page.
        holder = anchor._p.getnext()
        if holder is not None and holder.tag == qn("w:p") and not "".join(holder.itertext()).strip():
            ppr = holder.find(qn("w:pPr"))
            sect = ppr.find(qn("w:sectPr")) if ppr is not None else None
            if sect is not None:
                anchor._p.get_or_add_pPr().append(sect)
                holder.getparent().remove(holder)

    def place_figures(self, pngs: list[bytes]) -> None:
        from docx.shared import Mm

        from planner.export.report_figures import FIG_W

        width = Mm(min(FIG_W, self.text_width_mm))
        for fig, png in zip(self.figures, pngs, strict=True):
            fig.paragraph.add_run().add_picture(io.BytesIO(png), width=width)


# ---------------------------------------------------------------------------------------------
# What the report says


@dataclass
class _Run:
    """The run's objects the chapters read (the same the workbook writer reads)."""

    result: Any
    ws: Any
    cfg: Any
    projects: pd.DataFrame
    run_info: dict[str, Any]  # as in run.json
    lang: str
    info: dict[str, Any]      # the sheets' title-block values
    top_n: int
    membership: Any = None
    settings: Any = None
    rules: dict[str, RuleCode] = field(default_factory=dict)  # code -> RuleCode (declared)
    left_out: dict[str, int] = field(default_factory=dict)    # base features the city-wide figures leave out
    colours: dict[str, str] = field(default_factory=dict)     # code -> map colour (the palette's)

    def code(self, code: object) -> str:
        rule = self.rules.get(str(code))
        return pick(rule.title, rule.title_en, self.lang) if rule is not None else str(code)

    def t(self, zh: str, en: str) -> str:
        return pick(zh, en, self.lang)


def _ran(r: _Run) -> list[Analysis]:
    from planner.analysis.registry import all_analyses

    return [a for a in all_analyses() if a.id in (r.result.parameters or {}) and a.id not in r.result.skipped]


def _basis_text(text: str, lang: str) -> str:
    """An analysis's basis in the report's language (layers/terms.toml [basis])."""
    if lang == "zh" or not text:
        return text
    from planner.export.terms import _pair_table

    pair = _pair_table("basis").get(text)
    return pair[1] if pair else text


def _crs_reason(reason: str, lang: str) -> str:
    if reason.startswith("automatic"):
        return pick("按数据范围中心经度自动选择最近的 3 度带中央经线", "chosen automatically: the 3-degree zone whose "
                    "central meridian is nearest the data's centre", lang)
    if reason.startswith("given"):
        return pick("由项目设置指定", "given in the project settings", lang)
    return pick("沿用项目文件中的坐标系", "kept from the project file", lang)


def _file_date(path: str) -> str:
    try:
        p = Path(path)
        return dt.date.fromtimestamp(p.stat().st_mtime).isoformat()
    except (OSError, ValueError):
        return ""


# chapter 1 ------------------------------------------------------------------------------------


def _overview(d: _Doc, r: _Run, base: SheetBase) -> None:
    from planner.analysis.registry import all_analyses

    lang = r.lang
    ws, cfg = r.ws, r.cfg
    d.chapter_heading("1", r.t("概述", "Overview"))
    d.section(r.t("研究范围", "Study area"))
    boundary = ws.frame("boundary")
    facts = []
    if boundary is not None and len(boundary):
        import shapely

        names = [str(n) for n in boundary["name"].dropna().astype(str)] if "name" in boundary else []
        area = float(shapely.area(shapely.union_all(boundary.geometry.values))) / 1e6
        shown = _sep(lang).join(names[:12]) + (r.t(f"等 {len(names)} 个片区", f" and others ({len(names)} districts)")
                                               if len(names) > 12 else "")
        facts.append(r.t(f"研究范围包括{shown}，共 {len(boundary):,} 个片区，面积 {area:,.2f} 平方公里",
                         f"The study area comprises {shown}: {len(boundary):,} districts, {area:,.2f} km²"))
    else:
        facts.append(r.t("未提供研究范围图层，以各图层的外包范围为研究范围",
                         "No study-area layer was given; the extent of the layers is the study area"))
    counts = []
    for role, zh, en in (("buildings", "现状建筑 {n} 栋", "{n} buildings"), ("parcels", "地块 {n} 块", "{n} parcels"),
                         ("facilities", "公共服务设施 {n} 处", "{n} facilities")):
        f = ws.frame(role)
        if f is not None:
            counts.append(r.t(zh, en).format(n=f"{len(f):,}"))
    roads = ws.frame("roads")
    if roads is not None:
        import shapely

        km = float(shapely.length(roads.geometry.values).sum()) / 1000
        counts.append(r.t(f"道路 {len(roads):,} 段、{km:,.1f} 公里", f"{len(roads):,} road segments ({km:,.1f} km)"))
    if counts:
        facts.append(r.t("现状数据包括", "the data hold ") + _sep(lang).join(counts))
    d.para(("；" if lang == "zh" else "; ").join(facts) + _end(lang))
    d.figure({"kind": "study_area"}, r.t("研究范围与现状", "Study area and existing conditions"))
    left = []
    if r.left_out.get("roads"):
        left.append(r.t(f"道路仅绘快速路、主干路和次干路（其余 {r.left_out['roads']:,} 段未绘出）",
                        f"only expressways, arterials and collectors are drawn ({r.left_out['roads']:,} other road "
                        "segments are not)"))
    if r.left_out.get("parcels"):
        left.append(r.t(f"地块 {r.left_out['parcels']:,} 块未绘出", f"the {r.left_out['parcels']:,} parcels are not drawn"))
    if left:
        d.note(r.t("为使全域图面清晰，本报告各图中", "For legible maps of the whole area, in this report's figures ") +
               _sep(lang).join(left) + r.t("；全部要素见 portfolio.gpkg 与分类图。", "; every feature is in portfolio.gpkg "
                                           "and the map sheets."))

    d.section(r.t("数据来源", "Data sources"))
    rows = []
    for role, layer in ws.layers.items():
        rep = layer.report
        file_name = Path(rep.path).name + (f":{rep.layer}" if rep.layer else "") if rep.path else ""
        rows.append([layer_title(role, lang), file_name, rep.driver or "", _file_date(rep.path),
                     _n(rep.features_read), _n(len(layer.frame)), rep.crs_in or r.t("未声明", "none")])
    for name, info in ws.rasters.items():
        rows.append([r.t(f"栅格：{name}", f"Raster: {name}"), Path(str(info.path)).name, "GeoTIFF",
                     _file_date(str(info.path)), f"{info.width:,}×{info.height:,}", "", info.crs or ""])
    d.para(r.t(f"本次评估使用 {len(ws.layers)} 个矢量图层" + (f"和 {len(ws.rasters)} 个栅格" if ws.rasters else "") +
               f"，评估基准日为 {cfg.as_of.isoformat()}（闲置年限、建成年代等均按此日计算）。文件日期为数据文件的最后修改日期。",
               f"The examination uses {len(ws.layers)} vector layer{'s' if len(ws.layers) != 1 else ''}" +
               (f" and {len(ws.rasters)} raster{'s' if len(ws.rasters) != 1 else ''}" if ws.rasters else "") +
               f"; its as-of date is {cfg.as_of.isoformat()} (years idle and building ages are counted to it). "
               "A file's date is the day it was last modified."))
    d.table([r.t("图层", "Layer"), r.t("文件", "File"), r.t("格式", "Format"), r.t("文件日期", "File date"),
             r.t("读入要素", "Read"), r.t("采用要素", "Used"), r.t("原坐标系", "CRS found")], rows,
            r.t("数据来源", "Data sources"), numeric={4, 5})

    d.section(r.t("坐标系", "Coordinate reference system"))
    d.para(r.t(f"全部图层统一转换到{crs_title(ws.working_crs, lang)}（{_crs_reason(ws.crs_reason, lang)}），"
               "面积、长度和距离均在此坐标系中以米计算。",
               f"Every layer is transformed to {crs_title(ws.working_crs, lang)} "
               f"({_crs_reason(ws.crs_reason, lang)}); areas, lengths and distances are computed in metres in it."))

    d.section(r.t("评估方法", "Method"))
    ran = {a.id for a in _ran(r)}
    rows = []
    for a in all_analyses():
        if a.id not in (r.result.parameters or {}) and a.id not in r.result.skipped:
            continue
        rules = _sep(lang).join(pick(c.title, c.title_en, lang) for c in a.rules)
        if a.id in ran:
            state = r.t("已运行", "run")
        else:
            missing = _missing_inputs(a, r)
            state = r.t("未运行：缺少" + _sep(lang).join(missing or ["所需字段"]),
                        "not run: missing " + _sep(lang).join(missing or ["required fields"]))
        rows.append([pick(a.title, a.title_en, lang), rules, _basis_text(a.basis, lang), state])
    settings = r.settings
    weights = settings.normalised_weights(r.run_info.get("weights") or None)
    components = _component_names(lang)
    wtext = _sep(lang).join(f"{components[k]} {_pct(weights.get(k, 0.0))}" for k in components)
    phases = _sep(lang).join(p for p, _ in settings.phases)
    d.para(r.t(f"按登记的 {len(rows)} 项分析逐项判定（其中 {len(ran)} 项已运行），每处问题记为一条标记，注明来源要素、规则和原因；"
               f"标记按项目类型归并为更新项目（同一建筑、地块只计一次），按{wtext}加权计算优先级得分，"
               f"并按得分与安全底线（D级危房项目列入第一阶段，C级不晚于第二阶段）划入 {phases} 实施阶段；{RANK_ORDER[0]}。",
               f"{len(rows)} registered analyses ({len(ran)} run) check the data rule by rule; each finding is a flag "
               f"naming its source feature, rule and reason. Flags are grouped into renewal projects by type (each "
               f"building and parcel counted once), scored by the weighted components {wtext}, and placed in the "
               f"phases {phases} by score and the safety floor (projects removing grade-D unsafe housing in the first "
               f"phase, grade C no later than the second); {RANK_ORDER[1]}."))
    d.table([r.t("分析", "Analysis"), r.t("判定规则", "Rules"), r.t("政策与标准依据", "Policy and standard basis"),
             r.t("状态", "State")], rows, r.t("分析与依据", "Analyses and their basis"))


def _component_names(lang: str) -> dict[str, str]:
    names = {"public": ("安全与公益", "safety and public interest"), "need": ("需求严重程度", "need"),
             "residents": ("受益居民", "residents"), "cost": ("投资（低者优先）", "cost (cheaper first)"),
             "ease": ("实施难易（先易后难）", "ease (easy first)")}
    return {k: pick(zh, en, lang) for k, (zh, en) in names.items()}


# chapter 2 ------------------------------------------------------------------------------------


def _indicator_value(v: Any) -> str:
    return _num(v, 2)


def _examination(d: _Doc, r: _Run) -> None:
    from planner.analysis.indicators import ALL

    lang = r.lang
    d.chapter_heading("2", r.t("城市体检", "City examination"))
    ind = r.result.tables.get("indicators")
    if ind is None or len(ind) == 0:
        d.para(r.t("本次未计算城市体检指标（指标分析未运行）。", "No city-examination indicators were computed (the "
                   "indicators analysis did not run)."))
        return
    ind = pd.DataFrame(ind).copy()
    ind["label"] = ind["title"] if lang == "zh" or "title_en" not in ind else ind["title_en"]
    from planner.export.terms import codes_in_text

    ind["label"] = ind["label"].astype(str).map(lambda t: codes_in_text(t, lang))
    whole = ind[ind["district"] == ALL]
    districts = [x for x in pd.unique(ind["district"]) if x != ALL]
    with_target = whole[whole["target"].notna()]
    passed = with_target[with_target["pass"] == True]  # noqa: E712 (object column of True/False/None)
    failed = with_target[with_target["pass"] == False]  # noqa: E712

    d.section(r.t("指标总览", "Indicators of the whole area"))
    text = r.t(f"全域共计算 {len(whole):,} 项指标，其中 {len(with_target):,} 项有目标值：达标 {len(passed):,} 项，"
               f"未达标 {len(failed):,} 项",
               f"{len(whole):,} indicators were computed for the whole area, {len(with_target):,} of them with a "
               f"target: {len(passed):,} met, {len(failed):,} not met")
    if len(failed):
        items = [r.t(f"{row.label}（{_indicator_value(row.value)} {word(row.unit, lang)}，目标 "
                     f"{_indicator_value(row.target)}）", f"{row.label} ({_indicator_value(row.value)} "
                     f"{word(row.unit, lang)}, target {_indicator_value(row.target)})")
                 for row in failed.itertuples()]
        text += r.t("。未达标的指标为：", ". Not met: ") + ("；" if lang == "zh" else "; ").join(items)
    d.para(text + _end(lang))
    yes, no = r.t("达标", "met"), r.t("未达标", "not met")
    d.table([r.t("领域", "Area"), r.t("指标", "Indicator"), r.t("数值", "Value"), r.t("单位", "Unit"),
             r.t("目标值", "Target"), r.t("是否达标", "Met")], _indicator_rows(whole, lang),
            r.t("全域城市体检指标", "City-examination indicators, whole area"), numeric={2, 4})

    if districts:
        d.section(r.t("分片区评估", "By district"))
        per = ind[(ind["district"] != ALL) & ind["target"].notna()]
        met = per[per["pass"] == True].groupby("district").size()  # noqa: E712
        fail = per[per["pass"] == False].groupby("district").size()  # noqa: E712
        names = [str(x) for x in districts]
        fails = {n: int(fail.get(n, 0)) for n in names}
        order = sorted(names, key=lambda n: (-fails[n], n))
        worst = [n for n in order if fails[n] > 0]
        if worst:
            d.para(r.t((f"{len(names)} 个片区均有未达标指标，其中" if len(worst) == len(names) else
                        f"{len(names)} 个片区中，{len(worst)} 个片区有未达标指标，其中") + "；".join(
                f"{n}未达标 {fails[n]} 项" for n in worst[:8]) + ("等" if len(worst) > 8 else "") + "。",
                ("Every district fails an indicator: " if len(worst) == len(names) else
                 f"{len(worst)} of {len(names)} districts fail an indicator: ") + "; ".join(
                    f"{n} fails {fails[n]}" for n in worst[:8]) + (" and others" if len(worst) > 8 else "") + "."))
        else:
            d.para(r.t(f"{len(names)} 个片区的有目标值指标全部达标。", f"All {len(names)} districts meet every "
                       "indicator with a target."))
        d.figure({"kind": "pass", "labels": order, "met": [int(met.get(n, 0)) for n in order],
                  "failed": [fails[n] for n in order]}, r.t("各片区指标达标情况", "Indicators met by district"))
        d.figure({"kind": "districts", "fails": fails}, r.t("各片区未达标指标数", "Indicators not met by district"))
        keyed = per.assign(label=per["label"].astype(str))
        if len(names) <= WIDE_DISTRICTS:
            labels = list(dict.fromkeys(keyed["label"]))
            rows = []
            for label in labels:
                sub = keyed[keyed["label"] == label]
                target = sub["target"].iloc[0]
                row = [label, _indicator_value(target)]
                for n in names:
                    one = sub[sub["district"] == n]
                    if len(one):
                        v = one.iloc[0]
                        known = v["pass"] is not None and not (isinstance(v["pass"], float) and np.isnan(v["pass"]))
                        row.append(f"{_indicator_value(v['value'])}" + _paren(yes if bool(v["pass"]) else no, lang)
                                   if known else _indicator_value(v["value"]))
                    else:
                        row.append("")
                rows.append(row)
            d.table([r.t("指标", "Indicator"), r.t("目标值", "Target"), *names], rows,
                    r.t("各片区有目标值的指标", "Indicators with a target by district"),
                    numeric={1, *range(2, 2 + len(names))})
        else:
            rows = []
            for n in order:
                sub = keyed[(keyed["district"] == n) & (keyed["pass"] == False)]  # noqa: E712
                rows.append([n, _n(met.get(n, 0)), _n(fails[n]), _sep(lang).join(dict.fromkeys(sub["label"]))])
            d.table([r.t("片区", "District"), r.t("达标", "Met"), r.t("未达标", "Not met"),
                     r.t("未达标指标", "Indicators not met")], rows,
                    r.t("各片区指标达标情况", "Indicators met by district"), numeric={1, 2})
    else:
        d.figure({"kind": "pass", "labels": [r.t("全域", "Whole area")], "met": [len(passed)],
                  "failed": [len(failed)]}, r.t("指标达标情况", "Indicators met"))
    basis = with_target.drop_duplicates("label")
    if len(basis):
        d.section(r.t("目标值与依据", "Targets and their basis"))
        col = "basis" if lang == "zh" or "basis_en" not in basis else "basis_en"
        rows = [[row["label"], _indicator_value(row["target"]) + " " + word(row["unit"], lang),
                 word(row["direction"], lang) if "direction" in basis else "", row.get(col, "")]
                for _, row in basis.iterrows()]
        d.table([r.t("指标", "Indicator"), r.t("目标值", "Target"), r.t("判定", "Test"),
                 r.t("政策与标准依据", "Policy and standard basis")], rows,
                r.t("指标目标值与依据", "Targets and their basis"))


def _indicator_rows(whole: pd.DataFrame, lang: str) -> list[list[str]]:
    from planner.analysis.indicators import AREAS

    yes, no = pick("达标", "met", lang), pick("未达标", "not met", lang)
    order = {k: i for i, k in enumerate(AREAS)}
    w = whole.assign(_o=whole["area"].map(order).fillna(99) if "area" in whole else 0).sort_values("_o", kind="stable")
    rows = []
    for _, row in w.iterrows():
        area = AREAS.get(str(row.get("area", "")))
        p = row["pass"]
        has_target = not pd.isna(row["target"])
        # an indicator with a target and no value has no data: said so, never blank beside its target
        no_data = has_target and pd.isna(row["value"])
        rows.append([pick(*area, lang) if area else "", row["label"],
                     pick("无数据", "no data", lang) if no_data else _indicator_value(row["value"]),
                     word(row["unit"], lang), _indicator_value(row["target"]) if has_target else "",
                     "" if p is None or (isinstance(p, float) and np.isnan(p)) else (yes if bool(p) else no)])
    return rows


# chapter 3 ------------------------------------------------------------------------------------


def _flag_measures(frame: pd.DataFrame, lang: str) -> list[str]:
    """Quantities of a flag layer the workbook's flag sheet holds, each source feature once."""
    out = []
    key = frame["source_id"].astype(str) if "source_id" in frame else pd.Series(np.arange(len(frame)))
    for col in MEASURES:
        if col not in frame:
            continue
        v = pd.to_numeric(frame[col], errors="coerce")
        if not v.notna().any():
            continue
        once = v.groupby(key.to_numpy()).max().sum()
        if col == "parcel_area_m2" or col == "area_m2":
            out.append(pick(f"涉及面积 {once / 1e4:,.2f} 公顷", f"an area of {once / 1e4:,.2f} ha", lang))
        elif col == "floor_area_m2":
            out.append(pick(f"建筑面积 {_n(once)} m²", f"{_n(once)} m² of floor area", lang))
        elif col == "households":
            out.append(pick(f"涉及 {_n(once)} 户", f"{_n(once)} households", lang))
        elif col == "length_m":
            out.append(pick(f"总长 {_n(once)} m", f"{_n(once)} m long in all", lang))
        elif col == "volume_m3":
            out.append(pick(f"容积 {_n(once)} m³", f"{_n(once)} m³ in all", lang))
    return out


# flag fields that are shares (0-1): shown as percentages, as in the workbook (xlsx.PERCENT)
SHARES = {"vacancy_rate", "coverage", "old_share"}


def _main_items(frame: pd.DataFrame, spec: FlagLayer | None, r: _Run, *, geoms: np.ndarray | None = None
                ) -> tuple[list[str], list[list[str]], set[int]]:
    """The top ``top_n`` flags of a layer: most severe first, then the largest (``geoms``: the
    flags' geometries, for the location column)."""
    from planner.export.styles import alias

    lang, top_n = r.lang, r.top_n
    f = frame
    size_col = next((c for c in MEASURES if c in f and pd.to_numeric(f[c], errors="coerce").notna().any()), None)
    keys = [pd.to_numeric(f["severity"], errors="coerce").fillna(0).to_numpy()] if "severity" in f else []
    if size_col:
        keys.append(pd.to_numeric(f[size_col], errors="coerce").fillna(0).to_numpy())
    order = np.lexsort(tuple(-k for k in reversed(keys))) if keys else np.arange(len(f))
    top = f.iloc[order[:top_n]]
    fields = [c for c in spec.fields if c in top.columns and c not in ("reason", "reason_en")] if spec else []
    place = None
    if "facility_type" in fields and "facility_title" in fields:
        # the type's title beside its key said the same twice (设施类型 幼儿园, 设施名称 幼儿园): say
        # where the flagged building is instead (its compound, the nearest named road)
        fields.remove("facility_title")
        place = _flag_places(top, None if geoms is None else geoms[order[:top_n]], r)
    own = fields[:2]
    heads = [pick("序号", "No.", lang), alias("source_id", lang), pick("规则", "Rule", lang),
             pick("严重程度", "Severity", lang), *[alias(c, lang, spec.name if spec else None) for c in own],
             *([pick("位置", "Location", lang)] if place is not None else []), pick("原因", "Reason", lang)]
    reason_col = "reason_en" if lang == "en" and "reason_en" in top else "reason"
    rows = []
    for i, (_, row) in enumerate(top.iterrows()):
        values = []
        for c in own:
            v = row[c]
            if c == "facility_type":
                values.append(facility_title(v, lang))
            elif c in SHARES and isinstance(v, (int, float, np.integer, np.floating)) and pd.notna(v):
                values.append(_pct(float(v)))   # a share as the reason says it (空置率 62%, not 0.62)
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                values.append(_num(v, 2))
            elif isinstance(v, (bool, np.bool_)):
                values.append(pick("是" if v else "否", "yes" if v else "no", lang))
            elif c in ("crosses", "other_codes"):
                values.append(str(translate_series(pd.Series([v]), lang, sep=",").iloc[0] or ""))
            else:
                values.append("" if v is None or (isinstance(v, float) and np.isnan(v)) else word(v, lang))
        sev = SEVERITY.get(int(row["severity"])) if "severity" in row and pd.notna(row["severity"]) else None
        rows.append([str(i + 1), str(row.get("source_id", "")), r.code(row.get("code", "")),
                     pick(*sev, lang) if sev else "", *values, *([str(place[i])] if place is not None else []),
                     str(row.get(reason_col, "") or "")])
    numeric = {0, *[4 + j for j, c in enumerate(own) if pd.api.types.is_numeric_dtype(top[c].dtype)]}
    return heads, rows, numeric


def _flag_places(top: pd.DataFrame, geoms: np.ndarray | None, r: _Run) -> np.ndarray:
    """Where each flag of a main-items table is: the compound of its building (buildings layer
    ``compound``), the named road nearest to it (planner.portfolio.places), else its district."""
    from planner.portfolio.places import location_labels

    n = len(top)
    compound = np.full(n, "", dtype=object)
    buildings = r.ws.frame("buildings")
    if (buildings is not None and "compound" in buildings and "building_id" in buildings and "source_id" in top
            and "source_layer" in top):
        by_id = buildings.drop_duplicates("building_id").set_index(buildings["building_id"].drop_duplicates().astype(str))
        comp = by_id["compound"].reindex(top["source_id"].astype(str).to_numpy()).to_numpy(dtype=object)
        compound = np.where((top["source_layer"].astype(str).to_numpy() == "buildings") & pd.notna(comp), comp, "")
    district = top["district"].to_numpy(dtype=object) if "district" in top else None
    if geoms is None:
        geoms = np.full(n, None, dtype=object)
    return location_labels(geoms, r.ws.frame("roads"), compound=compound, district=district, lang=r.lang)


def _problems(d: _Doc, r: _Run) -> list[str]:
    """One section per analysis that ran and declares flag layers; returns their titles."""
    from planner.export.xlsx import _value_and_unit, flag_sheets

    lang = r.lang
    d.chapter_heading("3", r.t("问题清单", "Problems found"))
    sections = [a for a in _ran(r) if a.outputs]
    sheet_of = {layer: sheet for layer, sheet, _en in flag_sheets(lang)}
    summary = []
    for a in sections:
        frames = [r.result.flags.get(o.name) for o in a.outputs]
        n = sum(len(f) for f in frames if f is not None)
        high = sum(int((pd.to_numeric(f["severity"], errors="coerce") >= 3).sum()) for f in frames
                   if f is not None and "severity" in f)
        summary.append([pick(a.title, a.title_en, lang), _n(n), _n(high)])
    total = sum(int(s[1].replace(",", "")) for s in summary)
    d.para(r.t(f"{len(sections)} 项分析共标记问题 {total:,} 处（逐条列于 portfolio.xlsx 的各标记工作表和 portfolio.gpkg 的标记图层）。"
               "各节列出每项分析的标记数、分布图、主要问题和判定规则及其依据。",
               f"{len(sections)} analyses flag {total:,} problems in all (each listed in the flag sheets of "
               "portfolio.xlsx and the flag layers of portfolio.gpkg). Each section gives an analysis's counts, a map, "
               "the main items and the rule with its basis."))
    d.table([r.t("分析", "Analysis"), r.t("标记数", "Flags"), r.t("严重程度为高", "High severity")], summary,
            r.t("问题标记汇总", "Flags by analysis"), numeric={1, 2},
            total=[r.t("合计", "Total"), _n(total), _n(sum(int(s[2].replace(",", "")) for s in summary))])
    for a in sections:
        d.section(pick(a.title, a.title_en, lang))
        by_layer = {o.name: r.result.flags.get(o.name) for o in a.outputs}
        present = {k: f for k, f in by_layer.items() if f is not None}
        codes: dict[str, int] = {}
        for f in present.values():
            if "code" in f and len(f):
                for c, k in f["code"].astype(str).value_counts().items():
                    codes[str(c)] = codes.get(str(c), 0) + int(k)
        n = sum(len(f) for f in present.values())
        declared = [c.code for c in a.rules]
        ordered = [c for c in declared if c in codes] + [c for c in codes if c not in declared]
        parts = [r.t(f"{r.code(c)} {codes[c]:,} 处", f"{r.code(c)}: {codes[c]:,}") for c in ordered]
        text = r.t(f"共标记 {n:,} 处", f"{n:,} flags in all")
        if len(present) > 1:
            text += _paren(_sep(lang).join(f"{layer_title(k, lang)} {len(f):,}" for k, f in present.items()), lang)
        if parts:
            text += r.t("，其中", ": ") + (_sep(lang) if lang == "zh" else "; ").join(parts)
        measures = [m for f in present.values() for m in _flag_measures(pd.DataFrame(f), lang)]
        if measures:
            text += ("；" if lang == "zh" else "; ") + _sep(lang).join(measures)
        d.para(text + _end(lang))
        if n == 0:
            d.para(r.t("本项分析未发现问题。", "This analysis found nothing."))
        rules = []
        for c in sorted(ordered, key=lambda c: (next((x.severity for x in a.rules if x.code == c), 2), codes[c])):
            geoms = [f.geometry.values[(f["code"].astype(str) == c).to_numpy()] for f in present.values() if "code" in f]
            geoms = [g for g in geoms if len(g)]
            if geoms:
                rules.append((c, r.code(c), r.colours.get(c, "#888888"), np.concatenate(geoms)))
        d.figure({"kind": "flags", "rules": rules}, r.t(f"{pick(a.title, a.title_en, lang)}分布",
                                                         f"{a.title_en}: where they are"))
        for o in a.outputs:
            f = present.get(o.name)
            if f is None or len(f) == 0:
                continue
            heads, rows, numeric = _main_items(pd.DataFrame(f.drop(columns=f.geometry.name)), o, r,
                                               geoms=np.asarray(f.geometry.values, dtype=object))
            title = pick(o.title, o.title_en, lang)
            more = len(f) > len(rows)
            note = r.t(f"按严重程度和规模列出前 {len(rows)} 项；全部 {len(f):,} 项见 portfolio.xlsx 工作表“{sheet_of.get(o.name, title)}”"
                       f"和 portfolio.gpkg 图层“{title}”。",
                       f"The first {len(rows)} by severity and size; all {len(f):,} are in portfolio.xlsx, sheet "
                       f"'{sheet_of.get(o.name, title)}', and portfolio.gpkg, layer '{title}'.") if more else ""
            d.table(heads, rows, r.t(f"{title}主要问题", f"{title}: main items"), numeric=numeric, note=note)
        rule_rows = [[pick(c.title, c.title_en, lang), _n(codes.get(c.code, 0)), pick(*SEVERITY[c.severity], lang)]
                     for c in a.rules]
        params = (r.result.parameters or {}).get(a.id, {})
        declared_params = {p.name: p for p in a.parameters}
        for name, value in params.items():
            p = declared_params.get(name)
            described = ""
            if p is not None:
                v, unit = _value_and_unit(value, p.unit, lang)
                title = pick(p.title or name, p.title_en or name, lang)
                described = pick(p.description, p.description_en or p.description, lang)
            elif name.startswith("radius."):
                v, unit = _value_and_unit(value, "m", lang)
                title = r.t("服务半径：", "Radius: ") + facility_title(name.split(".", 1)[1], lang)
            else:
                continue
            text = _param_text(v, unit, described, lang)
            rule_rows.append([r.t("参数：", "Parameter: ") + title,
                              f"{text}{(' ' + unit) if unit and text not in ('未给出', 'not given') else ''}", ""])
        d.table([r.t("规则与参数", "Rule or parameter"), r.t("标记数或取值", "Flags or value"),
                 r.t("默认严重程度", "Default severity")], rule_rows,
                r.t(f"{pick(a.title, a.title_en, lang)}判定规则", f"{a.title_en}: rules"), numeric={1})
        if a.basis:
            d.para(r.t("政策与标准依据：", "Policy and standard basis: ") + _basis_text(a.basis, lang) + _end(lang))
        from planner.export.terms import has_english

        descriptions = [pick(p.description, p.description_en or p.description, lang) for p in a.parameters
                        if p.name in params and (p.description or p.description_en)]
        if lang == "zh":  # a description that names keys or English words stays in the workbook
            descriptions = [t for t in descriptions if not has_english(t)]
        if descriptions:
            d.note(r.t("参数说明：", "Parameters: ") + ("；" if lang == "zh" else "; ").join(descriptions) + _end(lang))
    return [pick(a.title, a.title_en, lang) for a in sections]


# chapter 4 ------------------------------------------------------------------------------------


def _group_rows(r: _Run, by: str, labels: dict[str, str], order: list[str] | None = None
                ) -> tuple[list[list[str]], list[str], pd.DataFrame, pd.Series]:
    p = r.projects
    key = p[by].fillna("").astype(str)
    cost = p.groupby(key.to_numpy())["estimated_cost"].sum()
    t = r.membership.totals(by=by, blank_unknown=True)
    groups = order if order is not None else sorted(t.index, key=lambda g: -float(cost.get(g, 0.0)))
    rows = []
    for g in groups:
        if g not in t.index:
            continue
        row = t.loc[g]
        # a group of road links or land serves no building: its households do not apply (as in the workbook)
        households = r.t("不适用", "n/a") if float(row["buildings"]) == 0 else _hh(row["households"])
        rows.append([labels.get(g, g) or r.t("（未分区）", "(no district)"), _n(row["projects"]), _money(cost.get(g, 0.0)),
                     households, _n(row["buildings"]), _n(row["floor_area_m2"])])
    return rows, [g for g in groups if g in t.index], t, cost


def _benefit_words(overall: pd.Series) -> tuple[str, str]:
    """"受益 N 户（约 M 人…）" with what is unknown said: households of unknown size are left out
    and counted as buildings, never shown as 0."""
    hh, unknown = float(overall["households"]), int(overall.get("households_unknown_buildings", 0))
    if not np.isfinite(hh):
        return (f"受益户数未知（{unknown:,} 栋住宅未给出户数）",
                f"households benefiting unknown ({unknown:,} homes without household counts)")
    zh = f"受益 {_n(hh)} 户（约 {_n(overall['residents'])} 人，同一住户只计一次"
    en = f"benefiting {_n(hh)} households (about {_n(overall['residents'])} residents, each household once"
    if unknown:
        zh += f"；另有 {unknown:,} 栋住宅户数未知，未计入"
        en += f"; {unknown:,} more homes of unknown households not counted"
    return zh + "）", en + ")"


def _unknown_note(overall: pd.Series, lang: str) -> str:
    unknown = int(overall.get("households_unknown_buildings", 0))
    projects = int(overall.get("households_unknown_projects", 0))
    if not unknown:
        return ""
    return pick(f"{projects:,} 个项目的 {unknown:,} 栋住宅未给出户数，不计入受益户数；户数栏空白为户数未知（不是 0）。",
                f" {unknown:,} homes in {projects:,} projects have no household count and are not in the households; "
                "a blank households cell is unknown, not 0.", lang)


def _portfolio(d: _Doc, r: _Run) -> None:
    lang = r.lang
    p = r.projects
    d.chapter_heading("4", r.t("更新项目库", "Renewal portfolio"))
    if p is None or len(p) == 0:
        d.para(r.t("本次未形成更新项目。", "No renewal project was formed."))
        return
    overall = r.membership.totals(blank_unknown=True).iloc[0]
    total_cost = float(p["estimated_cost"].sum())
    heads = [r.t("项目数", "Projects"), r.t("估算投资（万元）", "Estimated cost (10k yuan)"),
             r.t("受益户数（去重）", "Households (distinct)"), r.t("涉及建筑（去重）", "Buildings (distinct)"),
             r.t("建筑面积（m²，去重）", "Floor area (m², distinct)")]
    total_row = [r.t("合计", "Total"), _n(len(p)), _money(total_cost), _hh(overall["households"]),
                 _n(overall["buildings"]), _n(overall["floor_area_m2"])]

    d.section(r.t("项目构成", "Projects by type"))
    types = {t: type_title(t, lang) for t in pd.unique(p["type"].astype(str))}
    rows, groups, _t, cost = _group_rows(r, "type", types)
    first = groups[0] if groups else ""
    benefit_zh, benefit_en = _benefit_words(overall)
    d.para(r.t(f"更新项目库共 {len(p):,} 个项目，估算总投资 {_money(total_cost)} 万元，{benefit_zh}"
               f"，涉及建筑 {_n(overall['buildings'])} 栋、建筑面积 "
               f"{_n(overall['floor_area_m2'])} m²" + (f"，用地 {_n(overall['parcels'])} 块、{overall['parcel_area_m2'] / 1e4:,.2f} 公顷"
                                                     if overall["parcels"] else "") +
               f"。按项目类型，{types.get(first, first)}投资最多，{_money(cost.get(first, 0.0))} 万元，占 "
               f"{_pct(cost.get(first, 0.0) / total_cost) if total_cost else '0.0%'}。",
               f"The portfolio holds {len(p):,} projects with an estimated cost of {_money(total_cost)} (10k yuan), "
               f"{benefit_en} in {_n(overall['buildings'])} buildings of {_n(overall['floor_area_m2'])} m²" +
               (f", and {_n(overall['parcels'])} parcels of {overall['parcel_area_m2'] / 1e4:,.2f} ha"
                if overall["parcels"] else "") +
               f". By type, {types.get(first, first)} costs most: {_money(cost.get(first, 0.0))} (10k yuan), "
               f"{_pct(cost.get(first, 0.0) / total_cost) if total_cost else '0.0%'} of the total."))
    d.table([r.t("项目类型", "Project type"), *heads], rows, r.t("按类型汇总", "Projects by type"),
            numeric={1, 2, 3, 4, 5}, total=total_row,
            note=r.t("户数、建筑与面积为去重数：同一住户或建筑属于多个项目时只计一次，合计行不等于各行之和。",
                     "Households, buildings and areas are distinct: a household or building in several projects counts "
                     "once, so a total is not the sum of its rows.") + _unknown_note(overall, lang))
    d.figure({"kind": "bars", "labels": [types.get(g, g) for g in groups],
              "series": [(r.t("估算投资", "Estimated cost"), [float(cost.get(g, 0.0)) for g in groups], "#4472C4")],
              "xlabel": r.t("估算投资（万元）", "Estimated cost (10k yuan)")},
             r.t("各类项目估算投资（万元）", "Estimated cost by type (10k yuan)"))
    d.figure({"kind": "projects", "projects": _slim(p), "by": "type"},
             r.t("更新项目分布（按类型）", "Renewal projects by type"))

    d.section(r.t("分片区项目", "Projects by district"))
    districts = {g: g for g in pd.unique(p["district"].fillna("").astype(str))}
    rows, groups, _t, cost = _group_rows(r, "district", districts)
    named = [x for x in groups if x]
    if groups and not named:
        d.para(r.t("未提供片区划分（研究范围图层无街道或片区），全部项目列为“未分区”。",
                   "No districts were given (the boundary layer has no subdistricts): every project is listed as "
                   "'(no district)'."))
    elif groups:
        g = groups[0]
        d.para(r.t(f"项目分布在 {len([x for x in groups if x])} 个片区，{g or '（未分区）'}投资最多，{_money(cost.get(g, 0.0))} 万元"
                   f"（{_n(_t.loc[g, 'projects'])} 个项目）。",
                   f"Projects lie in {len([x for x in groups if x])} districts; {g or '(no district)'} has the largest cost, "
                   f"{_money(cost.get(g, 0.0))} (10k yuan) in {_n(_t.loc[g, 'projects'])} projects."))
    d.table([r.t("片区", "District"), *heads], rows, r.t("按片区汇总", "Projects by district"),
            numeric={1, 2, 3, 4, 5}, total=total_row)

    d.section(r.t("实施时序", "Phasing"))
    phases = [name for name, _ in r.settings.phases]
    phases = sorted(phases, key=lambda s: s)  # by years
    phases += [x for x in pd.unique(p["phase"].astype(str)) if x not in phases]
    rows, groups, t, cost = _group_rows(r, "phase", {}, order=phases)
    said = []
    for g in groups:
        hh = t.loc[g, "households"]
        said.append(r.t(f"{g} 年实施 {_n(t.loc[g, 'projects'])} 个项目、投资 {_money(cost.get(g, 0.0))} 万元、"
                        + (f"受益 {_n(hh)} 户" if np.isfinite(hh) else "受益户数未知"),
                        f"{g}: {_n(t.loc[g, 'projects'])} projects, {_money(cost.get(g, 0.0))} (10k yuan), "
                        + (f"{_n(hh)} households" if np.isfinite(hh) else "households unknown")))
    unsafe = p[p["type"] == "unsafe_housing"] if "type" in p else p.iloc[0:0]
    text = ("；" if lang == "zh" else "; ").join(said)
    if len(unsafe) and groups:
        d_grade = unsafe[unsafe["subtype"].astype(str) == "原拆原建"] if "subtype" in unsafe else unsafe.iloc[0:0]
        text += r.t(f"。危旧房改造项目 {len(unsafe):,} 个，其中 {int((unsafe['phase'] == groups[0]).sum()):,} 个在第一阶段",
                    f". Of {len(unsafe):,} unsafe-housing projects, {int((unsafe['phase'] == groups[0]).sum()):,} are "
                    "in the first phase") if len(d_grade) or len(unsafe) else ""
    d.para(text + _end(lang) + r.t("实施阶段按优先级得分划分（见附录A），安全底线优先：消除D级危房的项目一律列入第一阶段，"
                                    "C级危房不晚于第二阶段。",
                                    " Phases follow the priority score (appendix A) with safety first: projects "
                                    "removing grade-D unsafe housing are always in the first phase, grade C no later "
                                    "than the second."))
    d.table([r.t("实施阶段", "Phase"), *heads], rows, r.t("按实施阶段汇总", "Projects by phase"),
            numeric={1, 2, 3, 4, 5}, total=total_row)
    stacks = []
    for tkey in sorted(types, key=lambda k: -float(p.loc[p["type"] == k, "estimated_cost"].sum())):
        from planner.export.styles import TYPE_COLOURS

        by_phase = p[p["type"] == tkey].groupby("phase")["estimated_cost"].sum()
        stacks.append((types[tkey], [float(by_phase.get(g, 0.0)) for g in groups], TYPE_COLOURS.get(tkey, "#888888")))
    d.figure({"kind": "bars", "labels": groups, "series": stacks,
              "xlabel": r.t("估算投资（万元）", "Estimated cost (10k yuan)")},
             r.t("各阶段估算投资（万元）", "Estimated cost by phase (10k yuan)"))
    d.figure({"kind": "projects", "projects": _slim(p), "by": "phase", "phases": groups},
             r.t("更新项目实施时序", "Renewal projects by phase"))

    d.section(r.t("投资估算", "Cost estimate"))
    sub = p.assign(_sub=p["subtype"].fillna("").astype(str) if "subtype" in p else "",
                   _basis=p["cost_basis"].fillna("").astype(str) if "cost_basis" in p else "")
    grouped = sub.groupby(["type", "_sub", "_basis"], sort=False).agg(
        n=("project_id", "size"), qty=("quantity", "sum"), cost=("estimated_cost", "sum"),
        unit=("unit", "first")).reset_index().sort_values("cost", ascending=False)
    rows = [[type_title(g["type"], lang), word(g["_sub"], lang) if g["_sub"] else "", _n(g["n"]), _num(g["qty"], 1),
             word(g["unit"], lang) if isinstance(g["unit"], str) else "", _money(g["cost"]),
             cost_basis(g["_basis"], lang)] for _, g in grouped.iterrows()]
    assumed = grouped[grouped["_basis"].str.startswith("assumption")]
    d.para(r.t(f"估算总投资 {_money(total_cost)} 万元，按工程量乘以单价计算（单价见附录A）；其中 {len(assumed)} 类项目、"
               f"{_money(assumed['cost'].sum())} 万元的单价为估算假设，报批前应以当地造价指标替换。",
               f"The estimated cost of {_money(total_cost)} (10k yuan) is quantity times unit cost (unit costs in "
               f"appendix A); {len(assumed)} classes of project, {_money(assumed['cost'].sum())} (10k yuan), use assumed "
               "unit costs to be replaced with local prices before approval."))
    d.table([r.t("项目类型", "Project type"), r.t("子类", "Class"), r.t("项目数", "Projects"), r.t("工程量", "Quantity"),
             r.t("单位", "Unit"), r.t("估算投资（万元）", "Cost (10k yuan)"), r.t("估算依据", "Cost source")], rows,
            r.t("投资估算", "Cost estimate"), numeric={2, 3, 5},
            total=[r.t("合计", "Total"), "", _n(len(p)), "", "", _money(total_cost), ""])

    d.section(r.t("近期重点项目", "First projects by rank"))
    key = "priority_rank" if "priority_rank" in p else "priority_score"
    top = p.sort_values(key, ascending=key == "priority_rank").head(TOP_PROJECTS)
    rows = [[_n(row.get("priority_rank", i + 1)), str(row["project_id"]), str(row.get("name", "")),
             type_title(row["type"], lang), str(row.get("district") or ""), _money(row["estimated_cost"]),
             _num(row.get("priority_score"), 1), str(row.get("phase", ""))] for i, (_, row) in enumerate(top.iterrows())]
    d.para(r.t(f"{RANK_ORDER[0]}。排在最前的 {len(rows)} 个项目如下表，全部 {len(p):,} 个项目见 portfolio.xlsx 工作表“项目清单”。",
               f"The {RANK_ORDER[1]}. The first {len(rows)} projects are listed below; all {len(p):,} are in "
               "portfolio.xlsx, sheet 'Projects'."))
    d.table([r.t("次序", "Rank"), r.t("项目编号", "Id"), r.t("项目名称", "Name"), r.t("类型", "Type"),
             r.t("片区", "District"), r.t("投资（万元）", "Cost (10k yuan)"), r.t("得分", "Score"), r.t("阶段", "Phase")],
            rows, r.t("优先级前列项目", "First projects by priority"), numeric={0, 5, 6})


def _slim(p: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("project_id", "type", "phase") if c in p.columns]
    return p[[*cols, p.geometry.name]]


# appendix -------------------------------------------------------------------------------------


# cost classes priced per another unit than their type's (planner/portfolio/build.py roads():
# demolition per m² of crossed floor area, a rail grade separation per crossing)
_CLASS_UNITS = {("road_link", "拆迁"): "m²", ("road_link", "铁路立交"): "处"}


def _appendix(d: _Doc, r: _Run) -> None:
    from planner.export.xlsx import _parameter_rows, _value_and_unit  # noqa: F401

    lang = r.lang
    ws = r.ws
    d.chapter_heading("A", r.t("附录", "Appendix"))
    d.heading(r.t("附录A 判定参数与优先级", "Appendix A: parameters and priorities"), 2)
    rows = []
    for a_title, title, value, unit, basis in _parameter_rows(r.run_info, lang):
        text = _param_text(value, str(unit), str(basis), lang)
        rows.append([a_title, title, text, "" if text in ("未给出", "not given") else unit, basis])
    d.table([r.t("分析", "Analysis"), r.t("参数", "Parameter"), r.t("取值", "Value"), r.t("单位", "Unit"),
             r.t("说明与依据", "Meaning and basis")], rows, r.t("判定参数", "Rule parameters"), numeric={2})
    settings = r.settings
    weights = settings.normalised_weights(r.run_info.get("weights") or None)
    names = _component_names(lang)
    d.para(r.t("优先级得分 = 100 × 各项得分的加权平均（每项 0~1），权重如下；D级危房项目先列入第一阶段，C级不晚于第二阶段；"
               f"{RANK_ORDER[0]}（得分高的C级项目也排在D级项目之后）。",
               "Priority score = 100 × the weighted mean of the components (each 0 to 1), with the weights below; "
               "projects removing grade-D unsafe housing are in the first phase, grade C no later than the second; "
               f"{RANK_ORDER[1]} (a grade-C project of a higher score still comes after the grade-D ones)."))
    d.table([r.t("得分构成", "Component"), r.t("权重", "Weight")],
            [[names[k], _pct(weights.get(k, 0.0))] for k in names], r.t("优先级权重", "Priority weights"), numeric={1})
    d.figure({"kind": "bars", "labels": [names[k] for k in names],
              "series": [(r.t("权重", "Weight"), [100 * weights.get(k, 0.0) for k in names], "#117733")],
              "xlabel": r.t("权重（%）", "Weight (%)"), "digits": 1}, r.t("优先级权重（%）", "Priority weights (%)"))
    d.table([r.t("实施阶段", "Phase"), r.t("最低得分", "Minimum score")],
            [[name, _num(m, 1)] for name, m in settings.phases], r.t("实施阶段划分", "Phases"), numeric={1})
    unit_rows = []
    for key, t in settings.types.items():
        for cls, (per_unit, source) in t.costs.items():
            unit = _CLASS_UNITS.get((key, cls), t.unit)
            unit_rows.append([type_title(key, lang), word(cls, lang) if cls else "", _num(per_unit, 2), word(unit, lang),
                              cost_basis(source, lang, per_unit=per_unit, unit=unit)])
    d.table([r.t("项目类型", "Project type"), r.t("子类", "Class"), r.t("单价（万元）", "Unit cost (10k yuan)"),
             r.t("单位", "Unit"), r.t("估算依据", "Cost source")], unit_rows, r.t("估算单价", "Unit costs"), numeric={2})

    d.heading(r.t("附录B 数据质量", "Appendix B: data quality"), 2)
    d.chapter, d.fig_n, d.tab_n = "B", 0, 0   # its tables are 表 B-1 ..., not A-5
    rows = []
    failures = []
    for role, layer in ws.layers.items():
        rep = layer.report
        dropped = (rep.geometry_null_dropped + rep.geometry_empty_dropped +
                   sum(int(v.get("count", 0)) for v in rep.features_dropped.values()) +
                   int((rep.rows_dropped or {}).get("count", 0)))
        parse = sum(int(v.get("count", 0)) for v in rep.parse_failures.values())
        rows.append([layer_title(role, lang), _n(rep.features_read), _n(len(layer.frame)), _n(parse),
                     _n(rep.geometry_repaired), _n(dropped), _n(rep.outside_study_area), _n(rep.duplicate_ids)])
        spec = layer.spec
        for fname, info in rep.parse_failures.items():
            try:
                f = spec.field(fname)
                ftitle = pick(f.title, f.title_en, lang)
            except (KeyError, AttributeError):
                ftitle = fname
            examples = _sep(lang).join(str(x) for x in list(info.get("examples") or [])[:3])
            failures.append(r.t(f"{layer_title(role, lang)}的“{ftitle}”字段（列 {info.get('column', '')}）有 "
                                f"{int(info.get('count', 0)):,} 个值无法识别" + (f"，如 {examples}" if examples else ""),
                                f"{layer_title(role, lang)}, field '{ftitle}' (column {info.get('column', '')}): "
                                f"{int(info.get('count', 0)):,} values not understood" +
                                (f", e.g. {examples}" if examples else "")))
        # an OSM file's roads carry bridge, tunnel, layer, oneway and access as tags (GDAL's other_tags),
        # which the link rules read (planner.analysis.roads._tag): not missing
        from_tags = {"bridge", "tunnel", "level", "oneway", "access"} if (
            role == "roads" and "other_tags" in layer.frame and layer.frame["other_tags"].notna().any()) else set()
        missing = [pick(spec.field(m).title, spec.field(m).title_en, lang) for m in rep.missing_fields
                   if _has_field(spec, m) and m not in from_tags]
        if missing:
            failures.append(r.t(f"{layer_title(role, lang)}缺少字段：{_sep(lang).join(missing)}",
                                f"{layer_title(role, lang)} lacks the fields {_sep(lang).join(missing)}"))
        if from_tags and role == "roads":
            failures.append(r.t("道路的桥梁、隧道、层级、单行和通行限制取自 OpenStreetMap 标签；公交站台（highway=platform）"
                                "不是道路，不参与路网和断头路判定",
                                "The roads' bridges, tunnels, layers, one-way and access come from their OpenStreetMap "
                                "tags; bus platforms (highway=platform) are not roads and are left out of the network "
                                "and the dead-end checks"))
    d.para(r.t("各图层读入、修复和剔除的要素如下表（剔除包括空几何、坐标无效、类型不符和无坐标的行，逐行记录见 run.json）。",
               "What was read, repaired and left out of each layer (left out: empty geometries, invalid coordinates, "
               "wrong geometry types and rows without coordinates; every row is named in run.json)."))
    d.table([r.t("图层", "Layer"), r.t("读入", "Read"), r.t("采用", "Used"), r.t("解析失败值", "Values not parsed"),
             r.t("几何修复", "Repaired"), r.t("剔除", "Left out"), r.t("范围外", "Outside the area"),
             r.t("重复编号", "Duplicate ids")], rows, r.t("数据质量", "Data quality"), numeric=set(range(1, 8)))
    if failures:
        d.bullets([f + _end(lang) for f in failures])
    if ws.errors:
        d.para(r.t(f"另有 {len(ws.errors)} 个输入未能使用（原因见 run.json 的 errors）。",
                   f"{len(ws.errors)} inputs could not be used (see errors in run.json)."))

    d.heading(r.t("附录C 局限性说明", "Appendix C: limitations"), 2)
    d.chapter, d.fig_n, d.tab_n = "C", 0, 0
    d.bullets([x + _end(lang) for x in _limitations(r)])


def _has_field(spec: LayerSpec | None, name: str) -> bool:
    if spec is None:
        return False
    try:
        spec.field(name)
        return True
    except (KeyError, AttributeError):
        return False


def _limitations(r: _Run) -> list[str]:
    from planner.portfolio.totals import PERSONS_PER_HOUSEHOLD

    lang = r.lang
    out = [r.t(f"判定结果以评估基准日 {r.cfg.as_of.isoformat()} 和所提供数据为准，数据的完整性和准确性决定结果的可靠程度；"
               "每条标记应经现场核实后再纳入正式规划",
               f"Findings hold for the as-of date {r.cfg.as_of.isoformat()} and the data given; their completeness and "
               "accuracy bound the results, and every flag should be checked on site before it enters the plan")]
    persons = float((r.settings.scales or {}).get("persons_per_household", PERSONS_PER_HOUSEHOLD))
    out.append(r.t(f"受益人口按每户 {persons:g} 人估算（第七次全国人口普查家庭户平均规模）",
                   f"Residents are estimated at {persons:g} persons per household (2020 census average)"))
    p = r.projects
    if p is not None and len(p) and "cost_basis" in p:
        n = int(p["cost_basis"].fillna("").astype(str).str.startswith("assumption").sum())
        if n:
            out.append(r.t(f"{n:,} 个项目的投资按估算假设单价计算，仅供排序和规模判断",
                           f"{n:,} projects are costed with assumed unit costs, fit for ranking and scale only"))
    for a_id, _why in (r.result.skipped or {}).items():
        from planner.analysis.registry import get_analysis

        a = get_analysis(a_id)
        missing = _missing_inputs(a, r)
        out.append(r.t(f"“{a.title}”未运行（缺少" + (_sep(lang).join(missing) if missing else "所需字段") + "），相应问题未纳入",
                       f"'{a.title_en}' did not run (missing " + (_sep(lang).join(missing) if missing else
                                                                    "required fields") + "); its problems are not included"))
    if r.run_info.get("decisions"):
        out.append(r.t(f"已计入 {int(r.run_info['decisions']):,} 条审核意见（已排除的标记不形成项目）",
                       f"{int(r.run_info['decisions']):,} review decisions are applied (dismissed flags form no project)"))
    out.append(r.t("生活圈覆盖按道路网络步行距离计算，未考虑设施容量与服务质量",
                   "Living-circle coverage uses walking distance on the road network; facility capacity and quality are "
                   "not considered"))
    return out


# ---------------------------------------------------------------------------------------------


def write_report(path: Path, result: RunResult, ws: Workspace, cfg: RunConfig, projects: pd.DataFrame | None,
                 run_info: dict[str, Any], *, lang: str = "zh", info: dict[str, Any] | None = None,
                 base: SheetBase | None = None, template: Path | None = None, top_n: int = TOP_N,
                 workers: int | None = None, start_method: str | None = None) -> dict[str, Any]:
    """Write report.docx; returns what it holds (chapters, sections, tables, figures) and timings.

    ``info``: the sheets' title-block values (project, organisation, date, crs, as_of);
    ``base``: the map sheets' :class:`~planner.export.sheets.SheetBase` (made here when not
    given); ``template``: a Word template (default ``resources/report/template.docx``)."""
    from planner.export.report_figures import draw_all
    from planner.portfolio.settings import load_settings
    from planner.portfolio.totals import Membership

    t0 = time.perf_counter()
    info = dict(info or {})
    template = Path(template) if template else TEMPLATE
    if projects is None:
        projects = pd.DataFrame({"type": [], "estimated_cost": []})
    overrides = {f"weights.{k}": v for k, v in (run_info.get("weights") or {}).items()}
    settings = load_settings(overrides=overrides or None)
    from planner.analysis.registry import rule_codes
    from planner.export.styles import palette

    declared = rule_codes()
    r = _Run(result, ws, cfg, projects, run_info, lang, info, top_n, settings=settings, rules=declared,
             colours={c: palette().get("codes", {}).get(c, rule.colour) for c, rule in declared.items()})
    r.membership = Membership(projects, ws.frame("buildings"), ws.frame("parcels")) if len(projects) else None
    if base is None:
        from planner.export.sheets import SheetBase

        base = SheetBase(ws)
    from planner.export.report_figures import generalised

    base, r.left_out = generalised(base)
    d = _Doc(template, lang)
    _overview(d, r, base)
    _examination(d, r)
    sections = _problems(d, r)
    _portfolio(d, r)
    _appendix(d, r)
    t_text = time.perf_counter() - t0

    t1 = time.perf_counter()
    pngs = draw_all([f.task for f in d.figures], base, workers=workers, start_method=start_method)
    t_fig = time.perf_counter() - t1
    d.place_figures(pngs)
    title = pick("城市体检与更新规划草案", "City examination and renewal plan (draft)", lang)
    issued_on = getattr(cfg, "issued", None)
    issued = info.get("date") or (issued_on.isoformat() if issued_on else dt.date.today().isoformat())
    # the cover's name: a bracketed tail on its own line rather than broken mid-word by the page
    # ("示例城市更新体检（包头，虚构数" / "据）")
    cover = re.sub(r"^(.{6,}?)\s*([（(][^（()）]+[)）])$", "\\1\n\\2", str(cfg.name)) if len(str(cfg.name)) > 12 \
        else str(cfg.name)
    d.fill_placeholders({"project": cover, "title": title,
                         "organisation": info.get("organisation") or getattr(cfg, "organisation", "") or
                         pick("（编制单位）", "(Prepared by)", lang),
                         "date": issued, "contents_title": pick("目  录", "Contents", lang),
                         "header": f"{cfg.name}  {title}"})
    d.contents(d.placeholder("contents"), pick("目  录", "Contents", lang))
    body = d.placeholder("body")
    if body is not None:
        d.remove(body)
    props = d.doc.core_properties
    props.title = f"{cfg.name} {title}"
    props.subject = title
    props.author = info.get("organisation") or getattr(cfg, "organisation", "") or "Renewal Planner"
    props.language = "zh-CN" if lang == "zh" else "en"
    t2 = time.perf_counter()
    with atomic_path(Path(path)) as tmp:
        d.doc.save(str(tmp))
    return {"chapters": [h for lvl, h in d.headings if lvl == 1], "sections": sections, "tables": d.tables,
            "figures": len(pngs), "seconds": {"text": t_text, "figures": t_fig, "save": time.perf_counter() - t2,
                                               "total": time.perf_counter() - t0}}
