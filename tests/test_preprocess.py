"""Preprocessing steps on synthetic images with known properties."""

import random

import numpy as np
import pdf2image
import pytest

from medxtract_lab.corpus import degrade, layout, values
from medxtract_lab.preprocess import estimate_skew, normalize_illumination


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    rng = random.Random(5)
    pdf, _ = layout.draw_prescription(values.prescription_values(rng), rng)
    return np.asarray(pdf2image.convert_from_bytes(pdf, dpi=150, grayscale=True)[0])


@pytest.mark.parametrize("seed", range(4))
def test_deskew_recovers_the_scan_angle(page, seed) -> None:
    skewed, angle = degrade.scan(page, np.random.default_rng(seed))
    assert abs(estimate_skew(skewed) - angle) <= 0.3


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
