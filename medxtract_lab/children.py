"""This process's own child processes (poppler, the Tesseract command), found and killed when
the server stops.

pytesseract starts the Tesseract program itself, and a poppler run belongs to the request thread
that waits on it, so a stopping server finds them all by parent id in /proc (Linux). Elsewhere
nothing is found, and those children end with their own timeouts (see budget.py).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def child_pids(parent: int | None = None) -> list[int]:
    """The ids of the processes whose parent is ``parent`` (this process by default)."""
    parent = os.getpid() if parent is None else parent
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) is in parentheses and may hold spaces: split after it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def kill_children() -> int:
    """SIGKILL every child of this process; returns how many were signalled."""
    killed = 0
    for pid in child_pids():
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            continue
    return killed
