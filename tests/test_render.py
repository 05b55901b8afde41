"""Page images: a full-page JPEG is decoded with its own pixels, anything else is rendered."""

import io
import zlib
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from conftest import drawn_pdf
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from medxtract_lab import render
from medxtract_lab.config import RenderSettings
from medxtract_lab.corpus.capture import image_pdf
from medxtract_lab.corpus.degrade import jpeg

SETTINGS = RenderSettings(dpi=300)


def _page(width: int = 600, height: int = 800) -> np.ndarray:
    """A grey page with black text, so decoded and rendered pixels can be compared."""
    image = np.full((height, width), 230, np.uint8)
    for row in range(60, height - 60, 60):
        cv2.putText(image, "Policy 12345", (40, row), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    return image


def _write(tmp_path: Path, data: bytes, name: str = "page.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _plan(path: Path, settings: RenderSettings = SETTINGS) -> list:
    return list(render.open_pdf(path, settings).info.scans)


def _load(path: Path, settings: RenderSettings = SETTINGS):
    return render.load_page(render.open_pdf(path, settings), 1, settings)


def test_a_full_page_jpeg_is_decoded_with_the_scanners_own_pixels(tmp_path) -> None:
    image = _page()
    path = _write(tmp_path, image_pdf([jpeg(image, 95)], [(600, 800)], 200))
    [scan] = _plan(path)
    assert (scan.width, scan.height, scan.ppi) == (600, 800, 200.0)
    decoded = _load(path)
    assert decoded.shape == (800, 600)  # not enlarged to 300 dpi
    rendered = render.render_page(path, 1, RenderSettings(dpi=200))
    assert rendered.shape == decoded.shape
    assert np.abs(decoded.astype(int) - rendered.astype(int)).mean() < 3


def test_a_scan_finer_than_the_config_is_reduced_to_its_dpi(tmp_path) -> None:
    path = _write(tmp_path, image_pdf([jpeg(_page(), 95)], [(600, 800)], 600))
    [scan] = _plan(path)
    assert scan.ppi == 600.0
    assert _load(path).shape == (400, 300)


def _partial_image(pdf: canvas.Canvas) -> None:
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 0, 0, 150, 200)


def _print_wrapper(pdf: canvas.Canvas) -> None:
    """What a print-to-PDF app writes around a photo: a white page, a clip a little inside the
    picture, the picture placed off the page's edges."""
    pdf.setFillColorRGB(1, 1, 1)
    pdf.rect(0, 0, 300, 400, stroke=0, fill=1)
    clip = pdf.beginPath()
    clip.rect(12, 15, 270, 370)
    pdf.clipPath(clip, stroke=0, fill=0)
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 10, 12, 276, 378)


def _photo_on_grey_paper(pdf: canvas.Canvas) -> None:
    pdf.setFillGray(0.5)
    pdf.rect(0, 0, 300, 200, stroke=0, fill=1)
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 50, 100, 200, 267)


def _fill_beyond_the_page(pdf: canvas.Canvas) -> None:
    """A black rectangle above the page's top edge (poppler draws none of it), then the photo
    on half the page: the fill's edges, off the page, must not be counted from its far side."""
    pdf.setFillGray(0)
    pdf.rect(20, 420, 260, 60, stroke=0, fill=1)
    pdf.rect(-80, 0, 40, 400, stroke=0, fill=1)
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 50, 100, 150, 200)


@pytest.mark.parametrize(
    "draw", [_partial_image, _print_wrapper, _photo_on_grey_paper, _fill_beyond_the_page]
)
def test_a_photo_placed_on_the_page_is_decoded_and_put_where_poppler_draws_it(
    tmp_path, draw
) -> None:
    """Decoding the photo and placing it costs a fraction of poppler's render of a 12 MP photo;
    the page must come out the same."""
    path = _write(tmp_path, drawn_pdf(draw))
    [scan] = _plan(path)
    assert scan is not None and scan.placement is not None
    composed = _load(path)
    # Never enlarged: a photo of fewer pixels per inch than the config is put at its own.
    rendered = render.render_page(path, 1, SETTINGS, round(min(SETTINGS.dpi, scan.ppi)))
    assert composed.shape == rendered.shape
    assert np.abs(composed.astype(int) - rendered.astype(int)).mean() < 3.5
    assert _best_shift(composed, rendered) in {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}


