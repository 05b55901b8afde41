"""The synthetic generator, the committed corpus and the ground-truth store."""

import json
import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pdf2image
import pikepdf
import pytest

from medxtract_lab import render
from medxtract_lab.cli import main
from medxtract_lab.config import RenderSettings
from medxtract_lab.corpus import LabelError, capture, load_corpus, save_label
from medxtract_lab.corpus.synth import CONDITIONS, GENERATORS, HOUSE, synthesize
from medxtract_lab.preprocess import estimate_skew
from medxtract_lab.text_layer import text_layers

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"
LAYOUTS_SET = GROUND_TRUTH / "layouts"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(GROUND_TRUTH)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


FAST = ["digital", "scan", "photo", "annotated", "columns", "dates"]  # camera: tested alone


def test_same_seed_gives_identical_labels_and_images(tmp_path) -> None:
    first = synthesize(tmp_path / "a", per_condition=1, seed=3, conditions=FAST)
    second = synthesize(tmp_path / "b", per_condition=1, seed=3, conditions=FAST)
    assert len(first) == 11  # the prescription has no two-column variant
    assert {d.layout for d in first} == {HOUSE}
    for a, b in zip(first, second, strict=True):
        label_a = (a.label_path).read_bytes()
        label_b = (b.label_path).read_bytes()
        assert label_a == label_b
        pages_a = pdf2image.convert_from_path(a.pdf_path, dpi=40, grayscale=True)
        pages_b = pdf2image.convert_from_path(b.pdf_path, dpi=40, grayscale=True)
        for pa, pb in zip(pages_a, pages_b, strict=True):
            diff = np.abs(np.asarray(pa, np.int16) - np.asarray(pb, np.int16))
            assert diff.mean() < 1.0
    other = synthesize(tmp_path / "c", per_condition=1, seed=4, conditions=["digital"])
    assert other[0].fields != first[0].fields


def test_committed_corpus_is_large_enough_and_small_enough(corpus) -> None:
    counts: dict[tuple[str, str], int] = {}
    for doc in corpus:
        counts[(doc.doc_type, doc.source)] = counts.get((doc.doc_type, doc.source), 0) + 1
    conditions = {c.split(":")[1] for _, c in counts}
    assert conditions == set(CONDITIONS)
    for (doc_type, layout), generator in GENERATORS.items():
        if layout != HOUSE:
            continue
        for condition in CONDITIONS.values():
            if condition.variant is None or condition.variant in generator.variants:
                assert counts[(doc_type, f"synthetic:{condition.name}")] >= 10
    files = [p for p in GROUND_TRUTH.rglob("*") if p.is_file() and LAYOUTS_SET not in p.parents]
    size = sum(p.stat().st_size for p in files)
    assert size <= 45 * 1024 * 1024  # 150 documents in eight conditions: about 40 MB
    assert {doc.layout for doc in corpus} == {HOUSE}


def test_layouts_set_holds_each_family_in_each_of_its_conditions() -> None:
    """The evaluation set of the layouts the house layouts were not written for: 10 documents
    per family and condition, kept out of the main corpus (it is a corpus of its own)."""
    docs = load_corpus(LAYOUTS_SET)
    counts: dict[tuple[str, str, str], int] = {}
    for doc in docs:
        key = (doc.doc_type, doc.layout, doc.source)
        counts[key] = counts.get(key, 0) + 1
    expected = {
        (doc_type, layout, f"synthetic:{condition}")
        for (doc_type, layout), generator in GENERATORS.items()
        if layout != HOUSE
        for condition in generator.conditions
    }
    assert set(counts) == expected and min(counts.values()) >= 10
    assert not {d.id for d in docs} & {d.id for d in load_corpus(GROUND_TRUTH)}
    size = sum(p.stat().st_size for p in LAYOUTS_SET.rglob("*") if p.is_file())
    assert size <= 20 * 1024 * 1024  # 90 one-page documents: about 15 MB


