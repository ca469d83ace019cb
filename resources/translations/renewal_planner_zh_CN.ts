<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1">
<context>
    <name>AttributeTable</name>
    <message>
        <location filename="../../planner/gui/attribute_table.py" line="148" />
        <source>Filter rows…</source>
        <translation>筛选行…</translation>
    </message>
</context><context>
    <name>ColourButton</name>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="23" />
        <source>Colour</source>
        <translation>颜色</translation>
    </message>
</context><context>
    <name>Dashboard</name>
    <message>
        <location filename="../../planner/gui/workflow.py" line="463" />
        <source>District</source>
        <translation>片区</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="463" />
        <source>Indicator</source>
        <translation>指标</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="463" />
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="464" />
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="464" />
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="464" />
        <source>Pass</source>
        <translation>达标</translation>
    </message>
</context><context>
    <name>ExportOptionsDialog</name>
    <message>
        <location filename="../../planner/gui/workflow.py" line="510" />
        <source>Export options</source>
        <translation>导出选项</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="515" />
        <source>Overview</source>
        <translation>总图</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="521" />
        <source>none (offline); tianditu:KEY or a tile URL</source>
        <translation>无（离线）；tianditu:密钥 或 瓦片地址</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="522" />
        <source>Map sheets</source>
        <translation>出图</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="523" />
        <source>Basemap</source>
        <translation>底图</translation>
    </message>
</context><context>
    <name>FieldMappingDialog</name>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="11" />
        <source>Field mapping</source>
        <translation>字段映射</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="19" />
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="19" />
        <source>Meaning</source>
        <translation>含义</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="19" />
        <source>Column in the file</source>
        <translation>文件中的列</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="28" />
        <source>Layer role</source>
        <translation>图层类型</translation>
    </message>
    <message>
        <location filename="../../planner/gui/dialogs.py" line="46" />
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
</context><context>
    <name>FlagPanel</name>
    <message>
        <location filename="../../planner/gui/workflow.py" line="218" />
        <source>Flag</source>
        <translation>标记</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="218" />
        <source>Review</source>
        <translation>审核</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="221" />
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="222" />
        <source>Dismiss…</source>
        <translation>驳回…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="223" />
        <source>Reopen</source>
        <translation>重新打开</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="224" />
        <source>Reclassify…</source>
        <translation>重新分类…</translation>
    </message>
</context><context>
    <name>LayerPanel</name>
    <message>
        <location filename="../../planner/gui/layer_panel.py" line="47" />
        <source>Move layer up</source>
        <translation>上移图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/layer_panel.py" line="48" />
        <source>Move layer down</source>
        <translation>下移图层</translation>
    </message>
