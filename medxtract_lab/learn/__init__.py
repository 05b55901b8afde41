"""``medxtract learn``: a new layout of a document type from a few labelled documents.

- ``induce``: the rule for each field, chosen by what reads the examples' labelled values;
- ``examples``: labelled documents read (through the OCR cache) into examples;
- ``write``: the layout as commented YAML.

``learn_layout`` ties them: it reads the documents, induces the layout, measures it by
leave-one-out over the examples, and writes the file atomically, checked by reading it back
the way ``--layouts`` will.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from medxtract_lab.config import PipelineConfig
from medxtract_lab.corpus import load_corpus
from medxtract_lab.doctypes import CONTRACTS, get_doctype
from medxtract_lab.doctypes.files import IDENTIFIER, LAYOUT_SUFFIX, read_layout
from medxtract_lab.errors import ConfigError, LayoutFileError
from medxtract_lab.evaluation.metrics import field_match
from medxtract_lab.evaluation.runner import stratified
from medxtract_lab.extraction.match import match_fields
from medxtract_lab.learn.examples import read_examples
from medxtract_lab.learn.induce import Example, Induced, as_doctype, induce
from medxtract_lab.learn.write import layout_yaml
from medxtract_lab.ticks import read_ticks

MIN_EXAMPLES = 3


@dataclass(frozen=True)
class Learned:
    induced: Induced
    path: Path
    # Per field: (examples read right when left out of the learning, examples).
    leave_one_out: dict[str, tuple[int, int]]
    documents: list[str]
    seconds: float

    @property
    def accuracy(self) -> float:
        right = sum(r for r, _ in self.leave_one_out.values())
        total = sum(t for _, t in self.leave_one_out.values())
        return right / total if total else 0.0


def leave_one_out(
    doc_type: str, layout: str, examples: list[Example]
) -> dict[str, tuple[int, int]]:
    """Each example read with the layout induced from the others."""
    contract = CONTRACTS[doc_type]
    scores = {f.name: [0, 0] for f in contract.fields}
    for held in examples:
        rest = [e for e in examples if e is not held]
        learned = as_doctype(induce(contract, layout, rest), contract)
        sizes = [p.size for p in held.read_pages] if held.read_pages else None
        got = match_fields(learned, held.pages, held.words, sizes)
        if held.picture is not None:
            got = read_ticks(learned, got, held.read_pages, held.picture)
        for name, expected in held.fields.items():
            scores[name][0] += field_match(expected, got[name].value)
            scores[name][1] += 1
    return {name: (right, total) for name, (right, total) in scores.items()}


def _documents(corpus: str | Path, doc_type: str, layout: str, limit: int | None) -> list:
    docs = load_corpus(corpus, doc_type=doc_type)
    recorded = sorted({d.layout for d in docs if d.layout})
    if recorded and layout not in recorded:
        raise ConfigError(
            f"the {doc_type} labels in {corpus} record the layouts {recorded}, not {layout!r}; "
            "name one of those, or pass a folder of the new layout's documents only."
        )
    if recorded:
        docs = [d for d in docs if d.layout == layout]  # a corpus of several layouts
    docs = stratified(docs, limit)
    if len(docs) < MIN_EXAMPLES:
        raise ConfigError(
            f"learn needs at least {MIN_EXAMPLES} labelled {doc_type} documents of the layout; "
            f"{corpus} has {len(docs)}. Label more (notebooks/02_label_ground_truth.ipynb) "
            "and run it again."
        )
    return docs


def _check_out(out: Path, doc_type: str, layout: str) -> None:
    if not re.match(IDENTIFIER, layout):
        raise ConfigError(
            f"layout name {layout!r}: use lower-case letters, digits and '_' (e.g. "
            "'pharmacy_label')."
        )
    if out.name != f"{doc_type}.{layout}{LAYOUT_SUFFIX}":
        raise ConfigError(
            f"{out}: name the file {doc_type}.{layout}{LAYOUT_SUFFIX}, so that a --layouts "
            "folder reads it."
        )


def _check_reads_back(text: str, out: Path) -> None:
    """What is written must read back as --layouts will read it; checked in a scratch folder
    first, so a file that would not is never written."""
    with tempfile.TemporaryDirectory(prefix="medxtract-learn-") as scratch:
        check = Path(scratch) / out.name
        check.write_text(text, encoding="utf-8")
        try:
            read_layout(check, CONTRACTS)
        except LayoutFileError as exc:
            raise LayoutFileError(str(exc).replace(str(check), str(out))) from None


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def learn_layout(
    corpus: str | Path,
    doc_type: str,
    layout: str,
    out: str | Path,
    config: PipelineConfig,
    limit: int | None = None,
    use_cache: bool = True,
) -> Learned:
    """Induce ``layout`` of ``doc_type`` from the labelled documents in ``corpus`` (those
    recorded as that layout, when the labels say; at most ``limit``), measure it by
    leave-one-out and write it to ``out``."""
    started = time.perf_counter()
    get_doctype(doc_type)
    out = Path(out)
    _check_out(out, doc_type, layout)
    docs = _documents(corpus, doc_type, layout, limit)
    examples = read_examples(docs, config, use_cache)
    induced = induce(CONTRACTS[doc_type], layout, examples)
    scores = leave_one_out(doc_type, layout, examples)
    origin = f"{', '.join(d.id for d in docs)} from {Path(corpus).name}"
    text = layout_yaml(induced, scores, origin)
    _check_reads_back(text, out)
    _write_atomically(out, text)
    return Learned(induced, out, scores, [d.id for d in docs], time.perf_counter() - started)
