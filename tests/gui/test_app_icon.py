"""The app's icon (``ui/app_icon.py``, ``resources/icons``): every size there, and current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from PySide6 import QtGui, QtSvg

from caseload_desktop.ui.app_icon import ICON_SIZES, app_icon, icon_files

MAKE_ICONS = Path(__file__).resolve().parents[2] / "installer" / "make_icons.py"


def test_every_size_of_the_icon_is_a_png_of_that_size() -> None:
    files = icon_files()
    assert sorted(files) == sorted(ICON_SIZES)
    for size, path in files.items():
        image = QtGui.QImage(path)
        assert (image.width(), image.height()) == (size, size), path


def test_the_pngs_are_rendered_from_the_svg_as_it_is_now() -> None:
    """Edit the SVG, then run installer/make_icons.py (resources/icons/SOURCES.md)."""
    spec = importlib.util.spec_from_file_location("make_icons", MAKE_ICONS)
    assert spec is not None and spec.loader is not None
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    renderer = QtSvg.QSvgRenderer(str(make_icons.SOURCE))
    for size in (16, 64, 256):
        fresh = QtGui.QImage.fromData(make_icons.render(renderer, size))
        stored = QtGui.QImage(icon_files()[size])
        fresh = fresh.convertToFormat(QtGui.QImage.Format.Format_RGBA8888)
        stored = stored.convertToFormat(QtGui.QImage.Format.Format_RGBA8888)
        a, b = bytes(fresh.constBits()), bytes(stored.constBits())
        assert len(a) == len(b)
        # Qt versions may differ by a shade in antialiasing; a changed drawing differs a lot.
        assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a) < 2, (
            f"caseload-desktop-{size}.png is not the SVG as it is: run installer/make_icons.py"
        )


def test_the_app_icon_has_every_size(qapp) -> None:  # type: ignore[no-untyped-def]
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(ICON_SIZES)
