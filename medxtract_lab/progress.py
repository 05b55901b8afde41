"""Progress bars that suit where their output goes.

Long jobs (``report``, ``tune``, ``synth``) take minutes; a person watching should see documents
per second and the time left. tqdm draws the bar; this module only picks its form:

- ``"notebook"``: tqdm's widget bar, for a person running a notebook in Jupyter;
- ``"terminal"``: a text bar on this process's own stderr, even from inside a Jupyter kernel
  (the report's kernel inherits the stderr of ``medxtract report``). When that stream is not a
  terminal (a CI log), the bar becomes one plain line every ``LOG_INTERVAL_S`` seconds instead
  of carriage-return redraws;
- ``"auto"``: notebook form in Jupyter, terminal form elsewhere;
- ``"off"``: nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import IO, Any

from tqdm import tqdm as text_tqdm
from tqdm.auto import tqdm as auto_tqdm

MODES = ("auto", "notebook", "terminal", "off")

# How often a progress line is logged when stderr is not a terminal: often enough to show a CI
# job is alive, rarely enough not to flood its log.
LOG_INTERVAL_S = 15.0


class _Lines:
    """A stream that turns tqdm's carriage-return redraws into whole lines, for logs."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "doc",
    mode: str = "auto",
) -> text_tqdm:
    """A tqdm bar in the form ``mode`` asks for (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"progress mode {mode!r}: choose from {MODES}")
    common: dict[str, Any] = {"total": total, "desc": desc, "unit": unit, "dynamic_ncols": True}
    if mode == "off":
        return text_tqdm(iterable, disable=True, **common)
    if mode == "notebook" or (mode == "auto" and _in_jupyter()):
        return auto_tqdm(iterable, **common)
    stream = sys.__stderr__ or sys.stderr
    if stream.isatty():
        return text_tqdm(iterable, file=stream, **common)
    return text_tqdm(
        iterable, file=_Lines(stream), mininterval=LOG_INTERVAL_S, ascii=True, **common
    )


def _in_jupyter() -> bool:
    """True inside a Jupyter kernel (where a widget bar can be drawn)."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None) if shell else None
    return bool(get and get() is not None and "IPKernelApp" in get().config)
