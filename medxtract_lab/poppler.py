"""poppler's programs run as bounded children: a memory cap, a wall clock from the document's
budget, and a kill when either runs out.

A PDF can make poppler's rasteriser take without bound: one filled path of 100 000 lines
across a letter page (22 KB) took pdftoppm to 18 GB in a minute. Each program therefore runs
with an address-space limit (``RLIMIT_AS``), set on it with ``prlimit`` as soon as it has
started; past it the allocation fails and poppler stops within seconds. pdf2image, which the
project used for rendering, starts its children itself and cannot set a limit, and ran
``pdfinfo`` before every page as well; a page is now one ``pdftoppm`` call writing to a pipe.
"""

from __future__ import annotations

import contextlib
import io
import math
import resource
import subprocess
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from medxtract_lab import budget
from medxtract_lab.errors import CorruptPdf, DependencyMissing

INSTALL = (
    "Install poppler: 'apt-get install poppler-utils' (Debian/Ubuntu), "
    "'conda install -c conda-forge poppler' or 'brew install poppler'."
)
# One program run, at most (the document's budget may leave less). Corpus pages render in
# under 0.4 s, and so does a 60-megapixel page of text (the largest the size guard passes).
TIMEOUT_S = 25
# Address space one poppler program may use. Rendering a corpus page takes 27 to 81 MB (a
# 12-megapixel camera page in colour is the most); a 60-megapixel page in colour, the largest
# the page-size guard lets through, took 243 MB.
MEMORY_BYTES = 768 * 1024 * 1024


# The poppler programs running now, for a stopping server to kill (``kill_running``).
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()


def kill_running() -> int:
    """Kill every poppler program this process is running; returns how many. Their callers
    then see a killed program and end with the document's budget (stopped by the server)."""
    with _running_lock:
        running = list(_running)
    for child in running:
        with contextlib.suppress(OSError):
            child.kill()
    return len(running)


class PopplerFailed(Exception):
    """The program ended with an error, ran out of memory, or was killed at its timeout."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.reason = reason


def run(program: str, args: list[str], stage: str) -> bytes:
    """Run a poppler ``program`` and return its standard output. Raises ``DependencyMissing``
    when it is not installed, ``DocumentTimeout`` when the document's budget is spent, and
    ``PopplerFailed`` when it fails, exceeds ``MEMORY_BYTES`` or its own timeout."""
    timeout = budget.time_left(stage, TIMEOUT_S)
    try:
        # stderr is dropped: a damaged file can make poppler print a line per operator.
        child = subprocess.Popen(
            [program, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except FileNotFoundError as exc:
        raise DependencyMissing(f"poppler's {program} was not found. {INSTALL}") from exc
    with child:
        _limit_memory(child.pid)
        with _running_lock:
            _running.add(child)
        try:
            stdout, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            child.kill()
            child.communicate()
            budget.check(stage)
            raise PopplerFailed(stage, f"still running after {timeout:.0f} s") from exc
        finally:
            with _running_lock:
                _running.discard(child)
    if child.returncode < 0:
        budget.check(stage)  # killed because the budget ended or the server is stopping
        limit = MEMORY_BYTES // 2**20
        raise PopplerFailed(
            stage, f"stopped by signal {-child.returncode}: over its {limit} MB cap, or it crashed"
        )
    if child.returncode != 0:
        raise PopplerFailed(stage, f"exit {child.returncode}")
    return stdout


def page_pixels(points: float, dpi: float) -> int:
    """How many pixels poppler makes of a page side ``points`` long at ``dpi``: rounded up (an
    A4 page, 595.28 pt wide, is 2481 px at 300 dpi), what is within a millionth of a whole
    pixel not counting as more."""
    return max(1, math.ceil(points * dpi / 72 - 1e-6))


def render(path: str | Path, page: int, dpi: int, grayscale: bool) -> np.ndarray:
    """Page ``page`` (1-based) rasterised by ``pdftoppm`` at ``dpi``, as uint8 pixels (2-D for
    grayscale, RGB otherwise). Raises ``CorruptPdf`` when poppler cannot render it."""
    args = ["-r", str(dpi), "-f", str(page), "-l", str(page)]
    args += ["-gray"] if grayscale else []
    stage = f"rendering page {page}"
    name = Path(path).name
    try:
        data = run("pdftoppm", [*args, str(path)], stage)
    except PopplerFailed as exc:
        raise CorruptPdf(
            f"Page {page} of {name} cannot be rendered ({exc.reason}). Re-export or re-scan it."
        ) from exc
    try:
        with Image.open(io.BytesIO(data), formats=["PPM"]) as image:
            return np.asarray(image.convert("L" if grayscale else "RGB"))
    except (OSError, ValueError) as exc:  # nothing rendered, or a cut-off picture
        raise CorruptPdf(f"Page {page} of {name} rendered to nothing; re-export it.") from exc


def _limit_memory(pid: int) -> None:
    """Cap a started child's address space (Linux). Set from here rather than in the child
    before it starts, which is unsafe with threads running; poppler has only loaded itself
    when the cap arrives, long before it draws. Elsewhere the budget's wall clock is the bound."""
    # No prlimit on this system, or the child has already ended: nothing to cap.
    with contextlib.suppress(AttributeError, OSError):
        resource.prlimit(pid, resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
