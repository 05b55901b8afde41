"""How a printed document reaches the lab: each capture turns a born-digital PDF (and its page
texts) into what a scanner, a phone or a PDF editor makes of it.

- ``digital``: the PDF as drawn (a text layer).
- ``scan``: grayscale at 200-300 dpi, skew, speckle, JPEG, as an image-only PDF.
- ``photo``: colour at 150-200 dpi, paper on a background, perspective, curl, light gradient,
  shadows, blur, JPEG, as an image-only PDF at the photo's resolution.
- ``camera``: a 12-megapixel phone photo (about 3200x3900 px) with the same scene plus optical
  blur and sensor grain, JPEG, placed on a letter page by a print-to-PDF app: a white fill and a
  clip path around the image, so the page is not one bare full-page image.
- ``annotated``: a photo whose page someone typed a line onto in a PDF editor, either drawn into
  the page content (a text layer of a few words over the picture) or as a FreeText annotation.
- ``rotated``: a scan or a photo taken sideways or upside down (90, 180 or 270 degrees, one turn
  per document), placed on a page of the picture's own shape, as phones and scanner apps do
  when they ignore the orientation sensor.

All randomness comes from the NumPy generator, so a seed reproduces the same capture.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pdf2image
import pikepdf
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from medxtract_lab.corpus import degrade

# (born-digital PDF, page texts, generator) -> (captured PDF, page texts as now printed)
Capture = Callable[[bytes, list[str], np.random.Generator], tuple[bytes, list[str]]]

CAMERA_DPI = 330  # a letter page at 330 dpi plus the background margins: about 12 megapixels


def image_pdf(jpegs: list[bytes], sizes_px: list[tuple[int, int]], dpi: float) -> bytes:
    """An image-only PDF, one JPEG per page, each page sized so the image is at ``dpi``."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    for data, (width, height) in zip(jpegs, sizes_px, strict=True):
        page_w, page_h = width * 72 / dpi, height * 72 / dpi
        pdf.setPageSize((page_w, page_h))
        pdf.drawImage(ImageReader(io.BytesIO(data)), 0, 0, page_w, page_h)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def digital(pdf: bytes, pages: list[str], rng: np.random.Generator) -> tuple[bytes, list[str]]:
    return pdf, pages


def scan(pdf: bytes, pages: list[str], rng: np.random.Generator) -> tuple[bytes, list[str]]:
    dpi = int(rng.choice((200, 240, 300)))
    rendered = pdf2image.convert_from_bytes(pdf, dpi=dpi, grayscale=True)
    images = [degrade.scan(np.asarray(p.convert("L")), rng)[0] for p in rendered]
    quality = int(rng.integers(55, 76))
    jpegs = [degrade.jpeg(image, quality) for image in images]
    return image_pdf(jpegs, [(i.shape[1], i.shape[0]) for i in images], dpi), pages


def photo(pdf: bytes, pages: list[str], rng: np.random.Generator) -> tuple[bytes, list[str]]:
    dpi = int(rng.choice((150, 180, 200)))
    rendered = pdf2image.convert_from_bytes(pdf, dpi=dpi)
    images = [degrade.photo(np.asarray(p.convert("RGB")), rng) for p in rendered]
    quality = int(rng.integers(60, 86))
    jpegs = [degrade.jpeg(image, quality) for image in images]
    return image_pdf(jpegs, [(i.shape[1], i.shape[0]) for i in images], dpi), pages


def rotated(pdf: bytes, pages: list[str], rng: np.random.Generator) -> tuple[bytes, list[str]]:
    grayscale = bool(rng.integers(0, 2))
    dpi = int(rng.choice((200, 240))) if grayscale else int(rng.choice((150, 180, 200)))
    turns = int(rng.integers(1, 4))  # quarter turns counter-clockwise: 90, 180 or 270 degrees
    images = []
    for page in pdf2image.convert_from_bytes(pdf, dpi=dpi, grayscale=grayscale):
        if grayscale:
            image = degrade.scan(np.asarray(page.convert("L")), rng)[0]
        else:
            image = degrade.photo(np.asarray(page.convert("RGB")), rng)
        images.append(np.ascontiguousarray(np.rot90(image, turns)))
    quality = int(rng.integers(60, 86))
    jpegs = [degrade.jpeg(image, quality) for image in images]
    return image_pdf(jpegs, [(i.shape[1], i.shape[0]) for i in images], dpi), pages


