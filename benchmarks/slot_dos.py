"""The slot-holding denial of service: ten slow files, then good requests. How long until a
good request is served again?

Run: .venv/bin/python benchmarks/slot_dos.py [--budget 20] [--slow 10]
Starts `medxtract serve` on a free loopback port (2 workers, queue 8, a private temp folder,
MEDXTRACT_DOC_TIMEOUT_S=--budget), sends --slow copies of a 1 KB PDF that keeps poppler busy
for as long as it is allowed (a page shaded by a long PostScript function), all at once, then
asks for a small born-digital prescription every half second. It prints when the first good
request was served again, against the target of the budget plus 5 s, how each slow request
ended, and whether a temp file or a poppler process was left.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from medxtract_lab.corpus.hostile import slow_shading

ROOT = Path(__file__).resolve().parent.parent
MEDXTRACT = Path(sys.executable).with_name("medxtract")
GOOD = ROOT / "ground_truth/prescription/rx-digital-000.pdf"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post(base: str, name: str, data: bytes, timeout: float) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/extract",
        files={"file": (name, data, "application/pdf")},
        data={"file_format": "prescription"},
        timeout=timeout,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=20.0, help="MEDXTRACT_DOC_TIMEOUT_S")
    parser.add_argument("--slow", type=int, default=10, help="slow uploads sent at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        slow_path = Path(work) / "shading.pdf"
        slow_shading(slow_path)
        slow, good = slow_path.read_bytes(), GOOD.read_bytes()
        private = Path(work) / "tmp"
        private.mkdir()
        port = _free_port()
        env = {
            **os.environ,
            "TMPDIR": str(private),
            "MEDXTRACT_DOC_TIMEOUT_S": str(args.budget),
            "MEDXTRACT_WORKERS": "2",
            "MEDXTRACT_QUEUE": "8",
        }
        command = [str(MEDXTRACT), "serve", "--port", str(port)]
        server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base)
            endings: list[tuple[float, str]] = []
            started = time.monotonic()

            def send_slow() -> None:
                try:
                    response = _post(base, "shading.pdf", slow, 40 * args.budget)
                    ending = f"{response.status_code} {response.json().get('error', '-')}"
                except httpx.HTTPError as error:
                    ending = type(error).__name__
                endings.append((time.monotonic() - started, ending))

            senders = [threading.Thread(target=send_slow) for _ in range(args.slow)]
            for sender in senders:
                sender.start()
            time.sleep(1.0)  # let every slow upload take its slot
            refused: collections.Counter[int] = collections.Counter()
            served_at = None
            while served_at is None and time.monotonic() - started < 40 * args.budget:
                response = _post(base, "good.pdf", good, 40 * args.budget)
                if response.status_code == 200:
                    served_at = time.monotonic() - started
                else:
                    refused[response.status_code] += 1
                    time.sleep(0.5)
            for sender in senders:
                sender.join()
        finally:
            server.terminate()
            server.wait(timeout=60)
        left = subprocess.run(["pgrep", "-f", str(private)], capture_output=True).returncode == 0
        temps = list(private.iterdir())
    target = args.budget + 5
    print(
        f"{args.slow} slow uploads of {len(slow) / 1024:.1f} KB, document budget {args.budget:g} s"
    )
    print(f"good requests refused meanwhile: {dict(refused)}")
    verdict = "met" if served_at is not None and served_at <= target else "missed"
    shown = "never" if served_at is None else f"{served_at:.1f} s"
    print(f"first good request served after {shown} (target {target:g} s: {verdict})")
    times = sorted(t for t, _ in endings)
    print(
        f"slow requests ended between {times[0]:.1f} and {times[-1]:.1f} s: "
        f"{dict(collections.Counter(e for _, e in endings))}"
    )
    print(f"poppler left: {'yes' if left else 'no'}; temp files left: {len(temps)}")


def _wait_healthy(base: str) -> None:
    for _ in range(120):
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not start")


if __name__ == "__main__":
    main()
