"""One time budget per document, shared by every stage that reads it.

Text extraction, rendering, OCR and the re-reads of one document each used to get their own
timeout in turn, so a small hostile file could hold a worker for minutes. ``extract`` starts a
``Deadline`` for the document; each poppler call, OCR call and re-read asks ``time_left`` for
what remains (never more than its own limit), and a stage that runs out raises
``DocumentTimeout``. ``poppler.run`` kills its program when its timeout passes, so no process
outlives the budget.

The deadline travels in a context variable, so the shared page functions need no extra
argument; the page threads of one document run in a copy of the caller's context. A stopping
server ends every live budget at once (``stop_all``), so its reads end at their next check.
"""

from __future__ import annotations

import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from medxtract_lab.errors import DocumentTimeout, MedXtractError, ServiceStopping


@dataclass(frozen=True, eq=False)
class Deadline:
    budget_s: float
    end: float  # time.monotonic() when the budget is spent
    stopped: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def start(cls, budget_s: float, since: float | None = None) -> Deadline:
        return cls(budget_s, (time.monotonic() if since is None else since) + budget_s)

    def left(self) -> float:
        return 0.0 if self.stopped.is_set() else self.end - time.monotonic()

    def timeout(self, stage: str) -> MedXtractError:
        if self.stopped.is_set():
            return ServiceStopping(
                f"The server stopped while the document was being read ({stage}). "
                "Send it again when the server is back."
            )
        return DocumentTimeout(
            f"The document was still being read ({stage}) when its {self.budget_s:g} s budget "
            "ran out. Send a simpler or smaller PDF, or raise render.doc_timeout_s "
            "(MEDXTRACT_DOC_TIMEOUT_S on the server)."
        )


_deadline: ContextVar[Deadline | None] = ContextVar("medxtract_document_deadline", default=None)
_live: set[Deadline] = set()  # every document being read in this process
_live_lock = threading.Lock()


def begin(budget_s: float, since: float | None = None) -> object | None:
    """Start the current document's budget, counted from ``since`` (a ``time.monotonic()``
    value; now by default); returns a token for ``end``. Inside a budget already started (a
    server's, counted from when the request arrived) that one goes on, and None is returned."""
    if _deadline.get() is not None:
        return None
    deadline = Deadline.start(budget_s, since)
    with _live_lock:
        _live.add(deadline)
    return _deadline.set(deadline)


def end(token: object | None) -> None:
    if token is None:
        return  # an outer budget goes on
    with _live_lock:
        _live.discard(_deadline.get())
    _deadline.reset(token)  # type: ignore[arg-type]


def stop_all() -> int:
    """End every live budget now (a server stopping); returns how many documents were stopped.
    Each raises ``ServiceStopping`` at its next check."""
    with _live_lock:
        for deadline in _live:
            deadline.stopped.set()
        return len(_live)


def seconds_left(limit: float) -> float:
    """``limit``, cut to what is left of the document's budget (0 or less when spent)."""
    deadline = _deadline.get()
    return limit if deadline is None else min(limit, deadline.left())


def time_left(stage: str, limit: float) -> float:
    """Seconds ``stage`` may take: its own ``limit``, cut to what is left of the document's
    budget; raises ``DocumentTimeout`` (or ``ServiceStopping``) when nothing is left."""
    left = seconds_left(limit)
    if left <= 0:
        check(stage)
    return left


def check(stage: str) -> None:
    """Raise ``DocumentTimeout`` if the budget is spent (after a stage's own timeout fired), or
    ``ServiceStopping`` if the server stopped it."""
    deadline = _deadline.get()
    if deadline is not None and deadline.left() <= 0:
        raise deadline.timeout(stage)
