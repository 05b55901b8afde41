"""Engines and document types from other installed packages, registered in every process.

A registration made at run time (``register_engine``, ``register_doctype``) lives in one process
only: the evaluation runner's worker processes start fresh and would not know it. A package
that declares an entry point in one of these groups is registered whenever the registry is
imported, in every process::

    [project.entry-points."medxtract_lab.ocr_engines"]
    myengine = "my_package.engine:SPEC"          # an ocr.EngineSpec

    [project.entry-points."medxtract_lab.doctypes"]
    referral = "my_package.referral:REFERRAL"    # an extraction.DocType
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from importlib.metadata import entry_points

ENGINES_GROUP = "medxtract_lab.ocr_engines"
DOCTYPES_GROUP = "medxtract_lab.doctypes"


def load_entry_points(group: str, register: Callable[[object], object]) -> list[str]:
    """Register every object the group's entry points name; a broken one is skipped with a
    warning naming it, so one bad plug-in never stops the tool. Returns the names loaded."""
    loaded = []
    for point in entry_points(group=group):
        try:
            register(point.load())
        except Exception as exc:  # noqa: BLE001 - a plug-in's own failure, named and skipped
            warnings.warn(
                f"medxtract plug-in {point.name!r} ({point.value}) in {group} was not loaded: "
                f"{type(exc).__name__}: {exc}",
                stacklevel=2,
            )
            continue
        loaded.append(point.name)
    return loaded
