"""Waterlogging points (易涝积水点, policy 十四) from a DEM: the closed depressions of the terrain.

Basis: the policy's item (十四) 易涝积水点治理; GB 51222-2017 城镇内涝防治技术规范 and
GB 50014-2021 室外排水设计标准 (内涝, ground ponding). Where rain water has nowhere to run
is where the terrain is closed: a depression that filling the DEM raises. The thresholds are
screening defaults for a DEM, not values of those standards (their ponding criteria need a
drainage model).

How (rules.md, "Waterlogging"):

1. The DEM (``--raster dem=FILE``, any CRS) is read on a grid of the working CRS over the
   layers' extent plus a margin (:func:`planner.io.rasters.read_in_working_crs`: read in
   windows, warped bilinearly where its CRS is another).
2. Depressions are filled with RichDEM's Priority-Flood (Barnes, Lehman & Mulla 2014; the
   maintained ``richdem2`` wheels): the DEM's edge cells and the cells next to nodata drain, so
   a hollow open to an edge is no depression. It was chosen over scikit-image's morphological
   reconstruction by erosion (the same fill, 50 s against 5.6 s on 16 M cells here) and over
   pysheds (numba, a compile at first use).
3. A depression is one 8-connected group of raised cells (``scipy.ndimage.label``); its
   depth (largest rise), area (all its cells) and volume (sum of rise x cell area) are
   reductions over the raised cells only (numpy ``bincount`` / sorted ``reduceat``).
4. Only depressions deeper than ``min_depth_m`` and larger than ``min_area_m2`` are turned
   into polygons (``rasterio.features.shapes`` on the raster of kept labels), and those that
   intersect a built road (as for dead ends: not ``planned``) or a residential building (the
   residential uses of the old-housing analysis) are flagged.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from planner.analysis.common import concat_flags
from planner.analysis.registry import (
    Analysis,
    AnalysisInputs,
    AnalysisOutput,
    FlagLayer,
    Parameter,
    Product,
    RuleCode,
    empty_flags,
    get_analysis,
    register,
)
from planner.errors import InputError
from planner.feedback import Feedback

FIELDS = {"depth_m": "float64", "area_m2": "float64", "volume_m3": "float64", "road_ids": "object",
          "building_ids": "object", "residential_count": "int64", "road_names": "object"}
NEVER = np.float32(3.0e38)     # RichDEM's nodata value: one no cell has
EIGHT = np.ones((3, 3), dtype=bool)
MARGIN_M = 500.0               # DEM read beyond the layers' extent: a hollow near the edge stays closed


def dem_raster(inputs: AnalysisInputs) -> Any:
    """The raster of kind ``dem`` (layers/rasters.toml: dem, elevation, 高程, dsm ...), or None."""
    finder = getattr(inputs.catalogue, "raster_kind", None)
    for name, info in (inputs.rasters or {}).items():
        kind = finder(name) if finder is not None else None
        if name == "dem" or (kind is not None and kind.name == "dem"):
            return info
    return None


def layers_bounds(inputs: AnalysisInputs) -> tuple[float, float, float, float] | None:
    """The extent of the layers the depressions are checked against (and the study area)."""
    boxes = [f.total_bounds for role in ("boundary", "roads", "buildings")
             if (f := inputs.layers.get(role)) is not None and len(f)]
    boxes = [b for b in boxes if np.all(np.isfinite(b))]
    if not boxes:
        return None
    b = np.array(boxes)
    return (float(b[:, 0].min() - MARGIN_M), float(b[:, 1].min() - MARGIN_M),
            float(b[:, 2].max() + MARGIN_M), float(b[:, 3].max() + MARGIN_M))


def fill_depressions(dem: np.ndarray) -> np.ndarray:
    """The DEM with every closed depression filled to its spill level (Priority-Flood, D8).

    ``dem`` is float32 with NaN at nodata; NaN cells stay NaN. The DEM's edge cells and the
    cells next to nodata drain. RichDEM's fill drains the edges only: nodata cells are given an
    elevation below every other so that a nodata area on the edge drains what lies next to it;
    a lake that the fill makes around a nodata hole inside the DEM is then filled again with
    scikit-image's reconstruction by erosion (the classic fill: seed = the maximum inside,
    the elevation at the nodata cells and around the lake), over each such lake's box."""
    import richdem

    valid = np.isfinite(dem)
    low = np.float32(np.nanmin(dem) - 1000.0)
    z = np.where(valid, dem, low).astype(np.float32)
    r = richdem.rdarray(z.copy(), no_data=float(NEVER))
    r.geotransform = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0]  # any: set so that RichDEM does not print a warning
    richdem.FillDepressions(r, epsilon=False, in_place=True, topology="D8")
    filled = np.asarray(r, dtype=np.float32)
    if not valid.all():
        _drain_into_holes(z, filled, valid)
    filled[~valid] = np.nan
    return filled


