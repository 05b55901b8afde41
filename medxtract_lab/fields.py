"""The extraction layer: declarative field specs applied to page text.

A document type is data: a list of ``FieldSpec``. The matcher finds every known label on every
line (fuzzily, so OCR noise such as ``Narne:`` or ``Measies:`` still anchors), splits each line
into label segments and unlabelled text, and then resolves fields in spec order:

- ``label``: the value after a label, on the same line or on the lines below it. When several
  labels share a line (a two-column form flattened by OCR), the values on the next line are
  assigned to them in order.
- ``block``: the unlabelled lines between two labels (the medicines of a prescription).
- ``section``: the unlabelled text of a section (a form column without labels), taken as a name,
  a pattern match, or the remaining lines.
- ``pattern``: a regular expression over a page (the doctor header).

Text consumed by one field is never handed to another, which is what keeps, for example, the
birth date out of the patient's name when two columns share a line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

# Length-preserving OCR confusions, applied to both sides when matching labels only.
_CONFUSABLE = str.maketrans({"!": "l", "|": "l", "1": "l", "0": "o", "’": "'", "‘": "'"})
_LEAD_JUNK = " \t|—–-_:;.,~'\"‘’`*•>»"
_TRAIL_JUNK = " \t|—–_:;~'\"‘’`*•°©®"
_COLON_LIKE = (":", ";", "'", "’", "‘", ".", ",")
_NAME_TOKEN = re.compile(r"^[^\W\d_][\w.'’-]*$")


def _norm(text: str) -> str:
    return text.casefold().translate(_CONFUSABLE)


def clean(value: str) -> str:
    """Strip OCR junk around a value and underline runs, keep every real character."""
    lines = []
    for line in value.splitlines():
        line = re.sub(r"_{2,}|(?<!\w)_|_(?!\w)", " ", line)
        words = line.split()
        # Tokens without a letter or digit at either end are OCR debris (" ) .", "|", "—").
        while words and not any(ch.isalnum() for ch in words[-1]):
            words.pop()
        while words and not any(ch.isalnum() for ch in words[0]):
            words.pop(0)
        line = " ".join(words).strip(_TRAIL_JUNK).lstrip(_LEAD_JUNK).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def name_prefix(text: str) -> str:
    """The leading run of name-like words (stops at the first word holding a digit)."""
    words = []
    for word in clean(text).split():
        if not _NAME_TOKEN.match(word):
            break
        words.append(word)
    return " ".join(words).rstrip(",")


def looks_like_name(text: str) -> bool:
    """Two or more words, the first and last capitalised, at least four letters."""
    words = text.split()
    return (
        len(words) >= 2
        and words[0][0].isupper()
        and words[-1][0].isupper()
        and len(words[-1]) >= 2
        and sum(ch.isalpha() for ch in text) >= 4
    )


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str = "label"  # label | block | section | pattern
    anchors: tuple[str, ...] = ()  # labels (label/block start), or section start labels
    until: tuple[str, ...] = ()  # block/section end labels
    value: str | None = None  # regex a value must contain; group "v" if present, else match
    page: int | None = None  # 1-based page the field lives on; None for any page
    max_lines: int = 1  # lines a label value may span
    lookahead: int = 2  # lines below a label searched for its value
    take: str = "text"  # section kind: name | pattern | lines
    line_filter: str | None = None  # block kind: regex a kept line must contain
    normalise: Callable[[str], str] = clean
    # Snaps a value to a known form; returns the value and a confidence factor.
    correct: Callable[[str], tuple[str, float]] | None = None


@dataclass(frozen=True)
class DocType:
    name: str
    title: str
    fields: tuple[FieldSpec, ...]
    # Labels that carry no field but must stop values and blocks (section headings etc.).
    structural_labels: tuple[str, ...] = ()

    @property
    def field_names(self) -> list[str]:
        return [spec.name for spec in self.fields]

    def labels(self) -> list[str]:
        found = {a for spec in self.fields if spec.kind in ("label", "block") for a in spec.anchors}
        found |= {u for spec in self.fields for u in spec.until}
        found |= {a for spec in self.fields if spec.kind == "section" for a in spec.anchors}
        return sorted(found | set(self.structural_labels), key=len, reverse=True)


@dataclass(frozen=True)
class Hit:
    label: str
    start: int
    end: int
    score: float


@dataclass
class Line:
    page: int  # 0-based
    number: int  # index in the document's line list
    text: str
    offset: int  # position of the line in its page text
    hits: list[Hit] = field(default_factory=list)
    consumed: list[tuple[int, int]] = field(default_factory=list)

    def segment_after(self, hit: Hit) -> tuple[int, int]:
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


@dataclass(frozen=True)
class Found:
    value: str
    spans: tuple[tuple[int, int, int], ...]  # (page, start, end) in page text
    quality: float  # match quality in [0, 1]


def _threshold(label: str) -> float:
    return 80.0 if len(label) <= 6 else 82.0


def _plausible(label: str, norm_line: str, start: int, end: int, score: float) -> bool:
    """A short label matched inexactly must keep its colon (or what OCR made of it), so
    'Dale:' and 'Weight’' anchor but the words 'data' and 'Wright' do not."""
    if score >= 100 or len(label) > 10 or not label.endswith(":"):
        return True
    following = norm_line[end : end + 1]
    return norm_line[start:end].endswith(_COLON_LIKE) or following in _COLON_LIKE


@functools.cache
def _variants(label: str) -> tuple[str, ...]:
    """The spellings of a label to look for (a fixed set per label, so computed once)."""
    base = _norm(label)
    found = {base, base.replace("m", "rn"), base.replace(":", ""), base.rstrip("?:")}
    return tuple(sorted(v for v in found if v))


def find_labels(text: str, labels: Sequence[str]) -> list[Hit]:
    """Fuzzy-locate known labels in one line; the best-scoring label claims each span."""
    norm = _norm(text)
    candidates = []
    for label in labels:
        best = None
        for variant in _variants(label):
            found = fuzz.partial_ratio_alignment(variant, norm, score_cutoff=_threshold(label))
            if found is None or (found.src_end - found.src_start) < 0.9 * len(variant):
                continue
            if found.dest_start > 0 and norm[found.dest_start - 1].isalnum():
                continue
            if not _plausible(label, norm, found.dest_start, found.dest_end, found.score):
                continue
            if best is None or found.score > best.score:
                best = found
        if best is not None:
            end = best.dest_end
            while end < len(norm) and norm[end] in ":?;.":
                end += 1  # a variant without its colon matched; the colon belongs to it
            candidates.append(Hit(label, best.dest_start, end, best.score / 100))
    taken = [False] * len(norm)
    hits = []
    for hit in sorted(candidates, key=lambda h: (-h.score, -len(h.label))):
        if any(taken[hit.start : hit.end]):
            continue
        for i in range(hit.start, hit.end):
            taken[i] = True
        hits.append(hit)
    return sorted(hits, key=lambda h: h.start)


def split_lines(pages: Sequence[str], labels: Sequence[str]) -> list[Line]:
    lines: list[Line] = []
    for page_index, page_text in enumerate(pages):
        offset = 0
        for raw in page_text.split("\n"):
            line = Line(page_index, len(lines), raw, offset)
            if raw.strip():
                line.hits = find_labels(raw, labels)
            lines.append(line)
            offset += len(raw) + 1
    return lines


def _value_span(match: re.Match) -> tuple[str, int, int]:
    """A match's value: its group "v" when the pattern names one, else the whole match."""
    group = "v" if "v" in match.re.groupindex else 0
    return match.group(group), match.start(group), match.end(group)


