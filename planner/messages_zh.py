"""Chinese text of the engine's bad-input messages (planner.errors.InputError), for the Chinese
window: ``InputError.message("zh")``.

Each entry pairs the shape of an English sentence, written as its call site writes it (the
literal text, with ``{name}`` for a part that varies and ``{name?}`` for one that may be empty),
with a Chinese template that reuses those parts: ``{name}`` verbatim (file names, fields, CRS
codes, numbers), ``{name|t}`` through TERMS or PARTS (the few English words the engine puts into
its sentences, e.g. "raster file", "a named pipe"; an unknown word stays as it is; ``{name?|t}``
in a shape matches only one of TERMS, or nothing), ``{name|m}`` as a list of "ROLE: <English
message>" paragraphs joined by " | " (each one read back and translated). The shapes are compiled
once, at import; a sentence no entry matches is shown in English, never dropped.
tests/test_messages_zh.py checks that every InputError call site in planner/ has an entry.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from planner.errors import InputError

#: English words that call sites put into the variable parts of a sentence -> Chinese.
TERMS: Final[dict[str, str]] = {
    # check_path(what=...), parse_date_option(what=...)
    "file": "文件", "raster file": "栅格文件", "project date": "项目日期", "as-of date": "现状基准日期",
    # kinds of file that are not regular
    "a named pipe": "命名管道", "a device": "设备文件", "a socket": "套接字", "a special file": "特殊文件",
    # project file value kinds (planner.project._KIND and the "want" of its checks)
    "text": "文本", "an integer": "整数", "a number": "数值", "true/false": "布尔值（true/false）",
    "a list": "列表", "a table": "表（TOML 表）", "a date": "日期", "a date and time": "日期时间",
    "a list of folders": "文件夹列表", "a folder (text)": "文件夹（文本）",
    "a file path (text) or a table with a path": "文件路径（文本）或带 path 的表",
    "a column name (text)": "列名（文本）", "a file path (text)": "文件路径（文本）",
    # what a parameter or a number field takes (planner.analysis.registry, planner.gui.edit_actions)
    "a whole number": "整数", "whole numbers": "整数", "numbers": "数值",
    # geometry kinds of layer roles
    "polygon": "面", "line": "线", "point": "点", "any": "任意",
    # file suffix shown when there is none
    "(none)": "（无后缀）", "none": "无",
    # the content a file was found to hold (planner.io.sources.sniff_format)
    "a GDAL VRT or connection file (it makes GDAL open other files or URLs)":
        "GDAL VRT 或连接文件（它会让 GDAL 打开其他文件或网址）",
    "unknown": "未知格式",
    # CSV parse problems (planner.io.readers)
    "a quote is opened and never closed": "引号未闭合",
    "the row has more fields than the header": "该行的字段数多于表头",
    # portfolio settings (planner.session)
    "weight": "权重", "scale": "尺度系数", "site setting": "选址设置",
    "weights": "可用权重", "scales": "可用尺度系数", "sites": "可用选址设置",
    # project edits (planner.portfolio.overlay)
    " to merge": "待合并的", " to split": "待拆分的",
    # who declared a text encoding (planner.io.encoding)
    "the project file": "项目文件", "the .cpg file": ".cpg 文件",
    # why features are left out (planner.io.loading._drop)
    "no geometry": "没有几何图形", "empty geometry": "几何图形为空",
    "coordinates that are not numbers (NaN)": "坐标不是数值（NaN）",
    "a polygon that collapses to nothing when repaired": "面修复后退化为空",
}

#: Variable parts with a shape of their own (an example a call site passes in), for ``{name|t}``
#: when TERMS has no exact entry; the same syntax as ENTRIES.
PARTS: Final[tuple[tuple[str, str], ...]] = (
    ('{role} = "file.gpkg:layer", or [inputs.{table}] with path = "..."',
     '{role} = "file.gpkg:layer"，或带 path = "..." 的 [inputs.{table}] 表'),
)

#: (English shape, Chinese template); the order does not matter: the shape with the most literal
#: text is tried first.
ENTRIES: Final[tuple[tuple[str, str], ...]] = (
    # analysis parameters -------------------------------------------------------------------
    ("parameter coverage.centre_districts names districts, but there is no boundary layer.",
     "参数 coverage.centre_districts 指定了行政区，但未提供行政区界线图层（boundary）。"),
    ("add the districts layer (boundary), or leave centre_districts empty.",
     "请加载行政区界线图层（boundary），或将 centre_districts 留空。"),
    ("parameter coverage.centre_districts: no district named {names} in the boundary layer.",
     "参数 coverage.centre_districts：行政区界线图层中没有名为 {names} 的行政区。"),
    ("give names or ids of its districts: {names}.", "请填写该图层中行政区的名称或编号：{names}。"),
    ("parameter {where} = {value} is not a finite number.", "参数 {where} = {value} 不是有限数值。"),
    ("give a number (default {default}).", "请填写一个数值（默认值 {default}）。"),
    ("parameter {where} = {value} is not one of {choices}.", "参数 {where} = {value} 不在可选值 {choices} 之中。"),
    ("pick one of the choices listed.", "请从所列可选值中选择一个。"),
    ("there is no analysis '{name}'.", "不存在分析项 '{name}'。"),
    ("analyses: {names}.", "可用的分析项：{names}。"),
    ("parameter {where} = {value} is not {kind|t}.", "参数 {where} = {value} 不是{kind|t}。"),
    ("give {kind|t} (default {default}).", "请填写{kind|t}（默认值 {default}）。"),
    ("parameter {where} = {value} is outside {low}..{high}.", "参数 {where} = {value} 超出取值范围 {low}..{high}。"),
    ("give a value in range (default {default}).", "请填写取值范围内的值（默认值 {default}）。"),
    ("analysis '{name}' has no parameter '{key}'.", "分析项 '{name}' 没有参数 '{key}'。"),
    ("its parameters: {names|t}.", "该分析项的参数：{names|t}。"),
    ("parameter '{key}' does not name its analysis.", "参数 '{key}' 未写明所属的分析项。"),
    ("write it as ANALYSIS.PARAM, e.g. old_housing.cutoff_year.",
     "请写成 分析项.参数（ANALYSIS.PARAM）的形式，例如 old_housing.cutoff_year。"),
    ("parameter seismic.place = '{place}' is not in the seismic intensity table.",
     "参数 seismic.place = '{place}' 不在抗震设防烈度表中。"),
    ("give one of {known}, or the intensity itself (--set seismic.intensity=8).",
     "请填写 {known} 之一，或直接给出设防烈度（--set seismic.intensity=8）。"),
    ("the DEM has no elevation over the layers (every cell there is nodata).",
     "DEM 在图层范围内没有高程值（该范围内的像元全部为无数据值 nodata）。"),
    ("give a DEM that covers the study area.", "请提供覆盖研究范围的 DEM。"),
    # layer catalogue -----------------------------------------------------------------------
    ("the layer catalogue declares field '{name}' of layer role '{role}' with kind '{kind}', "
     "which is not a field kind.",
     "图层目录中图层角色 '{role}' 的字段 '{name}' 声明的类型 '{kind}' 不是有效的字段类型。"),
    ('write one of {kinds} as kind = "..." for that field, or restore the file from the installation.',
     '请为该字段写明 kind = "..."，取值为 {kinds} 之一；或从安装目录恢复该文件。'),
    ("the layer catalogue file is not valid TOML ({error}).", "图层目录文件不是有效的 TOML（{error}）。"),
    ("fix the syntax or restore the file from the installation.", "请修正语法错误，或从安装目录恢复该文件。"),
    ("the layer catalogue declares field '{name}' of layer role '{role}' as kind = \"domain\" with domain "
     "'{domain?}', which no domain file defines.",
     "图层目录将图层角色 '{role}' 的字段 '{name}' 声明为 kind = \"domain\"，值域为 '{domain}'，"
     "但没有任何值域文件定义该值域。"),
    ("fix domain = \"...\" of that field in the catalogue's layers/*.toml, or add the domain as "
     "layers/domains/<name>.toml.",
     "请修正图层目录 layers/*.toml 中该字段的 domain = \"...\"，或将该值域添加为 layers/domains/<name>.toml。"),
    # command line --------------------------------------------------------------------------
    ("no input layers were given.", "未提供任何输入图层。"),
    ("give a project file or at least one of --land, --buildings, --facilities, --roads.",
     "请提供项目文件，或至少提供 --land、--buildings、--facilities、--roads 之一。"),
    ("the project file does not exist or is not a .gpkg.", "项目文件不存在或不是 .gpkg 文件。"),
    ("give a project file written by 'run --save-project' or saved by the app.",
     "请提供由 'run --save-project' 生成或由本软件保存的项目文件。"),
    ("--layer '{item}' is not of the form ROLE=FILE.", "--layer '{item}' 不符合 角色=文件（ROLE=FILE）的格式。"),
    ("e.g. --layer heritage=保护范围.shp", "例如 --layer heritage=保护范围.shp"),
    ("--raster '{item}' is not of the form NAME=FILE.", "--raster '{item}' 不符合 名称=文件（NAME=FILE）的格式。"),
    ("e.g. --raster dem=dem.tif", "例如 --raster dem=dem.tif"),
    ("--set '{item}' is not of the form RULE.PARAM=VALUE.",
     "--set '{item}' 不符合 规则.参数=取值（RULE.PARAM=VALUE）的格式。"),
    ("e.g. --set old_housing.cutoff_year=2004; see 'renewal-planner analyses'.",
     "例如 --set old_housing.cutoff_year=2004；可用的规则与参数见 'renewal-planner analyses'。"),
    ("--size '{size}' is not WIDTHxHEIGHT.", "--size '{size}' 不符合 宽x高（WIDTHxHEIGHT）的格式。"),
    ("e.g. --size 1920x1080", "例如 --size 1920x1080"),
    ("--extent '{extent}' is not XMIN,YMIN,XMAX,YMAX.", "--extent '{extent}' 不符合 XMIN,YMIN,XMAX,YMAX 的格式。"),
    ("give four numbers in the layers' CRS.", "请按图层的坐标系给出四个数值。"),
    ("nothing to draw.", "没有可绘制的内容。"),
    ("give at least one layer or a project.", "请至少提供一个图层或一个项目。"),
    ("the image cannot be written.", "无法写入图片文件。"),
    ("check the folder and the suffix (.png).", "请检查文件夹和文件后缀（.png）。"),
    # editing -------------------------------------------------------------------------------
    ("the line does not cut the polygon in two.", "该线未能将面分割为两部分。"),
    ("draw the line across the whole shape.", "请画一条横穿整个图形的线。"),
    ("the line does not divide the project.", "该线未能分割项目。"),
    ("draw the line across the whole project.", "请画一条横穿整个项目的线。"),
    ("draw the line between its parts.", "请在项目的各部分之间画线。"),
    ("the cut does not cross the line.", "切割线未与该线相交。"),
    ("draw the cut across the line.", "请画一条与该线相交的切割线。"),
    ("select at least two projects to merge.", "合并须至少选择两个项目。"),
    ("select them in the table or on the map.", "请在表格或地图上选择。"),
    ("the shape cannot lose another vertex.", "该图形不能再删除节点。"),
    ("delete the feature instead.", "如需去掉该节点，请直接删除整个要素。"),
    ("'{value}' is not {kind|t}.", "'{value}' 不是{kind|t}。"),
    ("this field takes {kinds|t}: enter {kind|t}.", "该字段只接受{kinds|t}：请输入{kind|t}。"),
    ("enter a number.", "请输入数值。"),
    ("no features are selected.", "未选中任何要素。"),
    ("select features on the map first.", "请先在地图上选择要素。"),
    ("'{value}' is not a number.", "'{value}' 不是数值。"),
    ("unknown project edit '{op}'.", "未知的项目编辑操作 '{op}'。"),
    ("project(s) {ids}{what?|t} no longer exist.", "{what|t}项目 {ids} 已不存在。"),
    ("project {pid} exists already.", "项目 {pid} 已存在。"),
    # output folder -------------------------------------------------------------------------
    ("the output folder is a file.", "输出文件夹的位置是一个文件。"),
    ("give --out a folder (it is created when missing), not a file.",
     "请为 --out 指定文件夹（不存在时自动创建），而不是文件。"),
    ("the output folder cannot be made: '{probe}' is a file.", "无法创建输出文件夹：'{probe}' 是一个文件。"),
    ("give --out a folder whose parents are folders.", "请为 --out 指定一个上级路径均为文件夹的位置。"),
    ("the deliverables could not be written ({reason}); the folder is left as it was.",
     "成果文件未能写出（{reason}）；输出文件夹保持原状。"),
    ("free disk space or choose another folder (--out), and run again.",
     "请释放磁盘空间或另选文件夹（--out）后重新运行。"),
    ("the output folder cannot be written ({reason}).", "输出文件夹无法写入（{reason}）。"),
    ("choose a folder you can write to, or fix its permissions.", "请选择有写入权限的文件夹，或修改其权限。"),
    ("the output folder holds the input '{name}' under a deliverable's name; the run would replace it.",
     "输出文件夹中的输入文件 '{name}' 与某项成果同名；运行将覆盖该文件。"),
    ("write the deliverables to another folder (--out), or move the input.",
     "请将成果写到其他文件夹（--out），或移走该输入文件。"),
    ("the output folder cannot be made ({reason}).", "无法创建输出文件夹（{reason}）。"),
    ("choose a folder you can write to.", "请选择有写入权限的文件夹。"),
    # expressions ---------------------------------------------------------------------------
    ("unexpected '{token}' in the expression.", "表达式中出现了意外的 '{token}'。"),
    ("join conditions with and / or.", "请用 and / or 连接各条件。"),
    ("cannot read the expression near '{near}'.", "无法解析表达式 '{near}' 附近的内容。"),
    ("write e.g. floors >= 4 and use = 'residential'.", "写法示例：floors >= 4 and use = 'residential'。"),
    ("expected a field name, found '{name}'.", "此处应为字段名，实际为 '{name}'。"),
    ("start each condition with a field.", "每个条件请以字段名开头。"),
    ("there is no field '{name}'.", "不存在字段 '{name}'。"),
    ("fields: {names}", "现有字段：{names}"),
    ("expected a comparison after '{name}', found '{op}'.", "'{name}' 之后应为比较运算符，实际为 '{op}'。"),
    ("use = != > >= < <= contains in", "可用运算符：= != > >= < <= contains in"),
    ("'{name} {op}' needs a value.", "'{name} {op}' 缺少比较值。"),
    ("add a number or a quoted text.", "请补充一个数值或带引号的文本。"),
    ("'in' needs a list in parentheses.", "'in' 之后须为括号括起的列表。"),
    ("e.g. use in ('住宅', '商住')", "例如 use in ('住宅', '商住')"),
    ("the list after 'in' is not closed.", "'in' 之后的列表缺少右括号。"),
    ("add ')'.", "请补上 ')'。"),
    # loading layers ------------------------------------------------------------------------
    ("the layer holds {names} geometries but a {title_en} layer ({title}) needs {geometry|t}s.",
     "该图层的几何类型为 {names}，而{title}图层需要{geometry|t}几何。"),
    ("give a {geometry|t} layer for the {role} role, or load this file as another role.",
     "请为 {role} 角色提供{geometry|t}图层，或将该文件作为其他角色加载。"),
    ("the layer has no CRS and its coordinates ({xmin}, {ymin}) - ({xmax}, {ymax}) fit no system we can guess.",
     "该图层没有坐标系，且无法根据其坐标范围 ({xmin}, {ymin}) - ({xmax}, {ymax}) 推断坐标系。"),
    ('add a .prj file or declare the CRS, e.g. crs = "EPSG:4546" in the project file.',
     '请补充 .prj 文件，或在项目文件中声明坐标系，例如 crs = "EPSG:4546"。'),
    ("{n} of {total} features lie outside China in CRS {crs} (first rows: {rows}).",
     "按坐标系 {crs}，{total} 个要素中有 {n} 个位于中国境外（前几行：{rows}）。"),
    ("check the declared CRS (x/y swapped? wrong zone?) or fix those rows.",
     "请检查所声明的坐标系（X/Y 是否颠倒？投影带是否有误？），或修正这些行。"),
    ("the mapping {role}.{name}={column} names a column that is not there (columns: {columns}).",
     "字段映射 {role}.{name}={column} 指定的列不存在（现有列：{columns}）。"),
    ("fix the column name in the mapping.", "请修正映射中的列名。"),
    ("unknown coordinate offset '{offset}'.", "未知的坐标偏移 '{offset}'。"),
    ('use coords = "gcj02" or "bd09" for web-map coordinates.', '互联网地图坐标请使用 coords = "gcj02" 或 "bd09"。'),
    ("'{name}' is not a field of layer role '{role}' (fields: {fields}).",
     "'{name}' 不是图层角色 '{role}' 的字段（可用字段：{fields}）。"),
    ("fix the left side of the mapping.", "请修正映射等号左侧的字段名。"),
    ("the OpenStreetMap file cannot be read ({error}).", "无法读取 OpenStreetMap 文件（{error}）。"),
    ("check that the file is a complete .osm or .osm.pbf extract (e.g. export it again from openstreetmap.org "
     "or cut it with osmium).",
     "请确认该文件是完整的 .osm 或 .osm.pbf 数据（例如从 openstreetmap.org 重新导出，或用 osmium 裁切）。"),
    # rasters -------------------------------------------------------------------------------
    ("files of type '{suffix|t}' are not read as rasters.", "不支持将 '{suffix|t}' 类型的文件作为栅格读取。"),
    ("give a GeoTIFF (.tif) or ERDAS Imagine (.img) file; convert a VRT with gdal_translate to GeoTIFF.",
     "请提供 GeoTIFF（.tif）或 ERDAS Imagine（.img）文件；VRT 请先用 gdal_translate 转换为 GeoTIFF。"),
    ("the file cannot be read as a GeoTIFF or Imagine raster: its content is something else; it is not opened.",
     "该文件无法作为 GeoTIFF 或 Imagine 栅格读取：其内容为其他格式，未予打开。"),
    ("give the raster as a GeoTIFF file (a VRT or a file that points elsewhere is not accepted).",
     "请以 GeoTIFF 文件提供栅格（不接受 VRT 或指向其他位置的文件）。"),
    ("the raster cannot be read ({error}).", "无法读取该栅格（{error}）。"),
    ("give a GeoTIFF file.", "请提供 GeoTIFF 文件。"),
    ("the raster does not overlap the layers (its extent in the working CRS lies elsewhere).",
     "该栅格与图层不重叠（其在工作坐标系中的范围位于别处）。"),
    ("check the raster's CRS and that it covers the study area.", "请检查栅格的坐标系，并确认其覆盖研究范围。"),
    ("the raster would be {w} x {h} cells over the study area, more than {most} cells can be analysed at once.",
     "该栅格在研究范围内为 {w} x {h} 个像元，超过单次可分析的 {most} 个像元。"),
    ("resample it to a coarser cell (e.g. gdalwarp -tr 5 5) or clip it to the study area.",
     "请将其重采样为更大的像元（例如 gdalwarp -tr 5 5），或按研究范围裁剪。"),
    ("the raster has no CRS.", "该栅格没有坐标系。"),
    ("give a GeoTIFF with its CRS (or a .prj / .aux.xml beside it).",
     "请提供带坐标系的 GeoTIFF（或在其旁放置 .prj / .aux.xml 文件）。"),
    # reading files -------------------------------------------------------------------------
    ("the file holds several layers ({layers}) and none was chosen.", "该文件包含多个图层（{layers}），但未指定使用哪一个。"),
    ("write it as {path}:LAYER, e.g. {path}:{layer}.", "请写成 {path}:图层名，例如 {path}:{layer}。"),
    ("the CSV file is empty.", "CSV 文件为空。"),
    ("give a table with a header row and one row per feature.", "请提供带表头行、每个要素一行的表格。"),
    ("the table has a header but no rows.", "表格只有表头，没有数据行。"),
    ("add one row per feature below the header, or leave this input out.",
     "请在表头下按每个要素一行补充数据，或不使用该输入。"),
    ("no coordinate columns found (columns: {columns}).", "未找到坐标列（现有列：{columns}）。"),
    ("name them 经度/纬度, lon/lat or X/Y, or convert the table to a GIS format.",
     "请将坐标列命名为 经度/纬度、lon/lat 或 X/Y，或将表格转换为 GIS 格式。"),
    ("none of the {n} rows has coordinates that are numbers in columns {lon}/{lat} (row 2 holds {x}, {y}).",
     "{n} 行数据中没有一行在 {lon}/{lat} 列中的坐标是数值（第 2 行为 {x}, {y}）。"),
    ("write the coordinates as decimal numbers (e.g. 117.2834), or name the right columns 经度/纬度, lon/lat or X/Y.",
     "请以十进制数值填写坐标（例如 117.2834），或将正确的坐标列命名为 经度/纬度、lon/lat 或 X/Y。"),
    ("the file was read by GDAL's {driver} driver, which is not accepted for inputs.",
     "该文件由 GDAL 的 {driver} 驱动读取，此类数据不接受作为输入。"),
    ("convert the data, e.g. with ogr2ogr, to a GeoPackage.", "请将数据转换为 GeoPackage（例如使用 ogr2ogr）。"),
    ("the layer has no geometry.", "该图层没有几何。"),
    ("give a spatial layer, or a table with coordinate columns.", "请提供空间图层，或带坐标列的表格。"),
    ("there is no layer '{layer}' (layers: {layers}).", "不存在图层 '{layer}'（现有图层：{layers}）。"),
    ("write the file as path:layer with one of the layers listed.",
     "请写成 路径:图层名（path:layer），图层名取上面所列之一。"),
    ("the CSV file has no header row.", "CSV 文件没有表头行。"),
    ("the CSV file cannot be read: {what|t} ({detail}).", "无法读取 CSV 文件：{what|t}（{detail}）。"),
    ("fix that row (close the quote, or remove the extra separators) and save the file again.",
     "请修正该行（补全引号，或删除多余的分隔符）后重新保存文件。"),
    ("the workbook cannot be read ({error}).", "无法读取该工作簿（{error}）。"),
    ("name an existing sheet as file.xlsx:SHEET.", "请以 file.xlsx:工作表名 的形式指定一个存在的工作表。"),
    ("the file cannot be read as a workbook ({error}).", "该文件无法作为工作簿读取（{error}）。"),
    ("open and save it again in Excel or LibreOffice, or save it as CSV.",
     "请在 Excel 或 LibreOffice 中打开后重新保存，或另存为 CSV。"),
    ("the file cannot be read ({error}).", "无法读取该文件（{error}）。"),
    ("check that the file is complete and of a supported format.", "请确认文件完整且为支持的格式。"),
    ("'{text}' is not a coordinate reference system.", "'{text}' 不是有效的坐标参照系。"),
    ("give it as EPSG:NNNN, e.g. EPSG:4546.", "请写成 EPSG:NNNN，例如 EPSG:4546。"),
    ("the file cannot be read as {format}: its content is {found|t}, so it is not opened.",
     "该文件无法作为 {format} 读取：其内容为 {found|t}，因此未予打开。"),
    ("give the data in the format its name says (a VRT or a file that only points elsewhere is not accepted: "
     "convert the data, e.g. with ogr2ogr, to a GeoPackage).",
     "请按文件后缀所示的格式提供数据（不接受 VRT 或仅指向其他位置的文件：请将数据转换为 GeoPackage，"
     "例如使用 ogr2ogr）。"),
    ("the {what|t} is a folder.", "该{what|t}是一个文件夹。"),
    ("give a file (a FileGDB folder must end in .gdb).", "请提供文件（FileGDB 文件夹名须以 .gdb 结尾）。"),
    ("the {what|t} is {kind|t}, not a regular file; it is not read.", "该{what|t}是{kind|t}，不是普通文件，未予读取。"),
    ("save the data to a regular file and give that.", "请将数据保存为普通文件后再提供。"),
    ("files of type '{suffix|t}' are not read as vector data.", "不支持将 '{suffix|t}' 类型的文件作为矢量数据读取。"),
    ("give a GeoPackage, Shapefile (or zipped), FileGDB, GeoJSON, FlatGeobuf, OSM, KML/GML, or a CSV/XLSX table "
     "with coordinate columns (a GDAL VRT is not accepted: convert it, e.g. with ogr2ogr, to a GeoPackage).",
     "请提供 GeoPackage、Shapefile（或其 zip 压缩包）、FileGDB、GeoJSON、FlatGeobuf、OSM、KML/GML，"
     "或带坐标列的 CSV/XLSX 表格（不接受 GDAL VRT：请将其转换为 GeoPackage，例如使用 ogr2ogr）。"),
    ("a FileGDB must be a folder.", "FileGDB 必须是文件夹。"),
    ("give the .gdb folder itself.", "请直接提供 .gdb 文件夹。"),
    ("the {what|t} does not exist.", "该{what|t}不存在。"),
    ("check the path in the project file or on the command line.", "请检查项目文件或命令行中的路径。"),
    ("the {what|t} cannot be read ({reason}).", "无法读取该{what|t}（{reason}）。"),
    ("check the path and its permissions.", "请检查路径及其访问权限。"),
    ("the zip file cannot be read ({error}).", "无法读取该 zip 文件（{error}）。"),
    ("check that the file is complete (download it again).", "请确认文件完整（可重新下载）。"),
    ("the zip file holds no shapefile (.shp).", "该 zip 文件中没有 shapefile（.shp）。"),
    ("zip the .shp with its .dbf, .shx, .prj (and .cpg) files.", "请将 .shp 与其 .dbf、.shx、.prj（及 .cpg）文件一起打包。"),
    ("the file cannot be opened as vector data ({error}).", "无法作为矢量数据打开该文件（{error}）。"),
    ("the zip member '{member}' is not a shapefile; it is not opened.", "zip 包内的 '{member}' 不是 shapefile，未予打开。"),
    ("zip the .shp with its .dbf, .shx and .prj files.", "请将 .shp 与其 .dbf、.shx 和 .prj 文件一起打包。"),
    # the run -------------------------------------------------------------------------------
    ("no input layer has a CRS or coordinates from which a working CRS can be chosen.",
     "没有任何输入图层带有坐标系或可据以确定工作坐标系的坐标。"),
    ("give --crs EPSG:NNNN (e.g. EPSG:4546) or add .prj files.", "请指定 --crs EPSG:NNNN（例如 EPSG:4546），或补充 .prj 文件。"),
    ("no input layer could be used: {errors|m}", "没有可用的输入图层：{errors|m}"),
    ("fix the inputs named above and run again.", "请修正上述输入后重新运行。"),
    ("the working CRS {crs} is in degrees; analyses need metres.",
     "工作坐标系 {crs} 以度为单位；分析需要以米为单位的投影坐标系。"),
    ("give a projected CRS, e.g. EPSG:4546, or leave --crs out.", "请指定投影坐标系，例如 EPSG:4546，或不指定 --crs。"),
    ("the project file would replace an input layer or a folder.", "项目文件将覆盖某个输入图层或文件夹。"),
    ("give --save-project another file name.", "请为 --save-project 另取文件名。"),
    ("the project file's folder cannot be created ({reason}).", "无法创建项目文件所在的文件夹（{reason}）。"),
    ("give --save-project a folder you can write to.", "请为 --save-project 指定有写入权限的文件夹。"),
    # project TOML --------------------------------------------------------------------------
    ("'{name}' is not a layer role.", "'{name}' 不是图层角色。"),
    ("use one of: {names}.", "请使用以下之一：{names}。"),
    ("'{key}' must be {want|t}, not {kind|t} ({value}).", "'{key}' 应为{want|t}，而不是{kind|t}（{value}）。"),
    ("write it as {example|t} (see the sample project in sample_data/).",
     "请写成 {example|t}（参见 sample_data/ 中的示例项目）。"),
    ("the project file is not a regular file (a folder, pipe or device); it is not read.",
     "项目文件不是普通文件（而是文件夹、管道或设备），未予读取。"),
    ("give the path of a .toml file.", "请提供 .toml 文件的路径。"),
    ("the mapping '{text}' is not of the form layer.field=column.",
     "映射 '{text}' 不符合 图层.字段=列名（layer.field=column）的格式。"),
    ("e.g. --map buildings.year_built=建造年份", "例如 --map buildings.year_built=建造年份"),
    ("the mapping '{text}' names layer '{role}', which is not an input.", "映射 '{text}' 指定的图层 '{role}' 不是输入图层。"),
    ("give --{option} FILE too.", "请同时提供 --{option} 文件。"),
    ("the {what|t} '{text}' is not a date.", "{what|t} '{text}' 不是有效日期。"),
    ("write it as YYYY-MM-DD.", "请按 YYYY-MM-DD 格式填写。"),
    ("the project file does not exist.", "项目文件不存在。"),
    ("check the path.", "请检查路径。"),
    ("the project file is not UTF-8 text ({reason} at byte {byte}).",
     "项目文件不是 UTF-8 编码的文本（第 {byte} 字节处：{reason}）。"),
    ('save it as UTF-8 (any editor\'s "UTF-8" encoding).', '请另存为 UTF-8 编码（编辑器中的 "UTF-8" 编码选项）。'),
    ("the project file is not valid TOML ({error}).", "项目文件不是有效的 TOML（{error}）。"),
    ("fix the syntax (see the sample project in sample_data/).", "请修正语法错误（参见 sample_data/ 中的示例项目）。"),
    ("input '{role}' has no path.", "输入 '{role}' 未指定路径。"),
    ('add path = "...".', '请补充 path = "..."。'),
    # project file (.gpkg) ------------------------------------------------------------------
    ("there is not enough free space on the disk to save the project.", "磁盘剩余空间不足，无法保存项目。"),
    ("free some space or save to another drive; the previous file is unchanged.",
     "请释放部分空间或保存到其他磁盘；原文件未被改动。"),
    ("the file system refused a file this large.", "文件系统不允许写入这么大的文件。"),
    ("save to another drive (e.g. NTFS instead of FAT32); the previous file is unchanged.",
     "请保存到其他磁盘（例如 NTFS 而非 FAT32）；原文件未被改动。"),
    ("the project cannot be written here (permission denied or read-only); it may be open in another program.",
     "项目无法写入此处（无写入权限或为只读）；该文件可能正被其他程序打开。"),
    ("close the file elsewhere or save under another name; the previous file is unchanged.",
     "请在其他程序中关闭该文件，或另存为其他名称；原文件未被改动。"),
    ("the project could not be saved ({error}).", "项目未能保存（{error}）。"),
    ("save under another name or to another folder; the previous file is unchanged.",
     "请另存为其他名称或保存到其他文件夹；原文件未被改动。"),
    ("the project file is read-only.", "项目文件为只读。"),
    ("save it under another name (Save As).", "请另存为其他名称（项目另存为）。"),
    ("this is not a file.", "该路径不是文件。"),
    ("choose a file name.", "请选择文件名。"),
    ("the project description inside the file is not an object.", "文件中的项目描述不是 JSON 对象。"),
    ("restore a backup or open the autosave copy.", "请恢复备份，或打开自动保存的副本。"),
    ("the project was saved by a newer version (format {format}, software {software}).",
     "该项目由更新的版本保存（格式 {format}，软件 {software}）。"),
    ("update Renewal Planner to open it.", "请升级城市更新规划助手后再打开。"),
    ("the project description's 'view' is not four numbers.", "项目描述中的 'view' 不是四个数值。"),
    ("the project description's weights are not numbers.", "项目描述中的权重不是数值。"),
    ("this is not a regular file.", "该路径不是普通文件。"),
    ("choose a project file (.gpkg).", "请选择项目文件（.gpkg）。"),
    ("this autosave needs its project file, which is missing.", "该自动保存副本所依赖的项目文件已缺失。"),
    ("put {name} back beside it, or open the project file itself.", "请将 {name} 放回其旁边，或直接打开项目文件。"),
    ("the project description's '{where?}{key}' has the wrong type ({type}).",
     "项目描述中的 '{where}{key}' 类型有误（{type}）。"),
    ("layer entry {i} of the project description is not an object.", "项目描述中的图层条目 {i} 不是 JSON 对象。"),
    ("the decision on flag '{flag}' is not an object.", "对问题标记 '{flag}' 的审核决定不是 JSON 对象。"),
    ("manual edit {i} of the project description is malformed.", "项目描述中的手工编辑 {i} 格式有误。"),
    ("the project file is damaged or not a GeoPackage ({error}).", "项目文件已损坏或不是 GeoPackage（{error}）。"),
    ("open the autosave copy if there is one (NAME.autosave.gpkg), or restore a backup.",
     "如有自动保存的副本（NAME.autosave.gpkg），请打开该副本，或恢复备份。"),
    ("the project description inside the file is damaged.", "文件中的项目描述已损坏。"),
    ("the analysis results stored in the project are damaged ({error}).", "项目中保存的分析结果已损坏（{error}）。"),
    ("run the checks again, or open the autosave copy.", "请重新运行检查，或打开自动保存的副本。"),
    ("layer '{name}' cannot be read ({error}).", "无法读取图层 '{name}'（{error}）。"),
    ("the project description lacks '{where?}{key}'.", "项目描述中缺少 '{where}{key}'。"),
    ("this GeoPackage is not a Renewal Planner project.", "该 GeoPackage 不是城市更新规划助手的项目文件。"),
    ("open it with Add Layer instead, or open a project file (.gpkg) saved by the app.",
     "请改用“添加图层”打开，或打开由本软件保存的项目文件（.gpkg）。"),
    # session: weights, flags, portfolio ----------------------------------------------------
    ("the weights add up to 0.", "权重之和为 0。"),
    ("give at least one weight above 0.", "请至少将一项权重设为大于 0。"),
    ("weight '{key}' = {value} is not a number ≥ 0.", "权重 '{key}' = {value} 不是 ≥ 0 的数值。"),
    ("give weights ≥ 0.", "请将权重设为 ≥ 0。"),
    ("there is no {word|t} '{name}'.", "不存在{word|t} '{name}'。"),
    ("{group|t}: {names} (layers/portfolio.toml).", "{group|t}：{names}（见 layers/portfolio.toml）。"),
    ("{key} = {value} is not a finite number ≥ 0.", "{key} = {value} 不是 ≥ 0 的有限数值。"),
    ("give a number ≥ 0 (scales above 0).", "请填写 ≥ 0 的数值（尺度系数须大于 0）。"),
    ("{key} = {value} is not a number.", "{key} = {value} 不是数值。"),
    ("give a number ≥ 0.", "请填写 ≥ 0 的数值。"),
    ("there is no flag '{flag}' in this project.", "本项目中不存在问题标记 '{flag}'。"),
    ("use a flag id of the flag_id column of a flag layer.", "请使用问题标记图层 flag_id 列中的标记编号。"),
    ("'{state}' is not a review state.", "'{state}' 不是有效的审核状态。"),
    ("confirmed, dismissed, reclassified or open.",
     "可用状态：confirmed（已确认）、dismissed（已排除）、reclassified（已改判）或 open（待审核）。"),
    ("there is no portfolio yet.", "尚未生成项目库。"),
    ("run the checks first (F5).", "请先运行检查（F5）。"),
    ("run the checks first.", "请先运行检查。"),
    ("projects are edited through project edits.", "项目须通过项目编辑操作修改。"),
    ("use edit_projects.", "请使用 edit_projects。"),
    ("this file is one of the project's input layers and is never overwritten.",
     "该文件是本项目的输入图层之一，不会被覆盖。"),
    ("choose another name for the project.", "请为项目另取文件名。"),
    ("this is a folder.", "该路径是文件夹。"),
    ("the project has no file yet.", "项目尚未保存为文件。"),
    ("use Save As.", "请使用“项目另存为”。"),
    ("there are no results to export yet.", "尚无可导出的结果。"),
)

#: The engine's warnings and notices that reach the window's Messages panel (layer
#: harmonisation, the run's loading, the portfolio's manual edits), as their call sites write them
#: (a sentence that sits inside another, e.g. an encoding decision's warning, after its "{label}: ");
#: ``{name|p}`` is a whole message read back (an InputError paragraph, "ROLE: paragraph" or a warning).
#: Translated for display only (:func:`display`); the engine, the CLI and run.json keep the English.
WARNINGS: Final[tuple[tuple[str, str], ...]] = (
    # the run (planner.pipeline, planner.analysis.runner) ------------------------------------
    ("working CRS {crs}: {reason}", "工作坐标系 {crs}：{reason}"),
    ("raster '{name}' is of no kind in the catalogue (layers/rasters.toml); it is recorded but no analysis uses it",
     "栅格 '{name}' 不属于图层目录（layers/rasters.toml）中的任何栅格类型；已记录，但没有分析使用它"),
    ("{analysis} ({id}) skipped: missing {missing|s}", "分析项 {id} 已跳过：缺少{missing|s}"),
    # portfolio (planner.portfolio.overlay) ----------------------------------------------------
    ("manual edit {i} ({op}) not applied: {text|p}", "手工编辑 {i}（{op}）未能应用：{text|p}"),
    # loading (planner.io.loading) --------------------------------------------------------------
    ("{label}: {n} feature{s?} left out, {reason|t}: {rows|r}", "{label}：{n} 个要素被略去（{reason|t}）：{rows|r}"),
    ("{label}: no CRS in the file; {note|c}", "{label}：文件中没有坐标系；{note|c}"),
    ("{label}: the {title} layer is empty", "{label}：图层（{title}）为空"),
    ("{label}: NO COLUMN FOUND for {fields} of the {role} layer, so the checks that need {them} find nothing here. "
     "Columns seen: {columns}. If one of them is it, map it (--map {role}.{first}=COLUMN, or mapping = "
     "{ {first} = \"COLUMN\" } under [inputs.{role}]); if the names look garbled, declare the file's encoding "
     "(encoding = \"GBK\" / \"UTF-8\" / \"BIG5\")",
     "{label}：未找到列！{role} 图层中没有 {fields} 对应的列，依赖这些字段的检查在此查不出任何结果。"
     "现有列：{columns}。如其中某列即是，请映射（--map {role}.{first}=COLUMN，或在 [inputs.{role}] 下写 "
     "mapping = { {first} = \"COLUMN\" }）；如列名显示为乱码，请声明文件编码"
     "（encoding = \"GBK\" / \"UTF-8\" / \"BIG5\"）"),
    ("{label}: field '{column}' ({name}): {count} values could not be read and were left empty (e.g. {examples})",
     "{label}：字段 '{column}'（{name}）中有 {count} 个值无法读取，已留空（例如 {examples}）"),
    ("{path}: {n} of {total} features of the {role} layer lie outside the study area (boundary {boundary}) and are "
     "left out of the analyses (e.g. ids {ids}); extend the boundary layer to include them",
     "{path}：{role} 图层的 {total} 个要素中有 {n} 个位于研究范围（边界 {boundary}）之外，未纳入分析"
     "（例如编号 {ids}）；如需纳入，请扩大研究范围图层"),
    ("{label}: {n} features share an id in field '{field}' (e.g. {id}); flags name them by row as well",
     "{label}：字段 '{field}' 中有 {n} 个要素编号重复（例如 {id}）；问题标记同时注明其行号"),
    # reading (planner.io.readers, planner.io.encoding, planner.io.osm) ---------------------------
    ("{label}: {n} of {total} rows dropped: their coordinates in columns {lon}/{lat} are empty or not numbers "
     "({rows|r}); fix them to include those features",
     "{label}：{total} 行中有 {n} 行被略去：其坐标列 {lon}/{lat} 为空或不是数值（{rows|r}）；修正后即可纳入这些要素"),
    ("{label}: some text could not be decoded as {encoding} and was replaced; check the names and values, or "
     "declare the encoding",
     "{label}：部分文本无法按 {encoding} 解码，已被替换；请检查名称和数值，或声明编码"),
    ("{label}: encoding '{encoding}' is ignored: {kind} text is UTF-8 by definition",
     "{label}：已忽略编码 '{encoding}'：{kind} 文本按规范即为 UTF-8"),
    ("{label}: {n} character(s) of the text are cut in the middle and were left out ({encoding})",
     "{label}：文本中有 {n} 个字符被从中间截断，已略去（{encoding}）"),
    ("{label}: field name '{column}' was cut in the middle of a character by the program that wrote the file and "
     "matches no known field name; map it by hand if it matters (e.g. --map {role}.FIELD={column2})",
     "{label}：字段名 '{column}' 被写出该文件的程序从字符中间截断，且不匹配任何已知字段名；"
     "如该字段有用，请手工映射（例如 --map {role}.FIELD={column2}）"),
    ("{label}: the .prj file cannot be read as a CRS; the layer is treated as having none (declare its CRS, e.g. "
     "crs = \"EPSG:4546\" for the input in the project file)",
     "{label}：.prj 文件无法解析为坐标系；该图层按无坐标系处理（请声明其坐标系，例如在项目文件中为该输入写 "
     "crs = \"EPSG:4546\"）"),
    ("{label}: the text encoding is uncertain: read as {encoding} ({why|w}, confidence {confidence}); if names or "
     "values look wrong, declare the encoding (a .cpg file, or encoding = \"...\" for the input in the project file)",
     "{label}：文本编码不确定：已按 {encoding} 读取（{why|w}，置信度 {confidence}）；如名称或数值显示有误，请声明编码"
     "（.cpg 文件，或在项目文件中为该输入写 encoding = \"...\"）"),
    ("{label}: some text does not decode as {said} ({by|t}); those characters are left out: check the names and values",
     "{label}：部分文本无法按 {said}（{by|t}）解码，这些字符已略去：请检查名称和数值"),
    ("{label}: {by|t} declares {said}, but the text is {choice}; read as {choice2} (correct or remove the encoding declared in {by2|t})",
     "{label}：{by|t}声明的编码为 {said}，但文本实为 {choice}；已按 {choice2} 读取（请更正或删除{by2|t}中的编码声明）"),
    ("{label}: the OpenStreetMap extract holds no building outlines (building=*); the checks of buildings find "
     "nothing here",
     "{label}：该 OpenStreetMap 数据中没有建筑轮廓（building=*）；建筑相关的检查在此查不出任何结果"),
    ("{label}: OpenStreetMap has no households, safety grades, structures, elevators or vacancy rates: the checks "
     "that need them (unsafe housing, elevators, precast slabs, idle buildings, households served) have nothing to "
     "go on for these buildings; load the city's building survey for them",
     "{label}：OpenStreetMap 没有户数、安全等级、结构类型、电梯和空置率数据：依赖这些数据的检查"
     "（危房、电梯、预制板、闲置建筑、服务户数）对这些建筑无从判断；请为其加载城市的建筑普查数据"),
    ("{label}: the OpenStreetMap extract maps no {types|f}: the service and coverage gaps of those types show what "
     "the map lacks as much as what the city lacks; add the city's facility list (POI table) before relying on them",
     "{label}：该 OpenStreetMap 数据中没有 {types|f}：这些类型的服务与覆盖缺口既可能是城市缺少设施，"
     "也可能只是地图缺少数据；请先加入城市的设施清单（POI 表）再据此判断"),
    ("{label}: {n} of {total} named residential areas (landuse=residential, e.g. {shown}) hold no building outline "
     "in OpenStreetMap: their housing is not on the map, so no check sees it; load the city's building survey for "
     "them",
     "{label}：{total} 个有名称的居住区（landuse=residential，例如 {shown}）中有 {n} 个在 OpenStreetMap 中"
     "没有建筑轮廓：其住房不在地图上，任何检查都看不到；请为其加载城市的建筑普查数据"),
    ("{label}: in {n} named residential areas (e.g. {shown}) no building outline is tagged as housing (building=yes "
     "or another use): they are not checked as homes; tag them building=residential / apartments, or load the "
     "city's building survey",
     "{label}：{n} 个有名称的居住区（例如 {shown}）中没有标注为住房的建筑轮廓（building=yes 或其他用途）："
     "不按住房检查；请将其标注为 building=residential / apartments，或加载城市的建筑普查数据"),
)

_PART = re.compile(r"\{(\w+)(\?)?(\|[tmprscfw])?\}")


class _Entry:
    """One compiled catalogue entry."""

    __slots__ = ("literal", "pattern", "shape", "template", "translated")

    def __init__(self, shape: str, template: str) -> None:
        self.shape = shape
        self.template = template
        parts: list[str] = []
        seen: set[str] = set()
        self.translated: set[str] = set()
        pos = 0
        for m in _PART.finditer(shape):
            parts.append(re.escape(shape[pos:m.start()]))
            name = m.group(1)
            if name in seen:
                parts.append(f"(?P={name})")
            elif m.group(2) and m.group(3):  # optional and translated: one of TERMS, or nothing
                parts.append(f"(?P<{name}>{'|'.join(map(re.escape, sorted(TERMS, key=len, reverse=True)))}|)")
                seen.add(name)
            elif m.group(3) in ("|m", "|p"):
                parts.append(f"(?P<{name}>.+)")
                seen.add(name)
            else:
                parts.append(f"(?P<{name}>.{'*' if m.group(2) else '+'}?)")
                seen.add(name)
            if m.group(3):
                self.translated.add(name)
            pos = m.end()
        parts.append(re.escape(shape[pos:]))
        self.pattern = re.compile("".join(parts), re.DOTALL)
        self.literal = len(_PART.sub("", shape))
        used = {m.group(1) for m in _PART.finditer(template)}
        if not used <= seen:  # a template may drop a part, never invent one
            raise ValueError(f"messages_zh: template of {shape!r} uses {sorted(used - seen)}")

    def render(self, match: re.Match[str]) -> str:
        def part(m: re.Match[str]) -> str:
            value = match.group(m.group(1))
            if m.group(3) == "|m":
                return _paragraphs(value)
            if m.group(3) == "|p":
                return display(value)
            if m.group(3) == "|r":
                return _rows_text(value)
            if m.group(3) == "|s":
                return _missing_text(value)
            if m.group(3) == "|c":
                return _crs_note(value)
            if m.group(3) == "|f":
                return _facility_types(value)
            if m.group(3) == "|w":
                return _encoding_why(value)
            return _term(value) if m.group(3) else value

        return _PART.sub(part, self.template)


#: Most literal text first, so "the project file does not exist." wins over "the {what} does not exist.".
_ENTRIES: Final[tuple[_Entry, ...]] = tuple(sorted((_Entry(s, t) for s, t in ENTRIES),
                                                   key=lambda e: -e.literal))


_PARTS: Final[tuple[_Entry, ...]] = tuple(sorted((_Entry(s, t) for s, t in PARTS), key=lambda e: -e.literal))
_WARNINGS: Final[tuple[_Entry, ...]] = tuple(sorted((_Entry(s, t) for s, t in WARNINGS), key=lambda e: -e.literal))


def _first(entries: tuple[_Entry, ...], text: str) -> tuple[_Entry, re.Match[str]] | None:
    """The first of ``entries`` (most literal text first) whose English shape ``text`` has, with its match."""
    for entry in entries:
        match = entry.pattern.fullmatch(text)
        if match is not None:
            return entry, match
    return None


def _rendered(entries: tuple[_Entry, ...], text: str) -> str | None:
    """``text`` in Chinese by the first of ``entries`` it fits; None when none does."""
    found = _first(entries, text)
    return found[0].render(found[1]) if found is not None else None


def _by_pattern(table: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str | None:
    """``text`` in Chinese by the first (pattern, template) of ``table`` it fits; None when none does."""
    for pattern, template in table:
        match = pattern.fullmatch(text)
        if match is not None:
            return template.format(**match.groupdict())
    return None


def _term(value: str) -> str:
    """A variable part in Chinese when TERMS or PARTS knows it; else as it is."""
    if value in TERMS:
        return TERMS[value]
    rendered = _rendered(_PARTS, value)
    return value if rendered is None else rendered


def find_entry(text: str) -> _Entry | None:
    """The catalogue entry whose English shape ``text`` has (None when there is none)."""
    found = _first(_ENTRIES, text)
    return found[0] if found is not None else None


def translate(text: str) -> str:
    """One English sentence of a bad-input message in Chinese; the English text when the
    catalogue has no entry for it."""
    rendered = _rendered(_ENTRIES, text.strip())
    return text if rendered is None else rendered


#: InputError.message()'s English paragraph: "file 'x', field 'y', row 3: problem What to do: hint".
_WHERE_EN = re.compile(r"(file|layer|field) '([^']*)'|row (\S+)")
_PLACE_EN = r"(?:(?:file|layer|field) '[^']*'|row [^,:\s]+)"
_BODY_EN = rf"(?:(?P<where>{_PLACE_EN}(?:, {_PLACE_EN})*): )?(?P<problem>.+?)(?: What to do: (?P<hint>.+))?"
_BARE_EN = re.compile(_BODY_EN, re.DOTALL)
_PARAGRAPH_EN = re.compile(rf"(?P<role>raster [^:\s]+|[^:\s]+): {_BODY_EN}", re.DOTALL)
_WHERE_ZH: Final[dict[str, str]] = {"file": "文件", "layer": "图层", "field": "字段"}


def _role(name: str) -> str:
    """An input's name as a run lists it ("buildings", "raster dem") in Chinese."""
    return f"栅格 {name[7:]}" if name.startswith("raster ") else name


