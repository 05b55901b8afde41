"""Label Studio exchange: the corpus as Label Studio tasks with pre-annotations, and a Label
Studio JSON export back into labels.

Annotators who work in Label Studio label there, while the corpus stays the one source of
truth: what comes back is checked against the type's contract and written through the store
(previous version kept in ``.history/``, atomic), all or nothing.

The shape is Label Studio's OCR template. One task per page image (an ``Image`` tag shows one
picture; a multi-page document is several tasks tied by ``data.label``). Each line of a field's
value is a ``RectangleLabels`` region labelled with the field's name, paired with a per-region
``TextArea`` result of the same id holding the line as printed; a page-level ``TextArea`` holds
the page's text. Boxes are percentages of the image, as Label Studio stores them. Page images
are PNG files that Label Studio's local-files storage serves as
``/data/local-files/?d=<path under its document root>``. Pages are exported upright (turned as
the pipeline read them), so top-to-bottom on the image is the order of a value's lines.
"""

from __future__ import annotations

import colorsys
import datetime as dt
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

import cv2
import numpy as np

from medxtract_lab import __version__
from medxtract_lab.config import PipelineConfig, RenderSettings, get_preset
from medxtract_lab.corpus.store import (
    LabeledDocument,
    label_problems,
    label_version,
    load_corpus,
    save_label,
)
from medxtract_lab.doctypes import contract
from medxtract_lab.errors import DependencyMissing, LabelError, LabelStudioError, MedXtractError
from medxtract_lab.evaluation.runner import extract_cached
from medxtract_lab.pages import preview
from medxtract_lab.progress import progress
from medxtract_lab.records import Extraction, Location
from medxtract_lab.render import open_pdf

# Names in the labelling config; an export's results are matched to them.
IMAGE = "image"
FIELD = "field"  # RectangleLabels: one region per line of a field's value
TRANSCRIPTION = "transcription"  # TextArea per region: the line as printed
PAGE_TEXT = "page_text"  # TextArea for the whole page: its text, for CER
LOCAL_FILES = "/data/local-files/?d="
DEFAULT_DPI = 150
# Smallest region side, in percent of the image: a one-character value stays clickable.
MIN_SIDE = 0.2


def labelling_config(doc_type: str) -> str:
    """The labelling config of a Label Studio project for ``doc_type``: one label per field of
    the type's contract (in contract order), so a project can only name fields the type has."""
    names = contract(doc_type).field_names
    labels = "\n".join(
        f"    <Label value={quoteattr(name)} background={quoteattr(_colour(i, len(names)))}/>"
        for i, name in enumerate(names)
    )
    return f"""<View>
  <Header value="$title"/>
  <Image name="{IMAGE}" value="$image" zoom="true" zoomControl="true"/>
  <RectangleLabels name="{FIELD}" toName="{IMAGE}" strokeWidth="2" canRotate="false">
{labels}
  </RectangleLabels>
  <TextArea name="{TRANSCRIPTION}" toName="{IMAGE}" perRegion="true" editable="true"
            required="true" displayMode="region-list" rows="2"
            placeholder="This line of the value, exactly as printed"/>
  <Header value="Page text (every line as printed, for character error rate)"/>
  <TextArea name="{PAGE_TEXT}" toName="{IMAGE}" editable="true" maxSubmissions="1" rows="10"/>
</View>
"""


def _colour(index: int, count: int) -> str:
    """A colour per label, hues a golden-ratio step apart so that neighbouring fields (drawn
    next to each other on the page) never look alike."""
    red, green, blue = colorsys.hls_to_rgb((index * 0.618034) % 1.0, 0.45, 0.7)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


# -- export ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSummary:
    tasks: Path
    config: Path
    images: Path
    document_root: Path
    documents: int
    pages: int
    # Documents exported without field regions because their extraction failed (ids).
    unread: list[str] = field(default_factory=list)
    # Values with no box to show them in (document id -> field names): the annotator draws one.
    unplaced: dict[str, list[str]] = field(default_factory=dict)


