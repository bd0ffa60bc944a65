"""Recording a caseload summary export: an audit event and, per file, an outbox event.

A summary a manager exports (PDF, or the CSV tables) leaves the app with children's names in
it, so each export is recorded in the audit trail (who, when, which files, their SHA-256) and
sent to central records at the next sync: one outbox event of kind ``summary.exported`` per
file, carrying the file's bytes (``sync/push.py`` files it in central's ``exports``, and
``sync/folder_target.py`` drops it in the records folder).

The file is written first and recorded after, by ``record_summary_export``. Recording the file
before writing it would claim an export that may never happen (a full disk, a folder that went
away), and holding the database's write lock while a large file is written would block every
other change for that long. So a recording that fails (a busy or full database) leaves the
file where it was written, and the error says so: the file was written, it is not in the audit
trail and will not be sent, and exporting again records it. Printing is not an export and is
not recorded here.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import sqlalchemy as sa

from caseload_desktop.clock import now_utc
from caseload_desktop.display import uk_date
from caseload_desktop.errors import CaseloadError
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.services.identity import current_user
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import AuditEvent, OutboxEvent

OUTBOX_KIND = "summary.exported"
OUTBOX_SCHEMA_VERSION = 1
AUDIT_ACTION = "summary.exported"

Scope = Literal["team", "service"]
Format = Literal["pdf", "csv"]
FORMATS: tuple[Format, ...] = get_args(Format)
SCOPES: tuple[Scope, ...] = get_args(Scope)


class ExportNotRecorded(CaseloadError):
    """An export's files were written, but recording them (audit and outbox) failed."""


@dataclasses.dataclass(frozen=True)
class ExportedFile:
    """One file of an export, as written: where, its bytes, and what it is.

    Attributes:
        path: the file written; central records keep only its base name.
        data: the bytes written to it.
        format: "pdf" or "csv" (named, not guessed: ``--out report`` has no suffix).
    """

    path: Path
    data: bytes
    format: Format

    @classmethod
    def of(cls, path: Path, data: bytes) -> ExportedFile:
        """A file whose name ends in ``.pdf`` or ``.csv`` (any case), format from the name."""
        suffix = path.suffix.lower().lstrip(".")
        for known in FORMATS:
            if suffix == known:
                return cls(path, data, known)
        raise ValueError(f"{path.name}: name the format of a file without .pdf or .csv")

    @classmethod
    def read(cls, paths: Iterable[Path], format: Format) -> list[ExportedFile]:
        """The files just written at ``paths`` (the CSV files ``write_summary_csv`` returns),
        with the bytes now in them."""
        files = []
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ExportNotRecorded(
                    f"Wrote {path}, but could not read it back to record the export "
                    f"({exc.strerror or exc}). {_NOT_RECORDED}"
                ) from None
            files.append(cls(path, data, format))
        return files


def scope_of(team: str | None) -> Scope:
    """The scope of a summary of ``team`` (None: the service summary)."""
    return "service" if team is None else "team"


_NOT_RECORDED = (
    "The export is not in the audit trail and will not be sent to central records; the files "
    "stay where they were written. Export again to record it."
)


def record_summary_export(
    db: Database,
    *,
    scope: Scope,
    team: str | None,
    as_at: dt.date,
    files: Sequence[tuple[Path, bytes]] | Sequence[ExportedFile],
    actor: str | None = None,
    announcer: ChangeAnnouncer | None = None,
) -> list[str]:
    """Record the caseload summary just written to ``files``; returns the outbox event uuids,
    one per file in the order given.

    One transaction writes one audit event for the export (the files, each with its SHA-256
    and event uuid) and one ``summary.exported`` outbox event per file, or nothing. Call it
    after the files are written (see the module docstring). An expected failure (a busy or
    full database) raises ``ExportNotRecorded``, whose message names the files and says they
    were written but not recorded; any other error (a bug) is raised as it is, with a note
    saying the same. ``team`` is the team's name for a team summary, None for the service
    summary; a call that makes no sense (a team summary without a team, no files, a file of
    no known format) raises ``ValueError`` before anything is written.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
    if (scope == "team") != (team is not None):
        raise ValueError(f"a {scope} summary takes {'a' if scope == 'team' else 'no'} team name")
    exported = [f if isinstance(f, ExportedFile) else ExportedFile.of(*f) for f in files]
    if not exported:
        raise ValueError("an export has at least one file")
    actor = actor or current_user()
    now = now_utc()
    events = [str(uuid.uuid4()) for _ in exported]
    listed: list[dict[str, Any]] = []
    payloads: list[dict[str, Any]] = []
    for event, file in zip(events, exported, strict=True):
        sha256 = hashlib.sha256(file.data).hexdigest()
        listed.append(
            {
                "file_name": file.path.name,
                "path": str(file.path),  # where it went on this computer: audit only
                "format": file.format,
                "size": len(file.data),
                "sha256": sha256,
                "event_uuid": event,
            }
        )
        payloads.append(
            {
                "scope": scope,
                "team": team,
                "format": file.format,
                "file_name": file.path.name,
                "as_at": as_at.isoformat(),
                "generated_at": now.isoformat(),
                "actor": actor,
                "sha256": sha256,
                "content": base64.b64encode(file.data).decode("ascii"),
            }
        )
    names = ", ".join(f.path.name for f in exported)
    of = "the service" if team is None else team
    reason = f"Exported the caseload summary of {of} as at {uk_date(as_at)}: {names}"
    try:
        with db.write() as session:
            session.execute(
                sa.insert(AuditEvent).values(
                    occurred_at=now,
                    actor=actor,
                    action=AUDIT_ACTION,
                    case_id=None,
                    from_worker_id=None,
                    to_worker_id=None,
                    reason=reason[:1000],
                    detail={
                        "scope": scope,
                        "team": team,
                        "as_at": as_at.isoformat(),
                        "files": listed,
                    },
                )
            )
            for event, payload in zip(events, payloads, strict=True):
                session.execute(
                    sa.insert(OutboxEvent).values(
                        uuid=event,
                        kind=OUTBOX_KIND,
                        schema_version=OUTBOX_SCHEMA_VERSION,
                        payload=payload,
                        created_at=now,
                        attempts=0,
                    )
                )
    except CaseloadError as exc:
        written = ", ".join(str(f.path) for f in exported)
        raise ExportNotRecorded(
            f"Wrote {written}, but could not record the export: {exc} {_NOT_RECORDED}"
        ) from exc
    except Exception as exc:  # a bug: its traceback is logged; the note says the files stay
        exc.add_note(f"The files were written but the export was not recorded: {names}.")
        raise
    if announcer is not None:
        announcer.announce(Change.of("export"))
    return events
