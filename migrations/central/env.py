"""Alembic environment for the central records store (PostgreSQL).

The app runs these migrations in code (``caseload central init``, through
``sync.central.init_central``), handing over its connection in
``config.attributes["connection"]``. From the command line:
``alembic -c /dev/null -x url=postgresql+psycopg://... upgrade head`` with this folder as the
script location.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from caseload_desktop.sync.central_schema import metadata

config = context.config
target_metadata = metadata


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("usage: alembic -x url=postgresql+psycopg://... upgrade head")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        _configure_and_run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the central schema is migrated online only")
run_migrations_online()
