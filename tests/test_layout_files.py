"""Document types and layouts as YAML files: the built-in ones, new ones added without Python,
the choice of layout per document, and the errors a malformed file gets."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medxtract_lab import doctypes
from medxtract_lab.cli import main
from medxtract_lab.corpus import load_corpus
from medxtract_lab.doctypes import (
    BUILTIN,
    CONTRACTS,
    DOC_TYPES,
    LAYOUTS,
    get_doctype,
    layouts_of,
    load_layouts,
    unregister_doctype,
)
from medxtract_lab.doctypes.files import read_folder
from medxtract_lab.errors import LayoutFileError
from medxtract_lab.pipeline import extract
from tests.test_registries import _referral_pdf

ROOT = Path(__file__).parent.parent
LAYOUTS_SET = ROOT / "ground_truth" / "layouts"

REFERRAL_TYPE = """\
document_type: referral
fields:
  patient_name: {}
  date: {value: date, correct: month_date}
  reason: {lines: many}
"""
REFERRAL_LAYOUT = """\
layout: letter
document_type: referral
structural_labels: [Signed]
fields:
  patient_name: {find: label, anchors: ["Patient:"], page: 1}
  date: {find: label, anchors: ["Date:"], page: 1}
  reason: {find: section, anchors: [Reason for referral], until: [Signed], take: lines}
"""
# A clinic-letterhead prescription written by hand, as `learn` would write it.
LETTERHEAD = """\
layout: clinic_letterhead
document_type: prescription
structural_labels: ["DOB:", "Disp:"]
fields:
  doctor_name: {find: pattern, pattern: '(?m)^(?P<v>[A-Z][^,\\n]+?),\\s*MD\\b', page: 1}
  patient_name: {find: label, anchors: ["Patient:"], page: 1}
  date: {find: label, anchors: ["Date:"], page: 1}
  patient_address: {find: label, anchors: ["Home address:"], page: 1}
  medicines: {find: block, anchors: [Rx], until: ["Sig:"], page: 1}
  directions: {find: label, anchors: ["Sig:"], max_lines: 4, lookahead: 1, page: 1}
  refills: {find: label, anchors: ["Refills:"], page: 1}
