"""``match_fields``: every field of a document type resolved over a document's page texts.

Each field's result keeps where its labels stand (``anchors``) as well as where its value was
read (``spans``), so a later stage (the re-read of a doubtful field, a drawing of its location)
never matches the labels again to find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medxtract_lab.extraction.kinds import kind_of
from medxtract_lab.extraction.sheet import Placed, Sheet, Span
from medxtract_lab.extraction.spec import DocType, FieldSpec
from medxtract_lab.extraction.text import find_value


@dataclass(frozen=True)
class FieldMatch:
    """One field's outcome: its value (None when absent), where the value and its labels stand
    in the page texts, and the label match quality times the validator's factor."""

    value: str | None
    spans: tuple[Span, ...] = ()
    anchors: tuple[Span, ...] = ()
    quality: float = 0.0


def finish(spec: FieldSpec, raw: str) -> tuple[str, float] | None:
    """Normalise, then correct: the value to report and its confidence factor."""
    value = spec.normalise(raw)
    if not value:
        return None
    return spec.correct(value) if spec.correct else (value, 1.0)


def resolve_value(spec: FieldSpec, text: str) -> tuple[str, float] | None:
    """A field's value inside a small piece of text (a cropped region read on its own)."""
    found = find_value(spec.value, text)
    return finish(spec, found[0]) if found else None


def match_fields(
    doc_type: DocType,
    pages: Sequence[str],
    words: Sequence[Sequence[Placed]] | None = None,
    sizes: Sequence[tuple[int, int]] | None = None,
) -> dict[str, FieldMatch]:
    """Resolve every field of ``doc_type`` over the page texts (one string per page), using
    the words of each page (``words``) to keep values within their column, and the pages'
    sizes (``sizes``, in the words' pixels) to read a part of a page, when given."""
    sheet = Sheet(pages, doc_type.labels(), words, sizes)
    results: dict[str, FieldMatch] = {}
    for spec in sorted(doc_type.fields, key=lambda s: kind_of(s).order):
        anchors = tuple(
            line.span(h.start, h.end) for line, h in sheet.hits(spec.page, spec.anchors)
        )
        found = kind_of(spec).resolve(spec, sheet)
        finished = finish(spec, found.value) if found else None
        if found is None or finished is None:
            results[spec.name] = FieldMatch(None, anchors=anchors)
        else:
            value, factor = finished
            results[spec.name] = FieldMatch(value, found.spans, anchors, found.quality * factor)
    return {name: results[name] for name in doc_type.field_names}
