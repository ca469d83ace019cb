"""Generate the sample city (deterministic): a synthetic district near Baotou, Inner Mongolia.

Everything here is invented; only the location is real. The layers mix the formats and
field-name styles planners send us, so the demo exercises every reader:

- parcels/地块.shp   GBK shapefile with Chinese field names, no .cpg and no .prj, CGCS2000 GK
                     zone 37 *with* the zone prefix in the easting (the CRS must be guessed)
- city.gpkg          layer ``buildings`` (pinyin field codes, EPSG:4546) and ``districts``
                     (EPSG:4490)
- roads.geojson      WGS 84 lon/lat, English field names, Chinese values
- facilities.csv     GBK CSV with 经度/纬度 in GCJ-02 (as copied from a web map)
- dem.tif            DEM GeoTIFF (about 5 m) in CGCS2000 geographic with planted hollows

The road network carries planted defects: dead-end stubs, a broken street (a gap), T-junctions
without a shared vertex, near-miss ends (0.5 m and 3 m short), a planned link and streets that
run out to the study-area edge. The planted land cases are listed in PLANTED below.

Run: python sample_data/make_sample_city.py
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_bounds

# Fixed GeoPackage timestamps, so that the same script writes the same bytes.
os.environ.setdefault("OGR_CURRENT_DATE", "2026-06-30T00:00:00Z")
HERE = Path(__file__).resolve().parent
WORK_EPSG = 4546                       # CGCS2000 / 3-degree GK CM 111E
CENTRE_LONLAT = (109.835, 40.655)      # Kundulun district, Baotou
W, H = 2400.0, 2000.0                  # study area, metres
ART_X = [0.0, 800.0, 1600.0, 2400.0]   # arterials (N-S)
ART_Y = [0.0, 1000.0, 2000.0]          # arterials (E-W)
LOC_X = [200.0, 400.0, 600.0, 1000.0, 1200.0, 1400.0, 1800.0, 2000.0, 2200.0]
LOC_Y = [250.0, 500.0, 750.0, 1250.0, 1500.0, 1750.0]
COMPOUND_NAMES = [
    "钢铁小区", "阿尔丁小区", "友谊小区", "青山小区", "少先小区", "团结小区", "富强小区", "文化小区",
    "幸福小区", "和平小区", "光明小区", "民主小区", "昆河小区", "鹿城小区", "工业小区", "华联小区",
    "建设小区", "胜利小区", "向阳小区", "康乐小区", "新华小区", "长青小区", "朝阳小区", "春光小区",
]
ROAD_NAMES_NS = ["钢铁大街", "阿尔丁大街", "少先路", "林荫路", "文化路", "友谊大街", "民族东路", "昆河路",
                 "青年路", "健康路", "包钢路", "白云路", "明德路"]
ROAD_NAMES_EW = ["建设路", "团结大街", "青山路", "富强路", "幸福路", "和平路", "光明路", "民主路", "胜利路"]


def _origin() -> tuple[float, float]:
    t = Transformer.from_crs(4490, WORK_EPSG, always_xy=True)
    cx, cy = t.transform(*CENTRE_LONLAT)
    return round(cx - W / 2, 0), round(cy - H / 2, 0)


OX, OY = _origin()


def P(x: float, y: float) -> tuple[float, float]:
    return (OX + x, OY + y)


# roads --------------------------------------------------------------------------------------
def make_roads() -> gpd.GeoDataFrame:
    rows: list[dict] = []

    def add(coords, name, cls, status="现状"):
        rows.append({"name": name, "class": cls, "status": status,
                     "geometry": shapely.LineString([P(*c) for c in coords])})

    # Arterials: one straight line each, with no vertex where local streets meet them
    # (T-junctions without a shared vertex). They run 40 m past the study area: boundary ends.
    for i, x in enumerate(ART_X):
        add([(x, -40), (x, H + 40)], ROAD_NAMES_NS[i], "主干路")
    for j, y in enumerate(ART_Y):
        add([(-40, y), (W + 40, y)], ROAD_NAMES_EW[j], "次干路" if j == 1 else "主干路")

    gap_x, gap_span = 1000.0, (1250.0, 1500.0)       # broken street: a planted gap
    stub_skip = {(600.0, (750.0, 1000.0)), (1400.0, (750.0, 1000.0))}  # replaced by near-miss streets below
    # Local streets, one line per block side, meeting each other at shared vertices.
    for x in LOC_X:
        ys = sorted(set(ART_Y + LOC_Y))
        for a, b in zip(ys[:-1], ys[1:], strict=True):
            if (x, (a, b)) in stub_skip:
                continue
            name = ROAD_NAMES_NS[4 + LOC_X.index(x) % 9]
            if x == gap_x and (a, b) == gap_span:
                add([(x, a), (x, a + 80)], name, "支路")          # dead end at y=1330
                add([(x, b - 70), (x, b)], name, "支路")          # dead end at y=1430: 100 m gap
                continue
            add([(x, a), (x, b)], name, "支路")
    for y in LOC_Y:
        xs = sorted(set(ART_X + LOC_X))
        for a, b in zip(xs[:-1], xs[1:], strict=True):
            add([(a, y), (b, y)], ROAD_NAMES_EW[3 + LOC_Y.index(y) % 6], "支路")

    # Near-miss ends: a street that stops 0.5 m short of the arterial (connected within the 1 m
    # snapping tolerance) and its neighbour that stops 3 m short (a dead end, a 3 m gap).
    add([(600, 750), (600, 999.5)], "林荫路", "支路")
    add([(1400, 750), (1400, 997)], "明德路", "支路")
    # Cul-de-sacs into blocks (dead ends that are gaps: the next street is close, the detour long).
    add([(200, 1250), (300, 1250 + 0.0)], "幸福里", "支路")  # overlaps nothing: local street runs along
    add([(1200, 300), (1300, 300)], "团结巷", "支路")        # 100 m stub, end 100 m from x=1400
    add([(2000, 1600), (2090, 1600)], "青年巷", "支路")      # 90 m stub, 110 m from x=2200
    # A driveway bending back toward its own access road: a dead end, not a gap (the detour to
    # every road within 150 m is short).
    add([(1800, 530), (1830, 530), (1830, 540)], "康乐巷", "支路")
    # A footpath dead end (class excluded from dead-end flags by default).
    add([(400, 1600), (470, 1600)], "步行道", "步行道")
    # A planned link through the block between two stubs: reported as PLANNED_UNBUILT.
    add([(2200, 600), (2260, 600)], "规划一路", "支路")
    add([(2340, 600), (2400, 600)], "规划一路", "支路")
    add([(2260, 600), (2340, 600)], "规划一路", "支路", status="规划")
    frame = gpd.GeoDataFrame(rows, crs=WORK_EPSG)
    frame.insert(0, "id", [f"R{i + 1:04d}" for i in range(len(frame))])
    return frame


# blocks, parcels, buildings -------------------------------------------------------------
def blocks() -> list[tuple[float, float, float, float]]:
    xs = sorted(set(ART_X + LOC_X))
    ys = sorted(set(ART_Y + LOC_Y))
    out = []
    for x0, x1 in zip(xs[:-1], xs[1:], strict=True):
        for y0, y1 in zip(ys[:-1], ys[1:], strict=True):
            out.append((x0 + 12, y0 + 12, x1 - 12, y1 - 12))
    return out


PLANTED = {
    # block index -> parcel kind
    5: "idle_2y", 17: "idle_2y_gov", 29: "idle_1y", 41: "stalled", 53: "suspected",
    65: "approved_not_supplied", 77: "underused", 89: "reserve", 11: "idle_exact_1y", 23: "idle_1y_short",
}
DATE_STYLES = ["%Y-%m-%d", "{y}/{m}/{d}", "{y}年{m}月{d}日", "%Y%m%d"]


def fmt_date(ts: pd.Timestamp | None, style: int) -> str:
    if ts is None:
        return ""
    s = DATE_STYLES[style % len(DATE_STYLES)]
    if "{" in s:
        return s.format(y=ts.year, m=ts.month, d=ts.day)
    return ts.strftime(s)


def make_parcels_and_buildings(rng: np.random.Generator):
    parcels, buildings = [], []
    residential_codes = ["R2", "0701", "城镇住宅用地", "R2", "R1"]
    for bi, (x0, y0, x1, y1) in enumerate(blocks()):
        kind = PLANTED.get(bi, "built")
        use_roll = rng.random()
        if kind == "built":
            land_use = residential_codes[bi % 5] if use_roll < 0.72 else (
                "B1" if use_roll < 0.82 else ("M1" if use_roll < 0.9 else ("A33" if use_roll < 0.95 else "0901")))
        else:
            land_use = ["R2", "B1", "M1", "0701", "1001"][bi % 5]
        poly = shapely.box(*P(x0, y0), *P(x1, y1))
        pid = f"DK{bi + 1:04d}"
        style = bi
        rec = {"地块编号": pid, "用地性质": land_use, "土地状态": "已建", "供地方式": "出让",
               "供地日期": "", "YDDGRQ": "", "SJDGRQ": "", "开发比例": "",
               "已投资比例": "", "停工日期": "", "闲置原因": "", "规划容积率": 2.0, "面积": round(poly.area, 1)}
        supply = pd.Timestamp(2005 + bi % 12, 1 + bi % 12, 1 + bi % 27)
        rec["供地日期"] = fmt_date(supply, style)
        rec["YDDGRQ"] = fmt_date(supply + pd.Timedelta(days=180), style + 1)
        rec["SJDGRQ"] = fmt_date(supply + pd.Timedelta(days=300), style + 2)
        rec["开发比例"] = "100%"
        rec["已投资比例"] = "1"
        build = True
        if kind in {"idle_2y", "idle_2y_gov"}:
            rec.update({"土地状态": "已供", "供地日期": "2022/9/1", "YDDGRQ": "2023-03-01",
                        "SJDGRQ": "", "开发比例": "0", "已投资比例": "0"})
            if kind == "idle_2y_gov":
                rec["闲置原因"] = "政府原因"
                rec["供地方式"] = "划拨"
            build = False
        elif kind == "idle_1y":
            rec.update({"土地状态": "已供", "供地日期": "2024年11月20日", "YDDGRQ": "2025年5月1日",
                        "SJDGRQ": "", "开发比例": "", "已投资比例": ""})
            build = False
        elif kind == "idle_exact_1y":    # exactly one full year at the sample's as-of date 2026-06-30
            rec.update({"土地状态": "已供", "供地日期": "20250101", "YDDGRQ": "20250630",
                        "SJDGRQ": "", "开发比例": "", "已投资比例": ""})
            build = False
        elif kind == "idle_1y_short":    # one day short of a full year
            rec.update({"土地状态": "已供", "供地日期": "2025-01-01", "YDDGRQ": "2025-07-01",
                        "SJDGRQ": "", "开发比例": "", "已投资比例": ""})
            build = False
        elif kind == "stalled":
            rec.update({"土地状态": "已供", "YDDGRQ": "2019/5/1", "SJDGRQ": "2019/6/15",
                        "开发比例": "20%", "已投资比例": "15%", "停工日期": "2024-02-01"})
            build = False
        elif kind == "suspected":
            rec.update({"土地状态": "已供", "供地日期": "2021-04-10", "YDDGRQ": "", "SJDGRQ": "",
                        "开发比例": "", "已投资比例": ""})
            build = False
        elif kind == "approved_not_supplied":
            rec.update({"土地状态": "批而未供", "供地方式": "", "供地日期": "", "YDDGRQ": "",
                        "SJDGRQ": "", "开发比例": "", "已投资比例": ""})
            build = False
        elif kind == "reserve":
            rec.update({"土地状态": "储备", "供地方式": "", "供地日期": "", "YDDGRQ": "",
                        "SJDGRQ": "", "开发比例": "", "已投资比例": ""})
            build = False
        elif kind == "underused":
            rec.update({"规划容积率": 3.0, "用地性质": "B1"})
        parcels.append({**rec, "geometry": poly})
        if not build:
            continue
        code = str(rec["用地性质"])
        residential = code.startswith(("R", "07")) or "住宅" in code
        n_round = bi // len(COMPOUND_NAMES)
        compound = (COMPOUND_NAMES[bi % len(COMPOUND_NAMES)].replace("小区", "") +
                    ("小区" if n_round == 0 else f"{'二三四五'[n_round - 1]}区")) if residential else ""
        if kind == "underused":      # one small low building on a big commercial parcel
            buildings.append(_building(P(x0 + 20, y0 + 20), 30, 20, "商业", 1, 2008, rng, "", pid))
            continue
        if residential:
            era = rng.choice([1978, 1985, 1992, 1998, 2003, 2010, 2016])
            bw, bh, gap = 55.0, 12.0, 26.0
            for cx in np.arange(x0 + 8, x1 - bw, bw + 12):
                for cy in np.arange(y0 + 8, y1 - bh, bh + gap):
                    year = int(era + rng.integers(-2, 3))
                    floors = int(rng.choice([3, 5, 6, 6, 7, 11, 18] if era > 2000 else [3, 4, 5, 6, 6, 7]))
                    buildings.append(_building(P(cx, cy), bw, bh, "住宅", floors, year, rng, compound, pid))
        else:
            use = {"B": "商业", "M": "工业", "A": "公共服务", "09": "办公"}
            u = next((v for k, v in use.items() if code.startswith(k)), "商业")
            for cx in np.arange(x0 + 15, x1 - 45, 70):
                buildings.append(_building(P(cx, y0 + 30), 45, 30, u, int(rng.choice([2, 4, 8, 12])),
                                           int(rng.choice([1995, 2005, 2012])), rng, "", pid))
    return parcels, buildings


def _building(xy, w, h, use, floors, year, rng, compound, parcel_id) -> dict:
    x, y = xy
    geom = shapely.box(x, y, x + w, y + h)
    residential = use == "住宅"
    return {
        "use": use, "floors": floors, "year": year, "compound": compound, "parcel": parcel_id,
        "households": int(w * h * floors / 90) if residential else 0,
        "elevator": floors >= 7 or (year >= 2005 and floors >= 4 and rng.random() < 0.6),
        "grade": rng.choice(["A", "B", "B", "C", "D"], p=[0.45, 0.35, 0.1, 0.07, 0.03]) if year < 2000 else
        rng.choice(["A", "B"]),
        "structure": ("预制板" if year < 1990 and rng.random() < 0.5 else "砖混") if year < 2000 else
        rng.choice(["框架", "钢混"]),
        "vacancy": round(float(rng.uniform(0.1, 0.8)), 2) if use in {"办公", "商业"} else None,
        "geometry": geom,
    }


def style_buildings(raw: list[dict], rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Messy real-world spellings: years as 1987 / "1987年" / "1980年代", storeys as 6 / 6F / 6层."""
    out = []
    for i, b in enumerate(raw):
        y = b["year"]
        year_text = [str(y), f"{y}年", f"{y // 10 * 10}年代" if y < 2000 else str(y)][i % 3]
        floors_text = [str(b["floors"]), f"{b['floors']}F", f"{b['floors']}层"][i % 3]
        elev = (["有", "Y", "是", "1"] if b["elevator"] else ["无", "N", "否", "0"])[i % 4]
        out.append({
            "JZBH": f"JZ{i + 1:05d}", "JCND": year_text, "CS": floors_text, "JZYT": b["use"],
            "有无电梯": elev, "鉴定等级": f"{b['grade']}级" if i % 2 else b["grade"], "JG": b["structure"],
            "HS": b["households"], "JZMJ": round(b["geometry"].area * b["floors"], 1), "XQMC": b["compound"],
            "空置率": "" if b["vacancy"] is None else (f"{int(b['vacancy'] * 100)}%" if i % 2 else str(b["vacancy"])),
            "所属地块": b["parcel"], "geometry": b["geometry"],
        })
    frame = gpd.GeoDataFrame(out, crs=WORK_EPSG)
    # Plant an idle office tower and a invalid (self-intersecting) footprint to be repaired.
    offices = frame.index[frame["JZYT"] == "办公"]
    if len(offices):
        frame.loc[offices[0], "空置率"] = "65%"
    bow = frame.geometry.iloc[-1].bounds
    frame.loc[frame.index[-1], "geometry"] = shapely.Polygon(
        [(bow[0], bow[1]), (bow[2], bow[3]), (bow[2], bow[1]), (bow[0], bow[3]), (bow[0], bow[1])])
    return frame


