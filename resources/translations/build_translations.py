"""Regenerate the Chinese translation of the UI: pylupdate6 extracts the strings into the .ts
source, the Chinese text below is filled in, and Qt's lrelease compiles the .qm the app loads.

Run: python resources/translations/build_translations.py  (lrelease: apt-get install qt6-l10n-tools)
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TS = HERE / "renewal_planner_zh_CN.ts"
MIXINS = ("FileActions", "EditActions", "WorkflowActions", "WindowActions")
QM = HERE / "renewal_planner_zh_CN.qm"

ZH = {
    "Filter rows…": "筛选行…", "Field mapping": "字段映射", "Field": "字段", "Meaning": "含义",
    "Column in the file": "文件中的列", "Layer role": "图层类型", "(none)": "（无）", "Move layer up": "上移图层",
    "Move layer down": "下移图层", "Renewal Planner": "城市更新规划助手",
    "Run the checks to list flags and projects here.": "运行检查后，此处列出标记与项目。", "Layers": "图层",
    "Flags and projects": "标记与项目", "Attribute table": "属性表", "Messages": "消息", "Render {0} ms": "绘制 {0} 毫秒",
    "&New Project": "新建项目(&N)", "&Open Project…": "打开项目(&O)…", "&Save Project": "保存项目(&S)",
    "Save Project &As…": "项目另存为(&A)…", "&Add Layer…": "添加图层(&A)…", "E&xit": "退出(&X)",
    "Zoom to &Full Extent": "缩放至全图(&F)", "Zoom to &Layer": "缩放至图层(&L)", "Zoom to &Selection": "缩放至所选(&S)",
    "Select by &Expression…": "按表达式选择(&E)…", "&Clear Selection": "清除选择(&C)", "&Remove Layer": "移除图层(&R)",
    "Pan": "平移", "Zoom Box": "拉框放大", "Identify": "识别", "Select": "选择", "&File": "文件(&F)",
    "Recent Projects": "最近的项目", "&View": "视图(&V)", "&Tools": "工具(&T)", "&Settings": "设置(&S)",
    "Language": "语言", "Main": "主工具栏", "Scale 1:{0}": "比例尺 1:{0}", "Problem": "问题", "Nothing here": "此处无要素",
    "{0}: {1} features selected by {2}": "{0}：按 {2} 选中 {1} 个要素", "Select by expression": "按表达式选择",
    "Loaded {0} layers from {1}; working CRS {2}": "已从 {1} 载入 {0} 个图层；工作坐标系 {2}",
    "Opened project {0}": "已打开项目 {0}", "Cannot open": "无法打开", "Recover": "恢复",
    "An autosave newer than {0} exists. Open the autosave?": "存在比 {0} 更新的自动保存副本，是否打开自动保存副本？",
    "Added {0} ({1} features) as {2}": "已添加 {0}（{1} 个要素），类型 {2}", "Cannot add layer": "无法添加图层",
    "Add layer": "添加图层",
    "GIS data (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;All files (*)":
        "GIS 数据 (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;所有文件 (*)",
    "Cannot save": "无法保存", "Saved {0}": "已保存 {0}", "Save project": "保存项目",
    "Renewal Planner project (*.gpkg)": "城市更新规划助手项目 (*.gpkg)", "Autosaved to {0}": "已自动保存到 {0}",
    "Open project": "打开项目", "Projects (*.gpkg *.toml);;All files (*)": "项目 (*.gpkg *.toml);;所有文件 (*)",
    "Unsaved changes": "未保存的更改", "Save the changes to the project first?": "是否先保存项目的更改？",
    "The language changes at the next start.": "语言将在下次启动时切换。",
    "Colour": "颜色", "Layer &Style…": "图层样式(&S)…", "Layer style: {0}": "图层样式：{0}", "any": "不限",
    "Fill colour": "填充颜色", "Outline colour": "边线颜色", "Outline width (px)": "边线宽度（像素）", "Opacity": "不透明度",
    "Label field": "标注字段", "Visible from scale": "可见最小比例尺", "Visible up to scale": "可见最大比例尺",
    "Flag": "标记", "Review": "审核", "Confirm": "确认", "Dismiss…": "排除…", "Reopen": "重新打开", "Flags": "问题标记",
    "Portfolio": "项目库", "Undo history": "撤销历史", "&Run Checks…": "运行检查(&R)…",
    "&Export Deliverables…": "导出成果(&E)…", "&Undo": "撤销(&U)", "&Redo": "重做(&R)", "&Edit": "编辑(&E)",
    "&Analysis": "分析(&A)", "Checks failed": "检查失败", "Checks cancelled; the previous results are kept.": "检查已取消，保留原有结果。",
    "Running checks…": "正在运行检查…", "Cancel": "取消", "Checks done: {0} flags, {1} projects": "检查完成：{0} 条标记，{1} 个项目",
    "Dismiss flag": "排除标记", "Why is this flag dismissed?": "排除理由：", "Export deliverables to": "导出成果到",
    "Deliverables written to {0}": "成果已写入 {0}", "Export failed": "导出失败", "Writing deliverables…": "正在写出成果…",
    "Filter by type, phase, district…": "按类型、阶段、片区筛选…", "Need": "需求", "Residents": "受益居民", "Cost": "成本",
    "Ease": "难易", "Total: {0} projects, {1} 10k yuan": "合计：{0} 个项目，估算投资 {1} 万元", "Run checks": "运行检查",
    "As-of date": "评估基准日",
    "Move vertex": "移动节点", "Split project": "拆分项目", "Split feature": "拆分要素", "Merge projects": "合并项目",
    "Merge features": "合并要素", "Delete features": "删除要素", "Edit {0}": "编辑 {0}",
    "&Merge Selected": "合并所选(&M)", "&Delete Selected": "删除所选(&D)", "Edit Vertices": "编辑节点",
    "Split with Line": "画线拆分",
    "Reclassify…": "改判…", "Reclassify flag": "改判标记", "New rule code": "新的规则代码",
    "District": "片区", "Indicator": "指标", "Value": "数值", "Unit": "单位", "Target": "目标", "Pass": "达标",
    "City examination": "城市体检", "{0}: {1} features behind {2}": "{0}：{2} 对应 {1} 个要素",
    "Invalid value": "无效的值", "Create project": "创建项目", "Create Project from Selection": "由所选要素创建项目",
    "Move Feature": "移动要素", "Draw Feature": "绘制要素", "Add vertex": "添加节点", "Delete vertex": "删除节点",
    "Move feature": "移动要素", "Draw project": "绘制项目", "Add feature": "添加要素",
    "Export options": "导出选项", "Overview": "总图", "none (offline); tianditu:KEY or a tile URL": "无（离线）；tianditu:密钥 或 瓦片地址",
    "Map sheets": "出图", "Basemap": "底图",
    "Expression, e.g. floors >= 4 and use = 'residential'\nFields: {0}": "表达式，例如 floors >= 4 and use = 'residential'\n字段：{0}",
}

ZH.update({  # issue 16: review, identify, measure, navigation, tool tips
    "&Bookmarks": "书签(&B)", "&New Bookmark…": "新建书签(&N)…", "<empty>": "<空>",
    "A dismissal needs a note: type it here, then press Enter": "排除须写备注：在此输入后按回车",
    "Autosaved to {0} ({1} KB)": "已自动保存到 {0}（{1} KB）",
    "Choose the Identify tool (I) and click on the map.": "选择识别工具（I）后在地图上单击。",
    "Click the corners, double-click to finish": "依次单击各角点，双击结束",
    "Confirm the flag and go to the next (C)": "确认该标记并转到下一条（C）",
    "Cursor in degrees (CGCS2000)": "光标经纬度（CGCS2000）",
    "Cursor in the working coordinate system (metres)": "光标在工作坐标系中的坐标（米）",
    "Delete projects {0}": "删除项目 {0}", "Details: {0}": "详情：{0}", "Dismiss": "排除",
    "Dismiss the flag with the note and go to the next (D)": "按备注排除该标记并转到下一条（D）",
    "Drag a box to zoom in": "拉框放大", "Drag a feature of the active layer": "拖动当前图层的要素",
    "Drag a vertex; double-click adds one, Shift+click deletes one": "拖动节点；双击添加节点，Shift+单击删除节点",
    "Draw a line across a feature to split it": "画一条穿过要素的线以拆分要素", "Edit {0} of {1}": "编辑 {1} 的 {0}",
    "Editing": "编辑工具栏", "Feature / field": "要素 / 字段", "Flag review": "标记审核",
    "Give the flag another rule (X)": "改判为其他规则（X）",
    "Identify the features of every visible layer at a click": "识别单击处所有可见图层的要素",
    "Internal error (the work is kept): {0}": "内部错误（工作已保留）：{0}", "Map": "地图工具栏",
    "Map scale: choose or type 1:N": "地图比例尺：选择或输入 1:N", "Measure Area": "量算面积",
    "Measure Distance": "量算距离", "Measure a distance (click points, double-click to end)": "量算距离（依次单击，双击结束）",
    "Measure an area (click corners, double-click to end)": "量算面积（依次单击角点，双击结束）",
    "Merge projects {0}": "合并项目 {0}", "Name of this view": "此视图的名称", "New bookmark": "新建书签",
    "New rule": "新的规则", "Next": "下一条", "Next flag (N or ↓)": "下一条标记（N 或 ↓）",
    "Note for a dismissal (required)…": "排除备注（必填）…", "Opened {0}: {1} layers": "已打开 {0}：{1} 个图层",
    "Pan the map (drag; arrow keys)": "平移地图（拖动；方向键）", "Panels": "面板", "Previous": "上一条",
    "Previous flag (P or ↑)": "上一条标记（P 或 ↑）", "Project": "项目工具栏",
    "Recovered unsaved work from {0}": "已从 {0} 恢复未保存的工作", "Reopen the flag (R)": "重新打开该标记（R）",
    "Replace file": "替换文件", "Rule": "规则", "Safety": "安全", "Scale": "比例尺",
    "Search flags (id, feature, reason, note)…": "搜索标记（编号、对象、原因、备注）…",
    "Select features of the active layer (click or drag)": "选择当前图层的要素（单击或拉框）",
    "Severity": "严重程度", "Split project {0}": "拆分项目 {0}", "Working coordinate system": "工作坐标系",
    "Zoom &Back": "后退视图(&B)", "Zoom &Forward": "前进视图(&F)", "{0} exists already. Replace it?": "{0} 已存在，是否替换？",
    "{0} features on {1} layers": "{1} 个图层上共 {0} 个要素", "{0} of {1} flags shown; {2} reviewed": "显示 {0} / {1} 条标记；已审核 {2} 条",
    "… {0} more": "… 另有 {0} 个",
})

ZH.update({  # issue 16: portfolio, style, dashboard
    "At least one weight must be above 0": "至少一个权重须大于 0", "Change priority weights": "修改优先级权重",
    "Class colours": "分类颜色", "Confirm flag": "确认标记", "Reopen flag": "重新打开标记", "Fill strength": "填充浓度",
    "Font": "字体", "Halo colour": "描边颜色", "Halo width": "描边宽度", "Labels": "标注", "Priority weights": "优先级权重",
    "Size": "字号", "Text colour": "文字颜色",
    "Weight of {0}; the weights are normalised to add up to 1": "{0}的权重；各权重归一化为合计 1",
    "{0}: {1} features behind the indicator": "{0}：该指标对应 {1} 个要素",
})


def main() -> int:
    sources = sorted(str(p) for p in (ROOT / "planner" / "gui").glob("*.py"))
    subprocess.run([str(Path(sys.executable).parent / "pylupdate6"), *sources, "-ts", str(TS)], check=True)
    tree = ET.parse(TS)
    # Mixins' strings are looked up at run time in the context of the window class they are
    # mixed into (PyQt's tr uses the instance's class): copy them into that context.
    root = tree.getroot()
    contexts = {c.findtext("name"): c for c in root.iter("context")}
    window = contexts.get("MainWindow")
    if window is None:
        window = ET.SubElement(root, "context")
        ET.SubElement(window, "name").text = "MainWindow"
    have = {m.findtext("source") for m in window.iter("message")}
    for name in MIXINS:
        for message in list(contexts[name].iter("message")) if name in contexts else []:
            if message.findtext("source") not in have:
                have.add(message.findtext("source"))
                window.append(copy.deepcopy(message))
    missing = []
    for message in tree.iter("message"):
        source = message.findtext("source")
        tr = message.find("translation")
        if source in ZH:
            tr.text = ZH[source]
            tr.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(TS, encoding="utf-8", xml_declaration=True)
    lrelease = shutil.which("lrelease") or "/usr/lib/qt6/bin/lrelease"
    subprocess.run([lrelease, str(TS), "-qm", str(QM)], check=True)
    if missing:
        print("untranslated:", *sorted(set(missing)), sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
