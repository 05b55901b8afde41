"""Can a field's confidence decide whether a person checks it?

A reviewer wants a threshold: fields at or above it are accepted without a look, the rest are
checked. Two questions answer that, per document type:

- **Coverage against precision.** For each threshold, the share of fields accepted and how many
  of those are right; the *accept threshold* is the lowest one that keeps accepted fields at
  least 99% (or 99.9%) right (so the most work is saved).
- **Calibration.** Whether a confidence of 0.9 means 90% right, measured as the expected
  calibration error (ECE, ``BINS`` equal-width bins). Isotonic regression (scipy) shows what a
  monotone recalibration would give, cross-fitted: fitted on half the documents, measured on the
  other half, so it is not scored on what it learned. A monotone map never changes which fields
  a threshold accepts, only what the number means.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

# The bar (99% of accepted fields right), and a stricter one for forms where a wrong
# value costs more than a review.
TARGETS = (0.99, 0.999)
BINS = 10


def coverage_precision(fields: pd.DataFrame) -> pd.DataFrame:
    """Per document type and threshold: fields accepted (confidence ≥ threshold), their share,
    and the share of them that is right."""
    rows = []
    for doc_type, group in fields.groupby("doc_type"):
        ordered = group.sort_values("confidence", ascending=False)
        confidence = ordered["confidence"].to_numpy(float)
        right = np.cumsum(ordered["match"].to_numpy(float))
        for threshold in np.unique(confidence)[::-1]:
            accepted = int(np.searchsorted(-confidence, -threshold, side="right"))
            rows.append(
                {
                    "doc_type": doc_type,
                    "threshold": float(threshold),
                    "accepted": accepted,
                    "fields": len(group),
                    "coverage": accepted / len(group),
                    "precision": right[accepted - 1] / accepted,
                }
            )
    return pd.DataFrame(rows)


def review_thresholds(fields: pd.DataFrame, target: float = TARGETS[-1]) -> dict[str, float]:
    """Per document type, the confidence below which a field should be looked at: the accept
    threshold for ``target`` (1.0, review everything, when no threshold reaches it). Written to
    ``metrics.json``; ``make baseline`` ships it to the Streamlit page."""
    found = {}
    for doc_type, group in coverage_precision(fields).groupby("doc_type"):
        safe = group[group["precision"] >= target]
        best = safe.loc[safe["coverage"].idxmax(), "threshold"] if not safe.empty else 1.0
        found[str(doc_type)] = round(float(best), 3)
    return found


def accept_thresholds(fields: pd.DataFrame, targets: tuple[float, ...] = TARGETS) -> pd.DataFrame:
    """Per document type and target: the lowest threshold whose accepted fields are at least
    ``target`` right, with the share of fields it accepts and the wrong ones it lets through."""
    curve = coverage_precision(fields)
    rows = {}
    for doc_type, group in curve.groupby("doc_type"):
        for target in targets:
            safe = group[group["precision"] >= target]
            key = (doc_type, f"≥ {target:.1%} right")
            if safe.empty:
                rows[key] = {"accept at or above": "no threshold reaches it"}
                continue
            best = safe.loc[safe["coverage"].idxmax()]
            accepted = int(best["accepted"])
            rows[key] = {
                "accept at or above": round(float(best["threshold"]), 3),
                "fields accepted": f"{accepted} of {int(best['fields'])} ({best['coverage']:.1%})",
                "accepted that are right": f"{best['precision']:.2%}",
                "wrong but accepted": int(round(accepted * (1 - best["precision"]))),
            }
    return pd.DataFrame(rows).T


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = BINS
) -> float:
    """Σ over equal-width bins of (share of fields in bin) x |accuracy - mean confidence|."""
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    if not len(confidence):
        return 0.0
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    error = 0.0
    for b in np.unique(which):
        inside = which == b
        error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)


def fit_isotonic(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knots (x, y) of the monotone map from confidence to the share right."""
    order = np.argsort(confidence, kind="stable")
    x = np.asarray(confidence, float)[order]
    fitted = isotonic_regression(np.asarray(correct, float)[order]).x
    knots = np.unique(x)
    return knots, np.array([fitted[x == k].mean() for k in knots])


