"""The FastAPI server through TestClient, with real poppler and Tesseract."""

import json
import os
import re
from html.parser import HTMLParser

import pytest
from conftest import RESULT_KEYS, blank_pdf
from fastapi.testclient import TestClient

from medxtract_lab import errors
from medxtract_lab.api import ServiceSettings, create_app
from medxtract_lab.doctypes import doc_type_names, register_doctype, unregister_doctype
from medxtract_lab.extraction import DocType, FieldSpec, Label
from medxtract_lab.pipeline import extract


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


def _documented(client, response, path: str = "/extract_from_doc") -> None:
    """An error answer is one the OpenAPI document promises for ``path``: its status is listed
    with the ErrorBody schema, and its code is among that status's examples."""
    responses = client.get("/openapi.json").json()["paths"][path]["post"]["responses"]
    content = responses[str(response.status_code)]["content"]["application/json"]
    assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert set(response.json()) == {"error", "detail"}
    assert response.json()["error"] in content["examples"]


@pytest.mark.parametrize("kind", ["prescription-image", "patient_details-image"])
def test_happy_path_returns_the_flat_fields(client, docs, kind) -> None:
    doc = docs[kind]
    response = _post(client, doc.path.read_bytes(), doc.doc_type)
    assert response.status_code == 200
    assert response.json() == doc.fields


def test_v1_returns_the_full_extraction_as_before(client, docs) -> None:
    """The response model changes nothing: same keys in the same order, and each value
    serialises exactly as the engine's own ``to_dict`` (an int would not turn into a float)."""
    doc = docs["prescription-digital"]
    response = _post(client, doc.path.read_bytes(), "prescription", "/v1/extract")
    body = response.json()
    assert response.status_code == 200
    assert body["fields"] == doc.fields and body["page_sources"] == ["text_layer"]
    assert set(body["confidence"]) == set(doc.fields)
    assert body["locations"]["patient_name"][0]["page"] == 1
    engine = extract(doc.path, "prescription").to_dict()
    assert list(body) == list(engine) and list(body["timings_ms"]) == list(engine["timings_ms"])
    for key in engine.keys() - {"timings_ms"}:
        assert json.dumps(body[key]) == json.dumps(engine[key]), key


def test_preset_must_be_on_the_allow_list(client, docs) -> None:
    data = docs["prescription-digital"].path.read_bytes()
    files = {"file": ("doc.pdf", data, "application/pdf")}
    bad = client.post(
        "/v1/extract",
        files=files,
        data={"file_format": "prescription", "preset": "../../etc/passwd"},
    )
    assert bad.status_code == 422 and bad.json()["error"] == "bad_config"
    assert "choose one of ['default', 'seed']" in bad.json()["detail"]
    _documented(client, bad, "/v1/extract")


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
    _documented(client, response)


def test_unknown_type_and_missing_fields(client) -> None:
    response = _post(client, blank_pdf(1), "invoice")
    assert response.status_code == 422 and response.json()["error"] == "unknown_doc_type"
    assert f"choose one of {[*doc_type_names(), 'auto']}" in response.json()["detail"]
    # A long value is echoed cut to a short prefix, never whole.
    long = _post(client, blank_pdf(1), "x" * 5000).json()["detail"]
    assert "x" * 40 + "…" in long and "x" * 41 not in long and len(long) < 400
    missing = client.post("/extract_from_doc", data={"file_format": "prescription"})
    assert missing.status_code == 422 and "file" in missing.json()["detail"]
    both = client.post("/v1/extract", data={"file_format": "invoice", "preset": "fast"})
    assert both.json()["error"] == "bad_request"  # a missing file is named before the rest
    for answer, path in ((response, "/extract_from_doc"), (missing, "/extract_from_doc")):
        _documented(client, answer, path)


def test_every_other_failure_is_error_json_too(client) -> None:
    """A body the form parser cannot read, an unknown path or method: the same {error, detail}
    as every other error, and 405 keeps the Allow header that names the right method."""
    unparseable = client.post(
        "/v1/extract",
        content=b"--x\r\nno headers",
        headers={"Content-Type": "multipart/form-data"},  # no boundary
    )
    assert unparseable.status_code == 400 and unparseable.json()["error"] == "bad_request"
    _documented(client, unparseable, "/v1/extract")
    missing = client.get("/v2/extract")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = client.get("/v1/extract")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert wrong.headers["allow"] == "POST"


