"""How many fields a change of pixels too small to matter moves: the noise band of accuracy.

Run: .venv/bin/python benchmarks/pixel_noise.py [--preset default]. Reads every OCR'd corpus
document three times with a fresh cache: as it is, with each page image moved down one pixel,
and two gray levels lighter. Neither changes what a person sees, yet Tesseract reads some
fields differently, so one run's field count cannot judge a change that alters pixels (a faster
resize, a skew estimate 0.02 degrees apart): compare the mean of these rows before and after
it, with CER, which moves far less. About 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np

from medxtract_lab import pages, reread
from medxtract_lab.config import resolve_config
from medxtract_lab.corpus import load_corpus
from medxtract_lab.evaluation.runner import evaluate

ROOT = Path(__file__).parent.parent


def _moved_down(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.concatenate([image[:1], image[:-1]]))


def _lighter(image: np.ndarray) -> np.ndarray:
    return np.clip(image.astype(np.int16) + 2, 0, 255).astype(np.uint8)


PERTURBATIONS = {"as it is": None, "1 px down": _moved_down, "2 levels lighter": _lighter}


def _perturb(name: str) -> None:
    """Worker initializer: every page image passes through the named perturbation."""
    change = PERTURBATIONS[name]
    if change is None:
        return
    steps_start = pages.steps_start

    def changed_start(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        image, steps = steps_start(*args, **kwargs)
        return change(image), steps

    # Every read of a page in the config's geometry starts there: the first read and re-reads.
    pages.steps_start = reread.steps_start = changed_start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default", help="preset name or config file")
    config = resolve_config(parser.parse_args().preset)
    corpus = [d for d in load_corpus(ROOT / "ground_truth") if not d.source.endswith("digital")]
    fields = sum(len(d.fields) for d in corpus)
    print(f"{config.name}: {len(corpus)} OCR'd documents, {fields} fields")
    print(f"{'pages':>18} {'misses':>7} {'CER':>7}  misses per source")
    misses, cers = [], []
    for name in PERTURBATIONS:
        with (
            tempfile.TemporaryDirectory() as cache,
            cf.ProcessPoolExecutor(
                os.cpu_count() or 1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_perturb,
                initargs=(name,),
            ) as pool,
        ):
            result = evaluate(corpus, config, executor=pool, cache_dir=cache, progress="off")
        rows, read = result.fields, result.pages
        missed = rows[~rows["match"]]
        by_source = missed.groupby(missed["source"].str.split(":").str[-1]).size().to_dict()
        cer = read["edits"].sum() / read["reference"].sum()
        misses.append(len(missed))
        cers.append(cer)
        print(f"{name:>18} {len(missed):>7} {cer:>7.2%}  {by_source}")
    print(f"{'mean':>18} {statistics.mean(misses):>7.1f} {statistics.mean(cers):>7.2%}")


if __name__ == "__main__":
    main()
