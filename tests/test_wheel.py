"""The package works installed from its wheel, outside the repository: the report notebook and
the sample documents ship inside it and nothing reaches for the source tree.

The wheel is built from a copy of the package files, installed without dependencies into a new
venv that borrows this environment's installed dependencies and their data files (a path entry,
so the editable install here is not seen, and JUPYTER_PATH), and run from a folder outside the
repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(command: list, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    # Borrowed dependencies keep their data files (nbconvert's templates) in this environment.
    env = {**os.environ, "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the medxtract_lab wheel installed; returns its bin folder."""
    area = tmp_path_factory.mktemp("wheel")
    source = area / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "medxtract_lab",
        source / "medxtract_lab",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", area / "dist", source],
        cwd=area,
    )
    [wheel] = (area / "dist").glob("medxtract_lab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "medxtract_lab/evaluation/report.ipynb",
        "medxtract_lab/samples/prescription.pdf",
        "medxtract_lab/samples/patient_details.pdf",
        "medxtract_lab/data/medications.csv",
    ):
        assert shipped in names, f"{shipped} is not in the wheel"

    target = area / "venv"
    venv.create(target, with_pip=False)
    bin_dir = target / "bin"
    _run(
        [sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q"]
        + ["--no-deps", wheel],
        cwd=area,
    )
    [site] = (target / "lib").glob("python3*/site-packages")
    # The dependencies come from this environment: a plain path entry, which (unlike a
    # site dir) does not run this environment's .pth files, so the editable install is unseen.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return bin_dir


def test_the_wheel_is_imported_from_the_new_venv(installed, tmp_path) -> None:
    done = _run(
        [installed / "python", "-c", "import medxtract_lab; print(medxtract_lab.__file__)"],
        cwd=tmp_path,
    )
    assert done.stdout.strip().startswith(str(installed.parent))


def test_extract_reads_the_bundled_sample(installed, tmp_path) -> None:
    sample = next(installed.parent.glob("lib/python3*/site-packages/medxtract_lab/samples"))
    done = _run(
        [installed / "medxtract", "extract", sample / "prescription.pdf", "--type", "prescription"],
        cwd=tmp_path,
    )
    result = json.loads(done.stdout)
    assert result["document_type"] == "prescription" and result["page_sources"] == ["ocr"]
    assert result["fields"]["patient_name"]


def test_report_runs_the_packaged_notebook(installed, tmp_path) -> None:
    out = tmp_path / "report"
    _run(
        [installed / "medxtract", "report", "--corpus", ROOT / "ground_truth", "--limit", "4"]
        + ["--no-cache", "--out", out],
        cwd=tmp_path,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["documents"] == 4 and metrics["field_accuracy"] > 0.5
    assert metrics["cache_hits"] == 0  # the installed code read every page itself
    assert "Accuracy per field" in (out / "evaluation.html").read_text()
