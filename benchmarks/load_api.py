"""Load test of the extraction server on 127.0.0.1 (bounded and self-stopping).

Run: .venv/bin/python benchmarks/load_api.py [--clients 8] [--seconds 60]
Starts `medxtract serve` on a free loopback port with a private temp folder, runs C concurrent
clients for T seconds with a mix of valid PDFs (born-digital and scanned) and invalid uploads,
polls /health meanwhile, then prints requests/s, p50/p95 latency, responses by status, the
server's peak RSS, /health latency under load, and whether any temp file was left behind.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _uploads() -> list[tuple[str, bytes, str]]:
    gt = ROOT / "ground_truth"
    valid = [
        ("prescription", (gt / "prescription/rx-digital-000.pdf").read_bytes(), "digital"),
        ("patient_details", (gt / "patient_details/pr-digital-000.pdf").read_bytes(), "digital"),
        ("prescription", (gt / "prescription/rx-scan-000.pdf").read_bytes(), "scan"),
    ]
    scan = valid[2][1]
    invalid = [
        ("prescription", os.urandom(4096), "random"),
        ("prescription", scan[: len(scan) // 3], "truncated"),
        ("invoice", valid[0][1], "unknown type"),
    ]
    return valid * 2 + invalid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    temp = tempfile.mkdtemp(prefix="medxtract-load-")
    env = {**os.environ, "TMPDIR": temp}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medxtract_lab",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        uploads = _uploads()
        stop = time.monotonic() + args.seconds
        latencies: list[float] = []
        statuses: collections.Counter[int] = collections.Counter()
        health: list[float] = []
        lock = threading.Lock()

        def client(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(timeout=120) as session:
                while time.monotonic() < stop:
                    doc_type, data, _ = rng.choice(uploads)
                    started = time.perf_counter()
                    response = session.post(
                        f"{base}/extract_from_doc",
                        files={"file": ("doc.pdf", data, "application/pdf")},
                        data={"file_format": doc_type},
                    )
                    with lock:
                        latencies.append(time.perf_counter() - started)
                        statuses[response.status_code] += 1

        def poll_health() -> None:
            with httpx.Client(timeout=10) as session:
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    session.get(f"{base}/health")
                    health.append(time.perf_counter() - started)
                    time.sleep(0.5)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        threads.append(threading.Thread(target=poll_health))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    finally:
        server.terminate()
        server.wait(30)
    leftovers = list(Path(temp).iterdir())
    ordered = sorted(latencies)
    print(f"{args.clients} clients for {args.seconds:.0f} s against {base}")
    print(f"requests: {len(latencies)} in {wall:.1f} s = {len(latencies) / wall:.2f} req/s")
    print(
        f"latency p50 {ordered[len(ordered) // 2]:.2f} s, "
        f"p95 {ordered[int(len(ordered) * 0.95)]:.2f} s"
    )
    print("responses by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print(f"server peak RSS: {peak.split(':')[1].strip()}")
    print(
        f"/health under load: median {statistics.median(health) * 1000:.0f} ms, "
        f"max {max(health) * 1000:.0f} ms over {len(health)} polls"
    )
    print(
        f"5xx responses: {sum(v for k, v in statuses.items() if k >= 500)}; "
        f"temp files left: {len(leftovers)}"
    )
    if not leftovers:
        Path(temp).rmdir()


if __name__ == "__main__":
    main()
