"""The supervision record PDF: one worker's supervision session, as the council files it.

Built from a ``domain.supervision.SupervisionRecord`` only (DOMAIN.md, "A supervision
record"); the page look (marking top and bottom, council name and logo, record ID, page X of
Y, embedded DejaVu Sans, reproducible bytes) comes from ``styles``. The record's order follows
council templates: who and when; the worker's wellbeing and workload; the caseload as it stood
that day; each case discussed (current position, the child's lived experience and risk, the
decision and its rationale); actions; cases reassigned in the session; sign-off; addenda.

A finalised record is dated from its finalisation, so the same record always gives the same
bytes (their SHA-256 is stored with it). A draft is dated from the day it was held and says
"DRAFT – not finalised" on every page.

Tables are ``styles.Grid``s (plain text drawn straight on the canvas, split across pages with
the heading repeated): a 120-case caseload stays quick, and long cells are wrapped beforehand
with ``styles.wrap_text``. Free text (wellbeing, workload, discussions, addenda) is set in
paragraphs that wrap and split across pages, keeping the writer's line breaks.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Table,
    TableStyle,
)

from caseload_desktop.display import uk_date, uk_datetime
from caseload_desktop.domain.settings import RecordsStyle
from caseload_desktop.domain.supervision import (
    ActionItem,
    ActionStatus,
    CaseDiscussion,
    ReassignmentItem,
    SnapshotCase,
    SupervisionRecord,
)
from caseload_desktop.reports import styles

TITLE = "Supervision record"
DRAFT_NOTICE = "DRAFT – not finalised"
NOT_RECORDED = "Not recorded."
#: The width of the page's text: A4 less the margins (174 mm), less the 6 pt a platypus frame
#: pads each side with, so tables end on the header's rule: about 170 mm.
FRAME_PADDING = 6.0
TEXT_WIDTH = styles.PAGE_SIZE[0] - 2 * styles.MARGIN - 2 * FRAME_PADDING
#: A table row taller than this many lines is carried on in the next row, so no row is ever
#: taller than a page (a ``Grid`` row cannot split).
MAX_ROW_LINES = 20
#: A section heading's height with the space around it; and the height of table (about eight
#: rows) a heading keeps with it at the foot of a page, or the whole table if it is shorter.
HEADING_ROOM = 16 * mm
TABLE_START_ROOM = 40 * mm


def _columns(*columns: tuple[str, float | None]) -> tuple[tuple[str, float], ...]:
    """Column headings and widths; the one width given as None takes what is left."""
    rest = TEXT_WIDTH - sum(width or 0 for _, width in columns)
    return tuple((heading, rest if width is None else width) for heading, width in columns)


# Column widths, measured with ``pdfmetrics.stringWidth`` (the tests check them): every
# heading word fits its column (bold 8 pt; a heading of two words may take two lines), and so,
# at 8.5 pt with the cell padding, do the widest date ("28 May 2026", 21.7 mm), date and time
# ("28 May 2026 14:20", 31.3 mm), case ref ("C-100123", 16.7 mm), category ("Assessment",
# 20.1 mm) and a usual status ("CP visit: 12 working days overdue", 53.1 mm). Names, actions,
# reasons and longer statuses wrap between words.
SNAPSHOT_COLUMNS = _columns(
    ("Case ref", 17.5 * mm),
    ("Child", 34.5 * mm),
    ("Category", 20.5 * mm),
    ("Allocated\nsince", 22 * mm),
    ("Next visit\ndue", 22 * mm),
    ("Status", None),
)
ACTION_COLUMNS = _columns(
    ("Action", None),
    ("Owner", 35 * mm),
    ("Due", 22 * mm),
    ("Case", 19 * mm),
    ("Status", 14 * mm),
)
REASSIGNMENT_COLUMNS = _columns(
    ("Case", 18 * mm),
    ("Child", 28 * mm),
    ("From", 26 * mm),
    ("To", 26 * mm),
    ("Reason", None),
    ("When", 31.5 * mm),
)
QUEUE = "Queue (unallocated)"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# --- Text -------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Free text as typed: Windows and old Mac line ends as ``\\n``, tabs as spaces, other
    control characters (which no font can show) dropped, trailing space trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROL.sub("", text).strip()


def _markup(text: str) -> str:
    """Plain text as paragraph markup: ``<``, ``>`` and ``&`` escaped, line breaks kept."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br/>")


