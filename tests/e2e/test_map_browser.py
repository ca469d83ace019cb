"""map.html in a real headless Chromium (Debian's chromium + chromedriver): loads offline with no
console error, layers toggle, a popup opens; a screenshot is saved. Runs whenever chromium is
installed (``make e2e`` installs it)."""

import shutil
import time
from pathlib import Path

import pytest

from ..conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromedriver are not installed")
SHOTS = ROOT / "out" / "screenshots"


@pytest.fixture(scope="module")
def map_file(sample_run):
    proc, out = sample_run
    assert proc.returncode == 0, proc.stderr
    return out / "map.html"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,900", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=DRIVER)
    driver = webdriver.Chrome(options=opts, service=service)
    yield driver
    driver.quit()


def test_map_loads_offline_toggles_layers_and_opens_a_popup(browser, map_file):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    # Offline: block every request that is not the file itself.
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*"]})
    browser.get(Path(map_file).as_uri())
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".leaflet-control-layers")))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
    titles = browser.execute_script("return Object.keys(window.rpLayers)")
    assert any("更新项目" in t for t in titles) and len(titles) >= 5
    # Toggle: switch the old-housing layer on through the layer control, and projects off.
    boxes = browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays input")
    labels = [b.find_element(By.XPATH, "..").text for b in boxes]
    i_old = next(i for i, t in enumerate(labels) if "老旧" in t)
    i_proj = next(i for i, t in enumerate(labels) if "更新项目" in t)
    before = browser.execute_script("return Object.values(window.rpLayers).map(l => l._map ? 1 : 0)")
    boxes[i_old].click()
    boxes[i_proj].click()
    after = browser.execute_script("return Object.values(window.rpLayers).map(l => l._map ? 1 : 0)")
    assert before[i_old] == 0 and after[i_old] == 1
    assert before[i_proj] == 1 and after[i_proj] == 0
    # A popup: open the first old-housing feature's popup and read its reason.
    browser.execute_script(
        "var l = Object.values(window.rpLayers)[arguments[0]].getLayers()[0]; l.openPopup();", i_old)
    WebDriverWait(browser, 10).until(
        lambda d: "原因" in d.execute_script(
            "var p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : '';"))
    text = browser.execute_script("return document.querySelector('.leaflet-popup-content').textContent")
    assert "原因" in text and len(text) > 10
    time.sleep(0.6)  # let the popup finish fading in
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "map_popup.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_base_layers_legend_scale_and_search(browser, map_file):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*"]})
    browser.get(Path(map_file).as_uri())
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".rp-legend")))
    # base layers are on the map, drawn offline
    on = browser.execute_script(
        "var out = []; for (var k in window.rpLayers) { if (window.rpMap.hasLayer(window.rpLayers[k])) out.push(k); }"
        " return out;")
    for word in ("研究范围", "地块", "现状建筑", "道路"):
        assert any(word in t for t in on), (word, on)
    # the legend follows the visible layers
    legend = browser.find_element(By.CSS_SELECTOR, ".rp-legend").text
    assert "主干路" in legend and "老旧住宅" not in legend
    boxes = browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays input")
    labels = [b.find_element(By.XPATH, "..").text for b in boxes]
    boxes[next(i for i, t in enumerate(labels) if "老旧" in t)].click()
    assert "老旧住宅" in browser.find_element(By.CSS_SELECTOR, ".rp-legend").text
    boxes[next(i for i, t in enumerate(labels) if t.strip().startswith("道路（"))].click()
    assert "主干路" not in browser.find_element(By.CSS_SELECTOR, ".rp-legend").text
    # a metric scale
    scale = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-scale-line").text
    assert scale.endswith(" m") or scale.endswith(" km"), scale
    assert "ft" not in scale and "mi" not in scale
    # search by id and by name: the project's popup opens, numbers formatted
    assert browser.execute_script("return window.rpSearch('RL-0001')") >= 1
    browser.find_element(By.CSS_SELECTOR, ".rp-search li").click()
    WebDriverWait(browser, 10).until(
        lambda d: "RL-0001" in d.execute_script(
            "var p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : '';"))
    text = browser.execute_script("return document.querySelector('.leaflet-popup-content').textContent")
    assert "估算投资（万元）" in text and "断头路打通" in text
    assert browser.execute_script("return window.rpSearch('老旧小区改造')") >= 1
    time.sleep(0.6)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "map_search.png"))
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
