"""Run the pipeline over a labelled corpus and collect tidy result tables.

Documents run in parallel (a local process pool by default, or any ``concurrent.futures``
executor, e.g. a Dask ``Client.get_executor()``); within a document pages run one after another,
so the cores are shared by documents rather than oversubscribed.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from medxtract_lab import budget
from medxtract_lab.config import PipelineConfig
from medxtract_lab.corpus.store import LabeledDocument
from medxtract_lab.errors import InputError
from medxtract_lab.evaluation.cache import OcrCache, cache_key
from medxtract_lab.evaluation.metrics import Cer, cer, confusions, field_cer, field_match, micro_cer
from medxtract_lab.ocr import get_engine
from medxtract_lab.pipeline import extract_from_read, read_pages
from medxtract_lab.progress import progress as progress_bar
from medxtract_lab.records import Extraction, ReadDocument
from medxtract_lab.render import open_pdf


@dataclass
class EvaluationResult:
    fields: pd.DataFrame  # one row per document x field
    pages: pd.DataFrame  # one row per page
    timings: pd.DataFrame  # one row per document x stage
    confusions: Counter[str]
    config: PipelineConfig
    wall_seconds: float
    cache_hits: int = 0

    def summary(self) -> dict[str, Any]:
        """Headline figures with their counts, as written to metrics.json."""
        pages = self.pages
        rows = self.fields

        def block(f: pd.DataFrame, p: pd.DataFrame) -> dict[str, Any]:
            counts = [Cer(int(e), int(r)) for e, r in zip(p["edits"], p["reference"], strict=True)]
            return {
                "documents": int(f["id"].nunique()),
                "fields": len(f),
                "field_accuracy": float(f["match"].mean()) if len(f) else 0.0,
                "micro_cer": micro_cer(counts),
                "edits": sum(c.edits for c in counts),
                "reference_chars": sum(c.reference for c in counts),
            }

        by_source = {
            source.split(":")[-1]: block(rows[rows.source == source], pages[pages.source == source])
            for source in sorted(rows["source"].unique())
        }
        # Per layout drawn ("" when the labels do not say), as "<doc_type>/<layout>".
        layouts = rows["doc_type"] + "/" + rows["layout"]
        page_layouts = pages["doc_type"] + "/" + pages["layout"]
        by_layout = {
            name: block(rows[layouts == name], pages[page_layouts == name])
            for name in sorted(layouts.unique())
            if not name.endswith("/")
        }
        by_field = {
            doc_type: group.groupby("field", sort=False)["match"].mean().round(4).to_dict()
            for doc_type, group in rows.groupby("doc_type")
        }
        return {
            **block(rows, pages),
            "pages": len(pages),
            "pages_per_second": len(pages) / self.wall_seconds if self.wall_seconds else 0.0,
            "wall_seconds": self.wall_seconds,
            "cache_hits": self.cache_hits,
            "by_source": by_source,
            "by_layout": by_layout,
            "by_field": by_field,
            "config": self.config.to_dict(),
        }


def _nothing_read(doc: LabeledDocument, why: str) -> Extraction:
    """The result of a document the pipeline refused: every field null, no confidence."""
    fields = {name: None for name in doc.fields}
    return Extraction(doc.doc_type, fields, {}, 0, [], {}, [why])


def extract_cached(
    pdf_path: Path,
    doc_type: str,
    config: PipelineConfig,
    cache_dir: str | None = None,
    use_cache: bool = True,
) -> tuple[Extraction, ReadDocument, bool]:
    """Extract one document, its pages read from the OCR cache when they were read before with
    this configuration (and cached when not): the runner, the labeler and the tuner share it.
    Returns the extraction, the pages as read and whether the cache had them."""
    engine = get_engine(config.ocr.engine)
    cache = OcrCache(cache_dir)
    key = cache_key(pdf_path.read_bytes(), config, engine.version()) if use_cache else ""
    cached = cache.get(key) if use_cache else None
    token = budget.begin(config.render.doc_timeout_s)
    try:
        pdf = open_pdf(pdf_path, config.render)
        read = cached if cached is not None else read_pages(pdf, config, engine)
        result, read_now = extract_from_read(pdf, doc_type, config, engine, read)
    finally:
        budget.end(token)
    if use_cache and read_now is not cached:
        cache.put(key, read_now)
    return result, read_now, cached is not None


def evaluate_document(
    doc: LabeledDocument, config: PipelineConfig, cache_dir: str | None, use_cache: bool
) -> dict[str, Any]:
    """Read (or fetch from cache), extract and score one document. Runs in a worker."""
    started = time.perf_counter()
    error, cache_hit = "", False
    try:
        result, read, cache_hit = extract_cached(
            doc.pdf_path, doc.doc_type, config, cache_dir, use_cache
        )
    except InputError as refused:  # a hostile or damaged file: scored as read to nothing
        error = refused.code
        read = ReadDocument([], [str(refused)], {})
        result = _nothing_read(doc, str(refused))
    # ``error``: the code a document that could not be read was refused with, else "".
    base = {
        "id": doc.id,
        "doc_type": doc.doc_type,
        "layout": doc.layout or "",
        "source": doc.source,
        "error": error,
    }
    field_rows, found = [], Counter()
    for name, expected in doc.fields.items():
        got = result.fields.get(name)
        score = field_cer(expected, got)
        field_rows.append(
            {
                **base,
                "field": name,
                "expected": expected,
                "got": got,
                "match": field_match(expected, got),
                "field_cer": score.rate,
                "confidence": result.confidence.get(name, 0.0),
                # The fallback candidate that supplied the value, "" for the first read.
                "reread_by": result.rereads.get(name, ""),
                # Where the value was read: [(page, (x0, y0, x1, y1) as page fractions)].
                "locations": [(p.page, p.box) for p in result.locations.get(name, [])],
            }
        )
        found += confusions(expected, got)
    page_rows = []
    # A refused document's pages count as read to nothing, so its text weighs on the CER too.
    read_as = (
        [(p.source, p.text) for p in read.pages]
        if not error
        else [("refused", "")] * len(doc.pages)
    )
    for number, (reference, (source, text)) in enumerate(
        zip(doc.pages, read_as, strict=False), start=1
    ):
        score = cer(reference, text)
        page_rows.append(
            {
                **base,
                "page": number,
                "page_source": source,
                "cer": score.rate,
                "edits": score.edits,
                "reference": score.reference,
                "reference_text": reference,
                "text": text,
            }
        )
    timing_rows = [{**base, "stage": stage, "ms": ms} for stage, ms in result.timings_ms.items()]
    timing_rows.append({**base, "stage": "document", "ms": (time.perf_counter() - started) * 1000})
    return {
        "fields": field_rows,
        "pages": page_rows,
        "timings": timing_rows,
        "confusions": found,
        "cache_hit": cache_hit,
    }


def _cached(corpus: list[LabeledDocument], config: PipelineConfig, directory: str | None) -> set:
    cache = OcrCache(directory)
    version = get_engine(config.ocr.engine).version()
    return {
        doc.id for doc in corpus if cache.has(cache_key(doc.pdf_path.read_bytes(), config, version))
    }


def evaluate(
    corpus: list[LabeledDocument],
    config: PipelineConfig,
    executor: cf.Executor | None = None,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: str = "auto",
    bar: Any | None = None,
) -> EvaluationResult:
    """Score ``config`` over ``corpus``. Without an executor, a process pool, one per core;
    ``progress`` is a mode of ``medxtract_lab.progress``, or ``bar`` a tqdm bar to advance
    (one a widget already shows), left open for its owner."""
    started = time.perf_counter()
    task_config = replace(config, workers=1)
    directory = str(cache_dir) if cache_dir is not None else None
    own_bar = bar is None
    if own_bar:
        bar = progress_bar(total=len(corpus), desc=f"evaluating {config.name}", mode=progress)
    # Cached documents need extraction only: run them here rather than start workers for them.
    cached = _cached(corpus, task_config, directory) if use_cache else set()
    outputs = []
    for doc in [d for d in corpus if d.id in cached]:
        outputs.append(evaluate_document(doc, task_config, directory, use_cache))
        bar.update()
    todo = [d for d in corpus if d.id not in cached]
    own = executor is None and bool(todo)
    if own:
        executor = cf.ProcessPoolExecutor(
            max_workers=min(os.cpu_count() or 1, len(todo)),
            mp_context=multiprocessing.get_context("spawn"),
        )
    try:
        futures = [
            executor.submit(evaluate_document, doc, task_config, directory, use_cache)
            for doc in todo
        ]
        for future in cf.as_completed(futures):
            outputs.append(future.result())
            bar.update()
    finally:
        if own_bar:
            bar.close()
        if own:
            executor.shutdown()
    order = {doc.id: i for i, doc in enumerate(corpus)}
    outputs.sort(key=lambda o: order[o["fields"][0]["id"]] if o["fields"] else 0)

    def table(kind: str) -> pd.DataFrame:
        return pd.DataFrame([row for o in outputs for row in o[kind]])

    found: Counter[str] = Counter()
    for o in outputs:
        found += o["confusions"]
    return EvaluationResult(
        fields=table("fields"),
        pages=table("pages"),
        timings=table("timings"),
        confusions=found,
        config=config,
        wall_seconds=time.perf_counter() - started,
        cache_hits=sum(o["cache_hit"] for o in outputs),
    )


def stratified(corpus: list[LabeledDocument], limit: int | None) -> list[LabeledDocument]:
    """At most ``limit`` documents, taken round-robin over (source, doc_type) groups, so that
    even a small sample holds every document type."""
    if limit is None or limit >= len(corpus):
        return list(corpus)
    groups: dict[tuple[str, str], list[LabeledDocument]] = {}
    for doc in corpus:
        groups.setdefault((doc.doc_type, doc.source), []).append(doc)
    chosen: list[LabeledDocument] = []
    queues = [groups[k] for k in sorted(groups, key=lambda k: (k[1], k[0]))]
    while len(chosen) < limit:
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen
