"""Nowhere kind: a field the layout does not print, always absent."""

from __future__ import annotations

from medxtract_lab.extraction.kinds import register_kind
from medxtract_lab.extraction.sheet import Found, Sheet
from medxtract_lab.extraction.spec import FieldSpec, Nowhere


@register_kind(Nowhere, "none", order=0)
def resolve(spec: FieldSpec, sheet: Sheet) -> Found | None:
    return None
