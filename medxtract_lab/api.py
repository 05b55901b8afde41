"""The FastAPI extraction server.

Uploads are medical documents: each request works in its own temporary directory, removed when
the response is ready, and nothing from a document (text or field values) is ever logged, only
sizes, timings and error codes. A typed error carries its own HTTP status (``errors.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from medxtract_lab import __version__, errors
from medxtract_lab.config import PRESETS, get_preset
from medxtract_lab.doctypes import DOC_TYPES, doc_type_names, get_doctype
from medxtract_lab.pipeline import extract
from medxtract_lab.versions import component_versions

log = logging.getLogger("medxtract.api")


@dataclass(frozen=True)
class ServiceSettings:
    """Limits, each set by an environment variable (documented in the README)."""

    max_upload_bytes: int = 20 * 1024 * 1024  # MEDXTRACT_MAX_UPLOAD_MB
    max_pages: int = 20  # MEDXTRACT_MAX_PAGES
    max_page_pixels: int = 60_000_000  # MEDXTRACT_MAX_PAGE_PIXELS
    page_timeout_s: float = 60.0  # MEDXTRACT_PAGE_TIMEOUT_S
    workers: int = os.cpu_count() or 1  # MEDXTRACT_WORKERS: documents extracted at once
    queue: int = 8  # MEDXTRACT_QUEUE: requests waiting beyond those; more get 503
    presets: tuple[str, ...] = ("default", "seed")  # MEDXTRACT_PRESETS: the allow-list
    cors_origins: tuple[str, ...] = ()  # MEDXTRACT_CORS_ORIGINS: comma-separated; none = off

    @classmethod
    def from_env(cls) -> ServiceSettings:
        env = os.environ
        base = cls()

        def split(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            raw = env.get(name)
            return tuple(p.strip() for p in raw.split(",") if p.strip()) if raw else default

        return cls(
            max_upload_bytes=int(float(env.get("MEDXTRACT_MAX_UPLOAD_MB", 20)) * 1024 * 1024),
            max_pages=int(env.get("MEDXTRACT_MAX_PAGES", base.max_pages)),
            max_page_pixels=int(env.get("MEDXTRACT_MAX_PAGE_PIXELS", base.max_page_pixels)),
            page_timeout_s=float(env.get("MEDXTRACT_PAGE_TIMEOUT_S", base.page_timeout_s)),
            workers=int(env.get("MEDXTRACT_WORKERS", base.workers)),
            queue=int(env.get("MEDXTRACT_QUEUE", base.queue)),
            presets=split("MEDXTRACT_PRESETS", base.presets),
            cors_origins=split("MEDXTRACT_CORS_ORIGINS", ()),
        )


class _TooLarge(Exception):
    pass


class Busy(Exception):
    """Every worker and queue slot is taken."""


class UploadLimit:
    """ASGI middleware counting body bytes as they stream in (Content-Length is not trusted)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        state = {"too_large": False, "answered": False}
        megabytes = self.limit / 1024 / 1024
        answer = _error(
            413,
            "upload_too_large",
            f"The upload is larger than {megabytes:.0f} MB. Send a smaller PDF or raise "
            "MEDXTRACT_MAX_UPLOAD_MB.",
        )

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    state["too_large"] = True
                    raise _TooLarge
            return message

        async def guarded(message: dict) -> None:
            # The form parser turns our exception into its own 400; answer 413 instead.
            if not state["too_large"]:
                await send(message)
            elif not state["answered"]:
                state["answered"] = True
                await answer(scope, receive, send)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counted, guarded)
        if state["too_large"]:
            log.info("rejected an upload over %.0f MB", megabytes)
            if not state["answered"]:
                await answer(scope, receive, send)


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings.from_env()
    app = FastAPI(
        title="MedXtract", version=__version__, description="Structured fields from medical PDFs."
    )
    app.add_middleware(UploadLimit, limit=settings.max_upload_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    pool = cf.ThreadPoolExecutor(settings.workers, thread_name_prefix="medxtract-request")
    slots = {"busy": 0}
    capacity = settings.workers + settings.queue
    versions: dict[str, object] = {}

    @app.exception_handler(errors.MedXtractError)
    async def engine_error(request: Request, error: errors.MedXtractError) -> JSONResponse:
        log.info("%s %s -> %d %s", request.method, request.url.path, error.http_status, error.code)
        return _error(error.http_status, error.code, str(error))

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, error: RequestValidationError) -> JSONResponse:
        missing = sorted({str(e["loc"][-1]) for e in error.errors()})
        return _error(
            422,
            "bad_request",
            f"Missing or invalid form field(s) {missing}: send multipart form data "
            "with 'file' (the PDF) and 'file_format' (the document type).",
        )

    async def run(file: UploadFile, doc_type: str, preset: str | None):
        get_doctype(doc_type)
        name = preset or "default"
        if name not in settings.presets:
            raise errors.ConfigError(
                f"Preset {name!r} is not allowed here; choose one of {list(settings.presets)}."
            )
        config = get_preset(name)
        config = replace(
            config,
            render=replace(
                config.render,
                max_pages=settings.max_pages,
                max_page_pixels=settings.max_page_pixels,
            ),
            ocr=replace(config.ocr, page_timeout_s=settings.page_timeout_s),
            workers=1,
        )
        if slots["busy"] >= capacity:
            raise Busy
        slots["busy"] += 1
        started = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="medxtract-") as folder:
                path = Path(folder) / "upload.pdf"
                size = 0
                with path.open("wb") as out:
                    while chunk := await file.read(1024 * 1024):
                        size += len(chunk)
                        out.write(chunk)
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(pool, extract, path, doc_type, config)
        finally:
            slots["busy"] -= 1
            await file.close()
        log.info(
            "extracted %s: %d bytes, %d page(s) in %.0f ms",
            doc_type,
            size,
            result.pages,
            (time.perf_counter() - started) * 1000,
        )
        return result

    @app.exception_handler(Busy)
    async def busy(request: Request, error: Exception) -> JSONResponse:
        return _error(503, "busy", "The server is at capacity; retry in a few seconds.")

    @app.post("/extract_from_doc", summary="Extract fields (the original flat JSON)")
    async def extract_from_doc(
        file: Annotated[UploadFile, File()], file_format: Annotated[str, Form()]
    ) -> dict[str, str | None]:
        return (await run(file, file_format, None)).fields

    @app.post("/v1/extract", summary="Extract fields with confidence, pages and timings")
    async def extract_v1(
        file: Annotated[UploadFile, File()],
        file_format: Annotated[str, Form()],
        preset: Annotated[str | None, Form()] = None,
    ) -> dict[str, Any]:
        return (await run(file, file_format, preset)).to_dict()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        if not versions:
            engines = sorted({PRESETS[n].ocr.engine for n in settings.presets if n in PRESETS})
            versions.update(component_versions(engines))
        return {"status": "ok", **versions}

    @app.get("/v1/doc-types")
    async def doc_types() -> dict[str, list[str]]:
        return {name: DOC_TYPES[name].field_names for name in doc_type_names()}

    return app