def export_tasks(
    corpus: str | Path,
    out: str | Path,
    doc_type: str | None = None,
    dpi: int = DEFAULT_DPI,
    images: str | Path | None = None,
    document_root: str | Path | None = None,
    config: PipelineConfig | None = None,
    progress_mode: str = "off",
) -> ExportSummary:
    """Write ``out`` (a JSON list of tasks, one per page), the page images (``images``, by
    default ``<out stem>_images/`` beside it) and the labelling config ``<out stem>.<type>.xml``.

    Boxes come from an extraction with ``config`` (the ``default`` preset); their transcriptions
    are the label's values when the document is labelled, else what was extracted. Image URLs
    are relative to ``document_root`` (default: the folder of ``out``), which is what Label
    Studio's ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT`` must be.
    """
    root, out = Path(corpus), Path(out)
    documents = load_corpus(root, doc_type=doc_type, include_unlabelled=True)
    if not documents:
        kind = f" of type {doc_type}" if doc_type else ""
        raise LabelError(f"No labels{kind} under {root}; pass a corpus folder that holds some.")
    types = sorted({d.doc_type for d in documents})
    if len(types) > 1:
        raise LabelStudioError(
            f"{root} holds documents of {len(types)} types ({', '.join(types)}), and a Label "
            "Studio project has one labelling config: pass --doc-type with one of them and "
            "export each type to its own project."
        )
    images = Path(images) if images is not None else out.with_name(f"{out.stem}_images")
    document_root = Path(document_root) if document_root is not None else out.parent
    if not images.resolve().is_relative_to(document_root.resolve()):
        raise LabelStudioError(
            f"The images folder {images} is not under the document root {document_root}: Label "
            "Studio serves local files only from under LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT. "
            "Pass an --images folder inside --document-root."
        )
    config = config or get_preset("default")
    tasks: list[dict[str, Any]] = []
    unread: list[str] = []
    unplaced: dict[str, list[str]] = {}
    for document in progress(documents, desc="exporting", unit="doc", mode=progress_mode):
        made, read, missing = _document_tasks(
            document, root, images, document_root.resolve(), dpi, config
        )
        tasks.extend(made)
        if not read:
            unread.append(document.id)
        if missing:
            unplaced[document.id] = missing
    config_path = out.with_name(f"{out.stem}.{types[0]}.xml")
    _write_atomically(out, json.dumps(tasks, indent=1, ensure_ascii=False).encode("utf-8"))
    _write_atomically(config_path, labelling_config(types[0]).encode("utf-8"), mode=0o644)
    return ExportSummary(
        tasks=out,
        config=config_path,
        images=images,
        document_root=document_root,
        documents=len(documents),
        pages=len(tasks),
        unread=unread,
        unplaced=unplaced,
    )


def _document_tasks(
    document: LabeledDocument,
    root: Path,
    images: Path,
    document_root: Path,
    dpi: int,
    config: PipelineConfig,
) -> tuple[list[dict[str, Any]], bool, list[str]]:
    """The tasks of one document, whether it was read, and the values no box was found for."""
    try:
        # Through the OCR cache: a corpus `make report` has read exports without reading again.
        result: Extraction | None = extract_cached(document.pdf_path, document.doc_type, config)[0]
    except DependencyMissing:
        raise
    except MedXtractError:
        result = None  # exported all the same: the annotator draws the regions
    pdf = open_pdf(document.pdf_path, RenderSettings(max_pages=len(document.pages)))
    turns = (result.page_turns if result else []) or [0] * pdf.pages
    if document.is_labelled:
        values, texts = document.fields, document.pages
    else:
        values = result.fields if result else {}
        texts = result.page_texts if result else [""] * pdf.pages
    places = result.locations if result else {}
    confidence = result.confidence if result else {}
    regions: dict[int, list[tuple[str, Location, list[str]]]] = defaultdict(list)
    for spec in contract(document.doc_type).fields:
        for place, lines in _value_regions(values.get(spec.name), places.get(spec.name, [])):
            regions[place.page].append((spec.name, place, lines))
    missing = [name for name, value in values.items() if value and not _placed(name, regions)]
    label = document.label_path.relative_to(root).with_suffix("")
    source = "label" if document.is_labelled else f"extraction {config.name}"
    tasks = []
    for number in range(1, pdf.pages + 1):
        turn = turns[number - 1] if number <= len(turns) else 0
        image = np.ascontiguousarray(np.rot90(preview(pdf, number, dpi), turn))
        path = images / f"{label.as_posix()}-p{number}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(path), image):
            raise LabelStudioError(f"Could not write {path}; check the folder can be written.")
        height, width = image.shape[:2]
        text = texts[number - 1] if number <= len(texts) else ""
        result_items = _page_results(regions[number], turn, width, height, confidence, text)
        page_regions = [confidence.get(name, 0.0) for name, _, _ in regions[number]]
        prediction: dict[str, Any] = {
            "model_version": f"medxtract {__version__}: boxes from extraction, text from {source}",
            "result": result_items,
        }
        if page_regions:
            prediction["score"] = round(sum(page_regions) / len(page_regions), 3)
        relative = path.resolve().relative_to(document_root).as_posix()
        tasks.append(
            {
                "data": {
                    "image": LOCAL_FILES + quote(relative, safe="/"),
                    "title": f"{document.id}, page {number} of {pdf.pages}",
                    "document_id": document.id,
                    "label": f"{label.as_posix()}.json",
                    "doc_type": document.doc_type,
                    "page": number,
                    "pages": pdf.pages,
                    "labelled": document.is_labelled,
                    "unplaced": missing,
                },
                "predictions": [prediction],
            }
        )
    return tasks, result is not None, missing


