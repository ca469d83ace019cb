"""portfolio.gpkg: flag layers, projects and tables with ASCII column names, Chinese aliases
(gpkg_data_columns and QML), descriptions in gpkg_contents, a layer_styles table that QGIS
reads as each layer's default style, and the run's parameters. Written atomically."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyogrio.raw
import shapely

from planner.export.styles import ALIASES, DECLARED_ALIASES, alias
from planner.fileio import atomic_path

TABLE_DESCRIPTIONS = {
    "indicators": "城市体检指标 City-examination indicators",
    "compounds": "小区老旧情况汇总 Compounds: share of old floor area",
    "service_coverage": "生活圈设施覆盖率 Living-circle coverage by facility type",
    "run_info": "运行参数 Run parameters",
}
LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""
DATA_COLUMNS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
  mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))
"""


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns become strings so that GDAL gets one field type per column."""
    frame = frame.copy()
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for col in frame.columns:
        if col != geom and frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


def _conformed(frame: gpd.GeoDataFrame, geometry_type: str) -> gpd.GeoDataFrame:
    """Only the layer's declared type goes in: collections keep their parts of it, a single-type
    layer (LineString, Point) gets single parts, and a feature with nothing of the type keeps
    its row with no geometry."""
    from planner.io.geometry import conform, family_of

    family = family_of(geometry_type)
    if family is None or len(frame) == 0:
        return frame
    fitted = conform(frame.geometry.values, family, single=not geometry_type.startswith("Multi"))
    return frame.set_geometry(gpd.GeoSeries(fitted.geoms, index=frame.index, crs=frame.crs))


def _add_styles_and_aliases(path: Path, layers: dict[str, tuple], styles: dict | None = None, lang: str = "zh",
                            project: dict | None = None) -> None:
    """gpkg_data_columns aliases, a default style in layer_styles for every layer (tables too),
    and, with ``project``, the QGIS project in qgis_projects."""
    from planner.export.qgis_project import layer_qml, project_qgs, store_project

    styles = styles or {}
    with sqlite3.connect(path) as con:
        con.execute(LAYER_STYLES_DDL)
        con.execute(DATA_COLUMNS_DDL)
        con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                    "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', "
                    "strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
        con.execute("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                    "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                    "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
        con.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
                    "'http://www.geopackage.org/spec121/#extension_schema', 'read-write')")
        other = "en" if lang == "zh" else "zh"
        for name, (frame, gtype, description) in layers.items():
            columns = [c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None) and c != "geometry"]
            rows, seen = [], set()
            for c in columns:
                a = alias(c, lang, name)
                if (c in ALIASES or c in DECLARED_ALIASES) and a not in seen:
                    seen.add(a)
                    rows.append((name, c, a, alias(c, other, name), None))
            con.executemany("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description)"
                            " VALUES (?, ?, ?, ?, ?)", rows)
            style = styles.get(name)
            if style is None:
                continue
            geom_col = "geom" if gtype != "None" else ""
            con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                        "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                        "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                        (name, geom_col, style.title, layer_qml(style), description))
        if project is not None:
            qgs = project_qgs(list(styles.values()), gpkg_name=project["file"], title=project["title"],
                              crs=project["crs"], extent=project["extent"], groups=project["groups"])
            store_project(con, project["title"], qgs)


def _write_frame(frame: pd.DataFrame, tmp: Path, name: str, slice_seconds: float | None, **kwargs) -> None:
    """One layer or table into the GeoPackage. GDAL holds the GIL while it writes, so with
    ``slice_seconds`` (the desktop window) the rows go in as appended slices of about that
    long each (sized from the time the slices take), and the window's thread gets its turn in
    between; without it, in one call."""
    import time

    n = len(frame)
    if not slice_seconds or n <= 5000:
        pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", **kwargs)
        return
    start, step = 0, 5000
    while start < n:
        t = time.perf_counter()
        part = frame.iloc[start:start + step]
        if start == 0:
            pyogrio.write_dataframe(part, tmp, layer=name, driver="GPKG", **kwargs)
        else:
            pyogrio.write_dataframe(part, tmp, layer=name, driver="GPKG", append=True,
                                    **{k: v for k, v in kwargs.items() if k != "layer_options"})
        took = max(time.perf_counter() - t, 1e-3)
        start += step
        step = int(min(max(step * slice_seconds / took, 2000), 200_000))


STREAM_ROWS = 500_000   # a layer longer than this goes to GDAL as a stream of batches of this many rows


def _arrow_table(part: gpd.GeoDataFrame, geometry_type: str) -> pa.Table:
    """One batch of a layer as pyogrio's write_dataframe(use_arrow=True) makes it: the layer's
    declared geometry type (single parts promoted to multi for a Multi layer) as WKB in a
    ``geometry`` column, the other columns as Arrow."""
    part = _prepare(_conformed(part, geometry_type))
    geoms = np.asarray(part.geometry.values, dtype=object)
    wkb = shapely.to_wkb(geoms)
    if geometry_type.startswith("Multi"):
        single = {"MultiPolygon": (3, 6, shapely.multipolygons), "MultiLineString": (1, 5, shapely.multilinestrings),
                  "MultiPoint": (0, 4, shapely.multipoints)}.get(geometry_type)
        if single is not None:
            mask = shapely.get_type_id(geoms) == single[0]
            if mask.any():
                # a 2D single part's WKB becomes its multi's by a header in front (byte order,
                # multi type, one part): the same bytes as WKB of the multi made by GEOS, without
                # making a million GEOS multipolygons; parts with Z go through GEOS
                flat = mask & ~shapely.has_z(geoms)
                head = b"\x01" + single[1].to_bytes(4, "little") + (1).to_bytes(4, "little")
                wkb[flat] = [head + w for w in wkb[flat].tolist()]  # (numpy's bytes scalar drops trailing NULs)
                deep = mask & ~flat
                if deep.any():
                    wkb[deep] = shapely.to_wkb(single[2](np.atleast_2d(geoms[deep]), axis=0))
    df = pd.DataFrame(part.drop(columns=part.geometry.name), copy=False)
    df["geometry"] = wkb
    table = pa.Table.from_pandas(df, preserve_index=False)
    return table.set_column(table.schema.get_field_index("geometry"), pa.field("geometry", pa.binary()),
                            table["geometry"].cast(pa.binary()))


def _attribute_table(part: pd.DataFrame) -> pa.Table:
    """One batch of an attribute table (no geometry) as Arrow."""
    geom = part.geometry.name if isinstance(part, gpd.GeoDataFrame) else "geometry"
    part = pd.DataFrame(part.drop(columns=[geom], errors="ignore"))
    return pa.Table.from_pandas(_prepare(part), preserve_index=False)


def _write_stream(frame: pd.DataFrame, tmp: Path, name: str, geometry_type: str, layer_options: dict,
                  rows: int = STREAM_ROWS) -> None:
    """A long layer in one GDAL call fed batch by batch (the geometries' WKB and Arrow columns of
    one batch at a time: memory bounded by the batch, not the layer; GDAL still builds the
    spatial index in one go at the end, as it does for a layer written in one call).
    ``geometry_type`` "None": an attribute table (no geometry, no spatial index)."""
    spatial = geometry_type != "None"

    def table(part: pd.DataFrame) -> pa.Table:
        return _arrow_table(part, geometry_type) if spatial else _attribute_table(part)

    first = table(frame.iloc[:rows])
    schema = first.schema

    def batches():
        yield from first.to_batches()
        for start in range(rows, len(frame), rows):
            yield from table(frame.iloc[start:start + rows]).cast(schema).to_batches()

    crs = None
    if spatial and getattr(frame, "crs", None) is not None:
        epsg = frame.crs.to_epsg()
        crs = f"EPSG:{epsg}" if epsg else frame.crs.to_wkt("WKT1_GDAL")
    if not spatial:
        layer_options = {**layer_options, "ASPATIAL_VARIANT": "GPKG_ATTRIBUTES"}
    pyogrio.raw.write_arrow(pa.RecordBatchReader.from_batches(schema, batches()), tmp, layer=name, driver="GPKG",
                            geometry_name="geometry" if spatial else None,
                            geometry_type=geometry_type if spatial else None, crs=crs, layer_options=layer_options)


# A flag layer longer than this whose flags share their source features (a building with
# several facility types missing: the dense 1 M city's 6.6 M living-circle gaps lie on 0.9 M
# buildings) is written as two: the layer itself with one feature per source feature (its
# geometry once, the rules and facility types it has, the number of flags), drawn and styled
# as the layer, and beside it an attribute table of every flag with all its columns (joined
# to the layer by source_id). Each flag's copy of its building's polygon made the GeoPackage
# 5.5 GB and three minutes of writing; a QGIS user drew the same building seven times over.
SUMMARY_ROWS = 1_000_000


def flags_table_name(name: str) -> str:
    """The attribute table holding every flag of a summarised layer ``name``."""
    return f"{name}_flags"


def flags_table_title(name: str, lang: str) -> str:
    from planner.export.terms import layer_title, pick

    return layer_title(name, lang) + pick("（逐条）", " (every flag)", lang)


def _source_groups(frame: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Each flag's source feature (source_layer and source_id) as a group number 0..n-1, in
    order of first appearance, and n."""
    sid, sid_keys = pd.factorize(frame["source_id"].astype("string").fillna(""))
    if "source_layer" not in frame:
        return sid, len(sid_keys)
    lay, lay_keys = pd.factorize(frame["source_layer"].astype("string").fillna(""))
    if len(lay_keys) <= 1:
        return sid, len(sid_keys)
    group, keys = pd.factorize(lay.astype(np.int64) * len(sid_keys) + sid)
    return group, len(keys)


