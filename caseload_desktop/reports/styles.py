"""The look every PDF record shares, and writing one safely.

Every page carries the protective marking at the top and the bottom, the council's logo and
name, the record's title and ID, and "Page X of Y" (DOMAIN.md, "A supervision record"). Text
is set in DejaVu Sans, embedded from ``resources/fonts`` (the standard PDF fonts cannot show
names like Zoë or Łukasz). Output is reproducible: ReportLab's invariant mode, and the
creation date taken from the record, so the same record gives the same bytes.

Reports build a list of platypus flowables from plain dataclasses and hand it to
``render_pdf``; ``write_pdf`` puts the bytes in place through a temporary file, so a failure
never leaves a partial PDF behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    LongTable,
    PageTemplate,
    TableStyle,
)

from caseload_desktop import locations
from caseload_desktop.domain.settings import Logo, RecordsStyle
from caseload_desktop.errors import BadInput

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"

PAGE_SIZE = A4
LOGO_FORM = "CouncilLogo"
MARGIN = 18 * mm
HEADER_HEIGHT = 26 * mm
FOOTER_HEIGHT = 14 * mm
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
ACCENT = colors.HexColor("#1f4e79")
RULE = colors.HexColor("#b7c3cf")
ALERT = colors.HexColor("#b00020")
HEADER_FILL = colors.HexColor("#e8eef4")
BAND = colors.HexColor("#f6f8fa")
GRID_FONT_SIZE = 8.5


@functools.cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular, bold, italic) with ReportLab, once."""
    fonts = locations.resources_dir() / "fonts"
    for name, file in (
        (FONT, "DejaVuSans.ttf"),
        (FONT_BOLD, "DejaVuSans-Bold.ttf"),
        (FONT_ITALIC, "DejaVuSans-Oblique.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(fonts / file)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD
    )


@functools.cache
def paragraph_styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of every record (title, headings, body, table cells, notes)."""
    register_fonts()
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK, alignment=TA_LEFT
    )
    return {
        "body": body,
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=17, leading=21, spaceAfter=2 * mm
        ),
        "team_title": ParagraphStyle(
            "team_title", parent=body, fontName=FONT_BOLD, fontSize=14, leading=18
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, textColor=MUTED, fontSize=10, spaceAfter=4 * mm
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=15,
            textColor=ACCENT,
            spaceBefore=5 * mm,
            spaceAfter=2 * mm,
        ),
        "subheading": ParagraphStyle(
            "subheading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=3 * mm,
            spaceAfter=1 * mm,
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5),
        "cell_head": ParagraphStyle(
            "cell_head", parent=body, fontName=FONT_BOLD, fontSize=8, leading=10
        ),
        "note": ParagraphStyle("note", parent=body, fontSize=8, leading=10, textColor=MUTED),
    }


def record_table(
    rows: Sequence[Sequence[Any]],
    col_widths: Sequence[float] | None = None,
    *,
    header_rows: int = 1,
    zebra: bool = True,
    extra: Sequence[tuple[Any, ...]] = (),
) -> LongTable:
    """A table in the records' style: a shaded header row repeated on every page, light
    banding, the embedded font (a table's own default is Helvetica, which is not embedded).
    Cells that may need to wrap should be ``Paragraph``s in the ``cell`` / ``cell_head``
    styles; plain strings draw several times faster (``\n`` breaks a line)."""
    register_fonts()
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, ACCENT),
        ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, RULE),
    ]
    if header_rows:
        commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL))
        commands.append(("FONTNAME", (0, 0), (-1, header_rows - 1), FONT_BOLD))
        commands.append(("FONTSIZE", (0, 0), (-1, header_rows - 1), 8))
    if zebra:
        commands.append(("ROWBACKGROUNDS", (0, header_rows), (-1, -1), [colors.white, BAND]))
    commands.extend(extra)  # the caller's own commands, applied last
    return LongTable(
        [list(row) for row in rows],
        colWidths=list(col_widths) if col_widths is not None else None,
        repeatRows=header_rows,
        style=TableStyle(commands),
        hAlign="LEFT",
    )


@dataclasses.dataclass(frozen=True)
class GridColumn:
    """A column of a ``Grid``: its heading, width and alignment ("left" or "right")."""

    heading: str
    width: float
    align: str = "left"


def wrap_text(text: str, width: float, font: str = FONT, size: float = GRID_FONT_SIZE) -> str:
    """``text`` broken into lines (``\n``) that fit ``width`` points in ``font``: for ``Grid``
    cells, which do not wrap by themselves. Breaks at spaces, and inside a word only when the
    word alone is too wide; the text's own line breaks are kept."""
    register_fonts()
    lines: list[str] = []
    for source in text.split("\n"):
        for line in simpleSplit(source, font, size, width) or [""]:
            while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
            lines.append(line)
    return "\n".join(lines)


class Grid(Flowable):
    """A table of plain text drawn straight on the canvas, in the look of ``record_table``:
    shaded heading row (repeated when the grid splits across pages), light banding, rules.

    Several times quicker than a platypus ``Table`` (no per-cell style resolution), for the
    tables a service summary repeats on hundreds of pages. A cell is a string, ``\n`` for a
    second line; text does not wrap by itself, so widths must suit the content (or wrap it
    first with ``wrap_text``). ``fills`` colours single cells: ``{(row, column): colour}`` with
    rows counted from 0 below the heading. ``continued`` is a caption ("Caseload (continued)")
    drawn above the heading row on every page the grid continues onto.
    """

    FONT_SIZE = GRID_FONT_SIZE
    LEADING = 10.5
    PADDING = 3.0
    CAPTION_SIZE = 8.5
    CAPTION_HEIGHT = 15.0

    def __init__(
        self,
        columns: Sequence[GridColumn],
        rows: Sequence[Sequence[str]],
        *,
        fills: dict[tuple[int, int], Any] | None = None,
        colours: dict[tuple[int, int], Any] | None = None,
        continued: str = "",
        caption: str = "",
    ) -> None:
        super().__init__()
        register_fonts()
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]
        self.fills = fills or {}
        self.colours = colours or {}
        self.continued = continued
        self.caption = caption  # set on the parts after the first: ``continued``
        self.heights = [self._height(row) for row in self.rows]
        self.head_height = self._height([c.heading for c in self.columns])
        self.caption_height = self.CAPTION_HEIGHT if caption else 0.0
        self.hAlign = "LEFT"

    def _height(self, row: Sequence[str]) -> float:
        lines = max((cell.count("\n") + 1 for cell in row), default=1)
        return lines * self.LEADING + 2 * self.PADDING

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = sum(c.width for c in self.columns)
        self.height = self.caption_height + self.head_height + sum(self.heights)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        room = available_height - self.caption_height - self.head_height
        fits = 0
        for height in self.heights:
            if room < height:
                break
            room -= height
            fits += 1
        if fits == 0 or fits == len(self.rows):
            return [] if fits == 0 else [self]
        return [
            self._part(0, fits),
            self._part(fits, len(self.rows)),
        ]

    def _part(self, start: int, end: int) -> Grid:
        def shifted(cells: dict[tuple[int, int], Any]) -> dict[tuple[int, int], Any]:
            return {(r - start, c): v for (r, c), v in cells.items() if start <= r < end}

        return Grid(
            self.columns,
            self.rows[start:end],
            fills=shifted(self.fills),
            colours=shifted(self.colours),
            continued=self.continued,
            caption=self.continued if start else self.caption,
        )

    def _text(
        self, out: Any, x: float, top: float, column: GridColumn, text: str, font: str, size: float
    ) -> None:
        """Add a cell's lines to the text object ``out`` (one text object a grid: drawing
        each string on its own costs most of the time of a page)."""
        baseline = top - self.PADDING - size
        for line in text.split("\n"):
            if column.align == "right":
                left = x + column.width - self.PADDING - pdfmetrics.stringWidth(line, font, size)
            else:
                left = x + self.PADDING
            out.setTextOrigin(left, baseline)
            out.textOut(line)
            baseline -= self.LEADING

    def draw(self) -> None:
        canvas = self.canv
        width = self.width
        top = self.height - self.caption_height
        if self.caption:
            canvas.setFont(FONT_BOLD, self.CAPTION_SIZE)
            canvas.setFillColor(ACCENT)
            canvas.drawString(0, top + 5, self.caption)
        # Backgrounds and rules first, then all the text in one text object.
        canvas.setFillColor(HEADER_FILL)
        canvas.rect(0, top - self.head_height, width, self.head_height, stroke=0, fill=1)
        row_top = top - self.head_height
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(0.8)
        canvas.line(0, row_top, width, row_top)
        canvas.setLineWidth(0.25)
        canvas.setStrokeColor(RULE)
        for number, height in enumerate(self.heights):
            if number % 2:
                canvas.setFillColor(BAND)
                canvas.rect(0, row_top - height, width, height, stroke=0, fill=1)
            x = 0.0
            for index, column in enumerate(self.columns):
                fill = self.fills.get((number, index))
                if fill is not None:
                    canvas.setFillColor(fill)
                    canvas.rect(x, row_top - height, column.width, height, stroke=0, fill=1)
                x += column.width
            row_top -= height
            canvas.line(0, row_top, width, row_top)

        out = canvas.beginText()
        out.setFont(FONT_BOLD, 8)
        out.setFillColor(INK)
        x = 0.0
        for column in self.columns:
            self._text(out, x, top, column, column.heading, FONT_BOLD, 8)
            x += column.width
        out.setFont(FONT, self.FONT_SIZE)
        row_top = top - self.head_height
        current: Any = INK
        for number, (row, height) in enumerate(zip(self.rows, self.heights, strict=True)):
            x = 0.0
            for index, (column, cell) in enumerate(zip(self.columns, row, strict=True)):
                colour = self.colours.get((number, index), INK)
                if colour is not current:
                    out.setFillColor(colour)
                    current = colour
                self._text(out, x, row_top, column, cell, FONT, self.FONT_SIZE)
                x += column.width
            row_top -= height
        canvas.drawText(out)


class Line(Flowable):
    """One line of text in a paragraph style, drawn without paragraph layout: for titles and
    headings repeated thousands of times (a service summary's team pages). Text that may not
    fit on one line belongs in a ``Paragraph``."""

    def __init__(self, text: str, style: ParagraphStyle) -> None:
        super().__init__()
        self.text = text
        self.style = style

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.style.leading

    def getSpaceBefore(self) -> float:
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:
        return float(self.style.spaceAfter)

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFont(self.style.fontName, self.style.fontSize)
        canvas.setFillColor(self.style.textColor)
        descent = self.style.leading - self.style.fontSize
        canvas.drawString(0, descent, self.text)


@dataclasses.dataclass(frozen=True)
class RecordMeta:
    """What identifies a record on every page and in the PDF's properties.

    ``created`` is the record's own time (when it was finalised, or the "as at" of a
    summary): it becomes the PDF's creation date, so the same record gives the same bytes.
    """

    title: str
    record_id: str
    created: dt.datetime
    subject: str = ""
    author: str = ""
    #: A warning boxed in the alert colour in the header of every page ("DRAFT – not
    #: finalised"); ``watermark``, a word set large and faint across every page ("DRAFT").
    notice: str = ""
    watermark: str = ""


def default_logo() -> Logo:
    path = locations.resources_dir() / "images" / "default-logo.svg"
    return Logo("svg", path.read_bytes())


@functools.lru_cache(maxsize=8)
def _svg_drawing(data: bytes) -> Drawing:
    from svglib.svglib import svg2rlg

    drawing = svg2rlg(io.BytesIO(data))
    if drawing is None:
        raise BadInput("The council's logo (an SVG) cannot be drawn; choose another image.")
    register_fonts()
    drawing.initialFontName = FONT  # type: ignore[attr-defined]  # else the renderer names Helvetica, a font not embedded
    return drawing


def draw_logo(canvas: Canvas, logo: Logo, x: float, y: float, width: float, height: float) -> None:
    """Draw ``logo`` to fit inside the box at (x, y), keeping its proportions, left-aligned."""
    if logo.format == "svg":
        drawing = _svg_drawing(logo.data)
        scale = min(width / drawing.width, height / drawing.height)
        canvas.saveState()
        canvas.translate(x, y + (height - drawing.height * scale) / 2)
        canvas.scale(scale, scale)
        renderPDF.draw(drawing, canvas, 0, 0)
        canvas.restoreState()
        return
    image = ImageReader(io.BytesIO(logo.data))
    image_width, image_height = image.getSize()
    scale = min(width / image_width, height / image_height)
    drawn_height = image_height * scale
    canvas.drawImage(
        image,
        x,
        y + (height - drawn_height) / 2,
        image_width * scale,
        drawn_height,
        mask="auto",
    )


class _RecordDoc(BaseDocTemplate):
    """A4 portrait with room for the record's header and footer on every page."""

    def __init__(self, target: Any, meta: RecordMeta, **kwargs: Any) -> None:
        super().__init__(
            target,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + HEADER_HEIGHT,
            bottomMargin=MARGIN + FOOTER_HEIGHT,
            title=meta.title,
            author=meta.author,
            subject=meta.subject,
            creator="Caseload Desktop",
            invariant=1,
            initialFontName=FONT,  # no standard (unembedded) font anywhere in the file
            **kwargs,
        )
        self.meta = meta
        # No padding: the body spans exactly the header's rule, margin to margin (174 mm).
        frame = Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            self.height,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
            showBoundary=0,
        )
        self.addPageTemplates([PageTemplate(id="record", frames=[frame])])

    def beforeDocument(self) -> None:
        created = self.meta.created.astimezone(dt.UTC)
        stamp = created.strftime("D:%Y%m%d%H%M%S+00'00'")
        self.canv.setDateFormatter(lambda *_parts: stamp)


