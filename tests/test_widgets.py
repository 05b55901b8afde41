"""The lab widgets driven by setting widget values, clicking and pressing their shortcuts,
with no kernel (the browser side is checked by hand, see the README)."""

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from medxtract_lab.config import load_config
from medxtract_lab.corpus import load_corpus
from medxtract_lab.ocr.registry import engine_spec
from medxtract_lab.page_marks import cut, padded, through
from medxtract_lab.pages import ocr_input, steps_start
from medxtract_lab.preprocess import OPTIONAL_STEPS, STEPS
from medxtract_lab.widgets import ThresholdTuner
from medxtract_lab.widgets.tuner import MAX_ZOOM, PREVIEW_WIDTH

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"


@pytest.fixture(scope="module")
def tuner() -> ThresholdTuner:
    return ThresholdTuner(corpus=GROUND_TRUTH)


def _png_size(data: bytes) -> tuple[int, int]:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return image.shape[1], image.shape[0]


def test_every_step_parameter_and_engine_option_comes_from_the_registries(tuner) -> None:
    assert set(tuner.method.options) >= {"adaptive_gaussian", "adaptive_mean", "otsu", "none"}
    assert set(tuner.method.options) | set(tuner.toggles) | {"grayscale", "scale"} == set(STEPS)
    for step in OPTIONAL_STEPS:
        assert {(step, p) for p in STEPS[step].params} <= set(tuner.params)
    tunable = engine_spec(tuner.engine.value).tunable
    assert set(tuner.options) == set(tunable) and "psm" in tunable
    assert set(tunable["psm"]) <= {v for _, v in tuner.options["psm"].options}
    tuner.options["psm"].value = 6
    assert tuner.config.ocr.psm == 6 and tuner.b_summary.value.startswith("B: psm 6;")
    tuner._engine_options(None)  # as when the engine changes: each option back to the default
    assert tuner.options["psm"].value == "default" and tuner.config.ocr.psm is None
    tuner._engine_options(tuner.a)


def test_the_picker_filters_by_source_and_type(tuner) -> None:
    tuner.source_filter.value = "scan"
    tuner.type_filter.value = "prescription"
    shown = list(tuner.document.options)
    assert shown and all(i.startswith("rx-scan") for i in shown)
    assert tuner.label.id == tuner.document.value
    tuner.source_filter.value = tuner.type_filter.value = "all"


def test_changing_b_redraws_b_and_leaves_pinned_a(tuner) -> None:
    tuner.method.value = "otsu"
    a, otsu = tuner.preview_a.value, tuner.preview_b.value
    assert tuner.b_summary.value.endswith("otsu") and "otsu" not in tuner.a_summary.value
    tuner.method.value = "adaptive_gaussian"
    gaussian = tuner.preview_b.value
    assert otsu != gaussian and tuner.preview_a.value == a
    assert tuner.b_summary.value.endswith("adaptive_gaussian")  # B's caption lists its steps
    tuner.params[("adaptive_gaussian", "c")].value = 30
    assert tuner.preview_b.value != gaussian and tuner.preview_a.value == a
    assert tuner.config.steps[-1].params["c"] == 30
    tuner.pin_b()
    assert tuner.a.steps == tuner.config.steps and tuner.preview_a.value == tuner.preview_b.value
    tuner.params[("adaptive_gaussian", "c")].value = 5
    assert tuner.preview_a.value != tuner.preview_b.value


def test_an_even_block_size_cannot_be_chosen(tuner) -> None:
    tuner.method.value = "adaptive_mean"
    block = tuner.params[("adaptive_mean", "block_size")]
    block.value = 60
    assert block.value == 61
    assert tuner.config.steps[-1].params["block_size"] % 2 == 1


