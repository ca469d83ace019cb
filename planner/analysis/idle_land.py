"""Idle and inefficient land (闲置存量土地): 批而未供 / 供而未用 / 用而未尽.

Basis: 闲置土地处置办法 (2012, 国土资源部令第53号) arts. 2, 8, 14.
A parcel keeps its most severe code; the other codes it meets are kept in ``other_codes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from planner.analysis.common import (
    PLACES,
    anchor_points,
    building_places,
    date_text,
    full_months,
    make_flags,
    points_in_polygons,
    span_text,
)
from planner.analysis.registry import (
    Analysis,
    AnalysisInputs,
    AnalysisOutput,
    FlagLayer,
    Parameter,
    Product,
    RuleCode,
    empty_flags,
    register,
)
from planner.arrays import GeometryArray

if TYPE_CHECKING:
    from planner.feedback import Feedback

# Most severe first.
RANK = ["IDLE_NOT_STARTED_2Y", "IDLE_STALLED", "IDLE_NOT_STARTED_1Y", "IDLE_SUSPECTED",
        "APPROVED_NOT_SUPPLIED", "UNDERUSED"]
SEVERITY = {"IDLE_NOT_STARTED_2Y": 3, "IDLE_STALLED": 3, "IDLE_NOT_STARTED_1Y": 2, "IDLE_SUSPECTED": 2,
            "APPROVED_NOT_SUPPLIED": 2, "UNDERUSED": 1}


def _col(frame: pd.DataFrame, name: str, dtype: Any = "float64") -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan if dtype == "float64" else None, index=frame.index, dtype=dtype)


def _once(write: Callable[[pd.Series], list[str]], values: Any) -> npt.NDArray[np.object_]:
    """``write(values)`` (a text per value) computed on the distinct values only."""
    codes, uniq = pd.factorize(pd.Series(values), use_na_sentinel=False)
    texts: npt.NDArray[np.object_] = np.asarray(write(pd.Series(uniq)), dtype=object)[codes]
    return texts


def building_stats(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None,
                   anchors: GeometryArray | None = None) -> pd.DataFrame:
    """Per parcel: footprint coverage and actual floor-area ratio of the buildings standing in it
    (``anchors``: the buildings' anchor points where known)."""
    n = len(parcels)
    area = _col(parcels, "area").to_numpy()
    geom_area = shapely.area(parcels.geometry.values)
    area = np.where(np.isfinite(area) & (area > 0), area, geom_area)
    out = pd.DataFrame({"parcel_area": area, "footprint": 0.0, "gfa": 0.0, "gfa_unknown": 0, "n_buildings": 0})
    if buildings is None or len(buildings) == 0:
        out["coverage"] = 0.0
        out["far"] = 0.0
        return out
    bgeoms = buildings.geometry.values
    which = points_in_polygons(anchor_points(bgeoms) if anchors is None else anchors, parcels.geometry.values)
    inside = which >= 0
    footprint = shapely.area(bgeoms)
    floors = pd.to_numeric(_col(buildings, "floors"), errors="coerce").to_numpy(dtype="float64")
    floor_area = _col(buildings, "floor_area").to_numpy(dtype="float64")
    gfa = np.where(np.isfinite(floor_area), floor_area, footprint * floors)
    idx = which[inside]
    out["footprint"] = np.bincount(idx, weights=footprint[inside], minlength=n)
    out["gfa"] = np.bincount(idx, weights=np.nan_to_num(gfa[inside]), minlength=n)
    out["gfa_unknown"] = np.bincount(idx, weights=(~np.isfinite(gfa[inside])).astype(float), minlength=n)
    out["n_buildings"] = np.bincount(idx, minlength=n)
    out["coverage"] = out["footprint"] / out["parcel_area"]
    out["far"] = out["gfa"] / out["parcel_area"]
    return out


def run(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    parcels = inputs.layers["parcels"]
    buildings = inputs.layers.get("buildings")
    as_of = inputs.as_of
    out = AnalysisOutput()
    if len(parcels) == 0:
        out.flags["flag_idle_land"] = empty_flags(inputs.crs)
        return out
    status = _col(parcels, "status", object)
    supply_type = _col(parcels, "supply_type", object)
    supply_date = pd.to_datetime(_col(parcels, "supply_date", "datetime64[ns]"))
    agreed = pd.to_datetime(_col(parcels, "agreed_start", "datetime64[ns]"))
    actual = pd.to_datetime(_col(parcels, "actual_start", "datetime64[ns]"))
    suspended = pd.to_datetime(_col(parcels, "suspended_since", "datetime64[ns]"))
    cause = _col(parcels, "delay_cause", object)
    dev_ratio = _col(parcels, "dev_ratio").to_numpy(dtype="float64")
    dev_calc = _col(parcels, "developed_area").to_numpy() / _col(parcels, "dev_total_area").to_numpy()
    dev_ratio = np.where(np.isfinite(dev_ratio), dev_ratio, dev_calc)
    inv_ratio = _col(parcels, "invest_ratio").to_numpy(dtype="float64")
    inv_calc = _col(parcels, "invested").to_numpy() / _col(parcels, "total_investment").to_numpy()
    inv_ratio = np.where(np.isfinite(inv_ratio), inv_ratio, inv_calc)
    plan_far = _col(parcels, "plan_far").to_numpy(dtype="float64")

    not_supplied_status = status.isin(["approved_not_supplied", "reserve"]).to_numpy()
    supplied = (~not_supplied_status & (supply_type.notna().to_numpy() | supply_date.notna().to_numpy()
                                        | (status == "supplied").to_numpy()))
    no_start = actual.isna().to_numpy()
    agreed_m = full_months(agreed, as_of)
    suspended_m = full_months(suspended, as_of)
    supply_m = full_months(supply_date, as_of)
    government = (cause == "government").to_numpy()

    codes: dict[str, np.ndarray] = {}
    codes["IDLE_NOT_STARTED_2Y"] = supplied & no_start & (agreed_m >= 24)
    codes["IDLE_NOT_STARTED_1Y"] = supplied & no_start & (agreed_m >= 12) & (agreed_m < 24)
    low_progress = (dev_ratio < params["stalled_dev_ratio"]) | (inv_ratio < params["stalled_invest_ratio"])
    codes["IDLE_STALLED"] = ~no_start & low_progress & (suspended_m >= 12 * params["stalled_years"])
    stats = building_stats(parcels, buildings,
                           building_places(inputs, out).points if buildings is not None and len(buildings) else None)
    coverage = stats["coverage"].to_numpy()
    if buildings is not None:
        # A parcel recorded as built (已建) is developed land, not suspected idle, whatever its coverage.
        codes["IDLE_SUSPECTED"] = (supplied & ~(status == "built").to_numpy() & agreed.isna().to_numpy()
                                   & (supply_m >= 12 * params["suspected_years"])
                                   & (coverage < params["suspected_coverage"]))
    else:
        codes["IDLE_SUSPECTED"] = np.zeros(len(parcels), dtype=bool)
        out.messages.append("IDLE_SUSPECTED not checked: it needs the buildings layer for footprint coverage")
    codes["APPROVED_NOT_SUPPLIED"] = (status == "approved_not_supplied").to_numpy()
    far = stats["far"].to_numpy()
    built = (status == "built").to_numpy() | (status.isna().to_numpy() & (stats["n_buildings"].to_numpy() > 0))
    far_known = stats["gfa_unknown"].to_numpy() == 0
    if buildings is not None:
        codes["UNDERUSED"] = built & far_known & np.isfinite(plan_far) & (plan_far > 0) & (
            far < params["underused_share"] * plan_far)
    else:
        codes["UNDERUSED"] = np.zeros(len(parcels), dtype=bool)
        out.messages.append("UNDERUSED not checked: it needs the buildings layer for the actual floor-area ratio")

    stack = np.column_stack([codes[c] for c in RANK])
    out.shared["idle_codes"] = {c: stack[:, i] & (np.argmax(stack, axis=1) == i) for i, c in enumerate(RANK)}
    any_code = stack.any(axis=1)
    first = np.argmax(stack, axis=1)
    main_code = np.array(RANK, dtype=object)[first]
    frames = []
    # dates and spans as text, each distinct value written once
    agreed_txt, supply_txt, suspended_txt = _once(date_text, agreed), _once(date_text, supply_date), \
        _once(date_text, suspended)
    as_of_txt = as_of.isoformat()
    spans_zh, spans_en = _once(span_text, agreed_m), _once(lambda v: span_text(v, "en"), agreed_m)
    susp_zh, susp_en = _once(span_text, suspended_m), _once(lambda v: span_text(v, "en"), suspended_m)
    sup_zh, sup_en = _once(span_text, supply_m), _once(lambda v: span_text(v, "en"), supply_m)
    for code in RANK:
        mask = any_code & (main_code == code)
        if not mask.any():
            continue
        idx = np.flatnonzero(mask)
        zh, en = [], []
        for i in idx:
            if code == "IDLE_NOT_STARTED_2Y":
                base = f"约定动工日期{agreed_txt[i]}，截至{as_of_txt}未动工，已满2年（{spans_zh[i]}）"
                base_en = (f"agreed start {agreed_txt[i]}, not started by {as_of_txt}: two full years or more "
                           f"({spans_en[i]})")
                if government[i]:
                    zh.append(base + "；闲置原因为政府原因，不适用无偿收回，应协商处置（《闲置土地处置办法》第八条）")
                    en.append(base_en + "; the delay is the government's: reclaim without compensation does not "
                              "apply, disposal is negotiated (art. 8)")
                else:
                    zh.append(base + "，可依法无偿收回")
                    en.append(base_en + "; the land may be reclaimed without compensation")
            elif code == "IDLE_NOT_STARTED_1Y":
                zh.append(f"约定动工日期{agreed_txt[i]}，截至{as_of_txt}未动工，已满1年（{spans_zh[i]}），"
                          "构成闲置土地，可按土地出让价款20%征缴土地闲置费")
                en.append(f"agreed start {agreed_txt[i]}, not started by {as_of_txt}: one full year or more "
                          f"({spans_en[i]}); idle land, an idle fee of 20% of the land price applies")
            elif code == "IDLE_STALLED":
                d = "" if not np.isfinite(dev_ratio[i]) else f"已开发面积比例{dev_ratio[i]:.0%}"
                v = "" if not np.isfinite(inv_ratio[i]) else f"已投资比例{inv_ratio[i]:.0%}"
                parts = "，".join(p for p in (d, v) if p)
                zh.append(f"已动工但{parts}，自{suspended_txt[i]}停工已满1年（{susp_zh[i]}），构成闲置土地")
                en.append(f"started, but developed share {dev_ratio[i]:.0%} / invested share {inv_ratio[i]:.0%}; "
                          f"suspended since {suspended_txt[i]} ({susp_en[i]}): idle land")
            elif code == "IDLE_SUSPECTED":
                zh.append(f"{supply_txt[i]}供地已{sup_zh[i]}，无约定动工日期记录，建筑覆盖率仅{coverage[i]:.1%}"
                          f"（低于{params['suspected_coverage']:.0%}），疑似闲置，需现场核实")
                en.append(f"supplied {supply_txt[i]} ({sup_en[i]} ago), no agreed start recorded, building coverage "
                          f"{coverage[i]:.1%} (< {params['suspected_coverage']:.0%}): suspected idle, verify on site")
            elif code == "APPROVED_NOT_SUPPLIED":
                zh.append("土地状态为批而未供，属存量待供应土地")
                en.append("status approved-not-supplied: stock land to supply")
            else:
                zh.append(f"已建地块实际容积率{far[i]:.2f}，低于规划容积率{plan_far[i]:.2f}的"
                          f"{params['underused_share']:.0%}，属低效用地")
                en.append(f"built parcel with actual FAR {far[i]:.2f}, below {params['underused_share']:.0%} of the "
                          f"planned FAR {plan_far[i]:.2f}: underused land")
        others = [",".join(c for c in RANK if c != code and codes[c][i]) for i in idx]
        frames.append(make_flags(
            parcels, mask, source_layer="parcels", id_field="parcel_id", code=code, severity=SEVERITY[code],
            reason=zh, reason_en=en,
            extra={"other_codes": others, "parcel_area_m2": stats["parcel_area"].to_numpy()[idx].round(1),
                   "coverage": coverage[idx].round(4), "actual_far": far[idx].round(3),
                   "land_use": parcels["land_use"].to_numpy()[idx] if "land_use" in parcels.columns else None},
        ))
    from planner.analysis.common import concat_flags

    out.flags["flag_idle_land"] = concat_flags(frames, inputs.crs)
    return out


ANALYSIS = register(Analysis(
    id="idle_land",
    title="闲置及低效用地",
    title_en="Idle and inefficient land",
    run=run,
    requires={"parcels": []},
    optional={"buildings": ["floors", "floor_area"]},
    codes=tuple(RANK),
    outputs=(FlagLayer("flag_idle_land", "MultiPolygon", "闲置及低效用地", "Idle and inefficient land",
                       fields=("other_codes", "parcel_area_m2", "coverage", "actual_far", "land_use"),
                       popup=("flag_id", "code", "reason", "parcel_area_m2"), visible=True),),
    rules=(RuleCode("IDLE_NOT_STARTED_2Y", "未动工满2年", "Not started for 2 years", "#b2182b", 3),
           RuleCode("IDLE_NOT_STARTED_1Y", "未动工满1年", "Not started for 1 year", "#ef8a62", 2),
           RuleCode("IDLE_STALLED", "停工闲置", "Stalled", "#d6604d", 2),
           RuleCode("IDLE_SUSPECTED", "疑似闲置", "Suspected idle", "#fddbc7", 1),
           RuleCode("APPROVED_NOT_SUPPLIED", "批而未供", "Approved, not supplied", "#f4a582", 2),
           RuleCode("UNDERUSED", "低效用地", "Underused land", "#92c5de", 1)),
    products=(Product("idle_codes", "value", "each parcel's idle code, as one boolean array per code"),
              Product(PLACES, "transient", "each building's anchor point, district and nearest road (made by the "
                      "first analysis that needs them)")),
    basis="闲置土地处置办法（2012）第二、八、十四条；批而未供、供而未用、用而未尽",
    order=10,
    parameters=[
        Parameter("stalled_dev_ratio", 1 / 3, "", "停工判定：已开发面积比例低于", "Stalled: developed share below",
                  "已动工但开发面积占比低于该值且停工满一年为闲置", "Started, developed share below this and suspended "
                  "a full year is idle", 0.0, 1.0),
        Parameter("stalled_invest_ratio", 0.25, "", "停工判定：已投资比例低于", "Stalled: invested share below",
                  "或已投资额占比低于该值", "or invested share below this", 0.0, 1.0),
        Parameter("stalled_years", 1, "年", "停工年限", "Suspended for (years)", "停工满该年数", "full years suspended", 1, 10),
        Parameter("suspected_years", 2, "年", "疑似闲置：供地满年数", "Suspected: years since supply",
                  "无约定动工日期、供地满该年数", "no agreed start, supplied this many full years ago", 1, 10),
        Parameter("suspected_coverage", 0.05, "", "疑似闲置：建筑覆盖率低于", "Suspected: coverage below",
                  "建筑基底面积占地块面积比例低于该值", "building footprint share of the parcel below this", 0.0, 1.0),
        Parameter("underused_share", 0.5, "", "低效用地：实际/规划容积率低于", "Underused: actual/planned FAR below",
                  "实际容积率低于规划容积率的该比例", "actual FAR below this share of the planned FAR", 0.0, 1.0),
    ],
))