</context><context>
    <name>MainWindow</name>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1065" />
        <location filename="../../planner/gui/main_window.py" line="52" />
        <source>Renewal Planner</source>
        <translation>城市更新规划助手</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="73" />
        <source>Layers</source>
        <translation>图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="74" />
        <source>Flags</source>
        <translation>问题标记</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="75" />
        <source>Portfolio</source>
        <translation>项目库</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="76" />
        <source>City examination</source>
        <translation>城市体检</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="77" />
        <source>Undo history</source>
        <translation>撤销历史</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="78" />
        <source>Attribute table</source>
        <translation>属性表</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="79" />
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="116" />
        <source>Render {0} ms</source>
        <translation>绘制 {0} 毫秒</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="142" />
        <source>&amp;New Project</source>
        <translation>新建项目(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="143" />
        <source>&amp;Open Project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="144" />
        <source>&amp;Save Project</source>
        <translation>保存项目(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="145" />
        <source>Save Project &amp;As…</source>
        <translation>项目另存为(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="146" />
        <source>&amp;Add Layer…</source>
        <translation>添加图层(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="147" />
        <source>E&amp;xit</source>
        <translation>退出(&amp;X)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="148" />
        <source>Zoom to &amp;Full Extent</source>
        <translation>缩放至全图(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="149" />
        <source>Zoom to &amp;Layer</source>
        <translation>缩放至图层(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="150" />
        <source>Zoom to &amp;Selection</source>
        <translation>缩放至所选(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="151" />
        <source>Select by &amp;Expression…</source>
        <translation>按表达式选择(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="152" />
        <source>&amp;Clear Selection</source>
        <translation>清除选择(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="153" />
        <source>&amp;Remove Layer</source>
        <translation>移除图层(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="154" />
        <source>Layer &amp;Style…</source>
        <translation>图层样式(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="155" />
        <source>&amp;Run Checks…</source>
        <translation>运行检查(&amp;R)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="156" />
        <source>&amp;Export Deliverables…</source>
        <translation>导出成果(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="157" />
        <source>&amp;Merge Selected</source>
        <translation>合并所选(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="158" />
        <source>&amp;Delete Selected</source>
        <translation>删除所选(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="159" />
        <source>Create Project from Selection</source>
        <translation>由所选要素创建项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="160" />
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="162" />
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="170" />
        <source>Pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="170" />
        <source>Zoom Box</source>
        <translation>拉框放大</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="171" />
        <source>Identify</source>
        <translation>识别</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="172" />
        <source>Select</source>
        <translation>选择</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="173" />
        <source>Edit Vertices</source>
        <translation>编辑节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="174" />
        <source>Split with Line</source>
        <translation>画线拆分</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="175" />
        <source>Move Feature</source>
        <translation>移动要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="176" />
        <source>Draw Feature</source>
        <translation>绘制要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="183" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="186" />
        <source>Recent Projects</source>
        <translation>最近的项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="193" />
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="204" />
        <source>&amp;Analysis</source>
        <translation>分析(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="207" />
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="213" />
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="219" />
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="220" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="223" />
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="251" />
        <source>Scale 1:{0}</source>
        <translation>比例尺 1:{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="262" />
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="277" />
        <source>Nothing here</source>
        <translation>此处无要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="328" />
        <source>{0}: {1} features selected by {2}</source>
        <translation>{0}：按 {2} 选中 {1} 个要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="336" />
        <source>Select by expression</source>
        <translation>按表达式选择</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="337" />
        <source>Expression, e.g. floors &gt;= 4 and use = 'residential'
Fields: {0}</source>
        <translation>表达式，例如 floors &gt;= 4 and use = 'residential'
字段：{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="390" />
        <source>Loaded {0} layers from {1}; working CRS {2}</source>
        <translation>已从 {1} 载入 {0} 个图层；工作坐标系 {2}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="421" />
        <source>Opened project {0}</source>
        <translation>已打开项目 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="428" />
        <source>Cannot open</source>
        <translation>无法打开</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="435" />
        <source>Recover</source>
        <translation>恢复</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="435" />
        <source>An autosave newer than {0} exists. Open the autosave?</source>
        <translation>存在比 {0} 更新的自动保存副本，是否打开自动保存副本？</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="476" />
        <source>Added {0} ({1} features) as {2}</source>
        <translation>已添加 {0}（{1} 个要素），类型 {2}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="479" />
        <source>Cannot add layer</source>
        <translation>无法添加图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="484" />
        <source>Add layer</source>
        <translation>添加图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="485" />
        <source>GIS data (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;All files (*)</source>
        <translation>GIS 数据 (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="563" />
        <source>Checks failed</source>
        <translation>检查失败</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="564" />
        <source>Checks cancelled; the previous results are kept.</source>
        <translation>检查已取消，保留原有结果。</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="565" />
        <source>Running checks…</source>
        <translation>正在运行检查…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="572" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="610" />
        <source>Checks done: {0} flags, {1} projects</source>
        <translation>检查完成：{0} 条标记，{1} 个项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="663" />
        <source>Dismiss flag</source>
        <translation>驳回标记</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="663" />
        <source>Why is this flag dismissed?</source>
        <translation>驳回理由：</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="672" />
        <source>Reclassify flag</source>
        <translation>重新分类标记</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="672" />
        <source>New rule code</source>
        <translation>新的规则代码</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="729" />
        <source>{0}: {1} features behind {2}</source>
        <translation>{0}：{2} 对应 {1} 个要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="785" />
        <source>Move vertex</source>
        <translation>移动节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="792" />
        <source>Split project</source>
        <translation>拆分项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="806" />
        <source>Split feature</source>
        <translation>拆分要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="813" />
        <source>Merge projects</source>
        <translation>合并项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="820" />
        <source>Merge features</source>
        <translation>合并要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="825" />
        <source>Delete features</source>
        <translation>删除要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="846" />
        <source>Edit {0}</source>
        <translation>编辑 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="861" />
        <source>Add vertex</source>
        <translation>添加节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="861" />
        <source>Delete vertex</source>
        <translation>删除节点</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="862" />
        <source>Move feature</source>
        <translation>移动要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="874" />
        <source>Draw project</source>
        <translation>绘制项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="879" />
        <source>Add feature</source>
        <translation>添加要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="886" />
        <source>Invalid value</source>
        <translation>无效的值</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="905" />
        <source>Create project</source>
        <translation>创建项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="932" />
        <source>Export deliverables to</source>
        <translation>导出成果到</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="974" />
        <source>Deliverables written to {0}</source>
        <translation>成果已写入 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="979" />
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="980" />
        <source>Writing deliverables…</source>
        <translation>正在写出成果…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="996" />
        <source>Cannot save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1005" />
        <source>Saved {0}</source>
        <translation>已保存 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1014" />
        <source>Save project</source>
        <translation>保存项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1015" />
        <source>Renewal Planner project (*.gpkg)</source>
        <translation>城市更新规划助手项目 (*.gpkg)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1025" />
        <source>Autosaved to {0}</source>
        <translation>已自动保存到 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1045" />
        <source>Open project</source>
        <translation>打开项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1046" />
        <source>Projects (*.gpkg *.toml);;All files (*)</source>
        <translation>项目 (*.gpkg *.toml);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1054" />
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1054" />
        <source>Save the changes to the project first?</source>
        <translation>是否先保存项目的更改？</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="1082" />
        <source>The language changes at the next start.</source>
        <translation>语言将在下次启动时切换。</translation>
    </message>
    <message>
        <source>Run the checks to list flags and projects here.</source>
        <translation>运行检查后，此处列出标记与项目。</translation>
    </message>
    <message>
        <source>Flags and projects</source>
        <translation>标记与项目</translation>
    </message>
</context><context>
    <name>PortfolioPanel</name>
    <message>
        <location filename="../../planner/gui/workflow.py" line="293" />
        <source>Filter by type, phase, district…</source>
        <translation>按类型、阶段、片区筛选…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="299" />
        <source>Need</source>
        <translation>需求</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="299" />
        <source>Residents</source>
        <translation>受益居民</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="299" />
        <source>Cost</source>
        <translation>成本</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="300" />
        <source>Ease</source>
        <translation>难易</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="330" />
        <source>Total: {0} projects, {1} 10k yuan</source>
        <translation>合计：{0} 个项目，估算投资 {1} 万元</translation>
    </message>
</context><context>
    <name>RunChecksDialog</name>
    <message>
        <location filename="../../planner/gui/workflow.py" line="28" />
        <source>Run checks</source>
        <translation>运行检查</translation>
    </message>
    <message>
        <location filename="../../planner/gui/workflow.py" line="35" />
        <source>As-of date</source>
        <translation>评估基准日</translation>
    </message>
</context><context>
    <name>StyleDialog</name>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="32" />
        <source>Layer style: {0}</source>
        <translation>图层样式：{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="41" />
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="49" />
        <location filename="../../planner/gui/style_dialog.py" line="47" />
        <source>any</source>
        <translation>不限</translation>
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
        <location filename="../../planner/gui/style_dialog.py" line="56" />
        <source>Label field</source>
        <translation>标注字段</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="57" />
        <source>Visible from scale</source>
        <translation>可见最小比例尺</translation>
    </message>
    <message>
        <location filename="../../planner/gui/style_dialog.py" line="58" />
        <source>Visible up to scale</source>
        <translation>可见最大比例尺</translation>
    </message>
</context></TS>