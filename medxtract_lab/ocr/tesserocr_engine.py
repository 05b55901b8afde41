"""Tesseract through its C++ API (tesserocr): the default engine.

Loaded API objects are pooled: a thread borrows an idle one (or loads a new one) for each page
and returns it, so the model is loaded once per concurrent page, whichever threads come and go.
The page segmentation mode is set per call, so a whole-page read and a single-line re-read share
the same loaded model. tesserocr releases the GIL while recognising, so pages run in parallel
threads.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from medxtract_lab.errors import OcrTimeout
from medxtract_lab.ocr.tessdata import check_languages
from medxtract_lab.ocr.types import OcrResult, locate_words

if TYPE_CHECKING:
    from medxtract_lab.config import OcrSettings

PIL_DEFAULT_DPI = 96
SINGLE_LINE_PSM = 7  # Tesseract's page segmentation mode for one text line


class TesserocrEngine:
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
        kwargs = {"path": check_languages(settings.lang), "lang": settings.lang}
        if settings.oem is not None:
            kwargs["oem"] = settings.oem
        return key, tesserocr.PyTessBaseAPI(**kwargs)

    def _give_back(self, key: tuple, api) -> None:  # noqa: ANN001
        with self._lock:
            self._idle.setdefault(key, []).append(api)

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        return self._pooled(image, settings)

    def recognize_line(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        return self._pooled(image, replace(settings, psm=SINGLE_LINE_PSM))

    def _pooled(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        key, api = self._borrow(settings)
        try:
            return self._read(api, image, settings)
        finally:
            self._give_back(key, api)

    def _read(self, api, image: np.ndarray, settings: OcrSettings) -> OcrResult:  # noqa: ANN001
        import tesserocr

        api.SetPageSegMode(tesserocr.PSM.AUTO if settings.psm is None else settings.psm)
        _set_image(api, image)
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
        return OcrResult(text=text, words=locate_words(text, raw))

    def orientation(self, image: np.ndarray) -> tuple[int, float]:
        """Tesseract's orientation and script detection (OSD) on the page: the text's turn,
        counter-clockwise, is the turn that makes the page upright."""
        import tesserocr

        key, api = ("osd",), None
        with self._lock:
            if self._idle.get(key):
                api = self._idle[key].pop()
        if api is None:
            path = check_languages("osd")
            api = tesserocr.PyTessBaseAPI(path=path, lang="osd", psm=tesserocr.PSM.OSD_ONLY)
        try:
            _set_image(api, image)
            found = api.DetectOrientationScript()
        finally:
            self._give_back(key, api)
        if not found:
            return 0, 0.0  # too little text to tell
        return (found["orient_deg"] // 90) % 4, float(found["orient_conf"])

    def version(self) -> str:
        import tesserocr

        return f"tesserocr {tesserocr.tesseract_version().splitlines()[0]}"


def _set_image(api, image: np.ndarray) -> None:  # noqa: ANN001
    """Hand Tesseract the pixels themselves: ``SetImage`` with a PIL image encodes it to a file
    format and decodes it again (7-10 ms a page, against 3 ms)."""
    pixels = np.ascontiguousarray(image)
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    height, width = pixels.shape[:2]
    api.SetImageBytes(pixels.tobytes(), width, height, channels, width * channels)
    # What the PIL route declared (a BMP's default 96 dpi), which the corpus results were read
    # with; without it Tesseract estimates a resolution and reads some pages differently.
    api.SetSourceResolution(PIL_DEFAULT_DPI)
