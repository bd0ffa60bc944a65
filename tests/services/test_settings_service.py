"""Reading and changing the council's settings (``services.settings``) on real database files.

Each test gets a new, empty team database made by the app's own ``create_database`` (settings
need no cases). Everything a change writes is read back from the file with ``sqlite3``: the
settings rows, the audit trail and the outbox, so "changes nothing" means the file is as it was.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from caseload_desktop.domain import settings as catalogue
from caseload_desktop.domain.categories import Category, Role
from caseload_desktop.domain.settings import BadSetting, Logo, ServiceSettings
from caseload_desktop.errors import StaleData
from caseload_desktop.services import settings as service
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.store.engine import Database, create_database
from caseload_desktop.store.models import AuditEvent, OutboxEvent
from tests.conftest import raw_sqlite

ACTOR = "tm.tester"
OTHER = "tm.elsewhere"


# --- Databases -------------------------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "team.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = create_database(db_path)
    yield database
    database.close()


@pytest.fixture
def other_db(tmp_path: Path) -> Iterator[Database]:
    """A second, fresh team database (another council, or a new install)."""
    database = create_database(tmp_path / "other.db")
    yield database
    database.close()


def file_state(path: Path) -> dict[str, Any]:
    """Everything a settings change may write, as the file holds it."""
    with raw_sqlite(path) as connection:
        return {
            "settings": connection.execute(
                "SELECT key, value, version, updated_by, updated_at FROM settings ORDER BY key"
            ).fetchall(),
            "audit_events": connection.execute(
                "SELECT id, action, actor, detail FROM audit_events ORDER BY id"
            ).fetchall(),
            "outbox_events": connection.execute(
                "SELECT id, uuid, kind, payload FROM outbox_events ORDER BY id"
            ).fetchall(),
        }


def stored_rows(path: Path) -> dict[str, tuple[Any, int, str]]:
    """The settings table: key -> (JSON value, version, updated_by).

    The column has SQLite's NUMERIC affinity, so a JSON number comes back as a number."""
    with raw_sqlite(path) as connection:
        rows = connection.execute("SELECT key, value, version, updated_by FROM settings").fetchall()
    return {
        key: (json.loads(value) if isinstance(value, str) else value, version, by)
        for key, value, version, by in rows
    }


def audit(db: Database) -> list[AuditEvent]:
    with db.read() as session:
        events = list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
        session.expunge_all()
    return events


def outbox(db: Database) -> list[OutboxEvent]:
    with db.read() as session:
        events = list(session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id)))
        session.expunge_all()
    return events


def insert_raw(path: Path, key: str, value_sql: str) -> None:
    """Write a settings row by hand, as a damaged file or a newer app version might hold it."""
    with raw_sqlite(path) as connection:
        connection.execute(
            "INSERT INTO settings (key, value, updated_at, updated_by, version) "
            "VALUES (?, ?, '2026-11-20 09:00:00.000000', 'someone', 3)",
            (key, value_sql),
        )


class Announcements:
    def __init__(self) -> None:
        self.announcer = ChangeAnnouncer()
        self.heard: list[Change] = []
        self.announcer.subscribe(self.heard.append)


def png_bytes(colour: tuple[int, int, int] = (0, 94, 165)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 12), colour).save(buffer, "PNG")
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4"/></svg>'


# --- Loading ---------------------------------------------------------------------------------


def test_a_new_database_has_every_default_and_nothing_stored(db: Database, db_path: Path) -> None:
    stored = service.load(db)
    assert stored.settings == ServiceSettings()
    assert dict(stored.settings.values) == catalogue.defaults()
    assert stored_rows(db_path) == {}
    assert all(stored.versions.get(s.key, 0) == 0 for s in catalogue.SETTINGS)


# --- Changing --------------------------------------------------------------------------------


