"""Section kind: the unlabelled text of a section (a form column without labels), taken as a
name, the first match of the field's value pattern, or the remaining lines. Sections resolve
last, so they read only what labelled fields left over."""

from __future__ import annotations

import re

from medxtract_lab.extraction.kinds import register_kind
from medxtract_lab.extraction.sheet import Found, Line, Sheet, whole_lines
from medxtract_lab.extraction.spec import FieldSpec, Section
from medxtract_lab.extraction.text import clean, looks_like_name, name_prefix


@register_kind(Section, "section", order=3)
def resolve(spec: FieldSpec, sheet: Sheet) -> Found | None:
    options: Section = spec.find
    region = sheet.region(spec.page, options.anchors, options.until)
    if options.take == "pattern":
        for line in region:
            found = sheet.take(line, 0, len(line.text), spec.value, last=False)
            if found:
                return found
        return None
    if options.take == "name":
        return _name(region)
    return _lines(region)


def _name(region: list[Line]) -> Found | None:
    """The first line of free text that looks like a name; OCR debris such as "ee J" from a
    rule or a logo is skipped, but only in the first few lines."""
    for line in [ln for ln in region if clean(ln.free_text())][:3]:
        name = name_prefix(line.free_text())
        if looks_like_name(name):
            start = line.text.find(name.split()[0])
            line.consume(0, len(line.text))
            return Found(name, (line.span(start, start + len(name)),))
    return None


def _lines(region: list[Line]) -> Found | None:
    # A real line holds a word of three letters or digits; "oe" is a speck of dirt.
    return whole_lines(region, keep=lambda text: re.search(r"\w{3}", text))