def summarised_by_source(frame: pd.DataFrame | None, groups: int | None = None) -> bool:
    """Whether portfolio.gpkg writes this flag layer per source feature with every flag in
    its attribute table (``groups``: the number of source features, when known)."""
    if frame is None or len(frame) <= SUMMARY_ROWS or "source_id" not in frame:
        return False
    n = groups if groups is not None else _source_groups(frame)[1]
    return n * 1.5 <= len(frame)


def per_source(frame: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """One feature per source feature of a flag layer: its geometry (its most severe flag's),
    the rule of that flag (``code``, which styles it), the highest severity, the rules
    (``codes``, when the layer has several) and the facility types it lacks (``missing``) in words, its households and the
    number of its flags (``flag_total``). Grouped as integers; one text made per feature."""
    from planner.export.html_map import joined_codes_per_group, titled_codes
    from planner.export.terms import facility_title, word

    group, n = _source_groups(frame)
    severity = (pd.to_numeric(frame["severity"], errors="coerce").fillna(0).to_numpy()
                if "severity" in frame else np.zeros(len(frame)))
    # per group its most severe flag, the first of equals
    order = np.lexsort((np.arange(len(group)), -severity, group))
    head = order[np.r_[True, group[order][1:] != group[order][:-1]]]
    head = head[np.argsort(group[head], kind="stable")]
    out = {}
    for c in ("source_layer", "source_id", "code"):
        if c in frame:
            out[c] = frame[c].to_numpy()[head]
    out["severity"] = severity[head].astype(np.int64)
    sep = "、" if lang == "zh" else ", "
    if "code" in frame:
        codes, titles = titled_codes(frame["code"], lambda c: word(c, lang))
        if len(titles) > 1:  # (one rule: its title says nothing the layer's name does not)
            out["codes"] = joined_codes_per_group(group, n, codes, titles, sep)
    if "facility_type" in frame:
        codes, titles = titled_codes(frame["facility_type"], lambda k: facility_title(k, lang))
        out["missing"] = joined_codes_per_group(group, n, codes, titles, sep)
    if "households" in frame:
        hh = pd.to_numeric(frame["households"], errors="coerce")
        out["households"] = hh.groupby(group).max().reindex(range(n)).to_numpy()
    out["flag_total"] = np.bincount(group, minlength=n).astype(np.int64)
    return gpd.GeoDataFrame(out, geometry=frame.geometry.values[head], crs=frame.crs)


# The base layers (boundary, roads, parcels, buildings) do not change between the exports of
# one city (a re-export after review, another language's deliverables, the next run on the
# same inputs): a GeoPackage holding them alone is kept in the user's cache folder under the
# hash of their content and copied as the start of the next portfolio.gpkg (the 1 M city's
# million buildings cost ~10 s of CPU to write, their copy a fraction of a second).
BASE_CACHE_VERSION = "1"
BASE_CACHE_BYTES = 3 * 2**30   # the cache's size; the least recently used entries go first


def base_cache_dir() -> Path:
    """The folder of cached base layers: in the user's cache folder (platformdirs), or under
    ``RENEWAL_PLANNER_DATA`` when set (tests, portable installs); never beside the inputs."""
    from planner.paths import user_cache_dir

    return user_cache_dir() / "base-layers"


def base_layers_key(layers: dict[str, tuple[pd.DataFrame, str, str]]) -> str:
    """The hash of what the base layers write: their names, geometry types, descriptions, CRS,
    columns and types, every row's values and every geometry's WKB, and the writer's versions."""
    import hashlib

    h = hashlib.blake2b(digest_size=20)
    h.update(f"{BASE_CACHE_VERSION}|{pyogrio.__version__}|{pyogrio.__gdal_version_string__}".encode())
    for name, (frame, geometry_type, description) in layers.items():
        crs = frame.crs.to_wkt() if getattr(frame, "crs", None) is not None else ""
        h.update(repr((name, geometry_type, description, crs, len(frame), list(map(str, frame.columns)),
                       list(map(str, frame.dtypes)))).encode())
        geom = frame.geometry.name
        attrs = pd.DataFrame(frame.drop(columns=geom))
        if len(attrs.columns) and len(attrs):
            h.update(pd.util.hash_pandas_object(attrs, index=False).to_numpy().tobytes())
        wkb = shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object))
        h.update(b"".join(b"\x00" if w is None else len(w).to_bytes(4, "little") + w for w in wkb.tolist()))
    return h.hexdigest()


