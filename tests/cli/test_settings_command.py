"""``caseload settings``: the council's rules change what the other commands report.

Each test runs ``cli.main(argv, out=...)`` in-process on a copy of the session's demo database
(1000 cases, seed 7, as at 26 Nov 2026, ``CASELOAD_TODAY``). Workers and cases are found
through the CLI's own read commands (``caseloads``, ``cases``) and, for last visit dates the
commands do not print, the database file. Every refusal is checked to leave the settings, the
audit trail and the outbox in the file exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from caseload_desktop import locations
from caseload_desktop.domain.settings import SETTINGS
from caseload_desktop.domain.timescales import add_working_days
from caseload_desktop.services.identity import current_user
from tests.conftest import raw_sqlite

TODAY = dt.date(2026, 11, 26)


# --- Running the command -------------------------------------------------------------------


Caseload = Callable[..., Any]  # the ``caseload`` fixture of conftest.py: a Run
CaseloadJson = Callable[..., Any]


@pytest.fixture
def caseload_json(caseload: Caseload, demo_db_path: Path) -> CaseloadJson:
    def run(*argv: object, db: Path = demo_db_path) -> Any:
        result = caseload(*argv, "--json", db=db)
        assert result.status == 0, result.err
        assert result.err == ""
        return json.loads(result.out)

    return run


@pytest.fixture
def fresh_db(caseload: Caseload, tmp_path: Path) -> Path:
    """Another council's new, empty database, made by ``caseload init``."""
    path = tmp_path / "other-council.db"
    result = caseload("init", db=path)
    assert result.status == 0, result.err
    return path


def file_state(path: Path) -> dict[str, Any]:
    """The settings rows, audit trail and outbox as the file holds them."""
    with raw_sqlite(path) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("settings", "audit_events", "outbox_events")
        }