def test_the_preview_is_the_page_tesseract_reads(tuner) -> None:
    """Whatever the zoom, a preview is cut from the page as Tesseract reads it, processed by
    all the steps, so it shows what the full page gets (not the steps run on a small copy)."""
    tuner.method.value = "adaptive_gaussian"
    full = ocr_input(tuner.pdf, tuner.page.value, tuner.config)
    assert np.array_equal(tuner.processed(tuner.config), full)
    for zoom in (1.0, MAX_ZOOM):
        tuner.view_at((0.3, 0.4), zoom)
        expected = cut(full, tuner._region())
        factor = PREVIEW_WIDTH / expected.shape[1]
        shrink = cv2.INTER_AREA if factor < 1 else cv2.INTER_NEAREST
        expected = cv2.resize(expected, None, fx=factor, fy=factor, interpolation=shrink)
        assert np.array_equal(tuner.view(tuner.config), expected)
        assert _png_size(tuner.preview_b.value)[0] == PREVIEW_WIDTH
    tuner.view_at((0.5, 0.5), 1.0)


def test_a_camera_page_previews_what_tesseract_reads() -> None:
    """A camera page's OCR input is made at the working size straight from the photo
    (``pages.steps_start``); the preview shows those pixels, not the page at 300 dpi under
    every step."""
    tuner = ThresholdTuner(corpus=GROUND_TRUTH)  # A is `default`, which starts resampled
    tuner.source_filter.value, tuner.type_filter.value = "camera", "prescription"
    assert tuner.a.steps[1].name == "resample_text"
    _, steps = steps_start(tuner.pdf, tuner.page.value, tuner.a)
    assert "resample_text" not in [s.name for s in steps]  # the page was made at working size
    tuner.method.value = "otsu"  # B differs from A after the shared start
    for config in (tuner.a, tuner.config):
        read = ocr_input(tuner.pdf, tuner.page.value, config)
        assert np.array_equal(tuner.processed(config), read)


def test_opening_a_shorter_document_from_a_later_page_shows_its_first_page() -> None:
    """Opening a document resets the field to zoom to, which redraws: no page of the new
    document may be drawn before its first is loaded (page 2 of a one-page PDF)."""
    tuner = ThresholdTuner(corpus=GROUND_TRUTH)
    tuner.type_filter.value = "patient_details"
    tuner.page.value = 2
    tuner.zoom_field.value = tuner.zoom_field.options[1]  # not read yet: nothing outlined
    tuner.type_filter.value = "prescription"  # opens a one-page document
    assert tuner.pdf.pages == 1 and tuner.page.value == 1
    assert tuner._loaded == (tuner.path, 1) and tuner.zoom_field.value == ""


def test_a_filter_that_still_lists_the_document_keeps_it_open() -> None:
    """New options select the first document for a moment; the one on show must not be
    reopened (back on page 1, zoom 1, its A/B results gone) while the filters still list it."""
    tuner = ThresholdTuner(corpus=GROUND_TRUTH)
    tuner.source_filter.value, tuner.type_filter.value = "photo", "patient_details"
    tuner.document.value = tuner.document.options[3]
    kept = tuner.label
    tuner.page.value = 2
    tuner.view_at((0.4, 0.4), 2.0)
    opened = []
    tuner.open = opened.append  # count the documents opened, without opening them
    tuner.type_filter.value = "all"
    assert tuner.document.options[0] != kept.id  # the options changed under it
    assert opened == [] and tuner.document.value == kept.id and tuner.label is kept
    assert tuner.page.value == 2 and tuner.zoom.value == 2.0
    tuner.source_filter.value = "scan"  # leaves it out: the first scan opens
    assert [d.id for d in opened] == [tuner.document.options[0]]


def test_the_mouse_zooms_and_pans_both_previews(tuner) -> None:
    tuner.view_at((0.5, 0.5), 1.0)
    before = tuner.preview_a.value, tuner.preview_b.value
    tuner._mouse({"type": "wheel", "deltaY": -120, "dataX": 100, "dataY": 100})
    assert tuner.zoom.value == 1.5
    assert tuner.center[0] < 0.5 and tuner.center[1] < 0.5  # towards the pointer
    after = tuner.preview_a.value, tuner.preview_b.value
    assert after[0] != before[0] and after[1] != before[1]
    tuner._mouse({"type": "click", "dataX": PREVIEW_WIDTH - 1, "dataY": 10})
    assert tuner.center[0] > 0.5
    tuner.view_at((0.5, 0.5), 1.0)


