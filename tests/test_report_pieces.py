"""The report's decision, confidence analysis, evidence pictures and progress lines.

Built on small hand-made result tables where the right answer is known, and on a real read of
two corpus documents for the page pictures.
"""

import concurrent.futures as cf
import io
import json
import re
from collections import Counter
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medxtract_lab.config import get_preset
from medxtract_lab.corpus import hostile, load_corpus
from medxtract_lab.doctypes import DOC_TYPES
from medxtract_lab.evaluation import confidence, decision, gallery, report
from medxtract_lab.evaluation.gate import accept_as_baseline
from medxtract_lab.evaluation.runner import EvaluationResult, evaluate
from medxtract_lab.progress import _Lines, progress

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"


def _result(name: str, matches: dict[str, list[bool]], seconds: float = 1.0) -> EvaluationResult:
    """A result over documents d0..dN, each with the named fields, one page, 100 characters."""
    documents = len(next(iter(matches.values())))
    fields = pd.DataFrame(
        [
            {
                "id": f"d{i}",
                "doc_type": "prescription",
                "source": f"synthetic:{'scan' if i % 2 else 'photo'}",
                "field": field,
                "match": ok[i],
                "confidence": 0.9,
            }
            for i in range(documents)
            for field, ok in matches.items()
        ]
    )
    pages = pd.DataFrame(
        [
            {
                "id": f"d{i}",
                "page": 1,
                "edits": 0 if all(m[i] for m in matches.values()) else 5,
                "reference": 100,
            }
            for i in range(documents)
        ]
    )
    timings = pd.DataFrame(
        [{"id": f"d{i}", "stage": "document", "ms": seconds * 1000} for i in range(documents)]
    )
    config = get_preset("default").with_name(name)
    return EvaluationResult(fields, pages, timings, Counter(), config, seconds * documents)


def test_a_broken_field_is_clearly_worse_and_named_in_the_verdict() -> None:
    n = 40
    baseline = _result("seed", {"date": [True] * n, "refills": [True] * n}, seconds=2.0)
    candidate = _result("new", {"date": [True] * n, "refills": [i < 5 for i in range(n)]})
    found = decision.decide(candidate, baseline)
    row = found.fields.loc["prescription: refills"]
    assert row["clear"] == "worse" and row["delta (points)"] == pytest.approx(-87.5)
    assert found.fields.loc["prescription: date", "clear"] == ""
    assert "clearly worse on 1" in found.verdict and "prescription: refills" in found.verdict
    accuracy = found.headline.loc["field accuracy"]
    assert "(45 of 80 fields)" in accuracy["new"] and "(80 of 80 fields)" in accuracy["seed"]
    assert "(clear)" in accuracy["difference"]
    # Half the seconds per document: twice the pages per second.
    assert found.headline.loc["pages per second (one core)", "difference"].startswith("2.00x")
    assert set(found.sources.index) == {"photo", "scan"}
    # A read from the OCR cache times extraction only: no speed ratio is claimed from it.
    candidate.cache_hits = 3
    cached = decision.headline(candidate, baseline).loc["pages per second (one core)"]
    assert cached["difference"] == "not compared: 3 document read(s) came from the OCR cache"


def test_intervals_hold_their_estimate_and_repeat() -> None:
    rng = np.random.default_rng(1)
    matched = rng.integers(5, 11, 60).astype(float)
    fields = np.full(60, 10.0)
    first = decision.ratio_estimate(matched, fields)
    assert first.low < first.value < first.high
    assert (first.count, first.total) == (matched.sum(), 600)
    assert decision.ratio_estimate(matched, fields) == first  # seeded: the report repeats
    same = decision.delta_estimate(matched, matched, fields)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0) and not same.clear


def _scored(confidences: list[float], matches: list[bool], doc_type: str = "prescription"):
    return pd.DataFrame(
        {
            "id": [f"d{i // 3}" for i in range(len(matches))],
            "doc_type": doc_type,
            "confidence": confidences,
            "match": matches,
        }
    )