def _placed(name: str, regions: dict[int, list[tuple[str, Location, list[str]]]]) -> bool:
    return any(found == name for page in regions.values() for found, _, _ in page)


def _value_regions(value: str | None, places: list[Location]) -> list[tuple[Location, list[str]]]:
    """A value's lines on its boxes: one line per box when they are as many, else the whole
    value in one box around the boxes on the first page it was found on."""
    if not value or not places:
        return []
    lines = value.split("\n")
    if len(lines) == len(places):
        return [(place, [line]) for place, line in zip(places, lines, strict=True)]
    first = [p for p in places if p.page == places[0].page]
    box = (
        min(p.box[0] for p in first),
        min(p.box[1] for p in first),
        max(p.box[2] for p in first),
        max(p.box[3] for p in first),
    )
    return [(Location(places[0].page, box), lines)]


def _upright(box: tuple[float, float, float, float], turns: int) -> tuple[float, ...]:
    """A box on the page as it is in the PDF, on the picture turned ``turns`` quarter turns
    counter-clockwise (the inverse of ``evidence._unturned``)."""

    def turned(u: float, v: float) -> tuple[float, float]:
        return [(u, v), (v, 1 - u), (1 - u, 1 - v), (1 - v, u)][turns % 4]

    corners = [turned(box[0], box[1]), turned(box[2], box[3])]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _page_results(
    regions: list[tuple[str, Location, list[str]]],
    turns: int,
    width: int,
    height: int,
    confidence: dict[str, float],
    text: str,
) -> list[dict[str, Any]]:
    """A rectangle and its transcription for each region, and the page text."""
    results = []
    counts: dict[str, int] = defaultdict(int)
    for name, place, lines in regions:
        x0, y0, x1, y1 = _upright(place.box, turns)
        geometry = {
            "x": round(x0 * 100, 3),
            "y": round(y0 * 100, 3),
            "width": round(max((x1 - x0) * 100, MIN_SIDE), 3),
            "height": round(max((y1 - y0) * 100, MIN_SIDE), 3),
            "rotation": 0,
        }
        counts[name] += 1
        common = {
            "id": f"{name}-{counts[name]}",
            "to_name": IMAGE,
            "original_width": width,
            "original_height": height,
            "image_rotation": 0,
        }
        results.append(
            {
                **common,
                "from_name": FIELD,
                "type": "rectanglelabels",
                "value": {**geometry, "rectanglelabels": [name]},
                "score": confidence.get(name, 0.0),
            }
        )
        results.append(
            {
                **common,
                "from_name": TRANSCRIPTION,
                "type": "textarea",
                "value": {**geometry, "text": lines},
            }
        )
    if text:
        results.append(
            {
                "id": "page-text",
                "from_name": PAGE_TEXT,
                "to_name": IMAGE,
                "type": "textarea",
                "value": {"text": [text]},
            }
        )
    return results


def _write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Temp file beside ``path``, then rename: a reader never sees half a file. The tasks file
    holds patient text, so it is readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# -- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    # Document id -> what changed (field names, "page N text"); written through the store.
    written: dict[str, list[str]]
    unchanged: list[str]
    # Document id -> why it was left as it is (pages not annotated).
    skipped: dict[str, str]


@dataclass
class _Region:
    field: str
    page: int
    y: float
    x: float
    where: str
    text: list[str] | None = None