"""


@pytest.fixture
def folder(tmp_path):
    made = tmp_path / "layouts"
    made.mkdir()
    (made / "referral.type.yaml").write_text(REFERRAL_TYPE)
    (made / "referral.letter.layout.yaml").write_text(REFERRAL_LAYOUT)
    (made / "prescription.clinic_letterhead.layout.yaml").write_text(LETTERHEAD)
    return made


@pytest.fixture
def loaded(folder):
    load_layouts(folder)
    yield folder
    unregister_doctype("referral")
    unregister_doctype("prescription", "clinic_letterhead")


def test_the_built_in_types_and_layouts_are_package_data() -> None:
    assert sorted(p.name for p in BUILTIN.glob("*.yaml")) == [
        "patient_details.standard.layout.yaml",
        "patient_details.type.yaml",
        "prescription.standard.layout.yaml",
        "prescription.type.yaml",
    ]
    contracts, layouts = read_folder(BUILTIN, {})
    assert [c.name for c in contracts] == ["patient_details", "prescription"]
    assert [(d.name, d.layout) for d in layouts] == [
        ("patient_details", "standard"),
        ("prescription", "standard"),
    ]
    assert DOC_TYPES["prescription"] == layouts[1]


def test_a_type_and_a_layout_added_from_yaml_alone_run_end_to_end(folder, tmp_path) -> None:
    """A fresh process given the folder by --layouts reads a new type, and tells it by --type
    auto; MEDXTRACT_LAYOUTS does the same for every process started from it."""
    pdf = tmp_path / "referral.pdf"
    pdf.write_bytes(_referral_pdf())
    command = [sys.executable, "-m", "medxtract_lab", "extract", str(pdf), "--type", "auto"]
    done = subprocess.run(
        [*command, "--layouts", str(folder)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["document_type"], result["layout"]) == ("referral", "letter")
    assert result["fields"] == {
        "patient_name": "Alma Ruiz",
        "date": "3/14/2024",
        "reason": "Recurring migraine with aura",
    }
    env = {**os.environ, "MEDXTRACT_LAYOUTS": str(folder)}
    listed = subprocess.run(
        [sys.executable, "-m", "medxtract_lab", "doctypes"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    listing = json.loads(listed.stdout)
    assert listing["referral"]["layouts"] == ["letter"]
    assert listing["prescription"]["layouts"] == ["standard", "clinic_letterhead"]
    without = subprocess.run(command, capture_output=True, text=True, check=False)
    assert without.returncode != 0 and "Give the type" in without.stderr


def test_each_document_is_read_with_the_layout_whose_labels_it_prints(loaded) -> None:
    assert [d.layout for d in layouts_of("prescription")] == ["standard", "clinic_letterhead"]
    letterhead = next(d for d in load_corpus(LAYOUTS_SET) if d.id == "cl-digital-000")
    house = next(d for d in load_corpus(ROOT / "ground_truth") if d.id == "rx-digital-000")
    got = extract(letterhead.pdf_path, "prescription")
    assert got.layout == "clinic_letterhead" and got.to_dict()["layout"] == "clinic_letterhead"
    assert got.fields == letterhead.fields
    assert extract(house.pdf_path, "prescription").layout == "standard"
    assert extract(house.pdf_path, "prescription").fields == house.fields


def test_removing_a_layout_keeps_the_type_and_its_house_layout(loaded) -> None:
    unregister_doctype("prescription", "clinic_letterhead")
    assert list(LAYOUTS["prescription"]) == ["standard"]
    assert get_doctype("prescription").layout == "standard"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("referral.type.yaml", "document_type: referral\nfields: [", "not valid YAML"),
        ("referral.type.yaml", "document_type: Referral!\nfields: {a: {}}", "document_type"),
        ("referral.type.yaml", "document_type: referral\nfields: {a: {corect: x}}", "corect"),
        (
            "referral.type.yaml",
            "document_type: referral\nfields: {a: {correct: spell}}",
            "'spell' is not a validator",
        ),
        (
            "referral.type.yaml",
            "document_type: referral\nfields: {a: {value: weight}}",
            "not a shared value pattern",
        ),
        (
            "referral.type.yaml",
            "document_type: referral\nfields: {a: {pattern: '(unclosed'}}",
            "not a valid regular expression",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace("find: section", "find: box"),
            "`find` must be one of",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace('  date: {find: label, anchors: ["Date:"], page: 1}\n', ""),
            "['date'] missing",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace("reason:", "reasons:"),
            "['reasons'] are not fields of referral",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace("page: 1}", "page: 0}", 1),
            "fields.patient_name.label.page",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace("document_type: referral", "document_type: invoice"),
            "'invoice' is not a known type",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace(
                '{find: label, anchors: ["Date:"], page: 1}',
                '{find: choice, anchors: ["Date:"], options: ["Yes"]}',
            ),
            "fields.date.choice.options",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace(
                '{find: label, anchors: ["Date:"], page: 1}',
                '{find: lines, anchors: ["Date:"], until_offset: 2}',
            ),
            "fields.date.lines.until_offset",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace(
                '{find: label, anchors: ["Date:"], page: 1}',
                "{find: region, box: [0.8, 0.1, 0.2, 0.3]}",
            ),
            "fields.date.region.box: must be [x0, y0, x1, y1]",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace(
                '{find: label, anchors: ["Date:"], page: 1}',
                "{find: choice, anchors: [Date], options: [a, b], value: date}",
            ),
            "drop `value` and `pattern`",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace(
                '{find: label, anchors: ["Date:"], page: 1}',
                "{find: lines, anchors: [Date], count: 2, until: [Signed]}",
            ),
            "give `count` (a fixed number of rows) or `until`, not both",
        ),
        (
            "referral.letter.layout.yaml",
            REFERRAL_LAYOUT.replace("layout: letter", "layout: memo"),
            "rename the file referral.memo.layout.yaml",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_the_key_and_the_fix(
    folder, name, text, message, capsys
) -> None:
    path = _write(folder, name, text)
    before = {name: dict(layouts) for name, layouts in LAYOUTS.items()}
    with pytest.raises(LayoutFileError) as raised:
        load_layouts(folder)
    assert str(path) in str(raised.value) and message in str(raised.value)
    assert {name: dict(layouts) for name, layouts in LAYOUTS.items()} == before  # nothing half
    assert main(["doctypes", "--layouts", str(folder)]) == 2
    assert "bad_layout_file" in capsys.readouterr().err


def test_a_folder_without_layouts_and_a_type_without_one_are_refused(tmp_path) -> None:
    with pytest.raises(LayoutFileError, match="is not a folder"):
        load_layouts(tmp_path / "missing")
    with pytest.raises(LayoutFileError, match="holds no"):
        load_layouts(tmp_path)
    _write(tmp_path, "referral.type.yaml", REFERRAL_TYPE)
    with pytest.raises(LayoutFileError, match="has no layout"):
        load_layouts(tmp_path)
    assert "referral" not in doctypes.DOC_TYPES


def test_a_type_file_that_redefines_a_registered_type_is_refused(tmp_path) -> None:
    _write(tmp_path, "prescription.type.yaml", "document_type: prescription\nfields: {a: {}}\n")
    _write(
        tmp_path,
        "prescription.small.layout.yaml",
        "layout: small\ndocument_type: prescription\nfields: {a: {find: none}}\n",
    )
    before = (dict(CONTRACTS), {name: dict(v) for name, v in LAYOUTS.items()}, dict(DOC_TYPES))
    with pytest.raises(LayoutFileError, match="give the new type a name of its own"):
        load_layouts(tmp_path)
    assert (dict(CONTRACTS), {n: dict(v) for n, v in LAYOUTS.items()}, dict(DOC_TYPES)) == before


def test_a_field_without_find_is_named_with_the_kinds_to_choose_from(folder) -> None:
    _write(folder, "referral.letter.layout.yaml", REFERRAL_LAYOUT.replace("find: section, ", ""))
    with pytest.raises(LayoutFileError, match=r"fields.reason: needs `find:` \(label"):
        load_layouts(folder)


def test_a_stale_medxtract_layouts_folder_warns_and_every_command_still_runs(tmp_path) -> None:
    env = {**os.environ, "MEDXTRACT_LAYOUTS": str(tmp_path / "gone")}
    done = subprocess.run(
        [sys.executable, "-m", "medxtract_lab", "doctypes"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0 and "prescription" in json.loads(done.stdout)
    assert "MEDXTRACT_LAYOUTS folder" in done.stderr and "is not a folder" in done.stderr


def test_several_layout_folders_are_all_checked_before_any_is_registered(folder, tmp_path) -> None:
    from medxtract_lab.doctypes import use_layout_folders

    broken = tmp_path / "broken"
    broken.mkdir()
    _write(broken, "referral.other.layout.yaml", REFERRAL_LAYOUT.replace("letter", "other"))
    _write(broken, "bad.type.yaml", "document_type: bad\nfields: [")
    with pytest.raises(LayoutFileError, match="not valid YAML"):
        use_layout_folders([str(folder), str(broken)])
    assert "referral" not in DOC_TYPES  # the first folder was not registered either
