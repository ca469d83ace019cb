"""Harmonise a read layer: map fields, parse values, validate geometry, reproject.

The result has the catalogue's canonical column names (plus every unmapped original column),
one metric working CRS, valid non-empty geometries of the role's type, and a report of what
was done for the manifest.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from planner.arrays import BoolArray, FloatArray, GeometryArray
from planner.catalogue import Catalogue, Domain, LayerSpec, normalise_name
from planner.crs import (
    CHINA_LAT,
    CHINA_LON,
    OFFSET_SYSTEMS,
    CrsGuess,
    guess_crs,
    legacy_datum_warning,
    reproject,
)
from planner.errors import InputError
from planner.io.geometry import FAMILY_TYPES, TYPE_NAMES, conform
from planner.io.readers import FIRST_ROWS, RawLayer, RowsDropped, osm_roads_status, rows_text
from planner.parallel import chunked
from planner.parsing import PARSERS, Parsed

# The fields a role is hardly worth loading without: when none of their names is found the run
# says so loudly, with the columns it saw (a wrong encoding or a cut name hides them).
KEY_FIELDS = {
    "buildings": ("year_built", "use", "floors"),
    "parcels": ("land_use", "status"),
    "facilities": ("type",),
}
# Layers whose features outside the study area are left out (roads, facilities, water and rail
# just outside it still connect and serve what is inside).
CLIPPED_ROLES = ("parcels", "buildings")


class ParseFailure(TypedDict):
    """Values of a source column that could not be read as the field's kind."""

    column: str
    count: int
    examples: list[str]


class DroppedFeatures(TypedDict):
    """Features left out for one reason: how many, and the first rows and ids."""

    count: int
    rows: list[int]
    ids: list[str]


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
    parse_failures: dict[str, ParseFailure] = field(default_factory=dict)
    geometry_repaired: int = 0
    geometry_null_dropped: int = 0
    geometry_empty_dropped: int = 0
    duplicate_ids: int = 0
    encoding_confidence: float | None = None
    # Rows are the file's own: a table's line (header = row 1), a GIS layer's record (first = 1).
    rows_dropped: RowsDropped = field(default_factory=lambda: RowsDropped())  # table rows without coordinates
    features_dropped: dict[str, DroppedFeatures] = field(default_factory=dict)  # by reason
    geometry_exploded: int = 0                                 # collections reduced to the role's type
    outside_study_area: int = 0
    renamed_fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:  # the manifest's JSON object
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
            found = by_norm.get(normalise_name(name))
            if found is not None and found not in used:
                mapping[f.name] = found
                used.add(found)
                break
    return mapping


def _parse_field(series: pd.Series, kind: str, domain: Domain | None) -> Parsed:
    if kind == "domain":
        assert domain is not None, "harmonise_attributes refuses a domain field without its domain"
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
        if fspec.kind == "domain" and domain is None:  # a catalogue file's mistake, not the data's
            raise InputError(f"the layer catalogue declares field '{canonical}' of layer role '{spec.role}' as "
                             f"kind = \"domain\" with domain '{fspec.domain or ''}', which no domain file defines.",
                             file=raw.source.label(), layer=raw.layer, field=canonical,
                             hint="fix domain = \"...\" of that field in the catalogue's layers/*.toml, or add "
                                  "the domain as layers/domains/<name>.toml.")
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


def _drop(frame: gpd.GeoDataFrame, mask: BoolArray, reason: str, raw: RawLayer, report: LayerReport,
          id_column: str | None) -> gpd.GeoDataFrame:
    """Leave out the features of ``mask``, counted in the report and named in a warning by
    their rows (the file's own) and ids."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return frame
    rows = [int(r) for r in frame.index[mask]]
    ids: list[str] = []
    if id_column and id_column in frame.columns:
        ids = [str(v) for v in frame.loc[mask, id_column].head(FIRST_ROWS) if v is not None and v == v]
    entry = report.features_dropped.setdefault(reason, {"count": 0, "rows": [], "ids": []})
    entry["count"] += len(rows)
    entry["rows"] = (entry["rows"] + rows)[:FIRST_ROWS]
    entry["ids"] = (entry["ids"] + ids)[:FIRST_ROWS]
    id_text = f" (ids {', '.join(ids)}{', ...' if len(rows) > len(ids) else ''})" if ids else ""
    report.warnings.append(f"{raw.source.label()}: {len(rows)} feature{'s' if len(rows) > 1 else ''} left out, "
                           f"{reason}: {rows_text(rows)}{id_text}")
    return frame.loc[~mask]


def _wrong_type_error(names: set[str], spec: LayerSpec, raw: RawLayer) -> InputError:
    return InputError(
        f"the layer holds {', '.join(sorted(names))} geometries but a {spec.title_en.lower()} layer "
        f"({spec.title}) needs {spec.geometry}s.",
        file=raw.source.label(), layer=raw.layer,
        hint=f"give a {spec.geometry} layer for the {spec.role} role, or load this file as another role.",
    )


def _not_finite(geoms: GeometryArray) -> BoolArray:
    """Geometries with a coordinate that is not a number (NaN or infinite), x or y."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    out = np.zeros(len(geoms), dtype=bool)
    out[idx[~np.isfinite(coords).all(axis=1)]] = True
    return out