def _cached_base(layers: dict[str, tuple[pd.DataFrame, str, str]]) -> Path | None:
    """The cached GeoPackage of ``layers`` (written now when missing), or None when the cache
    cannot be used (a read-only or full cache folder: the layers are then written as usual)."""
    import os

    folder = base_cache_dir()
    try:
        key = base_layers_key(layers)
        entry = folder / f"{key}.gpkg"
        if entry.exists():
            os.utime(entry)
            return entry
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(entry) as tmp:
            for name, (frame, geometry_type, description) in layers.items():
                _write_layer(frame, tmp, name, geometry_type, description, None)
        entries = sorted(folder.glob("*.gpkg"), key=lambda p: p.stat().st_mtime, reverse=True)
        total = 0
        for old in entries:
            total += old.stat().st_size
            if total > BASE_CACHE_BYTES and old != entry:
                old.unlink(missing_ok=True)
        return entry
    except Exception:  # noqa: BLE001 - any failure of the cache (full, read-only, a bad entry): written as usual
        return None


def _write_layer(frame: pd.DataFrame, tmp: Path, name: str, geometry_type: str, description: str,
                 slice_seconds: float | None) -> None:
    options = {"DESCRIPTION": description, "IDENTIFIER": name}
    if not slice_seconds and len(frame) > STREAM_ROWS and (
            geometry_type == "None" or isinstance(frame, gpd.GeoDataFrame)):
        _write_stream(frame, tmp, name, geometry_type, options)
    elif isinstance(frame, gpd.GeoDataFrame) and geometry_type != "None":
        frame = _conformed(frame, geometry_type)
        _write_frame(_prepare(frame), tmp, name, slice_seconds, geometry_type=geometry_type,
                     promote_to_multi=geometry_type.startswith("Multi"), use_arrow=True,
                     layer_options=options)
    else:
        table = pd.DataFrame(frame.drop(columns=getattr(frame, "_geometry_column_name", "geometry"),
                                        errors="ignore"))
        # a long table through Arrow (a third of the CPU of GDAL's row-by-row path)
        _write_frame(_prepare(table), tmp, name, slice_seconds, **({"use_arrow": True} if len(table) > 5000
                                                                   else {}),
                     layer_options={**options, "ASPATIAL_VARIANT": "GPKG_ATTRIBUTES"})


