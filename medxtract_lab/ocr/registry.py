"""The OCR engines by name: the one list that config, tuning, the report and the API read.

Each entry says how to build the engine, whether it can run here (and what to install when it
cannot), which of its options the tuner may vary, and how to check its options in a config. The
registry owns one instance per engine, so loaded models are reused across documents. Engines of
other installed packages join through entry points, once the ``medxtract_lab.ocr`` package has
loaded (``medxtract_lab.plugins``).
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medxtract_lab.errors import ConfigError, DependencyMissing, MedXtractError
from medxtract_lab.ocr.tessdata import TESSERACT_INSTALL, tessdata_dir
from medxtract_lab.ocr.types import OcrEngine

if TYPE_CHECKING:
    from medxtract_lab.config import OcrSettings


def _no_checks(settings: OcrSettings, where: str) -> None:
    """An engine without options of its own beyond ``lang``."""


@dataclass(frozen=True)
class EngineSpec:
    name: str
    factory: Callable[[], OcrEngine]
    # None when the engine can run on this machine, else what to install.
    missing: Callable[[], str | None]
    check_options: Callable[[OcrSettings, str], None] = _no_checks
    # Options the tuner may vary, with the values it tries.
    tunable: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    doc: str = ""


_ENGINES: dict[str, EngineSpec] = {}
_INSTANCES: dict[str, OcrEngine] = {}
_LOCK = threading.Lock()


def register_engine(spec: EngineSpec) -> EngineSpec:
    """Add (or replace) an engine; its old instance, if any, is dropped."""
    with _LOCK:
        _ENGINES[spec.name] = spec
        _INSTANCES.pop(spec.name, None)
    return spec


def unregister_engine(name: str) -> None:
    with _LOCK:
        _ENGINES.pop(name, None)
        _INSTANCES.pop(name, None)


def engine_names() -> list[str]:
    return list(_ENGINES)


def engine_spec(name: str) -> EngineSpec:
    try:
        return _ENGINES[name]
    except KeyError:
        raise ConfigError(
            f"config.ocr.engine: unknown engine {name!r}; choose one of {engine_names()}."
        ) from None


def get_engine(name: str) -> OcrEngine:
    """The shared instance of an engine; DependencyMissing names what to install."""
    spec = engine_spec(name)
    with _LOCK:
        if name in _INSTANCES:
            return _INSTANCES[name]
    problem = spec.missing()
    if problem:
        raise DependencyMissing(f"The OCR engine {name!r} cannot run here. {problem}")
    with _LOCK:
        return _INSTANCES.setdefault(name, spec.factory())


def availability() -> dict[str, str | None]:
    """Each engine's install hint, or None when it can run here."""
    return {name: spec.missing() for name, spec in _ENGINES.items()}


def check_settings(settings: OcrSettings, where: str = "config.ocr") -> None:
    """Validate the OCR part of a config against the chosen engine's own rules."""
    engine_spec(settings.engine).check_options(settings, where)


def engine_versions(names: list[str] | None = None) -> dict[str, str]:
    """``{engine: version}`` for the named (else every available) engine, without failing."""
    versions = {}
    for name in names or engine_names():
        try:
            versions[name] = get_engine(name).version()
        except (MedXtractError, OSError, RuntimeError) as exc:
            versions[name] = f"unavailable ({type(exc).__name__})"
    return versions


# -- the Tesseract engines ---------------------------------------------------------------------
_LANG = re.compile(r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")


def _check_tesseract(settings: OcrSettings, where: str) -> None:
    if not isinstance(settings.lang, str) or not _LANG.match(settings.lang):
        raise ConfigError(f"{where}.lang must be language codes like 'eng' or 'eng+spa'.")
    if settings.psm is not None and settings.psm not in range(14):
        raise ConfigError(f"{where}.psm must be a Tesseract page segmentation mode, 0 to 13.")
    if settings.oem is not None and settings.oem not in range(4):
        raise ConfigError(f"{where}.oem must be a Tesseract engine mode, 0 to 3.")
    if settings.omp_threads is not None and settings.omp_threads < 1:
        raise ConfigError(f"{where}.omp_threads must be at least 1, or null for the default.")


def _tesserocr_missing() -> str | None:
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return "Install the Python package: 'pip install tesserocr'."
    try:
        tessdata_dir()
    except DependencyMissing as exc:
        return str(exc)
    return None


def _pytesseract_missing() -> str | None:
    return None if shutil.which("tesseract") else TESSERACT_INSTALL


def _tesserocr() -> OcrEngine:
    from medxtract_lab.ocr.tesserocr_engine import TesserocrEngine

    return TesserocrEngine()


def _pytesseract() -> OcrEngine:
    from medxtract_lab.ocr.pytesseract_engine import PytesseractEngine

    return PytesseractEngine()


_TESSERACT_TUNABLE = {"psm": (3, 4, 6)}

register_engine(
    EngineSpec(
        "tesserocr",
        _tesserocr,
        _tesserocr_missing,
        _check_tesseract,
        _TESSERACT_TUNABLE,
        "Tesseract's C++ API in-process; loaded models pooled across threads.",
    )
)
register_engine(
    EngineSpec(
        "pytesseract",
        _pytesseract,
        _pytesseract_missing,
        _check_tesseract,
        _TESSERACT_TUNABLE,
        "The tesseract program per page, as the original MedXtract ran it.",
    )
)
