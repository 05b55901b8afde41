"""Small hostile PDFs, built on demand, for the bad-input tests and the hostile-file benchmark.

Each builder reproduces a class of file that once crashed or held a worker (see the issues on
hostile and concurrent use): they are tiny on disk and expensive to read. ``mutants`` turns good
PDFs into damaged ones the way a fuzzer does, seeded so a failure can be replayed.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pikepdf

from medxtract_lab.corpus.capture import image_pdf
from medxtract_lab.corpus.degrade import jpeg

LETTER_PT = (612, 792)


def fanned_out_forms(path: Path, width: int = 4, depth: int = 30, escaped: bool = False) -> None:
    """A few KB whose page draws ``width ** depth`` copies of a line through nested form
    XObjects: poppler reads its text layer and renders it for as long as it is allowed to.
    ``escaped`` writes the forms' names with ``#xx`` escapes (``/X#30`` for ``/X0``), which
    PDF allows and a reader must decode."""
    pdf = pikepdf.new()
    form = _fanned_out(pdf, width, depth, escaped)
    _one_page(pdf, b"/Top Do", pikepdf.Dictionary(XObject=pikepdf.Dictionary(Top=form)))
    pdf.save(path)


def type3_fanned_out(path: Path, width: int = 4, depth: int = 30) -> None:
    """A line of text in a Type3 font whose one glyph draws ``width ** depth`` copies of a
    line through nested forms: the page's own content draws no form, so its drawing measures
    68 bytes, and a reader of its text layer runs the glyph (pdfium: 3.3 GB at depth 8)."""
    pdf = pikepdf.new()
    glyph = pikepdf.Stream(pdf, b"1000 0 0 0 1000 1000 d1 /Top Do")
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type3,
        FontBBox=[0, 0, 1000, 1000],
        FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
        CharProcs=pikepdf.Dictionary(g=pdf.make_indirect(glyph)),
        Encoding=pikepdf.Dictionary(Differences=[32, *[pikepdf.Name.g] * 95]),
        FirstChar=32,
        LastChar=126,
        Widths=[1000] * 95,
        Resources=pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(Top=_fanned_out(pdf, width, depth, False))
        ),
    )
    body = b"BT /T3 12 Tf 72 700 Td (Patient Name: Maria Lopez, Refills: 2) Tj ET"
    _one_page(pdf, body, pikepdf.Dictionary(Font=pikepdf.Dictionary(T3=pdf.make_indirect(font))))
    pdf.save(path)


def _fanned_out(pdf: pikepdf.Pdf, width: int, depth: int, escaped: bool) -> pikepdf.Stream:
    """The top of ``depth`` levels of form XObjects, each drawing the next ``width`` times,
    the last a line."""
    form = None
    for level in range(depth + 1):
        names = (f"/X#{ord(str(i)):02x}" if escaped else f"/X{i}" for i in range(width))
        body = b"0 0 m 100 100 l S" if level == 0 else b" ".join(f"{n} Do".encode() for n in names)
        stream = pikepdf.Stream(pdf, body)
        stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        stream.BBox = [0, 0, *LETTER_PT]
        if form is not None:
            stream.Resources = pikepdf.Dictionary(
                XObject=pikepdf.Dictionary({f"/X{i}": form for i in range(width)})
            )
        form = stream
    return form


def noise_page(path: Path, megapixels: float = 12) -> None:
    """A letter page that is one JPEG of random black and white pixels: nothing to read, and
    Tesseract, given 12 megapixels of it, worked for over two minutes in 1.6 GB."""
    height = round((megapixels * 1e6 * 11 / 8.5) ** 0.5)
    width = round(height * 8.5 / 11)
    pixels = np.random.default_rng(0).integers(0, 2, (height, width), np.uint8) * 255
    path.write_bytes(image_pdf([jpeg(pixels, 50)], [(width, height)], width / 8.5))


def slow_shading(path: Path, steps: int = 200) -> None:
    """Under 1 KB: a page shaded four times by a PostScript-calculator function of ``steps``
    sine steps, which poppler evaluates for every pixel, for minutes, in 30 MB. Little content
    and little memory: only the document's time budget stops it."""
    pdf = pikepdf.new()
    function = pikepdf.Stream(pdf, b"{ " + b"2 copy mul sin exch pop " * steps + b"pop }")
    function.FunctionType, function.Domain, function.Range = 4, [0, 1, 0, 1], [0, 1]
    shading = pikepdf.Dictionary(
        ShadingType=1,
        ColorSpace=pikepdf.Name.DeviceGray,
        Domain=[0, 1, 0, 1],
        Function=function,
        Matrix=[LETTER_PT[0], 0, 0, LETTER_PT[1], 0, 0],
    )
    resources = pikepdf.Dictionary(Shading=pikepdf.Dictionary(Sh0=shading))
    _one_page(pdf, b"/Sh0 sh " * 4, resources)
    pdf.save(path)


