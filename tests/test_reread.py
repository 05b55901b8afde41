"""Multi-candidate recognition: a value lost in the page read is re-read from its region."""

import concurrent.futures as cf
import re
from dataclasses import replace

from medxtract_lab.config import get_preset
from medxtract_lab.corpus import LabeledDocument
from medxtract_lab.errors import OcrTimeout
from medxtract_lab.evaluation import runner
from medxtract_lab.evaluation.runner import evaluate
from medxtract_lab.ocr import OcrResult
from medxtract_lab.ocr.tesserocr_engine import TesserocrEngine
from medxtract_lab.pipeline import extract, extract_from_read, read_pages
from medxtract_lab.render import open_pdf
from medxtract_lab.reread import _accepts


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


class NeverReadsLines(LosesRefillNumber):
    def recognize_line(self, image, settings):
        raise AssertionError("a region already read was read again")


def test_a_re_read_returns_what_it_read_and_leaves_its_input_alone(docs) -> None:
    doc = docs["prescription-image"]
    config = get_preset("default")
    engine = LosesRefillNumber()
    pdf = open_pdf(doc.path, config.render)
    read = read_pages(pdf, config, engine)
    result, after = extract_from_read(pdf, "prescription", config, engine, read)
    assert result.fields["refills"] == doc.fields["refills"]
    assert read.regions == {} and after.regions  # new readings come back; the input is as it was
    again, same = extract_from_read(pdf, "prescription", config, NeverReadsLines(), after)
    assert same is after and again.fields == result.fields


def test_the_runner_caches_the_regions_it_is_handed(docs, tmp_path, monkeypatch) -> None:
    doc = LabeledDocument(
        id="rx",
        document=docs["prescription-image"].path.name,
        doc_type="prescription",
        source="synthetic:scan",
        fields=docs["prescription-image"].fields,
        pages=docs["prescription-image"].pages,
        labeled_by="test",
        updated="2026-11-24",
        label_path=docs["prescription-image"].path.with_suffix(".json"),
    )
    engine = LosesRefillNumber()
    monkeypatch.setattr(runner, "get_engine", lambda name: engine)
    config = get_preset("default")
    with cf.ThreadPoolExecutor(1) as pool:  # in this process, where the engine is patched
        first = evaluate([doc], config, executor=pool, cache_dir=tmp_path, progress="off")
    engine = NeverReadsLines()
    second = evaluate([doc], config, cache_dir=tmp_path, progress="off")  # cached: runs here
    assert second.cache_hits == 1
    assert second.fields.equals(first.fields)
    refills = second.fields.set_index("field").loc["refills"]
    assert refills["match"] and refills["got"] == doc.fields["refills"]


class LosesRefillLineOnce(TesserocrEngine):
    """Real Tesseract, except that the first whole-page read of each page loses the refill
    line, label and all, as Tesseract's page layout does on camera photos; a second read of
    the page (through the fallback chain) is left alone."""

    def __init__(self) -> None:
        super().__init__()
        self.page_reads = 0

    def recognize(self, image, settings):
        result = super().recognize(image, settings)
        self.page_reads += 1
        if self.page_reads > 1:
            return result
        text = re.sub(r"Refill[^\n]*", lambda m: " " * len(m.group()), result.text)
        return OcrResult(text, tuple(w for w in result.words if text[w.start : w.end].strip()))


def test_a_field_lost_with_its_label_is_found_on_the_page_read_again(docs) -> None:
    doc = docs["prescription-image"]
    config = get_preset("default")
    engine = LosesRefillLineOnce()
    pdf = open_pdf(doc.path, config.render)
    read = read_pages(pdf, config, engine)
    assert "Refill" not in read.pages[0].text
    result, after = extract_from_read(pdf, "prescription", config, engine, read)
    assert result.fields["refills"] == doc.fields["refills"]
    assert result.rereads == {"refills": "page:seed"}
    assert 0 < result.confidence["refills"] < 1 and result.locations["refills"]
    assert list(after.fallback_pages) == ["seed:1"]
    # Every other field was found by the first read: no fallback touched it.
    assert {k: v for k, v in result.fields.items() if k != "refills"} == {
        k: v for k, v in doc.fields.items() if k != "refills"
    }


