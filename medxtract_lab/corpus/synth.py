"""``medxtract synth``: write labelled synthetic prescriptions and patient records.

Every document is drawn born-digital first, in the generator's layout (or one of its variants),
then captured: kept as drawn, scanned, photographed, photographed by a 12-megapixel camera
through a print-to-PDF app, or photographed and typed on (``capture.py``). The ground truth is
what was drawn, so it is known by construction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medxtract_lab.corpus import capture, families, layout, values
from medxtract_lab.corpus.store import LabeledDocument, save_label
from medxtract_lab.doctypes import HOUSE, doc_type_names
from medxtract_lab.errors import ConfigError
from medxtract_lab.progress import progress


@dataclass(frozen=True)
class Condition:
    """A corpus condition: how documents are captured, and which variant of the layout or
    values is drawn (None: the generator's own)."""

    name: str
    capture: capture.Capture
    variant: str | None = None


# Each condition reproduces a kind of document seen in use; the last five are failure classes
# of real phone photographs (camera resolution, a typed line over a photo, a two-column page,
# day-first dates, a page taken sideways or upside down).
CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition("digital", capture.digital),
        Condition("scan", capture.scan),
        Condition("photo", capture.photo),
        Condition("camera", capture.camera),
        Condition("annotated", capture.annotated),
        Condition("columns", capture.photo, variant="columns"),
        Condition("dates", capture.photo, variant="dates"),
        Condition("rotated", capture.rotated),
    )
}


@dataclass(frozen=True)
class Generator:
    """How to make one labelled document of one layout of a type: its id prefix, its values
    (including the ``fields`` of its label), its drawing (PDF bytes and the text of each page),
    the variants it can draw (each a change of the values and drawing options), and the
    conditions it is captured under when none are named (None: all)."""

    doc_type: str
    layout: str
    prefix: str
    make_values: Callable[[random.Random], dict]
    draw: Callable[..., tuple[bytes, list[str]]]
    variants: dict[str, tuple[Callable[[dict, random.Random], dict] | None, dict]] = field(
        default_factory=dict
    )
    conditions: tuple[str, ...] | None = None

    def document(
        self, rng: random.Random, variant: str | None = None
    ) -> tuple[bytes, dict, list[str]]:
        """A born-digital PDF, its label's fields and its page texts."""
        made = self.make_values(rng)
        options: dict = {}
        if variant is not None:
            change, options = self.variants[variant]
            made = change(made, rng) if change else made
        pdf, pages = self.draw(made, rng, **options)
        return pdf, made["fields"], pages


# The other layouts' families are captured the ways issue 15 evaluates them on.
FAMILY_CONDITIONS = ("digital", "scan", "photo")

# One generator per layout of a document type; every registered type has its house layout's
# (a test fails when one is missing).
GENERATORS: dict[tuple[str, str], Generator] = {
    (g.doc_type, g.layout): g
    for g in (
        Generator(
            "prescription",
            HOUSE,
            "rx",
            values.prescription_values,
            layout.draw_prescription,
            {"dates": (values.day_first_dates, {})},
        ),
        Generator(
            "patient_details",
            HOUSE,
            "pr",
            values.patient_values,
            layout.draw_patient_record,
            {"dates": (values.day_first_dates, {}), "columns": (None, {"columns": True})},
        ),
        Generator(
            "prescription",
            "pharmacy_label",
            "pl",
            families.pharmacy_label_values,
            families.draw_pharmacy_label,
            conditions=FAMILY_CONDITIONS,
        ),
        Generator(
            "prescription",
            "clinic_letterhead",
            "cl",
            families.clinic_letterhead_values,
            families.draw_clinic_letterhead,
            conditions=FAMILY_CONDITIONS,
        ),
        Generator(
            "patient_details",
            "intake_form",
            "if",
            families.intake_form_values,
            families.draw_intake_form,
            conditions=FAMILY_CONDITIONS,
        ),
    )
}


def generator(doc_type: str, layout_name: str = HOUSE) -> Generator:
    try:
        return GENERATORS[(doc_type, layout_name)]
    except KeyError:
        known = sorted(f"{t}/{n}" for t, n in GENERATORS)
        raise ConfigError(
            f"No synthetic generator for layout {layout_name!r} of document type {doc_type!r}; "
            f"choose one of {known} or add one to medxtract_lab.corpus.synth.GENERATORS."
        ) from None


def layout_names() -> list[str]:
    return sorted({name for _, name in GENERATORS})


# Labels carry a fixed date so that one seed gives byte-identical labels.
GENERATED = "2026-11-23"


def synthesize(
    out: str | Path,
    per_condition: int,
    seed: int,
    doc_types: list[str] | None = None,
    conditions: list[str] | None = None,
    progress_mode: str = "off",
    families: list[str] | None = None,
) -> list[LabeledDocument]:
    """Write ``per_condition`` documents per layout and condition into ``out/<doc_type>/``: the
    named types (or every registered type that has a generator) in the named layout families
    (or each type's house layout) under the named conditions (or the family's own). A variant a
    family's generator does not draw is skipped for it. A camera page takes seconds, so
    ``progress_mode`` (see ``medxtract_lab.progress``) can show a bar."""
    out = Path(out)
    for name in conditions or []:
        if name not in CONDITIONS:
            raise ConfigError(f"Unknown condition {name!r}; choose from {list(CONDITIONS)}.")
    for name in families or []:
        if name not in layout_names():
            raise ConfigError(f"Unknown layout family {name!r}; choose from {layout_names()}.")
    for name in doc_types or []:
        if name not in doc_type_names():
            raise ConfigError(f"Unknown document type {name!r}; choose from {doc_type_names()}.")
    types = doc_types or doc_type_names()
    jobs = []
    for (doc_type, layout_name), make in GENERATORS.items():
        if doc_type not in types or layout_name not in (families or [HOUSE]):
            continue
        for condition in [CONDITIONS[n] for n in conditions or make.conditions or CONDITIONS]:
            if condition.variant is None or condition.variant in make.variants:
                jobs += [(make, condition, i) for i in range(per_condition)]
    if not jobs:
        raise ConfigError(
            f"Nothing to draw: no generator draws {families or [HOUSE]} of {types}; see "
            "medxtract_lab.corpus.synth.GENERATORS for the layouts each type has."
        )
    written = []
    for make, condition, index in progress(jobs, desc="synthesizing", mode=progress_mode):
        folder = out / make.doc_type
        folder.mkdir(parents=True, exist_ok=True)
        key = make.doc_type if make.layout == HOUSE else f"{make.doc_type}/{make.layout}"
        rng = random.Random(f"{seed}:{key}:{condition.name}:{index}")
        pdf, fields, page_texts = make.document(rng, condition.variant)
        pdf, page_texts = condition.capture(
            pdf, page_texts, np.random.default_rng(rng.getrandbits(64))
        )
        doc_id = f"{make.prefix}-{condition.name}-{index:03d}"
        (folder / f"{doc_id}.pdf").write_bytes(pdf)
        label = LabeledDocument(
            id=doc_id,
            document=f"{doc_id}.pdf",
            doc_type=make.doc_type,
            source=f"synthetic:{condition.name}",
            fields=fields,
            pages=page_texts,
            labeled_by=f"medxtract synth --seed {seed}",
            updated=GENERATED,
            layout=make.layout,
            label_path=folder / f"{doc_id}.json",
        )
        save_label(label, label.label_path)
        written.append(label)
    return written
