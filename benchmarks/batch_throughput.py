"""The batch `medxtract extract` against the report's evaluation runner, on the same documents.

Run: .venv/bin/python benchmarks/batch_throughput.py [--documents 60]
Takes a stratified sample of the corpus (every type and condition), reads it once with the
evaluation runner that `make report` uses (`default` preset, OCR cache off) and once with
`medxtract extract FOLDER --type auto --out results.csv` in a fresh process, and prints the
documents per second of each and their ratio (target: the batch within 10% of the runner).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from medxtract_lab.config import get_preset
from medxtract_lab.corpus.store import load_corpus
from medxtract_lab.evaluation.runner import evaluate, stratified

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=60)
    args = parser.parse_args()
    sample = stratified(load_corpus(ROOT / "ground_truth"), args.documents)
    started = time.perf_counter()
    evaluate(sample, get_preset("default"), use_cache=False, progress="off")
    runner = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "inbox"
        folder.mkdir()
        for doc in sample:
            shutil.copy(doc.pdf_path, folder / doc.pdf_path.name)
        out = Path(work) / "results.csv"
        medxtract = Path(sys.executable).with_name("medxtract")
        started = time.perf_counter()
        command = [str(medxtract), "extract", str(folder), "--type", "auto", "--out", str(out)]
        subprocess.run(command, check=False, stderr=subprocess.DEVNULL)
        batch = time.perf_counter() - started
        with out.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        failed = sum(1 for row in rows if row["error"])
    print(f"{len(sample)} documents (stratified over types and conditions)")
    print(f"evaluation runner: {runner:.1f} s = {len(sample) / runner:.2f} documents/s")
    print(
        f"batch extract:     {batch:.1f} s = {len(sample) / batch:.2f} documents/s "
        f"({len(rows)} rows, {failed} failed)"
    )
    print(f"batch / runner throughput: {runner / batch:.2f} (target at least 0.90)")


if __name__ == "__main__":
    main()