def find_value(pattern: str | None, text: str, last: bool = False) -> tuple[str, int, int] | None:
    """The value inside ``text``: the whole text, or the first (or last) pattern match."""
    if pattern is None:
        stripped = text.lstrip(_LEAD_JUNK).rstrip(_TRAIL_JUNK)
        if not any(ch.isalnum() for ch in stripped):
            return None
        start = text.index(stripped)
        return stripped, start, start + len(stripped)
    matches = list(re.finditer(pattern, text, flags=re.IGNORECASE))
    if not matches:
        return None
    return _value_span(matches[-1] if last else matches[0])


class Matcher:
    """Resolves one document's fields from its page texts."""

    def __init__(self, doc_type: DocType, pages: Sequence[str]) -> None:
        self.doc_type = doc_type
        self.pages = list(pages)
        self.lines = split_lines(self.pages, doc_type.labels())

    def _lines_on(self, spec: FieldSpec) -> list[Line]:
        if spec.page is None:
            return self.lines
        return [line for line in self.lines if line.page == spec.page - 1]

    def _hits(self, spec: FieldSpec, labels: Sequence[str]) -> list[tuple[Line, Hit]]:
        return [(ln, h) for ln in self._lines_on(spec) for h in ln.hits if h.label in labels]

    def _take(self, line: Line, start: int, end: int, spec: FieldSpec, last: bool) -> Found | None:
        found = find_value(spec.value, line.free_text(start, end), last=last)
        if found is None:
            return None
        value, s, e = found
        line.consume(start + s, start + e)
        return Found(value, ((line.page, line.offset + start + s, line.offset + start + e),), 1.0)

    def resolve_label(self, spec: FieldSpec) -> Found | None:
        for line, hit in self._hits(spec, spec.anchors):
            start, end = line.segment_after(hit)
            same = self._take(line, start, end, spec, last=False)
            if same is not None and spec.max_lines == 1:
                return Found(same.value, same.spans, hit.score)
            found = self._below(line, hit, spec, same)
            if found is not None:
                return Found(found.value, found.spans, hit.score)
        return None

    def _below(self, line: Line, hit: Hit, spec: FieldSpec, same: Found | None) -> Found | None:
        """Values on the lines under a label (and, for multi-line fields, after it).

        Labels without a same-line value form a row, possibly broken over several lines by
        OCR; the values found below are then assigned to that row's labels in order.
        """
        parts = [same] if same else []
        row = [h for h in line.hits if not self._has_value(line, h)]
        right_column = bool(line.free_text(0, hit.start).strip()) or (
            hit in row and row.index(hit) > 0
        )
        value_lines: list[Line] = []
        for below in self.lines[line.number + 1 :]:
            if below.page != line.page:
                break
            if not below.text.strip():
                continue
            starts_with_label = below.hits and not below.free_text(0, below.hits[0].start).strip()
            if starts_with_label:
                if not value_lines and not parts and not below.free_text().strip():
                    row.extend(below.hits)  # the label row continues on this line
                    continue
                break
            value_lines.append(below)
            if len(value_lines) >= spec.lookahead + spec.max_lines - 1:
                break
        if hit in row and len(row) > 1 and spec.value and not parts:
            found = self._by_column(value_lines, row, row.index(hit), spec.value)
            if found is not None:
                return found
        for below in value_lines:
            end = below.hits[0].start if below.hits else len(below.text)
            found = self._take(below, 0, end, spec, last=right_column)
            if found is not None:
                parts.append(found)
                if len(parts) >= spec.max_lines:
                    break
            elif parts:
                break
        if not parts:
            return None
        value = "\n".join(p.value for p in parts)
        return Found(value, tuple(s for p in parts for s in p.spans), 1.0)

    @staticmethod
    def _has_value(line: Line, hit: Hit) -> bool:
        return any(ch.isalnum() for ch in line.free_text(*line.segment_after(hit)))

    @staticmethod
    def _by_column(lines: list[Line], row: list[Hit], column: int, pattern: str) -> Found | None:
        """The column-th value under a row of labels, when the values below match one-to-one."""
        matches = []
        for below in lines:
            end = below.hits[0].start if below.hits else len(below.text)
            for m in re.finditer(pattern, below.free_text(0, end), re.IGNORECASE):
                matches.append((below, m))
            if len(matches) >= len(row):
                break
        if len(matches) != len(row):
            return None
        below, match = matches[column]
        value, start, end = _value_span(match)
        below.consume(start, end)
        return Found(value, ((below.page, below.offset + start, below.offset + end),), 1.0)

    def _region(self, spec: FieldSpec) -> list[Line]:
        starts = self._hits(spec, spec.anchors)
        if not starts:
            return []
        first = starts[0][0]
        region = []
        for line in self.lines[first.number + 1 :]:
            if line.page != first.page:
                break
            if any(h.label in spec.until for h in line.hits):
                break
            region.append(line)
        return region

    def resolve_block(self, spec: FieldSpec) -> Found | None:
        parts, spans = [], []
        for line in self._region(spec):
            text = line.free_text()
            if not clean(text):
                continue
            if spec.line_filter and not re.search(spec.line_filter, text):
                continue
            value = clean(text)
            start = line.text.find(value.split()[0]) if value else 0
            line.consume(0, len(line.text))
            parts.append(value)
            spans.append((line.page, line.offset + start, line.offset + len(line.text)))
        if not parts:
            return None
        return Found("\n".join(parts), tuple(spans), 1.0)

    def resolve_section(self, spec: FieldSpec) -> Found | None:
        region = self._region(spec)
        if spec.take == "pattern":
            for line in region:
                found = self._take(line, 0, len(line.text), spec, last=False)
                if found:
                    return found
            return None
        if spec.take == "name":
            # The name is the first line of free text that looks like one; OCR debris such as
            # "ee J" from a rule or a logo is skipped, but only in the first few lines.
            for line in [ln for ln in region if clean(ln.free_text())][:3]:
                name = name_prefix(line.free_text())
                if looks_like_name(name):
                    start = line.text.find(name.split()[0])
                    line.consume(0, len(line.text))
                    return Found(
                        name,
                        ((line.page, line.offset + start, line.offset + start + len(name)),),
                        1.0,
                    )
            return None
        parts, spans = [], []
        for line in region:
            value = clean(line.free_text())
            # A real line holds a word of three letters or digits; "oe" is a speck of dirt.
            if value and re.search(r"\w{3}", value):
                start = line.text.find(value.split()[0])
                parts.append(value)
                spans.append((line.page, line.offset + start, line.offset + start + len(value)))
                line.consume(0, len(line.text))
        if not parts:
            return None
        return Found("\n".join(parts), tuple(spans), 1.0)

    def resolve_pattern(self, spec: FieldSpec) -> Found | None:
        for page_index, text in enumerate(self.pages):
            if spec.page is not None and page_index != spec.page - 1:
                continue
            found = find_value(spec.value, text)
            if found:
                value, s, e = found
                return Found(value, ((page_index, s, e),), 1.0)
        return None

    def resolve(self, spec: FieldSpec) -> Found | None:
        resolver = {
            "label": self.resolve_label,
            "block": self.resolve_block,
            "section": self.resolve_section,
            "pattern": self.resolve_pattern,
        }[spec.kind]
        found = resolver(spec)
        finished = _finish(spec, found.value) if found else None
        if finished is None:
            return None
        return Found(finished[0], found.spans, found.quality * finished[1])


