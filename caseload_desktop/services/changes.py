"""Announcing what a use case changed, so views update without polling.

Services stay free of Qt: they call ``ChangeAnnouncer.announce`` after their transaction
commits; the UI subscribes and maps a ``Change`` onto its models (the board re-reads and keeps
the selection and scroll position). Subscribers are called on the announcing thread; a Qt
subscriber hands the call to the GUI thread with a queued signal.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable


@dataclasses.dataclass(frozen=True)
class Change:
    """What one committed use case changed.

    Attributes:
        what: a short name of the use case ("reassignment", "import", ...).
        case_ids: cases whose rows changed.
        worker_ids: workers whose rows or caseloads changed.
        teams_changed: True when teams were added, renamed or removed.
    """

    what: str
    case_ids: frozenset[int] = frozenset()
    worker_ids: frozenset[int] = frozenset()
    teams_changed: bool = False

    @classmethod
    def of(
        cls,
        what: str,
        case_ids: Iterable[int] = (),
        worker_ids: Iterable[int] = (),
        *,
        teams_changed: bool = False,
    ) -> Change:
        return cls(what, frozenset(case_ids), frozenset(worker_ids), teams_changed)


Subscriber = Callable[[Change], None]


class ChangeAnnouncer:
    """A list of subscribers told about every committed change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` for each change from now on; returns a function that stops it."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def announce(self, change: Change) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber(change)
