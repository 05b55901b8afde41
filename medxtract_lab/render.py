"""PDF to page images, behind guards that run before any rasterising.

``read_info`` opens the PDF in-process with pikepdf (qpdf) and reads its page tree: page count,
media boxes, rotations, and which pages are one full-page JPEG. A hostile page count is refused
there, and a hostile page size by ``check_page_sizes`` before a single pixel is allocated. Pages
are then rendered by poppler (``poppler.py``: memory-capped, within the budget) or decoded
one at a time, so a long PDF never holds
every page in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import simplejpeg

from medxtract_lab import poppler
from medxtract_lab.config import RenderSettings
from medxtract_lab.errors import (
    CorruptPdf,
    EmptyFile,
    EncryptedPdf,
    FileMissing,
    NotAPdf,
    PageTooComplex,
    PageTooLarge,
    TooManyPages,
)
from medxtract_lab.page_content import drawing_bytes, stream_bytes
from medxtract_lab.page_pictures import picture_coverage, picture_ppi
from medxtract_lab.page_scans import EmbeddedScan, declared_size, page_scan, read_jpeg
from medxtract_lab.preprocess import half_size, half_text_height, resample_factor, resized
from medxtract_lab.text_layer import MAX_STREAM_BYTES

# poppler answers some damaged pages (a /Contents that is not a stream) with a 1x1 px image;
# a page this small holds nothing to read, and the image steps cannot work on it.
MIN_RENDERED_PX = 16
# A rendered page whose pictures cover this share of it is a photo (typed on, or wrapped in a
# way that is not decoded), rendered at the photo's own resolution (``page_dpi``).
PHOTO_PAGE = 0.9
MIN_PHOTO_DPI = 150
# The gray of a page's paper, before anything is drawn on it.
PAPER = 255


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    # Media boxes (what poppler rasterises), times /UserUnit where a page sets one.
    page_sizes_pt: tuple[tuple[float, float], ...]
    rotations: tuple[int, ...]
    # Per page, the one full-page JPEG it consists of (decoded instead of rendered), or None.
    scans: tuple[EmbeddedScan | None, ...]
    # Per page, the share of it that drawn images cover (0 to 1).
    pictures: tuple[float, ...]
    # Per page that is almost all one picture and rendered: the picture's pixels per inch.
    picture_ppi: tuple[float, ...] = ()
    # Per page, the content bytes drawing it (``page_content.drawing_bytes``; -1 when qpdf
    # could not read them).
    drawing: tuple[int, ...] = ()
    # The decoded bytes of every stream but those only drawn (``page_content.stream_bytes``),
    # counted up to just past ``text_layer.MAX_STREAM_BYTES`` when a text layer may be read;
    # else 0.
    text_streams: int = 0
    # Media boxes as (left, bottom, right, top) in points, corners sorted, inherited from
    # /Pages when the page sets none (pdfium would take a Letter page there).
    media_boxes: tuple[tuple[float, float, float, float], ...] = ()


@dataclass(frozen=True)
class PdfDocument:
    """A PDF that passed the header and page-count checks, with the facts read from it once;
    every stage that needs a page of it (reading, re-reading, previews) is handed this."""

    path: Path
    info: PdfInfo

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def pages(self) -> int:
        return self.info.pages


def open_pdf(path: str | Path, settings: RenderSettings) -> PdfDocument:
    """Validate a PDF and read its facts (see ``read_info``), without rasterising."""
    return PdfDocument(Path(path), read_info(path, settings))


def check_header(path: Path) -> None:
    """Refuse an empty or non-PDF file by its first bytes, before any parsing."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except FileNotFoundError as exc:
        raise FileMissing(f"{path} does not exist. Check the path and the file name.") from exc
    except OSError as exc:
        raise NotAPdf(f"Cannot read {path.name}: {exc.strerror}. Check the path.") from exc
    if not head.strip():
        raise EmptyFile(f"{path.name} is empty. Upload the PDF again; the file has no content.")
    if b"%PDF-" not in head:
        raise NotAPdf(
            f"{path.name} is not a PDF (no %PDF- header). Convert the document to PDF first."
        )


