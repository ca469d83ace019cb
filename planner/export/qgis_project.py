"""QGIS styles and the QGIS project stored in portfolio.gpkg, written the way QGIS 3 stores them.

A QGIS project kept in a GeoPackage is a row of the ``qgis_projects`` table (name, metadata
JSON, content): the content is the hex text of a .qgz (a zip holding the .qgs XML), exactly
as QGIS' own GeoPackage project storage writes it (checked against QGIS 3.22). The project
lists every layer of the GeoPackage under a human name in the deliverables' language, in the
order flags above projects above base layers, each with its renderer (palette colours), field
aliases and, where useful, labels; the attribute tables (indicators, compounds, coverage) are
in it too, with aliases. The same style of each layer goes into ``layer_styles`` (QML), so a
layer added on its own is styled as well."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from pyproj import CRS

QGIS_VERSION = "3.22.16-Białowieża"


@dataclass
class LayerStyle:
    """How one GeoPackage table is shown: its title, renderer and labels."""

    table: str
    title: str
    geometry: str                      # Point, LineString, MultiPolygon, ... or "None"
    columns: list[str]
    aliases: dict[str, str]
    field: str | None = None           # categorised by this field
    categories: dict[str, tuple[str, str]] = dc_field(default_factory=dict)   # value -> (label, colour)
    single: tuple[str, float] | None = None   # (colour, width) of a single-symbol layer
    fill: bool = True                  # polygons: filled or outline only
    dash: bool = False
    widths: dict[str, float] = dc_field(default_factory=dict)   # category -> line width (mm)
    label_field: str | None = None
    label_size: float = 8.0
    group: str = ""
    visible: bool = True
    description: str = ""
    layer_id: str = ""

    def kind(self) -> str:
        g = self.geometry
        if g in ("None", "", None):
            return "none"
        if "Point" in g:
            return "marker"
        if "Line" in g:
            return "line"
        return "fill"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _options(opts: dict[str, str]) -> str:
    return '<Option type="Map">' + "".join(f'<Option name="{k}" type="QString" value={quoteattr(str(v))}/>'
                                           for k, v in opts.items()) + "</Option>"


def _symbol(kind: str, name: str, colour: str, *, width: float = 0.6, fill: bool = True, dash: bool = False) -> str:
    if kind == "line":
        opts = {"line_color": _rgba(colour), "line_width": f"{width:g}", "line_width_unit": "MM",
                "line_style": "dash" if dash else "solid", "capstyle": "round", "joinstyle": "round"}
        cls = "SimpleLine"
    elif kind == "marker":
        opts = {"color": _rgba(colour), "outline_color": "35,35,35,255", "outline_width": "0.2", "size": "2.6",
                "name": "circle"}
        cls = "SimpleMarker"
    else:
        opts = {"color": _rgba(colour, 90 if fill else 0), "outline_color": _rgba(colour),
                "outline_width": f"{width:g}", "outline_width_unit": "MM",
                "outline_style": "dash" if dash else "solid", "style": "solid" if fill else "no"}
        cls = "SimpleFill"
    return (f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<data_defined_properties><Option type="Map"><Option name="name" type="QString" value=""/>'
            f'<Option name="properties"/><Option name="type" type="QString" value="collection"/></Option>'
            f'</data_defined_properties>'
            f'<layer class="{cls}" enabled="1" locked="0" pass="0">{_options(opts)}</layer></symbol>')


def renderer_xml(style: LayerStyle) -> str:
    kind = style.kind()
    if kind == "none":
        return ""
    if style.field and style.categories:
        cats, syms = [], []
        for i, (value, (label, colour)) in enumerate(style.categories.items()):
            cats.append(f'<category value={quoteattr(value)} symbol="{i}" label={quoteattr(label)} render="true"/>')
            syms.append(_symbol(kind, str(i), colour, width=style.widths.get(value, 0.6 if kind != "fill" else 0.4),
                                fill=style.fill, dash=style.dash))
        return (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(style.field)} symbollevels="0" '
                f'enableorderby="0" forceraster="0"><categories>{"".join(cats)}</categories>'
                f'<symbols>{"".join(syms)}</symbols></renderer-v2>')
    colour, width = style.single or ("#888888", 0.4)
    return ('<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0"><symbols>'
            f'{_symbol(kind, "0", colour, width=width, fill=style.fill, dash=style.dash)}</symbols></renderer-v2>')


def labeling_xml(style: LayerStyle) -> str:
    if not style.label_field:
        return ""
    kind = style.kind()
    placement = {"line": 3, "marker": 0, "fill": 1}.get(kind, 0)  # curved along lines, around points, over polygons
    return ('<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName={quoteattr(style.label_field)} isExpression="0" fontFamily="Noto Sans CJK SC" '
            f'fontSize="{style.label_size:g}" fontSizeUnit="Point" textColor="40,40,40,255" textOpacity="1" '
            'fontWeight="50" fontItalic="0" multilineHeight="1" namedStyle="Regular">'
            '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
            'bufferOpacity="0.9" bufferJoinStyle="128" bufferNoFill="1"/></text-style>'
            '<text-format wrapChar="" autoWrapLength="14" multilineAlign="3" plussign="0" reverseDirectionSymbol="0" '
            'addDirectionSymbol="0" formatNumbers="0" decimals="3" placeDirectionSymbol="0" useMaxLineLengthForAutoWrap="1"/>'
            f'<placement placement="{placement}" placementFlags="10" dist="0.5" distUnits="MM" priority="5" '
            'overrunDistance="0" repeatDistance="0" centroidInside="1" fitInPolygonOnly="0" maxCurvedCharAngleIn="25" '
            'maxCurvedCharAngleOut="-25"/>'
            '<rendering obstacle="1" obstacleFactor="1" obstacleType="1" displayAll="0" upsidedownLabels="0" '
            'limitNumLabels="0" mergeLines="1" minFeatureSize="0" scaleVisibility="0" drawLabels="1" '
            'fontLimitPixelSize="0" labelPerPart="0" zIndex="0"/>'
            '</settings></labeling>')


def aliases_xml(style: LayerStyle) -> str:
    return "<aliases>" + "".join(
        f'<alias field={quoteattr(c)} index="{i}" name={quoteattr(style.aliases.get(c, ""))}/>'
        for i, c in enumerate(style.columns)) + "</aliases>"


def layer_qml(style: LayerStyle) -> str:
    """The layer's style as QGIS keeps it in ``layer_styles`` (a QML document)."""
    geom = {"marker": 0, "line": 1, "fill": 2, "none": 4}[style.kind()]
    labels = ' labelsEnabled="1"' if style.label_field else ' labelsEnabled="0"'
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories"{labels}>'
            f"{renderer_xml(style)}{labeling_xml(style)}{aliases_xml(style)}"
            f"<layerGeometryType>{geom}</layerGeometryType></qgis>")


