"""Read one vector source into a GeoDataFrame, with what was learnt on the way.

pyogrio with Arrow for every OGR format; pandas for CSV/XLSX tables with coordinate columns.
No reprojection or field mapping here: that is :mod:`planner.io.loading`.

The frame's index is the file's own numbering, so that every later message names the feature a
user can find: the row of a CSV/XLSX table (the header is row 1) or the record of a GIS layer
(row 1 = the first feature). Rows dropped here (a table's rows without coordinates) keep the
numbers of the rows after them unchanged.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from planner.catalogue import normalise_name
from planner.errors import InputError
from planner.io.encoding import (
    complete_cut_name,
    decode_prj,
    detect_text_encoding,
    shapefile_encoding,
    sidecar_bytes,
)
from planner.io.sources import (
    ALLOWED_DRIVERS,
    TABLE_SUFFIXES,
    Source,
    check_exists,
    gdal_path,
    list_layers,
    sniff_format,
)

LON_NAMES = ["经度", "lon", "lng", "long", "longitude", "经度坐标", "x_lon"]
LAT_NAMES = ["纬度", "lat", "latitude", "纬度坐标", "y_lat"]
X_NAMES = ["x", "x坐标", "横坐标", "东坐标", "easting", "point_x"]
Y_NAMES = ["y", "y坐标", "纵坐标", "北坐标", "northing", "point_y"]
_SAMPLE_BYTES = 4 << 20
FIRST_ROWS = 10  # rows named in a message


class RowsDropped(TypedDict, total=False):
    """A table's rows left out as they are read (empty when none)."""

    count: int
    reason: str
    rows: list[int]


class TableText(TypedDict, total=False):
    """How a CSV table's text was decoded (nothing for a workbook)."""

    encoding: str
    note: str
    confidence: float
    warnings: list[str]


@dataclass
class RawLayer:
    """A source as read, before harmonisation."""

    source: Source
    frame: gpd.GeoDataFrame
    driver: str
    layer: str | None
    encoding: str | None = None
    encoding_note: str = ""
    crs_note: str = "from the file"
    notes: list[str] = field(default_factory=list)
    encoding_confidence: float | None = None
    warnings: list[str] = field(default_factory=list)
    rows_dropped: RowsDropped = field(default_factory=lambda: RowsDropped())
    renamed_fields: dict[str, str] = field(default_factory=dict)


def rows_text(labels: Iterable[object], word: str = "row", n: int = FIRST_ROWS) -> str:
    """'rows 3, 7, 9' / 'row 4' / 'rows 3, 7, ... (first 10 of 25)'."""
    texts = [str(x) for x in list(labels)]
    shown = ", ".join(texts[:n])
    more = f", ... (first {n} of {len(texts)})" if len(texts) > n else ""
    return f"{word}{'s' if len(texts) > 1 else ''} {shown}{more}"


def _pick_layer(source: Source, role: str | None) -> str | None:
    """The layer to read: the one named, the only one, or one named like the role."""
    if source.suffix in TABLE_SUFFIXES or source.suffix in {".shp", ".geojson", ".json"}:
        return source.layer
    if source.suffix == ".zip":
        return None
    layers = [name for name, _ in list_layers(source)]
    if source.layer:
        if source.layer not in layers:
            raise InputError(
                f"there is no layer '{source.layer}' (layers: {', '.join(layers)}).",
                file=str(source.path), layer=source.layer,
                hint="write the file as path:layer with one of the layers listed.",
            )
        return source.layer
    if source.suffix in {".osm", ".pbf"}:
        return "lines" if role in (None, "roads") else ("points" if role == "facilities" else "multipolygons")
    if len(layers) == 1:
        return layers[0]
    if role:
        for name in layers:
            if normalise_name(name) in {role, role.rstrip("s")}:
                return name
    raise InputError(
        f"the file holds several layers ({', '.join(layers)}) and none was chosen.",
        file=str(source.path),
        hint=f"write it as {source.path}:LAYER, e.g. {source.path}:{layers[0]}.",
    )


def _find_column(columns: list[str], names: list[str]) -> str | None:
    wanted = {normalise_name(n) for n in names}
    for c in columns:
        if normalise_name(c) in wanted:
            return c
    return None


def _csv_error_row(message: str) -> int | None:
    """The file row a pandas parser error names (pandas counts 'line' from 1, 'row' from 0)."""
    m = re.search(r"\bline (\d+)", message)
    if m:
        return int(m.group(1))
    m = re.search(r"\brow (\d+)", message)
    return int(m.group(1)) + 1 if m else None


