"""The corpus runner (cache, executors) and the papermill report, on a small subset."""

import concurrent.futures as cf
import json
import re
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from medxtract_lab.cli import main
from medxtract_lab.config import get_preset
from medxtract_lab.corpus import load_corpus
from medxtract_lab.doctypes import DOC_TYPES, LAYOUTS
from medxtract_lab.evaluation import cache, runner
from medxtract_lab.evaluation.runner import evaluate, stratified

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"
FAST_SOURCES = ("digital", "scan", "photo")  # the camera condition's 12 MP pages take longer
COLUMNS = [
    "id",
    "doc_type",
    "layout",  # the layout the label records, "" when it does not
    "source",
    "error",  # the code a refused document was refused with, else ""
    "field",
    "expected",
    "got",
    "match",
    "field_cer",
    "confidence",
    "reread_by",
    "locations",
]


@pytest.fixture(scope="module")
def subset():
    original = [d for d in load_corpus(GROUND_TRUTH) if d.source.endswith(FAST_SOURCES)]
    docs = stratified(original, 4)
    assert len({(d.doc_type, d.source) for d in docs}) == 4
    # Even the smallest sample holds every document type.
    assert {d.doc_type for d in stratified(original, 2)} == {"prescription", "patient_details"}
    return docs


def test_tables_are_tidy(subset, tmp_path) -> None:
    result = evaluate(subset, get_preset("default"), cache_dir=tmp_path, progress="off")
    assert list(result.fields.columns) == COLUMNS
    assert len(result.fields) == sum(len(d.fields) for d in subset)
    assert set(result.pages.columns) >= {"id", "page", "page_source", "cer", "edits", "reference"}
    # The texts behind each page's CER, for the report's aligned diffs.
    first = result.pages.iloc[0]
    assert first["reference_text"] == subset[0].pages[0] and isinstance(first["text"], str)
    # Each read value says where on its page it was read (page, box as page fractions).
    located = result.fields[result.fields["got"].notna()]["locations"]
    assert all(places and all(0 <= x <= 1 for _, box in places for x in box) for places in located)
    assert len(result.pages) == sum(len(d.pages) for d in subset)
    assert {"document", "extract"} <= set(result.timings["stage"])
    summary = result.summary()
    assert summary["documents"] == 4 and summary["pages"] == len(result.pages)
    assert 0 < summary["field_accuracy"] <= 1
    assert summary["micro_cer"] == result.pages["edits"].sum() / result.pages["reference"].sum()


def test_cache_makes_the_second_run_fast_and_identical(subset, tmp_path) -> None:
    config = get_preset("default")
    first = evaluate(subset, config, cache_dir=tmp_path, progress="off")
    second = evaluate(subset, config, cache_dir=tmp_path, progress="off")
    assert first.cache_hits == 0 and second.cache_hits == len(subset)
    assert second.fields.equals(first.fields)
    assert second.wall_seconds < first.wall_seconds
    uncached = evaluate(
        subset, config, use_cache=False, cache_dir=tmp_path / "unused", progress="off"
    )
    assert uncached.cache_hits == 0 and not (tmp_path / "unused").exists()


def test_changing_a_field_spec_reruns_only_extraction(subset, tmp_path, monkeypatch) -> None:
    config = get_preset("default")
    with cf.ThreadPoolExecutor(2) as pool:
        evaluate(subset, config, executor=pool, cache_dir=tmp_path, progress="off")

        def no_ocr(*args, **kwargs):
            raise AssertionError("pages were read again although only extraction changed")

        monkeypatch.setattr(runner, "read_pages", no_ocr)
        spec = DOC_TYPES["prescription"]
        changed = replace(spec.fields[1], normalise=lambda v: v.upper())
        fields = (spec.fields[0], changed, *spec.fields[2:])
        monkeypatch.setitem(DOC_TYPES, "prescription", replace(spec, fields=fields))
        monkeypatch.setitem(LAYOUTS["prescription"], "standard", DOC_TYPES["prescription"])
        result = evaluate(subset, config, executor=pool, cache_dir=tmp_path, progress="off")
    names = result.fields[result.fields.field == "patient_name"]
    names = names[names.doc_type == "prescription"]["got"].dropna()
    assert len(names) and all(n == n.upper() for n in names)


