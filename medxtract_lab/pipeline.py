"""``extract``: the one place where a document's pages are read and its fields found.

Pages are processed in a thread pool, one page per task: poppler, OpenCV and Tesseract all run
outside the GIL, so threads give real parallelism, and only ``workers`` page images are ever held
in memory at once. A page with a real text layer skips rendering and OCR altogether.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextvars
import math
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from medxtract_lab import budget, render
from medxtract_lab.config import PipelineConfig, get_preset
from medxtract_lab.doctypes import LAYOUTS, all_layouts, doc_type_names, get_doctype, layouts_of
from medxtract_lab.doctypes.detect import (
    AUTO,
    RECOGNISED_SHARE,
    TypeMatch,
    rank_layouts,
    rank_types,
    wrong_type_warning,
)
from medxtract_lab.errors import MedXtractError, OcrError, OcrTimeout, TypeNotRecognised
from medxtract_lab.evidence import field_confidence, field_locations
from medxtract_lab.extraction import DocType, match_fields
from medxtract_lab.extraction.spec import Choice
from medxtract_lab.line_shape import guessed_turn
from medxtract_lab.ocr import OcrEngine, OcrResult, detects_orientation, get_engine, reads_lines
from medxtract_lab.pages import ocr_input, placed_ocr_input
from medxtract_lab.records import Extraction, Page, ReadDocument
from medxtract_lab.reread import reread_fields
from medxtract_lab.stopwatch import Stopwatch
from medxtract_lab.text_layer import (
    MAX_STREAM_BYTES,
    MAX_TEXT_BYTES,
    TextLayer,
    TextLayerUnread,
    text_layers,
)
from medxtract_lab.ticks import read_ticks

# Documents up to this many pages keep their processed page images for field re-reads.
KEEP_IMAGES_UP_TO_PAGES = 4
# A page whose pictures cover more than this share of it, under a text layer of fewer than
# ``FEW_WORDS`` words, is read by OCR: a photo with a line typed onto it in a PDF editor holds
# its fields in the picture. A born-digital page with a large image (a letterhead, a chart) or
# a scan with a full OCR text layer keeps its text layer.
PICTURE_PAGE = 0.5
FEW_WORDS = 25
# A first read whose words average below this confidence may be a turned page (see ``_poor``).
POOR_READ = 0.8
# ... or that found fewer words than a form page holds (the emptiest corpus page has 28).
FEW_WORDS_READ = 12
# Tesseract's OSD confidence below which its answer is not acted on (sideways corpus pages
# score 6 to 19).
ORIENTATION_CONFIDENCE = 2.0
# Extra time the pipeline grants an engine beyond its own per-page timeout before giving up.
_TIMEOUT_GRACE_S = 5.0


# Pages already run one per core; OpenCV's own thread pool on top of that oversubscribes the
# cores (measured with benchmarks/speed.py's default run: about 15% more throughput with it
# off on 2 cores).
cv2.setNumThreads(1)


def read_page(
    pdf: render.PdfDocument,
    number: int,
    config: PipelineConfig,
    engine: OcrEngine,
    keep_image: bool = False,
) -> Page:
    """Render (or decode), preprocess and OCR one page; text-layer pages never get here."""
    stage = f"reading page {number}"
    ocr_limit = budget.time_left(stage, config.ocr.page_timeout_s)
    config = replace(config, ocr=replace(config.ocr, page_timeout_s=ocr_limit))
    watch = Stopwatch()
    image, frame = placed_ocr_input(pdf, number, config, watch)
    turns, result, image, frame = _read_either_way(pdf, number, config, engine, image, frame, watch)
    size = (image.shape[1], image.shape[0])
    kept = image if keep_image else None
    return Page(
        number,
        "ocr",
        result.text,
        result.words,
        size,
        watch.wall_ms,
        turns,
        kept,
        watch.cpu_ms,
        frame,
    )


def _recognize(
    engine: OcrEngine,
    image: np.ndarray,
    config: PipelineConfig,
    number: int,
    watch: Stopwatch,
) -> OcrResult:
    try:
        with watch.stage("ocr"):
            return engine.recognize(image, config.ocr)
    except MedXtractError:
        raise
    except Exception as exc:  # a third-party engine's own failure, named but not leaked
        raise OcrError(
            f"The OCR engine failed on page {number} ({type(exc).__name__}). "
            f"Check the installation of the '{config.ocr.engine}' engine."
        ) from exc


def _mean_confidence(result: OcrResult) -> float:
    return sum(w.confidence for w in result.words) / len(result.words) if result.words else 0.0


def _poor(result: OcrResult) -> bool:
    """A read too unsure, or too short, to be an upright form page: on the corpus, upright
    scans, photos and camera pages read at a mean word confidence of 0.92 or more, sideways and
    upside-down ones at 0.69 or less; a sideways page may also yield a few stray letters read
    with confidence (a border taken for a 'Z')."""
    return _mean_confidence(result) < POOR_READ or len(result.words) < FEW_WORDS_READ


def _read_either_way(
    pdf: render.PdfDocument,
    number: int,
    config: PipelineConfig,
    engine: OcrEngine,
    image: np.ndarray,
    frame: tuple[float, ...],
    watch: Stopwatch,
) -> tuple[int, OcrResult, np.ndarray, tuple[float, ...]]:
    """The page read as it is or, when it is turned and the turned read is the surer one, read
    upright: (turns, read, the image read, its frame).

    A page that looks turned is turned first, so that its read as it is (about 300 ms of
    Tesseract's time on a corpus page) is not made only to be thrown away, and without asking
    the engine's orientation detection (about 300 ms more) what the page's shapes already say
    (``line_shape.guessed_turn``): a page whose text lines face down (a sheet fed into a
    scanner the wrong way round) is read turned half round, and a landscape page whose letters
    lie on their sides (a portrait form photographed or scanned sideways, by phones and
    scanner apps that ignore the orientation sensor) is read turned the quarter its lines
    say. A landscape page whose shapes do not tell asks the engine first. When the turned read
    is poor, the page is also read as it is, as any page is, and a read that is not poor is
    kept; when that is poor too and the engine was not asked yet, it is asked (its turn read
    unless it is the turn already read), and of the poor reads the surest one is kept."""
    if not (config.ocr.upright and detects_orientation(engine)):
        return 0, _recognize(engine, image, config, number, watch), image, frame
    with watch.stage("preprocess"):
        guess = guessed_turn(image)
    upright = None
    if guess is None:
        upright = _read_upright(pdf, number, config, engine, image, watch)
    elif guess:
        # No upright corpus page is taken for a turned one, and every turned page of `rotated`
        # is, the right way round: the engine's orientation detection would only confirm it.
        # A page the shapes miss takes the route below.
        upright = _read_turned(pdf, number, config, engine, guess, watch)
    if upright is not None and not _poor(upright[1]):
        return upright
    result = _recognize(engine, image, config, number, watch)
    if not _poor(result):
        return 0, result, image, frame
    reads = [(0, result, image, frame), upright]
    if guess is not None:
        reads.append(_read_upright(pdf, number, config, engine, image, watch, guess))
    # The first of the surest: the read as it is on a tie.
    return max((r for r in reads if r is not None), key=lambda r: _mean_confidence(r[1]))


def _read_upright(
    pdf: render.PdfDocument,
    number: int,
    config: PipelineConfig,
    engine: OcrEngine,
    image: np.ndarray,
    watch: Stopwatch,
    tried: int = 0,
) -> tuple[int, OcrResult, np.ndarray, tuple[float, ...]] | None:
    """The page read again upright, when the engine finds it turned other than by ``tried``
    quarter turns (a turn already read); None when it does not."""
    with watch.stage("orientation"):
        turns, confidence = engine.orientation(image)
    if not turns or turns == tried or confidence < ORIENTATION_CONFIDENCE:
        return None
    return _read_turned(pdf, number, config, engine, turns, watch)


def _read_turned(
    pdf: render.PdfDocument,
    number: int,
    config: PipelineConfig,
    engine: OcrEngine,
    turns: int,
    watch: Stopwatch,
) -> tuple[int, OcrResult, np.ndarray, tuple[float, ...]]:
    """The page read given ``turns`` quarter turns counter-clockwise. Turned before
    preprocessing: text height, skew and underlines are measured upright."""
    turned, frame = placed_ocr_input(pdf, number, config, watch, turns)
    return turns, _recognize(engine, turned, config, number, watch), turned, frame


def _typed_on_picture(layer: TextLayer | None, info: render.PdfInfo, number: int) -> bool:
    """A page that is mostly picture, with a text layer of a few typed words over it."""
    return (
        layer is not None
        and info.pictures[number - 1] > PICTURE_PAGE
        and len(layer.words) < FEW_WORDS
    )


def _text_page(number: int, layer: TextLayer) -> Page:
    return Page(number, "text_layer", layer.text, layer.words, layer.size)


def read_pages(pdf: render.PdfDocument, config: PipelineConfig, engine: OcrEngine) -> ReadDocument:
    """Read each page (text layer or OCR), in page order."""
    info = pdf.info
    watch = Stopwatch()
    layers: list[TextLayer | None] = []
    warnings: list[str] = []
    # A document made only of full-page JPEGs shows no text: no text layer to look for.
    if config.render.use_text_layer and not all(info.scans):
        # A page of more content than a page of print has is read by OCR (see text_layer).
        wanted = [0 <= size <= MAX_TEXT_BYTES for size in info.drawing]
        found, unread = None, ""
        if info.text_streams > MAX_STREAM_BYTES:
            unread = f"its fonts and other streams decode to over {MAX_STREAM_BYTES >> 20} MB"
        else:
            with watch.stage("text_layer"):
                try:
                    found = text_layers(pdf.path, config.render, wanted, info.media_boxes)
                except TextLayerUnread as failed:
                    unread = str(failed)
        if unread:
            warnings.append(
                f"the text layer could not be read ({unread}), so every page was read by OCR; "
                "re-export the PDF if it is born-digital."
            )
        skipped = [n for n, read in enumerate(wanted, start=1) if not read]
        if found is not None and skipped:
            warnings.append(
                f"page(s) {', '.join(map(str, skipped))} draw more content than a page of print "
                f"(over {MAX_TEXT_BYTES >> 20} MB) or content that could not be measured, so "
                "their text layer was not read and they were read by OCR."
            )
        layers = found or []
    kept = [
        layers[n - 1]
        if n <= len(layers) and not _typed_on_picture(layers[n - 1], info, n)
        else None
        for n in range(1, info.pages + 1)
    ]
    if all(kept):
        # Born-digital: nothing is rasterised, so the page-size guard has nothing to guard.
        pages = [_text_page(n, layer) for n, layer in enumerate(kept, start=1) if layer]
        return ReadDocument(pages, warnings, watch.wall_ms, cpu_ms=watch.cpu_ms)
    needs_ocr = [layer is None for layer in kept]
    if config.ocr.upright and not detects_orientation(engine):
        warnings.append(
            f"the '{engine.name}' engine cannot detect page orientation, so a sideways or "
            "upside-down page is read as it is; use the tesserocr engine to read it upright."
        )
    # Scan pages too: a JPEG that fails to decode falls back to rendering the page.
    render.check_page_sizes(pdf, config.render, [n for n, o in enumerate(needs_ocr, 1) if o])

    workers = min(config.workers or os.cpu_count() or 1, info.pages)
    # A pool per document: documents read concurrently (a server, a benchmark) each get their
    # own workers, and a hung engine can only ever hold this document's threads.
    pool = cf.ThreadPoolExecutor(workers, thread_name_prefix="medxtract-page")
    keep = (
        info.pages <= KEEP_IMAGES_UP_TO_PAGES
        and config.ocr.reread_budget_s > 0
        and reads_lines(engine)
    )
    # Each page runs in a copy of this context: the document's time budget goes with it.
    futures = [
        pool.submit(contextvars.copy_context().run, read_page, pdf, n, config, engine, keep)
        if needs_ocr[n - 1]
        else None
        for n in range(1, info.pages + 1)
    ]
    pages: list[Page] = []
    rounds = math.ceil(info.pages / workers)
    give_up_at = time.monotonic() + rounds * (config.ocr.page_timeout_s + _TIMEOUT_GRACE_S)
    try:
        for number, future in enumerate(futures, start=1):
            if future is None:
                pages.append(_text_page(number, kept[number - 1]))
                continue
            stage = f"reading page {number}"
            try:
                wait = budget.time_left(stage, max(0.1, give_up_at - time.monotonic()))
                pages.append(future.result(timeout=wait))
            except (OcrTimeout, cf.TimeoutError):
                budget.check(stage)
                warnings.append(
                    f"page {number}: OCR timed out after {config.ocr.page_timeout_s:g} s; "
                    "fields on this page are missing. Raise ocr.page_timeout_s to allow more."
                )
                pages.append(Page(number, "ocr", ""))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if budget.seconds_left(1.0) <= 0:
            # The pages still running were given no more than what was left of the budget:
            # wait for them, so their poppler is killed and reaped before the error goes out.
            cf.wait([f for f in futures if f is not None], timeout=_TIMEOUT_GRACE_S)
    for page in pages:
        watch.add_all(page.timings_ms, page.cpu_ms)
    return ReadDocument(pages, warnings, watch.wall_ms, cpu_ms=watch.cpu_ms)


def pictures_of(pdf: render.PdfDocument, config: PipelineConfig) -> Callable[[Page], np.ndarray]:
    """Each page's OCR input, made once and only when asked for (a ticked box is measured on
    it): the one kept from the first read, or rendered and preprocessed again."""
    made: dict[int, np.ndarray] = {}

    def picture(page: Page) -> np.ndarray:
        if page.number not in made:
            own = page.image
            made[page.number] = (
                own if own is not None else ocr_input(pdf, page.number, config, turns=page.turns)
            )
        return made[page.number]

    return picture


def extract_from_read(
    pdf: render.PdfDocument,
    doc_type: str,
    config: PipelineConfig,
    engine: OcrEngine,
    read: ReadDocument,
) -> tuple[Extraction, ReadDocument]:
    """Fields from pages already read, then a bounded re-read of missing or doubtful ones.

    Returns the extraction and the document as read, including any regions re-read now (the
    same object when nothing new was read), for the caller to cache.
    """
    watch = Stopwatch(dict(read.timings_ms), dict(read.cpu_ms))
    with watch.stage("extract"):
        spec = choose_layout(doc_type, read)
        matches = match_fields(
            spec,
            [p.text for p in read.pages],
            [p.words for p in read.pages],
            [p.size for p in read.pages],
        )
        if any(isinstance(f.find, Choice) for f in spec.fields):
            matches = read_ticks(spec, matches, read.pages, pictures_of(pdf, config))
    result = Extraction(
        document_type=spec.name,
        layout=spec.layout,
        fields={name: f.value for name, f in matches.items()},
        confidence={name: field_confidence(f, read.pages) for name, f in matches.items()},
        pages=len(read.pages),
        page_sources=[p.source for p in read.pages],
        timings_ms={k: round(v, 1) for k, v in watch.wall_ms.items()},
        warnings=list(read.warnings),
        locations={name: field_locations(f, read.pages) for name, f in matches.items()},
        page_texts=[p.text for p in read.pages],
        page_turns=[p.turns for p in read.pages],
        cpu_ms=watch.cpu_ms,
    )
    return reread_fields(pdf, spec, matches, config, engine, read, result)


def extract(
    pdf: str | Path,
    doc_type: str,
    config: PipelineConfig | None = None,
    engine: OcrEngine | None = None,
) -> Extraction:
    """Read a medical PDF and return its fields; bad input raises a typed ``MedXtractError``.
    ``doc_type`` may be ``"auto"``: the pages are read first (reading does not depend on the
    type) and the type whose labels they print is used. A type given by hand that finds fewer
    than half its fields is checked against the others, and a warning names the likely one."""
    started = time.perf_counter()
    if doc_type != AUTO:
        get_doctype(doc_type)  # an unknown type fails before any work
    config = config or get_preset("default")
    opening = Stopwatch()
    with opening.stage("inspect"):
        document = render.open_pdf(pdf, config.render)  # names the problem with a bad file
    engine = engine or get_engine(config.ocr.engine)
    token = budget.begin(config.render.doc_timeout_s)
    try:
        read = read_pages(document, config, engine)
        read = replace(
            read,
            timings_ms={**opening.wall_ms, **read.timings_ms},
            cpu_ms={**opening.cpu_ms, **read.cpu_ms},
        )
        if doc_type == AUTO:
            doc_type = _likely_type(document, read)
        result, _ = extract_from_read(document, doc_type, config, engine, read)
        # Ranking the types costs about 7 ms: only a poor result is worth checking.
        if sum(v is not None for v in result.fields.values()) < len(result.fields) / 2:
            warning = wrong_type_warning(doc_type, _ranked(read))
            result.warnings += [warning] if warning else []
    finally:
        budget.end(token)
    result.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def choose_layout(doc_type: str, read: ReadDocument) -> DocType:
    """The layout of ``doc_type`` whose own labels the pages print most of (the only one, when
    the type has one)."""
    layouts = layouts_of(doc_type)
    if len(layouts) == 1:
        return layouts[0]
    best = rank_layouts([p.text for p in read.pages], layouts, by_type=False)[0]
    return LAYOUTS[doc_type][best.layout]


def type_warning(doc_type: str, read: ReadDocument) -> str | None:
    """A warning naming the likely type when the pages print another type's labels clearly
    more (the labeler checks a document on import and on open)."""
    return wrong_type_warning(doc_type, _ranked(read))


def _ranked(read: ReadDocument) -> list[TypeMatch]:
    return rank_types([p.text for p in read.pages], all_layouts())


def _likely_type(document: render.PdfDocument, read: ReadDocument) -> str:
    """The registered type whose labels the pages print, or ``TypeNotRecognised``."""
    ranked = _ranked(read)
    best = ranked[0]
    if best.share < RECOGNISED_SHARE:
        shown = "; ".join(m.describe() for m in ranked)
        raise TypeNotRecognised(
            f"{document.name} prints too few of any document type's labels to tell its type "
            f"({shown}). Give the type (one of {doc_type_names()})."
        )
    return best.name
