#!/usr/bin/env bash
# Pack the built bundle for Linux: dist/caseload-desktop-<version>-linux-<arch>.tar.gz holding
# the bundle, the desktop entry and install.sh (per-user install). `make bundle-tarball`.
#
#   installer/linux/make-tarball.sh [BUNDLE]      BUNDLE defaults to dist/caseload-desktop
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle=${1:-dist/caseload-desktop}
version=$("$bundle/caseload" --version | cut -d' ' -f2)
name="caseload-desktop-$version-linux-$(uname -m)"
staging=build/tarball
rm -rf "$staging"
mkdir -p "$staging/$name"
cp -R "$bundle" "$staging/$name/caseload-desktop"
cp installer/linux/caseload-desktop.desktop installer/linux/install.sh "$staging/$name/"
tar -C "$staging" --owner=0 --group=0 --numeric-owner -czf "dist/$name.tar.gz" "$name"
rm -rf "$staging"
echo "Wrote dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1))."
