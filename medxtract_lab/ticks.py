"""Ticked boxes: which printed option of a choice field has its box ticked, from the pixels.

A form prints its options after the label, each after a square box ('[x] Yes  [ ] No'). OCR
reads the option words but not the ticks, so each option's box is measured on the page picture
instead: the box stands just left of the option's first letter and is about as tall as the
letters; the option whose box holds clearly more ink than the others' is the ticked one. When
no option stands out, the field stays null: a tick is never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from medxtract_lab.extraction.match import FieldMatch, finish
from medxtract_lab.extraction.spec import Choice, DocType
from medxtract_lab.ocr import Word
from medxtract_lab.records import Page

# The box is searched from this many letter heights left of the option's first letter to this
# many right of it; its side is this many letter heights.
BOX_REACH = (2.4, 0.9)
BOX_SIDE = (0.6, 1.8)
# A word is on the label's row when its middle is within this many label heights of the
# label's (a photo's rows tilt).
ROW_REACH = 0.8
# The ticked box's inside holds at least this much more ink than the next (ratio, and share of
# its area).
TICK_RATIO = 1.5
TICK_MARGIN = 0.06


def row_after(page: Page, start: int, end: int) -> list[Word]:
    """The words printed right of the text at [start, end) on its visual row, left to right.
    OCR may read a row's boxed options as lines of their own: the row is told by the boxes."""
    label = [w for w in page.words if w.start < end and w.end > start]
    if not label:
        return []
    top = min(w.box[1] for w in label)
    bottom = max(w.box[1] + w.box[3] for w in label)
    right = max(w.box[0] + w.box[2] for w in label)
    middle, height = (top + bottom) / 2, max(1, bottom - top)
    row = [
        w
        for w in page.words
        if w.box[0] >= right - 1 and abs(w.box[1] + w.box[3] / 2 - middle) < ROW_REACH * height
    ]
    return sorted(row, key=lambda w: w.box[0])


def options_in_row(options: Sequence[str], row: list[Word]) -> list[tuple[str, Word, Word, float]]:
    """Each option printed in ``row``: the option, its first and last word, and the x where its
    first letter stands, left to right. OCR often reads a box into the option's word ('OYes',
    '[INOT'): up to two characters before the option inside its word are taken as the box."""
    text, starts = "", []
    for word in row:
        starts.append(len(text))
        text += word.text + " "

    def word_at(position: int) -> int:
        return max(i for i, s in enumerate(starts) if s <= position)

    found: list[tuple[int, int, str]] = []
    for option in sorted(options, key=len, reverse=True):
        words = r"\s+".join(re.escape(w) for w in option.split())
        pattern = rf"(?:(?<=\s)|^)\S{{0,2}}?(?P<o>{words})(?!\w)"
        for match in re.finditer(pattern, text, re.IGNORECASE):
            start, end = match.span("o")
            if not any(s < end and start < e for s, e, _ in found):
                found.append((start, end, option))
                break
    placed = []
    for start, end, option in sorted(found):
        first, last = row[word_at(start)], row[word_at(end - 1)]
        inside = start - starts[word_at(start)]
        x = first.box[0] + first.box[2] * inside / max(1, len(first.text))
        placed.append((option, first, last, x))
    return placed


def box_fill(picture: np.ndarray, page: Page, x: float, y: float, h: float) -> float | None:
    """How much ink fills the inside of the square box printed just left of x (the option's
    first letter, at top y, letters h tall, in the page's word frame): 0 for an empty box, more
    for a tick or a cross. None when no box-shaped outline is found there. OCR may count the box
    into the option's word, so the box is searched a little right of x as well."""
    fy, fx = picture.shape[0] / page.size[1], picture.shape[1] / page.size[0]
    x0, x1 = int((x - BOX_REACH[0] * h) * fx), int((x + BOX_REACH[1] * h) * fx)
    y0, y1 = int((y - 0.7 * h) * fy), int((y + 1.7 * h) * fy)
    crop = picture[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    if crop.size == 0:
        return None
    gray = crop if crop.ndim == 2 else crop.mean(axis=2)
    dark = (gray < 128).astype(np.uint8)
    side = h * fy
    count, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    boxes = [
        (left, top, width, height)
        for left, top, width, height, _ in stats[1:count]
        if BOX_SIDE[0] * side <= width <= BOX_SIDE[1] * side
        and BOX_SIDE[0] * side <= height <= BOX_SIDE[1] * side
        and 0.7 <= width / height <= 1.4
    ]
    if not boxes:
        return None
    # The box is the square nearest left of the first letter; when OCR counted the box into
    # the word, the first square of the word.
    letter = x * fx - max(0, x0)
    before = [b for b in boxes if b[0] + b[2] / 2 < letter]
    left, top, width, height = (
        max(before, key=lambda b: b[0]) if before else min(boxes, key=lambda b: b[0])
    )
    inset_x, inset_y = max(1, int(width * 0.22)), max(1, int(height * 0.22))
    inside = dark[top + inset_y : top + height - inset_y, left + inset_x : left + width - inset_x]
    return float(inside.mean()) if inside.size else None


def ticked(
    page: Page, picture: np.ndarray, options: Sequence[tuple[str, Word, Word, float]]
) -> tuple[str, Word, Word, float] | None:
    """The option whose box is clearly the fullest, with a confidence; None when a box is not
    found or none stands out."""
    if len(options) < 2:
        return None
    scored = []
    for option, first, last, x in options:
        fill = box_fill(picture, page, x, first.box[1], first.box[3])
        if fill is None:
            return None
        scored.append((fill, option, first, last))
    scored.sort(key=lambda item: item[0], reverse=True)
    best, runner_up = scored[0][0], scored[1][0]
    if best < runner_up * TICK_RATIO or best - runner_up < TICK_MARGIN:
        return None
    _, option, first, last = scored[0]
    return option, first, last, min(1.0, 0.7 + (best - runner_up))


def read_ticks(
    doc_type: DocType,
    matches: dict[str, FieldMatch],
    pages: Sequence[Page],
    picture: Callable[[Page], np.ndarray],
) -> dict[str, FieldMatch]:
    """``matches`` with each choice field the text left null read from its ticked box."""
    out = dict(matches)
    for spec in doc_type.fields:
        if not isinstance(spec.find, Choice) or matches[spec.name].value is not None:
            continue
        for page_index, anchor_start, anchor_end in matches[spec.name].anchors:
            page = pages[page_index]
            printed = options_in_row(spec.find.options, row_after(page, anchor_start, anchor_end))
            found = ticked(page, picture(page), printed) if len(printed) >= 2 else None
            if found is None:
                continue
            option, first, last, quality = found
            finished = finish(spec, option)
            if finished is None:
                continue
            value, factor = finished
            out[spec.name] = FieldMatch(
                value,
                ((page_index, first.start, last.end),),
                matches[spec.name].anchors,
                quality * factor,
            )
            break
    return out