def _read_csv(source: Source, encoding: str | None) -> tuple[pd.DataFrame, TableText]:
    path = source.path
    with open(path, "rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise InputError("the CSV file is empty.", file=str(path),
                         hint="give a table with a header row and one row per feature.")
    decision = detect_text_encoding(head, declared=encoding, declared_by="the project file")
    codec = {"UTF-8": "utf-8-sig"}.get(decision.encoding, decision.encoding)
    info: TableText = {"encoding": decision.encoding, "note": decision.how, "confidence": decision.confidence,
            "warnings": [decision.warning] if decision.warning else []}
    kwargs = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    try:
        try:
            table = pd.read_csv(path, encoding=codec, encoding_errors="replace" if decision.lenient else "strict",
                                **kwargs)
        except UnicodeDecodeError:  # beyond the sample the text stops decoding
            table = pd.read_csv(path, encoding=codec, encoding_errors="replace", **kwargs)
            info["warnings"].append(f"some text does not decode as {decision.encoding}; those characters are "
                                    "replaced by '�'")
    except pd.errors.EmptyDataError:
        raise InputError("the CSV file has no header row.", file=str(path),
                         hint="give a table with a header row and one row per feature.") from None
    except pd.errors.ParserError as exc:
        text = str(exc).replace("Error tokenizing data. C error: ", "").strip()
        row = _csv_error_row(text)
        what = ("a quote is opened and never closed" if "EOF inside string" in text
                else "the row has more fields than the header" if "Expected" in text else text)
        raise InputError(f"the CSV file cannot be read: {what} ({text}).", file=str(path), row=row,
                         hint="fix that row (close the quote, or remove the extra separators) and save the "
                              "file again.") from None
    return table, info


def _read_table(source: Source, encoding: str | None = None) -> tuple[pd.DataFrame, TableText]:
    if source.suffix == ".csv":
        return _read_csv(source, encoding)
    sheet = source.layer if source.layer else 0
    try:
        return pd.read_excel(source.path, sheet_name=sheet), {}
    except ValueError as exc:
        raise InputError(f"the workbook cannot be read ({exc}).", file=str(source.path),
                         layer=source.layer, hint="name an existing sheet as file.xlsx:SHEET.") from None
    except Exception as exc:  # a damaged or mis-named workbook: openpyxl's own words
        raise InputError(f"the file cannot be read as a workbook ({type(exc).__name__}: {exc}).",
                         file=str(source.path), layer=source.layer,
                         hint="open and save it again in Excel or LibreOffice, or save it as CSV.") from None


def read_table_points(source: Source, *, encoding: str | None = None) -> RawLayer:
    """A CSV/XLSX table with longitude/latitude or x/y columns -> points.

    Rows whose coordinates are empty or not numbers are dropped with a warning that gives
    their count and first row numbers; the other rows keep their own row numbers."""
    table, info = _read_table(source, encoding)
    label = source.label()
    cols = [str(c) for c in table.columns]
    table.columns = cols
    if len(table) == 0:
        raise InputError("the table has a header but no rows.", file=str(source.path), layer=source.layer, row=2,
                         hint="add one row per feature below the header, or leave this input out.")
    lon, lat = _find_column(cols, LON_NAMES), _find_column(cols, LAT_NAMES)
    degrees = lon is not None and lat is not None
    if not degrees:
        lon, lat = _find_column(cols, X_NAMES), _find_column(cols, Y_NAMES)
    if lon is None or lat is None:
        raise InputError(
            f"no coordinate columns found (columns: {', '.join(cols)}).",
            file=str(source.path),
            hint="name them 经度/纬度, lon/lat or X/Y, or convert the table to a GIS format.",
        )
    x = pd.to_numeric(table[lon], errors="coerce").to_numpy(dtype="float64")
    y = pd.to_numeric(table[lat], errors="coerce").to_numpy(dtype="float64")
    rows = np.arange(2, len(table) + 2)  # the header is row 1
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        first = table[[lon, lat]].iloc[0].tolist()
        raise InputError(
            f"none of the {len(table)} rows has coordinates that are numbers in columns {lon}/{lat} "
            f"(row 2 holds {first[0]!r}, {first[1]!r}).",
            file=str(source.path), layer=source.layer, field=f"{lon}/{lat}", row=2,
            hint="write the coordinates as decimal numbers (e.g. 117.2834), or name the right columns "
                 "经度/纬度, lon/lat or X/Y.")
    frame = gpd.GeoDataFrame(table.drop(columns=[lon, lat]), geometry=shapely.points(x, y), crs=None)
    frame.index = pd.Index(rows, name="row")
    layer = RawLayer(source, frame, "CSV" if source.suffix == ".csv" else "XLSX", source.layer,
                     encoding=info.get("encoding"), encoding_note=info.get("note", ""),
                     encoding_confidence=info.get("confidence"))
    layer.warnings += [f"{label}: {w}" for w in info.get("warnings", [])]
    if not ok.all():
        bad = rows[~ok]
        layer.frame = frame.loc[ok]
        layer.rows_dropped = {"count": int(len(bad)), "reason": f"coordinates in {lon}/{lat} empty or not numbers",
                              "rows": bad[:FIRST_ROWS].tolist()}
        layer.warnings.append(
            f"{label}: {len(bad)} of {len(table)} rows dropped: their coordinates in columns {lon}/{lat} are empty "
            f"or not numbers ({rows_text(bad, 'row')}); fix them to include those features")
    layer.notes.append(f"points from columns {lon}/{lat}")
    if degrees:
        layer.frame = layer.frame.set_crs(4490)
        layer.crs_note = f"columns {lon}/{lat} are degrees: CGCS2000 geographic assumed"
    else:
        layer.crs_note = "none in a table"
    return layer


