"""The shapes of a page's text lines and letters tell a turned page from an upright one, and
which way it is turned."""

from pathlib import Path

import numpy as np
import pytest

from medxtract_lab import line_shape
from medxtract_lab.config import get_preset
from medxtract_lab.corpus import load_corpus
from medxtract_lab.line_shape import (
    HALF_TURN,
    LANDSCAPE,
    MIN_BANDS,
    SIDEWAYS_BELOW,
    UPSIDE_DOWN_BELOW,
    guessed_turn,
    letters_standing,
    line_offset,
    looks_upside_down,
)
from medxtract_lab.pages import ocr_input
from medxtract_lab.render import open_pdf

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"
DEFAULT = get_preset("default")


@pytest.fixture(scope="module")
def first_reads() -> list[np.ndarray]:
    """The first page of one document of each upright condition, as `default` reads it (the
    committed corpus's first document of each)."""
    docs = load_corpus(GROUND_TRUTH)
    images = []
    for source in ("scan", "photo", "camera", "annotated", "columns"):
        doc = next(d for d in docs if d.source == f"synthetic:{source}")
        images.append(ocr_input(open_pdf(doc.pdf_path, DEFAULT.render), 1, DEFAULT))
    return images


def test_upright_pages_are_not_taken_for_upside_down(first_reads) -> None:
    for image in first_reads:
        offset, bands = line_offset(image)
        assert bands >= MIN_BANDS
        assert offset > 0  # the ink sits below the middle of each line
        assert not looks_upside_down(image)


def test_the_same_pages_turned_upside_down_are(first_reads) -> None:
    for image in first_reads:
        turned = np.ascontiguousarray(image[::-1, ::-1])
        assert line_offset(turned)[0] < 0
        assert looks_upside_down(turned)


def test_a_page_without_text_lines_gives_no_verdict() -> None:
    blank = np.full((2200, 1700), 255, np.uint8)
    assert line_offset(blank) == (0.0, 0)
    assert not looks_upside_down(blank)
    ruled = blank.copy()
    ruled[::40, :] = 0  # rules one pixel high: too thin for a line of text
    assert line_offset(ruled) == (0.0, 0)
    assert not looks_upside_down(np.zeros((30, 30), np.uint8))


def test_a_few_lines_are_not_enough_for_a_verdict(first_reads) -> None:
    turned = np.ascontiguousarray(first_reads[0][::-1, ::-1])
    # Only a strip of the turned page: its lines still face down, but too few to act on.
    strip = np.ascontiguousarray(turned[:, :200])
    offset, bands = line_offset(strip)
    assert 0 < bands < MIN_BANDS
    assert offset < UPSIDE_DOWN_BELOW  # so only the count of lines holds the verdict back
    assert not looks_upside_down(strip)


@pytest.mark.parametrize("given", [1, 2, 3])
def test_a_turned_page_is_given_the_turn_that_puts_it_upright(first_reads, given) -> None:
    """A page given quarter turns counter-clockwise (landscape after one or three) needs the
    rest of a full turn."""
    for image in first_reads:
        turned = np.ascontiguousarray(np.rot90(image, given))
        if given % 2:
            assert letters_standing(turned)[0] < SIDEWAYS_BELOW  # its letters lie on their sides
        assert guessed_turn(turned) == 4 - given


def test_upright_pages_are_left_as_they_are(first_reads) -> None:
    for image in first_reads:
        assert letters_standing(image)[0] > SIDEWAYS_BELOW
        assert guessed_turn(image) == 0
        # On paper wider than high, letters standing: landscape, but the right way up.
        wide = np.full((image.shape[0], image.shape[1] * 3 // 2), 255, np.uint8)
        wide[:, : image.shape[1]] = image
        assert wide.shape[1] > wide.shape[0] * LANDSCAPE
        assert guessed_turn(wide) == 0
        assert guessed_turn(np.ascontiguousarray(wide[::-1, ::-1])) == HALF_TURN


def test_a_landscape_page_without_letters_gives_no_turn() -> None:
    """Nothing to judge by: the pipeline asks the engine instead."""
    blank = np.full((1700, 2200), 255, np.uint8)
    assert letters_standing(blank) == (0.0, 0)
    assert guessed_turn(blank) is None
    assert guessed_turn(blank.T.copy()) == 0  # a portrait page is only checked upside down


def test_lying_letters_with_too_few_lines_give_no_turn(first_reads) -> None:
    """A narrow band of a sideways page: its letters lie, but its lines, turned, are too few
    to say which way they face."""
    sideways = np.ascontiguousarray(np.rot90(first_reads[0]))
    # Of the bands 64 rows high (one strip of the upright page), the one with most letters.
    bands = [sideways[top : top + 64] for top in range(0, sideways.shape[0] - 64, 32)]
    band = np.ascontiguousarray(max(bands, key=lambda b: letters_standing(b)[1]))
    assert band.shape[1] > band.shape[0] * LANDSCAPE
    balance, letters = letters_standing(band)
    assert balance < SIDEWAYS_BELOW and letters >= line_shape.MIN_LETTERS
    assert 0 < line_offset(np.rot90(band))[1] < MIN_BANDS
    assert guessed_turn(band) is None


def test_a_portrait_page_is_never_checked_for_lying_letters(first_reads, monkeypatch) -> None:
    """The judged speed path: a portrait page costs only the upside-down check."""

    def refuse(half):  # noqa: ANN001, ANN202
        raise AssertionError("a portrait page was checked for lying letters")

    monkeypatch.setattr(line_shape, "_half_letters_standing", refuse)
    for image in first_reads:
        assert guessed_turn(image) == 0
        assert guessed_turn(np.ascontiguousarray(image[::-1, ::-1])) == HALF_TURN
