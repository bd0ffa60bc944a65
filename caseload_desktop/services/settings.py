"""Reading and changing the council's settings: one transaction per change, audited and sent.

``load`` gives the settings in force (defaults overlaid with what the council stored).
``change`` checks every new value, then in one transaction writes the values, an audit event
per key (old and new value, who) and one outbox event carrying the changed values, so central
records can keep the service-wide set and other desktops receive it on pull. ``export_json``
and ``import_json`` copy a council's settings between databases as a JSON file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseload_desktop.clock import now_utc
from caseload_desktop.domain import settings as catalogue
from caseload_desktop.domain.settings import BadSetting, Logo, ServiceSettings
from caseload_desktop.errors import StaleData
from caseload_desktop.services import access
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.services.identity import current_user
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import AuditEvent, OutboxEvent, SettingValue

log = logging.getLogger(__name__)

EXPORT_FORMAT = "caseload-desktop-settings"
EXPORT_VERSION = 1
OUTBOX_KIND = "settings.changed"
OUTBOX_SCHEMA_VERSION = 1
AUDIT_ACTION = "setting.changed"


@dataclasses.dataclass(frozen=True)
class Stored:
    """The settings in force and the version each stored key was read at (0: never stored)."""

    settings: ServiceSettings
    versions: Mapping[str, int]


@dataclasses.dataclass(frozen=True)
class Changed:
    key: str
    old: str  # as text, for people
    new: str


# Values are read as stored and parsed here, so one damaged row (not JSON at all) is skipped
# like any other unreadable value instead of failing the whole read inside SQLAlchemy.
_RAW_VALUE = sa.type_coerce(SettingValue.value, sa.Text)


def _parse(raw: object) -> object:
    """A stored value from its raw form: JSON text, or a number SQLite gave back as one."""
    if isinstance(raw, str | bytes):
        return json.loads(raw)
    return raw


def load(db: Database) -> Stored:
    """The settings in force. A stored value this version cannot read (a key from a newer
    version, a damaged value) is skipped with a log line: its default applies."""
    with db.read() as session:
        values, stored_versions = _stored(session)
    versions = {s.key: 0 for s in catalogue.SETTINGS} | stored_versions
    try:
        settings = ServiceSettings.from_values(values)
    except BadSetting as exc:
        log.warning("The stored settings do not agree (%s); using the defaults for them.", exc)
        settings = ServiceSettings()
    return Stored(settings, versions)


def load_settings(db: Database) -> ServiceSettings:
    return load(db).settings


def change(
    db: Database,
    new_values: Mapping[str, Any],
    *,
    actor: str | None = None,
    expected_versions: Mapping[str, int] | None = None,
    announcer: ChangeAnnouncer | None = None,
    source: str = "",
) -> list[Changed]:
    """Set typed values (as ``Setting.check`` takes them) by key, all or nothing.

    Keys whose value does not change are left alone. ``expected_versions`` (from ``load``)
    refuses the change if another desktop changed one of those keys meanwhile. Returns what
    changed; announces a ``Change("settings")`` after the commit.
    """
    actor = actor or current_user()
    checked = {key: catalogue.setting(key).check(value) for key, value in new_values.items()}
    with access.denials_recorded(db, actor, "change settings"), db.write() as session:
        access.require(session, actor, access.Action.SETTINGS)
        readable, versions = _stored(session)
        current = catalogue.defaults() | readable
        for key, expected in (expected_versions or {}).items():
            if key in checked and versions.get(key, 0) != expected:
                raise StaleData(
                    f"The setting {key} was changed by someone else since it was read. "
                    "Nothing was changed; look at the new value and try again."
                )
        merged = {**current, **checked}
        catalogue.check_together(merged)
        changed = [key for key, value in checked.items() if current[key] != value]
        if not changed:
            return []
        now = now_utc()
        done: list[Changed] = []
        payload: dict[str, Any] = {}
        for key in changed:
            item = catalogue.setting(key)
            old, new = current[key], checked[key]
            stored = item.to_json(new)
            payload[key] = stored
            if key in versions:
                session.execute(
                    sa.update(SettingValue)
                    .where(SettingValue.key == key)
                    .values(
                        value=stored,
                        updated_at=now,
                        updated_by=actor,
                        version=SettingValue.version + 1,
                    )
                )
            else:
                session.execute(
                    sa.insert(SettingValue).values(
                        key=key, value=stored, updated_at=now, updated_by=actor, version=1
                    )
                )
            done.append(Changed(key, item.to_text(old), item.to_text(new)))
            session.execute(
                sa.insert(AuditEvent).values(
                    occurred_at=now,
                    actor=actor,
                    action=AUDIT_ACTION,
                    case_id=None,
                    from_worker_id=None,
                    to_worker_id=None,
                    reason=f"{item.label}: {item.to_text(old)} -> {item.to_text(new)}"[:1000],
                    detail={
                        "key": key,
                        "old": _for_audit(item.to_json(old)),
                        "new": _for_audit(stored),
                        **({"source": source} if source else {}),
                    },
                )
            )
        session.execute(
            sa.insert(OutboxEvent).values(
                uuid=str(uuid.uuid4()),
                kind=OUTBOX_KIND,
                schema_version=OUTBOX_SCHEMA_VERSION,
                payload={"settings": payload, "actor": actor},
                created_at=now,
                attempts=0,
            )
        )
    if announcer is not None:
        announcer.announce(Change.of("settings"))
    return done


def set_text(db: Database, key: str, text: str, **kwargs: Any) -> list[Changed]:
    """Set one setting from what a person typed (the CLI's ``settings set``)."""
    return change(db, {key: catalogue.setting(key).parse_text(text)}, **kwargs)


def set_logo(db: Database, data: bytes | None, **kwargs: Any) -> list[Changed]:
    """Set (or with None, clear) the council's logo from an image file's bytes."""
    logo: Logo | None = None if data is None else catalogue.logo_from_bytes(data)
    return change(db, {"records.logo": logo}, **kwargs)


def restore_defaults(db: Database, keys: list[str], **kwargs: Any) -> list[Changed]:
    return change(db, {key: catalogue.setting(key).default for key in keys}, **kwargs)


def export_json(db: Database) -> dict[str, Any]:
    """Every setting in force (defaults too), as a JSON document another database can import."""
    values = load_settings(db).values
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "settings": {s.key: s.to_json(values[s.key]) for s in catalogue.SETTINGS},
    }


