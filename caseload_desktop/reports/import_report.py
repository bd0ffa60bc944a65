"""An import's validation report as a CSV file, for the person who fixes the extract.

One row a problem (sheet, line, column, value, problem), as ``csv_export`` writes every CSV:
UTF-8 with a byte-order mark, and any cell a spreadsheet would run as a formula prefixed with
an apostrophe. A report quotes the extract's own values (a formula such as ``=H2+5`` is one of
the problems it names), so this matters here more than anywhere.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from caseload_desktop.domain.imports import Problem
from caseload_desktop.errors import BadInput
from caseload_desktop.reports.csv_export import Cell, csv_text
from caseload_desktop.reports.styles import check_destination

HEADER = ("sheet", "line", "column", "value", "problem")


def problems_csv(problems: Iterable[Problem]) -> str:
    """The report's text (one row a problem, in the order given)."""
    rows: list[list[Cell]] = [[p.sheet, p.line, p.column, p.value, p.message] for p in problems]
    return csv_text(HEADER, rows)


def write_problems_csv(problems: Iterable[Problem], path: Path) -> Path:
    """Write the report to ``path``, whole or not at all (a temporary file in the same folder,
    renamed into place); returns the path written."""
    path = path.expanduser()
    check_destination(path, "CSV")
    text = problems_csv(problems)
    try:
        handle, partial = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".partial", dir=path.parent
        )
    except OSError as exc:
        raise BadInput(f"Cannot write in {path.parent}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as exc:
        Path(partial).unlink(missing_ok=True)
        raise BadInput(
            f"Cannot write {path}: {exc.strerror or exc}. No file was written."
        ) from None
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
