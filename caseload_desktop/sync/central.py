"""Reaching the central records store: its address, engine, schema and identity.

The address is a PostgreSQL URL (``postgresql://user@host/db?sslmode=verify-full&...``); every
query parameter is psycopg's own, so TLS options (``sslmode``, ``sslrootcert``, ``sslcert``,
``sslkey``) pass straight through. The password never sits in the URL that is shown or logged:
it comes from the OS password store (``keyring``) or the caller, and is handed to psycopg
separately.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from caseload_desktop import APP_NAME, locations
from caseload_desktop.errors import BadInput, CaseloadError
from caseload_desktop.sync import central_schema as cs

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("caseload.sync")

CONNECT_TIMEOUT = 10  # seconds; an unreachable server must not hold a sync for minutes
_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}


class CentralUnavailable(CaseloadError):
    """The central records server cannot be reached, or dropped the connection. Nothing local
    was lost: the outbox keeps every event until central has committed it."""


class CentralNotReady(CaseloadError):
    """The server answers but holds no central records schema, or an older or newer one."""


PASSWORD_SERVICE = APP_NAME  # keyring's "service"; the user name is the server's address


def central_password(address: str) -> str | None:
    """The central server's password from the platform's password store (where the settings
    dialog puts it), or None: then libpq's own sources apply (PGPASSWORD, the password file).
    A broken store must not stop a sync, since libpq may not need it."""
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(PASSWORD_SERVICE, address.strip())
    except keyring.errors.KeyringError:
        return None
    except Exception:
        log.exception("reading the central password from the password store failed")
        return None


def parse_address(address: str, password: str | None = None) -> sa.URL:
    """The SQLAlchemy URL of a central records address, with psycopg 3 as its driver.

    Raises BadInput for anything that is not a PostgreSQL URL.
    """
    text = address.strip()
    if not text:
        raise BadInput("No central records address was given (postgresql://host/database).")
    try:
        url = make_url(text)
    except ArgumentError:
        raise BadInput(
            f"{shown(text)} is not a central records address; give one like "
            "postgresql://user@host/database?sslmode=verify-full."
        ) from None
    if url.drivername not in _SCHEMES:
        raise BadInput(
            f"{shown(text)} is not a PostgreSQL address (it starts {url.drivername}://); give "
            "one like postgresql://user@host/database."
        )
    url = url.set(drivername="postgresql+psycopg")
    if password:
        url = url.set(password=password)
    return url


def shown(address: str) -> str:
    """An address as it may be shown or logged: any password replaced by ***."""
    try:
        return make_url(address.strip()).render_as_string(hide_password=True)
    except ArgumentError:
        return "the address given"


def make_central_engine(url: sa.URL) -> sa.Engine:
    """An engine for the central store: a small pool, a connect timeout, pre-ping (a laptop
    that slept wakes with dead connections)."""
    connect_args: dict[str, object] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    return sa.create_engine(
        url,
        pool_size=2,
        max_overflow=2,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def describe_failure(exc: BaseException, url: sa.URL) -> str:
    """A message for a database error reaching central records, without the password."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    return f"Central records at {url.render_as_string(hide_password=True)}: {first}"


@contextmanager
def translate_errors(url: sa.URL) -> Iterator[None]:
    """Turn driver errors (server down, connection dropped, refused login) into
    CentralUnavailable with a clear message."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise CentralUnavailable(describe_failure(exc, url)) from exc
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise CentralUnavailable(describe_failure(exc, url)) from exc
        raise


def alembic_config() -> Config:
    # Alembic is imported where it is used: the desktop app starts 0.25 s sooner without it.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(locations.migrations_dir() / "central"))
    return config


@functools.cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "migrations/central/versions holds no revision"
    return head


def init_central(engine: sa.Engine) -> tuple[str | None, str]:
    """Create the central schema or upgrade it to head; returns (before, after) revisions.

    Refuses a database whose revision this version does not know (a newer app migrated it).
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config()
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    with translate_errors(engine.url), engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        if before is not None and before not in known:
            raise CentralNotReady(
                f"Central records at {engine.url.render_as_string(hide_password=True)} are at "
                f"schema revision {before}, newer than this version knows ({head_revision()}). "
                "Update the app; nothing was changed."
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def central_id(connection: sa.Connection) -> str:
    """The store's own id; CentralNotReady if the schema is missing or not at head."""
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(connection).get_current_revision()
    if revision != head_revision():
        where = connection.engine.url.render_as_string(hide_password=True)
        if revision is None:
            raise CentralNotReady(
                f"{where} holds no central records yet; run `caseload central init --central "
                "URL` first."
            )
        raise CentralNotReady(
            f"Central records at {where} are at schema revision {revision}, this version needs "
            f"{head_revision()}; run `caseload central init` with the matching version."
        )
    value = connection.execute(sa.select(cs.central_info.c.central_id)).scalar_one()
    return str(value)
