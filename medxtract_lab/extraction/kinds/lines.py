"""Lines kind: unlabelled lines at a fixed number of printed rows from a label's row."""

from __future__ import annotations

from medxtract_lab.extraction.kinds import register_kind
from medxtract_lab.extraction.sheet import Found, Line, Sheet, whole_lines
from medxtract_lab.extraction.spec import FieldSpec, Lines


@register_kind(Lines, "lines", order=2)
def resolve(spec: FieldSpec, sheet: Sheet) -> Found | None:
    """Offsets count visual rows, so a row a text layer cut in two still counts once."""
    options: Lines = spec.find
    for anchor, _ in sheet.hits(spec.page, options.anchors):
        rows = sheet.rows(anchor.page)
        at = next(i for i, row in enumerate(rows) if anchor in row)
        first = at + options.offset
        if options.until:
            ends = [
                i
                for i, row in enumerate(rows)
                if i > at and any(h.label in options.until for ln in row for h in ln.hits)
            ]
            if not ends:
                continue
            last = ends[0] + options.until_offset
        else:
            last = first + options.count - 1
        if first < 0 or last < first or last >= len(rows):
            continue
        found = _take(sheet, [ln for row in rows[first : last + 1] for ln in row], spec)
        if found is not None:
            return found
    return None


def _take(sheet: Sheet, lines: list[Line], spec: FieldSpec) -> Found | None:
    """Each line's value (the field's pattern in its free text, or the whole of it)."""
    if spec.value is None:
        return whole_lines(lines)
    parts, spans = [], []
    for line in lines:
        found = sheet.take(line, 0, len(line.text), spec.value, last=False)
        if found is not None:
            parts.append(found.value)
            spans.extend(found.spans)
    if not parts:
        return None
    return Found("\n".join(parts), tuple(spans))
