"""Fixtures shared by every test.

- Qt runs offscreen; the date is fixed with ``CASELOAD_TODAY`` so queues and due dates are
  reproducible; the data folder is a temporary one, so no test touches a real user's files.
- The demo database is built once per session by the same path the app uses (``caseload demo``'s
  service) and copied for each test that wants one (Vorta's fixture pattern).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from caseload_desktop.store.engine import Database

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TODAY = dt.date(2026, 11, 26)
DEMO_SEED = 7
DEMO_CASES = 1000


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.setenv("CASELOAD_TODAY", TODAY.isoformat())
    monkeypatch.setenv("CASELOAD_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("CASELOAD_DB", raising=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from caseload_desktop.store.demo import create_demo_database

    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    create_demo_database(path, seed=DEMO_SEED, cases=DEMO_CASES, today=TODAY)
    return path


@pytest.fixture
def demo_db_path(demo_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo database for this test."""
    target = tmp_path / "demo.db"
    shutil.copyfile(demo_template, target)
    return target


@pytest.fixture
def demo_db(demo_db_path: Path) -> Iterator[Database]:
    from caseload_desktop.store.engine import open_database

    db, _ = open_database(demo_db_path)
    yield db
    db.close()