def write_layers(path: Path, layers: dict[str, tuple[pd.DataFrame, str, str]], styles: dict | None = None,
                 lang: str = "zh", project: dict | None = None, slice_seconds: float | None = None,
                 cache_base: bool = False) -> None:
    """Write all layers into a new GeoPackage that replaces ``path`` in one step (with their
    styles and, with ``project``, a QGIS project of them); ``slice_seconds``: see _write_frame.
    ``cache_base``: the layers named base_* come from (or go into) the cache of base layers
    (see base_cache_dir), unless writing in slices (the window: hashing holds the interpreter)."""
    import shutil

    base = {n: v for n, v in layers.items() if n.startswith("base_") and v[1] != "None"} if (
        cache_base and not slice_seconds) else {}
    cached = _cached_base(base) if base else None
    with atomic_path(path) as tmp:
        if cached is not None:
            try:
                shutil.copyfile(cached, tmp)
            except OSError:  # (the entry removed meanwhile by another export's clean-up): written as usual
                tmp.unlink(missing_ok=True)
                cached = None
        for name, (frame, geometry_type, description) in layers.items():
            if cached is not None and name in base:
                continue
            _write_layer(frame, tmp, name, geometry_type, description, slice_seconds)
        if styles is None:
            styles = {name: _style_for(name, frame, gtype, description, "zh") for name, (frame, gtype, description)
                      in layers.items()}
        _add_styles_and_aliases(tmp, layers, styles, lang, project)


