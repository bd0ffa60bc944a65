"""Writing exports to a shared folder, for councils whose records system ingests files.

Each export (a finalised supervision record, an exported caseload summary) becomes two files in
the folder: ``<uuid>.pdf`` (or ``.csv``) with the document's bytes, then ``<uuid>.json``, a
sidecar describing it (kind, dates, who, SHA-256, size). The sidecar is written last, so a
records system that waits for it never picks up half a pair.

Each file is written under a temporary name in the same folder (``.<name>.<random>.partial``),
flushed and fsynced, then renamed into place, and the folder is fsynced on POSIX, so a file
appears whole or not at all. Each export is then recorded in ``folder_deliveries`` in its own
short transaction. A cut at any point leaves at worst a complete pair that is not yet recorded;
the next run finds it, checks its SHA-256 and records it without writing it again. A file
already at an export's name with other content is never overwritten.

The event uuid is the file name because it is the outbox's idempotency key: the same export
always lands under the same name, however often the folder target runs. ``sent_at`` belongs to
the central push and is neither read nor changed here.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from caseload_desktop.clock import now_utc
from caseload_desktop.errors import BadInput, Cancelled
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import FolderDelivery, OutboxEvent

log = logging.getLogger("caseload.sync")

SUPERVISION_KIND = "supervision.finalised"
SUMMARY_KIND = "summary.exported"

#: The kinds written to the folder, and the payload key holding each one's base64 content.
#: Every other kind is central records' business only.
CONTENT_KEYS: Mapping[str, str] = {SUPERVISION_KIND: "pdf", SUMMARY_KIND: "content"}

SUMMARY_FORMATS = frozenset({"pdf", "csv"})
_HASH_CHUNK = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class FolderResult:
    """What one run of ``deliver_to_folder`` did.

    Attributes:
        written: exports written this run (including a pair whose sidecar was missing).
        already: exports found already delivered: recorded for this folder, or both files
            present with the right SHA-256 (a run cut after the rename, before the record).
    """

    written: int
    already: int


@dataclasses.dataclass(frozen=True)
class _Export:
    """One export ready to write: its content checked against its SHA-256, its sidecar built."""

    uuid: str
    what: str  # for messages: "supervision record SUP-000042"
    content_name: str
    sidecar_name: str
    data: bytes
    sha256: str
    sidecar: bytes


def deliver_to_folder(
    db: Database,
    folder: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> FolderResult:
    """Write every export not yet delivered to ``folder``, oldest first; returns the counts.

    ``folder`` must be an existing folder this user can write in, else ``BadInput`` and nothing
    is written. Deliveries are recorded per folder (its resolved path), so pointing at another
    share delivers everything there too.

    ``progress(done, total)`` is called after each export still to deliver (``total`` counts
    only those; exports recorded earlier are counted in ``already`` without being read).
    ``cancelled()`` is asked before each one; when it answers True, ``Cancelled`` is raised. The
    exports written before that stay written and recorded: each is recorded as soon as its files
    land, because the files cannot be taken back from a share a records system may already have
    read, and a record of what is there is what stops the next run writing them twice.

    Raises ``BadInput`` for an export whose stored content does not match its SHA-256 (the
    outbox row is damaged), for a file already at an export's name with other content (left as
    it is), and for a file that cannot be written (the temporary file is removed). Exports
    before the one refused stay delivered; nothing is written for it or those after it.
    """
    target = _check_folder(folder)
    key = str(target)
    delivered = sa.select(FolderDelivery.event_uuid).where(FolderDelivery.folder == key)
    exports = OutboxEvent.kind.in_(CONTENT_KEYS)
    with db.read() as session:
        pending = session.scalars(
            sa.select(OutboxEvent.id)
            .where(exports, OutboxEvent.uuid.not_in(delivered))
            .order_by(OutboxEvent.id)
        ).all()
        recorded = session.execute(
            sa.select(sa.func.count())
            .select_from(OutboxEvent)
            .where(exports, OutboxEvent.uuid.in_(delivered))
        ).scalar_one()

    written, already = 0, recorded
    for done, event_id in enumerate(pending, start=1):
        if cancelled is not None and cancelled():
            raise Cancelled(
                f"Writing exports to {folder} was cancelled. The {written} written before "
                "stay there and are recorded; the rest are written next time."
            )
        export = _load_export(db, event_id)
        if _deliver(target, export):
            written += 1
            log.info("wrote %s and its sidecar to %s", export.content_name, target)
        else:
            already += 1
            log.info("found %s already in %s; recorded it", export.content_name, target)
        _record(db, export.uuid, key)
        if progress is not None:
            progress(done, len(pending))
    return FolderResult(written=written, already=already)


# --- The folder ------------------------------------------------------------------------------


def _check_folder(folder: Path) -> Path:
    """The resolved folder, after checking it exists and can be written in (nothing written)."""
    try:
        target = folder.expanduser().resolve()
        if not target.exists():
            raise BadInput(f"The folder {folder} does not exist; no exports were written.")
        if not target.is_dir():
            raise BadInput(f"{folder} is a file, not a folder; no exports were written.")
    except OSError as exc:  # a name too long, a share that has gone away, ...
        raise BadInput(f"Cannot use the folder {folder}: {exc.strerror or exc}.") from None
    # os.access says what the permission bits allow; a share can still refuse a write, which
    # then fails below with the OS's reason and leaves no partial file.
    if not os.access(target, os.W_OK | os.X_OK):
        raise BadInput(
            f"Cannot write in the folder {folder}: permission denied. No exports were written."
        )
    return target


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable before anything depends on them.

    Without it a power cut can keep the sidecar's rename and lose the content's, or lose both
    after the delivery is recorded. Windows cannot open a folder to fsync it (NTFS journals
    renames itself); some network file systems refuse fsync on a folder with EINVAL, which
    fsync(2) documents for "a special file which does not support synchronization", and then
    the share's own guarantees are all there is.
    """
    if sys.platform == "win32":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(handle)


