"""A page's image and its OCR input: the one wiring of render (or decode) and preprocessing.

The pipeline's first read, the re-read of doubtful fields, the tuner widget, the labeler and the
Streamlit page all get page pixels here: the same source of pixels (the decoded scan or the
render) behind the same page-size guard, at the resolution each needs.
"""

from __future__ import annotations

import numpy as np

from medxtract_lab.config import PipelineConfig, RenderSettings, Step
from medxtract_lab.errors import NoisePage
from medxtract_lab.preprocess import STEPS, apply_steps_placed, specks_past
from medxtract_lab.render import PdfDocument, check_page_sizes, load_page, load_page_for_text
from medxtract_lab.stopwatch import Stopwatch

PREVIEW_DPI = 60
# Separate ink specks past which a page is noise, not text (preprocess.specks_past). Tesseract's
# work grows with them: the most speckled corpus scan has 6 200 and a full page of 6-point print
# 14 900 (both at 300 dpi); random noise decoded to 300 dpi has 52 000, and Tesseract spent over
# two minutes and 1.6 GB on such a page.
MAX_INK_SPECKS = 40_000


def page_image(
    pdf: PdfDocument, number: int, settings: RenderSettings, turns: int = 0
) -> np.ndarray:
    """Page ``number`` (1-based) as pixels: decoded or rendered, refused when too large, and
    given ``turns`` quarter turns counter-clockwise (a sideways scan read upright)."""
    check_page_sizes(pdf, settings, [number])
    image = load_page(pdf, number, settings)
    return np.ascontiguousarray(np.rot90(image, turns)) if turns % 4 else image


def ocr_input(
    pdf: PdfDocument,
    number: int,
    config: PipelineConfig,
    watch: Stopwatch | None = None,
    turns: int = 0,
) -> np.ndarray:
    """What the OCR engine reads for page ``number`` (see ``placed_ocr_input``)."""
    return placed_ocr_input(pdf, number, config, watch, turns)[0]


def placed_ocr_input(
    pdf: PdfDocument,
    number: int,
    config: PipelineConfig,
    watch: Stopwatch | None = None,
    turns: int = 0,
) -> tuple[np.ndarray, tuple[float, ...]]:
    """What the OCR engine reads for page ``number``: the page image, turned by ``turns``
    quarter turns and preprocessed; a page of noise is refused before any step enlarges it
    (a decoded picture may come enlarged past the config's dpi, never past its own pixels).
    Also where preprocessing moved the content (``Page.frame``). Rendering and preprocessing
    are timed on ``watch`` when given."""
    watch = watch or Stopwatch()
    with watch.stage("render"):
        image, steps = steps_start(pdf, number, config, turns)
    with watch.stage("preprocess"):
        specks = specks_past(image, MAX_INK_SPECKS)
        if specks is not None:
            raise NoisePage(
                f"Page {number} of {pdf.name} looks like noise, not text ({specks} separate "
                f"specks of ink; a page of text has under {MAX_INK_SPECKS}). Scan or "
                "photograph the page again, in focus and with enough light."
            )
        image, frame = apply_steps_placed(image, steps)
        return image, frame_of(frame)


def steps_start(
    pdf: PdfDocument, number: int, config: PipelineConfig, turns: int = 0
) -> tuple[np.ndarray, tuple[Step, ...]]:
    """The page image that ``config``'s steps start from, and the steps left to run on it:
    ``page_image``, except that an upright page decoded from its JPEG, in a config whose steps
    begin with ``resample_text``, comes out already resampled from the picture's own pixels
    (``render.decode_scan``), and that step is left out. Every reader of a page in the
    config's geometry (the first read, re-reads) starts here, so they share one frame."""
    target = leading_resample(config.steps) if turns % 4 == 0 else None
    if target is None:
        return page_image(pdf, number, config.render, turns), config.steps
    check_page_sizes(pdf, config.render, [number])
    image, resampled = load_page_for_text(pdf, number, config.render, target)
    return image, remaining_steps(config.steps, resampled)


def remaining_steps(steps: tuple[Step, ...], resampled: bool) -> tuple[Step, ...]:
    """``steps`` without their leading ``resample_text`` when the page was made resampled."""
    if not resampled:
        return steps
    first = next(i for i, s in enumerate(steps) if s.name == "resample_text")
    return steps[:first] + steps[first + 1 :]


def leading_resample(steps: tuple[Step, ...]) -> float | None:
    """The target of a ``resample_text`` step that comes before every other step but
    ``grayscale`` (which a decoded page already is), or None."""
    for step in steps:
        if step.name == "resample_text":
            return float(step.params.get("target", STEPS["resample_text"].params["target"].default))
        if step.name != "grayscale":
            return None
    return None


def frame_of(homography: np.ndarray) -> tuple[float, ...]:
    """A homography as ``Page.frame`` stores it: () for one that moves nothing."""
    if np.allclose(homography, np.eye(3)):
        return ()
    return tuple(round(float(v), 9) for v in homography.ravel())


def preview(pdf: PdfDocument, number: int, dpi: int = PREVIEW_DPI) -> np.ndarray:
    """A small grayscale picture of a page for a person to look at."""
    return page_image(pdf, number, RenderSettings(dpi=dpi))
