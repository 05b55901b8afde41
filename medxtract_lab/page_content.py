"""What a page's content draws, read in-process with pikepdf within a budget.

Both readers of page structure use this walk: ``page_scans`` (is the page one full-page JPEG
and nothing else?) and ``page_pictures`` (how much of the page do pictures cover?). The walk
follows form XObjects with their matrices, and counts the content it reads in decoded bytes,
checked before parsing, so a small Flate stream that inflates without bound is never parsed.
"""

from __future__ import annotations

import base64
import re
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
    """How many bytes ``stream`` decodes to, counting at most ``limit + 1`` of them; a filter
    other than the text ones and Flate counts as too long (content streams do not use them)."""
    data = decoded_bytes(stream, limit)
    return limit + 1 if data is None else len(data)


def decoded_bytes(stream: pikepdf.Stream, limit: int) -> bytes | None:
    """``stream`` decoded, at most ``limit + 1`` bytes of it; None for a filter this cannot
    decode within a limit. The text filters (ASCII85, ASCIIHex) only shrink data and are
    decoded; Flate is inflated with that cap, so a bomb is never inflated in full."""
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
                return None
    except (ValueError, zlib.error):
        return None
    return data[: limit + 1]


# ``/Name Do``: a content stream drawing an XObject. A regular expression rather than a parse:
# this runs on every page before anything else, and a page of text is mostly text operators.
_DRAWS = re.compile(rb"/([^\s/\[\](){}<>%]+)\s+Do(?![^\s/\[\](){}<>%])")
_MAX_NESTING = 32
# How much a stream whose filters are not decoded here is taken to expand: RunLength's worst
# case (128 bytes from 2); LZW's can be larger, and its rare bombs are left to the caps on
# what poppler and pdfium may spend (``poppler``, ``pdfium_child``).
_UNDECODED_EXPANSION = 64
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _unescaped(name: bytes) -> str:
    """A name as written in a content stream ('X#30'), as the dictionary holds it ('X0')."""
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name).decode("latin-1")


def drawing_bytes(page: pikepdf.Page, limit: int) -> int:
    """The content bytes poppler (or pdfium) interprets to draw ``page``: every content
    stream, the appearance of every annotation (a filled form field, a typed note), and every
    form XObject each time it is drawn (a form drawn four times by a form drawn four times
    counts sixteen times), decoded. Counting stops past ``limit``: the result is then
    ``limit + 1``. A stream with a filter decoded here without a cap counts its stored size
    times ``_UNDECODED_EXPANSION``."""
    memo: dict[tuple[int, int], int] = {}
    total = 0
    drawn = [(stream, page.resources) for stream in content_streams(page)]
    for stream, resources in drawn + _appearances(page):
        total += _work(stream, resources, memo, limit - total, ())
        if total > limit:
            return limit + 1
    return total


def _appearances(page: pikepdf.Page) -> list[tuple[pikepdf.Stream, pikepdf.Object]]:
    """Each annotation's normal appearance streams (every state of a check box), with the
    resources they draw with."""
    annotations = page.obj.get("/Annots")
    found = []
    for annotation in annotations if isinstance(annotations, pikepdf.Array) else ():
        look = annotation.get("/AP") if isinstance(annotation, pikepdf.Dictionary) else None
        normal = look.get("/N") if isinstance(look, pikepdf.Dictionary) else None
        states = [normal] if isinstance(normal, pikepdf.Stream) else []
        if isinstance(normal, pikepdf.Dictionary) and not isinstance(normal, pikepdf.Stream):
            states = [v for v in normal.values() if isinstance(v, pikepdf.Stream)]
        found += [(stream, stream.get("/Resources", page.resources)) for stream in states]
    return found


def stream_bytes(pdf: pikepdf.Pdf, limit: int) -> int:
    """Decoded bytes of the streams in ``pdf`` that a reader of the text layer may decode
    beyond what ``drawing_bytes`` counts per page (fonts and their character maps, mostly),
    counted within ``limit`` in the same way (``limit + 1`` past it, or when the file holds
    too many objects to tell). A stream is known by where it is used, not by what its
    dictionary calls itself: one used only where it is drawn or not decoded for text (an image
    or form among some /XObject resources, a page's /Contents, an attachment, a thumbnail) is
    not counted; one used anywhere else (a font's program or character map, a colour profile)
    is. pdfium read a 300 MiB font program labelled as an image in 690 MB."""
    used = _uses(pdf)
    if used is None:
        return limit + 1
    drawn_only, elsewhere = used
    total = 0
    for stream in pdf.objects:
        if not isinstance(stream, pikepdf.Stream) or stream.objgen in drawn_only:
            continue
        if stream.get("/Type") in ("/ObjStm", "/XRef") and stream.objgen not in elsewhere:
            continue  # already decoded by qpdf to open the file
        try:
            data = decoded_bytes(stream, limit - total)
            raw = len(stream.read_raw_bytes())
        except pikepdf.PdfError:
            return limit + 1  # a damaged stream, perhaps never used: not known, so not given
        total += raw * _UNDECODED_EXPANSION if data is None else len(data)
        if total > limit:
            return limit + 1
    return total


