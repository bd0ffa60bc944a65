"""The one place that opens team databases and creates engines.

``open_database`` checks a file before anything writes to it (so a file that is not ours, or one
from a newer version, is left byte-for-byte unchanged), backs it up, migrates it to head, and
returns a ``Database`` whose engine has the settings RELIABILITY.md asks for:

- WAL with ``synchronous=FULL`` (WAL with NORMAL can lose the last commits on power loss);
- ``foreign_keys=ON`` on every connection and a busy timeout;
- SQLAlchemy's pysqlite recipe that takes over ``BEGIN`` from the driver, so that savepoints and
  transactional DDL work, with ``BEGIN IMMEDIATE`` for sessions that write (a writer takes the
  lock up front instead of failing half-way when another writer got there first).
  See "Serializable isolation / Savepoints / Transactional DDL" in SQLAlchemy's SQLite dialect docs.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import os
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import LRUCache

from caseload_desktop import APP_NAME, clock, locations

if TYPE_CHECKING:
    from alembic.config import Config
from caseload_desktop.errors import (
    BadInput,
    CaseloadError,
    DatabaseBusy,
    NewerSchema,
    NotADatabase,
    NotFound,
    ReadOnly,
)

log = logging.getLogger("caseload.store")

SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_BUSY_TIMEOUT = 5.0
_BEGIN_MODES = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}


# --- Alembic -------------------------------------------------------------------------------


def alembic_config() -> Config:
    """Alembic's configuration, built in code: no ``alembic.ini`` is needed at run time."""
    from alembic.config import Config  # Alembic only to migrate: importing it takes 0.25 s

    config = Config()
    config.set_main_option("script_location", str(locations.migrations_dir()))
    return config


@functools.cache
def _revisions() -> dict[str, str | None]:
    """Each revision in ``migrations/versions`` and the one it revises, read from the files'
    ``revision`` and ``down_revision`` assignments without importing them (or Alembic: every
    open compares the file's revision with head, and the app starts faster without it). A test
    checks that Alembic reads the same chain."""
    revisions: dict[str, str | None] = {}
    for script in sorted((locations.migrations_dir() / "versions").glob("*.py")):
        found: dict[str, object] = {}
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            targets: list[ast.expr]
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            elif isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    found[target.id] = ast.literal_eval(value)
        revision, down = found.get("revision"), found.get("down_revision")
        if isinstance(revision, str) and (down is None or isinstance(down, str)):
            revisions[revision] = down
    return revisions


def head_revision() -> str:
    revisions = _revisions()
    heads = set(revisions) - set(revisions.values())
    assert len(heads) == 1, f"migrations/versions must have one head, not {sorted(heads)}"
    return heads.pop()


def known_revisions() -> set[str]:
    return set(_revisions())


# --- Checking a file without writing to it -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FileState:
    """What a database file holds, read without changing it."""

    path: Path
    revision: str | None  # None: an empty SQLite database (no tables yet)
    encrypted: bool = False


# --- Encryption (SQLCipher) ----------------------------------------------------------------


class Encrypted(NotADatabase):
    """The file is not a plain SQLite database: it is encrypted (or not a database at all), and
    no passphrase was given."""


class Damaged(NotADatabase):
    """SQLite's quick check found the file damaged. It is left as it is: restore a backup.

    ``problem`` is what the check found, for dialogs that show it apart from the message.
    """

    def __init__(self, message: str, problem: str = "") -> None:
        super().__init__(message)
        self.problem = problem


class WrongPassphrase(BadInput):
    """SQLCipher could not read the file with the passphrase given ("file is not a database")."""