def test_a_change_writes_the_values_an_audit_event_per_key_and_one_outbox_event(
    db: Database, db_path: Path
) -> None:
    heard = Announcements()
    changed = service.change(
        db,
        {
            "weights.cp": Decimal("2"),
            "visits.cp_working_days": 15,
            "records.council_name": "Exampleshire County Council",
            "limits.asye": frozenset({Category.CP}),
        },
        actor=ACTOR,
        announcer=heard.announcer,
    )

    assert changed == [
        service.Changed("weights.cp", "1.5", "2"),
        service.Changed("visits.cp_working_days", "10", "15"),
        service.Changed("records.council_name", "", "Exampleshire County Council"),
        service.Changed("limits.asye", "none", "cp"),
    ]
    assert stored_rows(db_path) == {
        "weights.cp": ("2", 1, ACTOR),
        "visits.cp_working_days": (15, 1, ACTOR),
        "records.council_name": ("Exampleshire County Council", 1, ACTOR),
        "limits.asye": (["cp"], 1, ACTOR),
    }
    rules = service.load_settings(db).rules
    assert rules.weight_of(Category.CP) == 2
    assert rules.cp_visit_working_days == 15
    assert not rules.may_hold(Role.ASYE, Category.CP)
    assert service.load_settings(db).records.council_name == "Exampleshire County Council"

    events = audit(db)
    assert [e.action for e in events] == [service.AUDIT_ACTION] * 4 == ["setting.changed"] * 4
    assert {e.actor for e in events} == {ACTOR}
    assert all(e.case_id is None and e.from_worker_id is None for e in events)
    assert [e.detail for e in events] == [
        {"key": "weights.cp", "old": "1.5", "new": "2"},
        {"key": "visits.cp_working_days", "old": 10, "new": 15},
        {"key": "records.council_name", "old": "", "new": "Exampleshire County Council"},
        {"key": "limits.asye", "old": [], "new": ["cp"]},
    ]
    assert events[0].reason == "Child protection weight: 1.5 -> 2"

    (event,) = outbox(db)
    assert event.kind == service.OUTBOX_KIND == "settings.changed"
    assert event.schema_version == service.OUTBOX_SCHEMA_VERSION
    assert event.sent_at is None and event.attempts == 0
    assert event.payload == {
        "settings": {
            "weights.cp": "2",
            "visits.cp_working_days": 15,
            "records.council_name": "Exampleshire County Council",
            "limits.asye": ["cp"],
        },
        "actor": ACTOR,
    }
    assert heard.heard == [Change.of("settings")]


def test_a_second_change_bumps_the_version_and_audits_the_old_and_new_values(
    db: Database, db_path: Path
) -> None:
    service.set_text(db, "weights.cp", "2", actor=ACTOR)
    first = service.load(db).versions["weights.cp"]
    changed = service.set_text(db, "weights.cp", " 2.75 ", actor=OTHER)
    assert changed == [service.Changed("weights.cp", "2", "2.75")]
    assert stored_rows(db_path)["weights.cp"] == ("2.75", first + 1, OTHER)
    assert service.load(db).versions["weights.cp"] == first + 1
    assert [e.detail for e in audit(db)][-1] == {"key": "weights.cp", "old": "2", "new": "2.75"}
    assert audit(db)[-1].actor == OTHER
    assert [e.payload for e in outbox(db)] == [
        {"settings": {"weights.cp": "2"}, "actor": ACTOR},
        {"settings": {"weights.cp": "2.75"}, "actor": OTHER},
    ]


def test_only_the_keys_whose_value_changes_are_written(db: Database) -> None:
    service.set_text(db, "weights.cp", "2", actor=ACTOR)
    changed = service.change(
        db,
        {"weights.cp": Decimal("2.00"), "weights.cin": Decimal("1.0"), "escalation.days": 21},
        actor=ACTOR,
    )
    assert changed == [service.Changed("escalation.days", "14", "21")]
    assert [e.detail["key"] for e in audit(db) if e.detail] == ["weights.cp", "escalation.days"]
    assert outbox(db)[-1].payload == {"settings": {"escalation.days": 21}, "actor": ACTOR}


@pytest.mark.parametrize(
    "values",
    [
        {"weights.cp": Decimal("1.5")},
        {"weights.cp": Decimal("1.50"), "visits.cp_working_days": 10},
        {"records.protective_marking": "OFFICIAL-SENSITIVE", "records.logo": None},
        {"limits.student": frozenset({Category.CP})},
        {},
    ],
)
def test_setting_the_values_in_force_writes_nothing_and_announces_nothing(
    db: Database, db_path: Path, values: dict[str, Any]
) -> None:
    service.set_text(db, "weights.cla", "1.25", actor=ACTOR)  # something already stored
    before = file_state(db_path)
    heard = Announcements()
    assert service.change(db, values, actor=ACTOR, announcer=heard.announcer) == []
    assert service.set_text(db, "weights.cla", "1.250", actor=ACTOR) == []
    assert file_state(db_path) == before
    assert heard.heard == []


