"""``caseload supervision create | export | list``: what they print and write, how they refuse.

Each test runs ``cli.main(argv, out=...)`` in-process on a copy of the session's demo database
(1000 cases, seed 7, as at 26 Nov 2026). The worker, their cases, a colleague, a leaver and an
inactive worker are found through the CLI's own read commands (``caseloads``, ``cases``).
Exported PDFs are read with pypdf; "nothing was stored" is checked by counting the rows of the
supervision tables, the audit trail and the outbox in the database file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest

TODAY = dt.date(2026, 11, 26)
MARKING = "OFFICIAL-SENSITIVE"  # the default protective marking (DOMAIN.md)
TABLES = (
    "supervision_sessions",
    "supervision_cases",
    "supervision_actions",
    "supervision_addenda",
    "audit_events",
    "outbox_events",
)
RECORD_ID = re.compile(r"SUP-\d{6}")


# --- Running the command -------------------------------------------------------------------


Caseload = Callable[..., Any]  # the ``caseload`` fixture of conftest.py: a Run


@pytest.fixture
def caseload_json(caseload: Caseload) -> Callable[..., Any]:
    def run(*argv: object) -> Any:
        result = caseload(*argv, "--json")
        assert (result.status, result.err) == (0, "")
        return json.loads(result.out)

    return run


def counts(path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in TABLES
        }


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- The demo, as the read commands show it ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Demo:
    worker: dict[str, Any]  # a row of ``caseloads --json``
    cases: list[dict[str, Any]]  # the worker's open cases today (``cases --worker --json``)
    colleague: dict[str, Any]
    colleague_cases: list[dict[str, Any]]
    leaver: dict[str, Any]
    inactive: dict[str, Any]

    @property
    def refs(self) -> list[str]:
        return [c["case_ref"] for c in self.cases]


@pytest.fixture
def demo(caseload_json: Callable[..., Any]) -> Demo:
    workers = sorted(caseload_json("caseloads"), key=lambda w: w["staff_id"])
    in_post = [
        w
        for w in workers
        if w["status"] == "active" and w["role"] == "social_worker" and w["cases"] >= 5
    ]
    worker, colleague = in_post[:2]
    return Demo(
        worker=worker,
        cases=caseload_json("cases", "--worker", worker["staff_id"]),
        colleague=colleague,
        colleague_cases=caseload_json("cases", "--worker", colleague["staff_id"]),
        leaver=next(w for w in workers if w["status"] == "left"),
        inactive=next(w for w in workers if w["status"] == "inactive"),
    )


def record(demo: Demo) -> dict[str, Any]:
    """The issue's JSON shape: two of the worker's cases discussed, three actions."""
    first, second = demo.refs[:2]
    return {
        "held_on": TODAY.isoformat(),
        "attendees": [demo.worker["worker"], "Sam Reid"],
        "wellbeing": "Tired after a run of late visits; taking Friday off.",
        "next_supervision": "2026-12-17",
        "cases": [
            {
                "case_ref": first,
                "discussion": "Visits on track; school attendance up.",
                "decision": "Step down to early help",
                "actions": [
                    {
                        "action": "Arrange the step-down meeting",
                        "owner": demo.worker["worker"],
                        "due": "2026-12-04",
                    },
                    {
                        "action": "Send the closing letter",
                        "owner": demo.colleague["staff_id"],
                        "due": "2026-12-11",
                    },
                ],
            },
            {
                "case_ref": second,
                "discussion": "Assessment running late.",
                "decision": "Extend by a week",
                "actions": [{"action": "Chase the health visitor", "owner": demo.worker["worker"]}],
            },
        ],
    }


ACTIONS = ("Arrange the step-down meeting", "Send the closing letter", "Chase the health visitor")


def write(folder: Path, document: object, name: str = "record.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def created(caseload_json: Callable[..., Any], demo: Demo, tmp_path: Path) -> dict[str, Any]:
    """A record made by ``supervision create --json``."""
    source = write(tmp_path, record(demo))
    return caseload_json(
        "supervision", "create", "--worker", demo.worker["staff_id"], "--from", source
    )


# --- create --------------------------------------------------------------------------------


def test_create_prints_the_record_id_as_the_last_word(
    caseload: Caseload,
    caseload_json: Callable[..., Any],
    demo: Demo,
    demo_db_path: Path,
    tmp_path: Path,
) -> None:
    source = write(tmp_path, record(demo))
    before = counts(demo_db_path)

    run = caseload("supervision", "create", "--worker", demo.worker["worker"], "--from", source)

    assert (run.status, run.err) == (0, "")
    assert len(run.out.splitlines()) == 1
    last = run.out.split()[-1]
    assert RECORD_ID.fullmatch(last), run.out
    assert demo.worker["worker"] in run.out and "26 Nov 2026" in run.out
    after = counts(demo_db_path)
    assert after["supervision_sessions"] == before["supervision_sessions"] + 1
    assert after["supervision_cases"] == before["supervision_cases"] + 2
    assert after["supervision_actions"] == before["supervision_actions"] + 3
    assert after["outbox_events"] == before["outbox_events"] + 1
    listed = caseload_json("supervision", "list")
    assert [(r["id"], r["worker"], r["status"]) for r in listed] == [
        (last, demo.worker["worker"], "final")
    ]


def test_create_json_gives_the_id_session_worker_date_and_sha256(
    caseload_json: Callable[..., Any], created: dict[str, Any], demo: Demo
) -> None:
    assert set(created) == {"id", "session", "worker", "held_on", "sha256"}
    assert created["id"] == f"SUP-{created['session']:06d}"
    assert (created["worker"], created["held_on"]) == (demo.worker["worker"], TODAY.isoformat())
    assert re.fullmatch(r"[0-9a-f]{64}", created["sha256"])
    [listed] = caseload_json("supervision", "list", "--worker", demo.worker["staff_id"])
    assert listed == {
        "id": created["id"],
        "worker": demo.worker["worker"],
        "held_on": TODAY.isoformat(),
        "status": "final",
        "sha256": created["sha256"],
    }


# --- export --------------------------------------------------------------------------------


def test_export_writes_the_record_as_a_pdf(
    caseload: Caseload, created: dict[str, Any], demo: Demo, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    pdf = folder / "supervision.pdf"

    run = caseload("supervision", "export", created["id"], "--out", pdf)

    assert (run.status, run.err) == (0, "")
    assert run.out == f"Wrote {created['id']} ({demo.worker['worker']}, 26 Nov 2026) to {pdf}.\n"
    assert [p.name for p in folder.iterdir()] == ["supervision.pdf"]  # no temporary file left
    pages = pdf_pages(pdf)
    text = "\n".join(pages)
    assert demo.worker["worker"] in text and created["id"] in text
    assert demo.colleague["worker"] in text  # an action's owner
    for ref in demo.refs:  # the whole caseload, not only the two cases discussed
        assert ref in text
    for action in ACTIONS:
        assert action in text
    assert "Step down to early help" in text
    for number, page in enumerate(pages, start=1):
        assert page.count(MARKING) >= 2  # header and footer
        assert f"Page {number} of {len(pages)}" in page


def test_export_json_gives_the_sha256_of_the_file_which_is_the_stored_one(
    caseload_json: Callable[..., Any], created: dict[str, Any], tmp_path: Path
) -> None:
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"

    exported = caseload_json("supervision", "export", created["id"], "--out", first)
    again = caseload_json("supervision", "export", str(created["session"]), "--out", second)

    assert exported == {"id": created["id"], "pdf": str(first), "sha256": sha256(first)}
    assert exported["sha256"] == created["sha256"] == again["sha256"] == sha256(second)
    assert first.read_bytes() == second.read_bytes()
    lower = caseload_json("supervision", "export", created["id"].lower(), "--out", first)
    assert lower["sha256"] == created["sha256"]


def test_list_shows_the_records_as_a_table(
    caseload: Caseload, created: dict[str, Any], demo: Demo
) -> None:
    run = caseload("supervision", "list")

    assert (run.status, run.err) == (0, "")
    header, rule, *rows = run.out.splitlines()
    assert header.split() == ["Record", "Worker", "Held", "on", "Status"]
    assert set(rule) <= {"-", " "}
    assert len(rows) == 1
    assert rows[0].split()[0] == created["id"]
    assert demo.worker["worker"] in rows[0] and "26 Nov 2026" in rows[0]
    assert rows[0].split()[-1] == "final"

    theirs = caseload("supervision", "list", "--worker", demo.colleague["staff_id"])
    assert theirs.status == 0 and created["id"] not in theirs.out


# --- Refusals ------------------------------------------------------------------------------


def _with_action(demo: Demo, **changes: Any) -> dict[str, Any]:
    document = record(demo)
    actions = document["cases"][0]["actions"]
    actions[1] = actions[1] | changes
    return document


def _cases(*refs: str) -> Callable[[Demo], dict[str, Any]]:
    return lambda d: record(d) | {"cases": [{"case_ref": r} for r in refs]}


# name: (what the file holds, or bytes, or None for no file; the worker; what stderr says)
BAD_CREATE: dict[str, tuple[Callable[[Demo], object], Callable[[Demo], str], str]] = {
    "unknown worker": (record, lambda d: "Nobody Atall", "'Nobody Atall'"),
    "unknown case": (
        lambda d: record(d) | {"cases": [{"case_ref": d.refs[0]}, {"case_ref": "C-999999"}]},
        lambda d: d.worker["staff_id"],
        r"cases\[1\]\.case_ref: there is no case 'C-999999'",
    ),
    "case not held": (
        lambda d: record(d) | {"cases": [{"case_ref": d.colleague_cases[0]["case_ref"]}]},
        lambda d: d.worker["staff_id"],
        r"cases\[0\]\.case_ref: C-\d+ was not held by this worker on 26 Nov 2026",
    ),
    "case twice": (
        lambda d: record(d) | {"cases": [{"case_ref": d.refs[0]}, {"case_ref": d.refs[0]}]},
        lambda d: d.worker["staff_id"],
        r"cases\[1\]\.case_ref: C-\d+ is discussed twice",
    ),
    "malformed JSON": (
        lambda d: b'{"held_on": "2026-11-26",',
        lambda d: d.worker["staff_id"],
        r"record\.json is not JSON \(",
    ),
    "not UTF-8": (
        lambda d: b'{"held_on": "2026-11-26", "wellbeing": "\xff"}',
        lambda d: d.worker["staff_id"],
        r"record\.json is not JSON \(",
    ),
    "impossible date": (
        lambda d: record(d) | {"held_on": "2026-02-30"},
        lambda d: d.worker["staff_id"],
        r"held_on: '2026-02-30' is not a real date",
    ),
    "future date": (
        lambda d: record(d) | {"held_on": "2026-11-27"},
        lambda d: d.worker["staff_id"],
        r"held_on: 27 Nov 2026 is in the future",
    ),
    "next before held": (
        lambda d: record(d) | {"next_supervision": "2026-11-01"},
        lambda d: d.worker["staff_id"],
        r"next_supervision: 1 Nov 2026 is before the session",
    ),
    "owner who has left": (
        lambda d: _with_action(d, owner=d.leaver["worker"]),
        lambda d: d.worker["staff_id"],
        r"cases\[0\]\.actions\[1\]\.owner: .+ left on",
    ),
    "owner inactive": (
        lambda d: _with_action(d, owner=d.inactive["staff_id"]),
        lambda d: d.worker["staff_id"],
        r"cases\[0\]\.actions\[1\]\.owner: .+ is inactive",
    ),
    "impossible due date": (
        lambda d: _with_action(d, due="2026-12-32"),
        lambda d: d.worker["staff_id"],
        r"cases\[0\]\.actions\[1\]\.due: '2026-12-32' is not a real date",
    ),
    "due before held": (
        lambda d: _with_action(d, due="2026-11-20"),
        lambda d: d.worker["staff_id"],
        r"cases\[0\]\.actions\[1\]\.due: 20 Nov 2026 is before the session",
    ),
    "a list": (
        lambda d: [record(d)],
        lambda d: d.worker["staff_id"],
        r"The record must be a JSON object",
    ),
    "unknown field": (
        lambda d: record(d) | {"mood": "fine"},
        lambda d: d.worker["staff_id"],
        r"mood: not a field of a supervision record",
    ),
    "unknown case field": (
        lambda d: record(d) | {"cases": [{"case_ref": d.refs[0], "outcome": "x"}]},
        lambda d: d.worker["staff_id"],
        r"cases\[0\]\.outcome: not a field",
    ),
    "held_on missing": (
        lambda d: {k: v for k, v in record(d).items() if k != "held_on"},
        lambda d: d.worker["staff_id"],
        r"held_on: the date the session was held is required",
    ),
    "missing file": (
        lambda d: None,
        lambda d: d.worker["staff_id"],
        r"The record file .*record\.json does not exist",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CREATE))
def test_a_bad_create_exits_2_naming_the_field_and_stores_nothing(
    caseload: Caseload, demo: Demo, demo_db_path: Path, tmp_path: Path, case: str
) -> None:
    content, worker, message = BAD_CREATE[case]
    source = tmp_path / "record.json"
    document = content(demo)
    if isinstance(document, bytes):
        source.write_bytes(document)
    elif document is not None:
        write(tmp_path, document)
    before = counts(demo_db_path)

    run = caseload("supervision", "create", "--worker", worker(demo), "--from", source)

    assert (run.status, run.out) == (2, "")
    assert run.err.count("\n") == 1 and run.err.endswith("\n"), run.err
    assert run.err.startswith("caseload: error: ")
    assert re.search(message, run.err), run.err
    assert counts(demo_db_path) == before


@pytest.mark.parametrize(
    "case", ["case not held", "owner who has left", "a list", "impossible date"]
)
def test_a_refused_file_says_which_file_and_that_nothing_was_stored(
    caseload: Caseload, demo: Demo, tmp_path: Path, case: str
) -> None:
    content, worker, _ = BAD_CREATE[case]
    source = write(tmp_path, content(demo))

    run = caseload("supervision", "create", "--worker", worker(demo), "--from", source)

    assert run.status == 2
    assert run.err.startswith(f"caseload: error: {source}: ")
    assert run.err.rstrip().endswith("Nothing was stored.")


@pytest.mark.parametrize("session", ["SUP-x", "SUP-", "SUP-12a", "SUP-²", "SUP-1" + "0" * 20])
def test_export_of_something_that_is_not_a_record_id_exits_2(
    caseload: Caseload, created: dict[str, Any], tmp_path: Path, session: str
) -> None:
    pdf = tmp_path / "record.pdf"

    run = caseload("supervision", "export", session, "--out", pdf)

    assert (run.status, run.out) == (2, ""), run.err
    assert run.err.count("\n") == 1
    assert "not a supervision record ID" in run.err
    assert not pdf.exists()


def test_export_of_an_unknown_record_exits_2_and_keeps_the_file_there(
    caseload: Caseload, created: dict[str, Any], tmp_path: Path
) -> None:
    pdf = tmp_path / "old.pdf"
    pdf.write_bytes(b"the previous export")
    unknown = f"SUP-{created['session'] + 1:06d}"

    run = caseload("supervision", "export", unknown, "--out", pdf)

    assert (run.status, run.out) == (2, "")
    assert run.err == f"caseload: error: There is no supervision session {unknown}.\n"
    assert pdf.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir() if "old.pdf" in p.name) == ["old.pdf"]


def test_export_to_a_missing_folder_exits_2_and_writes_nothing(
    caseload: Caseload, created: dict[str, Any], tmp_path: Path
) -> None:
    pdf = tmp_path / "missing" / "record.pdf"

    run = caseload("supervision", "export", created["id"], "--out", pdf)

    assert (run.status, run.out) == (2, "")
    assert run.err == f"caseload: error: The folder {pdf.parent} does not exist.\n"
    assert not pdf.parent.exists()


def test_export_that_cannot_be_written_leaves_no_temporary_file(
    caseload: Caseload, created: dict[str, Any], tmp_path: Path
) -> None:
    """A folder as --out, and a name too long for the temporary file beside it: each exits 2
    and the folder holds what it held before."""
    folder = tmp_path / "out"
    (folder / "taken.pdf").mkdir(parents=True)
    (folder / "kept.pdf").write_bytes(b"kept")

    as_folder = caseload("supervision", "export", created["id"], "--out", folder / "taken.pdf")
    too_long = caseload("supervision", "export", created["id"], "--out", folder / ("r" * 250))

    assert (as_folder.status, as_folder.out) == (2, "")
    assert "is a folder" in as_folder.err
    assert (too_long.status, too_long.out) == (2, ""), too_long.err
    assert too_long.err.count("\n") == 1
    assert sorted(p.name for p in folder.iterdir()) == ["kept.pdf", "taken.pdf"]
    assert list((folder / "taken.pdf").iterdir()) == []


def test_list_of_an_unknown_worker_exits_2(caseload: Caseload) -> None:
    run = caseload("supervision", "list", "--worker", "Nobody Atall")
    assert (run.status, run.out) == (2, "")
    assert run.err == "caseload: error: No worker with the name or staff ID 'Nobody Atall'.\n"
