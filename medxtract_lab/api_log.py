"""One JSON line per request, and the last resort for an exception nothing typed.

Each request gets an id (the ``X-Request-ID`` response header). When it ends, one line goes to
the ``medxtract.api.requests`` logger: id, method, route, status, bytes received, milliseconds,
the error code of an error answer, and for an extraction its page count and per-stage timings.
Never document text or field values: the route is the path without its query, and the facts an
endpoint adds are counts and timings only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import tempfile
import time
import traceback
import uuid
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from medxtract_lab.api_errors import ERROR_CODE_HEADER, error_response

log = logging.getLogger("medxtract.api")
requests_log = logging.getLogger("medxtract.api.requests")

# The facts an endpoint adds to its request's log line (see ``note``).
_facts: ContextVar[dict[str, Any] | None] = ContextVar("medxtract_request_facts", default=None)


def note(**facts: Any) -> None:
    """Add counts or timings to the current request's log line (never text or values)."""
    current = _facts.get()
    if current is not None:
        current.update(facts)


def install_request_log(app: FastAPI) -> None:
    """The outermost middleware: request id, one log line, and the last-resort 500."""

    @app.middleware("http")
    async def request_log(request: Request, call_next: Any) -> Response:
        request_id = uuid.uuid4().hex[:12]
        facts: dict[str, Any] = {}
        token = _facts.set(facts)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as error:  # the last resort: everything typed was answered inside
            response = _internal(request, request_id, error)
        except asyncio.CancelledError:  # a stopping server cut the request short
            _log_line(request, request_id, started, None, "cancelled", facts)
            raise
        finally:
            _facts.reset(token)
        response.headers["X-Request-ID"] = request_id
        error = response.headers.get(ERROR_CODE_HEADER)
        _log_line(request, request_id, started, response.status_code, error, facts)
        return response


def _log_line(
    request: Request,
    request_id: str,
    started: float,
    status: int | None,
    error: str | None,
    facts: dict[str, Any],
) -> None:
    line = {
        "request_id": request_id,
        "method": request.method,
        "route": request.url.path,
        "status": status,
        "bytes_in": int(request.headers.get("content-length") or 0),
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "error": error,
        **facts,
    }
    requests_log.info(json.dumps(line))


def _internal(request: Request, request_id: str, error: Exception) -> Response:
    """An unexpected exception as a JSON 500 ``internal`` naming the request id, logged once
    under that id with its traceback, temporary paths (an upload's folder) scrubbed. Answered
    here rather than by the server, whose 500 is plain text and closes the keep-alive
    connection."""
    log.error(
        "request %s: %s %s failed\n%s",
        request_id,
        request.method,
        request.url.path,
        _scrubbed(error),
    )
    detail = (
        f"An unexpected error stopped this request (request id {request_id}); the server log "
        "has the details under that id."
    )
    return error_response((500, "internal", detail))


def _scrubbed(error: BaseException) -> str:
    """The traceback, with every path under the temporary folder replaced by ``<tmp>``."""
    under_tmp = re.escape(tempfile.gettempdir()) + r"""[^\s'"]*"""
    return re.sub(under_tmp, "<tmp>", "".join(traceback.format_exception(error)))


def configure_logging() -> None:
    """For ``medxtract serve``: request lines as bare JSON on stderr, other server messages
    with their level and logger."""
    plain = logging.StreamHandler(sys.stderr)
    plain.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    server = logging.getLogger("medxtract.api")
    server.addHandler(plain)
    server.setLevel(logging.INFO)
    bare = logging.StreamHandler(sys.stderr)
    bare.setFormatter(logging.Formatter("%(message)s"))
    requests_log.addHandler(bare)
    requests_log.setLevel(logging.INFO)
    requests_log.propagate = False  # one line each, not again through the server's handler