def test_the_accept_threshold_is_the_lowest_that_keeps_99_percent_right() -> None:
    # 100 right at 0.95, one wrong at 0.80, 9 right and 1 wrong at 0.50.
    confidences = [0.95] * 100 + [0.80] + [0.50] * 10
    matches = [True] * 100 + [False] + [True] * 9 + [False]
    table = confidence.accept_thresholds(_scored(confidences, matches))
    strict = table.loc[("prescription", "≥ 99.9% right")]
    assert strict["accept at or above"] == 0.95 and strict["wrong but accepted"] == 0
    loose = table.loc[("prescription", "≥ 99.0% right")]
    assert loose["accept at or above"] == 0.8 and loose["wrong but accepted"] == 1
    assert loose["fields accepted"] == "101 of 111 (91.0%)"


def test_review_thresholds_travel_from_the_report_to_the_streamlit_page(tmp_path) -> None:
    """The report's strict accept threshold is what the page flags fields below; ``make
    baseline`` writes it beside the gate's baseline."""
    confidences = [0.95] * 100 + [0.80] + [0.50] * 10
    matches = [True] * 100 + [False] + [True] * 9 + [False]
    assert confidence.review_thresholds(_scored(confidences, matches)) == {"prescription": 0.95}
    assert confidence.review_thresholds(_scored([0.9, 0.8], [False, True])) == {
        "prescription": 1.0  # no threshold is safe: every field is to be checked
    }
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"field_accuracy": 0.9, "review_below": {"prescription": 0.95}}))
    accept_as_baseline(metrics, tmp_path / "baseline.json", tmp_path / "review.json")
    assert json.loads((tmp_path / "review.json").read_text()) == {"prescription": 0.95}
    assert json.loads((tmp_path / "baseline.json").read_text())["field_accuracy"] == 0.9
    shipped = json.loads(
        resources.files("medxtract_lab").joinpath("data/review_thresholds.json").read_text()
    )
    assert set(shipped) == set(DOC_TYPES) and all(0 < t <= 1 for t in shipped.values())


def test_ece_measures_the_gap_and_recalibration_closes_it() -> None:
    # Always right, but only 60% sure: the calibration error is 0.4.
    under = _scored([0.6] * 60, [True] * 60)
    assert confidence.expected_calibration_error(under["confidence"], under["match"]) == (
        pytest.approx(0.4)
    )
    table = confidence.calibration(under)
    assert table.loc["prescription", "ECE as read"] == pytest.approx(0.4)
    assert table.loc["prescription", "ECE recalibrated"] == pytest.approx(0.0)
    x, y = confidence.fit_isotonic(np.array([0.2, 0.4, 0.6, 0.8]), np.array([0, 1, 0, 1]))
    assert list(x) == [0.2, 0.4, 0.6, 0.8] and list(np.diff(y) >= 0) == [True] * 3


@pytest.fixture(scope="module")
def read_two(tmp_path_factory):
    """Two real documents read by `default`, one field of each made wrong: one with a value
    read somewhere on the page, one read as nothing."""
    docs = [d for d in load_corpus(GROUND_TRUTH) if d.source.endswith("digital")][:2]
    result = evaluate(
        docs, get_preset("default"), cache_dir=tmp_path_factory.mktemp("cache"), progress="off"
    )
    fields = result.fields.copy()
    located = fields.index[fields["locations"].map(bool)][0]
    fields.loc[located, ["expected", "match"]] = ["<script>alert(1)</script>", False]
    nothing = fields.index[fields["id"] == docs[1].id][0]
    fields.at[nothing, "got"] = None
    fields.at[nothing, "locations"] = []
    fields.at[nothing, "match"] = False
    result.fields = fields
    return docs, result


