"""ThresholdTuner: tune preprocessing by eye, then read the document with that configuration.

The controls come from the step registry in ``medxtract_lab.preprocess``, so a step added there
appears here without a change. Previews are computed on a downscaled copy of the page image the
pipeline reads, so a slider redraws fast; "Run OCR" runs the pipeline itself on the whole
document in a background thread, so the controls stay live and every page's fields are shown.
The configuration it exports is the same JSON/YAML that the CLI, the report and the API read.
"""

from __future__ import annotations

import html
import threading
from dataclasses import replace
from pathlib import Path

import cv2
import ipywidgets as w
import numpy as np

from medxtract_lab.config import PipelineConfig, Step, get_preset, load_config, save_config
from medxtract_lab.corpus.store import LabeledDocument
from medxtract_lab.doctypes import get_doctype
from medxtract_lab.evaluation.metrics import cer, field_match
from medxtract_lab.pages import page_image
from medxtract_lab.pipeline import extract
from medxtract_lab.preprocess import OPTIONAL_STEPS, STEPS, Param, apply_steps
from medxtract_lab.render import open_pdf

# Optional steps are on/off toggles; every other registered step is a "method".
TOGGLES = OPTIONAL_STEPS
PREVIEW_WIDTH = 700


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    return data.tobytes() if ok else b""


def _slider(name: str, param: Param, value: object) -> w.Widget:
    if param.choices:
        return w.Dropdown(options=list(param.choices), value=value, description=name)
    if param.odd:
        slider = w.IntSlider(
            value=int(value),
            min=int(param.low) | 1,
            max=int(param.high),
            step=2,
            description=name,
            continuous_update=False,
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
        )
    return w.FloatSlider(
        value=float(value),
        min=param.low,
        max=param.high,
        step=0.5,
        description=name,
        continuous_update=False,
    )


