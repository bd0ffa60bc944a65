#!/usr/bin/env bash
# Build the standalone bundle (PyInstaller, one folder) into dist/caseload-desktop, then run its
# smoke test (installer/smoke.sh). `make bundle` calls this after installing '.[bundle]'.
#
#   installer/build.sh
#
# PYTHON names the Python that has the app and PyInstaller installed (default .venv/bin/python).
# PyInstaller's work files go to build/pyinstaller; each build starts clean.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller installer/caseload-desktop.spec
echo "Built dist/caseload-desktop in $(($(date +%s) - start)) s."

installer/smoke.sh dist/caseload-desktop
