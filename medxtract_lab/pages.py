"""A page's image and its OCR input: the one wiring of render (or decode) and preprocessing.

The pipeline's first read, the re-read of doubtful fields, the tuner widget, the labeler and the
Streamlit page all get page pixels here: the same source of pixels (the decoded scan or the
render) behind the same page-size guard, at the resolution each needs.
"""

from __future__ import annotations

import numpy as np

from medxtract_lab.config import PipelineConfig, RenderSettings
from medxtract_lab.errors import NoisePage
from medxtract_lab.preprocess import apply_steps_placed, ink_specks
from medxtract_lab.render import PdfDocument, check_page_sizes, load_page
from medxtract_lab.stopwatch import Stopwatch

PREVIEW_DPI = 60
# Separate ink specks past which a page is noise, not text (preprocess.ink_specks). Tesseract's
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
    quarter turns and preprocessed; a page of noise is refused before any step enlarges it.
    Also where preprocessing moved the content (``Page.frame``). Rendering and preprocessing
    are timed on ``watch`` when given."""
    watch = watch or Stopwatch()
    with watch.stage("render"):
        image = page_image(pdf, number, config.render, turns)
    with watch.stage("preprocess"):
        specks = ink_specks(image)
        if specks > MAX_INK_SPECKS:
            raise NoisePage(
                f"Page {number} of {pdf.name} looks like noise, not text ({specks} separate "
                f"specks of ink; a page of text has under {MAX_INK_SPECKS}). Scan or "
                "photograph the page again, in focus and with enough light."
            )
        image, frame = apply_steps_placed(image, config.steps)
        return image, frame_of(frame)


def frame_of(homography: np.ndarray) -> tuple[float, ...]:
    """A homography as ``Page.frame`` stores it: () for one that moves nothing."""
    if np.allclose(homography, np.eye(3)):
        return ()
    return tuple(round(float(v), 9) for v in homography.ravel())


def preview(pdf: PdfDocument, number: int, dpi: int = PREVIEW_DPI) -> np.ndarray:
    """A small grayscale picture of a page for a person to look at."""
    return page_image(pdf, number, RenderSettings(dpi=dpi))