class ThresholdTuner:
    """Open a PDF (or a labelled corpus document) and tune the pipeline's steps on its pages."""

    def __init__(
        self,
        source: str | Path | LabeledDocument,
        doc_type: str | None = None,
        config: PipelineConfig | None = None,
    ) -> None:
        self.label = source if isinstance(source, LabeledDocument) else None
        self.path = Path(self.label.pdf_path if self.label else source)
        self.doc_type = doc_type or (self.label.doc_type if self.label else None)
        get_doctype(self.doc_type or "")  # a PDF needs its type named; the error lists them
        base = config or get_preset("default")
        self.base = base
        self.pdf = open_pdf(self.path, base.render)
        self.page = w.Dropdown(
            options=list(range(1, self.pdf.pages + 1)), value=1, description="page"
        )
        methods = [n for n in STEPS if n not in TOGGLES and n not in ("grayscale", "scale")]
        chosen = next((s for s in base.steps if s.name in methods), Step("none"))
        self.method = w.Dropdown(options=methods, value=chosen.name, description="method")
        self.scale = w.FloatSlider(
            value=1.0, min=0.5, max=3.0, step=0.25, description="scale", continuous_update=False
        )
        self.toggles = {
            name: w.Checkbox(value=any(s.name == name for s in base.steps), description=name)
            for name in TOGGLES
        }
        self.params = w.VBox()
        self.original = w.Image(format="png")
        self.processed = w.Image(format="png")
        self.run_button = w.Button(description="Run OCR", button_style="primary")
        self.status = w.HTML()
        self.text = w.Textarea(layout=w.Layout(width="100%", height="200px"))
        self.fields = w.HTML()
        self.ocr_thread: threading.Thread | None = None
        self._param_widgets: dict[str, w.Widget] = {}
        self._build_params(dict(chosen.params))
        self._load_page()
        self.page.observe(lambda _: (self._load_page(), self.redraw()), names="value")
        self.method.observe(lambda _: (self._build_params({}), self.redraw()), names="value")
        for control in (self.scale, *self.toggles.values()):
            control.observe(lambda _: self.redraw(), names="value")
        self.run_button.on_click(lambda _: self.run_ocr())
        self.redraw()

    # -- state --------------------------------------------------------------------------
    def _build_params(self, values: dict) -> None:
        spec = STEPS[self.method.value]
        self._param_widgets = {
            name: _slider(name, param, values.get(name, param.default))
            for name, param in spec.params.items()
        }
        for widget in self._param_widgets.values():
            widget.observe(lambda _: self.redraw(), names="value")
        self.params.children = list(self._param_widgets.values())

    def _load_page(self) -> None:
        number = self.page.value
        self.full = page_image(self.pdf, number, self.base.render)
        factor = min(1.0, PREVIEW_WIDTH / self.full.shape[1])
        self.small = cv2.resize(self.full, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        self.original.value = _png(self.small)

    @property
    def config(self) -> PipelineConfig:
        """The configuration the controls describe, ready for export or the pipeline."""
        steps = [Step("grayscale")]
        steps += [Step(name) for name, box in self.toggles.items() if box.value]
        if self.scale.value != 1.0:
            steps.append(Step("scale", {"factor": self.scale.value, "interpolation": "cubic"}))
        params = {name: widget.value for name, widget in self._param_widgets.items()}
        if self.method.value != "none":
            steps.append(Step(self.method.value, params))
        return replace(self.base, name="tuned", steps=tuple(steps))

    # -- actions --------------------------------------------------------------------------
    def redraw(self) -> None:
        """Re-render the processed preview from the downscaled page."""
        self.processed.value = _png(apply_steps(self.small, self.config.steps))

    def run_ocr(self, wait: bool = False) -> None:
        """Read the whole document through the pipeline with this config, off the UI thread."""
        self.status.value = "<i>running OCR…</i>"
        self.ocr_thread = threading.Thread(target=self._ocr, daemon=True)
        self.ocr_thread.start()
        if wait:
            self.ocr_thread.join()

    def _ocr(self) -> None:
        config = self.config
        # The point is to see what these steps do to OCR, so a text layer is not used.
        config = replace(config, render=replace(config.render, use_text_layer=False))
        try:
            result = extract(self.pdf.path, self.doc_type, config)
        except Exception as exc:  # noqa: BLE001 - shown in the widget, not raised in a thread
            self.status.value = f"<b>OCR failed:</b> {type(exc).__name__}: {exc}"
            return
        rows = []
        for name, got in result.fields.items():
            check = ""
            if self.label is not None:
                check = "✓" if field_match(self.label.fields.get(name), got) else "✗"
            rows.append(
                f"<tr><td>{name}</td><td>{html.escape(got) if got else '<i>null</i>'}</td>"
                f"<td>{result.confidence[name]:.2f}</td><td>{check}</td></tr>"
            )
        page_text = result.page_texts[self.page.value - 1]
        self.text.value = page_text
        self.fields.value = (
            "<table><tr><th>field</th><th>value</th><th>confidence</th>"
            "<th>vs label</th></tr>" + "".join(rows) + "</table>"
        )
        status = f"read {result.pages} page(s) in {result.timings_ms['total']:.0f} ms"
        if self.label is not None:
            reference = self.label.pages[self.page.value - 1]
            status += f"; page {self.page.value} CER {cer(reference, page_text).rate:.3f}"
        self.status.value = status

    def export_config(self, path: str | Path) -> Path:
        save_config(self.config, path)
        return Path(path)

    def import_config(self, path: str | Path) -> None:
        config = load_config(path)
        self.base = replace(self.base, render=config.render, ocr=config.ocr)
        names = {s.name for s in config.steps}
        for name, box in self.toggles.items():
            box.value = name in names
        scale = next((s for s in config.steps if s.name == "scale"), None)
        self.scale.value = scale.params.get("factor", 1.0) if scale else 1.0
        method = next((s for s in config.steps if s.name in self.method.options), Step("none"))
        self.method.value = method.name
        self._build_params(dict(method.params))
        self.redraw()

    def widget(self) -> w.Widget:
        side_by_side = w.HBox(
            [
                w.VBox([w.HTML("<b>original</b>"), self.original]),
                w.VBox([w.HTML("<b>processed</b>"), self.processed]),
            ]
        )
        controls = w.VBox(
            [
                self.page,
                self.method,
                self.params,
                self.scale,
                w.HBox(list(self.toggles.values()), layout=w.Layout(flex_flow="row wrap")),
                self.run_button,
                self.status,
            ]
        )
        return w.VBox([controls, side_by_side, self.fields, self.text])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())
