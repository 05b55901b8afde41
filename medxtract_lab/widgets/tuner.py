"""ThresholdTuner: compare two configurations, A (pinned) and B (the controls), on whole documents.

The controls come from the registries (every preprocessing step with its parameters, every OCR
engine with the options it lets a tuner vary), so a step or engine added there appears here
without a change. The previews show A and B side by side on one viewport: zoom and pan move
both, and choosing a field zooms to where it was read. A preview is the page as Tesseract
would read it (made as the pipeline makes it, ``pages.steps_start``: a camera page starts at
its working size), cut to the viewport and shrunk for the screen: the only way it shows what
the full page gets. Steps scaled down to a small copy of the page (block sizes, kernels and line
lengths scaled with it) looked different: at a quarter of the resolution, ``remove_lines`` took
bold words for rules and erased them (mean difference 8-17 gray levels against the full page on
a photo, against 0 here), while the full page takes 52-117 ms (the default chain, with and
without a threshold, on a photo, a 300-dpi scan and a 12 MP camera page).

"Run" reads the whole document under A and B in the background (through the OCR cache), and
"Evaluate" runs both over a stratified sample of the corpus through the evaluation runner. The
configuration B describes exports as the same YAML the CLI, the report and the API read.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import ipywidgets as w
import numpy as np
from ipyevents import Event
from tqdm.notebook import tqdm as widget_bar

from medxtract_lab.config import PipelineConfig, Step, get_preset, load_config, save_config
from medxtract_lab.corpus.store import LabeledDocument, load_corpus
from medxtract_lab.doctypes import contract, doc_type_names, get_doctype
from medxtract_lab.evaluation.gallery import diff_sides, render
from medxtract_lab.evaluation.metrics import cer, field_match
from medxtract_lab.evaluation.runner import evaluate, extract_cached, stratified
from medxtract_lab.ocr.registry import availability, engine_spec
from medxtract_lab.page_marks import cut, outlined, padded, through
from medxtract_lab.pages import leading_resample, remaining_steps, steps_start
from medxtract_lab.preprocess import OPTIONAL_STEPS, STEPS, Param, apply_steps_placed
from medxtract_lab.records import Extraction, ReadDocument
from medxtract_lab.render import open_pdf
from medxtract_lab.widgets.clickable import ClickableHtml

PREVIEW_WIDTH = 480  # px each of the two previews is computed at; shown at half the width
DEFAULT = "default"  # an engine option left to the engine
MAX_ZOOM = 8.0
ALL = "all"
# Steps a configuration always has (grayscale) or that the scale slider sets; every other
# registered step that is not optional is a binarisation "method", at most one per pipeline.
FIXED = ("grayscale", "scale")
# Wide enough for every registered parameter's name, and one width, so the tracks line up.
_WIDE = {"description_width": "120px"}


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    return data.tobytes() if ok else b""


def _control(name: str, param: Param, value: object) -> w.Widget:
    """A slider or a choice for one registered parameter."""
    if param.choices:
        return w.Dropdown(options=list(param.choices), value=value, description=name, style=_WIDE)
    if param.odd:
        slider = w.IntSlider(
            value=int(value),
            min=int(param.low) | 1,
            max=int(param.high),
            step=2,
            description=name,
            continuous_update=False,
            style=_WIDE,
        )

        def keep_odd(change: dict) -> None:
            if change["new"] % 2 == 0:  # block sizes must be odd: move to the next odd value
                slider.value = min(change["new"] + 1, int(param.high) | 1)

        slider.observe(keep_odd, names="value")
        return slider
    if isinstance(param.default, int):
        return w.IntSlider(
            value=int(value),
            min=int(param.low),
            max=int(param.high),
            description=name,
            continuous_update=False,
            style=_WIDE,
        )
    return w.FloatSlider(
        value=float(value),
        min=param.low,
        max=param.high,
        step=0.5,
        description=name,
        continuous_update=False,
        style=_WIDE,
    )


def _one_line() -> w.Layout:
    """A caption kept to one line, so the two previews under their captions stay level."""
    # Block, not ipywidgets' inline flex box, in which a browser ignores text-overflow.
    return w.Layout(height="1.8em", overflow="hidden", width="100%", min_width="0", display="block")


def _caption(label: w.Label, side: str, config: PipelineConfig) -> None:
    """A preview's caption: which config, its page segmentation mode and its steps; cut to
    one line, so in full on hover."""
    steps = ", ".join(s.name for s in config.steps if s.name != "grayscale") or "none"
    psm = config.ocr.psm if config.ocr.psm is not None else "default"
    label.value = label.tooltip = f"{side}: psm {psm}; {steps}"


def _without_text_layer(config: PipelineConfig) -> PipelineConfig:
    # The point is to see what the steps do to OCR, so a text layer is not used.
    return replace(config, render=replace(config.render, use_text_layer=False))


class ThresholdTuner:
    """Pick a document (a labelled corpus document, or any PDF with its type) and tune B
    against the pinned A on it."""

    def __init__(
        self,
        source: str | Path | LabeledDocument | None = None,
        doc_type: str | None = None,
        config: PipelineConfig | None = None,
        corpus: str | Path | None = None,
    ) -> None:
        self.corpus = load_corpus(corpus) if corpus is not None else []
        if source is None and not self.corpus:
            raise ValueError(
                "Give a document (a PDF and its type, or a labelled document) "
                "or a corpus folder to pick one from."
            )
        self.a = config or get_preset("default")
        self.base = self.a
        self.results: dict[str, tuple[Extraction, ReadDocument]] = {}
        self.ocr_thread: threading.Thread | None = None
        self.eval_thread: threading.Thread | None = None
        self._pictures: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._starts: dict[tuple[str, float | None], tuple[np.ndarray, bool]] = {}
        self._loaded: tuple[Path, int] | None = None  # the (document, page) shown
        self.center = (0.5, 0.5)

        # -- document picker --------------------------------------------------------------
        sources = sorted({d.source.split(":")[-1] for d in self.corpus})
        self.source_filter = w.Dropdown(options=[ALL, *sources], description="source")
        self.type_filter = w.Dropdown(options=[ALL, *doc_type_names()], description="type")
        self.document = w.Dropdown(description="document")
        self.page = w.Dropdown(description="page")

        # -- B's controls, from the registries ----------------------------------------------
        methods = [n for n in STEPS if n not in OPTIONAL_STEPS and n not in FIXED]
        self.method = w.Dropdown(options=methods, value="none", description="method")
        self.method_params = w.VBox()
        self.scale = w.FloatSlider(
            value=1.0,
            min=0.5,
            max=3.0,
            step=0.25,
            description="scale",
            continuous_update=False,
            style=_WIDE,
        )
        self.toggles = {name: w.Checkbox(description=name) for name in OPTIONAL_STEPS}
        self.params: dict[tuple[str, str], w.Widget] = {}
        self.step_params = {name: w.VBox() for name in OPTIONAL_STEPS}
        engines = [name for name, missing in availability().items() if missing is None]
        self.engine = w.Dropdown(options=engines, description="engine")
        self.engine_options = w.VBox()
        self.options: dict[str, w.Dropdown] = {}

        # -- viewing and actions ------------------------------------------------------------
        self.zoom = w.FloatSlider(
            value=1.0,
            min=1.0,
            max=MAX_ZOOM,
            step=0.5,
            description="zoom",
            readout_format=".1f",
            style=_WIDE,
        )
        self.fit = w.Button(description="fit page")
        # No margin: ipywidgets' default 2 px each side would overflow the column.
        self.preview_a = w.Image(format="png", layout=w.Layout(width="100%", margin="0"))
        self.preview_b = w.Image(format="png", layout=w.Layout(width="100%", margin="0"))
        # Labels: ipywidgets ends a label too long for its box with an ellipsis.
        self.a_summary = w.Label(layout=_one_line())
        self.b_summary = w.Label(layout=_one_line())
        self.marked: list[tuple[float, ...]] = []  # boxes of the field zoomed to, outlined
        self.marked_page: int | None = None
        self._ran: tuple = ()
        self._table = ""
        self.pin = w.Button(description="pin B as A", tooltip="A becomes what B is now")
        self.run_button = w.Button(description="Run A and B", button_style="primary")
        # Shown while a reading runs: empty, it looked like a disabled button.
        self.run_progress = w.IntProgress(
            min=0, max=2, layout=w.Layout(width="160px", visibility="hidden")
        )
        self.zoom_field = w.Dropdown(description="zoom to")
        self.status = w.HTML()
        # Clicking a field's row zooms both previews to where it was read.
        self.fields = ClickableHtml(on_pick=self._picked)
        self.sample_size = w.BoundedIntText(value=12, min=1, max=10_000, description="N docs")
        self.evaluate_button = w.Button(
            description="Evaluate A and B on N documents",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.eval_progress = w.Box(layout=w.Layout(flex="1 1 auto", min_width="0"))
        self.sample = w.HTML()

        self.label: LabeledDocument | None = None  # the labelled document on show
        self._refiltering = False
        self._set_controls(self.a)
        self._watch()
        self._load_source(source, doc_type)

    # -- wiring -----------------------------------------------------------------------------
    def _watch(self) -> None:
        for control in (self.source_filter, self.type_filter):
            control.observe(lambda _: self._filter_documents(), names="value")
        self.document.observe(self._document_chosen, names="value")
        self.page.observe(lambda _: self._page_changed(), names="value")
        self.method.observe(lambda _: (self._method_params({}), self.redraw()), names="value")
        for name, box in self.toggles.items():
            box.observe(lambda _, n=name: (self._show_params(n), self.redraw()), names="value")
        self.scale.observe(lambda _: self.redraw(), names="value")
        self.engine.observe(lambda _: (self._engine_options(None), self._changed()), names="value")
        self.zoom.observe(lambda _: self.redraw(), names="value")
        self.fit.on_click(lambda _: self.view_at((0.5, 0.5), 1.0))
        self.pin.on_click(lambda _: self.pin_b())
        self.run_button.on_click(lambda _: self.run_ocr())
        self.evaluate_button.on_click(lambda _: self.evaluate_sample())
        self.zoom_field.observe(lambda change: self.zoom_to(change["new"]), names="value")
        self._events = [
            Event(
                source=image,
                watched_events=["click", "wheel"],
                prevent_default_action=True,
                xy_coordinate_system="data",
            )
            for image in (self.preview_a, self.preview_b)
        ]
        for events in self._events:
            events.on_dom_event(self._mouse)

    def _load_source(self, source: Any, doc_type: str | None) -> None:
        self._by_id = {d.id: d for d in self.corpus}
        if isinstance(source, str | Path):
            get_doctype(doc_type or "")  # a PDF needs its type named; the error lists them
            self._by_id[Path(source).stem] = None
            self._pdf_source = (Path(source), doc_type)
            self.document.options = [Path(source).stem]
            return
        if isinstance(source, LabeledDocument):
            self._by_id.setdefault(source.id, source)
        self._filter_documents(source.id if source is not None else None)

    def _filter_documents(self, keep: str | None = None) -> None:
        shown = [
            d.id
            for d in self._by_id.values()
            if d is not None
            and self.source_filter.value in (ALL, d.source.split(":")[-1])
            and self.type_filter.value in (ALL, d.doc_type)
        ]
        keep = keep or self.document.value
        chosen = keep if keep in shown else (shown[0] if shown else None)
        # New options select the first one for a moment: the document on show stays open,
        # on its page and zoom with its results, when the filters still list it.
        self._refiltering = True
        try:
            self.document.options = shown
            self.document.value = chosen
        finally:
            self._refiltering = False
        if chosen is not None and (self.label is None or self.label.id != chosen):
            self.open(self._by_id[chosen])

    def _document_chosen(self, change: dict) -> None:
        if change["new"] and not self._refiltering:
            self.open(self._by_id[change["new"]])

    # -- B's controls -------------------------------------------------------------------------
    def _set_controls(self, config: PipelineConfig) -> None:
        """Show ``config`` in B's controls."""
        by_name = {s.name: s for s in config.steps}
        method = next((s for s in config.steps if s.name in self.method.options), Step("none"))
        self.params = {}
        for name, box in self.toggles.items():
            values = dict(by_name[name].params) if name in by_name else {}
            self.step_params[name].children = self._controls(name, values)
            box.value = name in by_name
            self._show_params(name)
        self.scale.value = by_name["scale"].params.get("factor", 1.0) if "scale" in by_name else 1
        self.method.value = method.name
        self._method_params(dict(method.params))
        if config.ocr.engine in self.engine.options:
            self.engine.value = config.ocr.engine
        self._engine_options(config)

    def _controls(self, step: str, values: dict) -> list[w.Widget]:
        made = []
        for name, param in STEPS[step].params.items():
            control = _control(name, param, values.get(name, param.default))
            control.observe(lambda _: self.redraw(), names="value")
            self.params[(step, name)] = control
            made.append(control)
        return made

    def _method_params(self, values: dict) -> None:
        for key in [k for k in self.params if k[0] not in OPTIONAL_STEPS]:
            del self.params[key]
        self.method_params.children = self._controls(self.method.value, values)

    def _show_params(self, step: str) -> None:
        self.step_params[step].layout.display = None if self.toggles[step].value else "none"

    def _engine_options(self, config: PipelineConfig | None) -> None:
        """The engine's tunable options (psm, ...), each with Tesseract's own default."""
        current = config.ocr if config else None
        self.options = {}
        for option, values in engine_spec(self.engine.value).tunable.items():
            value = getattr(current, option, None) if current else None
            # A dropdown whose value is None shows nothing: the engine's default is a word.
            choices = [(DEFAULT, DEFAULT)] + [
                (str(v), v) for v in sorted({*values, value} - {None})
            ]
            control = w.Dropdown(
                options=choices, value=DEFAULT if value is None else value, description=option
            )
            control.observe(lambda _: self._changed(), names="value")
            self.options[option] = control
        self.engine_options.children = list(self.options.values())

    @property
    def config(self) -> PipelineConfig:
        """B: the configuration the controls describe, ready for export or the pipeline."""
        steps = [Step("grayscale")]
        for name, box in self.toggles.items():
            if box.value:
                steps.append(Step(name, self._values(name)))
        if self.scale.value != 1.0:
            steps.append(Step("scale", {"factor": self.scale.value, "interpolation": "cubic"}))
        if self.method.value != "none":
            steps.append(Step(self.method.value, self._values(self.method.value)))
        options = {
            name: None if control.value == DEFAULT else control.value
            for name, control in self.options.items()
        }
        ocr = replace(self.base.ocr, engine=self.engine.value, **options)
        return replace(self.base, name="B", steps=tuple(steps), ocr=ocr)

    def _values(self, step: str) -> dict[str, Any]:
        return {name: control.value for (s, name), control in self.params.items() if s == step}

    def pin_b(self) -> None:
        """A becomes B as it is now; B's controls stay, to go on from there."""
        self.a = replace(self.config, name="pinned")
        self._describe_a()
        self.redraw()

    def _describe_a(self) -> None:
        _caption(self.a_summary, f"A ({self.a.name})", self.a)

    # -- one document --------------------------------------------------------------------------
    def open(self, doc: LabeledDocument | None) -> None:
        """Show ``doc`` (None: the PDF given by path)."""
        self.label = doc
        if doc is None:
            self.path, self.doc_type = self._pdf_source
        else:
            self.path, self.doc_type = doc.pdf_path, doc.doc_type
        self.pdf = open_pdf(self.path, self.base.render)
        self._loaded = None  # before any control below redraws: no page of this PDF shown yet
        self._pictures, self._starts = {}, {}
        self.results = {}
        self.marked, self.marked_page = [], None
        self.fields.value = self.status.value = ""
        self.zoom_field.options = [""] + [s.name for s in contract(self.doc_type).fields]
        self._describe_a()
        self.center, self.zoom.value = (0.5, 0.5), 1.0
        numbers = list(range(1, self.pdf.pages + 1))
        if list(self.page.options) != numbers:
            self.page.options = numbers
        if self.page.value != 1:
            self.page.value = 1  # loads it
        self._page_changed()

    def _page_changed(self) -> None:
        shown = (self.path, self.page.value)
        if self.page.value is None or self._loaded == shown:
            return
        self._loaded = shown
        self._pictures, self._starts = {}, {}
        self.redraw()

    # -- previews ----------------------------------------------------------------------------
    def processed(self, config: PipelineConfig) -> np.ndarray:
        """The whole page under ``config``'s steps, as Tesseract would read it (kept for
        panning and zooming; the last few configurations are kept, so A is computed once)."""
        return self._processed(config)[0]

    def _processed(self, config: PipelineConfig) -> tuple[np.ndarray, np.ndarray]:
        """The processed page and where the steps moved the page's content (a deskew's
        rotation): field locations are on the page, the preview shows it moved. Made as the
        pipeline makes its OCR input (``steps_start``), so a camera page previews the pixels
        Tesseract reads."""
        key = (repr(config.render), repr(config.steps))
        if key not in self._pictures:
            if len(self._pictures) >= 4:
                self._pictures.pop(next(iter(self._pictures)))
            self._pictures[key] = apply_steps_placed(*self._start(config))
        return self._pictures[key]

    def _start(self, config: PipelineConfig) -> tuple[np.ndarray, tuple[Step, ...]]:
        """``steps_start`` for this page, decoded or rendered once per way of starting (render
        settings and leading ``resample_text``), not once per slider move."""
        key = (repr(config.render), leading_resample(config.steps))
        if key not in self._starts:
            image, steps = steps_start(self.pdf, self.page.value, config)
            self._starts[key] = image, len(steps) < len(config.steps)
        image, resampled = self._starts[key]
        return image, remaining_steps(config.steps, resampled)

    def _region(self) -> tuple[float, float, float, float]:
        half = 0.5 / self.zoom.value
        cx = min(max(self.center[0], half), 1 - half)
        cy = min(max(self.center[1], half), 1 - half)
        return cx - half, cy - half, cx + half, cy + half

    def view(self, config: PipelineConfig) -> np.ndarray:
        """What a preview shows: the viewport of the processed page, PREVIEW_WIDTH wide."""
        region = self._region()
        processed, moved = self._processed(config)
        picture = cut(processed, region)
        factor = PREVIEW_WIDTH / picture.shape[1]
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_NEAREST
        shown = cv2.resize(picture, None, fx=factor, fy=factor, interpolation=interpolation)
        if not self.marked or self.marked_page != self.page.value:
            return shown
        x0, y0, x1, y1 = region
        inside = [
            ((a - x0) / (x1 - x0), (b - y0) / (y1 - y0), (c - x0) / (x1 - x0), (d - y0) / (y1 - y0))
            for a, b, c, d in padded([through(box, moved) for box in self.marked], 0.012)
        ]
        return outlined(shown, inside)

    def redraw(self) -> None:
        """Draw A and B on the current viewport."""
        if self._loaded is None:
            return  # no page open yet
        b = self.config
        # Both are made before either is shown: a slow B (denoise, scale 2) takes seconds, in
        # which A would show another page or document than B. The caption says B is coming.
        _caption(self.b_summary, "B (drawing…)", b)
        a_png, b_png = _png(self.view(self.a)), _png(self.view(b))
        self.preview_a.value, self.preview_b.value = a_png, b_png
        self._changed()

    def _changed(self) -> None:
        """Caption B as it now is (an engine option changes no preview), and say so when the
        A/B table no longer describes A and B."""
        _caption(self.b_summary, "B", self.config)
        if not self.results:
            return
        now = (_without_text_layer(self.a), _without_text_layer(self.config))
        stale = now != self._ran
        banner = (
            "<p style='color:#b60'><b>A or B changed since this reading:</b> press "
            "<b>Run A and B</b> again.</p>"
            if stale
            else ""
        )
        self.fields.value = banner + self._table

    def view_at(self, center: tuple[float, float], zoom: float) -> None:
        """Move both previews to ``center`` (page fractions) at ``zoom``."""
        self.center = (min(max(center[0], 0.0), 1.0), min(max(center[1], 0.0), 1.0))
        zoom = min(max(zoom, 1.0), MAX_ZOOM)
        if self.zoom.value == zoom:
            self.redraw()
        else:
            self.zoom.value = zoom  # redraws

    def _mouse(self, event: dict) -> None:
        """A click centres both previews on the point; the wheel zooms about it."""
        x0, y0, x1, y1 = self._region()
        shown = self.view(self.a).shape
        point = (
            x0 + (x1 - x0) * event.get("dataX", 0) / shown[1],
            y0 + (y1 - y0) * event.get("dataY", 0) / shown[0],
        )
        if event.get("type") == "wheel":
            step = 0.5 if event.get("deltaY", 0) < 0 else -0.5
            self.view_at(point, self.zoom.value + step)
        else:
            self.view_at(point, self.zoom.value)

    def _picked(self, field: str) -> None:
        if self.zoom_field.value == field:
            self.zoom_to(field)
        else:
            self.zoom_field.value = field  # zooms, and shows which field is zoomed to

    def zoom_to(self, field: str) -> None:
        """Show where ``field`` was read (by B, else A) on both previews, outlined ("": no
        field, no outline)."""
        if not field:
            self.marked, self.marked_page = [], None
            self.redraw()
            return
        places = []
        for side in ("B", "A"):
            if side in self.results and not places:
                places = self.results[side][0].locations.get(field, [])
        if not places:
            self.status.value = f"{field} was not located: press Run first, or it was not read."
            return
        number = places[0].page
        boxes = [p.box for p in places if p.page == number]
        self.marked, self.marked_page = boxes, number
        if self.page.value != number:
            self.page.value = number  # loads it: the boxes below are on this page
        moved = self._processed(self.config)[1]
        shown = [through(box, moved) for box in boxes]  # where B's preview shows them
        x0, y0 = min(b[0] for b in shown), min(b[1] for b in shown)
        x1, y1 = max(b[2] for b in shown), max(b[3] for b in shown)
        self.view_at(((x0 + x1) / 2, (y0 + y1) / 2), 0.6 / max(x1 - x0, y1 - y0, 0.05))

    # -- reading -----------------------------------------------------------------------------
    def run_ocr(self, wait: bool = False) -> None:
        """Read the whole document under A and B, off the UI thread."""
        self.status.value = "<i>reading with A and B…</i>"
        self.run_progress.value = 0
        self.run_progress.layout.visibility = "visible"
        configs = {"A": _without_text_layer(self.a), "B": _without_text_layer(self.config)}
        self._ran = (configs["A"], configs["B"])
        self.ocr_thread = threading.Thread(target=self._read_both, args=(configs,), daemon=True)
        self.ocr_thread.start()
        if wait:
            self.ocr_thread.join()

    def _read_both(self, configs: dict[str, PipelineConfig]) -> None:
        notes = []
        try:
            for side, config in configs.items():
                started = time.perf_counter()
                extraction, read, hit = extract_cached(self.path, self.doc_type, config)
                self.results[side] = (extraction, read)
                took = (time.perf_counter() - started) * 1000
                notes.append(f"{side} in {took:.0f} ms{' (cached)' if hit else ''}")
                self.run_progress.value += 1
        except Exception as exc:  # noqa: BLE001 - shown in the widget, not raised in a thread
            self.status.value = f"<b>Reading failed:</b> {type(exc).__name__}: {exc}"
            return
        finally:
            self.run_progress.layout.visibility = "hidden"
        self._table = self._comparison()
        self.fields.value = self._table
        self.status.value = "read " + ", ".join(notes)

    def _comparison(self) -> str:
        """The per-field A/B table and each page's CER, as HTML."""
        expected = self.label.fields if self.label is not None else {}
        rows = []
        for spec in contract(self.doc_type).fields:
            name, sides = spec.name, []
            for side in ("A", "B"):
                extraction = self.results[side][0]
                got = extraction.fields.get(name)
                ok = field_match(expected.get(name), got)
                sides.append(
                    {
                        "value": got,
                        "confidence": extraction.confidence.get(name, 0.0),
                        "ok": ok,
                        "diff": diff_sides(expected.get(name), got)[2],
                    }
                )
            places = self.results["B"][0].locations.get(name) or self.results["A"][0].locations.get(
                name
            )
            rows.append(
                {
                    "name": name,
                    "expected": expected.get(name),
                    "a": sides[0],
                    "b": sides[1],
                    "differs": sides[0]["value"] != sides[1]["value"],
                    "page": places[0].page if places else None,
                }
            )
        pages = []
        if self.label is not None:
            for number, reference in enumerate(self.label.pages, start=1):
                texts = [self._page_text(side, number) for side in ("A", "B")]
                pages.append(
                    {
                        "number": number,
                        "a": cer(reference, texts[0]).rate,
                        "b": cer(reference, texts[1]).rate,
                    }
                )
        return render("tuner_ab.html.j2", fields=rows, pages=pages, labelled=self.label is not None)

    def _page_text(self, side: str, number: int) -> str:
        pages = self.results[side][1].pages
        return pages[number - 1].text if number <= len(pages) else ""

    # -- a sample of the corpus ------------------------------------------------------------------
    def evaluate_sample(self, wait: bool = False) -> None:
        """Score A and B on a stratified sample of the documents the filters show, through the
        evaluation runner (its OCR cache and process pool), as ``medxtract report`` would."""
        chosen = [self._by_id[i] for i in self.document.options if self._by_id.get(i)]
        sample = stratified(chosen, self.sample_size.value)
        if not sample:
            self.sample.value = "No labelled documents to evaluate: pass a corpus folder."
            return
        bar = widget_bar(total=2 * len(sample), desc="A and B", unit="doc", display=False)
        self.eval_progress.children = [bar.container]
        self.sample.value = ""
        self.eval_thread = threading.Thread(target=self._evaluate, args=(sample, bar), daemon=True)
        self.eval_thread.start()
        if wait:
            self.eval_thread.join()

    def _evaluate(self, sample: list[LabeledDocument], bar: Any) -> None:
        try:
            a = evaluate(sample, replace(self.a, name="A"), bar=bar)
            b = evaluate(sample, replace(self.config, name="B"), bar=bar)
        except Exception as exc:  # noqa: BLE001 - shown in the widget, not raised in a thread
            self.sample.value = f"<b>Evaluation failed:</b> {type(exc).__name__}: {exc}"
            return
        finally:
            bar.close()
        keys = ["id", "field"]
        both = a.fields[[*keys, "expected", "got", "match"]].merge(
            b.fields[[*keys, "got", "match"]], on=keys, suffixes=("_a", "_b")
        )
        changed = both[both.got_a.fillna("\0") != both.got_b.fillna("\0")]
        rows = [
            {
                "id": r.id,
                "field": r.field,
                "expected": r.expected,
                "a": r.got_a,
                "b": r.got_b,
                "a_ok": r.match_a,
                "b_ok": r.match_b,
                "a_diff": diff_sides(r.expected, r.got_a)[2],
                "b_diff": diff_sides(r.expected, r.got_b)[2],
            }
            for r in changed.itertuples()
        ]
        sources = ", ".join(sorted({d.source.split(":")[-1] for d in sample}))
        self.sample.value = render(
            "tuner_sample.html.j2",
            a=a.summary(),
            b=b.summary(),
            changed=rows,
            better=int((changed.match_b & ~changed.match_a).sum()),
            worse=int((changed.match_a & ~changed.match_b).sum()),
            sources=sources,
        )

    # -- configurations ------------------------------------------------------------------------
    def export_config(self, path: str | Path) -> Path:
        """Write B for ``--config``."""
        save_config(self.config, path)
        return Path(path)

    def import_config(self, path: str | Path) -> None:
        """Load a configuration into B's controls."""
        config = load_config(path)
        self.base = replace(self.base, render=config.render, ocr=config.ocr)
        self._set_controls(config)
        self.redraw()

    def widget(self) -> w.Widget:
        picker = w.HBox([self.source_filter, self.type_filter, self.document, self.page])
        toggles = w.VBox(
            [w.VBox([box, self.step_params[name]]) for name, box in self.toggles.items()]
        )
        controls = w.HBox(
            [
                w.VBox(
                    [self.method, self.method_params, self.scale, self.engine, self.engine_options]
                ),
                toggles,
            ]
        )
        # The same size whatever the room; nothing inside may widen a column.
        half = w.Layout(width="49%", min_width="0", overflow="hidden")
        previews = w.HBox(
            [
                w.VBox([self.a_summary, self.preview_a], layout=half),
                w.VBox([self.b_summary, self.preview_b], layout=half),
            ],
            layout=w.Layout(justify_content="space-between"),
        )
        viewing = w.HBox([self.zoom, self.fit, self.zoom_field])
        actions = w.HBox([self.pin, self.run_button, self.run_progress, self.status])
        sample = w.VBox(
            [w.HBox([self.sample_size, self.evaluate_button, self.eval_progress]), self.sample]
        )
        return w.VBox([picker, controls, viewing, previews, actions, self.fields, sample])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())