def read_info(path: str | Path, settings: RenderSettings) -> PdfInfo:
    """Validate a PDF and apply the page-count guard; in-process, well under a millisecond for
    a scan (``pdfinfo`` took about 9 ms, nearly all of it poppler's start-up)."""
    path = Path(path)
    check_header(path)
    try:
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
            if pages > settings.max_pages:
                raise TooManyPages(
                    f"{path.name} has {pages} pages; the limit is {settings.max_pages}. "
                    "Split the document or raise max_pages in the config."
                )
            decode = settings.decode_embedded_scans and settings.grayscale
            sizes, rotations, scans, pictures, ppis, drawing = [], [], [], [], [], []
            media_boxes = []
            for number, page in enumerate(pdf.pages, start=1):
                drawing.append(_check_drawing(page, number, path.name, settings.max_drawing_bytes))
                left, bottom, right, top = (float(v) for v in page.mediabox)
                media_boxes.append(
                    (min(left, right), min(bottom, top), max(left, right), max(bottom, top))
                )
                unit = _user_unit(page)
                sizes.append((abs(right - left) * unit, abs(top - bottom) * unit))
                rotations.append(page.rotation % 360)
                upright = rotations[-1] == 0
                scans.append(
                    page_scan(page, settings.max_page_pixels) if decode and upright else None
                )
                pictures.append(1.0 if scans[-1] else picture_coverage(page))
                photo = not scans[-1] and pictures[-1] >= PHOTO_PAGE
                ppis.append(picture_ppi(page) if photo else 0.0)
            text_streams = 0
            if settings.use_text_layer and not all(scans):
                text_streams = stream_bytes(pdf, MAX_STREAM_BYTES)
    except pikepdf.PasswordError as exc:
        raise EncryptedPdf(
            f"{path.name} is encrypted with a password. Remove the password "
            "(e.g. 'qpdf --decrypt') and try again."
        ) from exc
    except (pikepdf.PdfError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CorruptPdf(
            f"{path.name} is damaged and cannot be read as a PDF. Re-export or re-scan it."
        ) from exc
    if pages < 1:
        raise EmptyFile(f"{path.name} has no pages. Check that the right file was sent.")
    return PdfInfo(
        pages,
        tuple(sizes),
        tuple(rotations),
        tuple(scans),
        tuple(pictures),
        tuple(ppis),
        tuple(drawing),
        text_streams,
        tuple(media_boxes),
    )


def _user_unit(page: pikepdf.Page) -> float:
    """The page's /UserUnit (points per unit, 1 by default). poppler 22 ignores it and renders
    the media box in points; a renderer that honours it would rasterise a page that many
    times larger each way, so the size guard counts it."""
    try:
        unit = float(page.obj.get("/UserUnit", 1))
    except (TypeError, ValueError):  # not a number: ignored, as poppler does
        return 1.0
    return max(unit, 1.0)


def _check_drawing(page: pikepdf.Page, number: int, name: str, limit: int) -> int:
    """The content bytes drawing the page; refuses a page whose content would keep poppler
    busy without bound (a Flate bomb, forms drawing forms), before poppler sees it;
    in-process, under a millisecond a page. A structure qpdf cannot read is left to poppler,
    which may still draw it, within the document's time budget (-1 bytes: not known)."""
    try:
        work = drawing_bytes(page, limit)
    except (pikepdf.PdfError, ValueError, TypeError, KeyError, AttributeError):
        return -1
    if work > limit:
        raise PageTooComplex(
            f"Page {number} of {name} draws more than {limit / 2**20:.0f} MB of content "
            "(a compressed stream that inflates without bound, or forms drawn inside forms). "
            "Print it to PDF or scan it again; raise render.max_drawing_bytes if it is genuine."
        )
    return work


def check_page_sizes(
    pdf: PdfDocument, settings: RenderSettings, numbers: Iterable[int] | None = None
) -> None:
    """Refuse a page that would rasterise to more than ``max_page_pixels`` at the config dpi
    (every page when ``numbers`` is None)."""
    for number in range(1, pdf.pages + 1) if numbers is None else numbers:
        width_pt, height_pt = pdf.info.page_sizes_pt[number - 1]
        pixels = (width_pt * settings.dpi / 72) * (height_pt * settings.dpi / 72)
        if pixels > settings.max_page_pixels:
            raise PageTooLarge(
                f"Page {number} of {pdf.name} measures {width_pt:.0f}x{height_pt:.0f} pt, "
                f"{pixels / 1e6:.0f} megapixels at {settings.dpi} dpi; the limit is "
                f"{settings.max_page_pixels / 1e6:.0f}. Send pages of a normal paper size."
            )


def render_page(
    path: str | Path, page: int, settings: RenderSettings, dpi: int | None = None
) -> np.ndarray:
    """Rasterise one page (1-based) as a grayscale or RGB uint8 array, by a bounded poppler,
    at ``dpi`` (the config's by default)."""
    image = poppler.render(path, page, dpi or settings.dpi, settings.grayscale)
    if min(image.shape[:2]) < MIN_RENDERED_PX:
        height, width = image.shape[:2]
        raise CorruptPdf(
            f"Page {page} of {Path(path).name} rendered to {width}x{height} px: its content is "
            "damaged. Re-export or re-scan the document."
        )
    return image


def load_page(pdf: PdfDocument, number: int, settings: RenderSettings) -> np.ndarray:
    """One page image (1-based): its full-page JPEG decoded when ``read_info`` found one (about
    ten times cheaper than rasterising, and the scanner's own pixels), else rendered."""
    return load_page_for_text(pdf, number, settings)[0]


def load_page_for_text(
    pdf: PdfDocument, number: int, settings: RenderSettings, text_px: float | None = None
) -> tuple[np.ndarray, bool]:
    """``load_page``, and with ``text_px`` a decoded picture comes out resampled so that its
    text is about that high when that shows the picture at no more than its own pixels (what
    ``preprocess.resample_text`` would do to the page; see ``decode_scan``). The flag says
    whether the page was so resampled (never for a rendered page)."""
    scan = pdf.info.scans[number - 1]
    if scan is not None and settings.decode_embedded_scans and settings.grayscale:
        page_pt = pdf.info.page_sizes_pt[number - 1]
        return decode_scan(pdf.path, number, scan, settings, page_pt, text_px)
    return render_page(pdf.path, number, settings, page_dpi(pdf.info, number, settings)), False


def page_dpi(info: PdfInfo, number: int, settings: RenderSettings) -> int:
    """The config's dpi, or less for a page that is almost all one photo of lower resolution:
    rendering a 200-ppi photo at 300 dpi enlarges it (2.25 times the pixels to render and to
    preprocess) and adds no detail. Never below ``MIN_PHOTO_DPI``, so text typed onto the
    photo stays legible."""
    ppi = info.picture_ppi[number - 1] if number <= len(info.picture_ppi) else 0.0
    if ppi <= 0 or not settings.decode_embedded_scans:
        return settings.dpi
    return max(min(settings.dpi, MIN_PHOTO_DPI), min(settings.dpi, round(ppi)))


def decode_scan(
    path: str | Path,
    page: int,
    scan: EmbeddedScan,
    settings: RenderSettings,
    page_pt: tuple[float, float],
    text_px: float | None = None,
) -> tuple[np.ndarray, bool]:
    """The page's own JPEG as grayscale, reduced to ``settings.dpi`` when it has more pixels
    per inch, and never enlarged past them (but see ``text_px``): enlarging adds no
    information, and on the corpus it read no better than the scanner's own pixels while the
    run took 37% longer. A placed photo is put on its page as poppler would draw it
    (``_composed``). Falls back to poppler's render.

    With ``text_px``, the text height is measured on the picture as ``resample_text`` measures
    it on the page at the config's dpi (a half-size copy), and a page that step would shrink,
    or enlarge while the picture stays at no more than its own pixels, is made at the working
    size straight from the picture: one resize from the camera's pixels instead of one to the
    dpi and another by the step (a 12-megapixel photo placed on a letter page: an 8-megapixel
    page made and shrunk again, about 9 ms; or made and enlarged again, about 11 ms). Returns
    the page and whether it was so resampled (also when the text needed no resizing).

    A JPEG whose own header declares more pixels than the page-size limit is refused before
    decoding (one that declared 32000x32000 px took 2.2 GB); one that declares another size
    than its PDF image is rendered by poppler rather than decoded."""
    data = read_jpeg(path, scan)
    size = declared_size(data) if data else None
    if size and size[0] * size[1] > settings.max_page_pixels:
        raise PageTooLarge(
            f"Page {page} of {Path(path).name} is a picture whose JPEG declares {size[0]}x"
            f"{size[1]} px ({size[0] * size[1] / 1e6:.0f} megapixels); the limit is "
            f"{settings.max_page_pixels / 1e6:.0f}. Scan or export the page again."
        )
    if size != (scan.width, scan.height):
        return render_page(path, page, settings), False
    image = _decoded_gray(data)
    if image is None or image.shape != (scan.height, scan.width):
        return render_page(path, page, settings), False
    if scan.placement is not None:
        dpi = min(settings.dpi, round(scan.ppi))
        page_px = tuple(poppler.page_pixels(side, dpi) for side in page_pt)
        # The picture's size on that page.
        shown = _pixels(scan.placement, page_px)
        shown_px = (shown[2] - shown[0], shown[3] - shown[1])
    else:
        factor = settings.dpi / scan.ppi
        shown_px = (image.shape[1], image.shape[0])
        if factor < 0.98:
            shown_px = (round(image.shape[1] * factor), round(image.shape[0] * factor))
        page_px = shown_px
    factor, resampled, half = 1.0, False, None
    if text_px is not None and min(shown_px) > 0:
        half = half_size(image)
        height = _text_height_at(half, shown_px)
        factor = resample_factor(height, page_px[::-1], text_px)
        # Enlarged only while the picture is still shown at no more than its own pixels, on
        # either axis (a placed photo may be stretched): one resize from the camera's pixels
        # rather than a shrink to the dpi and an enlargement by the step (bicubic, 13 ms on
        # a camera page made at 300 dpi).
        own = min(image.shape[1] / shown_px[0], image.shape[0] / shown_px[1])
        resampled = factor <= max(1.0, own)
        factor = factor if resampled else 1.0
    if factor != 1:
        page_px = (max(1, round(page_px[0] * factor)), max(1, round(page_px[1] * factor)))
    if scan.placement is not None:
        return _composed(image, scan, page_px, half), resampled
    if page_px == (image.shape[1], image.shape[0]):
        return image, resampled
    return resized(image, page_px, half), resampled


def _decoded_gray(data: bytes) -> np.ndarray | None:
    """A JPEG's pixels as grayscale (its luma), or None when it does not decode. libjpeg-turbo
    through simplejpeg, OpenCV's decoder when that refuses the file: the same pixels, and a
    12-megapixel colour photo in 8.5 ms against OpenCV's 17. Both ignore the EXIF orientation,
    as PDF viewers do."""
    try:
        return simplejpeg.decode_jpeg(data, colorspace="GRAY")[:, :, 0]
    except (ValueError, RuntimeError):
        flags = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION
        return cv2.imdecode(np.frombuffer(data, np.uint8), flags)


def _text_height_at(half: np.ndarray, size: tuple[int, int]) -> float:
    """``preprocess.text_height`` of a picture resized to ``size`` (width, height), measured
    without making it: on the half-size copy that measure works on, made from ``half``, the
    picture's own half-size copy (exactly that copy when ``size`` is the picture's own)."""
    if min(size) < 8:
        return 0.0  # too small to hold a letter, as text_height has it
    half_px = (size[0] // 2, size[1] // 2)
    if (half.shape[1], half.shape[0]) != half_px:
        half = resized(half, half_px)
    return 2 * half_text_height(half)


def _pixels(box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[int, ...]:
    """A box in fractions of the page as pixel edges on a page of ``size`` (width, height)."""
    x0, y0, x1, y1 = box
    return round(x0 * size[0]), round(y0 * size[1]), round(x1 * size[0]), round(y1 * size[1])


def _composed(
    image: np.ndarray,
    scan: EmbeddedScan,
    size: tuple[int, int],
    half: np.ndarray | None = None,
) -> np.ndarray:
    """The page of a placed photo at ``size`` (width, height): white paper, the flat fills,
    then the photo inside its clip (``half``: the photo's half-size copy, when made)."""
    width, height = size
    page = np.full((height, width), PAPER, np.uint8)

    def visible(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        # Every edge within the page: a negative end would index from the far side.
        x0, y0, x1, y1 = _pixels(box, size)
        x0, x1 = (min(max(0, x), width) for x in (x0, x1))
        y0, y1 = (min(max(0, y), height) for y in (y0, y1))
        return x0, y0, x1, y1

    # White fills before any other paint nothing on white paper (print apps fill the page
    # white first): a page-sized write saved.
    for box, gray in itertools.dropwhile(lambda fill: fill[1] == PAPER, scan.fills):
        x0, y0, x1, y1 = visible(box)
        page[y0:y1, x0:x1] = gray
    px0, py0, px1, py1 = _pixels(scan.placement, size)
    clip = scan.clip
    x0, y0, x1, y1 = visible(
        (
            max(scan.placement[0], clip[0]),
            max(scan.placement[1], clip[1]),
            min(scan.placement[2], clip[2]),
            min(scan.placement[3], clip[3]),
        )
    )
    if x1 > x0 and y1 > y0 and px1 > px0 and py1 > py0:
        picture = resized(image, (px1 - px0, py1 - py0), half)
        page[y0:y1, x0:x1] = picture[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]
    return page
