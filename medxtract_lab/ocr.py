"""OCR engines behind one small interface.

``tesserocr`` is the default: it keeps one Tesseract API object per worker thread, so the model is
loaded once per thread, and it releases the GIL while recognising, so pages run in parallel
threads. ``pytesseract`` runs the ``tesseract`` program per page; the ``seed`` preset uses it to
reproduce the original pipeline faithfully (default settings, default OpenMP threading).
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from medxtract_lab.config import OcrSettings
from medxtract_lab.errors import DependencyMissing, OcrError, OcrTimeout

TESSERACT_INSTALL = (
    "Install Tesseract with English data: 'apt-get install tesseract-ocr tesseract-ocr-eng' "
    "(Debian/Ubuntu), 'conda install -c conda-forge tesseract' or 'brew install tesseract'."
)


@dataclass(frozen=True)
class Word:
    """A recognised word, its confidence in [0, 1] and its character span in the page text."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]  # left, top, width, height in pixels
    start: int
    end: int


@dataclass(frozen=True)
class OcrResult:
    text: str
    words: tuple[Word, ...]


class OcrEngine(Protocol):
    name: str

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        """Read one page image; raise OcrTimeout past ``settings.page_timeout_s``."""
        ...

    def version(self) -> str: ...


def _locate_words(text: str, raw: list[tuple[str, float, tuple[int, int, int, int]]]) -> tuple:
    """Give each word its span in ``text`` by a forward scan (words come in text order)."""
    words, cursor = [], 0
    for word_text, confidence, box in raw:
        if not word_text.strip():
            continue
        start = text.find(word_text, cursor)
        if start < 0:
            continue
        cursor = start + len(word_text)
        words.append(Word(word_text, max(0.0, min(1.0, confidence / 100)), box, start, cursor))
    return tuple(words)


@functools.cache
def tessdata_dir() -> str:
    """Where Tesseract's language data lives, found without any network access."""
    if os.environ.get("TESSDATA_PREFIX"):
        return os.environ["TESSDATA_PREFIX"]
    exe = shutil.which("tesseract")
    if exe:
        listed = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
        found = re.search(r'"([^"]+)"', listed.stdout + listed.stderr)
        if found and os.path.isdir(found.group(1)):
            return found.group(1)
    candidates = [
        *sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata")),
        "/usr/share/tessdata",
        "/opt/homebrew/share/tessdata",
        "/usr/local/share/tessdata",
        os.path.join(sys.prefix, "share", "tessdata"),
    ]
    for candidate in candidates:
        if glob.glob(os.path.join(candidate, "*.traineddata")):
            return candidate
    raise DependencyMissing(f"Tesseract language data was not found. {TESSERACT_INSTALL}")


class TesserocrEngine:
    """Tesseract through its C++ API. Loaded API objects are pooled: a thread borrows an idle
    one (or loads a new one) for each page and returns it, so the model is loaded once per
    concurrent page, whichever threads come and go. The page segmentation mode is set per call,
    so a whole-page read and a single-line re-read share the same loaded model."""

    name = "tesserocr"

    def __init__(self) -> None:
        self._idle: dict[tuple, list] = {}
        self._lock = threading.Lock()

    def _borrow(self, settings: OcrSettings):  # noqa: ANN202 - tesserocr has no stubs
        import tesserocr

        key = (settings.lang, settings.oem)
        with self._lock:
            if self._idle.get(key):
                return key, self._idle[key].pop()
        path = tessdata_dir()
        for lang in settings.lang.split("+"):
            if not os.path.exists(os.path.join(path, f"{lang}.traineddata")):
                raise DependencyMissing(
                    f"Tesseract has no '{lang}' language data in {path}. "
                    f"Install it, e.g. 'apt-get install tesseract-ocr-{lang}'."
                )
        kwargs = {"path": path, "lang": settings.lang}
        if settings.oem is not None:
            kwargs["oem"] = settings.oem
        return key, tesserocr.PyTessBaseAPI(**kwargs)

    def _give_back(self, key: tuple, api) -> None:  # noqa: ANN001
        with self._lock:
            self._idle.setdefault(key, []).append(api)

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        key, api = self._borrow(settings)
        try:
            return self._read(api, image, settings)
        finally:
            self._give_back(key, api)

    def _read(self, api, image: np.ndarray, settings: OcrSettings) -> OcrResult:  # noqa: ANN001
        import tesserocr
        from PIL import Image

        api.SetPageSegMode(tesserocr.PSM.AUTO if settings.psm is None else settings.psm)
        api.SetImage(Image.fromarray(image))
        if not api.Recognize(timeout=int(settings.page_timeout_s * 1000)):
            raise OcrTimeout(
                f"OCR did not finish within {settings.page_timeout_s:g} s for one page. "
                "Raise ocr.page_timeout_s or send a smaller, cleaner page."
            )
        text = api.GetUTF8Text()
        raw = []
        level = tesserocr.RIL.WORD
        for item in tesserocr.iterate_level(api.GetIterator(), level):
            box = item.BoundingBox(level)
            if box is None:
                continue
            left, top, right, bottom = box
            raw.append(
                (
                    item.GetUTF8Text(level) or "",
                    item.Confidence(level),
                    (left, top, right - left, bottom - top),
                )
            )
        return OcrResult(text=text, words=_locate_words(text, raw))

    def version(self) -> str:
        import tesserocr

        return f"tesserocr {tesserocr.tesseract_version().splitlines()[0]}"


