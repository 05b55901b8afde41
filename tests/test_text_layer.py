"""Text layers with word boxes, read by pdfium: the words pdftotext prints (the program the
project read them with before), boxed on the ink of the page poppler renders for OCR."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from conftest import drawn_pdf
from reportlab.pdfgen import canvas

from medxtract_lab import pdfium_child, pipeline, poppler, render, text_layer
from medxtract_lab.config import RenderSettings
from medxtract_lab.corpus import hostile
from medxtract_lab.text_layer import text_layers

SETTINGS = RenderSettings(dpi=300)


def _read(path: Path, wanted: list[bool] | None = None) -> list:
    """``text_layers`` as the pipeline calls it, with the media boxes ``read_info`` found."""
    info = render.read_info(path, SETTINGS)
    return text_layers(path, SETTINGS, wanted or [True] * info.pages, info.media_boxes)


def _form(pdf: canvas.Canvas) -> None:
    pdf.setFont("Helvetica", 12)
    pdf.drawString(20, 350, "Patient Name: Maria Lopez")
    pdf.drawString(20, 330, "Take one tablet daily")
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(150, 200, "Refills: 2")
    pdf.setFont("Helvetica", 9)
    pdf.drawString(40, 60, "Signed (Dr) A. Okafor, 12/03/2026")


def _superscript(pdf: canvas.Canvas) -> None:
    _form(pdf)
    pdf.setFont("Helvetica", 12)
    pdf.drawString(20, 310, "Take it on the 5")
    pdf.setFont("Helvetica", 7)  # a superscript, set in another size
    pdf.drawString(20 + pdf.stringWidth("Take it on the 5", "Helvetica", 12), 314, "th")


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("crop", [False, True])
def test_word_boxes_are_the_ink_of_the_page_poppler_renders(tmp_path, rotate, crop) -> None:
    """Boxes are in the pixels of the page OCR would read (poppler's render of the media
    box, turned by /Rotate), whatever the crop box, and hug each word's ink as OCR boxes do:
    every box is within 6 px (half a millimetre) of the ink around it, and the boxes hold all
    the ink there is. Not closer: Helvetica is not embedded, and pdfium measures the glyphs of
    its own stand-in font where poppler draws another."""
    path = tmp_path / "form.pdf"
    path.write_bytes(drawn_pdf(_form))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].rotate(rotate, relative=False)
        if crop:
            pdf.pages[0].obj.CropBox = pikepdf.Array([10, 30, 280, 390])
        pdf.save(path)
    page = poppler.render(path, 1, SETTINGS.dpi, True)
    layer = _read(path)[0]
    assert layer is not None
    assert layer.size == (page.shape[1], page.shape[0])
    ink = page < 160
    covered = np.zeros_like(ink)
    for word in layer.words:
        assert layer.text[word.start : word.end] == word.text
        left, top, width, height = word.box
        around = (
            slice(max(0, top - 3), top + height + 3),
            slice(max(0, left - 3), left + width + 3),
        )
        rows, columns = np.nonzero(ink[around])
        ink_box = (
            columns.min() + around[1].start,
            rows.min() + around[0].start,
            columns.max() - columns.min() + 1,
            rows.max() - rows.min() + 1,
        )
        assert all(abs(a - b) <= 6 for a, b in zip(word.box, ink_box, strict=True)), word
        covered[around] = True
    assert (ink & covered).sum() >= 0.99 * ink.sum()
    assert "Patient Name: Maria Lopez" in layer.text.splitlines()


def test_the_words_are_those_pdftotext_gives(tmp_path) -> None:
    """pdftotext, which read text layers before pdfium, as the oracle for the words (in the
    order the PDF draws them here, not pdftotext's reading order); a superscript stays in
    its word, as pdftotext printed it."""
    path = tmp_path / "form.pdf"
    path.write_bytes(drawn_pdf(_superscript))
    plain = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    layer = _read(path)[0]
    assert layer is not None
    assert sorted(layer.text.split()) == sorted(plain.stdout.decode().split())
    assert "Take it on the 5th" in layer.text.splitlines()


def test_only_the_wanted_pages_are_read(tmp_path) -> None:
    path = tmp_path / "two.pdf"
    writer = pikepdf.new()
    for _ in range(2):
        writer.pages.extend(pikepdf.open(_written(tmp_path)).pages)
    writer.save(path)
    first, second = _read(path, [False, True])
    assert first is None and second is not None and "Refills: 2" in second.text


def _written(tmp_path: Path) -> Path:
    path = tmp_path / "one.pdf"
    path.write_bytes(drawn_pdf(_form))
    return path


def test_threads_reading_at_once_get_what_one_gets(tmp_path) -> None:
    """pdfium is not thread-safe, and its child answers one call at a time: the lock around
    each call makes parallel reads (the batch runs documents in threads) give what a lone read
    gives."""
    path = _written(tmp_path)
    alone = _read(path)
    results: list = []

    def read() -> None:
        for _ in range(20):
            results.append(_read(path))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 80 and all(r == alone for r in results)


def test_a_reader_that_fails_leaves_the_document_to_ocr_with_a_warning(docs, monkeypatch):
    """Fault injection: pdfium's child failing on a file qpdf accepted (the real failures are
    in ``test_a_reader_over_its_memory_cap_or_time_is_replaced``)."""

    def failed(*_args: object, **_kwargs: object) -> None:
        raise pdfium_child.ChildFailed("its reader crashed (SIGSEGV)")

    monkeypatch.setattr(pdfium_child, "run", failed)
    result = pipeline.extract(docs["prescription-digital"].path, "prescription")
    assert result.page_sources == ["ocr"] * len(result.page_sources)
    assert any(
        "text layer could not be read (its reader crashed (SIGSEGV))" in w for w in result.warnings
    )


def test_a_reader_over_its_memory_cap_or_time_is_replaced(tmp_path, monkeypatch) -> None:
    """pdfium runs in a child under a memory cap: a Type3 glyph drawing 4**8 forms (3.3 GB in
    pdfium, from 5 KB) ends that child, not this process, and the next read gets a new one;
    so does a read past the time limit."""
    bomb = tmp_path / "type3.pdf"
    hostile.type3_fanned_out(bomb, depth=8)
    letter = [(0.0, 0.0, 612.0, 792.0)]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(pdfium_child.ChildFailed, match=r"aborted \(SIGABRT\), most likely out"):
        pdfium_child.run(text_layer.read_layers, str(bomb), 300 / 72, [True], letter, stage="t")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_kb < 200 << 10
    path = _written(tmp_path)
    alone = _read(path)
    assert alone[0] is not None and "Refills: 2" in alone[0].text
    monkeypatch.setattr(pdfium_child, "TIMEOUT_S", 0.2)  # the bomb fills the cap in 2.4 s
    with pytest.raises(pdfium_child.ChildFailed, match="still running after 0 s"):
        pdfium_child.run(text_layer.read_layers, str(bomb), 300 / 72, [True], letter, stage="t")
    monkeypatch.setattr(pdfium_child, "TIMEOUT_S", 0)  # not waited for: the pipeline's view
    with pytest.raises(text_layer.TextLayerUnread, match="still running"):  # then read by OCR
        _read(bomb)
    monkeypatch.undo()
    assert _read(path) == alone


def test_a_call_whose_parent_died_ends_with_it(tmp_path) -> None:
    """A parent killed while its child works (SIGKILL, a server stopped mid-request) must not
    leave the child running its call, up to 1.5 GB and for as long as pdfium takes."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import threading, time; from medxtract_lab import pdfium_child as c\n"
            "threading.Thread(target=c.run, args=(time.sleep, 60), kwargs={'stage': 't'}).start()\n"
            "while c._child is None: time.sleep(0.01)\n"
            "print(c._child.process.pid, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    killed = time.monotonic()
    while _running(child) and time.monotonic() < killed + 30:
        time.sleep(0.01)
    # PARENT_CHECK_S once it runs (0.04 s measured), but the parent may die before the child
    # has started Python, which a busy machine can take seconds over: far under its 60 s call.
    assert time.monotonic() - killed < 10


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_reader_that_raises_says_why_and_stays() -> None:
    """An exception in the child (pdfium's Python side running out of memory under the cap)
    comes back as its kind, and the same child answers the next call."""
    assert pdfium_child.run(len, "ab", stage="t") == 2
    serving = pdfium_child._child
    with pytest.raises(pdfium_child.ChildFailed, match="ran out of memory"):
        pdfium_child.run(bytearray, 2 * pdfium_child.MEMORY_BYTES, stage="t")
    with pytest.raises(pdfium_child.ChildFailed, match=r"failed \(ValueError\)"):
        pdfium_child.run(int, "not a number", stage="t")
    assert pdfium_child.run(len, "abc", stage="t") == 3
    assert pdfium_child._child is serving and serving.process.poll() is None


