"""How much of a page its pictures cover, read from the PDF structure in-process (pikepdf).

A phone photo saved as PDF and then edited (a line typed onto it in a PDF editor, drawn into the
page or as a FreeText annotation) has a text layer of a few words over a full-page picture. The
text layer then says nothing about the fields printed in the picture, so such a page must be
read by OCR of the whole rendered page, picture and typed text together. The share of the page
the drawn images cover tells these pages from born-digital ones, whose text is the content.
"""

from __future__ import annotations

import numpy as np
import pikepdf

from medxtract_lab.page_content import placed_images, sorted_box

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
        placed = placed_images(page, _MAX_CONTENT_BYTES, _MAX_FORM_DEPTH)
        if placed is None:
            return 0.0
        for x0, y0, x1, y1 in (_unit_square_box(ctm) for _, ctm in placed):
            cols = [round((x - left) / (right - left) * _GRID) for x in (x0, x1)]
            rows = [round((y - bottom) / (top - bottom) * _GRID) for y in (y0, y1)]
            cols = [min(_GRID, max(0, c)) for c in cols]
            rows = [min(_GRID, max(0, r)) for r in rows]
            grid[rows[0] : rows[1], cols[0] : cols[1]] = True
        return float(grid.mean())
    except Exception:  # noqa: BLE001 - too long or unreadable: leave the page to its text layer
        return 0.0


def picture_ppi(page: pikepdf.Page) -> float:
    """Pixels per inch of the largest picture the page draws (0 when it draws none): a page
    that is one photo holds no finer detail than that, so rendering it finer only costs time.
    The geometric mean of both directions, so a picture drawn turned gives the same figure."""
    try:
        placed = placed_images(page, _MAX_CONTENT_BYTES, _MAX_FORM_DEPTH) or []
        largest, ppi = 0.0, 0.0
        for image, ctm in placed:
            x0, y0, x1, y1 = _unit_square_box(ctm)
            area = (x1 - x0) * (y1 - y0)
            if area > largest:
                largest = area
                ppi = (int(image.Width) * int(image.Height) / (area / 72**2)) ** 0.5
        return ppi
    except Exception:  # noqa: BLE001 - unreadable: the page is rendered at the config dpi
        return 0.0


def _unit_square_box(ctm: list[float]) -> tuple[float, float, float, float]:
    """Where an image (drawn in the unit square) lands under ``ctm``, as a box."""
    a, b, c, d, e, f = ctm
    xs = (e, a + e, c + e, a + c + e)
    ys = (f, b + f, d + f, b + d + f)
    return min(xs), min(ys), max(xs), max(ys)
