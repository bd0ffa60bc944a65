"""``caseload report summary``: the files it writes, its JSON, and how it refuses.

Each test runs ``cli.main(argv, out=...)`` in-process on a copy of the session's demo database
(1000 cases, seed 7, as at 26 Nov 2026). Files go to a folder of their own, so a test can see
every file a run leaves behind: a refusal must leave none, and a success no temporary file.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest

from caseload_desktop.store.demo import INSPECTION_TEAM
from tests.conftest import raw_sqlite

TEAM = "Children in Care South"
CSV_SUFFIXES = ["", ".orphaned", ".unallocated", ".held_by_manager", ".timescales"]


Caseload = Callable[..., Any]  # the ``caseload`` fixture of conftest.py: a Run


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "reports"
    path.mkdir()
    return path


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def csv_names(stem: str, service: bool = False) -> list[str]:
    suffixes = CSV_SUFFIXES + ([".teams"] if service else [])
    return [f"{stem}{suffix}.csv" for suffix in suffixes]


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def audit_rows(db: Path) -> int:
    with raw_sqlite(db) as connection:
        return connection.execute("SELECT count(*) FROM audit_events").fetchone()[0]


def exported_events(db: Path) -> list[dict[str, Any]]:
    """The payloads of the outbox's ``summary.exported`` events, oldest first."""
    with raw_sqlite(db) as connection:
        rows = connection.execute(
            "SELECT schema_version, payload FROM outbox_events "
            "WHERE kind = 'summary.exported' ORDER BY id"
        ).fetchall()
    assert all(version == 1 for version, _payload in rows)
    return [json.loads(payload) for _version, payload in rows]


# --- Writing the files ---------------------------------------------------------------------------


def test_a_teams_summary_writes_the_pdf_and_its_csv_files(caseload: Caseload, folder: Path) -> None:
    pdf, table = folder / "north.pdf", folder / "north.csv"
    run = caseload("report", "summary", "--team", INSPECTION_TEAM, "--out", pdf, "--csv", table)

    assert (run.status, run.err) == (0, "")
    assert run.out.splitlines() == [
        f"Wrote the caseload summary of {INSPECTION_TEAM} as at 26 Nov 2026 to {pdf}.",
        *(f"Wrote {folder / name}." for name in csv_names("north")),
    ]
    # Exactly these files: nothing partial or temporary is left beside them.
    assert names(folder) == sorted(["north.pdf", *csv_names("north")])
    pages = pdf_pages(pdf)
    assert " ".join(pages[0].split()).startswith(f"Caseload summary: {INSPECTION_TEAM}")
    assert all(f"of {len(pages)}" in text for text in pages)
    assert (folder / "north.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_json_gives_the_team_the_day_the_files_and_the_pdfs_sha256(
    caseload: Caseload, folder: Path, demo_db_path: Path
) -> None:
    audited = audit_rows(demo_db_path)
    pdf, table = folder / "team.pdf", folder / "team.csv"
    run = caseload(
        "report", "summary", "--team", TEAM.upper(), "--out", pdf, "--csv", table, "--json"
    )

    assert (run.status, run.err) == (0, "")
    result = json.loads(run.out)
    assert result == {
        "team": TEAM,  # as the database spells it, whatever the case typed
        "as_at": "2026-11-26",
        "pdf": str(pdf),
        "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest(),
        "csv": [str(folder / name) for name in csv_names("team")],
    }
    assert all(Path(p).is_file() for p in result["csv"])
    assert names(folder) == sorted(["team.pdf", *csv_names("team")])
    # The export is recorded (the CSV files, then the PDF, each as soon as it is written),
    # and changes nothing else.
    assert audit_rows(demo_db_path) == audited + 2


def test_each_file_written_is_audited_and_sent_to_central_records(
    caseload: Caseload, folder: Path, demo_db_path: Path
) -> None:
    pdf, table = folder / "x.pdf", folder / "y.csv"
    run = caseload("report", "summary", "--team", TEAM, "--out", pdf, "--csv", table)
    assert (run.status, run.err) == (0, "")

    files = [*(folder / name for name in csv_names("y")), pdf]
    events = exported_events(demo_db_path)
    assert [(e["file_name"], e["format"]) for e in events] == [
        *((name, "csv") for name in csv_names("y")),
        ("x.pdf", "pdf"),
    ]
    for path, event in zip(files, events, strict=True):
        data = path.read_bytes()
        assert event["sha256"] == hashlib.sha256(data).hexdigest()
        assert base64.b64decode(event["content"]) == data
        assert (event["scope"], event["team"], event["as_at"]) == ("team", TEAM, "2026-11-26")
    with raw_sqlite(demo_db_path) as connection:
        reasons = [
            reason
            for (reason,) in connection.execute(
                "SELECT reason FROM audit_events WHERE action = 'summary.exported' ORDER BY id"
            )
        ]
    of_team = f"Exported the caseload summary of {TEAM} as at 26 Nov 2026"
    assert reasons == [f"{of_team}: {', '.join(csv_names('y'))}", f"{of_team}: x.pdf"]


def test_without_csv_only_the_pdf_is_written(caseload: Caseload, folder: Path) -> None:
    run = caseload("report", "summary", "--team", TEAM, "--out", folder / "team.pdf", "--json")
    assert (run.status, run.err) == (0, "")
    assert json.loads(run.out)["csv"] == []
    assert names(folder) == ["team.pdf"]