def _style(name: str) -> ParagraphStyle:
    return _styles()[name]


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    """The record's own paragraph styles, built on the shared ones."""
    base = styles.paragraph_styles()
    body = base["body"]
    return {
        "title": base["title"],
        "subtitle": ParagraphStyle("sup_subtitle", parent=base["subtitle"], spaceAfter=3 * mm),
        "heading": ParagraphStyle(
            "sup_heading",
            parent=base["heading"],
            spaceBefore=7 * mm,
            spaceAfter=2.5 * mm,
        ),
        # No paragraph leaves its last line alone at the top of a page.
        "body": ParagraphStyle("sup_body", parent=body, spaceAfter=2 * mm, allowWidows=0),
        "none": ParagraphStyle(
            "sup_none", parent=body, fontName=styles.FONT_ITALIC, textColor=styles.MUTED
        ),
        "label": ParagraphStyle(
            "sup_label",
            parent=body,
            fontName=styles.FONT_BOLD,
            fontSize=8.5,
            leading=11,
            textColor=styles.ACCENT,
            spaceBefore=2.5 * mm,
            spaceAfter=0.8 * mm,
        ),
        "field": ParagraphStyle(
            "sup_field", parent=body, fontSize=8, leading=10, textColor=styles.MUTED
        ),
        "value": ParagraphStyle("sup_value", parent=body, fontSize=9.5, leading=12),
        "case": ParagraphStyle(
            "sup_case", parent=body, fontName=styles.FONT_BOLD, fontSize=10, leading=13
        ),
        "case_category": ParagraphStyle(
            "sup_case_category", parent=body, fontSize=9, leading=13, alignment=2
        ),
        "note": base["note"],
    }


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(_markup(text), _style(style))


def _free_text(text: str, style: str = "body") -> list[Flowable]:
    """Free text as paragraphs: a blank line starts a new paragraph, a single line break is
    kept as one; nothing written shows as "Not recorded." in italics."""
    text = _clean(text)
    if not text:
        return [_p(NOT_RECORDED, "none")]
    paragraphs = [part.strip("\n") for part in re.split(r"\n[ \t]*\n", text)]
    return [_p(part, style) for part in paragraphs if part.strip()]


def _heading(text: str, room: float = 30 * mm) -> list[Flowable]:
    """A section's heading, on a new page unless ``room`` is left for it and the start of
    its content. (Not ``keepWithNext``: platypus would keep the heading with all of a long
    table or paragraph, leaving half a page empty before it.)"""
    return [CondPageBreak(room), _p(text, "heading")]


def _table_room(grid: styles.Grid, above: float = 0.0) -> float:
    """The room a table's heading asks for: the heading, ``above`` (a line of text between
    them), and the whole table if it is short (a short table is not split over two pages),
    else its first rows."""
    height = grid.wrap(TEXT_WIDTH, styles.PAGE_SIZE[1])[1]
    return HEADING_ROOM + above + min(height, TABLE_START_ROOM)


def _labelled(label: str, text: str) -> list[Flowable]:
    """A label over its free text, the label never alone at the foot of a page."""
    return [CondPageBreak(14 * mm), _p(label, "label"), *_free_text(text)]


# --- Building blocks --------------------------------------------------------------------------


