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
    assert tuner.text.value.strip()
    assert "page CER" in tuner.status.value
