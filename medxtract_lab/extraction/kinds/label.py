"""Label kind: the value after its label, on the same line or on the lines below.

When several labels share a line without values (a two-column form flattened by OCR, possibly
broken over several lines), the values found below are assigned to that row's labels in order.
"""

from __future__ import annotations

import re

from medxtract_lab.extraction.kinds import register_kind
from medxtract_lab.extraction.labels import Hit
from medxtract_lab.extraction.sheet import GUTTER, Found, Line, Sheet
from medxtract_lab.extraction.spec import FieldSpec, Label
from medxtract_lab.extraction.text import value_span


@register_kind(Label, "label", order=1)
def resolve(spec: FieldSpec, sheet: Sheet) -> Found | None:
    options: Label = spec.find
    for line, hit in sheet.hits(spec.page, options.anchors):
        start, end = line.segment_after(hit)
        same = sheet.take(line, start, end, spec.value, last=False)
        if same is not None and options.max_lines == 1:
            return Found(same.value, same.spans, hit.score)
        found = _below(sheet, line, hit, spec, options, same)
        if found is None and same is None and (beyond := line.segment_beyond(hit)):
            found = sheet.take(line, *beyond, spec.value, last=False)  # aligned far right
        if found is not None:
            return Found(found.value, found.spans, hit.score)
    return None


def _below(
    sheet: Sheet, line: Line, hit: Hit, spec: FieldSpec, options: Label, same: Found | None
) -> Found | None:
    """Values on the lines under a label (and, for multi-line fields, after it)."""
    parts = [same] if same else []
    row = [h for h in line.hits if not line.has_value_after(h)]
    right_column = bool(line.free_text(0, hit.start).strip()) or (hit in row and row.index(hit) > 0)
    value_lines: list[Line] = []
    for below in sheet.lines_after(line):
        if not below.text.strip():
            continue
        starts_with_label = below.hits and not below.free_text(0, below.hits[0].start).strip()
        if starts_with_label and options.own_column and _further_right(below, line, same):
            continue
        if starts_with_label:
            if not value_lines and not parts and not below.free_text().strip():
                row.extend(below.hits)  # the label row continues on this line
                continue
            break
        value_lines.append(below)
        if len(value_lines) >= options.lookahead + options.max_lines - 1:
            break
    if hit in row and len(row) > 1 and spec.value and not parts:
        found = _by_column(value_lines, row, row.index(hit), spec.value)
        if found is not None:
            return found
    extent = line.extent(hit.start, hit.end)  # None without word geometry
    for below in value_lines:
        if extent is None or not below.segments:
            start, end = 0, below.hits[0].start if below.hits else len(below.text)
        else:
            start, end = below.column_under(extent)
        found = sheet.take(below, start, end, spec.value, last=right_column)
        if found is not None:
            parts.append(found)
            if len(parts) >= options.max_lines:
                break
        elif parts:
            break
    if not parts:
        return None
    return Found("\n".join(p.value for p in parts), tuple(s for p in parts for s in p.spans))


def _further_right(below: Line, line: Line, same: Found | None) -> bool:
    """Whether every word of ``below`` stands right of the label's value (or the label) by more
    than a column gutter: another column's line, read between the value's lines."""
    if same is None or not below.words:
        return False
    start = same.spans[0][1] - line.offset
    reach = line.extent(start, start + len(same.value))
    if reach is None:
        return False
    gap = GUTTER * max(line.height, below.height)
    return min(left for _, _, left, _ in below.words) > reach[1] + gap


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
    value, start, end = value_span(match)
    below.consume(start, end)
    return Found(value, (below.span(start, end),))
