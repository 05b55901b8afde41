"""Labels under concurrent editing: no lost version, no stale temp file, no silent overwrite."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from filelock import FileLock

from medxtract_lab.corpus.store import label_version, load_corpus, save_label
from medxtract_lab.errors import LabelConflict

ROOT = Path(__file__).resolve().parent.parent
GROUND_TRUTH = ROOT / "ground_truth"


@pytest.fixture
def one_label(tmp_path):
    doc = next(d for d in load_corpus(GROUND_TRUTH) if d.doc_type == "prescription")
    (tmp_path / doc.document).write_bytes(doc.pdf_path.read_bytes())
    path = tmp_path / f"{doc.id}.json"
    save_label(replace(doc, label_path=None), path)
    return doc, path


def test_six_writers_and_killed_writers_lose_nothing_and_leave_nothing() -> None:
    """The hammer of benchmarks/label_hammer.py, run for real: 6 processes save one label 20
    times each, then writers are killed with SIGKILL while saving."""
    script = ROOT / "benchmarks" / "label_hammer.py"
    argv = [sys.executable, str(script), "--writers", "6", "--saves", "20", "--kills", "10"]
    printed = subprocess.run(argv + ["--json"], capture_output=True, text=True, timeout=300)
    assert printed.returncode == 0, printed.stderr[-2000:]
    figures = json.loads(printed.stdout)
    assert figures["saves"] == 120 and figures["writers failed"] == 0
    assert figures["versions lost"] == 0
    assert figures["temp files after load"] == 0 and figures["broken history files"] == 0
    assert figures["label readable"] == 1


def test_every_save_keeps_the_previous_version_in_history(one_label, tmp_path) -> None:
    doc, path = one_label
    history = tmp_path / ".history"
    versions = [path.read_bytes()]
    for who in ("first", "second"):
        save_label(replace(doc, labeled_by=who, label_path=None), path, history)
        versions.append(path.read_bytes())
    kept = sorted(history.iterdir(), key=lambda p: p.name)
    assert [p.read_bytes() for p in kept] == versions[:2]
    assert json.loads(path.read_text())["labeled_by"] == "second"


def test_a_save_over_a_label_changed_since_it_was_opened_is_refused(one_label) -> None:
    doc, path = one_label
    opened = label_version(path)
    save_label(replace(doc, labeled_by="colleague", label_path=None), path, base=opened)
    theirs = path.read_bytes()
    with pytest.raises(LabelConflict, match="changed since it was opened.*reload"):
        save_label(replace(doc, labeled_by="me", label_path=None), path, base=opened)
    assert path.read_bytes() == theirs  # their work is intact
    assert not list(path.parent.glob(f".{path.name}.*[!k]"))  # and no temp file was left
    # Reopened at the new version, the save goes through.
    save_label(replace(doc, labeled_by="me", label_path=None), path, base=label_version(path))
    assert json.loads(path.read_text())["labeled_by"] == "me"


def test_loading_removes_temp_files_of_killed_writers_but_not_of_a_live_one(one_label) -> None:
    doc, path = one_label
    # What a writer killed between writing its temp file and renaming it leaves behind.
    stale = path.parent / f".{path.name}.k1ll3d"
    stale.write_text('{"patient_name": "someone"}')
    other = path.parent / "other.json"
    other.write_text(json.dumps({**json.loads(path.read_text()), "id": "other"}))
    live = path.parent / ".other.json.wr1t1ng"
    live.write_text("{}")
    with FileLock(path.parent / ".other.json.lock"):  # a writer is saving other.json now
        assert {d.id for d in load_corpus(path.parent)} == {doc.id, "other"}
        assert not stale.exists()
        assert live.exists()
    load_corpus(path.parent)
    assert not live.exists()
