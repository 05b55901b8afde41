"""Milliseconds per stage, of wall-clock time and of CPU time.

Wall time is what a person waits for and what results report (``timings_ms``). CPU time is the
work a stage did, and it moves far less than wall time when another process shares the machine:
``benchmarks/speed.py`` weighs stages by it. A stage's CPU time is its own thread's (pages are
read one per thread) plus what child processes (poppler) used meanwhile; the children's share is
exact when one page is read at a time, as the benchmark reads them, and may land on another
page's stage when pages are read in parallel.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Stopwatch:
    wall_ms: dict[str, float] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the ``with`` block and add it to stage ``name`` (stages may repeat)."""
        wall, cpu, children = time.perf_counter(), time.thread_time(), _children_cpu_s()
        try:
            yield
        finally:
            spent_cpu = time.thread_time() - cpu + _children_cpu_s() - children
            self.add(name, (time.perf_counter() - wall) * 1000, spent_cpu * 1000)

    def add(self, name: str, wall_ms: float, cpu_ms: float) -> None:
        self.wall_ms[name] = self.wall_ms.get(name, 0.0) + wall_ms
        self.cpu_ms[name] = self.cpu_ms.get(name, 0.0) + cpu_ms

    def add_all(self, wall_ms: dict[str, float], cpu_ms: dict[str, float]) -> None:
        """Add another record's stages (a page's, into its document's)."""
        for name, ms in wall_ms.items():
            self.add(name, ms, cpu_ms.get(name, 0.0))
