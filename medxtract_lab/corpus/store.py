"""The ground-truth store: labels validated on load and written atomically.

A label is ``<id>.json`` beside its PDF. Writes go to a temporary file in the same folder, are
fsynced, then renamed over the old label, so a crash never leaves a half-written label.

Several people (or notebook kernels) may label the same corpus. Each save holds an advisory
lock on its label (``.<id>.json.lock``, via filelock) while it copies the current version into
the history and writes the new one, so no version is lost between two writers; the history copy
is written atomically too. A save may name the version it started from (``base``, see
``label_version``): if the label changed since, the save is refused rather than overwriting
someone else's work. Temporary files a killed writer left behind hold patient text: loading a
corpus removes those no writer holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from medxtract_lab.doctypes import DOC_TYPES
from medxtract_lab.errors import InputError, LabelConflict, LabelError

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
# The layout a document was drawn in, when known (the generator records it; ``learn`` and the
# report group documents by it). The fields a labeler saved as the extraction proposed them,
# without an edit (accepted one by one, all at once, or on "save anyway"): a reviewer can tell
# labels a person typed from labels that may carry the pipeline's own mistakes.
OPTIONAL = {"layout": str, "accepted_unchanged": list}


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
    layout: str | None = None
    accepted_unchanged: list[str] | None = None
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
        for optional in OPTIONAL:
            if data[optional] is None:
                data.pop(optional)
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
    for key, kind in OPTIONAL.items():
        if key in data and not isinstance(data[key], kind):
            problems.append(f"'{key}' must be a {kind.__name__}, got {type(data[key]).__name__}")
    extra = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
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
        named = data.get("accepted_unchanged") or []
        stray = sorted({str(n) for n in named} - expected)
        if not all(isinstance(n, str) for n in named):
            problems.append("'accepted_unchanged' must be a list of field names")
        elif stray:
            problems.append(f"'accepted_unchanged' names {stray}, not fields of {doc_type.name}")
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
    """Labels in ``root`` and in its folders (``<root>/<doc_type>/<id>.json``). A folder deeper
    down is a corpus of its own (``ground_truth/layouts/<layout>/``), read only when named."""
    root = Path(root)
    return sorted(
        p
        for p in (*root.glob("*.json"), *root.glob("*/*.json"))
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
    remove_stale_temp_files(root)
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


# How long a save waits for another writer of the same label before giving up.
LOCK_TIMEOUT_S = 30.0


def _lock(label_path: Path) -> FileLock:
    return FileLock(label_path.parent / f".{label_path.name}.lock", timeout=LOCK_TIMEOUT_S)


def label_version(label_path: str | Path) -> str | None:
    """The version of a label on disk (a digest of its bytes), ``None`` when there is none:
    pass it back as ``save_label(..., base=...)`` to refuse a save over someone else's."""
    try:
        return hashlib.sha256(Path(label_path).read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return None


def _write_atomically(path: Path, data: bytes, label_path: Path) -> None:
    """Temp file, fsync, rename, fsync the folder. The temp file sits beside the label it
    belongs to and is named after it (``.<label>.json.XXXX``), even for a history copy, so the
    label's lock covers it and ``remove_stale_temp_files`` finds it."""
    handle, temp = tempfile.mkstemp(prefix=f".{label_path.name}.", dir=label_path.parent)
    try:
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def save_label(
    document: LabeledDocument,
    label_path: str | Path,
    history: str | Path | None = None,
    base: str | None = None,
) -> Path:
    """Validate, then, holding the label's lock: refuse if the label is no longer at version
    ``base`` (when given), keep the current version in the ``history`` folder (when given), and
    write the new one atomically."""
    label_path = Path(label_path)
    data = document.to_json()
    problems = label_problems(data, label_path)
    if problems:
        raise LabelError(f"{label_path}: " + "; ".join(problems))
    text = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        with _lock(label_path):
            current = label_path.read_bytes() if label_path.exists() else None
            if base is not None and label_version(label_path) != base:
                raise LabelConflict(
                    f"{label_path.name} changed since it was opened (someone else saved it); "
                    "reload it, redo your edits on the new version, and save again."
                )
            if history is not None and current is not None:
                folder = Path(history)
                folder.mkdir(parents=True, exist_ok=True)
                stamp = f"{time.time_ns()}-{os.getpid()}"
                _write_atomically(folder / f"{label_path.stem}.{stamp}.json", current, label_path)
            _write_atomically(label_path, text, label_path)
    except Timeout:
        raise LabelConflict(
            f"{label_path.name} is being saved by another process for over "
            f"{LOCK_TIMEOUT_S:.0f} s; try again, or remove {label_path.parent}/."
            f"{label_path.name}.lock if no one is saving."
        ) from None
    return label_path


def remove_stale_temp_files(root: str | Path) -> list[Path]:
    """Delete the temporary files killed writers left (``.<label>.json.XXXX`` beside their
    label), skipping any label a writer holds right now."""
    removed = []
    for temp in Path(root).rglob(".*.json.*"):
        if temp.suffix == ".lock" or not temp.is_file():
            continue
        label = temp.parent / temp.name[1:].rsplit(".", 1)[0]
        try:
            with FileLock(label.parent / f".{label.name}.lock", timeout=0):
                temp.unlink(missing_ok=True)
        except Timeout:
            continue  # a save of that label is in progress: the file is its own
        removed.append(temp)
    return removed
