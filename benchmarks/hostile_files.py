"""Each hostile PDF class through `medxtract extract`, one process per file, measured.

Run: .venv/bin/python benchmarks/hostile_files.py [--only NAME ...]
For every builder in ``medxtract_lab.corpus.hostile`` it prints the file size, the exit code,
the error code on stderr, the wall time, the process's peak RSS (with its children: poppler),
whether a traceback was printed, and whether a poppler process or a temporary file was left.
The default document budget (120 s) applies; MEDXTRACT_DOC_TIMEOUT_S does not reach the CLI,
whose budget is the config's ``render.doc_timeout_s``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from medxtract_lab.corpus.hostile import BUILDERS

ROOT = Path(__file__).resolve().parent.parent
MEDXTRACT = Path(sys.executable).with_name("medxtract")


def _run(path: Path, private_tmp: Path) -> dict:
    """One CLI run; wait4 gives this child's own peak RSS (with the poppler it waited for)."""
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    command = [str(MEDXTRACT), "extract", str(path), "--type", "prescription"]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.monotonic()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        stderr.seek(0)
        text = stderr.read().decode(errors="replace")
    code = re.search(r"medxtract: (\w+):", text)
    exit_code = os.waitstatus_to_exitcode(status)
    return {
        "exit": exit_code,
        "error": code.group(1) if code else ("-" if exit_code == 0 else "?"),
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,
        "traceback": "Traceback" in text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BUILDERS))
    names = parser.parse_args().only or list(BUILDERS)
    print(
        f"{'file':22} {'KB':>7} {'exit':>4} {'error':18} {'seconds':>8} {'peak MB':>8} "
        f"{'trace':>5} {'poppler left':>12} {'temp left':>9}"
    )
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            path = Path(work) / f"{name}.pdf"
            BUILDERS[name](path)
            private_tmp = Path(work) / f"tmp-{name}"
            private_tmp.mkdir()
            result = _run(path, private_tmp)
            left = subprocess.run(["pgrep", "-f", str(path)], capture_output=True).returncode == 0
            temps = len(list(private_tmp.iterdir()))
            print(
                f"{name:22} {path.stat().st_size / 1024:7.1f} {result['exit']:>4} "
                f"{result['error']:18} {result['seconds']:8.1f} {result['peak_mb']:8.0f} "
                f"{'yes' if result['traceback'] else 'no':>5} {'yes' if left else 'no':>12} "
                f"{temps:>9}",
                flush=True,
            )


if __name__ == "__main__":
    main()
