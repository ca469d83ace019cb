# Renewal Planner: all set-up lives here and in pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench bench-qgis e2e installer test-installer clean sample

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[gui,dev]"
	touch $(STAMP)

demo: setup
	$(VENV)/bin/renewal-planner run sample_data/sample_project.toml --out out/demo

sample: setup
	$(PY) sample_data/make_sample_city.py

lint: setup
	$(VENV)/bin/ruff check planner tests bench sample_data/make_sample_city.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# the tests in two processes (pytest-xdist; CI has 2 cores): 7.5 min instead of 11 when the machine is slow
test: setup lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 -m "not slow" --ignore=tests/e2e --durations=20

# Browser tests of map.html in Debian's chromium, the GeoPackage's stored QGIS project opened
# with Debian's QGIS, and report.docx rendered by LibreOffice (pdftoppm pages under out/e2e/report)
# (all installed here, with a CJK font for the screenshots; needs root or sudo).
e2e: setup
	command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
		test -d /usr/lib/python3/dist-packages/qgis && test -d /usr/share/fonts/opentype/noto && \
		command -v soffice >/dev/null && command -v pdftoppm >/dev/null && test -f /usr/lib/python3/dist-packages/uno.py || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver python3-qgis fonts-noto-cjk \
			libreoffice-writer python3-uno poppler-utils)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q tests/e2e
	# the slow tests (soak and responsiveness measurements, whole OSM extracts) that `make test` leaves
	# out; the installer's own run in `make test-installer`
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m slow --ignore=tests/e2e --ignore=tests/test_installer.py

bench: setup
	$(PY) bench/run_bench.py

# The render benchmark beside QGIS 3.22 (Debian's python3-qgis, installed here; needs root).
bench-qgis: setup
	test -d /usr/lib/python3/dist-packages/qgis || (apt-get update -qq && apt-get install -y -qq python3-qgis)
	$(PY) bench/run_bench.py render --qgis

# Linux bundle (PyInstaller one-folder + tarball); see installer/README.md.
installer: setup
	$(PY) -m pip install --quiet "pyinstaller>=6.5"
	PY=$(PY) bash installer/build_linux.sh

test-installer: installer
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m slow tests/test_installer.py

clean:
	rm -rf $(VENV) out .pytest_cache dist build