FACILITY_COUNTS = {
    "幼儿园": 10, "托育": 5, "小学": 5, "初中": 2, "社区卫生服务站": 5, "社区卫生服务中心": 1, "菜市场": 4,
    "便利店": 24, "日间照料中心": 4, "社区服务站": 8, "健身设施": 10, "口袋公园": 4, "文化活动站": 2,
}


def transport_and_safety_facilities() -> list[tuple[str, float, float]]:
    """Bus stops, public car parks, charging stations, emergency shelters and a fire station
    (type, x, y), placed by hand at street fronts with planted gaps (issue 15): no bus stop
    within 500 m of the north-east, car parks (every 400-500 m) and chargers in the west only, shelters thin in
    the east, and one fire station on the west edge whose 3 km driving reach misses the far
    east corners."""
    bus = [(400, 14), (1100, 14), (200, 1014), (700, 1014), (1200, 1014), (814, 300), (814, 1500),
           (14, 600), (14, 1500), (1614, 500), (1614, 1300), (300, 1986), (1000, 1986)]
    parking = [(x, y) for x in (200, 600, 1000, 1400) for y in (264, 764, 1264, 1764)]
    charging = [(786, 514), (1186, 1514), (386, 1014)]
    shelter = [(300, 764), (1100, 264), (1300, 1764)]
    fire = [(14, 1014)]
    return ([("公交站", x, y) for x, y in bus] + [("公共停车场", x, y) for x, y in parking]
            + [("充电站", x, y) for x, y in charging] + [("应急避难场所", x, y) for x, y in shelter]
            + [("消防站", x, y) for x, y in fire])