def cross_fitted(fields: pd.DataFrame) -> np.ndarray:
    """Each field's confidence recalibrated by an isotonic map fitted on the other half of the
    documents (halves alternate by document id)."""
    ids = sorted(fields["id"].unique())
    half = fields["id"].map({doc: i % 2 for i, doc in enumerate(ids)}).to_numpy()
    confidence = fields["confidence"].to_numpy(float)
    correct = fields["match"].to_numpy(float)
    out = confidence.copy()
    for part in (0, 1):
        train, test = half != part, half == part
        if train.any() and test.any():
            x, y = fit_isotonic(confidence[train], correct[train])
            out[test] = np.interp(confidence[test], x, y)
    return out


def calibration(fields: pd.DataFrame) -> pd.DataFrame:
    """Per document type: accuracy, mean confidence, ECE as read and after cross-fitted
    isotonic recalibration."""
    rows = {}
    for doc_type, group in fields.groupby("doc_type"):
        correct = group["match"].to_numpy(float)
        rows[doc_type] = {
            "fields": len(group),
            "accuracy": round(float(correct.mean()), 4),
            "mean confidence": round(float(group["confidence"].mean()), 4),
            "ECE as read": round(expected_calibration_error(group["confidence"], correct), 4),
            "ECE recalibrated": round(expected_calibration_error(cross_fitted(group), correct), 4),
        }
    return pd.DataFrame(rows).T.astype({"fields": int})


def chart(fields: pd.DataFrame, target: float = TARGETS[0]) -> plt.Figure:
    """Per document type: the coverage–precision curve with the accept threshold marked, and
    the reliability diagram before and after recalibration."""
    types = sorted(fields["doc_type"].unique())
    curve = coverage_precision(fields)
    chosen = accept_thresholds(fields, (target,)).droplevel(1)
    fig, axes = plt.subplots(2, len(types), figsize=(6 * len(types), 7.5), squeeze=False)
    for column, doc_type in enumerate(types):
        top, bottom = axes[0][column], axes[1][column]
        points = curve[curve["doc_type"] == doc_type]
        top.plot(points["coverage"], points["precision"], marker=".", color="#3b7dd8")
        top.axhline(target, color="#999", linestyle="--", linewidth=1)
        threshold = chosen.loc[doc_type, "accept at or above"]
        if not isinstance(threshold, str):
            at = points[points["threshold"] == threshold].iloc[0]
            top.scatter([at["coverage"]], [at["precision"]], color="#d62728", zorder=3)
            top.annotate(
                f"accept ≥ {threshold:g}",
                (at["coverage"], at["precision"]),
                textcoords="offset points",
                xytext=(-10, -18),
                ha="right",
            )
        top.set_xlabel("share of fields accepted without review")
        top.set_ylabel("accepted fields that are right")
        top.set_title(f"{doc_type}: coverage against precision")
        group = fields[fields["doc_type"] == doc_type]
        correct = group["match"].to_numpy(float)
        for values, label in (
            (group["confidence"].to_numpy(float), "as read"),
            (cross_fitted(group), "recalibrated"),
        ):
            centres, accuracy = _reliability(values, correct)
            bottom.plot(centres, accuracy, marker="o", label=label)
        bottom.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1)
        bottom.set_xlabel("confidence (bin mean)")
        bottom.set_ylabel("share right")
        bottom.set_title(f"{doc_type}: reliability")
        bottom.legend()
    fig.tight_layout()
    plt.close(fig)  # shown once, by the cell that displays it
    return fig


def _reliability(confidence: np.ndarray, correct: np.ndarray) -> tuple[list, list]:
    which = np.minimum((confidence * BINS).astype(int), BINS - 1)
    bins = np.unique(which)
    return (
        [float(confidence[which == b].mean()) for b in bins],
        [float(correct[which == b].mean()) for b in bins],
    )
