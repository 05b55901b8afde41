"""``extract``: the one place where render, preprocess, OCR and field matching are wired.

Pages are processed in a thread pool, one page per task: poppler, OpenCV and Tesseract all run
outside the GIL, so threads give real parallelism, and only ``workers`` rendered pages are ever
held in memory at once. A page with a real text layer skips rendering and OCR altogether.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import time
from pathlib import Path

import cv2

from medxtract_lab import render
from medxtract_lab.config import PipelineConfig, get_preset
from medxtract_lab.doctypes import get_doctype
from medxtract_lab.errors import MedXtractError, OcrError, OcrTimeout
from medxtract_lab.fields import Found, match_fields
from medxtract_lab.ocr import ENGINES, OcrEngine
from medxtract_lab.preprocess import apply_steps
from medxtract_lab.reread import reread_fields
from medxtract_lab.results import Extraction, Page, ReadDocument

# Documents up to this many pages keep their processed page images for field re-reads.
KEEP_IMAGES_UP_TO_PAGES = 4
# Extra time the pipeline grants an engine beyond its own per-page timeout before giving up.
_TIMEOUT_GRACE_S = 5.0


# Pages already run one per core; OpenCV's own thread pool on top of that oversubscribes the
# cores (measured with benchmarks/speed.py's default run: about 15% more throughput with it
# off on 2 cores).
cv2.setNumThreads(1)

_ENGINE_INSTANCES: dict[str, OcrEngine] = {}


def default_engine(name: str) -> OcrEngine:
    """One engine object per kind, so per-thread Tesseract handles are reused across calls."""
    if name not in _ENGINE_INSTANCES:
        _ENGINE_INSTANCES[name] = ENGINES[name]()
    return _ENGINE_INSTANCES[name]


def process_page(
    path: Path,
    number: int,
    config: PipelineConfig,
    engine: OcrEngine,
    keep_image: bool = False,
    scan: render.EmbeddedScan | None = None,
) -> Page:
    """Render (or decode), preprocess and OCR one page; text-layer pages never get here."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    image = render.load_page(path, number, config.render, scan)
    timings["render"] = (time.perf_counter() - clock) * 1000
    clock = time.perf_counter()
    image = apply_steps(image, config.steps)
    timings["preprocess"] = (time.perf_counter() - clock) * 1000
    clock = time.perf_counter()
    try:
        result = engine.recognize(image, config.ocr)
    except MedXtractError:
        raise
    except Exception as exc:  # a third-party engine's own failure, named but not leaked
        raise OcrError(
            f"The OCR engine failed on page {number} ({type(exc).__name__}). "
            "Check the Tesseract installation; see DESIGN.md for supported versions."
        ) from exc
    timings["ocr"] = (time.perf_counter() - clock) * 1000
    return Page(number, "ocr", result.text, result.words, timings, image if keep_image else None)


def field_confidence(found: Found | None, pages: list[Page]) -> float:
    """Mean OCR confidence of the words under the value, times the label match quality."""
    if found is None:
        return 0.0
    scores = []
    for page_index, start, end in found.spans:
        page = pages[page_index]
        if page.source == "text_layer":
            scores.append(1.0)
            continue
        scores.extend(w.confidence for w in page.words if w.start < end and w.end > start)
    ocr = sum(scores) / len(scores) if scores else 0.5
    return round(max(0.0, min(1.0, ocr * found.quality)), 3)