def _grid(
    columns: Sequence[tuple[str, float]],
    rows: Sequence[Sequence[str]],
    *,
    colours: dict[tuple[int, int], Any] | None = None,
    continued: str = "",
) -> styles.Grid:
    """A grid of ``rows`` with every cell wrapped to its column; a row taller than
    ``MAX_ROW_LINES`` lines goes on in the rows after it (a grid's row cannot split)."""
    padding = 2 * styles.Grid.PADDING
    wrapped_rows: list[list[str]] = []
    wrapped_colours: dict[tuple[int, int], Any] = {}
    for number, row in enumerate(rows):
        cells = [
            styles.wrap_text(_clean(cell), width - padding).split("\n")
            for cell, (_, width) in zip(row, columns, strict=True)
        ]
        tallest = max(len(lines) for lines in cells)
        for start in range(0, tallest, MAX_ROW_LINES):
            for index in range(len(columns)):
                if colours and (number, index) in colours:
                    wrapped_colours[(len(wrapped_rows), index)] = colours[(number, index)]
            wrapped_rows.append(
                ["\n".join(lines[start : start + MAX_ROW_LINES]) for lines in cells]
            )
    return styles.Grid(
        [styles.GridColumn(heading, width) for heading, width in columns],
        wrapped_rows,
        colours=wrapped_colours,
        continued=continued,
    )


def _details(record: SupervisionRecord) -> Flowable:
    """Who, when and where the record stands, in a shaded box of labelled fields."""

    def field(label: str) -> Paragraph:
        return _p(label, "field")

    def value(text: str, style: str = "value") -> Paragraph:
        return _p(text or "—", style)

    if record.is_final:
        status = "Final"
        if record.finalised_at is not None:
            status += f", signed off {uk_datetime(record.finalised_at)}"
        if record.finalised_by:
            status += f" by {record.finalised_by}"
        status_cell = value(status)
    else:
        status_cell = Paragraph(
            _markup(DRAFT_NOTICE),
            ParagraphStyle(
                "sup_draft",
                parent=_style("value"),
                fontName=styles.FONT_BOLD,
                textColor=styles.ALERT,
            ),
        )
    attendees = ", ".join(a for a in (_clean(a) for a in record.attendees) if a)
    rows: list[list[Any]] = [
        [field("Worker"), value(record.worker), field("Supervisor"), value(record.manager)],
        [
            field("Role"),
            value(record.worker_role),
            field("Date held"),
            value(uk_date(record.held_on)),
        ],
        [
            field("Team"),
            value(record.team),
            field("Next supervision"),
            value(uk_date(record.next_supervision) or "Not set"),
        ],
        [field("Attendees"), value(attendees), "", ""],
        [field("Status"), status_cell, "", ""],
    ]
    label, half = 26 * mm, TEXT_WIDTH / 2
    table = Table(
        rows,
        colWidths=[label, half - label, label + 4 * mm, half - label - 4 * mm],
        hAlign="LEFT",
        style=TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), styles.BAND),
                ("BOX", (0, 0), (-1, -1), 0.6, styles.RULE),
                ("LINEABOVE", (0, 0), (-1, 0), 1.6, styles.ACCENT),
                ("LINEABOVE", (0, 3), (-1, 3), 0.25, styles.RULE),
                ("SPAN", (1, 3), (-1, 3)),
                ("SPAN", (1, 4), (-1, 4)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.2),
                ("TOPPADDING", (0, 0), (-1, 0), 6),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                # Labels sit on the values' baseline (8 pt beside 9.5 pt).
                ("TOPPADDING", (0, 0), (0, -1), 4.6),
                ("TOPPADDING", (2, 0), (2, -1), 4.6),
                ("TOPPADDING", (0, 0), (0, 0), 7.4),
                ("TOPPADDING", (2, 0), (2, 0), 7.4),
            ]
        ),
    )
    return table


