"""``medxtract report``: run the report notebook with papermill and export it.

The notebook ships inside the package (``report.ipynb`` beside this module), so an installed
``medxtract`` can run it. Writes ``evaluation.ipynb`` (executed, kept even when a cell fails),
``evaluation.html`` (inputs hidden, images embedded, so it opens offline) and, from the notebook,
``metrics.json``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter

from medxtract_lab.errors import LabelError, ReportError


@contextlib.contextmanager
def report_template() -> Iterator[Path]:
    """The packaged report notebook as a file on disk, for papermill."""
    with resources.as_file(resources.files(__package__) / "report.ipynb") as path:
        yield path


def notebook_parameters() -> dict[str, dict[str, Any]]:
    """The names, types and defaults of the notebook's tagged ``parameters`` cell."""
    with report_template() as template:
        return papermill.inspect_notebook(str(template))


def _provenance_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The parameters papermill recorded in the executed notebook, read back from it."""
    used = nb.metadata.get("papermill", {}).get("parameters", {})
    lines = [
        "## Run parameters (read back from the papermill metadata)",
        "",
        "| parameter | value |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | `{json.dumps(v)}` |" for k, v in used.items()]
    return nbformat.v4.new_markdown_cell("\n".join(lines))


_REMOTE_SCRIPT = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>', re.I)


# An inline script that would import code from the network (the template's mermaid loader).
_REMOTE_IMPORT = re.compile(
    r"<script[^>]*>(?:(?!</script>).)*?https?://[^\"'\s]+\.m?js(?:(?!</script>).)*?</script>",
    re.I | re.S,
)


def offline(html: str) -> str:
    """Drop the template's CDN scripts (require.js, MathJax, the mermaid loader): the report
    uses none of them, and a report about medical documents should open without contacting
    anyone."""
    return _REMOTE_IMPORT.sub("", _REMOTE_SCRIPT.sub("", html))


class _IpcKernelManager(AsyncKernelManager):
    """The report's kernel talks over local sockets, not TCP ports on localhost: no other
    process on the machine can reach the kernel that holds the documents' text, and ipykernel
    has no reason to warn that the connection is unencrypted.

    The kernel also leaves its file descriptors alone, so what it writes to its own stderr
    (the progress bars) reaches the terminal of ``medxtract report`` and not the report."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if os.name == "posix":
            self.transport = "ipc"

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        return [*command, "--IPKernelApp.capture_fd_output=False"]


_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def without_widgets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without widget state or views (the progress bar of the run): with them, the
    HTML template loads the widget manager from a CDN, and a bar tells a reader of the
    finished report nothing (its plain-text form still says 0%)."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if _WIDGET_VIEW not in o.get("data", {})]
    return nb


def run_report(out: str | Path, parameters: dict[str, Any]) -> Path:
    """Execute the report notebook into ``out``; raise ``ReportError`` naming a failed cell."""
    unknown = sorted(set(parameters) - set(notebook_parameters()))
    if unknown:
        raise ReportError(
            f"the report notebook has no parameter(s) {unknown}; its parameters cell takes "
            f"{sorted(notebook_parameters())}."
        )
    corpus = Path(parameters["corpus_dir"]).resolve()  # the notebook runs in ``out``
    if not corpus.is_dir():
        raise LabelError(
            f"Corpus folder {parameters['corpus_dir']} does not exist; pass --corpus with the "
            "folder of labelled documents (e.g. ground_truth)."
        )
    parameters = {**parameters, "corpus_dir": str(corpus)}
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    executed = out / "evaluation.ipynb"
    try:
        with report_template() as template:
            papermill.execute_notebook(
                str(template),
                str(executed),
                # The kernel inherits this process's stderr: its progress bars show here.
                parameters={"progress": "terminal", **parameters, "out_dir": str(out)},
                kernel_name="python3",
                progress_bar=False,
                cwd=str(out),
                kernel_manager_class=_IpcKernelManager,
            )
    except papermill.PapermillExecutionError as failure:
        raise ReportError(
            f"the report notebook failed in cell {failure.exec_count} "
            f"({failure.ename}: {failure.evalue}). The partial notebook is saved at {executed}."
        ) from None
    nb = nbformat.read(executed, as_version=4)
    nb.cells.append(_provenance_cell(nb))
    nbformat.write(nb, executed)
    body, _ = HTMLExporter(exclude_input=True, embed_images=True).from_notebook_node(
        without_widgets(nb)
    )
    html = out / "evaluation.html"
    html.write_text(offline(body), encoding="utf-8")
    return html