def read_pages(
    pdf: str | Path, config: PipelineConfig, engine: OcrEngine | None = None
) -> ReadDocument:
    """Validate the PDF, then read each page (text layer or OCR), in page order."""
    started = time.perf_counter()
    engine = engine or default_engine(config.ocr.engine)
    path = Path(pdf)
    info = render.read_info(path, config.render)  # names the problem with a bad file
    timings = {"inspect": (time.perf_counter() - started) * 1000}
    layers: list[str | None] = []
    # A document made only of full-page JPEGs shows no text: no text layer to look for.
    if config.render.use_text_layer and not all(info.scans):
        clock = time.perf_counter()
        layers = render.text_layers(path, config.render) or []
        timings["text_layer"] = (time.perf_counter() - clock) * 1000
    if len(layers) == info.pages and all(layers):
        # Born-digital: nothing is rasterised, so the page-size guard has nothing to guard.
        pages = [Page(n, "text_layer", text) for n, text in enumerate(layers, start=1)]
        return ReadDocument(pages, [], timings)
    needs_ocr = [n > len(layers) or layers[n - 1] is None for n in range(1, info.pages + 1)]
    # Scan pages too: a JPEG that fails to decode falls back to rendering the page.
    to_read = [n for n, ocr in enumerate(needs_ocr, start=1) if ocr]
    render.check_page_sizes(path.name, info, config.render, to_read)

    workers = min(config.workers or os.cpu_count() or 1, info.pages)
    # A pool per document: documents read concurrently (a server, a benchmark) each get their
    # own workers, and a hung engine can only ever hold this document's threads.
    pool = cf.ThreadPoolExecutor(workers, thread_name_prefix="medxtract-page")
    keep = info.pages <= KEEP_IMAGES_UP_TO_PAGES and config.ocr.reread_budget_s > 0
    futures = [
        pool.submit(process_page, path, n, config, engine, keep, info.scans[n - 1])
        if needs_ocr[n - 1]
        else None
        for n in range(1, info.pages + 1)
    ]
    pages: list[Page] = []
    warnings: list[str] = []
    rounds = math.ceil(info.pages / workers)
    give_up_at = time.monotonic() + rounds * (config.ocr.page_timeout_s + _TIMEOUT_GRACE_S)
    try:
        for number, future in enumerate(futures, start=1):
            if future is None:
                pages.append(Page(number, "text_layer", layers[number - 1]))
                continue
            try:
                pages.append(future.result(timeout=max(0.1, give_up_at - time.monotonic())))
            except (OcrTimeout, cf.TimeoutError):
                warnings.append(
                    f"page {number}: OCR timed out after {config.ocr.page_timeout_s:g} s; "
                    "fields on this page are missing. Raise ocr.page_timeout_s to allow more."
                )
                pages.append(Page(number, "ocr", ""))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for page in pages:
        for stage, ms in page.timings_ms.items():
            timings[stage] = timings.get(stage, 0.0) + ms
    return ReadDocument(pages, warnings, timings)


def fields_from_pages(doc_type: str, read: ReadDocument) -> Extraction:
    """Match the document type's field specs over pages already read."""
    spec = get_doctype(doc_type)
    clock = time.perf_counter()
    found = match_fields(spec, [p.text for p in read.pages])
    timings = dict(read.timings_ms)
    timings["extract"] = (time.perf_counter() - clock) * 1000
    return Extraction(
        document_type=spec.name,
        fields={name: f.value if f else None for name, f in found.items()},
        confidence={name: field_confidence(f, read.pages) for name, f in found.items()},
        pages=len(read.pages),
        page_sources=[p.source for p in read.pages],
        timings_ms={k: round(v, 1) for k, v in timings.items()},
        warnings=list(read.warnings),
        page_texts=[p.text for p in read.pages],
    )


def complete(
    path: Path, doc_type: str, config: PipelineConfig, engine: OcrEngine, read: ReadDocument
) -> Extraction:
    """Fields from pages already read, then a bounded re-read of missing or doubtful ones."""
    result = fields_from_pages(doc_type, read)
    return reread_fields(path, get_doctype(doc_type), config, engine, read, result)


def extract(
    pdf: str | Path,
    doc_type: str,
    config: PipelineConfig | None = None,
    engine: OcrEngine | None = None,
) -> Extraction:
    """Read a medical PDF and return its fields; bad input raises a typed ``MedXtractError``."""
    started = time.perf_counter()
    get_doctype(doc_type)  # an unknown type fails before any work
    config = config or get_preset("default")
    engine = engine or default_engine(config.ocr.engine)
    read = read_pages(pdf, config, engine)
    result = complete(Path(pdf), doc_type, config, engine, read)
    result.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 1)
    return result
