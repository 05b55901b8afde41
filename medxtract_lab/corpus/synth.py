"""``medxtract synth``: write labelled synthetic prescriptions and patient records.

Every document is drawn born-digital first; its ``scan`` and ``photo`` variants are rasterised
from that PDF by poppler, degraded, JPEG-encoded and embedded as image-only PDFs. The ground
truth is what was drawn, so it is known by construction.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdf2image
from reportlab.pdfgen import canvas

from medxtract_lab.corpus import degrade, layout, values
from medxtract_lab.corpus.store import LabeledDocument, save_label
from medxtract_lab.doctypes import doc_type_names
from medxtract_lab.errors import ConfigError

CONDITIONS = ("digital", "scan", "photo")


@dataclass(frozen=True)
class Generator:
    """How to make one labelled document of a type: its id prefix, its values (including the
    ``fields`` of its label) and its drawing (PDF bytes and the text of each page)."""

    prefix: str
    make_values: Callable[[random.Random], dict]
    draw: Callable[[dict, random.Random], tuple[bytes, list[str]]]

    def document(self, rng: random.Random) -> tuple[bytes, dict, list[str]]:
        """A born-digital PDF, its label's fields and its page texts."""
        made = self.make_values(rng)
        pdf, pages = self.draw(made, rng)
        return pdf, made["fields"], pages


# One generator per registered document type (a test fails when one is missing).
GENERATORS: dict[str, Generator] = {
    "prescription": Generator("rx", values.prescription_values, layout.draw_prescription),
    "patient_details": Generator("pr", values.patient_values, layout.draw_patient_record),
}


def generator(doc_type: str) -> Generator:
    try:
        return GENERATORS[doc_type]
    except KeyError:
        raise ConfigError(
            f"No synthetic generator for document type {doc_type!r}; add one to "
            "medxtract_lab.corpus.synth.GENERATORS."
        ) from None


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


def synthesize(
    out: str | Path, per_condition: int, seed: int, doc_types: list[str] | None = None
) -> list[LabeledDocument]:
    """Write ``per_condition`` documents per document type and condition into ``out``: the
    named types, or every registered type that has a generator."""
    out = Path(out)
    written = []
    for doc_type in doc_types or [t for t in doc_type_names() if t in GENERATORS]:
        make = generator(doc_type)
        folder = out / doc_type
        folder.mkdir(parents=True, exist_ok=True)
        for condition in CONDITIONS:
            for index in range(per_condition):
                rng = random.Random(f"{seed}:{doc_type}:{condition}:{index}")
                pdf, fields, page_texts = make.document(rng)
                if condition != "digital":
                    pdf = degrade_pdf(pdf, condition, np.random.default_rng(rng.getrandbits(64)))
                doc_id = f"{make.prefix}-{condition}-{index:03d}"
                (folder / f"{doc_id}.pdf").write_bytes(pdf)
                label = LabeledDocument(
                    id=doc_id,
                    document=f"{doc_id}.pdf",
                    doc_type=doc_type,
                    source=f"synthetic:{condition}",
                    fields=fields,
                    pages=page_texts,
                    labeled_by=f"medxtract synth --seed {seed}",
                    updated=GENERATED,
                    label_path=folder / f"{doc_id}.json",
                )
                save_label(label, label.label_path)
                written.append(label)
    return written
