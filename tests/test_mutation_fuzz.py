"""A seeded mutation fuzz: damaged PDFs (bytes flipped, truncated, spliced) each get a result or
a typed bad-input error from the CLI, never a traceback, and leave no temporary file.

`benchmarks/mutation_fuzz.py` runs the same mutants, more of them, through the API."""

import time

from conftest import rasterise

from medxtract_lab.cli import main
from medxtract_lab.corpus.hostile import mutants

MUTANTS = 240
SEED = 20261124
# Damaged files must be answered quickly as well as safely: a mutant that made poppler work
# for its whole budget would show here as a slow run.
BUDGET_S = 15


def test_damaged_pdfs_get_a_result_or_a_typed_error(docs, tmp_path, private_tmp, capsys) -> None:
    sources = [
        (doc.doc_type, doc.path.read_bytes()) for key, doc in docs.items() if "digital" in key
    ]
    scan = docs["prescription-digital"].path.read_bytes()
    sources.append(("prescription", rasterise(scan, dpi=100)))  # a full-page JPEG: decoded
    config = tmp_path / "fuzz.yaml"
    # 100 dpi: the same code paths as 300 dpi at a ninth of the OCR cost.
    config.write_text(f"render:\n  dpi: 100\n  doc_timeout_s: {BUDGET_S}\n")
    crashes, codes = [], {}
    started = time.monotonic()
    for name, data, origin in mutants([d for _, d in sources], MUTANTS, SEED):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        command = ["extract", str(path), "--type", sources[origin][0], "--config", str(config)]
        try:
            code = main(command)
        except Exception as error:  # noqa: BLE001 - the failure this test exists to find
            crashes.append(f"{name}: {type(error).__name__}: {error}")
            continue
        codes[code] = codes.get(code, 0) + 1
        err = capsys.readouterr().err
        if code not in (0, 2) or "Traceback" in err:
            crashes.append(f"{name}: exit {code}: {err[-300:]}")
        path.unlink()
    assert crashes == []
    assert codes.get(0) and codes.get(2)  # the fuzz made readable and unreadable files both
    assert list(private_tmp.iterdir()) == []
    print(f"{MUTANTS} mutants in {time.monotonic() - started:.0f} s: exit codes {codes}")
