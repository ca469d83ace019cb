"""Input source names (``file.gpkg:layer``, zipped shapefiles, FileGDB folders, OSM files) and
the gate every input passes before GDAL sees it.

Reading data never opens the network: GDAL's network file systems are shut (no /vsicurl/,
/vsis3/ ... file is ever allowed), PROJ's network grids are off, and a file is opened only when
its suffix is an allowed format and its first bytes are that format (a ".gpkg" that is really
a GDAL VRT pointing at a URL is refused before GDAL opens it). Named pipes, devices and sockets
are refused at once instead of hanging a read.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyogrio

from planner.errors import InputError

VECTOR_SUFFIXES = {".gpkg", ".shp", ".zip", ".gdb", ".geojson", ".json", ".csv", ".xlsx", ".xls",
                   ".osm", ".pbf", ".fgb", ".kml", ".gml", ".sqlite"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".xls"}
RASTER_SUFFIXES = {".tif", ".tiff", ".img"}
# The GDAL drivers inputs may be read with (checked against the file's first bytes before
# GDAL opens it, and against the driver GDAL reports after).
ALLOWED_DRIVERS = {"GPKG", "ESRI Shapefile", "OpenFileGDB", "GeoJSON", "ESRIJSON", "TopoJSON", "JSONFG",
                   "OSM", "FlatGeobuf", "KML", "LIBKML", "GML", "SQLite"}
RASTER_DRIVERS = ["GTiff", "HFA"]
# GDAL configuration that keeps reading local: no file on a network file system "exists"
# (GDAL decides that from the name, before any request), no GML schema or xlink downloads.
GDAL_OFFLINE = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".renewal-planner-reads-local-files-only",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GML_SKIP_RESOLVE_ELEMS": "ALL",
    "GML_DOWNLOAD_WFS_SCHEMA": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "LIBKML_RESOLVE_STYLE": "NO",
    "LIBKML_EXTERNAL_STYLE": "NO",
}
# XML and JSON that make GDAL open other data sources or URLs (VRT, WFS/WMS connection files,
# GDAL algorithm pipelines): refused whatever the suffix says.
_INDIRECT = (b"<OGRVRTDataSource", b"<VRTDataset", b"<OGRWFSDataSource", b"<GDAL_WMS", b"<WCS_GDAL",
             b"<OGRWMTSDataSource", b"gdal_streamed_alg", b"<OGRGMLDataSource")


def _go_offline() -> None:
    pyogrio.set_gdal_config_options(GDAL_OFFLINE)
    try:
        import pyproj.network

        pyproj.network.set_network_enabled(active=False)
    except (ImportError, AttributeError):  # pragma: no cover - old pyproj
        pass


_go_offline()


@dataclass(frozen=True)
class Source:
    """One input: a path and, where the file holds several, the layer."""

    path: Path
    layer: str | None = None

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    def label(self) -> str:
        return f"{self.path}:{self.layer}" if self.layer else str(self.path)


def parse_source(text: str | Path, *, base: Path | None = None) -> Source:
    """Split ``path[:layer]``; a drive letter (``C:\\``) is never taken for a layer."""
    text = str(text)
    path_text, layer = text, None
    head, sep, tail = text.rpartition(":")
    if sep and head and tail and not tail.startswith(("\\", "/")) and len(head) > 1:
        candidate = Path(head)
        if base is not None and not candidate.is_absolute():
            candidate = base / candidate
        if candidate.exists() or candidate.suffix.lower() in VECTOR_SUFFIXES:
            path_text, layer = head, tail
    path = Path(path_text).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    return Source(path, layer)


def check_path(path: Path, *, what: str = "file", folder_ok: bool = False) -> None:
    """The path exists and is a regular file (or, with ``folder_ok``, a folder); a named
    pipe, device or socket would hang or misread, so it is refused without opening it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"the {what} does not exist.", file=str(path),
                         hint="check the path in the project file or on the command line.") from None
    except OSError as exc:
        raise InputError(f"the {what} cannot be read ({exc.strerror}).", file=str(path),
                         hint="check the path and its permissions.") from None
    if stat.S_ISDIR(mode):
        if folder_ok:
            return
        raise InputError(f"the {what} is a folder.", file=str(path),
                         hint="give a file (a FileGDB folder must end in .gdb).")
    if not stat.S_ISREG(mode):
        kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a special file")
        raise InputError(f"the {what} is {kind}, not a regular file; it is not read.", file=str(path),
                         hint="save the data to a regular file and give that.")


def check_exists(source: Source) -> None:
    """An input exists, is a regular file (a FileGDB a folder), and is of a format we read."""
    suffix = source.suffix
    if suffix not in VECTOR_SUFFIXES:
        raise InputError(
            f"files of type '{suffix or '(none)'}' are not read as vector data.", file=str(source.path),
            hint="give a GeoPackage, Shapefile (or zipped), FileGDB, GeoJSON, FlatGeobuf, OSM, KML/GML, "
                 "or a CSV/XLSX table with coordinate columns (a GDAL VRT is not accepted: convert it, "
                 "e.g. with ogr2ogr, to a GeoPackage).")
    check_path(source.path, folder_ok=suffix == ".gdb")
    if suffix == ".gdb" and not source.path.is_dir():
        raise InputError("a FileGDB must be a folder.", file=str(source.path),
                         hint="give the .gdb folder itself.")
    if suffix == ".shp":
        for side in (".shx", ".dbf", ".prj", ".cpg", ".SHX", ".DBF", ".PRJ", ".CPG"):
            f = source.path.with_suffix(side)
            if os.path.lexists(f):
                check_path(f)


# First bytes of each format (after a UTF-8 byte-order mark and white space for text formats).
_SQLITE = b"SQLite format 3\0"


