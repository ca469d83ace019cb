"""Make ``template.docx``, the Word template of the plan draft (report.docx).

Run from the repository root: ``.venv/bin/python resources/report/make_template.py``.

An institute replaces ``template.docx`` with its own (open it in Word, change the cover, the
logo picture, the styles, the header and footer, save it under the same name). The report
writer keeps everything in it and fills these placeholders, each written as one run of text:

    {{project}}         project name (cover)
    {{title}}           "城市体检与更新规划草案" / "City examination and renewal plan (draft)"
    {{organisation}}    编制单位 (the project's [project] organisation)
    {{date}}            编制日期
    {{contents_title}}  "目  录" / "Contents"
    {{contents}}        replaced by the table-of-contents field (Word updates it on opening)
    {{header}}          page header text (project name and title)
    {{body}}            where the chapters go (else they are appended at the end)

Styles the writer uses (missing ones fall back to Normal): Normal, Heading 1-3, Caption,
Table Grid, TOC Heading, toc 1-3, and the template's own "Table Text", "Figure" and "Note".
Chinese fonts are named in the styles (宋体 for text, 黑体 for headings) with Latin fonts
beside them; the font table gives each Chinese font its usual substitutes (SimSun / SimHei and
the Noto CJK families), so a computer without them still shows Chinese.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
SONG, HEI = "宋体", "黑体"
LATIN_SERIF, LATIN_SANS = "Times New Roman", "Arial"
# Chinese fonts and what to use where they are missing (Word: w:altName; LibreOffice and
# fontconfig: the Noto CJK families are the usual metric stand-ins on Linux).
FONTS = {SONG: ("SimSun", "Noto Serif CJK SC", "roman", "02010600030101010101"),
         HEI: ("SimHei", "Noto Sans CJK SC", "modern", "02010609060101010101")}


def set_fonts(style_or_run_element, latin: str, east_asia: str) -> None:
    rpr = style_or_run_element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for key in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(key), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    for key in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(key), None)


def paragraph_style(doc, name: str, *, base: str | None = "Normal", latin=LATIN_SERIF, east_asia=SONG,
                    size: float = 12, bold: bool = False, align=None, first_line_chars: int | None = None,
                    before: float = 0, after: float = 0, line: float | None = None, colour: str | None = None,
                    outline: int | None = None, keep_next: bool = False):
    styles = doc.styles
    try:
        st = styles[name]
    except KeyError:
        st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base is not None and name != base:
        st.base_style = styles[base]
    st.font.size = Pt(size)
    st.font.bold = bold
    st.font.italic = False
    st.font.color.rgb = RGBColor.from_string(colour) if colour else RGBColor(0, 0, 0)
    set_fonts(st.element, latin, east_asia)
    pf = st.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if line is not None:
        pf.line_spacing = line
    if align is not None:
        pf.alignment = align
    pf.keep_with_next = keep_next
    ppr = st.element.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if first_line_chars is not None:
        if ind is None:
            ind = OxmlElement("w:ind")
            ppr.append(ind)
        ind.set(qn("w:firstLineChars"), str(first_line_chars))
        ind.set(qn("w:firstLine"), str(int(size * 20 * first_line_chars / 100)))
    elif ind is not None and name != "Normal":
        ppr.remove(ind)
    elif name != "Normal":  # no indent of its own (Normal's first-line indent is not inherited)
        ind = OxmlElement("w:ind")
        ind.set(qn("w:firstLineChars"), "0")
        ind.set(qn("w:firstLine"), "0")
        ppr.append(ind)
    if outline is not None:
        lvl = ppr.find(qn("w:outlineLvl"))
        if lvl is None:
            lvl = OxmlElement("w:outlineLvl")
            ppr.append(lvl)
        lvl.set(qn("w:val"), str(outline))
    return st


def font_table(doc) -> None:
    """Declare the Chinese fonts with their substitutes in word/fontTable.xml."""
    part = next(p for p in doc.part.package.parts if str(p.partname).endswith("/fontTable.xml"))
    from lxml import etree

    root = etree.fromstring(part.blob)
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    w = f"{{{ns}}}"
    for name, (alt, _noto, family, panose) in FONTS.items():
        for old in root.findall(f"{w}font"):
            if old.get(f"{w}name") == name:
                root.remove(old)
        font = etree.SubElement(root, f"{w}font", {f"{w}name": name})
        etree.SubElement(font, f"{w}altName", {f"{w}val": alt})
        etree.SubElement(font, f"{w}panose1", {f"{w}val": panose})
        etree.SubElement(font, f"{w}charset", {f"{w}val": "86"})
        etree.SubElement(font, f"{w}family", {f"{w}val": family})
        etree.SubElement(font, f"{w}pitch", {f"{w}val": "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def page_field(run, instruction: str, shown: str = "1") -> None:
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None), ("text", shown), ("end", None)):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        elif kind == "text":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)


def logo_placeholder() -> bytes:
    """A neutral emblem (no words) for the institute's logo: replace the picture in Word."""
    from PIL import Image, ImageDraw

    size = 600
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((20, 20, size - 20, size - 20), radius=70, outline=(120, 130, 140, 255), width=14)
    bars = [(130, 330), (210, 230), (290, 170), (370, 260), (450, 300)]
    for x, top in bars:
        d.rectangle((x - 30, top, x + 30, 470), fill=(150, 160, 170, 255))
    d.line((90, 480, 510, 480), fill=(120, 130, 140, 255), width=14)
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def placeholder(doc, text: str, style: str, *, align=WD_ALIGN_PARAGRAPH.CENTER, before: float = 0):
    p = doc.add_paragraph(style=style)
    p.alignment = align
    p.paragraph_format.space_before = Pt(before)
    p.add_run(text)
    return p