def test_the_same_report_twice_gives_the_same_bytes(caseload: Caseload, folder: Path) -> None:
    digests = []
    for name in ("first.pdf", "second.pdf"):
        run = caseload("report", "summary", "--team", TEAM, "--out", folder / name, "--json")
        assert run.status == 0, run.err
        digests.append(json.loads(run.out)["sha256"])
    assert digests[0] == digests[1]
    assert (folder / "first.pdf").read_bytes() == (folder / "second.pdf").read_bytes()


def test_an_existing_pdf_is_replaced_whole(caseload: Caseload, folder: Path) -> None:
    pdf = folder / "team.pdf"
    pdf.write_bytes(b"an older summary" * 100_000)
    run = caseload("report", "summary", "--team", TEAM, "--out", pdf)
    assert run.status == 0, run.err
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
    assert names(folder) == ["team.pdf"]


def test_without_a_team_the_service_summary_is_written_with_a_teams_file(
    caseload: Caseload, folder: Path, demo_db_path: Path
) -> None:
    pdf, table = folder / "service.pdf", folder / "service.csv"
    run = caseload("report", "summary", "--out", pdf, "--csv", table, "--json")

    assert (run.status, run.err) == (0, "")
    result = json.loads(run.out)
    assert result["team"] is None
    assert result["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert result["csv"] == [str(folder / n) for n in csv_names("service", service=True)]
    assert names(folder) == sorted(["service.pdf", *csv_names("service", service=True)])
    events = exported_events(demo_db_path)
    assert len(events) == len(csv_names("service", service=True)) + 1
    assert {(e["scope"], e["team"]) for e in events} == {("service", None)}
    with raw_sqlite(demo_db_path) as connection:
        teams = [name for (name,) in connection.execute("SELECT name FROM teams ORDER BY name")]
    pages = pdf_pages(pdf)
    assert pages[0].startswith("Service caseload summary")
    assert [text.splitlines()[0] for text in pages[1 : len(teams) + 1]] == teams
    lines = (folder / "service.teams.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == teams


# --- Refusals: exit 2, one line on stderr, no file left behind ------------------------------------


def _refused(run: Any) -> None:
    assert run.status == 2, (run.out, run.err)
    assert run.out == ""
    assert run.err.startswith("caseload: error: ")
    assert run.err.endswith("\n") and run.err.count("\n") == 1, run.err


def test_an_unknown_team_is_refused_and_nothing_is_written(
    caseload: Caseload, folder: Path
) -> None:
    run = caseload(
        "report",
        "summary",
        "--team",
        "No Such Team",
        "--out",
        folder / "x.pdf",
        "--csv",
        folder / "x.csv",
    )
    _refused(run)
    assert "No Such Team" in run.err
    assert names(folder) == []


def test_a_missing_out_option_is_a_usage_error(caseload: Caseload, folder: Path) -> None:
    run = caseload("report", "summary", "--team", TEAM, "--csv", folder / "x.csv")
    _refused(run)
    assert "--out" in run.err
    assert names(folder) == []


def test_a_pdf_in_a_missing_folder_is_refused_and_no_csv_is_left_behind(
    caseload: Caseload, folder: Path, tmp_path: Path, demo_db_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "x.pdf"
    run = caseload("report", "summary", "--team", TEAM, "--out", missing, "--csv", folder / "x.csv")
    _refused(run)
    assert "no-such-folder" in run.err
    assert names(folder) == []  # the CSV files are not written when the PDF cannot be
    assert not missing.parent.exists()
    assert exported_events(demo_db_path) == []  # nor is anything recorded


def test_a_folder_as_the_pdf_is_refused_and_no_csv_is_left_behind(
    caseload: Caseload, folder: Path
) -> None:
    run = caseload("report", "summary", "--team", TEAM, "--out", folder, "--csv", folder / "x.csv")
    _refused(run)
    assert "folder" in run.err
    assert names(folder) == []


def test_a_folder_as_the_csv_is_refused_and_no_pdf_is_left_behind(
    caseload: Caseload, folder: Path
) -> None:
    run = caseload("report", "summary", "--team", TEAM, "--out", folder / "x.pdf", "--csv", folder)
    _refused(run)
    assert "folder" in run.err
    assert names(folder) == []


def test_a_csv_in_a_missing_folder_is_refused_and_no_pdf_is_left_behind(
    caseload: Caseload, folder: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "x.csv"
    run = caseload("report", "summary", "--team", TEAM, "--out", folder / "x.pdf", "--csv", missing)
    _refused(run)
    assert names(folder) == []


def test_a_refusal_keeps_an_earlier_report_as_it_was(caseload: Caseload, folder: Path) -> None:
    pdf, table = folder / "team.pdf", folder / "team.csv"
    assert caseload("report", "summary", "--team", TEAM, "--out", pdf, "--csv", table).status == 0
    before = {name: (folder / name).read_bytes() for name in names(folder)}
    run = caseload("report", "summary", "--team", "No Such Team", "--out", pdf, "--csv", table)
    _refused(run)
    assert {name: (folder / name).read_bytes() for name in names(folder)} == before