def _chinese(places: list[tuple[str, str | int]], problem: str, hint: str | None) -> str:
    """A bad-input paragraph in Chinese: where (文件、图层、字段、行), the problem, 处理办法 and the hint;
    the problem and the hint translated (an English sentence is kept when it has no entry)."""
    where = [_row(value) if kind == "row" else f"{_WHERE_ZH[kind]} '{value}'" for kind, value in places]
    text = translate(problem)
    if where:
        text = f"{'，'.join(where)}：{text}"
    if hint:
        gap = "" if text.endswith(("。", "）", "”")) else " "  # after an untranslated sentence
        text = f"{text}{gap}处理办法：{translate(hint)}"
    return text


def _read_back(match: re.Match[str]) -> str:
    """The Chinese of an English paragraph matched by _BARE_EN or _PARAGRAPH_EN."""
    places: list[tuple[str, str | int]] = [(w.group(1), w.group(2)) if w.group(1) else ("row", w.group(3))
                                           for w in _WHERE_EN.finditer(match.group("where") or "")]
    return _chinese(places, match.group("problem"), match.group("hint"))


def _paragraph(text: str) -> str:
    """One "ROLE: <InputError English paragraph>" of a run's list of unusable inputs in Chinese
    (pipeline: "no input layer could be used: A | B"); as it is when it does not parse."""
    match = _PARAGRAPH_EN.fullmatch(text.strip())
    if match is None:
        return text
    return f"{_role(match.group('role'))}：{_read_back(match)}"


