"""On-disk cache of read pages, keyed by content: never by file name.

The key hashes the PDF bytes, the config fields that change rendering, preprocessing and OCR,
the OCR engine's version and the source of the code that reads pages (``reading_code``): an
edit to preprocessing re-reads every page, where a key on the package's version alone kept
serving the pages read before the edit (a `make report` or `make gate` of the old code). So do
the libraries that decode, render and clean pages (``versions.reading_libraries``) and the
Tesseract models a read loads (``tessdata.model_stamps``): an upgraded OpenCV or a new
``Latin.traineddata`` reads pages differently, and its results must not be mixed with cached
ones.
Field specs and normalisers are not in the key, so changing them re-runs only the (cheap)
extraction step.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from medxtract_lab import __version__
from medxtract_lab.config import PipelineConfig, get_preset
from medxtract_lab.ocr import Word
from medxtract_lab.ocr.tessdata import model_stamps
from medxtract_lab.records import Page, ReadDocument
from medxtract_lab.reread import FALLBACK
from medxtract_lab.versions import reading_libraries


def default_cache_dir() -> Path:
    """``$MEDXTRACT_CACHE_DIR``, else ``~/.cache/medxtract``: shared by the CLI and notebooks."""
    return Path(os.environ.get("MEDXTRACT_CACHE_DIR") or Path.home() / ".cache" / "medxtract")


# What a cached page holds; raised when it gains something a read must fill (2: ``frame``).
CACHE_FORMAT = 2
# The package's subpackages that only interpret pages already read (fields, document types,
# reports, learned layouts, widgets, the synthetic corpus): editing them keeps cached reads.
# Every other module counts as reading code, new ones included, so a module left off here
# costs a re-read, never a stale page.
NOT_READING = frozenset({"extraction", "doctypes", "evaluation", "learn", "widgets", "corpus"})


def code_digest(package: Path) -> str:
    """A digest of the Python source under ``package`` outside ``NOT_READING``: what can
    change the pages a read gives."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] in NOT_READING:
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def reading_code() -> str:
    """``code_digest`` of this installed package, once per process."""
    return code_digest(Path(__file__).resolve().parent.parent)


def models_read(config: PipelineConfig) -> tuple[str, ...]:
    """The Tesseract models a read with ``config`` may load: its languages, the fallback
    chain's, and orientation detection's."""
    fallback = get_preset(FALLBACK).ocr.lang
    return tuple(sorted({*config.ocr.lang.split("+"), *fallback.split("+"), "osd"}))


def cache_key(pdf_bytes: bytes, config: PipelineConfig, engine_version: str) -> str:
    digest = hashlib.sha256(pdf_bytes)
    digest.update(__version__.encode())  # a new release may read pages differently
    digest.update(reading_code().encode())  # and so may an edit between releases
    digest.update(reading_libraries().encode())  # or another OpenCV, poppler, ...
    digest.update(model_stamps(models_read(config)).encode())  # or another language model
    digest.update(f"format {CACHE_FORMAT}".encode())
    digest.update(json.dumps(config.ocr_relevant(), sort_keys=True).encode())
    # Cached re-reads went through the fallback chain too.
    digest.update(json.dumps(get_preset(FALLBACK).ocr_relevant(), sort_keys=True).encode())
    digest.update(engine_version.encode())
    return digest.hexdigest()


class OcrCache:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str) -> ReadDocument | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if any("size" not in p for p in data["pages"]):
            return None  # written before pages knew their size: read again
        pages = [_page(p) for p in data["pages"]]
        regions = {key: tuple(reading) for key, reading in data.get("regions", {}).items()}
        fallbacks = {key: _page(p) for key, p in data.get("fallback_pages", {}).items()}
        return ReadDocument(pages, data["warnings"], {}, regions, fallbacks)

    def put(self, key: str, read: ReadDocument) -> None:
        """Atomic write, so a crash or a parallel writer never leaves a broken entry."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "pages": [_page_data(p) for p in read.pages],
            "warnings": read.warnings,
            "regions": read.regions,
            "fallback_pages": {key: _page_data(p) for key, p in read.fallback_pages.items()},
        }
        handle, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _page_data(page: Page) -> dict:
    return {
        "number": page.number,
        "source": page.source,
        "text": page.text,
        "words": [asdict(w) for w in page.words],
        "size": list(page.size),
        "turns": page.turns,
        "frame": list(page.frame),
    }


def _page(data: dict) -> Page:
    words = tuple(Word(**{**w, "box": tuple(w["box"])}) for w in data["words"])
    return Page(
        data["number"],
        data["source"],
        data["text"],
        words,
        tuple(data["size"]),
        turns=data.get("turns", 0),
        frame=tuple(data.get("frame", ())),
    )
