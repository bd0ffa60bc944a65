"""Named loggers per subsystem, and where unexpected errors are written down.

Expected failures (``CaseloadError``) are messages for the user, not log entries. Anything else
is a bug: its traceback goes to ``crash.log`` in the data folder and the user is told where.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from pathlib import Path

from caseload_desktop import __version__, locations

store = logging.getLogger("caseload.store")
services = logging.getLogger("caseload.services")
ui = logging.getLogger("caseload.ui")
cli = logging.getLogger("caseload.cli")


def write_crash_report(exc: BaseException) -> Path | None:
    """Append the traceback of ``exc`` to ``crash.log``; returns its path (None if unwritable)."""
    path = locations.data_dir() / "logs" / "crash.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {dt.datetime.now(dt.UTC).isoformat()} version {__version__}\n")
            handle.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path
