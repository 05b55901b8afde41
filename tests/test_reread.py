"""Multi-candidate recognition: a value lost in the page read is re-read from its region."""

import re
from dataclasses import replace

from medxtract_lab.config import get_preset
from medxtract_lab.ocr import OcrResult
from medxtract_lab.ocr.tesserocr_engine import TesserocrEngine
from medxtract_lab.pipeline import extract


class LosesRefillNumber(TesserocrEngine):
    """Real Tesseract, except that the whole-page read drops the underlined refill count,
    as Tesseract does on many photographed prescriptions (its single-line read, which the
    re-read of a cropped region uses, is left alone)."""

    def recognize(self, image, settings):
        result = super().recognize(image, settings)
        text = re.sub(r"(Refill:)[^\n]*", r"\1", result.text)
        return OcrResult(text, tuple(w for w in result.words if w.end <= len(text)))


def test_missing_refills_are_recovered_from_the_cropped_region(docs) -> None:
    doc = docs["prescription-image"]
    engine = LosesRefillNumber()
    result = extract(doc.path, "prescription", get_preset("default"), engine)
    assert result.fields["refills"] == doc.fields["refills"]
    assert 0 < result.confidence["refills"] < 1
    assert result.timings_ms["reread"] > 0


def test_without_a_budget_nothing_is_re_read(docs) -> None:
    doc = docs["prescription-image"]
    config = get_preset("default")
    config = replace(config, ocr=replace(config.ocr, reread_budget_s=0.0))
    result = extract(doc.path, "prescription", config, LosesRefillNumber())
    assert result.fields["refills"] is None
    assert "reread" not in result.timings_ms