class PytesseractEngine:
    """The ``tesseract`` program per page, as the original MedXtract called it."""

    name = "pytesseract"

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        import pytesseract

        options = []
        if settings.psm is not None:
            options.append(f"--psm {settings.psm}")
        if settings.oem is not None:
            options.append(f"--oem {settings.oem}")
        try:
            with _omp_threads(settings.omp_threads):
                data = pytesseract.image_to_data(
                    image,
                    lang=settings.lang,
                    config=" ".join(options),
                    timeout=settings.page_timeout_s,
                    output_type=pytesseract.Output.DICT,
                )
        except pytesseract.TesseractNotFoundError as exc:
            raise DependencyMissing(
                f"The tesseract program was not found. {TESSERACT_INSTALL}"
            ) from exc
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise OcrTimeout(
                    f"OCR did not finish within {settings.page_timeout_s:g} s for one page. "
                    "Raise ocr.page_timeout_s or send a smaller, cleaner page."
                ) from exc
            raise OcrError(
                "Tesseract failed on a page; see the server log for its exit code."
            ) from exc
        return _from_tsv(data)

    def version(self) -> str:
        import pytesseract

        return f"tesseract {pytesseract.get_tesseract_version()}"


_ENV_LOCK = threading.Lock()


class _omp_threads:
    """Set OMP_THREAD_LIMIT for the child process (None keeps Tesseract's default threading).

    pytesseract passes ``os.environ`` to the child, so the variable is set under a lock: calls
    through this engine are serialised. Only the sequential ``seed`` baseline uses it.
    """

    def __init__(self, threads: int | None) -> None:
        self.threads = threads

    def __enter__(self) -> None:
        _ENV_LOCK.acquire()
        self.saved = os.environ.pop("OMP_THREAD_LIMIT", None)
        if self.threads is not None:
            os.environ["OMP_THREAD_LIMIT"] = str(self.threads)

    def __exit__(self, *exc: object) -> None:
        os.environ.pop("OMP_THREAD_LIMIT", None)
        if self.saved is not None:
            os.environ["OMP_THREAD_LIMIT"] = self.saved
        _ENV_LOCK.release()


def _from_tsv(data: dict[str, list]) -> OcrResult:
    """Rebuild Tesseract's text layout (lines, blank line between blocks) from its TSV rows."""
    lines: list[str] = []
    raw: list[tuple[str, float, tuple[int, int, int, int]]] = []
    key = None
    for i, word in enumerate(data["text"]):
        if data["level"][i] != 5:
            continue
        line_key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if key is None or line_key != key:
            if key is not None and line_key[:2] != key[:2]:
                lines.append("")
            lines.append("")
            key = line_key
        if word.strip():
            lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
            box = (data["left"][i], data["top"][i], data["width"][i], data["height"][i])
            raw.append((word, float(data["conf"][i]), box))
    text = "\n".join(lines) + "\n"
    return OcrResult(text=text, words=_locate_words(text, raw))


ENGINES: dict[str, type] = {"tesserocr": TesserocrEngine, "pytesseract": PytesseractEngine}
