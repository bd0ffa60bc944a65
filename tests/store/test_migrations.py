"""Migrations: empty to head, down and up again keeping data, backups, and no drift."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from caseload_desktop.errors import BadInput
from caseload_desktop.store.engine import (
    alembic_config,
    backups_dir,
    create_database,
    current_revision,
    head_revision,
    make_engine,
    open_database,
)
from caseload_desktop.store.models import Base


def _migrate(path: Path, direction: str, target: str) -> None:
    engine = make_engine(path)
    config = alembic_config()
    with engine.execution_options(sqlite_begin="IMMEDIATE").connect() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, target)
        connection.commit()
    engine.dispose()


def _row_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                " AND name != 'alembic_version'"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def _revisions() -> list[str]:
    """Revisions from head down to the first one."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in script.walk_revisions()]


def test_an_empty_file_upgrades_to_head_with_every_table(tmp_path: Path) -> None:
    db = create_database(tmp_path / "team.db")
    inspector = sa.inspect(db.engine)
    assert set(Base.metadata.tables) <= set(inspector.get_table_names())
    assert current_revision(db.engine) == head_revision()
    db.close()


@pytest.mark.parametrize("revision", _revisions()[:-1])
def test_downgrading_one_step_and_upgrading_again_keeps_every_row(
    demo_db_path: Path, revision: str
) -> None:
    before = _row_counts(demo_db_path)
    assert before["cases"] > 0 and before["allocations"] > 0
    script = ScriptDirectory.from_config(alembic_config())
    down_to = script.get_revision(revision).down_revision
    assert isinstance(down_to, str)
    _migrate(demo_db_path, "upgrade", revision)
    _migrate(demo_db_path, "downgrade", down_to)
    _migrate(demo_db_path, "upgrade", "head")
    assert _row_counts(demo_db_path) == before


def test_the_models_and_the_migrations_describe_the_same_schema(tmp_path: Path) -> None:
    db = create_database(tmp_path / "team.db")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    db.close()
    assert differences == []


def test_opening_an_older_database_backs_it_up_then_migrates(demo_db_path: Path) -> None:
    first = _revisions()[-1]
    _migrate(demo_db_path, "downgrade", first)
    counts = _row_counts(demo_db_path)

    db, report = open_database(demo_db_path)
    db.close()

    assert report.from_revision == first
    assert report.to_revision == head_revision()
    assert report.backup is not None and report.backup.parent == backups_dir(demo_db_path)
    backup = sqlite3.connect(report.backup)
    assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == (first,)
    assert backup.execute("SELECT count(*) FROM cases").fetchone() == (counts["cases"],)
    backup.close()
    after = _row_counts(demo_db_path)
    assert {table: after[table] for table in counts} == counts  # later revisions add tables


def test_an_older_database_is_not_opened_only_to_read_it(demo_db_path: Path) -> None:
    previous = _revisions()[1]
    _migrate(demo_db_path, "downgrade", previous)
    before = demo_db_path.read_bytes()
    with pytest.raises(BadInput, match="cannot be opened read-only until then"):
        open_database(demo_db_path, query_only=True)
    assert demo_db_path.read_bytes() == before
    check = sqlite3.connect(demo_db_path)
    assert check.execute("SELECT version_num FROM alembic_version").fetchone() == (previous,)
    check.close()
    assert not backups_dir(demo_db_path).exists()


def test_opening_a_database_at_head_makes_no_backup(demo_db_path: Path) -> None:
    db, report = open_database(demo_db_path)
    db.close()
    assert not report.changed and report.backup is None
    assert not backups_dir(demo_db_path).exists()


def test_the_revision_chain_read_without_alembic_is_alembics() -> None:
    """Opening compares a file's revision with head read straight from the version files
    (importing Alembic would cost every start 0.25 s): Alembic must read the same chain."""
    from alembic.script import ScriptDirectory

    from caseload_desktop.store import engine

    script = ScriptDirectory.from_config(engine.alembic_config())
    assert engine.head_revision() == script.get_current_head()
    assert engine._revisions() == {
        rev.revision: rev.down_revision for rev in script.walk_revisions()
    }
