"""A stopping server: requests in flight get the grace period, then are cut short, and no
upload folder or poppler process outlives the server."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from medxtract_lab.corpus.hostile import slow_shading

GRACE_S = 2
MEDXTRACT = Path(sys.executable).with_name("medxtract")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _running_on(folder: Path) -> bool:
    """A process (poppler) is reading a file under ``folder``."""
    return subprocess.run(["pgrep", "-f", str(folder)], capture_output=True).returncode == 0


def _wait_for(check, seconds: float) -> bool:  # noqa: ANN001
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_sigterm_during_slow_requests_leaves_nothing_behind(tmp_path) -> None:
    slow = tmp_path / "shading.pdf"
    slow_shading(slow)  # poppler works on it until the 120 s budget runs out
    private = tmp_path / "tmp"
    private.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "TMPDIR": str(private),
        "MEDXTRACT_SHUTDOWN_GRACE_S": str(GRACE_S),
        "MEDXTRACT_WORKERS": "2",
    }
    log = (tmp_path / "server.log").open("wb")
    command = [str(MEDXTRACT), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(lambda: _healthy(base), 60), "the server did not start"
        outcomes: list[str] = []
        clients = [
            threading.Thread(target=_post, args=(base, slow, outcomes), daemon=True)
            for _ in range(2)
        ]
        for client in clients:
            client.start()
        assert _wait_for(lambda: _running_on(private), 30), "poppler never started"
        assert any(private.iterdir())  # the uploads are on disk while they are read

        server.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        server.wait(timeout=GRACE_S + 20)
        took = time.monotonic() - stopped_at
        for client in clients:
            client.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
        log.close()

    # uvicorn shuts down, then re-raises the signal it caught: a clean stop ends "by SIGTERM".
    assert server.returncode == -signal.SIGTERM
    assert took < GRACE_S + 10, f"stopping took {took:.1f} s"
    assert len(outcomes) == 2  # each client got an answer or a closed connection, no hang
    assert not _running_on(private), "a poppler process outlived the server"
    assert list(private.iterdir()) == [], "an upload folder outlived the server"
    text = (tmp_path / "server.log").read_text()
    assert "Application shutdown complete" in text
    assert "2 document(s) cut short" in text
    assert text.count('"error": "cancelled"') == 2  # each cut request has its log line
    assert "Traceback" not in text


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _post(base: str, path: Path, outcomes: list[str]) -> None:
    try:
        with path.open("rb") as handle:
            response = httpx.post(
                f"{base}/v1/extract",
                files={"file": ("shading.pdf", handle, "application/pdf")},
                data={"file_format": "prescription"},
                timeout=60,
            )
        outcomes.append(str(response.status_code))
    except httpx.HTTPError as error:
        outcomes.append(type(error).__name__)


def test_only_this_servers_poppler_runs_are_killed() -> None:
    """A stopping app kills the poppler programs it started, never another child of the
    process it lives in."""
    from medxtract_lab import poppler

    bystander = subprocess.Popen(["sleep", "30"])
    try:
        assert poppler.kill_running() == 0
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
