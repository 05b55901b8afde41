"""Concurrent labelling: several writers save one label at once, then writers are killed mid-save.

Prints how many saved versions were lost (neither the current label nor in the history), how
many temporary files killed writers left after the corpus was loaded again, and how many
history files are empty or unreadable. Every writer goes through ``save_label`` with a history
folder, as the labeler widget does.

    .venv/bin/python benchmarks/label_hammer.py [--writers 6] [--saves 20] [--kills 200]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from medxtract_lab.corpus.store import load_corpus, save_label

CORPUS = Path(__file__).resolve().parent.parent / "ground_truth"


def write(label: Path, marker: str, saves: int, history: Path) -> None:
    """One writer: ``saves`` versions of ``label``, each marked ``<marker>-<i>``."""
    doc = next(d for d in load_corpus(label.parent) if d.label_path == label)
    print("ready", flush=True)  # imports done: the saves start now
    for i in range(saves):
        save_label(replace(doc, labeled_by=f"{marker}-{i}", label_path=None), label, history)


def _writer(label: Path, marker: str, saves: int, history: Path) -> subprocess.Popen:
    command = [sys.executable, __file__, "--write", str(label), "--marker", marker]
    command += ["--saves", str(saves), "--history", str(history)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _one_label(folder: Path) -> Path:
    source = next(d for d in load_corpus(CORPUS) if d.doc_type == "prescription")
    shutil.copy(source.pdf_path, folder / source.pdf_path.name)
    shutil.copy(source.label_path, folder / source.label_path.name)
    return folder / source.label_path.name


def hammer(writers: int, saves: int, kills: int, seed: int = 0) -> dict[str, float]:
    """Run both rounds in a scratch folder and return the figures."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        label, history = _one_label(root), root / ".history"
        started = time.perf_counter()
        procs = [_writer(label, f"w{k}", saves, history) for k in range(writers)]
        failed = sum(p.wait() != 0 for p in procs)
        for proc in procs:
            proc.stdout.close()
        seconds = time.perf_counter() - started
        kept = [json.loads(label.read_text())["labeled_by"]]
        kept += [json.loads(p.read_text())["labeled_by"] for p in history.glob("*.json")]
        wanted = {f"w{k}-{i}" for k in range(writers) for i in range(saves)}
        lost = len(wanted - set(kept))
        # Round two: writers killed with SIGKILL at random moments of their saves.
        for _ in range(kills):
            proc = _writer(label, "killed", 1000, history)
            proc.stdout.readline()  # wait until it is saving, then kill it mid-save
            time.sleep(rng.uniform(0.0, 0.15))
            proc.kill()
            proc.wait()
            proc.stdout.close()
        left_before = _temp_files(root)
        load_corpus(root)  # cleans what killed writers left
        left_after = _temp_files(root)
        broken = sum(1 for p in history.glob("*.json") if not _readable(p))
        return {
            "writers": writers,
            "saves": writers * saves,
            "writers failed": failed,
            "versions lost": lost,
            "seconds": round(seconds, 1),
            "kills": kills,
            "temp files before load": left_before,
            "temp files after load": left_after,
            "broken history files": broken,
            "label readable": int(_readable(label)),
        }


def _temp_files(root: Path) -> int:
    return sum(1 for p in root.rglob(".*.json.*") if p.suffix != ".lock")


def _readable(path: Path) -> bool:
    try:
        return bool(json.loads(path.read_text())["labeled_by"])
    except (OSError, ValueError, KeyError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--marker", help=argparse.SUPPRESS)
    parser.add_argument("--history", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write(args.write, args.marker, args.saves, args.history)
        return
    figures = hammer(args.writers, args.saves, args.kills)
    if args.json:
        print(json.dumps(figures))
        return
    for name, value in figures.items():
        print(f"{name:>24}: {value}")


if __name__ == "__main__":
    main()