def make(path: Path) -> Path:
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(30), Mm(25)
    sec.left_margin, sec.right_margin = Mm(28), Mm(25)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(15)
    sec.different_first_page_header_footer = True

    # styles: 宋体 小四 text, 黑体 headings 三号 / 四号 / 小四, 1.5 line spacing, two-character indent
    paragraph_style(doc, "Normal", base=None, size=12, first_line_chars=200, line=1.5, after=0)
    h1 = paragraph_style(doc, "Heading 1", latin=LATIN_SANS, east_asia=HEI, size=16, bold=True, before=0, after=12,
                         outline=0, keep_next=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    h1.paragraph_format.page_break_before = True  # every chapter on a new page
    paragraph_style(doc, "Heading 2", latin=LATIN_SANS, east_asia=HEI, size=14, bold=True, before=12, after=6,
                    outline=1, keep_next=True)
    paragraph_style(doc, "Heading 3", latin=LATIN_SANS, east_asia=HEI, size=12, bold=True, before=6, after=3,
                    outline=2, keep_next=True)
    paragraph_style(doc, "Caption", latin=LATIN_SANS, east_asia=HEI, size=10.5, bold=False, before=3, after=9,
                    align=WD_ALIGN_PARAGRAPH.CENTER, line=1.0)
    paragraph_style(doc, "Table Text", size=10.5, line=1.0, before=0, after=0)
    paragraph_style(doc, "Figure", size=10.5, line=1.0, before=6, after=0, align=WD_ALIGN_PARAGRAPH.CENTER,
                    keep_next=True)
    paragraph_style(doc, "Note", size=9, line=1.15, before=0, after=6, colour="444444")
    paragraph_style(doc, "Title", latin=LATIN_SANS, east_asia=HEI, size=26, bold=True, line=1.3,
                    align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph_style(doc, "Subtitle", latin=LATIN_SANS, east_asia=HEI, size=20, line=1.3,
                    align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph_style(doc, "Cover Text", size=16, line=1.5, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph_style(doc, "TOC Heading", latin=LATIN_SANS, east_asia=HEI, size=16, bold=True, before=0, after=18,
                    align=WD_ALIGN_PARAGRAPH.CENTER)
    for level, (size, indent) in enumerate(((12, 0), (12, 2), (10.5, 4)), start=1):
        st = paragraph_style(doc, f"toc {level}", size=size, line=1.25, bold=level == 1,
                             latin=LATIN_SANS if level == 1 else LATIN_SERIF, east_asia=HEI if level == 1 else SONG)
        ppr = st.element.get_or_add_pPr()
        ind = ppr.find(qn("w:ind"))
        ind.set(qn("w:leftChars"), str(indent * 100))
        ind.set(qn("w:left"), str(int(indent * 12 * 20)))
        tabs = OxmlElement("w:tabs")
        tab = OxmlElement("w:tab")
        tab.set(qn("w:val"), "right")
        tab.set(qn("w:leader"), "dot")
        tab.set(qn("w:pos"), str(int((210 - 28 - 25) / 25.4 * 1440)))
        tabs.append(tab)
        ppr.insert(0, tabs)
    for name in ("Header", "Footer"):
        paragraph_style(doc, name, size=9, line=1.0, align=WD_ALIGN_PARAGRAPH.CENTER)
    font_table(doc)

    # cover
    body = doc.paragraphs[0] if doc.paragraphs else None
    if body is not None:
        body._p.getparent().remove(body._p)
    logo = doc.add_paragraph(style="Figure")
    logo.paragraph_format.space_before = Pt(60)
    logo.add_run().add_picture(io.BytesIO(logo_placeholder()), width=Mm(30))
    placeholder(doc, "{{project}}", "Title", before=48)
    placeholder(doc, "{{title}}", "Subtitle", before=18)
    placeholder(doc, "{{organisation}}", "Cover Text", before=200)
    placeholder(doc, "{{date}}", "Cover Text")
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    # contents
    placeholder(doc, "{{contents_title}}", "TOC Heading")
    placeholder(doc, "{{contents}}", "Normal", align=WD_ALIGN_PARAGRAPH.LEFT)
    # the body: its own section, pages numbered from 1, header with the project and title
    body_section = doc.add_section(WD_SECTION.NEW_PAGE)
    body_section.different_first_page_header_footer = False
    body_section.header.is_linked_to_previous = False
    body_section.footer.is_linked_to_previous = False
    pg = OxmlElement("w:pgNumType")
    pg.set(qn("w:start"), "1")
    body_section._sectPr.append(pg)
    hp = body_section.header.paragraphs[0]
    hp.style = doc.styles["Header"]
    hp.add_run("{{header}}")
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "808080")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    hp._p.get_or_add_pPr().append(bdr)
    fp = body_section.footer.paragraphs[0]
    fp.style = doc.styles["Footer"]
    page_field(fp.add_run(), "PAGE")
    placeholder(doc, "{{body}}", "Normal", align=WD_ALIGN_PARAGRAPH.LEFT)
    # Word asks to update fields (the contents) when the document opens
    settings = doc.settings.element
    upd = OxmlElement("w:updateFields")
    upd.set(qn("w:val"), "true")
    settings.append(upd)
    doc.core_properties.title = "城市体检与更新规划草案"
    doc.core_properties.author = "Renewal Planner"
    doc.core_properties.comments = "Template of report.docx; see resources/report/make_template.py"
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(make(HERE / "template.docx"))
