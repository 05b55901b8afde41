"""GroundTruthLabeler: browse a corpus folder, confirm or correct each field, save.

A label is ground truth only when a person has confirmed every field: edited it, accepted it
(its ✓ button, Alt+A, or "Accept all shown"), or, asked on save, chosen to save the rest as
they are. Fields saved as the extraction proposed them are recorded in the label
(``accepted_unchanged``), so raw OCR saved without a look is never mistaken for typed truth.

Edits live in a draft per document until saved, so moving to another document keeps them; the
"changed" filter lists the documents whose draft differs from what is saved. Beside each field
is a crop of the page where the pipeline read it, and the page (150 dpi, zoomable) outlines the
field in hand. Saving validates the label (the store's schema plus the type's value shapes),
keeps the previous version in ``.history/`` and writes atomically through the store.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import getpass
import hashlib
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import ipywidgets as w
import numpy as np

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
from medxtract_lab.evaluation.runner import evaluate, extract_cached
from medxtract_lab.extraction.text import find_value
from medxtract_lab.page_marks import crop, outlined, padded
from medxtract_lab.pages import preview
from medxtract_lab.pipeline import type_warning
from medxtract_lab.records import Extraction
from medxtract_lab.render import open_pdf
from medxtract_lab.widgets.shortcuts import Shortcuts

# Pages are shown at this resolution: at 50-60 dpi an accent or a 1/l cannot be told apart.
LABEL_DPI = 150
CROP_WIDTH = 480  # px a field's crop is shown at, at most
ORDERS = ("corpus order", "most uncertain first")
STATES = {
    "unconfirmed": "<span style='color:#b60'>unconfirmed</span>",
    "accepted": "<span style='color:#272'>✓ accepted</span>",
    "edited": "<span style='color:#227'>✎ edited</span>",
    "saved": "<span style='color:#555'>saved</span>",
}
CURRENT = (0, 140, 255)  # BGR: the outline of the field in hand


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


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


@dataclass
class View:
    """What a document shows, computed once (and ahead, for the next document)."""

    pages: list[np.ndarray]  # grayscale at LABEL_DPI
    extraction: Extraction | None
    texts: list[str]
    warning: str  # a wrong-type or could-not-read note, "" when none


@dataclass
class Draft:
    """One document's labelling in progress: kept across navigation until saved."""

    values: dict[str, str]
    pages: list[str]
    proposed: dict[str, str]  # what the extraction (or the saved label) proposed
    confirmed: set[str]
    accepted: set[str]  # confirmed without an edit
    saved_state: tuple = field(default=())

    def state(self) -> tuple:
        return (dict(self.values), list(self.pages), set(self.confirmed))

    @property
    def dirty(self) -> bool:
        return self.state() != self.saved_state


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
        self.doc: LabeledDocument | None = None
        self.drafts: dict[str, Draft] = {}
        self.uncertainty: dict[str, float] = {}
        self.current_field: str | None = None
        self._views: dict[str, cf.Future] = {}
        self._pool = cf.ThreadPoolExecutor(max_workers=1)  # renders the next document ahead
        self.filter = w.ToggleButtons(
            options=["all", "unlabelled", "changed"],
            value="all",
            tooltips=["every document", "nobody has labelled them", "edits not saved yet"],
            style={"button_width": "auto"},
        )
        self.order = w.Dropdown(options=ORDERS, value=ORDERS[0], description="order")
        self.jump = w.Dropdown(description="document")
        self.previous = w.Button(description="◀ previous")
        self.next = w.Button(description="next ▶")
        self.progress = w.HTML(layout=w.Layout(margin="0 0 0 12px"))
        self.type_note = w.HTML()
        self.zoom = w.IntSlider(
            value=100, min=50, max=400, step=25, description="zoom %", continuous_update=False
        )
        self.page_images: list[w.Image] = []
        self.pages_box = w.Box(
            layout=w.Layout(
                width="42%",
                max_height="1100px",
                overflow="auto",
                display="block",
                align_self="flex-start",
            )
        )
        self.form = w.VBox(layout=w.Layout(width="58%"))
        self.accept = w.Button(description="Accept all shown")
        self.save_button = w.Button(description="Save", button_style="success")
        self.save_next_button = w.Button(description="Save & next", button_style="success")
        self.save_anyway = w.Button(
            description="Save anyway", button_style="warning", layout=w.Layout(display="none")
        )
        self.message = w.HTML()
        self.field_widgets: dict[str, w.Widget] = {}
        self.field_marks: dict[str, w.HTML] = {}
        self.field_crops: dict[str, w.Widget] = {}
        self.page_widgets: list[w.Textarea] = []
        self.shortcuts = Shortcuts(
            {
                "save_next": ("KeyS", "save & next", self.save_and_next),
                "save_anyway": ("KeyY", "save anyway, when asked", self._save_anyway),
                "accept_field": ("KeyA", "accept field", self.accept_current),
                "next_unconfirmed": ("KeyU", "next unconfirmed field", self.next_unconfirmed),
                "previous_document": ("Comma", "previous document", lambda: self.move(-1)),
                "next_document": ("Period", "next document", lambda: self.move(1)),
            }
        )
        self.previous.on_click(lambda _: self.move(-1))
        self.next.on_click(lambda _: self.move(1))
        self.save_button.on_click(lambda _: self.save())
        self.save_next_button.on_click(lambda _: self.save_and_next())
        self.save_anyway.on_click(lambda _: self._save_anyway())
        self.accept.on_click(lambda _: self.accept_all())
        self.filter.observe(lambda _: self.refresh(), names="value")
        self.order.observe(lambda _: self.refresh(), names="value")
        self.zoom.observe(lambda _: self._zoom_pages(), names="value")
        self.jump.observe(
            lambda change: self.open(change["new"]) if change["new"] else None, names="value"
        )
        self.refresh()

    # -- corpus ----------------------------------------------------------------------------
    def documents(self) -> list[LabeledDocument]:
        return load_corpus(self.root, include_unlabelled=True)

    def refresh(self) -> None:
        docs = self.documents()
        self._by_id = {d.id: d for d in docs}
        unsaved = self._show_progress()
        shown = [
            d
            for d in docs
            if self.filter.value == "all"
            or (self.filter.value == "unlabelled" and not d.is_labelled)
            or (self.filter.value == "changed" and d.id in unsaved)
        ]
        if self.order.value == "most uncertain first":
            self._rank(shown)
            shown.sort(key=lambda d: self.uncertainty.get(d.id, 1.0))
            self._show_progress()
            if shown:
                lowest = [self.uncertainty.get(d.id, 1.0) for d in shown]
                self.progress.value += (
                    f"; lowest field confidence {min(lowest):.2f} to {max(lowest):.2f}"
                )
        current = self.jump.value
        self.jump.options = [d.id for d in shown]
        if shown:
            self.jump.value = current if current in self.jump.options else shown[0].id

    def _show_progress(self) -> list[str]:
        """The progress line; returns the documents with unsaved edits. Also hides the "Save
        anyway" question once nothing is left unconfirmed."""
        if self.doc is not None and self.doc.id in self.drafts and not self.unconfirmed():
            self.save_anyway.layout.display = "none"
        labelled = sum(d.is_labelled for d in self._by_id.values())
        unsaved = sorted(i for i, d in self.drafts.items() if d.dirty)
        self.progress.value = f"{labelled} labelled of {len(self._by_id)}" + (
            f"; unsaved edits in {len(unsaved)} (show: changed)" if unsaved else ""
        )
        return unsaved

    def _rank(self, docs: list[LabeledDocument]) -> None:
        """Each document's lowest field confidence under the current extraction (read through
        the OCR cache, uncached ones in parallel), so labelling starts where the model is
        least sure."""
        todo = [d for d in docs if d.id not in self.uncertainty]
        if not todo:
            return
        self.progress.value = f"<i>ranking {len(todo)} documents by confidence…</i>"
        fields = evaluate(todo, self.config, progress="off").fields
        if not fields.empty:
            self.uncertainty |= fields.groupby("id")["confidence"].min().to_dict()

    def move(self, step: int) -> None:
        options = list(self.jump.options)
        if options:
            index = options.index(self.jump.value) if self.jump.value in options else 0
            self.jump.value = options[max(0, min(len(options) - 1, index + step))]

    # -- one document ------------------------------------------------------------------------
    def _make_view(self, doc: LabeledDocument) -> View:
        nothing = [""] * len(doc.pages)
        try:
            pdf = open_pdf(doc.pdf_path, RenderSettings(max_pages=len(doc.pages)))
            pages = [preview(pdf, n, LABEL_DPI) for n in range(1, pdf.pages + 1)]
        except MedXtractError as error:
            return View([], None, nothing, f"Could not show it: {error}")
        try:
            extraction, read, _ = extract_cached(doc.pdf_path, doc.doc_type, self.config)
        except MedXtractError as error:
            return View(pages, None, nothing, f"Could not read it: {error}")
        warning = type_warning(doc.doc_type, read) or ""
        return View(pages, extraction, [p.text for p in read.pages], warning)

    def _view(self, doc: LabeledDocument) -> View:
        future = self._views.get(doc.id)
        if future is None:
            future = self._views[doc.id] = self._pool.submit(self._make_view, doc)
        return future.result()

    def _prefetch(self) -> None:
        options = list(self.jump.options)
        if self.doc is None or self.doc.id not in options:
            return
        index = options.index(self.doc.id)
        for doc_id in options[index + 1 : index + 2]:
            if doc_id not in self._views and doc_id in self._by_id:
                self._views[doc_id] = self._pool.submit(self._make_view, self._by_id[doc_id])
        keep = set(options[max(0, index - 2) : index + 3])
        for doc_id in [d for d in self._views if d not in keep]:
            del self._views[doc_id]

    def _new_draft(self, doc: LabeledDocument, view: View) -> Draft:
        names = [spec.name for spec in contract(doc.doc_type).fields]
        if doc.is_labelled:
            values = {n: doc.fields.get(n) or "" for n in names}
            accepted = set(doc.accepted_unchanged or [])
            draft = Draft(values, list(doc.pages), dict(values), set(names), accepted)
        else:
            proposed = view.extraction.fields if view.extraction else {}
            values = {n: proposed.get(n) or "" for n in names}
            pages = [view.texts[i] if i < len(view.texts) else "" for i in range(len(doc.pages))]
            draft = Draft(values, pages, dict(values), set(), set())
        draft.saved_state = draft.state()  # "changed" once a person edits or accepts
        return draft

    def open(self, doc_id: str) -> None:
        self.doc = self._by_id.get(doc_id) or next(d for d in self.documents() if d.id == doc_id)
        # The version opened: a save over a label someone else changed since is refused.
        self.opened_version = label_version(self.doc.label_path)
        self.current_field = None  # the last document's field in hand is not this one's
        self.view = self._view(self.doc)
        if doc_id not in self.drafts:
            self.drafts[doc_id] = self._new_draft(self.doc, self.view)
        draft = self.drafts[doc_id]
        # ipywidgets caps an image at its box's width: without max_width, no zoom.
        self.page_images = [
            w.Image(format="png", layout=w.Layout(max_width="none", margin="0 0 4px 0"))
            for _ in self.view.pages
        ]
        self.pages_box.children = self.page_images
        self.field_widgets, self.field_marks, self.field_crops, rows = {}, {}, {}, []
        for spec in contract(self.doc.doc_type).fields:
            name = spec.name
            value = draft.values[name]
            # A row per line, and one more per 24 characters a long line may wrap into (the box
            # is about that narrow on a 1280-px screen beside the file browser).
            lines = sum(1 + len(line) // 24 for line in value.split("\n")) + 1
            extra = {"rows": max(3, lines)} if spec.multiline else {}
            widget = (w.Textarea if spec.multiline else w.Text)(
                value=draft.values[name],
                description=name,
                layout=w.Layout(flex="1 1 auto", width="auto", min_width="0"),
                style={"description_width": "120px"},
                **extra,
            )
            accept = w.Button(
                description="✓",
                tooltip=f"accept {name} as shown",
                layout=w.Layout(width="40px", flex="0 0 auto"),
            )
            mark = w.HTML(layout=w.Layout(width="116px", flex="0 0 auto"))  # "unconfirmed ◀"
            cropped = self._crop(name)
            widget.observe(lambda change, n=name: self._edited(n, change["new"]), names="value")
            accept.on_click(lambda _, n=name: self.accept_field(n))
            self.field_widgets[name], self.field_marks[name] = widget, mark
            self.field_crops[name] = cropped
            rows.append(
                w.VBox(
                    [w.HBox([widget, accept, mark], layout=w.Layout(width="100%")), cropped],
                    layout=w.Layout(margin="0 0 6px 0"),
                )
            )
            self._mark(name)
        self.page_widgets = [
            w.Textarea(
                value=text,
                description=f"page {i + 1}",
                layout=w.Layout(width="95%", height="160px"),
            )
            for i, text in enumerate(draft.pages)
        ]
        for i, area in enumerate(self.page_widgets):
            area.observe(lambda change, i=i: self._page_edited(i, change["new"]), names="value")
        self.form.children = [*rows, *self.page_widgets]
        self.type_note.value = (
            f"<b style='color:#b00'>Check the document type:</b> {self.view.warning}"
            if self.view.warning
            else ""
        )
        self.message.value = ""
        self.save_anyway.layout.display = "none"
        self._draw_pages()
        self._prefetch()

    def _crop(self, name: str) -> w.Widget:
        """The part of the page the field was read from, at the page's 150 dpi."""
        places = self.view.extraction.locations.get(name, []) if self.view.extraction else []
        if not places:
            return w.HTML("<small style='color:#888'>not located on the page</small>")
        number = places[0].page
        boxes = [p.box for p in places if p.page == number]
        picture = crop(self.view.pages[number - 1], boxes)
        width = min(CROP_WIDTH, picture.shape[1])
        return w.Image(
            value=_png(picture),
            format="png",
            layout=w.Layout(
                width=f"{width}px", max_width="calc(100% - 124px)", margin="0 0 0 124px"
            ),
        )

    def _draw_pages(self) -> None:
        """Every page, the field in hand outlined."""
        places = []
        if self.current_field and self.view.extraction:
            places = self.view.extraction.locations.get(self.current_field, [])
        for number, (image, page) in enumerate(
            zip(self.page_images, self.view.pages, strict=True), start=1
        ):
            boxes = [p.box for p in places if p.page == number]
            image.value = _png(outlined(page, padded(boxes, 0.010), CURRENT) if boxes else page)
        self._zoom_pages()

    def _zoom_pages(self) -> None:
        for image in self.page_images:
            image.layout.width = f"{self.zoom.value}%"

    # -- confirming fields -------------------------------------------------------------------
    @property
    def draft(self) -> Draft:
        return self.drafts[self.doc.id]

    def unconfirmed(self) -> list[str]:
        return [n for n in self.field_widgets if n not in self.draft.confirmed]

    def _mark(self, name: str) -> None:
        draft = self.draft
        if name not in draft.confirmed:
            state = "unconfirmed"
        elif draft.values[name] != draft.proposed[name]:
            state = "edited"
        else:  # as proposed: accepted by a person, or as the saved label has it
            state = "accepted" if name in draft.accepted else "saved"
        current = " ◀" if name == self.current_field else ""
        self.field_marks[name].value = STATES[state] + current

    def _edited(self, name: str, value: str) -> None:
        draft = self.draft
        draft.values[name] = value
        draft.confirmed.add(name)
        if value == draft.proposed[name]:
            draft.accepted.add(name)
        else:
            draft.accepted.discard(name)
        self._mark(name)
        self._show_progress()

    def _page_edited(self, index: int, text: str) -> None:
        self.draft.pages[index] = text
        self._show_progress()

    def accept_field(self, name: str) -> None:
        """Confirm ``name`` as shown (an edited value stays an edit)."""
        draft = self.draft
        if name not in draft.confirmed:
            draft.confirmed.add(name)
            if draft.values[name] == draft.proposed[name]:
                draft.accepted.add(name)
        self._mark(name)
        self._show_progress()

    def accept_all(self) -> None:
        """Confirm every field as shown: an explicit action, recorded as accepted unchanged
        for the fields nobody edited."""
        for name in self.field_widgets:
            self.accept_field(name)

    def focus(self, name: str | None) -> None:
        """Make ``name`` the field in hand: its input focused, its mark and outline shown."""
        previous, self.current_field = self.current_field, name
        for changed in {previous, name} - {None}:
            self._mark(changed)
        if name is not None:
            self.field_widgets[name].focus()
        self._draw_pages()

    def next_unconfirmed(self) -> None:
        names = list(self.field_widgets)
        start = names.index(self.current_field) + 1 if self.current_field in names else 0
        rest = [n for n in names[start:] + names[:start] if n not in self.draft.confirmed]
        if not rest and self.current_field is not None:
            self.field_widgets[self.current_field].blur()  # typing must not edit it by surprise
        self.focus(rest[0] if rest else None)
        if not rest:
            self.message.value = "Every field is confirmed: Alt+S saves and opens the next."

    def accept_current(self) -> None:
        """Accept the field in hand (the first unconfirmed one when none is) and go on."""
        if self.current_field is None:
            self.next_unconfirmed()
        if self.current_field is not None:
            self.accept_field(self.current_field)
            self.next_unconfirmed()

    # -- saving ------------------------------------------------------------------------------
    def current_label(self, accept_unconfirmed: bool = False) -> LabeledDocument:
        draft = self.draft
        accepted = set(draft.accepted) | (set(self.unconfirmed()) if accept_unconfirmed else set())
        return replace(
            self.doc,
            fields={n: (v.strip() or None) for n, v in draft.values.items()},
            pages=list(draft.pages),
            labeled_by=self.labeled_by,
            updated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            source=self.doc.source or "real",
            accepted_unchanged=sorted(accepted) or None,
        )

    def save(self, accept_unconfirmed: bool = False) -> bool:
        """Validate, then save through the store: the previous version kept in .history/, the new
        one written atomically, refused if someone else saved this label since it was opened.
        Unconfirmed fields stop the save with a question unless ``accept_unconfirmed``."""
        unconfirmed = self.unconfirmed()
        if unconfirmed and not accept_unconfirmed:
            self.message.value = (
                f"<b>Not saved:</b> {len(unconfirmed)} field(s) still unconfirmed "
                f"({', '.join(unconfirmed)}). Check them (Alt+U goes to the next one), or press "
                "<b>Save anyway</b> (Alt+Y) to save them as proposed, recorded as accepted "
                "unchanged."
            )
            self.save_anyway.layout.display = None
            return False
        label = self.current_label(accept_unconfirmed)
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
        self._by_id[self.doc.id] = self.doc
        self.opened_version = label_version(path)
        self.drafts[self.doc.id] = self._new_draft(self.doc, self.view)
        for name in self.field_widgets:
            self._mark(name)
        self.save_anyway.layout.display = "none"
        self.message.value = f"Saved {path.name} as {self.labeled_by}."
        self.refresh()
        return True

    def save_and_next(self) -> bool:
        """Save, then open the next document in the list."""
        return self._then_next(self.save())

    def _save_anyway(self) -> None:
        """The answer to the question a save with unconfirmed fields asks."""
        if self.save_anyway.layout.display != "none":
            self._then_next(self.save(accept_unconfirmed=True))

    def _then_next(self, saved: bool) -> bool:
        if not saved:
            return False
        said, before = self.message.value, self.doc.id
        self.move(1)
        if self.doc.id == before:
            self.message.value = f"{said} That was the last document shown."
            return True
        self.next_unconfirmed()
        self.message.value = f"{said} Now {self.doc.id}."
        return True

    # -- import ------------------------------------------------------------------------------
    def import_pdfs(self, paths: list[str | Path], doc_type: str) -> dict[str, list[str]]:
        """Copy new PDFs in with empty labels; a file already in the corpus is reported, and so
        is one whose pages print another type's labels (it is imported: the type is a choice)."""
        get_doctype(doc_type)
        known = {_sha256(p): p for p in self.root.rglob("*.pdf") if ".history" not in p.parts}
        folder = self.root / doc_type
        folder.mkdir(parents=True, exist_ok=True)
        report: dict[str, list[str]] = {"imported": [], "duplicates": [], "type_warnings": []}
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
            warning = self._type_check(target, doc_type)
            if warning:
                report["type_warnings"].append(f"{doc_id}: {warning}")
        self.refresh()  # opens a document, which clears the message
        if report["type_warnings"]:
            self.message.value = "<b>Check the document type:</b><br>" + "<br>".join(
                report["type_warnings"]
            )
        return report

    def _type_check(self, pdf: Path, doc_type: str) -> str:
        try:
            _, read, _ = extract_cached(pdf, doc_type, self.config)
        except MedXtractError as error:
            return f"could not be read ({error})"
        return type_warning(doc_type, read) or ""

    def widget(self) -> w.Widget:
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        navigation = w.HBox([self.previous, self.next, self.jump, self.progress], layout=wrap)
        choosing = w.HBox([w.Label("show"), self.filter, self.order, self.zoom], layout=wrap)
        actions = w.HBox(
            [self.accept, self.save_button, self.save_next_button, self.save_anyway], layout=wrap
        )
        # Messages and actions above the pages: a keyboard user sees what a key did.
        return w.VBox(
            [
                navigation,
                choosing,
                self.shortcuts,
                actions,
                self.message,
                self.type_note,
                w.HBox([self.pages_box, self.form]),
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())
