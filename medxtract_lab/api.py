"""The FastAPI extraction server.

Uploads are medical documents: each request works in its own temporary directory, removed when
the response is ready, and nothing from a document (text or field values) is ever logged, only
sizes, timings and error codes. A stopping server gives requests in flight
``shutdown_grace_s`` to finish (uvicorn cancels them after that, and their folders go with
them), then ends every document's time budget and kills the poppler programs still running,
so nothing outlives it. Errors and their documentation live in ``api_errors.py``, the
response models in ``api_models.py``. /docs and /redoc are served from the Swagger UI and ReDoc
files that fastapi-offline ships, so they work with no network.
"""

import asyncio
import concurrent.futures as cf
import contextlib
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from fastapi import FastAPI, File, Form, UploadFile
from fastapi.middleware.cors import CORSMiddleware

from medxtract_lab import __version__, budget, errors, poppler
from medxtract_lab.api_docs import offline_app
from medxtract_lab.api_errors import (
    Busy,
    documented_errors,
    error_response,
    install_handlers,
    too_large,
)
from medxtract_lab.api_log import install_request_log, note
from medxtract_lab.api_models import (
    SAMPLE_EXTRACTION,
    SAMPLE_FIELDS,
    ExtractionBody,
    FlatFields,
    choices,
    example,
)
from medxtract_lab.config import PRESETS, PipelineConfig, get_preset
from medxtract_lab.doctypes import DOC_TYPES, doc_type_names
from medxtract_lab.doctypes.detect import AUTO
from medxtract_lab.pipeline import extract
from medxtract_lab.records import Extraction
from medxtract_lab.uploads import upload_name
from medxtract_lab.versions import component_versions

log = logging.getLogger("medxtract.api")
_MIN_START_S = 1.0  # a document with less of its budget left is not started


@dataclass(frozen=True)
class ServiceSettings:
    """Limits, each set by an environment variable (documented in the README)."""

    max_upload_bytes: int = 20 * 1024 * 1024  # MEDXTRACT_MAX_UPLOAD_MB
    max_pages: int = 20  # MEDXTRACT_MAX_PAGES
    max_page_pixels: int = 60_000_000  # MEDXTRACT_MAX_PAGE_PIXELS
    page_timeout_s: float = 60.0  # MEDXTRACT_PAGE_TIMEOUT_S
    # MEDXTRACT_DOC_TIMEOUT_S: one document, every stage together; past it, 504.
    doc_timeout_s: float = 120.0
    workers: int = os.cpu_count() or 1  # MEDXTRACT_WORKERS: documents extracted at once
    queue: int = 8  # MEDXTRACT_QUEUE: requests waiting beyond those; more get 503
    presets: tuple[str, ...] = ("default", "seed")  # MEDXTRACT_PRESETS: the allow-list
    cors_origins: tuple[str, ...] = ()  # MEDXTRACT_CORS_ORIGINS: comma-separated; none = off
    # MEDXTRACT_SHUTDOWN_GRACE_S: how long a stopping server lets requests in flight finish.
    shutdown_grace_s: float = 10.0

    @classmethod
    def from_env(cls) -> Self:
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
            doc_timeout_s=float(env.get("MEDXTRACT_DOC_TIMEOUT_S", base.doc_timeout_s)),
            workers=int(env.get("MEDXTRACT_WORKERS", base.workers)),
            queue=int(env.get("MEDXTRACT_QUEUE", base.queue)),
            presets=split("MEDXTRACT_PRESETS", base.presets),
            cors_origins=split("MEDXTRACT_CORS_ORIGINS", ()),
            shutdown_grace_s=float(env.get("MEDXTRACT_SHUTDOWN_GRACE_S", base.shutdown_grace_s)),
        )


class _TooLarge(Exception):
    pass


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
        answer = error_response(too_large(self.limit))

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
            log.info("rejected an upload over %.0f MB", self.limit / 1024 / 1024)
            if not state["answered"]:
                await answer(scope, receive, send)


DESCRIPTION = """Structured fields from medical PDFs (prescriptions, patient records).

Send the PDF as multipart form data with its document type. To try it here, upload the bundled
sample `medxtract_lab/samples/prescription.pdf` (synthetic data) as a `prescription`.
Every error is JSON `{"error": code, "detail": what to do}`."""


def _allowed_presets(settings: ServiceSettings) -> list[str]:
    """The preset allow-list, checked once at start-up: a misspelt name fails here, not on the
    first request that asks for it."""
    unknown = [name for name in settings.presets if name not in PRESETS]
    if unknown or not settings.presets:
        raise errors.ConfigError(
            f"MEDXTRACT_PRESETS names {unknown or 'no preset'}; choose from {sorted(PRESETS)}."
        )
    return list(settings.presets)


