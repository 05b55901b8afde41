"""The versions that explain a result: package, OCR engines, poppler, Python. Read by the
report's provenance and the server's /health, so both say the same thing."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import subprocess

from medxtract_lab import __version__
from medxtract_lab.ocr import engine_versions


@functools.cache
def poppler_version() -> str:
    try:
        probe = subprocess.run(["pdftoppm", "-v"], capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    lines = (probe.stderr or probe.stdout).strip().splitlines()
    return lines[0] if lines else "unknown"


@functools.cache
def reading_libraries() -> str:
    """The versions of the libraries besides the OCR engine whose output a read depends on
    (JPEG decoding, PDF parsing, rendering, the text layer, every preprocessing step), once
    per process: the loaded modules' own, whichever package installed them; pdfium's from its
    package, so as not to load it here. The OCR cache's key holds them."""
    import cv2
    import numpy
    import pikepdf
    import simplejpeg

    try:
        pdfium = importlib.metadata.version("pypdfium2")
    except importlib.metadata.PackageNotFoundError:
        pdfium = "not installed"
    return (
        f"opencv {cv2.__version__}; numpy {numpy.__version__}; simplejpeg "
        f"{simplejpeg.__version__}; pikepdf {pikepdf.__version__}; pypdfium2 {pdfium}; "
        f"poppler {poppler_version()}"
    )


def component_versions(engines: list[str] | None = None) -> dict[str, object]:
    """``{"medxtract_lab", "engines": {name: version}, "poppler", "python"}`` for the named
    engines (every registered one by default)."""
    return {
        "medxtract_lab": __version__,
        "engines": engine_versions(engines),
        "poppler": poppler_version(),
        "python": platform.python_version(),
    }
