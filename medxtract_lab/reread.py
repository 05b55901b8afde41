"""Multi-candidate recognition: re-read a missing or doubtful field from its own region.

A value printed on an underline, or next to a shadow edge, is often lost when Tesseract reads
the whole page. Its label usually survives, so the region beside and below the label is cropped
from the processed page, enlarged, and read as a single line; the candidate wins when it passes
the field's validator with a higher confidence. The work is bounded by a time budget.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from medxtract_lab import render
from medxtract_lab.config import OcrSettings, PipelineConfig
from medxtract_lab.fields import DocType, anchor_spans, resolve_value
from medxtract_lab.ocr import OcrEngine
from medxtract_lab.preprocess import apply_steps
from medxtract_lab.results import Extraction, ReadDocument

DOUBTFUL = 0.5  # a field below this confidence is re-read
SINGLE_LINE = 7  # Tesseract page segmentation mode: one text line


def _regions(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> list[tuple[slice, slice]]:
    left, top, width, height = box
    h, w = shape[:2]
    right_of = (
        slice(max(0, top - height // 2), min(h, top + 2 * height)),
        slice(min(w - 1, left + width), min(w, left + width + 14 * height)),
    )
    below = (
        slice(min(h - 1, top + height), min(h, top + 3 * height)),
        slice(max(0, left - height), min(w, left + width + 12 * height)),
    )
    return [right_of, below]


def _read_region(
    image: np.ndarray,
    box: tuple[int, int, int, int],
    region: int,
    engine: OcrEngine,
    settings: OcrSettings,
) -> list:
    """OCR one region (0: right of the label, 1: below it), enlarged, as a single line."""
    rows, cols = _regions(box, image.shape)[region]
    crop = image[rows, cols]
    if crop.size == 0:
        return ["", 0.0]
    crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    crop = cv2.copyMakeBorder(crop, 20, 20, 20, 20, cv2.BORDER_REPLICATE)
    ocr = engine.recognize(crop, settings)
    confidences = [w.confidence for w in ocr.words] or [0.5]
    return [ocr.text, sum(confidences) / len(confidences)]


def reread_fields(
    path: Path,
    doc_type: DocType,
    config: PipelineConfig,
    engine: OcrEngine,
    read: ReadDocument,
    result: Extraction,
) -> Extraction:
    """Try each missing or doubtful labelled field again from its cropped region."""
    budget = config.ocr.reread_budget_s
    if budget <= 0:
        return result
    started = time.perf_counter()
    pages = [p.text for p in read.pages]
    images: dict[int, np.ndarray] = {}  # each page is loaded at most once
    scans: list = []
    settings = replace(config.ocr, psm=SINGLE_LINE, page_timeout_s=min(budget, 10.0))
    fields, confidence = dict(result.fields), dict(result.confidence)
    for spec in doc_type.fields:
        if spec.kind != "label" or spec.value is None:
            continue
        if fields[spec.name] is not None and confidence[spec.name] >= DOUBTFUL:
            continue
        for page_index, start, end in anchor_spans(doc_type, pages, spec):
            page = read.pages[page_index]
            words = [w for w in page.words if w.start < end and w.end > start]
            if page.source != "ocr" or not words:
                continue
            if time.perf_counter() - started > budget:
                break
            left = min(w.box[0] for w in words)
            top = min(w.box[1] for w in words)
            box = (
                left,
                top,
                max(w.box[0] + w.box[2] for w in words) - left,
                max(w.box[3] for w in words),
            )
            for region in range(2):
                key = f"{page_index}:{box}:{region}"
                if key not in read.reread:
                    if page_index not in images and page.image is not None:
                        images[page_index] = page.image
                    if page_index not in images:
                        # the same source of pixels as the first read
                        scans = scans or render.scan_plan(path, config.render)
                        raw = render.load_page(path, page.number, config.render, scans[page_index])
                        images[page_index] = apply_steps(raw, config.steps)
                    read.reread[key] = _read_region(
                        images[page_index], box, region, engine, settings
                    )
                text, mean_confidence = read.reread[key]
                candidate = resolve_value(spec, text)
                if candidate is None:
                    continue
                value, factor = candidate
                score = round(factor * mean_confidence * 0.9, 3)
                if fields[spec.name] is None or score > confidence[spec.name]:
                    fields[spec.name], confidence[spec.name] = value, score
                    break
            if fields[spec.name] is not None and confidence[spec.name] >= DOUBTFUL:
                break
    timings = dict(result.timings_ms)
    timings["reread"] = round((time.perf_counter() - started) * 1000, 1)
    return replace(result, fields=fields, confidence=confidence, timings_ms=timings)
