"""Pages that are exactly one full-page JPEG, found and read in-process with pikepdf (qpdf).

A scanner or a phone app writes each page as one JPEG drawn over the whole page. Decoding that
JPEG gives the scanner's own pixels for a fraction of the cost of rasterising the page, and
reading it in-process saves the poppler start-ups (``pdfimages -list`` per document and
``pdfimages -j`` per page took about 10 and 15-20 ms). A page qualifies only when its content
does nothing but draw that one image over the media box, unrotated and unflipped: any other
painting operator, an annotation, a mask, a /Decode array or another encoding means the page is
rendered by poppler instead, which is always correct. A page that qualifies shows no text, so it
has no text layer either: a document made only of such pages needs no ``pdftotext`` call.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import JpegImagePlugin

from medxtract_lab.page_content import placed_images, sorted_box

# Text encodings in front of the JPEG: decoding them only shrinks the data, so a stream cannot
# expand to more than its own size (a Flate filter could, without bound).
_TEXT_FILTERS = frozenset({"/ASCII85Decode", "/ASCIIHexDecode"})
# A scan page's content is a handful of operators (decoded bytes); anything longer is not one.
_MAX_CONTENT_BYTES = 4096
_MAX_FORM_DEPTH = 3
_TOLERANCE = 0.01  # of the page size, for the image covering the media box


@dataclass(frozen=True)
class EmbeddedScan:
    """A page that is exactly one full-page JPEG (a scanner's or phone's output)."""

    width: int
    height: int
    ppi: float
    object_id: tuple[int, int]  # the image's object and generation numbers


def page_scan(page: pikepdf.Page, max_pixels: int) -> EmbeddedScan | None:
    """The page's full-page JPEG, or None when the page must be rendered. The caller checks
    /Rotate (which a page can inherit)."""
    try:
        return _full_page_jpeg(page, max_pixels)
    except Exception:  # noqa: BLE001 - an unexpected structure: render this page
        return None


def read_jpeg(path: str | Path, scan: EmbeddedScan) -> bytes | None:
    """The JPEG file of ``scan``, or None when it cannot be read (the caller renders)."""
    try:
        with pikepdf.open(path) as pdf:
            image = pikepdf.PdfImage(pdf.get_object(scan.object_id))
            data = io.BytesIO()
            if image.extract_to(stream=data) != ".jpg":
                return None
        return data.getvalue()
    except Exception:  # noqa: BLE001 - any failure here only means "render instead"
        return None


def declared_size(data: bytes) -> tuple[int, int] | None:
    """The (width, height) a JPEG's own header declares, read without decoding it (None when
    the header cannot be read). The header, not the PDF's image dictionary, is what a decoder
    allocates for: a 12 KB file can declare 60000x60000 px."""
    try:
        # The plugin itself, not Image.open: the caller compares the size with its own limit,
        # where Image.open would refuse a bomb without saying its size.
        with JpegImagePlugin.JpegImageFile(io.BytesIO(data)) as header:
            return header.size
    except Exception:  # noqa: BLE001 - unreadable: the caller renders the page instead
        return None


def _full_page_jpeg(page: pikepdf.Page, max_pixels: int) -> EmbeddedScan | None:
    """The page's one image if it covers the media box (what poppler renders), upright."""
    if page.obj.get("/Annots"):
        return None
    drawn = placed_images(page, _MAX_CONTENT_BYTES, _MAX_FORM_DEPTH, images_only=True)
    if drawn is None or len(drawn) != 1:
        return None
    image, (a, b, c, d, e, f) = drawn[0]
    if not _is_plain_jpeg(image) or b or c:  # rotated or sheared; flips fail `covers`
        return None
    left, bottom, right, top = sorted_box(page.mediabox)
    width, height = right - left, top - bottom
    covers = (
        abs(e - left) <= _TOLERANCE * width
        and abs(e + a - right) <= _TOLERANCE * width
        and abs(f - bottom) <= _TOLERANCE * height
        and abs(f + d - top) <= _TOLERANCE * height
    )
    pixels_x, pixels_y = int(image.Width), int(image.Height)
    ppi_x, ppi_y = pixels_x / (a / 72), pixels_y / (d / 72)
    if not covers or abs(ppi_x - ppi_y) > _TOLERANCE * ppi_x or pixels_x * pixels_y > max_pixels:
        return None
    return EmbeddedScan(pixels_x, pixels_y, round(ppi_x, 2), image.objgen)


def _is_plain_jpeg(image) -> bool:  # noqa: ANN001
    """An 8-bit gray or RGB DCT image without masks or a /Decode array."""
    filters = image.get("/Filter")
    filters = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
    space = image.get("/ColorSpace")
    if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == "/ICCBased":
        plain_space = int(space[1].get("/N", 0)) in (1, 3)
    else:
        plain_space = space in ("/DeviceGray", "/DeviceRGB")
    return (
        plain_space
        and filters[-1] == "/DCTDecode"
        and all(str(f) in _TEXT_FILTERS for f in filters[:-1])
        and image.get("/BitsPerComponent") == 8
        and not image.get("/ImageMask", False)
        and all(key not in image for key in ("/SMask", "/Mask", "/Decode"))
    )
