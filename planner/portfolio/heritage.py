"""Heritage conflicts of the portfolio (HERITAGE_CONFLICT, declared by ``planner.analysis.heritage``).

The conflict is between a proposed project and heritage protection, so it is checked here, on
the projects, against the optional ``heritage`` layer (历史文化街区, 历史建筑, 文物保护单位, their
保护范围 and 建设控制地带; ``heritage.buffer_m`` around them):

- a project that demolishes or rebuilds inside a heritage area or on a historic building is a
  conflict: 原拆原建 of a D-grade building (one flag per such building of a 危旧房改造 project),
  低效用地再开发 (redevelopment), a 断头路打通 link (through buildings or through the area) and
  城中村改造; the flags go to ``flag_heritage`` of the run's results (so that the GeoPackage,
  workbook, map and flag panel show them by their declaration) with the project's id;
- any other project there (老旧小区改造, 加装电梯, 加固, facilities, pocket parks ...) carries a
  heritage note.

Projects gain ``heritage_ids`` (the heritage features they lie in or on) and
``heritage_conflict``, and their notes a part ``HERITAGE_CONFLICT ids`` or ``HERITAGE_NOTE ids``
(rule codes: the deliverables show them by their titles in either language).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:
    from pyproj import CRS

    from planner.catalogue import Catalogue
    from planner.portfolio.build import _Builder

# project type -> (what it does there, in Chinese and English, source layer of the flag)
DEMOLISHING = {
    "unsafe_housing": ("拟原拆原建D级危房", "would demolish and rebuild the dangerous (grade D) building", "buildings"),
    "underused_land": ("拟对低效用地拆除再开发", "would redevelop (demolish and rebuild) underused land", "parcels"),
    "road_link": ("拟打通道路（拆除沿线建筑、穿越保护范围）", "would build a road link through it", "roads"),
    "urban_village": ("拟拆除改造城中村", "would demolish and redevelop an urban village", "projects"),
}
BASIS_ZH = ("历史文化街区核心保护范围内不得新建、扩建，历史建筑不得拆除（《历史文化名城名镇名村保护条例》第二十八、"
            "三十三条），文物保护单位保护范围内不得进行其他建设工程（《文物保护法》）")
BASIS_EN = ("no new building in the core of a historic district and no demolition of historic buildings (Regulations on "
            "the Protection of Famous Historic Cities, Towns and Villages, arts. 28 and 33); no other construction in "
            "the protection range of a listed site (Cultural Relics Protection Law)")
FLAG_EXTRA = ["project_id", "heritage_ids"]


def _kind_words(heritage: gpd.GeoDataFrame, catalogue: Catalogue | None) -> tuple[np.ndarray, np.ndarray]:
    """Each heritage feature as '历史文化街区 HX01' / 'historic district HX01'."""
    ids = _ids(heritage)
    kinds = heritage["kind"].astype(object).where(heritage["kind"].notna(), None).to_numpy() if "kind" in heritage \
        else np.full(len(heritage), None, dtype=object)
    domain = getattr(catalogue, "domains", {}).get("heritage_kind") if catalogue is not None else None
    zh = np.array([(domain.title(k) if domain is not None and k else "保护对象") for k in kinds], dtype=object)
    en = np.array([(domain.title(k, "en").lower() if domain is not None and k else "heritage feature") for k in kinds],
                  dtype=object)
    return (pd.Series(zh, dtype="string") + " " + ids).to_numpy(dtype=object), \
        (pd.Series(en, dtype="string") + " " + ids).to_numpy(dtype=object)


def _ids(heritage: gpd.GeoDataFrame) -> pd.Series:
    if "heritage_id" in heritage:
        ids = heritage["heritage_id"].astype("string")
        missing = ids.isna() | (ids.str.strip() == "")
        return ids.where(~missing, "H" + pd.Series(np.arange(len(heritage)).astype(str), index=heritage.index))
    return pd.Series("H" + pd.Series(np.arange(len(heritage))).astype(str), dtype="string")


def _pairs(tree: shapely.STRtree, zones: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(geometry index, zone index) of every geometry inside or on a zone (sharing only an edge is
    not inside)."""
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    query = np.asarray(geoms, dtype=object).copy()
    query[~ok] = None
    gi, zi = tree.query(query, predicate="intersects")
    if len(gi):
        inside = ~shapely.touches(geoms[gi], zones[zi])
        gi, zi = gi[inside], zi[inside]
    return gi, zi