@dataclass
class _Page:
    task: str
    regions: list[_Region]
    page_text: str | None
    annotator: str | None


@dataclass
class _Document:
    label: LabeledDocument
    version: str | None
    unplaced: list[str]
    pages: dict[int, _Page | None] = field(default_factory=dict)


def read_export(path: str | Path) -> list[dict[str, Any]]:
    """The tasks of a Label Studio JSON export, or ``LabelStudioError`` saying what to export."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabelStudioError(
            f"{path} does not exist; pass the file Label Studio exported."
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelStudioError(
            f"{path} is not JSON ({exc}); in Label Studio choose Export > JSON and pass that file."
        ) from None
    if not isinstance(data, list):
        raise LabelStudioError(
            f"{path} holds a JSON {type(data).__name__}, not a list of tasks; in Label Studio "
            "choose Export > JSON (not JSON-MIN, CSV or a snapshot's other formats)."
        )
    return data


def import_annotations(
    export: str | Path | list[dict[str, Any]],
    corpus: str | Path,
    labeled_by: str | None = None,
) -> ImportSummary:
    """Read the annotations of a Label Studio JSON export into the corpus's labels.

    Every task is checked first (its document, page and results, each field name against the
    type's contract, each value against the contract's shape) and any problem raises
    ``LabelStudioError`` listing all of them, with nothing written. Then each changed label is
    saved through the store, the previous version kept in ``<corpus>/.history/``. A document
    is imported only when every one of its pages has a submitted annotation.
    """
    root = Path(corpus)
    tasks = read_export(export) if isinstance(export, str | Path) else export
    documents = {
        d.label_path.relative_to(root).as_posix(): d
        for d in load_corpus(root, include_unlabelled=True)
    }
    problems: list[str] = []
    found: dict[str, _Document] = {}
    for index, task in enumerate(tasks):
        problems.extend(_read_task(index, task, documents, found))
    planned: list[tuple[_Document, LabeledDocument, list[str]]] = []
    skipped: dict[str, str] = {}
    unchanged: list[str] = []
    for entry in found.values():
        doc = entry.label
        missing = [n for n in range(1, len(doc.pages) + 1) if entry.pages.get(n) is None]
        if missing:
            skipped[doc.id] = (
                "not annotated"
                if len(missing) == len(doc.pages)
                else f"page(s) {', '.join(map(str, missing))} not annotated"
            )
            continue
        label, trouble = _new_label(entry, labeled_by)
        problems.extend(trouble)
        changes = _changes(doc, label)
        if not trouble and doc.is_labelled and not changes:
            unchanged.append(doc.id)
        elif not trouble:
            planned.append((entry, label, changes or ["labelled"]))
    if problems:
        raise LabelStudioError(
            f"{len(problems)} problem(s) in the Label Studio export; nothing was imported. "
            "Fix them in Label Studio (or the export file) and import again:\n  "
            + "\n  ".join(problems)
        )
    written = {}
    for entry, label, changes in planned:
        save_label(
            replace(label, label_path=None),
            entry.label.label_path,
            history=root / ".history",
            base=entry.version,
        )
        written[label.id] = changes
    return ImportSummary(written=written, unchanged=unchanged, skipped=skipped)


def _task_name(index: int, task: Any) -> str:
    number = task.get("id") if isinstance(task, dict) else None
    return f"task {number}" if number is not None else f"task #{index + 1} of the export"


def _read_task(
    index: int, task: Any, documents: dict[str, LabeledDocument], found: dict[str, _Document]
) -> list[str]:
    """Check one task and file its page under its document; the problems found."""
    name = _task_name(index, task)
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        return [
            f"{name} has no 'data' object; export in Label Studio's JSON format (JSON-MIN and "
            "CSV drop what an import needs)."
        ]
    data = task["data"]
    key, page = data.get("label"), data.get("page")
    if not isinstance(key, str) or not isinstance(page, int) or isinstance(page, bool):
        return [
            f"{name} was not made by `medxtract export-labelstudio` (its data has no 'label' "
            "and 'page'); import only tasks exported from a corpus."
        ]
    document = documents.get(key)
    if document is None:
        return [
            f"{name}: document {data.get('document_id')!r} ({key}) is not in this corpus; "
            "import into the corpus the tasks were exported from."
        ]
    where = f"{name} ({document.id}, page {page})"
    if data.get("document_id") != document.id or data.get("doc_type") != document.doc_type:
        return [
            f"{where}: the task names document {data.get('document_id')!r} of type "
            f"{data.get('doc_type')!r}, but {key} holds {document.id!r} of type "
            f"{document.doc_type!r}; export the corpus again and relabel."
        ]
    if not 1 <= page <= len(document.pages):
        return [f"{where}: {document.id} has {len(document.pages)} page(s); export it again."]
    unplaced = data.get("unplaced", [])
    entry = found.setdefault(
        key,
        _Document(
            document,
            label_version(document.label_path),
            [n for n in unplaced if isinstance(n, str)] if isinstance(unplaced, list) else [],
        ),
    )
    if entry.pages.get(page) is not None:
        return [
            f"{where}: page {page} of {document.id} is in the export twice ("
            f"{entry.pages[page].task} too); delete one of the tasks and export again."
        ]
    annotation, problem = _annotation(task.get("annotations"))
    if problem:
        return [f"{where}: {problem}"]
    if annotation is None:
        entry.pages.setdefault(page, None)
        return []
    # Filed even with problems, so the values of its good regions are checked too: every
    # problem is listed at once (and with any problem nothing is written).
    parsed, problems = _read_results(where, page, annotation["result"], document.doc_type)
    entry.pages[page] = replace(parsed, task=name, annotator=_annotator(annotation))
    return problems


def _annotation(annotations: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The annotation to import: the ground-truth one, else the last updated, of those not
    cancelled (skipped); ``None`` when there is none."""
    if annotations is None:
        return None, None
    if not isinstance(annotations, list):
        return None, "'annotations' is not a list; export in Label Studio's JSON format."
    kept = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not kept:
        return None, None
    chosen = max(kept, key=lambda a: (bool(a.get("ground_truth")), str(a.get("updated_at") or "")))
    if not isinstance(chosen.get("result"), list):
        return None, "its annotation has no 'result' list; export in Label Studio's JSON format."
    return chosen, None


