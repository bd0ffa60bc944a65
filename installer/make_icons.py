"""Render the app icon's PNG and ICO files from ``resources/icons/caseload-desktop.svg``.

    .venv/bin/python installer/make_icons.py

Writes ``caseload-desktop-<size>.png`` (the desktop entry, the window icon, PyInstaller on
macOS) and ``caseload-desktop.ico`` (the Windows programs and the installer) beside the SVG.
They are generated: edit the SVG and run this again, never the PNGs. Qt's SVG renderer draws
them and Pillow writes the ICO (both are dependencies of the app).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image

from PySide6 import QtCore, QtGui, QtSvg

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SOURCE = ICONS / "caseload-desktop.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QtSvg.QSvgRenderer, size: int) -> bytes:
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QtGui.QGuiApplication(sys.argv[:1])
    renderer = QtSvg.QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"{SOURCE} is not a valid SVG", file=sys.stderr)
        return 1
    rendered = {size: render(renderer, size) for size in PNG_SIZES}
    for size, data in rendered.items():
        (ICONS / f"caseload-desktop-{size}.png").write_bytes(data)
    # Each ICO size from its own rendering, not one image scaled down: sharper small sizes.
    images = [Image.open(io.BytesIO(rendered[size])) for size in ICO_SIZES]
    images[-1].save(
        ICONS / "caseload-desktop.ico",
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=images[:-1],
    )
    print(f"Wrote {len(rendered)} PNG files and caseload-desktop.ico to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