@pytest.mark.parametrize(
    "values",
    [
        {"weights.cp": Decimal("2"), "visits.cp_working_days": 0},
        {"weights.cp": Decimal("2"), "visits.cp_working_days": True},
        {"weights.cp": Decimal("2"), "weights.cin": 1.5},
        {"weights.cp": Decimal("2"), "weights.cin": Decimal("NaN")},
        {"weights.cp": Decimal("2"), "weights.bogus": Decimal("1")},
        {"weights.cp": Decimal("2"), "records.protective_marking": ""},
        {"weights.cp": Decimal("2"), "records.council_name": "two\nlines"},
        {"weights.cp": Decimal("2"), "limits.asye": {"cp"}},
        {"weights.cp": Decimal("2"), "records.logo": Logo("png", b"not a png")},
        # Each value is fine alone; together amber would be above red.
        {"rag.amber_from_percent": Decimal("95"), "rag.red_above_percent": Decimal("90")},
        # Fine against the defaults, not against what is stored (red 90, below).
        {"weights.cp": Decimal("2"), "rag.amber_from_percent": Decimal("92")},
    ],
)
def test_a_batch_with_one_bad_value_changes_nothing_at_all(
    db: Database, db_path: Path, values: dict[str, Any]
) -> None:
    service.change(
        db,
        {"rag.amber_from_percent": Decimal("80"), "rag.red_above_percent": Decimal("90")},
        actor=ACTOR,
    )
    before = file_state(db_path)
    settings_before = service.load_settings(db)
    heard = Announcements()
    with pytest.raises(BadSetting):
        service.change(db, values, actor=ACTOR, announcer=heard.announcer)
    assert file_state(db_path) == before
    assert service.load_settings(db) == settings_before
    assert heard.heard == []


def test_a_bad_text_value_names_the_key_and_changes_nothing(db: Database, db_path: Path) -> None:
    before = file_state(db_path)
    for key, text in (
        ("weights.cp", "lots"),
        ("weights.cp", "inf"),
        ("visits.cin_working_days", "121"),
        ("limits.student", "cp, cla, lac"),
        ("records.logo", "logo.png"),
        ("capacity.nobody", "3"),
    ):
        with pytest.raises(BadSetting, match=key.replace(".", r"\.")):
            service.set_text(db, key, text, actor=ACTOR)
    assert file_state(db_path) == before


# --- Somebody else changed it ----------------------------------------------------------------


def test_a_stale_expected_version_is_refused_and_nothing_is_written(
    db: Database, db_path: Path
) -> None:
    service.set_text(db, "weights.cp", "2", actor=ACTOR)
    read = service.load(db)  # the dialog opens: weights.cp at version 1
    service.set_text(db, "weights.cp", "3", actor=OTHER)  # another desktop saves first
    before = file_state(db_path)
    heard = Announcements()
    with pytest.raises(StaleData, match=r"weights\.cp"):
        service.change(
            db,
            {"weights.cp": Decimal("2.5"), "weights.cin": Decimal("2")},
            actor=ACTOR,
            expected_versions=read.versions,
            announcer=heard.announcer,
        )
    assert file_state(db_path) == before
    assert service.load_settings(db).rules.weight_of(Category.CP) == 3
    assert heard.heard == []

    # Read again: the change goes through.
    fresh = service.load(db)
    changed = service.change(
        db, {"weights.cp": Decimal("2.5")}, actor=ACTOR, expected_versions=fresh.versions
    )
    assert changed == [service.Changed("weights.cp", "3", "2.5")]


def test_a_key_never_stored_when_read_and_stored_meanwhile_is_stale(
    db: Database, db_path: Path
) -> None:
    """The dialog read the defaults (nothing stored); another desktop stored escalation.days
    before this one saved: saving with the versions read must not overwrite it unseen."""
    read = service.load(db)
    service.set_text(db, "escalation.days", "28", actor=OTHER)
    before = file_state(db_path)
    with pytest.raises(StaleData, match=r"escalation\.days"):
        service.change(db, {"escalation.days": 21}, actor=ACTOR, expected_versions=read.versions)
    with pytest.raises(StaleData, match=r"escalation\.days"):
        service.change(
            db, {"escalation.days": 21}, actor=ACTOR, expected_versions={"escalation.days": 0}
        )
    assert file_state(db_path) == before


