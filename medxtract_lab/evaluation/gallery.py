"""The report's HTML pieces: what went wrong, shown on the page it happened on.

Rendered from the Jinja templates beside this module (autoescaped: document text never becomes
markup). Pictures are PNG data URIs, so the report stays one file that opens offline.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from typing import Any

import cv2
import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from rapidfuzz.distance import Levenshtein

from medxtract_lab.config import RenderSettings
from medxtract_lab.corpus import LabeledDocument
from medxtract_lab.errors import MedXtractError
from medxtract_lab.evaluation.decision import RESAMPLES, Decision
from medxtract_lab.evaluation.runner import EvaluationResult
from medxtract_lab.page_marks import strip
from medxtract_lab.pages import page_image
from medxtract_lab.render import open_pdf

# Enough to read a printed form at a glance; higher makes the report heavy.
CROP_DPI = 110
CROP_WIDTH = 720
THUMB_WIDTH = 300
# The strip around a value: its lines plus this share of the page above and below, full width,
# so the field's printed label is in the picture too.
STRIP_MARGIN = 0.025
MAX_WRONG_FIELDS = 40


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("medxtract_lab.evaluation", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> str:
    """A template with the report's style sheet in front of it."""
    env = _templates()
    return env.get_template("style.html.j2").render() + env.get_template(name).render(**context)


def diff_sides(expected: str | None, got: str | None) -> tuple[list, list, list]:
    """Character diff of two texts as segments (kind, text): one list for the expected side
    (deletions marked), one for the extracted side (insertions marked), one combined."""
    a = expected if isinstance(expected, str) else ""  # pandas turns null into NaN
    b = got if isinstance(got, str) else ""
    left, right, both = [], [], []
    for op in Levenshtein.opcodes(a, b):
        old, new = a[op.src_start : op.src_end], b[op.dest_start : op.dest_end]
        if op.tag == "equal":
            left.append(("same", old))
            right.append(("same", new))
            both.append(("same", old))
            continue
        if old:
            left.append(("del", old))
            both.append(("del", old))
        if new:
            right.append(("ins", new))
            both.append(("ins", new))
    return left, right, both


def _png(image: np.ndarray, width: int, alt: str) -> dict[str, Any]:
    scale = min(1.0, width / image.shape[1])
    if scale < 1.0:
        size = (width, max(1, round(image.shape[0] * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("a page picture could not be encoded as PNG")
    return {"png": base64.b64encode(encoded).decode("ascii"), "alt": alt, "width": image.shape[1]}


def _pictures(doc: LabeledDocument, locations: list, pages: int) -> list[dict[str, Any]]:
    """The strip of the page a value was read from, or thumbnails of the pages; none for a
    file the pipeline refused (a hostile page is not rendered for the report either)."""
    try:
        return _drawn(doc, locations, pages)
    except MedXtractError:
        return []


def _drawn(doc: LabeledDocument, locations: list, pages: int) -> list[dict[str, Any]]:
    pdf = open_pdf(doc.pdf_path, RenderSettings(dpi=CROP_DPI))
    settings = RenderSettings(dpi=CROP_DPI)
    if locations:
        number = locations[0][0]
        boxes = [box for page, box in locations if page == number]
        image = strip(page_image(pdf, number, settings), boxes, STRIP_MARGIN)
        return [_png(image, CROP_WIDTH, f"page {number}, where the value was read")]
    return [
        _png(page_image(pdf, n, settings), THUMB_WIDTH, f"page {n}")
        for n in range(1, min(pages, pdf.pages) + 1)
    ]


def wrong_fields(
    result: EvaluationResult, documents: list[LabeledDocument], limit: int = MAX_WRONG_FIELDS
) -> str:
    """Every wrong field (up to ``limit``): its page strip, expected, extracted and the diff."""
    by_id = {doc.id: doc for doc in documents}
    wrong = result.fields[~result.fields["match"]]
    pages = result.pages.groupby("id")["page"].max()
    shown = []
    for row in wrong.head(limit).itertuples():
        _, _, both = diff_sides(row.expected, row.got)
        shown.append(
            {
                "id": row.id,
                "source": row.source.split(":")[-1],
                "field": row.field,
                "confidence": row.confidence,
                "expected": row.expected if isinstance(row.expected, str) else None,
                "got": row.got if isinstance(row.got, str) else None,
                "diff": both,
                "images": _pictures(by_id[row.id], row.locations, int(pages.get(row.id, 1))),
            }
        )
    return render("wrong_fields.html.j2", fields=shown, hidden=max(0, len(wrong) - limit))


def worst_pages(result: EvaluationResult, n: int = 5) -> str:
    """The ``n`` pages with the highest CER, each with its aligned reference/OCR diff."""
    pages = result.pages[result.pages["edits"] > 0].sort_values("cer", ascending=False).head(n)
    shown = []
    for row in pages.itertuples():
        left, right, _ = diff_sides(_tidy(row.reference_text), _tidy(row.text))
        shown.append(
            {
                "id": row.id,
                "page": row.page,
                "source": row.source.split(":")[-1],
                "read_from": row.page_source,
                "cer": row.cer,
                "edits": row.edits,
                "reference": row.reference,
                "reference_side": left,
                "ocr_side": right,
            }
        )
    return render("worst_pages.html.j2", pages=shown)


def _tidy(text: str) -> str:
    """Page text with runs of spaces and blank lines collapsed, as CER counts them, but with
    its line breaks kept so the two sides read like the page."""
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in (text or "").splitlines())
    return "\n".join(line for line in lines if line)


def verdict(decision: Decision, cached: int = 0) -> str:
    """The verdict line above the decision tables."""
    note = (
        f"{cached} document read(s) came from the OCR cache, so throughput there counts "
        "extraction only; run with a fresh cache (or use_cache=False) to time OCR."
        if cached
        else ""
    )
    worse = bool((decision.fields["clear"] == "worse").any())
    return render(
        "verdict.html.j2", verdict=decision.verdict, worse=worse, resamples=RESAMPLES, cached=note
    )