def test_openapi_types_both_extraction_endpoints(client) -> None:
    """Enums with defaults that work in Swagger UI's "Try it out", a response model for each
    endpoint, and every error status documented with the {error, detail} schema."""
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["DocumentType"]["enum"] == [*doc_type_names(), "auto"]
    assert schemas["Preset"]["enum"] == ["default", "seed"]
    form = schemas["Body_extract_v1_v1_extract_post"]["properties"]
    assert form["preset"]["default"] == "default"
    assert form["file_format"]["examples"] == ["prescription"]
    assert set(schemas["ErrorBody"]["required"]) == {"error", "detail"}
    assert "HTTPValidationError" not in schemas  # the 422 is documented as it is answered
    location = schemas["FieldLocation"]["properties"]["box"]
    assert location["minItems"] == location["maxItems"] == 4
    for path, model in (("/extract_from_doc", "FlatFields"), ("/v1/extract", "ExtractionBody")):
        responses = spec["paths"][path]["post"]["responses"]
        ok = responses["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": f"#/components/schemas/{model}"} and ok["example"]
        assert set(responses) == {"200", "400", "413", "415", "422", "500", "503", "504"}
        for status in set(responses) - {"200"}:
            content = responses[status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
            assert all(e["value"]["detail"] for e in content["examples"].values())
    assert list(spec["components"]["schemas"]["ExtractionBody"]["properties"]) == RESULT_KEYS


def test_the_form_offers_registered_types_and_allowed_presets(private_tmp) -> None:
    """Both enums are read when the app is made: a type registered by a plugin is offered, and
    only the presets this server allows, the first one being the default."""
    register_doctype(DocType("referral_note", (FieldSpec("patient_name", Label(("Name:",))),)))
    try:
        app = create_app(ServiceSettings(presets=("seed",)))
    finally:
        unregister_doctype("referral_note")
    schemas = app.openapi()["components"]["schemas"]
    assert "referral_note" in schemas["DocumentType"]["enum"]
    assert schemas["Preset"]["enum"] == ["seed"]
    form = schemas["Body_extract_v1_v1_extract_post"]["properties"]
    assert form["preset"]["default"] == "seed"
    with pytest.raises(errors.ConfigError, match="'fast'"):
        create_app(ServiceSettings(presets=("default", "fast")))


class _Assets(HTMLParser):
    """The URLs a page makes the browser fetch: scripts, stylesheets, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_need_no_network(client, page) -> None:
    """Every file the page loads comes from this server, none names another host, and the
    page's policy forbids the browser to fetch from anywhere else (a bundled script may name a
    host: ReDoc's sidebar logo)."""
    response = client.get(page)
    assert response.status_code == 200
    assert not re.search(r"https?://", response.text)
    parser = _Assets()
    parser.feed(response.text)
    assert parser.urls, "the page loads no UI at all"
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, url
        if url.endswith(".css"):
            assert "@import" not in asset.text
            targets = re.findall(r"url\(\s*['\"]?([^'\")]+)", asset.text)
            assert targets and all(t.startswith("data:") or "://" not in t for t in targets)
    assert "/openapi.json" in response.text and client.get("/openapi.json").status_code == 200
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    allowed = {"'self'", "'unsafe-inline'", "data:", "blob:"}
    for directive, sources in policy.items():
        assert set(sources.split()) <= allowed, directive


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
        assert second.headers["retry-after"] == "5"
        started = time.perf_counter()
        assert client.get("/health").status_code == 200
        assert time.perf_counter() - started < 1.0
    finally:
        release.set()
        worker.join(30)
    assert first["r"].status_code == 200
    assert list(private_tmp.iterdir()) == []


def test_an_unexpected_crash_is_a_json_500_with_a_request_id_and_a_clean_log(
    private_tmp, monkeypatch, docs, caplog
) -> None:
    from medxtract_lab import api

    def crash(path, *args, **kwargs):  # fault injection: a bug deep inside, naming the upload
        raise RuntimeError(f"unexpected state while reading {path}")

    monkeypatch.setattr(api, "extract", crash)
    client = TestClient(create_app(ServiceSettings(workers=1)), raise_server_exceptions=False)
    with caplog.at_level("ERROR", logger="medxtract.api"):
        response = _post(client, docs["prescription-digital"].path.read_bytes())
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal"
    request_id = response.headers["x-request-id"]
    assert request_id in body["detail"] and "upload.pdf" not in body["detail"]
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    logged = record.getMessage()
    assert "RuntimeError" in logged and "<tmp>" in logged and "medxtract-" not in logged
    assert client.get("/health").status_code == 200  # the server goes on answering
    assert list(private_tmp.iterdir()) == []


def test_each_request_logs_one_json_line_without_document_text(client, docs, caplog) -> None:
    doc = docs["prescription-digital"]
    with caplog.at_level("INFO", logger="medxtract.api.requests"):
        good = _post(client, doc.path.read_bytes())
        bad = _post(client, b"not a pdf at all")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name.endswith("requests")]
    assert [line["request_id"] for line in lines] == [
        good.headers["x-request-id"],
        bad.headers["x-request-id"],
    ]
    ok, refused = lines
    assert ok["status"] == 200 and ok["error"] is None and ok["pages"] == 1
    assert ok["route"] == "/extract_from_doc" and ok["bytes_in"] > ok["pdf_bytes"] > 0
    assert {"render", "extract"} & set(ok["timings_ms"]) and ok["ms"] > 0
    assert refused["status"] == 415 and refused["error"] == "not_a_pdf"
    logged = " ".join(r.getMessage() for r in caplog.records)
    values = [v for v in good.json().values() if isinstance(v, str) and len(v) > 3]
    assert values  # the legacy route answers the fields flat
    assert not [v for v in values if v in logged]  # no field value reaches the log


def test_messages_name_the_uploaded_file_safely(client, private_tmp) -> None:
    """An error names the file the user sent, saved under a name that cannot leave its
    temporary folder."""
    for sent, named in (("My Rx.txt", "My_Rx.txt"), ("../../etc/notes.pdf", "notes.pdf")):
        response = client.post(
            "/extract_from_doc",
            files={"file": (sent, b"plain text", "text/plain")},
            data={"file_format": "prescription"},
        )
        assert response.status_code == 415
        assert response.json()["detail"].startswith(f"{named} is not a PDF")
    assert list(private_tmp.iterdir()) == []
