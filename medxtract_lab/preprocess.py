"""Pure image functions and the registry that names them.

Every step takes a NumPy image and returns a new one. The registry carries each step's parameter
ranges so the config validator, the threshold tuner and the auto-tuner all read one source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from medxtract_lab.errors import ConfigError


@dataclass(frozen=True)
class Param:
    """A tunable parameter: its default and its allowed range or choices."""

    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    odd: bool = False

    def check(self, value: Any, where: str) -> None:
        if self.choices:
            if value not in self.choices:
                raise ConfigError(f"{where} must be one of {list(self.choices)}, got {value!r}.")
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, got {value!r}.")
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise ConfigError(f"{where} must be between {self.low} and {self.high}, got {value}.")
        if self.odd and (int(value) != value or int(value) % 2 == 0):
            raise ConfigError(f"{where} must be an odd whole number, got {value}.")


@dataclass(frozen=True)
class StepSpec:
    name: str
    func: Callable[..., np.ndarray]
    params: Mapping[str, Param] = field(default_factory=dict)
    doc: str = ""
    # For a step that moves the page's content (rotates, warps): the same step returning also
    # where it moved it (``placed``), so a word's box can be drawn back on the page.
    placed: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None

    def check_params(self, params: Mapping[str, Any], where: str) -> None:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ConfigError(
                f"{where}: step {self.name!r} has no parameter(s) {unknown}; "
                f"it takes {sorted(self.params)}."
            )
        for key, value in params.items():
            self.params[key].check(value, f"{where}.params.{key}")

    def __call__(self, image: np.ndarray, **params: Any) -> np.ndarray:
        merged = {k: p.default for k, p in self.params.items()} | params
        return self.func(image, **merged)

    def run_placed(self, image: np.ndarray, **params: Any) -> tuple[np.ndarray, np.ndarray]:
        """The step's image and the homography from fractions of its input to fractions of
        its output (the identity for a step that only resizes or changes pixel values)."""
        if self.placed is None:
            return self(image, **params), IDENTITY
        merged = {k: p.default for k, p in self.params.items()} | params
        return self.placed(image, **merged)


IDENTITY = np.eye(3)


def _in_fractions(
    matrix: np.ndarray, size_in: tuple[int, int], size_out: tuple[int, int]
) -> np.ndarray:
    """A pixel homography (or 2x3 affine) from an image of ``size_in`` (width, height) to one
    of ``size_out``, as one from fractions of the first to fractions of the second."""
    full = np.vstack([matrix, [0.0, 0.0, 1.0]]) if matrix.shape == (2, 3) else matrix
    return (
        np.diag([1 / size_out[0], 1 / size_out[1], 1.0])
        @ full
        @ np.diag([size_in[0], size_in[1], 1.0])
    )


def to_gray(image: np.ndarray) -> np.ndarray:
    """Colour to 8-bit grayscale; a grayscale image passes through unchanged."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


_INTERPOLATION = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
}


def scale(image: np.ndarray, factor: float, interpolation: str) -> np.ndarray:
    if factor == 1:
        return image
    return cv2.resize(
        image, None, fx=factor, fy=factor, interpolation=_INTERPOLATION[interpolation]
    )


def adaptive_gaussian(image: np.ndarray, block_size: int, c: float) -> np.ndarray:
    return cv2.adaptiveThreshold(
        to_gray(image), 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, int(block_size), c
    )


def adaptive_mean(image: np.ndarray, block_size: int, c: float) -> np.ndarray:
    return cv2.adaptiveThreshold(
        to_gray(image), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, int(block_size), c
    )


