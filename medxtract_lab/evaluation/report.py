"""Tables, charts and files for the evaluation report; the notebook only calls these."""

from __future__ import annotations

import hashlib
import html
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from rapidfuzz.distance import Levenshtein

from medxtract_lab.corpus import LabeledDocument
from medxtract_lab.evaluation.runner import EvaluationResult
from medxtract_lab.versions import component_versions


def summary_table(result: EvaluationResult, other: EvaluationResult | None = None) -> pd.DataFrame:
    """The headline figures of the configuration, and of the one compared with, side by side."""
    rows = []
    for run in (result, other):
        if run is None:
            continue
        s = run.summary()
        rows.append(
            {
                "config": run.config.name,
                "documents": s["documents"],
                "pages": s["pages"],
                "fields": s["fields"],
                "field accuracy": round(s["field_accuracy"], 4),
                "micro CER": round(s["micro_cer"], 4),
                "pages/s": round(s["pages_per_second"], 2),
                "cache hits": s["cache_hits"],
            }
        )
    return pd.DataFrame(rows).set_index("config")


def _shown_once(fig: plt.Figure) -> plt.Figure:
    """Closed for pyplot, so the inline backend does not draw it a second time at the end of
    the cell that displays it."""
    plt.close(fig)
    return fig


def per_field(result: EvaluationResult) -> pd.DataFrame:
    rows = result.fields
    table = rows.groupby(["doc_type", "field"], sort=False).agg(
        accuracy=("match", "mean"), field_cer=("field_cer", "mean"), n=("match", "size")
    )
    return table.round(4)


def per_field_chart(result: EvaluationResult) -> plt.Figure:
    table = per_field(result).reset_index()
    fig, axes = plt.subplots(1, table["doc_type"].nunique(), figsize=(12, 5), squeeze=False)
    for ax, (doc_type, group) in zip(axes[0], table.groupby("doc_type"), strict=False):
        ax.barh(group["field"], group["accuracy"], color="#3b7dd8")
        ax.set_xlim(0, 1)
        ax.set_title(f"{doc_type}: accuracy per field")
        ax.invert_yaxis()
    fig.tight_layout()
    return _shown_once(fig)


def by_source(result: EvaluationResult) -> pd.DataFrame:
    s = result.summary()["by_source"]
    table = pd.DataFrame(s).T[
        ["documents", "fields", "field_accuracy", "micro_cer", "edits", "reference_chars"]
    ]
    # Transposing mixed columns makes every count a float ('20.0'): counts are integers.
    counts = ["documents", "fields", "edits", "reference_chars"]
    return table.astype({c: int for c in counts} | {"field_accuracy": float, "micro_cer": float})


READ_SOMETHING_MS = 10.0


def fallbacks(result: EvaluationResult) -> pd.DataFrame:
    """How often each fallback candidate supplied a value, how often it was right, and what
    the re-reads cost (every document's re-read time, whether or not a candidate won)."""
    rows = result.fields
    won = rows[rows["reread_by"] != ""]
    table = won.groupby("reread_by").agg(fields=("match", "size"), correct=("match", "sum"))
    timings = result.timings
    spent = timings[timings["stage"] == "reread"].groupby("id")["ms"].sum()
    total = timings[timings["stage"] == "document"]["ms"].sum()
    table.loc["all candidates"] = [len(won), int(won["match"].sum())]
    # A document whose re-read took under 10 ms read nothing: one OCR'd line takes longer.
    costs = {
        "documents re-read": f"{int((spent >= READ_SOMETHING_MS).sum())} of {rows['id'].nunique()}",
        "re-read s": f"{spent.sum() / 1000:.1f}",
        "share of document time": f"{spent.sum() / max(total, 1):.1%}",
        "longest s": f"{spent.max() / 1000 if len(spent) else 0.0:.2f}",
    }
    for column, value in costs.items():
        table[column] = ""
        table.loc["all candidates", column] = value
    return table


def page_cer_chart(result: EvaluationResult) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for source, group in result.pages.groupby("source"):
        ax.hist(group["cer"].clip(upper=1), bins=20, range=(0, 1), alpha=0.6, label=source)
    ax.set_xlabel("page CER (clipped at 1)")
    ax.set_ylabel("pages")
    ax.legend()
    fig.tight_layout()
    return _shown_once(fig)


def highlight_diff(expected: str | None, got: str | None) -> str:
    """HTML with deletions struck in red and insertions in green."""
    a = expected if isinstance(expected, str) else ""  # pandas turns null into NaN
    b = got if isinstance(got, str) else ""
    parts = []
    for op in Levenshtein.opcodes(a, b):
        old, new = (
            html.escape(a[op.src_start : op.src_end]),
            html.escape(b[op.dest_start : op.dest_end]),
        )
        if op.tag == "equal":
            parts.append(old)
        else:
            if old:
                parts.append(f'<del style="background:#fdd">{old}</del>')
            if new:
                parts.append(f'<ins style="background:#dfd">{new}</ins>')
    return "".join(parts).replace("\n", "<br>") or "<i>null</i>"


