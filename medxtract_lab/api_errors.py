"""Every error the server answers, as JSON ``{"error": code, "detail": what to do}``, and the
OpenAPI description of each.

A typed engine error carries its own HTTP status (``errors.py``); the few the HTTP edge adds
(upload too large, busy, a form that does not validate, a body that cannot be parsed) are made
here too, beside the documented examples, so what the server says and what its documentation
promises cannot drift apart. Nothing from a document is logged, only paths and error codes.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from medxtract_lab import errors
from medxtract_lab.api_models import ErrorBody

log = logging.getLogger("medxtract.api")

BUSY_DETAIL = "The server is at capacity; retry in a few seconds."
# Seconds a 503 asks the client to wait before retrying (about two documents' time).
RETRY_AFTER_S = 5
# Characters of a refused value echoed back in the error detail.
ECHO_CHARS = 40

# The header every error answer carries its code in.
ERROR_CODE_HEADER = "X-Error-Code"

# (HTTP status, error code, detail): one answer, before it becomes a response or an example.
Answer = tuple[int, str, str]


class Busy(Exception):
    """Every worker and queue slot is taken."""


def error_response(answer: Answer, headers: dict[str, str] | None = None) -> JSONResponse:
    """The answer as JSON; its code also in a header, for the request log (and clients)."""
    status, code, detail = answer
    headers = {**(headers or {}), ERROR_CODE_HEADER: code}
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def _typed(error: errors.MedXtractError) -> Answer:
    return error.http_status, error.code, str(error)


def too_large(limit_bytes: int) -> Answer:
    megabytes = limit_bytes / 1024 / 1024
    return (
        413,
        "upload_too_large",
        f"The upload is larger than {megabytes:.0f} MB. Send a smaller PDF or raise "
        "MEDXTRACT_MAX_UPLOAD_MB.",
    )


def _bad_form(fields: list[str]) -> Answer:
    return (
        422,
        "bad_request",
        f"Missing or invalid form field(s) {fields}: send multipart form data "
        "with 'file' (the PDF) and 'file_format' (the document type).",
    )


def _not_offered(field: str, value: object, choices: dict[str, list[str]]) -> Answer:
    """An unknown type or preset keeps the code it had before the form was typed. The value is
    echoed cut to a short prefix: a client never gets its whole input sent back."""
    value = _prefix(value)
    if field == "file_format":
        return _typed(
            errors.UnknownDocType(
                f"Unknown document type {value!r}; choose one of {choices[field]}."
            )
        )
    return _typed(
        errors.ConfigError(f"Preset {value!r} is not allowed here; choose one of {choices[field]}.")
    )


def _prefix(value: object) -> str:
    text = str(value)
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "…"


def _form_error(problems: list[dict[str, Any]], choices: dict[str, list[str]]) -> Answer:
    """The answer to a form that does not validate: a value outside a field's choices is named
    as such, anything else (a missing file, a wrong type) lists the fields at fault."""
    if all(p["type"] == "enum" and p["loc"][-1] in choices for p in problems):
        return _not_offered(str(problems[0]["loc"][-1]), problems[0]["input"], choices)
    return _bad_form(sorted({str(p["loc"][-1]) for p in problems}))


def install_handlers(app: FastAPI, choices: dict[str, list[str]]) -> None:
    """Answer every failure as ``{error, detail}``; ``choices`` are the form's enum values."""

    @app.exception_handler(errors.MedXtractError)
    async def engine_error(request: Request, error: errors.MedXtractError) -> JSONResponse:
        log.info("%s %s -> %d %s", request.method, request.url.path, error.http_status, error.code)
        return error_response(_typed(error))

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(_form_error(list(error.errors()), choices))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        # A body the form parser cannot read (400), an unknown path (404) or method (405).
        code = HTTPStatus(error.status_code).phrase.lower().replace(" ", "_")
        return error_response((error.status_code, code, str(error.detail)), error.headers)

    @app.exception_handler(Busy)
    async def busy(request: Request, error: Busy) -> JSONResponse:
        # A document takes seconds: asking again after a few gives the queue time to move.
        return error_response((503, "busy", BUSY_DETAIL), {"Retry-After": str(RETRY_AFTER_S)})


