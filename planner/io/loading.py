"""Harmonise a read layer: map fields, parse values, validate geometry, reproject.

The result has the catalogue's canonical column names (plus every unmapped original column),
one metric working CRS, valid non-empty geometries of the role's type, and a report of what
was done for the manifest.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from planner.catalogue import Catalogue, LayerSpec, normalise_name
from planner.crs import CHINA_LAT, CHINA_LON, OFFSET_SYSTEMS, CrsGuess, guess_crs, reproject
from planner.errors import InputError
from planner.io.readers import RawLayer, osm_roads_status
from planner.parallel import chunked
from planner.parsing import PARSERS, Parsed

_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon"}
_GEOM_FAMILIES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "line": {"LineString", "MultiLineString", "LinearRing"},
    "point": {"Point", "MultiPoint"},
}


@dataclass
class LayerReport:
    """What loading one layer did, as written to the manifest."""

    role: str
    path: str
    layer: str | None
    driver: str
    encoding: str | None
    encoding_note: str
    crs_in: str | None
    crs_note: str
    features_read: int = 0
    features_loaded: int = 0
    field_mapping: dict[str, str] = field(default_factory=dict)
    unmapped_fields: list[str] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)
    parse_failures: dict[str, dict] = field(default_factory=dict)
    geometry_repaired: int = 0
    geometry_null_dropped: int = 0
    geometry_empty_dropped: int = 0
    duplicate_ids: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sha256: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LoadedLayer:
    role: str
    frame: gpd.GeoDataFrame
    report: LayerReport
    spec: LayerSpec


def map_fields(
    columns: list[str], spec: LayerSpec, user_mapping: dict[str, str] | None = None, *, where: str = ""
) -> dict[str, str]:
    """canonical field -> source column, through synonyms (case-insensitive) and a user mapping.

    For each field its own name is tried first, then its synonyms in declared order.
    """
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise_name(c), c)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    user_mapping = dict(user_mapping or {})
    for canonical, column in user_mapping.items():
        try:
            spec.field(canonical)
        except KeyError:
            known = ", ".join(f.name for f in spec.fields)
            raise InputError(f"'{canonical}' is not a field of layer role '{spec.role}' (fields: {known}).",
                             file=where or None, field=canonical,
                             hint="fix the left side of the mapping.") from None
        actual = by_norm.get(normalise_name(column))
        if actual is None:
            raise InputError(f"the mapping {spec.role}.{canonical}={column} names a column that is not there "
                             f"(columns: {', '.join(columns)}).", file=where or None, field=column,
                             hint="fix the column name in the mapping.")
        mapping[canonical] = actual
        used.add(actual)
    for f in spec.fields:
        if f.name in mapping:
            continue
        for name in (f.name, *f.synonyms):
            column = by_norm.get(normalise_name(name))
            if column is not None and column not in used:
                mapping[f.name] = column
                used.add(column)
                break
    return mapping


def _parse_field(series: pd.Series, kind: str, domain) -> Parsed:
    if kind == "domain":
        keys, failed, examples = domain.classify_with_failures(series)
        return Parsed(keys, int(failed.sum()), examples)
    return PARSERS[kind](series)


def harmonise_attributes(raw: RawLayer, spec: LayerSpec, catalogue: Catalogue, report: LayerReport,
                         user_mapping: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    frame = raw.frame
    if spec.role == "roads" and raw.driver == "OSM":
        frame = osm_roads_status(frame)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    mapping = map_fields(columns, spec, user_mapping, where=raw.source.label())
    report.field_mapping = dict(mapping)
    report.unmapped_fields = [c for c in columns if c not in mapping.values()]
    report.missing_fields = [f.name for f in spec.fields if f.name not in mapping]
    out: dict[str, object] = {}
    for canonical, column in mapping.items():
        fspec = spec.field(canonical)
        domain = catalogue.domains.get(fspec.domain) if fspec.domain else None
        parsed = _parse_field(frame[column], fspec.kind, domain)
        if domain is not None and domain.keep_raw:
            out[canonical] = PARSERS["text"](frame[column]).values
            out[f"{canonical}_class"] = parsed.values
        else:
            out[canonical] = parsed.values
        for extra_name, values in parsed.extra.items():
            out[f"{canonical}_{extra_name}"] = values
        if parsed.failed:
            report.parse_failures[canonical] = {
                "column": column, "count": parsed.failed, "examples": parsed.examples,
            }
    # Unmapped originals stay, under their own names, unless they clash with a canonical one.
    for column in report.unmapped_fields:
        name = column if column not in out else f"src_{column}"
        out[name] = frame[column].to_numpy()
    result = gpd.GeoDataFrame(pd.DataFrame(out, index=frame.index), geometry=frame.geometry.values,
                              crs=frame.crs)
    return result


def _check_geometry_type(frame: gpd.GeoDataFrame, spec: LayerSpec, raw: RawLayer) -> None:
    if spec.geometry == "any" or len(frame) == 0:
        return
    types = pd.unique(shapely.get_type_id(frame.geometry.values)).tolist()
    names = {_TYPE_NAMES[t] for t in types if t in _TYPE_NAMES}
    allowed = _GEOM_FAMILIES[spec.geometry]
    wrong = names - allowed
    if wrong:
        raise InputError(
            f"the layer holds {', '.join(sorted(wrong))} geometries but a {spec.title_en.lower()} layer "
            f"({spec.title}) needs {spec.geometry}s.",
            file=raw.source.label(), layer=raw.layer,
            hint=f"give a {spec.geometry} layer for the {spec.role} role, or load this file as another role.",
        )


def validate_geometry(frame: gpd.GeoDataFrame, spec: LayerSpec, raw: RawLayer,
                      report: LayerReport) -> gpd.GeoDataFrame:
    """Drop null/empty geometries, check the type, repair invalid ones (all counted)."""
    geoms = frame.geometry.values
    null = shapely.is_missing(geoms)
    empty = ~null & shapely.is_empty(geoms)
    report.geometry_null_dropped = int(null.sum())
    report.geometry_empty_dropped = int(empty.sum())
    if null.any() or empty.any():
        frame = frame.loc[~(null | empty)]
    _check_geometry_type(frame, spec, raw)
    if spec.geometry == "polygon" and len(frame):
        arr = np.asarray(frame.geometry.values)
        invalid = ~chunked(shapely.is_valid, arr)
        if invalid.any():
            repaired = shapely.make_valid(arr[invalid], method="structure", keep_collapsed=False)
            arr = arr.copy()
            arr[invalid] = repaired
            report.geometry_repaired = int(invalid.sum())
            still_empty = shapely.is_empty(arr)
            if still_empty.any():
                report.geometry_empty_dropped += int(still_empty.sum())
            frame = frame.set_geometry(gpd.GeoSeries(arr, index=frame.index, crs=frame.crs))
            frame = frame.loc[~still_empty]
    return frame


def resolve_crs(raw: RawLayer, *, declared: str | None, offset: str | None,
                zone_hint_cm: int | None) -> tuple[gpd.GeoDataFrame, str]:
    """Give the frame a CRS: the declared one, the file's, or a guess (with a warning)."""
    frame = raw.frame
    if offset:
        key = offset.lower().replace("-", "").replace("_", "")
        if key not in OFFSET_SYSTEMS:
            raise InputError(f"unknown coordinate offset '{offset}'.", file=raw.source.label(),
                             hint="use coords = \"gcj02\" or \"bd09\" for web-map coordinates.")
        frame = frame.set_crs(None, allow_override=True) if frame.crs is not None else frame
        fn = OFFSET_SYSTEMS[key]

        def to_wgs(coords: np.ndarray) -> np.ndarray:
            x, y = fn(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        geoms = shapely.transform(frame.geometry.values, to_wgs)
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index)).set_crs(4490, allow_override=True)
        return frame, f"{offset.upper()} web-map coordinates converted to CGCS2000 (iterative inverse)"
    if declared:
        crs = CRS.from_user_input(declared)
        return frame.set_crs(crs, allow_override=True), f"declared by the user ({declared})"
    if frame.crs is not None:
        return frame, raw.crs_note
    if len(frame) == 0:
        return frame, "none (empty layer)"
    xmin, ymin, xmax, ymax = shapely.total_bounds(frame.geometry.values)
    guess: CrsGuess | None = guess_crs(xmin, ymin, xmax, ymax, zone_hint_cm=zone_hint_cm)
    if guess is None:
        raise InputError(
            f"the layer has no CRS and its coordinates ({xmin:.1f}, {ymin:.1f}) - ({xmax:.1f}, {ymax:.1f}) "
            "fit no system we can guess.",
            file=raw.source.label(), layer=raw.layer,
            hint="add a .prj file or declare the CRS, e.g. crs = \"EPSG:4546\" in the project file.",
        )
    return frame.set_crs(guess.crs), f"guessed: {guess.reason}"


