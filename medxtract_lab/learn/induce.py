"""Induce a layout from a few labelled documents of it: for each field, the rule that reads
its labelled value on the most examples.

Each example is a document as read (its page texts and word boxes) with its labelled fields.
For every field, each example's value is located among the page's printed lines; the text
around it proposes rules: the label before it on its line or on the line above (``label``),
the printed lines a label's line stands from it (``lines``: a dispensing label's unlabelled
patient name, a signature), or the lines between two labels (``block``). Every proposed rule
is then read back on every example with the extraction the pipeline uses, and the one that
reads the most values right wins (ties: the simplest). The value's kind (date, phone, number,
code, name, text, block of lines) is recorded, and its extent: text printed beside the value
on its line every time (', MD' after a signed name) becomes part of its pattern.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from rapidfuzz import fuzz

from medxtract_lab.doctypes.files import Contract
from medxtract_lab.doctypes.patterns import NAMED_VALUES
from medxtract_lab.evaluation.metrics import field_match, normalise
from medxtract_lab.extraction.match import match_fields
from medxtract_lab.extraction.sheet import Line, Placed, Sheet
from medxtract_lab.extraction.spec import (
    Block,
    Choice,
    DocType,
    FieldSpec,
    Kind,
    Label,
    Lines,
    Nowhere,
    Region,
)
from medxtract_lab.extraction.text import looks_like_name
from medxtract_lab.extraction.validators import CHOICES
from medxtract_lab.records import Page
from medxtract_lab.ticks import options_in_row, row_after, ticked

# A located line must match the labelled value this well (rapidfuzz partial ratio, 0-100).
LOCATE_SCORE = 85
# Lines above and below a value searched for a label's line that places it.
REACH = 6
# Lines a value whose examples span different numbers of lines may run beyond the longest.
VARYING_LINES = 3
# A region around where the examples print a value reaches this share of the page beyond them.
REGION_MARGIN = 0.02
# A phrase that ends like a printed label ('Name:', 'Rx#', 'vaccination?').
_LABEL_END = re.compile(r"[:?#]$")
_WORD = re.compile(r"\S+")
# Ties between rules that read as many values go to the simplest, in this order.
_SIMPLE = {Label: 0, Lines: 1, Block: 2, Nowhere: 9}


@dataclass(frozen=True)
class Example:
    """One labelled document as read: its page texts, word boxes and labelled fields, and,
    when known, its pages as read and their pictures (for ticked boxes)."""

    id: str
    pages: tuple[str, ...]
    words: tuple[tuple[Placed, ...], ...]
    fields: dict[str, str | None]
    read_pages: tuple[Page, ...] = ()
    picture: Callable[[Page], np.ndarray] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FieldRule:
    """The rule chosen for one field, with the evidence for it."""

    name: str
    find: Kind
    page: int | None
    pattern: str | None  # a value pattern the layout adds (a kind or a printed suffix)
    kind: str  # date, phone, number, code, name, text or block
    read: int  # examples whose value the rule reads right
    labelled: int  # examples with a value for the field (or an explicit null)
    note: str = ""


@dataclass(frozen=True)
class Induced:
    doc_type: str
    layout: str
    rules: tuple[FieldRule, ...]
    structural_labels: tuple[str, ...]
    examples: int
    warnings: tuple[str, ...] = field(default=())


def value_kind(values: Sequence[str]) -> str:
    """What the labelled values of a field look like."""
    present = [v for v in values if v]
    if not present:
        return "text"
    if any("\n" in v for v in present):
        return "block"
    for kind, pattern in (("date", NAMED_VALUES["date"]), ("phone", NAMED_VALUES["phone"])):
        if all(re.fullmatch(pattern, v.strip()) for v in present):
            return kind
    if all(re.fullmatch(r"\d{1,4}", v.strip()) for v in present):
        return "number"
    if all(re.fullmatch(r"[A-Z0-9][A-Z0-9-]{3,}", v.strip()) for v in present) and all(
        any(ch.isdigit() for ch in v) for v in present
    ):
        return "code"
    if all(looks_like_name(v) for v in present):
        return "name"
    return "text"


# Value patterns a kind adds when the type's contract gives none.
KIND_PATTERNS = {
    "date": NAMED_VALUES["date"],
    "phone": NAMED_VALUES["phone"],
    "number": r"(?<![\w.])(?P<v>\d{1,4})(?![\w.])",
    "code": r"(?<![\w-])(?P<v>[A-Z0-9][A-Z0-9-]{3,})(?![\w-])",
}


@dataclass
class _Place:
    """Where one example prints one field's value: its lines among the page's printed lines,
    and what its first line prints before it and its last line after it."""

    page: int
    first: int
    last: int
    before: str
    after: str


def _printed(sheet: Sheet, page: int) -> list[str]:
    """The texts of a page's visual rows (the rows ``lines`` rules count)."""
    return [" ".join(ln.text for ln in row) for row in sheet.rows(page)]