@pytest.mark.parametrize(
    "signal_number, reason",
    [
        (signal.SIGABRT, r"aborted \(SIGABRT\)"),
        (signal.SIGSEGV, r"crashed \(SIGSEGV\)"),
        (signal.SIGRTMIN + 6, rf"crashed \(signal {signal.SIGRTMIN + 6}\)"),  # it has no name
    ],
)
def test_a_reader_ended_by_a_signal_mid_call_says_which(signal_number, reason) -> None:
    """The child kills itself while working on a call, as a crash would end it; the call fails
    with a ``ChildFailed`` naming the signal (which the pipeline turns into an OCR read), and
    the next call gets a new child."""
    assert pdfium_child.run(len, "ab", stage="t") == 2
    child = pdfium_child._child.process.pid
    with pytest.raises(pdfium_child.ChildFailed, match=reason):
        pdfium_child.run(os.kill, child, signal_number, stage="t")
    assert pdfium_child.run(len, "abcd", stage="t") == 4
    assert pdfium_child._child.process.pid != child


def test_an_interrupted_call_leaves_no_answer_for_the_next(monkeypatch) -> None:
    """Fault injection: Ctrl-C while waiting for the child. Its answer must not be taken as
    the next call's, which would give one document the text of another."""

    def interrupted(*_args: object) -> bool:
        raise KeyboardInterrupt

    assert pdfium_child.run(len, "abc", stage="t") == 3
    monkeypatch.setattr(Connection, "poll", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pdfium_child.run(len, "abcd", stage="t")
    monkeypatch.undo()
    assert pdfium_child.run(len, "abcde", stage="t") == 5


def _filled_field(pdf: canvas.Canvas) -> None:
    pdf.setFont("Helvetica", 12)
    pdf.drawString(20, 350, "Patient Name:")
    pdf.acroForm.textfield(
        name="patient", value="Maria Lopez", x=110, y=344, width=150, height=18, borderWidth=0
    )


def test_a_filled_form_field_is_read_where_it_is_shown(tmp_path) -> None:
    """pdfium reads a page's own content only; a filled field (an annotation) is shown by
    poppler's render and was printed by pdftotext, so the page is read flattened."""
    path = tmp_path / "filled.pdf"
    path.write_bytes(drawn_pdf(_filled_field))
    layer = _read(path)[0]
    assert layer is not None and "Maria Lopez" in layer.text
    ink = poppler.render(path, 1, SETTINGS.dpi, True) < 160
    for word in (w for w in layer.words if w.text in ("Maria", "Lopez")):
        left, top, width, height = word.box
        assert ink[top : top + height, left : left + width].sum() > 10, word


def _two_columns(pdf: canvas.Canvas) -> None:
    """A form drawn one column after the other, as generators often do."""
    pdf.setFont("Helvetica", 11)
    for row, text in enumerate(("Name: Ann Lee", "Phone: 555-0100", "Refills: 2")):
        pdf.drawString(20, 350 - 24 * row, text)
    for row, text in enumerate(("Date: 1/2/2026", "Weight: 57", "Height: 195")):
        pdf.drawString(170, 350 - 24 * row, text)


def test_lines_come_row_by_row_as_a_form_is_read(tmp_path) -> None:
    """pdfium gives the drawing order (the left column, then the right); the text layer
    gives rows, left to right, as OCR reads the page and the reference texts are written."""
    path = tmp_path / "columns.pdf"
    path.write_bytes(drawn_pdf(_two_columns))
    layer = _read(path)[0]
    assert layer is not None
    assert layer.text.splitlines() == [
        "Name: Ann Lee",
        "Date: 1/2/2026",
        "Phone: 555-0100",
        "Weight: 57",
        "Refills: 2",
        "Height: 195",
    ]


def _with_a_control_character(path: Path) -> None:
    """A page whose font maps one code to U+0002, a character pdfium leaves out of the page
    text, in the middle of 'Maria'."""
    pdf = pikepdf.new()
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def\n"
        b"1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"1 beginbfchar <02> <0002> endbfchar\n1 beginbfrange <20> <7E> <0020> endbfrange\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type1,
        BaseFont=pikepdf.Name.Helvetica,
        ToUnicode=pdf.make_stream(cmap),
    )
    content = b"BT /F1 12 Tf 20 350 Td (Name: Ma\\002ria Lopez) Tj 0 -20 Td (Take one) Tj ET"
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 300, 400],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(content),
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