def check_range(frame: gpd.GeoDataFrame, raw: RawLayer) -> None:
    """Coordinates outside China (after conversion to degrees) are an error with a row count."""
    if len(frame) == 0:
        return
    to_deg = Transformer.from_crs(frame.crs, 4490, always_xy=True)
    b = shapely.total_bounds(frame.geometry.values)
    lon, lat = to_deg.transform(np.array([b[0], b[2], b[0], b[2]]), np.array([b[1], b[1], b[3], b[3]]))
    inside = (CHINA_LON[0] <= lon) & (lon <= CHINA_LON[1]) & (CHINA_LAT[0] <= lat) & (lat <= CHINA_LAT[1])
    if np.all(inside):
        return  # cheap: the whole extent is in range
    bounds = shapely.bounds(frame.geometry.values)
    cx, cy = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    lon, lat = to_deg.transform(cx, cy)
    bad = ~((CHINA_LON[0] <= lon) & (lon <= CHINA_LON[1]) & (CHINA_LAT[0] <= lat) & (lat <= CHINA_LAT[1]))
    n = int(bad.sum())
    if n:
        first = np.flatnonzero(bad)[:5].tolist()
        raise InputError(
            f"{n} of {len(frame)} features lie outside China in CRS {frame.crs.to_string()} "
            f"(first rows: {', '.join(map(str, first))}).",
            file=raw.source.label(), layer=raw.layer, row=first[0],
            hint="check the declared CRS (x/y swapped? wrong zone?) or fix those rows.",
        )


