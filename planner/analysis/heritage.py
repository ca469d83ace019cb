"""Heritage and height controls (policy 十六, 十七).

Two analyses:

``heritage`` (optional ``heritage`` layer: 历史文化街区, 历史建筑, 文物保护单位 and their 保护范围 /
建设控制地带) declares the HERITAGE_CONFLICT flags and their parameters. The conflict is between a
*proposed project* and heritage protection, so it is found where the projects are: the portfolio
stage (``planner.portfolio.heritage``) checks every project against the heritage layer. A project
that demolishes or rebuilds (原拆原建 of a D-grade building, redevelopment of underused land, a road
link) inside a heritage area or on a historic building is a conflict flag; a renovation project
there (老旧小区改造, 加装电梯, 加固 ...) carries a heritage note. Basis: 《历史文化名城名镇名村保护条例》
(国务院令第524号) art. 28 (no new building in the core protection range of a historic district),
art. 33 (no demolition of historic buildings), art. 34 (projects avoid historic buildings);
《关于在城乡建设中加强历史文化保护传承的意见》(2021: 不大拆大建).

``height_controls`` flags TALL_BUILDING: a building above the height control. 住房和城乡建设部、
应急管理部《关于加强超高层建筑规划建设管理的通知》(建科〔2021〕76号): cities of under 3 million urban
residents strictly limit new buildings over 150 m and build none over 250 m; larger cities strictly
limit buildings over 250 m and build none over 500 m; 超高层住宅 are in general not to be built and
residential buildings over 80 m need the fire service's review (the residential limit is a
parameter, default 80 m). Heights come from the height field, else storeys x the floor height.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.analysis.common import make_flags
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
from planner.feedback import Feedback

# urban population (万人) from which the large-city limits apply (建科〔2021〕76号: 城区常住人口300万)
LARGE_CITY_10K = 300.0


def building_heights(buildings: gpd.GeoDataFrame, floor_height_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(height in m, estimated): the height field where it holds a positive number, else storeys x
    ``floor_height_m``; NaN where neither is known. ``estimated`` is True where storeys were used."""
    n = len(buildings)
    given = (pd.to_numeric(buildings["height"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
             if "height" in buildings else np.full(n, np.nan))
    floors = (pd.to_numeric(buildings["floors"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
              if "floors" in buildings else np.full(n, np.nan))
    has = np.isfinite(given) & (given > 0)
    from_floors = np.where(np.isfinite(floors) & (floors > 0), floors * float(floor_height_m), np.nan)
    height = np.where(has, given, from_floors)
    return height, ~has & np.isfinite(height)


def height_limits(params: dict[str, Any]) -> tuple[float, float, str]:
    """(strict limit, no-build limit, the city class in words) for the city's urban population."""
    pop = float(params["city_population_10k"])
    if pop >= LARGE_CITY_10K:
        return float(params["limit_large_city_m"]), float(params["ban_large_city_m"]), "large"
    return float(params["limit_small_city_m"]), float(params["ban_small_city_m"]), "small"


def _num(values: np.ndarray) -> pd.Series:
    """Heights as text: one decimal, without a trailing .0."""
    r = np.round(np.asarray(values, dtype=float), 1)
    return pd.Series(np.where(r % 1 == 0, r.astype(np.int64).astype(str), r.astype(str)), dtype="string")


def run_heights(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    b = inputs.layers["buildings"]
    out = AnalysisOutput()
    height, estimated = building_heights(b, params["floor_height_m"])
    limit, ban, size = height_limits(params)
    res_limit = float(params["residential_limit_m"])
    residential = b["use"].isin(set(params["residential_uses"])).to_numpy() if "use" in b else np.zeros(len(b), bool)
    known = np.isfinite(height)
    over_city = known & (height > limit)
    over_res = known & residential & (height > res_limit) & ~over_city
    m = over_city | over_res
    pop = float(params["city_population_10k"])
    city_zh = (f"城区常住人口{pop:g}万，" if pop > 0 else "城区常住人口未给出，按") + \
        ("300万以上城市" if size == "large" else "300万以下城市")
    city_en = (f"urban population {pop * 1e4:,.0f}" if pop > 0 else "urban population not given (taken as under 3 million)")
    h = _num(height[m])
    how_zh = pd.Series(np.where(estimated[m], "（按层数×" + f"{params['floor_height_m']:g}" + " m估算）", ""), dtype="string")
    how_en = pd.Series(np.where(estimated[m], f" (storeys x {params['floor_height_m']:g} m)", ""), dtype="string")
    city_rule = over_city[m]
    banned = (height[m] > ban)
    zh = np.where(city_rule,
                  ("建筑高度" + h + " m" + how_zh + "，超过" + f"{limit:g}" + " m超高层建筑控制高度（" + city_zh + "；"
                   + pd.Series(np.where(banned, f"超过{ban:g} m为不得新建", f"应严格限制新建{limit:g} m以上"), dtype="string")
                   + "，建科〔2021〕76号），纳入城市体检").to_numpy(dtype=object),
                  ("住宅建筑高度" + h + " m" + how_zh + "，超过" + f"{res_limit:g}" +
                   " m住宅高度控制（一般不得新建超高层住宅，80 m以上住宅须经消防论证，建科〔2021〕76号），纳入城市体检")
                  .to_numpy(dtype=object))
    en = np.where(city_rule,
                  ("building " + h + " m high" + how_en + f", above the {limit:g} m super-tall control ({city_en}; "
                   + pd.Series(np.where(banned, f"none over {ban:g} m may be built", f"new buildings over {limit:g} m "
                                        "strictly limited"), dtype="string")
                   + ", notice Jianke [2021] 76): for the city examination").to_numpy(dtype=object),
                  ("residential building " + h + " m high" + how_en + f", above the {res_limit:g} m residential "
                   "height control (super-tall housing in general not to be built; over 80 m needs the fire service's "
                   "review, notice Jianke [2021] 76): for the city examination").to_numpy(dtype=object))
    out.flags["flag_tall_building"] = make_flags(
        b, m, source_layer="buildings", id_field="building_id", code="TALL_BUILDING",
        severity=np.where(banned, 3, 2), reason=zh.tolist(), reason_en=en.tolist(),
        extra={"height_m": np.round(height[m], 1), "height_limit_m": np.where(city_rule, limit, res_limit),
               "height_estimated": estimated[m]})
    n_unknown = int((~known).sum())
    out.shared["building_height"] = height
    out.messages.append(f"height controls: {int(over_city.sum())} buildings above {limit:g} m, "
                        f"{int(over_res.sum())} residential buildings above {res_limit:g} m"
                        + (f"; {n_unknown} buildings have neither a height nor storeys" if n_unknown else ""))
    return out


def run_heritage(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    """The heritage layer checked and counted; the conflicts are found on the projects (the
    portfolio stage writes ``flag_heritage``, see :mod:`planner.portfolio.heritage`)."""
    h = inputs.layers["heritage"]
    out = AnalysisOutput()
    kinds = h["kind"].fillna("unknown").astype(str).value_counts().to_dict() if "kind" in h else {}
    out.messages.append(f"heritage: {len(h)} protected areas and buildings ({', '.join(f'{k} {v}' for k, v in kinds.items())}); "
                        "projects that demolish or rebuild in them are HERITAGE_CONFLICT flags of the portfolio")
    if "kind" in h and h["kind"].isna().any():
        out.messages.append(f"heritage: {int(h['kind'].isna().sum())} features have no known kind; they count as "
                            "protected areas")
    return out


HERITAGE_FIELDS = ("project_id", "heritage_ids")
HERITAGE_ALIASES = (("heritage_ids", "历史文化保护对象", "Heritage ids"),
                    ("heritage_conflict", "历史文化保护冲突", "Heritage conflict"),
                    ("seismic_intensity", "抗震设防烈度", "Seismic intensity"))

register(Analysis(
    id="heritage",
    title="历史文化保护",
    title_en="Heritage protection",
    run=run_heritage,
    requires={"heritage": []},
    optional={"heritage": ["kind", "level", "name"]},
    codes=("HERITAGE_CONFLICT",),
    outputs=(FlagLayer("flag_heritage", "MultiPolygon", "历史文化保护冲突", "Heritage conflicts",
                       fields=HERITAGE_FIELDS, popup=("flag_id", "code", "reason", "project_id", "heritage_ids"),
                       aliases=HERITAGE_ALIASES, visible=True),),
    rules=(RuleCode("HERITAGE_CONFLICT", "历史文化保护冲突", "Heritage conflict", "#8C510A", 3),
           RuleCode("HERITAGE_NOTE", "历史文化保护提示", "Heritage note", "#E7D4E8", 1)),
    basis="《历史文化名城名镇名村保护条例》第二十八、三十三、三十四条；《关于在城乡建设中加强历史文化保护传承的意见》（2021）",
    order=85,
    parameters=[
        Parameter("buffer_m", 0.0, "m", "保护对象外扩距离", "Distance around heritage",
                  "项目距保护对象不超过该距离即视为位于其中（0为仅限范围内；无建设控制地带图层时可按当地规定设置）",
                  "a project within this distance of a heritage feature counts as inside it (0: inside only; set "
                  "the local construction-control distance when the layer has no control zones)", 0.0, 500.0),
    ],
))

register(Analysis(
    id="height_controls",
    title="建筑高度管控",
    title_en="Building height controls",
    run=run_heights,
    requires={"buildings": []},
    optional={"buildings": ["height", "floors", "use"]},
    codes=("TALL_BUILDING",),
    outputs=(FlagLayer("flag_tall_building", "MultiPolygon", "超高建筑", "Buildings above the height controls",
                       fields=("height_m", "height_limit_m", "height_estimated"),
                       popup=("flag_id", "code", "reason", "height_m", "height_limit_m"),
                       aliases=(("height_m", "建筑高度（m）", "Height (m)"),
                                ("height_limit_m", "控制高度（m）", "Height limit (m)"),
                                ("height_estimated", "按层数估算", "Estimated from storeys")),
                       visible=True),),
    rules=(RuleCode("TALL_BUILDING", "超高建筑", "Above the height control", "#117733", 2),),
    products=(Product("building_height", "per_building", "height in m (the height field, else storeys x floor height)"),),
    basis="住房和城乡建设部 应急管理部《关于加强超高层建筑规划建设管理的通知》（建科〔2021〕76号）",
    order=26,
    parameters=[
        Parameter("city_population_10k", 0.0, "万人", "城区常住人口", "Urban population",
                  "城区常住人口（万人）：300万以下城市控制150 m、不得超过250 m，300万以上控制250 m、不得超过500 m"
                  "（0为未给出，按300万以下；内蒙古各城市均在300万以下）",
                  "urban resident population in units of 10,000: under 300 (3 million) the limits are 150 m and "
                  "250 m, from 300 on 250 m and 500 m (0: not given, taken as under 3 million, as every city of "
                  "Inner Mongolia)", 0.0, 5000.0),
        Parameter("limit_small_city_m", 150.0, "m", "控制高度（300万以下城市）", "Height control, cities under 3 million",
                  "严格限制新建该高度以上的超高层建筑", "new buildings above this strictly limited", 24.0, 1000.0),
        Parameter("ban_small_city_m", 250.0, "m", "不得超过（300万以下城市）", "No building above, cities under 3 million",
                  "不得新建该高度以上的建筑", "no new building above this", 24.0, 1000.0),
        Parameter("limit_large_city_m", 250.0, "m", "控制高度（300万以上城市）", "Height control, cities of 3 million or more",
                  "严格限制新建该高度以上的超高层建筑", "new buildings above this strictly limited", 24.0, 1000.0),
        Parameter("ban_large_city_m", 500.0, "m", "不得超过（300万以上城市）", "No building above, cities of 3 million or more",
                  "不得新建该高度以上的建筑", "no new building above this", 24.0, 2000.0),
        Parameter("residential_limit_m", 80.0, "m", "住宅控制高度", "Residential height control",
                  "住宅建筑高度超过该值标记（一般不得新建超高层住宅；80 m以上住宅须经消防论证）",
                  "residential buildings above this are flagged (super-tall housing in general not to be built; "
                  "over 80 m needs the fire service's review)", 10.0, 500.0),
        Parameter("floor_height_m", 3.0, "m", "层高（无高度字段时）", "Storey height (no height field)",
                  "无建筑高度时按层数×层高估算", "height estimated as storeys x this where no height is given", 2.0, 10.0),
        Parameter("residential_uses", ["residential", "mixed"], "", "住宅用途", "Residential uses",
                  "按住宅控制高度判定的建筑用途", "building uses held to the residential height control"),
    ],
))


def empty_heritage_flags(crs: Any) -> gpd.GeoDataFrame:
    """An empty ``flag_heritage`` frame with its columns."""
    return empty_flags(crs, {"project_id": "object", "heritage_ids": "object"})
