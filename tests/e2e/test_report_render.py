"""report.docx rendered by LibreOffice (Debian's libreoffice-writer, driven through python3-uno
with the system Python; ``make e2e`` installs them): the contents field is updated (it lists
the chapters with page numbers), every page renders, the Chinese text is set in a CJK font, the
figures are on the pages. The pages are kept as PNG (pdftoppm) under out/e2e/report/ for a
person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from ..conftest import ROOT, SAMPLE

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin")
HAVE = all(shutil.which(t) for t in ("soffice", "pdftoppm", "pdftotext", "pdffonts")) and SYSTEM_PYTHON and \
    subprocess.run([SYSTEM_PYTHON or "python3", "-c", "import uno"], capture_output=True).returncode == 0
pytestmark = pytest.mark.skipif(not HAVE, reason="libreoffice-writer, python3-uno or poppler-utils is not installed")
PAGES = ROOT / "out" / "e2e" / "report"

# Open the document, update its indexes (the table of contents) and export a PDF.
TO_PDF = r'''
import os, subprocess, sys, tempfile, time, uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

src, dst = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
profile = tempfile.mkdtemp(prefix="lo-profile-")
pipe = f"rp_{os.getpid()}"
proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
                         f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.5)
    else:
        raise SystemExit("LibreOffice did not start")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
    indexes = doc.getDocumentIndexes()
    for i in range(indexes.getCount()):
        indexes.getByIndex(i).update()
    doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "writer_pdf_Export"),))
    print(indexes.getCount())
    doc.close(True)
finally:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
'''


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_renders(tmp_path, lang):
    from PIL import Image

    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "planner", "run", str(SAMPLE / "sample_project.toml"), "--out", str(out),
                           "--report", "--sheets", "none", "--quiet", "--lang", lang], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    script = tmp_path / "to_pdf.py"
    script.write_text(TO_PDF, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    proc = subprocess.run([SYSTEM_PYTHON, str(script), str(out / "report.docx"), str(pdf)], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0 and pdf.exists(), proc.stderr[-2000:]
    assert proc.stdout.strip() == "1"  # one index: the contents, updated
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) >= 20
    contents = pages[1]
    heads = ["1 概述", "2 城市体检", "3 问题清单", "4 更新项目库", "附录"] if lang == "zh" else \
        ["1 Overview", "2 City examination", "3 Problems found", "4 Renewal portfolio", "Appendix"]
    for head in heads:  # listed with its page number
        assert re.search(re.escape(head) + r"[ .…·]*\d+", contents), (head, contents[:800])
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    if lang == "zh":
        assert "CJK" in fonts or "Sim" in fonts, fonts  # Chinese set in a Chinese font, not boxes
    folder = PAGES / lang
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "page")], check=True)
    shots = sorted(folder.glob("page-*.png"))
    assert len(shots) == len([p for p in pages if p.strip()]) or len(shots) >= 20
    inked = []
    for shot in shots:
        gray = Image.open(shot).convert("L")
        hist = gray.histogram()
        inked.append(1 - hist[255] / sum(hist))
    assert min(inked) > 0.002  # no blank page
    assert sum(x > 0.15 for x in inked) >= 6  # pages with maps or charts on them
