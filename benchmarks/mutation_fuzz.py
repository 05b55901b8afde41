"""Damaged corpus PDFs (bytes flipped, truncated, spliced) posted to the API, counted by status.

Run: .venv/bin/python benchmarks/mutation_fuzz.py [--mutants 600] [--seed 0] [--keep DIR]
Mutants are made from every corpus PDF (ground_truth/) by ``medxtract_lab.corpus.hostile``,
seeded, and each is posted to /v1/extract of an in-process app (one worker, the default
document budget). It prints the responses by status and error code, the wall time, and every
mutant answered with a 5xx other than 503/504; with --keep those files are saved to replay.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import time
from pathlib import Path

from fastapi.testclient import TestClient

from medxtract_lab.api import ServiceSettings, create_app
from medxtract_lab.corpus.hostile import mutants

ROOT = Path(__file__).resolve().parent.parent


def corpus_sources() -> list[tuple[str, bytes]]:
    """Every corpus PDF with its document type (the folder it is in)."""
    return [
        (pdf.parent.name, pdf.read_bytes()) for pdf in sorted(ROOT.glob("ground_truth/*/*.pdf"))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="save the mutants answered with a bad 5xx")
    args = parser.parse_args()
    sources = corpus_sources()
    client = TestClient(
        create_app(ServiceSettings(workers=1, queue=0)), raise_server_exceptions=False
    )
    statuses: collections.Counter[str] = collections.Counter()
    seconds: list[float] = []
    bad: list[str] = []
    started = time.monotonic()
    for name, data, origin in mutants([d for _, d in sources], args.mutants, args.seed):
        clock = time.monotonic()
        response = client.post(
            "/v1/extract",
            files={"file": (f"{name}.pdf", data, "application/pdf")},
            data={"file_format": sources[origin][0]},
        )
        seconds.append(time.monotonic() - clock)
        code = response.json().get("error") if response.status_code != 200 else "-"
        statuses[f"{response.status_code} {code}"] += 1
        if response.status_code >= 500 and response.status_code not in (503, 504):
            bad.append(name)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"{name}.pdf").write_bytes(data)
    print(
        f"{args.mutants} mutants (seed {args.seed}) of {len(sources)} corpus PDFs in "
        f"{time.monotonic() - started:.0f} s; median {statistics.median(seconds):.2f} s, "
        f"max {max(seconds):.1f} s per request"
    )
    for status, count in sorted(statuses.items()):
        print(f"  {status:28} {count:5}")
    print(f"5xx other than 503/504: {len(bad)}" + (f" ({', '.join(bad)})" if bad else ""))


if __name__ == "__main__":
    main()
