"""Label Studio exchange: corpus -> tasks with pre-annotations -> a Label Studio export -> labels.

Documents are read for real (poppler, Tesseract). What Label Studio accepts is checked with its
own SDK (pinned, in .venv-labelstudio: see tests/labelstudio_sdk/requirements.txt), run in a
subprocess because the SDK's requirements would downgrade this project's OpenCV.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import pytest

from medxtract_lab.cli import main
from medxtract_lab.corpus import load_corpus
from medxtract_lab.doctypes import contract
from medxtract_lab.labelstudio import labelling_config

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "ground_truth" / "prescription"
# A clean scan, and a scan read sideways whose medicines and directions run over three lines.
DOCUMENTS = ("rx-scan-000", "rx-rotated-000")
SDK_PIN = "2.1.2"
SDK_VENV = REPO / ".venv-labelstudio"


def _copy_corpus(target: Path) -> Path:
    folder = target / "prescription"
    folder.mkdir(parents=True)
    for name in DOCUMENTS:
        for suffix in (".pdf", ".json"):
            shutil.copy2(SOURCE / f"{name}{suffix}", folder / f"{name}{suffix}")
    return target


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The two documents exported once through the command line."""
    base = tmp_path_factory.mktemp("labelstudio")
    corpus = _copy_corpus(base / "corpus")
    out = base / "ls" / "tasks.json"
    assert main(["export-labelstudio", str(corpus), str(out), "--doc-type", "prescription"]) == 0
    return {
        "out": out,
        "tasks": json.loads(out.read_text(encoding="utf-8")),
        "config": (out.parent / "tasks.prescription.xml").read_text(encoding="utf-8"),
    }


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _copy_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The interpreter of the pinned SDK's venv, made here when `make test` has not made it."""
    subprocess.run(
        ["bash", str(REPO / "scripts" / "labelstudio-sdk-venv.sh"), str(SDK_VENV)],
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        timeout=600,
    )
    return SDK_VENV / "bin" / "python"


