"""pdfium in a child process under a memory cap and a time limit: what a hostile file makes it
spend costs the child, not this process.

pdfium has no limits of its own. ``render.read_info`` keeps the known costly cases from it (a
page drawing over ``text_layer.MAX_TEXT_BYTES``, fonts decoding to over ``MAX_STREAM_BYTES``),
but others are easy to make: a Type3 font whose glyph draws forms drawing forms took pdfium
3.3 GB for a 5 KB file. So pdfium runs here, in a child with an address-space cap, killed past
its time; a child that dies takes only that document's text layer with it (``pipeline`` reads
its pages by OCR). One child serves the process, one call at a time (pdfium is not
thread-safe), and a new one starts when one has died. Calls and answers are pickled over a
socket; the child's output is dropped, so nothing it prints reaches a log.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from medxtract_lab import budget

# The child's address space: about 490 MB of it is Python, numpy and pdfium loaded (its
# resident memory is 57 MB after reading a corpus document); the rest is 3.7 times what a page
# of 1 MB of text needs (``text_layer.MAX_TEXT_BYTES``: about 280 MB).
MEMORY_BYTES = 1536 << 20
# One call at most (the document's budget may leave less): a corpus document takes 4 ms.
TIMEOUT_S = 20
# How often the child looks for its parent, so a call left running by a parent that died
# (SIGKILL, a server stopped mid-request) ends within this.
PARENT_CHECK_S = 0.25


class ChildFailed(Exception):
    """The child gave no answer: it ran out of memory or time, crashed, or its function
    raised. The message says which, in words for a warning (never a document's content)."""


@dataclass(frozen=True)
class _Raised:
    """The child's answer when its function raised: the exception's type alone."""

    kind: str


class _Child:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        # The child imports this package from where this process found it (a checkout on
        # PYTHONPATH, a notebook's sys.path), so both run the same code.
        path = os.pathsep.join(p or os.getcwd() for p in sys.path)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno()), str(os.getpid())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # PYTHONSAFEPATH: not the working directory first, which may hold another checkout.
                env={**os.environ, "PYTHONPATH": path, "PYTHONSAFEPATH": "1"},
            )
        self.connection = Connection(ours.detach())
        # Set from here, as poppler's cap is (``poppler._limit_memory``): the parent has threads.
        with contextlib.suppress(AttributeError, OSError):
            resource.prlimit(self.process.pid, resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))

    def end(self) -> None:
        self.process.kill()
        self.process.wait()
        self.connection.close()


_lock = threading.Lock()
_child: _Child | None = None


def run(function: Callable[..., Any], *args: Any, stage: str) -> Any:
    """``function(*args)`` in the child (a module-level function, whose arguments and answer
    pickle). Raises ``ChildFailed`` when the child dies, overruns ``TIMEOUT_S`` or the function
    raises, and the budget's ``DocumentTimeout`` when the document's budget is spent."""
    global _child
    with _lock:
        timeout = budget.time_left(stage, TIMEOUT_S)  # after the wait for another document
        if _child is None or _child.process.poll() is not None:
            _child = _Child()
        child, answered = _child, False
        try:
            child.connection.send((function, args))
            if child.connection.poll(timeout):
                answer = child.connection.recv()
                answered = True
        except (EOFError, OSError) as exc:  # it died: over its cap, or crashed
            raise ChildFailed(_death(child.process)) from exc
        finally:
            # Dead, overrunning, or interrupted with its answer still to come (Ctrl-C in a
            # notebook), which the next call would take for another document's: it goes.
            if not answered:
                _child = None
                child.end()
    if not answered:
        budget.check(stage)
        raise ChildFailed(f"its reader was still running after {timeout:.0f} s")
    if isinstance(answer, _Raised):
        if answer.kind == "MemoryError":
            raise ChildFailed(f"its reader ran out of memory (its cap is {MEMORY_BYTES >> 20} MB)")
        raise ChildFailed(f"its reader failed ({answer.kind})")
    return answer


def _death(process: subprocess.Popen) -> str:
    """Why the child died, from how it exited. pdfium aborts when an allocation fails (under
    the child's address-space cap: when it reaches the cap), and also on a failed internal
    check, which a malformed file can trip."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=1)
    code = process.returncode
    if code == -signal.SIGABRT:
        return (
            "its reader aborted (SIGABRT), most likely out of memory "
            f"(its cap is {MEMORY_BYTES >> 20} MB)"
        )
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:  # a real-time signal, which has no name
            name = f"signal {-code}"
        return f"its reader crashed ({name})"
    return f"its reader stopped (exit status {code})"


def _serve(descriptor: int, parent: int) -> None:
    """The child: answer calls until the parent closes its end, or leave mid-call when the
    parent is gone (killed, or a server stopped): no one will read the answer."""
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
    connection = Connection(descriptor)
    while True:
        try:
            function, args = connection.recv()
        except EOFError:
            return
        try:
            answer = function(*args)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which carries on
            answer = _Raised(type(exc).__name__)
        connection.send(answer)


def _end_with(parent: int) -> None:
    """Exit as soon as this process is not ``parent``'s child (already, when the parent died
    while this one started; pdfium's calls let other threads run)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


if __name__ == "__main__":
    # Served from the package's module, not ``__main__``, so that what it pickles (``_Raised``)
    # is found by that name in the parent.
    from medxtract_lab import pdfium_child

    pdfium_child._serve(int(sys.argv[1]), int(sys.argv[2]))
