"""One document's text as lines with their labels: the state the value kinds resolve over.

Every line knows where it stands in its page text and which labels it holds. Text a field takes
is consumed, so it is never handed to another field: that is what keeps, for example, the birth
date out of the patient's name when two columns share a line.

When the page was read by OCR, each line also knows where its words stand, and is cut into
column segments at wide gaps (gutters): OCR reads a two-column form row by row, so a value is
kept within its label's column, never read across a gutter into the neighbouring column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from medxtract_lab.extraction.labels import Hit, KnownMatches, find_labels
from medxtract_lab.extraction.text import clean, find_value

Span = tuple[int, int, int]  # (0-based page, start, end) in that page's text
# A gap between two words wider than this many word heights separates two column segments. A
# value printed further from its label than this (a form that aligns its values in a column)
# is still found: see ``Line.segment_beyond``.
GUTTER = 2.5
# Only a label longer than this is looked for across two lines: a long label is what wraps,
# and a short one would match by chance across a line break.
SPLIT_LABEL = 12


class Placed(Protocol):
    """A word with its span in the page text and its box in pixels (``ocr.Word``)."""

    start: int
    end: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Segment:
    """A run of a line between gutters: its characters and its horizontal extent in pixels."""

    start: int
    end: int
    left: float
    right: float


@dataclass(frozen=True)
class Found:
    """A value a kind resolved, where it stands, and how well its label matched (0 to 1)."""

    value: str
    spans: tuple[Span, ...]
    quality: float = 1.0


@dataclass
class Line:
    page: int  # 0-based
    number: int  # index in the document's line list
    text: str
    offset: int  # position of the line in its page text
    hits: list[Hit] = field(default_factory=list)
    consumed: list[tuple[int, int]] = field(default_factory=list)
    # Column segments, left to right (one when there is no gutter); empty without word geometry.
    segments: list[Segment] = field(default_factory=list)
    # (start, end, left, right) of each word of the line, in line characters and pixels.
    words: list[tuple[int, int, float, float]] = field(default_factory=list)
    height: float = 0.0  # the median height of the line's words, in pixels
    # The top and bottom of the line's words, in pixels (0, 0 without word geometry).
    top: float = 0.0
    bottom: float = 0.0

    def segment_after(self, hit: Hit) -> tuple[int, int]:
        """From the end of ``hit`` to the next label on the line or the end of the label's
        column (or the line's end)."""
        ends = [h.start for h in self.hits if h.start >= hit.end]
        column = self.segment_at(hit.start)
        if column is not None:
            ends.append(column.end)
        return hit.end, min(ends, default=len(self.text))

    def segment_at(self, position: int) -> Segment | None:
        return next((s for s in self.segments if s.start <= position < s.end), None)

    def segment_beyond(self, hit: Hit) -> tuple[int, int] | None:
        """The next column segment after the label's own, when it does not start with a label:
        where a form that aligns its values in a column prints the value. None otherwise."""
        column = self.segment_at(hit.start)
        following = [s for s in self.segments if column is not None and s.start >= column.end]
        if not following:
            return None
        start, end = following[0].start, following[0].end
        labels = [h.start for h in self.hits if start <= h.start < end]
        if labels and not self.free_text(start, labels[0]).strip():
            return None
        return start, min(labels, default=end)

    def extent(self, start: int, end: int) -> tuple[float, float] | None:
        """The pixels [left, right] the words of [start, end) cover, when known."""
        placed = [(x0, x1) for s, e, x0, x1 in self.words if s < end and e > start]
        if not placed:
            return None
        return min(x0 for x0, _ in placed), max(x1 for _, x1 in placed)

    def column_under(self, extent: tuple[float, float] | None) -> tuple[int, int]:
        """The characters of the column segment nearest to ``extent`` horizontally, up to the
        first label in it: empty when no segment comes within a gutter of ``extent`` (the line
        has nothing in that column), the whole line without word geometry."""
        start, end = 0, len(self.text)
        if extent is not None and self.segments:
            left, right = extent

            def distance(segment: Segment) -> float:
                return max(segment.left - right, left - segment.right, 0.0)

            nearest = min(self.segments, key=distance)
            if distance(nearest) > GUTTER * self.height:
                return 0, 0
            start, end = nearest.start, nearest.end
        labels = [h.start for h in self.hits if start <= h.start < end]
        return start, min(labels, default=end)

    def free_text(self, start: int = 0, end: int | None = None) -> str:
        """Text in [start, end) with labels and consumed spans blanked out."""
        chars = list(self.text)
        for s, e in [(h.start, h.end) for h in self.hits] + self.consumed:
            for i in range(s, min(e, len(chars))):
                chars[i] = " "
        return "".join(chars[start:end])

    def consume(self, start: int, end: int) -> None:
        self.consumed.append((start, end))

    def whole_text(self, start: int = 0, end: int | None = None) -> tuple[str, Span] | None:
        """The cleaned free text of [start, end) and where it stands, or None when nothing
        is left there (the caller consumes it once it keeps it)."""
        value = clean(self.free_text(start, end))
        if not value:
            return None
        at = self.text.find(value.split()[0], start)
        return value, self.span(at, at + len(value))

    def span(self, start: int, end: int) -> Span:
        """A span of this line as (page, start, end) in the page text."""
        return (self.page, self.offset + start, self.offset + end)

    def has_value_after(self, hit: Hit) -> bool:
        """Whether text follows the label on its line, in its column or the next one."""
        if any(ch.isalnum() for ch in self.free_text(*self.segment_after(hit))):
            return True
        beyond = self.segment_beyond(hit)
        return beyond is not None and any(ch.isalnum() for ch in self.free_text(*beyond))


class Sheet:
    """The lines of every page, with the labels of one document type found on each."""

    def __init__(
        self,
        pages: Sequence[str],
        labels: Sequence[str],
        words: Sequence[Sequence[Placed]] | None = None,
        sizes: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        self.pages = list(pages)
        # Each page's (width, height) in the words' pixels, when known ((0, 0) otherwise).
        self.sizes = list(sizes) if sizes else [(0, 0)] * len(self.pages)
        self.lines: list[Line] = []
        known: KnownMatches = {}  # each line is asked for its long labels, then for all
        for page_index, page_text in enumerate(self.pages):
            placed = (
                sorted(words[page_index], key=lambda w: w.start)
                if words and page_index < len(words)
                else []
            )
            for offset, raw in _logical_lines(page_text, labels, known):
                line = Line(page_index, len(self.lines), raw, offset)
                if raw.strip():
                    line.hits = find_labels(raw, labels, known)
                    end = offset + len(raw)
                    own = [w for w in placed if offset <= w.start and w.end <= end]
                    line.words = [
                        (w.start - offset, w.end - offset, w.box[0], w.box[0] + w.box[2])
                        for w in own
                    ]
                    line.segments = _segments(own, offset, len(raw))
                    if own:
                        heights = sorted(w.box[3] for w in own)
                        line.height = float(max(1, heights[len(heights) // 2]))
                        line.top = float(min(w.box[1] for w in own))
                        line.bottom = float(max(w.box[1] + w.box[3] for w in own))
                self.lines.append(line)

    def lines_on(self, page: int | None) -> list[Line]:
        """The lines of a 1-based page, or of every page for None."""
        if page is None:
            return self.lines
        return [line for line in self.lines if line.page == page - 1]

    def hits(self, page: int | None, labels: Sequence[str]) -> list[tuple[Line, Hit]]:
        """Where any of ``labels`` stands, in reading order."""
        return [(ln, h) for ln in self.lines_on(page) for h in ln.hits if h.label in labels]

    def lines_after(self, line: Line) -> list[Line]:
        """The lines below ``line`` on its own page."""
        below = []
        for other in self.lines[line.number + 1 :]:
            if other.page != line.page:
                break
            below.append(other)
        return below

    def rows(self, page_index: int) -> list[list[Line]]:
        """The printed lines of a 0-based page as visual rows: consecutive lines whose words
        share a row are one (a text layer or OCR may cut a printed row into blocks)."""
        rows: list[list[Line]] = []
        for line in self.lines:
            if line.page != page_index or not line.text.strip():
                continue
            if rows and _same_row(rows[-1][-1], line):
                rows[-1].append(line)
            else:
                rows.append([line])
        return rows

    def region(self, page: int | None, anchors: Sequence[str], until: Sequence[str]) -> list[Line]:
        """The lines after the first ``anchors`` label up to an ``until`` label or the page end."""
        starts = self.hits(page, anchors)
        if not starts:
            return []
        region = []
        for line in self.lines_after(starts[0][0]):
            if any(h.label in until for h in line.hits):
                break
            region.append(line)
        return region

    @staticmethod
    def take(line: Line, start: int, end: int, pattern: str | None, last: bool) -> Found | None:
        """The value in the free text of ``line[start:end]``, consumed so no other field gets it."""
        found = find_value(pattern, line.free_text(start, end), last=last)
        if found is None:
            return None
        value, s, e = found
        line.consume(start + s, start + e)
        return Found(value, (line.span(start + s, start + e),))


def whole_lines(lines: Sequence[Line], keep: Callable[[str], object] = bool) -> Found | None:
    """Each line's whole free text (when ``keep`` accepts it) as one line of a value, consumed
    so no other field gets it; None when no line gives any."""
    parts, spans = [], []
    for line in lines:
        whole = line.whole_text()
        if whole is not None and keep(whole[0]):
            parts.append(whole[0])
            spans.append(whole[1])
            line.consume(0, len(line.text))
    if not parts:
        return None
    return Found("\n".join(parts), tuple(spans))


def _same_row(upper: Line, lower: Line) -> bool:
    """Whether two lines' words overlap by half the shorter line's height, vertically."""
    if upper.bottom <= upper.top or lower.bottom <= lower.top:
        return False
    overlap = min(upper.bottom, lower.bottom) - max(upper.top, lower.top)
    return overlap >= 0.5 * min(upper.bottom - upper.top, lower.bottom - lower.top)


def _logical_lines(text: str, labels: Sequence[str], known: KnownMatches) -> list[tuple[int, str]]:
    """A page's lines as (offset in the page text, text): its printed lines, with a long label
    that OCR broke over two lines joined back (the newline kept inside the line, so offsets
    still index the page text), and a page flattened onto one line cut before each label.
    ``known`` is ``find_labels``' memory of the lines searched."""
    lines, offset = [], 0
    for raw in text.split("\n"):
        lines.append((offset, raw))
        offset += len(raw) + 1
    joined: list[tuple[int, str]] = []
    for offset, raw in lines:
        if joined and _label_across(joined[-1][1], raw, labels, known):
            joined[-1] = (joined[-1][0], joined[-1][1] + "\n" + raw)
        else:
            joined.append((offset, raw))
    printed = [(o, raw) for o, raw in joined if raw.strip()]
    if len(printed) == 1:
        return _cut_at_labels(*printed[0], labels, known)
    return joined


def _label_across(upper: str, lower: str, labels: Sequence[str], known: KnownMatches) -> bool:
    """Whether a long label starts on ``upper`` and ends on ``lower`` ('List any Medical P' /
    'roblems (asthma, ...):') while neither line holds it alone (each line is searched once,
    as the upper and the lower line, through ``find_labels``' ``known``)."""
    if not upper.strip() or not lower.strip():
        return False
    long_labels = [label for label in labels if len(label) > SPLIT_LABEL]
    if not long_labels:
        return False
    whole = {h.label for line in (upper, lower) for h in find_labels(line, long_labels, known)}
    wanted = [label for label in long_labels if label not in whole]
    if not wanted:
        return False
    # A label split at the line break lies within its own length of it on either side.
    reach = max(map(len, wanted), default=0)
    tail, head = upper[-reach:], lower[:reach]
    across = find_labels(tail + "\n" + head, wanted, known)
    return any(h.start < len(tail) < h.end for h in across)


def _cut_at_labels(
    offset: int, text: str, labels: Sequence[str], known: KnownMatches
) -> list[tuple[int, str]]:
    """One flattened line cut before each label it holds, at the space before the label."""
    hits = find_labels(text, labels, known)
    cuts = [h.start for h in hits if h.start > 0 and text[h.start - 1] == " "]
    pieces, start = [], 0
    for cut in cuts:
        pieces.append((offset + start, text[start : cut - 1]))
        start = cut
    pieces.append((offset + start, text[start:]))
    return pieces


def _segments(words: list[Placed], offset: int, length: int) -> list[Segment]:
    """A line's column segments, cut where the gap between two words is wider than ``GUTTER``
    word heights (one segment when there is no such gap; none without words)."""
    if not words:
        return []
    heights = sorted(w.box[3] for w in words)
    height = max(1, heights[len(heights) // 2])
    groups = [[words[0]]]
    for previous, word in zip(words, words[1:], strict=False):
        gap = word.box[0] - (previous.box[0] + previous.box[2])
        if gap > GUTTER * height:
            groups.append([])
        groups[-1].append(word)
    starts = [0] + [group[0].start - offset for group in groups[1:]] + [length]
    return [
        Segment(
            starts[i],
            starts[i + 1],
            min(w.box[0] for w in group),
            max(w.box[0] + w.box[2] for w in group),
        )
        for i, group in enumerate(groups)
    ]
