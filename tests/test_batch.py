"""The batch `medxtract extract`: files and folders in, one record per document out, a bad file
recorded and never stopping the batch, and the document type told from the labels."""

import csv
import json
import shutil

import pytest
from conftest import blank_pdf

from medxtract_lab.cli import main


@pytest.fixture
def inbox(docs, tmp_path):
    """A folder with a prescription, a patient record (in a subfolder) and a non-PDF."""
    folder = tmp_path / "inbox"
    (folder / "records").mkdir(parents=True)
    shutil.copy(docs["prescription-digital"].path, folder / "rx.pdf")
    shutil.copy(docs["patient_details-digital"].path, folder / "records" / "pr.PDF")
    (folder / "notes.pdf").write_text("not a pdf at all")
    return folder


def test_a_folder_gives_one_csv_row_per_document(inbox, docs, tmp_path, capsys) -> None:
    out = tmp_path / "results" / "out.csv"
    missing = tmp_path / "absent.pdf"
    code = main(["extract", str(inbox), str(missing), "--out", str(out), "--workers", "2"])
    assert code == 2  # two files failed as bad input; the others were still read
    with out.open(newline="", encoding="utf-8") as handle:
        rows = {row["file"].rsplit("/", 1)[-1]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == ["absent.pdf", "notes.pdf", "pr.PDF", "rx.pdf"]
    assert rows["absent.pdf"]["error"] == "file_not_found"
    assert rows["notes.pdf"]["error"] == "not_a_pdf"
    # --type auto (the default) told each document's type from the labels it prints.
    assert rows["rx.pdf"]["document_type"] == "prescription"
    assert rows["pr.PDF"]["document_type"] == "patient_details"
    for name, key in (("rx.pdf", "prescription-digital"), ("pr.PDF", "patient_details-digital")):
        expected = docs[key].fields
        assert rows[name]["error"] == ""
        assert {f: rows[name][f] or None for f in expected} == expected  # multi-line kept
    err = capsys.readouterr().err
    assert "2 of 4 documents read, 2 failed (" in err and "file_not_found: 1" in err
    assert [p.name for p in out.parent.iterdir()] == ["out.csv"]  # no temporary file left


def test_json_lines_on_stdout_without_out(inbox, capsys) -> None:
    assert main(["extract", str(inbox / "rx.pdf"), str(inbox / "notes.pdf")]) == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"].rsplit("/", 1)[-1] for line in lines] == ["rx.pdf", "notes.pdf"]
    assert lines[0]["error"] is None and lines[0]["fields"]["patient_name"]
    assert lines[1]["error"] == "not_a_pdf" and "fields" not in lines[1]


def test_a_wrong_type_warns_and_names_the_likely_one(inbox, capsys) -> None:
    record = inbox / "records" / "pr.PDF"
    assert main(["extract", str(record), "--type", "prescription"]) == 0
    captured = capsys.readouterr()
    assert "warning: this looks like a patient_details document" in captured.err
    assert "looks like a patient_details" in json.loads(captured.out)["warnings"][-1]


def test_auto_refuses_a_page_without_the_labels_of_any_type(tmp_path, capsys) -> None:
    path = tmp_path / "letter.pdf"
    path.write_bytes(blank_pdf(1))
    assert main(["extract", str(path), "--type", "auto"]) == 2
    assert "type_not_recognised" in capsys.readouterr().err


def test_a_batch_stopped_by_a_missing_program_leaves_no_file(inbox, tmp_path, monkeypatch):
    # A drawn page without text needs poppler to render it: born-digital pages are read by
    # pdfium and full-page JPEGs decoded, both in-process.
    (inbox / "a-drawing.pdf").write_bytes(blank_pdf(1, text=False))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no poppler: it cannot be read
    out = tmp_path / "results" / "out.jsonl"
    code = main(["extract", str(inbox), "--out", str(out), "--workers", "1"])
    assert code == 3
    assert list(out.parent.iterdir()) == []  # neither the file nor its temporary


def test_an_output_of_another_kind_is_refused_before_reading(inbox, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["extract", str(inbox), "--out", str(tmp_path / "out.xlsx")])
    assert stopped.value.code == 2
    assert "write .jsonl" in capsys.readouterr().err


def dies_on_notes(path, doc_type, config):  # noqa: ANN001 - run in a worker process
    """Fault injection: the worker reading notes.pdf dies as an out-of-memory kill would."""
    import os

    from medxtract_lab.batch import extract_record

    if path.name == "notes.pdf":
        os._exit(137)
    return extract_record(path, doc_type, config)


def test_a_worker_that_dies_costs_only_its_own_file(inbox) -> None:
    from medxtract_lab.batch import find_pdfs, run_batch
    from medxtract_lab.config import get_preset

    paths = find_pdfs([inbox])
    records = list(run_batch(paths, "auto", get_preset("default"), 2, "off", reader=dies_on_notes))
    assert [r["file"] for r in records] == [str(p) for p in paths]  # every file, in order
    errors = {r["file"].rsplit("/", 1)[-1]: r["error"] for r in records}
    assert errors == {"notes.pdf": "worker_died", "pr.PDF": None, "rx.pdf": None}