class Passphrase:
    """A database passphrase. Its repr and str never show it, so it cannot reach a log, a crash
    report or an error message by accident; ``pragma`` quotes it safely for SQLCipher's
    ``PRAGMA key``, which takes no bound parameters."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise BadInput("The passphrase is empty.")
        if "\x00" in value:
            raise BadInput("A passphrase cannot contain a NUL character.")
        self._value = value

    def __repr__(self) -> str:
        return "Passphrase(***)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Passphrase) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Passphrase", self._value))

    def reveal(self) -> str:
        return self._value

    def raw_pragma(self, salt: bytes) -> str:
        """``PRAGMA key`` with the key SQLCipher would derive from this passphrase and the
        file's salt (PBKDF2-HMAC-SHA512, 256,000 iterations: SQLCipher 4's defaults), derived
        once per process: each connection then skips the quarter-second derivation."""
        return f"PRAGMA key = \"x'{_derived_key(self._value, salt)}'\""

    def pragma(self, name: str = "key") -> str:
        """``PRAGMA key = '...'`` with the passphrase as an SQL string literal (quotes doubled),
        never interpolated unescaped."""
        if name not in ("key", "rekey"):
            raise ValueError(name)
        return f"PRAGMA {name} = '" + self._value.replace("'", "''") + "'"


@functools.lru_cache(maxsize=8)
def _derived_key(passphrase: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), salt, 256_000, 32).hex()


def _salt_of(file: Path | None) -> bytes | None:
    """The SQLCipher salt (the first 16 bytes) of an existing encrypted file, else None."""
    if file is None:
        return None
    try:
        with file.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    if len(head) < 16 or head == SQLITE_HEADER:
        return None
    return head


def key_pragma(key: Passphrase, file: Path | None) -> str:
    """The statement that keys a connection to ``file``: the derived key when the file exists
    (its salt known), else the passphrase (a new file: SQLCipher makes the salt)."""
    salt = _salt_of(file)
    return key.pragma() if salt is None else key.raw_pragma(salt)


def cipher_module() -> Any:
    """SQLCipher's DB-API module (``sqlcipher3``), imported when first needed."""
    try:
        import sqlcipher3.dbapi2
    except ImportError:  # pragma: no cover - a dependency of the package
        raise CaseloadError(
            "Encrypted databases need the sqlcipher3 package; reinstall Caseload Desktop."
        ) from None
    return sqlcipher3.dbapi2


def connect_raw(
    target: str | Path, key: Passphrase | None, *, uri: bool = False, file: Path | None = None
) -> Any:
    """A DB-API connection: plain ``sqlite3``, or SQLCipher keyed with ``key``. The key is the
    first statement on the connection, as SQLCipher requires; ``file`` is the database file
    when ``target`` is a URI (its salt lets the derived key be reused)."""
    if key is None:
        return sqlite3.connect(target, uri=uri)
    conn = cipher_module().connect(str(target), uri=uri)
    conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our error, not stderr noise
    conn.execute(key_pragma(key, file if uri else Path(target)))
    return conn


def _is_not_a_database(exc: BaseException) -> bool:
    return "file is not a database" in str(exc).lower()


def _read_only_uri(path: Path, *, immutable: bool = False) -> str:
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    return uri + "&immutable=1" if immutable else uri


def read_only_uri(path: Path) -> str:
    """A URI that opens ``path`` read-only (as immutable when it has no -wal file, so that
    nothing is created beside it)."""
    return _read_only_uri(path, immutable=not _wal_file(path).exists())


