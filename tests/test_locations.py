"""Every field says where it was read: boxes, as fractions of the page, that hold its value."""

from __future__ import annotations

import pdf2image
import pytesseract
import pytest
from rapidfuzz import fuzz

from medxtract_lab.pipeline import extract

DPI = 150


def _read_boxes(path, result) -> dict[str, str]:  # noqa: ANN001
    """Each field's boxes cropped from an independent render of the page and OCR'd."""
    pages = [p.convert("L") for p in pdf2image.convert_from_path(str(path), dpi=DPI)]
    read = {}
    for name, places in result.locations.items():
        lines = []
        for place in places:
            page = pages[place.page - 1]
            x0, y0, x1, y1 = place.box
            pad = 0.004
            crop = page.crop(
                (
                    int((x0 - pad) * page.width),
                    int((y0 - pad) * page.height),
                    int((x1 + pad) * page.width),
                    int((y1 + pad) * page.height),
                )
            )
            crop = crop.resize((crop.width * 2, crop.height * 2))
            lines.append(pytesseract.image_to_string(crop, config="--psm 7").strip())
        read[name] = "\n".join(lines)
    return read


@pytest.mark.parametrize("kind", ["digital", "image"])
@pytest.mark.parametrize("doc_type", ["prescription", "patient_details"])
def test_each_value_is_where_its_location_says(docs, doc_type: str, kind: str) -> None:
    """Text-layer words and OCR words are both placed: the box of every line of every value,
    cut out of a separate render of the page, reads as that line."""
    doc = docs[f"{doc_type}-{kind}"]
    result = extract(doc.path, doc_type)
    assert result.fields == doc.fields
    read = _read_boxes(doc.path, result)
    for name, value in doc.fields.items():
        places = result.locations[name]
        if value is None:
            assert places == [], name
            continue
        assert len(places) == len(value.splitlines()), name
        for place in places:
            x0, y0, x1, y1 = place.box
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1, name
        assert fuzz.ratio(read[name], value) > 85, (name, read[name])


def test_text_layer_and_ocr_place_a_field_alike(docs) -> None:
    """The same document, born-digital or scanned, gives the same boxes (within 2% of the
    page): both paths measure in the page's own frame."""
    digital = extract(docs["prescription-digital"].path, "prescription")
    scanned = extract(docs["prescription-image"].path, "prescription")
    for name, places in digital.locations.items():
        for a, b in zip(places, scanned.locations[name], strict=True):
            assert a.page == b.page
            assert max(abs(p - q) for p, q in zip(a.box, b.box, strict=True)) < 0.02, name
