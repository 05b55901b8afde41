"""``medxtract synth``: write labelled synthetic prescriptions and patient records.

Every document is drawn born-digital first; its ``scan`` and ``photo`` variants are rasterised
from that PDF by poppler, degraded, JPEG-encoded and embedded as image-only PDFs. The ground
truth is what was drawn, so it is known by construction.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pdf2image
from reportlab.pdfgen import canvas

from medxtract_lab.corpus import degrade, layout, values
from medxtract_lab.corpus.store import LabeledDocument, save_label

CONDITIONS = ("digital", "scan", "photo")
DOC_TYPES: dict[str, tuple[str, Callable, Callable]] = {
    "prescription": ("rx", values.prescription_values, layout.draw_prescription),
    "patient_details": ("pr", values.patient_values, layout.draw_patient_record),
}
# Labels carry a fixed date so that one seed gives byte-identical labels.
GENERATED = "2026-11-23"


def image_pdf(jpegs: list[bytes], sizes_px: list[tuple[int, int]], dpi: float) -> bytes:
    """An image-only PDF, one JPEG per page, each page sized so the image is at ``dpi``."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    for data, (width, height) in zip(jpegs, sizes_px, strict=True):
        page_w, page_h = width * 72 / dpi, height * 72 / dpi
        pdf.setPageSize((page_w, page_h))
        from reportlab.lib.utils import ImageReader

        pdf.drawImage(ImageReader(io.BytesIO(data)), 0, 0, page_w, page_h)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def degrade_pdf(pdf: bytes, condition: str, rng: np.random.Generator) -> bytes:
    """Render a born-digital PDF and turn it into a scanned or photographed image-only PDF."""
    if condition == "scan":
        dpi = int(rng.choice((200, 240, 300)))
        pages = pdf2image.convert_from_bytes(pdf, dpi=dpi, grayscale=True)
        images = [degrade.scan(np.asarray(p.convert("L")), rng)[0] for p in pages]
        quality = int(rng.integers(55, 76))
    else:
        dpi = int(rng.choice((150, 180, 200)))
        pages = pdf2image.convert_from_bytes(pdf, dpi=dpi)
        images = [degrade.photo(np.asarray(p.convert("RGB")), rng) for p in pages]
        quality = int(rng.integers(60, 86))
    jpegs = [degrade.jpeg(image, quality) for image in images]
    return image_pdf(jpegs, [(i.shape[1], i.shape[0]) for i in images], dpi)


def synthesize(out: str | Path, per_condition: int, seed: int) -> list[LabeledDocument]:
    """Write ``per_condition`` documents per document type and condition into ``out``."""
    out = Path(out)
    written = []
    for doc_type, (prefix, make_values, draw) in DOC_TYPES.items():
        folder = out / doc_type
        folder.mkdir(parents=True, exist_ok=True)
        for condition in CONDITIONS:
            for index in range(per_condition):
                rng = random.Random(f"{seed}:{doc_type}:{condition}:{index}")
                fields = make_values(rng)
                pdf, page_texts = draw(fields, rng)
                if condition != "digital":
                    pdf = degrade_pdf(pdf, condition, np.random.default_rng(rng.getrandbits(64)))
                doc_id = f"{prefix}-{condition}-{index:03d}"
                (folder / f"{doc_id}.pdf").write_bytes(pdf)
                label = LabeledDocument(
                    id=doc_id,
                    document=f"{doc_id}.pdf",
                    doc_type=doc_type,
                    source=f"synthetic:{condition}",
                    fields=fields["fields"],
                    pages=page_texts,
                    labeled_by=f"medxtract synth --seed {seed}",
                    updated=GENERATED,
                    label_path=folder / f"{doc_id}.json",
                )
                save_label(label, label.label_path)
                written.append(label)
    return written