def _srs(crs: CRS | None) -> str:
    if crs is None:
        return "<srs><spatialrefsys><authid></authid></spatialrefsys></srs>"
    epsg = crs.to_epsg()
    return ("<srs><spatialrefsys>"
            f"<wkt>{escape(crs.to_wkt())}</wkt>"
            f"<srid>{epsg or 0}</srid><authid>{'EPSG:' + str(epsg) if epsg else ''}</authid>"
            f"<description>{escape(crs.name)}</description><geographicflag>"
            f"{'true' if crs.is_geographic else 'false'}</geographicflag></spatialrefsys></srs>")


def _maplayer(style: LayerStyle, gpkg_name: str, crs: CRS | None, extent: Sequence[float] | None) -> str:
    kind = style.kind()
    geometry = {"marker": "Point", "line": "Line", "fill": "Polygon", "none": "No geometry"}[kind]
    ext = ""
    if extent is not None and kind != "none":
        ext = (f"<extent><xmin>{extent[0]}</xmin><ymin>{extent[1]}</ymin><xmax>{extent[2]}</xmax>"
               f"<ymax>{extent[3]}</ymax></extent>")
    return (f'<maplayer type="vector" geometry="{geometry}" wkbType="{style.geometry if kind != "none" else "NoGeometry"}" '
            f'labelsEnabled="{1 if style.label_field else 0}" hasScaleBasedVisibilityFlag="0" minScale="0" '
            f'maxScale="0" readOnly="0" styleCategories="AllStyleCategories">'
            f"{ext}<id>{style.layer_id}</id>"
            f"<datasource>./{escape(gpkg_name)}|layername={escape(style.table)}</datasource>"
            f"<layername>{escape(style.title)}</layername>{_srs(crs if kind != 'none' else None)}"
            f'<resourceMetadata><type>dataset</type><title>{escape(style.title)}</title>'
            f"<abstract>{escape(style.description)}</abstract></resourceMetadata>"
            '<provider encoding="UTF-8">ogr</provider>'
            f"{renderer_xml(style)}{labeling_xml(style)}{aliases_xml(style)}"
            "<layerOpacity>1</layerOpacity><blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
            "</maplayer>")