def _annotator(annotation: dict[str, Any]) -> str | None:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    if isinstance(who, int):  # Label Studio's JSON export names the annotator by user id
        who = f"user-{who}"
    return f"label-studio:{who}" if who not in (None, "") else None


def _read_results(
    where: str, page: int, results: list[Any], doc_type: str
) -> tuple[_Page, list[str]]:
    """The field regions (with their transcriptions) and the page text of one annotation."""
    fields = contract(doc_type).field_names
    regions: dict[str, _Region] = {}
    refused: set[str] = set()  # regions already reported: their transcriptions are not orphans
    texts: dict[str, list[str]] = {}
    page_text = None
    problems = []
    for number, result in enumerate(results, start=1):
        at = f"{where}, result {number}"
        if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
            problems.append(f"{at} is not a result object with a 'value'; export as JSON again.")
            continue
        control, kind, value = result.get("from_name"), result.get("type"), result["value"]
        if kind == "relation":
            continue  # links between regions carry nothing a label holds
        if (control, kind) == (FIELD, "rectanglelabels"):
            refused.add(str(result.get("id")))
            labels = value.get("rectanglelabels")
            if not (isinstance(labels, list) and len(labels) == 1 and isinstance(labels[0], str)):
                problems.append(f"{at}: a region must carry exactly one field label; fix it.")
                continue
            if labels[0] not in fields:
                problems.append(
                    f"{at}: region label {labels[0]!r} is not a field of {doc_type} (its fields: "
                    f"{', '.join(fields)}); use the labelling config `medxtract "
                    "export-labelstudio` wrote, relabel the region and export again."
                )
                continue
            try:
                y, x = float(value["y"]), float(value["x"])
            except (KeyError, TypeError, ValueError):
                problems.append(f"{at}: the {labels[0]!r} region has no x and y; redraw it.")
                continue
            regions[str(result.get("id"))] = _Region(labels[0], page, y, x, at)
            refused.discard(str(result.get("id")))
        elif (control, kind) == (TRANSCRIPTION, "textarea"):
            text = _text(value.get("text"))
            if text is None:
                problems.append(f"{at}: a transcription's 'text' is not a list of strings.")
                continue
            texts[str(result.get("id"))] = text
        elif (control, kind) == (PAGE_TEXT, "textarea"):
            text = _text(value.get("text"))
            if text is None:
                problems.append(f"{at}: the page text's 'text' is not a list of strings.")
                continue
            page_text = "\n".join(text)
        else:
            problems.append(
                f"{at}: a {kind!r} result from control {control!r} is not one of this "
                f"project's ({FIELD} rectanglelabels, {TRANSCRIPTION} and {PAGE_TEXT} "
                "textareas); set the project's labelling config to the one `medxtract "
                "export-labelstudio` wrote."
            )
    for rid, region in regions.items():
        lines = [line.strip() for line in texts.pop(rid, [])]
        lines = [line for line in lines if line]
        if not lines:
            problems.append(
                f"{region.where}: the {region.field!r} region has no transcription; type the "
                "text as printed, or delete the region."
            )
        region.text = lines
    for rid in set(texts) - refused:
        problems.append(
            f"{where}: transcription {rid!r} belongs to no field region; draw the region "
            "and label it with its field, or delete the transcription."
        )
    return _Page("", list(regions.values()), page_text, None), problems


