"""Labelled documents read into learning examples, through the OCR cache the evaluation uses
(a warm cache makes ``learn`` take seconds). Each example can also give its pages' pictures,
made only when asked for (a ticked box is read from them)."""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Sequence

from medxtract_lab import budget
from medxtract_lab.config import PipelineConfig
from medxtract_lab.corpus.store import LabeledDocument
from medxtract_lab.evaluation.cache import OcrCache, cache_key
from medxtract_lab.learn.induce import Example
from medxtract_lab.ocr import get_engine
from medxtract_lab.pipeline import pictures_of, read_pages
from medxtract_lab.records import ReadDocument
from medxtract_lab.render import open_pdf


def _read(doc: LabeledDocument, config: PipelineConfig, use_cache: bool) -> ReadDocument:
    engine = get_engine(config.ocr.engine)
    pdf_bytes = doc.pdf_path.read_bytes()
    cache = OcrCache()
    key = cache_key(pdf_bytes, config, engine.version())
    cached = cache.get(key) if use_cache else None
    if cached is not None:
        return cached
    token = budget.begin(config.render.doc_timeout_s)  # a hostile file is read in bounded time
    try:
        read = read_pages(open_pdf(doc.pdf_path, config.render), config, engine)
    finally:
        budget.end(token)
    if use_cache:
        cache.put(key, read)
    return read


def read_examples(
    docs: Sequence[LabeledDocument], config: PipelineConfig, use_cache: bool = True
) -> list[Example]:
    """Each document read (one per core at a time) as an example with its labelled fields."""
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        reads = list(pool.map(lambda d: _read(d, config, use_cache), docs))
    return [
        Example(
            doc.id,
            tuple(p.text for p in read.pages),
            tuple(tuple(p.words) for p in read.pages),
            dict(doc.fields),
            tuple(read.pages),
            pictures_of(open_pdf(doc.pdf_path, config.render), config),
        )
        for doc, read in zip(docs, reads, strict=True)
    ]
