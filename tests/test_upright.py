"""Pages scanned or photographed sideways or upside down are read upright, and their field
locations land on the page as it is in the PDF."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from medxtract_lab import pipeline
from medxtract_lab.config import get_preset
from medxtract_lab.corpus import load_corpus
from medxtract_lab.corpus.capture import image_pdf
from medxtract_lab.corpus.degrade import jpeg
from medxtract_lab.evidence import box_location
from medxtract_lab.ocr import OcrResult, Word, get_engine
from medxtract_lab.pages import page_image
from medxtract_lab.pipeline import extract
from medxtract_lab.records import Page
from medxtract_lab.render import open_pdf
from medxtract_lab.stopwatch import Stopwatch

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"
DEFAULT = get_preset("default")


def _turned(doc, turns: int, folder: Path) -> Path:
    """The document's pages given ``turns`` quarter turns counter-clockwise, as a new PDF."""
    pdf = open_pdf(doc.pdf_path, DEFAULT.render)
    pictures = [
        np.ascontiguousarray(np.rot90(page_image(pdf, n, DEFAULT.render), turns))
        for n in range(1, pdf.pages + 1)
    ]
    sizes = [(p.shape[1], p.shape[0]) for p in pictures]
    path = folder / f"{doc.id}-turned-{turns}.pdf"
    path.write_bytes(image_pdf([jpeg(p, 85) for p in pictures], sizes, 200))
    return path


def _widened(doc, folder: Path) -> Path:
    """The document's pages upright on paper half as wide again as they are high: landscape
    pages whose text is the right way up."""
    pdf = open_pdf(doc.pdf_path, DEFAULT.render)
    pictures = []
    for n in range(1, pdf.pages + 1):
        page = page_image(pdf, n, DEFAULT.render)
        width = int(page.shape[0] * 1.5)
        left = (width - page.shape[1]) // 2
        wide = np.full((page.shape[0], width), np.uint8(page.max()))
        wide[:, left : left + page.shape[1]] = page
        pictures.append(wide)
    sizes = [(p.shape[1], p.shape[0]) for p in pictures]
    path = folder / f"{doc.id}-wide.pdf"
    path.write_bytes(image_pdf([jpeg(p, 85) for p in pictures], sizes, 200))
    return path


@pytest.fixture
def page_reads(monkeypatch) -> list[tuple[int, int]]:
    """The (height, width) of every image the default engine reads as a page."""
    engine = get_engine(DEFAULT.ocr.engine)
    real = engine.recognize
    shapes: list[tuple[int, int]] = []

    def recognize(image, settings):  # noqa: ANN001, ANN202
        shapes.append(image.shape[:2])
        return real(image, settings)

    monkeypatch.setattr(engine, "recognize", recognize)
    return shapes


@pytest.fixture(scope="module")
def upright():
    """A scanned prescription and a photographed patient record, read as they are."""
    docs = load_corpus(GROUND_TRUTH)
    chosen = [
        next(d for d in docs if d.source == "synthetic:scan" and d.doc_type == "prescription"),
        next(d for d in docs if d.source == "synthetic:photo" and d.doc_type == "patient_details"),
    ]
    return [(doc, extract(doc.pdf_path, doc.doc_type)) for doc in chosen]


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_turned_page_reads_like_the_upright_one(upright, turns, tmp_path) -> None:
    for doc, straight in upright:
        turned = extract(_turned(doc, turns, tmp_path), doc.doc_type)
        assert turned.fields == straight.fields, (doc.id, turns)
        # Turned from the shapes of its letters and lines alone, without asking the engine.
        assert "orientation" not in turned.timings_ms, (doc.id, turns)
        assert turned.page_turns == [4 - turns] * straight.pages, (doc.id, turns)
        # Each value is located where it is on the turned page: the upright box, turned.
        name = next(n for n, places in straight.locations.items() if places)
        want = straight.locations[name][0].box
        got = turned.locations[name][0].box
        expected = _turn_box(want, turns)
        assert np.allclose(got, expected, atol=0.03), (doc.id, name, got, expected)


def _turn_box(box, turns: int):
    """A box (page fractions) on a picture given ``turns`` quarter turns counter-clockwise."""
    x0, y0, x1, y1 = box
    for _ in range(turns):  # one turn counter-clockwise: (x, y) -> (y, 1 - x)
        x0, y0, x1, y1 = y0, 1 - x1, y1, 1 - x0
    return (x0, y0, x1, y1)


def test_box_locations_are_turned_back_into_the_page_frame() -> None:
    picture = np.zeros((40, 100), np.uint8)  # a landscape page, 100 wide and 40 high
    picture[5:10, 60:80] = 255  # a word near the top right
    for turns in range(4):
        turned = np.rot90(picture, turns)
        rows, cols = np.nonzero(turned)
        page = Page(1, "ocr", "", size=(turned.shape[1], turned.shape[0]), turns=turns)
        box = box_location(page, cols.min(), rows.min(), cols.max() + 1, rows.max() + 1).box
        assert box == pytest.approx((0.6, 0.125, 0.8, 0.25)), turns


def test_an_engine_without_orientation_detection_says_so(tmp_path) -> None:
    doc = next(d for d in load_corpus(GROUND_TRUTH) if d.source == "synthetic:scan")
    seed_upright = replace(get_preset("seed"), ocr=replace(get_preset("seed").ocr, upright=True))
    result = extract(_turned(doc, 2, tmp_path), doc.doc_type, seed_upright)
    assert any("cannot detect page orientation" in w for w in result.warnings)


