#!/bin/sh
# Install Caseload Desktop for the current user, from the unpacked tarball (no root needed):
#
#   ./install.sh                install (or replace) into ~/.local
#   ./install.sh --uninstall    remove what it installed
#
# PREFIX changes ~/.local (for example PREFIX=/opt/caseload-desktop, run as root, for every
# user; then put $PREFIX/bin on PATH and $PREFIX/share in XDG_DATA_DIRS). It installs:
#   $PREFIX/lib/caseload-desktop/                      the bundle (both programs)
#   $PREFIX/bin/caseload-desktop, $PREFIX/bin/caseload  links to the programs
#   $PREFIX/share/applications/caseload-desktop.desktop the menu entry
#   $PREFIX/share/icons/hicolor/*/apps/caseload-desktop.{png,svg}
# The user's data (databases, backups, logs) is in ~/.local/share/Caseload Desktop and is never
# touched, by install or uninstall.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
app="$prefix/lib/caseload-desktop"
applications="$prefix/share/applications"
icons="$prefix/share/icons/hicolor"
sizes="16 24 32 48 64 128 256 512"

refresh_caches() {
  command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$applications" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$app"
  rm -f "$prefix/bin/caseload-desktop" "$prefix/bin/caseload" \
    "$applications/caseload-desktop.desktop" "$icons/scalable/apps/caseload-desktop.svg"
  for size in $sizes; do
    rm -f "$icons/${size}x${size}/apps/caseload-desktop.png"
  done
  refresh_caches
  echo "Removed Caseload Desktop from $prefix (your data folder is untouched)."
  exit 0
fi
if [ -n "${1:-}" ]; then
  echo "usage: $0 [--uninstall]" >&2
  exit 2
fi

bundle="$here/caseload-desktop"
[ -x "$bundle/caseload-desktop" ] || { echo "No bundle beside $0 (caseload-desktop/)." >&2; exit 2; }
source_icons="$bundle/_internal/resources/icons"

# Copy beside the old version, then swap: an interrupted install leaves the old one working.
mkdir -p "$prefix/lib" "$prefix/bin" "$applications" "$icons/scalable/apps"
rm -rf "$app.new"
cp -R "$bundle" "$app.new"
rm -rf "$app"
mv "$app.new" "$app"
ln -sf "$app/caseload-desktop" "$prefix/bin/caseload-desktop"
ln -sf "$app/caseload" "$prefix/bin/caseload"

cp "$source_icons/caseload-desktop.svg" "$icons/scalable/apps/caseload-desktop.svg"
for size in $sizes; do
  mkdir -p "$icons/${size}x${size}/apps"
  cp "$source_icons/caseload-desktop-$size.png" "$icons/${size}x${size}/apps/caseload-desktop.png"
done
# The menu entry runs the installed program by its full path: ~/.local/bin may not be on the
# desktop session's PATH.
sed "s|^Exec=caseload-desktop|Exec=$app/caseload-desktop|" "$here/caseload-desktop.desktop" \
  > "$applications/caseload-desktop.desktop"
refresh_caches
echo "Installed Caseload Desktop $("$app/caseload" --version | cut -d' ' -f2) in $app."
echo "Run it from the applications menu, or as $prefix/bin/caseload-desktop."
