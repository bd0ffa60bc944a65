#!/usr/bin/env bash
# Install the Linux tarball into a scratch HOME as a user would, and check the installed app:
# the desktop entry (desktop-file-validate, when installed), the links on PATH, the self-test
# from the installed copy, and, when xvfb-run is there, the self-test again on a real X
# display (the xcb platform plugin and its system libraries). Then uninstall. `make bundle-check`.
#
#   installer/linux/check-tarball.sh [TARBALL]    default: the newest dist/*.tar.gz
set -euo pipefail
cd "$(dirname "$0")/../.."
tarball=${1:-$(ls -t dist/caseload-desktop-*-linux-*.tar.gz | head -n 1)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
home="$scratch/home"
mkdir -p "$home" "$scratch/unpacked"
tar -C "$scratch/unpacked" -xzf "$tarball"
unpacked=$(ls -d "$scratch"/unpacked/caseload-desktop-*)

as_user() {
  (cd "$scratch" && env -i HOME="$home" PATH="$home/.local/bin:/usr/bin:/bin" LANG=C.UTF-8 "$@")
}

echo "== install $(basename "$tarball")"
as_user "$unpacked/install.sh"
entry="$home/.local/share/applications/caseload-desktop.desktop"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$entry"
  echo "desktop entry valid"
else
  echo "desktop-file-validate not installed: desktop entry not validated"
fi
exec_line=$(grep '^Exec=' "$entry")
[ -x "${exec_line#Exec=}" ] || { echo "The desktop entry runs a missing program: $exec_line" >&2; exit 1; }
[ -f "$home/.local/share/icons/hicolor/256x256/apps/caseload-desktop.png" ]
[ -f "$home/.local/share/icons/hicolor/scalable/apps/caseload-desktop.svg" ]

echo "== installed programs"
as_user caseload --version
as_user caseload-desktop --self-test

if command -v xvfb-run >/dev/null; then
  echo "== self-test on an X display (Xvfb, xcb)"
  as_user xvfb-run -a env QT_QPA_PLATFORM=xcb caseload-desktop --self-test
else
  echo "xvfb-run not installed: the self-test ran offscreen only"
fi

echo "== uninstall"
as_user "$unpacked/install.sh" --uninstall
if [ -e "$home/.local/lib/caseload-desktop" ] || [ -e "$entry" ] \
   || [ -e "$home/.local/bin/caseload-desktop" ]; then
  echo "Uninstall left files behind." >&2
  exit 1
fi
echo "Tarball check passed."