def _paragraphs(text: str) -> str:
    return " | ".join(_paragraph(p) for p in text.split(" | "))


_ROWS_EN = re.compile(r"rows? (?P<rows>[^()]+?)(?:, \.\.\. \(first (?P<n>\d+) of (?P<total>\d+)\))?"
                      r"(?: \(ids (?P<ids>.*)\))?")


def _rows_text(text: str) -> str:
    """planner.io.readers.rows_text's "rows 3, 7, ... (first 10 of 25)" in Chinese."""
    match = _ROWS_EN.fullmatch(text)
    if match is None:
        return text
    text = f"第 {match.group('rows')} 行"
    if match.group("n"):
        text = f"第 {match.group('rows')} 等行（共 {match.group('total')} 行，列出前 {match.group('n')} 行）"
    return f"{text}（编号 {match.group('ids')}）" if match.group("ids") is not None else text


#: planner.crs.guess_crs's reasons and legacy_datum_warning (a layer without CRS: "guessed: ...").
_CRS_GUESS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"coordinates are degrees within China: CGCS2000 geographic \(EPSG:4490\)"),
     "坐标为中国境内的经纬度，按 CGCS2000 地理坐标系（EPSG:4490）读取"),
    (re.compile(r"eastings carry zone prefix (?P<z>\d+): CGCS2000 3-degree GK zone (?P=z) \(EPSG:(?P<e>\d+)\)"),
     "横坐标带有带号 {z}，按 CGCS2000 3 度带高斯-克吕格投影第 {z} 带（EPSG:{e}）读取"),
    (re.compile(r"eastings without zone prefix; assumed the zone of the other layers, central meridian "
                r"(?P<cm>\S+)°E \(EPSG:(?P<e>\d+)\)"),
     "横坐标不带带号，假定与其他图层同带（中央经线 {cm}°E，EPSG:{e}）"),
)
_CRS_NOTE_EN = re.compile(r"guessed: (?P<guess>.+?)(?:; (?P<legacy>if the data are in Beijing 1954 .+))?", re.DOTALL)
_LEGACY_EN = re.compile(
    r"if the data are in Beijing 1954 or Xian 1980 coordinates \(older surveys\), they look the same but would be "
    r"offset by tens of metres \(up to about 100 m\); then declare the CRS under \[inputs\.(?P<role>[^\]]+)\] in "
    r"the project file, (?P<options>.+), or add the \.prj file that came with the data", re.DOTALL)