def _shapefile_without_prj(path: str, encoding: str | None) -> bytes:
    """An in-memory OGR VRT of a shapefile that gives GDAL no CRS: a .prj whose text is not
    UTF-8 (a Chinese CRS name in GBK) breaks pyogrio's CRS hand-over, so we read it ourselves."""
    options = f'<OpenOptions><OOI key="ENCODING">{escape(encoding)}</OOI></OpenOptions>' if encoding else ""
    stem = path.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    return (f'<OGRVRTDataSource><OGRVRTLayer name="layer"><SrcDataSource relativeToVRT="0">{escape(path)}'
            f"</SrcDataSource>{options}<SrcLayer>{escape(stem)}</SrcLayer><LayerSRS>NULL</LayerSRS>"
            "</OGRVRTLayer></OGRVRTDataSource>").encode()


def _read_frame(target: str | bytes, kwargs: dict[str, Any], source: Source,
                layer: str | None) -> tuple[gpd.GeoDataFrame, list[str]]:  # kwargs: pyogrio.read_dataframe's
    """pyogrio's read, with GDAL's warnings kept; curved geometries (which Arrow hands over
    as they are) are read again without Arrow, where GDAL linearises them."""
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pyogrio.read_dataframe(target, **kwargs)
        except NotImplementedError as exc:
            if "onlinear" not in str(exc):
                raise
            frame = pyogrio.read_dataframe(target, **{**kwargs, "use_arrow": False})
            notes.append("curved geometries (arcs) were linearised by GDAL")
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    undecoded = [m for m in messages if "couldn't be converted correctly" in m]
    if undecoded:
        notes.append(f"warning: some text could not be decoded as {kwargs.get('encoding', 'UTF-8')} and was "
                     "replaced; check the names and values, or declare the encoding")
    return frame, notes


