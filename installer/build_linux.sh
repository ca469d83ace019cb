#!/usr/bin/env bash
# Linux bundle: a PyInstaller one-folder build packed as a tarball with a launcher and a
# desktop entry (AppImage needs appimagetool, which is not on the package registries here).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
VERSION=$($PY -c "import planner; print(planner.__version__)")
rm -rf dist/renewal-planner build/renewal_planner
$PY -m PyInstaller --noconfirm --log-level ERROR --distpath dist --workpath build installer/renewal_planner.spec
APP=dist/renewal-planner
cat > "$APP/renewal-planner.sh" <<'LAUNCH'
#!/bin/sh
# Start Renewal Planner from wherever the bundle was unpacked.
HERE=$(dirname "$(readlink -f "$0")")
exec "$HERE/renewal-planner" "$@"
LAUNCH
chmod +x "$APP/renewal-planner.sh"
cat > "$APP/renewal-planner.desktop" <<'DESKTOP'
[Desktop Entry]
Type=Application
Name=Renewal Planner
Name[zh_CN]=城市更新规划助手
Exec=renewal-planner.sh %f
Terminal=false
Categories=Science;Geography;
MimeType=application/geopackage+sqlite3;
DESKTOP
TAR=dist/renewal-planner-$VERSION-linux-x86_64.tar.gz
tar -C dist -czf "$TAR" renewal-planner
echo "bundle: $APP ($(du -sh "$APP" | cut -f1) unpacked), archive: $TAR ($(du -h "$TAR" | cut -f1))"