def _crs_note(text: str) -> str:
    """How the CRS of a layer without one was guessed, and the warning about older datums, in
    Chinese; a part it does not know stays as it is."""
    match = _CRS_NOTE_EN.fullmatch(text)
    if match is None:
        return text
    guess = match.group("guess")
    out = f"按坐标推断：{_by_pattern(_CRS_GUESS, guess) or guess}"
    legacy = match.group("legacy")
    if legacy:
        m = _LEGACY_EN.fullmatch(legacy)
        if m is not None:
            options = (m.group("options").replace(" or ", " 或 ").replace(" (Xian 1980)", "（西安 1980）")
                       .replace(" (Beijing 1954)", "（北京 1954）"))
            legacy = (f"如数据实为北京 1954 或西安 1980 坐标（较早的测绘成果），坐标看似相同，但位置会偏差数十米"
                      f"（最多约 100 米）；此时请在项目文件的 [inputs.{m.group('role')}] 下声明坐标系，{options}，"
                      "或补上数据附带的 .prj 文件")
        out = f"{out}；{legacy}"
    return out


#: planner.io.encoding.detect_text_encoding's reasons for the encoding it chose.
_ENCODING_WHY: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"valid UTF-8 text"), "为有效的 UTF-8 文本"),
    (re.compile(r"UTF-8 text with (?P<n>\d+) cut character\(s\)"), "为 UTF-8 文本，含 {n} 个被截断的字符"),
    (re.compile(r"(?P<p>\S+) common Chinese characters as (?P<a>\S+) \((?P<q>\S+) as (?P<b>\S+)\)"),
     "按 {a} 解码时常用汉字占 {p}（按 {b} 为 {q}）"),
    (re.compile(r"neither UTF-8 nor Chinese text \(best (?P<p>\S+) common characters as (?P<a>\S+)\)"),
     "既不是 UTF-8 也不是中文文本（按 {a} 解码时常用字最多，占 {p}）"),
)


