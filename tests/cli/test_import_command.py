"""``caseload import workers|cases FILE``: what it prints, what it refuses, and the round trip of
the demo service through the template.

The demo (1000 cases, seed 7, as at 26 Nov 2026) is written out in the template's layout by
``services.template_export``, straight from its tables, and imported into an empty database:
the queues, caseloads and cases the CLI prints must come out the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseload_desktop import locations
from caseload_desktop.services.template_export import write_template
from caseload_desktop.store.engine import create_database, open_database
from caseload_desktop.store.models import (
    AuditEvent,
)

TEMPLATES = locations.resources_dir() / "templates"
Caseload = Callable[..., object]


def export_template(db_path: Path, folder: Path) -> tuple[Path, Path]:
    """The database's workers and cases, in the template's columns (and its optional ones)."""
    db, _ = open_database(db_path)
    with db:
        workers, cases, _count = write_template(db, folder)
    return workers, cases


def test_the_demo_through_the_template_into_an_empty_database_gives_the_same_queues(
    caseload: Caseload, demo_db_path: Path, tmp_path: Path
) -> None:
    workers, cases = export_template(demo_db_path, tmp_path)
    empty = tmp_path / "empty.db"
    create_database(empty).close()
    imported = caseload("import", "workers", workers, db=empty)
    assert imported.status == 0, imported.err
    assert "76 new, 0 updated, 0 unchanged" in imported.out
    imported = caseload("import", "cases", cases, db=empty)
    assert imported.status == 0, imported.err
    assert "1000 new, 0 updated, 0 unchanged" in imported.out
    for command in ("queue", "caseloads", "cases"):
        theirs = caseload(command, "--json")
        ours = caseload(command, "--json", db=empty)
        assert json.loads(ours.out) == json.loads(theirs.out), command


def test_the_demos_own_data_imported_into_the_demo_changes_nothing(
    caseload: Caseload, demo_db_path: Path, tmp_path: Path
) -> None:
    workers, cases = export_template(demo_db_path, tmp_path)
    audit_before = json.loads(caseload("audit", "--json").out)
    for kind, path in (("workers", workers), ("cases", cases)):
        run = caseload("import", kind, path, "--json")
        assert run.status == 0, run.err
        result = json.loads(run.out)
        assert (result["new"], result["updated"], result["written"]) == (0, 0, False)
        assert result["unchanged"] == result["rows"]
    assert json.loads(caseload("audit", "--json").out) == audit_before


def test_a_bad_file_prints_every_problem_and_exits_2(caseload: Caseload, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "case_ref,child_id,child_name,team,category,opened_on,allocated_worker\n"
        "C-900001,X1,Ann Lee,Nowhere,CINN,31/02/2026,S99999\n"
        "C-900001,X2,Bob Lee,Children in Care South,cin,12/31/2026,\n",
        encoding="utf-8",
    )
    run = caseload("import", "cases", path)
    assert run.status == 2
    lines = run.out.splitlines()
    assert lines[0].split() == ["Line", "Column", "Value", "Problem"]
    assert [line.split()[:3] for line in lines[2:]] == [
        ["2", "team", "Nowhere"],
        ["2", "category", "CINN"],
        ["2", "opened_on", "31/02/2026"],
        ["2", "allocated_worker", "S99999"],
        ["3", "opened_on", "12/31/2026"],
        ["3", "case_ref", "C-900001"],
    ]
    assert "day first" in run.out
    assert run.err.count("\n") == 1
    assert "6 problems" in run.err and "nothing was imported" in run.err
    assert "Traceback" not in run.err + run.out
    as_json = caseload("import", "cases", path, "--json")
    assert as_json.status == 2
    report = json.loads(as_json.out)
    assert report["ok"] is False
    assert report["errors"][0] == {
        "sheet": None,
        "line": 2,
        "column": "team",
        "value": "Nowhere",
        "problem": report["errors"][0]["problem"],
    }


def test_a_dry_run_says_what_would_change_and_writes_nothing(
    caseload: Caseload, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    create_database(empty).close()
    run = caseload("import", "workers", TEMPLATES / "workers.csv", "--dry-run", db=empty)
    assert run.status == 0, run.err
    assert "11 new, 0 updated, 0 unchanged (dry run: nothing was written)" in run.out
    assert "Teams that would be created: Assessment and Intervention, Children in Care" in run.out
    assert json.loads(caseload("caseloads", "--json", db=empty).out) == []


def test_annex_a_lists_import_with_their_mapping(caseload: Caseload, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    create_database(empty).close()
    assert caseload("import", "workers", TEMPLATES / "annex-a-workers.csv", db=empty).status == 0
    run = caseload(
        "import", "cases", TEMPLATES / "annex-a-example.xlsx", "--mapping", "annex-a", db=empty
    )
    assert run.status == 0, run.err
    assert "9 new" in run.out
    assert "Wilhelmina Strand" in run.out  # not on the staff list: recorded as inactive
    queue = json.loads(caseload("queue", "--json", db=empty).out)
    assert sorted(r["case_ref"] for r in queue["orphaned"]) == ["7100003", "7100005"]
    refused = caseload("import", "cases", TEMPLATES / "annex-a-example.xlsx", db=empty)
    assert refused.status == 2  # the template mapping finds no case_ref column
    assert "required column case_ref" in refused.out


def test_a_users_column_mapping_is_saved_and_used_by_name(
    caseload: Caseload, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    create_database(empty).close()
    caseload("import", "workers", TEMPLATES / "workers.csv", db=empty)
    text = (TEMPLATES / "cases.csv").read_text(encoding="utf-8")
    path = tmp_path / "mosaic.csv"
    path.write_text(text.replace("case_ref,", "Case No,", 1), encoding="utf-8")
    run = caseload(
        "import",
        "cases",
        path,
        "--column",
        "case_ref=Case No",
        "--save-mapping",
        "mosaic",
        db=empty,
    )
    assert run.status == 0, run.err
    assert (locations.data_dir() / "import-mappings" / "mosaic.json").is_file()
    again = caseload("import", "cases", path, "--mapping", "mosaic", db=empty)
    assert "0 new, 0 updated, 10 unchanged" in again.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--mapping", "nonesuch"], "No column mapping called 'nonesuch'"),
        (["--column", "case_ref"], "--column takes FIELD=HEADER"),
        (["--column", "wizard=Hat"], "no field wizard"),
        (["--mapping", "annex-a"], "reads cases files, not workers"),
    ],
)
def test_bad_options_are_refused_with_exit_2(
    caseload: Caseload, argv: list[str], message: str
) -> None:
    kind = "workers" if "annex-a" in argv else "cases"
    run = caseload("import", kind, TEMPLATES / f"{kind}.csv", *argv)
    assert run.status == 2
    assert message in run.err
    assert "Traceback" not in run.err


def test_a_missing_file_is_refused(caseload: Caseload, tmp_path: Path) -> None:
    run = caseload("import", "cases", tmp_path / "nowhere.csv")
    assert run.status == 2
    assert "does not exist" in run.err


def test_an_import_is_in_the_audit_trail(
    caseload: Caseload, demo_db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "one.csv"
    path.write_text(
        "case_ref,child_id,child_name,team,category,opened_on,allocated_worker\n"
        "C-900001,X1,Ann Lee,Children in Care South,CLA,2026-11-01,\n",
        encoding="utf-8",
    )
    assert caseload("import", "cases", path).status == 0
    events = json.loads(caseload("audit", "--case", "C-900001", "--json").out)
    assert [e["what"] for e in events] == ["case.imported"]
    db, _ = open_database(demo_db_path)
    with db, db.read() as session:
        last = session.execute(
            sa.select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id.desc())
        ).first()
    assert last is not None
    assert last.action == "import.cases"
    assert (last.detail["file"], last.detail["new"]) == ("one.csv", 1)
