<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1">
<context>
    <name>AttributeTable</name>
    <message>
        <location filename="../../planner/gui/attribute_table.py" line="224" />
        <source>Filter rows…</source>
        <translation>筛选行…</translation>
    </message>
</context><context>
    <name>ColourButton</name>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="29" />
        <source>Colour</source>
        <translation>颜色</translation>
    </message>
</context><context>
    <name>Dashboard</name>
    <message>
        <location filename="../../planner/gui/dashboard.py" line="138" />
        <location filename="../../planner/gui/dashboard.py" line="132" />
        <source>Indicator</source>
        <translation>指标</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dashboard.py" line="138" />
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dashboard.py" line="138" />
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>District</source>
        <translation>片区</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Pass</source>
        <translation>达标</translation>
    </message>
</context><context>
    <name>EditActions</name>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="55" />
        <source>Move vertex</source>
        <translation>移动节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="61" />
        <source>Split project {0}</source>
        <translation>拆分项目 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="68" />
        <source>Split feature</source>
        <translation>拆分要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="77" />
        <source>Merge projects {0}</source>
        <translation>合并项目 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="82" />
        <source>Merge features</source>
        <translation>合并要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="87" />
        <source>Delete projects {0}</source>
        <translation>删除项目 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="89" />
        <source>Delete features</source>
        <translation>删除要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="98" />
        <source>Edit {0} of {1}</source>
        <translation>编辑 {1} 的 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="115" />
        <source>Edit {0}</source>
        <translation>编辑 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="121" />
        <source>Add vertex</source>
        <translation>添加节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="122" />
        <source>Delete vertex</source>
        <translation>删除节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="123" />
        <source>Move feature</source>
        <translation>移动要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="143" />
        <source>Draw project</source>
        <translation>绘制项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="147" />
        <source>Add feature</source>
        <translation>添加要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="156" />
        <source>Invalid value</source>
        <translation>无效的值</translation>
    </message>
    <message>
        <location filename="../../planner/gui/edit_actions.py" line="167" />
        <source>Create project</source>
        <translation>创建项目</translation>
    </message>
</context><context>
    <name>ExportOptionsDialog</name>
    <message>
        <location filename="../../planner/gui/panels.py" line="312" />
        <source>Export options</source>
        <translation>导出选项</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="317" />
        <source>Overview</source>
        <translation>总图</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="323" />
        <source>none (offline); tianditu:KEY or a tile URL</source>
        <translation>无（离线）；tianditu:密钥 或 瓦片地址</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="324" />
        <source>Map sheets</source>
        <translation>出图</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="325" />
        <source>Basemap</source>
        <translation>底图</translation>
    </message>
</context><context>
    <name>FieldMappingDialog</name>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="22" />
        <source>Field mapping</source>
        <translation>字段映射</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="30" />
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="30" />
        <source>Column in the file</source>
        <translation>文件中的列</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="36" />
        <source>Layer role</source>
        <translation>图层类型</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="55" />
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>Meaning</source>
        <translation>含义</translation>
    </message>
