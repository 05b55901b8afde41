"""The registries are the only lists: a toy OCR engine and a toy document type, registered from
a test, run end to end through the CLI and the API; every registered type has what the lab needs."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import rasterise
from reportlab.pdfgen import canvas

from medxtract_lab import errors
from medxtract_lab.cli import main
from medxtract_lab.corpus.synth import GENERATORS, HOUSE
from medxtract_lab.doctypes import DOC_TYPES, register_doctype, unregister_doctype
from medxtract_lab.doctypes.patterns import DATE
from medxtract_lab.extraction import DocType, FieldSpec, Label, Section
from medxtract_lab.ocr import EngineSpec, get_engine, register_engine, unregister_engine
from medxtract_lab.pipeline import extract
from medxtract_lab.samples import sample_pdf

FIXTURES = Path(__file__).parent / "fixtures"
GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"


@pytest.mark.parametrize("doc_type", sorted(DOC_TYPES))
def test_every_registered_type_has_a_generator_fixtures_a_sample_and_a_corpus(doc_type) -> None:
    assert (doc_type, HOUSE) in GENERATORS, f"no synthetic generator for {doc_type}"
    pdf, fields, pages = GENERATORS[(doc_type, HOUSE)].document(random.Random(1))
    assert pdf.startswith(b"%PDF-") and list(fields) == DOC_TYPES[doc_type].field_names
    assert sorted((FIXTURES / doc_type).glob("*.txt")), f"no extraction fixtures for {doc_type}"
    assert (sample_pdf(doc_type) or b"").startswith(b"%PDF-"), f"no bundled sample for {doc_type}"
    assert sorted((GROUND_TRUTH / doc_type).glob("*.json")), f"no labelled corpus for {doc_type}"


@pytest.mark.parametrize("key", sorted(GENERATORS))
def test_every_layout_family_fills_its_types_contract_with_what_it_prints(key) -> None:
    """A family's label holds exactly its type's fields, and every value it gives is printed
    on the page it drew (so the ground truth is known by construction)."""
    doc_type, _ = key
    pdf, fields, pages = GENERATORS[key].document(random.Random(7))
    assert pdf.startswith(b"%PDF-") and list(fields) == DOC_TYPES[doc_type].field_names
    printed = " ".join(" ".join(page.split()) for page in pages)
    for name, value in fields.items():
        for line in (value or "").split("\n"):
            assert " ".join(line.split()) in printed, f"{key} {name}: {line!r} not printed"


class CountingEngine:
    """A toy engine: real Tesseract underneath, with a name of its own and a call count. It has
    no single-line read, so the pipeline must not try to re-read fields with it."""

    name = "counting"

    def __init__(self) -> None:
        self.pages = 0
        self._lock = threading.Lock()

    def recognize(self, image, settings):
        with self._lock:  # pages run in parallel threads
            self.pages += 1
        return get_engine("tesserocr").recognize(image, settings)

    def version(self) -> str:
        return "counting 1.0"


@pytest.fixture
def counting_engine():
    register_engine(EngineSpec("counting", CountingEngine, lambda: None))
    yield get_engine("counting")
    unregister_engine("counting")


def test_a_toy_engine_registered_from_a_test_is_chosen_by_config_name(
    counting_engine, docs, tmp_path, capsys
) -> None:
    doc = docs["patient_details-image"]
    config = tmp_path / "counting.yaml"
    config.write_text("ocr: {engine: counting, psm: 4, reread_budget_s: 10}\nsteps: [grayscale]\n")
    code = main(["extract", str(doc.path), "--type", "patient_details", "--config", str(config)])
    assert code == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert counting_engine.pages == 2  # both pages went through the registered engine
    assert result["fields"]["patient_name"] == doc.fields["patient_name"]
    assert "reread" not in result["timings_ms"]  # no line reads: no re-read attempted


def test_an_engine_that_cannot_run_names_what_to_install(capsys) -> None:
    register_engine(EngineSpec("absent", CountingEngine, lambda: "Install absent-ocr 2.0."))
    try:
        with pytest.raises(errors.DependencyMissing, match="Install absent-ocr 2.0"):
            get_engine("absent")
        assert main(["engines"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert listed["absent"] == {
            "available": False,
            "install": "Install absent-ocr 2.0.",
            "about": "",
        }
        assert listed["tesserocr"]["available"] is True
    finally:
        unregister_engine("absent")


REFERRAL = DocType(
    name="referral",
    fields=(
        FieldSpec("patient_name", Label(("Patient:",)), page=1),
        FieldSpec("date", Label(("Date:",)), page=1, value=DATE),
        FieldSpec("reason", Section(("Reason for referral",), ("Signed",), take="lines"), page=1),
    ),
    structural_labels=("Signed",),
)


def _referral_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(612, 792), invariant=1)
    pdf.setFont("Helvetica", 14)
    for y, line in (
        (720, "Referral letter"),
        (680, "Patient: Alma Ruiz"),
        (655, "Date: 3/14/2024"),
        (620, "Reason for referral"),
        (598, "Recurring migraine with aura"),
        (560, "Signed"),
    ):
        pdf.drawString(72, y, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture
def referral():
    register_doctype(REFERRAL)
    yield REFERRAL
    unregister_doctype("referral")


def test_a_toy_document_type_registered_from_a_test_runs_end_to_end(
    referral, tmp_path, capsys
) -> None:
    path = tmp_path / "referral.pdf"
    path.write_bytes(rasterise(_referral_pdf()))  # image-only: read through OCR
    expected = {
        "patient_name": "Alma Ruiz",
        "date": "3/14/2024",
        "reason": "Recurring migraine with aura",
    }
    assert extract(path, "referral").fields == expected
    assert main(["extract", str(path), "--type", "referral"]) == 0
    assert json.loads(capsys.readouterr().out)["fields"] == expected
    assert main(["doctypes"]) == 0
    assert json.loads(capsys.readouterr().out)["referral"]["fields"] == list(expected)


def test_the_api_lists_and_reads_a_registered_type(referral, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from medxtract_lab.api import ServiceSettings, create_app

    with TestClient(create_app(ServiceSettings(workers=1, queue=1))) as client:
        assert client.get("/v1/doc-types").json()["referral"] == ["patient_name", "date", "reason"]
        response = client.post(
            "/extract_from_doc",
            files={"file": ("r.pdf", _referral_pdf(), "application/pdf")},
            data={"file_format": "referral"},
        )
    assert response.status_code == 200
    assert response.json()["patient_name"] == "Alma Ruiz"


def test_a_field_of_an_unregistered_kind_is_refused_at_registration() -> None:
    class Stamp:  # options of a value kind nobody registered
        labels = ()

    bad = DocType("bad", (FieldSpec("stamp", Stamp()),))
    with pytest.raises(TypeError, match="not a registered value kind"):
        register_doctype(bad)
    assert "bad" not in DOC_TYPES


def test_a_plugin_package_registers_in_every_process(tmp_path) -> None:
    """An installed package's entry points register its engine and document type whenever the
    registries load, so fresh processes (the runner's workers, the CLI) know them too."""
    (tmp_path / "referral_plugin.py").write_text(
        "from medxtract_lab.extraction import DocType, FieldSpec, Label\n"
        "from medxtract_lab.ocr import EngineSpec\n"
        "from medxtract_lab.ocr.tesserocr_engine import TesserocrEngine\n"
        "REFERRAL = DocType('referral', (FieldSpec('patient_name', Label(('Patient:',))),))\n"
        "ENGINE = EngineSpec('plugin-ocr', TesserocrEngine, lambda: None)\n"
        "BROKEN = 42\n"
    )
    info = tmp_path / "referral_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: referral-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[medxtract_lab.doctypes]\nreferral = referral_plugin:REFERRAL\n"
        "broken = referral_plugin:BROKEN\n\n"
        "[medxtract_lab.ocr_engines]\nplugin-ocr = referral_plugin:ENGINE\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "medxtract_lab"]
    listed = subprocess.run(
        [*command, "doctypes"], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    assert json.loads(listed.stdout)["referral"]["fields"] == ["patient_name"]
    assert "'broken'" in listed.stderr and "was not loaded" in listed.stderr  # named, skipped
    engines = subprocess.run(
        [*command, "engines"], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    assert json.loads(engines.stdout)["plugin-ocr"]["available"] is True
    # Whichever registry a process imports first, one module registers both.
    for first in ("medxtract_lab.doctypes", "medxtract_lab.ocr"):
        both = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import {first}; from medxtract_lab.doctypes import DOC_TYPES; "
                "from medxtract_lab.ocr import engine_names; "
                "print('referral' in DOC_TYPES, 'plugin-ocr' in engine_names())",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        assert both.stdout.split() == ["True", "True"], (first, both.stderr)