def test_a_folder_below_a_type_folder_is_a_corpus_of_its_own(one_label) -> None:
    doc, path = one_label
    nested = path.parent / "prescription" / "more"
    nested.mkdir(parents=True)
    (nested / path.name).write_bytes(path.read_bytes())
    (nested / doc.document).write_bytes(doc.pdf_path.read_bytes())
    assert [d.label_path for d in load_corpus(path.parent)] == [path]
    assert [d.label_path for d in load_corpus(nested)] == [nested / path.name]


def test_validate_command_passes_on_the_committed_corpus(capsys) -> None:
    assert main(["validate", str(GROUND_TRUTH)]) == 0
    assert f"{len(load_corpus(GROUND_TRUTH))} labels valid" in capsys.readouterr().out


def test_digital_text_layer_holds_every_field_value(corpus) -> None:
    for doc in [d for d in corpus if d.source == "synthetic:digital"]:
        text = subprocess.run(
            ["pdftotext", str(doc.pdf_path), "-"], capture_output=True, text=True, check=True
        ).stdout
        for name, value in doc.fields.items():
            for line in (value or "").splitlines():  # lines of a column may interleave
                assert _collapse(line) in _collapse(text), f"{doc.id}: {name}"


def _background_spread(pdf: Path) -> float:
    page = np.asarray(pdf2image.convert_from_path(pdf, dpi=40, grayscale=True)[0])
    background = cv2.dilate(page, np.ones((9, 9), np.uint8))  # erase the text
    return float(np.percentile(background, 95) - np.percentile(background, 5))


def test_photos_have_far_more_uneven_light_than_scans(corpus) -> None:
    photo = [_background_spread(d.pdf_path) for d in corpus if d.source == "synthetic:photo"]
    scan = [_background_spread(d.pdf_path) for d in corpus if d.source == "synthetic:scan"]
    assert np.median(photo) > 3 * max(np.median(scan), 5)


def test_scans_are_skewed_within_two_degrees(corpus) -> None:
    angles = []
    for doc in [d for d in corpus if d.source == "synthetic:scan"]:
        page = np.asarray(
            pdf2image.convert_from_path(doc.pdf_path, dpi=100, grayscale=True, last_page=1)[0]
        )
        angles.append(estimate_skew(page))
    assert max(abs(a) for a in angles) <= 2.3
    assert sum(abs(a) >= 0.2 for a in angles) >= len(angles) // 2


@pytest.fixture
def one_label(tmp_path, corpus):
    doc = next(d for d in corpus if d.doc_type == "prescription")
    (tmp_path / doc.document).write_bytes(doc.pdf_path.read_bytes())
    path = tmp_path / f"{doc.id}.json"
    save_label(replace(doc, label_path=None), path)
    return doc, path


def test_label_round_trip(one_label) -> None:
    doc, path = one_label
    [loaded] = load_corpus(path.parent)
    assert loaded == doc
    assert load_corpus(path.parent, doc_type="patient_details") == []
    assert load_corpus(path.parent, source="scan") == [loaded] or doc.source != "synthetic:scan"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["fields"].update(favourite_colour="blue"), "favourite_colour"),
        (lambda d: d["fields"].pop("refills"), "refills"),
        (lambda d: d.update(document="missing.pdf"), "missing.pdf"),
        (lambda d: d.update(pages=d["pages"] * 2), "page"),
        (lambda d: d["fields"].update(refills=3), "refills"),
        (lambda d: d.update(source="scraped"), "source"),
        (lambda d: d.update(source="synthetic:scna"), "condition of the generator"),
        (lambda d: d.update(doc_type="invoice"), "doc_type"),
        (lambda d: d.pop("labeled_by"), "labeled_by"),
        (lambda d: d.update(layout=3), "'layout' must be a str"),
        (lambda d: d.update(layuot="standard"), "layuot"),
    ],
)
def test_malformed_labels_name_file_and_field(one_label, change, message) -> None:
    _, path = one_label
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(LabelError) as raised:
        load_corpus(path.parent)
    assert path.name in str(raised.value) and message in str(raised.value)


def test_invalid_json_is_reported(one_label) -> None:
    _, path = one_label
    path.write_text("{")
    with pytest.raises(LabelError, match="not readable as JSON"):
        load_corpus(path.parent)