def carve_pocket_park_sites(parcels: list[dict], raw_buildings: list[dict]) -> list[dict]:
    """Leftover corners (边角地, issue 15): the empty north-east 60 m x 60 m corner of the first
    three commercial or industrial blocks east of x = 1200 becomes a reserve parcel of 3,600 m²
    of its own (a pocket-park site where no park is within 500 m); the block keeps the rest."""
    built_on = {b["parcel"] for b in raw_buildings}
    out, n = [], 0
    for rec in parcels:
        x0, y0, x1, y1 = rec["geometry"].bounds
        if (n < 3 and rec["土地状态"] == "已建" and str(rec["用地性质"]).startswith(("B", "M")) and x0 > OX + 1200
                and rec["地块编号"] in built_on):
            corner = shapely.box(x1 - 60, y1 - 60, x1, y1)
            n += 1
            out.append({**rec, "geometry": shapely.difference(rec["geometry"], corner),
                        "面积": round(rec["geometry"].area - corner.area, 1)})
            out.append({**{k: "" for k in rec}, "地块编号": f"DK{900 + n:04d}", "用地性质": rec["用地性质"],
                        "土地状态": "储备", "规划容积率": 0.0, "面积": round(corner.area, 1), "geometry": corner})
            continue
        out.append(rec)
    return out