def _locate(sheet: Sheet, value: str) -> list[_Place]:
    """Every place the value's lines stand on consecutive printed lines of one page."""
    wanted = [normalise(v) for v in value.split("\n") if normalise(v)]
    places = []
    for page in range(len(sheet.pages)):
        printed = _printed(sheet, page)
        for i, line in enumerate(printed):
            spans = []
            for k, part in enumerate(wanted):
                if i + k >= len(printed):
                    break
                text = printed[i + k]
                span = _find(part, text)
                if span is None:
                    break
                spans.append(span)
            if len(spans) != len(wanted):
                continue
            first_text, last_text = line, printed[i + len(wanted) - 1]
            places.append(
                _Place(
                    page,
                    i,
                    i + len(wanted) - 1,
                    first_text[: spans[0][0]],
                    last_text[spans[-1][1] :],
                )
            )
    return places


def _find(part: str, text: str) -> tuple[int, int] | None:
    """Where ``part`` stands in ``text``: whole words for a short value, fuzzily otherwise."""
    if len(part) <= 4:
        match = re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text, re.IGNORECASE)
        return (match.start(), match.end()) if match else None
    found = fuzz.partial_ratio_alignment(part.casefold(), text.casefold())
    if found is None or found.score < LOCATE_SCORE:
        return None
    return found.dest_start, found.dest_end


def _phrases_ending(text: str, most: int = 4) -> list[str]:
    """The last 1..most words of ``text`` that read as a label: letters, no digits."""
    words = _WORD.findall(text)
    found = []
    for n in range(1, min(most, len(words)) + 1):
        tail = words[-n:]
        if any(ch.isdigit() for ch in tail[0]) or not any(ch.isalpha() for ch in tail[0]):
            break
        found.append(" ".join(tail))
    return found


def _phrases_starting(text: str, most: int = 3) -> list[str]:
    """The first 1..most words of ``text`` that read as a label."""
    words = _WORD.findall(text)
    found = []
    for n in range(1, min(most, len(words)) + 1):
        head = words[:n]
        if any(ch.isdigit() for ch in head[-1]) or not any(ch.isalpha() for ch in head[-1]):
            break
        found.append(" ".join(head))
    return found


def label_vocabulary(sheets: Sequence[Sheet], share: float = 0.6) -> list[str]:
    """Phrases that end like a label (':', '?', '#') and are printed on most examples: the
    layout's labels, which stop one field's value from running into the next."""
    counts: Counter[str] = Counter()
    for sheet in sheets:
        seen = set()
        for text in (column for line in sheet.lines for column in _columns(line)):
            words = _WORD.findall(text)
            for end, word in enumerate(words, start=1):
                if not _LABEL_END.search(word):
                    continue
                for phrase in _phrases_ending(" ".join(words[:end]), 4):
                    seen.add(phrase)
        counts.update(seen)
    needed = max(2, int(share * len(sheets) + 0.999))
    common = [p for p, n in counts.items() if n >= needed]
    # A phrase inside a longer common one ('name:' in 'Full name:') is that label's tail.
    return sorted(
        (p for p in common if not any(o != p and o.endswith(" " + p) for o in common)),
        key=len,
        reverse=True,
    )


def _columns(line: Line) -> list[str]:
    """A line's text cut at its gutters: a row read across two columns (as OCR and pdfium read
    a form) does not make the last word of one column's value part of the next one's label."""
    if not line.segments:
        return [line.text]
    return [line.text[s.start : s.end] for s in line.segments]


def _in_values(phrase: str, values: Sequence[str]) -> bool:
    """Whether ``phrase`` is printed inside a labelled value: a label must never be a word a
    value holds, or it would be cut out of that value."""
    pattern = rf"(?<!\w){re.escape(phrase.casefold())}(?!\w)"
    return any(re.search(pattern, v.casefold()) for v in values)


