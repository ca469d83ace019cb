"""Input source names: ``file.gpkg:layer``, zipped shapefiles, FileGDB folders, OSM files."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyogrio

from planner.errors import InputError

VECTOR_SUFFIXES = {".gpkg", ".shp", ".zip", ".gdb", ".geojson", ".json", ".csv", ".xlsx", ".xls",
                   ".osm", ".pbf", ".fgb", ".kml", ".gml", ".sqlite"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".xls"}
RASTER_SUFFIXES = {".tif", ".tiff", ".img", ".vrt"}


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


def check_exists(source: Source) -> None:
    if not source.path.exists():
        raise InputError(
            "the file does not exist.",
            file=str(source.path),
            hint="check the path in the project file or on the command line.",
        )


def zip_members(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [n for n in zf.namelist() if n.lower().endswith(".shp")]


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
        files = [path]
    for f in files:
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()
