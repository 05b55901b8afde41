"""Every field says where it was read: boxes, as fractions of the page, that hold its value."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pdf2image
import pytesseract
import pytest
from rapidfuzz import fuzz

from medxtract_lab.corpus.capture import image_pdf
from medxtract_lab.corpus.degrade import jpeg
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


def _skewed(pdf: Path, degrees: float, out: Path) -> Path:
    """The document scanned crooked: each page turned ``degrees`` on a white background."""
    pages = []
    for page in pdf2image.convert_from_path(str(pdf), dpi=200):
        gray = np.asarray(page.convert("L"))
        h, w = gray.shape
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
        pages.append(cv2.warpAffine(gray, matrix, (w, h), borderValue=255))
    sizes = [(p.shape[1], p.shape[0]) for p in pages]
    out.write_bytes(image_pdf([jpeg(p, 90) for p in pages], sizes, 200))
    return out


def test_a_crooked_page_is_boxed_where_the_value_is_printed(docs, tmp_path) -> None:
    """Deskew levels the page before OCR; the boxes are taken back through that rotation, so
    each box of the crooked page is the level page's box turned as the page was (left
    unturned, boxes far from the centre miss their line by 1-2% of the page)."""
    doc = docs["prescription-image"]
    degrees = 2.5
    crooked = extract(_skewed(doc.path, degrees, tmp_path / "crooked.pdf"), "prescription")
    level = extract(doc.path, "prescription")
    assert crooked.fields == level.fields == doc.fields
    w, h = pdf2image.pdfinfo_from_path(str(doc.path))["Page size"].split()[0:3:2]
    w, h = float(w), float(h)
    matrix = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), [0, 0, 1]])
    moved_far = False
    for name, places in level.locations.items():
        for flat, turned in zip(places, crooked.locations[name], strict=True):
            x0, y0, x1, y1 = flat.box
            corners = np.array([[x0 * w, y0 * h, 1], [x1 * w, y0 * h, 1],
                                [x1 * w, y1 * h, 1], [x0 * w, y1 * h, 1]]).T  # fmt: skip
            xs, ys, _ = matrix @ corners
            expected = (xs.min() / w, ys.min() / h, xs.max() / w, ys.max() / h)
            error = max(abs(a - b) for a, b in zip(turned.box, expected, strict=True))
            assert error < 0.008, (name, turned.box, expected)
            moved_far |= max(abs(a - b) for a, b in zip(flat.box, expected, strict=True)) > 0.01
    assert moved_far  # the check would catch boxes left in the levelled frame


def test_box_location_undoes_the_frame_and_the_turns() -> None:
    """A box read in a rotated frame comes back to the same place as the box read level."""
    from medxtract_lab.evidence import box_location
    from medxtract_lab.pages import frame_of
    from medxtract_lab.preprocess import _in_fractions
    from medxtract_lab.records import Page

    size = (1000, 800)
    matrix = cv2.getRotationMatrix2D((500, 400), -3.0, 1.0)
    frame = frame_of(_in_fractions(matrix, size, size))
    level = Page(1, "ocr", "", (), size)
    rotated = Page(1, "ocr", "", (), size, frame=frame)
    corners = np.array([[200, 300, 1], [400, 300, 1], [400, 330, 1], [200, 330, 1]]).T
    moved = (np.vstack([matrix, [0, 0, 1]]) @ corners)[:2]
    box = (moved[0].min(), moved[1].min(), moved[0].max(), moved[1].max())
    back = box_location(rotated, *box).box
    level_box = box_location(level, 200, 300, 400, 330).box
    # The value's own box, back where it was printed: holding it, and little more.
    assert back[0] <= level_box[0] and back[1] <= level_box[1]
    assert back[2] >= level_box[2] and back[3] >= level_box[3]
    assert all(abs(a - b) < 0.03 for a, b in zip(back, level_box, strict=True))
    unturned = box_location(rotated, *box)
    assert unturned.box != box_location(level, *box).box  # the frame is not ignored
    assert frame_of(np.eye(3)) == ()
