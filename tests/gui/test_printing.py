"""Printing: PDF pages painted on a printer through QtPdf, the preview, the page setup
remembered, and File > Export and Print of the caseload summary.

Printers here are Qt's PDF printer writing to a file (``QPrinter.OutputFormat.PdfFormat``),
which is what "Print to file" gives, so the pages printed can be counted and looked at with
pypdf and QtPdf. Dialogs go through ``Interaction`` (QPrintDialog, QPageSetupDialog and
QPrintPreviewDialog.exec cannot run in tests); the preview itself is Qt's
``QPrintPreviewWidget``, which the preview dialog shows.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest

from PySide6 import QtCore, QtGui, QtPdf, QtPrintSupport, QtWidgets

from caseload_desktop.context import AppContext, open_context
from caseload_desktop.errors import Cancelled, DatabaseBusy
from caseload_desktop.reports import caseload_summary
from caseload_desktop.services import summaries
from caseload_desktop.store import queries
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.ui import main_window as main_window_module
from caseload_desktop.ui import preferences as prefs
from caseload_desktop.ui import printing
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.preferences import PageSetup, Preferences
from caseload_desktop.ui.widgets.caseload_board import ALL_TEAMS
from tests.conftest import raw_sqlite
from tests.gui.conftest import show_window

QPrinter = QtPrintSupport.QPrinter
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TODAY = dt.date(2026, 11, 26)
TEAM = "Assessment and Intervention South"  # four pages of summary in the demo
A4_POINTS = (595, 842)
# Mean difference (0-255 grey levels) between a printed page and the original, both drawn
# 240 pixels wide: antialiasing alone stays far below it; another page, a blank page, or a
# page shrunk, shifted or cropped by a few millimetres goes far above (see the last tests).
SAME_PAGE = 3.0
DRAWN_LARGER = 5
PIXELS_PER_MM = 4
A4 = PageSetup("A4")


# --- Helpers -----------------------------------------------------------------------------


@pytest.fixture
def context(demo_db_path: Path) -> Iterator[AppContext]:
    ctx = open_context(demo_db_path)
    yield ctx
    ctx.close()


def team_id(context: AppContext, name: str) -> int:
    with context.db.read() as session:
        return next(t.id for t in queries.list_teams(session) if t.name == name)


def team_pdf(context: AppContext, name: str = TEAM) -> bytes:
    summary = summaries.team_summary(
        context.db, team_id(context, name), today=TODAY, rules=context.rules
    )
    return caseload_summary.team_summary_pdf(summary, context.records)


def pdf_printer(path: Path, setup: PageSetup = A4) -> QPrinter:
    """A printer writing a PDF file, laid out as the app lays out new printers (A4 here
    whatever the machine's locale; no margins unless ``setup`` has them)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printing.apply_page_setup(printer, setup)
    return printer


def page_count(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def grey_page(data: bytes, index: int, width: int = 240, height: int = 0) -> QtGui.QImage:
    """Page ``index`` of a PDF drawn by QtPdf on white, ``width`` pixels wide (and as high as
    its shape says, unless ``height``), in grey levels: independently of the code under
    test. It is drawn large, then made small: pdfium draws a hairline one pixel wide at any
    size, which would make a small drawing of the original darker than its print."""
    buffer = QtCore.QBuffer()
    buffer.setData(QtCore.QByteArray(data))
    buffer.open(QtCore.QIODevice.OpenModeFlag.ReadOnly)
    document = QtPdf.QPdfDocument()
    document.load(buffer)
    assert document.status() == QtPdf.QPdfDocument.Status.Ready
    points = document.pagePointSize(index)
    size = QtCore.QSize(width, height or round(width * points.height() / points.width()))
    large = size * DRAWN_LARGER
    image = QtGui.QImage(large, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtCore.Qt.GlobalColor.white)
    painter = QtGui.QPainter(image)
    painter.drawImage(0, 0, document.render(index, large))
    painter.end()
    document.close()
    small = image.scaled(
        size,
        QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
        QtCore.Qt.TransformationMode.SmoothTransformation,
    )
    return small.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)


def _rows(image: QtGui.QImage) -> list[bytes]:
    bits = bytes(image.constBits())
    line = image.bytesPerLine()
    return [bits[y * line : y * line + image.width()] for y in range(image.height())]


def printed_like(printed: bytes, index: int, original: bytes, original_index: int) -> float:
    """How far page ``index`` of ``printed`` is from page ``original_index`` of ``original``,
    both drawn at the original's size (Qt's A4 is a fraction of a point off ReportLab's)."""
    reference = grey_page(original, original_index)
    copy = grey_page(printed, index, reference.width(), reference.height())
    return difference(copy, reference)


def difference(a: QtGui.QImage, b: QtGui.QImage) -> float:
    """Mean absolute difference of two grey images of the same size."""
    assert a.size() == b.size()
    total = sum(
        abs(x - y)
        for row_a, row_b in zip(_rows(a), _rows(b), strict=True)
        for x, y in zip(row_a, row_b, strict=True)
    )
    return total / (a.width() * a.height())


def ink_box(image: QtGui.QImage) -> tuple[int, int, int, int]:
    """Left, top, right and bottom of what is printed on a page (pixels not near white)."""
    rows = _rows(image)
    inked_rows = [y for y, row in enumerate(rows) if min(row) < 200]
    columns = [x for row in rows for x, v in enumerate(row) if v < 200]
    return min(columns), inked_rows[0], max(columns), inked_rows[-1]


def ink(image: QtGui.QImage) -> float:
    """The share of pixels that are not white: a page with something on it."""
    pixels = [v for row in _rows(image) for v in row]
    return sum(1 for v in pixels if v < 200) / len(pixels)


@pytest.fixture
def window(qtbot: Any, demo_db_path: Path, preferences: Preferences) -> MainWindow:
    return show_window(qtbot, demo_db_path, preferences, TEAM)


def choose_export_path(monkeypatch: pytest.MonkeyPatch, path: Path | None) -> list[Path]:
    """Answer the save dialog with ``path``; returns the names it suggested."""
    suggested: list[Path] = []

    def choose(
        cls: type, parent: Any, title: str, start: Path, file_filter: str, suffix: str
    ) -> Path | None:
        suggested.append(start)
        return path

    monkeypatch.setattr(Interaction, "choose_export_path", classmethod(choose))
    return suggested


def exported_events(window: MainWindow) -> list[dict[str, Any]]:
    """The payloads of the ``summary.exported`` outbox events in the window's database."""
    assert window.context is not None
    with raw_sqlite(window.context.db.path) as connection:
        rows = connection.execute(
            "SELECT payload FROM outbox_events WHERE kind = 'summary.exported' ORDER BY id"
        ).fetchall()
    return [json.loads(payload) for (payload,) in rows]


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


# --- The renderer ------------------------------------------------------------------------


def test_a_summary_printed_on_a_pdf_printer_has_every_page_looking_like_the_original(
    qtbot: Any, context: AppContext, tmp_path: Path
) -> None:
    data = team_pdf(context)
    out = tmp_path / "printed.pdf"
    printed = printing.render_pdf_to_printer(data, pdf_printer(out))
    result = out.read_bytes()
    assert printed == page_count(result) == page_count(data) == 4
    reader = pypdf.PdfReader(io.BytesIO(result))
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4_POINTS
        # Sharp: one image a page, at 300 dpi (A4 is 8.27 by 11.69 inches; Qt's A4 is a
        # fraction of a point narrower than ReportLab's, hence a pixel or two less).
        (image,) = page.images
        assert image.image is not None
        assert image.image.size == pytest.approx((2480, 3508), abs=3)
    for index in range(page_count(data)):
        assert ink(grey_page(data, index)) > 0.01
        assert printed_like(result, index, data, index) < SAME_PAGE


def test_a_page_range_prints_only_those_pages_in_their_order(
    qtbot: Any, context: AppContext, tmp_path: Path
) -> None:
    data = team_pdf(context)
    out = tmp_path / "pages-2-3.pdf"
    printer = pdf_printer(out)
    printer.setFromTo(2, 3)
    assert printing.render_pdf_to_printer(data, printer) == 2
    result = out.read_bytes()
    assert page_count(result) == 2
    assert printed_like(result, 0, data, 1) < SAME_PAGE
    assert printed_like(result, 1, data, 2) < SAME_PAGE


def test_a_page_printed_on_other_paper_is_fitted_inside_the_margins_keeping_its_shape(
    qtbot: Any, context: AppContext, tmp_path: Path
) -> None:
    data = team_pdf(context)
    out = tmp_path / "a5-landscape.pdf"
    printer = pdf_printer(out, PageSetup("A5", landscape=True, margins_mm=(10,) * 4))
    printer.setFromTo(1, 1)
    printing.render_pdf_to_printer(data, printer)
    page = pypdf.PdfReader(out).pages[0]
    size_mm = (
        round(float(page.mediabox.width) / 72 * 25.4),
        round(float(page.mediabox.height) / 72 * 25.4),
    )
    assert size_mm == (210, 148)  # A5 landscape paper
    # Between 10 mm margins the A4 page stands 128 mm high (scaled by 128/297) and 90.5 mm
    # wide, centred: from 59.75 mm across. What is printed on it sits where it sat on A4.
    scale = 128 / 297
    printed = ink_box(grey_page(out.read_bytes(), 0, width=210 * PIXELS_PER_MM))
    original = ink_box(grey_page(data, 0, width=210 * PIXELS_PER_MM))
    expected = (
        59.75 * PIXELS_PER_MM + original[0] * scale,
        10 * PIXELS_PER_MM + original[1] * scale,
        59.75 * PIXELS_PER_MM + original[2] * scale,
        10 * PIXELS_PER_MM + original[3] * scale,
    )
    assert printed == pytest.approx(expected, abs=PIXELS_PER_MM / 2)


@pytest.mark.parametrize(
    ("collate", "order", "expected"),
    [
        (True, QPrinter.PageOrder.FirstPageFirst, [0, 1, 2, 0, 1, 2]),
        (False, QPrinter.PageOrder.FirstPageFirst, [0, 0, 1, 1, 2, 2]),
        (True, QPrinter.PageOrder.LastPageFirst, [2, 1, 0, 2, 1, 0]),
    ],
)
def test_copies_the_printer_cannot_make_are_printed_collated_or_not(
    qtbot: Any, tmp_path: Path, collate: bool, order: QPrinter.PageOrder, expected: list[int]
) -> None:
    printer = pdf_printer(tmp_path / "copies.pdf")
    assert not printer.supportsMultipleCopies()
    printer.setCopyCount(2)
    printer.setCollateCopies(collate)
    printer.setPageOrder(order)
    assert printing.pages_to_print(3, printer) == expected


def test_a_page_range_outside_the_document_is_refused_and_nothing_is_written(
    qtbot: Any, context: AppContext, tmp_path: Path
) -> None:
    out = tmp_path / "none.pdf"
    printer = pdf_printer(out)
    printer.setFromTo(7, 9)
    with pytest.raises(printing.PrintingFailed, match="it has 4"):
        printing.render_pdf_to_printer(team_pdf(context), printer)
    assert not out.exists()


def test_bytes_that_are_not_a_pdf_are_refused_and_nothing_is_written(
    qtbot: Any, tmp_path: Path
) -> None:
    out = tmp_path / "none.pdf"
    with pytest.raises(printing.PrintingFailed, match="not a PDF, or it is damaged"):
        printing.render_pdf_to_printer(b"%PDF-1.4 this is not a PDF", pdf_printer(out))
    assert not out.exists()


@pytest.mark.parametrize("stop_after", [1, 4])
def test_cancelling_a_print_to_a_file_leaves_no_file(
    qtbot: Any, context: AppContext, tmp_path: Path, stop_after: int
) -> None:
    out = tmp_path / "prints" / "cancelled.pdf"
    out.parent.mkdir()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> bool:
        seen.append((done, total))
        return done < stop_after

    with pytest.raises(Cancelled):
        printing.render_pdf_to_printer(team_pdf(context), pdf_printer(out), progress)
    assert seen == [(n, 4) for n in range(1, stop_after + 1)]
    assert list(out.parent.iterdir()) == []


# --- The preview -------------------------------------------------------------------------


def test_the_previews_paint_function_prints_the_document_on_a_printer(
    qtbot: Any, context: AppContext, tmp_path: Path, preferences: Preferences
) -> None:
    """Called with a printer (the preview's Print button), it prints at print resolution."""
    parent = QtWidgets.QWidget()
    qtbot.addWidget(parent)
    data = team_pdf(context)
    out = tmp_path / "from-preview.pdf"
    printing.PrintJob(parent, preferences, data, "Team summary").paint(pdf_printer(out))
    result = out.read_bytes()
    assert page_count(result) == page_count(data)
    assert printed_like(result, 3, data, 3) < SAME_PAGE


def test_the_preview_shows_every_page_from_the_prepared_images(
    qtbot: Any, context: AppContext, preferences: Preferences, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = QtWidgets.QWidget()
    qtbot.addWidget(parent)
    data = team_pdf(context, INSPECTION_TEAM)
    job = printing.PrintJob(parent, preferences, data, "Inspection team summary")
    assert job.prepare_preview()
    assert len(job.preview_pages) == page_count(data) == 21
    assert job.preview_pages[0].width() == round(A4_POINTS[0] * printing.PREVIEW_DPI / 72)
    # The preview draws the prepared images: nothing is rendered again.
    monkeypatch.setattr(printing, "render_page", None)
    printer = job.new_printer()  # the preview widget does not own it: keep it alive
    preview = QtPrintSupport.QPrintPreviewWidget(printer)
    qtbot.addWidget(preview)
    preview.paintRequested.connect(job.paint)
    preview.updatePreview()
    assert preview.pageCount() == 21


def test_a_document_too_long_to_preview_is_refused_with_a_message(
    window: MainWindow, errors: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(printing, "PREVIEW_MAX_PAGES", 3)
    shown: list[object] = []
    monkeypatch.setattr(
        Interaction, "show_print_preview", classmethod(lambda cls, *args: shown.append(args))
    )
    window.main_actions.print_preview.trigger()
    assert shown == []
    assert errors == [
        (
            f"Cannot preview Caseload summary of {TEAM}",
            "It has 4 pages, and the preview shows up to 3. "
            "Print it, or export it as a PDF and open that.",
        )
    ]


def test_print_preview_shows_the_summary_of_the_team_on_the_board(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    seen: list[tuple[str, int, QtGui.QPageLayout]] = []

    def show(
        cls: type,
        parent: QtWidgets.QWidget,
        printer: QPrinter,
        title: str,
        paint: Callable[[QPrinter], None],
    ) -> None:
        preview = QtPrintSupport.QPrintPreviewWidget(printer, parent)
        preview.paintRequested.connect(paint)
        preview.updatePreview()
        seen.append((title, preview.pageCount(), printer.pageLayout()))
        preview.deleteLater()

    monkeypatch.setattr(Interaction, "show_print_preview", classmethod(show))
    window.main_actions.print_preview.trigger()
    assert len(seen) == 1
    title, pages, layout = seen[0]
    assert layout.pageSize().id() == QtGui.QPageSize.PageSizeId.A4
    assert title == f"Print preview: Caseload summary of {TEAM}"
    assert pages == 4


# --- Page setup --------------------------------------------------------------------------


def test_a_page_setup_is_remembered_and_applied_to_every_new_printer(
    qtbot: Any, demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "prefs.ini"
    first = Preferences(QtCore.QSettings(str(file), QtCore.QSettings.Format.IniFormat))
    first.page_setup = PageSetup("A5", landscape=True, margins_mm=(5.0, 6.0, 7.0, 8.5))
    first.sync()
    assert "page_size=A5" in file.read_text(encoding="utf-8")

    again = Preferences(QtCore.QSettings(str(file), QtCore.QSettings.Format.IniFormat))
    window = show_window(qtbot, demo_db_path, again, TEAM)
    printers: list[QPrinter] = []

    def ask_print(cls: type, parent: Any, printer: QPrinter, pages: int) -> bool:
        printers.append(printer)
        return False

    monkeypatch.setattr(Interaction, "ask_print", classmethod(ask_print))
    window.main_actions.print_summary.trigger()
    assert len(printers) == 1
    layout = printers[0].pageLayout()
    assert layout.pageSize().id() == QtGui.QPageSize.PageSizeId.A5
    assert layout.orientation() == QtGui.QPageLayout.Orientation.Landscape
    margins = layout.margins(QtGui.QPageLayout.Unit.Millimeter)
    assert (margins.left(), margins.top(), margins.right(), margins.bottom()) == pytest.approx(
        (5.0, 6.0, 7.0, 8.5), abs=0.01
    )
    assert printers[0].docName() == f"Caseload summary of {TEAM}"


def test_the_page_setup_dialogs_choice_is_remembered(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ask_page_setup(cls: type, parent: Any, printer: QPrinter) -> bool:
        layout = QtGui.QPageLayout(
            QtGui.QPageSize(QtGui.QPageSize.PageSizeId.Letter),
            QtGui.QPageLayout.Orientation.Landscape,
            QtCore.QMarginsF(0.5, 0.5, 0.5, 1),
            QtGui.QPageLayout.Unit.Inch,
        )
        return printer.setPageLayout(layout)

    monkeypatch.setattr(Interaction, "ask_page_setup", classmethod(ask_page_setup))
    window.main_actions.page_setup.trigger()
    assert window.preferences.page_setup == PageSetup(
        "Letter", landscape=True, margins_mm=(12.7, 12.7, 12.7, 25.4)
    )
    printer = printing.new_printer(window.preferences)
    assert printer.pageLayout().pageSize().id() == QtGui.QPageSize.PageSizeId.Letter
    assert window.statusBar().currentMessage() == (
        "Page setup for printing: Letter / ANSI A, landscape, margins 12.7 / 12.7 / 12.7 / 25.4 mm."
    )


def test_a_cancelled_page_setup_changes_nothing(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ask_page_setup(cls: type, parent: Any, printer: QPrinter) -> bool:
        printer.setPageOrientation(QtGui.QPageLayout.Orientation.Landscape)
        return False

    monkeypatch.setattr(Interaction, "ask_page_setup", classmethod(ask_page_setup))
    window.main_actions.page_setup.trigger()
    assert window.preferences.page_setup == PageSetup()
    assert not window.preferences.settings.contains(prefs.PAGE_ORIENTATION.key)


def test_a_custom_paper_size_is_remembered(qtbot: Any, preferences: Preferences) -> None:
    printer = QPrinter()
    printer.setPageSize(QtGui.QPageSize(QtCore.QSizeF(200, 250), QtGui.QPageSize.Unit.Millimeter))
    preferences.page_setup = printing.page_setup_of(printer.pageLayout())
    assert preferences.page_setup.page_size == "Custom:200x250"
    size = printing.new_printer(preferences).pageLayout().pageSize()
    assert size.size(QtGui.QPageSize.Unit.Millimeter) == QtCore.QSizeF(200, 250)


def test_a_page_setup_edited_into_nonsense_reads_as_the_default(qtbot: Any, tmp_path: Path) -> None:
    file = tmp_path / "edited.ini"
    file.write_text(
        "[preferences]\nversion=2\n\n[print]\npage_size=A17\norientation=sideways\n"
        "margins_mm=10 10 -3 10\n",
        encoding="utf-8",
    )
    preferences = Preferences(QtCore.QSettings(str(file), QtCore.QSettings.Format.IniFormat))
    assert preferences.page_setup == PageSetup("A17", landscape=False)
    default = QPrinter(QPrinter.PrinterMode.HighResolution).pageLayout().pageSize().id()
    printer = printing.new_printer(preferences)
    assert printer.pageLayout().pageSize().id() == default  # A17 is no paper Qt knows
    margins = printer.pageLayout().margins(QtGui.QPageLayout.Unit.Millimeter)
    assert margins == QtCore.QMarginsF(0, 0, 0, 0)


# --- File > Export and Print of the caseload summary -----------------------------------------


def test_export_writes_the_summary_of_the_team_on_the_board(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
    opened: list[Path],
    qtbot: Any,
) -> None:
    out = tmp_path / "exports" / "summary.pdf"
    out.parent.mkdir()
    suggested = choose_export_path(monkeypatch, out)
    window.main_actions.export_summary.trigger()
    assert errors == []
    assert suggested[0].name == f"Caseload summary - {TEAM} - 2026-11-26.pdf"
    text = " ".join(pdf_text(out).split())  # the title wraps
    assert f"Caseload summary: {TEAM}" in text
    assert INSPECTION_TEAM not in text
    assert [p.name for p in out.parent.iterdir()] == ["summary.pdf"]  # no partial file left
    # Recorded for central records: the bytes written, with their SHA-256.
    (event,) = exported_events(window)
    assert (event["scope"], event["team"], event["format"]) == ("team", TEAM, "pdf")
    assert (event["file_name"], event["as_at"]) == ("summary.pdf", "2026-11-26")
    assert base64.b64decode(event["content"]) == out.read_bytes()
    assert event["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    message = window.statusBar().currentMessage()
    assert message == f"Wrote the caseload summary of {TEAM} as at 26 Nov 2026 to {out}."
    assert window.open_export_button.isVisible()
    qtbot.mouseClick(window.open_export_button, QtCore.Qt.MouseButton.LeftButton)
    assert opened == [out]
    window.statusBar().showMessage("Something else")
    assert not window.open_export_button.isVisible()


def test_export_with_all_teams_writes_the_service_summary(
    qtbot: Any,
    demo_db_path: Path,
    preferences: Preferences,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    window = show_window(qtbot, demo_db_path, preferences, ALL_TEAMS)
    assert window.board is not None and window.board.team_id is None
    out = tmp_path / "service.pdf"
    suggested = choose_export_path(monkeypatch, out)
    window.main_actions.export_summary.trigger()
    assert errors == []
    assert suggested[0].name == "Caseload summary - service - 2026-11-26.pdf"
    text = pdf_text(out)
    assert "Service caseload summary" in text
    assert TEAM in text and INSPECTION_TEAM in text
    assert "the service as at 26 Nov 2026" in window.statusBar().currentMessage()
    (event,) = exported_events(window)
    assert (event["scope"], event["team"]) == ("service", None)
    assert event["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_export_as_csv_writes_the_tables_beside_the_chosen_name(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    out = tmp_path / "team.csv"
    choose_export_path(monkeypatch, out)
    window.main_actions.export_summary_csv.trigger()
    assert errors == []
    assert sorted(p.name for p in tmp_path.glob("team*.csv")) == [
        "team.csv",
        "team.held_by_manager.csv",
        "team.orphaned.csv",
        "team.timescales.csv",
        "team.unallocated.csv",
    ]
    assert out.read_text(encoding="utf-8-sig").startswith("team,worker,")
    assert TEAM in out.read_text(encoding="utf-8-sig")
    assert (
        window.statusBar().currentMessage().endswith(f"to {out} (and 4 more CSV files beside it).")
    )
    events = exported_events(window)
    assert [e["file_name"] for e in events] == [
        "team.csv",
        "team.orphaned.csv",
        "team.unallocated.csv",
        "team.held_by_manager.csv",
        "team.timescales.csv",
    ]
    for event in events:
        data = (tmp_path / event["file_name"]).read_bytes()
        assert (event["format"], event["sha256"]) == ("csv", hashlib.sha256(data).hexdigest())
        assert base64.b64decode(event["content"]) == data


@pytest.mark.parametrize("cancel_at", ["first team", "after the PDF is made"])
def test_cancel_during_the_service_summary_leaves_no_file(
    qtbot: Any,
    demo_db_path: Path,
    preferences: Preferences,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
    cancel_at: str,
) -> None:
    window = show_window(qtbot, demo_db_path, preferences, ALL_TEAMS)
    out = tmp_path / "exports" / "service.pdf"
    out.parent.mkdir()
    choose_export_path(monkeypatch, out)
    real = main_window_module.run_with_progress
    calls: list[tuple[int, int]] = []

    def press_cancel(parent: Any, title: str, label: str, work: Any, **kwargs: Any) -> Any:
        """The real progress dialog and thread, with Cancel "pressed" at ``cancel_at``."""

        def cancelling(progress: Callable[[int, int], bool]) -> Any:
            def answer(done: int, total: int) -> bool:
                calls.append((done, total))
                progress(done, total)
                return not (done == total if cancel_at.startswith("after") else done == 1)

            return work(answer)

        return real(parent, title, label, cancelling, **kwargs)

    monkeypatch.setattr(main_window_module, "run_with_progress", press_cancel)
    window.main_actions.export_summary.trigger()
    assert calls, "the work reports its progress"
    teams = calls[0][1] - 1
    assert window.board is not None
    assert teams == window.board.team_picker.count() - 1  # every team but "All teams"
    if cancel_at == "first team":
        assert calls == [(1, teams + 1)]
    else:
        assert calls[-1] == (teams + 1, teams + 1)
        assert len(calls) == teams + 1
    assert list(out.parent.iterdir()) == []
    assert exported_events(window) == []
    assert errors == []
    assert window.statusBar().currentMessage() == "Service caseload summary: cancelled."
    assert not window.open_export_button.isVisible()


def test_an_export_that_cannot_be_written_says_why_and_writes_nothing(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    out = tmp_path / "gone" / "summary.pdf"
    choose_export_path(monkeypatch, out)
    window.main_actions.export_summary.trigger()
    assert errors == [
        (
            f"Cannot make the caseload summary of {TEAM}",
            f"The folder {out.parent} does not exist.",
        )
    ]
    assert list(tmp_path.glob("**/*.pdf")) == []
    assert exported_events(window) == []
    assert not window.open_export_button.isVisible()


def test_an_export_that_cannot_be_recorded_says_the_file_was_written_but_not_sent(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    out = tmp_path / "summary.pdf"
    choose_export_path(monkeypatch, out)
    assert window.context is not None
    db = window.context.db

    @contextlib.contextmanager
    def busy() -> Iterator[Any]:
        raise DatabaseBusy(f"The database {db.path} is busy.")
        yield

    monkeypatch.setattr(db, "write", busy)
    window.main_actions.export_summary.trigger()
    ((title, text),) = errors
    assert title == f"Cannot make the caseload summary of {TEAM}"
    assert text.startswith(f"Wrote {out}, but could not record the export: ")
    assert "will not be sent to central records" in text
    assert out.read_bytes().startswith(b"%PDF-")  # the file stays where it was written
    assert exported_events(window) == []
    assert not window.open_export_button.isVisible()


def test_print_prints_the_summary_of_the_team_on_the_board(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    out = tmp_path / "printed.pdf"
    asked: list[int] = []

    def ask_print(cls: type, parent: Any, printer: QPrinter, pages: int) -> bool:
        asked.append(pages)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # "Print to file"
        printer.setOutputFileName(str(out))
        return True

    monkeypatch.setattr(Interaction, "ask_print", classmethod(ask_print))
    window.main_actions.print_summary.trigger()
    assert errors == []
    assert asked == [4]
    assert page_count(out.read_bytes()) == 4
    assert window.statusBar().currentMessage() == f"Printed: Caseload summary of {TEAM}."
    assert exported_events(window) == []  # printing is not an export


def test_the_summary_actions_wait_for_a_database_and_page_setup_does_not(
    qtbot: Any, demo_db_path: Path, preferences: Preferences
) -> None:
    window = MainWindow(None, preferences)
    qtbot.addWidget(window)
    actions = window.main_actions
    summary_actions = [
        actions.export_summary,
        actions.export_summary_csv,
        actions.print_preview,
        actions.print_summary,
    ]
    assert [a.isEnabled() for a in summary_actions] == [False] * 4
    assert actions.page_setup.isEnabled()
    window.set_context(open_context(demo_db_path))
    assert [a.isEnabled() for a in summary_actions] == [True] * 4
    window.set_context(None)


def test_the_file_menu_offers_export_page_setup_preview_and_print(
    window: MainWindow, qtbot: Any
) -> None:
    menu = window.file_menu
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == [
        "&New database…",
        "&Open database…",
        "Open the &demo service",
        "&Import workers or cases…",
        "&Export caseload summary…",
        "Export caseload summary as &CSV…",
        "Page set&up…",
        "Print pre&view…",
        "&Print caseload summary…",
        "&Quit",
    ]
    assert window.main_actions.print_summary.shortcut() == QtGui.QKeySequence("Ctrl+P")
    menu.adjustSize()  # grabbed without popping up: offscreen cannot grab the keyboard
    image = menu.grab()
    assert image.width() >= menu.sizeHint().width()
    ARTIFACTS.mkdir(exist_ok=True)
    assert image.save(str(ARTIFACTS / "file_menu.png"))
