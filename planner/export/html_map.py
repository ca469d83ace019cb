"""map.html (folium): every layer toggleable, styled like the GeoPackage, popups with the reasons
and quantities, a legend, and no network needed: Leaflet is inlined from resources/web/ and every
other CDN reference folium adds is removed. Attribute text is HTML-escaped before it reaches the
page. A basemap is added only when asked for (Tianditu with a user key, or a local tile URL)."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.export.styles import CODE_COLOURS, CODE_TITLES, TYPE_COLOURS, alias, html_escape
from planner.fileio import write_text_atomic
from planner.paths import RESOURCES_DIR

LEAFLET = RESOURCES_DIR / "web" / "leaflet"
MAX_POLYGONS = 5000  # beyond this a layer is drawn as points, so the page stays light
POPUP_FIELDS = {
    "projects": ["project_id", "name", "type_title", "district", "quantity", "unit", "estimated_cost",
                 "priority_score", "phase", "flag_count"],
    "flag_idle_land": ["flag_id", "code", "reason", "parcel_area_m2"],
    "flag_idle_building": ["flag_id", "code", "reason", "floor_area_m2"],
    "flag_old_housing": ["flag_id", "code", "reason", "floor_area_m2"],
    "flag_dead_end": ["flag_id", "code", "reason"],
    "road_gap": ["flag_id", "code", "reason", "length_m", "detour_ratio", "crosses"],
    "service_gap": ["flag_id", "facility_title", "reason", "distance_m", "radius_m"],
}
LAYER_TITLES = {
    "projects": "更新项目 Projects", "flag_idle_land": "闲置及低效用地", "flag_idle_building": "闲置楼宇",
    "flag_old_housing": "老旧小区与危旧房", "flag_dead_end": "断头路端点", "road_gap": "道路缺口/规划路",
    "service_gap": "生活圈短板",
}


def _clean(frame: gpd.GeoDataFrame, fields: list[str], colour_of) -> gpd.GeoDataFrame:
    """WGS 84, simplified, only popup fields (escaped text), a colour per feature."""
    fields = [f for f in fields if f in frame.columns]
    out = gpd.GeoDataFrame(frame[fields].copy(), geometry=frame.geometry.values, crs=frame.crs)
    for c in fields:
        s = out[c]
        if pd.api.types.is_float_dtype(s.dtype):
            out[c] = np.round(s.to_numpy(dtype=float), 2)
        elif not (pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
            # Every text value is escaped here: the popup inserts it as HTML.
            out[c] = [html_escape(v) if v is not None and v is not pd.NA and v == v else "" for v in s.tolist()]
    out["_colour"] = colour_of(frame)
    geoms = out.geometry.values
    if len(out) > MAX_POLYGONS and (shapely.get_type_id(geoms) >= 3).any():
        geoms = shapely.point_on_surface(geoms)
    else:
        geoms = shapely.simplify(geoms, 0.5, preserve_topology=True)
    out = out.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs)).to_crs(4326)
    return out


def _add_layer(m: folium.Map, name: str, frame: gpd.GeoDataFrame, colour_of, *, show: bool) -> None:
    fields = POPUP_FIELDS.get(name, [])
    data = _clean(frame, fields, colour_of)
    fields = [f for f in fields if f in data.columns]
    group = folium.FeatureGroup(name=f"{LAYER_TITLES.get(name, name)}（{len(frame):,}）", show=show)
    points = bool(len(data)) and (shapely.get_type_id(data.geometry.values) == 0).all()
    gj = folium.GeoJson(
        data.__geo_interface__,
        style_function=lambda f: {"color": f["properties"]["_colour"], "fillColor": f["properties"]["_colour"],
                                  "weight": 2, "fillOpacity": 0.55, "opacity": 0.9},
        marker=folium.CircleMarker(radius=5, fill=True) if points else None,
        popup=folium.GeoJsonPopup(fields=fields, aliases=[alias(f) for f in fields], localize=True, labels=True,
                                  max_width=420) if fields else None,
        zoom_on_click=False,
    )
    gj.add_to(group)
    group.add_to(m)


def _legend(entries: list[tuple[str, str]]) -> str:
    items = "".join(f'<div><span style="display:inline-block;width:12px;height:12px;background:{c};'
                    f'margin-right:6px;border:1px solid #555"></span>{html_escape(t)}</div>' for t, c in entries)
    return ('<div id="rp-legend" style="position:fixed;bottom:24px;right:12px;z-index:9999;background:white;'
            'padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif;max-height:60%;'
            f'overflow:auto"><b>图例 Legend</b>{items}</div>')


def _offline(html: str) -> str:
    """Inline Leaflet; drop every other external script or stylesheet folium references."""
    js = (LEAFLET / "leaflet.js").read_text(encoding="utf-8")
    css = (LEAFLET / "leaflet.css").read_text(encoding="utf-8")

    def script(match: re.Match) -> str:
        return f"<script>{js}</script>" if "leaflet" in match.group(1) and "awesome" not in match.group(1) else ""

    def link(match: re.Match) -> str:
        return f"<style>{css}</style>" if re.search(r"/leaflet(@[\d.]+)?/dist/leaflet\.css", match.group(1)) else ""

    html = re.sub(r'<script src="(https?://[^"]+)"></script>', script, html)
    html = re.sub(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>', link, html)
    return html


def write_map(path: Path, layers: dict[str, gpd.GeoDataFrame], *, title: str, basemap: str | None = None,
              attribution: str = "") -> None:
    """Write map.html. ``basemap``: None (offline), 'tianditu:KEY' or a tile URL template."""
    extent = None
    for frame in layers.values():
        if frame is not None and len(frame):
            b = frame.to_crs(4326).total_bounds
            extent = b if extent is None else [min(extent[0], b[0]), min(extent[1], b[1]), max(extent[2], b[2]),
                                               max(extent[3], b[3])]
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, attribution_control=False)
    if basemap:
        if basemap.startswith("tianditu:"):
            key = basemap.split(":", 1)[1]
            folium.TileLayer(tiles=f"https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                                   f"&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
                                   f"&TILEROW={{y}}&TILECOL={{x}}&tk={key}", attr="天地图 Tianditu", name="天地图").add_to(m)
        else:
            folium.TileLayer(tiles=basemap, attr="basemap", name="底图 Basemap").add_to(m)
    legend: list[tuple[str, str]] = []
    for name, frame in layers.items():
        if frame is None or len(frame) == 0:
            continue
        if name == "projects":
            def colour_of(f):
                return [TYPE_COLOURS.get(t, "#888888") for t in f["type"]]
            legend += [(t, TYPE_COLOURS.get(k, "#888")) for k, t in
                       sorted(set(zip(frame["type"], frame["type_title"], strict=True)))]
        else:
            def colour_of(f):
                return [CODE_COLOURS.get(c, "#888888") for c in f["code"]]
            legend += [(f"{CODE_TITLES.get(c, c)} {c}", CODE_COLOURS.get(c, "#888")) for c in sorted(set(frame["code"]))]
        _add_layer(m, name, frame, colour_of, show=name in {"projects", "flag_dead_end", "road_gap"})
    folium.LayerControl(collapsed=False).add_to(m)
    if extent is not None:
        m.fit_bounds([[extent[1], extent[0]], [extent[3], extent[2]]])
    header = (f'<div style="position:fixed;top:8px;left:56px;z-index:9999;background:white;padding:4px 10px;'
              f'border:1px solid #999;border-radius:4px;font:bold 14px sans-serif">{html_escape(title)}</div>')
    foot = (f'<div style="position:fixed;bottom:4px;left:8px;z-index:9999;background:rgba(255,255,255,.8);'
            f'font:11px sans-serif;padding:2px 6px">{html_escape(attribution)}</div>') if attribution else ""
    m.get_root().html.add_child(folium.Element(header + _legend(legend) + foot))
    html = m.get_root().render()
    if not basemap:
        html = _offline(html)
    html = html.replace("<head>", '<head><meta charset="utf-8"><title>' + html_escape(title) + "</title>", 1)
    write_text_atomic(path, html)
