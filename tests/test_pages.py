"""Where a config's steps start: a decoded picture comes out already at the working text size."""

import io
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from conftest import drawn_pdf
from reportlab.lib.utils import ImageReader

from medxtract_lab import render
from medxtract_lab.config import Step, get_preset
from medxtract_lab.corpus.capture import image_pdf
from medxtract_lab.corpus.degrade import jpeg
from medxtract_lab.pages import page_image, steps_start
from medxtract_lab.preprocess import resample_text, text_height

DEFAULT = get_preset("default")


def _form(width: int, height: int, scale: float) -> np.ndarray:
    """Lines of text on white paper, letters about ``25 * scale`` px high."""
    image = np.full((height, width), 250, np.uint8)
    step = round(70 * scale)
    for row in range(step, height - step // 2, step):
        cv2.putText(
            image, "Policy 12345 Smith", (step // 2, row), cv2.FONT_HERSHEY_SIMPLEX, scale, 20, 2
        )
    return image


def _open(tmp_path: Path, data: bytes):  # noqa: ANN202
    path = tmp_path / "page.pdf"
    path.write_bytes(data)
    return render.open_pdf(path, DEFAULT.render)


def _without_resample(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    return tuple(s for s in steps if s.name != "resample_text")


def test_a_scan_with_large_text_starts_as_the_step_would_leave_it(tmp_path) -> None:
    """A page decoded at its own 300 ppi: the measure and the resize are the step's own, so the
    pixels are the same, and the step is not run again."""
    picture = _form(1200, 1600, 1.6)
    pdf = _open(tmp_path, image_pdf([jpeg(picture, 95)], [(1200, 1600)], 300))
    image, steps = steps_start(pdf, 1, DEFAULT)
    expected = resample_text(page_image(pdf, 1, DEFAULT.render), 20)
    assert expected.shape[0] < 1600 * 0.9  # the step shrinks this page
    assert np.array_equal(image, expected)
    assert steps == _without_resample(DEFAULT.steps)


def test_small_text_is_left_to_the_step_after_the_noise_guard(tmp_path) -> None:
    """A picture with no pixels to spare (300 ppi): enlarging waits for the noise guard, and
    the page comes as decoded, with every step."""
    picture = _form(1200, 1600, 0.5)
    pdf = _open(tmp_path, image_pdf([jpeg(picture, 95)], [(1200, 1600)], 300))
    assert text_height(picture) < 18
    image, steps = steps_start(pdf, 1, DEFAULT)
    assert np.array_equal(image, page_image(pdf, 1, DEFAULT.render))
    assert steps == DEFAULT.steps


def test_small_text_on_a_finer_picture_is_enlarged_from_the_pictures_own_pixels(tmp_path) -> None:
    """A 400-ppi scan whose text the step would enlarge at 300 dpi, but to no more pixels than
    the picture has: made once from the picture at the working size, not shrunk to 300 dpi and
    enlarged again (a camera photo of small print)."""
    picture = _form(1600, 2000, 1.0)
    pdf = _open(tmp_path, image_pdf([jpeg(picture, 95)], [(1600, 2000)], 400))
    at_300 = page_image(pdf, 1, DEFAULT.render)
    two_steps = resample_text(at_300, 20)
    assert at_300.shape[0] < two_steps.shape[0] <= picture.shape[0]  # the step enlarges
    image, steps = steps_start(pdf, 1, DEFAULT)
    assert steps == _without_resample(DEFAULT.steps)
    assert abs(image.shape[0] - two_steps.shape[0]) <= 0.05 * two_steps.shape[0]
    assert 16 <= text_height(image) <= 24
    # The same page, from one resize of the picture.
    same = cv2.resize(two_steps, image.shape[::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(same.astype(int) - image.astype(int)).mean() < 4


def test_text_needing_more_pixels_than_the_picture_has_is_left_to_the_step(tmp_path) -> None:
    """A 400-ppi scan whose text needs enlarging by more than the 4/3 its pixels allow over
    300 dpi: made at 300 dpi, and the step enlarges it after the noise guard."""
    picture = _form(1600, 2000, 0.85)
    pdf = _open(tmp_path, image_pdf([jpeg(picture, 95)], [(1600, 2000)], 400))
    at_300 = page_image(pdf, 1, DEFAULT.render)
    assert resample_text(at_300, 20).shape[0] > picture.shape[0]  # past the picture's own
    image, steps = steps_start(pdf, 1, DEFAULT)
    assert np.array_equal(image, at_300)
    assert steps == DEFAULT.steps


def test_a_photo_stretched_on_its_page_is_not_enlarged_past_its_own_pixels(tmp_path) -> None:
    """A photo drawn at 400 ppi across but 200 ppi down: enlarging its small text from 300 dpi
    would invent pixels down the page, so the step is left to do it."""
    picture = _form(1600, 1000, 0.6)

    def stretched(pdf) -> None:  # noqa: ANN001 - 4 x 5 inches from 1600 x 1000 px
        pdf.drawImage(ImageReader(io.BytesIO(jpeg(picture, 95))), 0, 0, 288, 360)

    pdf = _open(tmp_path, drawn_pdf(stretched))
    scan = pdf.info.scans[0]
    assert scan is not None and scan.placement is not None and scan.ppi == 200
    as_placed = page_image(pdf, 1, DEFAULT.render)  # at the photo's own 200 ppi
    assert resample_text(as_placed, 20).shape[0] > as_placed.shape[0]  # the step enlarges
    image, steps = steps_start(pdf, 1, DEFAULT)
    assert steps == DEFAULT.steps
    assert np.array_equal(image, as_placed)


def test_a_fine_photo_placed_on_its_page_is_made_at_the_working_size(tmp_path) -> None:
    """A 400-ppi photo placed on a page: made once at the size where its text is about 20 px
    high, rather than at 300 dpi and again by the step."""
    picture = _form(1600, 2000, 2.0)  # 4 x 5 inches at 400 ppi

    def placed(pdf) -> None:  # noqa: ANN001 - a print app's wrapper: fill, clip, photo
        pdf.setFillColorRGB(1, 1, 1)
        pdf.rect(0, 0, 300, 400, stroke=0, fill=1)
        clip = pdf.beginPath()
        clip.rect(6, 22, 288, 356)
        pdf.clipPath(clip, stroke=0, fill=0)
        pdf.drawImage(ImageReader(io.BytesIO(jpeg(picture, 92))), 6, 20, 288, 360)

    pdf = _open(tmp_path, drawn_pdf(placed))
    assert pdf.info.scans[0] is not None and pdf.info.scans[0].placement is not None
    image, steps = steps_start(pdf, 1, DEFAULT)
    assert steps == _without_resample(DEFAULT.steps)
    two_steps = resample_text(page_image(pdf, 1, DEFAULT.render), 20)
    at_300 = page_image(pdf, 1, DEFAULT.render)
    assert image.shape[0] < 0.9 * at_300.shape[0]
    assert abs(image.shape[0] - two_steps.shape[0]) <= 0.1 * two_steps.shape[0]
    assert 16 <= text_height(image) <= 24
    # The same page: the photo where poppler puts it, at the working size.
    small = cv2.resize(two_steps, image.shape[::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - image.astype(int)).mean() < 4


def test_a_config_that_does_not_start_with_resample_reads_the_page_as_it_is(tmp_path) -> None:
    picture = _form(1200, 1600, 1.6)
    pdf = _open(tmp_path, image_pdf([jpeg(picture, 95)], [(1200, 1600)], 300))
    config = replace(DEFAULT, steps=(Step("deskew", {"max_degrees": 5.0}), *DEFAULT.steps))
    image, steps = steps_start(pdf, 1, config)
    assert np.array_equal(image, page_image(pdf, 1, DEFAULT.render))
    assert steps == config.steps
    turned, steps = steps_start(pdf, 1, DEFAULT, turns=1)  # measured upright, by the step
    assert turned.shape == (1200, 1600) and steps == DEFAULT.steps