def test_expected_versions_of_keys_not_being_changed_do_not_block(db: Database) -> None:
    read = service.load(db)
    service.set_text(db, "weights.cin", "2", actor=OTHER)
    changed = service.change(
        db, {"weights.cp": Decimal("2")}, actor=ACTOR, expected_versions=read.versions
    )
    assert [c.key for c in changed] == ["weights.cp"]


# --- Logo, defaults --------------------------------------------------------------------------


def test_a_logo_is_stored_whole_audited_by_fingerprint_and_cleared_with_none(
    db: Database, db_path: Path
) -> None:
    png = png_bytes()
    changed = service.set_logo(db, png, actor=ACTOR)
    assert [(c.key, c.old) for c in changed] == [("records.logo", "none")]
    assert changed[0].new.startswith("PNG image")
    assert service.load_settings(db).records.logo == Logo("png", png)
    encoded = base64.b64encode(png).decode("ascii")
    assert stored_rows(db_path)["records.logo"][0] == {"format": "png", "data": encoded}
    detail = audit(db)[-1].detail
    assert detail == {
        "key": "records.logo",
        "old": None,
        "new": {
            "format": "png",
            "base64_chars": len(encoded),
            "sha256": hashlib.sha256(encoded.encode("ascii")).hexdigest(),
        },
    }
    assert outbox(db)[-1].payload["settings"] == {
        "records.logo": {"format": "png", "data": encoded}
    }

    assert service.set_logo(db, png, actor=ACTOR) == []  # the same image again: nothing
    service.set_logo(db, SVG, actor=ACTOR)
    assert service.load_settings(db).records.logo == Logo("svg", SVG)

    cleared = service.set_logo(db, None, actor=ACTOR)
    assert [(c.key, c.new) for c in cleared] == [("records.logo", "none")]
    assert service.load_settings(db).records.logo is None
    assert stored_rows(db_path)["records.logo"][0] is None
    detail = audit(db)[-1].detail
    assert detail is not None and detail["new"] is None


@pytest.mark.parametrize(
    "data", [b"GIF89a\x01\x00", png_bytes()[:40], b"<svg><!ENTITY x 'y'></svg>"]
)
def test_a_logo_that_is_not_an_image_changes_nothing(
    db: Database, db_path: Path, data: bytes
) -> None:
    service.set_logo(db, SVG, actor=ACTOR)
    before = file_state(db_path)
    with pytest.raises(BadSetting, match=r"records\.logo"):
        service.set_logo(db, data, actor=ACTOR)
    assert file_state(db_path) == before


def test_restoring_defaults_writes_the_defaults_and_audits_them(
    db: Database, db_path: Path
) -> None:
    service.change(
        db,
        {
            "weights.cp": Decimal("3"),
            "visits.cp_working_days": 20,
            "records.protective_marking": "OFFICIAL",
            "limits.student": frozenset(),
        },
        actor=ACTOR,
    )
    service.set_logo(db, png_bytes(), actor=ACTOR)
    keys = ["weights.cp", "visits.cp_working_days", "records.protective_marking", "records.logo"]
    heard = Announcements()
    changed = service.restore_defaults(
        db, [*keys, "escalation.days"], actor=OTHER, announcer=heard.announcer
    )
    assert [c.key for c in changed] == keys  # escalation.days was already its default
    values = service.load_settings(db).values
    for key in keys:
        assert values[key] == catalogue.setting(key).default, key
    assert values["limits.student"] == frozenset()  # not asked for: left as set
    assert [e.detail["new"] for e in audit(db)[-4:] if e.detail] == [
        "1.5",
        10,
        "OFFICIAL-SENSITIVE",
        None,
    ]
    assert {e.actor for e in audit(db)[-4:]} == {OTHER}
    assert heard.heard == [Change.of("settings")]
    assert service.restore_defaults(db, keys, actor=OTHER) == []
    with pytest.raises(BadSetting, match="nope"):
        service.restore_defaults(db, ["nope"], actor=OTHER)


# --- Export and import -----------------------------------------------------------------------

CHANGED_VALUES: dict[str, Any] = {
    "weights.cp": Decimal("2.25"),
    "weights.court": Decimal("0"),
    "capacity.asye": Decimal("12.5"),
    "rag.amber_from_percent": Decimal("75"),
    "rag.red_above_percent": Decimal("110"),
    "limits.family_support_worker": frozenset({Category.CP}),
    "limits.social_worker": frozenset({Category.CARE_LEAVER, Category.REFERRAL}),
    "visits.cp_working_days": 15,
    "visits.cla_weeks": 4,
    "escalation.days": 21,
    "records.council_name": "Exampleshire County Council",
    "records.protective_marking": "OFFICIAL",
}