</context><context>
    <name>FileActions</name>
    <message>
        <location filename="../../planner/gui/files.py" line="35" />
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="35" />
        <source>Save the changes to the project first?</source>
        <translation>是否先保存项目的更改？</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="42" />
        <source>Replace file</source>
        <translation>替换文件</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="43" />
        <source>{0} exists already. Replace it?</source>
        <translation>{0} 已存在，是否替换？</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="68" />
        <source>Recovered unsaved work from {0}</source>
        <translation>已从 {0} 恢复未保存的工作</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="79" />
        <source>Opened project {0}</source>
        <translation>已打开项目 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="82" />
        <source>Cannot open</source>
        <translation>无法打开</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="88" />
        <source>Opened {0}: {1} layers</source>
        <translation>已打开 {0}：{1} 个图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="95" />
        <source>Recover</source>
        <translation>恢复</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="95" />
        <source>An autosave newer than {0} exists. Open the autosave?</source>
        <translation>存在比 {0} 更新的自动保存副本，是否打开自动保存副本？</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="102" />
        <source>Open project</source>
        <translation>打开项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="103" />
        <source>Projects (*.gpkg *.toml);;All files (*)</source>
        <translation>项目 (*.gpkg *.toml);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="129" />
        <location filename="../../planner/gui/files.py" line="120" />
        <source>Cannot save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="133" />
        <source>Saved {0}</source>
        <translation>已保存 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="143" />
        <source>Save project</source>
        <translation>保存项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="144" />
        <source>Renewal Planner project (*.gpkg)</source>
        <translation>城市更新规划助手项目 (*.gpkg)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="161" />
        <source>Autosaved to {0} ({1} KB)</source>
        <translation>已自动保存到 {0}（{1} KB）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="221" />
        <source>Added {0} ({1} features) as {2}</source>
        <translation>已添加 {0}（{1} 个要素），类型 {2}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="224" />
        <source>Cannot add layer</source>
        <translation>无法添加图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="229" />
        <source>Add layer</source>
        <translation>添加图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/files.py" line="230" />
        <source>GIS data (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;All files (*)</source>
        <translation>GIS 数据 (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;所有文件 (*)</translation>
    </message>
</context><context>
    <name>FlagPanel</name>
    <message>
        <source>Flag</source>
        <translation>标记</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>审核</translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Dismiss…</source>
        <translation>排除…</translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation>重新打开</translation>
    </message>
    <message>
        <source>Reclassify…</source>
        <translation>改判…</translation>
    </message>
</context><context>
    <name>FlagReviewPanel</name>
    <message>
        <location filename="../../planner/gui/review.py" line="241" />
        <source>Search flags (id, feature, reason, note)…</source>
        <translation>搜索标记（编号、对象、原因、备注）…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="246" />
        <source>Rule</source>
        <translation>规则</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="246" />
        <source>District</source>
        <translation>片区</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="247" />
        <source>Review</source>
        <translation>审核</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="247" />
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="269" />
        <source>Note for a dismissal (required)…</source>
        <translation>排除备注（必填）…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="273" />
        <source>Previous</source>
        <translation>上一条</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="273" />
        <source>Previous flag (P or ↑)</source>
        <translation>上一条标记（P 或 ↑）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="274" />
        <source>Next</source>
        <translation>下一条</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="274" />
        <source>Next flag (N or ↓)</source>
        <translation>下一条标记（N 或 ↓）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="275" />
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="275" />
        <source>Confirm the flag and go to the next (C)</source>
        <translation>确认该标记并转到下一条（C）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="276" />
        <source>Dismiss</source>
        <translation>排除</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="276" />
        <source>Dismiss the flag with the note and go to the next (D)</source>
        <translation>按备注排除该标记并转到下一条（D）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="277" />
        <source>Reclassify…</source>
        <translation>改判…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="277" />
        <source>Give the flag another rule (X)</source>
        <translation>改判为其他规则（X）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="278" />
        <source>Reopen</source>
        <translation>重新打开</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="278" />
        <source>Reopen the flag (R)</source>
        <translation>重新打开该标记（R）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="355" />
        <source>{0} of {1} flags shown; {2} reviewed</source>
        <translation>显示 {0} / {1} 条标记；已审核 {2} 条</translation>
    </message>
    <message>
        <location filename="../../planner/gui/review.py" line="410" />
        <source>A dismissal needs a note: type it here, then press Enter</source>
        <translation>排除须写备注：在此输入后按回车</translation>
    </message>
    <message>
        <source>A dismissal needs a note: type it here, then press D</source>
        <translation type="vanished">排除须写备注：在此输入后按回车</translation>
    </message>
</context><context>
    <name>IdentifyPanel</name>
    <message>
        <location filename="../../planner/gui/identify.py" line="42" />
        <source>Feature / field</source>
        <translation>要素 / 字段</translation>
    </message>
    <message>
        <location filename="../../planner/gui/identify.py" line="42" />
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <location filename="../../planner/gui/identify.py" line="46" />
        <source>Choose the Identify tool (I) and click on the map.</source>
        <translation>选择识别工具（I）后在地图上单击。</translation>
    </message>
    <message>
        <location filename="../../planner/gui/identify.py" line="58" />
        <source>{0} features on {1} layers</source>
        <translation>{1} 个图层上共 {0} 个要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/identify.py" line="59" />
        <source>Nothing here</source>
        <translation>此处无要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/identify.py" line="80" />
        <source>… {0} more</source>
        <translation>… 另有 {0} 个</translation>
    </message>
</context><context>
    <name>LayerPanel</name>
    <message>
        <location filename="../../planner/gui/layer_panel.py" line="49" />
        <source>Move layer up</source>
        <translation>上移图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/layer_panel.py" line="50" />
        <source>Move layer down</source>
        <translation>下移图层</translation>
    </message>
</context><context>
    <name>MainWindow</name>
    <message>
        <location filename="../../planner/gui/main_window.py" line="216" />
        <location filename="../../planner/gui/main_window.py" line="70" />
        <source>Renewal Planner</source>
        <translation>城市更新规划助手</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="89" />
        <source>Layers</source>
        <translation>图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="90" />
        <source>Flag review</source>
        <translation>标记审核</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="91" />
        <source>Identify</source>
        <translation>识别</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="92" />
        <source>Undo history</source>
        <translation>撤销历史</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="93" />
        <source>Attribute table</source>
        <translation>属性表</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="94" />
        <source>Portfolio</source>
        <translation>项目库</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="95" />
        <source>City examination</source>
        <translation>城市体检</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="96" />
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="164" />
        <source>Render {0} ms</source>
        <translation>绘制 {0} 毫秒</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="203" />
        <source>&lt;empty&gt;</source>
        <translation>&lt;空&gt;</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="232" />
        <source>Details: {0}</source>
        <translation>详情：{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="234" />
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="238" />
        <source>Internal error (the work is kept): {0}</source>
        <translation>内部错误（工作已保留）：{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="256" />
        <source>Nothing here</source>
        <translation>此处无要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="302" />
        <source>{0}: {1} features selected by {2}</source>
        <translation>{0}：按 {2} 选中 {1} 个要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="310" />
        <source>Select by expression</source>
        <translation>按表达式选择</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="311" />
        <source>Expression, e.g. floors &gt;= 4 and use = 'residential'
Fields: {0}</source>
        <translation>表达式，例如 floors &gt;= 4 and use = 'residential'
字段：{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="323" />
        <source>The language changes at the next start.</source>
        <translation>语言将在下次启动时切换。</translation>
    </message>
    <message>
        <source>Flags</source>
        <translation>问题标记</translation>
    </message>
    <message>
        <source>&amp;New Project</source>
        <translation>新建项目(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open Project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save Project</source>
        <translation>保存项目(&amp;S)</translation>
    </message>
    <message>
        <source>Save Project &amp;As…</source>
        <translation>项目另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Add Layer…</source>
        <translation>添加图层(&amp;A)…</translation>
    </message>
    <message>
        <source>E&amp;xit</source>
        <translation>退出(&amp;X)</translation>
    </message>
    <message>
        <source>Zoom to &amp;Full Extent</source>
        <translation>缩放至全图(&amp;F)</translation>
    </message>
    <message>
        <source>Zoom to &amp;Layer</source>
        <translation>缩放至图层(&amp;L)</translation>
    </message>
    <message>
        <source>Zoom to &amp;Selection</source>
        <translation>缩放至所选(&amp;S)</translation>
    </message>
    <message>
        <source>Select by &amp;Expression…</source>
        <translation>按表达式选择(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Clear Selection</source>
        <translation>清除选择(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Remove Layer</source>
        <translation>移除图层(&amp;R)</translation>
    </message>
    <message>
        <source>Layer &amp;Style…</source>
        <translation>图层样式(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Run Checks…</source>
        <translation>运行检查(&amp;R)…</translation>
    </message>
    <message>
        <source>&amp;Export Deliverables…</source>
        <translation>导出成果(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Merge Selected</source>
        <translation>合并所选(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Delete Selected</source>
        <translation>删除所选(&amp;D)</translation>
    </message>
    <message>
        <source>Create Project from Selection</source>
        <translation>由所选要素创建项目</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <source>Zoom Box</source>
        <translation>拉框放大</translation>
    </message>
    <message>
        <source>Select</source>
        <translation>选择</translation>
    </message>
    <message>
        <source>Edit Vertices</source>
        <translation>编辑节点</translation>
    </message>
    <message>
        <source>Split with Line</source>
        <translation>画线拆分</translation>
    </message>
    <message>
        <source>Move Feature</source>
        <translation>移动要素</translation>
    </message>
    <message>
        <source>Draw Feature</source>
        <translation>绘制要素</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Recent Projects</source>
        <translation>最近的项目</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Analysis</source>
        <translation>分析(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>Scale 1:{0}</source>
        <translation>比例尺 1:{0}</translation>
    </message>
    <message>
        <source>Loaded {0} layers from {1}; working CRS {2}</source>
        <translation>已从 {1} 载入 {0} 个图层；工作坐标系 {2}</translation>
    </message>
    <message>
        <source>Opened project {0}</source>
        <translation>已打开项目 {0}</translation>
    </message>
    <message>
        <source>Cannot open</source>
        <translation>无法打开</translation>
    </message>
    <message>
        <source>Recover</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>An autosave newer than {0} exists. Open the autosave?</source>
        <translation>存在比 {0} 更新的自动保存副本，是否打开自动保存副本？</translation>
    </message>
    <message>
        <source>Added {0} ({1} features) as {2}</source>
        <translation>已添加 {0}（{1} 个要素），类型 {2}</translation>
    </message>
    <message>
        <source>Cannot add layer</source>
        <translation>无法添加图层</translation>
    </message>
    <message>
        <source>Add layer</source>
        <translation>添加图层</translation>
    </message>
    <message>
        <source>GIS data (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;All files (*)</source>
        <translation>GIS 数据 (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Checks failed</source>
        <translation>检查失败</translation>
    </message>
    <message>
        <source>Checks cancelled; the previous results are kept.</source>
        <translation>检查已取消，保留原有结果。</translation>
    </message>
    <message>
        <source>Running checks…</source>
        <translation>正在运行检查…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Checks done: {0} flags, {1} projects</source>
        <translation>检查完成：{0} 条标记，{1} 个项目</translation>
    </message>
    <message>
        <source>Dismiss flag</source>
        <translation>排除标记</translation>
    </message>
    <message>
        <source>Why is this flag dismissed?</source>
        <translation>排除理由：</translation>
    </message>
    <message>
        <source>Reclassify flag</source>
        <translation>改判标记</translation>
    </message>
    <message>
        <source>New rule code</source>
        <translation>新的规则代码</translation>
    </message>
    <message>
        <source>{0}: {1} features behind {2}</source>
        <translation>{0}：{2} 对应 {1} 个要素</translation>
    </message>
    <message>
        <source>Move vertex</source>
        <translation>移动节点</translation>
    </message>
    <message>
        <source>Split project</source>
        <translation>拆分项目</translation>
    </message>
    <message>
        <source>Split feature</source>
        <translation>拆分要素</translation>
    </message>
    <message>
        <source>Merge projects</source>
        <translation>合并项目</translation>
    </message>
    <message>
        <source>Merge features</source>
        <translation>合并要素</translation>
    </message>
    <message>
        <source>Delete features</source>
        <translation>删除要素</translation>
    </message>
    <message>
        <source>Edit {0}</source>
        <translation>编辑 {0}</translation>
    </message>
    <message>
        <source>Add vertex</source>
        <translation>添加节点</translation>
    </message>
    <message>
        <source>Delete vertex</source>
        <translation>删除节点</translation>
    </message>
    <message>
        <source>Move feature</source>
        <translation>移动要素</translation>
    </message>
    <message>
        <source>Draw project</source>
        <translation>绘制项目</translation>
    </message>
    <message>
        <source>Add feature</source>
        <translation>添加要素</translation>
    </message>
    <message>
        <source>Invalid value</source>
        <translation>无效的值</translation>
    </message>
    <message>
        <source>Create project</source>
        <translation>创建项目</translation>
    </message>
    <message>
        <source>Export deliverables to</source>
        <translation>导出成果到</translation>
    </message>
    <message>
        <source>Deliverables written to {0}</source>
        <translation>成果已写入 {0}</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>Writing deliverables…</source>
        <translation>正在写出成果…</translation>
    </message>
    <message>
        <source>Cannot save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <source>Saved {0}</source>
        <translation>已保存 {0}</translation>
    </message>
    <message>
        <source>Save project</source>
        <translation>保存项目</translation>
    </message>
    <message>
        <source>Renewal Planner project (*.gpkg)</source>
        <translation>城市更新规划助手项目 (*.gpkg)</translation>
    </message>
    <message>
        <source>Autosaved to {0}</source>
        <translation>已自动保存到 {0}</translation>
    </message>
    <message>
        <source>Open project</source>
        <translation>打开项目</translation>
    </message>
    <message>
        <source>Projects (*.gpkg *.toml);;All files (*)</source>
        <translation>项目 (*.gpkg *.toml);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>Save the changes to the project first?</source>
        <translation>是否先保存项目的更改？</translation>
    </message>
    <message>
        <source>Run the checks to list flags and projects here.</source>
        <translation>运行检查后，此处列出标记与项目。</translation>
    </message>
    <message>
        <source>Flags and projects</source>
        <translation>标记与项目</translation>
    </message>
    <message>
        <source>Replace file</source>
        <translation>替换文件</translation>
    </message>
    <message>
        <source>{0} exists already. Replace it?</source>
        <translation>{0} 已存在，是否替换？</translation>
    </message>
    <message>
        <source>Recovered unsaved work from {0}</source>
        <translation>已从 {0} 恢复未保存的工作</translation>
    </message>
    <message>
        <source>Opened {0}: {1} layers</source>
        <translation>已打开 {0}：{1} 个图层</translation>
    </message>
    <message>
        <source>Autosaved to {0} ({1} KB)</source>
        <translation>已自动保存到 {0}（{1} KB）</translation>
    </message>
    <message>
        <source>Split project {0}</source>
        <translation>拆分项目 {0}</translation>
    </message>
    <message>
        <source>Merge projects {0}</source>
        <translation>合并项目 {0}</translation>
    </message>
    <message>
        <source>Delete projects {0}</source>
        <translation>删除项目 {0}</translation>
    </message>
    <message>
        <source>Edit {0} of {1}</source>
        <translation>编辑 {1} 的 {0}</translation>
    </message>
    <message>
        <source>New rule</source>
        <translation>新的规则</translation>
    </message>
    <message>
        <source>Zoom &amp;Back</source>
        <translation>后退视图(&amp;B)</translation>
    </message>
    <message>
        <source>Zoom &amp;Forward</source>
        <translation>前进视图(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New Bookmark…</source>
        <translation>新建书签(&amp;N)…</translation>
    </message>
    <message>
        <source>Pan the map (drag; arrow keys)</source>
        <translation>平移地图（拖动；方向键）</translation>
    </message>
    <message>
        <source>Drag a box to zoom in</source>
        <translation>拉框放大</translation>
    </message>
    <message>
        <source>Identify the features of every visible layer at a click</source>
        <translation>识别单击处所有可见图层的要素</translation>
    </message>
    <message>
        <source>Select features of the active layer (click or drag)</source>
        <translation>选择当前图层的要素（单击或拉框）</translation>
    </message>
    <message>
        <source>Measure Distance</source>
        <translation>量算距离</translation>
    </message>
    <message>
        <source>Measure a distance (click points, double-click to end)</source>
        <translation>量算距离（依次单击，双击结束）</translation>
    </message>
    <message>
        <source>Measure Area</source>
        <translation>量算面积</translation>
    </message>
    <message>
        <source>Measure an area (click corners, double-click to end)</source>
        <translation>量算面积（依次单击角点，双击结束）</translation>
    </message>
    <message>
        <source>Drag a vertex; double-click adds one, Shift+click deletes one</source>
        <translation>拖动节点；双击添加节点，Shift+单击删除节点</translation>
    </message>
    <message>
        <source>Draw a line across a feature to split it</source>
        <translation>画一条穿过要素的线以拆分要素</translation>
    </message>
    <message>
        <source>Drag a feature of the active layer</source>
        <translation>拖动当前图层的要素</translation>
    </message>
    <message>
        <source>Click the corners, double-click to finish</source>
        <translation>依次单击各角点，双击结束</translation>
    </message>
    <message>
        <source>Panels</source>
        <translation>面板</translation>
    </message>
    <message>
        <source>&amp;Bookmarks</source>
        <translation>书签(&amp;B)</translation>
    </message>
    <message>
        <source>Project</source>
        <translation>项目工具栏</translation>
    </message>
    <message>
        <source>Map</source>
        <translation>地图工具栏</translation>
    </message>
    <message>
        <source>Editing</source>
        <translation>编辑工具栏</translation>
    </message>
    <message>
        <source>Cursor in the working coordinate system (metres)</source>
        <translation>光标在工作坐标系中的坐标（米）</translation>
    </message>
    <message>
        <source>Cursor in degrees (CGCS2000)</source>
        <translation>光标经纬度（CGCS2000）</translation>
    </message>
    <message>
        <source>Map scale: choose or type 1:N</source>
        <translation>地图比例尺：选择或输入 1:N</translation>
    </message>
    <message>
        <source>Working coordinate system</source>
        <translation>工作坐标系</translation>
    </message>
    <message>
        <source>Scale</source>
        <translation>比例尺</translation>
    </message>
    <message>
        <source>New bookmark</source>
        <translation>新建书签</translation>
    </message>
    <message>
        <source>Name of this view</source>
        <translation>此视图的名称</translation>
    </message>
    <message>
        <source>Change priority weights</source>
        <translation>修改优先级权重</translation>
    </message>
    <message>
        <source>Confirm flag</source>
        <translation>确认标记</translation>
    </message>
    <message>
        <source>Reopen flag</source>
        <translation>重新打开标记</translation>
    </message>
    <message>
        <source>{0}: {1} features behind the indicator</source>
        <translation>{0}：该指标对应 {1} 个要素</translation>
    </message>
</context><context>
    <name>PortfolioPanel</name>
    <message>
        <location filename="../../planner/gui/panels.py" line="170" />
        <source>Filter by type, phase, district…</source>
        <translation>按类型、阶段、片区筛选…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="180" />
        <source>Weight of {0}; the weights are normalised to add up to 1</source>
        <translation>{0}的权重；各权重归一化为合计 1</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="189" />
        <source>Priority weights</source>
        <translation>优先级权重</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="222" />
        <source>At least one weight must be above 0</source>
        <translation>至少一个权重须大于 0</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="267" />
        <source>Total: {0} projects, {1} 10k yuan</source>
        <translation>合计：{0} 个项目，估算投资 {1} 万元</translation>
    </message>
    <message>
        <source>Safety</source>
        <translation>安全</translation>
    </message>
    <message>
        <source>Need</source>
        <translation>需求</translation>
    </message>
    <message>
        <source>Residents</source>
        <translation>受益居民</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>成本</translation>
    </message>
    <message>
        <source>Ease</source>
        <translation>难易</translation>
    </message>
</context><context>
    <name>RunChecksDialog</name>
    <message>
        <location filename="../../planner/gui/panels.py" line="63" />
        <source>Run checks</source>
        <translation>运行检查</translation>
    </message>
    <message>
        <location filename="../../planner/gui/panels.py" line="74" />
        <source>As-of date</source>
        <translation>评估基准日</translation>
    </message>
</context><context>
    <name>StyleDialog</name>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="38" />
        <source>Layer style: {0}</source>
        <translation>图层样式：{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="52" />
        <source>Fill colour</source>
        <translation>填充颜色</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="53" />
        <source>Outline colour</source>
        <translation>边线颜色</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="54" />
        <source>Outline width (px)</source>
        <translation>边线宽度（像素）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="55" />
        <source>Opacity</source>
        <translation>不透明度</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="57" />
        <source>Fill strength</source>
        <translation>填充浓度</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="61" />
        <source>Class colours</source>
        <translation>分类颜色</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="76" />
        <source>Labels</source>
        <translation>标注</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="79" />
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="94" />
        <source>Label field</source>
        <translation>标注字段</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="95" />
        <source>Font</source>
        <translation>字体</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="96" />
        <source>Size</source>
        <translation>字号</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="97" />
        <source>Text colour</source>
        <translation>文字颜色</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="98" />
        <source>Halo colour</source>
        <translation>描边颜色</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="99" />
        <source>Halo width</source>
        <translation>描边宽度</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="104" />
        <location filename="../../planner/gui/style_dialog.py" line="102" />
        <source>any</source>
        <translation>不限</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="106" />
        <source>Visible from scale</source>
        <translation>可见最小比例尺</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="107" />
        <source>Visible up to scale</source>
        <translation>可见最大比例尺</translation>
    </message>
</context><context>
    <name>WindowActions</name>
    <message>
        <location filename="../../planner/gui/actions.py" line="40" />
        <source>&amp;New Project</source>
        <translation>新建项目(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="41" />
        <source>&amp;Open Project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="42" />
        <source>&amp;Save Project</source>
        <translation>保存项目(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="43" />
        <source>Save Project &amp;As…</source>
        <translation>项目另存为(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="44" />
        <source>&amp;Add Layer…</source>
        <translation>添加图层(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="45" />
        <source>E&amp;xit</source>
        <translation>退出(&amp;X)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="46" />
        <source>Zoom to &amp;Full Extent</source>
        <translation>缩放至全图(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="47" />
        <source>Zoom to &amp;Layer</source>
        <translation>缩放至图层(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="48" />
        <source>Zoom to &amp;Selection</source>
        <translation>缩放至所选(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="49" />
        <source>Zoom &amp;Back</source>
        <translation>后退视图(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="50" />
        <source>Zoom &amp;Forward</source>
        <translation>前进视图(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="53" />
        <source>&amp;New Bookmark…</source>
        <translation>新建书签(&amp;N)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="54" />
        <source>Select by &amp;Expression…</source>
        <translation>按表达式选择(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="55" />
        <source>&amp;Clear Selection</source>
        <translation>清除选择(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="56" />
        <source>&amp;Remove Layer</source>
        <translation>移除图层(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="57" />
        <source>Layer &amp;Style…</source>
        <translation>图层样式(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="58" />
        <source>&amp;Run Checks…</source>
        <translation>运行检查(&amp;R)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="59" />
        <source>&amp;Export Deliverables…</source>
        <translation>导出成果(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="60" />
        <source>&amp;Merge Selected</source>
        <translation>合并所选(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="61" />
        <source>&amp;Delete Selected</source>
        <translation>删除所选(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="62" />
        <source>Create Project from Selection</source>
        <translation>由所选要素创建项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="64" />
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="65" />
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="73" />
        <source>Pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="73" />
        <source>Pan the map (drag; arrow keys)</source>
        <translation>平移地图（拖动；方向键）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="74" />
        <source>Zoom Box</source>
        <translation>拉框放大</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="74" />
        <source>Drag a box to zoom in</source>
        <translation>拉框放大</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="75" />
        <source>Identify</source>
        <translation>识别</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="75" />
        <source>Identify the features of every visible layer at a click</source>
        <translation>识别单击处所有可见图层的要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="76" />
        <source>Select</source>
        <translation>选择</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="76" />
        <source>Select features of the active layer (click or drag)</source>
        <translation>选择当前图层的要素（单击或拉框）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="77" />
        <source>Measure Distance</source>
        <translation>量算距离</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="77" />
        <source>Measure a distance (click points, double-click to end)</source>
        <translation>量算距离（依次单击，双击结束）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="78" />
        <source>Measure Area</source>
        <translation>量算面积</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="78" />
        <source>Measure an area (click corners, double-click to end)</source>
        <translation>量算面积（依次单击角点，双击结束）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="79" />
        <source>Edit Vertices</source>
        <translation>编辑节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="79" />
        <source>Drag a vertex; double-click adds one, Shift+click deletes one</source>
        <translation>拖动节点；双击添加节点，Shift+单击删除节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="80" />
        <source>Split with Line</source>
        <translation>画线拆分</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="80" />
        <source>Draw a line across a feature to split it</source>
        <translation>画一条穿过要素的线以拆分要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="81" />
        <source>Move Feature</source>
        <translation>移动要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="81" />
        <source>Drag a feature of the active layer</source>
        <translation>拖动当前图层的要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="82" />
        <source>Draw Feature</source>
        <translation>绘制要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="82" />
        <source>Click the corners, double-click to finish</source>
        <translation>依次单击各角点，双击结束</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="89" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="92" />
        <source>Recent Projects</source>
        <translation>最近的项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="98" />
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="106" />
        <source>&amp;Analysis</source>
        <translation>分析(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="109" />
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="113" />
        <source>Panels</source>
        <translation>面板</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="116" />
        <source>&amp;Bookmarks</source>
        <translation>书签(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="117" />
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="123" />
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="124" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="127" />
        <source>Project</source>
        <translation>项目工具栏</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="132" />
        <source>Map</source>
        <translation>地图工具栏</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="140" />
        <source>Editing</source>
        <translation>编辑工具栏</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="158" />
        <source>Cursor in the working coordinate system (metres)</source>
        <translation>光标在工作坐标系中的坐标（米）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="160" />
        <source>Cursor in degrees (CGCS2000)</source>
        <translation>光标经纬度（CGCS2000）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="162" />
        <source>Map scale: choose or type 1:N</source>
        <translation>地图比例尺：选择或输入 1:N</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="168" />
        <source>Working coordinate system</source>
        <translation>工作坐标系</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="171" />
        <source>Scale</source>
        <translation>比例尺</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="225" />
        <source>New bookmark</source>
        <translation>新建书签</translation>
    </message>
    <message>
        <location filename="../../planner/gui/actions.py" line="225" />
        <source>Name of this view</source>
        <translation>此视图的名称</translation>
    </message>
</context><context>
    <name>WorkflowActions</name>
    <message>
        <location filename="../../planner/gui/workflow.py" line="38" />
        <source>Change priority weights</source>
        <translation>修改优先级权重</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="60" />
        <source>Checks failed</source>
        <translation>检查失败</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="62" />
        <source>Checks cancelled; the previous results are kept.</source>
        <translation>检查已取消，保留原有结果。</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="63" />
        <source>Running checks…</source>
        <translation>正在运行检查…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="72" />
        <source>Checks done: {0} flags, {1} projects</source>
        <translation>检查完成：{0} 条标记，{1} 个项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="79" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="98" />
        <source>Confirm flag</source>
        <translation>确认标记</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="110" />
        <location filename="../../planner/gui/workflow.py" line="98" />
        <source>Dismiss flag</source>
        <translation>排除标记</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="121" />
        <location filename="../../planner/gui/workflow.py" line="99" />
        <source>Reclassify flag</source>
        <translation>改判标记</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="99" />
        <source>Reopen flag</source>
        <translation>重新打开标记</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="110" />
        <source>Why is this flag dismissed?</source>
        <translation>排除理由：</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="121" />
        <source>New rule</source>
        <translation>新的规则</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="171" />
        <source>{0}: {1} features behind the indicator</source>
        <translation>{0}：该指标对应 {1} 个要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="176" />
        <source>Export deliverables to</source>
        <translation>导出成果到</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="207" />
        <source>Deliverables written to {0}</source>
        <translation>成果已写入 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="212" />
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="213" />
        <source>Writing deliverables…</source>
        <translation>正在写出成果…</translation>
    </message>
    <message>
        <source>{0}: {1} features behind {2}</source>
        <translation>{0}：{2} 对应 {1} 个要素</translation>
    </message>
</context></TS>