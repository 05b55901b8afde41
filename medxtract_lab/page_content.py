"""What a page's content draws, read in-process with pikepdf within a budget.

Both readers of page structure use this walk: ``page_scans`` (is the page one full-page JPEG
and nothing else?) and ``page_pictures`` (how much of the page do pictures cover?). The walk
follows form XObjects with their matrices, and counts the content it reads in decoded bytes,
checked before parsing, so a small Flate stream that inflates without bound is never parsed.
"""

from __future__ import annotations

import base64
import zlib

import pikepdf

IDENTITY = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
# Operators that set state but paint nothing; any other operator (a path, shown text, an
# inline image, a shading, a graphics-state dictionary) paints something.
NON_PAINTING = frozenset(
    {"q", "Q", "cm", "Do", "BT", "ET", "Tf", "TL", "Tc", "Tw", "Tz", "Ts", "Td", "TD", "Tm"}
    | {"T*", "Tr", "g", "G", "rg", "RG", "k", "K", "cs", "CS", "sc", "SC", "scn", "SCN"}
    | {"w", "J", "j", "M", "d", "ri", "i"}
)


def placed_images(
    page: pikepdf.Page, max_bytes: int, max_depth: int, images_only: bool = False
) -> list[tuple[pikepdf.Stream, list[float]]] | None:
    """Every image the page draws, with the matrix it is drawn with. None when the content
    decodes to more than ``max_bytes``, nests forms deeper than ``max_depth``, or (with
    ``images_only``) paints anything besides images."""
    budget = [max_bytes]
    try:
        return _walk(page, page.resources, IDENTITY, 0, max_depth, budget, images_only)
    except _Refused:
        return None


class _Refused(Exception):
    """Over budget, too deep, or painting where only images are allowed."""


def _walk(content, resources, ctm, depth, max_depth, budget, images_only) -> list:  # noqa: ANN001
    if depth > max_depth:
        raise _Refused
    for stream in content_streams(content):
        budget[0] -= decoded_size(stream, budget[0])
        if budget[0] < 0:
            raise _Refused
    placed, stack = [], []
    operators = "" if images_only else "q Q cm Do"  # "" parses every operator
    for operands, operator in pikepdf.parse_content_stream(content, operators):
        name = str(operator)
        if images_only and name not in NON_PAINTING:
            raise _Refused
        if name == "q":
            stack.append(ctm)
        elif name == "Q":
            ctm = stack.pop() if stack else ctm
        elif name == "cm":
            ctm = matrix_product([float(x) for x in operands], ctm)
        elif name == "Do":
            xobject = resources.XObject[operands[0]]
            if xobject.Subtype == "/Image":
                placed.append((xobject, ctm))
            elif xobject.Subtype == "/Form":
                matrix = [float(x) for x in xobject.get("/Matrix", IDENTITY)]
                inner_resources = xobject.get("/Resources", resources)
                inner_ctm = matrix_product(matrix, ctm)
                placed += _walk(
                    xobject, inner_resources, inner_ctm, depth + 1, max_depth, budget, images_only
                )
            elif images_only:
                raise _Refused
    return placed


def content_streams(content) -> list:  # noqa: ANN001
    """A page's /Contents (one stream or an array of them), or a form XObject itself."""
    if isinstance(content, pikepdf.Page):
        contents = content.obj.get("/Contents")
        if contents is None:
            return []
        return list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return [content]


def decoded_size(stream: pikepdf.Stream, limit: int) -> int:
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


def sorted_box(box) -> tuple[float, float, float, float]:  # noqa: ANN001
    """left, bottom, right, top of a PDF rectangle written in any corner order."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