def zigzag_path(path: Path, segments: int = 100_000) -> None:
    """About 22 KB whose page fills one path of ``segments`` lines, each crossing the whole
    page: little content (1.7 MB decoded), but poppler's rasteriser keeps every line for every
    row of pixels, and took 18 GB in a minute; its memory cap stops it."""
    points = (b"%d 792 l %d 0 l" % (i % 612, i * 7 % 612) for i in range(segments))
    pdf = pikepdf.new()
    _one_page(pdf, b"0 0 m " + b" ".join(points) + b" f*", pikepdf.Dictionary())
    pdf.save(path, compress_streams=True)


def declared_jpeg(path: Path, declared: tuple[int, int]) -> None:
    """A letter page that is one full-page JPEG (a scan, 100 ppi) whose own header declares
    ``declared`` (width, height) pixels, while the PDF's image dictionary says 850x1100."""
    width, height = 850, 1100
    data = bytearray(jpeg(np.full((height, width), 255, np.uint8), 75))
    sof = _start_of_frame(data)
    data[sof + 5 : sof + 7] = declared[1].to_bytes(2, "big")
    data[sof + 7 : sof + 9] = declared[0].to_bytes(2, "big")
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, bytes(data))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.DCTDecode
    drawn = f"{LETTER_PT[0]} 0 0 {LETTER_PT[1]} 0 0 cm /Im0 Do".encode()
    _one_page(pdf, drawn, pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)))
    pdf.save(path)


def integer_contents(path: Path) -> None:
    """A letter page whose /Contents is the integer 5 instead of a stream: poppler renders it
    as a 1x1 px image."""
    pdf = pikepdf.new()
    _one_page(pdf, b"", pikepdf.Dictionary())
    pdf.pages[0].obj.Contents = 5
    pdf.save(path)


def flate_bomb(path: Path, inflated_mib: int = 1024) -> None:
    """A content stream of about 1 KB per MiB that inflates to ``inflated_mib`` MiB of spaces."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    packed = b"".join(compressor.compress(chunk) for _ in range(inflated_mib))
    pdf = pikepdf.new()
    _one_page(pdf, b"", pikepdf.Dictionary())
    contents = pikepdf.Stream(pdf, b"")
    contents.write(packed + compressor.flush(), filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].obj.Contents = contents
    pdf.save(path, stream_decode_level=pikepdf.StreamDecodeLevel.none)  # keep it packed


def font_bomb(
    path: Path, inflated_mib: int = 1024, labelled: tuple[str, str] | None = None
) -> None:
    """A line of text in an embedded TrueType font whose program, about 1 KB per MiB, inflates
    to ``inflated_mib`` MiB of zeros: a reader of the text layer loads the font. ``labelled``
    sets a (key, value) in the program's stream dictionary, such as ("/Subtype", "/Image"),
    which pdfium ignores there."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    packed = b"".join(compressor.compress(chunk) for _ in range(inflated_mib))
    pdf = pikepdf.new()
    program = pikepdf.Stream(pdf, b"")
    program.write(packed + compressor.flush(), filter=pikepdf.Name.FlateDecode)
    program.Length1 = inflated_mib << 20
    if labelled:
        program[labelled[0]] = pikepdf.Name(labelled[1])
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name.Bomb,
        Flags=32,
        FontBBox=[0, -200, 1000, 800],
        ItalicAngle=0,
        Ascent=800,
        Descent=-200,
        CapHeight=700,
        StemV=80,
        FontFile2=pdf.make_indirect(program),
    )
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.TrueType,
        BaseFont=pikepdf.Name.Bomb,
        FirstChar=32,
        LastChar=126,
        Widths=[500] * 95,
        FontDescriptor=pdf.make_indirect(descriptor),
    )
    body = b"BT /F1 12 Tf 72 700 Td (Patient Name: Maria Lopez, Refills: 2) Tj ET"
    _one_page(pdf, body, pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=pdf.make_indirect(font))))
    pdf.save(path, stream_decode_level=pikepdf.StreamDecodeLevel.none)  # keep it packed