def make_facilities(rng: np.random.Generator) -> pd.DataFrame:
    """Facilities spread over the district by stratified sampling; the east side is thinner
    (each eastern slot is dropped with probability 0.35), so the gaps are where planners
    would expect them."""
    rows = []
    ys = sorted(set(ART_Y + LOC_Y))
    n = 0
    for ftype, count in FACILITY_COUNTS.items():
        cols = int(np.ceil(np.sqrt(count * W / H)))
        rws = int(np.ceil(count / cols))
        slots = [(c, r) for r in range(rws) for c in range(cols)][:count]
        for k, (c, r) in enumerate(slots):
            x = (c + float(rng.uniform(0.15, 0.85))) * W / cols
            if x > W / 2 and rng.random() < 0.35:
                continue
            y_band = (r + float(rng.uniform(0.1, 0.9))) * H / rws
            y = float(max(v for v in ys if v <= y_band)) + 14.0  # at a street front
            n += 1
            rows.append({"设施编号": f"SS{n:03d}", "设施名称": f"{ftype}{k + 1}号", "设施类型": ftype,
                         "x": x, "y": y})
    numbers: dict[str, int] = {}
    for ftype, x, y in transport_and_safety_facilities():
        n += 1
        numbers[ftype] = numbers.get(ftype, 0) + 1
        rows.append({"设施编号": f"SS{n:03d}", "设施名称": f"{ftype}{numbers[ftype]}号", "设施类型": ftype, "x": x, "y": y})
    frame = pd.DataFrame(rows)
    to_deg = Transformer.from_crs(WORK_EPSG, 4326, always_xy=True)
    lon, lat = to_deg.transform(OX + frame["x"].to_numpy(), OY + frame["y"].to_numpy())
    from planner.crs import wgs84_to_gcj02

    glon, glat = wgs84_to_gcj02(lon, lat)
    frame["经度"] = np.round(glon, 7)
    frame["纬度"] = np.round(glat, 7)
    return frame.drop(columns=["x", "y"])