def test_failure_during_save_keeps_the_previous_label(one_label, monkeypatch) -> None:
    doc, path = one_label
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save_label(replace(doc, labeled_by="someone else", label_path=None), path)
    assert path.read_bytes() == before
    # No temp file is left; the label's (empty) lock file may stay.
    left = {p.name for p in path.parent.iterdir()} - {f".{path.name}.lock"}
    assert left == {path.name, doc.document}


def test_validate_command_fails_on_a_bad_label(one_label, capsys) -> None:
    _, path = one_label
    path.write_text(path.read_text().replace('"refills"', '"refill_count"'))
    assert main(["validate", str(path.parent)]) == 2
    assert "refill_count" in capsys.readouterr().err


def _of(corpus, condition: str, doc_type: str | None = None) -> list:
    return [
        d for d in corpus if d.source == f"synthetic:{condition}" and doc_type in (None, d.doc_type)
    ]


def test_camera_pages_are_12_megapixel_photos_inside_a_print_wrapper(corpus) -> None:
    for doc in _of(corpus, "camera")[::7]:
        pdf = render.open_pdf(doc.pdf_path, RenderSettings())
        # Not a bare full-page image: the photo is placed, and put on its page when decoded.
        assert all(scan.placement is not None for scan in pdf.info.scans)
        with pikepdf.open(doc.pdf_path) as document:
            page = document.pages[0]
            [image] = list(page.get_images().values())
            assert int(image.Width) * int(image.Height) >= 11_000_000
            streams = page.obj.Contents
            streams = streams if isinstance(streams, pikepdf.Array) else [streams]
            content = b" ".join(stream.read_bytes() for stream in streams)
            # A white fill over the page, and a clip path around the image.
            assert re.search(rb" re f\*?\s", content) and re.search(rb" re W\*? n", content)


def test_annotated_pages_carry_a_typed_line_over_a_full_page_picture(corpus) -> None:
    forms = set()
    for doc in _of(corpus, "annotated"):
        boxes = render.read_info(doc.pdf_path, RenderSettings()).media_boxes
        layer = text_layers(doc.pdf_path, RenderSettings(), [True], boxes)[0]
        typed = layer.text if layer else ""
        assert any(line in typed for line in capture.TYPED_LINES), doc.id
        assert any(line in doc.pages[0] for line in capture.TYPED_LINES)
        assert render.open_pdf(doc.pdf_path, RenderSettings()).info.pictures[0] > 0.9
        with pikepdf.open(doc.pdf_path) as document:
            forms.add("/Annots" in document.pages[0].obj)
    assert forms == {True, False}  # both ways a PDF editor adds it


def test_two_column_records_share_rows_between_the_columns(corpus) -> None:
    for doc in _of(corpus, "columns"):
        rows = doc.pages[1].splitlines()
        company = next(r for r in rows if r.startswith("Name of Insurance Company:"))
        assert "Address:" in company  # the right-hand column starts on the same row
        if doc.fields["insurance_expiry"]:
            expiry = next(r for r in rows if "Expiry Date:" in r)
            assert not expiry.startswith("Expiry Date:")  # printed to the right of a value


def test_date_documents_print_dates_day_first_or_with_a_comma(corpus) -> None:
    day_first = re.compile(r"^\d{1,2}[ -][A-Z][a-z]+[ -]\d{2,4}$|^\d{2}/\d{2}/\d{2}$|, \d{4}$")
    for doc in _of(corpus, "dates"):
        for name in ("date", "birth_date", "insurance_expiry"):
            value = doc.fields.get(name)
            if value:
                assert day_first.search(value), (doc.id, name, value)


def test_synth_command_shows_progress_on_stderr(tmp_path, capfd) -> None:
    from medxtract_lab.cli import main

    argv = ["synth", "--out", str(tmp_path), "--per-condition", "1", "--conditions", "digital"]
    code = main(argv)
    printed = capfd.readouterr()
    assert code == 0 and "wrote 2 labelled documents" in printed.out
    # Not a terminal under pytest: whole lines, the last one complete with its rate.
    assert re.search(r"synthesizing: 100%.*2/2.*(doc/s|s/doc)", printed.err.splitlines()[-1])
