"""GroundTruthLabeler: browse a corpus folder, correct prefilled fields and page text, save.

Saving validates the label (the store's schema plus each field's value pattern), keeps the
previous version in ``.history/`` and writes through the store, atomically. Prefilled values are
marked unconfirmed until a person edits or accepts them.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import cv2
import ipywidgets as w

from medxtract_lab.config import PipelineConfig, RenderSettings, get_preset
from medxtract_lab.corpus.store import (
    LabeledDocument,
    label_problems,
    label_version,
    load_corpus,
    save_label,
)
from medxtract_lab.doctypes import contract, get_doctype
from medxtract_lab.errors import MedXtractError
from medxtract_lab.extraction.text import find_value
from medxtract_lab.pages import PREVIEW_DPI, preview
from medxtract_lab.pipeline import extract
from medxtract_lab.render import open_pdf

UNCONFIRMED = "<span style='color:#b60'>unconfirmed</span>"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def value_problems(doc_type: str, fields: dict[str, str | None]) -> list[str]:
    """Field values that do not have the shape the type's contract expects (a date, Yes/No,
    ...), whichever layout printed them."""
    problems = []
    for spec in contract(doc_type).fields:
        value = fields.get(spec.name)
        if value is None or spec.value is None:
            continue
        found = find_value(spec.value, value)
        if found is None or found[0] != value:
            problems.append(f"field '{spec.name}': {value!r} is not a valid {spec.name}")
    return problems


class GroundTruthLabeler:
    def __init__(
        self,
        corpus_dir: str | Path,
        labeled_by: str | None = None,
        config: PipelineConfig | None = None,
    ) -> None:
        self.root = Path(corpus_dir)
        self.labeled_by = labeled_by or getpass.getuser()
        self.config = config or get_preset("default")
        self.opened_version: str | None = None
        self.filter = w.ToggleButtons(
            options=["all", "unlabelled", "changed"], value="all", description="show"
        )
        self.jump = w.Dropdown(description="document")
        self.previous = w.Button(description="◀ previous")
        self.next = w.Button(description="next ▶")
        self.progress = w.HTML()
        self.pages_box = w.VBox(layout=w.Layout(width="42%"))
        self.form = w.VBox(layout=w.Layout(width="58%"))
        self.accept = w.Button(description="Accept all")
        self.save_button = w.Button(description="Save", button_style="success")
        self.message = w.HTML()
        self.field_widgets: dict[str, w.Widget] = {}
        self.field_marks: dict[str, w.HTML] = {}
        self.page_widgets: list[w.Textarea] = []
        self.changed: set[str] = set()
        self.previous.on_click(lambda _: self.move(-1))
        self.next.on_click(lambda _: self.move(1))
        self.save_button.on_click(lambda _: self.save())
        self.accept.on_click(lambda _: self.accept_all())
        self.filter.observe(lambda _: self.refresh(), names="value")
        self.jump.observe(
            lambda change: self.open(change["new"]) if change["new"] else None, names="value"
        )
        self.refresh()

    # -- corpus ----------------------------------------------------------------------------
    def documents(self) -> list[LabeledDocument]:
        return load_corpus(self.root, include_unlabelled=True)

    def refresh(self) -> None:
        docs = self.documents()
        labelled = sum(d.is_labelled for d in docs)
        self.progress.value = f"{labelled} labelled of {len(docs)}"
        shown = [
            d.id
            for d in docs
            if self.filter.value == "all"
            or (self.filter.value == "unlabelled" and not d.is_labelled)
            or (self.filter.value == "changed" and d.id in self.changed)
        ]
        current = self.jump.value
        self.jump.options = shown
        if shown:
            self.jump.value = current if current in shown else shown[0]

    def move(self, step: int) -> None:
        options = list(self.jump.options)
        if options:
            index = options.index(self.jump.value) if self.jump.value in options else 0
            self.jump.value = options[max(0, min(len(options) - 1, index + step))]

    # -- one document ------------------------------------------------------------------------
    def open(self, doc_id: str) -> None:
        self.doc = next(d for d in self.documents() if d.id == doc_id)
        # The version opened: a save over a label someone else changed since is refused.
        self.opened_version = label_version(self.doc.label_path)
        pdf = open_pdf(self.doc.pdf_path, RenderSettings(max_pages=len(self.doc.pages)))
        self.pages_box.children = [
            w.Image(
                value=cv2.imencode(".png", preview(pdf, number, PREVIEW_DPI))[1].tobytes(),
                format="png",
                layout=w.Layout(width="100%", border="1px solid #ccc"),
            )
            for number in range(1, pdf.pages + 1)
        ]
        prefill, texts = self._prefill()
        self.field_widgets, self.field_marks, rows = {}, {}, []
        for spec in contract(self.doc.doc_type).fields:
            name = spec.name
            saved = self.doc.fields.get(name) if self.doc.is_labelled else None
            value = saved if self.doc.is_labelled else prefill.get(name)
            kind = w.Textarea if spec.multiline else w.Text
            widget = kind(
                value=value or "",
                description=name,
                layout=w.Layout(width="95%"),
                style={"description_width": "160px"},
            )
            mark = w.HTML("" if self.doc.is_labelled or value is None else UNCONFIRMED)
            widget.observe(lambda _, n=name: self._edited(n), names="value")
            self.field_widgets[name], self.field_marks[name] = widget, mark
            rows.append(w.HBox([widget, mark]))
        self.page_widgets = [
            w.Textarea(
                value=(self.doc.pages[i] if self.doc.is_labelled else texts[i]) or "",
                description=f"page {i + 1}",
                layout=w.Layout(width="95%", height="160px"),
            )
            for i in range(len(self.doc.pages))
        ]
        for area in self.page_widgets:
            area.observe(lambda _: self.changed.add(self.doc.id), names="value")
        self.form.children = [*rows, *self.page_widgets]
        self.message.value = ""

    def _prefill(self) -> tuple[dict[str, str | None], list[str]]:
        if self.doc.is_labelled:
            return {}, list(self.doc.pages)
        try:
            result = extract(self.doc.pdf_path, self.doc.doc_type, self.config)
        except MedXtractError as error:
            self.message.value = f"<b>Could not prefill:</b> {error}"
            return {}, [""] * len(self.doc.pages)
        return result.fields, result.page_texts

    def _edited(self, name: str) -> None:
        self.field_marks[name].value = ""
        self.changed.add(self.doc.id)

    def accept_all(self) -> None:
        for mark in self.field_marks.values():
            mark.value = ""

    def current_label(self) -> LabeledDocument:
        fields = {n: (wd.value.strip() or None) for n, wd in self.field_widgets.items()}
        return replace(
            self.doc,
            fields=fields,
            pages=[area.value for area in self.page_widgets],
            labeled_by=self.labeled_by,
            updated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            source=self.doc.source or "real",
        )

    def save(self) -> bool:
        """Validate, then save through the store: the previous version kept in .history/, the new
        one written atomically, refused if someone else saved this label since it was opened."""
        label = self.current_label()
        path = self.doc.label_path
        problems = label_problems(label.to_json(), path) + value_problems(
            label.doc_type, label.fields
        )
        if problems:
            self.message.value = (
                "<b>Not saved:</b><ul>" + "".join(f"<li>{p}</li>" for p in problems) + "</ul>"
            )
            return False
        try:
            save_label(
                replace(label, label_path=None),
                path,
                history=self.root / ".history",
                base=self.opened_version,
            )
        except (OSError, MedXtractError) as error:
            self.message.value = (
                f"<b>Not saved</b> ({type(error).__name__}): {error}. "
                "The previous label is unchanged."
            )
            return False
        self.doc = replace(label, label_path=path)
        self.opened_version = label_version(path)
        self.changed.discard(self.doc.id)
        self.accept_all()
        self.message.value = f"Saved {path.name} as {self.labeled_by}."
        self.refresh()
        return True

    # -- import ------------------------------------------------------------------------------
    def import_pdfs(self, paths: list[str | Path], doc_type: str) -> dict[str, list[str]]:
        """Copy new PDFs in with empty labels; a file already in the corpus is reported."""
        get_doctype(doc_type)
        known = {_sha256(p): p for p in self.root.rglob("*.pdf") if ".history" not in p.parts}
        folder = self.root / doc_type
        folder.mkdir(parents=True, exist_ok=True)
        report: dict[str, list[str]] = {"imported": [], "duplicates": []}
        for source in map(Path, paths):
            digest = _sha256(source)
            if digest in known:
                report["duplicates"].append(f"{source.name} is already {known[digest].name}")
                continue
            pages = open_pdf(source, RenderSettings(max_pages=100)).pages
            doc_id = f"{source.stem}-{digest[:8]}"
            target = folder / f"{doc_id}.pdf"
            shutil.copy2(source, target)
            empty = LabeledDocument(
                id=doc_id,
                document=target.name,
                doc_type=doc_type,
                source="real",
                fields=dict.fromkeys(get_doctype(doc_type).field_names),
                pages=[""] * pages,
                labeled_by="",
                updated="",
            )
            save_label(empty, folder / f"{doc_id}.json")
            known[digest] = target
            report["imported"].append(doc_id)
        self.refresh()
        return report

    def widget(self) -> w.Widget:
        navigation = w.HBox([self.previous, self.next, self.jump, self.filter, self.progress])
        return w.VBox(
            [
                navigation,
                w.HBox([self.pages_box, self.form]),
                w.HBox([self.accept, self.save_button]),
                self.message,
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())