def read_vector(source: Source, *, role: str | None = None, encoding: str | None = None) -> RawLayer:
    """Read a vector source; ``encoding`` overrides detection for shapefiles and CSV files."""
    check_exists(source)
    if source.suffix in TABLE_SUFFIXES:
        return read_table_points(source, encoding=encoding)
    sniffed = sniff_format(source)
    if source.suffix in {".osm", ".pbf"} and source.layer is None and role in OSM_ROLES:
        return _read_osm_role(source, role, sniffed, encoding)
    layer = _pick_layer(source, role)
    path = gdal_path(source)
    label = source.label()
    kwargs: dict[str, Any] = {"use_arrow": True}  # pyogrio.read_dataframe's keywords (of mixed types)
    target: str | bytes = path
    text = None
    prj_crs, prj_note, extra_warnings = None, None, []
    if layer is not None and source.suffix not in {".shp", ".zip"}:
        kwargs["layer"] = layer
    if source.suffix in {".shp", ".zip"}:
        member = path[len(f"/vsizip/{source.path}/"):] if source.suffix == ".zip" else None
        text = shapefile_encoding(source.path, member, user=encoding)
        if text is not None:
            kwargs["encoding"] = text.encoding
        prj = sidecar_bytes(source.path, ".prj", member, limit=1 << 16)
        if prj is not None and not prj.isascii():
            try:
                prj.decode("utf-8")
                utf8 = True
            except UnicodeDecodeError:
                utf8 = False
            if not utf8:
                wkt = decode_prj(prj, text.decision.encoding if text else None)
                try:
                    prj_crs = CRS.from_user_input(wkt)
                    prj_note = f"from the .prj file (its CRS name is not UTF-8 text: read as {_prj_encoding(prj)})"
                except Exception:
                    extra_warnings.append(f"{label}: the .prj file cannot be read as a CRS; the layer is treated as "
                                          "having none (declare its CRS, e.g. crs = \"EPSG:4546\" for the input in "
                                          "the project file)")
                    prj_note = "none (the .prj file cannot be read)"
                target = _shapefile_without_prj(path, kwargs.pop("encoding", None))
    elif encoding is not None:
        extra_warnings.append(f"{label}: encoding '{encoding}' is ignored: {sniffed} text is UTF-8 by definition")
    if source.suffix in {".osm", ".pbf"}:
        where = "highway IS NOT NULL" if layer == "lines" and role in (None, "roads") else None
        if where:
            kwargs["where"] = where
        # An area cut by the extract's edge has a ring GDAL cannot close: it comes without geometry
        # (left out with a warning naming its row) instead of failing the whole file.
        kwargs["on_invalid"] = "ignore"
    try:
        frame, read_notes = _read_frame(target, kwargs, source, layer)
        info_driver = sniffed if isinstance(target, bytes) else \
            pyogrio.read_info(target, layer=kwargs.get("layer"), encoding=kwargs.get("encoding")).get("driver", "?")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"the file cannot be read ({exc}).", file=str(source.path), layer=layer,
                         hint="check that the file is complete and of a supported format.") from None
    if info_driver not in ALLOWED_DRIVERS:
        raise InputError(f"the file was read by GDAL's {info_driver} driver, which is not accepted for inputs.",
                         file=str(source.path), layer=layer,
                         hint="convert the data, e.g. with ogr2ogr, to a GeoPackage.")
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("the layer has no geometry.", file=str(source.path), layer=layer,
                         hint="give a spatial layer, or a table with coordinate columns.")
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    if source.suffix in {".osm", ".pbf"} and (bounds := osm_bounds(source.path)) is not None:
        frame["osm_bounds"] = bounds  # the extract's edge; the roads analysis uses it as the study area
    if prj_crs is not None:
        frame = frame.set_crs(prj_crs, allow_override=True)
    raw = RawLayer(source, frame, info_driver, layer, encoding=_declared_encoding(source),
                   encoding_note="from the file")
    raw.warnings += extra_warnings
    for note in read_notes:
        if note.startswith("warning: "):
            raw.warnings.append(f"{label}: {note[len('warning: '):]}")
        else:
            raw.notes.append(note)
    if text is not None:
        d = text.decision
        raw.encoding, raw.encoding_note, raw.encoding_confidence = d.encoding, d.how, d.confidence
        if d.warning:
            raw.warnings.append(f"{label}: {d.warning}")
        if d.invalid > len(text.cut_names):
            raw.warnings.append(f"{label}: {d.invalid - len(text.cut_names)} character(s) of the text are cut in the "
                                f"middle and were left out ({d.encoding})")
        if text.cut_names:
            _complete_cut_names(raw, text.cut_names, role)
    if prj_note:
        raw.crs_note = prj_note
    elif frame.crs is None:
        raw.crs_note = "none in the file"
    return raw


# Roles read from an OpenStreetMap extract by planner.io.osm (tags to the catalogue's fields).
OSM_ROLES = ("buildings", "facilities")


def _read_osm_role(source: Source, role: str, sniffed: str, encoding: str | None) -> RawLayer:
    """Buildings or facilities of an OSM extract, with the catalogue's field names."""
    from planner.io.osm import read_osm_buildings, read_osm_facilities

    reader = read_osm_buildings if role == "buildings" else read_osm_facilities
    frame, notes, warns = reader(source)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    raw = RawLayer(source, frame, "OSM", "multipolygons" if role == "buildings" else "points+multipolygons",
                   encoding="UTF-8", encoding_note="from the file")
    if encoding is not None:
        raw.warnings.append(f"{source.label()}: encoding '{encoding}' is ignored: {sniffed} text is UTF-8 by "
                            "definition")
    raw.notes += notes
    raw.warnings += warns
    return raw


def _prj_encoding(prj: bytes) -> str:
    try:
        prj.decode("gb18030")
        return "GB18030"
    except UnicodeDecodeError:
        return "ISO-8859-1"


