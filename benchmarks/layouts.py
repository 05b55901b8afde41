"""New layouts learned from a few labelled documents: how the built-in layouts alone, a layout
learned from 5 and one learned from 3 read each family of the layouts evaluation set
(``ground_truth/layouts``), and which layout each document of both corpora is read with.

    .venv/bin/python benchmarks/layouts.py [--out reports/layouts.md] [--keep DIR]

Each learned layout is read back from its file (as ``--layouts`` reads it) and scored by the
whole pipeline on the family's documents it was not learned from. The OCR cache makes a second
run take about a minute. ``--keep DIR`` keeps the layouts learned from 5.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from medxtract_lab.config import get_preset  # noqa: E402
from medxtract_lab.corpus import load_corpus  # noqa: E402
from medxtract_lab.doctypes import (  # noqa: E402
    LAYOUTS_ENV,
    all_layouts,
    load_layouts,
    unregister_doctype,
)
from medxtract_lab.doctypes.detect import rank_types  # noqa: E402
from medxtract_lab.evaluation.runner import evaluate  # noqa: E402
from medxtract_lab.learn import learn_layout  # noqa: E402
from medxtract_lab.learn.examples import read_examples  # noqa: E402
from medxtract_lab.pipeline import choose_layout  # noqa: E402
from medxtract_lab.records import Page, ReadDocument  # noqa: E402

LAYOUTS_SET = ROOT / "ground_truth" / "layouts"
MAIN_CORPUS = ROOT / "ground_truth"
FAMILIES = {
    "pharmacy_label": "prescription",
    "clinic_letterhead": "prescription",
    "intake_form": "patient_details",
}


def _accuracy(docs: list) -> tuple[float, int, dict[str, float]]:
    result = evaluate(docs, get_preset("default"), progress="off")
    rows = result.fields
    per_source = {
        source.split(":")[-1]: float(group["match"].mean())
        for source, group in rows.groupby("source")
    }
    return float(rows["match"].mean()), len(docs), per_source


_SETTING = os.environ.get(LAYOUTS_ENV)


def _with_layouts(folder: Path):
    """Register the folder's layouts here and for the runner's worker processes."""
    os.environ[LAYOUTS_ENV] = os.pathsep.join(filter(None, [_SETTING, str(folder)]))
    return load_layouts(folder)


def _forget(layouts) -> None:
    """Back to the layouts this run started with."""
    if _SETTING is None:
        os.environ.pop(LAYOUTS_ENV, None)
    else:
        os.environ[LAYOUTS_ENV] = _SETTING
    for layout in layouts:
        unregister_doctype(layout.name, layout.layout)


def learned_from(family: str, docs: list, count: int, folder: Path) -> dict:
    doc_type = FAMILIES[family]
    out = folder / f"{doc_type}.{family}.layout.yaml"
    learned = learn_layout(LAYOUTS_SET, doc_type, family, out, get_preset("default"), limit=count)
    unseen = [d for d in docs if d.id not in learned.documents]
    registered = _with_layouts(folder)
    try:
        accuracy, n, per_source = _accuracy(unseen)
    finally:
        _forget(registered)
    return {
        "accuracy": accuracy,
        "unseen": n,
        "per_source": per_source,
        "seconds": learned.seconds,
        "leave_one_out": learned.accuracy,
        "warnings": learned.induced.warnings,
        "path": out,
    }


def choice_table(folder: Path) -> tuple[Counter, Counter, int]:
    """(true layout, chosen layout) and (true type, type told by auto) over both corpora."""
    registered = _with_layouts(folder)
    try:
        docs = load_corpus(MAIN_CORPUS) + load_corpus(LAYOUTS_SET)
        examples = read_examples(docs, get_preset("default"))
        chosen: Counter = Counter()
        told: Counter = Counter()
        for doc, example in zip(docs, examples, strict=True):
            read = ReadDocument(
                [Page(i + 1, "ocr", text) for i, text in enumerate(example.pages)], [], {}
            )
            layout = choose_layout(doc.doc_type, read).layout
            chosen[(f"{doc.doc_type}/{doc.layout}", f"{doc.doc_type}/{layout}")] += 1
            best = rank_types(list(example.pages), all_layouts())[0]
            told[(doc.doc_type, best.name)] += 1
        return chosen, told, len(docs)
    finally:
        _forget(registered)


def _table(counts: Counter) -> list[str]:
    rows = sorted({r for r, _ in counts})
    cols = sorted({c for _, c in counts})
    lines = ["| true \\ chosen | " + " | ".join(cols) + " |", "| --- |" + " --- |" * len(cols)]
    for row in rows:
        lines.append(f"| {row} | " + " | ".join(str(counts.get((row, c), 0)) for c in cols) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "layouts.md"))
    parser.add_argument("--keep", help="copy the layouts learned from 5 into this folder")
    args = parser.parse_args()
    lines = [
        "| family | built-in alone | learned from 5 (unseen) | photo | learned from 3 (unseen) "
        "| leave-one-out (5) | learn s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    keep = Path(args.keep) if args.keep else None
    with tempfile.TemporaryDirectory() as scratch:
        five_dir = Path(scratch) / "five"
        for family, doc_type in FAMILIES.items():
            docs = [d for d in load_corpus(LAYOUTS_SET, doc_type=doc_type) if d.layout == family]
            alone, n_all, _ = _accuracy(docs)
            five = learned_from(family, docs, 5, five_dir)
            three_dir = Path(scratch) / f"three-{family}"
            three = learned_from(family, docs, 3, three_dir)
            lines.append(
                f"| {family} ({doc_type}) | {alone:.1%} ({n_all} docs) | "
                f"{five['accuracy']:.1%} ({five['unseen']} docs) | "
                f"{five['per_source'].get('photo', 0):.1%} | "
                f"{three['accuracy']:.1%} ({three['unseen']} docs) | "
                f"{five['leave_one_out']:.1%} | {five['seconds']:.1f} |"
            )
            for warning in five["warnings"]:
                lines.append(f"\n{family}: {warning}\n")
            print(lines[-1], flush=True)
        chosen, told, total = choice_table(five_dir)
        right = sum(n for (t, c), n in chosen.items() if t == c)
        told_right = sum(n for (t, c), n in told.items() if t == c)
        lines += [
            "",
            f"Layout chosen per document with the three learned layouts installed: {right} of "
            f"{total} right ({right / total:.1%}).",
            "",
            *_table(chosen),
            "",
            f"Type told by `--type auto`: {told_right} of {total} right "
            f"({told_right / total:.1%}).",
            "",
            *_table(told),
        ]
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for path in five_dir.glob("*.layout.yaml"):
                (keep / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
