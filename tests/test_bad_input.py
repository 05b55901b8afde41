"""Every bad input fails fast with its own exception and exit code, leaving no temp files."""

import os
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from conftest import blank_pdf

from medxtract_lab import errors, pdfium_child, pipeline, poppler, render, text_layer
from medxtract_lab.cli import main
from medxtract_lab.config import PipelineConfig, RenderSettings
from medxtract_lab.corpus import hostile
from medxtract_lab.corpus.capture import type_onto
from medxtract_lab.page_content import stream_bytes
from medxtract_lab.pipeline import extract

TWO_PAGE_LIMIT = PipelineConfig(render=RenderSettings(max_pages=2))


def _truncated() -> bytes:
    whole = blank_pdf(3)
    return whole[: len(whole) // 3]


CASES = {
    "empty": (b"", errors.EmptyFile),
    "random_bytes": (os.urandom(4096), errors.NotAPdf),
    "truncated": (_truncated(), errors.CorruptPdf),
    "encrypted": (blank_pdf(1, password="secret"), errors.EncryptedPdf),
    "too_many_pages": (blank_pdf(3), errors.TooManyPages),
    "huge_page": (blank_pdf(1, size=(20000, 20000), text=False), errors.PageTooLarge),
}


@pytest.fixture
def never_rasterise(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guards must refuse these files before any page is rendered."""

    def refuse(*args, **kwargs):
        raise AssertionError("a page was rasterised before the input was validated")

    monkeypatch.setattr(render, "render_page", refuse)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_raises_its_error(case, tmp_path, private_tmp, never_rasterise) -> None:
    data, error = CASES[case]
    path = tmp_path / f"{case}.pdf"
    path.write_bytes(data)
    with pytest.raises(error) as raised:
        extract(path, "prescription", TWO_PAGE_LIMIT)
    assert isinstance(raised.value, errors.InputError)
    assert path.name in str(raised.value) or case == "too_many_pages"
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_exit_code_2_with_one_line_message(case, tmp_path, private_tmp, capsys) -> None:
    data, error = CASES[case]
    path = tmp_path / f"{case}.pdf"
    path.write_bytes(data)
    config = tmp_path / "limit.yaml"
    config.write_text("render:\n  max_pages: 2\n")
    code = main(["extract", str(path), "--type", "prescription", "--config", str(config)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert error.code in err
    assert list(private_tmp.iterdir()) == []


def test_a_huge_born_digital_page_is_read_from_its_text_layer(tmp_path, never_rasterise) -> None:
    """The page-size guard protects rasterising; a page that is never rasterised passes."""
    path = tmp_path / "poster.pdf"
    path.write_bytes(blank_pdf(1, size=(20000, 20000)))
    result = extract(path, "prescription", TWO_PAGE_LIMIT)
    assert result.page_sources == ["text_layer"]


def test_the_size_guard_measures_the_media_box_that_poppler_rasterises(tmp_path) -> None:
    """A small crop box does not hide a huge media box: poppler renders the media box."""
    path = tmp_path / "cropped.pdf"
    path.write_bytes(blank_pdf(1, size=(20000, 20000), text=False))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.CropBox = pikepdf.Array([0, 0, 612, 792])
        pdf.save(path)
    with pytest.raises(errors.PageTooLarge, match="20000x20000 pt"):
        render.check_page_sizes(render.open_pdf(path, RenderSettings()), RenderSettings())


def test_unknown_doc_type_is_bad_input(tmp_path, capsys) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(blank_pdf(1))
    with pytest.raises(errors.UnknownDocType, match="prescription"):
        extract(path, "invoice")
    assert main(["extract", str(path), "--type", "invoice"]) == 2
    assert "unknown_doc_type" in capsys.readouterr().err


def test_missing_file_has_its_own_error(tmp_path, capsys) -> None:
    with pytest.raises(errors.FileMissing, match="absent.pdf does not exist"):
        extract(tmp_path / "absent.pdf", "prescription")
    assert main(["extract", str(tmp_path / "absent.pdf"), "--type", "prescription"]) == 2
    assert "file_not_found" in capsys.readouterr().err


def test_missing_poppler_exits_3(tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(blank_pdf(1, text=False))  # no text layer: poppler renders it
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    code = main(["extract", str(path), "--type", "prescription"])
    assert code == 3
    assert "apt-get install poppler-utils" in capsys.readouterr().err


def test_messages_say_what_to_do(tmp_path) -> None:
    path = Path(tmp_path / "big.pdf")
    path.write_bytes(blank_pdf(1, size=(20000, 20000), text=False))
    with pytest.raises(errors.PageTooLarge, match="normal paper size"):
        extract(path, "prescription")


def test_a_page_poppler_renders_as_a_speck_is_a_corrupt_pdf(tmp_path, private_tmp) -> None:
    """A /Contents that is an integer renders to 1x1 px, which the image steps cannot take."""
    path = tmp_path / "speck.pdf"
    hostile.integer_contents(path)
    with pytest.raises(errors.CorruptPdf, match="rendered to 1x1 px"):
        extract(path, "prescription")
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("declared", [(32000, 32000), (60000, 60000)])
def test_a_jpeg_declaring_a_huge_size_is_refused_before_decoding(tmp_path, declared) -> None:
    """The JPEG's own header, not the PDF's image dictionary, decides what a decoder allocates:
    a page whose JPEG declares more than the pixel limit is refused without decoding it."""
    path = tmp_path / "declared.pdf"
    hostile.declared_jpeg(path, declared)
    pdf = render.open_pdf(path, RenderSettings())
    assert pdf.info.scans[0] is not None  # the page looks like a plain scan from its PDF dict
    with pytest.raises(errors.PageTooLarge, match=f"JPEG declares {declared[0]}x{declared[1]}"):
        extract(path, "prescription")


def test_a_jpeg_declaring_another_size_is_rendered_not_decoded(tmp_path) -> None:
    """A JPEG whose header disagrees with its PDF image, within the limit: poppler renders
    the page, as a viewer would, instead of the decoder trusting either."""
    path = tmp_path / "declared.pdf"
    hostile.declared_jpeg(path, (900, 1200))
    pdf = render.open_pdf(path, RenderSettings())
    page = render.load_page(pdf, 1, RenderSettings())
    assert page.shape == (3300, 2550)  # letter at 300 dpi: poppler's render, not the JPEG
    assert extract(path, "prescription").page_sources == ["ocr"]


@pytest.mark.parametrize(
    "build",
    [
        hostile.fanned_out_forms,
        lambda path: hostile.fanned_out_forms(path, escaped=True),
        hostile.flate_bomb,
    ],
    ids=["fanned_out", "fanned_out_escaped_names", "flate_bomb"],
)
def test_unbounded_drawing_is_refused_before_poppler(build, tmp_path, private_tmp, monkeypatch):
    """A Flate bomb and forms fanned out 4 wide and 30 deep are a few KB on disk and without
    bound for poppler: the page's drawing is measured in-process and refused first."""

    def no_poppler(*args, **kwargs):
        raise AssertionError("poppler ran on a page that should have been refused")

    monkeypatch.setattr(poppler, "run", no_poppler)  # every poppler program goes through it
    path = tmp_path / "hostile.pdf"
    build(path)
    with pytest.raises(errors.PageTooComplex, match="Page 1 of hostile.pdf draws more than 32"):
        extract(path, "prescription")
    assert list(private_tmp.iterdir()) == []


def test_a_page_of_megabytes_of_text_is_read_by_ocr_not_refused(tmp_path, monkeypatch) -> None:
    """Megabytes of text operators are below the drawing limit (work, not a bomb) but above
    what pdfium is given: the page is rendered and read, with a warning."""
    path = tmp_path / "long.pdf"
    hostile.long_text_layer(path, megabytes=1.5)
    monkeypatch.setattr(pdfium_child, "run", _not_pdfium)
    result = extract(path, "prescription")
    assert result.page_sources == ["ocr"]
    assert any("page(s) 1 draw more content than a page of print" in w for w in result.warnings)


@pytest.mark.parametrize(
    "labelled",
    [None, ("/Subtype", "/Image"), ("/Subtype", "/Form"), ("/Type", "/XRef"), ("/Type", "/ObjStm")],
)
def test_a_font_that_inflates_to_a_gigabyte_is_never_given_to_pdfium(
    labelled, tmp_path, monkeypatch
):
    """pdfium inflates fonts in full (2.1 GB for a 1 GiB font, past its child's cap): the
    document's streams are measured first, within a cap, and over it its pages are read by
    OCR instead (poppler renders them under its memory cap; `benchmarks/hostile_files.py`
    runs the 1 GiB font, which poppler cannot render either). Images, forms and the file's
    own index streams are not measured, so a font program calling itself one must still
    count: pdfium reads it as the font it is used as."""
    path = tmp_path / "font.pdf"
    hostile.font_bomb(path, inflated_mib=80, labelled=labelled)
    monkeypatch.setattr(pdfium_child, "run", _not_pdfium)
    result = extract(path, "prescription")
    assert result.page_sources == ["ocr"]
    assert any("decode to over 64 MB" in w for w in result.warnings)


def test_a_page_set_in_type3_fonts_is_read_from_its_text_layer(tmp_path) -> None:
    """Type3 fonts (glyphs that are programs) are common in exported charts and old TeX
    output: a page set in matplotlib's is born-digital, read from its text layer."""
    import matplotlib
    from matplotlib import pyplot

    matplotlib.use("Agg")

    figure = pyplot.figure(figsize=(8.5, 11))
    for row in range(60):
        figure.text(0.05, 0.97 - row * 0.016, "Patient Name: Maria Lopez  Refills: 2", size=8)
    path = tmp_path / "type3.pdf"
    with matplotlib.rc_context({"pdf.fonttype": 3}):
        figure.savefig(path)
    pyplot.close(figure)
    with pikepdf.open(path) as pdf:
        fonts = list(pdf.pages[0].resources.Font.values())
        assert {str(f.Subtype) for f in fonts} == {"/Type3"}
        assert not any("/Resources" in f for f in fonts)
    result = extract(path, "prescription")
    assert result.page_sources == ["text_layer"] and result.warnings == []


def test_a_large_picture_beside_the_text_does_not_count_as_text_data(tmp_path) -> None:
    """A photo in a born-digital page is drawn, not decoded to read text: a 2 MB JPEG (which
    would count 64 times its size, being undecoded here) with a soft mask as large, in a
    shared /XObject dictionary or a stream standing in for one, leaves the text layer read."""
    noise = np.random.default_rng(0).integers(0, 255, (1500, 1500), np.uint8)
    data = cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    assert len(data) * 64 > text_layer.MAX_STREAM_BYTES
    for holder in ("dictionary", "stream"):
        pdf = pikepdf.new()
        image = pdf.make_stream(data, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image)
        image.Width = image.Height = 1500
        image.BitsPerComponent, image.ColorSpace = 8, pikepdf.Name.DeviceGray
        image.Filter = pikepdf.Name.DCTDecode
        image.SMask = pdf.make_stream(data, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image)
        image.SMask.Width = image.SMask.Height = 1500
        image.SMask.BitsPerComponent, image.SMask.ColorSpace = 8, pikepdf.Name.DeviceGray
        image.SMask.Filter = pikepdf.Name.DCTDecode
        shared = pdf.make_stream(b"") if holder == "stream" else pikepdf.Dictionary()
        shared.Im = image
        font = pikepdf.Dictionary(Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
        body = b"BT /F1 12 Tf 72 700 Td (Patient Name: Maria Lopez, Refills: 2) Tj ET"
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 612, 792],
            Contents=pdf.make_stream(body + b" q 100 0 0 100 72 72 cm /Im Do Q"),
            Resources=pikepdf.Dictionary(
                XObject=pdf.make_indirect(shared), Font=pikepdf.Dictionary(F1=font)
            ),
        )
        pdf.pages.append(pikepdf.Page(page))
        path = tmp_path / f"{holder}.pdf"
        pdf.save(path)
        info = render.read_info(path, RenderSettings())
        assert info.text_streams < 1024  # the image not counted
        assert extract(path, "prescription").page_sources == ["text_layer"]


def test_a_file_too_tangled_to_measure_counts_as_over_the_stream_cap(tmp_path) -> None:
    """Telling a drawn stream from a font's looks through every dictionary and array; a
    small file can nest millions of arrays, so the look stops after a bounded number."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.Junk = pdf.make_indirect(pikepdf.Array([pikepdf.Array() for _ in range(300_000)]))
    path = tmp_path / "tangled.pdf"
    pdf.save(path)
    with pikepdf.open(path) as opened:
        assert stream_bytes(opened, 1 << 20) == (1 << 20) + 1
    pdf.Root.Junk = pdf.make_indirect(pikepdf.Array([pikepdf.Array() for _ in range(1000)]))
    pdf.save(tmp_path / "plain.pdf")
    with pikepdf.open(tmp_path / "plain.pdf") as opened:
        assert stream_bytes(opened, 1 << 20) < 1 << 20


def _not_pdfium(*_args: object, **_kwargs: object) -> None:
    pytest.fail("pdfium was given the file")


def test_an_annotation_s_appearance_counts_as_drawing(tmp_path) -> None:
    """poppler draws annotations with the page (and pdfium reads them flattened), so their
    appearance streams count towards the drawing limit like the page's own content."""
    plain = blank_pdf(1)
    path = tmp_path / "typed.pdf"
    path.write_bytes(type_onto(plain, "Received by the front desk", as_annotation=True))
    settings = RenderSettings()
    (tmp_path / "plain.pdf").write_bytes(plain)
    before = render.read_info(tmp_path / "plain.pdf", settings).drawing[0]
    after = render.read_info(path, settings).drawing[0]
    assert after > before > 0


def test_a_user_unit_scaled_page_is_measured_at_its_scaled_size(tmp_path, never_rasterise) -> None:
    """/UserUnit 75000 makes a letter page 75000 times larger each way for a renderer that
    honours it: the size guard counts it and refuses the page before rasterising."""
    path = tmp_path / "scaled.pdf"
    path.write_bytes(blank_pdf(1, text=False))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.UserUnit = 75000
        pdf.save(path)
    with pytest.raises(errors.PageTooLarge, match="45900000x59400000 pt"):
        extract(path, "prescription")


def test_a_page_of_noise_is_refused_before_ocr(tmp_path, private_tmp, monkeypatch) -> None:
    """12 megapixels of random pixels hold eight times the specks of the most speckled corpus
    scan: refused before preprocessing could enlarge them and Tesseract work on them for
    minutes."""

    def no_ocr(*args, **kwargs):
        raise AssertionError("a page of noise reached the OCR engine")

    monkeypatch.setattr(pipeline, "_recognize", no_ocr)
    path = tmp_path / "noise.pdf"
    hostile.noise_page(path, megapixels=12)
    with pytest.raises(errors.NoisePage, match="Page 1 of noise.pdf looks like noise"):
        extract(path, "prescription")
    assert list(private_tmp.iterdir()) == []


def test_a_render_over_its_memory_cap_is_stopped(tmp_path, private_tmp) -> None:
    """A 22 KB path that took poppler to 18 GB: its address-space cap stops it in seconds."""
    path = tmp_path / "zigzag.pdf"
    hostile.zigzag_path(path)
    with pytest.raises(errors.CorruptPdf, match="cannot be rendered .*over its 768 MB cap"):
        extract(path, "prescription")
    assert list(private_tmp.iterdir()) == []
