"""Speed benchmark: `seed` against `default`, the Tesseract floor, born-digital, 50 pages.

Run: make bench (or .venv/bin/python benchmarks/speed.py). The evaluation cache is not used.
Each measurement runs in a fresh process so that its peak RSS is its own. Machines are shared
and noisy: compare the ratios printed by one run, not figures across runs.

Definitions
- throughput: scan and photo pages per wall-clock second, documents processed by one worker
  per core for `default` (pages in a document one after another), and one after another with
  Tesseract's default threading for `seed`, as the original pipeline ran.
- floor: Tesseract alone (tesserocr, single-threaded, the engine reused) recognising the exact
  images `default` feeds it, on one worker per core, largest page first. overhead = default
  wall time / floor wall time - 1. Two Tesseracts on two cores do not run twice as fast as
  one (shared caches and memory bandwidth), so the sequential time divided by the core count
  is printed beside it, but it is not a floor this machine can reach. The floor is timed in
  every round next to `default`, and the overhead is the median of the per-round ratios.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3
PER_GROUP = 2  # documents per document type and source


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _subset(sources: tuple[str, ...]) -> list:
    from medxtract_lab.corpus import load_corpus

    chosen = []
    for doc_type in ("prescription", "patient_details"):
        for source in sources:
            docs = load_corpus(ROOT / "ground_truth", doc_type=doc_type, source=source)
            chosen += docs[:PER_GROUP]
    return chosen


def _run_preset(
    preset: str, sources: tuple[str, ...], force_ocr: bool = False, repeats: int = 1
) -> dict:
    """In a fresh process: extract every document of the subset (``repeats`` times, the median
    wall time kept, for a run too short to time once); time, RSS and accuracy."""
    from medxtract_lab.config import get_preset
    from medxtract_lab.evaluation.metrics import field_match
    from medxtract_lab.pipeline import extract

    docs = _subset(sources)
    config = get_preset(preset)
    if force_ocr:
        config = replace(config, render=replace(config.render, use_text_layer=False))
    parallel = config.workers != 1  # seed keeps the original one-at-a-time processing
    if parallel:
        config = replace(config, workers=1)
    # Load the engine before timing: one loaded model per core when documents run in parallel.
    warm = docs[: (os.cpu_count() or 1) if parallel else 1]
    with cf.ThreadPoolExecutor(len(warm)) as pool:
        list(pool.map(lambda doc: extract(doc.pdf_path, doc.doc_type, config), warm))

    def one(doc):
        started = time.perf_counter()
        result = extract(doc.pdf_path, doc.doc_type, config)
        return doc, result, time.perf_counter() - started

    walls = []
    for _ in range(repeats):
        started = time.perf_counter()
        if parallel:
            # Longest documents first, so no core idles at the end while another finishes one.
            with cf.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
                outcomes = list(pool.map(one, sorted(docs, key=lambda d: -len(d.pages))))
        else:
            outcomes = [one(doc) for doc in docs]
        walls.append(time.perf_counter() - started)
    wall = statistics.median(walls)
    per_page: dict[str, list[float]] = {}
    matches = []
    for doc, result, seconds in outcomes:
        per_page.setdefault(doc.source.split(":")[1], []).append(seconds / result.pages)
        matches += [field_match(v, result.fields[k]) for k, v in doc.fields.items()]
    return {
        "pages": sum(r.pages for _, r, _ in outcomes),
        "wall": wall,
        "median_s_per_page": {k: statistics.median(v) for k, v in per_page.items()},
        "accuracy": sum(matches) / len(matches),
        "rss_mb": _peak_rss_mb(),
    }


def _floor(sources: tuple[str, ...]) -> dict:
    """Tesseract alone on the exact images `default` gives it: one after another, and one
    single-threaded engine per core (the most this machine's cores can recognise)."""
    from medxtract_lab.config import get_preset
    from medxtract_lab.ocr import get_engine
    from medxtract_lab.pages import ocr_input
    from medxtract_lab.render import open_pdf

    config = get_preset("default")
    engine = get_engine(config.ocr.engine)
    images = []
    for doc in _subset(sources):
        pdf = open_pdf(doc.pdf_path, config.render)
        images += [ocr_input(pdf, number, config) for number in range(1, pdf.pages + 1)]
    with cf.ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # one loaded model per core
        list(pool.map(lambda image: engine.recognize(image, config.ocr), images[:2]))
    started = time.perf_counter()
    for image in images:
        engine.recognize(image, config.ocr)
    sequential = time.perf_counter() - started
    largest_first = sorted(images, key=lambda image: -image.size)
    started = time.perf_counter()
    with cf.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(lambda image: engine.recognize(image, config.ocr), largest_first))
    return {"pages": len(images), "seconds": sequential, "parallel": time.perf_counter() - started}