def _place(folder: Path, path: Path, data: bytes, what: str) -> None:
    """Write ``data`` to ``path`` whole: a temporary file beside it, fsynced, renamed into place.

    mkstemp creates the file owner read/write only (0600), like the app's other exports. A
    failure removes the temporary file and raises ``BadInput`` naming the file and the reason.
    """
    partial: str | None = None
    try:
        handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
        partial = None
        _sync_folder(folder)
    except OSError as exc:
        raise BadInput(
            f"Cannot write {path} ({what}): {exc.strerror or exc}. "
            "Exports before it were delivered; try again when the folder can be written."
        ) from None
    finally:
        if partial is not None:
            with contextlib.suppress(OSError):  # the first error is the one to report
                os.unlink(partial)


def _file_sha256(path: Path) -> str | None:
    """The SHA-256 of the file at ``path``, or None when there is none; ``BadInput`` for
    something there that is not a file, or cannot be read."""
    try:
        if not path.exists():
            return None
        if not path.is_file():
            raise BadInput(
                f"{path} is in the way: it is not a file. It was left as it is; move it away "
                "and try again."
            )
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise BadInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return digest.hexdigest()


def _sidecar_matches(path: Path, export: _Export) -> bool | None:
    """Whether the sidecar at ``path`` describes this export (None: there is no sidecar).

    Its uuid and SHA-256 are compared, not its bytes, so a sidecar a records system reformatted,
    or one written by another version, still counts as the same export.
    """
    try:
        if not path.exists():
            return None
        if not path.is_file():
            return False
        text = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        found = json.loads(text)
    except ValueError:
        return False
    return (
        isinstance(found, dict)
        and found.get("uuid") == export.uuid
        and found.get("sha256") == export.sha256
    )


def _deliver(folder: Path, export: _Export) -> bool:
    """Put the export's pair in ``folder``; True if anything was written, False if the pair was
    already there (a run cut between the renames and the record)."""
    content = folder / export.content_name
    sidecar = folder / export.sidecar_name
    found = _file_sha256(content)
    if found is not None and found != export.sha256:
        raise _different(content, export)
    sidecar_found = _sidecar_matches(sidecar, export)
    if sidecar_found is False:
        raise _different(sidecar, export)
    if sidecar_found:
        # The sidecar is written only after its content has landed, so the pair was complete:
        # with the content gone too, the records system has taken it. Never write it again.
        return False
    if found is None:
        _place(folder, content, export.data, export.what)
    _place(folder, sidecar, export.sidecar, export.what)
    return True


