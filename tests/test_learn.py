"""Learning a layout from labelled documents, the kinds it writes (lines placed by a label's
line, options ticked in boxes), and the file it writes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from conftest import rasterise
from reportlab.pdfgen import canvas

from medxtract_lab.cli import main
from medxtract_lab.corpus import load_corpus
from medxtract_lab.doctypes import CONTRACTS, load_layouts, unregister_doctype
from medxtract_lab.doctypes.files import read_layout
from medxtract_lab.extraction import DocType, FieldSpec, match_fields
from medxtract_lab.extraction.spec import Lines
from medxtract_lab.pipeline import extract

LAYOUTS_SET = Path(__file__).parent.parent / "ground_truth" / "layouts"


def test_lines_are_placed_by_the_printed_lines_from_a_labels_line() -> None:
    page = (
        "CORNER DRUG STORE\n"
        "Rx# 3793146 Filled: 07-May-2021\n"
        "\n"
        "JOSHUA SIMPSON\n"
        "676 Robyn Square, Holderstad, SD 55126\n"
        "TAKE 1 CAPSULE BY MOUTH TWICE DAILY\n"
        "WITH FOOD\n"
        "Pregabalin 150 mg\n"
        "Qty: 28 CAPSULES Refills: 1\n"
        "Prescriber: Rita Thies\n"
    )
    doc = DocType(
        "label",
        (
            FieldSpec("name", Lines(("Filled:",), offset=1)),
            FieldSpec(
                "directions", Lines(("Filled:",), offset=3, until=("Qty:",), until_offset=-2)
            ),
            FieldSpec("medicine", Lines(("Qty:",), offset=-1)),
        ),
        ("Refills:", "Prescriber:"),
    )
    found = match_fields(doc, [page])
    assert found["name"].value == "JOSHUA SIMPSON"  # the blank line is not a printed line
    assert found["directions"].value == "TAKE 1 CAPSULE BY MOUTH TWICE DAILY\nWITH FOOD"
    assert found["medicine"].value == "Pregabalin 150 mg"


@pytest.fixture
def learned(tmp_path, capsys):
    out = tmp_path / "layouts" / "prescription.pharmacy_label.layout.yaml"
    code = main(
        [
            "learn",
            "--corpus",
            str(LAYOUTS_SET),
            "--doc-type",
            "prescription",
            "--layout",
            "pharmacy_label",
            "--limit",
            "5",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    yield code, out, printed
    unregister_doctype("prescription", "pharmacy_label")


def test_learn_writes_an_editable_layout_that_reads_unseen_documents(learned) -> None:
    code, out, printed = learned
    assert code == 0 and "leave-one-out field accuracy" in printed
    text = out.read_text()
    assert text.startswith('# Layout "pharmacy_label" of prescription')
    assert all(len(line) <= 100 for line in text.splitlines())
    data = yaml.safe_load(text)
    assert list(data["fields"]) == CONTRACTS["prescription"].field_names
    assert data["fields"]["refills"]["anchors"] == ["Refills:"]  # a label it found itself
    assert read_layout(out, CONTRACTS).layout == "pharmacy_label"
    learned_from = printed.split("documents in")[1].split(": ")[1].split("\n")[0].split(", ")
    assert len(learned_from) == 5
    load_layouts(out.parent)
    unseen = [
        d
        for d in load_corpus(LAYOUTS_SET, doc_type="prescription")
        if d.layout == "pharmacy_label" and d.id not in learned_from
    ]
    chosen = [next(d for d in unseen if d.source.endswith(c)) for c in ("digital", "scan", "photo")]
    right = total = 0
    for doc in chosen:
        result = extract(doc.pdf_path, "auto")
        assert (result.document_type, result.layout) == ("prescription", "pharmacy_label")
        right += sum(
            (result.fields[k] or "").casefold() == (v or "").casefold()
            for k, v in doc.fields.items()
        )
        total += len(doc.fields)
    assert right / total >= 0.9, (right, total)


def test_learn_refuses_too_few_documents_and_a_file_a_folder_would_not_read(
    tmp_path, capsys
) -> None:
    base = ["learn", "--corpus", str(LAYOUTS_SET), "--doc-type", "prescription"]
    out = str(tmp_path / "prescription.pharmacy_label.layout.yaml")
    assert main([*base, "--layout", "pharmacy_label", "--limit", "2", "--out", out]) == 2
    assert "needs at least 3" in capsys.readouterr().err
    assert main([*base, "--layout", "pharmacy_label", "--out", str(tmp_path / "x.yaml")]) == 2
    assert "prescription.pharmacy_label.layout.yaml" in capsys.readouterr().err
    assert main([*base, "--layout", "Pharmacy Label", "--out", out]) == 2
    assert "lower-case letters" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing half-written


CHECKS_TYPE = """\
document_type: checks
fields:
  insured: {correct: yes_no}
  smoker: {correct: yes_no}
  pets: {correct: yes_no}