def _encoding_why(text: str) -> str:
    return _by_pattern(_ENCODING_WHY, text) or text


def _facility_types(text: str) -> str:
    """A list of facility types ("kindergarten, clinic") by their Chinese titles (the catalogue's
    facility_type domain, e.g. 幼儿园（kindergarten）); a key it does not know stays as it is."""
    from planner.catalogue import default_catalogue

    domain = default_catalogue().domains.get("facility_type")
    keys = {v.key for v in domain.values} if domain is not None else set()
    return "、".join(f"{domain.title(k)}（{k}）" if domain is not None and k in keys else k
                    for k in text.split(", "))


_MISSING_EN = re.compile(r"layer '(?P<layer>[^']*)'|raster '(?P<raster>[^']*)'|"
                         r"field\(s\) (?P<fields>.+) of layer '(?P<of>[^']*)'")


def _missing_text(text: str) -> str:
    """An analysis's missing inputs ("layer 'roads'; raster 'dem'"; planner.analysis.registry
    Analysis.missing_inputs) in Chinese; an item it does not know stays as it is."""
    out = []
    for item in text.split("; "):
        m = _MISSING_EN.fullmatch(item)
        if m is None:
            out.append(item)
        elif m.group("layer") is not None:
            out.append(f"图层 '{m.group('layer')}'")
        elif m.group("raster") is not None:
            out.append(f"栅格 '{m.group('raster')}'")
        else:
            out.append(f"图层 '{m.group('of')}' 的字段 {m.group('fields')}")
    return "；".join(out)


