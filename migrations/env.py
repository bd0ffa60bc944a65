"""Alembic environment for the local team database (SQLite).

The app runs migrations in code (``store.engine.open_database``) and hands over its own
connection in ``config.attributes["connection"]``, so the pragmas and BEGIN handling of
``store.engine.make_engine`` apply. From the command line (``alembic -x db=PATH upgrade head``)
an engine is made the same way.
"""

from __future__ import annotations

from pathlib import Path

from alembic import context

from caseload_desktop.store.engine import make_engine
from caseload_desktop.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "sqlite":
            # Batch mode drops and recreates tables that others refer to; check foreign keys at
            # commit, not at each step (PRAGMA foreign_keys cannot change inside a transaction).
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    db_path = context.get_x_argument(as_dictionary=True).get("db")
    if not db_path:
        raise SystemExit("usage: alembic -x db=PATH upgrade head")
    engine = make_engine(Path(db_path))
    with engine.execution_options(sqlite_begin="IMMEDIATE").connect() as connection:
        _configure_and_run(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