def _examples(max_upload_bytes: int, choices: dict[str, list[str]]) -> list[Answer]:
    """One example of each error an extraction endpoint can answer."""
    wrong = {"file_format": "invoice", "preset": "fast"}
    unknown = [_not_offered(field, wrong[field], choices) for field in choices]
    return [
        (400, "bad_request", "Missing boundary in multipart."),
        too_large(max_upload_bytes),
        _typed(
            errors.NotAPdf(
                "upload.pdf is not a PDF (no %PDF- header). Convert the document to PDF first."
            )
        ),
        _bad_form(["file"]),
        *unknown,
        _typed(
            errors.EmptyFile("upload.pdf is empty. Upload the PDF again; the file has no content.")
        ),
        _typed(
            errors.CorruptPdf(
                "upload.pdf is damaged and cannot be read as a PDF. Re-export or re-scan it."
            )
        ),
        _typed(
            errors.EncryptedPdf(
                "upload.pdf is encrypted with a password. Remove the password "
                "(e.g. 'qpdf --decrypt') and try again."
            )
        ),
        _typed(
            errors.TooManyPages(
                "upload.pdf has 31 pages; the limit is 20. "
                "Split the document or raise max_pages in the config."
            )
        ),
        _typed(
            errors.PageTooLarge(
                "Page 1 of upload.pdf measures 20000x20000 pt, 7716 megapixels at 300 dpi; "
                "the limit is 60. Send pages of a normal paper size."
            )
        ),
        _typed(
            errors.NoisePage(
                "Page 1 of upload.pdf looks like noise, not text (52046 separate specks of ink; "
                "a page of text has under 40000). Scan or photograph the page again, in focus "
                "and with enough light."
            )
        ),
        _typed(
            errors.PageTooComplex(
                "Page 1 of upload.pdf draws more than 32 MB of content (a compressed stream "
                "that inflates without bound, or forms drawn inside forms). Print it to PDF or "
                "scan it again; raise render.max_drawing_bytes if it is genuine."
            )
        ),
        _typed(
            errors.OcrError(
                "The OCR engine failed on page 1 (RuntimeError). "
                "Check the installation of the 'tesserocr' engine."
            )
        ),
        (503, "busy", BUSY_DETAIL),
        _typed(
            errors.DependencyMissing(
                "poppler's pdftoppm was not found. Install poppler: 'apt-get install "
                "poppler-utils' (Debian/Ubuntu), 'conda install -c conda-forge poppler' or "
                "'brew install poppler'."
            )
        ),
        _typed(
            errors.DocumentTimeout(
                "The document was still being read (rendering page 1) when its 120 s budget "
                "ran out. Send a simpler or smaller PDF, or raise render.doc_timeout_s "
                "(MEDXTRACT_DOC_TIMEOUT_S on the server)."
            )
        ),
    ]


_MEANING = {
    400: "The multipart body cannot be parsed.",
    413: "The upload is over the size limit (counted as it streams in).",
    415: "The file is not a PDF.",
    422: "The form, the PDF, or the requested type or preset cannot be used.",
    500: "The OCR engine failed.",
    503: "The server is at capacity, or poppler or Tesseract is missing.",
    504: "The document took longer than its time budget, every stage together.",
}


def documented_errors(
    max_upload_bytes: int, choices: dict[str, list[str]]
) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an extraction endpoint: each status with the ErrorBody schema and
    one named example per code (Swagger UI offers them in a drop-down). ``choices`` are the
    endpoint's enum fields and values."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status, code, detail in _examples(max_upload_bytes, choices):
        entry = responses.setdefault(
            status, {"model": ErrorBody, "description": _MEANING[status], "content": {}}
        )
        examples = entry["content"].setdefault("application/json", {"examples": {}})["examples"]
        examples[code] = {"summary": code, "value": {"error": code, "detail": detail}}
    return responses