def _drain_into_holes(z: np.ndarray, filled: np.ndarray, valid: np.ndarray) -> None:
    """Refill, in place, the lakes of ``filled`` that hold nodata cells, with the nodata cells
    as outlets. Cells outside those lakes are right already (their fill is their elevation or a
    lake without nodata, which no nodata outlet could lower), so they bound each refill: one
    reconstruction per such lake over the lake's box (one loop step per nodata hole with a
    lake around it, never per cell)."""
    from skimage.morphology import reconstruction

    raised = filled > z
    labels, n = ndimage.label(raised, structure=EIGHT)
    holes = np.unique(labels[~valid & raised])
    holes = holes[holes > 0]
    if len(holes) == 0:
        return
    lut = np.zeros(n + 1, dtype=np.int32)
    lut[holes] = np.arange(1, len(holes) + 1, dtype=np.int32)
    lakes = lut[labels]
    del labels
    for k, (rows, cols) in enumerate(ndimage.find_objects(lakes), start=1):
        box = (slice(max(rows.start - 1, 0), rows.stop + 1), slice(max(cols.start - 1, 0), cols.stop + 1))
        lake = lakes[box] == k
        zb = z[box]
        seed = np.where(lake & valid[box], zb.max(), zb).astype(np.float32)
        refilled = reconstruction(seed, zb, method="erosion").astype(np.float32)  # type: ignore[no-untyped-call]
        filled[box] = np.where(lake, refilled, filled[box])


def depressions(dem: np.ndarray, cell_area: float) -> tuple[np.ndarray, pd.DataFrame]:
    """Label the closed depressions of ``dem`` and measure them.

    Returns the label raster (int32, 0 outside depressions, 1..n) and a table indexed 1..n with
    ``depth_m`` (largest rise, rounded to mm), ``area_m2``, ``volume_m3``, ``cells`` and
    ``deep_row``/``deep_col`` (the deepest cell, the first in raster order on a tie)."""
    filled = fill_depressions(dem)
    rise = filled - dem
    raised = rise > 0  # NaN compares False
    del filled
    labels, n = ndimage.label(raised, structure=EIGHT)
    labels = labels.astype(np.int32, copy=False)
    flat = np.flatnonzero(raised)
    lab = labels.ravel()[flat]
    r = rise.ravel()[flat].astype(np.float64)
    cells = np.bincount(lab, minlength=n + 1)[1:]
    volume = np.bincount(lab, weights=r, minlength=n + 1)[1:] * cell_area
    deepest_rise = np.zeros(n + 1)
    np.maximum.at(deepest_rise, lab, r)
    at = np.flatnonzero(r == deepest_rise[lab])      # the deepest cells of each; the first in raster order
    _, first_at = np.unique(lab[at], return_index=True)
    first = at[first_at]
    deepest = flat[first]
    ncols = dem.shape[1]
    table = pd.DataFrame({
        "depth_m": np.round(r[first], 3), "area_m2": np.round(cells * cell_area, 1),
        "volume_m3": np.round(volume, 1), "cells": cells,
        "deep_row": deepest // ncols, "deep_col": deepest % ncols,
    }, index=pd.RangeIndex(1, n + 1, name="label"))
    return labels, table