def otsu(image: np.ndarray) -> np.ndarray:
    _, binary = cv2.threshold(to_gray(image), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def reduced(gray: np.ndarray, factor: int) -> np.ndarray:
    """``gray`` shrunk by a whole ``factor`` by area averaging, the last rows or columns that
    do not fill a block left out: at an exact ratio OpenCV averages pixel blocks, while a size
    one pixel off it takes the general path, 10 to 40 times slower."""
    height, width = gray.shape[:2]
    # A side shorter than one block is kept whole (and shrinks to one pixel).
    height, width = height - height % factor or height, width - width % factor or width
    size = (max(1, width // factor), max(1, height // factor))
    return cv2.resize(gray[:height, :width], size, interpolation=cv2.INTER_AREA)


def half_size(gray: np.ndarray) -> np.ndarray:
    """``gray`` at half size by area averaging (see ``reduced``)."""
    return reduced(gray, 2)


def normalize_illumination(image: np.ndarray, kernel: int) -> np.ndarray:
    """Divide by the page background so shadows and light gradients flatten to white paper.

    The background is the page with the text closed away (a morphological closing of a
    downscaled copy removes dark strokes thinner than the kernel), scaled back up.
    """
    gray = to_gray(image)
    factor = 4
    small = cv2.resize(gray, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    size = max(3, int(kernel) // factor | 1)
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    # Closing (dilate, then erode) removes thin dark strokes but keeps the step of a
    # hard-edged shadow where it is, so the division leaves no dark band along it.
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, element)
    background = cv2.GaussianBlur(background, (3, 3), 0)
    background = cv2.resize(
        background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR
    )
    flat = cv2.divide(gray, background, scale=255)
    return flat


def _sheared_profiles(ink: np.ndarray, angles: np.ndarray, strips: int = 64) -> np.ndarray:
    """Row profiles of the ink after shearing it by each angle, one profile per angle.

    For angles of a few degrees a rotation is, to within a pixel, a vertical shift of each
    narrow vertical strip by ``x * tan(angle)``: per-strip row counts are computed once, and
    each candidate angle adds the strips' counts at their shifts instead of rotating the image.
    Every (angle, strip) pair is one window of the zero-padded counts, gathered at once: a
    quarter of the time of adding them one slice at a time in Python.
    """
    h, w = ink.shape
    edges = np.linspace(0, w, strips + 1).astype(int)
    counts = np.add.reduceat(ink, edges[:-1], axis=1, dtype=np.int32).T
    centres = (edges[:-1] + edges[1:]) / 2 - w / 2
    shifts = np.rint(np.outer(np.tan(np.radians(angles)), centres)).astype(int)
    pad = int(np.abs(shifts).max(initial=0))
    # A profile is ``pad`` rows longer at each end than the page; strip s of angle a starts
    # ``pad + shift`` rows into it, so it is the window that starts ``pad - shift`` rows
    # into the counts padded by ``2 * pad``.
    padded = np.zeros((strips, h + 4 * pad), np.int32)
    padded[:, 2 * pad : 2 * pad + h] = counts
    windows = sliding_window_view(padded, h + 2 * pad, axis=1)
    return windows[np.arange(strips), pad - shifts].sum(axis=1, dtype=np.int64)


def estimate_skew(image: np.ndarray, max_degrees: float = 5.0) -> float:
    """The angle (degrees, counter-clockwise) by which the text lines are rotated.

    Undoing that angle makes the horizontal projection profile of the ink sharpest: text lines
    become rows of ink separated by rows of paper (the largest sum of squares).
    """
    ink = _skew_ink(image)
    return _fine_skew(ink, _coarse_skew(ink, max_degrees))


def _skew_ink(image: np.ndarray) -> np.ndarray:
    """The ink of a copy about 1000 px on the long side, reduced by a whole factor. OpenCV
    averages 2x2 blocks in a fraction of the time any other factor takes (0.1 against 2.8 ms
    for a third of a 2750-px page), so the copy is halved while it can be, and the rest of
    the way is bilinear."""
    gray = to_gray(image)
    factor = max(1, round(max(gray.shape[:2]) / 1000))
    size = (gray.shape[1] // factor, gray.shape[0] // factor)
    small = gray
    while small.shape[1] >= 2 * size[0] and small.shape[0] >= 2 * size[1]:
        small = half_size(small)
    if small.shape[::-1] != size:
        small = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
    small = normalize_illumination(small, 41)
    return cv2.adaptiveThreshold(
        small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )


def _skew_scores(ink: np.ndarray, angles: np.ndarray) -> np.ndarray:
    return np.square(_sheared_profiles(ink, angles)).sum(axis=1)


def _coarse_skew(ink: np.ndarray, max_degrees: float) -> float:
    """The best angle in half-degree steps, searched at half resolution: a text line smears
    over several degrees of shear before it blurs into its neighbours."""
    coarse = np.arange(-max_degrees, max_degrees + 1e-9, 0.5)
    return float(coarse[int(np.argmax(_skew_scores(reduced(ink, 2), coarse)))])


def _fine_skew(ink: np.ndarray, coarse: float) -> float:
    """The angle to a tenth of a degree around ``coarse``, interpolated between steps."""
    fine = coarse + np.arange(-0.4, 0.4 + 1e-9, 0.1)
    found = _skew_scores(ink, fine)
    i = int(np.argmax(found))
    if 0 < i < len(fine) - 1:  # the vertex of a parabola through the peak and its neighbours
        left, peak, right = found[i - 1 : i + 2]
        curve = left - 2 * peak + right
        offset = 0.5 * (left - right) / curve if curve < 0 else 0.0
        return round(float(fine[i] + 0.1 * offset), 3)
    return round(float(fine[i]), 3)


# Below this skew the page is read as it is. Tesseract follows a slightly sloping line itself
# (its layout analysis degrades beyond about 2 degrees), while a rotation costs about 10 ms a
# page and blurs every stroke by resampling it: leaving pages under 1 degree unturned read the
# OCR'd corpus at 0.91% CER against 1.02% with every skew over 0.1 degree turned, with the
# same fields right within the noise band (benchmarks/pixel_noise.py, README).
MIN_DESKEW_DEGREES = 1.0


def deskew(image: np.ndarray, max_degrees: float) -> np.ndarray:
    """Rotate the page so its text lines are horizontal, when they slope by more than
    ``MIN_DESKEW_DEGREES``."""
    return deskew_placed(image, max_degrees)[0]


def deskew_placed(image: np.ndarray, max_degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """``deskew``, and the rotation it made (see ``StepSpec.run_placed``)."""
    ink = _skew_ink(image)
    coarse = _coarse_skew(ink, max_degrees)
    # A slope the coarse search puts within half a degree of level is under 0.75 degrees
    # (half a step off, at most): left as it is without the fine search.
    if abs(coarse) + 0.5 < MIN_DESKEW_DEGREES + 1e-9:
        return image, IDENTITY
    angle = _fine_skew(ink, coarse)
    if abs(angle) < MIN_DESKEW_DEGREES:
        return image, IDENTITY
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    turned = cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return turned, _in_fractions(matrix, (w, h), (w, h))


def identity(image: np.ndarray) -> np.ndarray:
    return image


# Steps that move or resize the page: a fallback chain replays them to read the same frame.
GEOMETRIC_STEPS = frozenset({"crop_page", "resample_text", "upscale_small_text", "scale", "deskew"})

# Steps that a configuration switches on or off, in the order a pipeline runs them; the
# remaining registered steps are binarisation methods (at most one per pipeline), grayscale
# and scale. The tuner widget and the auto-tuner both read this.
OPTIONAL_STEPS = (
    "crop_page",
    "resample_text",
    "upscale_small_text",
    "deskew",
    "denoise",
    "normalize_illumination",
    "remove_lines",
)


def apply_steps_placed(image: np.ndarray, steps: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    """``apply_steps``, and where the steps moved the page's content: the homography from
    fractions of ``image`` to fractions of the result (resizing moves nothing in fractions)."""
    frame = IDENTITY
    for step in steps:
        image, moved = STEPS[step.name].run_placed(image, **step.params)
        frame = moved @ frame
    return image, frame


def apply_steps(image: np.ndarray, steps: Iterable[Any]) -> np.ndarray:
    """Run config steps (objects with ``name`` and ``params``) in order."""
    for step in steps:
        image = STEPS[step.name](image, **step.params)
    return image


def _order_corners(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    s = points.sum(axis=1)
    d = np.diff(points, axis=1).ravel()
    return np.float32(
        [points[np.argmin(s)], points[np.argmin(d)], points[np.argmax(s)], points[np.argmax(d)]]
    )


def find_page(image: np.ndarray, min_area: float = 0.6) -> np.ndarray | None:
    """The four corners of the paper in a photo, or None when the page fills the frame.

    Paper is the largest bright, four-cornered region: Otsu on a blurred, downscaled copy
    separates it from a darker background even where a shadow darkens part of the page.
    """
    gray = to_gray(image)
    factor = 800 / max(gray.shape)
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (7, 7), 0)
    _, mask = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    page = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(page) / (small.shape[0] * small.shape[1])
    if area < min_area or area > 0.97:
        return None
    hull = cv2.convexHull(page)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(quad) != 4:
        quad = cv2.boxPoints(cv2.minAreaRect(hull))
    return _order_corners(np.asarray(quad, np.float32).reshape(4, 2) / factor)


def crop_page(image: np.ndarray, margin: int) -> np.ndarray:
    """Detect the paper in a photo and warp it to a flat rectangle (no-op for scans)."""
    return crop_page_placed(image, margin)[0]


def crop_page_placed(image: np.ndarray, margin: int) -> tuple[np.ndarray, np.ndarray]:
    """``crop_page``, and the warp it made (see ``StepSpec.run_placed``)."""
    corners = find_page(image)
    if corners is None:
        return image, IDENTITY
    tl, tr, br, bl = corners
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    inset = np.float32([[margin, margin], [-margin, margin], [-margin, -margin], [margin, -margin]])
    matrix = cv2.getPerspectiveTransform(corners + inset, target)
    flat = cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    h, w = image.shape[:2]
    return flat, _in_fractions(matrix, (w, h), (width, height))


# Gray levels by which a rule must be darker than the paper around it, the paper being the
# lightest pixel within this many rows above or below.
_LINE_CONTRAST = 40
_PAPER_REACH = 5


def remove_lines(image: np.ndarray, min_length: int) -> np.ndarray:
    """Paint long horizontal rules (form underlines) with the paper colour.

    Tesseract's layout analysis can drop a whole block of text next to a line, and underlines
    touching digits turn "2" into noise. A grayscale closing along the row keeps only dark runs
    at least ``min_length`` long; where such a run is much darker than the paper just above and
    below it (a vertical maximum), it is a thin rule. Comparing with the local paper rather than
    a threshold keeps this right under shadows and on grey paper.
    """
    gray = to_gray(image)
    # Rules are found on every other column: a horizontal rule keeps every one of its rows and
    # half its length, and the closing, the longest operation, costs half as much. An odd
    # width keeps the closing centred, so a run's ends stay where they are; at most half of
    # ``min_length``, so a rule that long is erased wherever it starts (one up to 4 px
    # shorter may be too). Only the rows that ``_rows_with_rules`` finds are looked at.
    width = max(1, (int(min_length) // 2 - 1) | 1)
    candidates = _rows_with_rules(gray, width)
    if not len(candidates):
        return gray
    runs = _row_closing(np.ascontiguousarray(gray[candidates, ::2]), width)
    paper = _paper_rows(gray[:, ::2], candidates, _PAPER_REACH)
    # In numpy: OpenCV's arithmetic takes a column of up to 4 values for a scalar.
    rule = paper.astype(np.int16) - runs > _LINE_CONTRAST
    holding = rule.any(axis=1)
    if not holding.any():
        return gray
    # Only the rows that hold a rule, and one row either side, are widened back to every
    # column, grown by a pixel and painted with the paper above or below them. Stacked, two
    # such groups of rows meet at rows that hold no rule, so the growth stays within a group.
    found = candidates[holding]
    rows = _rows_within(found, 1, gray.shape[0])
    lines = np.zeros((len(rows), runs.shape[1]), np.uint8)
    lines[np.searchsorted(rows, found)] = rule[holding] * np.uint8(255)
    widened = np.repeat(lines, 2, axis=1)[:, : gray.shape[1]]
    mask = cv2.dilate(widened, np.ones((3, 3), np.uint8))
    band = gray[rows]
    cv2.copyTo(_paper_rows(gray, rows, _PAPER_REACH), mask, band)
    cleaned = gray.copy()
    cleaned[rows] = band
    return cleaned


def _row_closing(gray: np.ndarray, width: int) -> np.ndarray:
    """A grayscale closing along each row: dark runs shorter than ``width`` are filled with
    the lighter pixels beside them, longer ones stay."""
    return cv2.morphologyEx(
        gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (width, 1))
    )


def _rows_with_rules(gray: np.ndarray, width: int) -> np.ndarray:
    """The rows that may hold a rule: ``remove_lines``'s test, whose closing on every other
    column is ``width`` wide, run on every fourth column with a closing half as wide (a
    quarter of the work) and asking ``_CANDIDATE_SLACK`` less contrast.

    A window of ``width`` columns of the half-width page holds at least ``(width - 1) / 2``
    of these, so a run the full test keeps is as dark here; only the paper above and below
    it is measured on a column next to it, which beside a handwritten stroke was up to 30
    gray levels darker.
    """
    if min(gray.shape) < 8:  # nothing to save, and OpenCV would take a tiny column for a scalar
        return np.arange(gray.shape[0])
    quarter = np.ascontiguousarray(gray[:, ::4])
    runs = _row_closing(quarter, max(1, ((width - 1) // 2 - 1) | 1))
    paper = cv2.dilate(quarter, np.ones((2 * _PAPER_REACH + 1, 1), np.uint8))
    dark = cv2.compare(cv2.subtract(paper, runs), _LINE_CONTRAST - _CANDIDATE_SLACK, cv2.CMP_GT)
    return np.flatnonzero(dark.any(axis=1))


# Gray levels by which ``_rows_with_rules`` asks less contrast than ``remove_lines``. A
# heuristic, not a bound: with 30, all 230 corpus pages come out of ``remove_lines`` the same
# to the pixel as with the test run on every row, and of 292 pages of random rules and
# scribbles one differed, by 4 pixels at a rule's end (with 25: 3 pages, up to 16 pixels; with
# 15 a corpus rule's end lost 4 pixels; with 35 five times as many rows were kept and the step
# took longer than without the pre-test).
_CANDIDATE_SLACK = 30


def _paper_rows(gray: np.ndarray, rows: np.ndarray, reach: int) -> np.ndarray:
    """The lightest pixel within ``reach`` rows above or below, for the given rows
    only: what a vertical dilation of the whole page gives on those rows, at the cost of the
    rows within reach of them. Those rows, stacked, hold every row's whole reach in order, so
    their own dilation is the page's on the given rows."""
    near = _rows_within(rows, reach, gray.shape[0])
    lightest = cv2.dilate(gray[near], np.ones((2 * reach + 1, 1), np.uint8))
    return lightest[np.searchsorted(near, rows)]


def _rows_within(rows: np.ndarray, reach: int, height: int) -> np.ndarray:
    """The page's rows within ``reach`` of any of ``rows`` (rows of the page, 0 to
    ``height`` - 1), sorted, each once: marked on a row mask with ``reach`` rows of margin
    either side (a tenth of the time ``np.unique`` takes to sort them: 0.03 against 0.4 ms
    for 580 rows within 5)."""
    near = np.zeros(height + 2 * reach, bool)
    for offset in range(2 * reach + 1):
        near[rows + offset] = True
    return np.flatnonzero(near[reach : reach + height])


def denoise(image: np.ndarray, strength: float) -> np.ndarray:
    """Non-local-means denoising: removes sensor noise and JPEG speckle, keeps stroke edges."""
    return cv2.fastNlMeansDenoising(
        to_gray(image), None, h=float(strength), templateWindowSize=7, searchWindowSize=15
    )


def text_height(image: np.ndarray) -> float:
    """Median height in pixels of character-sized ink blobs (0 when there is no text).

    Measured on a half-size, median-filtered copy: scanner speckle outnumbers the letters on a
    noisy scan (1,400 specks against 400 letters) and would otherwise read as 4-px text. At
    half size the measure costs a third of the time and reads within about 2 px of full size.
    """
    if min(image.shape[:2]) < 8:
        return 0.0  # too small to hold a letter
    return 2 * half_text_height(half_size(to_gray(image)))


def half_text_height(half: np.ndarray) -> float:
    """``text_height`` of the image of which ``half`` is the half-size copy, in that copy's
    pixels (``render`` measures a picture on such a copy before making its page)."""
    widths, heights = letter_blob_sizes(half)
    letters = heights[(heights >= 2) & (heights <= 100) & (widths <= 3 * heights)]
    return float(np.median(letters)) if len(letters) else 0.0


def letter_blob_sizes(half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Widths and heights of the ink blobs of a page's half-size copy, median-filtered first so
    that scanner speckle does not read as letters: what the text height and which way the
    letters stand (``line_shape``) are measured on."""
    ink = cv2.adaptiveThreshold(
        cv2.medianBlur(half, 3), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 15
    )
    return blob_sizes(ink)


def blob_sizes(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Widths and heights of the 8-connected blobs of a binary image: the bounding boxes of
    the outer borders that ``findContours`` traces, the same boxes as
    ``connectedComponentsWithStats`` gives in a third to a fifth of the time (it labels every
    pixel)."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    # Every border's extent at once (what ``cv2.boundingRect`` gives one border at a time):
    # the lowest and highest x and y of its points, all borders' points in one array.
    lengths = np.fromiter(map(len, contours), np.intp, len(contours))
    starts = np.concatenate(([0], np.cumsum(lengths[:-1])))
    points = np.concatenate(contours).reshape(-1, 2)
    sizes = np.maximum.reduceat(points, starts) - np.minimum.reduceat(points, starts) + 1
    # RETR_CCOMP puts every blob's outer border at the top level, holes below.
    outer = sizes[hierarchy[0][:, 3] < 0]
    return outer[:, 0], outer[:, 1]


def specks_past(image: np.ndarray, limit: int) -> int | None:
    """The page's separate ink blobs, counted at half size, when there are more than ``limit``
    (what Tesseract's work grows with: ``pages.placed_ocr_input`` refuses such a page); None
    when there are not.

    Most pages are settled without labelling: a blob's first pixel in reading order has no
    ink at its W, NW, N or NE neighbour (the pixels before it that it would touch), so there
    are at least as many such pixels as blobs, and counting them (a dilation and a
    subtraction) takes a sixth of the labelling's time (0.2 against 1.3 ms on a camera page).
    On 27 scan, photo and camera pages of the corpus they were 1.04 to 2.3 a blob, and at
    most 5,300. Only a page with more of them than ``limit`` is labelled."""
    if min(image.shape[:2]) < 8:
        return None
    ink = cv2.adaptiveThreshold(
        half_size(to_gray(image)), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 15
    )
    if blob_starts(ink) <= limit:
        return None
    specks = int(cv2.connectedComponents(ink, connectivity=8)[0] - 1)
    return specks if specks > limit else None


# The ink before a pixel in reading order that would join it to a blob (8-connected): the
# pixel to its left and the three above it, around the anchor at row 1, column 1.
_EARLIER_NEIGHBOURS = np.array([[1, 1, 1], [1, 0, 0]], np.uint8)


def blob_starts(ink: np.ndarray) -> int:
    """Ink pixels of a binary image with no ink at their W, NW, N or NE neighbour: at least
    the number of its 8-connected blobs, each of which starts at one."""
    before = cv2.dilate(
        ink, _EARLIER_NEIGHBOURS, anchor=(1, 1), borderType=cv2.BORDER_CONSTANT, borderValue=0
    )
    return cv2.countNonZero(cv2.subtract(ink, before))


def resized(image: np.ndarray, size: tuple[int, int], half: np.ndarray | None = None) -> np.ndarray:
    """``image`` at ``size`` (width, height): bicubic when enlarging; bilinear when shrinking
    by less than half, where OpenCV's area averaging by a ratio such as 0.83 costs 8 times as
    much (12 against 1.6 ms on a 300-dpi page) and the corpus reads as well (see
    ``benchmarks/pixel_noise.py``). From half size down, whole 2x2 blocks are averaged
    (``half_size``) as often as the ratio allows, then the rest is bilinear: OpenCV's area
    averaging at a ratio such as 0.45, or 0.5 of an odd size, takes its general path (25 ms for
    a 12-megapixel photo, against 3.6). Bilinear reads 2x2 pixels for each output pixel, so
    close to half size it skips some: a 1-px hairline at a ratio of 0.51 keeps a darkest gray
    of 248 where area averaging keeps 189. Text brought to 20 px has strokes of 2 px and more;
    18 of the corpus's 260 OCR'd pages shrink by 0.53-0.67.

    ``half`` is ``half_size(image)`` when the caller has made it already (``render`` measures
    a picture's text on it): a 12-megapixel photo is not averaged twice.
    """
    ratio = min(size[0] / image.shape[1], size[1] / image.shape[0])
    enlarging = ratio > 1
    if half is not None and ratio <= 0.5:
        image = half
    while min(size[0] / image.shape[1], size[1] / image.shape[0]) <= 0.5:
        image = half_size(image)
    if (image.shape[1], image.shape[0]) == size:
        return image
    interpolation = cv2.INTER_CUBIC if enlarging else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)


def _resize(image: np.ndarray, factor: float) -> np.ndarray:
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return resized(image, size)


def upscale_small_text(image: np.ndarray, min_height: int) -> np.ndarray:
    """Enlarge only when characters are smaller than Tesseract reads well (about 20 px).

    Text rendered at 300 dpi is already large enough from 9 pt up, so such a page is never
    enlarged; a small or low-resolution photo is, by at most 2x.
    """
    height = text_height(image)
    if height == 0 or height >= min_height:
        return image
    return _resize(image, min(2.0, min_height / height))


# A resampled page never grows past this many pixels (a letter page at 600 dpi is 33.7 M).
MAX_RESAMPLED_PIXELS = 40_000_000


def resample_text(image: np.ndarray, target: float) -> np.ndarray:
    """Resize the page so that its characters are about ``target`` pixels high.

    The working resolution comes from the page, not from a dpi: a 12-megapixel photo and a
    200-dpi scan of the same form reach Tesseract with the same text size. Measured on the
    corpus (see the README), characters of about 20 px read best: larger ones make grain and
    speckle into strokes, and cost OCR time. See ``resample_factor`` for the bounds.
    """
    factor = resample_factor(text_height(image), image.shape[:2], target)
    return image if factor == 1 else _resize(image, factor)


def resample_factor(height: float, shape: tuple[int, int], target: float) -> float:
    """The factor by which ``resample_text`` resizes a page of ``shape`` whose text is
    ``height`` px high: 1 within 10% of the target or when no text was found; kept within
    0.25 to 2, and never enlarging a page past ``MAX_RESAMPLED_PIXELS``, so a misjudged height
    cannot ruin the page or exhaust memory."""
    if height == 0:
        return 1.0
    factor = max(0.25, target / height)
    if factor > 1:
        room = (MAX_RESAMPLED_PIXELS / (shape[0] * shape[1])) ** 0.5
        factor = min(factor, 2.0, max(1.0, room))
    return 1.0 if 0.9 <= factor <= 1.1 else factor


_BLOCK = Param(31, low=3, high=255, odd=True)
_C = Param(10, low=-50, high=50)

STEPS: dict[str, StepSpec] = {
    spec.name: spec
    for spec in (
        StepSpec("none", identity, doc="Leave the image as it is."),
        StepSpec("grayscale", to_gray, doc="Colour to 8-bit grayscale."),
        StepSpec(
            "scale",
            scale,
            {
                "factor": Param(1.0, low=0.25, high=4.0),
                "interpolation": Param("linear", choices=tuple(_INTERPOLATION)),
            },
            doc="Resize by a factor.",
        ),
        StepSpec(
            "adaptive_gaussian",
            adaptive_gaussian,
            {"block_size": _BLOCK, "c": _C},
            doc="Threshold against a Gaussian-weighted local mean.",
        ),
        StepSpec(
            "adaptive_mean",
            adaptive_mean,
            {"block_size": _BLOCK, "c": _C},
            doc="Threshold against the local mean.",
        ),
        StepSpec(
            "normalize_illumination",
            normalize_illumination,
            {"kernel": Param(41, low=9, high=201, odd=True)},
            doc="Flatten shadows and uneven light by dividing by the background.",
        ),
        StepSpec(
            "deskew",
            deskew,
            {"max_degrees": Param(5.0, low=0.5, high=15)},
            doc="Estimate the text angle and rotate it level.",
            placed=deskew_placed,
        ),
        StepSpec(
            "crop_page",
            crop_page,
            {"margin": Param(4, low=0, high=50)},
            doc="Find the paper in a photo and correct its perspective.",
            placed=crop_page_placed,
        ),
        StepSpec(
            "remove_lines",
            remove_lines,
            {"min_length": Param(80, low=20, high=400)},
            doc="Erase long horizontal rules such as form underlines.",
        ),
        StepSpec(
            "denoise",
            denoise,
            {"strength": Param(10.0, low=2.0, high=30.0)},
            doc="Non-local-means denoising of sensor noise and JPEG speckle.",
        ),
        StepSpec(
            "upscale_small_text",
            upscale_small_text,
            {"min_height": Param(20, low=10, high=40)},
            doc="Enlarge the page only when its characters are small.",
        ),
        StepSpec(
            "resample_text",
            resample_text,
            {"target": Param(20, low=10, high=60)},
            doc="Resize the page so its characters are about ``target`` px high.",
        ),
        StepSpec("otsu", otsu, doc="One global threshold chosen by Otsu's method."),
    )
}