def _shown(value: object) -> str:
    return html.escape(value).replace("\n", "<br>") if isinstance(value, str) else "<i>null</i>"


def worst_documents(result: EvaluationResult, n: int = 10) -> str:
    rows = result.fields
    errors = rows.groupby("id")["match"].apply(lambda m: int((~m).sum()))
    worst = errors[errors > 0].sort_values(ascending=False).head(n)
    if worst.empty:
        return "<p>Every field of every document matched.</p>"
    out = []
    for doc_id, misses in worst.items():
        bad = rows[(rows.id == doc_id) & ~rows.match]
        source = bad["source"].iloc[0]
        out.append(f"<h4>{html.escape(doc_id)} ({source}): {misses} field(s) wrong</h4>")
        out.append("<table><tr><th>field</th><th>expected</th><th>extracted</th><th>diff</th></tr>")
        for _, r in bad.iterrows():
            out.append(
                f"<tr><td>{r.field}</td><td>{_shown(r.expected)}</td><td>{_shown(r.got)}</td>"
                f"<td>{highlight_diff(r.expected, r.got)}</td></tr>"
            )
        out.append("</table>")
    return "\n".join(out)


def top_confusions(result: EvaluationResult, n: int = 20) -> pd.DataFrame:
    common = result.confusions.most_common(n)
    return pd.DataFrame(common, columns=["expected :: got", "count"])


def comparison(base: EvaluationResult, other: EvaluationResult) -> dict[str, pd.DataFrame]:
    """Deltas (base minus other) per field and per source."""
    fields = per_field(base)[["accuracy"]].join(
        per_field(other)[["accuracy"]], rsuffix=f" ({other.config.name})"
    )
    fields.columns = [f"accuracy ({base.config.name})", f"accuracy ({other.config.name})"]
    fields["delta"] = fields.iloc[:, 0] - fields.iloc[:, 1]
    a, b = by_source(base), by_source(other)
    sources = pd.DataFrame(
        {
            f"accuracy ({base.config.name})": a["field_accuracy"],
            f"accuracy ({other.config.name})": b["field_accuracy"],
            "accuracy delta": a["field_accuracy"] - b["field_accuracy"],
            f"micro CER ({base.config.name})": a["micro_cer"],
            f"micro CER ({other.config.name})": b["micro_cer"],
            "CER delta": a["micro_cer"] - b["micro_cer"],
        }
    )
    return {"fields": fields.round(4), "sources": sources.astype(float).round(4)}


def environment() -> dict[str, str]:
    """Versions that explain a result, one row per component (each OCR engine its own row)."""
    versions = component_versions()
    engines = versions.pop("engines")
    return {
        **{k: str(v) for k, v in versions.items()},
        **{f"OCR engine {k}": v for k, v in engines.items()},
    }


def provenance(
    documents: list[LabeledDocument],
    result: EvaluationResult,
    other: EvaluationResult | None = None,
) -> pd.DataFrame:
    """What the run was: when, from which code, on which corpus, with which engines; a row is
    flagged when the two configurations ran on different engine versions."""
    digest = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.id):
        digest.update(doc.label_path.read_bytes())
        digest.update(doc.pdf_path.read_bytes())
    versions = component_versions()["engines"]
    rows = {
        "run (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "code": _git_state(),
        "corpus": f"{len(documents)} documents, sha256 {digest.hexdigest()[:16]}",
    }
    engines = {}
    for run in (result, other):
        if run is not None:
            engine = run.config.ocr.engine
            engines[run.config.name] = versions.get(engine, f"{engine} (version unknown)")
            rows[f"engine of {run.config.name}"] = engines[run.config.name]
    if len(set(engines.values())) > 1:
        rows["note"] = "different OCR engine versions (rows above)"
    return pd.DataFrame({"value": rows})


def _git_state() -> str:
    """The commit the package was run from, and whether its files had local changes."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        changed = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
    return f"git {commit}" + (" with local changes" if changed else "")


def _git(*args: str) -> str:
    """One git command's output, run in the package's own folder."""
    here = str(Path(__file__).resolve().parent)
    probe = subprocess.run(
        ["git", "-C", here, *args], capture_output=True, text=True, check=True, timeout=10
    )
    return probe.stdout.strip()


def write_metrics(
    out_dir: str | Path, result: EvaluationResult, compare: EvaluationResult | None = None
) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = result.summary()
    if compare is not None:
        data["compare"] = compare.summary()
    path = out / "metrics.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
