"""CPU milliseconds of rendering (or decoding) and preprocessing a page, per condition.

Run: .venv/bin/python benchmarks/page_work.py [CONDITION ...] (default: scan photo camera).
The quick A/B of a change to those stages (about a minute, no Tesseract): run it for two
checkouts back to back (PYTHONPATH=/path/to/other/checkout for the other one) and compare the
medians. ``make bench`` stays the judge of the overhead; this isolates the stages it adds.

Each pass reads the first documents of a condition's corpus (both types) as `default` does,
``pages.placed_ocr_input``, in one worker thread (as the pipeline's are) with OpenCV on one
thread; the figure is the CPU time per page of its ``render`` and ``preprocess`` stages (the
thread's own plus poppler's, ``medxtract_lab.stopwatch``), median and interquartile range of
the passes after one untimed pass.
"""

from __future__ import annotations

import argparse
import statistics
import threading
from pathlib import Path

import cv2

from medxtract_lab import pages, render
from medxtract_lab.config import get_preset
from medxtract_lab.corpus import load_corpus
from medxtract_lab.stopwatch import Stopwatch

ROOT = Path(__file__).resolve().parent.parent


def corpus_paths(condition: str, documents: int) -> list[Path]:
    """The first ``documents`` documents of ``condition`` of each type."""
    by_type: dict[str, list[Path]] = {}
    for doc in sorted(load_corpus(ROOT / "ground_truth", source=condition), key=lambda d: d.id):
        by_type.setdefault(doc.doc_type, []).append(doc.pdf_path)
    return [path for paths in by_type.values() for path in paths[:documents]]


def per_page_ms(paths: list[Path], passes: int) -> list[float]:
    """CPU ms per page of each timed pass over ``paths``."""
    config = get_preset("default")
    pdfs = [render.open_pdf(path, config.render) for path in paths]
    count = sum(pdf.pages for pdf in pdfs)

    def one_pass() -> float:
        watch = Stopwatch()
        for pdf in pdfs:
            for number in range(1, pdf.pages + 1):
                pages.placed_ocr_input(pdf, number, config, watch)
        return sum(watch.cpu_ms.values()) / count

    one_pass()
    return [one_pass() for _ in range(passes)]


def _into(found: list[float], paths: list[Path], passes: int) -> None:
    found.extend(per_page_ms(paths, passes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conditions", nargs="*", default=["scan", "photo", "camera"])
    parser.add_argument("--documents", type=int, default=6, help="of each type (default 6)")
    parser.add_argument("--passes", type=int, default=9, help="timed passes, 2 or more")
    args = parser.parse_args()
    if args.passes < 2:
        parser.error("--passes must be 2 or more (a median and its quartiles).")
    cv2.setNumThreads(1)
    print(f"medxtract_lab from {Path(pages.__file__).parent}")
    for condition in args.conditions:
        paths = corpus_paths(condition, args.documents)
        if not paths:
            raise SystemExit(f"No corpus documents for condition {condition!r}.")
        found: list[float] = []
        worker = threading.Thread(target=_into, args=(found, paths, args.passes))
        worker.start()
        worker.join()
        q1, median, q3 = statistics.quantiles(found, n=4, method="inclusive")
        print(f"{condition}: {median:.1f} ms a page [{q1:.1f}, {q3:.1f}] ({len(paths)} documents)")


if __name__ == "__main__":
    main()
