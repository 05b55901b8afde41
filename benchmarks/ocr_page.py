"""Per-page OCR time: the seed and default presets on one page, and the two OCR engines.

Run: .venv/bin/python benchmarks/ocr_page.py [PDF] (default: a committed scanned prescription).
Prints medians of N runs; machines are shared and noisy, so compare ratios from one run.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from medxtract_lab.config import OcrSettings, get_preset
from medxtract_lab.pipeline import default_engine, process_page
from medxtract_lab.preprocess import apply_steps
from medxtract_lab.render import load_page, scan_plan

ROOT = Path(__file__).parent.parent
RUNS = 5


def median_seconds(action) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    pdf = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT / "ground_truth/prescription/rx-scan-000.pdf"
    )
    print(f"page 1 of {pdf.name}, median of {RUNS} runs")
    for name in ("seed", "default"):
        config = get_preset(name)
        engine = default_engine(config.ocr.engine)
        scan = scan_plan(pdf, config.render)[0]
        process_page(pdf, 1, config, engine, scan=scan)  # warm the engine
        page = process_page(pdf, 1, config, engine, scan=scan)
        whole = median_seconds(
            lambda c=config, e=engine, s=scan: process_page(pdf, 1, c, e, scan=s)
        )
        print(
            f"{name:8s} engine={config.ocr.engine:11s} page total {whole:6.2f} s  "
            f"(last run: render {page.timings_ms['render']:.0f} ms, preprocess "
            f"{page.timings_ms['preprocess']:.0f} ms, OCR {page.timings_ms['ocr']:.0f} ms)"
        )
    config = get_preset("default")
    scan = scan_plan(pdf, config.render)[0]
    image = apply_steps(load_page(pdf, 1, config.render, scan), config.steps)
    for engine_name, settings in (
        ("tesserocr", OcrSettings(engine="tesserocr")),
        ("pytesseract", OcrSettings(engine="pytesseract", omp_threads=1)),
        ("pytesseract", OcrSettings(engine="pytesseract", omp_threads=None)),
    ):
        engine = default_engine(engine_name)
        engine.recognize(image, settings)
        seconds = median_seconds(lambda e=engine, s=settings: e.recognize(image, s))
        threads = "" if engine_name == "tesserocr" else f" OMP_THREAD_LIMIT={settings.omp_threads}"
        print(f"engine {engine_name}{threads}: {seconds:.2f} s on the default preset's image")


if __name__ == "__main__":
    main()