def anchor_spans(doc_type: DocType, pages: Sequence[str], spec: FieldSpec) -> list[tuple]:
    """Where the field's labels stand: (page index, start, end) in the page text."""
    matcher = Matcher(doc_type, pages)
    return [
        (line.page, line.offset + hit.start, line.offset + hit.end)
        for line, hit in matcher._hits(spec, spec.anchors)
    ]


def _finish(spec: FieldSpec, raw: str) -> tuple[str, float] | None:
    """Normalise, then correct: the value to report and its confidence factor."""
    value = spec.normalise(raw)
    if not value:
        return None
    return spec.correct(value) if spec.correct else (value, 1.0)


def resolve_value(spec: FieldSpec, text: str) -> tuple[str, float] | None:
    """A field's value inside a small piece of text (a cropped region read on its own)."""
    found = find_value(spec.value, text)
    return _finish(spec, found[0]) if found else None


# Section fields read what labelled fields left over, so they resolve last.
_ORDER = {"pattern": 0, "label": 1, "block": 2, "section": 3}


def match_fields(doc_type: DocType, pages: Sequence[str]) -> dict[str, Found | None]:
    """Resolve every field of ``doc_type`` over the page texts (one string per page)."""
    matcher = Matcher(doc_type, pages)
    results: dict[str, Found | None] = {}
    for spec in sorted(doc_type.fields, key=lambda s: _ORDER[s.kind]):
        results[spec.name] = matcher.resolve(spec)
    return {name: results[name] for name in doc_type.field_names}
