"""The caseload summary PDF: a team's load against capacity, its waiting children and its
timescales at risk; or the whole service, an overview then one page per team.

Built from ``services.summaries`` dataclasses only; the page look comes from ``styles``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, PageBreak, Paragraph, Spacer

from caseload_desktop.display import fte, points, uk_date
from caseload_desktop.domain.caseload import Rag
from caseload_desktop.domain.categories import Category, Employment
from caseload_desktop.domain.due import DueStatus
from caseload_desktop.domain.settings import RecordsStyle
from caseload_desktop.reports import styles
from caseload_desktop.services.summaries import ServiceSummary, TeamSummary, Totals
from caseload_desktop.store.queries import OpenCaseRow, WorkerCaseloadRow

RAG_FILL = {
    Rag.GREEN: colors.HexColor("#d8ecd9"),
    Rag.AMBER: colors.HexColor("#fbe7b5"),
    Rag.RED: colors.HexColor("#f5c6c6"),
}
RAG_BAR = {
    Rag.GREEN: colors.HexColor("#2e7d32"),
    Rag.AMBER: colors.HexColor("#e0a100"),
    Rag.RED: colors.HexColor("#c62828"),
}
CAPACITY_BAR = colors.HexColor("#c9d6e3")
#: In the service summary each team gets one page: it lists the few cases waiting longest.
SERVICE_LIST_LIMIT = 5
OVERVIEW_CHUNK = 50


def _p(text: str, style: str = "cell") -> Paragraph:
    return Paragraph(_escape(text), styles.paragraph_styles()[style])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _percent(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value}%"


# --- Building blocks ------------------------------------------------------------------------


class KeyFigures(Flowable):
    """The team's figures in one band, what a service manager asks first: small labels over
    bold numbers, a red box where children wait or timescales are overdue. Drawn straight on
    the canvas (no table): the service summary draws one for every team."""

    HEIGHT = 13 * mm

    def __init__(self, totals: Totals) -> None:
        super().__init__()
        self.figures = [
            ("Open cases", str(totals.open_cases), False),
            ("Allocated", str(totals.allocated), False),
            ("Orphaned", str(totals.orphaned), totals.orphaned > 0),
            ("Unallocated", str(totals.unallocated), totals.unallocated > 0),
            ("Held by manager", str(totals.held_by_manager), False),
            (
                "Load / capacity",
                f"{points(totals.weighted)} / {points(totals.capacity)} "
                f"({_percent(totals.percent)})",
                False,
            ),
            ("Timescales overdue", str(totals.overdue), totals.overdue > 0),
        ]
        self.widths = [19 * mm, 19 * mm, 19 * mm, 21 * mm, 24 * mm, 44 * mm, 28 * mm]

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return sum(self.widths), self.HEIGHT

    def draw(self) -> None:
        canvas = self.canv
        x = 0.0
        for (label, value, alert), width in zip(self.figures, self.widths, strict=True):
            canvas.setFillColor(RAG_FILL[Rag.RED] if alert else styles.HEADER_FILL)
            canvas.rect(x, 0, width - 1, self.HEIGHT, stroke=0, fill=1)
            canvas.setFillColor(styles.MUTED)
            canvas.setFont(styles.FONT, 7)
            canvas.drawString(x + 3, self.HEIGHT - 9, label)
            canvas.setFillColor(styles.INK)
            canvas.setFont(styles.FONT_BOLD, 10)
            canvas.drawString(x + 3, 8, value)
            x += width


def _key_figures(totals: Totals) -> Flowable:
    return KeyFigures(totals)


_CATEGORY_COLUMNS = list(Category)
# Column heads narrow enough for six counts side by side (a note under the table spells them).
_CATEGORY_HEAD = {
    Category.REFERRAL: "Ref",
    Category.ASSESSMENT: "Asmt",
    Category.CIN: "CIN",
    Category.CP: "CP",
    Category.CLA: "CLA",
    Category.CARE_LEAVER: "CL",
}


def _workers_table(workers: Sequence[WorkerCaseloadRow]) -> Flowable:
    head = [
        "Worker",
        "Role",
        "FTE",
        "Cases",
        *(_CATEGORY_HEAD[c] for c in _CATEGORY_COLUMNS),
        "Load",
        "Cap.",
        "%",
        "RAG",
    ]
    rows: list[list[Any]] = [[_p(h, "cell_head") for h in head]]
    rag_cells: list[tuple[int, Rag]] = []
    for number, w in enumerate(workers, start=1):
        name = w.worker
        if w.employment is not Employment.PERMANENT:
            name += f" ({w.employment.label.lower()})"
        if w.status != "active":
            name += f" (left {uk_date(w.end_date)})" if w.end_date else f" ({w.status})"
        rows.append(
            [
                _p(name),
                _p(w.role.label),
                fte(w.fte),
                str(w.cases),
                *(str(w.by_category.get(c, 0) or "") for c in _CATEGORY_COLUMNS),
                points(w.weighted),
                points(w.capacity),
                _percent(_pct(w)),
                w.rag.value.capitalize(),
            ]
        )
        rag_cells.append((number, w.rag))
    # Measured so no heading breaks inside a word: 118 mm of figures, the rest for names.
    category_widths = {
        Category.REFERRAL: 8.5 * mm,
        Category.ASSESSMENT: 11 * mm,
        Category.CIN: 8.5 * mm,
        Category.CP: 8.5 * mm,
        Category.CLA: 9 * mm,
        Category.CARE_LEAVER: 8.5 * mm,
    }
    widths = [31 * mm, 25 * mm, 9 * mm, 12 * mm, *(category_widths[c] for c in _CATEGORY_COLUMNS)]
    widths += [11 * mm, 10 * mm, 11 * mm, 11 * mm]
    commands: list[tuple[Any, ...]] = [("ALIGN", (2, 1), (-2, -1), "RIGHT")]
    for row, rag in rag_cells:
        commands.append(("BACKGROUND", (-1, row), (-1, row), RAG_FILL[rag]))
    table = styles.record_table(rows, widths, extra=commands)
    return table


WORKERS_NOTE = (
    "Cases by category: Ref referral or contact, Asmt assessment, CIN child in need, CP child "
    "protection, CLA child looked after, CL care leaver. Load and Cap. are weighted points; % is "
    "load against capacity."
)


def _pct(w: WorkerCaseloadRow) -> Decimal | None:
    from caseload_desktop.domain.caseload import load_percent

    return load_percent(w.weighted, w.capacity)


def _load_chart(workers: Sequence[WorkerCaseloadRow], width: float) -> Drawing:
    """Weighted load (coloured by RAG) against capacity (pale), one pair of bars a worker."""
    shown = list(workers)
    bar_room = 9
    height = float(max(48, len(shown) * bar_room + 40))
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x = 95
    chart.y = 28
    chart.width = int(width - chart.x - 10)
    chart.height = int(height - 34)
    chart.data = [
        [float(w.capacity) for w in reversed(shown)],
        [float(w.weighted) for w in reversed(shown)],
    ]
    chart.bars.strokeWidth = 0
    chart.bars[0].fillColor = CAPACITY_BAR
    chart.groupSpacing = 2
    chart.barSpacing = 1
    for index, worker in enumerate(reversed(shown)):
        chart.bars[(1, index)].fillColor = RAG_BAR[worker.rag]
    chart.categoryAxis.categoryNames = [
        (w.worker[:18] + "…" if len(w.worker) > 19 else w.worker) for w in reversed(shown)
    ]
    chart.categoryAxis.labels.fontName = styles.FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.categoryAxis.strokeColor = styles.RULE
    chart.categoryAxis.tickLeft = 0
    chart.valueAxis.valueMin = 0
    top = max([float(w.capacity) for w in shown] + [float(w.weighted) for w in shown] + [1.0])
    chart.valueAxis.valueMax = top * 1.08
    chart.valueAxis.labels.fontName = styles.FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.strokeColor = styles.RULE
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e6e9ec")
    chart.valueAxis.gridStrokeWidth = 0.4
    drawing.add(chart)
    legend_y = 3
    drawing.add(
        String(chart.x, legend_y, "Pale: capacity (points).", fontName=styles.FONT, fontSize=7)
    )
    drawing.add(
        String(
            chart.x + 95,
            legend_y,
            "Dark: weighted load, green / amber / red against capacity.",
            fontName=styles.FONT,
            fontSize=7,
        )
    )
    return drawing


def _queue_table(rows: Sequence[OpenCaseRow], kind: str, escalation_days: int) -> list[Flowable]:
    """A queue's cases with their ages, in the queue's order (must-allocate first)."""
    shown = list(rows)
    if kind == "orphaned":
        head = ["Case", "Child", "Category", "Worker (left)", "Left on", "Days since"]
        body = [
            [
                r.case_ref,
                _p(r.child),
                r.category.short,
                _p(r.worker or ""),
                uk_date(r.worker_left_on) or "inactive",
                "" if r.days_since_left is None else str(r.days_since_left),
            ]
            for r in shown
        ]
    elif kind == "unallocated":
        head = ["Case", "Child", "Category", "Escalation", "Waiting since", "Days waiting"]
        body = [
            [
                r.case_ref,
                _p(r.child),
                r.category.short,
                _p(
                    "escalate to service manager"
                    if (r.days_waiting or 0) >= escalation_days
                    else ""
                ),
                uk_date(r.allocated_on or r.opened_on),
                str(r.days_waiting or 0),
            ]
            for r in shown
        ]
    else:
        head = ["Case", "Child", "Category", "Manager", "Since", ""]
        body = [
            [
                r.case_ref,
                _p(r.child),
                r.category.short,
                _p(r.worker or ""),
                uk_date(r.allocated_on),
                "",
            ]
            for r in shown
        ]
    widths = [22 * mm, 42 * mm, 20 * mm, 44 * mm, 24 * mm, 22 * mm]
    commands: list[tuple[Any, ...]] = [("ALIGN", (-1, 1), (-1, -1), "RIGHT")]
    for number, row in enumerate(shown, start=1):
        if row.category.must_be_allocated:
            commands.append(("TEXTCOLOR", (2, number), (2, number), styles.ALERT))
    table = styles.record_table([[_p(h, "cell_head") for h in head], *body], widths, extra=commands)
    return [table]


def _due_table(summary: TeamSummary) -> list[Flowable]:
    items = summary.due
    head = ["Case", "Child", "Category", "Worker", "What", "Due", "Status"]
    body = [
        [
            d.case_ref,
            _p(d.child),
            d.category,
            _p(d.worker or "nobody (unallocated)"),
            d.due.kind.label,
            uk_date(d.due.due),
            _p(d.due.describe()),
        ]
        for d in items
    ]
    widths = [20 * mm, 27 * mm, 21 * mm, 27 * mm, 22 * mm, 19 * mm, 38 * mm]
    commands: list[tuple[Any, ...]] = []
    for number, d in enumerate(items, start=1):
        if d.due.status is DueStatus.OVERDUE:
            commands.append(("TEXTCOLOR", (5, number), (5, number), styles.ALERT))
    table = styles.record_table([[_p(h, "cell_head") for h in head], *body], widths, extra=commands)
    return [table]


def _due_counts(summary: TeamSummary) -> Paragraph:
    overdue: dict[str, int] = {}
    soon: dict[str, int] = {}
    for d in summary.due:
        bucket = overdue if d.due.status is DueStatus.OVERDUE else soon
        bucket[d.due.kind.label] = bucket.get(d.due.kind.label, 0) + 1

    def counted(bucket: dict[str, int]) -> list[str]:
        words = []
        for what, n in sorted(bucket.items()):
            noun = what[0].lower() + what[1:] if not what[:2].isupper() else what
            words.append(f"{n} {noun}{'s' if n != 1 else ''}")
        return words or ["none"]

    parts, later = counted(overdue), counted(soon)
    return _p(
        f"Overdue: {', '.join(parts)}. Due in the next 5 working days: {', '.join(later)}.",
        "body",
    )


# --- The documents --------------------------------------------------------------------------


def _team_story(summary: TeamSummary) -> list[Flowable]:
    st = styles.paragraph_styles()
    story: list[Flowable] = [
        Paragraph(_escape(f"Caseload summary: {summary.team}"), st["title"]),
        Paragraph(
            _escape(
                f"As at {uk_date(summary.as_at)} · {summary.totals.workers} workers "
                f"({fte(summary.totals.fte)} FTE), {summary.totals.agency} agency or locum"
            ),
            st["subtitle"],
        ),
        _key_figures(summary.totals),
        Paragraph("Workers: load against capacity", st["heading"]),
    ]
    if summary.workers:
        story.append(_workers_table(summary.workers))
        story.append(_p(WORKERS_NOTE, "note"))
        story += [Spacer(1, 3 * mm), _load_chart(summary.workers, 174 * mm)]
    else:
        story.append(_p("No workers in this team.", "body"))
    queues = summary.queues
    for title, kind, rows in (
        ("Orphaned: the worker has left", "orphaned", queues.orphaned),
        ("Unallocated: waiting for a worker", "unallocated", queues.unallocated),
        ("Held by a manager", "held", queues.held_by_manager),
    ):
        story.append(CondPageBreak(30 * mm))
        story.append(Paragraph(f"{title} ({len(rows)})", st["heading"]))
        if rows:
            story += _queue_table(rows, kind, summary.escalation_days)
        else:
            story.append(_p("None.", "body"))
    story.append(CondPageBreak(30 * mm))
    story.append(Paragraph(f"Timescales overdue or due soon ({len(summary.due)})", st["heading"]))
    story.append(_due_counts(summary))
    if summary.due:
        story.append(Spacer(1, 2 * mm))
        story += _due_table(summary)
    return story


def _compact_workers_table(workers: Sequence[WorkerCaseloadRow]) -> Flowable:
    """One line a worker (plain strings, quick to draw): the service summary gives each team
    a single page."""
    rows: list[list[str]] = []
    for w in workers:
        name = w.worker
        if w.employment is not Employment.PERMANENT:
            name += f" ({w.employment.label.lower()})"
        if w.status != "active":
            name += f"\nleft {uk_date(w.end_date)}" if w.end_date else f" ({w.status})"
        rows.append(
            [
                name,
                w.role.label,
                fte(w.fte),
                str(w.cases),
                points(w.weighted),
                points(w.capacity),
                _percent(_pct(w)),
                w.rag.value.capitalize(),
            ]
        )
    column, right = styles.GridColumn, "right"
    columns = [
        column("Worker", 60 * mm),
        column("Role", 37 * mm),
        column("FTE", 11 * mm, right),
        column("Cases", 12 * mm, right),
        column("Load", 13 * mm, right),
        column("Capacity", 17 * mm, right),
        column("%", 12 * mm, right),
        column("RAG", 12 * mm),
    ]
    fills = {(number, 7): RAG_FILL[w.rag] for number, w in enumerate(workers)}
    return styles.Grid(columns, rows, fills=fills)


def _waiting_longest(summary: TeamSummary, limit: int) -> list[Flowable]:
    """The orphaned and unallocated cases that have waited longest, in one short table."""
    waiting: list[tuple[int, OpenCaseRow, str]] = []
    for r in summary.queues.orphaned:
        left = f"left {uk_date(r.worker_left_on)}" if r.worker_left_on else "inactive"
        waiting.append((r.days_since_left or 0, r, f"Orphaned: {r.worker}, {left}"))
    for r in summary.queues.unallocated:
        waiting.append((r.days_waiting or 0, r, "Unallocated"))
    waiting.sort(key=lambda item: (not item[1].category.must_be_allocated, -item[0]))
    shown = waiting[:limit]
    body = [[r.case_ref, r.child, r.category.short, where, str(days)] for days, r, where in shown]
    column = styles.GridColumn
    columns = [
        column("Case", 20 * mm),
        column("Child", 40 * mm),
        column("Category", 20 * mm),
        column("Where", 80 * mm),
        column("Days", 14 * mm, "right"),
    ]
    colours = {
        (number, 2): styles.ALERT
        for number, (_days, r, _where) in enumerate(shown)
        if r.category.must_be_allocated
    }
    flow: list[Flowable] = [styles.Grid(columns, body, colours=colours)]
    if len(waiting) > len(shown):
        flow.append(
            _p(
                f"… and {len(waiting) - len(shown)} more; the team's own summary lists them all.",
                "note",
            )
        )
    return flow


def _service_team_story(summary: TeamSummary) -> list[Flowable]:
    st = styles.paragraph_styles()
    queues = summary.queues
    story: list[Flowable] = [
        styles.Line(summary.team, st["team_title"]),
        styles.Line(
            f"As at {uk_date(summary.as_at)} · {summary.totals.workers} workers "
            f"({fte(summary.totals.fte)} FTE), {summary.totals.agency} agency or locum",
            st["subtitle"],
        ),
        _key_figures(summary.totals),
        styles.Line("Workers", st["heading"]),
    ]
    if summary.workers:
        story.append(_compact_workers_table(summary.workers))
    else:
        story.append(_p("No workers in this team.", "body"))
    story.append(
        styles.Line(
            f"Waiting longest (orphaned {len(queues.orphaned)}, unallocated "
            f"{len(queues.unallocated)}; held by a manager {len(queues.held_by_manager)})",
            st["heading"],
        )
    )
    if queues.orphaned or queues.unallocated:
        story += _waiting_longest(summary, SERVICE_LIST_LIMIT)
    else:
        story.append(_p("No child is waiting for a worker.", "body"))
    story.append(styles.Line("Timescales", st["heading"]))
    story.append(_due_counts(summary))
    return story


def team_summary_pdf(summary: TeamSummary, style: RecordsStyle) -> bytes:
    """The full summary of one team: every worker, every waiting case, every timescale."""
    meta = styles.RecordMeta(
        title="Caseload summary",
        record_id=f"SUM-{summary.team_id or 0}-{summary.as_at:%Y%m%d}",
        created=_as_at_instant(summary.as_at),
        subject=f"Caseload summary of {summary.team} as at {uk_date(summary.as_at)}",
    )
    return styles.render_pdf(_team_story(summary), meta, style)


def service_summary_pdf(summary: ServiceSummary, style: RecordsStyle) -> bytes:
    """The service overview (one row per team), then one page per team."""
    st = styles.paragraph_styles()
    totals = summary.totals
    story: list[Flowable] = [
        Paragraph("Service caseload summary", st["title"]),
        Paragraph(
            _escape(
                f"As at {uk_date(summary.as_at)} · {len(summary.teams)} teams · "
                f"{totals.workers} workers ({fte(totals.fte)} FTE), agency or locum "
                f"{_percent(totals.agency_percent)}"
            ),
            st["subtitle"],
        ),
        _key_figures(totals),
    ]
    if totals.oldest_waiting_case is not None:
        story.append(Spacer(1, 2 * mm))
        story.append(
            _p(
                f"Oldest waiting case: {totals.oldest_waiting_case}, "
                f"{totals.oldest_waiting_days} days unallocated.",
                "body",
            )
        )
    story.append(Paragraph("Teams", st["heading"]))
    head = [
        "Team",
        "Open",
        "Alloc.",
        "Orphaned",
        "Unalloc.",
        "Held",
        "Workers",
        "Agency",
        "Load",
        "Overdue",
        "Oldest\nwaiting",
    ]
    body = []
    for team in summary.teams:
        t = team.totals
        oldest = "" if t.oldest_waiting_days is None else f"{t.oldest_waiting_days} days"
        body.append(
            [
                _p(team.team),
                str(t.open_cases),
                str(t.allocated),
                str(t.orphaned),
                str(t.unallocated),
                str(t.held_by_manager),
                str(t.workers),
                _percent(t.agency_percent),
                _percent(t.percent),
                str(t.overdue),
                oldest,
            ]
        )
    # Measured so no heading runs into the next; the team's name wraps in what is left.
    widths = [34 * mm, 11 * mm, 11.5 * mm, 18 * mm, 15.5 * mm, 10 * mm, 16 * mm, 14 * mm]
    widths += [11 * mm, 16 * mm, 17 * mm]
    right_aligned = [("ALIGN", (1, 1), (-1, -1), "RIGHT")]
    # In chunks: ReportLab splits one long table across pages in quadratic time
    # (RELIABILITY.md); each chunk repeats the heading.
    for start in range(0, len(body), OVERVIEW_CHUNK):
        overview = styles.record_table(
            [head, *body[start : start + OVERVIEW_CHUNK]], widths, extra=right_aligned
        )
        story.append(overview)
    for team in summary.teams:
        story.append(PageBreak())
        story += _service_team_story(team)
    meta = styles.RecordMeta(
        title="Service caseload summary",
        record_id=f"SUM-ALL-{summary.as_at:%Y%m%d}",
        created=_as_at_instant(summary.as_at),
        subject=f"Service caseload summary as at {uk_date(summary.as_at)}",
    )
    return styles.render_pdf(story, meta, style)


def _as_at_instant(as_at: dt.date) -> dt.datetime:
    """A summary's PDF is dated from its "as at" day, so re-running it gives the same bytes."""
    return dt.datetime(as_at.year, as_at.month, as_at.day, tzinfo=dt.UTC)
