"""ThresholdTuner preview redraw time on a 300-dpi letter page (median of slider changes).

Run: .venv/bin/python benchmarks/tuner_redraw.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from medxtract_lab.corpus import load_corpus
from medxtract_lab.widgets import ThresholdTuner

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    doc = next(
        d
        for d in load_corpus(ROOT / "ground_truth", doc_type="prescription")
        if d.id == "rx-scan-000"
    )
    tuner = ThresholdTuner(doc)
    tuner.method.value = "adaptive_gaussian"
    tuner.toggles["normalize_illumination"].value = True
    block = tuner._param_widgets["block_size"]
    times = []
    for value in list(range(11, 91, 4)):
        started = time.perf_counter()
        block.value = value  # the observer redraws the preview
        times.append(time.perf_counter() - started)
    height, width = tuner.full.shape[:2]
    print(f"page {width}x{height} px (300 dpi), preview {tuner.small.shape[1]} px wide")
    print(
        f"preview redraw: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {len(times)} slider changes"
    )


if __name__ == "__main__":
    main()