def _candidates(
    places: list[_Place],
    sheet: Sheet,
    lines: int,
    values: Sequence[str],
    line_filter: str | None = None,
) -> list[Kind]:
    """Rules one example proposes for a field printed at ``places``; no rule is anchored on a
    phrase one of the example's ``values`` holds. ``line_filter``: what every line of the
    field's values holds, which keeps a block to them."""
    found: list[Kind] = []
    for place in places:
        printed = _printed(sheet, place.page)
        for phrase in _phrases_ending(place.before.rstrip()):
            found.append(Label((phrase,), max_lines=lines, lookahead=1))
        if place.first > 0:
            above = printed[place.first - 1]
            for phrase in _phrases_ending(above.rstrip()) + _phrases_starting(above):
                found.append(Label((phrase,), max_lines=lines, lookahead=1))
                if lines > 1:
                    found.append(Label((phrase,), max_lines=lines, lookahead=lines))
        if lines > 1:
            for phrase in _phrases_ending(place.before.rstrip()):
                found.append(Label((phrase,), max_lines=lines, lookahead=1, own_column=True))
        for j in range(max(0, place.first - REACH), min(len(printed), place.last + REACH + 1)):
            if place.first <= j <= place.last:
                continue
            for phrase in _phrases_starting(printed[j]):
                offset = place.first - j
                found.append(Lines((phrase,), offset=offset, count=lines))
                if j < place.first:
                    for k in range(place.last + 1, min(len(printed), place.last + REACH + 1)):
                        for end_phrase in _phrases_starting(printed[k]):
                            found.append(
                                Lines(
                                    (phrase,),
                                    offset=offset,
                                    until=(end_phrase,),
                                    until_offset=place.last - k,
                                )
                            )
                            if offset == 1 and place.last == k - 1:
                                found.append(Block((phrase,), (end_phrase,)))
                            if line_filter and place.last == k - 1:
                                found.append(Block((phrase,), (end_phrase,), line_filter))
    return [rule for rule in found if not any(_in_values(a, values) for a in rule.labels)]


def _line_filter(values: Sequence[str]) -> str | None:
    """What every line of the values holds: a digit (a medicine's strength), or a word."""
    lines = [line for value in values for line in value.split("\n") if line.strip()]
    for pattern in (r"\d", r"[^\W\d_]{3,}"):
        if lines and all(re.search(pattern, line) for line in lines):
            return pattern
    return None


def _suffix_pattern(afters: list[str], base: str | None) -> str | None:
    """A value pattern for text printed after the value every time (', MD'): the value is
    what comes before it."""
    tails = [a.strip() for a in afters if a.strip()]
    if base is not None or not tails or len(tails) < len(afters):
        return None
    common = Counter(tails).most_common(1)[0]
    if common[1] < len(afters) or not any(ch.isalpha() for ch in common[0]):
        return None
    escaped = r"\s*".join(re.escape(part) for part in common[0].split())
    return rf"(?P<v>[^\n]*?[^\s,;:])\s*{escaped}"


def _choice(
    spec: FieldSpec, present: Sequence[tuple[Example, Sheet, str]]
) -> tuple[Choice, int, int] | None:
    """A choice rule when a label's row prints two or more of the options the field's
    validator allows (a form's tick boxes) and the ticked one is the labelled value, on every
    example but at most one; with the number of examples it reads and its 1-based page."""
    options = CHOICES.get(spec.correct)
    if options is None:
        distinct = sorted({v for _, _, v in present}, key=str.casefold)
        options = tuple(distinct) if len(distinct) >= 2 else None
    if options is None:
        return None
    phrases: Counter[str] = Counter()
    pages: Counter[tuple[str, int]] = Counter()
    for example, _, value in present:
        if example.picture is None:
            continue
        seen: set[str] = set()
        for page in example.read_pages:
            for word in page.words:
                if not _LABEL_END.search(word.text):
                    continue
                printed = options_in_row(options, row_after(page, word.start, word.end))
                found = ticked(page, example.picture(page), printed) if len(printed) > 1 else None
                if found is not None and found[0].casefold() == value.casefold():
                    line_start = page.text.rfind("\n", 0, word.start) + 1
                    ending = _phrases_ending(page.text[line_start : word.end])
                    seen.update(ending)
                    pages.update((phrase, page.number) for phrase in ending)
        phrases.update(seen)
    if not phrases:
        return None
    # The longest phrase that the most examples print before their ticked value is the label.
    phrase, count = max(phrases.items(), key=lambda item: (item[1], len(item[0])))
    if count < max(1, len(present) - 1):
        return None
    page = max((n for p, n in pages if p == phrase), key=lambda n: pages[(phrase, n)])
    return Choice((phrase,), tuple(options)), count, page