def _row(row: str | int) -> str:
    return f"第 {row} 行" if isinstance(row, int) or str(row).isdigit() else f"行 {row}"


def chinese_message(exc: InputError) -> str:
    """The Chinese paragraph of ``exc``: where (文件、图层、字段、行), what, and what to do."""
    return _chinese(exc.places(), exc.problem, exc.hint)


def find_warning(text: str) -> _Entry | None:
    """The WARNINGS entry whose English shape ``text`` has (None when there is none)."""
    found = _first(_WARNINGS, text)
    return found[0] if found is not None else None


def _bare_paragraph(text: str) -> str | None:
    """An InputError's English paragraph ("file 'x', field 'y': problem What to do: hint") in
    Chinese; None unless its problem sentence has an entry."""
    match = _BARE_EN.fullmatch(text)
    if match is None or find_entry(match.group("problem").strip()) is None:
        return None
    return _read_back(match)


def display(text: str) -> str:
    """Any engine message the window shows, in Chinese: a warning of WARNINGS, an InputError's
    English paragraph (alone, or "ROLE: paragraph" / "raster NAME: paragraph" as the run lists
    the inputs it could not use), or a sentence of ENTRIES; the text as it is when none fits
    (a message never gets lost, nor half translated into something else)."""
    stripped = text.strip()
    warning = _rendered(_WARNINGS, stripped)
    if warning is not None:
        return warning
    bare = _bare_paragraph(stripped)
    if bare is not None:
        return bare
    role = re.fullmatch(r"(raster [^:\s]+|[^:\s'/\\]+): (.+)", stripped, re.DOTALL)
    if role is not None and (inner := _bare_paragraph(role.group(2))) is not None:
        return f"{_role(role.group(1))}：{inner}"
    return text
