"""Many PDFs through ``extract``, in parallel, one record each: the batch ``medxtract extract``.

A bad file never stops the batch: its record carries the error's code and message instead of
fields. Documents run one per process (each reads its pages one at a time, as the evaluation
runner does), and the records come back in the order the files were given. Output is JSON
lines or CSV, written to a temporary file beside the target and renamed at the end, so an
interrupted batch leaves no half-written file.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import json
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any

from medxtract_lab.config import PipelineConfig
from medxtract_lab.doctypes import doc_type_names, get_doctype
from medxtract_lab.errors import DependencyMissing, MedXtractError
from medxtract_lab.progress import progress


def find_pdfs(paths: Iterable[str | Path]) -> list[Path]:
    """Each path given, and the PDFs under each folder given (sorted, recursively). A file is
    kept whatever its name, so that a missing or wrong file gets its own error record."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf")
        else:
            found.append(path)
    return found


def extract_record(path: Path, doc_type: str, config: PipelineConfig) -> dict[str, Any]:
    """One document's record: its result, or its error. Runs in a worker process."""
    from medxtract_lab.pipeline import extract

    try:
        result = extract(path, doc_type, config)
    except DependencyMissing:
        raise  # nothing in the batch can be read: stop it
    except MedXtractError as error:
        code, exit_code = error.code, error.exit_code
        return {"file": str(path), "error": code, "detail": str(error), "exit": exit_code}
    except Exception as error:  # noqa: BLE001 - one file's crash must not stop the batch
        detail = f"an unexpected {type(error).__name__} stopped this file; please report it."
        return {"file": str(path), "error": "internal", "detail": detail, "exit": 1}
    return {"file": str(path), "error": None, **result.to_dict()}


def run_batch(
    paths: Sequence[Path],
    doc_type: str,
    config: PipelineConfig,
    workers: int | None = None,
    progress_mode: str = "terminal",
    reader: Callable[[Path, str, PipelineConfig], dict[str, Any]] = extract_record,
) -> Iterator[dict[str, Any]]:
    """The records of ``paths`` (each made by ``reader``), in their order, with a progress bar
    on stderr."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(paths)))
    task_config = replace(config, workers=1)  # one page at a time in each process
    bar = progress(total=len(paths), desc="extracting", mode=progress_mode)
    try:
        if workers == 1:
            records = (reader(path, doc_type, task_config) for path in paths)
        else:
            records = _pooled(paths, doc_type, task_config, workers, reader)
        for record in records:
            yield record
            bar.update()
    finally:
        bar.close()


def _pooled(paths, doc_type, config, workers, reader) -> Iterator[dict[str, Any]]:  # noqa: ANN001
    """Records from a process pool, in order. A worker that dies (killed for memory, or a
    crash in native code) breaks the pool: every file not yet read is then read again in a
    process of its own, and a file that kills that one too is recorded as ``worker_died``."""
    context = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(workers, mp_context=context)
    try:
        futures = [pool.submit(reader, path, doc_type, config) for path in paths]
        for path, future in zip(paths, futures, strict=True):
            try:
                yield future.result()
            except BrokenProcessPool:
                yield _alone(path, doc_type, config, reader, context)
    finally:
        pool.shutdown(cancel_futures=True)


def _alone(path, doc_type, config, reader, context) -> dict[str, Any]:  # noqa: ANN001
    with cf.ProcessPoolExecutor(1, mp_context=context) as pool:
        try:
            return pool.submit(reader, path, doc_type, config).result()
        except BrokenProcessPool:
            detail = "the process reading this file stopped (out of memory, or a crash)."
            return {"file": str(path), "error": "worker_died", "detail": detail, "exit": 1}


def csv_columns(doc_type: str) -> list[str]:
    """The CSV header: the file, its status, then every field of the type (of every type for
    ``auto``), so a batch of mixed types shares one header."""
    types = doc_type_names() if doc_type == "auto" else [doc_type]
    fields: list[str] = []
    for name in types:
        fields += [f for f in get_doctype(name).field_names if f not in fields]
    return ["file", "error", "detail", "document_type", "pages", "warnings", *fields]


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a CSV row: fields as plain columns (multi-line values keep their lines)."""
    row = {k: record.get(k) for k in ("file", "error", "detail", "document_type", "pages")}
    row["warnings"] = " | ".join(record.get("warnings") or [])
    return {**row, **(record.get("fields") or {})}


def write_records(records: Iterable[dict[str, Any]], out: Path, doc_type: str) -> list[dict]:
    """Write ``records`` to ``out`` (.csv, else JSON lines) atomically; returns their summaries
    (file, error, exit) for the caller's count."""
    kind = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    summaries = []
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=out.parent, prefix=f".{out.name}.", delete=False
    ) as handle:
        try:
            writer = None
            if kind == ".csv":
                writer = csv.DictWriter(handle, csv_columns(doc_type), extrasaction="ignore")
                writer.writeheader()
            for record in records:
                summaries.append({k: record.get(k) for k in ("file", "error", "exit")})
                if writer is None:
                    handle.write(json_line(record))
                else:
                    writer.writerow(csv_row(record))
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
    os.replace(handle.name, out)
    return summaries


def json_line(record: dict[str, Any]) -> str:
    """A record as one JSON line (the exit code is the command's business, not the record's)."""
    return json.dumps({k: v for k, v in record.items() if k != "exit"}, ensure_ascii=False) + "\n"
