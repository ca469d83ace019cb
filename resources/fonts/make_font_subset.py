"""Build the bundled CJK font: Noto Sans CJK SC (SIL OFL 1.1) subset to GBK (every hanzi of
GB2312 and the 20,902 unified ideographs: place names such as 漷 are outside GB2312) + ASCII +
common punctuation and symbols, converted from CFF to TrueType outlines (so that PDF export can
embed it as Type 42). Source: Debian's fonts-noto-cjk (``apt-get install fonts-noto-cjk``).

Run: python resources/fonts/make_font_subset.py [SOURCE.ttc]
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

HERE = Path(__file__).resolve().parent
SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SC_INDEX = 2  # faces in the collection: JP, KR, SC, TC, HK
OUT = HERE / "NotoSansSC-Subset.ttf"
FAMILY = "Noto Sans SC Subset"


def characters() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)}
    for b1 in range(0x81, 0xFF):
        for b2 in range(0x40, 0xFF):
            try:
                chars.add(bytes([b1, b2]).decode("gbk"))
            except UnicodeDecodeError:
                pass
    chars.update(chr(c) for c in range(0x4E00, 0x9FA6))
    chars.update("㎡²³°±×÷≤≥≈→←↑↓·…—–「」『』《》〈〉（）【】、。，；：？！“”‘’％￥℃№")
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))
    return "".join(sorted(chars))


def to_truetype(font: TTFont) -> None:
    """Replace CFF outlines by quadratic glyf outlines (after fontTools' otf2ttf snippet)."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    font["maxp"].tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(font["maxp"], attr, 0)
    font["maxp"].maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font["post"].extraNames = []
    font["post"].mapping = {}
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font.sfntVersion = "\x00\x01\x00\x00"


def main() -> None:
    src = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    font = TTFont(src, fontNumber=SC_INDEX)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text=characters())
    sub.subset(font)
    to_truetype(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "")
    font.save(OUT)
    print(f"{OUT.name}: {OUT.stat().st_size / 1e6:.1f} MB, {len(characters())} characters")


if __name__ == "__main__":
    main()