def _page_decorator(meta: RecordMeta, style: RecordsStyle) -> Callable[[Canvas, int, int], None]:
    logo = style.logo or default_logo()
    marking = style.protective_marking
    council = style.council_name

    def decorate(canvas: Canvas, page: int, pages: int) -> None:
        width, height = PAGE_SIZE
        left, right = MARGIN, width - MARGIN
        canvas.saveState()
        # The marking, top and bottom, centred in bold capitals.
        canvas.setFillColor(INK)
        canvas.setFont(FONT_BOLD, 10)
        canvas.drawCentredString(width / 2, height - MARGIN + 2 * mm, marking)
        canvas.drawCentredString(width / 2, MARGIN - 6 * mm, marking)
        # Header band: logo, council, record title and ID.
        band_top = height - MARGIN - 2 * mm
        logo_size = 15 * mm
        # The logo is drawn once into a form (a PDF XObject) that every page reuses.
        if not getattr(canvas, "_logo_drawn", False):
            canvas.beginForm(LOGO_FORM, 0, 0, logo_size, logo_size)
            draw_logo(canvas, logo, 0, 0, logo_size, logo_size)
            canvas.endForm()
            canvas._logo_drawn = True  # type: ignore[attr-defined]
        canvas.saveState()
        canvas.translate(left, band_top - logo_size)
        canvas.doForm(LOGO_FORM)
        canvas.restoreState()
        text_x = left + logo_size + 4 * mm
        canvas.setFont(FONT_BOLD, 11)
        canvas.setFillColor(ACCENT)
        canvas.drawString(text_x, band_top - 6 * mm, council or "Children's services")
        canvas.setFont(FONT, 8.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(text_x, band_top - 11 * mm, meta.title)
        canvas.drawRightString(right, band_top - 6 * mm, f"Record ID: {meta.record_id}")
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        rule_y = band_top - logo_size - 3 * mm
        canvas.line(left, rule_y, right, rule_y)
        # Footer: rule, record ID, page X of Y.
        footer_y = MARGIN + 2 * mm
        canvas.line(left, footer_y + 4 * mm, right, footer_y + 4 * mm)
        canvas.setFont(FONT, 8)
        canvas.drawString(left, footer_y, f"{meta.title} · {meta.record_id}")
        canvas.drawRightString(right, footer_y, f"Page {page} of {pages}")
        if meta.notice:
            _draw_notice(canvas, meta.notice, right, band_top - 15 * mm)
        if meta.watermark:
            _draw_watermark(canvas, meta.watermark)
        canvas.restoreState()

    return decorate


def _draw_notice(canvas: Canvas, notice: str, right: float, bottom: float) -> None:
    """``notice`` in white on the alert colour, in a box whose right edge is at ``right``."""
    size = 8.5
    width = pdfmetrics.stringWidth(notice, FONT_BOLD, size) + 4 * mm
    height = 5.5 * mm
    canvas.setFillColor(ALERT)
    canvas.roundRect(right - width, bottom, width, height, 1.2 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(FONT_BOLD, size)
    canvas.drawCentredString(right - width / 2, bottom + (height - size) / 2 + 1.2, notice)


def _draw_watermark(canvas: Canvas, word: str) -> None:
    """``word`` large, faint and diagonal across the middle of the page, over the content."""
    width, height = PAGE_SIZE
    size = 110.0
    canvas.saveState()
    canvas.setFillColor(ALERT)
    canvas.setFillAlpha(0.07)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(50)
    while size > 20 and pdfmetrics.stringWidth(word, FONT_BOLD, size) > height * 0.75:
        size -= 5
    canvas.setFont(FONT_BOLD, size)
    canvas.drawCentredString(0, -size / 3, word)
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Holds every page until the end, so each can say "Page X of Y"."""

    def __init__(
        self, *args: Any, decorate: Callable[[Canvas, int, int], None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # Canvas's own page reset

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(self, number, total)
            super().showPage()
        super().save()


def render_pdf(story: Sequence[Flowable], meta: RecordMeta, style: RecordsStyle) -> bytes:
    """The PDF bytes of ``story`` laid out as a record of the council (``style``)."""
    register_fonts()
    buffer = io.BytesIO()
    doc = _RecordDoc(buffer, meta)
    decorate = _page_decorator(meta, style)
    doc.build(
        list(story),
        canvasmaker=functools.partial(_NumberedCanvas, decorate=decorate),
    )
    return buffer.getvalue()


def check_destination(path: Path, what: str) -> None:
    """Refuse a file to write (``what``: "PDF", "CSV") that is a folder or whose folder does
    not exist, before anything is written."""
    if path.is_dir():
        raise BadInput(f"{path} is a folder; give a file name for the {what}.")
    if not path.parent.is_dir():
        raise BadInput(f"The folder {path.parent} does not exist.")


def write_pdf(data: bytes, path: Path) -> str:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it
    into place; returns the SHA-256 of the bytes. A failure leaves no partial file."""
    path = path.expanduser()
    check_destination(path, "PDF")
    folder = path.parent
    try:
        handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
    except OSError as exc:
        raise BadInput(f"Cannot write in {folder}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as exc:
        Path(partial).unlink(missing_ok=True)
        raise BadInput(
            f"Cannot write {path}: {exc.strerror or exc}. No file was written."
        ) from None
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()
