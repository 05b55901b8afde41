"""A PDF's embedded text with the box of every word, read by pdfium (pypdfium2) in a child.

Word boxes make text-layer pages geometric like OCR pages: values are kept within their column
and every field can say where it was read. pdfium replaced poppler's ``pdftotext -bbox-layout``
here. On the 20 born-digital corpus documents it took 4.3 ms a document against 11.1 when it
replaced poppler (median, in-process; 6 ms of poppler's was its program's start-up, mostly
dynamic linking), found the same words, and the corpus read the same fields; page text matches
the references (CER 0 on both born-digital sets, where pdftotext's read 0 and 5.6%). A word's
box is the ink of its glyphs, as OCR boxes a word. pdfium keeps the order in which the PDF
draws its text; the lines are put in rows (``_in_rows``), as OCR reads a form.

pdfium runs in a child process under a memory cap and a time limit (``pdfium_child``), and
what it is given is bounded before it starts, so a known costly file is not tried: it holds
about 280 bytes per character of a page while reading it (a page drawing 5 MB of text took
1.4 GB), so a page with more than ``MAX_TEXT_BYTES`` of content is not read here, and a
document whose fonts and other streams decode to more than ``MAX_STREAM_BYTES`` is not read
here at all (``pipeline`` reads those pages by OCR).

pdfium reads a page's own content only; poppler also drew each annotation's appearance (a
filled form field, a note typed onto the page), and so does its render that OCR reads. A page
with annotations is therefore flattened in memory first, as it is displayed.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from medxtract_lab import pdfium_child, poppler
from medxtract_lab.config import RenderSettings
from medxtract_lab.ocr import Word

if TYPE_CHECKING:
    import pypdfium2 as pdfium

# A page counts as born-digital when its text layer holds at least this many letters or digits.
MIN_TEXT_LAYER_CHARS = 20
# The most content (decoded bytes, as ``render.read_info`` measures it) a page's text layer is
# read from: 300 times the largest corpus page, 5 times a page of 6-point print set with
# kerning; pdfium then holds at most about 300 MB.
MAX_TEXT_BYTES = 1 << 20
# The most a document's streams other than images may decode to for pdfium to read its text
# layer: pdfium inflates fonts and character maps in full (a 1 MB file whose font inflated to
# 1 GiB took 2.1 GB), which its child's memory cap would end after seconds of work.
MAX_STREAM_BYTES = 64 << 20
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WORD = re.compile(r"\S+")


class TextLayerUnread(Exception):
    """A document's text layer could not be read; the message says why, for a warning."""


@dataclass(frozen=True)
class TextLayer:
    """One page's embedded text and its words, boxed in pixels at the render resolution (the
    space an OCR read of the same page would use); ``size`` is the page in those pixels."""

    text: str
    words: tuple[Word, ...]
    size: tuple[int, int]


def text_layers(
    path: str | Path,
    settings: RenderSettings,
    wanted: Sequence[bool],
    media_boxes: Sequence[tuple[float, float, float, float]],
) -> list[TextLayer | None]:
    """The text layer of each page (``wanted`` says which to read), None for a page not read
    or without a real text layer. Raises ``TextLayerUnread`` when pdfium cannot open or read
    the file, or its reader in ``pdfium_child`` fails (the document is then read by OCR). The
    file has already passed ``render.read_info``."""
    if not any(wanted):
        return [None] * len(wanted)
    try:
        layers = pdfium_child.run(
            read_layers,
            str(path),
            settings.dpi / 72,
            list(wanted),
            list(media_boxes),
            stage="reading the text layer",
        )
    except pdfium_child.ChildFailed as failed:
        raise TextLayerUnread(str(failed)) from failed
    if layers is None:
        raise TextLayerUnread("pdfium could not open or read the file")
    return [
        layer
        if layer is not None and sum(ch.isalnum() for ch in layer.text) >= MIN_TEXT_LAYER_CHARS
        else None
        for layer in layers
    ]


def read_layers(
    path: str,
    scale: float,
    wanted: list[bool],
    media_boxes: list[tuple[float, float, float, float]],
) -> list[TextLayer | None] | None:
    """In ``pdfium_child``: the wanted pages' layers at ``scale`` pixels per point, or None
    when pdfium cannot open or read the file."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        return None
    try:
        return [
            _read_page(document, index, scale, media_boxes[index]) if read else None
            for index, read in enumerate(wanted)
        ]
    except (pdfium.PdfiumError, AssertionError):
        # AssertionError: pypdfium2 checks that the text is as long as pdfium said, which text
        # outside the Basic Multilingual Plane can fail (its text is UCS-2).
        return None
    finally:
        document.close()


def _read_page(
    document: pdfium.PdfDocument,
    index: int,
    scale: float,
    media_box: tuple[float, float, float, float],
) -> TextLayer:
    import pypdfium2.raw as pdfium_c

    page = document[index]
    if pdfium_c.FPDFPage_GetAnnotCount(page.raw) > 0:
        pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_NORMALDISPLAY)
        page.close()  # pdfium shows the flattened content to a page loaded again
        page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return _layer(textpage, _Placement(page, scale, media_box))
        finally:
            textpage.close()
    finally:
        page.close()


class _Placement:
    """Where a point of the page lands on the page as poppler rasterises it for OCR: its media
    box (as ``render.read_info`` reads it, inherited and sorted: pdfium's own takes a Letter
    page when the box is set on /Pages), turned by /Rotate, at ``scale`` pixels per point."""

    def __init__(
        self, page: pdfium.PdfPage, scale: float, media_box: tuple[float, float, float, float]
    ) -> None:
        self.left, self.bottom, right, top = media_box
        self.width, self.height = (right - self.left) * scale, (top - self.bottom) * scale
        self.turn = page.get_rotation() % 360
        self.scale = scale
        upright = [
            poppler.page_pixels(side, scale * 72) for side in (right - self.left, top - self.bottom)
        ]
        self.size = tuple(upright if self.turn in (0, 180) else upright[::-1])

    def pixel(self, x: float, y: float) -> tuple[float, float]:
        """Page units (y up) to pixels (y down) on the turned page."""
        px, py = (x - self.left) * self.scale, self.height - (y - self.bottom) * self.scale
        if self.turn == 90:
            return self.height - py, px
        if self.turn == 180:
            return self.width - px, self.height - py
        if self.turn == 270:
            return py, self.width - px
        return px, py

    def box(self, edges: list[float]) -> tuple[int, int, int, int]:
        """(left, top, width, height) in pixels of a box in page units (left, bottom, right,
        top); a word pdfium gave no box for is a pixel at the page's corner."""
        if edges[0] == float("inf"):
            return (0, 0, 1, 1)
        (x0, y0), (x1, y1) = self.pixel(edges[0], edges[3]), self.pixel(edges[2], edges[1])
        left, top = min(x0, x1), min(y0, y1)
        return (
            round(left),
            round(top),
            max(1, round(abs(x1 - x0))),
            max(1, round(abs(y1 - y0))),
        )


