"""Which way up a page's text lines face, from their shape, in one to two milliseconds; and
which way a landscape page's letters stand, in a few more.

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

A portrait form photographed or scanned sideways (phones and scanner apps that ignore the
orientation sensor) comes as a landscape page whose letters lie on their sides. Letters of
print are taller than wide far more often than wider than tall; on a page turned a quarter
round the balance flips. Measured as `default` reads pages first (tall minus wide, as a share
of the letter-sized blobs that are either): the corpus's upright OCR'd pages score 0.07 to
0.92, its 16 sideways pages -0.99 to -0.43, and the 50 sideways pages of the `rotated`
documents of a corpus drawn with another seed (777) -0.98 to -0.20. Turned upright either way
round, such a page's lines then tell which of the two ways is up, as above (they did on every
one of those 66 pages).
"""

from __future__ import annotations

import cv2
import numpy as np

from medxtract_lab.preprocess import half_size, letter_blob_sizes, to_gray

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
# A page this many times wider than high is checked for letters lying on their sides: a letter
# page on its side is 1.29, A4 1.41.
LANDSCAPE = 1.1
# Blobs of ink this many pixels long (their longer side, at half size) are taken for letters:
# text brought to about 20 px is 10 px there; specks, rules and words are left out.
LETTER_PX = (5, 16)
# The balance of tall over wide letters below which they lie on their sides: more lie than
# stand. A page misjudged either way is still read right, later (``pipeline``), and the fewest
# letters a verdict needs.
SIDEWAYS_BELOW = 0.0
MIN_LETTERS = 50
# Quarter turns counter-clockwise that put a page upright: its lines facing down, its letters
# lying with their tops to the right, or to the left.
HALF_TURN, QUARTER_TURN, THREE_QUARTER_TURN = 2, 1, 3


def line_offset(image: np.ndarray) -> tuple[float, int]:
    """The mean offset of the ink's centre of mass from the middle of each text line's band,
    as a share of its height, weighted by ink (positive: below the middle, as upright print
    has it), and the number of bands measured."""
    return _half_line_offset(half_size(to_gray(image)))


def _half_line_offset(half: np.ndarray) -> tuple[float, int]:
    """``line_offset`` of the page of which ``half`` is the half-size copy."""
    if min(half.shape[:2]) < STRIP:
        return 0.0, 0
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
    return _upside_down(*line_offset(image))


def _upside_down(offset: float, bands: int) -> bool:
    return bands >= MIN_BANDS and offset < UPSIDE_DOWN_BELOW


def letters_standing(image: np.ndarray) -> tuple[float, int]:
    """Of the page's letter-sized blobs of ink, how many more are taller than wide than are
    wider than tall, as a share of those that are either (1: all stand, -1: all lie on their
    sides), and how many letters were counted."""
    return _half_letters_standing(half_size(to_gray(image)))


def _half_letters_standing(half: np.ndarray) -> tuple[float, int]:
    """``letters_standing`` of the page of which ``half`` is the half-size copy."""
    widths, heights = letter_blob_sizes(half)
    longer, shorter = np.maximum(widths, heights), np.minimum(widths, heights)
    letter = (shorter >= 2) & (longer >= LETTER_PX[0]) & (longer <= LETTER_PX[1])
    tall = int((heights[letter] > widths[letter]).sum())
    wide = int((widths[letter] > heights[letter]).sum())
    return (tall - wide) / max(1, tall + wide), int(letter.sum())


def guessed_turn(image: np.ndarray) -> int | None:
    """The quarter turns (counter-clockwise) that would put the page's print upright, judged
    from the shapes of its letters and lines. Only a landscape page is checked for letters on
    their sides (a few ms): a portrait form turned a quarter comes landscape, and a portrait
    page's first read stays as cheap as it was. A page whose letters stand is turned half round
    when its lines face down, else not at all. None when a landscape page's shapes do not tell:
    too few letters, or letters lying with too few lines, or lines that, turned, face neither
    way clearly (the pipeline then asks the engine)."""
    if image.shape[1] <= image.shape[0] * LANDSCAPE:
        return HALF_TURN if looks_upside_down(image) else 0
    half = half_size(to_gray(image))
    balance, letters = _half_letters_standing(half)
    if letters < MIN_LETTERS:
        return None
    if balance >= SIDEWAYS_BELOW:
        return HALF_TURN if _upside_down(*_half_line_offset(half)) else 0
    # Turned a quarter counter-clockwise, the lines run across, facing up or down: as sure
    # either way as a portrait page must be to be taken for upside down (the 66 sideways pages
    # measured score 0.0095 and more either way).
    offset, bands = _half_line_offset(cv2.rotate(half, cv2.ROTATE_90_COUNTERCLOCKWISE))
    if bands < MIN_BANDS or abs(offset) < -UPSIDE_DOWN_BELOW:
        return None
    return QUARTER_TURN if offset > 0 else THREE_QUARTER_TURN