"""
CHECKS_LAYOUT = """\
layout: boxes
document_type: checks
fields:
  insured: {find: choice, anchors: ["Are you insured?"], options: ["Yes", "No"]}
  smoker: {find: choice, anchors: ["Do you smoke?"], options: ["Yes", "No"]}
  pets: {find: choice, anchors: ["Any pets at home?"], options: ["Yes", "No"]}
"""


def _ticked_form() -> bytes:
    """Three yes/no questions with boxes: Yes ticked, No ticked, neither ticked."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(612, 792), invariant=1)
    pdf.setFont("Helvetica", 13)
    for y, question, tick in (
        (700, "Are you insured?", "Yes"),
        (660, "Do you smoke?", "No"),
        (620, "Any pets at home?", None),
    ):
        pdf.drawString(72, y, question)
        x = 260
        for option in ("Yes", "No"):
            pdf.rect(x, y - 1, 10, 10)
            if option == tick:
                pdf.setLineWidth(1.6)
                pdf.line(x + 1.5, y + 0.5, x + 8.5, y + 7.5)
                pdf.line(x + 1.5, y + 7.5, x + 8.5, y + 0.5)
                pdf.setLineWidth(1)
            pdf.drawString(x + 15, y, option)
            x += 80
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.mark.parametrize("scanned", [False, True], ids=["text layer", "scan"])
def test_the_ticked_box_is_read_from_the_pixels_and_never_guessed(tmp_path, scanned) -> None:
    folder = tmp_path / "layouts"
    folder.mkdir()
    (folder / "checks.type.yaml").write_text(CHECKS_TYPE)
    (folder / "checks.boxes.layout.yaml").write_text(CHECKS_LAYOUT)
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(rasterise(_ticked_form(), dpi=300) if scanned else _ticked_form())
    load_layouts(folder)
    try:
        result = extract(pdf, "checks")
    finally:
        unregister_doctype("checks")
    assert result.fields == {"insured": "Yes", "smoker": "No", "pets": None}
    assert result.locations["insured"] and not result.locations["pets"]
    assert json.dumps(result.to_dict())  # the JSON contract holds


def _placed(lines: list[list[tuple[str, int]]], rows: list[int] | None = None) -> tuple[str, list]:
    """A page text and its words from lines of (word, left x), 20 px tall, 10 px a letter;
    line i stands on visual row ``rows[i]`` (its own row when not given)."""
    from medxtract_lab.ocr import Word

    text, words = "", []
    for index, items in enumerate(lines):
        row = rows[index] if rows else index
        for i, (word, x) in enumerate(items):
            if i:
                text += " "
            start = len(text)
            text += word
            words.append(Word(word, 95.0, (x, 40 * row, 10 * len(word), 20), start, len(text)))
        text += "\n"
    return text, words


def test_lines_count_visual_rows_when_a_row_is_cut_into_blocks() -> None:
    """A text layer may give one printed row as two lines ('Rx# 123' then 'Filled: ...'): the
    name is one row below the 'Rx#' row either way."""
    items = [
        [("Rx#", 50), ("3793146", 90)],
        [("Filled:", 400), ("07-May-2021", 470)],
        [("JOSHUA", 50), ("SIMPSON", 120)],
    ]
    name = DocType("f", (FieldSpec("name", Lines(("Rx#",), offset=1)),), ("Filled:",))
    split, split_words = _placed(items, rows=[0, 0, 1])
    whole, whole_words = _placed([items[0] + items[1], items[2]])
    assert match_fields(name, [split], [split_words])["name"].value == "JOSHUA SIMPSON"
    assert match_fields(name, [whole], [whole_words])["name"].value == "JOSHUA SIMPSON"