def _snapshot(record: SupervisionRecord) -> list[Flowable]:
    cases = record.snapshot
    title = f"Caseload on {uk_date(record.held_on)}"
    if not cases:
        return [*_heading(title), _p("The worker held no open case on the day.", "none")]
    overdue = [c for c in cases if _is_overdue(c)]
    summary = f"{_count(len(cases), 'open case')} held on the day"
    summary += f"; {len(overdue)} with a visit or timescale overdue." if overdue else "."
    rows = [
        [
            c.case_ref,
            c.child,
            c.category,
            uk_date(c.allocated_since),
            uk_date(c.next_visit_due),
            c.status,
        ]
        for c in cases
    ]
    colours = {(number, 5): styles.ALERT for number, c in enumerate(cases) if _is_overdue(c)}
    grid = _grid(SNAPSHOT_COLUMNS, rows, colours=colours, continued=f"{title} (continued)")
    return [*_heading(title, _table_room(grid, 7 * mm)), _p(summary), grid]


def _is_overdue(case: SnapshotCase) -> bool:
    return "overdue" in case.status.lower()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _discussion(case: CaseDiscussion, first: bool) -> list[Flowable]:
    """One case discussed: a shaded bar naming the case, then its four labelled blocks."""
    bar = Table(
        [
            [
                _p(f"{case.case_ref}  ·  {case.child}", "case"),
                _p(case.category, "case_category"),
            ]
        ],
        colWidths=[TEXT_WIDTH - 45 * mm, 45 * mm],
        hAlign="LEFT",
        spaceBefore=0 if first else 5 * mm,
        style=TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), styles.HEADER_FILL),
                ("LINEBEFORE", (0, 0), (0, 0), 2.5, styles.ACCENT),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ]
        ),
    )
    # The bar starts a page unless there is room under it for a block's first lines (the
    # first case's room is the section heading's).
    story: list[Flowable] = [] if first else [CondPageBreak(32 * mm)]
    story.append(bar)
    for label, text in (
        ("Current position", case.current_position),
        ("The child's lived experience and risk", case.lived_experience),
        ("Decision", case.decision),
        ("Rationale", case.rationale),
    ):
        story += _labelled(label, text)
    return story


def _discussions(record: SupervisionRecord) -> list[Flowable]:
    story = _heading(f"Cases discussed ({len(record.discussions)})", 50 * mm)
    if not record.discussions:
        story.append(_p("No case was discussed individually in this session.", "none"))
    for number, case in enumerate(record.discussions):
        story += _discussion(case, first=number == 0)
    return story


def _actions(actions: Sequence[ActionItem]) -> list[Flowable]:
    title = f"Actions ({len(actions)})"
    if not actions:
        return [*_heading(title), _p("None.", "none")]
    rows = [
        [
            a.action,
            a.owner,
            uk_date(a.due) or "No date",
            a.case_ref or "—",
            "Done" if a.status is ActionStatus.DONE else "Open",
        ]
        for a in actions
    ]
    grid = _grid(ACTION_COLUMNS, rows, continued="Actions (continued)")
    return [*_heading(title, _table_room(grid)), grid]


def _reassignments(items: Sequence[ReassignmentItem]) -> list[Flowable]:
    title = "Cases reassigned in this session"
    if not items:
        return [*_heading(title), _p("None.", "none")]
    rows = [
        [
            r.case_ref,
            r.child,
            r.from_worker or QUEUE,
            r.to_worker or QUEUE,
            r.reason,
            uk_datetime(r.when),
        ]
        for r in items
    ]
    grid = _grid(REASSIGNMENT_COLUMNS, rows, continued=f"{title} (continued)")
    return [*_heading(title, _table_room(grid)), grid]


def _signature_line() -> Flowable:
    return Table(
        [[""]],
        colWidths=[62 * mm],
        rowHeights=[9 * mm],
        hAlign="LEFT",
        style=TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.6, styles.INK)]),
    )


