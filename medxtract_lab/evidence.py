"""What backs each field: how sure its read is, and where it was read.

Locations are one box per line of the value, as fractions of the page (origin top-left) rather
than pixels, so a box drawn by the Streamlit page, the labeler or the report lands on the right
words whatever resolution it draws the page at.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medxtract_lab.extraction import FieldMatch
from medxtract_lab.ocr import Word, words_in
from medxtract_lab.page_marks import through
from medxtract_lab.records import Location, Page

_DIGITS = 4


def field_confidence(found: FieldMatch, pages: Sequence[Page]) -> float:
    """Mean OCR confidence of the words under the value, times the label match quality."""
    if found.value is None:
        return 0.0
    scores = []
    for page_index, start, end in found.spans:
        page = pages[page_index]
        if page.source == "text_layer":
            scores.append(1.0)
            continue
        scores.extend(w.confidence for w in words_in(page.words, start, end))
    ocr = sum(scores) / len(scores) if scores else 0.5
    return round(max(0.0, min(1.0, ocr * found.quality)), 3)


def box_location(page: Page, left: float, top: float, right: float, bottom: float) -> Location:
    """A pixel box on ``page`` (in the space of its word boxes) as a ``Location`` on the page
    as it is in the PDF: the box taken back through what preprocessing moved (a rotation that
    levelled the text, a photo's flattening) and turned back for a page read turned."""
    width, height = page.size
    box = (left / width, top / height, right / width, bottom / height)
    if page.frame:
        box = through(box, np.linalg.inv(np.array(page.frame, dtype=float).reshape(3, 3)))
    x0, y0, x1, y1 = (min(1.0, max(0.0, v)) for v in box)
    turned = [_unturned(u, v, page.turns) for u, v in ((x0, y0), (x1, y1))]
    xs, ys = [c[0] for c in turned], [c[1] for c in turned]
    box = (min(xs), min(ys), max(xs), max(ys))
    return Location(page.number, tuple(round(float(v), _DIGITS) for v in box))


def _unturned(u: float, v: float, turns: int) -> tuple[float, float]:
    """A point (fractions) of a picture turned ``turns`` quarter turns counter-clockwise, in
    the frame of the picture before it was turned."""
    return [(u, v), (1 - v, u), (1 - u, 1 - v), (v, 1 - u)][turns % 4]


def field_locations(found: FieldMatch, pages: Sequence[Page]) -> list[Location]:
    """One box per line of the field's value, from the words under its spans; ``[]`` for a
    null field or a page read without word boxes."""
    if found.value is None:
        return []
    places = []
    for page_index, start, end in found.spans:
        page = pages[page_index]
        if not page.size[0] or not page.size[1]:
            continue
        lines: dict[int, list[Word]] = {}
        for word in words_in(page.words, start, end):
            lines.setdefault(page.text.count("\n", 0, word.start), []).append(word)
        for words in lines.values():
            places.append(
                box_location(
                    page,
                    min(w.box[0] for w in words),
                    min(w.box[1] for w in words),
                    max(w.box[0] + w.box[2] for w in words),
                    max(w.box[1] + w.box[3] for w in words),
                )
            )
    return places