def test_a_label_in_its_own_column_passes_over_another_columns_line() -> None:
    """OCR may read a right-hand column's line between the lines of a value: with own_column
    the value's lines go on under it; without, the value stops at that line."""
    from medxtract_lab.extraction.spec import Label

    text, words = _placed(
        [
            [("Home", 50), ("address:", 100), ("12", 200), ("Main", 230), ("St", 280)],
            [("Height", 600), ("(cm):", 670), ("165", 730)],
            [("Springfield,", 200), ("IL", 330), ("62701", 360)],
            [("United", 200), ("States", 270)],
        ]
    )
    labels = ("Height (cm):",)
    column = DocType("f", (FieldSpec("address", Label(("Home address:",), 3, 1, True)),), labels)
    plain = DocType("f", (FieldSpec("address", Label(("Home address:",), 3, 1)),), labels)
    assert match_fields(column, [text], [words])["address"].value == (
        "12 Main St\nSpringfield, IL 62701\nUnited States"
    )
    assert match_fields(plain, [text], [words])["address"].value == "12 Main St"


def _example(code: str, note: str, shift: int = 0):
    """A page with a code alone in its top right corner and a note below it that changes
    from document to document: no printed text places the code."""
    from medxtract_lab.learn.induce import Example
    from medxtract_lab.records import Page

    text, words = _placed([[(code, 850 + shift)], [(note, 50)]])
    page = Page(1, "ocr", text, tuple(words), (1000, 1400))
    return Example(code, (text,), (tuple(words),), {"code": code}, (page,))


def test_a_field_no_label_places_is_learned_as_the_part_of_the_page_it_is_printed_in() -> None:
    from medxtract_lab.doctypes.files import Contract, ContractField
    from medxtract_lab.extraction.spec import Region
    from medxtract_lab.learn.induce import as_doctype, induce

    contract = Contract("t", (ContractField("code"),))
    examples = [_example("QX-1234", "Urgent"), _example("BR-5521", "Routine", 10)]
    examples.append(_example("ZT-0087", "Follow-up", -8))
    induced = induce(contract, "corner", examples)
    rule = induced.rules[0]
    assert isinstance(rule.find, Region) and rule.read == 3
    x0, y0, x1, y1 = rule.find.box
    assert x0 < 0.842 and x1 > 0.937 and y1 < 0.1  # around the three, and no more
    unseen = _example("MM-9100", "Urgent", 5)
    layout = as_doctype(induced, contract)
    found = match_fields(layout, unseen.pages, unseen.words, [(1000, 1400)])
    assert found["code"].value == "MM-9100"
    assert match_fields(layout, unseen.pages, unseen.words)["code"].value is None  # no size


def test_learn_refuses_a_corpus_whose_labels_record_other_layouts(tmp_path, capsys) -> None:
    out = str(tmp_path / "prescription.courier_slip.layout.yaml")
    args = ["learn", "--corpus", str(LAYOUTS_SET), "--doc-type", "prescription"]
    assert main([*args, "--layout", "courier_slip", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "record the layouts ['clinic_letterhead', 'pharmacy_label']" in err
    assert not (tmp_path / "prescription.courier_slip.layout.yaml").exists()


def test_learn_finds_the_ticked_boxes_of_a_form_and_the_page_they_are_on(tmp_path, capsys) -> None:
    out = tmp_path / "patient_details.intake_form.layout.yaml"
    args = ["learn", "--corpus", str(LAYOUTS_SET), "--doc-type", "patient_details"]
    assert main([*args, "--layout", "intake_form", "--limit", "3", "--out", str(out)]) == 0
    fields = yaml.safe_load(out.read_text())["fields"]
    assert fields["chicken_pox"] == {
        "find": "choice",
        "anchors": ["Chickenpox immunity:"],
        "options": ["IMMUNE", "NOT IMMUNE"],
        "page": 1,
    }
    assert fields["has_insurance"]["anchors"] == ["Are you insured?"]
    assert "choice" in capsys.readouterr().out


def test_synth_draws_a_named_family_and_refuses_what_no_generator_draws(tmp_path, capsys) -> None:
    base = ["synth", "--out", str(tmp_path), "--per-condition", "1", "--conditions", "digital"]
    assert main([*base, "--families", "pharmacy_label"]) == 0
    [label] = load_corpus(tmp_path)
    assert (label.doc_type, label.layout, label.id) == (
        "prescription",
        "pharmacy_label",
        "pl-digital-000",
    )
    assert main([*base, "--doc-type", "prescripton"]) == 2
    assert "Unknown document type 'prescripton'" in capsys.readouterr().err
    assert main([*base, "--doc-type", "patient_details", "--families", "pharmacy_label"]) == 2
    assert "Nothing to draw" in capsys.readouterr().err
