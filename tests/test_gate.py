"""The CI gate fails a run that drops a field or a source against the committed baseline."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from medxtract_lab.cli import main
from medxtract_lab.config import get_preset
from medxtract_lab.corpus import load_corpus
from medxtract_lab.doctypes import get_doctype, register_doctype
from medxtract_lab.errors import BaselineError
from medxtract_lab.evaluation import gate
from medxtract_lab.evaluation.runner import evaluate
from medxtract_lab.extraction.spec import Label

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"


def _digital() -> list:
    return [d for d in load_corpus(GROUND_TRUTH) if d.source.endswith(":digital")]


@pytest.fixture
def broken_refills():
    """The prescription type with its refill field looking for a label no form prints."""
    original = get_doctype("prescription")
    fields = tuple(
        replace(f, find=Label(("Refills remaining:",))) if f.name == "refills" else f
        for f in original.fields
    )
    register_doctype(replace(original, fields=fields))
    yield
    register_doctype(original)


def test_a_config_that_breaks_one_field_fails_the_gate_naming_it(
    baseline_metrics, broken_refills
) -> None:
    import concurrent.futures as cf

    docs = _digital()
    config = get_preset("default")
    with cf.ThreadPoolExecutor(1) as pool:  # in this process, where the type is patched
        broken = evaluate(docs, config, executor=pool, use_cache=False, progress="off")
    verdict = gate.judge(broken.summary(), gate.baseline_from_metrics(baseline_metrics), 0.5)
    assert not verdict.passed
    assert [(c.group, c.name) for c in verdict.failures if c.group != "overall"][-1] == (
        "prescription",
        "refills",
    )
    summary = gate.summary_markdown(verdict, 0.5)
    assert "FAILED" in summary and "| prescription | refills |" in summary
    suite = ET.fromstring(gate.junit_xml(verdict))
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert "refills" in failed and suite.get("failures") == str(len(verdict.failures))


@pytest.fixture(scope="module")
def baseline_metrics() -> dict:
    """Metrics of the digital documents as `default` reads them, as a baseline."""
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(1) as pool:
        result = evaluate(_digital(), get_preset("default"), executor=pool, progress="off")
    return result.summary()


def test_the_same_run_passes_and_another_corpus_is_refused(baseline_metrics) -> None:
    metrics = baseline_metrics
    verdict = gate.judge(metrics, gate.baseline_from_metrics(metrics), 0.5)
    assert verdict.passed and "passed" in gate.summary_markdown(verdict, 0.5)
    smaller = {**metrics, "documents": metrics["documents"] - 1}
    with pytest.raises(BaselineError, match="without --limit"):
        gate.judge(smaller, metrics, 0.5)


def test_report_with_a_baseline_writes_the_verdict_and_sets_the_exit_code(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    one_of_each = {doc.doc_type: doc for doc in reversed(_digital())}
    for doc in one_of_each.values():
        folder = corpus / doc.doc_type
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(doc.label_path, folder)
        shutil.copy(doc.pdf_path, folder)
    first = tmp_path / "first"
    assert main(["report", "--corpus", str(corpus), "--out", str(first)]) == 0
    metrics = json.loads((first / "metrics.json").read_text())
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(gate.baseline_from_metrics(metrics)))
    again = tmp_path / "again"
    args = ["report", "--corpus", str(corpus), "--out", str(again), "--baseline", str(baseline)]
    assert main(args) == 0
    assert "passed" in (again / "summary.md").read_text()
    assert ET.parse(again / "junit.xml").getroot().get("failures") == "0"
    # A baseline no run can reach on one field: the drop is named and the exit code is 1.
    higher = json.loads(baseline.read_text())
    higher["by_field"]["prescription"]["refills"] = 1.5
    baseline.write_text(json.dumps(higher))
    assert main(args) == 1
    assert "| prescription | refills |" in (again / "summary.md").read_text()
    baseline.write_text("{not json")
    assert main(args) == 2  # a broken baseline is bad input, refused before any work
