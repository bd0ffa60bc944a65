"""Where the app finds its own files (migrations, resources) and keeps the user's data.

The same lookup serves a checkout, an editable install, a regular install (pyproject's
data-files put both folders under ``<prefix>/share/caseload-desktop``) and a PyInstaller bundle
(which unpacks ``migrations/`` and ``resources/`` beside the code, under ``sys._MEIPASS``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from caseload_desktop import APP_NAME
from caseload_desktop.errors import CaseloadError

DB_VARIABLE = "CASELOAD_DB"
DATA_DIR_VARIABLE = "CASELOAD_DATA_DIR"


def _project_root_candidates() -> list[Path]:
    roots = []
    bundled = getattr(sys, "_MEIPASS", None)
    if bundled:
        roots.append(Path(bundled))
    roots.append(Path(__file__).resolve().parent.parent)  # a checkout or an editable install
    roots.append(Path(sys.prefix) / "share" / "caseload-desktop")  # a regular install
    return roots


def _find(name: str) -> Path:
    for root in _project_root_candidates():
        candidate = root / name
        if candidate.is_dir():
            return candidate
    raise CaseloadError(
        f"The app's {name}/ folder is missing (looked in "
        + ", ".join(str(r) for r in _project_root_candidates())
        + "); reinstall Caseload Desktop."
    )


def migrations_dir() -> Path:
    return _find("migrations")


def resources_dir() -> Path:
    return _find("resources")


def data_dir() -> Path:
    """The user's data folder (``CASELOAD_DATA_DIR`` overrides it, e.g. for tests)."""
    override = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    """``CASELOAD_DB`` when set, otherwise ``team.db`` in the user's data folder."""
    override = os.environ.get(DB_VARIABLE, "").strip()
    if override:
        return Path(override).expanduser()
    return data_dir() / "team.db"


def demo_database_path() -> Path:
    return data_dir() / "demo.db"
