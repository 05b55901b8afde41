"""OCR engines behind one small interface, and the registry that names them."""

from medxtract_lab.ocr.registry import (
    EngineSpec,
    availability,
    check_settings,
    engine_names,
    engine_spec,
    engine_versions,
    get_engine,
    register_engine,
    unregister_engine,
)
from medxtract_lab.ocr.types import (
    LineReader,
    OcrEngine,
    OcrResult,
    OrientationReader,
    Word,
    detects_orientation,
    locate_words,
    reads_lines,
    words_in,
)
from medxtract_lab.plugins import ENGINES_GROUP, load_entry_points

__all__ = [
    "OrientationReader",
    "detects_orientation",
    "EngineSpec",
    "LineReader",
    "OcrEngine",
    "OcrResult",
    "Word",
    "availability",
    "check_settings",
    "engine_names",
    "engine_spec",
    "engine_versions",
    "get_engine",
    "locate_words",
    "reads_lines",
    "register_engine",
    "unregister_engine",
    "words_in",
]

# Last, so a plug-in can import anything above from ``medxtract_lab.ocr``.
load_entry_points(ENGINES_GROUP, register_engine)
