"""Who is using the app: the signed-in operating-system user, recorded on every change.

The security issue maps this user to a worker or manager record and their role; until then
the user name itself is what audit events and exports record.
"""

from __future__ import annotations

import getpass


def current_user() -> str:
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):  # no user name in the environment or the password database
        return "unknown"
