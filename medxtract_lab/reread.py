"""Fallback candidates: read a missing or doubtful field again, with other preprocessing.

A value printed on an underline, next to a shadow edge or in camera grain is often lost or
misread when Tesseract reads the whole page, while its label survives. The candidates, cheapest
first:

1. regions: the crops right of and below the field's label, enlarged and read as a single line
   (an engine capability), from the page's own OCR input and then through the ``seed`` chain
   (the original project's preprocessing) from the page image;
2. a page: when a field is still missing on a page read by OCR (its label lost with it), the
   whole page through the ``seed`` chain, matched again.

The ``seed`` chain (scale 1.5, adaptive Gaussian threshold) runs on the page in the config's
own geometry (resampled, deskewed), so its regions are the same parts of the page.

A candidate wins when the field's validator recognises it (not merely keeps it as read) with a
higher confidence than the value it replaces. A free-text field has no validator, so a region
may only correct the value already read (similar text), never invent one. All of it is
bounded by the time budget; a read that fails or times out gives no candidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
from rapidfuzz import fuzz

from medxtract_lab import budget
from medxtract_lab.config import PipelineConfig, Step, get_preset
from medxtract_lab.errors import MedXtractError
from medxtract_lab.evidence import box_location, field_confidence, field_locations
from medxtract_lab.extraction import DocType, FieldMatch, Label, match_fields, resolve_value
from medxtract_lab.extraction.validators import KEPT_AS_READ
from medxtract_lab.ocr import OcrEngine, OcrResult, reads_lines, words_in
from medxtract_lab.pages import frame_of, ocr_input, steps_start
from medxtract_lab.preprocess import GEOMETRIC_STEPS, apply_steps, apply_steps_placed
from medxtract_lab.records import Extraction, Location, Page, ReadDocument, RegionReading
from medxtract_lab.render import PdfDocument
from medxtract_lab.stopwatch import Stopwatch

DOUBTFUL = 0.5  # a field below this confidence is re-read
# A re-read of a free-text field must be this similar (0-100) to the value it corrects.
SAME_VALUE = 75
# A candidate read of a region counts for a little less than the page read it replaces.
REGION_DISCOUNT = 0.9
# The other preprocessing tried: the original project's chain.
FALLBACK = "seed"
# Page pixels around a region that the fallback chain is applied with, rather than to the
# whole page (whose 61-px adaptive threshold at 1.5x took 145 ms on a 300-dpi page): more than
# any of its steps reaches, so the region comes out as it would from the whole page.
REGION_CONTEXT = 32


def _regions(
    box: tuple[int, int, int, int],
    shape: tuple[int, ...],
    reach: int = 0,
    others: Sequence[tuple[int, int, int, int]] = (),
) -> list[tuple[slice, slice]]:
    """The crops right of and below a label box; ``reach`` is the right edge of the value
    read there, when it was read, so a long value is cropped whole. The crop below ends where
    another field's label (``others``) starts under it: a value is never part of a label, and
    a read of the next label's top half cost up to 130 ms to give nothing."""
    left, top, width, height = box
    h, w = shape[:2]
    # Tight rows: a taller crop reaches the neighbouring line of a tilted photo, and a single
    # line read then takes that line instead.
    right_of = (
        slice(max(0, top - height // 4), min(h, top + height + height // 2)),
        slice(min(w - 1, left + width), min(w, max(left + width + 14 * height, reach + height))),
    )
    below_cols = slice(max(0, left - height), min(w, left + width + 12 * height))
    bottom = min(
        [h, top + 3 * height]
        + [
            other_top
            for other_left, other_top, other_width, _ in others
            if other_top >= top + height
            and other_left < below_cols.stop
            and other_left + other_width > below_cols.start
        ]
    )
    below = (slice(min(h - 1, top + height), max(min(h - 1, top + height), bottom)), below_cols)
    return [right_of, below]


def _read_crop(crop: np.ndarray, ocr_line: Callable[..., OcrResult | None]) -> RegionReading | None:
    """OCR one cropped region, enlarged, as a single line; None when the read failed."""
    if crop.size == 0:
        return ("", 0.0)
    crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    crop = cv2.copyMakeBorder(crop, 20, 20, 20, 20, cv2.BORDER_REPLICATE)
    ocr = ocr_line(crop, line=True)
    if ocr is None:
        return None
    confidences = [w.confidence for w in ocr.words] or [0.5]
    return (ocr.text, sum(confidences) / len(confidences))


def _label_box(page: Page, start: int, end: int) -> tuple[int, int, int, int] | None:
    words = words_in(page.words, start, end)
    if page.source != "ocr" or not words:
        return None
    left = min(w.box[0] for w in words)
    top = min(w.box[1] for w in words)
    right = max(w.box[0] + w.box[2] for w in words)
    return (left, top, right - left, max(w.box[3] for w in words))


class _Rereader:
    """One document's re-read: its images prepared at most once, its readings cached."""

    def __init__(
        self,
        pdf: PdfDocument,
        config: PipelineConfig,
        engine: OcrEngine,
        read: ReadDocument,
    ) -> None:
        self.pdf, self.config, self.engine, self.read = pdf, config, engine, read
        self.started = time.perf_counter()
        self.regions = dict(read.regions)
        self.pages = dict(read.fallback_pages)
        self.read_now = False
        self.images: dict[tuple[int, str], np.ndarray] = {}
        # Where the fallback chain moved each page it preprocessed (``Page.frame``).
        self.frames: dict[tuple[int, str], tuple[float, ...]] = {}

    def left(self) -> float:
        """Seconds of the budget left."""
        own = self.config.ocr.reread_budget_s - (time.perf_counter() - self.started)
        return budget.seconds_left(own)  # never past the document's own budget

    def in_budget(self) -> bool:
        return self.left() > 0

    def _ocr(self, image: np.ndarray, line: bool) -> OcrResult | None:
        """One read within what is left of the budget; a timeout or an engine failure here
        only means no candidate: the document was already read."""
        settings = replace(self.config.ocr, page_timeout_s=max(0.1, min(self.left(), 10.0)))
        try:
            if line:
                return self.engine.recognize_line(image, settings)
            return self.engine.recognize(image, settings)
        except MedXtractError:
            return None

    def image(self, page: Page, chain: str) -> np.ndarray:
        """The page as the region reads see it: its own OCR input, or the fallback chain
        applied to the page image (decoded or rendered at the config's resolution)."""
        key = (page.number, chain)
        if key not in self.images:
            if chain == "page":
                own = page.image
                self.images[key] = (
                    own
                    if own is not None
                    else ocr_input(self.pdf, page.number, self.config, turns=page.turns)
                )
            else:
                raw, steps = self.geometry_start(page)
                chain = (*steps, *get_preset(FALLBACK).steps)
                self.images[key], moved = apply_steps_placed(raw, chain)
                self.frames[key] = frame_of(moved)
        return self.images[key]

    def geometry_start(self, page: Page) -> tuple[np.ndarray, tuple[Step, ...]]:
        """The page image the config's steps start from, and those of the steps left that
        set its geometry (resampling, deskew, crop): a fallback chain starts from the page in
        the config's own geometry, so a region of the page frame is the same region in its
        image."""
        raw, steps = steps_start(self.pdf, page.number, self.config, page.turns)
        return raw, tuple(s for s in steps if s.name in GEOMETRIC_STEPS or s.name == "grayscale")

    def region(
        self,
        page: Page,
        box: tuple[int, int, int, int],
        reach: int,
        others: Sequence[tuple[int, int, int, int]],
        region: int,
        chain: str,
    ) -> tuple[str, float, slice, slice]:
        """(text, mean confidence, pixel rows and columns in the page's own frame) of one
        region."""
        rows, cols = _regions(box, (page.size[1], page.size[0]), reach, others)[region]
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return "", 0.0, rows, cols  # no room for a value: nothing to prepare or read
        key = f"{page.number}:{rows.start}-{rows.stop}:{cols.start}-{cols.stop}:{chain}"
        if key not in self.regions:
            if chain == "page":
                crop = self.image(page, chain)[rows, cols]
            else:
                crop = chain_region(self.geometry(page), rows, cols, get_preset(chain).steps)
            reading = _read_crop(crop, self._ocr)
            if reading is None:
                return "", 0.0, rows, cols  # failed now: not cached, a later run tries again
            self.regions[key] = reading
            self.read_now = True
        text, confidence = self.regions[key]
        return text, confidence, rows, cols

    def geometry(self, page: Page) -> np.ndarray:
        """The page image in the config's own geometry (the frame of the page's words)."""
        key = (page.number, "geometry")
        if key not in self.images:
            self.images[key] = apply_steps_placed(*self.geometry_start(page))[0]
        return self.images[key]

    def page(self, page: Page) -> Page | None:
        """The whole page read again through the fallback chain (its words in that image);
        None when that read failed or ran out of time."""
        key = f"{FALLBACK}:{page.number}"
        if key not in self.pages:
            image = self.image(page, FALLBACK)
            result = self._ocr(image, line=False)
            if result is None:
                return None
            size = (image.shape[1], image.shape[0])
            frame = self.frames.get((page.number, FALLBACK), ())
            self.pages[key] = Page(
                page.number, "ocr", result.text, result.words, size, turns=page.turns, frame=frame
            )
            self.read_now = True
        return self.pages[key]

    def document(self) -> ReadDocument:
        if not self.read_now:
            return self.read
        return replace(self.read, regions=self.regions, fallback_pages=self.pages)


def chain_region(
    image: np.ndarray, rows: slice, cols: slice, steps: tuple[Step, ...]
) -> np.ndarray:
    """``image[rows, cols]`` through ``steps``, which may resize it (the crop is then the same
    part of the page at their scale): the steps run on the region and ``REGION_CONTEXT`` pixels
    around it, so the result is what the whole image through them would hold there. The
    window starts on even pixels, where a 1.5x scale samples the points it samples on the
    whole image."""
    height, width = image.shape[:2]
    top = max(0, rows.start - REGION_CONTEXT) // 2 * 2
    left = max(0, cols.start - REGION_CONTEXT) // 2 * 2
    bottom = min(height, rows.stop + REGION_CONTEXT)
    right = min(width, cols.stop + REGION_CONTEXT)
    window = image[top:bottom, left:right]
    done = apply_steps(window, steps)
    fy, fx = done.shape[0] / window.shape[0], done.shape[1] / window.shape[1]
    return done[
        round((rows.start - top) * fy) : round((rows.stop - top) * fy),
        round((cols.start - left) * fx) : round((cols.stop - left) * fx),
    ]


def _accepts(pattern: str | None, current: str | None, candidate: str) -> bool:
    """A field with a value pattern takes any candidate its validator passed; a free-text one
    only a correction of what was read, about as long (the region may hold other text)."""
    if pattern is not None:
        return True
    return current is not None and fuzz.ratio(current, candidate) >= SAME_VALUE


@dataclass
class _Outcome:
    """The extraction's per-field values as the re-read changes them."""

    fields: dict[str, str | None]
    confidence: dict[str, float]
    locations: dict[str, list[Location]]
    rereads: dict[str, str]

    def doubtful(self, name: str) -> bool:
        return self.fields[name] is None or self.confidence[name] < DOUBTFUL

    def take(self, name: str, value: str, score: float, places: list[Location], by: str) -> None:
        self.fields[name], self.confidence[name] = value, score
        self.locations[name], self.rereads[name] = places, by


def _reread_regions(
    work: _Rereader, doc_type: DocType, matches: dict[str, FieldMatch], out: _Outcome
) -> None:
    """Candidate 1: the regions beside and below each doubtful field's label."""
    for spec in doc_type.fields:
        if not isinstance(spec.find, Label) or not out.doubtful(spec.name):
            continue
        if spec.value is None and out.fields[spec.name] is None:
            continue  # free text with nothing read: no candidate could be accepted
        for page_index, start, end in matches[spec.name].anchors:
            page = work.read.pages[page_index]
            if not page.size[0] or not page.size[1]:
                continue
            box = _label_box(page, start, end)
            others = [
                other
                for name, match in matches.items()
                if name != spec.name
                for i, s, e in match.anchors
                if i == page_index and (other := _label_box(page, s, e)) is not None
            ]
            value_words = [
                w
                for i, s, e in matches[spec.name].spans
                if i == page_index
                for w in words_in(page.words, s, e)
            ]
            reach = max((w.box[0] + w.box[2] for w in value_words), default=0)
            for chain, region in [(c, r) for c in ("page", FALLBACK) for r in range(2)]:
                if box is None or not out.doubtful(spec.name) or not work.in_budget():
                    break
                text, mean, rows, cols = work.region(page, box, reach, others, region, chain)
                candidate = resolve_value(spec, text)
                if candidate is None:
                    continue
                value, factor = candidate
                if factor <= KEPT_AS_READ or not _accepts(spec.value, out.fields[spec.name], value):
                    continue  # the validator did not recognise it ('i' for a count)
                score = round(factor * mean * REGION_DISCOUNT, 3)
                if out.fields[spec.name] is None or score > out.confidence[spec.name]:
                    # The value's own words are not placed: the region read stands for it.
                    place = box_location(page, cols.start, rows.start, cols.stop, rows.stop)
                    out.take(spec.name, value, score, [place], f"region:{chain}")


def _reread_pages(
    work: _Rereader, doc_type: DocType, matches: dict[str, FieldMatch], out: _Outcome
) -> None:
    """Candidate 2: whole OCR pages through the fallback chain, for fields whose label was lost
    with their value. The page is matched like the first read (labels and all), so a value
    found there stands beside its own label; it must still be recognised by its validator.
    A field whose label was read is taken to be empty on the form: the region reads already
    looked beside it."""
    lost = [
        s
        for s in doc_type.fields
        if out.fields[s.name] is None and s.anchors and not matches[s.name].anchors
    ]
    for page in work.read.pages:
        wanted = [s for s in lost if out.fields[s.name] is None and s.page in (None, page.number)]
        if page.source != "ocr" or not page.size[0] or not wanted or not work.in_budget():
            continue
        again = work.page(page)
        if again is None:
            continue
        pages = [again if p.number == page.number else p for p in work.read.pages]
        found = match_fields(
            doc_type, [p.text for p in pages], [p.words for p in pages], [p.size for p in pages]
        )
        for spec in wanted:
            match = found[spec.name]
            if match.value is None or match.quality <= KEPT_AS_READ:
                continue  # absent, or not recognised by its validator
            if any(pages[i].number != page.number for i, _, _ in match.spans):
                continue
            score = round(field_confidence(match, pages) * REGION_DISCOUNT, 3)
            places = field_locations(match, pages)
            out.take(spec.name, match.value, score, places, f"page:{FALLBACK}")


def reread_fields(
    pdf: PdfDocument,
    doc_type: DocType,
    matches: dict[str, FieldMatch],
    config: PipelineConfig,
    engine: OcrEngine,
    read: ReadDocument,
    result: Extraction,
) -> tuple[Extraction, ReadDocument]:
    """Try each missing or doubtful field again with the fallback candidates.

    Returns the improved extraction (``rereads`` names the candidate that supplied each
    replaced value) and ``read`` with what was read now added (``read`` itself, unchanged,
    when nothing new was read).
    """
    if config.ocr.reread_budget_s <= 0 or not reads_lines(engine):
        return result, read
    watch = Stopwatch()
    with watch.stage("reread"):
        work = _Rereader(pdf, config, engine, read)
        out = _Outcome(
            dict(result.fields),
            dict(result.confidence),
            dict(result.locations),
            dict(result.rereads),
        )
        _reread_regions(work, doc_type, matches, out)
        _reread_pages(work, doc_type, matches, out)
    improved = replace(
        result,
        fields=out.fields,
        confidence=out.confidence,
        locations=out.locations,
        rereads=out.rereads,
        timings_ms={**result.timings_ms, "reread": round(watch.wall_ms["reread"], 1)},
        cpu_ms={**result.cpu_ms, **watch.cpu_ms},
    )
    return improved, work.document()
