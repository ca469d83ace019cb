"""Text encoding of shapefiles that carry no .cpg.

GDAL reads a .dbf without .cpg as the code page of its LDID byte, and where that byte is 0 as
ISO-8859-1: Chinese GBK text then comes out as mojibake. We read the raw .dbf header and
records and decide: valid UTF-8 with non-ASCII bytes -> UTF-8, else valid GB18030 (a superset
of GBK and GB2312) -> GB18030, else the LDID's code page, else ISO-8859-1.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

# LDID byte -> code page, the ones found in Chinese data.
_LDID = {0x4D: "CP936", 0x7A: "CP936", 0x57: "CP1252", 0x03: "CP1252", 0x01: "CP437", 0x02: "CP850"}
_SAMPLE_BYTES = 4 << 20


def _dbf_bytes(shp: Path, zip_member: str | None = None) -> bytes | None:
    if zip_member is not None:
        with zipfile.ZipFile(shp) as zf:
            stem = zip_member[:-4]
            names = {n.lower(): n for n in zf.namelist()}
            dbf = names.get((stem + ".dbf").lower())
            if dbf is None:
                return None
            with zf.open(dbf) as fh:
                return fh.read(_SAMPLE_BYTES)
    for suffix in (".dbf", ".DBF"):
        dbf = shp.with_suffix(suffix)
        if dbf.exists():
            with dbf.open("rb") as fh:
                return fh.read(_SAMPLE_BYTES)
    return None


def has_cpg(shp: Path, zip_member: str | None = None) -> bool:
    if zip_member is not None:
        with zipfile.ZipFile(shp) as zf:
            return any(n.lower() == (zip_member[:-4] + ".cpg").lower() for n in zf.namelist())
    return shp.with_suffix(".cpg").exists() or shp.with_suffix(".CPG").exists()


def detect_dbf_encoding(raw: bytes) -> tuple[str, str]:
    """(encoding, how it was decided) for the bytes of a .dbf file."""
    if len(raw) < 32:
        return "UTF-8", "empty table"
    header_len = struct.unpack("<H", raw[8:10])[0]
    ldid = raw[29]
    # Field names live in the header (32-byte descriptors), values after it: test both.
    names = b"".join(raw[i:i + 11].split(b"\0")[0] for i in range(32, max(32, header_len - 1), 32))
    body = names + b" " + raw[header_len:]
    if all(b < 0x80 for b in body):
        return (_LDID.get(ldid, "UTF-8"), "ASCII only")
    # A cut multi-byte character at the end of the sample must not spoil the test.
    trimmed = body[:-4] if len(raw) >= _SAMPLE_BYTES else body
    try:
        trimmed.decode("utf-8")
        return "UTF-8", "valid UTF-8 text"
    except UnicodeDecodeError:
        pass
    try:
        trimmed.decode("gb18030")
        return "GB18030", "text is not UTF-8 but valid GBK/GB18030"
    except UnicodeDecodeError:
        pass
    if ldid in _LDID:
        return _LDID[ldid], f"code page from the .dbf language byte 0x{ldid:02X}"
    return "ISO-8859-1", "no .cpg and no recognisable encoding"


def shapefile_encoding(shp: Path, zip_member: str | None = None) -> tuple[str | None, str]:
    """Encoding to force for a shapefile, or None where its .cpg says it.

    Returns (encoding, note) with a note for the manifest.
    """
    if has_cpg(shp, zip_member):
        return None, "from the .cpg file"
    raw = _dbf_bytes(shp, zip_member)
    if raw is None:
        return None, "no .dbf file"
    enc, why = detect_dbf_encoding(raw)
    return enc, f"detected ({why}; no .cpg file)"