def _style_for(name: str, frame, gtype: str, description: str, lang: str, group: str = "", title: str = ""):
    """The style of one deliverable layer: flags by rule code, projects by type, base layers
    in the palette's greys, tables with aliases only."""
    from planner.export.qgis_project import LayerStyle
    from planner.export.styles import BASE, CODE_COLOURS, TYPE_COLOURS, road_style
    from planner.export.terms import code_title, layer_title, road_class_title, type_title

    geom = getattr(frame, "_geometry_column_name", None)
    columns = [c for c in frame.columns if c != geom and c != "geometry"]
    aliases = {c: alias(c, lang, name) for c in columns if c in ALIASES or c in DECLARED_ALIASES}
    if name.startswith("base_"):
        aliases.update({c: (zh if lang == "zh" else en) for c, (zh, en) in BASE_ALIASES.items() if c in columns})
    style = LayerStyle(table=name, title=title or layer_title(name, lang), geometry=gtype, columns=columns,
                       aliases=aliases, group=group, description=description)
    if gtype == "None":
        return style
    if name == "projects":
        values = sorted(map(str, pd.unique(frame["type"].dropna()))) if len(frame) else list(TYPE_COLOURS)
        style.field = "type"
        style.categories = {k: (type_title(k, lang), TYPE_COLOURS.get(k, "#888888")) for k in values}
        style.label_field = "name"
        style.widths = {k: 0.5 for k in values}
    elif name == "base_roads":
        values = sorted(map(str, pd.unique(frame["road_class"].dropna()))) if "road_class" in frame else []
        style.field = "road_class"
        style.categories = {k: (road_class_title(k, lang), road_style(k)[0]) for k in values}
        style.widths = {k: round(road_style(k)[1] * 0.3, 2) for k in values}
        style.label_field = "name" if "name" in frame else None
        style.label_size = 7
    elif name == "base_parcels":
        style.single, style.fill = (BASE["parcels"], 0.15), False
    elif name == "base_buildings":
        style.single = (BASE["buildings_outline"], 0.1)
    elif name == "base_boundary":
        style.single, style.fill, style.dash = (BASE["study_area"], 0.5), False, True
        style.label_field = "name" if "name" in frame else None
        style.label_size = 11
    elif "code" in frame:
        values = sorted(map(str, pd.unique(frame["code"].dropna()))) if len(frame) else []
        from planner.analysis.registry import flag_layer

        spec = flag_layer(name)
        if not values and spec is not None:  # an empty layer still gets its declared codes
            from planner.analysis.registry import all_analyses

            values = [r.code for a in all_analyses() if spec in a.outputs for r in a.rules]
        style.field = "code"
        style.categories = {c: (code_title(c, lang), CODE_COLOURS.get(c, "#888888")) for c in values}
        style.visible = bool(spec.visible) if spec is not None else True
    return style


BASE_ALIASES = {"name": ("名称", "Name"), "district_id": ("片区编号", "District id"), "road_id": ("道路编号", "Road id"),
                "road_class": ("道路等级", "Class"), "status": ("状态", "Status"), "parcel_id": ("地块编号", "Parcel id"),
                "land_use": ("用地性质", "Land use"), "building_id": ("建筑编号", "Building id"),
                "year_built": ("建成年份", "Year built"), "floors": ("层数", "Storeys"), "use": ("用途", "Use"),
                "households": ("户数", "Households"), "compound": ("小区", "Compound")}