def harmonise(raw: RawLayer, role: str, catalogue: Catalogue, working_crs: CRS, *,
              user_mapping: dict[str, str] | None = None, declared_crs: str | None = None,
              offset: str | None = None, zone_hint_cm: int | None = None) -> LoadedLayer:
    """Everything between a read layer and a layer the analyses can use."""
    t0 = time.perf_counter()
    spec = catalogue.layer(role)
    report = LayerReport(
        role=role, path=str(raw.source.path), layer=raw.layer, driver=raw.driver,
        encoding=raw.encoding, encoding_note=raw.encoding_note,
        crs_in=raw.frame.crs.to_string() if raw.frame.crs is not None else None, crs_note=raw.crs_note,
        features_read=len(raw.frame),
    )
    frame, report.crs_note = resolve_crs(raw, declared=declared_crs, offset=offset, zone_hint_cm=zone_hint_cm)
    report.crs_in = frame.crs.to_string() if frame.crs is not None else None
    if report.crs_note.startswith("guessed"):
        report.warnings.append(f"{raw.source.label()}: no CRS in the file; {report.crs_note}")
    raw = RawLayer(raw.source, frame, raw.driver, raw.layer, raw.encoding, raw.encoding_note, report.crs_note)
    frame = validate_geometry(frame, spec, raw, report)
    if len(frame) == 0:
        report.warnings.append(f"{raw.source.label()}: the {spec.title_en.lower()} layer is empty")
    else:
        check_range(frame, raw)
    raw.frame = frame
    frame = harmonise_attributes(raw, spec, catalogue, report, user_mapping)
    if frame.crs is not None and not frame.crs.equals(working_crs):
        geoms = reproject(frame.geometry.values, frame.crs, working_crs)
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=working_crs))
    elif frame.crs is not None:
        frame = frame.set_crs(working_crs, allow_override=True)
    id_field = spec.id_field
    if id_field in frame.columns:
        ids = frame[id_field]
        dup = ids.notna() & ids.duplicated(keep=False)
        report.duplicate_ids = int(dup.sum())
        if report.duplicate_ids:
            report.warnings.append(
                f"{raw.source.label()}: {report.duplicate_ids} features share an id in field "
                f"'{report.field_mapping.get(id_field)}' (e.g. {ids[dup].iloc[0]}); flags name them by row as well"
            )
    else:
        frame[id_field] = None
    # Where the id is missing, the row number stands in (as text, like every id).
    missing = frame[id_field].isna()
    if missing.any():
        frame.loc[missing, id_field] = [f"row{i}" for i in np.flatnonzero(missing.to_numpy())]
    for name, failure in report.parse_failures.items():
        report.warnings.append(
            f"{raw.source.label()}: field '{failure['column']}' ({name}): {failure['count']} values could not be "
            f"read and were left empty (e.g. {', '.join(failure['examples'])})"
        )
    frame = frame.reset_index(drop=True)
    report.features_loaded = len(frame)
    report.seconds = round(time.perf_counter() - t0, 3)
    return LoadedLayer(role, frame, report, spec)
