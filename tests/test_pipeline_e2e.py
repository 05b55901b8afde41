"""End to end through real poppler and Tesseract, on PDFs the tests build themselves."""

import json

import numpy as np
import pikepdf
import pytest
from conftest import RESULT_KEYS
from reportlab.pdfgen import canvas

from medxtract_lab import pipeline, render
from medxtract_lab.cli import main
from medxtract_lab.config import get_preset
from medxtract_lab.corpus.capture import type_onto
from medxtract_lab.corpus.degrade import jpeg
from medxtract_lab.pipeline import extract
from medxtract_lab.text_layer import text_layers


def test_two_page_record_through_ocr_reads_both_pages_in_order(docs) -> None:
    doc = docs["patient_details-image"]
    result = extract(doc.path, "patient_details")
    assert result.page_sources == ["ocr", "ocr"]
    assert result.pages == 2
    assert "Patient Information" in result.page_texts[0]
    assert "Insurance" in result.page_texts[1]
    assert result.fields == doc.fields
    assert all(0 <= c <= 1 for c in result.confidence.values())
    assert result.confidence["insurance_company"] > 0.5


def test_born_digital_takes_the_text_layer(docs) -> None:
    doc = docs["patient_details-digital"]
    result = extract(doc.path, "patient_details")
    assert result.page_sources == ["text_layer", "text_layer"]
    assert "ocr" not in result.timings_ms
    assert result.fields == doc.fields


def test_image_only_prescription_takes_the_ocr_path(docs) -> None:
    doc = docs["prescription-image"]
    result = extract(doc.path, "prescription")
    assert result.page_sources == ["ocr"]
    assert result.timings_ms["ocr"] > 0
    assert result.fields == doc.fields


def test_a_document_of_full_page_jpegs_never_looks_for_a_text_layer(docs, monkeypatch) -> None:
    """Such pages show no text, so the text layer is not looked for (nor their streams
    measured for it)."""
    monkeypatch.setattr(pipeline, "text_layers", lambda *_: pytest.fail("text layer read"))
    monkeypatch.setattr(render, "stream_bytes", lambda *_: pytest.fail("streams measured"))
    doc = docs["patient_details-image"]
    assert all(render.read_info(doc.path, get_preset("default").render).scans)
    result = extract(doc.path, "patient_details")
    assert result.page_sources == ["ocr", "ocr"]
    assert "text_layer" not in result.timings_ms


def test_seed_preset_reproduces_the_original_pipeline(docs) -> None:
    seed = get_preset("seed")
    assert seed.ocr.engine == "pytesseract" and seed.ocr.omp_threads is None
    assert [s.name for s in seed.steps] == ["grayscale", "scale", "adaptive_gaussian"]
    result = extract(docs["prescription-digital"].path, "prescription", seed)
    assert result.page_sources == ["ocr"]  # the original pipeline never used the text layer
    assert result.fields["patient_name"] == docs["prescription-digital"].fields["patient_name"]


def test_cli_prints_the_json_contract(docs, capsys) -> None:
    doc = docs["prescription-digital"]
    assert main(["extract", str(doc.path), "--type", "prescription"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == RESULT_KEYS
    assert printed["fields"] == doc.fields
    assert set(printed["locations"]) == set(doc.fields)
    for name, value in doc.fields.items():
        places = printed["locations"][name]
        assert len(places) == (len(value.splitlines()) if value else 0), name
        assert all(set(place) == {"page", "box"} and len(place["box"]) == 4 for place in places)


def test_cli_lists_doctypes_and_version(capsys) -> None:
    assert main(["doctypes"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert "hepatitis_b_vaccination" in listing["patient_details"]["fields"]
    assert listing["prescription"]["fields"][0] == "doctor_name"
    assert listing["prescription"]["layouts"][0] == "standard"
    try:
        main(["--version"])
    except SystemExit as done:
        assert done.code == 0
    assert capsys.readouterr().out.startswith("medxtract ")


@pytest.mark.parametrize("as_annotation", [False, True], ids=["drawn", "free_text_annotation"])
def test_a_photo_with_a_typed_line_is_read_by_ocr_not_by_its_few_words(
    docs, tmp_path, as_annotation
) -> None:
    """A line typed onto a photographed page gives it a text layer of a few words; the fields
    are in the picture, so the whole page is OCR'd, typed line included."""
    doc = docs["prescription-image"]
    path = tmp_path / "typed.pdf"
    line = "Received by the front desk for filing"
    path.write_bytes(type_onto(doc.path.read_bytes(), line, as_annotation))
    settings = get_preset("default").render
    boxes = render.read_info(path, settings).media_boxes
    layer = text_layers(path, settings, [True], boxes)[0]
    assert layer is not None and line in layer.text
    result = extract(path, "prescription")
    assert result.page_sources == ["ocr"]
    assert result.fields == doc.fields
    assert "front desk" in result.page_texts[0]


def test_a_born_digital_page_with_a_small_logo_keeps_its_text_layer(docs, tmp_path) -> None:
    import io

    from reportlab.lib.utils import ImageReader

    doc = docs["prescription-digital"]
    logo = io.BytesIO(jpeg(np.full((60, 60), 90, np.uint8), 90))
    stamp = io.BytesIO()
    pdf = canvas.Canvas(stamp, pagesize=(612, 792))
    pdf.drawImage(ImageReader(logo), 20, 740, 40, 40)
    pdf.showPage()
    pdf.save()
    with pikepdf.open(doc.path) as base, pikepdf.open(io.BytesIO(stamp.getvalue())) as over:
        base.pages[0].add_overlay(over.pages[0])
        base.save(tmp_path / "logo.pdf")
    result = extract(tmp_path / "logo.pdf", "prescription")
    assert result.page_sources == ["text_layer"] and result.fields == doc.fields