def _head(path: Path, n: int = 4096) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def _xml_root(head: bytes) -> str | None:
    """The name of an XML document's root element, from its first bytes."""
    text = head.lstrip(b"\xef\xbb\xbf").decode("utf-8", "replace")
    i = 0
    while True:
        i = text.find("<", i)
        if i < 0 or i + 1 >= len(text):
            return None
        if text[i + 1] in "?!":  # declaration, comment, doctype
            end = text.find("-->", i) + 3 if text.startswith("<!--", i) else text.find(">", i) + 1
            if end <= 0:
                return None
            i = end
            continue
        name = text[i + 1:].split(None, 1)[0].split(">", 1)[0].split("/", 1)[0]
        return name.split(":")[-1]


def sniff_format(source: Source) -> str:
    """The GDAL driver a file's first bytes say it is, checked against its suffix; anything else
    (above all a VRT, which can point GDAL at URLs) is refused before GDAL opens the file."""
    suffix = source.suffix
    path = source.path
    if suffix == ".gdb":
        return "OpenFileGDB"
    head = _head(path)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if any(marker in head for marker in _INDIRECT):
        found = "a GDAL VRT or connection file (it makes GDAL open other files or URLs)"
    elif head.startswith(_SQLITE):
        found = "SQLite"
    elif head[:4] == b"\x00\x00\x27\x0a":
        found = "ESRI Shapefile"
    elif head[:4] == b"PK\x03\x04":
        found = "zip"
    elif head[:3] == b"fgb":
        found = "FlatGeobuf"
    elif head[4:15] == b"\x0a\x09OSMHeader":
        found = "OSM PBF"
    elif stripped[:1] in (b"{", b"\x1e"):
        found = "GeoJSON"
    elif stripped[:1] == b"<":
        root = _xml_root(head)
        found = {"osm": "OSM", "kml": "KML"}.get((root or "").lower(), f"XML ({root or 'unknown root'})")
    else:
        found = "unknown"
    expected = {
        ".gpkg": ("SQLite", "GPKG"), ".sqlite": ("SQLite", "SQLite"), ".shp": ("ESRI Shapefile", "ESRI Shapefile"),
        ".zip": ("zip", "ESRI Shapefile"), ".fgb": ("FlatGeobuf", "FlatGeobuf"), ".pbf": ("OSM PBF", "OSM"),
        ".geojson": ("GeoJSON", "GeoJSON"), ".json": ("GeoJSON", "GeoJSON"), ".osm": ("OSM", "OSM"),
        ".kml": ("KML", "KML"),
    }
    if suffix == ".gml" and found.startswith("XML"):
        return "GML"
    want, driver = expected.get(suffix, (None, None))
    if want is not None and found == want and driver is not None:
        return driver
    names = {".gpkg": "GeoPackage", ".shp": "Shapefile", ".zip": "zip", ".geojson": "GeoJSON", ".json": "GeoJSON",
             ".osm": "OSM XML", ".pbf": "OSM PBF", ".fgb": "FlatGeobuf", ".kml": "KML", ".gml": "GML",
             ".sqlite": "SQLite"}
    raise InputError(
        f"the file cannot be read as {names.get(suffix, suffix)}: its content is {found}, so it is not opened.",
        file=str(path),
        hint="give the data in the format its name says (a VRT or a file that only points elsewhere is "
             "not accepted: convert the data, e.g. with ogr2ogr, to a GeoPackage).")


def zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if n.lower().endswith(".shp")]
            for m in members:  # a member named .shp must be a shapefile, not a VRT
                with zf.open(m) as fh:
                    if fh.read(4) != b"\x00\x00\x27\x0a":
                        raise InputError(f"the zip member '{m}' is not a shapefile; it is not opened.",
                                         file=str(path), hint="zip the .shp with its .dbf, .shx and .prj files.")
            return members
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"the zip file cannot be read ({exc}).", file=str(path),
                         hint="check that the file is complete (download it again).") from None


def gdal_path(source: Source) -> str:
    """The path GDAL should open (a zipped shapefile through /vsizip/)."""
    if source.suffix == ".zip":
        members = zip_members(source.path)
        if not members:
            raise InputError("the zip file holds no shapefile (.shp).", file=str(source.path),
                             hint="zip the .shp with its .dbf, .shx, .prj (and .cpg) files.")
        inner = source.layer if source.layer and source.layer.lower().endswith(".shp") else None
        if inner is None:
            named = [m for m in members if source.layer and Path(m).stem == source.layer]
            inner = (named or members)[0]
        return f"/vsizip/{source.path}/{inner}"
    return str(source.path)


def list_layers(source: Source) -> list[tuple[str, str]]:
    """(layer name, geometry type) of every layer of a vector file."""
    check_exists(source)
    if source.suffix in TABLE_SUFFIXES:
        return [(source.path.stem, "Point")]
    if source.suffix == ".zip":
        return [(Path(m).stem, "?") for m in zip_members(source.path)]
    sniff_format(source)
    try:
        return [(str(n), str(g)) for n, g in pyogrio.list_layers(gdal_path(source))]
    except Exception as exc:  # GDAL's own words are the most useful here
        raise InputError(f"the file cannot be opened as vector data ({exc}).", file=str(source.path),
                         hint="check that the file is complete and of a supported format.") from None


def file_hash(path: Path) -> str:
    """sha256 of a file, or of every file of a folder (FileGDB) / shapefile set, in name order."""
    h = hashlib.sha256()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    elif path.suffix.lower() == ".shp":
        files = sorted(p for p in path.parent.glob(path.stem + ".*") if p.is_file())
    else:
        files = [path] if path.is_file() else []
    for f in files:
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()
