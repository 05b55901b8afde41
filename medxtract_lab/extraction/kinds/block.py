"""Block kind: the unlabelled lines between a start and an end label (the medicines)."""

from __future__ import annotations

import re

from medxtract_lab.extraction.kinds import register_kind
from medxtract_lab.extraction.sheet import Found, Sheet
from medxtract_lab.extraction.spec import Block, FieldSpec
from medxtract_lab.extraction.text import clean


@register_kind(Block, "block", order=2)
def resolve(spec: FieldSpec, sheet: Sheet) -> Found | None:
    options: Block = spec.find
    parts, spans = [], []
    for line in sheet.region(spec.page, options.anchors, options.until):
        text = line.free_text()
        if not clean(text):
            continue
        if options.line_filter and not re.search(options.line_filter, text):
            continue
        value = clean(text)
        start = line.text.find(value.split()[0]) if value else 0
        line.consume(0, len(line.text))
        parts.append(value)
        spans.append(line.span(start, len(line.text)))
    if not parts:
        return None
    return Found("\n".join(parts), tuple(spans))
