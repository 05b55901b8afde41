"""The lab widgets' speed against issue 17's targets, with the OCR cache warm (a first pass
warms it and is not counted):

- tuner preview redraw on a 300-dpi page, at the fit-page view and zoomed in (median);
- a whole two-page record read under A and B ("Run A and B");
- moving to another document in the labeler (median over the documents of a folder).

    .venv/bin/python benchmarks/widgets.py
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from medxtract_lab.widgets import GroundTruthLabeler, ThresholdTuner  # noqa: E402

GROUND_TRUTH = ROOT / "ground_truth"


def ms(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def tuner_figures() -> None:
    tuner = ThresholdTuner(corpus=GROUND_TRUTH)
    tuner.source_filter.value = "scan"
    tuner.type_filter.value = "patient_details"
    tuner.method.value = "adaptive_gaussian"
    block = tuner.params[("adaptive_gaussian", "block_size")]
    height, width = tuner.full.shape[:2]
    print(f"tuner: {tuner.document.value}, page {width}x{height} px (300 dpi)")
    for zoom in (1.0, 4.0):
        tuner.view_at((0.4, 0.3), zoom)
        times = []
        for value in range(11, 91, 4):
            times.append(timed(lambda v=value: setattr(block, "value", v)))  # observer redraws
        print(f"  redraw at zoom {zoom:.0f}x ({len(times)} slider changes): {ms(times)}")
    tuner.run_ocr(wait=True)  # warms the cache for both configurations
    runs = [timed(lambda: tuner.run_ocr(wait=True)) for _ in range(5)]
    print(f"  Run A and B, whole {tuner.pdf.pages}-page document, cache warm: {ms(runs)}")


def labeler_figures() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="labeler-bench-"))
    try:
        folder = scratch / "prescription"
        folder.mkdir()
        for condition in ("digital", "scan", "photo", "camera", "annotated", "rotated"):
            for suffix in (".pdf", ".json"):
                name = f"rx-{condition}-000{suffix}"
                shutil.copy(GROUND_TRUTH / "prescription" / name, folder / name)
        labeler = GroundTruthLabeler(scratch, labeled_by="bench")
        ids = list(labeler.jump.options)
        for doc_id in ids:  # warms the OCR cache and the renderer
            labeler.jump.value = doc_id
        labeler.jump.value = ids[0]
        times = [timed(lambda: labeler.move(1)) for _ in ids[1:]]
        times += [timed(lambda: labeler.move(-1)) for _ in ids[1:]]
        print(f"labeler: move to the next/previous document ({len(times)} moves): {ms(times)}")
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    tuner_figures()
    labeler_figures()
