"""Which way up a page's text lines face, from their shape, in one to two milliseconds.

A line of Latin print has its ink packed on the baseline and thinning upwards: capitals, digits
and ascenders (b, d, h, k, l, t) rise above the x-height far more often than descenders (g, p,
y) drop below it. Along a text line, the ink's centre of mass therefore sits below the middle
of the band the line covers; on a page turned upside down it sits above. Summed over every
line of a page, the sign of that offset tells an upside-down page from an upright one, which
lets the pipeline read a page whose lines face down turned half round straight away, instead
of first reading it as it is (300 ms) and throwing that read away, or asking Tesseract's
orientation detection (280 ms) what the lines already say.

Measured on the corpus's 230 OCR'd pages of every condition but `rotated`, as `default` reads
them: upright they score 0.0009 to 0.040, turned upside down -0.037 to 0.004 (221 flagged),
and the 14 upside-down pages of `rotated` -0.034 to -0.012 (all flagged). See
``benchmarks/line_shape.py``.
"""

from __future__ import annotations

import cv2
import numpy as np

from medxtract_lab.preprocess import half_size, to_gray

# Width in pixels (of the half-size copy) of the vertical strips whose row profiles are read:
# narrow enough that a line sloping by a degree or two still has a crisp band in each strip.
STRIP = 32
# A band of ink rows in a strip is a text line when it is this many rows high (at half size):
# text brought to about 20 px is 8 to 14 rows there; rules, blobs and pictures are left out.
LINE_ROWS = (6, 30)
# Darker than this (of 255) is ink. These constants assume the page as `default` preprocesses
# it for its first read: illumination flattened and text brought to about 20 px high.
INK_BELOW = 160
# The weighted offset below which a page is taken to be upside down (upright corpus pages
# score 0.0009 and up), and the fewest line bands a verdict needs.
UPSIDE_DOWN_BELOW = -0.005
MIN_BANDS = 50


def line_offset(image: np.ndarray) -> tuple[float, int]:
    """The mean offset of the ink's centre of mass from the middle of each text line's band,
    as a share of its height, weighted by ink (positive: below the middle, as upright print
    has it), and the number of bands measured."""
    gray = to_gray(image)
    if min(gray.shape[:2]) < 2 * STRIP:
        return 0.0, 0
    half = half_size(gray)
    strips = half.shape[1] // STRIP
    _, ink = cv2.threshold(half[:, : strips * STRIP], INK_BELOW - 1, 1, cv2.THRESH_BINARY_INV)
    rows = half.shape[0]
    # Ink per row of each strip, a strip to a row: (strips, rows).
    profile = cv2.reduce(ink.reshape(-1, STRIP), 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S)
    profile = np.ascontiguousarray(profile.reshape(rows, strips).T)
    inked = np.zeros((strips, rows + 2), np.int8)
    inked[:, 1:-1] = profile > 0
    # +1 where a band of inked rows starts, -1 just after it; flat indices into (strips, rows + 1).
    steps = np.diff(inked, axis=1).ravel()
    edges = np.flatnonzero(steps)
    starts = steps[edges] == 1
    first, after = edges[starts], edges[~starts]  # each start is followed by its own end
    height = after - first
    keep = (height >= LINE_ROWS[0]) & (height <= LINE_ROWS[1])
    if not keep.any():
        return 0.0, 0
    first, after, height = first[keep], after[keep], height[keep]
    # Running sums of ink and of ink x row along each strip: a band's totals are differences.
    mass = np.zeros((strips, rows + 1), np.int64)
    moment = np.zeros((strips, rows + 1), np.int64)
    np.cumsum(profile, axis=1, out=mass[:, 1:])
    np.cumsum(profile * np.arange(rows), axis=1, out=moment[:, 1:])
    mass, moment = mass.ravel(), moment.ravel()
    ink_of = mass[after] - mass[first]
    centre = (moment[after] - moment[first]) / ink_of - first % (rows + 1)
    offset = (centre - (height - 1) / 2) / height
    return float((offset * ink_of).sum() / ink_of.sum()), int(keep.sum())


def looks_upside_down(image: np.ndarray) -> bool:
    """Whether the page's text lines face down: enough lines, with their ink above their
    middles (see the module's docstring)."""
    offset, bands = line_offset(image)
    return bands >= MIN_BANDS and offset < UPSIDE_DOWN_BELOW
