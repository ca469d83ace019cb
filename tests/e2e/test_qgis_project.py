"""The QGIS project stored in portfolio.gpkg, opened by QGIS itself (Debian's python3-qgis, run
with the system Python; ``make e2e`` installs it): every layer valid, named in Chinese, styled,
labelled where useful, in the order flags above projects above base layers; a render of it is
saved for a person to look at."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import ROOT

QGIS_PY = Path("/usr/lib/python3/dist-packages/qgis")
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin")
pytestmark = pytest.mark.skipif(not (QGIS_PY.is_dir() and SYSTEM_PYTHON), reason="python3-qgis is not installed")
SHOTS = ROOT / "out" / "screenshots"

SCRIPT = r"""
import json, sqlite3, sys
from qgis.core import (QgsApplication, QgsProject, QgsMapSettings, QgsMapRendererParallelJob, QgsLayerTreeLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor
app = QgsApplication([], False)
app.initQgis()
path, shot = sys.argv[1], sys.argv[2]
names = [r[0] for r in sqlite3.connect(path).execute("select name from qgis_projects")]
project = QgsProject.instance()
ok = project.read(f"geopackage:{path}?projectName={names[0]}")
out = {"names": names, "read": ok, "groups": [], "layers": {}}
for group in project.layerTreeRoot().children():
    out["groups"].append([group.name(), [c.name() for c in group.children()]])
for layer in project.mapLayers().values():
    fields = layer.fields()
    out["layers"][layer.name()] = {
        "valid": layer.isValid(), "features": layer.featureCount(), "spatial": layer.isSpatial(),
        "renderer": layer.renderer().type() if layer.isSpatial() and layer.renderer() else None,
        "categories": len(layer.renderer().categories()) if layer.isSpatial() and layer.renderer() and
                      layer.renderer().type() == "categorizedSymbol" else 0,
        "labels": layer.labelsEnabled(),
        "aliased": sum(1 for i in range(len(fields)) if layer.attributeAlias(i)),
        "source": layer.source()}
order = [l for l in project.layerTreeRoot().layerOrder() if l.isSpatial()]
settings = QgsMapSettings()
settings.setLayers([l for l in order if l.name() not in ("生活圈短板",)])
settings.setDestinationCrs(project.crs())
settings.setExtent(project.layerTreeRoot().layerOrder()[0].extent() if False else
                   [l for l in order if l.name() == "研究范围"][0].extent())
settings.setOutputSize(QSize(1400, 1100))
settings.setBackgroundColor(QColor(255, 255, 255))
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
job.renderedImage().save(shot, "png")
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def opened(sample_run, tmp_path_factory):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "qgis_project.png"
    script = tmp_path_factory.mktemp("qgis") / "open.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(script.parent),
           "XDG_RUNTIME_DIR": str(script.parent)}
    res = subprocess.run([SYSTEM_PYTHON, str(script), str(out / "portfolio.gpkg"), str(shot)], capture_output=True,
                         text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1]), shot


def test_the_stored_project_opens_in_qgis_in_order_named_and_styled(opened):
    info, shot = opened
    assert info["read"] and info["names"]
    groups = [g for g, _ in info["groups"]]
    assert groups == ["问题标记", "更新项目", "底图", "统计表"]  # flags above projects above base layers
    members = dict(info["groups"])
    assert members["更新项目"] == ["更新项目"]
    assert {"研究范围", "道路", "地块", "现状建筑"} <= set(members["底图"])
    assert {"城市体检指标", "小区老旧情况", "生活圈覆盖率"} <= set(members["统计表"])
    layers = info["layers"]
    assert len(layers) >= 15
    for name, layer in layers.items():
        assert layer["valid"], name
        assert not name.isascii(), f"layer {name} has a raw table name"
        assert layer["aliased"] > 0, f"{name} has no field aliases"
        assert layer["source"].endswith(f"layername={layer['source'].split('layername=')[1]}")
        if layer["spatial"]:
            assert layer["renderer"] in ("categorizedSymbol", "singleSymbol"), name
    assert layers["更新项目"]["renderer"] == "categorizedSymbol" and layers["更新项目"]["categories"] >= 8
    assert layers["更新项目"]["labels"] and layers["道路"]["labels"]
    assert layers["老旧小区与危旧房"]["categories"] >= 3
    assert layers["更新项目"]["features"] > 20


def test_the_project_renders(opened):
    import numpy as np
    from PIL import Image

    _, shot = opened
    im = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert (im.sum(axis=2) < 700).mean() > 0.05, "the QGIS render shows the map"
