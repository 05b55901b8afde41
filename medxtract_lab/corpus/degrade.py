"""Make a clean page look scanned or photographed with a phone.

Each function takes a rendered page and a NumPy random generator and returns a new image; all
randomness comes from the generator, so a seed reproduces the same page.
"""

from __future__ import annotations

import cv2
import numpy as np


def _rotate(image: np.ndarray, degrees: float, fill: int | tuple[int, ...]) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(
        image,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )


def scan(gray: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Flatbed scan: skew up to ±2°, speckle, faint sensor noise, mild blur. Returns the skew."""
    skew = float(rng.uniform(-2, 2))
    page = _rotate(gray, skew, 255).astype(np.float32)
    page += rng.normal(0, rng.uniform(1.5, 3), page.shape)
    page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.4, 0.8))
    speckle = rng.random(page.shape) < rng.uniform(0.0002, 0.0008)
    page[speckle] = rng.uniform(0, 90)
    page = page * rng.uniform(0.93, 1.0) + rng.uniform(0, 12)
    return np.clip(page, 0, 255).astype(np.uint8), skew


def _polygon_mask(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A shadow polygon entering from one edge and covering up to half of the page."""
    h, w = shape
    cover = rng.uniform(0.2, 0.5)
    edge = rng.integers(4)
    jitter = lambda n: rng.uniform(-0.15, 0.15, n)  # noqa: E731
    if edge == 0:  # from the left
        xs = np.array([0, cover + jitter(1)[0], cover + jitter(1)[0], 0]) * w
        ys = np.array([0, 0, 1, 1]) * h
    elif edge == 1:  # from the right
        xs = np.array([1, 1 - cover + jitter(1)[0], 1 - cover + jitter(1)[0], 1]) * w
        ys = np.array([0, 0, 1, 1]) * h
    elif edge == 2:  # from the top
        xs = np.array([0, 1, 1, 0]) * w
        ys = np.array([0, 0, cover + jitter(1)[0], cover + jitter(1)[0]]) * h
    else:  # a diagonal corner shadow
        xs = np.array([0, 2 * cover, 0]) * w
        ys = np.array([h, h, h - 2 * cover * h])
    points = np.stack([xs, ys], axis=1).astype(np.int32)
    mask = np.zeros(shape, np.float32)
    cv2.fillPoly(mask, [points], 1.0)
    return mask


def photo(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Phone photo: tinted paper on a background, perspective and curl, light gradient,
    soft or hard shadows, blur. JPEG is applied by the caller."""
    h, w = rgb.shape[:2]
    tint = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.88, 0.98), rng.uniform(0.8, 0.95)])
    paper = rgb.astype(np.float32) * tint

    margin_x, margin_y = int(w * rng.uniform(0.04, 0.09)), int(h * rng.uniform(0.03, 0.07))
    canvas_w, canvas_h = w + 2 * margin_x, h + 2 * margin_y
    background = np.array([rng.uniform(40, 140), rng.uniform(35, 120), rng.uniform(25, 100)])
    canvas = np.empty((canvas_h, canvas_w, 3), np.float32)
    canvas[:] = background
    canvas += rng.normal(0, 6, canvas.shape)

    # Perspective: the page corners move inward by a few percent of the page size.
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    shift = rng.uniform(0, 0.035, (4, 2)) * [w, h]
    dst = np.float32(
        [
            [margin_x + shift[0, 0], margin_y + shift[0, 1]],
            [margin_x + w - shift[1, 0], margin_y + shift[1, 1]],
            [margin_x + w - shift[2, 0], margin_y + h - shift[2, 1]],
            [margin_x + shift[3, 0], margin_y + h - shift[3, 1]],
        ]
    )
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(
        paper, matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR, borderValue=(-1, -1, -1)
    )
    inside = warped[..., 0] >= 0
    canvas[inside] = warped[inside]

    # Curl: a gentle vertical bow across the page width.
    amplitude = rng.uniform(2, 0.006 * canvas_h)
    xs = np.arange(canvas_w, dtype=np.float32)
    bow = amplitude * np.sin(np.pi * xs / canvas_w)
    map_x = np.tile(xs, (canvas_h, 1))
    map_y = np.arange(canvas_h, dtype=np.float32)[:, None] - bow[None, :]
    canvas = cv2.remap(
        canvas, map_x, map_y.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )

    # Lighting gradient along a random direction.
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
    ramp = np.cos(angle) * xx / canvas_w + np.sin(angle) * yy / canvas_h
    ramp = (ramp - ramp.min()) / (np.ptp(ramp) + 1e-6)
    light = 1.0 - rng.uniform(0.15, 0.35) * ramp
    canvas *= light[..., None]

    # Shadows: one or two, soft-edged or hard-edged.
    for _ in range(rng.integers(1, 3)):
        mask = _polygon_mask((canvas_h, canvas_w), rng)
        if rng.random() < 0.6:
            mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.02, 0.06) * canvas_w)
        else:
            mask = cv2.GaussianBlur(mask, (0, 0), 2)
        canvas *= (1 - rng.uniform(0.3, 0.55) * mask)[..., None]

    canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(0.5, 1.1))
    canvas += rng.normal(0, 2, canvas.shape)
    return np.clip(canvas, 0, 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int, optimize: bool = False) -> bytes:
    """Encode as JPEG (RGB or grayscale input); ``optimize`` computes Huffman tables for the
    image, as phone cameras do: the same pixels in a smaller file."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    options = [cv2.IMWRITE_JPEG_QUALITY, int(quality), cv2.IMWRITE_JPEG_OPTIMIZE, int(optimize)]
    ok, data = cv2.imencode(".jpg", image, options)
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def camera(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a phone camera adds at 12 megapixels: optical blur a few pixels wide, then sensor
    grain (fine luma noise and blotchier colour noise). JPEG is applied by the caller."""
    image = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), rng.uniform(1.2, 2.0))
    sigma = rng.uniform(3, 6)  # phones denoise: what is left after it
    luma = cv2.GaussianBlur(rng.normal(0, sigma, image.shape[:2]).astype(np.float32), (0, 0), 0.8)
    chroma = rng.normal(0, sigma * 0.6, image.shape).astype(np.float32)
    image += luma[..., None] + cv2.GaussianBlur(chroma, (0, 0), 1.5)
    return np.clip(image, 0, 255).astype(np.uint8)