def test_every_wrong_field_is_shown_on_its_page_and_escaped(read_two) -> None:
    docs, result = read_two
    html = gallery.wrong_fields(result, docs)
    assert "2 wrong field(s)" in html
    assert html.count('alt="page 1, where the value was read"') == 1  # the strip
    pages_of_second = len(docs[1].pages)
    assert len(re.findall(r'alt="page \d+"', html)) == pages_of_second  # thumbnails
    assert "<script>" not in html and "&lt;script&gt;" in html  # document text is not markup
    assert "<i>null</i>" in html


def test_worst_pages_show_reference_beside_ocr_with_the_differences_marked(read_two) -> None:
    docs, result = read_two
    pages = result.pages.copy()
    pages.loc[0, ["text", "edits", "cer"]] = ["Patient Medical Recrd", 1, 0.5]
    result.pages = pages
    html = gallery.worst_pages(result, 1)
    assert html.count("<h4>") == 1 and "CER 50.0%" in html
    assert "<del>" in html  # reference characters the OCR text lacks


def test_diff_sides_split_deletions_and_insertions() -> None:
    left, right, both = gallery.diff_sides("Refill: 2", "Refil: 23")
    assert ("del", "l") in left and ("ins", "3") in right
    assert "".join(t for k, t in left if k != "ins") == "Refill: 2"
    assert "".join(t for k, t in right) == "Refil: 23"
    assert [k for k, _ in both].count("same") >= 2


def test_progress_in_a_log_is_whole_lines() -> None:
    sink = io.StringIO()
    lines = _Lines(sink)
    lines.write("\rwork:  50%|#####     | 1/2")
    lines.write("\r")
    lines.write("\rwork: 100%|##########| 2/2\n")
    assert sink.getvalue().splitlines() == [
        "work:  50%|#####     | 1/2",
        "work: 100%|##########| 2/2",
    ]
    with pytest.raises(ValueError, match="choose from"):
        progress(total=1, mode="loud")
    assert list(progress(range(3), mode="off")) == [0, 1, 2]


def test_a_refused_document_is_scored_as_read_to_nothing(tmp_path) -> None:
    """A hostile file in a corpus is refused as it is everywhere else, and the evaluation goes
    on: its fields count as missed, its pages as unread, and the report shows it without
    rendering it."""
    good = next(d for d in load_corpus(GROUND_TRUTH) if d.source.endswith("digital"))
    hostile_pdf = tmp_path / "fanout.pdf"
    hostile.fanned_out_forms(hostile_pdf)
    refused = replace(good, id="hostile-000", document=str(hostile_pdf), label_path=None)
    result = evaluate(
        [good, refused], get_preset("default"), executor=cf.ThreadPoolExecutor(1),
        cache_dir=tmp_path / "cache", progress="off",
    )  # fmt: skip
    rows = result.fields[result.fields["id"] == "hostile-000"]
    assert set(rows["error"]) == {"page_too_complex"} and rows["got"].isna().all()
    assert not rows["match"].any()
    pages = result.pages[result.pages["id"] == "hostile-000"]
    assert len(pages) == len(good.pages) and (pages["cer"] == 1.0).all()
    assert set(result.fields[result.fields["id"] == good.id]["error"]) == {""}
    html = gallery.wrong_fields(result, [good, refused])
    assert "hostile-000" in html


def test_accuracy_is_reported_per_layout_the_labels_record(read_two) -> None:
    docs, result = read_two
    table = report.by_layout_and_source(result)
    rows = result.fields
    expected = {f"{d.doc_type}/{d.layout}" for d in docs}
    assert set(table.index) == expected and "all" in table.columns
    first = f"{docs[0].doc_type}/{docs[0].layout}"
    own = rows[(rows["doc_type"] + "/" + rows["layout"]) == first]
    assert table.loc[first, "digital"].endswith(f"({own['match'].sum()} of {len(own)})")
    summary = result.summary()["by_layout"]
    assert set(summary) == expected
    unrecorded = result.fields.assign(layout="")
    result_without = type(result)(**{**result.__dict__, "fields": unrecorded})
    assert report.by_layout_and_source(result_without).empty
