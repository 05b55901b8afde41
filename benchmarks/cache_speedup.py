"""Evaluation runner over the whole committed corpus, twice: cold cache, then warm.

Run: .venv/bin/python benchmarks/cache_speedup.py [preset]. Prints both wall times and ratio.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from medxtract_lab.config import get_preset
from medxtract_lab.corpus import load_corpus
from medxtract_lab.evaluation.runner import evaluate

ROOT = Path(__file__).parent.parent


def main() -> None:
    config = get_preset(sys.argv[1] if len(sys.argv) > 1 else "default")
    corpus = load_corpus(ROOT / "ground_truth")
    with tempfile.TemporaryDirectory() as cache:
        first = evaluate(corpus, config, cache_dir=cache, progress="off")
        second = evaluate(corpus, config, cache_dir=cache, progress="off")
    assert second.fields.equals(first.fields), "cached results differ from fresh ones"
    print(f"{len(corpus)} documents, preset {config.name}")
    print(f"first run (cold cache):  {first.wall_seconds:7.2f} s")
    print(f"second run (warm cache): {second.wall_seconds:7.2f} s, {second.cache_hits} hits")
    print(f"cache speed-up: {first.wall_seconds / second.wall_seconds:.1f}x")


if __name__ == "__main__":
    main()
