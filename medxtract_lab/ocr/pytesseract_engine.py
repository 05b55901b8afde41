"""The ``tesseract`` program per page through pytesseract, as the original MedXtract called it.

The ``seed`` preset uses it to reproduce the original pipeline faithfully (default settings,
default OpenMP threading).
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from medxtract_lab.errors import DependencyMissing, OcrError, OcrTimeout
from medxtract_lab.ocr.tessdata import TESSERACT_INSTALL
from medxtract_lab.ocr.tesserocr_engine import SINGLE_LINE_PSM
from medxtract_lab.ocr.types import OcrResult, locate_words

if TYPE_CHECKING:
    from medxtract_lab.config import OcrSettings


class PytesseractEngine:
    name = "pytesseract"

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        return self._run(image, settings)

    def recognize_line(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        return self._run(image, replace(settings, psm=SINGLE_LINE_PSM))

    def _run(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
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
    return OcrResult(text=text, words=locate_words(text, raw))
