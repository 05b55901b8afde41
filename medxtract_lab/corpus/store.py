"""The ground-truth store: labels validated on load and written atomically.

A label is ``<id>.json`` beside its PDF. Writes go to a temporary file in the same folder, are
fsynced, then renamed over the old label, so a crash never leaves a half-written label.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from medxtract_lab.doctypes import DOC_TYPES
from medxtract_lab.errors import InputError, LabelError

# "real", or "synthetic:<condition>" for a document made by ``medxtract synth``.
SOURCE = re.compile(r"^(real|synthetic:(?P<condition>[a-z][a-z_]*))$")
REQUIRED = {
    "id": str,
    "document": str,
    "doc_type": str,
    "source": str,
    "fields": dict,
    "pages": list,
    "labeled_by": str,
    "updated": str,
}


@dataclass(frozen=True)
class LabeledDocument:
    id: str
    document: str  # PDF path relative to the label file
    doc_type: str
    source: str
    fields: dict[str, str | None]
    pages: list[str]
    labeled_by: str
    updated: str
    label_path: Path | None = field(default=None, compare=False)

    @property
    def is_labelled(self) -> bool:
        return bool(self.labeled_by)

    @property
    def pdf_path(self) -> Path:
        base = self.label_path.parent if self.label_path else Path(".")
        return base / self.document

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("label_path")
        return data


def label_problems(data: Any, label_path: Path, check_pdf: bool = True) -> list[str]:
    """Every problem with one label, each naming the field at fault."""
    if not isinstance(data, dict):
        return ["the label is not a JSON object"]
    problems = []
    for key, kind in REQUIRED.items():
        if key not in data:
            problems.append(f"missing key '{key}'")
        elif not isinstance(data[key], kind):
            problems.append(f"'{key}' must be a {kind.__name__}, got {type(data[key]).__name__}")
    extra = sorted(set(data) - set(REQUIRED))
    if extra:
        problems.append(f"unknown key(s) {extra}")
    if problems:
        return problems
    doc_type = DOC_TYPES.get(data["doc_type"])
    if doc_type is None:
        problems.append(f"'doc_type' {data['doc_type']!r} is not one of {sorted(DOC_TYPES)}")
    source = SOURCE.match(data["source"])
    known = _conditions()
    if not source or (source["condition"] and source["condition"] not in known):
        problems.append(
            f"'source' {data['source']!r} must be 'real' or 'synthetic:<condition>' with a "
            f"condition of the generator: {sorted(known)}"
        )
    if doc_type is not None:
        expected = set(doc_type.field_names)
        unknown = sorted(set(data["fields"]) - expected)
        missing = sorted(expected - set(data["fields"]))
        if unknown:
            problems.append(f"unknown field name(s) {unknown} for {doc_type.name}")
        if missing:
            problems.append(f"missing field(s) {missing} (use null for an absent field)")
    for name, value in data["fields"].items():
        if value is not None and not isinstance(value, str):
            problems.append(f"field '{name}' must be a string or null, got {type(value).__name__}")
    if not all(isinstance(p, str) for p in data["pages"]):
        problems.append("'pages' must be a list of strings, one per page")
    pdf = label_path.parent / data["document"]
    if check_pdf:
        if not pdf.is_file():
            problems.append(f"document file {data['document']!r} does not exist")
        else:
            problems.extend(_page_count_problem(pdf, len(data["pages"])))
    return problems


def _conditions() -> set[str]:
    from medxtract_lab.corpus.synth import CONDITIONS  # the generator imports this module

    return set(CONDITIONS)


def _page_count_problem(pdf: Path, labelled: int) -> list[str]:
    from medxtract_lab.config import RenderSettings
    from medxtract_lab.render import open_pdf

    try:
        pages = open_pdf(pdf, RenderSettings(max_pages=10_000)).pages
    except InputError as exc:
        return [f"document cannot be read: {exc}"]
    if pages != labelled:
        return [f"'pages' has {labelled} entries but the PDF has {pages} page(s)"]
    return []


def _read(label_path: Path) -> tuple[LabeledDocument | None, list[str]]:
    try:
        data = json.loads(label_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [f"not readable as JSON: {exc}"]
    problems = label_problems(data, label_path)
    if problems:
        return None, problems
    return LabeledDocument(**data, label_path=label_path), []


def label_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in Path(root).rglob("*.json")
        if not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def load_corpus(
    root: str | Path,
    doc_type: str | None = None,
    source: str | None = None,
    include_unlabelled: bool = False,
) -> list[LabeledDocument]:
    """Every label under ``root``, validated; raises ``LabelError`` listing all problems.

    Imported documents nobody has labelled yet (an empty ``labeled_by``) are left out unless
    asked for, so they never count as ground truth.
    """
    root = Path(root)
    if not root.is_dir():
        raise LabelError(f"Corpus folder {root} does not exist; pass the folder holding labels.")
    documents, errors = [], []
    for path in label_files(root):
        document, problems = _read(path)
        errors.extend(f"{path}: {problem}" for problem in problems)
        if document is not None:
            documents.append(document)
    if errors:
        raise LabelError(
            f"{len(errors)} problem(s) in the labels under {root}; fix them and retry:\n  "
            + "\n  ".join(errors)
        )
    return [
        d
        for d in documents
        if (doc_type is None or d.doc_type == doc_type)
        and (include_unlabelled or d.is_labelled)
        and (source is None or d.source == source or d.source.endswith(f":{source}"))
    ]


def save_label(document: LabeledDocument, label_path: str | Path) -> Path:
    """Validate, then write atomically: temp file in the same folder, fsync, rename."""
    label_path = Path(label_path)
    data = document.to_json()
    problems = label_problems(data, label_path)
    if problems:
        raise LabelError(f"{label_path}: " + "; ".join(problems))
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    handle, temp = tempfile.mkstemp(prefix=f".{label_path.name}.", dir=label_path.parent)
    try:
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, label_path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(label_path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return label_path
