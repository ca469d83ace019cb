"""map.html: a folium page whose layers are toggleable, styled like the GeoPackage, with popups
giving the reasons and quantities, a legend, and no network needed.

Leaflet is inlined from resources/web/ (every CDN reference folium adds is removed). The layers'
GeoJSON is serialised here in bulk (shapely.to_geojson, pandas to_json) rather than feature by
feature, and drawn with one L.geoJSON per layer on a canvas, so a page with 100,000 flags is
written in seconds. Attribute text is HTML-escaped before it reaches the page. A basemap is
added only when asked for (Tianditu with a user key, or a tile URL such as a local tile server)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from planner.export.styles import CODE_COLOURS, CODE_TITLES, TYPE_COLOURS, alias, html_escape
from planner.fileio import write_text_atomic
from planner.paths import RESOURCES_DIR

LEAFLET = RESOURCES_DIR / "web" / "leaflet"
MAX_POLYGONS = 5000  # beyond this a layer is drawn as points, so the page stays light
PROJECT_POPUP = ["project_id", "name", "type_title", "district", "quantity", "unit", "estimated_cost",
                 "priority_score", "phase", "flag_count"]


def _layer_spec(name: str) -> tuple[str, list[str], bool]:
    """(title, popup fields, shown when the page opens) of a layer: projects, or a flag layer
    as its analysis declared it."""
    if name == "projects":
        return "更新项目 Projects", PROJECT_POPUP, True
    from planner.analysis.registry import flag_layer

    spec = flag_layer(name)
    if spec is None:
        return name, ["flag_id", "code", "reason"], False
    return spec.title, list(spec.popup), spec.visible

_LAYERS_JS = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  function popup(p, fields) {
    var rows = "";
    fields.forEach(function (f) {
      var v = p[f[0]];
      if (v !== undefined && v !== null && v !== "") { rows += "<tr><th>" + f[1] + "</th><td>" + v + "</td></tr>"; }
    });
    return '<table class="rp-popup">' + rows + "</table>";
  }
  var overlays = {};
  window.rpLayers = overlays;
  {% for layer in this.layers %}
  (function () {
    var fields = {{ layer.fields }};
    var lyr = L.geoJSON({{ layer.placeholder }}, {
      style: function (f) { return {color: f.properties._c, fillColor: f.properties._c, weight: 1.5,
                                    opacity: 0.9, fillOpacity: 0.55}; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 4}); },
      onEachFeature: function (f, l) { l.bindPopup(function () { return popup(f.properties, fields); },
                                                   {maxWidth: 420}); }
    });
    overlays[{{ layer.title }}] = lyr;
    {% if layer.show %}lyr.addTo(map);{% endif %}
  })();
  {% endfor %}
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
})();
{% endmacro %}
""")


class _Layers(MacroElement):
    def __init__(self, layers: list[dict]):
        super().__init__()
        self._name = "RenewalLayers"
        self.layers = layers
        self._template = _LAYERS_JS


def _feature_collection(frame: gpd.GeoDataFrame, fields: list[str], colours: list[str]) -> str:
    """GeoJSON text of a layer in WGS 84, built in bulk; text values HTML-escaped."""
    geoms = frame.geometry.values
    if len(frame) > MAX_POLYGONS and (shapely.get_type_id(geoms) >= 1).any():
        geoms = shapely.point_on_surface(geoms)
    else:
        geoms = shapely.simplify(geoms, 0.5, preserve_topology=True)
    geoms = gpd.GeoSeries(geoms, crs=frame.crs).to_crs(4326).values
    props = pd.DataFrame(index=range(len(frame)))
    for c in fields:
        s = frame[c].reset_index(drop=True)
        if pd.api.types.is_float_dtype(s.dtype):
            props[c] = s.round(2)
        elif pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            props[c] = s
        else:  # text: escaped here, because the popup inserts it as HTML
            props[c] = escape_series(s)
    props["_c"] = colours
    prop_text = props.to_json(orient="records", lines=True, force_ascii=False, double_precision=6).splitlines()
    if (shapely.get_type_id(geoms) == 0).all():
        xy = shapely.get_coordinates(geoms)
        geom_text = np.char.add(np.char.add('{"type":"Point","coordinates":[', np.char.mod("%.6f", xy[:, 0])),
                                np.char.add(",", np.char.add(np.char.mod("%.6f", xy[:, 1]), "]}")))
    else:
        geom_text = shapely.to_geojson(shapely.set_precision(geoms, 1e-6))
    features = np.char.add(np.char.add('{"type":"Feature","geometry":', geom_text.astype(str)),
                           np.char.add(',"properties":', np.char.add(np.array(prop_text, dtype=str), "}")))
    return '{"type":"FeatureCollection","features":[' + ",".join(features.tolist()) + "]}"


def escape_series(s: pd.Series) -> pd.Series:
    """HTML-escape a text column in bulk (& first, then < > " ')."""
    t = s.astype("string").fillna("")
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        t = t.str.replace(a, b, regex=False)
    return t.astype(object)


