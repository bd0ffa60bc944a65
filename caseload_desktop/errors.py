"""Expected failures, as one family.

Services and the store raise these with a message in the manager's words. The CLI prints the
message on one stderr line and exits with ``exit_code``; the GUI shows it in a message box.
Anything that is not a ``CaseloadError`` is a bug and is reported with a traceback.
"""

from __future__ import annotations


class CaseloadError(Exception):
    """Base of every expected failure. ``str(error)`` is the message shown to the user."""

    #: Exit status of the CLI: 2 for the user's input or usage, 1 for other failures.
    exit_code = 1


class BadInput(CaseloadError):
    """An argument, date, file or value given by the user cannot be used."""

    exit_code = 2


class NotFound(BadInput):
    """A database, team, worker or case the user named does not exist."""


class NotADatabase(BadInput):
    """The file exists but is not a Caseload Desktop database (or is damaged)."""


class NewerSchema(BadInput):
    """The database was written by a newer version of the app than this one."""


class DatabaseBusy(CaseloadError):
    """Another program holds the write lock for longer than the busy timeout."""


class RuleViolation(BadInput):
    """A change breaks a practice rule (a leaver as target, a closed case, ...)."""


class ReadOnly(CaseloadError):
    """A change asked of a database open only to read it (another copy of the app holds it)."""


class StaleData(CaseloadError):
    """A row changed since it was read; nothing was applied."""


class Cancelled(CaseloadError):
    """The user cancelled long work; everything it had done was rolled back."""