def validate_geometry(frame: gpd.GeoDataFrame, spec: LayerSpec, raw: RawLayer,
                      report: LayerReport, id_column: str | None = None) -> gpd.GeoDataFrame:
    """One bad feature costs one feature: null, empty, NaN-coordinate geometries and those of
    another type are left out (counted, and named by row and id); collections keep their parts
    of the role's type; invalid polygons are repaired. A layer with no feature of the role's
    type is refused."""
    geoms = np.asarray(frame.geometry.values)
    null = shapely.is_missing(geoms)
    empty = ~null & shapely.is_empty(geoms)
    report.geometry_null_dropped = int(null.sum())
    report.geometry_empty_dropped = int(empty.sum())
    frame = _drop(frame, null, "no geometry", raw, report, id_column)
    frame = _drop(frame, empty[~null], "empty geometry", raw, report, id_column)
    if len(frame) == 0:
        return frame
    if spec.geometry == "any":  # any type fits, but a coordinate that is not a number fits none
        return _drop(frame, _not_finite(np.asarray(frame.geometry.values)),
                     "coordinates that are not numbers (NaN)", raw, report, id_column)
    arr = np.asarray(frame.geometry.values)
    types = shapely.get_type_id(arr)
    fits = np.isin(types, FAMILY_TYPES[spec.geometry])
    if not fits.all():
        fitted = conform(arr, spec.geometry)
        if fitted.lost.all():
            raise _wrong_type_error({TYPE_NAMES.get(int(t), str(t)) for t in np.unique(types)}, spec, raw)
        report.geometry_exploded = int((fitted.exploded & ~fitted.lost).sum())
        lost_types = sorted({TYPE_NAMES.get(int(t), str(t)) for t in np.unique(types[fitted.lost])})
        frame = frame.set_geometry(gpd.GeoSeries(fitted.geoms, index=frame.index, crs=frame.crs))
        frame = _drop(frame, fitted.lost, f"not a {spec.geometry} ({', '.join(lost_types)}; the {spec.role} "
                      f"layer needs {spec.geometry}s)", raw, report, id_column)
        if report.geometry_exploded:
            report.notes.append(f"{report.geometry_exploded} geometry collections reduced to their "
                                f"{spec.geometry} parts")
        arr = np.asarray(frame.geometry.values)
    if spec.geometry == "polygon":
        invalid = ~chunked(shapely.is_valid, arr)
        bad = np.zeros(len(arr), dtype=bool)
        if invalid.any():  # a NaN coordinate makes a polygon invalid: only those are looked at
            bad[invalid] = _not_finite(arr[invalid])
    else:
        invalid = np.zeros(len(arr), dtype=bool)  # only polygons are repaired
        bad = _not_finite(arr)
    if bad.any():
        frame = _drop(frame, bad, "coordinates that are not numbers (NaN)", raw, report, id_column)
        arr = np.asarray(frame.geometry.values)
        invalid = invalid[~bad]
    if spec.geometry == "polygon" and invalid.any():
        repaired = shapely.make_valid(arr[invalid], method="structure", keep_collapsed=False)
        repaired = conform(repaired, "polygon").geoms
        arr = arr.copy()
        arr[invalid] = repaired
        report.geometry_repaired = int(invalid.sum())
        gone = shapely.is_missing(arr) | shapely.is_empty(arr)
        report.geometry_empty_dropped += int(gone.sum())
        frame = frame.set_geometry(gpd.GeoSeries(arr, index=frame.index, crs=frame.crs))
        frame = _drop(frame, gone, "a polygon that collapses to nothing when repaired", raw, report, id_column)
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

        def to_wgs(coords: FloatArray) -> FloatArray:
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
        first = [int(r) for r in frame.index[bad][:5]]
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
    label = raw.source.label()
    report = LayerReport(
        role=role, path=str(raw.source.path), layer=raw.layer, driver=raw.driver,
        encoding=raw.encoding, encoding_note=raw.encoding_note,
        crs_in=raw.frame.crs.to_string() if raw.frame.crs is not None else None, crs_note=raw.crs_note,
        features_read=len(raw.frame) + int(raw.rows_dropped.get("count", 0)),
        encoding_confidence=raw.encoding_confidence, rows_dropped=raw.rows_dropped.copy(),
        renamed_fields=dict(raw.renamed_fields), notes=list(raw.notes), warnings=list(raw.warnings),
    )
    frame, report.crs_note = resolve_crs(raw, declared=declared_crs, offset=offset, zone_hint_cm=zone_hint_cm)
    report.crs_in = frame.crs.to_string() if frame.crs is not None else None
    if report.crs_note.startswith("guessed"):
        legacy = legacy_datum_warning(frame.crs, role)
        report.warnings.append(f"{label}: no CRS in the file; {report.crs_note}" + (f"; {legacy}" if legacy else ""))
    raw = dataclasses.replace(raw, frame=frame, crs_note=report.crs_note)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    id_column = map_fields(columns, spec, user_mapping, where=label).get(spec.id_field)
    frame = validate_geometry(frame, spec, raw, report, id_column)
    if len(frame) == 0:
        report.warnings.append(f"{label}: the {spec.title_en.lower()} layer is empty")
    else:
        check_range(frame, raw)
    raw.frame = frame
    frame = harmonise_attributes(raw, spec, catalogue, report, user_mapping)
    missing_keys = [f for f in KEY_FIELDS.get(role, ()) if f not in report.field_mapping]
    if missing_keys and len(frame):
        first = missing_keys[0]
        report.warnings.append(
            f"{label}: NO COLUMN FOUND for {', '.join(f'{spec.field(f).title} ({f})' for f in missing_keys)} "
            f"of the {role} layer, so the checks that need {'it' if len(missing_keys) == 1 else 'them'} find "
            f"nothing here. Columns seen: {', '.join(map(str, columns)) or 'none'}. If one of them is it, map it "
            f"(--map {role}.{first}=COLUMN, or mapping = {{ {first} = \"COLUMN\" }} under [inputs.{role}]); "
            "if the names look garbled, declare the file's encoding (encoding = \"GBK\" / \"UTF-8\" / \"BIG5\")")
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
    # Where the id is missing, the file's row number stands in (as text, like every id).
    missing = frame[id_field].isna()
    if missing.any():
        frame.loc[missing, id_field] = [f"row{i}" for i in frame.index[missing.to_numpy()]]
    for name, failure in report.parse_failures.items():
        report.warnings.append(
            f"{raw.source.label()}: field '{failure['column']}' ({name}): {failure['count']} values could not be "
            f"read and were left empty (e.g. {', '.join(failure['examples'])})"
        )
    frame = frame.reset_index(drop=True)
    report.features_loaded = len(frame)
    report.seconds = round(time.perf_counter() - t0, 3)
    return LoadedLayer(role, frame, report, spec)


