<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1">
<context>
    <name>AttributeTable</name>
    <message>
        <location filename="../../planner/gui/attribute_table.py" line="135" />
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
        <location filename="../../planner/gui/main_window.py" line="528" />
        <location filename="../../planner/gui/main_window.py" line="46" />
        <source>Renewal Planner</source>
        <translation>城市更新规划助手</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="55" />
        <source>Run the checks to list flags and projects here.</source>
        <translation>运行检查后，此处列出标记与项目。</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="59" />
        <source>Layers</source>
        <translation>图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="60" />
        <source>Flags and projects</source>
        <translation>标记与项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="61" />
        <source>Attribute table</source>
        <translation>属性表</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="62" />
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="79" />
        <source>Render {0} ms</source>
        <translation>绘制 {0} 毫秒</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="105" />
        <source>&amp;New Project</source>
        <translation>新建项目(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="106" />
        <source>&amp;Open Project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="107" />
        <source>&amp;Save Project</source>
        <translation>保存项目(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="108" />
        <source>Save Project &amp;As…</source>
        <translation>项目另存为(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="109" />
        <source>&amp;Add Layer…</source>
        <translation>添加图层(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="110" />
        <source>E&amp;xit</source>
        <translation>退出(&amp;X)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="111" />
        <source>Zoom to &amp;Full Extent</source>
        <translation>缩放至全图(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="112" />
        <source>Zoom to &amp;Layer</source>
        <translation>缩放至图层(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="113" />
        <source>Zoom to &amp;Selection</source>
        <translation>缩放至所选(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="114" />
        <source>Select by &amp;Expression…</source>
        <translation>按表达式选择(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="115" />
        <source>&amp;Clear Selection</source>
        <translation>清除选择(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="116" />
        <source>&amp;Remove Layer</source>
        <translation>移除图层(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="117" />
        <source>Layer &amp;Style…</source>
        <translation>图层样式(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="124" />
        <source>Pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="124" />
        <source>Zoom Box</source>
        <translation>拉框放大</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="125" />
        <source>Identify</source>
        <translation>识别</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="126" />
        <source>Select</source>
        <translation>选择</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="133" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="136" />
        <source>Recent Projects</source>
        <translation>最近的项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="143" />
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="149" />
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="155" />
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="156" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="159" />
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="187" />
        <source>Scale 1:{0}</source>
        <translation>比例尺 1:{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="198" />
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="213" />
        <source>Nothing here</source>
        <translation>此处无要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="264" />
        <source>{0}: {1} features selected by {2}</source>
        <translation>{0}：按 {2} 选中 {1} 个要素</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="272" />
        <source>Select by expression</source>
        <translation>按表达式选择</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="273" />
        <source>Expression, e.g. floors &gt;= 4 and use = 'residential'
Fields: {0}</source>
        <translation>表达式，例如 floors &gt;= 4 and use = 'residential'
字段：{0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="326" />
        <source>Loaded {0} layers from {1}; working CRS {2}</source>
        <translation>已从 {1} 载入 {0} 个图层；工作坐标系 {2}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="356" />
        <source>Opened project {0}</source>
        <translation>已打开项目 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="363" />
        <source>Cannot open</source>
        <translation>无法打开</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="370" />
        <source>Recover</source>
        <translation>恢复</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="370" />
        <source>An autosave newer than {0} exists. Open the autosave?</source>
        <translation>存在比 {0} 更新的自动保存副本，是否打开自动保存副本？</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="411" />
        <source>Added {0} ({1} features) as {2}</source>
        <translation>已添加 {0}（{1} 个要素），类型 {2}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="414" />
        <source>Cannot add layer</source>
        <translation>无法添加图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="419" />
        <source>Add layer</source>
        <translation>添加图层</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="420" />
        <source>GIS data (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;All files (*)</source>
        <translation>GIS 数据 (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="459" />
        <source>Cannot save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="468" />
        <source>Saved {0}</source>
        <translation>已保存 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="477" />
        <source>Save project</source>
        <translation>保存项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="478" />
        <source>Renewal Planner project (*.gpkg)</source>
        <translation>城市更新规划助手项目 (*.gpkg)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="488" />
        <source>Autosaved to {0}</source>
        <translation>已自动保存到 {0}</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="508" />
        <source>Open project</source>
        <translation>打开项目</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="509" />
        <source>Projects (*.gpkg *.toml);;All files (*)</source>
        <translation>项目 (*.gpkg *.toml);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="517" />
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="517" />
        <source>Save the changes to the project first?</source>
        <translation>是否先保存项目的更改？</translation>
    </message>
    <message>
        <location filename="../../planner/gui/main_window.py" line="545" />
        <source>The language changes at the next start.</source>
        <translation>语言将在下次启动时切换。</translation>
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