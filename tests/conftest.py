"""Shared builders: the tests make their own PDFs with the corpus layouts and reportlab."""

from __future__ import annotations

import io
import random
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdf2image
import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from medxtract_lab.corpus.capture import image_pdf
from medxtract_lab.corpus.degrade import jpeg
from medxtract_lab.corpus.synth import generator
from medxtract_lab.doctypes import DOC_TYPES

# The keys of an extraction result, in order: the JSON contract of the CLI and the API.
RESULT_KEYS = [
    "document_type",
    "layout",
    "fields",
    "confidence",
    "pages",
    "page_sources",
    "timings_ms",
    "warnings",
    "locations",
]


@dataclass(frozen=True)
class Doc:
    path: Path
    doc_type: str
    fields: dict
    pages: list[str]


def _draw(doc_type: str, seed: int) -> tuple[bytes, dict, list[str]]:
    return generator(doc_type).document(random.Random(seed))


def rasterise(pdf: bytes, dpi: int = 200) -> bytes:
    """The same document as an image-only PDF (no text layer), cleanly scanned."""
    images = [np.asarray(p.convert("L")) for p in pdf2image.convert_from_bytes(pdf, dpi=dpi)]
    return image_pdf([jpeg(i, 90) for i in images], [(i.shape[1], i.shape[0]) for i in images], dpi)


# Seeds of the documents many tests read; a type added later gets one from its name.
SEEDS = {"prescription": 11, "patient_details": 12}


@pytest.fixture(scope="session")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Doc]:
    """Digital and image-only versions of one document of every registered type."""
    folder = tmp_path_factory.mktemp("docs")
    made = {}
    for doc_type in DOC_TYPES:
        seed = SEEDS.get(doc_type, zlib.crc32(doc_type.encode()))
        pdf, fields, pages = _draw(doc_type, seed)
        for kind, data in (("digital", pdf), ("image", rasterise(pdf))):
            path = folder / f"{doc_type}-{kind}.pdf"
            path.write_bytes(data)
            made[f"{doc_type}-{kind}"] = Doc(path, doc_type, fields, pages)
    return made


def drawn_pdf(draw, size: tuple[float, float] = (300, 400)) -> bytes:  # noqa: ANN001
    """A one-page PDF of ``size`` points on which ``draw(canvas)`` drew."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size)
    draw(pdf)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def blank_pdf(
    pages: int = 1, size: tuple[float, float] = (612, 792), password: str = "", text: bool = True
) -> bytes:
    """Pages with one line of real text (a text layer), or only a drawn box (``text=False``)."""
    buffer = io.BytesIO()
    encrypt = StandardEncryption(password, ownerPassword="owner") if password else None
    pdf = canvas.Canvas(buffer, pagesize=size, encrypt=encrypt, invariant=1)
    for number in range(pages):
        if text:
            pdf.drawString(72, 72, f"Page {number + 1} of a test document with some text on it.")
        else:
            pdf.rect(72, 72, 200, 100)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's OCR cache (kernels and workers inherit this)."""
    import os

    os.environ["MEDXTRACT_CACHE_DIR"] = str(tmp_path_factory.mktemp("ocr-cache"))


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty temp area for the code under test, to prove nothing is left behind."""
    area = tmp_path / "tmp-area"
    area.mkdir()
    monkeypatch.setenv("TMPDIR", str(area))
    monkeypatch.setattr(tempfile, "tempdir", str(area))
    return area