def exclude_outside_study_area(layers: dict[str, LoadedLayer]) -> list[str]:
    """Leave out the parcels and buildings that lie wholly outside the study area (the
    boundary layer), counted in each layer's report; returns the warnings. Features that
    touch or cross the boundary stay; roads, facilities, water and rail are kept whole, since
    those just outside still connect and serve what is inside."""
    boundary = layers.get("boundary")
    if boundary is None or len(boundary.frame) == 0:
        return []
    area = shapely.union_all(boundary.frame.geometry.values)
    if area.is_empty:
        return []
    shapely.prepare(area)
    out = []
    for role in CLIPPED_ROLES:
        layer = layers.get(role)
        if layer is None or len(layer.frame) == 0:
            continue
        inside = chunked(lambda g: shapely.intersects(area, g), np.asarray(layer.frame.geometry.values))
        n = int((~inside).sum())
        if not n:
            continue
        ids = layer.frame.loc[~inside, layer.spec.id_field].head(5).astype(str).tolist()
        layer.frame = layer.frame.loc[inside].reset_index(drop=True)
        layer.report.outside_study_area = n
        layer.report.features_loaded = len(layer.frame)
        message = (f"{layer.report.path}: {n} of {n + len(layer.frame)} features of the {role} layer lie outside the study area "
                   f"(boundary {boundary.report.path}) and are left out of the analyses (e.g. ids "
                   f"{', '.join(ids)}); extend the boundary layer to include them")
        layer.report.warnings.append(message)
        out.append(message)
    return out