class MisreadsAddressDoubtfully(TesserocrEngine):
    """The page read misreads the first letter of the patient's address with low confidence;
    a single-line read of its region is left alone."""

    def recognize(self, image, settings):
        result = super().recognize(image, settings)
        start = result.text.index("Address:") + len("Address:")
        while result.text[start] == " ":
            start += 1
        text = result.text[:start] + "#" + result.text[start + 1 :]
        words = tuple(
            replace(w, text=text[w.start : w.end], confidence=0.2)
            if start <= w.start < start + 40
            else w
            for w in result.words
        )
        return OcrResult(text, words)


def test_a_doubtful_free_text_value_is_corrected_but_never_replaced_by_other_text(docs) -> None:
    doc = docs["prescription-image"]
    result = extract(doc.path, "prescription", get_preset("default"), MisreadsAddressDoubtfully())
    assert result.fields["patient_address"] == doc.fields["patient_address"]
    assert result.rereads["patient_address"].startswith("region:")
    # Without a validator, a region's text never stands in for a missing or different value.
    assert not _accepts(None, None, "Kirkhaven, OK 86991")
    assert not _accepts(None, "87405 Roberts Avenue", "Date: 2/20/2024")


class TimesOutOnFallbacks(LosesRefillLineOnce):
    """The first page read loses the refill line; every later read (a region or the page
    again) times out."""

    def recognize(self, image, settings):
        if self.page_reads >= 1:
            raise OcrTimeout("page timed out")
        return super().recognize(image, settings)

    def recognize_line(self, image, settings):
        raise OcrTimeout("line timed out")


def test_a_fallback_that_times_out_gives_no_candidate_and_no_error(docs) -> None:
    doc = docs["prescription-image"]
    config, engine = get_preset("default"), TimesOutOnFallbacks()
    pdf = open_pdf(doc.path, config.render)
    read = read_pages(pdf, config, engine)
    result, after = extract_from_read(pdf, "prescription", config, engine, read)
    assert result.fields["refills"] is None and result.rereads == {}
    assert result.fields["patient_name"] == doc.fields["patient_name"]
    assert after is read  # a failed read is not cached: a later run tries it again


def test_a_region_through_the_fallback_chain_is_that_part_of_the_whole_page_through_it(
    docs,
) -> None:
    import numpy as np

    from medxtract_lab.pages import page_image
    from medxtract_lab.preprocess import apply_steps
    from medxtract_lab.reread import FALLBACK, chain_region

    settings = get_preset("default").render
    page = page_image(open_pdf(docs["patient_details-image"].path, settings), 1, settings)
    steps = get_preset(FALLBACK).steps
    whole = apply_steps(page, steps)
    height, width = page.shape
    assert whole.shape == (round(height * 1.5), round(width * 1.5))  # the chain resizes
    # Inside the page, at its edges and corners, starting on odd and even pixels.
    for rows, cols in [
        (slice(400, 457), slice(300, 741)),
        (slice(401, 460), slice(301, 742)),
        (slice(0, 40), slice(0, 500)),
        (slice(height - 50, height), slice(width - 600, width)),
    ]:
        region = chain_region(page, rows, cols, steps)
        assert abs(region.shape[0] - (rows.stop - rows.start) * 1.5) <= 1
        assert abs(region.shape[1] - (cols.stop - cols.start) * 1.5) <= 1
        top, left = round(rows.start * 1.5), round(cols.start * 1.5)
        expected = whole[top : top + region.shape[0], left : left + region.shape[1]]
        assert np.array_equal(region, expected), (rows, cols)


def test_the_region_below_a_label_ends_where_another_label_starts_under_it() -> None:
    from medxtract_lab.reread import _regions

    label = (100, 200, 150, 20)  # left, top, width, height
    shape = (1000, 800)
    _, below = _regions(label, shape)
    assert (below[0].start, below[0].stop) == (220, 260)  # two label heights below it
    next_label = (90, 245, 300, 20)
    beside = (700, 230, 80, 20)  # right of the crop's columns: not in its way
    _, below = _regions(label, shape, others=[next_label, beside, label])
    assert (below[0].start, below[0].stop) == (220, 245)
    touching = (100, 220, 100, 20)  # the next line starts right under the label
    _, below = _regions(label, shape, others=[touching])
    assert below[0].stop == below[0].start  # nothing left to read
