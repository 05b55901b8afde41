"""Is the candidate configuration safe to ship instead of the baseline? Figures with intervals.

Every interval is a 95% percentile bootstrap over documents (scipy's ``bootstrap``), not over
fields: the fields of one document share its page, its photograph and its layout, so they are
not independent draws. Candidate and baseline ran on the same documents, so their difference
is bootstrapped paired, document by document. A delta is *clear* when its interval excludes
zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from medxtract_lab.evaluation.runner import EvaluationResult

RESAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A figure, its 95% interval, and the counts it was computed from."""

    value: float
    low: float
    high: float
    count: float = 0  # matched fields, character edits or pages
    total: float = 0  # fields, reference characters or document seconds

    @property
    def clear(self) -> bool:
        """The interval excludes zero (only meaningful for a delta)."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Decision:
    candidate: str
    baseline: str
    headline: pd.DataFrame  # accuracy, CER, throughput: candidate, baseline, delta
    fields: pd.DataFrame  # per doc type x field: accuracies, delta, interval, clear
    sources: pd.DataFrame  # per source: the same
    verdict: str


def _ratio(*arrays: np.ndarray, axis: int = -1) -> np.ndarray:
    """sum(numerator) / sum(denominator), for scipy's vectorised resampling."""
    numerator, denominator = arrays
    return np.sum(numerator, axis=axis) / np.sum(denominator, axis=axis)


def _paired_delta(*arrays: np.ndarray, axis: int = -1) -> np.ndarray:
    """(sum(a) - sum(b)) / sum(weights): the paired difference of two ratios."""
    a, b, weights = arrays
    return (np.sum(a, axis=axis) - np.sum(b, axis=axis)) / np.sum(weights, axis=axis)


def _interval(statistic, *arrays: np.ndarray) -> tuple[float, float]:
    """The 95% percentile interval of ``statistic`` over documents resampled with replacement
    (the same documents for every array: they are paired)."""
    if len(arrays[0]) < 2 or np.ptp(np.stack(arrays), axis=1).max() == 0:
        value = float(statistic(*arrays))
        return value, value  # one document, or nothing varies: no spread to resample
    found = bootstrap(
        arrays,
        statistic,
        n_resamples=RESAMPLES,
        paired=True,
        vectorized=True,
        method="percentile",
        confidence_level=CONFIDENCE,
        rng=np.random.default_rng(0),
    )
    return float(found.confidence_interval.low), float(found.confidence_interval.high)


def ratio_estimate(numerator: np.ndarray, denominator: np.ndarray) -> Estimate:
    """sum(numerator) / sum(denominator), with its interval."""
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    value = float(numerator.sum() / denominator.sum()) if denominator.sum() else 0.0
    low, high = _interval(_ratio, numerator, denominator) if denominator.sum() else (0.0, 0.0)
    return Estimate(value, low, high, float(numerator.sum()), float(denominator.sum()))