def test_a_character_left_out_of_the_text_leaves_each_word_its_own_box(tmp_path) -> None:
    """Past a character pdfium leaves out of the text, a text position and its character's
    index differ by one. The indices ``_lines`` works from are those pdfium gives position
    by position, on that page and on a page without one (where they are taken as a run), and
    every word is boxed on its ink."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    plain, skipping = tmp_path / "plain.pdf", tmp_path / "skipping.pdf"
    plain.write_bytes(drawn_pdf(_form))
    _with_a_control_character(skipping)
    for path in (plain, skipping):
        document = pdfium.PdfDocument(path)
        textpage = document[0].get_textpage()
        length = len(textpage.get_text_range(0, textpage.count_chars()))
        one_by_one = [
            pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage.raw, i) for i in range(length)
        ]
        assert list(text_layer._char_indices(textpage, length)) == one_by_one
        textpage.close()
        document.close()
    assert one_by_one != list(range(length))  # the second page does skip a character
    layer = _read(skipping)[0]
    # pdfium's own render, whose glyph metrics the boxes are: poppler spaces this page otherwise
    drawn = pdfium.PdfDocument(skipping)[0].render(scale=SETTINGS.dpi / 72, grayscale=True)
    page = drawn.to_numpy()
    assert layer is not None and layer.text.split() == ["Name:", "Maria", "Lopez", "Take", "one"]
    for word in layer.words:
        left, top, width, height = word.box
        assert (page[top : top + height, left : left + width] < 160).sum() > 10, word
        beyond = page[top : top + height, left + width + 2 : left + width + 8]
        assert (beyond < 160).sum() == 0, word  # the box reaches the end of the word's ink


def test_a_media_box_set_on_the_page_tree_places_the_words(tmp_path) -> None:
    """Quartz writes an A4 MediaBox on /Pages only; pdfium takes a Letter page there, so the
    box comes from ``read_info`` (pikepdf inherits it) and words land on their ink. The page
    is the size poppler makes it: 2479.2 x 3508.3 px at 300 dpi, rounded up."""
    path = tmp_path / "a4.pdf"
    path.write_bytes(drawn_pdf(_form, size=(595, 842)))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        box = pdf.pages[0].obj.MediaBox
        del pdf.pages[0].obj.MediaBox
        pdf.Root.Pages.MediaBox = box
        pdf.save(path)
    layer = _read(path)[0]
    page = poppler.render(path, 1, SETTINGS.dpi, True)
    assert layer is not None
    assert layer.size == (page.shape[1], page.shape[0])
    for word in layer.words:
        left, top, width, height = word.box
        assert (page[top : top + height, left : left + width] < 160).sum() > 10, word
