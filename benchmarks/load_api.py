"""Load test of the extraction server on 127.0.0.1 (bounded and self-stopping).

Run: .venv/bin/python benchmarks/load_api.py [--clients 8] [--seconds 60]
Starts `medxtract serve` on a free loopback port with a private temp folder, runs C concurrent
clients for T seconds with a mix of valid PDFs (born-digital and scanned), invalid uploads and
hostile files (medxtract_lab.corpus.hostile), polls /health meanwhile, then prints requests/s,
p50/p95 latency, responses by status and by kind of upload, the server's peak RSS, its RSS
growth over the run (measured after --warmup seconds of the same load, which loads the OCR
models and fills the engine pools), /health latency under load (p99), and whether any temp
file was left.
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

from medxtract_lab.corpus.hostile import BUILDERS, noise_page

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
    return valid * 2 + invalid + _hostile()


# Each class from the hostile-file probes, small enough to upload; the shading poppler draws
# for minutes (slow_shading) is left out: only the document budget ends it, with a 504.
HOSTILE = (
    "fanned_out_forms",
    "zigzag_path",
    "flate_bomb_1gib",
    "jpeg_declares_32000",
    "jpeg_declares_60000",
    "integer_contents",
    "text_layer_5mb",
)


def _hostile() -> list[tuple[str, bytes, str]]:
    with tempfile.TemporaryDirectory() as folder:
        made = []
        for name in HOSTILE:
            path = Path(folder) / f"{name}.pdf"
            BUILDERS[name](path)
            made.append(("prescription", path.read_bytes(), name))
        noise = Path(folder) / "noise.pdf"
        noise_page(noise, megapixels=4)
        made.append(("prescription", noise.read_bytes(), "noise_4mp"))
    return made


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def _load(base: str, uploads: list, clients: int, seconds: float, seed: int = 0) -> tuple:
    """``clients`` posting random uploads for ``seconds``, and /health polled meanwhile."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    health: list[float] = []
    lock = threading.Lock()

    def client(client_seed: int) -> None:
        rng = random.Random(client_seed)
        with httpx.Client(timeout=120) as session:
            while time.monotonic() < stop:
                doc_type, data, kind = rng.choice(uploads)
                started = time.perf_counter()
                response = session.post(
                    f"{base}/extract_from_doc",
                    files={"file": ("doc.pdf", data, "application/pdf")},
                    data={"file_format": doc_type},
                )
                with lock:
                    latencies.append(time.perf_counter() - started)
                    statuses[response.status_code] += 1
                    code = response.json().get("error", "") if response.status_code != 200 else ""
                    by_kind[kind][f"{response.status_code} {code}".strip()] += 1

    def poll_health() -> None:
        with httpx.Client(timeout=10) as session:
            while time.monotonic() < stop:
                started = time.perf_counter()
                session.get(f"{base}/health")
                health.append(time.perf_counter() - started)
                time.sleep(0.5)

    threads = [threading.Thread(target=client, args=(seed + i,)) for i in range(clients)]
    threads.append(threading.Thread(target=poll_health))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, by_kind, health


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--warmup", type=float, default=20, help="seconds of the same load before measuring RSS"
    )
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
        _load(base, uploads, args.clients, args.warmup, seed=1000)  # models loaded, pools full
        rss_start = _rss_mb(server.pid)
        started = time.monotonic()
        latencies, statuses, by_kind, health = _load(base, uploads, args.clients, args.seconds)
        wall = time.monotonic() - started
        rss_end = _rss_mb(server.pid)
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
    for kind, counts in sorted(by_kind.items()):
        print(f"  {kind:22} " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    print(f"server peak RSS: {peak.split(':')[1].strip()}")
    print(
        f"server RSS: {rss_start:.0f} MB at the start, {rss_end:.0f} MB at the end "
        f"({rss_end - rss_start:+.0f} MB)"
    )
    ordered_health = sorted(health)
    print(
        f"/health under load: median {statistics.median(health) * 1000:.0f} ms, "
        f"p99 {ordered_health[min(len(health) - 1, int(len(health) * 0.99))] * 1000:.0f} ms, "
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