def _text(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _new_label(entry: _Document, labeled_by: str | None) -> tuple[LabeledDocument, list[str]]:
    """The label the annotations give, and its problems (never its values)."""
    doc = entry.label
    pages = [entry.pages[n] for n in range(1, len(doc.pages) + 1)]
    regions = sorted((r for p in pages if p for r in p.regions), key=lambda r: (r.page, r.y, r.x))
    fields: dict[str, str | None] = {}
    problems = []
    for spec in contract(doc.doc_type).fields:
        mine = [r for r in regions if r.field == spec.name]
        if not mine:
            # A value the export had no box for was not shown: it stays as it was.
            kept = doc.fields.get(spec.name) if spec.name in entry.unplaced else None
            fields[spec.name] = kept
            continue
        value = "\n".join(line for r in mine for line in r.text or [])
        fields[spec.name] = value
        at = "; ".join(sorted({r.where.rsplit(", result", 1)[0] for r in mine}))
        if not spec.multiline and "\n" in value:
            problems.append(
                f"{at}: field {spec.name!r} is one line in the {doc.doc_type} contract but has "
                f"{value.count(chr(10)) + 1} lines ({len(mine)} region(s)); keep one region "
                "with one line."
            )
        elif _value_problems(doc.doc_type, spec.name, value):
            problems.append(
                f"{at}: field {spec.name!r} is not a valid {spec.name} for {doc.doc_type} (the "
                "contract's value pattern does not match it); correct its transcription."
            )
    texts = [_page_text(p, old) for p, old in zip(pages, doc.pages, strict=True)]
    annotator = next((p.annotator for p in pages if p and p.annotator), None)
    label = replace(
        doc,
        fields=fields,
        pages=texts,
        labeled_by=labeled_by or annotator or "label-studio",
        updated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        source=doc.source or "real",
    )
    problems.extend(
        f"{doc.id}: {problem}" for problem in label_problems(label.to_json(), doc.label_path)
    )
    return label, problems


def _page_text(page: _Page | None, old: str) -> str:
    """The annotated page text; the old one when there is none, or when they differ only in
    whitespace at their ends (Label Studio's text areas trim it)."""
    if page is None or page.page_text is None or page.page_text.strip() == old.strip():
        return old
    return page.page_text


def _value_problems(doc_type: str, name: str, value: str) -> bool:
    # One field at a time, so a message can name the field without repeating its value.
    from medxtract_lab.widgets.labeler import value_problems

    return bool(value_problems(doc_type, {name: value}))


def _changes(old: LabeledDocument, new: LabeledDocument) -> list[str]:
    changed = [name for name in new.fields if new.fields[name] != old.fields.get(name)]
    changed += [
        f"page {n} text"
        for n, (a, b) in enumerate(zip(old.pages, new.pages, strict=True), start=1)
        if a != b
    ]
    return changed


def describe_import(summary: ImportSummary) -> Iterable[str]:
    """Lines for a person: what was written, left alone and skipped (names, never values)."""
    for doc_id, changes in summary.written.items():
        yield f"  {doc_id}: {', '.join(changes)}"
    if summary.unchanged:
        yield f"unchanged: {', '.join(summary.unchanged)}"
    for doc_id, why in summary.skipped.items():
        yield f"skipped {doc_id}: {why}"
