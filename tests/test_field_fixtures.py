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


def test_a_page_flattened_onto_one_line_keeps_its_labelled_fields() -> None:
    """Text with no line breaks at all (some text layers and OCR exports) is cut before each
    label, so every single-line labelled field is still read. Multi-line values cannot get their
    line breaks back from text alone and are not asserted here."""
    clean = FIXTURES / "prescription" / "clean.txt"
    expected = json.loads(clean.with_suffix(".json").read_text(encoding="utf-8"))
    flat = " ".join(clean.read_text(encoding="utf-8").split())
    assert "\n" not in flat
    found = match_fields(get_doctype("prescription"), [flat])
    for name in ("doctor_name", "patient_name", "date", "refills"):
        assert found[name].value == expected[name], name
