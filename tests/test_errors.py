"""Each error class owns its mapping: the CLI exits with its ``exit_code`` and the API answers
its ``http_status`` with ``{error, detail}``; faults are injected into the real entry points."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from medxtract_lab import api, errors
from medxtract_lab.cli import main


def _all_error_classes() -> list[type[errors.MedXtractError]]:
    found, todo = [], [errors.MedXtractError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)


ERRORS = _all_error_classes()

# The contract the README documents: exit 2 bad input, 3 missing dependency, 1 engine failure;
# 415 not a PDF, 422 bad input, 503 missing dependency, 504 timeout.
EXPECTED = {
    "MedXtractError": (1, 500),
    "InputError": (2, 422),
    "EmptyFile": (2, 422),
    "NotAPdf": (2, 415),
    "CorruptPdf": (2, 422),
    "EncryptedPdf": (2, 422),
    "TooManyPages": (2, 422),
    "PageTooLarge": (2, 422),
    "PageTooComplex": (2, 422),
    "NoisePage": (2, 422),
    "FileMissing": (2, 422),
    "TypeNotRecognised": (2, 422),
    "LabelError": (2, 422),
    "LabelConflict": (2, 409),
    "BaselineError": (2, 422),
    "LabelStudioError": (2, 422),
    "DocumentTimeout": (2, 504),
    "ServiceStopping": (1, 503),
    "UnknownDocType": (2, 422),
    "ConfigError": (2, 422),
    "LayoutFileError": (2, 422),
    "DependencyMissing": (3, 503),
    "OcrError": (1, 500),
    "OcrTimeout": (1, 504),
    "ReportError": (1, 500),
}


def test_each_error_maps_to_the_documented_exit_code_and_status() -> None:
    assert {c.__name__: (c.exit_code, c.http_status) for c in ERRORS} == EXPECTED


def test_every_error_class_is_in_errors_py_with_a_distinct_code() -> None:
    assert {cls.__module__ for cls in ERRORS} == {"medxtract_lab.errors"}
    codes = [cls.code for cls in ERRORS]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_the_cli_exits_with_the_errors_own_code(cls, monkeypatch, tmp_path, capsys) -> None:
    def fail(*args, **kwargs):
        raise cls("what went wrong, and what to do")

    monkeypatch.setattr("medxtract_lab.pipeline.extract", fail)
    assert main(["extract", str(tmp_path / "x.pdf"), "--type", "prescription"]) == cls.exit_code
    assert f"medxtract: {cls.code}: what went wrong" in capsys.readouterr().err


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_the_api_answers_the_errors_own_status(cls, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise cls("what went wrong, and what to do")

    monkeypatch.setattr(api, "extract", fail)
    with TestClient(api.create_app(api.ServiceSettings(workers=1, queue=1))) as client:
        response = client.post(
            "/v1/extract",
            files={"file": ("a.pdf", b"%PDF-1.4 not read", "application/pdf")},
            data={"file_format": "prescription"},
        )
    assert response.status_code == cls.http_status
    assert response.json() == {"error": cls.code, "detail": "what went wrong, and what to do"}
