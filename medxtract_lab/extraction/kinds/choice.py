"""Choice kind: options printed after a label, one ticked in a box. The text cannot tell which
(OCR reads the option words, not the ticks, and may put them on lines of their own), so it is
left to the pixels (``ticks.py``); here the field only records where its label stands."""

from __future__ import annotations

from medxtract_lab.extraction.kinds import register_kind
from medxtract_lab.extraction.sheet import Found, Sheet
from medxtract_lab.extraction.spec import Choice, FieldSpec


@register_kind(Choice, "choice", order=1)
def resolve(spec: FieldSpec, sheet: Sheet) -> Found | None:
    return None
