"""Region kind: the words printed inside a part of the page (a value no label places)."""

from __future__ import annotations

from medxtract_lab.extraction.kinds import register_kind
from medxtract_lab.extraction.sheet import Found, Sheet
from medxtract_lab.extraction.spec import FieldSpec, Region


@register_kind(Region, "region", order=3)
def resolve(spec: FieldSpec, sheet: Sheet) -> Found | None:
    """Each line whose middle lies in the box gives the free text of its words whose middle
    does; resolved after the labelled kinds, so it reads only what they left."""
    x0, y0, x1, y1 = spec.find.box
    parts, spans = [], []
    for line in sheet.lines_on(spec.page):
        width, height = sheet.sizes[line.page]
        if not width or not height or not line.words or line.bottom <= line.top:
            continue
        if not y0 <= (line.top + line.bottom) / 2 / height <= y1:
            continue
        inside = [
            (s, e) for s, e, left, right in line.words if x0 <= (left + right) / 2 / width <= x1
        ]
        if not inside:
            continue
        start, end = inside[0][0], inside[-1][1]
        if spec.value is not None:
            found = sheet.take(line, start, end, spec.value, last=False)
            if found is not None:
                parts.append(found.value)
                spans.extend(found.spans)
            continue
        whole = line.whole_text(start, end)
        if whole is None:
            continue
        line.consume(start, end)
        parts.append(whole[0])
        spans.append(whole[1])
    if not parts:
        return None
    return Found("\n".join(parts), tuple(spans))
