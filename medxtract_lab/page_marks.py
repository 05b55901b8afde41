"""Field locations drawn on page pictures: outlined, and cut out for a person to read.

Locations are page fractions (``records.Location``), so one box serves a picture at any
resolution: the report's strips, the labeler's crops and the tuner's zoom all come from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Box = Sequence[float]  # x0, y0, x1, y1 as fractions of the page's width and height
RED = (40, 40, 214)  # BGR


def outlined(
    page: np.ndarray, boxes: Sequence[Box], colour: tuple[int, int, int] = RED
) -> np.ndarray:
    """A BGR copy of ``page`` (grayscale, or RGB as pages are decoded) with each box outlined,
    ready for ``cv2.imencode``."""
    height, width = page.shape[:2]
    picture = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR) if page.ndim == 2 else page[..., ::-1].copy()
    for x0, y0, x1, y1 in boxes:
        cv2.rectangle(
            picture,
            (int(x0 * width), int(y0 * height)),
            (int(x1 * width), int(y1 * height)),
            colour,
            max(2, width // 600),
        )
    return picture


def around(boxes: Sequence[Box], margin_x: float, margin_y: float) -> tuple[float, ...]:
    """The box holding ``boxes`` grown by the margins, kept on the page."""
    return (
        max(0.0, min(b[0] for b in boxes) - margin_x),
        max(0.0, min(b[1] for b in boxes) - margin_y),
        min(1.0, max(b[2] for b in boxes) + margin_x),
        min(1.0, max(b[3] for b in boxes) + margin_y),
    )


def padded(boxes: Sequence[Box], room: float = 0.004) -> list[tuple[float, ...]]:
    """Each box with a little room, so its outline does not cover the value's ink."""
    return [around([box], room, room * 0.75) for box in boxes]


def through(box: Box, homography: np.ndarray) -> tuple[float, ...]:
    """The box holding ``box`` once moved by ``homography`` (fractions to fractions): where a
    box of the page lands in a page that preprocessing rotated or warped, or back."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x1, y1, 1.0], [x0, y1, 1.0]])
    moved = corners @ np.asarray(homography, dtype=float).T
    xs, ys = moved[:, 0] / moved[:, 2], moved[:, 1] / moved[:, 2]
    return (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))


def cut(page: np.ndarray, box: Box) -> np.ndarray:
    """The part of ``page`` inside ``box`` (page fractions), at least one pixel."""
    height, width = page.shape[:2]
    x0, y0 = int(box[0] * width), int(box[1] * height)
    x1 = max(x0 + 1, int(np.ceil(box[2] * width)))
    y1 = max(y0 + 1, int(np.ceil(box[3] * height)))
    return page[y0:y1, x0:x1]


def strip(page: np.ndarray, boxes: Sequence[Box], margin: float = 0.025) -> np.ndarray:
    """The full-width band of ``page`` holding ``boxes``, each outlined: the line in context."""
    top, bottom = around(boxes, 0.0, margin)[1::2]
    return cut(outlined(page, boxes), (0.0, top, 1.0, bottom))


def crop(page: np.ndarray, boxes: Sequence[Box], margin: float = 0.02) -> np.ndarray:
    """Just the value, with a little of the page around it, to read it at full resolution."""
    return cut(page, around(boxes, margin, margin / 2))
