"""Extraction-layer fixtures: OCR text beside its expected fields, no Tesseract needed.

Each ``tests/fixtures/<doc_type>/<case>.txt`` holds the OCR text of a document, pages separated
by a form feed; ``<case>.json`` holds the expected fields. One parametrised case per file.
"""

import json
from pathlib import Path

import pytest

from medxtract_lab.doctypes import get_doctype
from medxtract_lab.extraction import match_fields

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(FIXTURES.glob("*/*.txt"))


@pytest.mark.parametrize("text_file", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture(text_file: Path) -> None:
    doc_type = get_doctype(text_file.parent.name)
    pages = text_file.read_text(encoding="utf-8").split("\f")
    expected = json.loads(text_file.with_suffix(".json").read_text(encoding="utf-8"))
    found = match_fields(doc_type, pages)
    got = {name: f.value for name, f in found.items()}
    assert list(got) == doc_type.field_names
    assert got == expected


def test_every_fixture_has_expected_output() -> None:
    assert len(CASES) >= 10
    for case in CASES:
        assert case.with_suffix(".json").is_file(), f"{case} has no expected .json"
