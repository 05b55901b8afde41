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

# Operators that set state but paint nothing; any other operator (a path, shown text, an
# inline image, a shading, a graphics-state dictionary) means the page is more than its image.
_NON_PAINTING = frozenset(
    {"q", "Q", "cm", "Do", "BT", "ET", "Tf", "TL", "Tc", "Tw", "Tz", "Ts", "Td", "TD", "Tm"}
    | {"T*", "Tr", "g", "G", "rg", "RG", "k", "K", "cs", "CS", "sc", "SC", "scn", "SCN"}
    | {"w", "J", "j", "M", "d", "ri", "i"}
)
# Text encodings in front of the JPEG: decoding them only shrinks the data, so a stream cannot
# expand to more than its own size (a Flate filter could, without bound).
_TEXT_FILTERS = frozenset({"/ASCII85Decode", "/ASCIIHexDecode"})
# A scan page's content is a handful of operators; anything longer is not one.
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


def matrix_product(first: list[float], second: list[float]) -> list[float]:
    """The PDF matrix product ``first x second`` of two [a b c d e f] matrices."""
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = second
    return [
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    ]


def _drawn_images(content, resources, ctm: list[float], depth: int) -> list | None:  # noqa: ANN001
    """Every image drawn by ``content`` with its matrix, or None if anything else is painted."""
    stream_bytes = sum(len(s.read_raw_bytes()) for s in content_streams(content))
    if depth > _MAX_FORM_DEPTH or stream_bytes > _MAX_CONTENT_BYTES:
        return None
    drawn = []
    stack = []
    for operands, operator in pikepdf.parse_content_stream(content):
        name = str(operator)
        if name not in _NON_PAINTING:
            return None
        if name == "q":
            stack.append(ctm)
        elif name == "Q":
            ctm = stack.pop() if stack else ctm
        elif name == "cm":
            ctm = matrix_product([float(x) for x in operands], ctm)
        elif name == "Do":
            xobject = resources.XObject[operands[0]]
            if xobject.Subtype == "/Image":
                drawn.append((xobject, ctm))
                continue
            matrix = [float(x) for x in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
            inner = _drawn_images(
                xobject,
                xobject.get("/Resources", resources),
                matrix_product(matrix, ctm),
                depth + 1,
            )
            if inner is None:
                return None
            drawn += inner
    return drawn


def content_streams(content) -> list:  # noqa: ANN001
    """A page's /Contents (one stream or an array of them), or a form XObject itself."""
    if isinstance(content, pikepdf.Page):
        contents = content.obj.get("/Contents")
        if contents is None:
            return []
        return list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return [content]


def _full_page_jpeg(page: pikepdf.Page, max_pixels: int) -> EmbeddedScan | None:
    """The page's one image if it covers the media box (what poppler renders), upright."""
    if page.obj.get("/Annots"):
        return None
    drawn = _drawn_images(page, page.resources, [1, 0, 0, 1, 0, 0], 0)
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


def sorted_box(box) -> tuple[float, float, float, float]:  # noqa: ANN001
    """left, bottom, right, top of a PDF rectangle written in any corner order."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


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
