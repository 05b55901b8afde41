"""Multi-candidate recognition: re-read a missing or doubtful field from its own region.

A value printed on an underline, or next to a shadow edge, is often lost when Tesseract reads
the whole page. Its label usually survives, so the region beside and below the label is cropped
from the page's OCR input, enlarged, and read as a single line (an engine capability); the
candidate wins when it passes the field's validator with a higher confidence. The work is
bounded by a time budget.
"""

from __future__ import annotations

import time
from dataclasses import replace

import cv2
import numpy as np

from medxtract_lab.config import OcrSettings, PipelineConfig
from medxtract_lab.extraction import DocType, FieldMatch, Label, resolve_value
from medxtract_lab.locations import box_location
from medxtract_lab.ocr import OcrEngine, reads_lines, words_in
from medxtract_lab.pages import ocr_input
from medxtract_lab.records import Extraction, ReadDocument, RegionReading
from medxtract_lab.render import PdfDocument

DOUBTFUL = 0.5  # a field below this confidence is re-read


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
) -> RegionReading:
    """OCR one region (0: right of the label, 1: below it), enlarged, as a single line."""
    rows, cols = _regions(box, image.shape)[region]
    crop = image[rows, cols]
    if crop.size == 0:
        return ("", 0.0)
    crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    crop = cv2.copyMakeBorder(crop, 20, 20, 20, 20, cv2.BORDER_REPLICATE)
    ocr = engine.recognize_line(crop, settings)
    confidences = [w.confidence for w in ocr.words] or [0.5]
    return (ocr.text, sum(confidences) / len(confidences))


def reread_fields(
    pdf: PdfDocument,
    doc_type: DocType,
    matches: dict[str, FieldMatch],
    config: PipelineConfig,
    engine: OcrEngine,
    read: ReadDocument,
    result: Extraction,
) -> tuple[Extraction, ReadDocument]:
    """Try each missing or doubtful labelled field again from its cropped region.

    Returns the improved extraction and ``read`` with the regions read now added (``read``
    itself, unchanged, when nothing new was read).
    """
    budget = config.ocr.reread_budget_s
    if budget <= 0 or not reads_lines(engine):
        return result, read
    started = time.perf_counter()
    regions = dict(read.regions)
    read_now = False
    images: dict[int, np.ndarray] = {}  # each page is prepared at most once
    settings = replace(config.ocr, page_timeout_s=min(budget, 10.0))
    fields, confidence = dict(result.fields), dict(result.confidence)
    locations = dict(result.locations)
    for spec in doc_type.fields:
        if not isinstance(spec.find, Label) or spec.value is None:
            continue
        if fields[spec.name] is not None and confidence[spec.name] >= DOUBTFUL:
            continue
        for page_index, start, end in matches[spec.name].anchors:
            page = read.pages[page_index]
            words = words_in(page.words, start, end)
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
                if key not in regions:
                    if page_index not in images:
                        images[page_index] = (
                            page.image
                            if page.image is not None
                            else ocr_input(pdf, page.number, config)
                        )
                    regions[key] = _read_region(images[page_index], box, region, engine, settings)
                    read_now = True
                text, mean_confidence = regions[key]
                candidate = resolve_value(spec, text)
                if candidate is None:
                    continue
                value, factor = candidate
                score = round(factor * mean_confidence * 0.9, 3)
                if fields[spec.name] is None or score > confidence[spec.name]:
                    fields[spec.name], confidence[spec.name] = value, score
                    # The value's own words are not placed: the region read stands for it.
                    rows, cols = _regions(box, (page.size[1], page.size[0]))[region]
                    locations[spec.name] = [
                        box_location(page, cols.start, rows.start, cols.stop, rows.stop)
                    ]
                    break
            if fields[spec.name] is not None and confidence[spec.name] >= DOUBTFUL:
                break
    timings = dict(result.timings_ms)
    timings["reread"] = round((time.perf_counter() - started) * 1000, 1)
    improved = replace(
        result, fields=fields, confidence=confidence, locations=locations, timings_ms=timings
    )
    return improved, (replace(read, regions=regions) if read_now else read)