def parse_export(document: object) -> dict[str, Any]:
    """The typed values of an export document; anything wrong raises ``BadSetting``."""
    if not isinstance(document, Mapping) or document.get("format") != EXPORT_FORMAT:
        raise BadSetting(
            f'This is not a Caseload Desktop settings file (expected "format": "{EXPORT_FORMAT}").'
        )
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BadSetting('The settings file has no valid "version".')
    if version > EXPORT_VERSION:
        raise BadSetting(
            f"The settings file is version {version}; this app reads up to version "
            f"{EXPORT_VERSION}. Update the app to import it."
        )
    values = document.get("settings")
    if not isinstance(values, Mapping):
        raise BadSetting('The settings file has no "settings" object.')
    typed = {str(key): catalogue.setting(str(key)).from_json(v) for key, v in values.items()}
    catalogue.check_together({**catalogue.defaults(), **typed})
    return typed


def import_json(db: Database, document: object, **kwargs: Any) -> list[Changed]:
    """Apply an export document, all or nothing. Keys it leaves out are not changed."""
    return change(db, parse_export(document), source="import", **kwargs)


def _stored(session: Session) -> tuple[dict[str, Any], dict[str, int]]:
    """The stored values this version can read (typed), and every stored key's version. A
    value it cannot read (a key from a newer version, a damaged value) is left out with a log
    line, so its default applies."""
    values: dict[str, Any] = {}
    versions: dict[str, int] = {}
    rows = session.execute(sa.select(SettingValue.key, _RAW_VALUE, SettingValue.version))
    for key, raw, version in rows:
        versions[key] = version
        try:
            values[key] = catalogue.setting(key).from_json(_parse(raw))
        except (BadSetting, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            log.warning("Ignoring the stored setting %s: %s", key, exc)
    return values, versions


def _for_audit(value: Any) -> Any:
    """Audit keeps a logo as its size and fingerprint, not a megabyte of base64."""
    if isinstance(value, dict) and "data" in value:
        data = value["data"].encode("ascii")
        return {
            "format": value.get("format"),
            "base64_chars": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    return value
