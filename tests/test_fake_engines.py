"""Fault injection: engines that crash or hang go through the real pipeline."""

import time

import numpy as np
import pytest

from medxtract_lab.config import OcrSettings, PipelineConfig, RenderSettings
from medxtract_lab.errors import OcrError
from medxtract_lab.ocr import OcrResult
from medxtract_lab.pipeline import extract

OCR_ONLY = PipelineConfig(
    render=RenderSettings(dpi=100, use_text_layer=False),
    ocr=OcrSettings(page_timeout_s=0.5),
)


class CrashingEngine:
    name = "crashing"

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        raise RuntimeError("segfault-like failure inside the engine")

    def version(self) -> str:
        return "crashing 0"


class SlowEngine:
    """Ignores its timeout, as a hung engine would."""

    name = "slow"

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        time.sleep(settings.page_timeout_s + 8)
        return OcrResult("too late", ())

    def version(self) -> str:
        return "slow 0"


class EmptyEngine:
    name = "empty"

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        return OcrResult("", ())

    def version(self) -> str:
        return "empty 0"


def test_crashing_engine_raises_ocr_error(docs) -> None:
    with pytest.raises(OcrError, match="OCR engine failed on page 1"):
        extract(docs["prescription-image"].path, "prescription", OCR_ONLY, CrashingEngine())


def test_slow_engine_times_out_with_a_warning_not_a_hang(docs) -> None:
    started = time.monotonic()
    result = extract(docs["prescription-image"].path, "prescription", OCR_ONLY, SlowEngine())
    assert time.monotonic() - started < 8  # the guard gave up before the engine returned
    assert any("timed out" in w for w in result.warnings)
    assert all(value is None for value in result.fields.values())


def test_empty_engine_gives_null_fields_and_zero_confidence(docs) -> None:
    result = extract(docs["patient_details-image"].path, "patient_details", OCR_ONLY, EmptyEngine())
    assert set(result.fields.values()) == {None}
    assert set(result.confidence.values()) == {0.0}
    assert result.page_sources == ["ocr", "ocr"]