def test_export_then_import_into_a_fresh_database_round_trips_every_value(
    db: Database, other_db: Database, tmp_path: Path
) -> None:
    service.change(db, CHANGED_VALUES, actor=ACTOR)
    png = png_bytes((200, 16, 46))
    service.set_logo(db, png, actor=ACTOR)

    document = service.export_json(db)
    assert document["format"] == "caseload-desktop-settings"
    assert document["version"] == service.EXPORT_VERSION == 1
    assert list(document["settings"]) == [s.key for s in catalogue.SETTINGS]  # defaults too
    file = tmp_path / "exampleshire-settings.json"
    file.write_text(json.dumps(document, indent=2), encoding="utf-8")

    heard = Announcements()
    changed = service.import_json(
        other_db,
        json.loads(file.read_text(encoding="utf-8")),
        actor=OTHER,
        announcer=heard.announcer,
    )
    assert sorted(c.key for c in changed) == sorted([*CHANGED_VALUES, "records.logo"])
    assert service.load_settings(other_db) == service.load_settings(db)
    assert service.load_settings(other_db).records.logo == Logo("png", png)
    assert service.export_json(other_db) == document
    for key, value in CHANGED_VALUES.items():
        assert service.load_settings(other_db).values[key] == value, key
    events = audit(other_db)
    assert len(events) == len(CHANGED_VALUES) + 1
    assert all(e.detail is not None and e.detail["source"] == "import" for e in events)
    assert len(outbox(other_db)) == 1
    assert heard.heard == [Change.of("settings")]

    # Importing it again changes nothing.
    assert service.import_json(other_db, document, actor=OTHER) == []
    assert len(audit(other_db)) == len(CHANGED_VALUES) + 1


def test_an_import_changes_only_the_keys_the_file_holds(db: Database) -> None:
    service.change(db, {"weights.cp": Decimal("3"), "escalation.days": 28}, actor=ACTOR)
    document = {
        "format": "caseload-desktop-settings",
        "version": 1,
        "settings": {"escalation.days": 7, "visits.cin_working_days": "25"},
    }
    changed = service.import_json(db, document, actor=ACTOR)
    assert [(c.key, c.old, c.new) for c in changed] == [
        ("escalation.days", "28", "7"),
        ("visits.cin_working_days", "20", "25"),
    ]
    values = service.load_settings(db).values
    assert values["weights.cp"] == 3
    assert values["escalation.days"] == 7
    assert values["visits.cin_working_days"] == 25


def good_document() -> dict[str, Any]:
    return {
        "format": "caseload-desktop-settings",
        "version": 1,
        "settings": {"weights.cp": "2", "escalation.days": 21},
    }


def with_settings(**extra: Any) -> dict[str, Any]:
    document = good_document()
    document["settings"] = {
        **document["settings"],
        **{k.replace("__", "."): v for k, v in extra.items()},
    }
    return document


BAD_DOCUMENTS: dict[str, tuple[object, str]] = {
    "a list": ([good_document()], "not a Caseload Desktop settings file"),
    "a string": ("caseload-desktop-settings", "not a Caseload Desktop settings file"),
    "no format": ({"version": 1, "settings": {}}, "not a Caseload Desktop settings file"),
    "another format": (
        {**good_document(), "format": "vorta-profile"},
        "not a Caseload Desktop settings file",
    ),
    "no version": ({**good_document(), "version": None}, '"version"'),
    "version as text": ({**good_document(), "version": "1"}, '"version"'),
    "version true": ({**good_document(), "version": True}, '"version"'),
    "version 0": ({**good_document(), "version": 0}, '"version"'),
    "a newer version": ({**good_document(), "version": 2}, "version 2"),
    "settings a list": ({**good_document(), "settings": [["weights.cp", "2"]]}, '"settings"'),
    "no settings": ({"format": "caseload-desktop-settings", "version": 1}, '"settings"'),
    "an unknown key": (with_settings(weights__dragons="2"), "weights.dragons"),
    "a value out of range": (with_settings(visits__cla_weeks=7), "visits.cla_weeks"),
    "a bool for a number": (with_settings(escalation__days=True), "escalation.days"),
    "a number that is nan": (with_settings(weights__cin="NaN"), "weights.cin"),
    "an unknown category": (with_settings(limits__asye=["cp", "lac"]), "limits.asye"),
    "a logo that is not base64": (
        with_settings(records__logo={"format": "png", "data": "%%%"}),
        "records.logo",
    ),
    "a logo that is not an image": (
        with_settings(records__logo={"format": "png", "data": base64.b64encode(b"hello").decode()}),
        "records.logo",
    ),
    "amber above red": (
        with_settings(rag__amber_from_percent="120"),
        "rag.amber_from_percent",
    ),
}


