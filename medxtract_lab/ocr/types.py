"""What every OCR engine returns, the interface it implements, and where its words stand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from medxtract_lab.config import OcrSettings


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
    """Reads one page image. An engine that can also read a single text line (a cropped field
    region) says so by implementing ``LineReader``; the re-read of doubtful fields needs it."""

    name: str

    def recognize(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        """Read one page image; raise OcrTimeout past ``settings.page_timeout_s``."""
        ...

    def version(self) -> str: ...


@runtime_checkable
class LineReader(Protocol):
    def recognize_line(self, image: np.ndarray, settings: OcrSettings) -> OcrResult:
        """Read an image that holds one line of text."""
        ...


@runtime_checkable
class OrientationReader(Protocol):
    def orientation(self, image: np.ndarray) -> tuple[int, float]:
        """(quarter turns counter-clockwise that make the page upright, 0-3; the engine's
        confidence in that answer)."""
        ...


def detects_orientation(engine: OcrEngine) -> bool:
    """Whether the engine can tell a sideways or upside-down page (the upright capability)."""
    return isinstance(engine, OrientationReader)


def reads_lines(engine: OcrEngine) -> bool:
    """Whether the engine can read a single cropped line (the re-read's capability)."""
    return isinstance(engine, LineReader)


def locate_words(
    text: str, raw: Iterable[tuple[str, float, tuple[int, int, int, int]]]
) -> tuple[Word, ...]:
    """Words with their spans in ``text``, found by a forward scan (engines list words in text
    order); ``raw`` holds (word, confidence 0-100, box). Words not found in the text are
    dropped, so every span points at the word's own characters."""
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


def words_in(words: Iterable[Word], start: int, end: int) -> list[Word]:
    """The words overlapping the character span [start, end) of their page text."""
    return [w for w in words if w.start < end and w.end > start]
