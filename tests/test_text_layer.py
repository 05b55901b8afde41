"""Text layers with word boxes: the same text plain pdftotext prints, on odd PDFs too."""

from __future__ import annotations

import subprocess

from conftest import drawn_pdf
from reportlab.pdfgen import canvas

from medxtract_lab.config import RenderSettings
from medxtract_lab.text_layer import text_layers


def _odd(pdf: canvas.Canvas) -> None:
    pdf.setAuthor("Dr \x01 Control")  # copied raw into pdftotext's XHTML
    pdf.setFont("Helvetica", 12)
    pdf.drawString(20, 350, "Take it on the 5")
    pdf.setFont("Helvetica", 7)  # a superscript: a word of its own in the layout
    pdf.drawString(20 + pdf.stringWidth("Take it on the 5", "Helvetica", 12), 354, "th")
    pdf.setFont("Helvetica", 12)
    pdf.drawString(20, 330, "day of every month with water")


def test_odd_metadata_and_split_words_keep_the_text_layer(tmp_path) -> None:
    path = tmp_path / "odd.pdf"
    path.write_bytes(drawn_pdf(_odd))
    layers = text_layers(path, RenderSettings(dpi=300))
    assert layers is not None and layers[0] is not None
    layer = layers[0]
    plain = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    assert layer.text == plain.stdout.decode().rstrip("\f")
    assert "5th" in layer.text
    width, height = layer.size
    assert (width, height) == (round(300 * 300 / 72), round(400 * 300 / 72))
    for word in layer.words:
        assert layer.text[word.start : word.end] == word.text
        left, top, w, h = word.box
        assert left >= 0 and left + w <= width and top >= 0 and top + h <= height
