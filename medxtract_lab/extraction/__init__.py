"""The extraction layer: declarative field specs resolved over page text.

- ``spec``: the schema document types declare their fields with;
- ``labels``: fuzzy label finding; ``text``: value cleaning; ``sheet``: lines and their labels;
- ``kinds``: one module per value kind, registered with its resolve order;
- ``validators``: corrections that snap a value to a known form;
- ``match``: ``match_fields``, which resolves a document type over a document's pages.
"""

from medxtract_lab.extraction.match import FieldMatch, match_fields, resolve_value
from medxtract_lab.extraction.spec import Block, DocType, FieldSpec, Label, Pattern, Section

__all__ = [
    "Block",
    "DocType",
    "FieldMatch",
    "FieldSpec",
    "Label",
    "Pattern",
    "Section",
    "match_fields",
    "resolve_value",
]