def camera(pdf: bytes, pages: list[str], rng: np.random.Generator) -> tuple[bytes, list[str]]:
    jpegs, sizes = [], []
    for page in pdf2image.convert_from_bytes(pdf, dpi=CAMERA_DPI):
        image = degrade.camera(degrade.photo(np.asarray(page.convert("RGB")), rng), rng)
        jpegs.append(degrade.jpeg(image, int(rng.integers(32, 46)), optimize=True))
        sizes.append((image.shape[1], image.shape[0]))
    return print_to_pdf(jpegs, sizes, rng), pages


def print_to_pdf(
    jpegs: list[bytes], sizes_px: list[tuple[int, int]], rng: np.random.Generator
) -> bytes:
    """Each photo fitted on a letter page the way a print or scan app writes it: the page
    filled white, a clip path a little inside the margins, the image drawn within it."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    page_w, page_h = letter
    for data, (width, height) in zip(jpegs, sizes_px, strict=True):
        margin = float(rng.uniform(6, 18))
        scale = min((page_w - 2 * margin) / width, (page_h - 2 * margin) / height)
        draw_w, draw_h = width * scale, height * scale
        x, y = (page_w - draw_w) / 2, (page_h - draw_h) / 2
        pdf.setFillColorRGB(1, 1, 1)
        pdf.rect(0, 0, page_w, page_h, stroke=0, fill=1)
        pdf.saveState()
        clip = pdf.beginPath()
        clip.rect(x + 1, y + 1, draw_w - 2, draw_h - 2)
        pdf.clipPath(clip, stroke=0, fill=0)
        pdf.drawImage(ImageReader(io.BytesIO(data)), x, y, draw_w, draw_h)
        pdf.restoreState()
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# Lines a person types onto a photographed page in a PDF editor: each has more than the 20
# letters that make a page count as born-digital.
TYPED_LINES = (
    "Received by the front desk for filing",
    "Copy for the patient file, please keep",
    "Scanned at reception for the clinic",
    "Checked by the nurse on duty today",
)
_TYPED_SIZE = 10.0


def _typed_box(x: float, y: float, width: float, height: float, line: str) -> bytes:
    """Content that paints a white box at (x, y) and types ``line`` in it."""
    return (
        f"q 1 1 1 rg {x:.2f} {y:.2f} {width:.2f} {height:.2f} re f Q "
        f"BT 0 0 0 rg /TypedFont {_TYPED_SIZE:g} Tf {x + 4:.2f} {y + 5:.2f} Td ({line}) Tj ET"
    ).encode()


def annotated(pdf: bytes, pages: list[str], rng: np.random.Generator) -> tuple[bytes, list[str]]:
    """A photo with one typed line at the bottom of its first page, drawn into the page content
    or added as a FreeText annotation (chosen at random)."""
    photographed, _ = photo(pdf, pages, rng)
    line = str(rng.choice(TYPED_LINES))
    typed = type_onto(photographed, line, as_annotation=bool(rng.integers(2)))
    texts = list(pages)
    texts[0] = texts[0] + line + "\n"  # at the bottom of the page: last in reading order
    return typed, texts


def type_onto(pdf: bytes, line: str, as_annotation: bool) -> bytes:
    """``pdf`` with ``line`` typed on a white box at the bottom left of its first page, as a PDF
    editor does: drawn into the page content, or as a FreeText annotation with its appearance."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        x, y = float(page.mediabox[2]) * 0.06, 8.0
        width, height = _TYPED_SIZE * 0.55 * len(line) + 8, _TYPED_SIZE + 8
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        if as_annotation:
            appearance = document.make_stream(
                _typed_box(0, 0, width, height, line),
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Form,
                BBox=[0, 0, width, height],
                Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(TypedFont=font)),
            )
            annotation = pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.FreeText,
                Rect=[x, y, x + width, y + height],
                Contents=pikepdf.String(line),
                DA=pikepdf.String(f"0 g /Helv {_TYPED_SIZE:g} Tf"),
                AP=pikepdf.Dictionary(N=appearance),
                F=4,  # print
            )
            page.obj.Annots = document.make_indirect(pikepdf.Array([annotation]))
        else:
            resources = page.obj.Resources
            if "/Font" not in resources:
                resources.Font = pikepdf.Dictionary()
            resources.Font.TypedFont = font
            page.contents_add(document.make_stream(_typed_box(x, y, width, height, line)))
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


CAPTURES: dict[str, Capture] = {
    "digital": digital,
    "scan": scan,
    "photo": photo,
    "camera": camera,
    "annotated": annotated,
}
