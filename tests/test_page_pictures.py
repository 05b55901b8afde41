"""How much of a page its pictures cover, read from the PDF structure."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pikepdf
from conftest import drawn_pdf
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from medxtract_lab.corpus.degrade import jpeg
from medxtract_lab.page_pictures import picture_coverage
from medxtract_lab.pipeline import extract

PAGE = (600, 800)  # points
IMAGE = jpeg(np.full((40, 40), 120, np.uint8), 90)


def _coverage(data: bytes) -> float:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return picture_coverage(pdf.pages[0])


def test_a_page_without_images_has_no_coverage() -> None:
    assert _coverage(drawn_pdf(lambda pdf: pdf.drawString(72, 72, "text only"), PAGE)) == 0.0


def test_overlapping_images_count_once() -> None:
    def two(pdf: canvas.Canvas) -> None:
        for _ in range(2):
            pdf.drawImage(ImageReader(io.BytesIO(IMAGE)), 0, 0, 300, 800)

    assert abs(_coverage(drawn_pdf(two, PAGE)) - 0.5) < 0.02


def test_an_image_inside_nested_forms_is_measured_with_their_matrices() -> None:
    def nested(pdf: canvas.Canvas) -> None:
        pdf.beginForm("inner")
        pdf.drawImage(ImageReader(io.BytesIO(IMAGE)), 0, 0, 600, 800)
        pdf.endForm()
        pdf.beginForm("outer")
        pdf.scale(0.5, 1)  # the outer form halves the width
        pdf.doForm("inner")
        pdf.endForm()
        pdf.doForm("outer")

    assert abs(_coverage(drawn_pdf(nested, PAGE)) - 0.5) < 0.02


def test_content_that_inflates_beyond_the_budget_is_not_parsed(tmp_path: Path) -> None:
    data = drawn_pdf(
        lambda pdf: pdf.drawImage(ImageReader(io.BytesIO(IMAGE)), 0, 0, 600, 800), PAGE
    )
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        bomb = b"q Q " * (16 * 1024 * 1024)  # 64 MB of operators, about 64 KB compressed
        page.contents_add(pdf.make_stream(zlib.compress(bomb, 9), Filter=pikepdf.Name.FlateDecode))
        assert picture_coverage(page) == 0.0


def test_a_born_digital_page_with_a_large_image_keeps_its_text_layer(docs, tmp_path) -> None:
    """A letterhead or a chart is a picture, but the page's words are in its text layer."""
    doc = docs["prescription-digital"]
    over = drawn_pdf(
        lambda pdf: pdf.drawImage(ImageReader(io.BytesIO(IMAGE)), 0, 0, 600, 500), PAGE
    )
    with pikepdf.open(doc.path) as base, pikepdf.open(io.BytesIO(over)) as image:
        base.pages[0].add_underlay(image.pages[0])
        base.save(tmp_path / "letterhead.pdf")
    with pikepdf.open(tmp_path / "letterhead.pdf") as pdf:
        assert picture_coverage(pdf.pages[0]) > 0.55
    result = extract(tmp_path / "letterhead.pdf", "prescription")
    assert result.page_sources == ["text_layer"] and result.fields == doc.fields