def _legend(entries: list[tuple[str, str]]) -> str:
    items = "".join(f'<div><span style="display:inline-block;width:12px;height:12px;background:{c};'
                    f'margin-right:6px;border:1px solid #555"></span>{html_escape(t)}</div>' for t, c in entries)
    return ('<div id="rp-legend" style="position:fixed;bottom:24px;right:12px;z-index:9999;background:white;'
            'padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif;max-height:60%;'
            f'overflow:auto"><b>图例 Legend</b>{items}</div>'
            '<style>.rp-popup th{text-align:left;padding-right:8px;white-space:nowrap;vertical-align:top}'
            '.rp-popup{font:12px sans-serif}</style>')


def _offline(html: str) -> str:
    """Inline Leaflet; drop every other external script or stylesheet folium references."""
    js = (LEAFLET / "leaflet.js").read_text(encoding="utf-8")
    css = (LEAFLET / "leaflet.css").read_text(encoding="utf-8")

    def script(match: re.Match) -> str:
        url = match.group(1)
        return f"<script>{js}</script>" if re.search(r"/leaflet(@[\d.]+)?/dist/leaflet\.js", url) else ""

    def link(match: re.Match) -> str:
        return f"<style>{css}</style>" if re.search(r"/leaflet(@[\d.]+)?/dist/leaflet\.css", match.group(1)) else ""

    html = re.sub(r'<script src="(https?://[^"]+)"></script>', lambda m: script(m), html)
    html = re.sub(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>', link, html)
    return html


def basemap_warning(basemap: str | None) -> str | None:
    """The warning that map.html holds the basemap's key (a Tianditu key, or a key in a tile URL
    template); None without a basemap. The key itself is not repeated."""
    if not basemap:
        return None
    if basemap.startswith("tianditu:"):
        what = "your Tianditu key"
    elif re.search(r"[?&](tk|key|token|access_token|apikey|api_key)=", basemap, re.IGNORECASE):
        what = "the key in your tile URL"
    else:
        what = "your tile URL"
    return (f"map.html now holds {what} (written in as asked with --basemap): anyone who gets the file can "
            "use it; share map.html only with people who may, or write it without --basemap")


def write_map(path: Path, layers: dict[str, gpd.GeoDataFrame], *, title: str, basemap: str | None = None,
              attribution: str = "") -> None:
    """Write map.html. ``basemap``: None (offline), 'tianditu:KEY' or a tile URL template."""
    extent = None
    for frame in layers.values():
        if frame is not None and len(frame):
            b = gpd.GeoSeries([shapely.box(*frame.total_bounds)], crs=frame.crs).to_crs(4326).total_bounds
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
    js_layers: list[dict[str, Any]] = []
    for name, frame in layers.items():
        if frame is None or len(frame) == 0:
            continue
        if name == "projects":
            # Small projects on top of large ones; facility projects (whose areas are whole gap
            # neighbourhoods) as markers at their centres.
            frame = frame.iloc[np.argsort(-shapely.area(frame.geometry.values), kind="stable")]
            facility = (frame["type"] == "service_facility").to_numpy()
            if facility.any():
                geoms = frame.geometry.values.copy()
                geoms[facility] = shapely.point_on_surface(geoms[facility])
                frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
            colours = [TYPE_COLOURS.get(t, "#888888") for t in frame["type"]]
            legend += [(t, TYPE_COLOURS.get(k, "#888")) for k, t in
                       sorted(set(zip(frame["type"], frame["type_title"], strict=True)))]
        else:
            colours = [CODE_COLOURS.get(c, "#888888") for c in frame["code"]]
            legend += [(f"{CODE_TITLES.get(c, c)} {c}", CODE_COLOURS.get(c, "#888")) for c in sorted(set(frame["code"]))]
        layer_title, popup, shown = _layer_spec(name)
        fields = [f for f in popup if f in frame.columns]
        js_layers.append({
            "title": json.dumps(f"{layer_title}（{len(frame):,}）", ensure_ascii=False),
            "fields": json.dumps([[f, html_escape(alias(f))] for f in fields], ensure_ascii=False),
            # The data goes in after rendering: templates and regexes never scan megabytes of JSON.
            "placeholder": f"__RP_LAYER_DATA_{len(js_layers)}__",
            "data": _feature_collection(frame, fields, colours),
            "show": shown,
        })
    m.add_child(_Layers(js_layers))
    if extent is not None:
        m.fit_bounds([[extent[1], extent[0]], [extent[3], extent[2]]])
    header = (f'<div style="position:fixed;top:8px;left:56px;z-index:9999;background:white;padding:4px 10px;'
              f'border:1px solid #999;border-radius:4px;font:bold 14px sans-serif">{html_escape(title)}</div>')
    foot = (f'<div style="position:fixed;bottom:4px;left:8px;z-index:9999;background:rgba(255,255,255,.8);'
            f'font:11px sans-serif;padding:2px 6px">{html_escape(attribution)}</div>') if attribution else ""
    root: Any = m.get_root()  # folium's Figure (it has .html)
    root.html.add_child(folium.Element(header + _legend(legend) + foot))
    html = m.get_root().render()
    if not basemap:
        html = _offline(html)
    html = html.replace("<head>", '<head><meta charset="utf-8"><title>' + html_escape(title) + "</title>", 1)
    parts = re.split(r"(__RP_LAYER_DATA_\d+__)", html)
    data = {layer["placeholder"]: layer["data"] for layer in js_layers}
    write_text_atomic(path, "".join(str(data[p]) if p in data else p for p in parts))
