"""Two columns read row by row: word geometry keeps each value within its label's column."""

from __future__ import annotations

from medxtract_lab.doctypes import get_doctype
from medxtract_lab.extraction import match_fields
from medxtract_lab.ocr import Word

CHAR, HEIGHT = 10, 20  # pixels per character and word height of the made-up page

# Page 2 of a two-column record as OCR reads it: rows across both columns, at these x pixels.
ROWS = [
    [(60, "Name of Insurance Company:"), (700, "Address:")],
    [(60, "Summit Care"), (700, "155 Colleen Lock")],
    [(60, "Policy Number:"), (700, "North Christyfurt, MS 54179")],
    [(60, "T86231910"), (700, "Expiry Date: 8/5/2028")],
    [(60, "Do you have medical insurance?")],
    [(60, "Yes")],
]


def _page(rows: list) -> tuple[str, list[Word]]:
    """The page text (a row's runs joined by one space) and its words, each run drawn from its
    x pixel with one character every ``CHAR`` pixels."""
    lines, words, offset = [], [], 0
    for row_number, row in enumerate(rows):
        line = ""
        for x, run in row:
            line += " " if line else ""
            run_start = offset + len(line)
            position = 0
            for token in run.split(" "):
                box = (x + position * CHAR, row_number * 40, len(token) * CHAR, HEIGHT)
                start = run_start + position
                words.append(Word(token, 0.9, box, start, start + len(token)))
                position += len(token) + 1
            line += run
        lines.append(line)
        offset += len(line) + 1
    return "\n".join(lines) + "\n", words


def test_values_stay_in_their_column_when_word_boxes_are_known() -> None:
    text, words = _page(ROWS)
    page1 = "Patient Information\n"
    found = match_fields(get_doctype("patient_details"), [page1, text], [[], words])
    assert found["insurance_company"].value == "Summit Care"
    assert found["policy_number"].value == "T86231910"
    assert found["insurance_expiry"].value == "8/5/2028"
    assert found["has_insurance"].value == "Yes"


def test_the_same_text_without_geometry_runs_the_columns_together() -> None:
    """What the issue saw on real photos: row-wise text glues the right column on."""
    text, _ = _page(ROWS)
    found = match_fields(get_doctype("patient_details"), ["Patient Information\n", text])
    assert found["insurance_company"].value != "Summit Care"
    assert found["policy_number"].value != "T86231910"


def test_a_label_and_its_value_a_short_gap_apart_stay_together() -> None:
    rows = [[(60, "Policy Number:"), (60 + 15 * CHAR + 12, "T86231910")]]
    text, words = _page(rows)
    found = match_fields(get_doctype("patient_details"), ["", text], [[], words])
    assert found["policy_number"].value == "T86231910"


def test_a_line_below_with_words_in_one_column_only_gives_nothing_to_the_other() -> None:
    rows = [
        [(60, "Policy Number:"), (700, "Name of Insurance Company:")],
        [(60, "T86231910")],
        [(700, "Summit Care")],
    ]
    text, words = _page(rows)
    found = match_fields(get_doctype("patient_details"), ["", text], [[], words])
    assert found["policy_number"].value == "T86231910"
    assert found["insurance_company"].value == "Summit Care"


def test_a_value_aligned_in_a_column_far_right_of_its_label_is_found() -> None:
    rows = [
        [(60, "Policy Number:"), (60 + 30 * CHAR, "T86231910")],
        [(60, "Expiry Date:"), (60 + 30 * CHAR, "8/5/2028")],
    ]
    text, words = _page(rows)
    found = match_fields(get_doctype("patient_details"), ["", text], [[], words])
    assert found["policy_number"].value == "T86231910"
    assert found["insurance_expiry"].value == "8/5/2028"