# Keys whose streams a reader of the text layer draws or leaves alone, not decodes as data:
# the values of an /XObject resource dictionary, a page's contents, an image's masks,
# attachments, thumbnails.
_NOT_TEXT_DATA = frozenset({"/XObject", "/Contents", "/SMask", "/Mask", "/EF", "/Thumb"})
# Arrays a reader takes as numbers or names, never streams, which ``_uses`` need not look
# through (a font's /Widths is most of a born-digital file's entries): a stream referenced
# from one alone counts, as one not referenced at all does.
_NO_STREAMS = frozenset(
    {"/Widths", "/W", "/W2", "/Differences", "/FontBBox", "/FontMatrix", "/MediaBox"}
    | {"/CropBox", "/BBox", "/Matrix", "/Rect", "/Domain", "/Range", "/Decode"}
)
# Entries of dictionaries and arrays (nested ones included) ``_uses`` looks at, at most: a
# 40 KB file can hold ten million nested arrays, which would take Python seconds to walk.
_MAX_VISITS = 200_000


def _uses(pdf: pikepdf.Pdf) -> tuple[set, set] | None:
    """The streams used only as values under ``_NOT_TEXT_DATA`` keys, and those used anywhere
    else, by object number; None past ``_MAX_VISITS``. A stream standing where a dictionary
    belongs is looked through as the dictionary it carries, as pdfium reads it."""
    # (stream, used under such a key, the indirect object whose own value it is, or None)
    references: list[tuple[tuple[int, int], bool, tuple[int, int] | None]] = []
    holders: set[tuple[int, int]] = set()  # indirect objects that are such a key's value
    # (object, whether it is such a key's value, its object number when indirect). Indirect
    # arrays are looked through where something refers to them, for the same reason.
    pending = [
        (obj, False, obj.objgen)
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream)
    ]
    arrays: set[tuple[int, int]] = set()
    visits = 0
    while pending:
        obj, held, number = pending.pop()
        items = enumerate(obj) if isinstance(obj, pikepdf.Array) else obj.items()
        for key, value in items:
            visits += 1
            if visits > _MAX_VISITS:
                return None
            if isinstance(value, pikepdf.Stream):
                references.append((value.objgen, held or key in _NOT_TEXT_DATA, number))
            if not _container(value) or key in _NO_STREAMS:
                continue
            if not value.is_indirect:
                pending.append((value, key in _NOT_TEXT_DATA, None))
                continue
            if key in _NOT_TEXT_DATA:
                holders.add(value.objgen)
            if isinstance(value, pikepdf.Array) and value.objgen not in arrays:
                arrays.add(value.objgen)
                pending.append((value, False, value.objgen))
    drawn_only: set[tuple[int, int]] = set()
    elsewhere: set[tuple[int, int]] = set()
    for stream, under, number in references:
        (drawn_only if under or number in holders else elsewhere).add(stream)
    return drawn_only - elsewhere, elsewhere


def _container(obj) -> bool:  # noqa: ANN001
    """A dictionary, array or stream: what may hold references."""
    return isinstance(obj, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream)


def _work(stream, resources, memo, limit: int, drawing: tuple) -> int:  # noqa: ANN001
    """``drawing_bytes`` of one stream (a page's content or a form), over ``limit`` = refused."""
    if len(drawing) > _MAX_NESTING:
        return limit + 1
    if not isinstance(stream, pikepdf.Stream):
        return 0  # a damaged /Contents (an integer): poppler draws nothing for it
    data = decoded_bytes(stream, limit)
    if data is None:  # a filter decoded here without a cap (LZW, RunLength): at its worst
        return min(limit + 1, len(stream.read_raw_bytes()) * _UNDECODED_EXPANSION)
    work = len(data)
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    for name in _DRAWS.findall(data) if xobjects else ():
        form = xobjects.get("/" + _unescaped(name))
        if not isinstance(form, pikepdf.Stream) or form.get("/Subtype") != "/Form":
            continue
        key = form.objgen
        if key in drawing:
            return limit + 1  # a form that draws itself
        if key not in memo:
            inner = form.get("/Resources", resources)
            memo[key] = _work(form, inner, memo, limit, (*drawing, key))
        work += memo[key]
        if work > limit:
            return limit + 1
    return work


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
