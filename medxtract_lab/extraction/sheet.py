"""One document's text as lines with their labels: the state the value kinds resolve over.

Every line knows where it stands in its page text and which labels it holds. Text a field takes
is consumed, so it is never handed to another field: that is what keeps, for example, the birth
date out of the patient's name when two columns share a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from medxtract_lab.extraction.labels import Hit, find_labels
from medxtract_lab.extraction.text import find_value

Span = tuple[int, int, int]  # (0-based page, start, end) in that page's text


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

    def segment_after(self, hit: Hit) -> tuple[int, int]:
        """From the end of ``hit`` to the next label on the line (or the line's end)."""
        ends = [h.start for h in self.hits if h.start >= hit.end]
        return hit.end, min(ends, default=len(self.text))

    def free_text(self, start: int = 0, end: int | None = None) -> str:
        """Text in [start, end) with labels and consumed spans blanked out."""
        chars = list(self.text)
        for s, e in [(h.start, h.end) for h in self.hits] + self.consumed:
            for i in range(s, min(e, len(chars))):
                chars[i] = " "
        return "".join(chars[start:end])

    def consume(self, start: int, end: int) -> None:
        self.consumed.append((start, end))

    def span(self, start: int, end: int) -> Span:
        """A span of this line as (page, start, end) in the page text."""
        return (self.page, self.offset + start, self.offset + end)

    def has_value_after(self, hit: Hit) -> bool:
        return any(ch.isalnum() for ch in self.free_text(*self.segment_after(hit)))


class Sheet:
    """The lines of every page, with the labels of one document type found on each."""

    def __init__(self, pages: Sequence[str], labels: Sequence[str]) -> None:
        self.pages = list(pages)
        self.lines: list[Line] = []
        for page_index, page_text in enumerate(self.pages):
            offset = 0
            for raw in page_text.split("\n"):
                line = Line(page_index, len(self.lines), raw, offset)
                if raw.strip():
                    line.hits = find_labels(raw, labels)
                self.lines.append(line)
                offset += len(raw) + 1

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