def _extract_in_budget(
    path: Path, doc_type: str, config: PipelineConfig, accepted: float
) -> Extraction:
    """``extract`` within a budget counted from when the request arrived: time spent waiting
    for a worker is taken from it, so ten slow files hold the queue for one budget, not one
    budget each in turn."""
    budget_s = config.render.doc_timeout_s
    waited = time.monotonic() - accepted
    if budget_s - waited < _MIN_START_S:
        raise errors.DocumentTimeout(
            f"The document waited {waited:.0f} s for a worker, nearly all of its "
            f"{budget_s:g} s budget. Send it again when the server is less busy, or raise "
            "MEDXTRACT_DOC_TIMEOUT_S or MEDXTRACT_WORKERS."
        )
    token = budget.begin(budget_s, since=accepted)
    try:
        return extract(path, doc_type, config)
    finally:
        budget.end(token)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The server, with ``settings`` or those of the environment. The form's choices are read
    from the registries here, once: a type registered later needs a new app."""
    settings = settings or ServiceSettings.from_env()
    presets = _allowed_presets(settings)
    type_names = doc_type_names()  # read now, so a plugin's type is one of the form's choices
    form_types = [*type_names, AUTO]  # auto: the type whose labels the pages print
    DocumentType = choices("DocumentType", form_types)
    Preset = choices("Preset", presets)
    default_preset = Preset("default" if "default" in presets else presets[0])
    pools: list[cf.ThreadPoolExecutor] = []  # made on first use; a stopped app makes another

    def pool() -> cf.ThreadPoolExecutor:
        if not pools:
            pools.append(cf.ThreadPoolExecutor(settings.workers, "medxtract-request"))
        return pools[0]

    slots = {"busy": 0}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # uvicorn has waited shutdown_grace_s and cancelled what was left (see the docstring).
        if pools:
            pools.pop().shutdown(wait=False, cancel_futures=True)
        stopped = budget.stop_all()  # documents whose threads still run
        if stopped:
            killed = poppler.kill_running()
            log.info("stopping: %d document(s) cut short, %d process(es) killed", stopped, killed)

    app = offline_app(
        title="MedXtract", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.add_middleware(UploadLimit, limit=settings.max_upload_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    install_handlers(app, {"file_format": form_types, "preset": presets})
    install_request_log(app)  # added last: the outermost, so it sees every answer
    capacity = settings.workers + settings.queue
    versions: dict[str, object] = {}

    async def run(file: UploadFile, doc_type: StrEnum, preset: StrEnum) -> Extraction:
        config = get_preset(preset.value)
        config = replace(
            config,
            render=replace(
                config.render,
                max_pages=settings.max_pages,
                max_page_pixels=settings.max_page_pixels,
                doc_timeout_s=settings.doc_timeout_s,
            ),
            ocr=replace(config.ocr, page_timeout_s=settings.page_timeout_s),
            workers=1,
        )
        if slots["busy"] >= capacity:
            raise Busy
        slots["busy"] += 1
        accepted = time.monotonic()
        started = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="medxtract-") as folder:
                path = Path(folder) / upload_name(file.filename)
                size = 0
                with path.open("wb") as out:
                    while chunk := await file.read(1024 * 1024):
                        size += len(chunk)
                        out.write(chunk)
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(
                    pool(), _extract_in_budget, path, doc_type.value, config, accepted
                )
        finally:
            slots["busy"] -= 1
            await file.close()
        note(
            doc_type=doc_type.value,
            pdf_bytes=size,
            pages=result.pages,
            timings_ms=result.timings_ms,
            extract_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return result

    upload = File(description="The PDF: born-digital, scanned or photographed.")
    # Swagger UI's "Try it out" starts on the type of the bundled sample the description names.
    sample_type = "prescription" if "prescription" in type_names else type_names[0]
    document_type = Form(
        description="The document type; GET /v1/doc-types lists its fields.",
        examples=[sample_type],
    )

    @app.post(
        "/extract_from_doc",
        summary="Extract fields (the original flat JSON)",
        response_model=FlatFields,
        responses={
            **example("Every field of the type, null when it was not found.", SAMPLE_FIELDS),
            **documented_errors(settings.max_upload_bytes, {"file_format": form_types}),
        },
    )
    async def extract_from_doc(
        file: Annotated[UploadFile, upload], file_format: Annotated[DocumentType, document_type]
    ) -> dict[str, str | None]:
        return (await run(file, file_format, default_preset)).fields

    @app.post(
        "/v1/extract",
        summary="Extract fields with confidence, pages, timings and locations",
        response_model=ExtractionBody,
        responses={
            **example(
                "The fields with their confidence, pages, timings and locations.", SAMPLE_EXTRACTION
            ),
            **documented_errors(
                settings.max_upload_bytes, {"file_format": form_types, "preset": presets}
            ),
        },
    )
    async def extract_v1(
        file: Annotated[UploadFile, upload],
        file_format: Annotated[DocumentType, document_type],
        preset: Annotated[Preset, Form(description="A preset from the server's allow-list.")] = (
            default_preset
        ),
    ) -> dict[str, Any]:
        return (await run(file, file_format, preset)).to_dict()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        if not versions:
            engines = sorted({PRESETS[name].ocr.engine for name in presets})
            versions.update(component_versions(engines))
        return {"status": "ok", **versions}

    @app.get("/v1/doc-types")
    async def doc_types() -> dict[str, list[str]]:
        return {name: DOC_TYPES[name].field_names for name in doc_type_names()}

    return app