def assert_refused(result: Any, *words: str) -> None:
    """Exit 2, one ``caseload: error:`` line on stderr naming the problem, no traceback."""
    assert result.status == 2, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("caseload: error: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in result.err
    assert "unexpected error" not in result.err
    assert not (locations.data_dir() / "logs" / "crash.log").exists()


def png_file(path: Path, colour: tuple[int, int, int] = (0, 94, 165)) -> Path:
    Image.new("RGB", (30, 20), colour).save(path, "PNG")
    return path


def by_worker(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["staff_id"]: row for row in rows}


def points(value: float) -> Decimal:
    """A weighted load as the JSON gives it (a float of a few decimals), exactly."""
    return Decimal(str(value))


# --- Show ------------------------------------------------------------------------------------


def test_show_lists_every_setting_at_its_default_on_the_demo(
    caseload: Caseload, caseload_json: CaseloadJson
) -> None:
    shown = caseload_json("settings", "show")
    assert [row["key"] for row in shown] == [s.key for s in SETTINGS]
    for row, item in zip(shown, SETTINGS, strict=True):
        assert row["value"] == row["default"] == item.to_json(item.default), item.key
        assert row["is_default"] is True
        assert row["label"] == item.label
        assert row["allowed"] == item.allowed()
    values = {row["key"]: row["value"] for row in shown}
    assert values["capacity.per_fte"] == "18"
    assert values["weights.cp"] == "1.5"
    assert values["visits.cp_working_days"] == 10
    assert values["records.protective_marking"] == "OFFICIAL-SENSITIVE"

    table = caseload("settings", "show")
    assert table.status == 0 and table.err == ""
    for item in SETTINGS:
        assert item.key in table.out
    assert " *" not in table.out.split("\n* differs")[0]  # nothing differs yet


# --- The rules in force change what the other commands report -----------------------------


def test_changing_the_cp_weight_changes_every_cp_holders_weighted_load(
    caseload_json: CaseloadJson,
) -> None:
    before = by_worker(caseload_json("caseloads"))
    holders = [w for w in before.values() if w["by_category"].get("cp", 0) > 0]
    assert len(holders) >= 5

    assert caseload_json("settings", "set", "weights.cp", "3") == {
        "changed": [{"key": "weights.cp", "old": "1.5", "new": "3"}]
    }
    after = by_worker(caseload_json("caseloads"))

    assert after.keys() == before.keys()
    for staff_id, old in before.items():
        new = after[staff_id]
        cp_cases = old["by_category"].get("cp", 0)
        assert new["cases"] == old["cases"]
        assert points(new["weighted"]) - points(old["weighted"]) == cp_cases * Decimal("1.5"), (
            staff_id
        )
    # The percentages and RAG follow the new loads: some CP holder got redder.
    assert any(after[w["staff_id"]]["percent"] > w["percent"] for w in holders)
    rank = {"green": 0, "amber": 1, "red": 2}
    assert any(rank[after[w["staff_id"]]["rag"]] > rank[w["rag"]] for w in holders)

    shown = {row["key"]: row for row in caseload_json("settings", "show")}
    assert shown["weights.cp"]["value"] == "3"
    assert shown["weights.cp"]["is_default"] is False


def test_changing_the_capacity_changes_the_capacity_of_roles_without_their_own(
    caseload_json: CaseloadJson,
) -> None:
    before = by_worker(caseload_json("caseloads"))
    caseload_json("settings", "set", "capacity.per_fte", "20")
    caseload_json("settings", "set", "capacity.asye", "12")
    after = by_worker(caseload_json("caseloads"))
    per_fte = {"social_worker": 20, "senior_practitioner": 20, "asye": 12, "student": 5}
    checked = 0
    for staff_id, worker in before.items():
        if worker["status"] != "active" or worker["role"] not in per_fte:
            continue
        expected = Decimal(per_fte[worker["role"]]) * points(worker["fte"])
        assert points(after[staff_id]["capacity"]) == expected, staff_id
        assert after[staff_id]["weighted"] == worker["weighted"]
        checked += 1
    assert checked >= 30


def cp_last_visits(path: Path) -> dict[str, dt.date]:
    """Open CP cases' last visit dates: the file holds them, ``cases --json`` does not."""
    with raw_sqlite(path) as connection:
        rows = connection.execute(
            "SELECT case_ref, last_visit_on FROM cases "
            "WHERE closed_on IS NULL AND category = 'cp' AND last_visit_on IS NOT NULL"
        ).fetchall()
    return {ref: dt.date.fromisoformat(day) for ref, day in rows}


def test_changing_the_cp_visit_timescale_changes_which_visits_are_overdue(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    last_visits = cp_last_visits(demo_db_path)
    before = {c["case_ref"]: c for c in caseload_json("cases")}
    cp = [ref for ref, c in before.items() if c["category"] == "cp"]
    assert set(cp) == set(last_visits)
    for ref in cp:
        assert before[ref]["next_visit_due"] == add_working_days(last_visits[ref], 10).isoformat()

    caseload_json("settings", "set", "visits.cp_working_days", "20")
    after = {c["case_ref"]: c for c in caseload_json("cases")}

    for ref in cp:
        assert after[ref]["next_visit_due"] == add_working_days(last_visits[ref], 20).isoformat()
    overdue_before = {ref for ref in cp if before[ref]["next_visit_due"] < TODAY.isoformat()}
    overdue_after = {ref for ref in cp if after[ref]["next_visit_due"] < TODAY.isoformat()}
    no_longer_overdue = overdue_before - overdue_after
    assert overdue_after < overdue_before
    assert len(no_longer_overdue) >= 5
    # Other categories' visits do not move.
    for ref, case in before.items():
        if case["category"] != "cp":
            assert after[ref]["next_visit_due"] == case["next_visit_due"], ref

    # A shorter timescale makes more visits overdue than the default.
    caseload_json("settings", "set", "visits.cp_working_days", "5")
    shorter = {c["case_ref"]: c for c in caseload_json("cases")}
    overdue_shorter = {ref for ref in cp if shorter[ref]["next_visit_due"] < TODAY.isoformat()}
    assert overdue_shorter > overdue_before


def test_each_change_is_in_the_audit_trail(caseload: Caseload, caseload_json: CaseloadJson) -> None:
    before = caseload_json("audit")
    assert caseload("settings", "set", "weights.cp", "2").out == "weights.cp: 1.5 -> 2\n"
    assert caseload("settings", "set", "visits.cp_working_days", "15").status == 0
    council = caseload("settings", "set", "records.council_name", "Exampleshire County Council")
    assert council.status == 0, council.err
    assert caseload("settings", "set", "limits.student", "cp, cla").status == 0

    after = caseload_json("audit")
    assert after[: len(before)] == before
    new = after[len(before) :]
    assert [(e["what"], e["who"], e["case_ref"]) for e in new] == [
        ("setting.changed", current_user(), None)
    ] * 4
    assert [e["reason"] for e in new] == [
        "Child protection weight: 1.5 -> 2",
        "Child protection visits every: 10 -> 15",
        "Council:  -> Exampleshire County Council",
        "Student may not hold: cp -> cla, cp",
    ]


def test_setting_the_value_already_in_force_changes_nothing(
    caseload: Caseload, caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    before = file_state(demo_db_path)
    result = caseload("settings", "set", "weights.cp", "1.50")
    assert result.status == 0, result.err
    assert result.out == "Nothing changed: the settings already had those values.\n"
    assert caseload_json("settings", "set", "limits.student", "CP") == {"changed": []}
    assert file_state(demo_db_path) == before


# --- Export and import -----------------------------------------------------------------------


def test_export_then_import_into_another_database_round_trips_every_setting(
    caseload: Caseload, caseload_json: CaseloadJson, fresh_db: Path, tmp_path: Path
) -> None:
    logo = png_file(tmp_path / "crest.png")
    for key, value in (
        ("weights.cp", "2.25"),
        ("weights.court", "0"),
        ("capacity.asye", "12.5"),
        ("rag.amber_from_percent", "80"),
        ("limits.family_support_worker", "cp"),
        ("visits.cp_working_days", "15"),
        ("visits.cla_weeks", "4"),
        ("escalation.days", "21"),
        ("records.council_name", "Exampleshire County Council"),
        ("records.protective_marking", "OFFICIAL"),
        ("records.logo", logo),
    ):
        result = caseload("settings", "set", key, value)
        assert result.status == 0, (key, result.err)
    shown = caseload_json("settings", "show")
    assert sum(not row["is_default"] for row in shown) == 11

    export_file = tmp_path / "exports" / "exampleshire.json"
    export_file.parent.mkdir()
    result = caseload("settings", "export", export_file)
    assert result.status == 0, result.err
    assert result.out == f"Wrote {len(SETTINGS)} settings to {export_file}.\n"
    document = json.loads(export_file.read_text(encoding="utf-8"))
    assert document["format"] == "caseload-desktop-settings"
    assert document["settings"]["weights.cp"] == "2.25"
    assert not export_file.with_name("exampleshire.json.partial").exists()
    to_stdout = caseload("settings", "export", "-")
    assert json.loads(to_stdout.out) == document

    assert caseload_json("settings", "show", db=fresh_db) != shown
    imported = caseload_json("settings", "import", export_file, db=fresh_db)
    assert len(imported["changed"]) == 11
    assert caseload_json("settings", "show", db=fresh_db) == shown
    fresh_audit = caseload_json("audit", db=fresh_db)
    assert len(fresh_audit) == 11
    assert {e["what"] for e in fresh_audit} == {"setting.changed"}

    again = caseload("settings", "import", export_file, db=fresh_db)
    assert again.status == 0, again.err
    assert again.out == "Nothing changed: the settings already had those values.\n"


def test_a_logo_file_is_set_then_cleared_with_none(
    caseload: Caseload, caseload_json: CaseloadJson, tmp_path: Path
) -> None:
    logo = png_file(tmp_path / "council logo.png")
    result = caseload("settings", "set", "records.logo", logo)
    assert result.status == 0, result.err
    assert result.out.startswith("records.logo: none -> PNG image, ")
    data = logo.read_bytes()
    shown = {row["key"]: row for row in caseload_json("settings", "show")}
    assert shown["records.logo"]["value"] == {
        "format": "png",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert shown["records.logo"]["is_default"] is False

    svg = tmp_path / "logo.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    assert caseload("settings", "set", "records.logo", svg).status == 0
    shown = {row["key"]: row for row in caseload_json("settings", "show")}
    assert shown["records.logo"]["value"]["format"] == "svg"

    cleared = caseload_json("settings", "set", "records.logo", "none")
    assert [(c["key"], c["new"]) for c in cleared["changed"]] == [("records.logo", "none")]
    shown = {row["key"]: row for row in caseload_json("settings", "show")}
    assert shown["records.logo"]["value"] is None
    assert shown["records.logo"]["is_default"] is True
    assert [e["reason"] for e in caseload_json("audit")][-3:] == [
        f"Logo: none -> PNG image, {len(data) / 1024:.0f} KB",
        "Logo: PNG image, 0 KB -> SVG image, 0 KB",
        "Logo: SVG image, 0 KB -> none",
    ]


# --- Refusals --------------------------------------------------------------------------------


@pytest.fixture
def bad_files(tmp_path: Path) -> Path:
    """A folder of files a manager might give by mistake."""
    folder = tmp_path / "given"
    folder.mkdir()
    (folder / "notes.txt").write_text("Logo to follow\n", encoding="utf-8")
    (folder / "folder").mkdir()
    (folder / "folder.png").mkdir()
    png = png_file(folder / "whole.png")
    (folder / "truncated.png").write_bytes(png.read_bytes()[:40])
    pixels = (bytes(range(256)) * (700 * 700 * 3 // 256 + 1))[: 700 * 700 * 3]
    big = Image.frombytes("RGB", (700, 700), pixels)
    big.save(folder / "huge.png", "PNG", compress_level=0)
    (folder / "entity.svg").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    )
    (folder / "not-json.json").write_text("weights.cp = 2\n", encoding="utf-8")
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (folder / "empty.json").write_text("", encoding="utf-8")

    def document(**changes: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "format": "caseload-desktop-settings",
            "version": 1,
            "settings": {"weights.cp": "2"},
        }
        return {**base, **changes}

    for name, content in {
        "a-list.json": [{"weights.cp": "2"}],
        "bare-values.json": {"weights.cp": "2"},
        "other-format.json": document(format="vorta-profile"),
        "newer.json": document(version=2),
        "no-settings.json": document(settings=None),
        "unknown-key.json": document(settings={"weights.cp": "2", "weights.dragons": "1"}),
        "bad-value.json": document(settings={"weights.cp": "2", "visits.cla_weeks": 9}),
        "amber-above-red.json": document(settings={"rag.amber_from_percent": "150"}),
    }.items():
        (folder / name).write_text(json.dumps(content), encoding="utf-8")
    return folder


SET_REFUSALS: dict[str, tuple[list[str], list[str]]] = {
    # name: (the arguments after 'settings set', words the error line must hold)
    "unknown key": (["weights.dragons", "2"], ["weights.dragons", "weights.cp"]),
    "a key in capitals": (["WEIGHTS.CP", "2"], ["WEIGHTS.CP"]),
    "words for a number": (["weights.cp", "lots"], ["weights.cp", "a number more than 0"]),
    "a number out of range": (["weights.cp", "101"], ["weights.cp", "up to 100"]),
    "zero weight": (["weights.cla", "0"], ["weights.cla", "more than 0"]),
    "a negative capacity": (["capacity.asye", "-1"], ["capacity.asye", "from 0"]),
    "not a number": (["capacity.per_fte", "nan"], ["capacity.per_fte"]),
    "infinity": (["rag.red_above_percent", "inf"], ["rag.red_above_percent"]),
    "a fraction of days": (["visits.cp_working_days", "7.5"], ["visits.cp_working_days"]),
    "a boolean for days": (["escalation.days", "true"], ["escalation.days", "whole number"]),
    "too many days": (["visits.cp_working_days", "61"], ["visits.cp_working_days", "1 to 60"]),
    "CLA visits beyond the regulations": (["visits.cla_weeks", "7"], ["visits.cla_weeks"]),
    "an unknown category": (["limits.student", "cp, lac"], ["limits.student", "care_leaver"]),
    "two lines of text": (["records.council_name", "Example\nCouncil"], ["records.council_name"]),
    "an empty marking": (["records.protective_marking", " "], ["records.protective_marking"]),
    "amber above red": (["rag.amber_from_percent", "120"], ["rag.amber_from_percent"]),
    "red below amber": (["rag.red_above_percent", "50"], ["rag.red_above_percent"]),
    "a text file as logo": (["records.logo", "{files}/notes.txt"], ["records.logo"]),
    "a truncated png": (["records.logo", "{files}/truncated.png"], ["records.logo", "damaged"]),
    "a logo over 1 MB": (["records.logo", "{files}/huge.png"], ["records.logo", "1 MB"]),
    "an svg with entities": (["records.logo", "{files}/entity.svg"], ["records.logo"]),
    "a missing logo file": (["records.logo", "{files}/nowhere.png"], ["records.logo", "nowhere"]),
    "a folder as logo": (["records.logo", "{files}/folder.png"], ["records.logo", "folder"]),
}

IMPORT_REFUSALS: dict[str, tuple[str, list[str]]] = {
    # name: (the file given to 'settings import', words beside its name on the error line)
    "a missing file": ("missing.json", ["does not exist"]),
    "a folder": ("folder", ["folder"]),
    "not JSON": ("not-json.json", ["not a JSON settings file"]),
    "not text": ("binary.json", ["not a JSON settings file"]),
    "an empty file": ("empty.json", ["not a JSON settings file"]),
    "a JSON list": ("a-list.json", []),
    "bare values": ("bare-values.json", []),
    "another format": ("other-format.json", []),
    "a newer version": ("newer.json", ["version 2"]),
    "no settings object": ("no-settings.json", ['"settings"']),
    "an unknown key": ("unknown-key.json", ["weights.dragons"]),
    "a value out of range": ("bad-value.json", ["visits.cla_weeks"]),
    "amber above red": ("amber-above-red.json", ["rag.amber_from_percent"]),
}


@pytest.mark.parametrize(("argv", "words"), SET_REFUSALS.values(), ids=list(SET_REFUSALS))
def test_a_bad_setting_is_refused_in_one_line_and_changes_nothing(
    caseload: Caseload, demo_db_path: Path, bad_files: Path, argv: list[str], words: list[str]
) -> None:
    assert caseload("settings", "set", "weights.cp", "2").status == 0  # something stored
    before = file_state(demo_db_path)
    result = caseload("settings", "set", *(a.format(files=bad_files) for a in argv))
    assert_refused(result, *words)
    assert file_state(demo_db_path) == before


@pytest.mark.parametrize(("name", "words"), IMPORT_REFUSALS.values(), ids=list(IMPORT_REFUSALS))
def test_a_bad_settings_file_is_refused_naming_it_and_changes_nothing(
    caseload: Caseload, demo_db_path: Path, bad_files: Path, name: str, words: list[str]
) -> None:
    assert caseload("settings", "set", "weights.cla", "1.25").status == 0
    before = file_state(demo_db_path)
    result = caseload("settings", "import", bad_files / name)
    assert_refused(result, name, *words)
    assert file_state(demo_db_path) == before
    assert caseload("settings", "import", bad_files / name, "--json").status == 2


def test_an_export_that_cannot_be_written_is_refused_and_leaves_no_partial_file(
    caseload: Caseload, tmp_path: Path
) -> None:
    assert_refused(caseload("settings", "export", tmp_path), str(tmp_path), "folder")
    missing = tmp_path / "no such folder" / "settings.json"
    assert_refused(caseload("settings", "export", missing), str(missing))
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".partial")] == []


def test_a_settings_command_without_its_arguments_is_a_usage_error(caseload: Caseload) -> None:
    for argv in (["settings"], ["settings", "set", "weights.cp"], ["settings", "import"]):
        result = caseload(*argv)
        assert_refused(result, "--help")


# --- A damaged settings row ------------------------------------------------------------------


def insert_raw(path: Path, key: str, value_sql: str) -> None:
    with raw_sqlite(path) as connection:
        connection.execute(
            "INSERT INTO settings (key, value, updated_at, updated_by, version) "
            "VALUES (?, ?, '2026-11-20 09:00:00.000000', 'someone', 1)",
            (key, value_sql),
        )


@pytest.mark.parametrize(
    "stored", ['"a lot"', "0", "{not json"], ids=["wrong type", "out of range", "not JSON"]
)
def test_a_damaged_settings_row_does_not_stop_the_commands_that_read_the_rules(
    caseload_json: CaseloadJson, demo_db_path: Path, stored: str
) -> None:
    before = caseload_json("caseloads")
    insert_raw(demo_db_path, "weights.cp", stored)
    assert caseload_json("caseloads") == before  # the default weight applies
    shown = {row["key"]: row for row in caseload_json("settings", "show")}
    assert shown["weights.cp"]["value"] == "1.5"
    assert caseload_json("settings", "set", "weights.cp", "2")["changed"] == [
        {"key": "weights.cp", "old": "1.5", "new": "2"}
    ]