def delta_estimate(a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> Estimate:
    """(sum(a) - sum(b)) / sum(weights), paired by document, with its interval."""
    a, b, weights = (np.asarray(x, float) for x in (a, b, weights))
    if not weights.sum():
        return Estimate(0.0, 0.0, 0.0)
    value = float((a.sum() - b.sum()) / weights.sum())
    low, high = _interval(_paired_delta, a, b, weights)
    return Estimate(value, low, high)


def per_document(result: EvaluationResult) -> pd.DataFrame:
    """One row per document: matched fields, fields, CER edits and characters, pages, seconds."""
    fields = result.fields.groupby("id", sort=False).agg(
        source=("source", "first"), matched=("match", "sum"), fields=("match", "size")
    )
    pages = result.pages.groupby("id", sort=False).agg(
        edits=("edits", "sum"), chars=("reference", "sum"), pages=("page", "size")
    )
    timings = result.timings
    seconds = timings[timings["stage"] == "document"].groupby("id")["ms"].sum() / 1000
    table = fields.join(pages).join(seconds.rename("seconds"))
    return table.fillna(0)


def _paired(candidate: EvaluationResult, baseline: EvaluationResult) -> pd.DataFrame:
    a, b = per_document(candidate), per_document(baseline)
    common = a.index.intersection(b.index)
    return a.loc[common].join(b.loc[common], suffixes=("", "_base"))


def headline(candidate: EvaluationResult, baseline: EvaluationResult) -> pd.DataFrame:
    """Field accuracy, micro CER and pages per document-second, each for both configurations
    and their delta, as text with counts and intervals."""
    docs = _paired(candidate, baseline)
    rows = {}
    figures = {
        "field accuracy": ("matched", "fields", "{:.1%}", "{:.0f} of {:.0f} fields"),
        "micro CER": ("edits", "chars", "{:.2%}", "{:.0f} edits in {:.0f} chars"),
        "pages per second (one core)": ("pages", "seconds", "{:.2f}", "{:.0f} pages in {:.1f} s"),
    }
    for label, (num, den, shown, counts) in figures.items():
        cand = ratio_estimate(docs[num], docs[den])
        base = ratio_estimate(docs[f"{num}_base"], docs[f"{den}_base"])
        delta = delta_estimate(docs[num], docs[f"{num}_base"], docs[den])
        if label.startswith("pages"):
            # Throughput's delta is a ratio of the two speeds, not a difference of sums.
            delta = _speedup(docs)
        rows[label] = {
            candidate.config.name: _with_interval(cand, shown)
            + "  ("
            + counts.format(cand.count, cand.total)
            + ")",
            baseline.config.name: _with_interval(base, shown)
            + "  ("
            + counts.format(base.count, base.total)
            + ")",
            "difference": _delta_text(delta, label),
        }
    cached = candidate.cache_hits + baseline.cache_hits
    if cached:
        # A cached read times extraction only: a speed ratio against a fresh read misleads.
        rows["pages per second (one core)"]["difference"] = (
            f"not compared: {cached} document read(s) came from the OCR cache"
        )
    return pd.DataFrame(rows).T


def _speedup(docs: pd.DataFrame) -> Estimate:
    """How many times faster the candidate is, per document-second, with its interval."""

    def ratio(pages, seconds, pages_base, seconds_base, axis=-1):
        mine = np.sum(pages, axis=axis) / np.sum(seconds, axis=axis)
        theirs = np.sum(pages_base, axis=axis) / np.sum(seconds_base, axis=axis)
        return mine / theirs

    arrays = [docs[c].to_numpy(float) for c in ("pages", "seconds", "pages_base", "seconds_base")]
    value = float(ratio(*arrays))
    low, high = _interval(ratio, *arrays)
    return Estimate(value, low, high)


def _with_interval(estimate: Estimate, shown: str) -> str:
    return (
        f"{shown.format(estimate.value)} "
        f"[{shown.format(estimate.low)}, {shown.format(estimate.high)}]"
    )


def _delta_text(delta: Estimate, label: str) -> str:
    if label.startswith("pages"):
        return f"{delta.value:.2f}x [{delta.low:.2f}x, {delta.high:.2f}x]"
    points = f"{delta.value * 100:+.2f} points [{delta.low * 100:+.2f}, {delta.high * 100:+.2f}]"
    return points + (" (clear)" if delta.clear else "")


def _delta_rows(
    groups: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    names: tuple[str, str],
    kind: str,
) -> pd.DataFrame:
    rows = []
    for key, (a, b, n) in groups.items():
        delta = delta_estimate(a, b, n)
        rows.append(
            {
                kind: key,
                f"accuracy ({names[0]})": f"{a.sum() / n.sum():.1%}",
                f"accuracy ({names[1]})": f"{b.sum() / n.sum():.1%}",
                "delta (points)": round(delta.value * 100, 2),
                "95% interval": f"[{delta.low * 100:+.2f}, {delta.high * 100:+.2f}]",
                "clear": "better" if delta.low > 0 else "worse" if delta.high < 0 else "",
            }
        )
    return pd.DataFrame(rows).set_index(kind)


def field_deltas(candidate: EvaluationResult, baseline: EvaluationResult) -> pd.DataFrame:
    """Accuracy per field of each document type, candidate minus baseline, paired by document."""
    a, b = candidate.fields, baseline.fields
    joined = a.merge(b[["id", "field", "match"]], on=["id", "field"], suffixes=("", "_base"))
    groups = {}
    for (doc_type, field), rows in joined.groupby(["doc_type", "field"], sort=False):
        ones = np.ones(len(rows))
        groups[f"{doc_type}: {field}"] = (
            rows["match"].to_numpy(float),
            rows["match_base"].to_numpy(float),
            ones,
        )
    return _delta_rows(groups, (candidate.config.name, baseline.config.name), "field")


def source_deltas(candidate: EvaluationResult, baseline: EvaluationResult) -> pd.DataFrame:
    """Field accuracy per source (corpus condition), candidate minus baseline."""
    docs = _paired(candidate, baseline)
    groups = {
        str(source).split(":")[-1]: (
            rows["matched"].to_numpy(float),
            rows["matched_base"].to_numpy(float),
            rows["fields"].to_numpy(float),
        )
        for source, rows in docs.groupby("source", sort=True)
    }
    return _delta_rows(groups, (candidate.config.name, baseline.config.name), "source")


def verdict(candidate: str, baseline: str, fields: pd.DataFrame, sources: pd.DataFrame) -> str:
    """One sentence a reviewer can act on."""
    better = int((fields["clear"] == "better").sum())
    worse = int((fields["clear"] == "worse").sum())
    drops = pd.concat([fields["delta (points)"], sources["delta (points)"]])
    worst = drops.idxmin()
    regression = (
        f"the largest drop is {-drops.min():.2f} points ({worst})"
        if drops.min() < 0
        else "no field or source is lower"
    )
    return (
        f"{candidate} against {baseline}: clearly better on {better} of {len(fields)} fields, "
        f"clearly worse on {worse}; {regression}."
    )


def decide(candidate: EvaluationResult, baseline: EvaluationResult) -> Decision:
    """The decision section's figures: headline, per-field and per-source deltas, verdict."""
    fields = field_deltas(candidate, baseline)
    sources = source_deltas(candidate, baseline)
    names = (candidate.config.name, baseline.config.name)
    return Decision(
        candidate=names[0],
        baseline=names[1],
        headline=headline(candidate, baseline),
        fields=fields,
        sources=sources,
        verdict=verdict(*names, fields, sources),
    )
