"""Tables, charts and files for the evaluation report; the notebook only calls these."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import yaml

from medxtract_lab.corpus import LabeledDocument
from medxtract_lab.evaluation.confidence import review_thresholds
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


def by_layout_and_source(result: EvaluationResult) -> pd.DataFrame:
    """Field accuracy for each layout (``<doc_type>/<layout>``) under each source, with its
    counts; empty when the labels do not record their layouts."""
    rows = result.fields[result.fields["layout"] != ""]
    rows = rows.assign(
        layout=rows["doc_type"] + "/" + rows["layout"], source=rows["source"].str.split(":").str[-1]
    )
    cells = rows.groupby(["layout", "source"])["match"].agg(["sum", "size"])
    if cells.empty:
        return pd.DataFrame()
    text = cells.apply(lambda c: f"{c['sum'] / c['size']:.1%} ({c['sum']} of {c['size']})", axis=1)
    overall = rows.groupby("layout")["match"].agg(["sum", "size"])
    table = text.unstack("source").fillna("")
    table["all"] = overall.apply(lambda c: f"{c['sum'] / c['size']:.1%}", axis=1)
    return table


def by_type_and_source(result: EvaluationResult) -> pd.DataFrame:
    """Field accuracy for each document type under each source, with its counts."""
    rows = result.fields.assign(source=result.fields["source"].str.split(":").str[-1])
    cells = rows.groupby(["doc_type", "source"])["match"].agg(["sum", "size"])
    text = cells.apply(lambda c: f"{c['sum'] / c['size']:.1%} ({c['sum']} of {c['size']})", axis=1)
    return text.unstack("source").fillna("")


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


def top_confusions(result: EvaluationResult, n: int = 20) -> pd.DataFrame:
    common = result.confusions.most_common(n)
    return pd.DataFrame(common, columns=["expected :: got", "count"]).set_index("expected :: got")


def provenance(
    documents: list[LabeledDocument],
    result: EvaluationResult,
    other: EvaluationResult | None = None,
) -> pd.DataFrame:
    """What the run was: when, from which code, on which corpus, with which engines and which
    poppler; a row is flagged when the two configurations ran on different engine versions."""
    digest = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.id):
        digest.update(doc.label_path.read_bytes())
        digest.update(doc.pdf_path.read_bytes())
    versions = component_versions()
    engines = versions.pop("engines")
    rows = {
        "run (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "code": f"medxtract_lab {versions.pop('medxtract_lab')}, {_git_state()}",
        "corpus": f"{len(documents)} documents, sha256 {digest.hexdigest()[:16]}",
        "python": str(versions.pop("python")),
    }
    used = {}
    for run in (result, other):
        if run is not None:
            engine = run.config.ocr.engine
            used[run.config.name] = engines.get(engine, f"{engine} (version unknown)")
            rows[f"{run.config.name}: OCR engine"] = used[run.config.name]
            rows[f"{run.config.name}: poppler"] = str(versions["poppler"])
    if len(set(used.values())) > 1:
        rows["note"] = "the configurations ran on different OCR engine versions (rows above)"
    return pd.DataFrame({"value": rows})


def configs(result: EvaluationResult, other: EvaluationResult | None = None) -> str:
    """Each configuration in full, as the YAML a ``--config`` file takes."""
    runs = [run for run in (result, other) if run is not None]
    return "\n".join(
        f"# {run.config.name}\n" + yaml.safe_dump(run.config.to_dict(), sort_keys=False)
        for run in runs
    )


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
    data["review_below"] = review_thresholds(result.fields)
    if compare is not None:
        data["compare"] = compare.summary()
    path = out / "metrics.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