def _best_shift(first: np.ndarray, second: np.ndarray) -> tuple[int, int]:
    """The shift of ``second`` (up to 3 px each way) that matches ``first`` best: a picture put
    in the wrong place or at the wrong size matches at a larger shift, or at none."""
    inner = first[3:-3, 3:-3].astype(int)
    height, width = second.shape
    scores = {
        (dy, dx): np.abs(inner - second[3 + dy : height - 3 + dy, 3 + dx : width - 3 + dx]).mean()
        for dy in range(-3, 4)
        for dx in range(-3, 4)
    }
    return min(scores, key=scores.get)


def _two_images(pdf: canvas.Canvas) -> None:
    for y in (0, 200):
        pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(600, 400), 90))), 0, y, 300, 200)


def _rotated(pdf: canvas.Canvas) -> None:
    pdf.setPageRotation(90)
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 0, 0, 300, 400)


def _lossless(pdf: canvas.Canvas) -> None:
    png = cv2.imencode(".png", _page())[1].tobytes()
    pdf.drawImage(ImageReader(io.BytesIO(png)), 0, 0, 300, 400)


def _vector(pdf: canvas.Canvas) -> None:
    pdf.drawString(40, 300, "Policy Number: E123")


def _scan_with_a_stamp(pdf: canvas.Canvas) -> None:
    """A full-page JPEG with a line drawn over it: poppler must draw both."""
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 0, 0, 300, 400)
    pdf.line(20, 20, 280, 20)


def _scan_with_an_annotation(pdf: canvas.Canvas) -> None:
    """Annotations are drawn by viewers (and poppler) on top of the page content."""
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 0, 0, 300, 400)
    pdf.linkURL("https://example.invalid", (20, 20, 120, 50))


def _box_over_the_photo(pdf: canvas.Canvas) -> None:
    """A rectangle filled over the picture (a redaction) hides part of it: poppler draws it."""
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 0, 0, 300, 400)
    pdf.rect(20, 20, 100, 30, stroke=0, fill=1)


def _flipped(pdf: canvas.Canvas) -> None:
    pdf.translate(0, 400)
    pdf.scale(1, -1)
    pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 0, 0, 300, 400)


@pytest.mark.parametrize(
    "draw",
    [
        _two_images,
        _rotated,
        _lossless,
        _vector,
        _scan_with_a_stamp,
        _scan_with_an_annotation,
        _box_over_the_photo,
        _flipped,
    ],
)
def test_pages_that_are_not_one_full_page_jpeg_are_rendered(tmp_path, draw) -> None:
    path = _write(tmp_path, drawn_pdf(draw))
    assert _plan(path) == [None]
    assert _load(path).ndim == 2


def test_a_full_page_jpeg_inside_a_form_xobject_is_decoded(tmp_path) -> None:
    def draw(pdf: canvas.Canvas) -> None:
        pdf.beginForm("scan")
        pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 95))), 0, 0, 300, 400)
        pdf.endForm()
        pdf.doForm("scan")

    path = _write(tmp_path, drawn_pdf(draw))
    [scan] = _plan(path)
    assert (scan.width, scan.height, scan.ppi) == (600, 800, 144.0)
    assert _load(path).shape == (800, 600)


def test_a_jpeg_behind_a_flate_filter_is_rendered_not_inflated(tmp_path) -> None:
    """Flate in front of the JPEG could expand without bound (a decompression bomb)."""
    data = jpeg(_page(), 95)
    path = _write(tmp_path, image_pdf([data], [(600, 800)], 200))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        [image] = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Width")]
        image.write(zlib.compress(data), filter=[pikepdf.Name.FlateDecode, pikepdf.Name.DCTDecode])
        pdf.save(path)
    assert _plan(path) == [None]
    assert _load(path).shape == (800, 600)  # rendered, at the picture's own 200 ppi


def test_seed_style_colour_rendering_never_decodes(tmp_path) -> None:
    path = _write(tmp_path, image_pdf([jpeg(_page(), 95)], [(600, 800)], 200))
    assert _plan(path, RenderSettings(grayscale=False)) == [None]
    assert _plan(path, RenderSettings(decode_embedded_scans=False)) == [None]