def _sizes(example: Example) -> list[tuple[int, int]] | None:
    return [p.size for p in example.read_pages] if example.read_pages else None


def _value_box(example: Example, value: str) -> tuple[int, tuple[float, ...]] | None:
    """(page, box as page fractions) around the words the value's lines are printed with."""
    for index, page in enumerate(example.read_pages):
        width, height = page.size
        if not width or not height:
            continue
        boxes = []
        for part in (normalise(v) for v in value.split("\n") if normalise(v)):
            span = _find(part, page.text)
            if span is None:
                break
            boxes += [w.box for w in page.words if w.start < span[1] and w.end > span[0]]
        else:
            if boxes:
                x0 = min(b[0] for b in boxes) / width
                y0 = min(b[1] for b in boxes) / height
                x1 = max(b[0] + b[2] for b in boxes) / width
                y1 = max(b[1] + b[3] for b in boxes) / height
                return index, (x0, y0, x1, y1)
    return None


def _region(present: Sequence[tuple[Example, Sheet, str]]) -> tuple[int, Region] | None:
    """(1-based page, region) around where every example prints its value, with a margin,
    when every example's words place it (on one page)."""
    placed = [_value_box(example, value) for example, _, value in present]
    if not placed or any(p is None for p in placed) or len({p[0] for p in placed}) > 1:
        return None
    boxes = [p[1] for p in placed]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    box = (
        round(max(0.0, x0 - REGION_MARGIN), 3),
        round(max(0.0, y0 - REGION_MARGIN / 2), 3),
        round(min(1.0, x1 + REGION_MARGIN), 3),
        round(min(1.0, y1 + REGION_MARGIN / 2), 3),
    )
    return placed[0][0] + 1, Region(box)


def _score(
    spec: FieldSpec, examples: Sequence[Example], labels: tuple[str, ...], floor: int
) -> int:
    """How many examples ``spec`` reads right; stops once it cannot read more than ``floor``."""
    doc = DocType("learning", (spec,), labels)
    read = 0
    for done, example in enumerate(examples):
        got = match_fields(doc, example.pages, example.words, _sizes(example))[spec.name].value
        read += field_match(example.fields.get(spec.name), got)
        if read + len(examples) - done - 1 <= floor:
            return read
    return read


def _absent(name: str, kind: str, read: int, labelled: int, note: str) -> FieldRule:
    """A field the layout reads as absent, and why."""
    return FieldRule(name, Nowhere(), None, None, kind, read, labelled, note)