def project_qgs(styles: list[LayerStyle], *, gpkg_name: str, title: str, crs: CRS | None,
                extent: Sequence[float] | None, groups: list[str]) -> str:
    """The .qgs XML: layer tree in ``groups`` order (top first), layers in the listed order
    inside their group, every layer with its style."""
    for s in styles:
        if not s.layer_id:
            s.layer_id = f"{s.table}_{uuid.uuid4().hex[:12]}"
    tree = []
    for g in groups:
        members = [s for s in styles if s.group == g]
        if not members:
            continue
        items = "".join(
            f'<layer-tree-layer name={quoteattr(s.title)} id="{s.layer_id}" providerKey="ogr" '
            f'checked="{"Qt::Checked" if s.visible else "Qt::Unchecked"}" expanded="{0 if s.kind() == "none" else 1}" '
            f'source="./{escape(gpkg_name)}|layername={escape(s.table)}" legend_exp="" patch_size="-1,-1" '
            'legend_split_behavior="0"><customproperties><Option/></customproperties></layer-tree-layer>'
            for s in members)
        tree.append(f'<layer-tree-group name={quoteattr(g)} checked="Qt::Checked" expanded="1">'
                    f"<customproperties><Option/></customproperties>{items}</layer-tree-group>")
    order = [s for g in groups for s in styles if s.group == g]
    layers = "".join(_maplayer(s, gpkg_name, crs, extent) for s in order)
    layer_order = "".join(f'<layer id="{s.layer_id}"/>' for s in order if s.kind() != "none")
    now = dt.datetime.now().isoformat(timespec="seconds")
    canvas = ""
    if extent is not None:
        canvas = (f'<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>meters</units><extent>'
                  f"<xmin>{extent[0]}</xmin><ymin>{extent[1]}</ymin><xmax>{extent[2]}</xmax><ymax>{extent[3]}</ymax>"
                  f"</extent><rotation>0</rotation><destinationsrs>{_srs(crs)[5:-6]}</destinationsrs>"
                  "<rendermaptile>0</rendermaptile></mapcanvas>")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}" saveUser="renewal-planner" '
            f'saveUserFull="Renewal Planner" saveDateTime="{now}">'
            f'<homePath path=""/><title>{escape(title)}</title>'
            f"<projectCrs>{_srs(crs)[5:-6]}</projectCrs>"
            f'<layer-tree-group><customproperties><Option/></customproperties>{"".join(tree)}'
            '<custom-order enabled="0"/></layer-tree-group>'
            f"{canvas}<projectlayers>{layers}</projectlayers><layerorder>{layer_order}</layerorder>"
            '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
            '<Measurement><DistanceUnits type="QString">meters</DistanceUnits>'
            '<AreaUnits type="QString">m2</AreaUnits></Measurement></properties>'
            f"<projectMetadata><title>{escape(title)}</title><creation>{now}</creation></projectMetadata>"
            "</qgis>\n")


def store_project(con: sqlite3.Connection, name: str, qgs: str) -> None:
    """Keep ``qgs`` in the GeoPackage's ``qgis_projects`` table as QGIS does: a .qgz (zip with
    the .qgs) as hex text, with the metadata JSON QGIS writes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{{{uuid.uuid4()}}}.qgs", qgs.encode("utf-8"))
    now = dt.datetime.now().isoformat(timespec="seconds")
    meta = f'{{"last_modified_time": "{now}", "last_modified_user": "renewal-planner" }}'
    con.execute("CREATE TABLE IF NOT EXISTS qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)")
    con.execute("INSERT OR REPLACE INTO qgis_projects VALUES (?, ?, ?)", (name, meta, buf.getvalue().hex()))
