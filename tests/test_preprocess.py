"""Preprocessing steps on synthetic images with known properties."""

import random

import numpy as np
import pdf2image
import pytest

from medxtract_lab.corpus import degrade, layout, values
from medxtract_lab.preprocess import (
    MIN_DESKEW_DEGREES,
    deskew,
    estimate_skew,
    normalize_illumination,
)


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    rng = random.Random(5)
    pdf, _ = layout.draw_prescription(values.prescription_values(rng), rng)
    return np.asarray(pdf2image.convert_from_bytes(pdf, dpi=150, grayscale=True)[0])


@pytest.mark.parametrize("seed", range(4))
def test_deskew_recovers_the_scan_angle(page, seed) -> None:
    skewed, angle = degrade.scan(page, np.random.default_rng(seed))
    assert abs(estimate_skew(skewed) - angle) <= 0.3


@pytest.mark.parametrize("seed", [3, 4, 5])  # scans skewed by 1.2 to 1.8 degrees
def test_deskew_straightens_the_text_lines(page, seed) -> None:
    skewed, angle = degrade.scan(page, np.random.default_rng(seed))
    assert abs(angle) > MIN_DESKEW_DEGREES
    straight = deskew(skewed, 5.0)
    assert straight.shape == skewed.shape
    assert abs(estimate_skew(straight)) <= 0.15


@pytest.mark.parametrize("seed", [0, 2, 7])  # scans skewed by 0.5 to 0.95 degrees
def test_deskew_leaves_a_slight_slope_to_tesseract(page, seed) -> None:
    skewed, angle = degrade.scan(page, np.random.default_rng(seed))
    assert 0.4 < abs(angle) < MIN_DESKEW_DEGREES
    assert deskew(skewed, 5.0) is skewed


