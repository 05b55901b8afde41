"""Field accuracy and time against the working text size (`resample_text`'s target).

Run: .venv/bin/python benchmarks/resolution_curve.py [target ...] (default 14 16 20 24 28 32).
Each target, and `default` without resampling, reads every OCR'd corpus document with a fresh
cache, one after another; the table prints misses per source, field accuracy and wall time.
About a minute per target on 2 cores. Compare the rows of one run, not figures across runs.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from medxtract_lab.config import PipelineConfig, Step, get_preset
from medxtract_lab.corpus import load_corpus
from medxtract_lab.evaluation.runner import evaluate

ROOT = Path(__file__).parent.parent
TARGETS = (14, 16, 20, 24, 28, 32)


def with_target(target: int | None) -> PipelineConfig:
    """`default` with ``target`` px text (its resample step dropped for None)."""
    base = get_preset("default")
    steps = [
        Step("resample_text", {"target": target}) if s.name == "resample_text" else s
        for s in base.steps
        if target is not None or s.name != "resample_text"
    ]
    return replace(base, name=f"text {target or 'as rendered'}", steps=tuple(steps))


def main() -> None:
    targets = [int(t) for t in sys.argv[1:]] or list(TARGETS)
    corpus = [d for d in load_corpus(ROOT / "ground_truth") if not d.source.endswith("digital")]
    sources = sorted({d.source.split(":")[-1] for d in corpus})
    print(f"{len(corpus)} OCR'd documents; misses per source, then accuracy and wall time")
    print(f"{'text px':>12} " + " ".join(f"{s:>9}" for s in sources) + "  accuracy   wall s")
    for target in [*targets, None]:
        with tempfile.TemporaryDirectory() as cache:
            result = evaluate(corpus, with_target(target), cache_dir=cache, progress="off")
        rows = result.fields
        misses = rows[~rows["match"]].groupby(rows["source"].str.split(":").str[-1]).size()
        cells = " ".join(f"{int(misses.get(s, 0)):>9}" for s in sources)
        print(
            f"{target or 'as rendered':>12} {cells}  {rows['match'].mean():8.2%} "
            f"{result.wall_seconds:8.1f}"
        )


if __name__ == "__main__":
    main()
