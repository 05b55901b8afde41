"""The versions that explain a result: package, OCR engines, poppler, Python. Read by the
report's provenance and the server's /health, so both say the same thing."""

from __future__ import annotations

import functools
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


def component_versions(engines: list[str] | None = None) -> dict[str, object]:
    """``{"medxtract_lab", "engines": {name: version}, "poppler", "python"}`` for the named
    engines (every registered one by default)."""
    return {
        "medxtract_lab": __version__,
        "engines": engine_versions(engines),
        "poppler": poppler_version(),
        "python": platform.python_version(),
    }
