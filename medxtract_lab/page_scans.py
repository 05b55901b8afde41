"""Pages that are one JPEG and nothing else, found and read in-process with pikepdf (qpdf).

A scanner or a phone app writes each page as one JPEG drawn over the whole page; a print or
scan app may instead place the photo on the page, over a flat fill and inside a clip rectangle.
Decoding that JPEG gives the camera's own pixels for a fraction of the cost of rasterising the
page (a 12-megapixel photo: about 20 ms to decode, 450 ms through poppler), and reading it
in-process saves the poppler start-ups (``pdfimages -list`` per document and ``pdfimages -j``
per page took about 10 and 15-20 ms). A page qualifies only when its content does nothing but
draw that one upright, unflipped image, optionally over rectangles filled in a gray or RGB
colour and inside rectangular clips: any other painting operator, an annotation, a mask, a
/Decode array or another encoding means the page is rendered by poppler instead, which is
always correct. A page that qualifies shows no text, so it has no text layer either: a
document made only of such pages is never given to pdfium for one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import JpegImagePlugin

from medxtract_lab.page_content import (
    IDENTITY,
    NON_PAINTING,
    content_streams,
    decoded_size,
    matrix_product,
    placed_images,
    sorted_box,
)

# Text encodings in front of the JPEG: decoding them only shrinks the data, so a stream cannot
# expand to more than its own size (a Flate filter could, without bound).
_TEXT_FILTERS = frozenset({"/ASCII85Decode", "/ASCIIHexDecode"})
# A scan page's content is a handful of operators (decoded bytes); anything longer is not one.
_MAX_CONTENT_BYTES = 4096
_MAX_FORM_DEPTH = 3
_TOLERANCE = 0.01  # of the page size, for the image covering the media box
# Operators that set the fill colour in a way not followed here (CMYK, colour spaces): a fill
# after one of them is left to poppler.
_UNKNOWN_COLOUR = frozenset({"k", "cs", "sc", "scn"})

# left, top, right, bottom as fractions of the page's width and height, origin top-left.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class EmbeddedScan:
    """A page that is one JPEG: a full-page one (a scanner's or phone's output), or one placed
    on the page by a print or scan app."""

    width: int
    height: int
    ppi: float
    object_id: tuple[int, int]  # the image's object and generation numbers
    # For a placed photo: where the image lies, the part of the page its clips let show, and
    # the flat rectangles painted under it (box, gray 0-255). None for a full-page JPEG.
    placement: Box | None = None
    clip: Box = (0.0, 0.0, 1.0, 1.0)
    fills: tuple[tuple[Box, int], ...] = ()


def page_scan(page: pikepdf.Page, max_pixels: int) -> EmbeddedScan | None:
    """The page's full-page JPEG, or None when the page must be rendered. The caller checks
    /Rotate (which a page can inherit)."""
    try:
        if not page.resources.get("/XObject"):
            return None  # draws no image: the common born-digital page, no parsing
        return _full_page_jpeg(page, max_pixels) or _placed_jpeg(page, max_pixels)
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


def _placed_jpeg(page: pikepdf.Page, max_pixels: int) -> EmbeddedScan | None:
    """The page's one image when the content only fills rectangles, clips to rectangles and
    draws that image upright (what print-to-PDF and scan apps write around a photo)."""
    if page.obj.get("/Annots"):
        return None
    budget = _MAX_CONTENT_BYTES
    for stream in content_streams(page):
        budget -= decoded_size(stream, budget)
        if budget < 0:
            return None
    left, bottom, right, top = sorted_box(page.mediabox)
    width, height = right - left, top - bottom

    def fraction(box: tuple[float, float, float, float]) -> Box:
        x0, y0, x1, y1 = box
        return ((x0 - left) / width, (top - y1) / height, (x1 - left) / width, (top - y0) / height)

    ctm, clip, gray = IDENTITY, (0.0, 0.0, 1.0, 1.0), 0.0
    stack: list[tuple] = []
    path: list[Box] = []
    clipping = False
    fills: list[tuple[Box, int]] = []
    found = None
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name == "q":
            stack.append((ctm, clip, gray))
        elif name == "Q":
            ctm, clip, gray = stack.pop() if stack else (ctm, clip, gray)
        elif name == "cm":
            ctm = matrix_product([float(x) for x in operands], ctm)
        elif name == "g":
            gray = float(operands[0])
        elif name == "rg":
            red, green, blue = (float(x) for x in operands)
            gray = 0.299 * red + 0.587 * green + 0.114 * blue
        elif name in _UNKNOWN_COLOUR:
            gray = None
        elif name == "re":
            a, b, c, d, e, f = ctm
            if b or c or a <= 0 or d <= 0:
                return None
            x, y, w, h = (float(v) for v in operands)
            x0, x1 = sorted((a * x + e, a * (x + w) + e))
            y0, y1 = sorted((d * y + f, d * (y + h) + f))
            path.append(fraction((x0, y0, x1, y1)))
        elif name in ("W", "W*"):
            clipping = True
        elif name == "n":
            if clipping:
                if len(path) != 1:
                    return None
                clip = _intersection(clip, path[0])
            path, clipping = [], False
        elif name in ("f", "f*", "F"):
            if clipping or gray is None or found is not None:
                return None  # a clip and fill at once, an unknown colour, or over the picture
            fills += [(_intersection(clip, box), round(255 * gray)) for box in path]
            path = []
        elif name == "Do":
            image = page.resources.XObject[operands[0]]
            a, b, c, d, e, f = ctm
            if found is not None or image.get("/Subtype") != "/Image" or b or c:
                return None
            if a <= 0 or d <= 0 or not _is_plain_jpeg(image):
                return None
            found = (image, fraction((e, f, e + a, f + d)), clip, a, d)
        elif name not in NON_PAINTING:
            return None
    if found is None:
        return None
    image, placement, clip, a, d = found
    pixels_x, pixels_y = int(image.Width), int(image.Height)
    if pixels_x * pixels_y > max_pixels:
        return None
    ppi = min(pixels_x / (a / 72), pixels_y / (d / 72))
    return EmbeddedScan(
        pixels_x, pixels_y, round(ppi, 2), image.objgen, placement, clip, tuple(fills)
    )


def _intersection(first: Box, second: Box) -> Box:
    return (
        max(first[0], second[0]),
        max(first[1], second[1]),
        min(first[2], second[2]),
        min(first[3], second[3]),
    )


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