@pytest.mark.parametrize(("document", "says"), BAD_DOCUMENTS.values(), ids=list(BAD_DOCUMENTS))
def test_importing_a_bad_document_changes_nothing(
    db: Database, db_path: Path, document: object, says: str
) -> None:
    service.change(db, {"weights.cla": Decimal("1.25")}, actor=ACTOR)
    before = file_state(db_path)
    with pytest.raises(BadSetting) as caught:
        service.import_json(db, document, actor=ACTOR)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)
    assert file_state(db_path) == before


def test_an_import_checks_amber_against_red_in_force_not_only_in_the_file(
    db: Database, db_path: Path
) -> None:
    service.set_text(db, "rag.red_above_percent", "90", actor=ACTOR)
    before = file_state(db_path)
    document = with_settings(rag__amber_from_percent="95")
    with pytest.raises(BadSetting, match=r"rag\.amber_from_percent"):
        service.import_json(db, document, actor=ACTOR)
    assert file_state(db_path) == before


# --- What the store holds that this version cannot read --------------------------------------


def test_load_skips_stored_rows_it_cannot_read_logs_them_and_keeps_the_rest(
    db: Database, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service.set_text(db, "weights.cin", "2", actor=ACTOR)
    insert_raw(db_path, "weights.cp", '"lots"')  # wrong type
    insert_raw(db_path, "visits.cp_working_days", "0")  # out of range
    insert_raw(db_path, "records.logo", '{"format": "png", "data": "aGVsbG8="}')  # not a PNG
    insert_raw(db_path, "weights.dragons", '"3"')  # a key from a newer version
    with caplog.at_level(logging.WARNING, logger="caseload_desktop.services.settings"):
        settings = service.load_settings(db)
    assert settings.rules.weight_of(Category.CIN) == 2
    assert settings.rules.weight_of(Category.CP) == Decimal("1.5")
    assert settings.rules.cp_visit_working_days == 10
    assert settings.records.logo is None
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    for key in ("weights.cp", "visits.cp_working_days", "records.logo", "weights.dragons"):
        assert key in logged, key

    # A change over a damaged row replaces it, audited against the default in force.
    changed = service.set_text(db, "weights.cp", "2.5", actor=ACTOR)
    assert changed == [service.Changed("weights.cp", "1.5", "2.5")]
    assert stored_rows(db_path)["weights.cp"] == ("2.5", 4, ACTOR)
    assert service.load_settings(db).rules.weight_of(Category.CP) == Decimal("2.5")


def test_a_stored_row_that_is_not_json_is_skipped_and_logged_not_a_crash(
    db: Database, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A damaged row must not stop every command that reads the rules (they all do)."""
    service.set_text(db, "weights.cin", "2", actor=ACTOR)
    insert_raw(db_path, "weights.cp", "1.5.{not json")
    with caplog.at_level(logging.WARNING, logger="caseload_desktop.services.settings"):
        settings = service.load_settings(db)
    assert settings.rules.weight_of(Category.CIN) == 2
    assert settings.rules.weight_of(Category.CP) == Decimal("1.5")
    assert any("weights.cp" in r.getMessage() for r in caplog.records)
    changed = service.set_text(db, "weights.cp", "3", actor=ACTOR)
    assert [c.key for c in changed] == ["weights.cp"]
    assert service.load_settings(db).rules.weight_of(Category.CP) == 3


def test_stored_values_that_disagree_fall_back_to_the_defaults_with_a_log_line(
    db: Database, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    insert_raw(db_path, "rag.amber_from_percent", '"120"')
    insert_raw(db_path, "rag.red_above_percent", '"110"')
    with caplog.at_level(logging.WARNING, logger="caseload_desktop.services.settings"):
        settings = service.load_settings(db)
    assert settings.rules.amber_from_percent == Decimal(85)
    assert settings.rules.red_above_percent == Decimal(100)
    assert any("rag.amber_from_percent" in r.getMessage() for r in caplog.records)