def _long_document(pages: int) -> dict:
    """A generated image-only PDF of ``pages`` scanned pages, through `default`."""
    import numpy as np
    import pdf2image

    from medxtract_lab.config import get_preset
    from medxtract_lab.corpus.capture import image_pdf
    from medxtract_lab.corpus.degrade import jpeg
    from medxtract_lab.pipeline import extract

    scan = ROOT / "ground_truth/patient_details/pr-scan-000.pdf"
    images = [np.asarray(p.convert("L")) for p in pdf2image.convert_from_path(scan, dpi=200)]
    data = image_pdf(
        [jpeg(images[i % len(images)], 70) for i in range(pages)],
        [
            (images[i % len(images)].shape[1], images[i % len(images)].shape[0])
            for i in range(pages)
        ],
        200,
    )
    config = get_preset("default")
    config = replace(config, render=replace(config.render, max_pages=pages))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.pdf"
        path.write_bytes(data)
        del data, images
        started = time.perf_counter()
        result = extract(path, "patient_details", config)
        wall = time.perf_counter() - started
    return {"pages": result.pages, "wall": wall, "rss_mb": _peak_rss_mb()}


def _fresh(function, *args):
    """Run ``function`` in a new process, so its peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def _verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    images = ("scan", "photo")
    runs: dict[str, list[dict]] = {"seed": [], "default": [], "floor": []}
    for round_number in range(ROUNDS):
        order = ("seed", "default") if round_number % 2 == 0 else ("default", "seed")
        for preset in order:
            runs[preset].append(_fresh(_run_preset, preset, images))
        runs["floor"].append(_fresh(_floor, images))
    cores = os.cpu_count() or 1
    print(
        f"machine: {cores} cores; {ROUNDS} rounds, each timing seed, default and the Tesseract "
        "floor in fresh processes (preset order alternating); scan and photo documents; "
        "cache off; medians over the rounds"
    )
    throughput = {}
    for preset in ("seed", "default"):
        results = runs[preset]
        best = min(results, key=lambda r: r["wall"])
        throughput[preset] = best["pages"] / statistics.median(r["wall"] for r in results)
        medians = ", ".join(f"{k} {v:.2f} s" for k, v in sorted(best["median_s_per_page"].items()))
        print(
            f"{preset:8s} {throughput[preset]:5.2f} pages/s | median per page: {medians} | "
            f"peak RSS {max(r['rss_mb'] for r in results):.0f} MB | "
            f"field accuracy {min(r['accuracy'] for r in results):.3f}"
        )
    ratio = throughput["default"] / throughput["seed"]
    print(f"default/seed throughput: {ratio:.2f}x")

    floors = runs["floor"]
    pages = floors[0]["pages"]
    overheads = [
        d["wall"] / f["parallel"] - 1 for d, f in zip(runs["default"], floors, strict=True)
    ]
    overhead = statistics.median(overheads)
    sequential = statistics.median(f["seconds"] for f in floors)
    parallel = statistics.median(f["parallel"] for f in floors)
    default_wall = statistics.median(r["wall"] for r in runs["default"])
    print(
        f"tesseract floor: {sequential / pages:.3f} s per page single-threaded; {pages} pages "
        f"on {cores} cores take {parallel:.2f} s ({sequential / cores / parallel:.0%} of a "
        f"perfect {cores}x); default takes {default_wall:.2f} s"
        f": overhead {overhead:.0%} (per round: {', '.join(f'{o:.0%}' for o in overheads)}; "
        f"{pages / throughput['default'] / (sequential / cores) - 1:.0%} over a perfect {cores}x)"
    )

    text_layer = _fresh(_run_preset, "default", ("digital",), False, 7)
    forced = _fresh(_run_preset, "default", ("digital",), True, 3)
    speedup = forced["wall"] / text_layer["wall"]
    print(
        f"born-digital ({text_layer['pages']} pages, median of 7 and 3 runs): text layer "
        f"{text_layer['wall']:.3f} s, forced OCR {forced['wall']:.2f} s: {speedup:.0f}x faster, "
        f"accuracy {text_layer['accuracy']:.3f} vs {forced['accuracy']:.3f}"
    )

    long = _fresh(_long_document, 50)
    print(f"50-page image-only PDF: {long['wall']:.1f} s wall, peak RSS {long['rss_mb']:.0f} MB")
    accurate = min(r["accuracy"] for r in runs["default"]) >= max(
        r["accuracy"] for r in runs["seed"]
    )
    print(
        f"targets: default/seed >= 4x with accuracy at least as high "
        f"{_verdict(ratio >= 4 and accurate)}; overhead <= 25% {_verdict(overhead <= 0.25)}; "
        f"digital >= 50x {_verdict(speedup >= 50)}; 50-page peak RSS <= 1 GB "
        f"{_verdict(long['rss_mb'] <= 1024)}"
    )
    print(
        f"speed: default/seed throughput ratio {ratio:.2f}, overhead over tesseract floor "
        f"{overhead:.0%}, digital speed-up {speedup:.0f}x, 50-page peak RSS "
        f"{long['rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
