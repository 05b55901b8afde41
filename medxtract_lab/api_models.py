"""The HTTP schema of the extraction server: pydantic models and the form's choices.

Pydantic stays here, at the HTTP edge: the engine hands over plain dataclasses
(``records.Extraction``) and these models describe their JSON for the OpenAPI document, and
check on the way out that the server answers what it documents. The keys and their order are
those of ``Extraction.to_dict``, so the JSON is the same as before the models existed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, RootModel

# The bundled sample (medxtract_lab/samples/prescription.pdf, synthetic data) as /v1/extract
# reads it: the documented example is a real answer, not an invented one.
SAMPLE_FIELDS: dict[str, str | None] = {
    "doctor_name": "Bradley Whitehead",
    "patient_name": "Theresa Pham",
    "date": "10/25/2021",
    "patient_address": "039 Gerald Vista Apt. 337, Jamesfort, CT 24036",
    "medicines": "Clonidine 0.2 mg",
    "directions": "Clonidine: every 8 hours for 1 month\nTake with water",
    "refills": "1",
}
SAMPLE_EXTRACTION = {
    "document_type": "prescription",
    "layout": "standard",
    "fields": SAMPLE_FIELDS,
    "confidence": {
        "doctor_name": 0.961,
        "patient_name": 0.939,
        "date": 0.967,
        "patient_address": 0.953,
        "medicines": 0.965,
        "directions": 0.856,
        "refills": 0.937,
    },
    "pages": 1,
    "page_sources": ["ocr"],
    "timings_ms": {
        "inspect": 0.9,
        "render": 9.9,
        "preprocess": 66.6,
        "ocr": 835.6,
        "extract": 5.7,
        "reread": 0.0,
        "total": 962.6,
    },
    "warnings": [],
    "locations": {
        "doctor_name": [{"page": 1, "box": [0.3706, 0.0659, 0.6094, 0.0827]}],
        "patient_name": [{"page": 1, "box": [0.1741, 0.1936, 0.2947, 0.2041]}],
        "date": [{"page": 1, "box": [0.73, 0.1941, 0.8282, 0.205]}],
        "patient_address": [{"page": 1, "box": [0.1976, 0.2182, 0.6618, 0.2309]}],
        "medicines": [{"page": 1, "box": [0.1412, 0.2868, 0.3012, 0.2995]}],
        "directions": [
            {"page": 1, "box": [0.2176, 0.3232, 0.58, 0.3364]},
            {"page": 1, "box": [0.1406, 0.3482, 0.2918, 0.3586]},
        ],
        "refills": [{"page": 1, "box": [0.7294, 0.8227, 0.7365, 0.8323]}],
    },
}

ZeroToOne = Annotated[float, Field(ge=0.0, le=1.0)]


class ErrorBody(BaseModel):
    """Every error the server answers: a stable code for programs, a fix-it sentence for people."""

    error: str = Field(description="Stable machine-readable code, e.g. `not_a_pdf`.")
    detail: str = Field(description="What is wrong and what to do about it.")


class FieldLocation(BaseModel):
    """Where one line of a field's value was read."""

    page: int = Field(ge=1, description="1-based page number.")
    box: Annotated[list[ZeroToOne], Field(min_length=4, max_length=4)] = Field(
        description="[x0, y0, x1, y1] as fractions of the page's width and height, origin top-left."
    )


class ExtractionBody(BaseModel):
    """The full extraction, as ``Extraction.to_dict`` writes it (the CLI prints the same)."""

    document_type: str = Field(description="The document type the fields were read for.")
    layout: str = Field(
        description="The type's layout the fields were read with: the one whose labels the "
        "pages print most of."
    )
    fields: dict[str, str | None] = Field(
        description="Every field of the type, null when it was not found."
    )
    confidence: dict[str, ZeroToOne] = Field(description="Per field, 0 (unsure) to 1 (sure).")
    pages: int = Field(ge=1, description="Pages in the PDF.")
    page_sources: list[Literal["text_layer", "ocr"]] = Field(
        description="Per page, whether its text came from the PDF's text layer or from OCR."
    )
    timings_ms: dict[str, float] = Field(description="Milliseconds per stage, and `total`.")
    warnings: list[str] = Field(description="Problems that left some fields missing.")
    locations: dict[str, list[FieldLocation]] = Field(
        description="Per field, one box per line of its value; empty for a null field."
    )


class FlatFields(RootModel[dict[str, str | None]]):
    """The original flat answer: field name to value, null when the field was not found."""


def example(description: str, value: object) -> dict[int | str, dict[str, Any]]:
    """A 200 response's documentation, its example kept in the JSON's own key order (a model's
    schema examples would come out sorted)."""
    return {200: {"description": description, "content": {"application/json": {"example": value}}}}


def choices(name: str, values: list[str]) -> type[StrEnum]:
    """A string enum of ``values``, made when the app is created so that the registries (a
    plugin's document type, the server's allowed presets) decide what the form offers."""
    return StrEnum(name, {value: value for value in values})
