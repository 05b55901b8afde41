"""The Streamlit page through AppTest, with the engine in-process."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

UI = str(Path(__file__).parent.parent / "medxtract_lab" / "ui.py")


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    monkeypatch.delenv("MEDXTRACT_API_URL", raising=False)


def test_fields_appear_for_an_uploaded_pdf(docs) -> None:
    doc = docs["prescription-digital"]
    app = AppTest.from_file(UI, default_timeout=120)
    app.session_state["pdf_bytes"] = doc.path.read_bytes()
    app.run()
    app.selectbox(key="doc_type").set_value("prescription").run()
    assert not app.exception and not app.error
    table = app.dataframe[0].value
    got = dict(zip(table["field"], table["value"], strict=True))
    assert got["patient_name"] == doc.fields["patient_name"]
    assert got["medicines"] == doc.fields["medicines"]
    assert len(app.get("download_button")) == 2


def test_a_bad_file_shows_a_plain_message(tmp_path) -> None:
    app = AppTest.from_file(UI, default_timeout=60)
    app.session_state["pdf_bytes"] = b"this is not a pdf"
    app.run()
    assert not app.exception
    assert "not a PDF" in app.error[0].value and "Traceback" not in app.error[0].value


def test_sample_query_opens_a_bundled_document() -> None:
    app = AppTest.from_file(UI, default_timeout=120)
    app.query_params["sample"] = "patient_details"
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="doc_type").value == "patient_details"
    table = app.dataframe[0].value
    assert "hepatitis_b_vaccination" in set(table["field"])


def test_an_unreachable_server_is_a_plain_message(monkeypatch, docs) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MEDXTRACT_API_URL", f"http://127.0.0.1:{port}")
    app = AppTest.from_file(UI, default_timeout=60)
    app.session_state["pdf_bytes"] = docs["prescription-digital"].path.read_bytes()
    app.run()
    assert not app.exception
    assert "did not answer" in app.error[0].value
