"""PDF to page images with poppler, behind guards that run before any rasterising.

``inspect_pdf`` reads only the PDF's catalogue (page count and page sizes), so a hostile page size
or page count is refused before a single pixel is allocated. Pages are then rendered one at a
time, so a long PDF never holds every page in memory.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdf2image
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError

from medxtract_lab.config import RenderSettings
from medxtract_lab.errors import (
    CorruptPdf,
    DependencyMissing,
    EmptyFile,
    EncryptedPdf,
    NotAPdf,
    PageTooLarge,
    TooManyPages,
)

POPPLER_INSTALL = (
    "Install poppler: 'apt-get install poppler-utils' (Debian/Ubuntu), "
    "'conda install -c conda-forge poppler' or 'brew install poppler'."
)
_PAGE_SIZE = re.compile(r"Page\s+(\d+)\s+size")
_POINTS = re.compile(r"([\d.]+)\s*x\s*([\d.]+)\s*pts")
# A page counts as born-digital when its text layer holds at least this many letters or digits.
MIN_TEXT_LAYER_CHARS = 20
_TIMEOUT_S = 60


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    page_sizes_pt: tuple[tuple[float, float], ...]


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError as exc:
        raise NotAPdf(f"Cannot read {path.name}: {exc.strerror}. Check the path.") from exc
    if not head.strip():
        raise EmptyFile(f"{path.name} is empty. Upload the PDF again; the file has no content.")
    if b"%PDF-" not in head:
        raise NotAPdf(
            f"{path.name} is not a PDF (no %PDF- header). Convert the document to PDF first."
        )


def inspect_pdf(path: str | Path, settings: RenderSettings) -> PdfInfo:
    """Validate a PDF and apply the page-count and page-size guards, without rasterising."""
    path = Path(path)
    _check_header(path)
    try:
        # One call: the page count and every page size, up to one page past the limit.
        info = pdf2image.pdfinfo_from_path(
            str(path), first_page=1, last_page=settings.max_pages + 1, timeout=_TIMEOUT_S
        )
    except PDFInfoNotInstalledError as exc:
        raise DependencyMissing(f"poppler's pdfinfo was not found. {POPPLER_INSTALL}") from exc
    except (PDFPageCountError, PDFSyntaxError) as exc:
        message = str(exc)
        if "password" in message.lower() or "encrypt" in message.lower():
            raise EncryptedPdf(
                f"{path.name} is encrypted with a password. Remove the password "
                "(e.g. 'qpdf --decrypt') and try again."
            ) from exc
        raise CorruptPdf(
            f"{path.name} is damaged and cannot be read as a PDF. Re-export or re-scan it."
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise CorruptPdf(f"{path.name} took too long to open; it is likely malformed.") from exc
    pages = int(info.get("Pages", 0))
    if pages < 1:
        raise EmptyFile(f"{path.name} has no pages. Check that the right file was sent.")
    if pages > settings.max_pages:
        raise TooManyPages(
            f"{path.name} has {pages} pages; the limit is {settings.max_pages}. "
            "Split the document or raise max_pages in the config."
        )
    sizes = _page_sizes(path.name, info, pages)
    for number, (width_pt, height_pt) in enumerate(sizes, start=1):
        pixels = (width_pt * settings.dpi / 72) * (height_pt * settings.dpi / 72)
        if pixels > settings.max_page_pixels:
            raise PageTooLarge(
                f"Page {number} of {path.name} measures {width_pt:.0f}x{height_pt:.0f} pt, "
                f"{pixels / 1e6:.0f} megapixels at {settings.dpi} dpi; the limit is "
                f"{settings.max_page_pixels / 1e6:.0f}. Send pages of a normal paper size."
            )
    return PdfInfo(pages=pages, page_sizes_pt=tuple(sizes))


def _page_sizes(name: str, info: dict, pages: int) -> list[tuple[float, float]]:
    sizes: dict[int, tuple[float, float]] = {}
    for key, value in info.items():
        page = _PAGE_SIZE.match(key)
        points = _POINTS.search(str(value))
        if page and points:
            sizes[int(page.group(1))] = (float(points.group(1)), float(points.group(2)))
    if len(sizes) != pages:
        raise CorruptPdf(f"{name} has pages without a readable size; re-export it.")
    return [sizes[n] for n in range(1, pages + 1)]


def render_page(path: str | Path, page: int, settings: RenderSettings) -> np.ndarray:
    """Rasterise one page (1-based) as a grayscale or RGB uint8 array."""
    try:
        images = pdf2image.convert_from_path(
            str(path),
            dpi=settings.dpi,
            first_page=page,
            last_page=page,
            grayscale=settings.grayscale,
            timeout=_TIMEOUT_S,
        )
    except PDFInfoNotInstalledError as exc:
        raise DependencyMissing(f"poppler's pdftoppm was not found. {POPPLER_INSTALL}") from exc
    except (PDFPageCountError, PDFSyntaxError, subprocess.TimeoutExpired) as exc:
        raise CorruptPdf(f"Page {page} of {Path(path).name} cannot be rendered.") from exc
    if not images:
        raise CorruptPdf(f"Page {page} of {Path(path).name} rendered to nothing; re-export it.")
    image = images[0]
    return np.asarray(image.convert("L") if settings.grayscale else image.convert("RGB"))


def text_layers(path: str | Path, pages: int) -> list[str | None]:
    """Each page's embedded text in reading order (one poppler call for the whole document),
    or None for a page without a real text layer."""
    try:
        result = subprocess.run(
            ["pdftotext", "-l", str(pages), "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError as exc:
        raise DependencyMissing(f"poppler's pdftotext was not found. {POPPLER_INSTALL}") from exc
    except subprocess.TimeoutExpired:
        return [None] * pages
    if result.returncode != 0:
        return [None] * pages
    texts = result.stdout.decode("utf-8", errors="replace").split("\f")[:pages]
    texts += [""] * (pages - len(texts))
    return [t if sum(ch.isalnum() for ch in t) >= MIN_TEXT_LAYER_CHARS else None for t in texts]