def make_districts() -> gpd.GeoDataFrame:
    west = shapely.box(*P(-40, -40), *P(1200, H + 40))
    east = shapely.box(*P(1200, -40), *P(W + 40, H + 40))
    frame = gpd.GeoDataFrame({"名称": ["少先路街道（示例）", "友谊大街街道（示例）"], "XZQDM": ["150203001", "150203002"]},
                             geometry=[west, east], crs=WORK_EPSG)
    return frame.to_crs(4490)


# Planted hollows of the DEM (local metres): centre x, y, radius, depth (m), what it shows.
DEM_HOLLOWS = [
    (560.0, 720.0, 50.0, 0.8, "deep, at a street corner by two homes: waterlogging, severe by depth"),
    (300.0, 1120.0, 60.0, 0.4, "between eight homes of a compound, no road: severe by the homes it touches"),
    (1100.0, 500.0, 30.0, 0.4, "on a local street: waterlogging, severity 2"),
    (1500.0, 1250.0, 40.0, 0.2, "decoy: too shallow (0.2 m), on a street by homes"),
    (1800.0, 1375.0, 7.0, 0.6, "decoy: too small (about 150 m²), on a street"),
    (-100.0, 900.0, 130.0, 1.0, "decoy: open to the DEM's west edge, over an arterial"),
    (100.0, 1375.0, 50.0, 0.7, "decoy: inside an idle parcel, touching no road and no home"),
    (2100.0, 1270.0, 45.0, 0.9, "decoy: its bottom is nodata (a masked pond), so it drains; over a street"),
]
DEM_NODATA = (2085.0, 1255.0, 2115.0, 1285.0)   # a masked pond (nodata) at the last hollow's bottom