def _different(path: Path, export: _Export) -> BadInput:
    return BadInput(
        f"Cannot write {export.what} (event {export.uuid}) to {path.parent}: {path.name} is "
        "already there with different content. It was left as it is; check where it came "
        "from and move it away, then try again."
    )


def _record(db: Database, event_uuid: str, folder: str) -> None:
    """Record one delivery, in a transaction of its own, right after its files land.

    ON CONFLICT DO NOTHING: another copy of the app delivering to the same folder at the same
    moment writes the same bytes under the same name, so its record is as good as ours.
    """
    with db.write() as session:
        session.execute(
            sqlite_insert(FolderDelivery)
            .values(event_uuid=event_uuid, folder=folder, written_at=now_utc())
            .on_conflict_do_nothing()
        )


# --- The exports -----------------------------------------------------------------------------


def _load_export(db: Database, event_id: int) -> _Export:
    """Read one outbox event (one at a time: a payload carries a whole document) and check it."""
    with db.read() as session:
        row = session.execute(
            sa.select(
                OutboxEvent.uuid,
                OutboxEvent.kind,
                OutboxEvent.schema_version,
                OutboxEvent.created_at,
                OutboxEvent.payload,
            ).where(OutboxEvent.id == event_id)
        ).one()
    return _export(row.uuid, row.kind, row.schema_version, row.created_at, row.payload)


def _describe(kind: str, payload: Mapping[str, object]) -> str:
    if kind == SUPERVISION_KIND:
        return f"supervision record {payload.get('record_id') or '(no record number)'}"
    name = payload.get("file_name")
    return f"the caseload summary {name!r}" if isinstance(name, str) else "a caseload summary"


def _export(
    event_uuid: str,
    kind: str,
    schema_version: int,
    created_at: dt.datetime,
    payload: object,
) -> _Export:
    """The export an outbox event describes, its content checked before anything is written."""
    if not isinstance(payload, dict):
        raise BadInput(
            f"Cannot write the export of event {event_uuid}: its stored details are damaged "
            "(not a JSON object). Nothing was written for it."
        )
    what = _describe(kind, payload)

    def damaged(problem: str) -> BadInput:
        return BadInput(
            f"Cannot write {what} (event {event_uuid}): {problem}, so the stored export is "
            "damaged. Nothing was written for it; any exports before it were delivered."
        )

    # The uuid becomes a file name: only a canonical UUID may, never a path such as "../x".
    try:
        canonical = str(uuid.UUID(event_uuid))
    except ValueError:
        canonical = ""
    if canonical != event_uuid:
        raise damaged("its id is not a UUID")

    content_key = CONTENT_KEYS[kind]
    if kind == SUPERVISION_KIND:
        suffix = "pdf"
    else:
        suffix = str(payload.get("format"))
        if suffix not in SUMMARY_FORMATS:
            raise damaged(f"its format is {payload.get('format')!r}, not PDF or CSV")
    encoded = payload.get(content_key)
    expected = payload.get("sha256")
    if not isinstance(encoded, str):
        raise damaged("its content is missing")
    if not isinstance(expected, str):
        raise damaged("its SHA-256 is missing")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise damaged("its content is not valid base64") from None
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != expected.lower():
        raise damaged("its content does not match the SHA-256 recorded with it")

    content_name = f"{event_uuid}.{suffix}"
    meta: dict[str, object] = {k: v for k, v in payload.items() if k != content_key}
    # The describing keys are set last: they are what the records system relies on.
    meta.update(
        uuid=event_uuid,
        kind=kind,
        schema_version=schema_version,
        created_at=created_at.astimezone(dt.UTC).isoformat(),
        file=content_name,
        sha256=sha256,
        size=len(data),
    )
    sidecar = json.dumps(meta, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    return _Export(
        uuid=event_uuid,
        what=what,
        content_name=content_name,
        sidecar_name=f"{event_uuid}.json",
        data=data,
        sha256=sha256,
        sidecar=sidecar.encode("utf-8"),
    )
