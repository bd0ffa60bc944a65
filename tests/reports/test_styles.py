"""The shared look of PDF records: marking, council, logo, page X of Y, fonts, safe writing.

Every PDF is parsed back with pypdf; nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from caseload_desktop.domain.settings import RecordsStyle, logo_from_bytes
from caseload_desktop.errors import BadInput
from caseload_desktop.reports import styles

META = styles.RecordMeta(
    title="Supervision record",
    record_id="SUP-000042",
    created=dt.datetime(2026, 11, 26, 14, 30, tzinfo=dt.UTC),
    author="Caseload Desktop tests",
)


def png_bytes(colour: str = "#c0392b") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def long_story(rows: int) -> list[object]:
    st = styles.paragraph_styles()
    table = styles.record_table(
        [[Paragraph("Case", st["cell_head"]), Paragraph("Child", st["cell_head"])]]
        + [
            [Paragraph(f"C-{i:05d}", st["cell"]), Paragraph("Zoë O'Brien Łukasz", st["cell"])]
            for i in range(rows)
        ]
    )
    return [Paragraph("Caseload", st["title"]), table]


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def image_count(data: bytes) -> int:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return sum(len(page.images) for page in reader.pages)


def test_every_page_carries_the_marking_council_record_id_and_page_x_of_y() -> None:
    style = RecordsStyle(council_name="Northshire County Council", protective_marking="OFFICIAL")
    data = styles.render_pdf(long_story(150), META, style)

    texts = pages_text(data)
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert text.count("OFFICIAL") >= 2  # top and bottom
        assert "Northshire County Council" in text
        assert "SUP-000042" in text
        assert f"Page {number} of {len(texts)}" in text


def test_a_table_over_many_pages_repeats_its_header_row() -> None:
    texts = pages_text(styles.render_pdf(long_story(150), META, RecordsStyle()))
    assert len(texts) >= 3
    assert all("Case" in t and "Child" in t for t in texts)
    assert "C-00149" in texts[-1]


def test_names_with_diacritics_and_apostrophes_come_out_as_text() -> None:
    text = pages_text(styles.render_pdf(long_story(3), META, RecordsStyle()))[0]
    assert "Zoë O'Brien Łukasz" in text


def test_the_font_is_embedded() -> None:
    reader = pypdf.PdfReader(io.BytesIO(styles.render_pdf(long_story(3), META, RecordsStyle())))
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:  # every font is DejaVu Sans, embedded (no standard, unembedded font)
        assert "DejaVuSans" in str(font["/BaseFont"])
        assert "/FontFile2" in font["/FontDescriptor"].get_object()


def test_the_same_record_gives_byte_identical_pdfs_dated_from_the_record() -> None:
    style = RecordsStyle(council_name="Northshire County Council")
    first = styles.render_pdf(long_story(40), META, style)
    second = styles.render_pdf(long_story(40), META, style)
    assert first == second
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20261126143000")
    assert info["/Title"] == "Supervision record"


def test_a_png_logo_is_drawn_on_every_page() -> None:
    style = RecordsStyle(council_name="Northshire", logo=logo_from_bytes(png_bytes()))
    data = styles.render_pdf(long_story(150), META, style)
    pages = len(pages_text(data))
    assert image_count(data) == pages


def test_a_changed_logo_changes_the_pdf() -> None:
    red = styles.render_pdf(long_story(3), META, RecordsStyle(logo=logo_from_bytes(png_bytes())))
    blue = styles.render_pdf(
        long_story(3), META, RecordsStyle(logo=logo_from_bytes(png_bytes("#2255aa")))
    )
    assert red != blue


def test_an_svg_logo_and_the_default_logo_are_drawn_as_vectors() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        b'<rect width="40" height="20" fill="#123456"/></svg>'
    )
    with_svg = styles.render_pdf(long_story(3), META, RecordsStyle(logo=logo_from_bytes(svg)))
    default = styles.render_pdf(long_story(3), META, RecordsStyle())
    # Vectors, not images; and the council's own logo replaces the neutral one.
    assert image_count(with_svg) == 0 and image_count(default) == 0
    assert with_svg != default
    assert styles.default_logo().format == "svg"


def test_write_pdf_puts_the_file_in_place_and_returns_its_sha256(tmp_path: Path) -> None:
    data = styles.render_pdf(long_story(3), META, RecordsStyle())
    target = tmp_path / "record.pdf"
    digest = styles.write_pdf(data, target)
    assert target.read_bytes() == data
    import hashlib

    assert digest == hashlib.sha256(data).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == ["record.pdf"]


def test_write_pdf_replaces_an_older_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "record.pdf"
    target.write_bytes(b"old")
    styles.write_pdf(b"%PDF-new", target)
    assert target.read_bytes() == b"%PDF-new"


@pytest.mark.parametrize("where", ["missing folder", "a folder", "read-only folder"])
def test_write_pdf_refuses_clearly_and_leaves_no_partial_file(tmp_path: Path, where: str) -> None:
    if where == "missing folder":
        target = tmp_path / "nowhere" / "record.pdf"
    elif where == "a folder":
        target = tmp_path / "record.pdf"
        target.mkdir()
    else:
        if os.geteuid() == 0:
            pytest.skip("root can write into a read-only folder")
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "record.pdf"
    try:
        with pytest.raises(BadInput) as refused:
            styles.write_pdf(b"%PDF-", target)
        assert str(target.parent) in str(refused.value) or str(target) in str(refused.value)
        leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".partial")]
        assert leftovers == []
    finally:
        if where == "read-only folder":
            (tmp_path / "locked").chmod(0o700)


def test_a_grid_splits_across_pages_repeating_its_heading_and_keeping_every_row() -> None:
    columns = [
        styles.GridColumn("Case", 30 * mm),
        styles.GridColumn("Child", 60 * mm),
        styles.GridColumn("Days", 20 * mm, "right"),
    ]
    rows = [
        [f"C-{i:05d}", "Zoë O'Brien\nsecond line" if i % 7 == 0 else "Łukasz", str(i)]
        for i in range(160)
    ]
    grid = styles.Grid(columns, rows, fills={(0, 2): styles.ALERT})
    texts = pages_text(styles.render_pdf([grid], META, RecordsStyle()))
    assert len(texts) >= 3
    assert all("Case" in t and "Child" in t and "Days" in t for t in texts)
    everything = "\n".join(texts)
    assert all(f"C-{i:05d}" in everything for i in range(160))
    assert "Zoë O'Brien" in everything and "second line" in everything
    # Split pieces are whole rows: no case appears on two pages.
    assert sum(t.count("C-00007") for t in texts) == 1
