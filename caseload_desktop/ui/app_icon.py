"""The app's icon (``resources/icons``), for the windows, the About dialog and the taskbar.

The PNG sizes are rendered from ``caseload-desktop.svg`` by ``installer/make_icons.py``; Qt
picks the nearest size for each use, without needing its SVG plugin.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from caseload_desktop import locations
from caseload_desktop.errors import CaseloadError

ICON_NAME = "caseload-desktop"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def icon_files() -> dict[int, str]:
    """The icon's PNG file for each size (empty when the resources are missing)."""
    try:
        folder = locations.resources_dir() / "icons"
    except CaseloadError:
        return {}
    return {
        size: str(folder / f"{ICON_NAME}-{size}.png")
        for size in ICON_SIZES
        if (folder / f"{ICON_NAME}-{size}.png").is_file()
    }


def app_icon() -> QtGui.QIcon:
    """The app's icon at every size there is (a null icon if none is found: the platform's
    default shows instead, which is no reason to fail)."""
    icon = QtGui.QIcon()
    for size, path in icon_files().items():
        icon.addFile(path, QtCore.QSize(size, size))
    return icon