def _complete_cut_names(raw: RawLayer, cut: dict[int, bytes], role: str | None) -> None:
    """Field names cut in the middle of a UTF-8 character (GDAL keeps 10 bytes of a name):
    GDAL decoded them without the cut character; where the bytes begin exactly one field name
    of the catalogue (the role's, else any role's), the field gets that name."""
    from planner.catalogue import default_catalogue

    catalogue = default_catalogue()
    specs = [catalogue.layers[role]] if role in catalogue.layers else list(catalogue.layers.values())
    names: dict[str, str] = {}
    for spec in specs:
        for f in spec.fields:
            for n in (f.name, *f.synonyms):
                names.setdefault(n, f"{spec.role}.{f.name}")
    columns = [c for c in raw.frame.columns if c != raw.frame.geometry.name]
    rename: dict[str, str] = {}
    for pos, raw_name in cut.items():
        if pos >= len(columns):
            continue
        column = columns[pos]
        full = complete_cut_name(raw_name, names)
        if full and full not in columns and full not in rename.values():
            rename[column] = full
            raw.notes.append(f"field name '{column}' was cut in the middle of a character (10-byte limit of the "
                             f".dbf); read as '{full}'")
        else:
            raw.warnings.append(
                f"{raw.source.label()}: field name '{column}' was cut in the middle of a character by the program "
                "that wrote the file and matches no known field name; map it by hand if it matters "
                f"(e.g. --map {role or 'ROLE'}.FIELD={column})")
    if rename:
        raw.frame = raw.frame.rename(columns=rename)
        raw.renamed_fields.update({v: k for k, v in rename.items()})


def _declared_encoding(source: Source) -> str | None:
    """Formats whose text is UTF-8 by definition (shapefiles are decided in read_vector)."""
    if source.suffix in {".gpkg", ".geojson", ".json", ".gdb", ".osm", ".pbf"}:
        return "UTF-8"
    return None


def read_crs_text(text: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except Exception:
        raise InputError(f"'{text}' is not a coordinate reference system.",
                         hint="give it as EPSG:NNNN, e.g. EPSG:4546.") from None


def _varints(data: bytes) -> Iterator[tuple[int, int, Any]]:  # value: int or bytes by wire type, read as such
    """(field number, wire type, value) of a protobuf message's fields (varint and bytes only)."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            size, i = _varint(data, i)
            value, i = data[i:i + size], i + size
        else:
            return
        yield field, wire, value


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = data[i]
        result |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return result, i
        shift += 7


def _pbf_bounds(head: bytes) -> list[float] | None:
    """The bbox of an OSM PBF file's header block (left, bottom, right, top in degrees)."""
    import zlib

    size = int.from_bytes(head[:4], "big")
    header = dict((f, v) for f, _, v in _varints(head[4:4 + size]))
    if header.get(1) != b"OSMHeader":
        return None
    blob = dict((f, v) for f, _, v in _varints(head[4 + size:4 + size + int(header.get(3, 0))]))
    block = blob.get(1) or (zlib.decompress(blob[3]) if 3 in blob else b"")
    bbox = dict((f, v) for f, _, v in _varints(block)).get(1)
    if not bbox:
        return None
    nano = {f: (v >> 1) ^ -(v & 1) for f, _, v in _varints(bbox)}  # sint64, nanodegrees
    if len(nano) < 4:
        return None
    return [nano[1] / 1e9, nano[4] / 1e9, nano[2] / 1e9, nano[3] / 1e9]


def osm_bounds(path: str | Path) -> str | None:
    """The extract's bounds of an OSM file as "minlon,minlat,maxlon,maxlat" (degrees, WGS 84):
    XML ``<bounds>`` or the PBF header's bbox, read from the file's first 64 KiB; None where the
    file declares none."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(1 << 16)
    except OSError:
        return None
    box = None
    try:
        if raw[4:32].find(b"OSMHeader") >= 0:
            box = _pbf_bounds(raw)
        else:
            tag = re.search(r"<bounds\b[^>]*>", raw.decode("utf-8", errors="replace"))
            if tag is not None:
                values = dict(re.findall(r'(min(?:lat|lon)|max(?:lat|lon))\s*=\s*["\']([-+0-9.eE]+)["\']',
                                         tag.group(0)))
                box = [float(values[k]) for k in ("minlon", "minlat", "maxlon", "maxlat")]
    except Exception:  # a damaged or unusual header: no bounds
        return None
    if box is None:
        return None
    if not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
        return None
    return ",".join(f"{v:.7f}" for v in box)


def osm_roads_status(frame: pd.DataFrame) -> pd.DataFrame:
    """OSM roads under construction or proposed are planned roads."""
    if "highway" in frame.columns and "status" not in frame.columns:
        frame["status"] = np.where(frame["highway"].isin(["construction", "proposed"]), "planned", "built")
    return frame

