"""Instructions, not seconds: the work of each stage on a fixed set of pages, counted by callgrind.

Run: .venv/bin/python benchmarks/instructions.py (``make bench`` runs it too). Needs valgrind
and a C compiler (``scripts/install-bench-deps.sh``).

Time on a shared 2-core machine moves with whatever else runs: the same batch read back to back
can take 5% more or less, and this machine has no hardware counters (``perf stat -e
instructions`` answers "not supported"). Callgrind counts the instructions a process executes,
which are the same for the same code, inputs and libraries however busy the machine is. They
are not time (a cache miss costs no instruction), so the benchmark's seconds stay the judge of
speed; the counts say whether a change added or removed work, to a fraction of a percent.

How: this script runs itself under ``valgrind --tool=callgrind --instr-atstart=no``. Python
starts and imports uninstrumented (about 5 times slower than native rather than 50), and a tiny
C library, compiled here, brackets each measured stage with callgrind's client requests (start
instrumentation, zero the counts, dump them under the stage's name). Each page of the set is
read as ``default`` reads it: rendering or decoding (``render``), preprocessing including the
noise guard (``preprocess``), then Tesseract on the result (``ocr``, the floor's work). Python's
garbage collector runs before each stage, so a collection owed to earlier allocations is not
counted in whichever stage it falls: one landing in `scan`'s preprocessing once read 161.4
against 151.5 million instructions a page, after an unrelated edit moved when it ran.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One page of each type per judged condition: the first page of the first document. Six pages
# keep the run to about three minutes (Tesseract is most of it, about 50 times slower under
# callgrind than natively).
CONDITIONS = ("scan", "photo", "camera")
TYPES = (("prescription", "rx"), ("patient_details", "pr"))

_CLIENT = r"""
#include <valgrind/callgrind.h>
void stage_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void stage_stop(const char *name) { CALLGRIND_DUMP_STATS_AT(name); CALLGRIND_STOP_INSTRUMENTATION; }
"""


class Missing(RuntimeError):
    """valgrind, its headers or a C compiler is not installed."""


def pages() -> list[tuple[str, Path, int]]:
    """(condition, PDF, page number) of the fixed set."""
    return [
        (condition, ROOT / "ground_truth" / folder / f"{prefix}-{condition}-000.pdf", 1)
        for condition in CONDITIONS
        for folder, prefix in TYPES
    ]


def _client_library(folder: Path) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not shutil.which("valgrind") or compiler is None:
        raise Missing("valgrind or a C compiler is missing: run scripts/install-bench-deps.sh")
    source, library = folder / "stages.c", folder / "libstages.so"
    source.write_text(_CLIENT, encoding="utf-8")
    built = subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", "-o", str(library), str(source)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        raise Missing(f"cannot build the callgrind client library: {built.stderr.strip()}")
    return library


def count() -> dict[str, dict[str, int]]:
    """Instructions per condition and stage ({'scan': {'render': ..., 'ocr': ...}, ...}),
    summed over the set's pages."""
    with tempfile.TemporaryDirectory(prefix="medxtract-callgrind-") as temp:
        folder = Path(temp)
        library = _client_library(folder)
        env = dict(os.environ, PYTHONHASHSEED="0", OMP_THREAD_LIMIT="1")
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={folder}/cg.out",
            sys.executable,
            str(Path(__file__).resolve()),
            "--inside",
            str(library),
        ]
        run = subprocess.run(command, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"callgrind run failed:\n{run.stderr[-2000:]}")
        counts: dict[str, dict[str, int]] = {}
        for dump in folder.glob("cg.out.*"):
            text = dump.read_text(encoding="utf-8", errors="replace")
            trigger = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
            totals = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
            if trigger is None or totals is None:
                continue
            condition, _, stage = trigger.group(1).split(":")
            stages = counts.setdefault(condition, {})
            stages[stage] = stages.get(stage, 0) + int(totals.group(1))
        return counts


def _inside(library: str) -> None:
    """Under callgrind: read the set, bracketing each stage."""
    sys.path.insert(0, str(ROOT))
    from medxtract_lab import pipeline  # noqa: F401 - OpenCV single-threaded, as the pipeline
    from medxtract_lab.config import get_preset
    from medxtract_lab.ocr import get_engine
    from medxtract_lab.pages import MAX_INK_SPECKS, steps_start
    from medxtract_lab.preprocess import apply_steps_placed, specks_past
    from medxtract_lab.render import open_pdf

    client = ctypes.CDLL(library)
    config = get_preset("default")
    engine = get_engine(config.ocr.engine)
    for condition, path, number in pages():
        pdf = open_pdf(path, config.render)
        if condition == CONDITIONS[0] and number == 1:
            # Load the model and warm the engine's pool outside any measured stage.
            engine.recognize(steps_start(pdf, number, config)[0], config.ocr)
        name = f"{condition}:{path.stem}-{number}"
        gc.collect()
        client.stage_start()
        image, steps = steps_start(pdf, number, config)
        client.stage_stop(f"{name}:render".encode())
        gc.collect()
        client.stage_start()
        assert specks_past(image, MAX_INK_SPECKS) is None
        image, _ = apply_steps_placed(image, steps)
        client.stage_stop(f"{name}:preprocess".encode())
        gc.collect()
        client.stage_start()
        engine.recognize(image, config.ocr)
        client.stage_stop(f"{name}:ocr".encode())


def table(counts: dict[str, dict[str, int]]) -> list[str]:
    """Millions of instructions per page, by stage, and the added work over Tesseract's."""
    per = len(TYPES)
    lines = [
        f"instructions (callgrind; millions per page, {per} pages a condition: deterministic):",
        "| condition | render | preprocess | ocr | render + preprocess over ocr |",
        "| --- | --- | --- | --- | --- |",
    ]
    for condition in CONDITIONS:
        stages = counts.get(condition, {})
        render, prep, ocr = (stages.get(k, 0) for k in ("render", "preprocess", "ocr"))
        share = f"{(render + prep) / ocr:.2%}" if ocr else "n/a"
        lines.append(
            f"| {condition} | {render / per / 1e6:.1f} | {prep / per / 1e6:.1f} | "
            f"{ocr / per / 1e6:.0f} | {share} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inside", metavar="LIBRARY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        _inside(args.inside)
        return
    print("\n".join(table(count())))


if __name__ == "__main__":
    main()