def make_dem(path: Path) -> None:
    """DEM in CGCS2000 geographic at about 5 m: a slope rising to the north with gentle waves
    (no closed hollow of its own) and the planted hollows of DEM_HOLLOWS, each a flat-bottomed
    bowl whose spill level is the lowest point of its rim, so its depth is the planted one."""
    to_deg = Transformer.from_crs(WORK_EPSG, 4490, always_xy=True)
    to_work = Transformer.from_crs(4490, WORK_EPSG, always_xy=True)
    lon0, lat0 = to_deg.transform(OX - 100, OY - 100)
    lon1, lat1 = to_deg.transform(OX + W + 100, OY + H + 100)
    nx, ny = int(round((W + 200) / 5)), int(round((H + 200) / 5))
    transform = from_bounds(lon0, lat0, lon1, lat1, nx, ny)
    cols, rows = np.meshgrid(np.arange(nx) + 0.5, np.arange(ny) + 0.5)
    lon, lat = rasterio.transform.xy(transform, rows.ravel(), cols.ravel(), offset="ul")
    x, y = to_work.transform(np.asarray(lon), np.asarray(lat))
    x = (np.asarray(x) - OX).reshape(ny, nx)
    y = (np.asarray(y) - OY).reshape(ny, nx)

    def base(x, y):
        u, v = (x + 100) / (W + 200), (y + 100) / (H + 200)
        return 1040 + 25 * v + 6 * np.sin(u * 6) * np.cos(v * 4)

    dem = base(x, y)
    angle = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    for cx, cy, radius, depth, _ in DEM_HOLLOWS:
        spill = float(base(cx + radius * np.cos(angle), cy + radius * np.sin(angle)).min())
        r = np.hypot(x - cx, y - cy)
        t = np.clip((radius - r) / (0.6 * radius), 0, 1)          # 0 at the rim, 1 on the flat bottom
        inside = r < radius
        dem = np.where(inside, np.minimum(dem, spill - depth * t * t * (3 - 2 * t)), dem)
    dem = np.round(dem, 2).astype("float32")
    x0, y0, x1, y1 = DEM_NODATA
    dem[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)] = -9999.0
    with rasterio.open(path, "w", driver="GTiff", width=nx, height=ny, count=1, dtype="float32",
                       crs="EPSG:4490", transform=transform, nodata=-9999.0, compress="deflate", predictor=3) as ds:
        ds.write(dem, 1)


