"""The supervision record PDF (``reports.supervision_record``), parsed back with pypdf.

Records are built by hand from the plain dataclasses (fictional people and children), so each
test says exactly what the record holds and then reads the PDF's text for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from caseload_desktop.display import uk_date, uk_datetime
from caseload_desktop.domain.settings import RecordsStyle, logo_from_bytes
from caseload_desktop.domain.supervision import (
    ActionItem,
    ActionStatus,
    Addendum,
    CaseDiscussion,
    ReassignmentItem,
    SessionStatus,
    SnapshotCase,
    SupervisionRecord,
    record_id,
)
from caseload_desktop.reports import styles
from caseload_desktop.reports.supervision_record import record_story, supervision_record_pdf

MARKING = "OFFICIAL-SENSITIVE"
HELD_ON = dt.date(2026, 11, 26)
FINALISED = dt.datetime(2026, 11, 26, 15, 40, tzinfo=dt.UTC)
WORKER = "Zoë O'Brien"
MANAGER = "Łukasz Nowak-Dąbrowski"
CHILD = "Siân D'Arcy"
SNAPSHOT_HEAD = "Case ref Child Category Allocated since Next visit due Status"
CATEGORIES = ("CP", "CIN", "CLA", "Assessment", "Care leaver", "Referral")
CHILDREN = (
    CHILD,
    "Aarav Patel",
    "Chloé Müller",
    "Dylan Ó Súilleabháin",
    "Eliza Brown-Whitaker",
    "Fatima Begum",
    "Gruffydd ap Rhys",
    "Hana Nováková",
)
OWNERS = (WORKER, MANAGER, "Priya Shah")

PARAGRAPH = (
    "Visited at home with mother present; the house was warm and there was food in the "
    "cupboards. School reports better attendance (92% this half term) and the child said "
    "she feels listened to at the family-support group.\nThe core group meets on Tuesday."
)


def make_record(
    cases: int = 40,
    *,
    discussed: int = 8,
    actions: int = 12,
    status: SessionStatus = SessionStatus.FINAL,
    **changes: object,
) -> SupervisionRecord:
    """A record of ``cases`` open cases, ``discussed`` of them discussed, ``actions`` actions."""
    snapshot = tuple(
        SnapshotCase(
            case_ref=f"C-{100000 + number}",
            child=CHILDREN[number % len(CHILDREN)] if number else CHILD,
            category=CATEGORIES[number % len(CATEGORIES)],
            allocated_since=dt.date(2026, 1, 5) + dt.timedelta(days=3 * number),
            next_visit_due=(
                None if number % 9 == 4 else HELD_ON + dt.timedelta(days=(number % 17) - 6)
            ),
            status=(
                f"CP visit: {number % 5 + 2} working days overdue"
                if number % 7 == 0
                else ("CIN visit: due in 3 working days" if number % 5 == 1 else "")
            )
            if number != 3
            else "Assessment: 12 working days overdue; CP review: due in 2 working days",
        )
        for number in range(cases)
    )
    discussions = tuple(
        CaseDiscussion(
            case_ref=case.case_ref,
            child=case.child,
            category=case.category,
            current_position=PARAGRAPH,
            lived_experience=(
                "She says home is calmer since dad moved out; risk of neglect reduced to "
                "medium. Wishes and feelings work to be completed."
            ),
            decision=f"Step down to child in need plan for {case.child}.",
            rationale="" if number % 4 == 3 else "Two core groups with no new concerns.",
        )
        for number, case in enumerate(snapshot[:discussed])
    )
    action_items = tuple(
        ActionItem(
            action=f"Action {number + 1}: arrange the next core group and share the plan",
            owner=OWNERS[number % len(OWNERS)],
            due=HELD_ON + dt.timedelta(days=7 + number),
            case_ref=snapshot[number % cases].case_ref if number % 3 else None,
            status=ActionStatus.DONE if number % 6 == 5 else ActionStatus.OPEN,
        )
        for number in range(actions)
    )
    reassignments = (
        ReassignmentItem(
            case_ref="C-109001",
            child="Tomás Ní Bhriain",
            from_worker=WORKER,
            to_worker="Priya Shah",
            reason="MANAGE – managing caseloads",
            when=dt.datetime(2026, 11, 26, 14, 12, tzinfo=dt.UTC),
        ),
        ReassignmentItem(
            case_ref="C-109002",
            child="Ruby O'Connell",
            from_worker=None,
            to_worker=WORKER,
            reason="FCONTA – first contact or re-referral",
            when=dt.datetime(2026, 11, 26, 14, 20, tzinfo=dt.UTC),
        ),
    )
    final = status is SessionStatus.FINAL
    record = SupervisionRecord(
        record_id=record_id(42),
        worker=WORKER,
        worker_role="Senior practitioner",
        team="Assessment Team North",
        manager=MANAGER,
        held_on=HELD_ON,
        attendees=(WORKER, MANAGER),
        wellbeing=(
            "Zoë said the last month has been heavy after two court hearings.\n"
            "She is taking leave on Friday.\n\nWe agreed protected time for recording."
        ),
        workload="Caseload is above capacity; two CP cases to move this week.",
        snapshot=snapshot,
        discussions=discussions,
        actions=action_items,
        reassignments=reassignments,
        next_supervision=HELD_ON + dt.timedelta(days=28),
        status=status,
        finalised_at=FINALISED if final else None,
        finalised_by=MANAGER if final else None,
        worker_signed=WORKER if final else None,
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


# --- Reading PDFs ------------------------------------------------------------------------------


def flat(text: str) -> str:
    """Text with every run of whitespace as one space: cells and paragraphs wrap over lines."""
    return " ".join(text.split())


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


# What every page carries after its content (drawn last, so read last): the markings, the
# council, the title, the record ID, the footer and page X of Y, and on a draft its notice.
PAGE_FURNITURE = re.compile(
    r"OFFICIAL-SENSITIVE|Northshire County Council|Supervision record|Record ID: SUP-\d+|"
    r"Supervision record · SUP-\d+|Page \d+ of \d+|DRAFT – not finalised|DRAFT"
)


def body_text(pages: list[str]) -> str:
    """The record's text as one flat run, without what each page repeats around it: text that
    continues onto the next page reads on without a break."""
    bodies = []
    for text in pages:
        lines = text.splitlines()
        while lines and PAGE_FURNITURE.fullmatch(lines[-1].strip()):
            lines.pop()
        bodies.append(" ".join(lines))
    return flat(" ".join(bodies))


def png_bytes(colour: str = "#1f4e79") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 80), colour).save(buffer, format="PNG")
    return buffer.getvalue()


STYLE = RecordsStyle(council_name="Northshire County Council")


@pytest.fixture(scope="module")
def big() -> tuple[SupervisionRecord, bytes, list[str]]:
    """A 120-case record: 20 cases discussed, 30 actions."""
    record = make_record(120, discussed=20, actions=30)
    data = supervision_record_pdf(record, STYLE)
    return record, data, pages_text(data)


@pytest.fixture(scope="module")
def small() -> tuple[SupervisionRecord, bytes, list[str]]:
    record = make_record(12, discussed=3, actions=4)
    data = supervision_record_pdf(record, STYLE)
    return record, data, pages_text(data)


# --- What the record shows -----------------------------------------------------------------------


def test_the_worker_every_snapshot_case_and_every_action_come_out_as_text(
    big: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    record, _data, pages = big
    text = flat(" ".join(pages))
    assert text.startswith(f"Supervision record {WORKER} · Assessment Team North · held on ")
    for case in record.snapshot:
        row = flat(
            f"{case.case_ref} {case.child} {case.category} {uk_date(case.allocated_since)} "
            f"{uk_date(case.next_visit_due)} {case.status}"
        )
        assert row in text, row
    for action in record.actions:
        row = flat(
            f"{action.action} {action.owner} {uk_date(action.due)} {action.case_ref or '—'} "
            f"{action.status.value.capitalize()}"
        )
        assert row in text, row
    assert f"Caseload on {uk_date(HELD_ON)}" in text
    assert "120 open cases held on the day; 19 with a visit or timescale overdue." in text
    assert f"Actions ({len(record.actions)})" in text


def test_the_title_block_names_worker_manager_date_and_status(
    small: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    _record, _data, pages = small
    first = flat(pages[0])
    for part in (
        f"Worker {WORKER}",
        f"Supervisor {MANAGER}",
        "Role Senior practitioner",
        "Date held 26 Nov 2026",
        "Team Assessment Team North",
        "Next supervision 24 Dec 2026",
        f"Attendees {WORKER}, {MANAGER}",
        f"Status Final, signed off {uk_datetime(FINALISED)} by {MANAGER}",
    ):
        assert part in first, part


def test_each_case_discussed_has_its_section_with_labelled_blocks(
    small: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    record, _data, pages = small
    text = body_text(pages)
    assert "Cases discussed (3)" in text
    for case in record.discussions:
        section = flat(
            f"{case.case_ref} · {case.child} {case.category} "
            f"Current position {case.current_position} "
            f"The child's lived experience and risk {case.lived_experience} "
            f"Decision {case.decision} "
            f"Rationale {case.rationale or 'Not recorded.'}"
        )
        assert section in text, section


def test_reassignments_sign_off_and_free_text_come_out(
    small: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    record, _data, pages = small
    text = flat(" ".join(pages))
    assert flat(record.wellbeing) in text
    assert flat(record.workload) in text
    for item in record.reassignments:
        row = flat(
            f"{item.case_ref} {item.child} {item.from_worker or 'Queue (unallocated)'} "
            f"{item.to_worker or 'Queue (unallocated)'} {item.reason} {uk_datetime(item.when)}"
        )
        assert row in text, row
    assert (
        f"Sign-off Supervisor {MANAGER} Signed off {uk_datetime(FINALISED)} "
        f"Worker {WORKER} Signed by the worker."
    ) in text


def test_line_breaks_in_free_text_are_kept(
    small: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    _record, _data, pages = small
    lines = [line.strip() for line in "\n".join(pages).splitlines()]
    assert "Zoë said the last month has been heavy after two court hearings." in lines
    assert "She is taking leave on Friday." in lines
    assert "We agreed protected time for recording." in lines


def test_names_with_diacritics_and_apostrophes_come_out_as_text(
    small: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    _record, _data, pages = small
    text = flat(" ".join(pages))
    for name in (WORKER, MANAGER, CHILD, "Dylan Ó Súilleabháin", "Tomás Ní Bhriain"):
        assert name in text, name


def test_every_page_has_the_marking_top_and_bottom_and_page_x_of_y(
    big: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    record, _data, pages = big
    assert len(pages) >= 5
    assert f"Page 1 of {len(pages)}" in pages[0]
    for number, text in enumerate(pages, start=1):
        assert text.count(MARKING) >= 2, number
        assert f"Page {number} of {len(pages)}" in text
        assert f"Record ID: {record.record_id}" in text
        assert "Northshire County Council" in text
        assert "DRAFT" not in text


def test_a_120_case_caseload_spans_pages_repeating_its_heading(
    big: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    record, _data, pages = big
    refs = [case.case_ref for case in record.snapshot]
    elsewhere = {case.case_ref for case in record.discussions}
    elsewhere |= {action.case_ref for action in record.actions if action.case_ref}
    snapshot_only = [ref for ref in refs if ref not in elsewhere]
    assert len(snapshot_only) >= 80
    # The pages the caseload table is on: those holding a case that is in no other section.
    holding = [n for n, text in enumerate(pages) if any(ref in text for ref in snapshot_only)]
    start = next(n for n, text in enumerate(pages) if "Caseload on 26 Nov 2026" in text)
    assert holding[-1] - start >= 2
    assert holding == list(range(holding[0], holding[-1] + 1))
    assert "(continued)" not in pages[start]
    for n in range(start, holding[-1] + 1):
        assert SNAPSHOT_HEAD in flat(pages[n]), n
        if n > start:
            assert "Caseload on 26 Nov 2026 (continued)" in pages[n], n
    # Every row is whole on one page, in order.
    for ref in snapshot_only:
        assert sum(text.count(ref) for text in pages) == 1, ref
    order = [flat(" ".join(pages)).find(f"{ref} ") for ref in refs[:5]]
    assert order == sorted(order)


def test_overdue_statuses_and_only_those_are_in_the_alert_colour() -> None:
    record = make_record(40, discussed=2, actions=2)
    grids = [
        f
        for f in record_story(record)
        if isinstance(f, styles.Grid) and f.columns[0].heading == "Case ref"
    ]
    assert len(grids) == 1
    overdue = {n for n, case in enumerate(record.snapshot) if "overdue" in case.status}
    assert len(overdue) == 7
    assert grids[0].colours == {(n, 5): styles.ALERT for n in overdue}


# --- Reproducible bytes ---------------------------------------------------------------------------


def test_two_renders_of_the_same_record_are_byte_identical(
    big: tuple[SupervisionRecord, bytes, list[str]],
) -> None:
    record, data, _pages = big
    assert supervision_record_pdf(record, STYLE) == data
    info = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20261126154000")
    assert info["/Title"] == "Supervision record"
    assert WORKER in info["/Subject"]


def test_changing_one_word_of_a_decision_changes_the_bytes() -> None:
    record = make_record(12, discussed=3, actions=4)
    first = record.discussions[1]
    changed = dataclasses.replace(
        record,
        discussions=(
            record.discussions[0],
            dataclasses.replace(first, decision=first.decision.replace("Step", "Stay")),
            *record.discussions[2:],
        ),
    )
    assert supervision_record_pdf(record, STYLE) != supervision_record_pdf(changed, STYLE)
    assert "Stay down to child" in flat(
        " ".join(pages_text(supervision_record_pdf(changed, STYLE)))
    )


# --- Drafts --------------------------------------------------------------------------------------


def test_a_draft_says_draft_on_every_page_and_has_no_sign_off() -> None:
    record = make_record(120, discussed=6, actions=5, status=SessionStatus.DRAFT)
    data = supervision_record_pdf(record, STYLE)
    pages = pages_text(data)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "DRAFT – not finalised" in text, number
        assert text.count(MARKING) >= 2
    text = flat(" ".join(pages))
    assert "Status DRAFT – not finalised" in text
    assert "Not yet signed off: this record is a draft." in text
    assert f"Worker {WORKER} Not yet signed by the worker. Signature and date" in text
    info = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20261126000000")
    assert supervision_record_pdf(record, STYLE) == data


# --- Hostile and awkward text --------------------------------------------------------------------


def test_markup_like_text_comes_out_literally() -> None:
    html = "<b>x</b> & y"
    record = make_record(3, discussed=1, actions=1)
    record = dataclasses.replace(
        record,
        wellbeing=f"Wellbeing {html}",
        discussions=(dataclasses.replace(record.discussions[0], decision=f"Decided {html}"),),
        actions=(dataclasses.replace(record.actions[0], action=f"Act {html}"),),
        snapshot=(dataclasses.replace(record.snapshot[0], child=f"Child {html}"),),
    )
    text = flat(" ".join(pages_text(supervision_record_pdf(record, STYLE))))
    for expected in ("Wellbeing", "Decided", "Act", "Child"):
        assert f"{expected} {html}" in text, expected


def test_long_free_text_and_long_cells_wrap_and_split_across_pages() -> None:
    essay = " ".join(
        f"Sentence {n} about the child's week at school and at home." for n in range(400)
    )
    long_action = "Chase " + "the health visitor and the school nurse " * 120
    unbroken = "X" * 300
    record = make_record(5, discussed=1, actions=1)
    record = dataclasses.replace(
        record,
        workload=essay,
        actions=(dataclasses.replace(record.actions[0], action=long_action, owner=unbroken),),
    )
    pages = pages_text(supervision_record_pdf(record, STYLE))
    text = body_text(pages)
    assert len(pages) >= 3
    assert "Sentence 0 about" in text and "Sentence 399 about" in text
    # The action's rows: the first with its owner, due date and case; then the rest of it.
    assert text.count("visitor") == text.count("nurse") == 120
    assert text.index("Chase the health visitor") < text.index("XXX")
    assert "".join(re.findall(r"X+", text)) == unbroken


def test_an_empty_record_says_none_where_there_is_nothing() -> None:
    record = make_record(
        0,
        discussed=0,
        actions=0,
        reassignments=(),
        wellbeing="",
        workload=" \n ",
        next_supervision=None,
        worker_signed=None,
    )
    text = flat(" ".join(pages_text(supervision_record_pdf(record, STYLE))))
    assert "Wellbeing Not recorded. Workload Not recorded." in text
    assert "The worker held no open case on the day." in text
    assert "Cases discussed (0)" in text
    assert "Actions (0) None." in text
    assert "Cases reassigned in this session None." in text
    assert "Next supervision Not set" in text
    assert f"Worker {WORKER} Not yet signed by the worker. Signature and date" in text


def test_addenda_are_listed_with_who_and_when() -> None:
    record = make_record(
        5,
        discussed=1,
        actions=1,
        addenda=(
            Addendum(
                "Mother called: the core group moved to Thursday.",
                dt.datetime(2026, 11, 30, 9, 5, tzinfo=dt.UTC),
                MANAGER,
            ),
        ),
    )
    text = flat(" ".join(pages_text(supervision_record_pdf(record, STYLE))))
    when = uk_datetime(dt.datetime(2026, 11, 30, 9, 5, tzinfo=dt.UTC))
    assert (
        f"Addenda (1) Added after the record was finalised; the record above is unchanged. "
        f"Added {when} by {MANAGER} Mother called: the core group moved to Thursday."
    ) in text


# --- The council's look, and writing the file ----------------------------------------------------


def test_the_council_name_and_a_png_logo_appear_on_every_page() -> None:
    style = RecordsStyle(council_name="Plant Tŷ & Teulu Council", logo=logo_from_bytes(png_bytes()))
    data = supervision_record_pdf(make_record(120, discussed=4, actions=4), style)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 3
    for page in reader.pages:
        assert "Plant Tŷ & Teulu Council" in page.extract_text()
        assert len(page.images) == 1
    image = reader.pages[-1].images[0].image
    assert image is not None and image.size == (160, 80)


def test_write_pdf_puts_the_record_in_place_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    data = supervision_record_pdf(make_record(12, discussed=2, actions=2), STYLE)
    target = tmp_path / "SUP-000042.pdf"
    digest = styles.write_pdf(data, target)
    again = styles.write_pdf(
        supervision_record_pdf(make_record(12, discussed=2, actions=2), STYLE), target
    )
    assert digest == again == hashlib.sha256(data).hexdigest()
    assert target.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["SUP-000042.pdf"]


def test_every_table_fits_the_page_and_no_heading_word_breaks() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from caseload_desktop.reports import supervision_record as module

    padding = 2 * styles.Grid.PADDING
    for columns in (
        module.SNAPSHOT_COLUMNS,
        module.ACTION_COLUMNS,
        module.REASSIGNMENT_COLUMNS,
    ):
        assert sum(width for _, width in columns) == pytest.approx(module.TEXT_WIDTH)
        for heading, width in columns:
            for word in heading.split():
                assert stringWidth(word, styles.FONT_BOLD, 8) + padding <= width, heading
    days = [dt.date(2026, month, 28) for month in range(1, 13)]
    fits = [
        ("C-100123", "Case ref", module.SNAPSHOT_COLUMNS),
        ("Eliza Brown-Whitaker", "Child", module.SNAPSHOT_COLUMNS),
        ("Assessment", "Category", module.SNAPSHOT_COLUMNS),
        ("CP visit: 12 working days overdue", "Status", module.SNAPSHOT_COLUMNS),
        *((uk_date(day), "Allocated\nsince", module.SNAPSHOT_COLUMNS) for day in days),
        *((uk_date(day), "Next visit\ndue", module.SNAPSHOT_COLUMNS) for day in days),
        *((uk_date(day), "Due", module.ACTION_COLUMNS) for day in days),
        *((f"{uk_date(day)} 23:59", "When", module.REASSIGNMENT_COLUMNS) for day in days),
    ]
    for value, heading, columns in fits:
        width = dict(columns)[heading]
        assert stringWidth(value, styles.FONT, styles.GRID_FONT_SIZE) + padding <= width, value


def test_wrap_text_breaks_between_words_and_inside_a_word_only_when_it_must() -> None:
    width = 80.0  # "Nowak-Dąbrowski" (76 pt) fits; eighty X's do not
    wrapped = styles.wrap_text("Zoë O'Brien and Łukasz Nowak-Dąbrowski\n" + "X" * 80, width)
    lines = wrapped.split("\n")
    assert len(lines) > 5
    assert all(
        styles.pdfmetrics.stringWidth(line, styles.FONT, styles.GRID_FONT_SIZE) <= width
        for line in lines
    )
    words = [line for line in lines if "X" not in line]
    assert " ".join(words).split() == ["Zoë", "O'Brien", "and", "Łukasz", "Nowak-Dąbrowski"]
    assert "".join(line for line in lines if "X" in line) == "X" * 80
