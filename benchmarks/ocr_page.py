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
from medxtract_lab.ocr import get_engine
from medxtract_lab.pages import ocr_input
from medxtract_lab.pipeline import read_page
from medxtract_lab.render import open_pdf

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
        engine = get_engine(config.ocr.engine)
        document = open_pdf(pdf, config.render)
        read_page(document, 1, config, engine)  # warm the engine
        page = read_page(document, 1, config, engine)
        whole = median_seconds(lambda c=config, e=engine, d=document: read_page(d, 1, c, e))
        print(
            f"{name:8s} engine={config.ocr.engine:11s} page total {whole:6.2f} s  "
            f"(last run: render {page.timings_ms['render']:.0f} ms, preprocess "
            f"{page.timings_ms['preprocess']:.0f} ms, OCR {page.timings_ms['ocr']:.0f} ms)"
        )
    config = get_preset("default")
    image = ocr_input(open_pdf(pdf, config.render), 1, config)
    for engine_name, settings in (
        ("tesserocr", OcrSettings(engine="tesserocr")),
        ("pytesseract", OcrSettings(engine="pytesseract", omp_threads=1)),
        ("pytesseract", OcrSettings(engine="pytesseract", omp_threads=None)),
    ):
        engine = get_engine(engine_name)
        engine.recognize(image, settings)
        seconds = median_seconds(lambda e=engine, s=settings: e.recognize(image, s))
        threads = "" if engine_name == "tesserocr" else f" OMP_THREAD_LIMIT={settings.omp_threads}"
        print(f"engine {engine_name}{threads}: {seconds:.2f} s on the default preset's image")


if __name__ == "__main__":
    main()