def test_shadow_normalisation_flattens_the_background(page) -> None:
    shadowed = page.astype(np.float32)
    shadowed[:, : page.shape[1] // 2] *= 0.5  # a hard shadow over half the page
    ramp = np.linspace(1.0, 0.7, page.shape[0])[:, None]
    shadowed = (shadowed * ramp).astype(np.uint8)
    paper = page > 200
    before = np.percentile(shadowed[paper], 95) - np.percentile(shadowed[paper], 5)
    flat = normalize_illumination(shadowed, 41)
    after = np.percentile(flat[paper], 95) - np.percentile(flat[paper], 5)
    assert before > 80
    assert after < before / 4
    ink = page < 100
    assert flat[ink].mean() < flat[paper].mean() - 100  # text stays dark


def test_perspective_correction_recovers_the_page_rectangle() -> None:
    from medxtract_lab.preprocess import crop_page, find_page

    photo = np.full((1000, 800), 60, np.uint8)  # a dark table
    corners = np.float32([[90, 70], [720, 110], [700, 930], [70, 900]])
    cv2_fill = __import__("cv2").fillConvexPoly
    cv2_fill(photo, corners.astype(np.int32), 235)  # the paper, seen at an angle
    found = find_page(photo)
    assert found is not None
    assert np.abs(found - corners).max() < 12
    flat = crop_page(photo, margin=4)
    assert flat.mean() > 225  # only paper is left
    width, height = flat.shape[1], flat.shape[0]
    assert abs(width / height - 635 / 825) < 0.05


def test_a_scan_that_fills_the_frame_is_not_cropped(page) -> None:
    from medxtract_lab.preprocess import crop_page

    assert crop_page(page, margin=4) is page


def test_underlines_are_erased_but_text_stays() -> None:
    from medxtract_lab.preprocess import remove_lines

    image = np.full((200, 600), 240, np.uint8)
    image[100:103, 50:550] = 10  # an underline
    image[60:95, 100:104] = 10  # a vertical stroke of a letter
    cleaned = remove_lines(image, min_length=80)
    assert cleaned[101, 300] > 200
    assert cleaned[80, 102] < 50


def test_upscale_only_small_text(page) -> None:
    from medxtract_lab.preprocess import text_height, upscale_small_text

    small = page[::2, ::2]  # the 150-dpi page at 75 dpi: small characters
    assert text_height(small) < 20
    bigger = upscale_small_text(small, 20)
    assert bigger.shape[0] > small.shape[0] and text_height(bigger) > 1.5 * text_height(small)
    rng = random.Random(9)
    pdf, _ = layout.draw_prescription(values.prescription_values(rng), rng)
    at_300 = np.asarray(pdf2image.convert_from_bytes(pdf, dpi=300, grayscale=True)[0])
    assert upscale_small_text(at_300, 20) is at_300  # never enlarge a 300-dpi page


def test_denoise_reduces_noise_and_keeps_text(page) -> None:
    from medxtract_lab.preprocess import denoise

    noisy = np.clip(page + np.random.default_rng(1).normal(0, 12, page.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    clean = denoise(noisy, 15)
    paper, ink = page > 200, page < 80
    assert clean[paper].std() < noisy[paper].std() / 2
    assert clean[ink].mean() < clean[paper].mean() - 100


def test_text_height_follows_resolution_and_ignores_speckle(page) -> None:
    from medxtract_lab.preprocess import text_height

    at_150 = text_height(page)
    doubled = np.repeat(np.repeat(page, 2, axis=0), 2, axis=1)
    assert 1.7 < text_height(doubled) / at_150 < 2.3
    # A noisy scan: more specks than letters, as on the corpus's 200-dpi scans.
    specks = doubled.copy()
    rng = np.random.default_rng(3)
    ys = rng.integers(0, specks.shape[0] - 2, 3000)
    xs = rng.integers(0, specks.shape[1] - 2, 3000)
    for dy in (0, 1):
        for dx in (0, 1):
            specks[ys + dy, xs + dx] = 0
    assert abs(text_height(specks) - text_height(doubled)) <= 0.2 * text_height(doubled)


@pytest.mark.parametrize("factor", [0.5, 1.0, 2.0, 3.0])
def test_resample_brings_text_to_the_working_size(page, factor) -> None:
    import cv2

    from medxtract_lab.preprocess import resample_text, text_height

    scaled = cv2.resize(page, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    out = resample_text(scaled, 20)
    assert abs(text_height(out) - 20) <= 4
    if abs(text_height(scaled) - 20) <= 2:
        assert out is scaled  # already at the working size: untouched
    blank = np.full((200, 300), 255, np.uint8)
    assert resample_text(blank, 20) is blank


@pytest.mark.parametrize("shape", [(1, 500), (500, 1), (3, 3), (7, 40)])
def test_a_page_too_small_to_hold_a_letter_is_left_alone(shape) -> None:
    from medxtract_lab.preprocess import resample_text, text_height

    sliver = np.zeros(shape, np.uint8)
    assert text_height(sliver) == 0.0
    assert resample_text(sliver, 20) is sliver


def test_blob_sizes_are_the_connected_components_boxes() -> None:
    import cv2

    from medxtract_lab.preprocess import blob_sizes

    rng = np.random.default_rng(5)
    ink = ((rng.random((300, 400)) > 0.93) * 255).astype(np.uint8)
    ink = cv2.dilate(ink, np.ones((2, 3), np.uint8))  # blobs of many shapes, some at the border
    cv2.rectangle(ink, (100, 100), (200, 180), 0, -1)
    cv2.rectangle(ink, (100, 100), (200, 180), 255, 2)  # a ring with a hole...
    ink[140:145, 150:156] = 255  # ...and a blob inside the hole
    ink[250:255, 300:305] = 0
    ink[252, 302] = 255  # a lone pixel: a border of one point
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    widths, heights = blob_sizes(ink)
    expected = sorted(zip(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], strict=True))
    assert sorted(zip(widths, heights, strict=True)) == expected
    assert len(blob_sizes(np.zeros((20, 20), np.uint8))[0]) == 0


def test_reduced_keeps_a_side_shorter_than_a_block() -> None:
    from medxtract_lab.preprocess import half_size, reduced

    assert reduced(np.zeros((2, 5), np.uint8), 3).shape == (1, 1)
    assert half_size(np.zeros((1, 9), np.uint8)).shape == (1, 4)


@pytest.mark.parametrize("shape", [(101, 203), (100, 200), (7, 9)])
def test_reduced_averages_whole_blocks(shape) -> None:
    from medxtract_lab.preprocess import reduced

    gray = np.random.default_rng(2).integers(0, 256, shape).astype(np.uint8)
    small = reduced(gray, 3)
    assert small.shape == (shape[0] // 3, shape[1] // 3)
    block = gray[:3, :3].astype(float).mean()
    assert abs(int(small[0, 0]) - block) <= 0.5 + 1e-9


@pytest.mark.parametrize("length, erased", [(60, False), (75, False), (80, True), (90, True)])
# A rule starting on every column of the four that the pre-test's grid repeats over.
@pytest.mark.parametrize("start", [100, 101, 102, 103])
def test_only_rules_at_least_min_length_long_are_erased(length, erased, start) -> None:
    from medxtract_lab.preprocess import remove_lines

    image = np.full((120, 301), 235, np.uint8)  # an odd width: the last column is kept
    image[60:62, start : start + length] = 20
    cleaned = remove_lines(image, min_length=80)
    assert cleaned.shape == image.shape
    assert bool(cleaned[60:62, start : start + length].min() > 200) == erased
    assert (cleaned[:55] == image[:55]).all()  # rows away from the rule are untouched


@pytest.mark.parametrize("seed, min_length", [(0, 80), (1, 84), (2, 21), (2, 80)])
def test_the_rows_pretest_keeps_every_rule_the_full_test_finds(page, seed, min_length) -> None:
    """``remove_lines`` looks for rules only on the rows its quarter-cost pre-test keeps. On
    scanned, photographed and phone pages of the prescription layout, with underlines added
    at every column phase, it must paint exactly what the full test over every row paints."""
    import cv2

    from medxtract_lab.preprocess import remove_lines

    rng = np.random.default_rng(seed)
    ruled = page.copy()
    for i, row in enumerate(range(200, ruled.shape[0] - 100, 160)):
        ruled[row : row + 1 + i % 3, 60 + i % 4 : 60 + i % 4 + 80 + 7 * i] = 30
    rgb = np.dstack([ruled] * 3)
    pages = [degrade.scan(ruled, rng)[0], degrade.photo(rgb, rng), degrade.camera(rgb, rng)]
    for gray in (cv2.cvtColor(p, cv2.COLOR_RGB2GRAY) if p.ndim == 3 else p for p in pages):
        full = _lines_removed_testing_every_row(gray, min_length)
        assert (full != gray).sum() > 500  # the rules were found
        assert np.array_equal(remove_lines(gray, min_length), full)


@pytest.mark.parametrize("shape", [(1, 1), (2, 1), (5, 2), (3, 3), (30, 1), (7, 9), (1, 120)])
def test_a_tiny_image_loses_its_rules_as_the_full_test_has_it(shape) -> None:
    """Images too small for the pre-test (and columns OpenCV would take for a scalar)."""
    from medxtract_lab.preprocess import remove_lines

    image = np.full(shape, 220, np.uint8)
    image[shape[0] // 2] = 30
    assert np.array_equal(remove_lines(image, 20), _lines_removed_testing_every_row(image, 20))


def _lines_removed_testing_every_row(gray: np.ndarray, min_length: int) -> np.ndarray:
    """``remove_lines`` without its pre-test: the rule test on every row of every other
    column, then the same painting (the step as it was before the pre-test)."""
    import cv2

    columns = np.ascontiguousarray(gray[:, ::2])
    width = max(1, (min_length // 2 - 1) | 1)
    runs = cv2.morphologyEx(
        columns, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (width, 1))
    )
    paper = cv2.dilate(columns, np.ones((11, 1), np.uint8))
    lines = np.where(paper.astype(np.int16) - runs > 40, 255, 0).astype(np.uint8)
    found = lines.any(axis=1)
    held = found | np.r_[False, found[:-1]] | np.r_[found[1:], False]
    rows = np.flatnonzero(held)
    cleaned = gray.copy()
    if not len(rows):
        return cleaned
    mask = cv2.dilate(np.repeat(lines[rows], 2, axis=1)[:, : gray.shape[1]], np.ones((3, 3)))
    lightest = cv2.dilate(gray, np.ones((11, 1), np.uint8))[rows]
    cleaned[rows] = np.where(mask > 0, lightest, gray[rows])
    return cleaned


def test_the_paper_of_chosen_rows_is_what_a_vertical_dilation_gives_them() -> None:
    import cv2

    from medxtract_lab.preprocess import _paper_rows

    gray = np.random.default_rng(4).integers(0, 256, (40, 37), dtype=np.uint8)
    rows = np.array([0, 1, 4, 5, 20, 35, 38, 39])  # rows within reach of both edges
    dilated = cv2.dilate(gray, np.ones((11, 1), np.uint8))
    assert (_paper_rows(gray, rows, 5) == dilated[rows]).all()


@pytest.mark.parametrize("density", [0.02, 0.2, 0.5, 0.8])
@pytest.mark.parametrize("seed", range(3))
def test_blob_starts_are_never_fewer_than_the_blobs(density, seed) -> None:
    """The speck guard skips labelling a page on this count: it must bound the blobs from
    above on any ink, blobs touching the border and blobs inside holes included."""
    import cv2

    from medxtract_lab.preprocess import blob_starts

    rng = np.random.default_rng(seed)
    ink = ((rng.random((120, 170)) < density) * 255).astype(np.uint8)
    blobs = cv2.connectedComponents(ink, connectivity=8)[0] - 1
    assert blob_starts(ink) >= blobs


def test_blob_starts_count_each_blob_once_where_every_blob_has_one_top() -> None:
    import cv2

    from medxtract_lab.preprocess import blob_starts

    ink = np.zeros((60, 80), np.uint8)
    ink[::3, ::3] = 255  # isolated dots, the border rows and columns included
    ink[12:36, 9:40] = 0
    ink[13:35, 10:39] = 255  # a box, one pixel clear of the dots around it
    ink[0, 79] = ink[59, 0] = 255
    blobs = cv2.connectedComponents(ink, connectivity=8)[0] - 1
    assert blob_starts(ink) == blobs
    # A "V" has two tops: the bound may exceed the count, never fall short of it.
    v = np.zeros((10, 10), np.uint8)
    for i in range(5):
        v[i, i] = v[i, 8 - i] = 255
    assert blob_starts(v) == 2 and cv2.connectedComponents(v, connectivity=8)[0] - 1 == 1


def test_specks_past_counts_only_a_page_over_the_limit(monkeypatch) -> None:
    import cv2

    from medxtract_lab.preprocess import blob_starts, half_size, specks_past

    rng = np.random.default_rng(4)
    noise = rng.integers(0, 256, (800, 1000)).astype(np.uint8)
    ink = cv2.adaptiveThreshold(
        half_size(noise), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 15
    )
    specks = cv2.connectedComponents(ink, connectivity=8)[0] - 1
    assert specks > 1000
    assert specks_past(noise, specks - 1) == specks  # the exact count, for the message
    assert specks_past(noise, specks) is None
    # At the bound, the page is settled without labelling.
    monkeypatch.setattr(cv2, "connectedComponents", None)
    assert specks_past(noise, blob_starts(ink)) is None
    assert specks_past(np.full((800, 1000), 255, np.uint8), 0) is None
    assert specks_past(np.zeros((7, 500), np.uint8), 0) is None  # too small to hold a letter


@pytest.mark.parametrize("size", [(90, 70), (60, 41), (150, 120), (300, 260)])
def test_resized_from_a_half_the_caller_made_is_resized_from_the_image(size) -> None:
    from medxtract_lab.preprocess import half_size, resized

    image = np.random.default_rng(6).integers(0, 256, (251, 303)).astype(np.uint8)
    assert np.array_equal(resized(image, size, half_size(image)), resized(image, size))


def test_rows_within_reach_are_every_row_near_one_given_clipped_to_the_page() -> None:
    from medxtract_lab.preprocess import _rows_within

    rng = np.random.default_rng(11)
    for height, reach in ((1, 0), (7, 5), (50, 1), (300, 5)):
        rows = np.unique(np.concatenate(([0, height - 1], rng.integers(0, height, 20))))
        expected = sorted(
            {min(max(0, r + d), height - 1) for r in rows for d in range(-reach, reach + 1)}
        )
        assert _rows_within(rows, reach, height).tolist() == expected
