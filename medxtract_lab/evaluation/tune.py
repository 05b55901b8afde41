"""``medxtract tune``: random search over the registered preprocessing steps.

Each trial samples which optional steps run and their parameters from the ranges the step
registry declares, plus the options the engine registry marks tunable (Tesseract's page
segmentation mode). Trials are scored on one half of the chosen documents (mean field accuracy,
micro CER as the tie-breaker) through the evaluation runner and its cache; the best trial is
then scored on the other half, so the report shows how well it generalises rather than how well
it fits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from medxtract_lab.config import PipelineConfig, Step, get_preset, save_config
from medxtract_lab.corpus.store import LabeledDocument
from medxtract_lab.evaluation.runner import evaluate
from medxtract_lab.ocr import engine_spec
from medxtract_lab.preprocess import OPTIONAL_STEPS, STEPS, Param

BINARISE = ("none", "otsu", "adaptive_gaussian", "adaptive_mean")


@dataclass
class TuneResult:
    best: PipelineConfig
    trials: pd.DataFrame  # one row per trial, best first
    holdout: dict[str, float]  # the best trial and the baseline on the held-out half


def _sample(param: Param, rng: random.Random) -> object:
    if param.choices:
        return rng.choice(param.choices)
    if param.odd:
        return rng.randrange(int(param.low) | 1, int(param.high) + 1, 2)
    if isinstance(param.default, int):
        return rng.randint(int(param.low), int(param.high))
    return round(rng.uniform(param.low, param.high), 2)


def sample_config(rng: random.Random, index: int, base: PipelineConfig) -> PipelineConfig:
    steps = [Step("grayscale")]
    for name in OPTIONAL_STEPS:
        if rng.random() < 0.5:
            spec = STEPS[name]
            steps.append(Step(name, {k: _sample(p, rng) for k, p in spec.params.items()}))
    method = rng.choice(BINARISE)
    if method != "none":
        spec = STEPS[method]
        steps.append(Step(method, {k: _sample(p, rng) for k, p in spec.params.items()}))
    engine = engine_spec(base.ocr.engine)
    ocr = replace(base.ocr, **{k: rng.choice(v) for k, v in engine.tunable.items()})
    return replace(base, name=f"trial-{index}", steps=tuple(steps), ocr=ocr)


def _score(docs: list[LabeledDocument], config: PipelineConfig, use_cache: bool) -> dict:
    summary = evaluate(docs, config, use_cache=use_cache, progress="off").summary()
    return {"field_accuracy": summary["field_accuracy"], "micro_cer": summary["micro_cer"]}


def tune(
    corpus: list[LabeledDocument], budget: int, seed: int = 0, use_cache: bool = True
) -> TuneResult:
    """Random search with ``budget`` trials (the ``default`` preset is always trial 0)."""
    if len(corpus) < 2:
        raise ValueError("tuning needs at least two documents: one half tunes, one half checks")
    rng = random.Random(seed)
    shuffled = sorted(corpus, key=lambda d: d.id)
    rng.shuffle(shuffled)
    half = len(shuffled) // 2
    tune_docs, holdout_docs = shuffled[:half], shuffled[half:]
    base = get_preset("default")
    candidates = [base.with_name("trial-0 (default)")]
    candidates += [sample_config(rng, i, base) for i in range(1, budget)]
    rows = []
    for config in candidates:
        score = _score(tune_docs, config, use_cache)
        rows.append(
            {
                "trial": config.name,
                "field_accuracy": round(score["field_accuracy"], 4),
                "micro_cer": round(score["micro_cer"], 4),
                "steps": " > ".join(
                    s.name + (str(dict(s.params)) if s.params else "") for s in config.steps
                ),
                **{k: getattr(config.ocr, k) for k in engine_spec(config.ocr.engine).tunable},
                "config": config,
            }
        )
    trials = pd.DataFrame(rows).sort_values(
        ["field_accuracy", "micro_cer"], ascending=[False, True], ignore_index=True
    )
    best = trials.loc[0, "config"]
    held = _score(holdout_docs, best, use_cache)
    baseline = _score(holdout_docs, candidates[0], use_cache)
    holdout = {
        "documents": len(holdout_docs),
        "best_field_accuracy": held["field_accuracy"],
        "best_micro_cer": held["micro_cer"],
        "default_field_accuracy": baseline["field_accuracy"],
        "default_micro_cer": baseline["micro_cer"],
    }
    return TuneResult(best=best.with_name("tuned"), trials=trials, holdout=holdout)


def write_tune_result(result: TuneResult, out: str | Path) -> tuple[Path, Path]:
    """The best config (JSON or YAML by extension) and a CSV of every trial beside it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_config(result.best, out)
    table = out.with_suffix(".trials.csv")
    result.trials.drop(columns=["config"]).to_csv(table, index=False)
    return out, table
