"""The CI gate: a report's metrics against a committed baseline, as pass or fail.

A source or a field may drop by at most ``max_drop`` accuracy points; overall accuracy may not
drop at all. Both runs must cover the same corpus (same documents and fields), or nothing is
comparable and the gate refuses to judge. The verdict is written for people (``summary.md``,
a CI step summary) and for CI tools (``junit.xml``, one test case per source and field).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medxtract_lab.errors import BaselineError

# Figures that describe one run, not the pipeline's accuracy: never part of a baseline.
_RUN_ONLY = ("pages_per_second", "wall_seconds", "cache_hits", "compare")


@dataclass(frozen=True)
class Check:
    """One group's accuracy now against the baseline, in percentage points."""

    group: str  # "overall", "source", or a document type for a field
    name: str
    baseline: float
    current: float
    allowed_drop: float

    @property
    def drop(self) -> float:
        return round(100 * (self.baseline - self.current), 2)

    @property
    def passed(self) -> bool:
        return self.drop <= self.allowed_drop + 1e-9


@dataclass(frozen=True)
class Verdict:
    checks: tuple[Check, ...]

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    @property
    def passed(self) -> bool:
        return not self.failures


def baseline_from_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """What a baseline keeps of a report's ``metrics.json``: accuracy, never timings."""
    return {key: value for key, value in metrics.items() if key not in _RUN_ONLY}


def accept_as_baseline(metrics: str | Path, baseline: str | Path, review: str | Path) -> None:
    """``make baseline``: the report's metrics become the gate's baseline, and its review
    thresholds (per type, the confidence below which a field should be checked) the ones the
    Streamlit page flags fields at."""
    data = json.loads(Path(metrics).read_text(encoding="utf-8"))
    Path(baseline).write_text(json.dumps(baseline_from_metrics(data), indent=2) + "\n")
    Path(review).write_text(json.dumps(data["review_below"], indent=2) + "\n")


def load_baseline(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"Cannot read the baseline {path}: {exc.strerror}.") from exc
    except ValueError as exc:
        raise BaselineError(f"The baseline {path} is not JSON ({exc}).") from exc
    missing = [k for k in ("documents", "fields", "field_accuracy", "by_source", "by_field")
               if k not in data]  # fmt: skip
    if missing:
        raise BaselineError(
            f"The baseline {path} lacks {missing}; write it from a report's metrics.json "
            "with 'make baseline'."
        )
    return data


def judge(metrics: dict[str, Any], baseline: dict[str, Any], max_drop: float) -> Verdict:
    """Every source and field of the baseline against this run's metrics."""
    same = (metrics["documents"], metrics["fields"]) == (baseline["documents"], baseline["fields"])
    if not same:
        raise BaselineError(
            f"This run covers {metrics['documents']} documents and {metrics['fields']} fields, "
            f"the baseline {baseline['documents']} and {baseline['fields']}: run the gate on the "
            "baseline's corpus, without --limit."
        )
    checks = [Check("overall", "all", baseline["field_accuracy"], metrics["field_accuracy"], 0.0)]
    for source, base in baseline["by_source"].items():
        now = metrics["by_source"].get(source, {}).get("field_accuracy", 0.0)
        checks.append(Check("source", source, base["field_accuracy"], now, max_drop))
    for doc_type, fields in baseline["by_field"].items():
        for field, base in fields.items():
            now = metrics["by_field"].get(doc_type, {}).get(field, 0.0)
            checks.append(Check(doc_type, field, base, now, max_drop))
    return Verdict(tuple(checks))


def summary_markdown(verdict: Verdict, max_drop: float) -> str:
    """The verdict for a CI step summary: the failures first, then the count of checks."""
    head = "passed" if verdict.passed else f"FAILED ({len(verdict.failures)} checks)"
    lines = [
        f"## MedXtract accuracy gate: {head}",
        "",
        f"Allowed drop: {max_drop:g} points per source and field; none overall.",
        "",
    ]
    if verdict.failures:
        lines += [
            "| group | name | baseline | now | drop (points) |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c.group} | {c.name} | {c.baseline:.2%} | {c.current:.2%} | {c.drop:.2f} |"
            for c in verdict.failures
        ]
        lines.append("")
    overall = verdict.checks[0]
    lines.append(
        f"{len(verdict.checks) - len(verdict.failures)} of {len(verdict.checks)} checks passed; "
        f"overall accuracy {overall.current:.2%} (baseline {overall.baseline:.2%})."
    )
    return "\n".join(lines) + "\n"


def junit_xml(verdict: Verdict) -> str:
    """One test case per check, a failure element naming the drop for each failed one."""
    suite = ET.Element(
        "testsuite",
        name="medxtract-accuracy-gate",
        tests=str(len(verdict.checks)),
        failures=str(len(verdict.failures)),
    )
    for check in verdict.checks:
        case = ET.SubElement(suite, "testcase", classname=check.group, name=check.name)
        if not check.passed:
            failure = ET.SubElement(case, "failure", message=f"dropped {check.drop:.2f} points")
            failure.text = (
                f"{check.group}/{check.name}: {check.current:.2%} against {check.baseline:.2%}"
            )
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_verdict(out: str | Path, verdict: Verdict, max_drop: float) -> tuple[Path, Path]:
    out = Path(out)
    summary, junit = out / "summary.md", out / "junit.xml"
    summary.write_text(summary_markdown(verdict, max_drop), encoding="utf-8")
    junit.write_text(junit_xml(verdict), encoding="utf-8")
    return summary, junit
