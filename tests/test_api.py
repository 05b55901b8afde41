"""The FastAPI server through TestClient, with real poppler and Tesseract."""

import os

import pytest
from conftest import blank_pdf
from fastapi.testclient import TestClient

from medxtract_lab.api import ServiceSettings, create_app


@pytest.fixture
def client(private_tmp):
    settings = ServiceSettings(max_upload_bytes=2 * 1024 * 1024, max_pages=2, workers=1, queue=1)
    with TestClient(create_app(settings)) as test_client:
        yield test_client
    assert list(private_tmp.iterdir()) == []  # no copy of any upload survives the response


def _post(client, data: bytes, file_format: str = "prescription", path="/extract_from_doc"):
    return client.post(
        path,
        files={"file": ("doc.pdf", data, "application/pdf")},
        data={"file_format": file_format},
    )


@pytest.mark.parametrize("kind", ["prescription-image", "patient_details-image"])
def test_happy_path_returns_the_flat_fields(client, docs, kind) -> None:
    doc = docs[kind]
    response = _post(client, doc.path.read_bytes(), doc.doc_type)
    assert response.status_code == 200
    assert response.json() == doc.fields


def test_v1_returns_the_full_extraction(client, docs) -> None:
    doc = docs["prescription-digital"]
    response = _post(client, doc.path.read_bytes(), "prescription", "/v1/extract")
    body = response.json()
    assert response.status_code == 200
    assert body["fields"] == doc.fields and body["page_sources"] == ["text_layer"]
    assert set(body["confidence"]) == set(doc.fields) and "timings_ms" in body


def test_preset_must_be_on_the_allow_list(client, docs) -> None:
    data = docs["prescription-digital"].path.read_bytes()
    files = {"file": ("doc.pdf", data, "application/pdf")}
    bad = client.post(
        "/v1/extract",
        files=files,
        data={"file_format": "prescription", "preset": "../../etc/passwd"},
    )
    assert bad.status_code == 422 and bad.json()["error"] == "bad_config"


def _truncated() -> bytes:
    whole = blank_pdf(3)
    return whole[: len(whole) // 3]


@pytest.mark.parametrize(
    "data, status, code",
    [
        (b"", 422, "empty_file"),
        (os.urandom(2048), 415, "not_a_pdf"),
        (_truncated(), 422, "corrupt_pdf"),
        (blank_pdf(1, password="secret"), 422, "encrypted_pdf"),
        (blank_pdf(3), 422, "too_many_pages"),
        (blank_pdf(1, size=(20000, 20000), text=False), 422, "page_too_large"),
        (b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024), 413, "upload_too_large"),
    ],
    ids=["empty", "random", "truncated", "encrypted", "pages", "huge-page", "oversized"],
)
def test_bad_uploads_get_a_json_error(client, data, status, code) -> None:
    response = _post(client, data)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == code and body["detail"]


def test_unknown_type_and_missing_fields(client) -> None:
    response = _post(client, blank_pdf(1), "invoice")
    assert response.status_code == 422 and response.json()["error"] == "unknown_doc_type"
    missing = client.post("/extract_from_doc", data={"file_format": "prescription"})
    assert missing.status_code == 422 and "file" in missing.json()["detail"]


def test_health_and_doc_types(client) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and "pdftoppm" in health["poppler"]
    assert health["engines"]["tesserocr"].startswith("tesserocr")  # the presets' engines
    types = client.get("/v1/doc-types").json()
    assert "refills" in types["prescription"]
    assert "/extract_from_doc" in client.get("/openapi.json").json()["paths"]


def test_cors_is_off_unless_configured(private_tmp) -> None:
    plain = TestClient(create_app(ServiceSettings()))
    preflight = {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    assert (
        "access-control-allow-origin" not in plain.options("/v1/extract", headers=preflight).headers
    )
    allowed = TestClient(create_app(ServiceSettings(cors_origins=("https://example.org",))))
    response = allowed.options("/v1/extract", headers=preflight)
    assert response.headers["access-control-allow-origin"] == "https://example.org"


def test_full_queue_answers_503_and_health_stays_fast(private_tmp, monkeypatch, docs) -> None:
    import threading
    import time

    from medxtract_lab import api

    entered, release = threading.Event(), threading.Event()
    real_extract = api.extract

    def held(*args, **kwargs):  # fault injection: the one worker stays busy until released
        entered.set()
        release.wait(30)
        return real_extract(*args, **kwargs)

    monkeypatch.setattr(api, "extract", held)
    client = TestClient(create_app(ServiceSettings(workers=1, queue=0)))
    data = docs["prescription-digital"].path.read_bytes()
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(r=_post(client, data)))
    worker.start()
    try:
        assert entered.wait(20), "the first request never reached the engine"
        second = _post(client, data)
        assert second.status_code == 503 and second.json()["error"] == "busy"
        started = time.perf_counter()
        assert client.get("/health").status_code == 200
        assert time.perf_counter() - started < 1.0
    finally:
        release.set()
        worker.join(30)
    assert first["r"].status_code == 200
    assert list(private_tmp.iterdir()) == []