def test_exported_config_gives_the_same_processed_image(tuner, tmp_path) -> None:
    tuner.method.value = "adaptive_gaussian"
    tuner.toggles["normalize_illumination"].value = True
    path = tuner.export_config(tmp_path / "tuned.yaml")
    loaded = load_config(path)
    assert loaded.steps == tuner.config.steps
    page = tuner.page.value
    assert np.array_equal(
        ocr_input(tuner.pdf, page, replace(tuner.config, steps=loaded.steps)),
        tuner.processed(tuner.config),
    )
    other = ThresholdTuner(tuner.label)
    other.import_config(path)
    assert other.config.steps == loaded.steps


def test_the_progress_bar_shows_only_while_a_reading_runs(monkeypatch) -> None:
    """Fault injection: a reading held until released, to look at the bar meanwhile."""
    import threading

    from medxtract_lab.widgets import tuner as tuner_module

    release = threading.Event()
    real = tuner_module.extract_cached

    def held(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(tuner_module, "extract_cached", held)
    tuner = ThresholdTuner(corpus=GROUND_TRUTH)
    tuner.source_filter.value = "digital"
    assert tuner.run_progress.layout.visibility == "hidden"  # nothing read yet: no empty bar
    tuner.run_button.click()
    assert tuner.run_progress.layout.visibility == "visible"
    release.set()
    tuner.ocr_thread.join(240)
    assert set(tuner.results) == {"A", "B"} and tuner.run_progress.layout.visibility == "hidden"


def test_run_reads_every_page_of_a_record_under_a_and_b() -> None:
    tuner = ThresholdTuner(corpus=GROUND_TRUTH)
    tuner.source_filter.value = "scan"
    tuner.type_filter.value = "patient_details"
    tuner.options["psm"].value = 6
    tuner.run_button.click()
    tuner.ocr_thread.join(240)
    assert set(tuner.results) == {"A", "B"} and tuner.run_progress.value == 2
    page_two = [
        name
        for name, places in tuner.results["A"][0].locations.items()
        if places and places[0].page == 2
    ]
    assert page_two, "a two-page record has fields on page 2"
    for name in page_two:  # read from page 2, not null
        assert tuner.results["A"][0].fields[name] is not None
    table = tuner.fields.value
    assert "p2" in table and "CER A" in table and "confidence" in table and "✓" in table
    assert table.count("<tr><td>2</td>") == 1  # page 2's CER row
    assert f'data-pick="{page_two[0]}"' in table  # each field's row can be clicked
    tuner.fields._handle_custom_msg({"pick": page_two[0]}, [])  # what a click on it sends
    assert tuner.zoom_field.value == page_two[0]
    assert tuner.page.value == 2 and tuner.zoom.value > 1
    shown = cv2.imdecode(np.frombuffer(tuner.preview_b.value, np.uint8), cv2.IMREAD_COLOR)
    assert (shown[..., 2].astype(int) - shown[..., 0] > 100).any()  # the value outlined in red
    page_box = tuner.results["B"][0].locations[page_two[0]][0].box
    box = through(page_box, tuner._processed(tuner.config)[1])  # where B's preview shows it
    # The outline sits on the value: the preview's page cut at that box reads as the value.
    import pytesseract
    from rapidfuzz import fuzz

    processed = tuner.processed(tuner.config)
    seen = pytesseract.image_to_string(cut(processed, padded([box])[0]), config="--psm 7")
    value = tuner.results["B"][0].fields[page_two[0]]
    assert fuzz.ratio(seen.strip(), value) > 80, (seen, value)
    x0, y0, x1, y1 = tuner._region()
    assert x0 <= (box[0] + box[2]) / 2 <= x1 and y0 <= (box[1] + box[3]) / 2 <= y1
    assert "changed since this reading" not in tuner.fields.value
    tuner.method.value = "otsu"
    assert "changed since this reading" in tuner.fields.value


def test_a_wrong_field_shows_its_diff() -> None:
    tuner = ThresholdTuner(corpus=GROUND_TRUTH)
    tuner.source_filter.value = "digital"
    tuner.type_filter.value = "prescription"
    tuner.label = replace(tuner.label, fields={**tuner.label.fields, "refills": "99"})
    tuner.run_ocr(wait=True)
    row = tuner.fields.value.split('data-pick="refills"')[1].split("</tr>")[0]
    assert "✗" in row and "<del>9</del>" in row and "<ins>" in row  # expected 99, read other


def test_evaluate_on_a_sample_compares_a_and_b() -> None:
    tuner = ThresholdTuner(corpus=GROUND_TRUTH)
    tuner.source_filter.value = "digital"
    tuner.sample_size.value = 2
    tuner.method.value = "otsu"
    tuner.evaluate_sample(wait=True)
    html = tuner.sample.value
    assert "field accuracy" in html and "page CER" in html, html
    assert "2 (" in html  # two documents, both types
    assert "changed between A and B" in html


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


@pytest.fixture
def unlabelled_corpus(tmp_path) -> tuple[Path, list[str]]:
    """Three prescriptions imported as a labeller receives them: no labels yet."""
    from medxtract_lab.widgets import GroundTruthLabeler

    root = tmp_path / "incoming"
    root.mkdir()
    sources = [GROUND_TRUTH / "prescription" / f"rx-{c}-000.pdf" for c in ("digital", "scan")]
    labeler = GroundTruthLabeler(root, labeled_by="tester")
    report = labeler.import_pdfs(sources, "prescription")
    return root, report["imported"]


def _saved(root: Path, doc_id: str) -> dict:
    import json

    return json.loads((root / "prescription" / f"{doc_id}.json").read_text())


def test_save_with_unconfirmed_fields_asks_and_records_what_was_accepted(unlabelled_corpus):
    from medxtract_lab.widgets import GroundTruthLabeler

    root, ids = unlabelled_corpus
    labeler = GroundTruthLabeler(root, labeled_by="tester")
    labeler.jump.value = ids[0]
    assert set(labeler.unconfirmed()) == set(labeler.field_widgets)
    assert not labeler.save()  # zero edits: raw OCR is not ground truth without a look
    assert "unconfirmed" in labeler.message.value and labeler.save_anyway.layout.display is None
    assert _saved(root, ids[0])["labeled_by"] == ""
    labeler.field_widgets["patient_name"].value = "Typed Name"  # an edit confirms
    labeler.accept_field("date")  # accepted as proposed
    assert "edited" in labeler.field_marks["patient_name"].value
    assert "accepted" in labeler.field_marks["date"].value
    assert not labeler.save()
    labeler.save_anyway.click()
    label = _saved(root, ids[0])
    rest = set(labeler.field_widgets) - {"patient_name"}
    assert label["labeled_by"] == "tester" and label["fields"]["patient_name"] == "Typed Name"
    assert set(label["accepted_unchanged"]) == rest  # date, and the rest saved anyway


def test_accept_all_shown_is_explicit_and_recorded(unlabelled_corpus):
    from medxtract_lab.widgets import GroundTruthLabeler

    root, ids = unlabelled_corpus
    labeler = GroundTruthLabeler(root, labeled_by="tester")
    labeler.jump.value = ids[1]
    labeler.field_widgets["refills"].value = "3"
    labeler.accept.click()
    assert labeler.unconfirmed() == []
    assert labeler.save()
    label = _saved(root, ids[1])
    assert "refills" not in label["accepted_unchanged"]
    assert set(label["accepted_unchanged"]) == set(labeler.field_widgets) - {"refills"}
    assert load_corpus(root)[0].accepted_unchanged == label["accepted_unchanged"]


def test_edits_survive_navigation_and_the_changed_filter_tells_the_truth(small_corpus):
    from medxtract_lab.widgets import GroundTruthLabeler

    labeler = GroundTruthLabeler(small_corpus, labeled_by="tester")
    labeler.jump.value = "rx-scan-000"
    original = labeler.field_widgets["refills"].value
    labeler.field_widgets["refills"].value = "9"
    labeler.jump.value = "rx-digital-000"
    assert "unsaved edits in 1" in labeler.progress.value
    labeler.filter.value = "changed"
    assert list(labeler.jump.options) == ["rx-scan-000"]
    assert labeler.field_widgets["refills"].value == "9"  # the edit is still there
    labeler.field_widgets["refills"].value = original  # undone: nothing to save
    labeler.filter.value = "all"
    labeler.filter.value = "changed"
    assert list(labeler.jump.options) == []


def test_the_keyboard_alone_labels_a_document(unlabelled_corpus):
    from medxtract_lab.widgets import GroundTruthLabeler

    root, ids = unlabelled_corpus
    labeler = GroundTruthLabeler(root, labeled_by="tester")
    keys = labeler.shortcuts
    assert set(keys.bindings) == {"KeyS", "KeyY", "KeyA", "KeyU", "Comma", "Period"}
    assert "Alt+S" in keys.legend and "Alt+U" in keys.legend
    labeler.jump.value = ids[0]
    press = lambda name: keys._handle_custom_msg({"shortcut": name}, [])  # noqa: E731
    press("next_unconfirmed")
    first = list(labeler.field_widgets)[0]
    assert labeler.current_field == first and "◀" in labeler.field_marks[first].value
    for _ in labeler.field_widgets:
        press("accept_field")
    assert labeler.unconfirmed() == []
    press("save_next")
    assert _saved(root, ids[0])["labeled_by"] == "tester"
    assert labeler.doc.id == ids[1] and "Saved" in labeler.message.value
    press("save_anyway")  # nothing asked yet: does nothing
    assert _saved(root, ids[1])["labeled_by"] == ""
    press("save_next")  # asks: fields unconfirmed
    assert "unconfirmed" in labeler.message.value
    press("save_anyway")
    assert _saved(root, ids[1])["labeled_by"] == "tester"
    assert "last document" in labeler.message.value
    press("previous_document")
    assert labeler.doc.id == ids[0]
    press("next_unconfirmed")
    press("next_document")
    assert labeler.doc.id == ids[1]
    assert labeler.current_field is None
    assert not any("◀" in mark.value for mark in labeler.field_marks.values())


def test_pages_at_150_dpi_and_a_crop_beside_each_located_field(small_corpus):
    from medxtract_lab.widgets import GroundTruthLabeler

    labeler = GroundTruthLabeler(small_corpus, labeled_by="tester")
    labeler.jump.value = "rx-digital-000"
    width, height = _png_size(labeler.page_images[0].value)
    assert width >= 8.5 * 150 - 2  # a letter page at 150 dpi
    crop = labeler.field_crops["patient_name"]
    crop_width, crop_height = _png_size(crop.value)
    assert crop_width < width / 2 and crop_height < height / 10
    plain = labeler.page_images[0].value
    labeler.focus("patient_name")
    assert labeler.page_images[0].value != plain  # the field in hand is outlined
    labeler.zoom.value = 200
    assert labeler.page_images[0].layout.width == "200%"


def test_most_uncertain_first_orders_by_the_lowest_field_confidence(small_corpus):
    from medxtract_lab.widgets import GroundTruthLabeler

    labeler = GroundTruthLabeler(small_corpus, labeled_by="tester")
    labeler.order.value = "most uncertain first"
    ranked = [labeler.uncertainty[i] for i in labeler.jump.options]
    assert ranked == sorted(ranked) and len(ranked) == 2
    assert ranked[0] < 1.0  # the scan is less certain than the born-digital page


def test_a_document_of_another_type_is_named_on_import_and_on_open(tmp_path):
    from medxtract_lab.widgets import GroundTruthLabeler

    record = GROUND_TRUTH / "patient_details" / "pr-digital-000.pdf"
    labeler = GroundTruthLabeler(tmp_path, labeled_by="tester")
    report = labeler.import_pdfs([record], "prescription")
    assert report["imported"] and "patient_details" in report["type_warnings"][0]
    assert "patient_details" in labeler.message.value
    labeler.jump.value = report["imported"][0]
    assert "patient_details" in labeler.type_note.value
