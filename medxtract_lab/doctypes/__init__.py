"""Document types and their layouts by name: the one registry every consumer reads (the
pipeline, the CLI and the API, the ground-truth store, the generator, the labeler, the Streamlit
page and the tests).

A document type is a field contract (``<type>.type.yaml``) with one or more printed layouts
(``<type>.<layout>.layout.yaml``), all data (``files.py``). The built-in ones ship in
``builtin/``; more folders come from ``MEDXTRACT_LAYOUTS`` (folders separated by ``:``) in
every process, and from ``--layouts DIR`` on the command line (``load_layouts``). Another
installed package may declare an entry point (``medxtract_lab.plugins``), and a test or a
notebook may call ``register_doctype`` for the current process.
"""

from __future__ import annotations

import importlib
import os
import warnings
from importlib import resources
from pathlib import Path

from medxtract_lab.doctypes.files import Contract, contract_of, read_folder
from medxtract_lab.errors import LayoutFileError, UnknownDocType
from medxtract_lab.extraction.kinds import kind_of
from medxtract_lab.extraction.spec import HOUSE_LAYOUT, DocType
from medxtract_lab.plugins import DOCTYPES_GROUP, load_entry_points

BUILTIN = Path(str(resources.files("medxtract_lab.doctypes") / "builtin"))
LAYOUTS_ENV = "MEDXTRACT_LAYOUTS"
HOUSE = HOUSE_LAYOUT

# Each type's contract, and each of its layouts by name. DOC_TYPES holds the layout consumers
# read a type's fields from (its house layout, or its first).
CONTRACTS: dict[str, Contract] = {}
LAYOUTS: dict[str, dict[str, DocType]] = {}
DOC_TYPES: dict[str, DocType] = {}


def register_doctype(doc_type: DocType, contract: Contract | None = None) -> DocType:
    """Add (or replace) one layout of a document type, after checking every field names a
    known value kind and that the layout fills the type's contract (``contract``, else the one
    registered, else the one the layout implies)."""
    for spec in doc_type.fields:
        kind_of(spec)
    names = doc_type.field_names
    if len(set(names)) != len(names):
        raise ValueError(f"document type {doc_type.name!r} names a field twice: {names}")
    contract = contract or CONTRACTS.get(doc_type.name) or contract_of(doc_type)
    if contract.field_names != names:
        raise ValueError(
            f"layout {doc_type.layout!r} of {doc_type.name!r} has fields {names}, not the "
            f"type's {contract.field_names}"
        )
    CONTRACTS[doc_type.name] = contract
    LAYOUTS.setdefault(doc_type.name, {})[doc_type.layout] = doc_type
    current = DOC_TYPES.get(doc_type.name)
    if current is None or doc_type.layout in (HOUSE, current.layout):
        DOC_TYPES[doc_type.name] = doc_type
    return doc_type


def unregister_doctype(name: str, layout: str | None = None) -> None:
    """Remove a type with all its layouts, or one layout of it (the type goes with its last)."""
    layouts = LAYOUTS.get(name, {})
    if layout is not None:
        if layout not in layouts:
            return
        if len(layouts) > 1:
            del layouts[layout]
            if DOC_TYPES[name].layout == layout:
                DOC_TYPES[name] = layouts.get(HOUSE) or next(iter(layouts.values()))
            return
    for registry in (CONTRACTS, LAYOUTS, DOC_TYPES):
        registry.pop(name, None)


def _register(contracts: list[Contract], layouts: list[DocType]) -> list[DocType]:
    given = {contract.name: contract for contract in contracts}
    ordered = sorted(layouts, key=lambda d: d.layout != HOUSE)
    return [register_doctype(layout, given.get(layout.name)) for layout in ordered]


def load_layouts(folder: str | Path) -> list[DocType]:
    """Register every type and layout of ``folder`` (validated as a whole first)."""
    return _register(*read_folder(folder, CONTRACTS))


def use_layout_folders(folders: list[str]) -> None:
    """Load ``folders`` here and in every process started from here (report kernels, workers,
    the server), by adding them to ``MEDXTRACT_LAYOUTS``; all are checked before any is
    registered."""
    known, batches = dict(CONTRACTS), []
    for folder in folders:
        contracts, layouts = read_folder(folder, known)
        known.update({contract.name: contract for contract in contracts})
        batches.append((contracts, layouts))
    for contracts, layouts in batches:
        _register(contracts, layouts)
    known = [f for f in os.environ.get(LAYOUTS_ENV, "").split(os.pathsep) if f]
    added = [str(Path(f).resolve()) for f in folders if str(Path(f).resolve()) not in known]
    os.environ[LAYOUTS_ENV] = os.pathsep.join(known + added)


def doc_type_names() -> list[str]:
    return sorted(DOC_TYPES)


def get_doctype(name: str) -> DocType:
    try:
        return DOC_TYPES[name]
    except KeyError:
        raise UnknownDocType(
            f"Unknown document type {name!r}; choose one of {doc_type_names()}."
        ) from None


def contract(name: str) -> Contract:
    """A type's field contract, which every layout of it fills: what a labelled or corrected
    value is checked against, whatever layout printed it."""
    get_doctype(name)
    return CONTRACTS[name]


def layouts_of(name: str) -> list[DocType]:
    """Every layout of a type, its house layout first."""
    get_doctype(name)
    return sorted(LAYOUTS[name].values(), key=lambda d: (d.layout != HOUSE, d.layout))


def all_layouts() -> list[DocType]:
    return [layout for name in doc_type_names() for layout in layouts_of(name)]


def _load_environment() -> None:
    """The folders ``MEDXTRACT_LAYOUTS`` names; one that cannot be used is skipped with a
    warning naming it and its problem, so one stale folder never stops every process."""
    for folder in os.environ.get(LAYOUTS_ENV, "").split(os.pathsep):
        if not folder:
            continue
        try:
            load_layouts(folder)
        except LayoutFileError as exc:
            warnings.warn(
                f"{LAYOUTS_ENV} folder {folder} was not loaded: {exc}", UserWarning, stacklevel=2
            )


load_layouts(BUILTIN)
_load_environment()
# The engine registry and its plug-ins first: one plug-in module may register an engine and a
# type, and importing it for its type would otherwise start the engines' plug-ins half-way
# through importing that same module (which would then lack its engine), whichever registry a
# process happens to import first.
importlib.import_module("medxtract_lab.ocr")
load_entry_points(DOCTYPES_GROUP, register_doctype)
