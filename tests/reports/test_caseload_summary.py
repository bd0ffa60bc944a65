"""The caseload summary PDF (``reports.caseload_summary``), parsed back with pypdf.

Summaries come from copies of the session's demo database (1000 cases, seed 7, as at Thursday
26 Nov 2026). What each PDF must show is taken from the CLI's read commands (``caseloads``,
``queue``, ``cases``), so a figure or a name the PDF leaves out or gets wrong shows up here. The
inspection team's PDF and the service PDF are rendered once for this module; tests that change
the database (names, settings) render their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image

from caseload_desktop import cli
from caseload_desktop.display import uk_date
from caseload_desktop.domain.categories import Category, Role
from caseload_desktop.domain.due import DueStatus
from caseload_desktop.reports.caseload_summary import service_summary_pdf, team_summary_pdf
from caseload_desktop.services import settings as settings_service
from caseload_desktop.services.summaries import ServiceSummary, TeamSummary, service_summary
from caseload_desktop.services.summaries import team_summary as make_team_summary
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.store.engine import open_database
from tests.conftest import raw_sqlite

TODAY = dt.date(2026, 11, 26)
MARKING = "OFFICIAL-SENSITIVE"
SMALL_TEAM = "Care Leavers South"  # two pages: quick to render
TEAM_WITH_DUE = "Children in Care South"


# --- Reading PDFs ------------------------------------------------------------------------------


def flat(text: str) -> str:
    """Text with every run of whitespace as one space: table cells wrap over lines."""
    return " ".join(text.split())


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def images_per_page(data: bytes) -> list[int]:
    return [len(page.images) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def team_ids(path: Path) -> dict[str, int]:
    with raw_sqlite(path) as connection:
        return dict(connection.execute("SELECT name, id FROM teams ORDER BY name"))


@dataclasses.dataclass(frozen=True)
class Rendered:
    path: Path
    summary: Any
    data: bytes
    pages: list[str]

    @property
    def text(self) -> str:
        return flat(" ".join(self.pages))


@pytest.fixture(scope="module")
def module_db(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("summary-pdf") / "demo.db"
    shutil.copyfile(demo_template, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CASELOAD_TODAY", TODAY.isoformat())
        patch.setenv("CASELOAD_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        yield path


def render_team(path: Path, team: str) -> Rendered:
    db, _ = open_database(path)
    try:
        settings = settings_service.load_settings(db)
        summary = make_team_summary(db, team_ids(path)[team], today=TODAY, rules=settings.rules)
        data = team_summary_pdf(summary, settings.records)
    finally:
        db.close()
    return Rendered(path, summary, data, pages_text(data))


@pytest.fixture(scope="module")
def inspection(module_db: Path) -> Rendered:
    return render_team(module_db, INSPECTION_TEAM)


@pytest.fixture(scope="module")
def service(module_db: Path) -> Rendered:
    db, _ = open_database(module_db)
    try:
        settings = settings_service.load_settings(db)
        summary = service_summary(db, today=TODAY, rules=settings.rules)
        data = service_summary_pdf(summary, settings.records)
    finally:
        db.close()
    return Rendered(module_db, summary, data, pages_text(data))


# --- The CLI, for what the PDF must show ---------------------------------------------------------


CaseloadJson = Callable[..., Any]


@pytest.fixture
def caseload(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """``caseload ARGS... --db PATH``: exit status and stdout (stderr must be empty)."""

    def run(*argv: object, db: Path) -> tuple[int, str]:
        capsys.readouterr()
        out = io.StringIO()
        status = cli.main([*(str(a) for a in argv), "--db", str(db)], out=out)
        err = capsys.readouterr().err
        assert err == "", err
        return status, out.getvalue()

    return run


@pytest.fixture
def caseload_json(caseload: Callable[..., tuple[int, str]]) -> CaseloadJson:
    def run(*argv: object, db: Path) -> Any:
        status, out = caseload(*argv, "--json", db=db)
        assert status == 0
        return json.loads(out)

    return run


def worker_row(w: dict[str, Any]) -> str:
    """A worker's row of the team PDF's workers table, as text, from ``caseloads --json``."""
    name = w["worker"]
    if w["employment"] != "permanent":
        name += f" ({w['employment']})"
    if w["status"] == "left":
        name += f" (left {uk_date(dt.date.fromisoformat(w['left_on']))})"
    elif w["status"] != "active":
        name += f" ({w['status']})"
    counts = [str(w["by_category"].get(c.value, "")) for c in Category]
    percent = "n/a" if w["percent"] is None else f"{round(w['percent'])}%"
    cells = [
        name,
        Role(w["role"]).label,
        f"{w['fte']:.1f}",
        str(w["cases"]),
        *(c for c in counts if c and c != "0"),
        f"{w['weighted']:.1f}",
        f"{w['capacity']:.1f}",
        percent,
        w["rag"].capitalize(),
    ]
    return " ".join(cells)


def key_figures(figures: list[tuple[str, object]]) -> str:
    """The band of key figures as text: each label with its figure (labels over figures)."""
    return " ".join(f"{label} {value}" for label, value in figures)


def short(category: str) -> str:
    return Category(category).short


def in_order(text: str, parts: list[str]) -> bool:
    """Each of ``parts`` is in ``text``, one after another."""
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


# --- The team summary -----------------------------------------------------------------------------


def test_every_current_worker_of_the_team_has_their_row(
    inspection: Rendered, caseload_json: CaseloadJson
) -> None:
    workers = caseload_json("caseloads", "--team", INSPECTION_TEAM, db=inspection.path)
    assert len(workers) >= 8
    assert any(w["status"] == "left" for w in workers)
    rows = [flat(worker_row(w)) for w in workers]
    for row in rows:
        assert row in inspection.text, row
    assert in_order(inspection.text, rows)  # by name, as the caseloads command lists them


def test_the_key_figures_are_the_teams_counts(
    inspection: Rendered, caseload_json: CaseloadJson
) -> None:
    cases = caseload_json("cases", "--team", INSPECTION_TEAM, db=inspection.path)
    queues = Counter(c["queue"] for c in cases)
    totals = inspection.summary.totals
    first = flat(inspection.pages[0])
    figures = [
        ("Open cases", len(cases)),
        ("Allocated", queues["allocated"]),
        ("Orphaned", queues["orphaned"]),
        ("Unallocated", queues["unallocated"]),
        ("Held by manager", queues["held_by_manager"]),
        (
            "Load / capacity",
            f"{totals.weighted:.1f} / {totals.capacity:.1f} ({totals.percent}%)",
        ),
        ("Timescales overdue", totals.overdue),
    ]
    assert key_figures(figures) in first
    assert first.startswith(f"Caseload summary: {INSPECTION_TEAM} As at 26 Nov 2026 · ")
    assert totals.overdue > 0
    # The figure is the number of overdue rows the PDF lists.
    assert len(re.findall(r"\d+ working days? overdue", inspection.text)) == totals.overdue


def test_every_overdue_and_due_soon_item_is_listed_with_its_case_ref(inspection: Rendered) -> None:
    summary: TeamSummary = inspection.summary
    overdue = [d for d in summary.due if d.due.status is DueStatus.OVERDUE]
    assert len(overdue) > 100
    rows = [
        flat(
            f"{d.case_ref} {d.child} {d.category} {d.worker or 'nobody (unallocated)'} "
            f"{d.due.kind.label} {uk_date(d.due.due)} {d.due.describe()}"
        )
        for d in summary.due
    ]
    for row in rows:
        assert row in inspection.text, row
    assert in_order(inspection.text, rows)
    assert f"Timescales overdue or due soon ({len(summary.due)})" in inspection.text


def test_the_queues_list_each_waiting_case_as_the_queue_command_does(
    inspection: Rendered, caseload_json: CaseloadJson
) -> None:
    queue = caseload_json("queue", "--team", INSPECTION_TEAM, db=inspection.path)
    text = inspection.text
    orphaned = [
        f"{r['case_ref']} {r['child']} {short(r['category'])} {r['worker']} "
        f"{uk_date(dt.date.fromisoformat(r['worker_left_on']))} {r['days_since_left']}"
        for r in queue["orphaned"]
    ]
    unallocated = [
        f"{r['case_ref']} {r['child']} {short(r['category'])} "
        + ("escalate to service manager " if r["escalated"] else "")
        + f"{uk_date(dt.date.fromisoformat(r['waiting_since']))} {r['days_waiting']}"
        for r in queue["unallocated"]
    ]
    held = [
        f"{r['case_ref']} {r['child']} {short(r['category'])} {r['worker']} "
        f"{uk_date(dt.date.fromisoformat(r['since']))}"
        for r in queue["held_by_manager"]
    ]
    assert orphaned and unallocated and held
    assert any(r["escalated"] for r in queue["unallocated"])
    for title, rows in (
        (f"Orphaned: the worker has left ({len(orphaned)})", orphaned),
        (f"Unallocated: waiting for a worker ({len(unallocated)})", unallocated),
        (f"Held by a manager ({len(held)})", held),
    ):
        assert title in text
        rows = [flat(row) for row in rows]
        for row in rows:
            assert row in text, row
        assert in_order(text, [title, *rows])


def test_every_page_has_the_marking_top_and_bottom_the_record_id_and_page_x_of_y(
    inspection: Rendered,
) -> None:
    pages = inspection.pages
    assert len(pages) >= 10
    record_id = f"SUM-{inspection.summary.team_id}-20261126"
    for number, text in enumerate(pages, start=1):
        assert text.count(MARKING) >= 2, number
        assert f"Page {number} of {len(pages)}" in text
        assert f"Record ID: {record_id}" in text
        assert "Caseload summary" in text
    assert "Page 1 of " in pages[0]


def test_the_council_name_and_logo_set_in_settings_appear_on_every_page(
    demo_db_path: Path, tmp_path: Path, caseload: Callable[..., tuple[int, str]]
) -> None:
    before = tmp_path / "before.pdf"
    assert (
        caseload("report", "summary", "--team", SMALL_TEAM, "--out", before, db=demo_db_path)[0]
        == 0
    )
    data = before.read_bytes()
    assert all("Children's services" in t for t in pages_text(data))
    assert sum(images_per_page(data)) == 0  # the default logo is drawn as vectors

    logo = tmp_path / "logo.png"
    Image.new("RGB", (160, 80), "#1f4e79").save(logo, format="PNG")
    council = "Northshire County Council"
    assert caseload("settings", "set", "records.council_name", council, db=demo_db_path)[0] == 0
    assert caseload("settings", "set", "records.logo", logo, db=demo_db_path)[0] == 0
    after = tmp_path / "after.pdf"
    assert (
        caseload("report", "summary", "--team", SMALL_TEAM, "--out", after, db=demo_db_path)[0] == 0
    )

    data = after.read_bytes()
    pages = pages_text(data)
    assert len(pages) >= 2
    for text in pages:
        assert council in text
        assert "Children's services" not in text
    assert images_per_page(data) == [1] * len(pages)
    image = pypdf.PdfReader(io.BytesIO(data)).pages[-1].images[0].image
    assert image is not None and image.size == (160, 80)


def test_names_with_diacritics_apostrophes_and_ampersands_come_out(
    demo_db_path: Path, tmp_path: Path, caseload: Callable[..., tuple[int, str]]
) -> None:
    db, _ = open_database(demo_db_path)
    try:
        rules = settings_service.load_settings(db).rules
        team_id = team_ids(demo_db_path)[TEAM_WITH_DUE]
        summary = make_team_summary(db, team_id, today=TODAY, rules=rules)
    finally:
        db.close()
    item = next(d for d in summary.due if d.worker is not None and d.queue.value == "allocated")
    worker = next(w for w in summary.workers if w.worker == item.worker)
    with raw_sqlite(demo_db_path) as connection:
        connection.execute(
            "UPDATE workers SET name = ? WHERE staff_id = ?", ("Siân O'Neill", worker.staff_id)
        )
        connection.execute(
            "UPDATE children SET name = ? WHERE id = "
            "(SELECT child_id FROM cases WHERE case_ref = ?)",
            ("Zoë D'Arcy", item.case_ref),
        )
        connection.execute(
            "UPDATE teams SET name = ? WHERE id = ?", ("Plant Tŷ & Teulu <De>", team_id)
        )
    out = tmp_path / "names.pdf"
    status, _ = caseload(
        "report", "summary", "--team", "Plant Tŷ & Teulu <De>", "--out", out, db=demo_db_path
    )
    assert status == 0
    text = flat(" ".join(pages_text(out.read_bytes())))
    assert text.startswith("Caseload summary: Plant Tŷ & Teulu <De> As at 26 Nov 2026")
    assert "Siân O'Neill" in text
    assert (
        f"{item.case_ref} Zoë D'Arcy {item.category} Siân O'Neill {item.due.kind.label} "
        f"{uk_date(item.due.due)} {item.due.describe()}"
    ) in text


def test_the_same_summary_renders_to_the_same_bytes(module_db: Path) -> None:
    first = render_team(module_db, SMALL_TEAM)
    second = render_team(module_db, SMALL_TEAM)
    assert first.data == second.data
    info = pypdf.PdfReader(io.BytesIO(first.data)).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20261126")
    assert info["/Title"] == "Caseload summary"


def counted(sentence: str) -> Counter[str]:
    """ "3 assessments, 1 CP visit" as {"assessment": 3, "cp visit": 1}; "none" as {}."""
    if sentence.strip() == "none":
        return Counter()
    found: Counter[str] = Counter()
    for part in sentence.split(", "):
        number, what = part.split(" ", 1)
        found[what.lower().removesuffix("s")] += int(number)
    return found


def test_the_timescales_are_counted_by_kind_overdue_and_due_soon(inspection: Rendered) -> None:
    summary: TeamSummary = inspection.summary
    match = re.search(r"Overdue: (.+?)\. Due in the next 5 working days: (.+?)\.", inspection.text)
    assert match is not None
    overdue = Counter(
        d.due.kind.label.lower() for d in summary.due if d.due.status is DueStatus.OVERDUE
    )
    soon = Counter(
        d.due.kind.label.lower() for d in summary.due if d.due.status is DueStatus.DUE_SOON
    )
    assert overdue and soon
    assert (counted(match[1]), counted(match[2])) == (overdue, soon)


def test_a_team_with_nothing_overdue_says_none(module_db: Path) -> None:
    rendered = render_team(module_db, SMALL_TEAM)
    summary: TeamSummary = rendered.summary
    assert summary.totals.overdue == 0  # the demo's care leavers team (seed 7)
    assert "Overdue: none. Due in the next 5 working days: " in rendered.text
    assert re.search(r"\d+ working days? overdue", rendered.text) is None
    assert f"Timescales overdue or due soon ({len(summary.due)})" in rendered.text


# --- The service summary -------------------------------------------------------------------------


def test_the_service_overview_lists_every_team_with_its_figures(
    service: Rendered, caseload_json: CaseloadJson
) -> None:
    summary: ServiceSummary = service.summary
    names = list(team_ids(service.path))
    assert [t.team for t in summary.teams] == names
    cases = caseload_json("cases", db=service.path)
    overview = flat(service.pages[0])
    assert overview.startswith("Service caseload summary As at 26 Nov 2026 · ")
    assert f"{len(names)} teams" in overview
    rows = []
    for team in summary.teams:
        mine = Counter(c["queue"] for c in cases if c["team"] == team.team)
        t = team.totals
        rows.append(
            f"{team.team} {sum(mine.values())} {mine['allocated']} {mine['orphaned']} "
            f"{mine['unallocated']} {mine['held_by_manager']} {t.workers}"
        )
    for row in rows:
        assert row in overview, row
    assert in_order(overview, rows)
    total = summary.totals
    queues = Counter(c["queue"] for c in cases)
    figures = [
        ("Open cases", len(cases)),
        ("Allocated", queues["allocated"]),
        ("Orphaned", queues["orphaned"]),
        ("Unallocated", queues["unallocated"]),
        ("Held by manager", queues["held_by_manager"]),
        (
            "Load / capacity",
            f"{total.weighted:.1f} / {total.capacity:.1f} ({total.percent}%)",
        ),
        ("Timescales overdue", total.overdue),
    ]
    assert key_figures(figures) in overview
    assert f"Oldest waiting case: {total.oldest_waiting_case}, " in overview


def test_each_team_has_its_own_page_starting_with_its_name(
    service: Rendered, caseload_json: CaseloadJson
) -> None:
    names = list(team_ids(service.path))
    pages = service.pages
    firsts = [text.splitlines()[0].strip() for text in pages]
    assert firsts[0] == "Service caseload summary"
    starts = [firsts.index(name) for name in names]
    assert starts == sorted(starts) and starts[0] == 1
    assert all(firsts.count(name) == 1 for name in names)
    for name, start in zip(names, starts, strict=True):
        page = flat(pages[start])
        assert page.startswith(f"{name} As at 26 Nov 2026 · ")
        for w in caseload_json("caseloads", "--team", name, db=service.path):
            assert w["worker"] in page, (name, w["worker"])


def test_every_service_page_has_the_marking_and_page_x_of_y(service: Rendered) -> None:
    pages = service.pages
    assert len(pages) >= 1 + len(team_ids(service.path))
    for number, text in enumerate(pages, start=1):
        assert text.count(MARKING) >= 2
        assert f"Page {number} of {len(pages)}" in text
        assert "Record ID: SUM-ALL-20261126" in text