def test_upright_pages_never_pay_for_orientation_detection(upright) -> None:
    for _, straight in upright:
        assert "orientation" not in straight.timings_ms


def test_a_sideways_page_is_read_upright_without_a_read_as_it_is(
    upright, page_reads, tmp_path
) -> None:
    doc, straight = upright[0]  # one page
    turned = extract(_turned(doc, 1, tmp_path), doc.doc_type)
    assert turned.fields == straight.fields
    # Its letters lie on their sides and its lines, turned, face up one way: read once,
    # upright (portrait), without asking the engine's orientation detection (about 300 ms).
    assert "orientation" not in turned.timings_ms
    assert len(page_reads) == 1
    height, width = page_reads[0]
    assert height > width


def test_a_landscape_page_the_right_way_up_is_read_as_it_is(upright, page_reads, tmp_path) -> None:
    for doc, straight in upright:
        page_reads.clear()
        wide = extract(_widened(doc, tmp_path), doc.doc_type)
        assert wide.fields == straight.fields, doc.id
        assert "orientation" not in wide.timings_ms  # its letters stand: not asked
        assert len(page_reads) == straight.pages, doc.id
        assert all(width > height for height, width in page_reads), doc.id


def test_an_upside_down_page_is_read_upright_without_a_read_as_it_is(
    upright, page_reads, tmp_path
) -> None:
    for doc, straight in upright:
        page_reads.clear()
        turned = extract(_turned(doc, 2, tmp_path), doc.doc_type)
        assert turned.fields == straight.fields, doc.id
        assert turned.page_turns == [2] * straight.pages, doc.id
        # Its lines face down, so it is turned half round first, and read once, without
        # asking the engine's orientation detection (about 280 ms a page).
        assert len(page_reads) == straight.pages, doc.id
        assert "orientation" not in turned.timings_ms, doc.id


def test_an_upright_page_taken_for_upside_down_is_still_read_as_it_is(
    upright, page_reads, monkeypatch
) -> None:
    """The lines' shape is a guess: when the half-turned read is poor, the page is read as it
    is, and that read is kept."""
    monkeypatch.setattr(pipeline, "guessed_turn", lambda image: 2)
    for doc, straight in upright:
        page_reads.clear()
        again = extract(doc.pdf_path, doc.doc_type)
        assert again.fields == straight.fields, doc.id
        assert again.page_turns == [0] * straight.pages, doc.id
        assert len(page_reads) == 2 * straight.pages, doc.id  # half-turned, then as it is
        assert "orientation" not in again.timings_ms, doc.id  # the read as it is is sure


class _TurnsEngine:
    """Fault injection for the last fallback: every read is poor (under 0.8 mean word
    confidence), as sure as ``sureness`` says for the turn the page was given (carried in its
    pixels), and orientation detection answers ``answer``."""

    name = "turns"

    def __init__(self, answer: tuple[int, float], sureness: dict[int, float]) -> None:
        self.answer, self.sureness = answer, sureness
        self.reads: list[int] = []
        self.asked = 0

    def recognize(self, image, settings):  # noqa: ANN001, ANN201
        turns = int(image[0, 0])
        self.reads.append(turns)
        word = Word("x", self.sureness[turns], (0, 0, 1, 1), 0, 1)
        return OcrResult("x " * 20, (word,) * 20)

    def orientation(self, image) -> tuple[int, float]:  # noqa: ANN001
        self.asked += 1
        return self.answer


@pytest.mark.parametrize(
    ("guess", "answer", "sureness", "reads", "asked", "kept"),
    [
        # The engine names the half turn already read: not read again; the surer read kept.
        (2, (2, 10.0), {0: 0.5, 2: 0.7}, [2, 0], 1, 2),
        # It names another turn: read too, and kept as the surest.
        (2, (1, 10.0), {0: 0.5, 2: 0.6, 1: 0.7}, [2, 0, 1], 1, 1),
        # It finds no turn: the half-turned read still counts when it is the surer.
        (2, (0, 0.0), {0: 0.5, 2: 0.6}, [2, 0], 1, 2),
        # Every read poor and the read as it is the surest: kept.
        (2, (1, 10.0), {0: 0.7, 2: 0.5, 1: 0.6}, [2, 0, 1], 1, 0),
        # A quarter turn guessed from the letters, the engine naming the other one.
        (1, (3, 10.0), {0: 0.5, 1: 0.6, 3: 0.7}, [1, 0, 3], 1, 3),
        # The shapes did not tell: the engine asked first, and not again.
        (None, (3, 10.0), {0: 0.6, 3: 0.5}, [3, 0], 1, 0),
        # Nothing looked turned: read as it is, then the engine asked.
        (0, (1, 10.0), {0: 0.5, 1: 0.6}, [0, 1], 1, 1),
    ],
)
def test_a_page_whose_every_read_is_poor_keeps_the_surest(
    monkeypatch, guess, answer, sureness, reads, asked, kept
) -> None:
    engine = _TurnsEngine(answer, sureness)
    monkeypatch.setattr(pipeline, "guessed_turn", lambda image: guess)
    monkeypatch.setattr(
        pipeline,
        "placed_ocr_input",
        lambda pdf, number, config, watch, turns: (np.full((40, 30), turns, np.uint8), ()),
    )
    as_it_is = np.zeros((40, 30), np.uint8)
    turns, _, image, _ = pipeline._read_either_way(
        None, 1, DEFAULT, engine, as_it_is, (), Stopwatch()
    )
    assert engine.reads == reads
    assert engine.asked == asked
    assert turns == kept and int(image[0, 0]) == kept
