"""ThresholdTuner driven by setting widget values and clicking, with no kernel."""

from pathlib import Path

import numpy as np
import pytest

from medxtract_lab.config import load_config
from medxtract_lab.corpus import load_corpus
from medxtract_lab.preprocess import STEPS, apply_steps
from medxtract_lab.widgets import ThresholdTuner

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"


@pytest.fixture(scope="module")
def tuner() -> ThresholdTuner:
    doc = next(d for d in load_corpus(GROUND_TRUTH, doc_type="prescription") if "scan" in d.id)
    return ThresholdTuner(doc)


def test_methods_come_from_the_registry(tuner) -> None:
    assert set(tuner.method.options) >= {"adaptive_gaussian", "adaptive_mean", "otsu", "none"}
    assert set(tuner.method.options) | set(tuner.toggles) | {"grayscale", "scale"} == set(STEPS)


def test_changing_method_and_parameters_redraws(tuner) -> None:
    tuner.method.value = "otsu"
    otsu = tuner.processed.value
    tuner.method.value = "adaptive_gaussian"
    gaussian = tuner.processed.value
    assert otsu != gaussian
    tuner._param_widgets["c"].value = 30
    assert tuner.processed.value != gaussian
    assert tuner.config.steps[-1].params["c"] == 30


def test_an_even_block_size_cannot_be_chosen(tuner) -> None:
    tuner.method.value = "adaptive_mean"
    block = tuner._param_widgets["block_size"]
    block.value = 60
    assert block.value == 61
    assert tuner.config.steps[-1].params["block_size"] % 2 == 1


def test_exported_config_gives_the_same_processed_image(tuner, tmp_path) -> None:
    tuner.method.value = "adaptive_gaussian"
    tuner.toggles["normalize_illumination"].value = True
    path = tuner.export_config(tmp_path / "tuned.yaml")
    loaded = load_config(path)
    assert loaded.steps == tuner.config.steps
    assert np.array_equal(
        apply_steps(tuner.full, loaded.steps), apply_steps(tuner.full, tuner.config.steps)
    )
    other = ThresholdTuner(tuner.label)
    other.import_config(path)
    assert other.config.steps == loaded.steps


def test_run_ocr_fills_the_fields_panel(tuner) -> None:
    tuner.method.value = "none"
    tuner.run_button.click()
    tuner.ocr_thread.join(120)
    assert "patient_name" in tuner.fields.value and "✓" in tuner.fields.value
    assert "confidence" in tuner.fields.value
    assert tuner.text.value.strip()
    assert "page 1 CER" in tuner.status.value


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    (root / "prescription").mkdir(parents=True)
    for name in ("rx-digital-000", "rx-scan-000"):
        for suffix in (".pdf", ".json"):
            source = GROUND_TRUTH / "prescription" / f"{name}{suffix}"
            (root / "prescription" / source.name).write_bytes(source.read_bytes())
    return root


def test_labeler_round_trip_is_read_by_the_store_and_the_evaluation(small_corpus) -> None:
    from medxtract_lab.config import get_preset
    from medxtract_lab.evaluation.runner import evaluate
    from medxtract_lab.widgets import GroundTruthLabeler

    labeler = GroundTruthLabeler(small_corpus, labeled_by="tester")
    assert labeler.progress.value == "2 labelled of 2"
    labeler.jump.value = "rx-scan-000"
    labeler.field_widgets["patient_name"].value = "Corrected Name"
    labeler.field_widgets["refills"].value = "4"
    labeler.page_widgets[0].value = "Corrected page text"
    assert labeler.save()
    [doc] = [d for d in load_corpus(small_corpus) if d.id == "rx-scan-000"]
    assert doc.fields["patient_name"] == "Corrected Name" and doc.fields["refills"] == "4"
    assert doc.pages == ["Corrected page text"] and doc.labeled_by == "tester" and doc.updated
    rows = evaluate([doc], get_preset("default"), progress="off").fields
    assert rows[rows.field == "patient_name"]["expected"].item() == "Corrected Name"


def test_invalid_value_shows_an_error_and_writes_nothing(small_corpus) -> None:
    from medxtract_lab.widgets import GroundTruthLabeler

    labeler = GroundTruthLabeler(small_corpus, labeled_by="tester")
    labeler.jump.value = "rx-digital-000"
    path = labeler.doc.label_path
    before = path.read_bytes()
    labeler.field_widgets["refills"].value = "twice"
    assert not labeler.save()
    assert "refills" in labeler.message.value and "Not saved" in labeler.message.value
    assert path.read_bytes() == before
    assert not (small_corpus / ".history").exists()


def test_saving_twice_keeps_both_versions_in_history(small_corpus) -> None:
    from medxtract_lab.widgets import GroundTruthLabeler

    labeler = GroundTruthLabeler(small_corpus, labeled_by="tester")
    labeler.jump.value = "rx-digital-000"
    original = labeler.doc.label_path.read_text()
    labeler.field_widgets["refills"].value = "1"
    assert labeler.save()
    first = labeler.doc.label_path.read_text()
    labeler.field_widgets["refills"].value = "2"
    assert labeler.save()
    history = sorted((small_corpus / ".history").iterdir())
    assert [p.read_text() for p in history] == [original, first]


def test_two_labelers_on_one_document_cannot_overwrite_each_other(small_corpus) -> None:
    from medxtract_lab.widgets import GroundTruthLabeler

    mine = GroundTruthLabeler(small_corpus, labeled_by="me")
    theirs = GroundTruthLabeler(small_corpus, labeled_by="colleague")
    for labeler in (mine, theirs):
        labeler.jump.value = "rx-digital-000"
    theirs.field_widgets["refills"].value = "1"
    assert theirs.save()
    saved = theirs.doc.label_path.read_bytes()
    mine.field_widgets["refills"].value = "2"
    assert not mine.save()
    assert "changed since it was opened" in mine.message.value
    assert mine.doc.label_path.read_bytes() == saved


def test_failure_during_save_leaves_the_previous_label(small_corpus, monkeypatch) -> None:
    import os

    from medxtract_lab.widgets import GroundTruthLabeler

    labeler = GroundTruthLabeler(small_corpus, labeled_by="tester")
    labeler.jump.value = "rx-digital-000"
    before = labeler.doc.label_path.read_bytes()
    labeler.field_widgets["refills"].value = "3"

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    assert not labeler.save()
    assert "disk full" in labeler.message.value
    assert labeler.doc.label_path.read_bytes() == before


def test_import_creates_empty_labels_and_reports_duplicates(small_corpus, tmp_path) -> None:
    from medxtract_lab.widgets import GroundTruthLabeler

    labeler = GroundTruthLabeler(small_corpus, labeled_by="tester")
    new = GROUND_TRUTH / "prescription" / "rx-photo-000.pdf"
    duplicate = small_corpus / "prescription" / "rx-digital-000.pdf"
    report = labeler.import_pdfs([new, duplicate], "prescription")
    assert len(report["imported"]) == 1 and "rx-digital-000" in report["duplicates"][0]
    assert labeler.progress.value == "2 labelled of 3"
    labeler.filter.value = "unlabelled"
    assert list(labeler.jump.options) == report["imported"]
    assert labeler.field_marks["patient_name"].value  # prefilled, marked unconfirmed
    assert labeler.field_widgets["patient_name"].value  # from the current extraction
    assert len(load_corpus(small_corpus)) == 2  # the empty label is not ground truth