BASE_LAYERS = (("boundary", "base_boundary", "MultiPolygon", ["district_id", "name"]),
               ("roads", "base_roads", "LineString", ["road_id", "name", "road_class", "status"]),
               ("parcels", "base_parcels", "MultiPolygon", ["parcel_id", "land_use", "status"]),
               ("buildings", "base_buildings", "MultiPolygon", ["building_id", "year_built", "floors", "use",
                                                                "households", "compound"]))


def write_portfolio_gpkg(path: Path, result, ws, cfg, projects: gpd.GeoDataFrame | None, run_info: dict, *,
                         lang: str = "zh", base: bool = True, slice_seconds: float | None = None) -> None:
    """portfolio.gpkg: every declared flag layer, the projects, the tables, the base layers the
    maps are drawn on (boundary, roads, parcels, buildings), styles, aliases and a QGIS project."""
    from planner.analysis.registry import empty_flags, flag_layers
    from planner.export.terms import layer_title, pick

    layers: dict = {}
    styles: dict = {}
    g_flags, g_projects = pick("问题标记", "Flags", lang), pick("更新项目", "Projects", lang)
    g_base, g_tables = pick("底图", "Base map", lang), pick("统计表", "Tables", lang)
    every: dict[str, str] = {}   # a summarised layer's table of every flag: its layer
    not_run: set[str] = set()    # flag layers of analyses that did not run
    for spec in flag_layers():  # every declared flag layer, empty when its analysis did not run
        frame = result.flags.get(spec.name)
        title = pick(spec.title, spec.title_en, lang)
        if summarised_by_source(frame):
            layers[spec.name] = (per_source(frame, lang), spec.geometry,
                                 pick(f"{title}：每个来源要素一处（逐条标记见“{flags_table_title(spec.name, lang)}”表）",
                                      f"{title}: one feature per source feature (every flag in the table "
                                      f"'{flags_table_title(spec.name, lang)}')", lang))
            layers[flags_table_name(spec.name)] = (frame, "None", flags_table_title(spec.name, lang))
            every[flags_table_name(spec.name)] = spec.name
            continue
        if frame is None:   # not assessed (an input missing): said in its name, an empty layer is not "none found"
            not_run.add(spec.name)
            title += pick("（未评估）", " (not assessed)", lang)
        layers[spec.name] = (frame if frame is not None else empty_flags(ws.working_crs), spec.geometry, title)
    if projects is not None:
        layers["projects"] = (projects, "MultiPolygon", pick("城市更新项目库", "Renewal projects", lang))
    for name, table in result.tables.items():
        layers[name] = (table, "None", layer_title(name, lang))
    info = pd.DataFrame({"key": list(run_info), "value": [json.dumps(v, ensure_ascii=False, default=str)
                                                          for v in run_info.values()]})
    layers["run_info"] = (info, "None", layer_title("run_info", lang))
    if base:
        for role, table, gtype, keep in BASE_LAYERS:
            frame = ws.frame(role)
            if frame is None or len(frame) == 0:
                continue
            cols = [c for c in keep if c in frame.columns]
            description = layer_title(role, lang)
            layer = ws.layers.get(role)
            if layer is not None and layer.report.driver == "OSM":   # a derived database keeps ODbL's notice
                description += pick("（数据来源：© OpenStreetMap contributors，ODbL 1.0）",
                                    " (data: © OpenStreetMap contributors, ODbL 1.0)", lang)
            layers[table] = (frame[[*cols, frame.geometry.name]], gtype, description)
    for name, (frame, gtype, description) in layers.items():
        group = (g_projects if name == "projects" else g_base if name.startswith("base_") else
                 g_flags if name in every else g_tables if gtype == "None" else g_flags)
        title = (flags_table_title(every[name], lang) if name in every else description if name in not_run else
                 layer_title(name[5:] if name.startswith("base_") else name, lang))
        styles[name] = _style_for(name, frame, gtype, description, lang, group, title)
    extent = None
    present = [f for f, g, _ in layers.values() if g != "None" and isinstance(f, gpd.GeoDataFrame) and len(f)]
    if present:
        b = [f.total_bounds for f in present]
        extent = (min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b), max(x[3] for x in b))
    project = {"file": path.name, "title": cfg.name, "crs": ws.working_crs, "extent": extent,
               "groups": [g_flags, g_projects, g_base, g_tables]}
    write_layers(path, layers, styles, lang, project, slice_seconds, cache_base=True)