def polygons_of(labels: np.ndarray, keep: np.ndarray, transform: Any) -> np.ndarray:
    """One (Multi)Polygon per kept label (``keep``: label numbers), in ``keep``'s order.

    Polygonises only the kept labels (GDAL's polygonize through rasterio.features.shapes,
    4-connected parts joined per label), over the window that holds them."""
    from rasterio.features import shapes
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    out = np.full(len(keep), None, dtype=object)
    if len(keep) == 0:
        return out
    lut = np.zeros(int(labels.max()) + 1, dtype=np.int32)
    lut[keep] = np.arange(1, len(keep) + 1, dtype=np.int32)
    kept = lut[labels]
    rows = np.flatnonzero(kept.any(axis=1))
    cols = np.flatnonzero(kept.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    sub = np.ascontiguousarray(kept[r0:r1, c0:c1])
    t = window_transform(Window(c0, r0, c1 - c0, r1 - r0), transform)
    rings, which = [], []
    for geom, value in shapes(sub, mask=sub > 0, connectivity=4, transform=t):  # one step per polygon
        rings.append(geom["coordinates"])
        which.append(int(value) - 1)
    parts = np.empty(len(rings), dtype=object)
    parts[:] = [shapely.Polygon(np.asarray(r[0]), [np.asarray(h) for h in r[1:]]) for r in rings]
    group = np.array(which, dtype=np.int64)
    order = np.argsort(group, kind="stable")
    present = np.unique(group)
    made = shapely.multipolygons(parts[order], indices=np.searchsorted(present, group[order]))
    out[present] = made
    single = shapely.get_num_geometries(out) == 1
    out[single] = shapely.get_geometry(out[single], 0)
    return out


def _join(values: np.ndarray, group: np.ndarray, n: int, limit: int | None = None) -> np.ndarray:
    """The values of each group 0..n-1 joined with commas (in the order given; '' if none)."""
    out = np.full(n, "", dtype=object)
    if len(values) == 0:
        return out
    s = pd.Series(np.asarray(values, dtype=object).astype(str)).groupby(np.asarray(group))
    joined = (s.agg(lambda v: ",".join(v[:limit])) if limit else s.agg(",".join))
    out[joined.index.to_numpy()] = joined.to_numpy()
    return out


def residential_mask(inputs: AnalysisInputs, buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Residential buildings as the old-housing analysis has them (its product, else its default
    residential uses)."""
    shared = inputs.shared.get("residential")
    if isinstance(shared, np.ndarray | list | pd.Series) and len(shared) == len(buildings):
        return np.asarray(shared, dtype=bool)
    if "use" not in buildings:
        return np.zeros(len(buildings), dtype=bool)
    uses = get_analysis("old_housing").defaults()["residential_uses"]
    mask: np.ndarray = buildings["use"].isin(list(uses)).to_numpy()  # type: ignore[call-overload]
    return mask


def indicator_rows(flags: gpd.GeoDataFrame, inputs: AnalysisInputs) -> pd.DataFrame:
    """City-examination rows (the indicators analysis lists them): waterlogging points and the
    households of the homes they touch, for the city and each district, target 0."""
    from planner.analysis.common import anchor_points, points_in_polygons
    from planner.analysis.indicators import ALL

    districts = inputs.layers.get("boundary")
    names = (districts["name"].fillna(districts["district_id"]).astype(str).tolist()
             if districts is not None and len(districts) and "name" in districts else [])
    where = (points_in_polygons(anchor_points(flags.geometry.values), districts.geometry.values)
             if names and len(flags) and districts is not None else np.full(len(flags), -1))
    homes: np.ndarray = np.zeros(len(flags))
    b = inputs.layers.get("buildings")
    if len(flags) and b is not None and "households" in b:
        hh = pd.Series(pd.to_numeric(b["households"], errors="coerce").fillna(0).to_numpy(dtype=float),
                       index=b["building_id"].astype(str).to_numpy())
        hh = hh[~hh.index.duplicated()]
        long = flags["building_ids"].fillna("").astype(str).reset_index(drop=True).str.split(",").explode()
        long = long[long != ""]
        homes = np.bincount(long.index.to_numpy(dtype=np.int64),
                            weights=hh.reindex(long.to_numpy()).fillna(0).to_numpy(), minlength=len(flags))
    basis = ("城市更新政策第十四项 易涝积水点治理（应予消除）；城市体检：城市内涝积水点",
             "the policy's item 14, waterlogging points (to be eliminated); city examination: urban waterlogging points")
    rows = []
    for name, i in [(ALL, None)] + [(n, k) for k, n in enumerate(names)]:
        sel = np.ones(len(flags), dtype=bool) if i is None else where == i
        for key, title, title_en, unit, value in (
                ("waterlogging.points", "易涝积水点数量", "Waterlogging points", "处", float(sel.sum())),
                ("waterlogging.households", "易涝积水点涉及住宅户数", "Households in homes at waterlogging points",
                 "户", float(homes[sel].sum()))):
            rows.append({"indicator": key, "title": title, "title_en": title_en, "district": name, "value": value,
                         "unit": unit, "target": 0, "direction": "lower", "pass": bool(value <= 0), "area": "city",
                         "basis": basis[0], "basis_en": basis[1]})
    return pd.DataFrame(rows)


def _num(values: np.ndarray, digits: int) -> pd.Series:
    return pd.Series(np.round(values, digits)).map(lambda v: f"{v:,.{digits}f}")


def run(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    from planner.analysis.roads import built_mask
    from planner.io.rasters import read_in_working_crs

    out = AnalysisOutput()
    info = dem_raster(inputs)
    if info is None:  # the runner skips it before (declared raster); kept for direct calls
        out.flags["flag_waterlogging"] = empty_flags(inputs.crs, FIELDS)
        return out
    roads = inputs.layers.get("roads")
    buildings = inputs.layers.get("buildings")
    if (roads is None or len(roads) == 0) and (buildings is None or len(buildings) == 0):
        out.flags["flag_waterlogging"] = empty_flags(inputs.crs, FIELDS)
        out.messages.append("waterlogging: no roads and no buildings to check the depressions of the DEM against")
        return out
    feedback.set_progress(5.0)
    grid = read_in_working_crs(info, inputs.crs, layers_bounds(inputs))
    dem = grid.values
    valid = np.isfinite(dem)
    if not valid.any():
        raise InputError("the DEM has no elevation over the layers (every cell there is nodata).",
                         file=str(info.path), layer=info.name, hint="give a DEM that covers the study area.")
    feedback.set_progress(20.0)
    feedback.check()
    labels, table = depressions(dem, grid.cell_area)
    feedback.set_progress(70.0)
    feedback.check()
    kept = table[(table["depth_m"] > params["min_depth_m"]) & (table["area_m2"] > params["min_area_m2"])]
    keep = kept.index.to_numpy()
    polys = polygons_of(labels, keep, grid.transform)
    del labels
    feedback.set_progress(85.0)

    n = len(keep)
    road_ids = np.full(n, "", dtype=object)
    road_names = np.full(n, "", dtype=object)
    building_ids = np.full(n, "", dtype=object)
    res_count = np.zeros(n, dtype=np.int64)
    road_count = np.zeros(n, dtype=np.int64)
    if n and roads is not None and len(roads):
        rb = roads.loc[built_mask(roads)]
        if len(rb):
            di, ri = shapely.STRtree(rb.geometry.values).query(polys, predicate="intersects")
            order = np.lexsort((ri, di))
            di, ri = di[order], ri[order]
            ids = rb["road_id"].astype(str).to_numpy(dtype=object)[ri] if "road_id" in rb else ri.astype(str)
            road_ids = _join(ids, di, n)
            road_count = np.bincount(di, minlength=n)
            names = (rb["name"].to_numpy(dtype=object)[ri] if "name" in rb else np.full(len(ri), None, dtype=object))
            names = np.where(pd.notna(names) & (pd.Series(names, dtype="string").fillna("").str.len() > 0).to_numpy(),
                             names, ids).astype(str)
            first = pd.DataFrame({"d": di, "name": names}).drop_duplicates()
            road_names = _join(first["name"].to_numpy(), first["d"].to_numpy(), n, limit=3)
    if n and buildings is not None and len(buildings):
        res = residential_mask(inputs, buildings)
        rbld = buildings.loc[res]
        if len(rbld):
            di, bi = shapely.STRtree(rbld.geometry.values).query(polys, predicate="intersects")
            order = np.lexsort((bi, di))
            di, bi = di[order], bi[order]
            bid = rbld["building_id"].astype(str).to_numpy(dtype=object)[bi]
            building_ids = _join(bid, di, n)
            res_count = np.bincount(di, minlength=n)
    touch = (road_count > 0) | (res_count > 0)

    t = grid.transform
    x = t.c + (kept["deep_col"].to_numpy() + 0.5) * t.a  # type: ignore[attr-defined]
    y = t.f + (kept["deep_row"].to_numpy() + 0.5) * t.e  # type: ignore[attr-defined]
    depth = kept["depth_m"].to_numpy()
    severe = (depth >= params["severe_depth_m"]) | (res_count >= params["severe_buildings"])
    m = touch
    if m.any():
        d, a, v = _num(depth[m], 2), _num(kept["area_m2"].to_numpy()[m], 0), _num(kept["volume_m3"].to_numpy()[m], 0)
        rn = pd.Series(road_names[m], dtype="string")
        rc = pd.Series(road_count[m]).astype(str)
        bc = pd.Series(res_count[m]).astype(str)
        many = pd.Series(road_count[m] > 3)
        road_zh = ("道路" + rn.str.replace(",", "、", regex=False) + many.map({True: "等", False: ""}) + rc + "条")
        road_en = ("road" + pd.Series(np.where(road_count[m] == 1, " ", "s "))
                   + "'" + rn.str.replace(",", "', '", regex=False) + "'"  # names quoted, as written
                   + many.map({True: " and others", False: ""}))
        has_r = pd.Series(road_count[m] > 0)
        has_b = pd.Series(res_count[m] > 0)
        touches_zh = (road_zh.where(has_r, "") + pd.Series(np.where(has_r & has_b, "和", ""))
                      + ("住宅" + bc + "栋").where(has_b, ""))
        touches_en = (road_en.where(has_r, "") + pd.Series(np.where(has_r & has_b, " and ", ""))
                      + (bc + " residential building" + pd.Series(np.where(res_count[m] == 1, "", "s"))).where(has_b, ""))
        deep = depth[m] >= params["severe_depth_m"]
        many_homes = res_count[m] >= params["severe_buildings"]
        sd, sb = f"{params['severe_depth_m']:g}", f"{params['severe_buildings']:g}"
        sev_zh = pd.Series(np.where(deep & many_homes, f"（严重：积水深度不小于{sd} m且涉及住宅不少于{sb}栋）",
                                    np.where(deep, f"（严重：积水深度不小于{sd} m）",
                                             np.where(many_homes, f"（严重：涉及住宅不少于{sb}栋）", ""))))
        sev_en = pd.Series(np.where(deep & many_homes, f" (severe: {sd} m deep or more and {sb} or more homes)",
                                    np.where(deep, f" (severe: {sd} m deep or more)",
                                             np.where(many_homes, f" (severe: {sb} or more homes)", ""))))
        reason = ("地形闭合洼地，雨水无处排出：最大积水深度" + d + " m，面积" + a + " m²，容积" + v + " m³，涉及"
                  + touches_zh + "，属易涝积水点" + sev_zh).tolist()
        reason_en = ("closed depression of the terrain where rain water has no way out: greatest depth " + d
                     + " m, area " + a + " m², volume " + v + " m³, touching " + touches_en
                     + ": waterlogging point" + sev_en).tolist()
        source_id = ("WL" + pd.Series(np.round(x[m]).astype(np.int64)).astype(str) + "_"
                     + pd.Series(np.round(y[m]).astype(np.int64)).astype(str)).to_numpy(dtype=object)
        data = {
            "source_layer": "dem", "source_id": source_id, "code": "WATERLOGGING",
            "severity": np.where(severe[m], 3, 2).astype("int64"), "reason": reason, "reason_en": reason_en,
            "depth_m": depth[m], "area_m2": kept["area_m2"].to_numpy()[m], "volume_m3": kept["volume_m3"].to_numpy()[m],
            "road_ids": road_ids[m], "building_ids": building_ids[m], "residential_count": res_count[m],
            "road_names": road_names[m],
        }
        import geopandas as gpd

        frame = gpd.GeoDataFrame(pd.DataFrame(data), geometry=gpd.GeoSeries(polys[m], crs=inputs.crs), crs=inputs.crs)
        out.flags["flag_waterlogging"] = concat_flags([frame], inputs.crs)
    else:
        out.flags["flag_waterlogging"] = empty_flags(inputs.crs, FIELDS)
    out.shared["indicator_rows.waterlogging"] = indicator_rows(out.flags["flag_waterlogging"], inputs)
    res_m = float(np.sqrt(grid.cell_area))
    out.messages.append(
        f"waterlogging: DEM {info.name} on a {dem.shape[1]} x {dem.shape[0]} grid of {res_m:.1f} m "
        f"({'reprojected to' if grid.reprojected else 'in'} the working CRS), {valid.mean():.0%} with elevations; "
        f"{len(table)} closed depressions, {n} deeper than {params['min_depth_m']} m and larger than "
        f"{params['min_area_m2']} m², {int(m.sum())} touching built roads or residential buildings "
        f"({int((severe & m).sum())} severe)")
    if res_m * res_m > float(params["min_area_m2"]):
        out.messages.append(f"waterlogging: a DEM cell ({res_m:.1f} m, {res_m * res_m:.0f} m²) is larger than the "
                            f"minimum area {params['min_area_m2']} m²: every depression of one cell or more passes it")
    feedback.set_progress(100.0)
    return out


ALIASES = (
    ("depth_m", "最大积水深度（m）", "Greatest depth (m)"),
    ("area_m2", "洼地面积（m²）", "Area (m²)"),
    ("volume_m3", "积水容积（m³）", "Volume (m³)"),
    ("road_ids", "涉及道路编号", "Roads touched (ids)"),
    ("road_names", "涉及道路", "Roads touched"),
    ("building_ids", "涉及住宅编号", "Residential buildings touched (ids)"),
    ("residential_count", "涉及住宅（栋）", "Residential buildings touched"),
)

register(Analysis(
    id="waterlogging",
    title="易涝积水点",
    title_en="Waterlogging points",
    run=run,
    requires={},
    optional={"roads": ["status", "name"], "buildings": ["use"]},
    rasters=("dem",),
    codes=("WATERLOGGING",),
    outputs=(FlagLayer("flag_waterlogging", "MultiPolygon", "易涝积水点", "Waterlogging points",
                       fields=("depth_m", "area_m2", "volume_m3", "residential_count", "road_names", "road_ids",
                               "building_ids"),
                       popup=("flag_id", "code", "reason", "depth_m", "area_m2", "volume_m3", "residential_count"),
                       aliases=ALIASES, visible=True),),
    rules=(RuleCode("WATERLOGGING", "易涝积水点", "Waterlogging point", "#2166AC", 2),),
    products=(Product("indicator_rows.waterlogging", "table",
                      "waterlogging points and the households they touch by district, for the indicators"),),
    basis="城市更新政策第十四项 易涝积水点治理；GB 51222-2017 城镇内涝防治技术规范；GB 50014-2021 室外排水设计标准"
          "（阈值为DEM筛查默认值，非标准取值）",
    order=45,
    parameters=[
        Parameter("min_depth_m", 0.3, "m", "最小积水深度（大于）", "Minimum depth (above)",
                  "洼地最大积水深度（填洼后抬高的最大值）大于该值才计入；DEM筛查默认值，非规范取值",
                  "a depression counts when its greatest depth (largest rise of the filled DEM) is above this; "
                  "a screening default, not a value of the standards", 0.0, 100.0),
        Parameter("min_area_m2", 200.0, "m²", "最小洼地面积（大于）", "Minimum area (above)",
                  "洼地面积（全部抬高栅格）大于该值才计入", "a depression counts when its area (all its raised cells) "
                  "is above this", 0.0, 1e9),
        Parameter("severe_depth_m", 0.5, "m", "严重：积水深度不小于", "Severe: depth at least",
                  "最大积水深度不小于该值为严重（3级）", "severity 3 where the greatest depth is at least this",
                  0.0, 100.0),
        Parameter("severe_buildings", 5, "栋", "严重：涉及住宅不少于", "Severe: residential buildings at least",
                  "涉及住宅不少于该栋数为严重（3级）", "severity 3 where it touches at least this many residential "
                  "buildings", 1, 100000),
    ],
))