def _layer(textpage: pdfium.PdfTextPage, placement: _Placement) -> TextLayer:
    """The page's lines in reading order (``_in_rows``), their words separated by one space."""
    lines = _in_rows(_lines(textpage, placement))
    text: list[str] = []
    words: list[Word] = []
    cursor = 0
    for line in lines:
        for number, (token, box) in enumerate(line):
            if number:
                text.append(" ")
                cursor += 1
            words.append(Word(token, 1.0, box, cursor, cursor + len(token)))
            text.append(token)
            cursor += len(token)
        text.append("\n")
        cursor += 1
    return TextLayer("".join(text), tuple(words), placement.size)


_Line = list[tuple[str, tuple[int, int, int, int]]]


def _lines(textpage: pdfium.PdfTextPage, placement: _Placement) -> list[_Line]:
    """pdfium's lines in the order the PDF draws them, each word with the union of its
    characters' glyph boxes in pixels: the ink a word covers, as OCR boxes it."""
    import pypdfium2.raw as pdfium_c

    count = textpage.count_chars()
    printed = textpage.get_text_range(0, count) if count > 0 else ""
    # Bound once: this loop makes a pdfium call a character, and on a born-digital page
    # ctypes' argument handling and Python's per-call overhead are most of its time.
    raw, char_box = textpage.raw, pdfium_c.FPDFText_GetCharBox
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    pointers = [ctypes.byref(value) for value in (left, right, bottom, top)]
    chars = _char_indices(textpage, len(printed))
    lines: list[_Line] = []
    line_start = 0
    for line_break in [*_LINE_BREAK.finditer(printed), None]:
        line_end = line_break.start() if line_break else len(printed)
        line: _Line = []
        for found in _WORD.finditer(printed, line_start, line_end):
            x0 = y0 = float("inf")
            x1 = y1 = float("-inf")
            for char in chars[found.start() : found.end()]:
                if char >= 0 and char_box(raw, char, *pointers):
                    x0, y0 = min(x0, left.value), min(y0, bottom.value)
                    x1, y1 = max(x1, right.value), max(y1, top.value)
            edges = [x0, y0, x1, y1]
            line.append((found.group(), placement.box(edges)))
        if line:
            lines.append(line)
        line_start = line_break.end() if line_break else len(printed)
    return lines


def _char_indices(textpage: pdfium.PdfTextPage, length: int) -> Sequence[int]:
    """pdfium's character behind each position of the page's text (-1 for none). pdfium maps
    positions to characters in runs, in order, a character it leaves out of the text ending a
    run (``CPDF_TextPage::CharIndexFromTextIndex``): when the first and last positions' are
    as far apart as the text is long, every position's is its offset from the first, which
    saves asking for each of them."""
    import pypdfium2.raw as pdfium_c

    char_index, raw = pdfium_c.FPDFText_GetCharIndexFromTextIndex, textpage.raw
    if length == 0:
        return range(0)
    first = char_index(raw, 0)
    if first >= 0 and char_index(raw, length - 1) - first == length - 1:
        return range(first, first + length)
    return [char_index(raw, position) for position in range(length)]


def _in_rows(lines: list[_Line]) -> list[_Line]:
    """Lines ordered as a person reads a form, row by row, left to right within a row: pdfium
    keeps the order the PDF draws them in (one column, then the next), where OCR and
    pdftotext gave rows ('Thomas Jones', 'Birth Date', then the next row). A line shares the
    row of the first line of that row when they overlap by half the lower one's height."""
    spans = [
        (min(b[1] for _, b in line), max(b[1] + b[3] for _, b in line), min(b[0] for _, b in line))
        for line in lines
    ]
    order = sorted(range(len(lines)), key=lambda i: spans[i][0])
    row_of: dict[int, int] = {}
    rows: list[tuple[float, float]] = []
    for i in order:
        top, bottom, _ = spans[i]
        last = rows[-1] if rows else None
        overlap = min(bottom, last[1]) - max(top, last[0]) if last else 0
        if last is None or overlap < 0.5 * min(bottom - top, last[1] - last[0]):
            rows.append((top, bottom))
        row_of[i] = len(rows) - 1
    return [lines[i] for i in sorted(order, key=lambda i: (row_of[i], spans[i][2]))]