def test_ocr_relevant_config_changes_the_cache_key(subset, tmp_path) -> None:
    config = get_preset("default")
    evaluate(subset[:1], config, cache_dir=tmp_path, progress="off")
    other = replace(config, render=replace(config.render, dpi=200))
    assert evaluate(subset[:1], other, cache_dir=tmp_path, progress="off").cache_hits == 0
    renamed = config.with_name("renamed")  # the name does not change OCR output
    assert evaluate(subset[:1], renamed, cache_dir=tmp_path, progress="off").cache_hits == 1


def test_an_edit_to_reading_code_changes_the_cache_key(tmp_path, monkeypatch) -> None:
    """A cached page was read by the code of its day: an edit to preprocessing must re-read
    it (the key once held only the package's version), an edit to field matching must not."""
    package = Path(cache.__file__).resolve().parent.parent
    assert (package / "pipeline.py").is_file()
    assert cache.reading_code() == cache.code_digest(package)
    copy = tmp_path / "medxtract_lab"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pdf"))
    before = cache.code_digest(copy)
    with (copy / "extraction" / "labels.py").open("a") as source:
        source.write("# a field-matching edit\n")
    assert cache.code_digest(copy) == before
    with (copy / "preprocess.py").open("a") as source:
        source.write("# a preprocessing edit\n")
    edited = cache.code_digest(copy)
    assert edited != before
    config = get_preset("default")
    key = cache.cache_key(b"%PDF-1.4", config, "engine 1")
    monkeypatch.setattr(cache, "reading_code", lambda: edited)
    assert cache.cache_key(b"%PDF-1.4", config, "engine 1") != key


def test_dask_cluster_gives_the_same_results_as_the_local_pool(subset, tmp_path) -> None:
    from distributed import Client, LocalCluster

    config = get_preset("default")
    local = evaluate(subset, config, use_cache=False, progress="off")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        remote = evaluate(
            subset, config, executor=client.get_executor(), use_cache=False, progress="off"
        )
    assert remote.fields.equals(local.fields)
    assert remote.pages.equals(local.pages)