def _joined(values: np.ndarray, group: np.ndarray, n: int, sep: str = ",") -> np.ndarray:
    """The distinct values of each group 0..n-1 joined (sorted; "" for none)."""
    out = np.full(n, "", dtype=object)
    if len(group):
        s = pd.DataFrame({"g": group, "v": np.asarray(values, dtype=object)}).drop_duplicates().sort_values(["g", "v"])
        joined = s.groupby("g")["v"].agg(sep.join)
        out[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return out


def check_heritage(projects: gpd.GeoDataFrame, builder: _Builder) -> gpd.GeoDataFrame:
    """The projects with their heritage columns and notes; the conflicts into
    ``builder.result.flags["flag_heritage"]`` (only when a heritage layer is loaded)."""
    from planner.analysis.heritage import empty_heritage_flags as declared_empty
    from planner.analysis.runner import with_flag_ids

    # the heritage analysis declares the empty frame (that module is not strictly typed yet)
    empty_heritage_flags: Callable[[CRS | None], gpd.GeoDataFrame] = declared_empty

    heritage = builder.ws.frame("heritage")
    if heritage is None:
        return projects
    flags_out = getattr(builder.result, "flags", None)
    crs = builder.crs
    if len(heritage) == 0 or len(projects) == 0:
        if flags_out is not None:
            flags_out["flag_heritage"] = with_flag_ids(empty_heritage_flags(crs))
        return projects
    params = (getattr(builder.result, "parameters", {}) or {}).get("heritage", {}) or {}
    buffer = float(params.get("buffer_m", 0.0) or 0.0)
    zones = heritage.geometry.values
    zones = shapely.buffer(zones, buffer) if buffer > 0 else zones
    tree = shapely.STRtree(zones)
    zh_word, en_word = _kind_words(heritage, getattr(builder.ws, "catalogue", None))
    hid = _ids(heritage).to_numpy(dtype=object)

    p = projects.reset_index(drop=True)
    n = len(p)
    pg = p.geometry.values
    pi, zi = _pairs(tree, zones, pg)
    ids_of = _joined(hid[zi], pi, n)
    kind = p["type"].astype(str).to_numpy(dtype=object)
    conflict = np.zeros(n, dtype=bool)
    rows: list[dict[str, np.ndarray | pd.Series]] = []
    geoms: list[np.ndarray] = []
    pid = p["project_id"].astype(str).to_numpy(dtype=object)
    name = p["name"].astype(str).to_numpy(dtype=object) if "name" in p else np.full(n, "", dtype=object)
    flags = p["flags"].fillna("").astype(str) if "flags" in p else pd.Series([""] * n)

    # 原拆原建: the D-grade buildings of a 危旧房改造 project inside or on heritage, one flag each
    uh = np.unique(pi[kind[pi] == "unsafe_housing"])
    if len(uh) and builder.buildings is not None:
        tokens = flags.iloc[uh].str.split(",").explode()
        d = tokens[tokens.str.startswith("UNSAFE_D:")]
        if len(d):
            bid = d.str.slice(len("UNSAFE_D:")).to_numpy(dtype=object)
            owner = d.index.to_numpy()
            rows_b = builder.building_rows(bid)
            known = rows_b >= 0
            bid, owner, bgeom = bid[known], owner[known], builder.buildings.geometry.values[rows_b[known]]
            bi, bz = _pairs(tree, zones, bgeom)
            if len(bi):
                k = np.unique(bi)
                words_zh = _joined(zh_word[bz], bi, len(bid), "、")[k]
                words_en = _joined(en_word[bz], bi, len(bid), ", ")[k]
                hids = _joined(hid[bz], bi, len(bid))[k]
                o = owner[k]
                conflict[o] = True
                action_zh, action_en, _ = DEMOLISHING["unsafe_housing"]
                rows.append({"source_layer": np.full(len(k), "buildings", dtype=object), "source_id": bid[k],
                             "project_id": pid[o], "heritage_ids": hids,
                             "zh": pd.Series(action_zh + bid[k], dtype="string"),
                             "en": pd.Series(action_en + " " + bid[k], dtype="string"),
                             "where_zh": words_zh, "where_en": words_en})
                geoms.append(bgeom[k])
    # redevelopment, road links, urban villages: the project itself
    for t in ("underused_land", "road_link", "urban_village"):
        k = np.unique(pi[kind[pi] == t])
        if not len(k):
            continue
        conflict[k] = True
        action_zh, action_en, layer = DEMOLISHING[t]
        first = flags.iloc[k].str.split(",").str[0].fillna("")
        source = first.str.split(":", n=1).str[1].fillna("").to_numpy(dtype=object)
        if t == "underused_land" and "parcel_ids" in p:
            source = np.where(p["parcel_ids"].astype(str).to_numpy(dtype=object)[k] != "",
                              p["parcel_ids"].astype(str).to_numpy(dtype=object)[k], source)
        source = np.where(source == "", pid[k], source).astype(object)
        rows.append({"source_layer": np.full(len(k), layer, dtype=object), "source_id": source,
                     "project_id": pid[k], "heritage_ids": ids_of[k],
                     "zh": pd.Series([action_zh] * len(k), dtype="string"),
                     "en": pd.Series([action_en] * len(k), dtype="string"),
                     "where_zh": _joined(zh_word[zi], pi, n, "、")[k], "where_en": _joined(en_word[zi], pi, n, ", ")[k]})
        geoms.append(pg[k])

    if flags_out is not None:
        if rows:
            data = {c: np.concatenate([np.asarray(r[c], dtype=object) for r in rows])
                    for c in ("source_layer", "source_id", "project_id", "heritage_ids")}
            zh = pd.concat([r["zh"] for r in rows], ignore_index=True)
            en = pd.concat([r["en"] for r in rows], ignore_index=True)
            where_zh = pd.Series(np.concatenate([r["where_zh"] for r in rows]), dtype="string")
            where_en = pd.Series(np.concatenate([r["where_en"] for r in rows]), dtype="string")
            owner_name = pd.Series(name[pd.Index(pid).get_indexer(data["project_id"])], dtype="string")
            at = pd.Index(pid).get_indexer(data["project_id"])
            ptitle = pd.Series((p["type_title"] if "type_title" in p else p["type"]).astype(str).to_numpy(dtype=object)[at],
                               dtype="string")
            reason = (ptitle + "项目" + pd.Series(data["project_id"], dtype="string") + "（" + owner_name + "）" + zh
                      + "，位于" + where_zh + "范围内，与历史文化保护冲突：" + BASIS_ZH
                      + "；应避让，或改为保护修缮并报历史文化保护主管部门论证")
            reason_en = ("project " + pd.Series(data["project_id"], dtype="string") + " " + en + " inside " + where_en
                         + ": a conflict with heritage protection (" + BASIS_EN + "); avoid it, or repair and conserve "
                         "instead, subject to the heritage authority")
            frame = gpd.GeoDataFrame({
                "source_layer": data["source_layer"], "source_id": data["source_id"].astype(str),
                "code": "HERITAGE_CONFLICT", "severity": np.full(len(zh), 3, dtype="int64"),
                "reason": reason.to_numpy(dtype=object), "reason_en": reason_en.to_numpy(dtype=object),
                "project_id": data["project_id"], "heritage_ids": data["heritage_ids"],
            }, geometry=gpd.GeoSeries(np.concatenate(geoms), crs=crs), crs=crs)
            flags_out["flag_heritage"] = with_flag_ids(frame)
        else:
            flags_out["flag_heritage"] = with_flag_ids(empty_heritage_flags(crs))

    out = projects.copy()
    out["heritage_ids"] = ids_of
    out["heritage_conflict"] = conflict
    inside = ids_of != ""
    if inside.any():
        part = np.where(conflict, "HERITAGE_CONFLICT ", "HERITAGE_NOTE ").astype(object) + ids_of
        notes = out["notes"].fillna("").astype(str).to_numpy(dtype=object) if "notes" in out else np.full(n, "", object)
        out["notes"] = np.where(inside, np.where(notes != "", notes + "；" + part, part), notes)
    return out
