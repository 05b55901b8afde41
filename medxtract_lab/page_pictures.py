"""How much of a page its pictures cover, read from the PDF structure in-process (pikepdf).

A phone photo saved as PDF and then edited (a line typed onto it in a PDF editor, drawn into the
page or as a FreeText annotation) has a text layer of a few words over a full-page picture. The
text layer then says nothing about the fields printed in the picture, so such a page must be
read by OCR of the whole rendered page, picture and typed text together. The share of the page
the drawn images cover tells these pages from born-digital ones, whose text is the content.
"""

from __future__ import annotations

import base64
import zlib

import numpy as np
import pikepdf

from medxtract_lab.page_scans import content_streams, matrix_product, sorted_box

# Reading a long content stream costs time for nothing: a photo page's content is a handful of
# operators, and a page whose content decodes to more than this is taken as having no pictures
# to speak of. The budget counts decoded bytes, checked before parsing (a small Flate stream can
# inflate without bound).
_MAX_CONTENT_BYTES = 256 * 1024
_MAX_FORM_DEPTH = 4
_GRID = 64  # cells per side of the page when measuring the union of image boxes


def picture_coverage(page: pikepdf.Page) -> float:
    """The share (0 to 1) of the media box covered by the images the page draws; 0 when the
    page draws no image or its content is too long or too odd to read."""
    try:
        if not page.resources.get("/XObject"):
            return 0.0  # no image or form to draw: the common born-digital page, no parsing
        left, bottom, right, top = sorted_box(page.mediabox)
        area = (right - left) * (top - bottom)
        if area <= 0:
            return 0.0
        grid = np.zeros((_GRID, _GRID), bool)  # overlapping images count once
        for x0, y0, x1, y1 in _image_boxes(page, page.resources, [1, 0, 0, 1, 0, 0], 0, [0]):
            cols = [round((x - left) / (right - left) * _GRID) for x in (x0, x1)]
            rows = [round((y - bottom) / (top - bottom) * _GRID) for y in (y0, y1)]
            cols = [min(_GRID, max(0, c)) for c in cols]
            rows = [min(_GRID, max(0, r)) for r in rows]
            grid[rows[0] : rows[1], cols[0] : cols[1]] = True
        return float(grid.mean())
    except Exception:  # noqa: BLE001 - too long or unreadable: leave the page to its text layer
        return 0.0


def _image_boxes(content, resources, ctm: list[float], depth: int, read: list[int]) -> list:  # noqa: ANN001
    """The bounding box of every image ``content`` draws, forms followed with their matrix."""
    if depth > _MAX_FORM_DEPTH:
        return []
    for stream in content_streams(content):
        read[0] += _decoded_size(stream, _MAX_CONTENT_BYTES - read[0])
        if read[0] > _MAX_CONTENT_BYTES:
            raise _TooLong
    boxes, stack = [], []
    for operands, operator in pikepdf.parse_content_stream(content, "q Q cm Do"):
        name = str(operator)
        if name == "q":
            stack.append(ctm)
        elif name == "Q":
            ctm = stack.pop() if stack else ctm
        elif name == "cm":
            ctm = matrix_product([float(x) for x in operands], ctm)
        elif name == "Do":
            xobject = resources.XObject[operands[0]]
            if xobject.Subtype == "/Image":
                boxes.append(_unit_square_box(ctm))
            elif xobject.Subtype == "/Form":
                matrix = [float(x) for x in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                boxes += _image_boxes(
                    xobject,
                    xobject.get("/Resources", resources),
                    matrix_product(matrix, ctm),
                    depth + 1,
                    read,
                )
    return boxes


class _TooLong(Exception):
    """The page's content is longer than a picture page's ever is."""


def _decoded_size(stream: pikepdf.Stream, limit: int) -> int:
    """How many bytes ``stream`` decodes to, counting at most ``limit + 1`` of them. The text
    filters (ASCII85, ASCIIHex) only shrink data and are decoded; Flate is inflated with that
    cap; any other filter counts as too long (content streams do not use them)."""
    data = stream.read_raw_bytes()
    filters = stream.get("/Filter")
    filters = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
    try:
        for name in (str(f) for f in filters if f is not None):
            if name == "/ASCII85Decode":
                data = base64.a85decode(data.strip(), adobe=True)
            elif name == "/ASCIIHexDecode":
                data = bytes.fromhex(data.decode("ascii").replace(">", " "))
            elif name == "/FlateDecode":
                data = zlib.decompressobj().decompress(data, max(0, limit) + 1)
            else:
                return limit + 1
    except (ValueError, zlib.error):
        return limit + 1
    return len(data)


def _unit_square_box(ctm: list[float]) -> tuple[float, float, float, float]:
    """Where an image (drawn in the unit square) lands under ``ctm``, as a box."""
    a, b, c, d, e, f = ctm
    xs = (e, a + e, c + e, a + c + e)
    ys = (f, b + f, d + f, b + d + f)
    return min(xs), min(ys), max(xs), max(ys)