def induce_field(
    contract_spec: FieldSpec,
    examples: Sequence[Example],
    sheets: Sequence[Sheet],
    labels: tuple[str, ...],
) -> FieldRule:
    """The rule that reads ``contract_spec``'s labelled values on the most examples."""
    name = contract_spec.name
    values = [e.fields.get(name) for e in examples]
    kind = value_kind([v for v in values if v])
    present = [(e, s, v) for e, s, v in zip(examples, sheets, values, strict=True) if v]
    if not present:
        return _absent(name, kind, len(examples), len(examples), "never printed on the examples")
    pattern = contract_spec.value or KIND_PATTERNS.get(kind)
    choice = _choice(contract_spec, present)
    if choice is not None:
        rule, read, page = choice
        ticks = "a ticked box, read from the page's pixels"
        return FieldRule(name, rule, page, None, "choice", read, len(examples), ticks)
    counts = {len(v.split("\n")) for _, _, v in present}
    # A value printed on as many lines every time keeps to them; one whose lines vary may run
    # longer than the examples showed (the next label still ends it).
    lines = max(counts) + (VARYING_LINES if len(counts) > 1 else 0)
    filters = _line_filter([v for _, _, v in present])
    proposed: Counter[Kind] = Counter()
    pages: Counter[int] = Counter()
    afters: list[str] = []
    for example, sheet, value in present:
        places = _locate(sheet, value)
        printed = [v for v in example.fields.values() if v]
        for kind_rule in set(_candidates(places, sheet, lines, printed, filters)):
            proposed[kind_rule] += 1
        if places:
            pages[places[0].page] += 1
            afters.append(places[0].after)
    page = pages.most_common(1)[0][0] + 1 if pages else None
    region = _region(present)
    if not proposed and region is None:
        missing = "its value was not found on the pages of the examples"
        return _absent(name, kind, 0, len(examples), missing)
    suffix = _suffix_pattern(afters, pattern)
    # Rules that more than one example proposes are tried first; one-off rules only when
    # nothing else was proposed.
    needed = 2 if len(present) > 1 else 1
    tried = [k for k, n in proposed.items() if n >= needed] or list(proposed)
    # Most proposed and simplest first: the first rule that reads every example wins, and a
    # rule is dropped as soon as it can no longer read more examples than the best so far.
    tried.sort(key=lambda k: (-proposed[k], _SIMPLE[type(k)], _size(k), repr(k)))
    best: tuple | None = None
    for rule in tried:
        own_pattern = suffix if isinstance(rule, Lines | Block) and suffix else None
        spec = replace(contract_spec, find=rule, page=page, value=own_pattern or pattern)
        floor = best[0] if best else -1
        read = _score(spec, examples, labels, floor)
        if read > floor:
            best = (read, rule, own_pattern)
            if read == len(examples):
                break
    if region is not None and (best is None or best[0] < len(examples)):
        # No label places it on every example: the part of the page it is printed in.
        spec = replace(contract_spec, find=region[1], page=region[0], value=pattern)
        read = _score(spec, examples, labels, best[0] if best else -1)
        if best is None or read > best[0]:
            best, page = (read, region[1], None), region[0]
    read, rule, own_pattern = best
    added = own_pattern or (KIND_PATTERNS.get(kind) if contract_spec.value is None else None)
    note = "" if read == len(examples) else f"reads {read} of {len(examples)} examples"
    return FieldRule(name, rule, page, added, kind, read, len(examples), note)


def _size(rule: Kind) -> int:
    """How far a rule reaches (smaller is simpler)."""
    if isinstance(rule, Lines):
        return abs(rule.offset) + len(rule.until) + sum(len(a) for a in rule.anchors) // 10
    if isinstance(rule, Label):
        return rule.lookahead + rule.max_lines + rule.own_column
    if isinstance(rule, Block):
        return 5 + bool(rule.line_filter)
    return 5


def contract_specs(contract: Contract) -> tuple[FieldSpec, ...]:
    """The contract's fields as specs found nowhere yet: their value shape, normaliser and
    validator, which every layout of the type shares."""
    return tuple(
        FieldSpec(
            f.name,
            Nowhere(),
            value=f.value,
            normalise=f.normalise,
            correct=f.correct,
            lines="many" if f.multiline else "one",
        )
        for f in contract.fields
    )


def induce(contract: Contract, layout: str, examples: Sequence[Example]) -> Induced:
    """A layout of the ``contract``'s type from labelled examples of it."""
    plain = [Sheet(e.pages, [], e.words) for e in examples]
    vocabulary = label_vocabulary(plain)
    sheets = [Sheet(e.pages, vocabulary, e.words) for e in examples]
    labels = tuple(vocabulary)
    rules = [induce_field(spec, examples, sheets, labels) for spec in contract_specs(contract)]
    anchors = {a for r in rules for a in getattr(r.find, "labels", ())}
    structural = tuple(label for label in vocabulary if label not in anchors)
    warnings = tuple(
        f"{r.name}: could not be anchored ({r.note}); it is read as absent"
        for r in rules
        if isinstance(r.find, Nowhere) and r.note != "never printed on the examples"
    )
    return Induced(contract.name, layout, tuple(rules), structural, len(examples), warnings)


def as_doctype(induced: Induced, contract: Contract) -> DocType:
    """The induced layout as the pipeline reads it (before it is written out)."""
    specs = tuple(
        replace(spec, find=rule.find, page=rule.page, value=rule.pattern or spec.value)
        for rule, spec in zip(induced.rules, contract_specs(contract), strict=True)
    )
    return DocType(contract.name, specs, induced.structural_labels, layout=induced.layout)
