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


def test_every_error_class_is_in_errors_py_with_a_distinct_code() -> None:
    assert {cls.__module__ for cls in ERRORS} == {"medxtract_lab.errors"}
    codes = [cls.code for cls in ERRORS]
    assert len(set(codes)) == len(codes)
    assert errors.LabelError.exit_code == errors.EXIT_BAD_INPUT


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