def run_quick_check(path: Path, key: Passphrase | None) -> str:
    """SQLite's ``PRAGMA quick_check`` on ``path`` read-only: "ok" or the first problem."""
    # As in inspect_file: without a -wal file, read as immutable so nothing appears beside it.
    uri = _read_only_uri(path, immutable=not _wal_file(path).exists())
    try:
        conn = connect_raw(uri, key, uri=True, file=path)
        try:
            return str(conn.execute("PRAGMA quick_check").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    except Exception as exc:
        if key is not None and isinstance(exc, cipher_module().DatabaseError):
            return str(exc)
        raise


def ensure_sound(path: Path, key: Passphrase | None) -> None:
    """Raise ``Damaged`` (the file untouched) unless ``path`` passes SQLite's quick check."""
    problem = run_quick_check(path, key)
    if problem != "ok":
        raise _damaged(path, problem)


def _damaged(path: Path, problem: str) -> Damaged:
    from caseload_desktop.store.backups import list_backups  # backups imports this module

    # A file a restore replaced is kept beside the backups, and may be the damaged one.
    found = [p for p in list_backups(path) if "-replaced-" not in p.name]
    hint = (
        f" Restore the latest backup with: caseload restore {found[0]} --db {path}" if found else ""
    )
    return Damaged(
        f"{path} is damaged (SQLite's check found: {problem}). It has not been changed.{hint}",
        problem,
    )


def _wal_file(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def inspect_file(path: Path, key: Passphrase | None = None) -> FileState:
    """Check that ``path`` is a Caseload Desktop database this version can open.

    A file that is not plain SQLite is read with ``key`` as an SQLCipher database: without a
    key that is ``Encrypted``, with the wrong one ``WrongPassphrase``. Reads only: a file that
    fails any check is left exactly as it was.
    """
    if not path.exists():
        raise NotFound(f"No database at {path}.")
    if path.is_dir():
        raise BadInput(f"{path} is a folder, not a database file.")
    if not path.is_file():
        raise BadInput(f"{path} is not a regular file, so it cannot be a database.")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BadInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if not header:
        raise NotADatabase(f"{path} is empty (0 bytes): it is not a Caseload Desktop database.")
    encrypted = header != SQLITE_HEADER
    if encrypted and path.stat().st_size % 512:
        # SQLCipher files are whole pages (512 bytes to 64 KiB each): this is something else.
        raise NotADatabase(f"{path} is not a Caseload Desktop database (not an SQLite file).")
    if encrypted and key is None:
        raise Encrypted(
            f"{path} is not an SQLite file as it stands: it is encrypted, or not a Caseload "
            "Desktop database at all. If it is encrypted, give its passphrase "
            "(CASELOAD_PASSPHRASE, or at the prompt)."
        )
    # A read-only connection to a WAL database creates -wal and -shm files that it cannot
    # remove. With no -wal file, every commit is in the main file (the last connection
    # checkpointed it), so read it as immutable and create nothing beside it. With a -wal file
    # (open elsewhere, or a crash), read normally so its commits are seen.
    immutable = not _wal_file(path).exists()
    try:
        conn = connect_raw(
            _read_only_uri(path, immutable=immutable),
            key if encrypted else None,
            uri=True,
            file=path,
        )
        try:
            tables = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if _is_lock_error(exc):
            raise _busy(path) from None
        raise NotADatabase(f"{path} is damaged or not a database ({exc}).") from None
    except sqlite3.DatabaseError as exc:
        raise NotADatabase(f"{path} is damaged or not a database ({exc}).") from None
    except Exception as exc:  # SQLCipher's own DatabaseError class
        if not encrypted or not isinstance(exc, cipher_module().DatabaseError):
            raise
        if _is_lock_error(exc):
            raise _busy(path) from None
        if _is_not_a_database(exc):
            raise WrongPassphrase(
                f"The passphrase for {path} is wrong (or the file is not a Caseload Desktop "
                "database). Nothing was changed."
            ) from None
        raise NotADatabase(f"{path} is damaged or not a database ({exc}).") from None
    if revision is None and tables - {"alembic_version"}:
        raise NotADatabase(
            f"{path} is an SQLite database but not a Caseload Desktop one "
            "(it has no schema revision)."
        )
    if revision is not None and revision not in known_revisions():
        raise NewerSchema(
            f"{path} was written by a newer version of Caseload Desktop (schema revision "
            f"{revision}, this version knows up to {head_revision()}). Update the app to open it; "
            "the file has not been changed."
        )
    return FileState(path=path, revision=revision, encrypted=encrypted)


# --- Engines -------------------------------------------------------------------------------


class SharedCacheDialect(SQLiteDialect_pysqlite):
    """SQLAlchemy's pysqlite dialect (one per engine, as ever), equal to every other of the
    same driver module and SQLite version.

    SQLAlchemy keys its cache of compiled statements by dialect, and each engine has its own:
    every database opened compiled every query again, half the time of filling the board for
    a team (5 ms of 10). Equal dialects let every engine of the process share one cache
    (``_COMPILED``), so a database opened after the first reuses what the first compiled. A
    compiled statement depends only on what makes dialects equal here (SQLite's own, or
    SQLCipher's, and its version); each engine keeps its own pool, events and options.
    """

    supports_statement_cache = True

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, SharedCacheDialect)
            and other.dbapi is self.dbapi
            and other.server_version_info == self.server_version_info
        )

    def __hash__(self) -> int:
        return hash((type(self), id(self.dbapi)))


