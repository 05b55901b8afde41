"""Pattern kind: the field's value pattern searched over a whole page (the doctor header)."""

from __future__ import annotations

from medxtract_lab.extraction.kinds import register_kind
from medxtract_lab.extraction.sheet import Found, Sheet
from medxtract_lab.extraction.spec import FieldSpec, Pattern
from medxtract_lab.extraction.text import find_value


@register_kind(Pattern, "pattern", order=0)
def resolve(spec: FieldSpec, sheet: Sheet) -> Found | None:
    for page_index, text in enumerate(sheet.pages):
        if spec.page is not None and page_index != spec.page - 1:
            continue
        found = find_value(spec.value, text)
        if found:
            value, start, end = found
            return Found(value, ((page_index, start, end),))
    return None
