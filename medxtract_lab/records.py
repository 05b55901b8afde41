"""Plain records that cross module boundaries: the pages of a document as read, and the
extraction result built from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medxtract_lab.ocr.types import Word


@dataclass(frozen=True)
class Page:
    number: int
    source: str  # "text_layer" or "ocr"
    text: str
    words: tuple[Word, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The processed page image, kept for short documents so that re-reading a field's region
    # does not render and preprocess the page again; never cached or serialised.
    image: np.ndarray | None = field(default=None, repr=False, compare=False)


# A cropped region read on its own: its text and the mean confidence of its words.
RegionReading = tuple[str, float]


@dataclass(frozen=True)
class ReadDocument:
    """Every page of one PDF as text: the expensive part, cached by the evaluation runner."""

    pages: list[Page]
    warnings: list[str]
    timings_ms: dict[str, float]
    # Regions already re-read (region key -> reading), so a cached document never runs the same
    # crop through OCR twice.
    regions: dict[str, RegionReading] = field(default_factory=dict)


@dataclass
class Extraction:
    document_type: str
    fields: dict[str, str | None]
    confidence: dict[str, float]
    pages: int
    page_sources: list[str]
    timings_ms: dict[str, float]
    warnings: list[str]
    page_texts: list[str] = field(repr=False, default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract printed by the CLI and returned by the API."""
        return {
            "document_type": self.document_type,
            "fields": self.fields,
            "confidence": self.confidence,
            "pages": self.pages,
            "page_sources": self.page_sources,
            "timings_ms": self.timings_ms,
            "warnings": self.warnings,
        }
