"""Plain records that cross module boundaries: the pages of a document as read, and the
extraction result built from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medxtract_lab.extraction.spec import HOUSE_LAYOUT
from medxtract_lab.ocr.types import Word


@dataclass(frozen=True)
class Page:
    number: int
    source: str  # "text_layer" or "ocr"
    text: str
    words: tuple[Word, ...] = ()
    # Width and height, in pixels, of the space the word boxes are in: the OCR input image, or
    # the page at the render resolution for a text layer. (0, 0) when nothing was read.
    size: tuple[int, int] = (0, 0)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Quarter turns counter-clockwise the page picture was given before it was read (a sideways
    # or upside-down scan read upright); word boxes are in the turned picture.
    turns: int = 0
    # The processed page image, kept for short documents so that re-reading a field's region
    # does not render and preprocess the page again; never cached or serialised.
    image: np.ndarray | None = field(default=None, repr=False, compare=False)
    # CPU milliseconds per stage (``stopwatch``), beside the wall-clock ``timings_ms``.
    cpu_ms: dict[str, float] = field(default_factory=dict, repr=False, compare=False)
    # Where preprocessing moved the page's content (deskew's rotation, a photo's flattening):
    # the homography, row-major, from fractions of the turned page picture to fractions of the
    # image the word boxes are in; () when it moved nothing. Boxes are drawn back through it.
    frame: tuple[float, ...] = ()


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
    # Whole pages read again through a fallback chain ("<chain>:<page number>" -> page).
    fallback_pages: dict[str, Page] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Location:
    """Where one line of a field's value was read: a 1-based page and the box
    [x0, y0, x1, y1] as fractions of the page's width and height, origin top-left."""

    page: int
    box: tuple[float, float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "box": list(self.box)}


@dataclass
class Extraction:
    document_type: str
    fields: dict[str, str | None]
    confidence: dict[str, float]
    pages: int
    page_sources: list[str]
    timings_ms: dict[str, float]
    warnings: list[str]
    # Per field, one box per line of its value; empty for a null field.
    locations: dict[str, list[Location]] = field(default_factory=dict)
    layout: str = HOUSE_LAYOUT  # the layout of the type the fields were read with
    # Fields whose value a fallback candidate supplied, and which ("region:seed", "page:seed").
    rereads: dict[str, str] = field(default_factory=dict)
    page_texts: list[str] = field(repr=False, default_factory=list)
    # Per page, the quarter turns counter-clockwise it was read upright with (``Page.turns``):
    # what a tool that shows the page upright turns it by. Not part of the JSON contract.
    page_turns: list[int] = field(repr=False, default_factory=list)
    # CPU milliseconds per stage: what benchmarks weigh; not part of the JSON contract.
    cpu_ms: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract printed by the CLI and returned by the API."""
        return {
            "document_type": self.document_type,
            "layout": self.layout,
            "fields": self.fields,
            "confidence": self.confidence,
            "pages": self.pages,
            "page_sources": self.page_sources,
            "timings_ms": self.timings_ms,
            "warnings": self.warnings,
            "locations": {
                name: [place.to_dict() for place in places]
                for name, places in self.locations.items()
            },
        }
