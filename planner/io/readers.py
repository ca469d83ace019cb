"""Read one vector source into a GeoDataFrame, with what was learnt on the way.

pyogrio with Arrow for every OGR format; pandas for CSV/XLSX tables with coordinate columns.
No reprojection or field mapping here: that is :mod:`planner.io.loading`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from planner.catalogue import normalise_name
from planner.errors import InputError
from planner.io.encoding import shapefile_encoding
from planner.io.sources import TABLE_SUFFIXES, Source, check_exists, gdal_path, list_layers

LON_NAMES = ["经度", "lon", "lng", "long", "longitude", "经度坐标", "x_lon"]
LAT_NAMES = ["纬度", "lat", "latitude", "纬度坐标", "y_lat"]
X_NAMES = ["x", "x坐标", "横坐标", "东坐标", "easting", "point_x"]
Y_NAMES = ["y", "y坐标", "纵坐标", "北坐标", "northing", "point_y"]


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


def _read_table(source: Source) -> tuple[pd.DataFrame, str | None]:
    if source.suffix == ".csv":
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return pd.read_csv(source.path, encoding=enc, dtype=str, keep_default_na=False,
                                   na_values=[""]), enc.upper().replace("-SIG", "")
            except UnicodeDecodeError:
                continue
        raise InputError("the CSV file is neither UTF-8 nor GBK text.", file=str(source.path),
                         hint="save it as UTF-8 CSV.")
    sheet = source.layer if source.layer else 0
    try:
        return pd.read_excel(source.path, sheet_name=sheet), None
    except ValueError as exc:
        raise InputError(f"the workbook cannot be read ({exc}).", file=str(source.path),
                         layer=source.layer, hint="name an existing sheet as file.xlsx:SHEET.") from None


def read_table_points(source: Source) -> RawLayer:
    """A CSV/XLSX table with longitude/latitude or x/y columns -> points."""
    table, enc = _read_table(source)
    cols = [str(c) for c in table.columns]
    table.columns = cols
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
    x = pd.to_numeric(table[lon], errors="coerce").to_numpy()
    y = pd.to_numeric(table[lat], errors="coerce").to_numpy()
    geometry = shapely.points(x, y)
    geometry[~(np.isfinite(x) & np.isfinite(y))] = None  # rows without coordinates: dropped later
    frame = gpd.GeoDataFrame(table.drop(columns=[lon, lat]), geometry=geometry, crs=None)
    layer = RawLayer(source, frame, "CSV" if source.suffix == ".csv" else "XLSX", source.layer,
                     encoding=enc, encoding_note="detected" if enc else "")
    layer.notes.append(f"points from columns {lon}/{lat}")
    if degrees:
        layer.frame = layer.frame.set_crs(4490)
        layer.crs_note = f"columns {lon}/{lat} are degrees: CGCS2000 geographic assumed"
    else:
        layer.crs_note = "none in a table"
    return layer


def read_vector(source: Source, *, role: str | None = None, encoding: str | None = None) -> RawLayer:
    """Read a vector source; ``encoding`` overrides detection for shapefiles."""
    check_exists(source)
    if source.suffix in TABLE_SUFFIXES:
        return read_table_points(source)
    layer = _pick_layer(source, role)
    path = gdal_path(source)
    enc_note = ""
    if source.suffix in {".shp", ".zip"} and encoding is None:
        member = path[len(f"/vsizip/{source.path}/"):] if source.suffix == ".zip" else None
        encoding, enc_note = shapefile_encoding(source.path, member)
    elif encoding is not None:
        enc_note = "given by the user"
    kwargs: dict = {"use_arrow": True}
    if layer is not None and source.suffix not in {".shp", ".zip"}:
        kwargs["layer"] = layer
    if encoding is not None:
        kwargs["encoding"] = encoding
    if source.suffix in {".osm", ".pbf"}:
        kwargs["where"] = "highway IS NOT NULL" if layer == "lines" and role in (None, "roads") else None
        if kwargs["where"] is None:
            del kwargs["where"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, **kwargs)
        info_driver = pyogrio.read_info(path, layer=kwargs.get("layer")).get("driver", "?")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"the file cannot be read ({exc}).", file=str(source.path), layer=layer,
                         hint="check that the file is complete and of a supported format.") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("the layer has no geometry.", file=str(source.path), layer=layer,
                         hint="give a spatial layer, or a table with coordinate columns.")
    raw = RawLayer(source, frame, info_driver, layer, encoding=encoding or _declared_encoding(source),
                   encoding_note=enc_note or "from the file")
    if frame.crs is None:
        raw.crs_note = "none in the file"
    return raw


def _declared_encoding(source: Source) -> str | None:
    if source.suffix == ".shp":
        cpg = source.path.with_suffix(".cpg")
        if cpg.exists():
            return cpg.read_text(errors="replace").strip() or None
    if source.suffix in {".gpkg", ".geojson", ".json", ".gdb", ".osm", ".pbf"}:
        return "UTF-8"
    return None


def read_crs_text(text: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except Exception:
        raise InputError(f"'{text}' is not a coordinate reference system.",
                         hint="give it as EPSG:NNNN, e.g. EPSG:4546.") from None


def osm_roads_status(frame: pd.DataFrame) -> pd.DataFrame:
    """OSM roads under construction or proposed are planned roads."""
    if "highway" in frame.columns and "status" not in frame.columns:
        frame["status"] = np.where(frame["highway"].isin(["construction", "proposed"]), "planned", "built")
    return frame

