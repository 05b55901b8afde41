"""The medication lexicon shipped with the package (generic names, strengths, units)."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Medication:
    name: str
    strengths: tuple[str, ...]
    unit: str


@functools.cache
def medications() -> tuple[Medication, ...]:
    text = resources.files("medxtract_lab").joinpath("data/medications.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        Medication(row["name"], tuple(row["strengths"].split(";")), row["unit"]) for row in rows
    )