def test_report_command_writes_html_notebook_and_metrics(tmp_path, capfd) -> None:
    out = tmp_path / "report"
    code = main(
        [
            "report",
            "--corpus",
            str(GROUND_TRUTH),
            "--preset",
            "default",
            "--compare",
            "seed",
            "--limit",
            "4",
            "--out",
            str(out),
        ]
    )
    printed = capfd.readouterr()
    assert code == 0, printed.err
    # The kernel talks over local sockets: no TCP port, and no warning about one.
    assert "without encryption" not in printed.err + printed.out
    html = (out / "evaluation.html").read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    assert (out / "evaluation.ipynb").is_file()
    for key in (
        "documents",
        "pages",
        "field_accuracy",
        "micro_cer",
        "pages_per_second",
        "by_source",
        "by_field",
        "config",
        "compare",
    ):
        assert key in metrics
    assert metrics["documents"] == 4 and metrics["compare"]["documents"] == 4
    assert "hepatitis_b_vaccination" in metrics["by_field"]["patient_details"]
    assert "hepatitis_b_vaccination" in html and "Accuracy per field" in html
    assert "Fallback candidates" in html and "documents re-read" in html
    assert "data:image/png;base64" in html  # charts embedded: the file opens offline
    assert 'src="http' not in html  # and loads nothing from the network:
    for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", html):
        assert "http://" not in tag and "https://" not in tag, tag
    for script in re.findall(r"<script\b.*?</script>", html, re.S):
        assert not re.search(r"https?://\S+\.m?js", script), script[:200]
    assert "html-manager" not in html  # no widget manager from a CDN for the progress bar
    import nbformat

    executed = nbformat.read(out / "evaluation.ipynb", as_version=4)
    charts = [
        o for c in executed.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    # The per-field, confidence and page-CER charts, each drawn once.
    assert len(charts) == 3
    # The decision comes first, with a verdict, counts and intervals.
    assert html.index('id="Decision"') < html.index('id="Summary"')
    assert re.search(r"default against seed: clearly better on \d+ of \d+ fields", html)
    assert re.search(r"\d+ of \d+ fields\)", html) and "95% bootstrap intervals" in html
    for section in ("Confidence you can act on", "accept at or above", "ECE as read"):
        assert section in html
    assert "Every wrong field" in html and "Worst pages by CER" in html
    assert "seed: OCR engine" in html and "seed: poppler" in html  # provenance per config
    # Progress reached the terminal of `medxtract report`: the kernel's bar, with a rate.
    assert re.search(r"evaluating default: 100%.*4/4.*(doc/s|s/doc)", printed.err)
    assert "read back from the papermill metadata" in html
    assert "def " not in html and "import " not in html  # inputs are hidden


def test_missing_corpus_is_a_clear_error(tmp_path, capsys) -> None:
    code = main(["report", "--corpus", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_failing_cell_is_named_and_the_partial_notebook_kept(tmp_path, capsys) -> None:
    code = main(
        [
            "report",
            "--corpus",
            str(GROUND_TRUTH),
            "--preset",
            "no-such-preset",
            "--limit",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "failed in cell" in err and "ConfigError" in err
    assert (tmp_path / "evaluation.ipynb").is_file()


CONFIG_FILE = GROUND_TRUTH.parent / "pyproject.toml"  # any existing file stands for one


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], {"config": "default", "compare": None, "limit": None, "use_cache": True}),
        (
            ["--compare", "seed", "--limit", "3", "--scheduler", "tcp://127.0.0.1:8786"],
            {"compare": "seed", "limit": 3, "scheduler": "tcp://127.0.0.1:8786"},
        ),
        (["--config", str(CONFIG_FILE), "--no-cache"], {"config": str(CONFIG_FILE)}),
        (["--preset", "pyproject.toml"], {"config": str(CONFIG_FILE)}),  # made absolute
    ],
)
def test_report_passes_only_the_notebooks_own_parameters_with_their_types(
    argv, expected, monkeypatch
) -> None:
    """Checked against the tagged ``parameters`` cell as papermill reads it."""
    from medxtract_lab.cli import build_parser, report_parameters
    from medxtract_lab.evaluation.notebook import notebook_parameters

    monkeypatch.chdir(GROUND_TRUTH.parent)
    args = build_parser().parse_args(["report", "--corpus", "ground_truth", "--out", "x", *argv])
    passed = report_parameters(args)
    assert passed["corpus_dir"] == str(GROUND_TRUTH)
    assert {key: passed[key] for key in expected} == expected
    declared = notebook_parameters()
    # run_report adds the output folder, and sends progress to the terminal.
    assert set(declared) - set(passed) == {"out_dir", "progress"}
    python_types = {"str": str, "int": int, "bool": bool}
    for name, value in passed.items():
        type_name = declared[name]["inferred_type_name"]
        optional = type_name.startswith("Optional[")
        expected = python_types[type_name.removeprefix("Optional[").rstrip("]")]
        assert (value is None and optional) or isinstance(value, expected), (name, value)


def test_a_parameter_the_notebook_lacks_is_refused_before_running(tmp_path) -> None:
    from medxtract_lab.errors import ReportError
    from medxtract_lab.evaluation.notebook import run_report

    with pytest.raises(ReportError, match=r"no parameter\(s\) \['preset'\]"):
        run_report(tmp_path, {"corpus_dir": str(GROUND_TRUTH), "preset": "default"})
    assert not (tmp_path / "evaluation.ipynb").exists()


def test_the_fallback_table_counts_candidates_their_hits_and_their_cost() -> None:
    import pandas as pd

    from medxtract_lab.evaluation import report
    from medxtract_lab.evaluation.runner import EvaluationResult

    fields = pd.DataFrame(
        {
            "id": ["a", "a", "b", "c"],
            "match": [True, False, True, True],
            "reread_by": ["region:page", "page:seed", "region:page", ""],
        }
    )
    timings = pd.DataFrame(
        {
            "id": ["a", "a", "b", "b", "c", "c"],
            "stage": ["reread", "document", "reread", "document", "reread", "document"],
            "ms": [300.0, 1000.0, 100.0, 1000.0, 0.0, 2000.0],
        }
    )
    result = EvaluationResult(
        fields, pd.DataFrame(), timings, Counter(), get_preset("default"), 1.0
    )
    table = report.fallbacks(result)
    assert table.loc["region:page", "fields"] == 2 and table.loc["region:page", "correct"] == 2
    assert table.loc["page:seed", "correct"] == 0
    assert table.loc["all candidates", "fields"] == 3
    assert table.loc["all candidates", "documents re-read"] == "2 of 3"
    assert table.loc["all candidates", "re-read s"] == "0.4"
    assert table.loc["all candidates", "share of document time"] == "10.0%"
    assert table.loc["all candidates", "longest s"] == "0.30"


def test_provenance_names_the_code_the_corpus_and_differing_engines(tmp_path) -> None:
    import shutil

    import pandas as pd

    from medxtract_lab.evaluation import report
    from medxtract_lab.evaluation.runner import EvaluationResult

    docs = load_corpus(GROUND_TRUTH)[:2]
    empty = pd.DataFrame()
    default = EvaluationResult(empty, empty, empty, Counter(), get_preset("default"), 1.0)
    seed = EvaluationResult(empty, empty, empty, Counter(), get_preset("seed"), 1.0)
    table = report.provenance(docs, default, seed)["value"]
    assert table["corpus"].startswith("2 documents, sha256 ")
    assert re.match(r"medxtract_lab \S+, (git \w+|not a git checkout)", table["code"])
    assert "default: OCR engine" in table and "seed: OCR engine" in table
    assert table["seed: poppler"] == table["default: poppler"] != ""
    if table["default: OCR engine"] != table["seed: OCR engine"]:
        assert "different OCR engine versions" in table["note"]
    alone = report.provenance(docs, default)["value"]
    assert "note" not in alone and "seed: OCR engine" not in alone
    # The hash follows the content: one changed label byte changes it.
    copy = tmp_path / "copy"
    copy.mkdir()
    changed = []
    for doc in docs:
        label = copy / doc.label_path.name
        shutil.copy(doc.pdf_path, copy / doc.pdf_path.name)
        label.write_bytes(doc.label_path.read_bytes() + b" ")
        changed.append(replace(doc, label_path=label))
    assert report.provenance(changed, default)["value"]["corpus"] != table["corpus"]


def test_another_library_version_changes_the_cache_key(monkeypatch) -> None:
    """Pages read with another numpy or OpenCV may differ: they must not be served from a
    cache filled with the old one."""
    import cv2
    import numpy

    found = cache.reading_libraries()
    assert f"numpy {numpy.__version__}" in found and f"opencv {cv2.__version__}" in found
    assert all(f"{name} " in found for name in ("simplejpeg", "pikepdf", "pypdfium2", "poppler"))
    assert "not installed" not in found
    config = get_preset("default")
    key = cache.cache_key(b"%PDF-1.4", config, "engine 1")
    monkeypatch.setattr(cache, "reading_libraries", lambda: found.replace("numpy", "numpy 9"))
    assert cache.cache_key(b"%PDF-1.4", config, "engine 1") != key


def test_a_new_language_model_changes_the_cache_key(tmp_path, monkeypatch, request) -> None:
    """An upgraded language package replaces the model a cached page was read with (a new
    process finds it: one process keeps the stamps of the models its engines loaded)."""
    from medxtract_lab.ocr import tessdata

    for code in ("Latin", "eng", "osd"):
        (tmp_path / f"{code}.traineddata").write_bytes(b"model")
    monkeypatch.setattr(tessdata, "tessdata_dir", lambda: str(tmp_path))
    tessdata.model_stamps.cache_clear()
    request.addfinalizer(tessdata.model_stamps.cache_clear)  # the real folder's, for later tests
    config = get_preset("default")
    assert cache.models_read(config) == ("Latin", "eng", "osd")
    key = cache.cache_key(b"%PDF-1.4", config, "engine 1")
    (tmp_path / "Latin.traineddata").write_bytes(b"a newer model")
    assert cache.cache_key(b"%PDF-1.4", config, "engine 1") == key  # this process's models
    tessdata.model_stamps.cache_clear()  # a new process
    newer = cache.cache_key(b"%PDF-1.4", config, "engine 1")
    assert newer != key
    (tmp_path / "osd.traineddata").unlink()  # orientation detection's model is read too
    tessdata.model_stamps.cache_clear()
    assert cache.cache_key(b"%PDF-1.4", config, "engine 1") != newer
    assert "osd missing" in tessdata.model_stamps(cache.models_read(config))
