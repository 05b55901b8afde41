"""One time budget per document: a file that makes poppler work for minutes is stopped when
the budget runs out, with a typed error, and leaves no poppler process or temporary file."""

import subprocess
import time
from dataclasses import replace

import pikepdf
import pytest
from fastapi.testclient import TestClient

from medxtract_lab.api import ServiceSettings, create_app
from medxtract_lab.config import get_preset
from medxtract_lab.errors import DocumentTimeout
from medxtract_lab.pipeline import extract

BUDGET_S = 4.0


def fanned_out_forms(path, width: int = 4, depth: int = 30) -> None:
    """A few KB whose page draws 4**30 copies of a line through nested form XObjects: poppler
    reads its text layer and renders it for as long as it is allowed to."""
    pdf = pikepdf.new()
    form = None
    for level in range(depth + 1):
        body = (
            b"0 0 m 100 100 l S"
            if level == 0
            else b" ".join(f"/X{i} Do".encode() for i in range(width))
        )
        stream = pikepdf.Stream(pdf, body)
        stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        stream.BBox = [0, 0, 612, 792]
        if form is not None:
            stream.Resources = pikepdf.Dictionary(
                XObject=pikepdf.Dictionary({f"/X{i}": form for i in range(width)})
            )
        form = stream
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 612, 792],
        Contents=pikepdf.Stream(pdf, b"/Top Do"),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Top=form)),
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


def _poppler_running(path) -> bool:
    return subprocess.run(["pgrep", "-f", str(path)], capture_output=True).returncode == 0


@pytest.fixture
def hostile(tmp_path):
    path = tmp_path / "fanout.pdf"
    fanned_out_forms(path)
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
        files = {"file": ("fanout.pdf", handle, "application/pdf")}
        response = client.post("/v1/extract", files=files, data={"file_format": "prescription"})
    assert response.status_code == 504
    assert response.json()["error"] == "document_timeout"
    assert time.monotonic() - started < BUDGET_S + 3
    assert client.get("/health").status_code == 200
    spec = client.get("/openapi.json").json()["paths"]["/v1/extract"]["post"]["responses"]
    assert "document_timeout" in str(spec["504"])  # documented as it is answered
    assert list(private_tmp.iterdir()) == []  # the upload's folder went with the response
