"""Text encoding of shapefiles (.dbf, .prj) and CSV files: decided, said, and how sure.

Chinese data come as UTF-8, as GBK (code page 936; GB18030 is its superset and is always used
for it, so four-byte rare characters decode too) or, from Taiwan and Hong Kong, as Big5
(code page 950). A .cpg file or the .dbf's language byte (LDID) may declare one, often wrongly or
not at all. We decide from the bytes:

- UTF-8 when the text is valid UTF-8 (a few characters cut in the middle, as GDAL does to
  field names longer than 10 bytes, are decoded leniently and reported);
- otherwise GB18030 or Big5, whichever decodes to the larger share of common Chinese characters
  (GB2312 level 1 and Big5 level 1 with their punctuation): text decoded in the wrong one of
  the two comes out as rare characters, kana or Greek;
- otherwise the declared code page, else ISO-8859-1 (low confidence, with a warning).

The confidence is that share, lowered when the runner-up comes close; a decision below
``SURE`` carries a warning for the layer report.
"""

from __future__ import annotations

import codecs
import struct
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from planner.arrays import BoolArray

_SAMPLE_BYTES = 4 << 20
SURE = 0.8  # confidence below which the layer report warns
# LDID byte of a .dbf -> code page (the ones found in Chinese data and the common Western ones).
_LDID = {0x4D: "GB18030", 0x7A: "GB18030", 0x4F: "CP950", 0x78: "CP950", 0x57: "CP1252", 0x03: "CP1252",
         0x01: "CP437", 0x02: "CP850"}
_GBK_FAMILY = {"GBK", "936", "CP936", "MS936", "GB2312", "GB_2312-80", "EUC-CN", "EUCCN", "GB18030", "54936",
               "ANSI 936", "WINDOWS-936", "X-GBK"}
_BIG5_FAMILY = {"BIG5", "BIG-5", "950", "CP950", "MS950", "ANSI 950", "WINDOWS-950", "BIG5-HKSCS"}
_UTF8 = {"UTF-8", "UTF8", "65001", "UTF-8-SIG"}
# Chinese encodings we decide between (the names GDAL's iconv and Python both know).
CANDIDATES = ("UTF-8", "GB18030", "CP950")


def normalise_encoding(name: str | None) -> str | None:
    """The encoding to use for a declared name: GBK/936/GB2312 -> GB18030 (a superset),
    Big5/950 -> CP950, UTF-8 -> UTF-8, another name Python knows -> that name, else None."""
    key = (name or "").strip().upper()
    if not key:
        return None
    if key in _GBK_FAMILY or key.replace("_", "-") in _GBK_FAMILY:
        return "GB18030"
    if key in _BIG5_FAMILY:
        return "CP950"
    if key in _UTF8 or key.replace("_", "-") in _UTF8:
        return "UTF-8"
    if key.isdigit():  # a bare Windows code page such as 1252
        key = f"CP{key}"
    try:
        return codecs.lookup(key).name.upper()
    except LookupError:
        return None


@lru_cache(maxsize=1)
def _common_table() -> BoolArray:
    """Boolean table over the Basic Multilingual Plane: the common Chinese characters and
    punctuation of either script (GB2312 level 1 and symbols, Big5 level 1 and symbols)."""
    table = np.zeros(0x10000, dtype=bool)
    pairs = []
    for lead in range(0xA1, 0xA4):  # GB2312 punctuation and full-width forms
        pairs += [bytes([lead, t]).decode("gb2312", "ignore") for t in range(0xA1, 0xFF)]
    for lead in range(0xB0, 0xD8):  # GB2312 level 1 (3,755 most used simplified characters)
        pairs += [bytes([lead, t]).decode("gb2312", "ignore") for t in range(0xA1, 0xFF)]
    trails = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))
    for lead in range(0xA1, 0xA4):  # Big5 punctuation
        pairs += [bytes([lead, t]).decode("cp950", "ignore") for t in trails]
    for lead in range(0xA4, 0xC7):  # Big5 level 1 (5,401 most used traditional characters)
        pairs += [bytes([lead, t]).decode("cp950", "ignore") for t in trails]
    for ch in "".join(pairs):
        table[ord(ch)] = True
    table[0xFFFD] = False
    return table


