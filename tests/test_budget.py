"""One time budget per document: a file that makes poppler work for minutes is stopped when
the budget runs out, with a typed error, and leaves no poppler process or temporary file."""

import subprocess
import threading
import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from medxtract_lab.api import ServiceSettings, create_app
from medxtract_lab.config import get_preset
from medxtract_lab.corpus.hostile import slow_shading
from medxtract_lab.errors import DocumentTimeout
from medxtract_lab.pipeline import extract

BUDGET_S = 4.0


def _poppler_running(path) -> bool:
    return subprocess.run(["pgrep", "-f", str(path)], capture_output=True).returncode == 0


@pytest.fixture
def hostile(tmp_path):
    path = tmp_path / "shading.pdf"
    slow_shading(path)
    return path


def test_the_budget_stops_every_stage_together(hostile) -> None:
    config = get_preset("default")
    config = replace(config, render=replace(config.render, doc_timeout_s=BUDGET_S))
    started = time.monotonic()
    with pytest.raises(DocumentTimeout, match=r"4 s budget ran out.*doc_timeout_s"):
        extract(hostile, "prescription", config)
    assert time.monotonic() - started < BUDGET_S + 3
    assert not _poppler_running(hostile)  # killed, not orphaned


def test_the_server_answers_504_and_frees_its_slot(hostile, private_tmp) -> None:
    client = TestClient(create_app(ServiceSettings(workers=1, queue=0, doc_timeout_s=BUDGET_S)))
    started = time.monotonic()
    with hostile.open("rb") as handle:
        files = {"file": ("shading.pdf", handle, "application/pdf")}
        response = client.post("/v1/extract", files=files, data={"file_format": "prescription"})
    assert response.status_code == 504
    assert response.json()["error"] == "document_timeout"
    assert time.monotonic() - started < BUDGET_S + 3
    assert client.get("/health").status_code == 200
    spec = client.get("/openapi.json").json()["paths"]["/v1/extract"]["post"]["responses"]
    assert "document_timeout" in str(spec["504"])  # documented as it is answered
    assert list(private_tmp.iterdir()) == []  # the upload's folder went with the response


def test_time_in_the_queue_counts_against_the_budget(hostile, private_tmp) -> None:
    """Three slow files on one worker end within one budget, not one budget each in turn: a
    queue of hostile files cannot hold the server for longer than the budget."""
    app = create_app(ServiceSettings(workers=1, queue=2, doc_timeout_s=BUDGET_S))
    data = hostile.read_bytes()
    answers: list[tuple[int, str, str, float]] = []

    def send(client: TestClient) -> None:
        files = {"file": ("shading.pdf", data, "application/pdf")}
        response = client.post("/v1/extract", files=files, data={"file_format": "prescription"})
        body = response.json()
        answers.append((response.status_code, body["error"], body["detail"], time.monotonic()))

    with TestClient(app) as client:
        started = time.monotonic()
        senders = [threading.Thread(target=send, args=(client,)) for _ in range(3)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
    assert [(status, error) for status, error, *_ in answers] == [(504, "document_timeout")] * 3
    assert max(at for *_, at in answers) - started < BUDGET_S + 3
    # The first is stopped while poppler works; the queued ones when they reach the worker.
    assert sum("waited" in detail and "for a worker" in detail for _, _, detail, _ in answers) == 2
    # ... and the one stopped while read names the budget as configured, not what was left.
    assert sum("when its 4 s budget ran out" in detail for _, _, detail, _ in answers) == 1
    assert list(private_tmp.iterdir()) == []
