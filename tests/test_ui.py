"""The Streamlit page through AppTest, with the real file uploader and the engine in-process."""

import json
import time
from importlib import resources
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

UI = str(Path(__file__).parent.parent / "medxtract_lab" / "ui.py")


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    monkeypatch.delenv("MEDXTRACT_API_URL", raising=False)


def _fields(app: AppTest) -> dict[str, str]:
    """The field inputs (text inputs and areas) by field name."""
    inputs = [*app.text_input, *app.text_area]
    return {w.key.rsplit(":", 1)[-1]: w.value for w in inputs if w.key.startswith("field:")}


def _upload(app: AppTest, name: str, data: bytes) -> AppTest:
    app.file_uploader(key="upload").set_value((name, data, "application/pdf")).run()
    return app


def test_an_uploaded_pdf_shows_its_fields_and_its_type(docs) -> None:
    doc = docs["patient_details-digital"]
    app = AppTest.from_file(UI, default_timeout=120).run()
    _upload(app, "Jane's record.pdf", doc.path.read_bytes())
    assert not app.exception and not app.error
    got = _fields(app)
    assert got["patient_name"] == doc.fields["patient_name"]
    assert got["address"] == doc.fields["address"]  # multi-line, edited as multi-line
    assert "address" in {w.key.rsplit(":", 1)[-1] for w in app.text_area}
    assert "Jane_s_record.pdf: a patient_details of 2 page(s)" in app.caption[0].value
    assert len(app.get("download_button")) == 2


def test_a_correction_reruns_without_reading_again(docs, monkeypatch) -> None:
    """Editing a field re-runs the page script only: the reading is cached per content."""
    doc = docs["prescription-digital"]
    app = AppTest.from_file(UI, default_timeout=120).run()
    _upload(app, "rx.pdf", doc.path.read_bytes())
    key = next(w.key for w in app.text_input if w.key.endswith(":patient_name"))
    started = time.perf_counter()
    app.text_input(key=key).set_value("Corrected Name").run()
    rerun = time.perf_counter() - started
    assert _fields(app)["patient_name"] == "Corrected Name"
    assert not app.exception
    print(f"a corrected field re-ran the page in {rerun * 1000:.0f} ms")


def test_fields_are_flagged_below_the_reports_threshold(docs) -> None:
    """The page flags a field for checking below the threshold `make baseline` shipped from
    the report, not below a number of its own."""
    shipped = resources.files("medxtract_lab").joinpath("data/review_thresholds.json")
    threshold = json.loads(shipped.read_text())["prescription"]
    app = AppTest.from_file(UI, default_timeout=120).run()
    app.selectbox(key="doc_type").set_value("prescription").run()
    _upload(app, "record.pdf", docs["patient_details-digital"].path.read_bytes())
    flagged = [w.label for w in [*app.text_input, *app.text_area] if "check it" in w.label]
    confidences = {w.label.split(" (")[0]: float(w.label.split("(")[1][:4]) for w in app.text_input}
    expected = [n for n, c in confidences.items() if c < threshold]
    assert flagged and {label.split(" (")[0] for label in flagged} >= set(expected)
    assert f"below {threshold:g}" in app.warning[-1].value


def test_a_wrong_type_is_named(docs) -> None:
    app = AppTest.from_file(UI, default_timeout=120).run()
    app.selectbox(key="doc_type").set_value("prescription").run()
    _upload(app, "record.pdf", docs["patient_details-digital"].path.read_bytes())
    assert any("looks like a patient_details document" in w.value for w in app.warning)


def test_a_rejected_file_leaves_nothing_of_the_last_one(docs) -> None:
    app = AppTest.from_file(UI, default_timeout=120).run()
    _upload(app, "rx.pdf", docs["prescription-digital"].path.read_bytes())
    assert _fields(app)
    _upload(app, "notes.pdf", b"this is not a pdf")
    assert not app.exception
    assert "notes.pdf is not a PDF" in app.error[0].value  # the user's own file is named
    assert _fields(app) == {} and not app.get("download_button")


def test_sample_query_opens_a_bundled_document() -> None:
    app = AppTest.from_file(UI, default_timeout=120)
    app.query_params["sample"] = "patient_details"
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="doc_type").value == "patient_details"
    assert "hepatitis_b_vaccination" in _fields(app)


def test_an_unreachable_server_is_a_plain_message(monkeypatch, docs) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MEDXTRACT_API_URL", f"http://127.0.0.1:{port}")
    app = AppTest.from_file(UI, default_timeout=60).run()
    _upload(app, "rx.pdf", docs["prescription-digital"].path.read_bytes())
    assert not app.exception
    assert "did not answer" in app.error[0].value


def test_stopping_medxtract_ui_stops_its_server(tmp_path) -> None:
    """`medxtract ui` becomes the Streamlit server: SIGTERM to it frees the port."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    medxtract = Path(sys.executable).with_name("medxtract")
    env = {**os.environ, "HOME": str(tmp_path)}  # no user config or credentials prompt
    ui = subprocess.Popen(
        [str(medxtract), "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/_stcore/health"
        for _ in range(120):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("the Streamlit server did not start")
        ui.send_signal(signal.SIGTERM)
        ui.wait(timeout=20)
    finally:
        if ui.poll() is None:
            ui.kill()
    with pytest.raises(httpx.HTTPError):
        httpx.get(url, timeout=1)  # nothing holds the port any more