def _sdk_check(python: Path, config: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    done = subprocess.run(
        [str(python), str(REPO / "tests" / "labelstudio_sdk" / "check.py")],
        input=json.dumps({"config": config, "tasks": tasks}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def _label_studio_export(tasks: list[dict[str, Any]], shuffle: bool = True) -> list[dict]:
    """What Label Studio's Export > JSON gives after an annotator submitted each task with its
    pre-annotation accepted: the tasks with ids, and an annotation whose result is the
    prediction's (regions in an order of Label Studio's own, so shuffled here)."""
    rng = random.Random(7)
    export = []
    for number, task in enumerate(copy.deepcopy(tasks), start=1):
        prediction = task["predictions"][0]
        result = [dict(item, origin="prediction") for item in prediction["result"]]
        if shuffle:
            rng.shuffle(result)
        export.append(
            {
                "id": number,
                "data": task["data"],
                "annotations": [
                    {
                        "id": 100 + number,
                        "completed_by": 1,
                        "result": result,
                        "was_cancelled": False,
                        "ground_truth": False,
                        "created_at": "2026-11-24T10:00:00.000000Z",
                        "updated_at": "2026-11-24T10:00:00.000000Z",
                        "lead_time": 12.5,
                        "prediction": {},
                        "result_count": 0,
                        "task": number,
                        "project": 1,
                        "parent_prediction": number,
                        "parent_annotation": None,
                    }
                ],
                "predictions": [dict(prediction, id=number, task=number, project=1)],
                "meta": {},
                "created_at": "2026-11-24T09:00:00.000000Z",
                "updated_at": "2026-11-24T10:00:00.000000Z",
                "inner_id": number,
                "total_annotations": 1,
                "cancelled_annotations": 0,
                "total_predictions": 1,
                "project": 1,
            }
        )
    return export


def _results(task: dict[str, Any], field: str, kind: str) -> list[dict[str, Any]]:
    return [
        r
        for r in task["annotations"][0]["result"]
        if r["type"] == kind
        and (r["value"].get("rectanglelabels") == [field] or kind == "textarea")
        and (kind != "textarea" or r["id"] in _region_ids(task, field))
    ]


def _region_ids(task: dict[str, Any], field: str) -> set[str]:
    return {
        r["id"]
        for r in task["annotations"][0]["result"]
        if r["type"] == "rectanglelabels" and r["value"]["rectanglelabels"] == [field]
    }


def _task(export: list[dict[str, Any]], document_id: str) -> dict[str, Any]:
    return next(t for t in export if t["data"]["document_id"] == document_id)


def _write(path: Path, export: Any) -> Path:
    path.write_text(json.dumps(export), encoding="utf-8")
    return path


def _labels(corpus: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(corpus.rglob("*.json"))}


# -- export --------------------------------------------------------------------------------------


def test_export_writes_a_task_per_page_with_a_box_and_transcription_per_value_line(
    exported,
) -> None:
    tasks, out = exported["tasks"], exported["out"]
    labels = {d.id: d for d in load_corpus(out.parent.parent / "corpus")}
    assert sorted(t["data"]["document_id"] for t in tasks) == sorted(DOCUMENTS)
    for task in tasks:
        data = task["data"]
        label = labels[data["document_id"]]
        assert (data["doc_type"], data["page"], data["pages"]) == ("prescription", 1, 1)
        assert data["label"] == f"prescription/{label.id}.json"
        assert "page_text" not in data  # patient text only in the page's text area
        assert data["image"].startswith("/data/local-files/?d=tasks_images/prescription/")
        image = cv2.imread(str(out.parent / data["image"].split("?d=", 1)[1]))
        height, width = image.shape[:2]
        assert height > width  # upright, the sideways scan too
        result = task["predictions"][0]["result"]
        boxes = [r for r in result if r["type"] == "rectanglelabels"]
        texts = {r["id"]: r for r in result if r["from_name"] == "transcription"}
        for spec in contract("prescription").fields:
            mine = [b for b in boxes if b["value"]["rectanglelabels"] == [spec.name]]
            lines = [line for b in mine for line in texts[b["id"]]["value"]["text"]]
            assert "\n".join(lines) == label.fields[spec.name], spec.name  # the label's text
            for box in mine:
                value = box["value"]
                assert (box["original_width"], box["original_height"]) == (width, height)
                assert 0 <= value["x"] < value["x"] + value["width"] <= 100
                assert 0 <= value["y"] < value["y"] + value["height"] <= 100
                assert texts[box["id"]]["value"]["x"] == value["x"]
        page = [r for r in result if r["from_name"] == "page_text"]
        assert page[0]["value"]["text"] == [label.pages[0]]
    rotated = _task(tasks, "rx-rotated-000")["predictions"][0]["result"]
    medicines = [r for r in rotated if r["value"].get("rectanglelabels") == ["medicines"]]
    assert len(medicines) == 3  # a box per line, top to bottom on the upright page
    assert [r["value"]["y"] for r in medicines] == sorted(r["value"]["y"] for r in medicines)


def test_the_labelling_config_names_the_contracts_fields() -> None:
    for doc_type in ("prescription", "patient_details"):
        config = labelling_config(doc_type)
        for name in contract(doc_type).field_names:
            assert f'<Label value="{name}"' in config


def test_a_corpus_of_several_types_needs_a_doc_type(tmp_path, capsys) -> None:
    corpus = _copy_corpus(tmp_path / "corpus")
    other = next((REPO / "ground_truth" / "patient_details").glob("*.json"))
    (corpus / "patient_details").mkdir()
    for suffix in (".pdf", ".json"):
        shutil.copy2(other.with_suffix(suffix), corpus / "patient_details")
    assert main(["export-labelstudio", str(corpus), str(tmp_path / "t.json")]) == 2
    assert "pass --doc-type" in capsys.readouterr().err
    assert not (tmp_path / "t.json").exists()


# -- Label Studio's own format -----------------------------------------------------------------


def test_tasks_predictions_annotations_and_config_are_valid_for_the_label_studio_sdk(
    exported, sdk_python
) -> None:
    export = _label_studio_export(exported["tasks"])
    _results(_task(export, "rx-scan-000"), "patient_name", "textarea")[0]["value"]["text"] = [
        "Lynda Hickson"
    ]
    checked = _sdk_check(sdk_python, exported["config"], exported["tasks"] + export)
    assert checked["sdk"] == SDK_PIN
    assert checked["problems"] == []
    assert checked["controls"]["field"] == {
        "tag": "RectangleLabels",
        "labels": contract("prescription").field_names,
    }
    assert checked["controls"]["transcription"]["tag"] == "TextArea"


def test_the_sdk_check_refuses_what_label_studio_would(exported, sdk_python) -> None:
    """The check above can fail: a label the config lacks and a box off the image are found."""
    tasks = copy.deepcopy(exported["tasks"][:1])
    boxes = [r for r in tasks[0]["predictions"][0]["result"] if r["type"] == "rectanglelabels"]
    boxes[0]["value"]["rectanglelabels"] = ["pharmacy"]
    boxes[1]["value"]["x"] = 130
    problems = _sdk_check(sdk_python, exported["config"], tasks)["problems"]
    assert len(problems) == 2
    assert "Invalid value for control 'field'" in problems[0]
    assert "out of bounds" in problems[1]


# -- import --------------------------------------------------------------------------------------


def test_round_trip_imports_an_edited_transcription_and_keeps_the_old_label(
    exported, corpus, tmp_path, capsys
) -> None:
    before = {d.id: d for d in load_corpus(corpus)}
    export = _label_studio_export(exported["tasks"])
    edited = _results(_task(export, "rx-scan-000"), "patient_name", "textarea")
    assert len(edited) == 1
    edited[0]["value"]["text"] = ["Lynda Hickson"]  # the annotator corrects one textarea
    edited[0]["origin"] = "prediction-changed"
    path = _write(tmp_path / "project-1-at-2026-11-24.json", export)

    assert main(["import-labelstudio", str(path), str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "imported 1 document into" in out and "rx-scan-000: patient_name" in out
    assert "unchanged: rx-rotated-000" in out  # its three-line values came back in order

    after = {d.id: d for d in load_corpus(corpus)}
    assert after["rx-scan-000"].fields == {
        **before["rx-scan-000"].fields,
        "patient_name": ("Lynda Hickson"),
    }
    assert after["rx-scan-000"].pages == before["rx-scan-000"].pages
    assert after["rx-scan-000"].labeled_by == "label-studio:user-1"
    assert after["rx-rotated-000"] == before["rx-rotated-000"]
    history = list((corpus / ".history").glob("rx-scan-000.*.json"))
    assert len(history) == 1
    assert json.loads(history[0].read_text())["fields"] == before["rx-scan-000"].fields
    assert "Hickson" not in out  # field values are never printed


def test_regions_in_any_order_give_the_lines_top_to_bottom(exported, corpus, tmp_path) -> None:
    export = _label_studio_export(exported["tasks"])
    task = _task(export, "rx-rotated-000")
    texts = _results(task, "directions", "textarea")
    boxes = {r["id"]: r for r in _results(task, "directions", "rectanglelabels")}
    top = min(texts, key=lambda r: boxes[r["id"]]["value"]["y"])
    top["value"]["text"] = ["Quetiapine, taper 5 mg every 4 days"]
    assert main(["import-labelstudio", str(_write(tmp_path / "e.json", export)), str(corpus)]) == 0
    value = {d.id: d for d in load_corpus(corpus)}["rx-rotated-000"].fields["directions"]
    assert value.split("\n")[0] == "Quetiapine, taper 5 mg every 4 days"
    assert len(value.split("\n")) == 3


@pytest.mark.parametrize("shown", [True, False])
def test_a_deleted_region_nulls_its_field_unless_the_export_had_no_box_for_it(
    shown, exported, corpus, tmp_path
) -> None:
    export = _label_studio_export(exported["tasks"])
    task = _task(export, "rx-scan-000")
    ids = _region_ids(task, "refills")
    task["annotations"][0]["result"] = [
        r for r in task["annotations"][0]["result"] if r["id"] not in ids
    ]
    if not shown:  # as exported for a labelled value the extraction found no box for
        task["data"]["unplaced"] = ["refills"]
    before = {d.id: d for d in load_corpus(corpus)}["rx-scan-000"]
    assert main(["import-labelstudio", str(_write(tmp_path / "e.json", export)), str(corpus)]) == 0
    after = {d.id: d for d in load_corpus(corpus)}["rx-scan-000"]
    assert after.fields["refills"] == (None if shown else before.fields["refills"])


def test_an_edited_page_text_is_imported(exported, corpus, tmp_path, capsys) -> None:
    export = _label_studio_export(exported["tasks"])
    [page] = [
        r for r in _task(export, "rx-scan-000")["annotations"][0]["result"]
        if r["from_name"] == "page_text"
    ]  # fmt: skip
    page["value"]["text"] = ["Dr Axel Hartmann, M.D", "Refill: 2 times"]  # submitted lines
    assert main(["import-labelstudio", str(_write(tmp_path / "e.json", export)), str(corpus)]) == 0
    assert "rx-scan-000: page 1 text" in capsys.readouterr().out
    after = {d.id: d for d in load_corpus(corpus)}["rx-scan-000"]
    assert after.pages == ["Dr Axel Hartmann, M.D\nRefill: 2 times"]


def test_a_document_not_annotated_is_skipped(exported, corpus, tmp_path, capsys) -> None:
    export = _label_studio_export(exported["tasks"])
    _task(export, "rx-scan-000")["annotations"] = []
    _task(export, "rx-rotated-000")["annotations"][0]["was_cancelled"] = True
    before = _labels(corpus)
    assert main(["import-labelstudio", str(_write(tmp_path / "e.json", export)), str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "imported 0 documents into" in out and ".history" not in out  # nothing kept
    assert "skipped rx-scan-000: not annotated" in out
    assert _labels(corpus) == before


def _unknown_label(export: list[dict]) -> None:
    box = _results(_task(export, "rx-scan-000"), "refills", "rectanglelabels")[0]
    box["value"]["rectanglelabels"] = ["pharmacy"]


def _bad_date(export: list[dict]) -> None:
    _results(_task(export, "rx-scan-000"), "date", "textarea")[0]["value"]["text"] = ["soon-ish"]


def _unknown_document(export: list[dict]) -> None:
    _task(export, "rx-scan-000")["data"]["label"] = "prescription/rx-scan-999.json"


def _two_lines_in_one_line_field(export: list[dict]) -> None:
    text = _results(_task(export, "rx-scan-000"), "patient_name", "textarea")[0]["value"]
    text["text"] = ["Lynda", "Hicks"]


def _region_without_text(export: list[dict]) -> None:
    task = _task(export, "rx-scan-000")
    ids = _region_ids(task, "doctor_name")
    task["annotations"][0]["result"] = [
        r for r in task["annotations"][0]["result"] if r["type"] != "textarea" or r["id"] not in ids
    ]


def _another_control(export: list[dict]) -> None:
    _task(export, "rx-scan-000")["annotations"][0]["result"].append(
        {
            "id": "x1",
            "from_name": "sentiment",
            "to_name": "image",
            "type": "choices",
            "value": {"choices": ["ok"]},
        }  # fmt: skip
    )


def _no_data(export: list[dict]) -> None:
    del _task(export, "rx-scan-000")["data"]


MALFORMED = {
    "unknown field label": (_unknown_label, "region label 'pharmacy' is not a field of"),
    "value the contract refuses": (_bad_date, "field 'date' is not a valid date"),
    "unknown document": (_unknown_document, "is not in this corpus"),
    "two lines in a one-line field": (_two_lines_in_one_line_field, "is one line in the"),
    "region without transcription": (_region_without_text, "has no transcription"),
    "another project's control": (_another_control, "from control 'sentiment'"),
    "JSON-MIN rows": (_no_data, "has no 'data' object"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_export_is_refused_and_nothing_is_written(
    case, exported, corpus, tmp_path, capsys
) -> None:
    spoil, message = MALFORMED[case]
    export = _label_studio_export(exported["tasks"])
    # A valid edit of the other document in the same export: it must not be written either.
    _results(_task(export, "rx-rotated-000"), "refills", "textarea")[0]["value"]["text"] = ["3"]
    spoiled = _task(export, "rx-scan-000")["id"]
    spoil(export)
    before = _labels(corpus)
    assert main(["import-labelstudio", str(_write(tmp_path / "e.json", export)), str(corpus)]) == 2
    err = capsys.readouterr().err
    assert "medxtract: bad_labelstudio_export:" in err and "nothing was imported" in err
    assert message in err
    assert f"task {spoiled}" in err
    assert "soon-ish" not in err  # values are never echoed
    assert _labels(corpus) == before
    assert not (corpus / ".history").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"tasks": []}', "not a list of tasks"),
        ('[{"data": {"image": "x.png"}}]', "was not made by `medxtract export-labelstudio`"),
    ],
)
def test_an_export_that_is_not_label_studio_json_is_refused(
    content, message, corpus, tmp_path, capsys
) -> None:
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    before = _labels(corpus)
    assert main(["import-labelstudio", str(path), str(corpus)]) == 2
    assert message in capsys.readouterr().err
    assert _labels(corpus) == before
