"""Printing PDF documents: Print, Print preview and Page setup, for anything the app prints.

What the app prints already exists as PDF bytes (a caseload summary; later a supervision
record), so there is one generic path: QtPdf's ``QPdfDocument`` (pdfium) renders each page to
an image, and the image is painted on the printer, fitted inside the page's margins keeping
its shape, and centred. pdfium draws each page at the size it takes on the paper, at the
printer's resolution up to ``PRINT_DPI`` (an A4 page at a laser's 1,200 dpi would be a 550 MB
image), so text is drawn sharp rather than an image enlarged. Qt's PDF and CUPS engines keep
page images as high-quality JPEG: about 1 MB an A4 page to spool.

The page setup (paper, orientation, margins) is remembered in the preferences
(``preferences.PageSetup``, changed by File > Page setup) and applied to every new printer
(``new_printer``).

Long work runs off the GUI thread (``run_with_progress``, with Cancel): printing paints on a
pool thread (QPainter may paint on a QPrinter outside the GUI thread), and a preview's pages are
rendered there before the preview opens, so the preview only draws the images it is given.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from PySide6 import QtCore, QtGui, QtPdf, QtPrintSupport, QtWidgets

from caseload_desktop.errors import Cancelled, CaseloadError
from caseload_desktop.ui.background import run_with_progress
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.preferences import MAX_MARGIN_MM, PageSetup, Preferences

QPrinter = QtPrintSupport.QPrinter
Progress = Callable[[int, int], bool]  # (done, total) -> go on?

PRINT_DPI = 300  # crisp text on paper; the image of an A4 page stays near 35 MB
PREVIEW_DPI = 120  # the preview is read on a screen, zoomed to fit its window
# The preview keeps every page's image in memory (QPrintPreviewWidget records them all):
# about 4 MB per A4 page at PREVIEW_DPI. Longer documents are printed or exported instead.
PREVIEW_MAX_PAGES = 60
POINTS_PER_INCH = 72
_CUSTOM_SIZE = re.compile(r"Custom:(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)")
_MAX_PAPER_MM = 2000.0


class PrintingFailed(CaseloadError):
    """A document cannot be printed: damaged PDF bytes, a page range outside the document, or
    a printer (or file) that cannot be written to."""


# --- Page setup ------------------------------------------------------------------------------


def page_size(name: str) -> QtGui.QPageSize | None:
    """The paper ``PageSetup.page_size`` names, or None for the printer's own default (also
    for a name this version of Qt does not know)."""
    custom = _CUSTOM_SIZE.fullmatch(name)
    if custom is not None:
        width, height = float(custom.group(1)), float(custom.group(2))
        if not (0 < width <= _MAX_PAPER_MM and 0 < height <= _MAX_PAPER_MM):
            return None
        size = QtGui.QPageSize(QtCore.QSizeF(width, height), QtGui.QPageSize.Unit.Millimeter)
        return size if size.isValid() else None
    try:
        size_id = QtGui.QPageSize.PageSizeId[name]
    except KeyError:
        return None
    if size_id == QtGui.QPageSize.PageSizeId.Custom:
        return None
    return QtGui.QPageSize(size_id)


def _mm(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def page_setup_of(layout: QtGui.QPageLayout) -> PageSetup:
    """What to remember of a page layout (as the page setup dialog left it)."""
    size = layout.pageSize()
    if size.id() == QtGui.QPageSize.PageSizeId.Custom:
        millimetres = size.size(QtGui.QPageSize.Unit.Millimeter)
        name = f"Custom:{_mm(millimetres.width())}x{_mm(millimetres.height())}"
    else:
        name = size.id().name
    margins = layout.margins(QtGui.QPageLayout.Unit.Millimeter)
    sides = (margins.left(), margins.top(), margins.right(), margins.bottom())
    left, top, right, bottom = (min(max(round(v, 2), 0.0), MAX_MARGIN_MM) for v in sides)
    return PageSetup(
        page_size=name,
        landscape=layout.orientation() == QtGui.QPageLayout.Orientation.Landscape,
        margins_mm=(left, top, right, bottom),
    )


def apply_page_setup(printer: QPrinter, setup: PageSetup) -> None:
    """Lay out ``printer``'s pages as ``setup`` says. Paper the printer does not take keeps
    its own; margins narrower than the printer can print are widened to what it can."""
    size = page_size(setup.page_size)
    if size is not None:
        printer.setPageSize(size)
    printer.setPageOrientation(
        QtGui.QPageLayout.Orientation.Landscape
        if setup.landscape
        else QtGui.QPageLayout.Orientation.Portrait
    )
    layout = printer.pageLayout()  # carries the printer's minimum margins for this paper
    layout.setUnits(QtGui.QPageLayout.Unit.Millimeter)
    layout.setMargins(
        QtCore.QMarginsF(*setup.margins_mm), QtGui.QPageLayout.OutOfBoundsPolicy.Clamp
    )
    printer.setPageLayout(layout)


def new_printer(
    preferences: Preferences, mode: QPrinter.PrinterMode = QPrinter.PrinterMode.HighResolution
) -> QPrinter:
    """A printer (the system's default one) laid out with the remembered page setup."""
    printer = QPrinter(mode)
    apply_page_setup(printer, preferences.page_setup)
    return printer


def page_setup(parent: QtWidgets.QWidget, preferences: Preferences) -> PageSetup | None:
    """File > Page setup: ask for paper, orientation and margins, and remember them for every
    print from now on. Returns the new setup, or None when the dialog was cancelled."""
    printer = new_printer(preferences)
    if not Interaction.ask_page_setup(parent, printer):
        return None
    setup = page_setup_of(printer.pageLayout())
    preferences.page_setup = setup
    preferences.sync()
    return setup


def describe_page_setup(setup: PageSetup) -> str:
    """The page setup in words: "A5, landscape, margins 5 mm"."""
    size = page_size(setup.page_size)
    paper = "the printer's paper" if size is None else size.name()
    orientation = "landscape" if setup.landscape else "portrait"
    widths = {_mm(value) for value in setup.margins_mm}
    if widths == {"0"}:
        margins = "no margins"
    elif len(widths) == 1:
        margins = f"margins {widths.pop()} mm"
    else:
        margins = "margins " + " / ".join(_mm(v) for v in setup.margins_mm) + " mm"
    return f"{paper}, {orientation}, {margins}"


# --- Rendering -------------------------------------------------------------------------------


_LOAD_ERRORS = {
    QtPdf.QPdfDocument.Error.InvalidFileFormat: "it is not a PDF, or it is damaged",
    QtPdf.QPdfDocument.Error.IncorrectPassword: "it is protected by a password",
    QtPdf.QPdfDocument.Error.UnsupportedSecurityScheme: "it is protected by a password",
}


@contextlib.contextmanager
def open_pdf(pdf: bytes) -> Iterator[QtPdf.QPdfDocument]:
    """The PDF ``pdf`` loaded in a ``QPdfDocument``, for the duration of the ``with``."""
    document = QtPdf.QPdfDocument()
    # pdfium reads the document from the buffer as pages are needed: the document owns it.
    buffer = QtCore.QBuffer(document)
    buffer.setData(QtCore.QByteArray(pdf))
    buffer.open(QtCore.QIODevice.OpenModeFlag.ReadOnly)
    try:
        document.load(buffer)
        if document.status() != QtPdf.QPdfDocument.Status.Ready or document.pageCount() < 1:
            reason = _LOAD_ERRORS.get(document.error(), "it cannot be read")
            raise PrintingFailed(f"The document cannot be printed: {reason}.")
        yield document
    finally:
        document.close()  # pdfium lets go of the buffer; Python deletes both
        buffer.close()


def pdf_page_count(pdf: bytes) -> int:
    """How many pages the PDF ``pdf`` has."""
    with open_pdf(pdf) as document:
        return document.pageCount()


def pages_to_print(page_count: int, printer: QPrinter) -> list[int]:
    """The pages (counted from 0) to paint on ``printer``, in order: the printer's page range
    if it has one (the print dialog's "Pages from ... to"), last page first if it says so, and
    each copy the printer does not make itself, collated or not."""
    ranges = printer.pageRanges()
    wanted = [n for n in range(1, page_count + 1) if ranges.isEmpty() or ranges.contains(n)]
    if printer.pageOrder() == QPrinter.PageOrder.LastPageFirst:
        wanted.reverse()
    copies = 1 if printer.supportsMultipleCopies() else max(printer.copyCount(), 1)
    if printer.collateCopies():
        order = wanted * copies
    else:
        order = [n for n in wanted for _copy in range(copies)]
    return [n - 1 for n in order]


def fit_page(page: QtCore.QSizeF, area: QtCore.QRectF) -> QtCore.QRectF:
    """Where a page of size ``page`` goes in ``area``: as large as fits, keeping its shape,
    centred."""
    scale = min(area.width() / page.width(), area.height() / page.height())
    width, height = page.width() * scale, page.height() * scale
    return QtCore.QRectF(
        area.x() + (area.width() - width) / 2,
        area.y() + (area.height() - height) / 2,
        width,
        height,
    )


def printable_area(printer: QPrinter) -> QtCore.QRectF:
    """The area a painter on ``printer`` may paint in, in its own coordinates (device pixels
    from the top left corner of the page inside the margins, or of the paper in full-page
    mode)."""
    unit = QPrinter.Unit.DevicePixel
    rect = printer.paperRect(unit) if printer.fullPage() else printer.pageRect(unit)
    return QtCore.QRectF(QtCore.QPointF(0, 0), rect.size())


def render_page(
    document: QtPdf.QPdfDocument, index: int, size: QtCore.QSize, *, grayscale: bool = False
) -> QtGui.QImage:
    """Page ``index`` (from 0) of ``document`` as an opaque image of ``size`` pixels, on
    white paper."""
    flags = QtPdf.QPdfDocumentRenderOptions.RenderFlag.Annotations
    if grayscale:
        flags |= QtPdf.QPdfDocumentRenderOptions.RenderFlag.Grayscale
    options = QtPdf.QPdfDocumentRenderOptions()
    options.setRenderFlags(flags)
    rendered = document.render(index, size, options)
    if rendered.isNull():
        raise PrintingFailed(f"Page {index + 1} of the document cannot be drawn.")
    # pdfium leaves the paper transparent; an opaque image prints smaller and the same on
    # every printer.
    page = QtGui.QImage(size, QtGui.QImage.Format.Format_RGB32)
    page.fill(QtCore.Qt.GlobalColor.white)
    painter = QtGui.QPainter(page)
    painter.drawImage(0, 0, rendered)
    painter.end()
    return page


def _output_name(printer: QPrinter) -> str:
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and printer.outputFileName():
        return printer.outputFileName()
    return printer.printerName() or "the printer"


def _discard_output(printer: QPrinter) -> None:
    """After a cancel or a failure: a file being printed to goes, rather than stay half
    written. (Qt cannot take back pages already sent to a printer: ``QPrinter.abort`` is
    not implemented by its PDF and CUPS engines.)"""
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and printer.outputFileName():
        Path(printer.outputFileName()).unlink(missing_ok=True)


@contextlib.contextmanager
def _painting(printer: QPrinter) -> Iterator[QtGui.QPainter]:
    """A painter on ``printer`` for the ``with``; anything raised inside aborts the print
    and discards its file."""
    painter = QtGui.QPainter()
    if not painter.begin(printer):
        raise PrintingFailed(f"Cannot print to {_output_name(printer)}.")
    painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
    try:
        yield painter
    except BaseException:
        printer.abort()
        painter.end()
        _discard_output(printer)
        raise
    painter.end()
    if printer.printerState() == QPrinter.PrinterState.Error:
        _discard_output(printer)
        raise PrintingFailed(f"Printing to {_output_name(printer)} failed.")


def _next_page(printer: QPrinter, first: bool) -> None:
    if not first and not printer.newPage():
        raise PrintingFailed(f"Cannot start a new page on {_output_name(printer)}.")


def _go_on(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and not progress(done, total):
        raise Cancelled("Printing was cancelled.")


def render_pdf_to_printer(
    pdf: bytes,
    printer: QPrinter,
    progress: Progress | None = None,
    *,
    max_dpi: int = PRINT_DPI,
) -> int:
    """Print the PDF ``pdf`` on ``printer`` (its page range, order and copies as
    ``pages_to_print`` says); returns how many pages were painted.

    Each page is rendered at the printer's resolution, up to ``max_dpi``, and fitted inside
    the printer's margins keeping its shape. ``progress(done, total)`` is called after each
    page; False stops: ``Cancelled`` is raised, and a file being printed to is removed.
    """
    with open_pdf(pdf) as document:
        order = pages_to_print(document.pageCount(), printer)
        if not order:
            raise PrintingFailed(
                f"The pages asked for are not in the document: it has {document.pageCount()}."
            )
        area = printable_area(printer)
        pixels_per_unit = min(max_dpi / printer.resolution(), 1.0)
        grayscale = printer.colorMode() == QPrinter.ColorMode.GrayScale
        with _painting(printer) as painter:
            for done, index in enumerate(order, start=1):
                _next_page(printer, done == 1)
                target = fit_page(document.pagePointSize(index), area)
                size = QtCore.QSize(
                    max(round(target.width() * pixels_per_unit), 1),
                    max(round(target.height() * pixels_per_unit), 1),
                )
                painter.drawImage(target, render_page(document, index, size, grayscale=grayscale))
                _go_on(progress, done, len(order))
    return len(order)


def render_preview_pages(
    pdf: bytes, progress: Progress | None = None, *, dpi: int = PREVIEW_DPI
) -> list[QtGui.QImage]:
    """Every page of the PDF ``pdf`` as an image at ``dpi`` of its own size, for a preview
    (``paint_images``). ``progress`` as for ``render_pdf_to_printer``."""
    images = []
    with open_pdf(pdf) as document:
        count = document.pageCount()
        for index in range(count):
            points = document.pagePointSize(index)
            size = QtCore.QSize(
                max(round(points.width() * dpi / POINTS_PER_INCH), 1),
                max(round(points.height() * dpi / POINTS_PER_INCH), 1),
            )
            # Three bytes a pixel, not four: the preview holds every page at once.
            image = render_page(document, index, size)
            images.append(image.convertToFormat(QtGui.QImage.Format.Format_RGB888))
            _go_on(progress, index + 1, count)
    return images


def paint_images(images: Sequence[QtGui.QImage], printer: QPrinter) -> int:
    """Paint page images (``render_preview_pages``) on ``printer``, as
    ``render_pdf_to_printer`` paints pages; returns how many were painted."""
    order = pages_to_print(len(images), printer)
    if not order:
        raise PrintingFailed(f"The pages asked for are not in the document: it has {len(images)}.")
    area = printable_area(printer)
    with _painting(printer) as painter:
        for number, index in enumerate(order):
            _next_page(printer, number == 0)
            image = images[index]
            painter.drawImage(fit_page(QtCore.QSizeF(image.size()), area), image)
    return len(order)


def _is_preview(printer: QPrinter) -> bool:
    """Whether ``printer`` is painting a print preview (QPrintPreviewWidget gives it a
    picture engine while it records the pages), not printing."""
    engine = printer.paintEngine()
    return engine is not None and engine.type() == QtGui.QPaintEngine.Type.Picture


# --- Print jobs --------------------------------------------------------------------------------


class PrintJob:
    """One PDF document to print or preview from a window, through the system's dialogs.

    Errors are shown to the user (``Interaction.show_error``); the methods say whether the
    document went to the printer (or the preview was shown).

    Attributes:
        parent: the window the dialogs belong to.
        preferences: where the page setup comes from.
        pdf: the document's bytes.
        title: what the document is ("Caseload summary of North Team"): the print job's name
            and the dialogs' title.
    """

    def __init__(
        self, parent: QtWidgets.QWidget, preferences: Preferences, pdf: bytes, title: str
    ) -> None:
        self.parent = parent
        self.preferences = preferences
        self.pdf = pdf
        self.title = title
        self.preview_pages: list[QtGui.QImage] = []

    def new_printer(self) -> QPrinter:
        printer = new_printer(self.preferences)
        printer.setDocName(self.title)
        return printer

    def _page_count(self) -> int | None:
        try:
            return pdf_page_count(self.pdf)
        except CaseloadError as exc:
            Interaction.show_error(self.parent, f"Cannot print {self.title}", str(exc))
            return None

    def print_document(self) -> bool:
        """Ask where and what to print (the print dialog), then print it."""
        pages = self._page_count()
        if pages is None:
            return False
        printer = self.new_printer()
        if not Interaction.ask_print(self.parent, printer, pages):
            return False
        return self.print_on(printer)

    def print_on(self, printer: QPrinter) -> bool:
        """Print the document on ``printer`` off the GUI thread, behind a progress dialog with
        Cancel."""
        # From the preview, the preview dialog is the window in front.
        parent = QtWidgets.QApplication.activeModalWidget() or self.parent
        try:
            run_with_progress(
                parent,
                self.title,
                f"Printing {self.title}…",
                lambda progress: render_pdf_to_printer(self.pdf, printer, progress),
            )
        except Cancelled:
            return False
        except CaseloadError as exc:
            Interaction.show_error(parent, f"Cannot print {self.title}", str(exc))
            return False
        return True

    def prepare_preview(self) -> bool:
        """Render the pages for the preview (off the GUI thread, with Cancel)."""
        pages = self._page_count()
        if pages is None:
            return False
        if pages > PREVIEW_MAX_PAGES:
            Interaction.show_error(
                self.parent,
                f"Cannot preview {self.title}",
                f"It has {pages} pages, and the preview shows up to {PREVIEW_MAX_PAGES}. "
                "Print it, or export it as a PDF and open that.",
            )
            return False
        try:
            self.preview_pages = run_with_progress(
                self.parent,
                self.title,
                f"Preparing the preview of {self.title}…",
                lambda progress: render_preview_pages(self.pdf, progress),
            )
        except Cancelled:
            return False
        except CaseloadError as exc:
            Interaction.show_error(self.parent, f"Cannot preview {self.title}", str(exc))
            return False
        return True

    def preview(self) -> bool:
        """Show the print preview (from which the user may print)."""
        if not self.prepare_preview():
            return False
        try:
            Interaction.show_print_preview(
                self.parent, self.new_printer(), f"Print preview: {self.title}", self.paint
            )
        finally:
            self.preview_pages = []  # the images go with the preview
        return True

    def paint(self, printer: QPrinter) -> None:
        """The preview's ``paintRequested``: the prepared page images when it previews; the
        document itself, at print resolution, when the user prints from the preview."""
        if _is_preview(printer) and self.preview_pages:
            try:
                paint_images(self.preview_pages, printer)
            except CaseloadError as exc:
                Interaction.show_error(self.parent, f"Cannot preview {self.title}", str(exc))
        else:
            self.print_on(printer)