def test_a_jpeg_that_will_not_decode_falls_back_to_poppler(tmp_path, monkeypatch) -> None:
    path = _write(tmp_path, image_pdf([jpeg(_page(), 95)], [(600, 800)], 200))
    [scan] = _plan(path)
    monkeypatch.setattr(render, "_decoded_gray", lambda _: None)  # a damaged JPEG stream
    image = _load(path)
    assert image.shape == (1200, 900)  # poppler's render at 300 dpi


@pytest.mark.parametrize("colour", [False, True])
def test_libjpeg_turbo_decodes_the_pixels_opencv_does(colour) -> None:
    page = _page()
    image = cv2.merge([page, page // 2, 255 - page]) if colour else page
    data = jpeg(image, 90)
    flags = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION
    expected = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    assert np.array_equal(render._decoded_gray(data), expected)


def test_a_jpeg_libjpeg_turbo_refuses_is_decoded_by_opencv(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise ValueError("tjDecompress2(): Premature end of JPEG file")

    monkeypatch.setattr(render.simplejpeg, "decode_jpeg", refuse)
    decoded = render._decoded_gray(jpeg(_page(), 90))
    assert decoded is not None and decoded.shape == (800, 600)


def test_a_huge_embedded_image_is_never_decoded_in_full(tmp_path, monkeypatch) -> None:
    path = _write(tmp_path, image_pdf([jpeg(_page(), 95)], [(600, 800)], 200))
    decoded = []
    monkeypatch.setattr(render, "_decoded_gray", lambda data: decoded.append(data))
    small = RenderSettings(dpi=72, max_page_pixels=100_000)  # the JPEG has 480 000 pixels
    [scan] = _plan(path, small)
    assert scan is None
    assert _load(path, small).shape == (288, 216)
    assert decoded == []


def test_a_scan_page_whose_content_inflates_is_rendered_not_parsed(tmp_path) -> None:
    """The content budget counts decoded bytes before parsing: a Flate stream under 4 KB that
    inflates to 4 MB of operators is refused at once, and the page is left to poppler."""
    path = _write(tmp_path, image_pdf([jpeg(_page(), 95)], [(600, 800)], 200))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        bomb = zlib.compress(b"q Q " * 1_000_000, 9)
        assert len(bomb) < 4096  # small enough to pass a budget of compressed bytes
        pdf.pages[0].contents_add(pdf.make_stream(bomb, Filter=pikepdf.Name.FlateDecode))
        pdf.save(path)
    assert _plan(path) == [None]  # parsed, those operators would pass for a clean scan


@pytest.mark.parametrize("ppi, dpi", [(144, 150), (200, 200), (600, 300)])
def test_a_photo_page_with_typed_text_renders_at_the_photos_resolution(tmp_path, ppi, dpi) -> None:
    """A 600x800 px photo drawn over the page, with a line typed on it, must be rendered (the
    typed line is not in the photo), at the photo's own resolution: finer adds no detail."""
    size = (600 * 72 / ppi, 800 * 72 / ppi)

    def draw(pdf: canvas.Canvas) -> None:
        pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 0, 0, *size)
        pdf.drawString(10, 10, "Refill: 2")

    path = _write(tmp_path, drawn_pdf(draw, size))
    assert _plan(path) == [None]
    page = _load(path)
    expected = (size[1] * dpi / 72, size[0] * dpi / 72)
    assert all(abs(got - want) <= 1 for got, want in zip(page.shape, expected, strict=True))


def test_seed_style_settings_render_a_photo_page_at_their_own_dpi(tmp_path) -> None:
    """The original pipeline rendered every page at 200 dpi; its baseline must not move."""
    size = (600 * 72 / 144, 800 * 72 / 144)

    def draw(pdf: canvas.Canvas) -> None:
        pdf.drawImage(ImageReader(io.BytesIO(jpeg(_page(), 90))), 0, 0, *size)

    path = _write(tmp_path, drawn_pdf(draw, size))
    seed = RenderSettings(dpi=200, grayscale=False, decode_embedded_scans=False)
    expected = (size[1] * 200 / 72, size[0] * 200 / 72)  # not the photo's 144
    got = _load(path, seed).shape[:2]
    assert all(abs(side - want) <= 1 for side, want in zip(got, expected, strict=True))