@dataclass
class _Profile:
    non_ascii: int
    common: float   # share of non-ASCII characters that are common Chinese ones
    invalid: int    # byte sequences that do not decode


def _profile(data: bytes, codec: str) -> _Profile:
    text = data.decode(codec, errors="replace")
    cps = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    cps = cps[cps >= 0x80]
    if len(cps) == 0:
        return _Profile(0, 0.0, 0)
    invalid = int(np.count_nonzero(cps == 0xFFFD))
    bmp = cps[cps < 0x10000]
    common = int(np.count_nonzero(_common_table()[bmp]))
    return _Profile(len(cps), common / len(cps), invalid)


@dataclass
class TextEncoding:
    """What the bytes were decided to be, and how sure that is."""

    encoding: str                 # a name both Python and GDAL's iconv know: UTF-8, GB18030, CP950 ...
    confidence: float             # 0..1
    how: str                      # for the manifest
    lenient: bool = False         # some sequences do not decode (cut characters): decode leniently
    warning: str | None = None    # set when unsure or when a declaration was overruled
    invalid: int = 0              # byte sequences of the sample that do not decode in ``encoding``

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE


def detect_text_encoding(data: bytes, *, declared: str | None = None, declared_by: str = "",
                         fallback: str | None = None) -> TextEncoding:
    """Decide the encoding of ``data`` (a sample of a file's text).

    ``declared`` (from a .cpg file or the user) is kept unless the bytes contradict it (do not
    decode in it while another candidate reads them well); ``fallback`` (the LDID's code page)
    is used only when no Chinese encoding fits.
    """
    if data.startswith(codecs.BOM_UTF8):
        return TextEncoding("UTF-8", 1.0, "UTF-8 byte-order mark")
    for bom, name in ((codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            return TextEncoding(name, 1.0, "UTF-16 byte-order mark")
    # A character cut by the sample's end must not count against any encoding.
    if len(data) >= _SAMPLE_BYTES:
        data = data[:-4]
    said = (declared or "").strip()
    declared = normalise_encoding(declared) if declared else None
    if declared and said.upper() != declared:
        said = f"{said} (read as {declared})"
    utf8 = _profile(data, "utf-8")
    if utf8.non_ascii == 0:
        enc = declared or fallback or "UTF-8"
        return TextEncoding(enc, 1.0, "ASCII text only" + (f"; {declared_by} says {said}" if declared else ""))
    profiles = {c: (utf8 if c == "UTF-8" else _profile(data, c)) for c in CANDIDATES}
    if declared and declared not in profiles:
        profiles[declared] = _profile(data, declared)

    def ok_share(enc: str) -> float:
        p = profiles[enc]
        return 1.0 - p.invalid / max(p.non_ascii, 1)

    # UTF-8: valid, or nearly (characters cut at a byte limit); GBK/Big5 text is never nearly valid.
    utf8_ok = utf8.invalid <= max(1, 0.03 * utf8.non_ascii)
    if utf8_ok:
        choice, sure = "UTF-8", min(1.0, 0.6 + utf8.non_ascii / 50)
        why = "valid UTF-8 text" if utf8.invalid == 0 else f"UTF-8 text with {utf8.invalid} cut character(s)"
    else:
        ranked = sorted(("GB18030", "CP950"), key=lambda c: -profiles[c].common)
        best, second = ranked
        share, margin = profiles[best].common, profiles[best].common - profiles[second].common
        if share >= 0.5:
            choice = best
            sure = min(share, 0.5 + margin) if margin < 0.3 else share
            sure = min(sure, 0.6 + profiles[best].non_ascii / 50)  # few characters: less sure
            why = (f"{share:.0%} common Chinese characters as {_title(best)} "
                   f"({profiles[second].common:.0%} as {_title(second)})")
        else:
            choice = fallback or "ISO-8859-1"
            sure = 0.3
            why = f"neither UTF-8 nor Chinese text (best {share:.0%} common characters as {_title(best)})"
    lenient = choice == "UTF-8" and utf8.invalid > 0
    if declared and declared == choice:
        return _with_invalid(TextEncoding(declared, max(round(float(sure), 2), 0.9),
                                          f"{declared_by} says {said}; the text agrees", lenient=lenient), profiles)
    if declared:
        d_ok, d_common = ok_share(declared), profiles[declared].common
        if choice in CANDIDATES and sure >= SURE and (d_ok < 0.97 or profiles[choice].common - d_common >= 0.3):
            return TextEncoding(choice, round(float(sure), 2), f"{declared_by} says {said}, but the text is "
                                f"{_title(choice)} ({why})", lenient=lenient,
                                warning=f"{declared_by} declares {said}, but the text is {_title(choice)}; "
                                f"read as {_title(choice)} (correct or remove the encoding declared in {declared_by})")
        if d_ok >= 0.97:
            return TextEncoding(declared, 0.9, f"{declared_by} says {said}")
        return TextEncoding(declared, 0.5, f"{declared_by} says {said}, but some text does not decode in it",
                            lenient=True, warning=f"some text does not decode as {said} ({declared_by}); "
                            "those characters are left out: check the names and values")
    result = _with_invalid(TextEncoding(choice, round(float(sure), 2), f"detected: {why}", lenient=lenient), profiles)
    if not result.sure:
        result.warning = (f"the text encoding is uncertain: read as {_title(choice)} ({why}, confidence "
                          f"{result.confidence:.2f}); if names or values look wrong, declare the encoding "
                          "(a .cpg file, or encoding = \"...\" for the input in the project file)")
    return result


def _with_invalid(result: TextEncoding, profiles: dict[str, _Profile]) -> TextEncoding:
    p = profiles.get(result.encoding)
    result.invalid = p.invalid if p is not None else 0
    return result


def _title(enc: str) -> str:
    return {"GB18030": "GB18030 (GBK)", "CP950": "Big5 (CP950)"}.get(enc, enc)


# Shapefiles -------------------------------------------------------------------------------
def _zip_names(zf: zipfile.ZipFile, member: str, suffix: str) -> str | None:
    names = {n.lower(): n for n in zf.namelist()}
    return names.get((member[:-4] + suffix).lower())


def sidecar_bytes(shp: Path, suffix: str, zip_member: str | None = None, *, limit: int = _SAMPLE_BYTES) -> bytes | None:
    """The first ``limit`` bytes of a shapefile's side file (.dbf, .cpg, .prj), also in a zip."""
    if zip_member is not None:
        with zipfile.ZipFile(shp) as zf:
            name = _zip_names(zf, zip_member, suffix)
            if name is None:
                return None
            with zf.open(name) as fh:
                return fh.read(limit)
    for s in (suffix, suffix.upper()):
        f = shp.with_suffix(s)
        if f.is_file():
            with f.open("rb") as fh:
                return fh.read(limit)
    return None


def has_cpg(shp: Path, zip_member: str | None = None) -> bool:
    return sidecar_bytes(shp, ".cpg", zip_member, limit=64) is not None


@dataclass
class DbfHeader:
    names: list[bytes]      # raw field names in file order
    ldid: int
    header_len: int
    body: bytes             # the records of the sample


def read_dbf_header(raw: bytes) -> DbfHeader | None:
    if len(raw) < 32:
        return None
    header_len = struct.unpack("<H", raw[8:10])[0]
    names = []
    for i in range(32, max(32, min(header_len, len(raw)) - 1), 32):
        if raw[i] == 0x0D:  # header terminator
            break
        names.append(raw[i:i + 11].split(b"\0")[0])
    return DbfHeader(names, raw[29], header_len, raw[header_len:])


def cut_utf8_names(names: list[bytes]) -> dict[int, bytes]:
    """Field names that end in the middle of a UTF-8 character (GDAL cuts names at 10 bytes):
    position -> raw bytes. Valid names and names that are not UTF-8 at all are not listed."""
    cut = {}
    for i, name in enumerate(names):
        try:
            name.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" and exc.start >= len(name) - 3 and len(name) >= 8:
                cut[i] = name
    return cut


def complete_cut_name(raw: bytes, candidates: dict[str, str]) -> str | None:
    """The name a cut field name was: among ``candidates`` (name -> the field it means, e.g.
    the catalogue's synonyms, in declared order) those whose UTF-8 bytes start with the cut
    bytes; the first of them when they all mean one field, else None."""
    fits = [c for c in candidates if len(c.encode("utf-8")) > len(raw) and c.encode("utf-8").startswith(raw)]
    return fits[0] if fits and len({candidates[c] for c in fits}) == 1 else None


@dataclass
class ShapefileText:
    """How to decode a shapefile's text."""

    encoding: str            # the name to give GDAL (iconv): UTF8 (lenient) / UTF-8 / GB18030 / CP950 ...
    decision: TextEncoding
    cut_names: dict[int, bytes] = field(default_factory=dict)

    @property
    def note(self) -> str:
        return self.decision.how


def shapefile_encoding(shp: Path, zip_member: str | None = None, *, user: str | None = None) -> ShapefileText | None:
    """How to decode a shapefile's .dbf: the user's encoding, the .cpg's, or the bytes'
    (the .dbf language byte only where the bytes say nothing). None when there is no .dbf."""
    raw = sidecar_bytes(shp, ".dbf", zip_member)
    if raw is None:
        return None
    header = read_dbf_header(raw)
    if header is None:
        return ShapefileText("UTF-8", TextEncoding("UTF-8", 1.0, "empty table"))
    cpg = sidecar_bytes(shp, ".cpg", zip_member, limit=64)
    declared, by = None, ""
    if user:
        declared, by = user, "the project file"
    elif cpg is not None:
        text = cpg.decode("ascii", "replace").strip()
        declared, by = (text, "the .cpg file") if normalise_encoding(text) else (None, "")
    # Names cut at the .dbf's limit in the middle of a UTF-8 character are the writer's doing,
    # not evidence against UTF-8: the sample holds them without the cut character.
    cut = cut_utf8_names(header.names)
    names = [n.decode("utf-8", "ignore").encode("utf-8") if i in cut else n for i, n in enumerate(header.names)]
    sample = b" ".join(names) + b" " + header.body
    decision = detect_text_encoding(sample, declared=declared, declared_by=by, fallback=_LDID.get(header.ldid))
    if cut and decision.encoding == "UTF-8":
        decision.how += f"; {len(cut)} field name(s) cut in the middle of a character at the 10-byte limit"
    if not declared and decision.encoding in CANDIDATES and _LDID.get(header.ldid) == decision.encoding:
        decision.how += f"; the .dbf language byte 0x{header.ldid:02X} agrees"
    elif not declared and cpg is None:
        decision.how += "; no .cpg file"
    cut = cut if decision.encoding == "UTF-8" else {}
    # GDAL's iconv decodes "UTF8" leniently (drops a cut character); "UTF-8" is passed through as is.
    gdal_name = "UTF8" if decision.encoding == "UTF-8" and (decision.lenient or cut) else decision.encoding
    return ShapefileText(gdal_name, decision, cut)


def decode_prj(data: bytes, encoding: str | None) -> str:
    """A .prj's text: UTF-8 if it is, else the layer's encoding (a Chinese CRS name in GBK)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for enc in (encoding, "GB18030"):
        if enc and enc.upper() not in ("UTF8", "UTF-8"):
            try:
                return data.decode(enc)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode("latin-1")
