"""``caseload bench``: the app's speed at service scale, each figure beside its floor.

Every figure is measured next to the fastest way of doing the same work (the floor), in the
same run, because these machines are noisy: the ratio is the claim, not the seconds. Demo
databases are generated once and cached in the data folder (``bench/``).

Figures so far (the benchmark issue adds the rest as the features land):

- board, largest team / all teams: from opening the database to the board's models filled,
  against a raw ``sqlite3`` connect + select of the same columns;
- board, a team of 2,000 cases: the same on a service whose teams hold 2,000 cases each.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect

from caseload_desktop import __version__, clock, locations
from caseload_desktop.store import demo, queries
from caseload_desktop.store.engine import open_database
from caseload_desktop.store.models import Case, Team

BIG_TEAM_CASES = 2000


@dataclasses.dataclass
class Figure:
    """One measured figure: our times and the floor's, in seconds."""

    name: str
    ours: list[float]
    floor: list[float] | None = None
    target_ratio: float | None = None
    target_seconds: float | None = None
    detail: str = ""

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def floor_median(self) -> float | None:
        return None if not self.floor else statistics.median(self.floor)

    @property
    def ratio(self) -> float | None:
        floor = self.floor_median
        return None if not floor else self.ours_median / floor

    @property
    def met(self) -> bool:
        ratio_ok = self.target_ratio is None or (
            self.ratio is not None and self.ratio <= self.target_ratio
        )
        seconds_ok = self.target_seconds is None or self.ours_median <= self.target_seconds
        return ratio_ok and seconds_ok

    def as_json(self) -> dict[str, Any]:
        return {
            "figure": self.name,
            "detail": self.detail,
            "ours_median_s": self.ours_median,
            "ours_min_s": min(self.ours),
            "ours_max_s": max(self.ours),
            "floor_median_s": self.floor_median,
            "ratio": self.ratio,
            "target_ratio": self.target_ratio,
            "target_seconds": self.target_seconds,
            "met": self.met,
        }


def cached_demo(cases: int, team_size: int, seed: int, today: dt.date) -> Path:
    """A demo database for these parameters, generated on first use and kept in the data folder."""
    folder = locations.data_dir() / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"demo-{cases}-team{team_size}-seed{seed}-{today.isoformat()}.db"
    if not path.exists():
        partial = path.with_name(path.name + ".building")
        for leftover in folder.glob(partial.name + "*"):
            leftover.unlink()
        demo.create_demo_database(partial, seed=seed, cases=cases, today=today, team_size=team_size)
        partial.rename(path)
    return path


def _largest_team(path: Path, today: dt.date) -> tuple[int, str, int]:
    db, _ = open_database(path)
    with db.read() as session:
        team_id, name, count = session.execute(
            sa.select(Team.id, Team.name, sa.func.count(Case.id))
            .join(Case, Case.team_id == Team.id)
            .where(Case.closed_on.is_(None))
            .group_by(Team.id)
            .order_by(sa.func.count(Case.id).desc(), Team.name)
            .limit(1)
        ).one()
    db.close()
    return team_id, name, count


def _raw_sql(today: dt.date, team_id: int | None) -> str:
    statement = queries.case_table_statement(
        today, team_id=team_id, with_team_workers_cases=team_id is not None
    )
    compiled = statement.compile(
        dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def _time(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _board_figure(
    name: str,
    path: Path,
    team_name: str | None,
    team_id: int | None,
    repeat: int,
    today: dt.date,
    detail: str,
    target_seconds: float | None = None,
) -> Figure:
    # Qt is imported here: the rest of the CLI never needs it.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from caseload_desktop.context import open_context
    from caseload_desktop.ui.preferences import Preferences
    from caseload_desktop.ui.widgets.caseload_board import CaseloadBoard

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    raw_sql = _raw_sql(today, team_id)
    ours: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        settings = QtCore.QSettings(
            str(Path(scratch) / "bench.ini"), QtCore.QSettings.Format.IniFormat
        )
        preferences = Preferences(settings)
        for _ in range(repeat):

            def fill() -> None:
                context = open_context(path)
                board = CaseloadBoard(context, preferences)
                board.select_team(team_name)
                board.wait_until_loaded()
                app.processEvents()
                assert board.data is not None and board.data.team_id == team_id
                board.deleteLater()
                context.close()

            def raw() -> None:
                conn = sqlite3.connect(path)
                conn.execute(raw_sql).fetchall()
                conn.close()

            ours.append(_time(fill))
            floor.append(_time(raw))
            app.processEvents()
    return Figure(name, ours, floor, target_ratio=3.0, target_seconds=target_seconds, detail=detail)


def bench_board(cases: int, team_size: int, seed: int, repeat: int) -> list[Figure]:
    today = clock.today()
    figures = []
    service = cached_demo(cases, team_size, seed, today)
    team_id, team_name, count = _largest_team(service, today)
    figures.append(
        _board_figure(
            "board: largest team",
            service,
            team_name,
            team_id,
            repeat,
            today,
            f"{team_name}, {count} open cases, in a service of {cases}",
        )
    )
    figures.append(
        _board_figure("board: all teams", service, None, None, repeat, today, f"{cases} open cases")
    )
    big_cases = 5 * BIG_TEAM_CASES + demo.INSPECTION_TEAM_CASES
    big = cached_demo(big_cases, BIG_TEAM_CASES, seed, today)
    team_id, team_name, count = _largest_team(big, today)
    figures.append(
        _board_figure(
            f"board: team of {BIG_TEAM_CASES:,} cases",
            big,
            team_name,
            team_id,
            repeat,
            today,
            f"{team_name}, {count} open cases",
            target_seconds=1.0,
        )
    )
    return figures


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "app_version": __version__,
        "sqlite": sqlite3.sqlite_version,
    }


def report(figures: list[Figure]) -> str:
    """The figures as a table: figure, ours (median, min-max), floor, ratio, target."""
    lines = [
        f"{'figure':<30} {'ours (median, min-max)':<28} {'floor':>9} {'ratio':>7}  target",
    ]
    for figure in figures:
        ours = f"{figure.ours_median:.3f}s ({min(figure.ours):.3f}-{max(figure.ours):.3f})"
        floor = "" if figure.floor_median is None else f"{figure.floor_median:.3f}s"
        ratio = "" if figure.ratio is None else f"{figure.ratio:.2f}x"
        targets = []
        if figure.target_ratio is not None:
            targets.append(f"<= {figure.target_ratio:g}x")
        if figure.target_seconds is not None:
            targets.append(f"< {figure.target_seconds:g}s")
        verdict = "met" if figure.met else "MISSED"
        lines.append(
            f"{figure.name:<30} {ours:<28} {floor:>9} {ratio:>7}  {', '.join(targets)} {verdict}"
        )
        if figure.detail:
            lines.append(f"{'':<30} {figure.detail}")
    return "\n".join(lines)


def write_json(path: Path, figures: list[Figure], parameters: dict[str, Any]) -> None:
    data = {
        "machine": machine(),
        "parameters": parameters,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "figures": [figure.as_json() for figure in figures],
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