def _sign_off(record: SupervisionRecord) -> list[Flowable]:
    """Two boxes side by side, laid out alike: the supervisor's sign-off and the worker's
    signature; whoever has not signed gets a line to sign on."""
    supervisor: list[Flowable] = [_p("Supervisor", "label")]
    if record.is_final:
        supervisor += [
            _p(record.finalised_by or record.manager, "value"),
            _p(f"Signed off {uk_datetime(record.finalised_at)}".strip(), "field"),
        ]
    else:
        supervisor += [
            _p(record.manager, "value"),
            _p("Not yet signed off: this record is a draft.", "field"),
            _signature_line(),
            _p("Signature and date", "field"),
        ]
    worker: list[Flowable] = [_p("Worker", "label")]
    if record.worker_signed:
        worker += [_p(record.worker_signed, "value"), _p("Signed by the worker.", "field")]
    else:
        worker += [
            _p(record.worker, "value"),
            _p("Not yet signed by the worker.", "field"),
            _signature_line(),
            _p("Signature and date", "field"),
        ]
    half = TEXT_WIDTH / 2
    boxes = Table(
        [[supervisor, worker]],
        colWidths=[half - 2 * mm, half + 2 * mm],
        hAlign="LEFT",
        style=TableStyle(
            [
                ("BOX", (0, 0), (0, 0), 0.6, styles.RULE),
                ("BOX", (1, 0), (1, 0), 0.6, styles.RULE),
                ("BACKGROUND", (0, 0), (-1, -1), styles.BAND),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        ),
    )
    return [KeepTogether([_p("Sign-off", "heading"), boxes])]


def _addenda(record: SupervisionRecord) -> list[Flowable]:
    if not record.addenda:
        return []
    story: list[Flowable] = [
        # Room for the heading, its note and the first addendum's label and opening lines.
        *_heading(f"Addenda ({len(record.addenda)})", room=48 * mm),
        _p(
            "Added after the record was finalised; the record above is unchanged.",
            "note",
        ),
    ]
    for addendum in sorted(record.addenda, key=lambda a: a.added_at):
        story += _labelled(
            f"Added {uk_datetime(addendum.added_at)} by {addendum.added_by}", addendum.text
        )
    return story


# --- The document -----------------------------------------------------------------------------


def record_story(record: SupervisionRecord) -> list[Flowable]:
    """The record's flowables, in the order council templates use."""
    subtitle = f"{record.worker} · {record.team} · held on {uk_date(record.held_on)}"
    story: list[Flowable] = [
        _p(TITLE, "title"),
        _p(subtitle, "subtitle"),
        _details(record),
        *_heading("Wellbeing"),
        *_free_text(record.wellbeing),
        *_heading("Workload"),
        *_free_text(record.workload),
        *_snapshot(record),
        *_discussions(record),
        *_actions(record.actions),
        *_reassignments(record.reassignments),
        *_sign_off(record),
        *_addenda(record),
    ]
    return story


def record_meta(record: SupervisionRecord) -> styles.RecordMeta:
    """The record's identity on every page and in the PDF's properties. A final record is
    dated from its finalisation; a draft from midnight (UTC) of the day it was held."""
    if record.is_final and record.finalised_at is not None:
        created = record.finalised_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
    else:
        held = record.held_on
        created = dt.datetime(held.year, held.month, held.day, tzinfo=dt.UTC)
    draft = not record.is_final
    return styles.RecordMeta(
        title=TITLE,
        record_id=record.record_id,
        created=created,
        subject=f"Supervision record of {record.worker}, held on {uk_date(record.held_on)}",
        author=record.manager,
        notice=DRAFT_NOTICE if draft else "",
        watermark="DRAFT" if draft else "",
    )


def supervision_record_pdf(record: SupervisionRecord, style: RecordsStyle) -> bytes:
    """The PDF bytes of ``record`` as a record of the council (``style``): the same record
    gives the same bytes."""
    return styles.render_pdf(record_story(record), record_meta(record), style)