def heritage_and_heights(buildings: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Heritage and tall buildings (issue 15): the buildings with a 建筑高度 column for a few towers
    (a 45-storey, 168 m commercial tower: above the 150 m control of a city under 3 million; a
    33-storey 99 m and a 28-storey residential building without a height, 28 x 3 = 84 m: above
    80 m; a 26-storey one, 78 m, stays under), and a heritage layer (EPSG:4490, Chinese field
    names): a historic district over the broken street at x = 1000 (the proposed link runs through
    it), a historic district over the first compound west of x = 1200 with a D-grade building (its
    原拆原建 conflicts, its renovation carries a note) and a historic building on the underused
    parcel (its redevelopment conflicts)."""
    b = buildings.copy()
    b["建筑高度"] = np.nan
    cx = b.geometry.centroid.x.to_numpy() - OX
    storeys = b["CS"].str.extract(r"(\d+)")[0].astype(float).to_numpy()
    tower = np.flatnonzero((b["JZYT"] == "商业").to_numpy() & (cx > 1200))[0]
    b.loc[b.index[tower], ["CS", "建筑高度"]] = ["45层", 168.0]
    high = np.flatnonzero((b["JZYT"] == "住宅").to_numpy() & (storeys == 18))
    for i, (floors, height) in zip(high[:3], (("33层", 99.0), ("28", np.nan), ("26F", np.nan)), strict=False):
        b.loc[b.index[i], ["CS", "建筑高度"]] = [floors, height]
    grade = b["鉴定等级"].astype(str).str[0].to_numpy()
    west_d = np.flatnonzero((b["JZYT"] == "住宅").to_numpy() & (grade == "D") & (cx < 800))
    compound = b["XQMC"].iloc[west_d[0]]
    old_town = shapely.buffer(shapely.envelope(shapely.union_all(b.geometry[b["XQMC"] == compound].to_numpy())), 6)
    heritage = gpd.GeoDataFrame({
        "保护对象编号": ["LS01", "LS02", "LS03"],
        "名称": ["老街历史文化街区（示例）", f"{compound}历史文化街区（示例）", "旧货栈（示例）"],
        "保护类型": ["历史文化街区", "历史文化街区", "历史建筑"],
        "保护级别": ["自治区级", "市级", "市级"],
    }, geometry=[shapely.box(*P(900, 1262), *P(1100, 1488)), old_town, shapely.box(*P(1900, 1400), *P(1930, 1425))],
        crs=WORK_EPSG)
    return b, heritage.to_crs(4490)


def write_gbk_shapefile_without_cpg_prj(frame: gpd.GeoDataFrame, path: Path) -> None:
    """A GBK shapefile as many planning offices still send it: no .cpg, no .prj."""
    if path.parent.exists():
        shutil.rmtree(path.parent)
    path.parent.mkdir(parents=True)
    frame.to_file(path, driver="ESRI Shapefile", encoding="GBK", engine="pyogrio")
    for suffix in (".cpg", ".prj"):
        p = path.with_suffix(suffix)
        if p.exists():
            p.unlink()
    with path.with_suffix(".dbf").open("r+b") as fh:  # language byte 0: GDAL would guess Latin-1
        fh.seek(29)
        fh.write(b"\x00")


def main() -> None:
    rng = np.random.default_rng(20260630)
    roads = make_roads()
    parcels, raw_buildings = make_parcels_and_buildings(rng)
    parcels = carve_pocket_park_sites(parcels, raw_buildings)
    buildings = style_buildings(raw_buildings, rng)
    buildings, heritage = heritage_and_heights(buildings)
    parcels_gdf = gpd.GeoDataFrame(parcels, crs=WORK_EPSG)
    # Planned FAR a little above what stands (so only the planted parcel is underused).
    gfa = buildings.geometry.area * buildings["CS"].str.extract(r"(\d+)")[0].astype(float)
    built_far = gfa.groupby(buildings["所属地块"]).sum() / parcels_gdf.set_index("地块编号").geometry.area
    planned = (built_far.reindex(parcels_gdf["地块编号"]).fillna(1.5) * 1.1 + 0.1).round(1).to_numpy()
    parcels_gdf["规划容积率"] = np.where(parcels_gdf["规划容积率"] == 3.0, 3.0, planned)
    # Parcels carry the zone prefix (37) in the easting: EPSG:4525 coordinates, but no .prj.
    parcels_gdf = parcels_gdf.to_crs(4525)
    write_gbk_shapefile_without_cpg_prj(parcels_gdf, HERE / "parcels" / "地块.shp")

    gpkg = HERE / "city.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    buildings.to_file(gpkg, layer="buildings", driver="GPKG", engine="pyogrio")
    make_districts().to_file(gpkg, layer="districts", driver="GPKG", engine="pyogrio")
    heritage.to_file(gpkg, layer="heritage", driver="GPKG", engine="pyogrio")

    geojson = HERE / "roads.geojson"
    if geojson.exists():
        geojson.unlink()
    roads.to_crs(4326).to_file(geojson, driver="GeoJSON", engine="pyogrio",
                               layer_options={"COORDINATE_PRECISION": 8})

    facilities = make_facilities(rng)
    with (HERE / "facilities.csv").open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(facilities.columns)
        writer.writerows(facilities.itertuples(index=False))

    make_dem(HERE / "dem.tif")
    print(f"sample city: {len(parcels_gdf)} parcels, {len(buildings)} buildings, {len(roads)} roads, "
          f"{len(facilities)} facilities, origin EPSG:{WORK_EPSG} ({OX:.0f}, {OY:.0f})")


if __name__ == "__main__":
    main()