def long_text_layer(path: Path, megabytes: float = 5) -> None:
    """A letter page whose content shows ``megabytes`` MB of text: 12 000 overlapping lines
    of distinct words, which poppler's text extraction and rendering must work through."""
    lines, per_line = 12000, 2000
    chars = int(megabytes * (1 << 20))
    words = max(1, chars // (lines * 10))  # "w23999999 ": ten characters at most
    rows = (
        b"(" + b" ".join(b"w%d" % (row * per_line + i) for i in range(words)) + b") Tj T*"
        for row in range(lines)
    )
    body = b"BT /F1 1 Tf 0.06 TL 10 780 Td " + b"\n".join(rows) + b" ET"
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    pdf = pikepdf.new()
    _one_page(pdf, body, pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)))
    pdf.save(path, compress_streams=True)


BUILDERS = {
    "fanned_out_forms": fanned_out_forms,
    "zigzag_path": zigzag_path,
    "slow_shading": slow_shading,
    "jpeg_declares_32000": lambda path: declared_jpeg(path, (32000, 32000)),
    "jpeg_declares_60000": lambda path: declared_jpeg(path, (60000, 60000)),
    "integer_contents": integer_contents,
    "flate_bomb_1gib": flate_bomb,
    "font_bomb_1gib": font_bomb,
    "font_bomb_as_image": lambda path: font_bomb(path, labelled=("/Subtype", "/Image")),
    "type3_glyph_forms": type3_fanned_out,
    "text_layer_5mb": long_text_layer,
    "noise_12mp": noise_page,
}


def mutants(sources: list[bytes], count: int, seed: int) -> Iterator[tuple[str, bytes, int]]:
    """``count`` damaged copies of ``sources``: each is named by how it was made (bytes
    flipped, a cut, or a splice onto another file's tail, as a byte-level fuzzer makes them)
    and comes with the index of the source it started from."""
    rng = random.Random(seed)
    for index in range(count):
        origin = rng.randrange(len(sources))
        data = bytearray(sources[origin])
        kind = ("flip", "truncate", "splice")[index % 3]
        if kind == "flip":
            for _ in range(rng.randint(1, 64)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == "truncate":
            del data[rng.randrange(16, len(data)) :]
        else:
            other = rng.choice(sources)
            data = data[: rng.randrange(16, len(data))] + other[rng.randrange(len(other)) :]
        yield f"{index:04d}-{kind}", bytes(data), origin


def _one_page(pdf: pikepdf.Pdf, body: bytes, resources: pikepdf.Dictionary) -> None:
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, *LETTER_PT],
        Contents=pikepdf.Stream(pdf, body),
        Resources=resources,
    )
    pdf.pages.append(pikepdf.Page(page))


def _start_of_frame(data: bytearray) -> int:
    """Where the JPEG's baseline or progressive start-of-frame marker is."""
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        found = data.find(marker)
        if found >= 0:
            return found
    raise ValueError("no start-of-frame marker in the JPEG")