_DIALECT_NAME = "caseload"
registry.register(f"sqlite.{_DIALECT_NAME}", __name__, SharedCacheDialect.__name__)
# The process's compiled statements, for every engine (as big as one engine's own cache).
_COMPILED: LRUCache[Any, Any] = LRUCache(500)


def make_engine(
    path: Path,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    key: Passphrase | None = None,
    query_only: bool = False,
) -> sa.Engine:
    """An engine on the SQLite file ``path`` with the project's pragmas and BEGIN handling;
    with ``key``, through SQLCipher (the key is each connection's first statement; the URL
    never holds it). With ``query_only`` SQLite itself refuses every write on its
    connections."""
    options: dict[str, Any] = {} if key is None else {"module": cipher_module()}
    engine = sa.create_engine(
        sa.URL.create(f"sqlite+{_DIALECT_NAME}", database=str(path)),
        connect_args={"timeout": busy_timeout},
        # Errors never quote bound values: they hold children's names and dates of birth,
        # and error text reaches stderr and crash.log (RELIABILITY.md, fault 9).
        hide_parameters=True,
        **options,
    )

    engine.update_execution_options(compiled_cache=_COMPILED)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Stop pysqlite from issuing its own BEGIN; the "begin" listener below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if key is not None:
                cursor.execute("PRAGMA cipher_log_level = NONE")
                cursor.execute(key_pragma(key, path))
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            if query_only:
                cursor.execute("PRAGMA query_only = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in _BEGIN_MODES:
            raise ValueError(f"unknown sqlite_begin mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _is_lock_error(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


@dataclasses.dataclass
class Database:
    """An open team database.

    Attributes:
        path: the database file.
        engine: the engine (one pool for the process).
        revision: the schema revision it is at.
        key: its passphrase when it is encrypted.
        query_only: opened only to read it (another copy of the app holds it): ``write``
            refuses, and SQLite refuses any other write on its connections.
    """

    path: Path
    engine: sa.Engine
    revision: str
    key: Passphrase | None = dataclasses.field(default=None, repr=False, compare=False)
    query_only: bool = False

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    def __post_init__(self) -> None:
        self._reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            bind=self.engine.execution_options(sqlite_begin="IMMEDIATE"),
            expire_on_commit=False,
        )

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads (one deferred transaction, rolled back at the end)."""
        with self._reader() as session, _translate_lock_errors(self.path):
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (``BEGIN IMMEDIATE``): committed on success, else rolled back.
        ``ReadOnly`` on a database opened only to read it."""
        if self.query_only:
            raise ReadOnly(
                f"{self.path} is open read-only here: another copy of {APP_NAME} has it open. "
                "Nothing was changed; make the change in that copy, or close it and open the "
                "database here again."
            )
        with (
            _translate_lock_errors(self.path),
            self._writer() as session,
            session.begin(),
        ):
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def driver_connection(session: Session) -> Any:
    """The DB-API connection (sqlite3's, or SQLCipher's) under ``session``, in its transaction:
    for the few reads of thousands of rows where SQLAlchemy's rows cost more than the query
    (the team picker's teams, the outbox batches a push sends)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    return driver


def _busy(path: Path) -> DatabaseBusy:
    return DatabaseBusy(
        f"The database {path} is busy: another program is writing to it. Try again in a moment."
    )


@contextlib.contextmanager
def _translate_lock_errors(path: Path) -> Iterator[None]:
    """SQLite's operational failures as messages for the user (nothing was written)."""
    try:
        yield
    except sa.exc.OperationalError as exc:
        text = str(exc.orig).lower()
        if _is_lock_error(exc):
            raise _busy(path) from None
        if "disk is full" in text or "disk i/o error" in text:
            raise CaseloadError(
                f"Could not write to {path}: the disk is full or failing. Nothing was saved; "
                "free some space and try again."
            ) from None
        if "readonly" in text or "unable to open" in text:
            raise CaseloadError(
                f"Could not open {path} for writing ({exc.orig}). Keep the database in a folder "
                "you can write to, on this computer's own disk."
            ) from None
        raise


# --- Backups and migrations ----------------------------------------------------------------


def backup_database(source: Path, target: Path, key: Passphrase | None = None) -> Path:
    """Copy ``source`` to ``target`` with SQLite's online backup API (safe while it is open).

    An encrypted source (``key``) makes a backup encrypted with the same key. Written under a
    temporary name and renamed, so the backup appears whole or not at all.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        src = connect_raw(_read_only_uri(source), key, uri=True, file=source)
        try:
            dst = connect_raw(partial, key)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except Exception as exc:  # OSError, sqlite3.Error or SQLCipher's errors
        partial.unlink(missing_ok=True)
        if not isinstance(exc, OSError | sqlite3.Error) and not (
            key is not None and isinstance(exc, cipher_module().Error)
        ):
            raise
        raise CaseloadError(
            f"Could not back up {source} to {target.parent} ({exc}); nothing was changed."
        ) from None
    return target


def backups_dir(db_path: Path) -> Path:
    return db_path.parent / "backups"


def _backup_before_migration(path: Path, revision: str, key: Passphrase | None) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = backups_dir(path) / f"{path.stem}-before-migration-{revision}-{stamp}{path.suffix}"
    return backup_database(path, target, key)


@dataclasses.dataclass(frozen=True)
class MigrationReport:
    from_revision: str | None
    to_revision: str
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision


def _upgrade(engine: sa.Engine, path: Path) -> None:
    from alembic import command

    config = alembic_config()
    with (
        _translate_lock_errors(path),
        engine.execution_options(sqlite_begin="IMMEDIATE").connect() as connection,
    ):
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError as exc:  # a name too long, a path through a file, ...
        raise BadInput(f"Cannot use {path}: {exc.strerror or exc}.") from None


def open_database(
    path: Path | str,
    *,
    create: bool = False,
    busy_timeout: float | None = None,
    key: Passphrase | None = None,
    check: bool = True,
    daily_backup: bool = False,
    query_only: bool = False,
) -> tuple[Database, MigrationReport]:
    """Open (or with ``create``, create) the team database at ``path``, migrated to head.

    ``key`` opens an encrypted database, or encrypts a new one; a plain existing database
    opens as it is (``caseload encrypt`` converts it). A wrong key is ``WrongPassphrase``, a
    missing one ``Encrypted``: a file SQLCipher cannot read is never written to.

    With ``check``, an existing file must pass SQLite's quick check first (``Damaged``
    otherwise, the file untouched). Without it the caller runs the check itself (the desktop
    app, on a pool thread once the board is up: ``ensure_sound``), except that a file about to
    be migrated is always checked first. With ``daily_backup`` (an open that was checked), the
    day's first open backs it up (``store.backups``). With ``query_only`` (the desktop app, when
    another copy of it holds the file) nothing is written to it: one at an older revision is
    ``BadInput``, as migrating it would be a write. The command line's reads create nothing beside
    the database; ``caseload backup`` is there for scripts.

    A database at an older revision is backed up to ``backups/`` beside it first. Raises
    ``NotFound``, ``NotADatabase``, ``NewerSchema`` or ``DatabaseBusy`` with a message for the
    user; none of them leaves the file changed. ``busy_timeout`` (seconds) defaults to
    ``DEFAULT_BUSY_TIMEOUT``.
    """
    if daily_backup and not check:
        raise ValueError("a daily backup is only made of a file checked first")
    if query_only and (create or daily_backup):
        raise ValueError("a database opened only to read it is neither created nor backed up")
    if busy_timeout is None:
        busy_timeout = DEFAULT_BUSY_TIMEOUT
    path = Path(path).expanduser()
    if _exists(path):
        state = inspect_file(path, key)
        if state.revision is None:
            # An empty SQLite file is somebody else's until proven ours: never write into it.
            raise NotADatabase(
                f"{path} is an empty SQLite database, not a Caseload Desktop one. "
                f"Create a new database with: caseload init --db PATH"
            )
    elif create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"Cannot create a database at {path}: {exc.strerror or exc}.") from None
        state = FileState(path=path, revision=None, encrypted=key is not None)
    else:
        raise NotFound(f"No database at {path}. Create one with: caseload init --db {path}")

    head = head_revision()
    created = not path.exists()
    use_key = key if state.encrypted else None
    if query_only and state.revision != head:
        raise BadInput(
            f"{path} needs updating to this version of {APP_NAME}, which writes to it; it "
            "cannot be opened read-only until then. Close the copy of the app that has it "
            "open, then open it here."
        )
    if not created and (check or state.revision != head):
        ensure_sound(path, use_key)
    backup = None
    if state.revision is not None and state.revision != head:
        backup = _backup_before_migration(path, state.revision, use_key)
        log.info("backed up %s to %s before migrating", path, backup)
    engine = make_engine(path, busy_timeout=busy_timeout, key=use_key, query_only=query_only)
    try:
        with _translate_lock_errors(path):
            if state.revision != head:
                _upgrade(engine, path)
                log.info("migrated %s from %s to %s", path, state.revision, head)
            else:
                # Connect now, so a file we cannot open (a read-only folder, a full disk)
                # fails here with a message rather than at the first query.
                with engine.connect():
                    pass
    except OSError as exc:
        engine.dispose()
        if created:
            remove_database_files(path)
        raise BadInput(f"Cannot create a database at {path}: {exc.strerror or exc}.") from None
    except BaseException:
        engine.dispose()
        if created:  # leave nothing behind for a database that never came to be
            for leftover in (
                path,
                *(path.with_name(path.name + s) for s in ("-wal", "-shm")),
            ):
                leftover.unlink(missing_ok=True)
        raise
    report = MigrationReport(from_revision=state.revision, to_revision=head, backup=backup)
    db = Database(path=path, engine=engine, revision=head, key=use_key, query_only=query_only)
    if daily_backup and not created:
        from caseload_desktop.store import backups  # it imports this module

        try:
            backups.daily_backup(db, clock.today(), backups.stored_keep(db))
        except BaseException:
            db.close()
            raise
    return db, report


def remove_database_files(path: Path) -> None:
    """Delete a database the app has just created and its WAL files (never a user's file)."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def create_database(path: Path | str, key: Passphrase | None = None) -> Database:
    """A new, empty database at head (encrypted with ``key`` if given). Refuses to touch an
    existing file."""
    path = Path(path).expanduser()
    if _exists(path) and path.is_dir():
        raise BadInput(f"{path} is a folder; name a database file inside it.")
    if path.exists():
        raise BadInput(f"{path} already exists; choose another name or open it instead.")
    db, _ = open_database(path, create=True, key=key)
    return db
