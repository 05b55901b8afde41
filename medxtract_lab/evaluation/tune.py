"""``medxtract tune``: an Optuna search over the registered preprocessing steps.

The search space comes from the registries, never from copied ranges: each optional step
(``preprocess.OPTIONAL_STEPS``) is switched on or off and, when on, its declared parameters are
searched (conditional parameters); one binarisation method (the other registered steps, as the
tuner widget reads them) with its parameters; and the options the engine registry marks
tunable (Tesseract's page segmentation mode). A sampled configuration always lists its steps in
one canonical order (grayscale, the optional steps in registry order, binarisation), the order
the ``default`` preset uses, so the ``default`` parameters enqueued as trial 0 rebuild that
preset exactly.

Trials are scored on one half of the documents; the other half only checks the winner, so the
report shows how well it generalises rather than how well it fits. The tuning half is read in
stratified slices: after each slice the trial reports its score so far and the median pruner
stops a trial that is already worse than the median of finished trials, which spends the budget
on promising settings. The study lives in SQLite, so an interrupted or short search can be
resumed with more trials.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import random
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from medxtract_lab.config import PipelineConfig, Step, get_preset, save_config
from medxtract_lab.corpus.store import LabeledDocument
from medxtract_lab.errors import ConfigError, InputError
from medxtract_lab.evaluation.runner import EvaluationResult, evaluate
from medxtract_lab.ocr import engine_spec
from medxtract_lab.preprocess import OPTIONAL_STEPS, STEPS, Param
from medxtract_lab.progress import progress as progress_bar

STUDY_NAME = "medxtract-tune"
BASE_PRESET = "default"
# The binarisation methods: registered steps that are neither optional nor always there.
BINARISE = tuple(n for n in STEPS if n not in OPTIONAL_STEPS and n not in ("grayscale", "scale"))
BINARISE_KEY = "binarise"
OCR_PREFIX = "ocr."
# Float parameters are searched to two decimals: configs stay readable, and no registered
# float range is finer than that.
FLOAT_DIGITS = 2
# Slices of the tuning half: enough reports for the pruner to act early, few enough that each
# slice still holds documents of every kind.
SLICES = 4
# Finished trials before the pruner judges anyone: the median of fewer is mostly noise.
PRUNER_STARTUP_TRIALS = 4
# Complete trials below which parameter importances say nothing worth printing.
MIN_IMPORTANCE_TRIALS = 5
# The objective is field accuracy minus micro CER / CER_WEIGHT: accuracy is what users get, and
# a CER (about 0 to 1) divided by 1000 moves the score by less than one field in a thousand, so
# it only orders trials that read the same number of fields right.
CER_WEIGHT = 1000.0


@dataclass
class TuneResult:
    best: PipelineConfig  # the winner on the tuning half, or ``default`` when nothing beat it
    best_trial: int  # the study's number for that trial
    beat_default: bool  # whether any trial scored above ``default`` on the tuning half
    trials: pd.DataFrame  # one row per trial in the study, best first
    holdout: dict[str, float]  # the best trial and ``default`` on the held-out half
    importances: dict[str, float]  # PED-ANOVA importance per parameter, largest first
    importance_note: str  # why there are no importances, "" when there are
    study: Path
    tune_documents: int
    slices: int


@dataclass
class _Tally:
    """Counts summed over the slices read so far (a mean of means would weigh slices wrongly)."""

    matches: int = 0
    fields: int = 0
    edits: int = 0
    reference: int = 0
    documents: int = 0

    def add(self, result: EvaluationResult) -> None:
        if len(result.fields):
            self.matches += int(result.fields["match"].sum())
            self.fields += len(result.fields)
            self.documents += int(result.fields["id"].nunique())
        if len(result.pages):
            self.edits += int(result.pages["edits"].sum())
            self.reference += int(result.pages["reference"].sum())

    @property
    def accuracy(self) -> float:
        return self.matches / self.fields if self.fields else 0.0

    @property
    def cer(self) -> float:
        return self.edits / self.reference if self.reference else 0.0

    @property
    def score(self) -> float:
        return self.accuracy - self.cer / CER_WEIGHT


# -- the search space ----------------------------------------------------------------------------
def _suggest(trial: optuna.Trial, key: str, param: Param) -> Any:
    """One registry parameter as an Optuna distribution (fixed when it declares no range)."""
    if param.choices:
        return trial.suggest_categorical(key, param.choices)
    if param.low is None or param.high is None:
        return param.default
    if param.odd:
        low, high = int(param.low) | 1, int(param.high)
        return trial.suggest_int(key, low, high if high % 2 else high - 1, step=2)
    if isinstance(param.default, int):
        return trial.suggest_int(key, int(param.low), int(param.high))
    return trial.suggest_float(key, param.low, param.high, step=10**-FLOAT_DIGITS)


def _tunable(base: PipelineConfig) -> dict[str, tuple[Any, ...]]:
    """The engine's tunable options; the base's own value joins the choices so that trial 0
    can be the base exactly."""
    tunable = engine_spec(base.ocr.engine).tunable
    return {
        k: tuple(dict.fromkeys((*values, getattr(base.ocr, k)))) for k, values in tunable.items()
    }


def suggest_params(trial: optuna.Trial, base: PipelineConfig) -> dict[str, Any]:
    """Sample one point of the search space; a step's parameters exist only when it is on."""
    params: dict[str, Any] = {}
    for name in OPTIONAL_STEPS:
        params[name] = trial.suggest_categorical(name, (False, True))
        if params[name]:
            for key, param in STEPS[name].params.items():
                params[f"{name}.{key}"] = _suggest(trial, f"{name}.{key}", param)
    method = trial.suggest_categorical(BINARISE_KEY, BINARISE)
    params[BINARISE_KEY] = method
    for key, param in STEPS[method].params.items():
        params[f"{method}.{key}"] = _suggest(trial, f"{method}.{key}", param)
    for key, choices in _tunable(base).items():
        params[OCR_PREFIX + key] = trial.suggest_categorical(OCR_PREFIX + key, choices)
    return params


def config_from_params(params: Mapping[str, Any], base: PipelineConfig) -> PipelineConfig:
    """The pipeline a point of the search space stands for, steps in canonical order."""

    def value(name: str, key: str, param: Param) -> Any:
        found = params.get(f"{name}.{key}", param.default)
        # Optuna's stepped floats carry binary noise (6.0600000000000005).
        return round(found, FLOAT_DIGITS) if isinstance(found, float) else found

    def step(name: str) -> Step:
        return Step(name, {k: value(name, k, p) for k, p in STEPS[name].params.items()})

    steps = [Step("grayscale")] + [step(name) for name in OPTIONAL_STEPS if params[name]]
    if params[BINARISE_KEY] != "none":
        steps.append(step(params[BINARISE_KEY]))
    ocr = replace(base.ocr, **{k: params[OCR_PREFIX + k] for k in _tunable(base)})
    return replace(base, steps=tuple(steps), ocr=ocr)


def params_of(config: PipelineConfig) -> dict[str, Any]:
    """The point of the search space that rebuilds ``config``; ConfigError when none does
    (a step outside the space, or steps in another order)."""
    by_name = {s.name: s for s in config.steps}
    params: dict[str, Any] = {}
    for name in OPTIONAL_STEPS:
        params[name] = name in by_name
        if params[name]:
            params |= {f"{name}.{k}": v for k, v in by_name[name].params.items()}
    methods = [s.name for s in config.steps if s.name in BINARISE and s.name != "none"]
    params[BINARISE_KEY] = methods[0] if methods else "none"
    if methods:
        params |= {f"{methods[0]}.{k}": v for k, v in by_name[methods[0]].params.items()}
    params |= {OCR_PREFIX + k: getattr(config.ocr, k) for k in _tunable(config)}
    if config_from_params(params, config) != config:
        raise ConfigError(
            f"The {config.name!r} configuration is not a point of the tuner's search space: "
            "its steps must be grayscale, optional steps in the order of OPTIONAL_STEPS, then "
            "at most one binarisation, each with all its parameters."
        )
    return params


def describe_steps(steps: list[dict[str, Any]]) -> str:
    """Steps (as a config file lists them) on one line, for the trial table."""
    return " > ".join(
        s["name"]
        + (f"({', '.join(f'{k}={v}' for k, v in s['params'].items())})" if s["params"] else "")
        for s in steps
    )


# -- documents -----------------------------------------------------------------------------------
def split(
    corpus: list[LabeledDocument], seed: int
) -> tuple[list[LabeledDocument], list[LabeledDocument]]:
    """The tuning half and the held-out half, each with about half of every (type, source)."""
    shuffled = sorted(corpus, key=lambda d: d.id)
    random.Random(seed).shuffle(shuffled)
    grouped = sorted(shuffled, key=lambda d: (d.doc_type, d.source))  # stable: shuffled within
    return grouped[0::2], grouped[1::2]


def slices(docs: list[LabeledDocument], count: int = SLICES) -> list[list[LabeledDocument]]:
    """The tuning half dealt round-robin by (type, source), so every slice is a small sample of
    the whole, and the first one is a fair early read."""
    grouped = sorted(docs, key=lambda d: (d.doc_type, d.source, d.id))
    count = max(1, min(count, len(grouped)))
    return [grouped[i::count] for i in range(count)]


# -- the study -----------------------------------------------------------------------------------
def default_study_path(out: str | Path) -> Path:
    """``tuned.yaml`` keeps its study in ``tuned.study.db`` beside it."""
    out = Path(out)
    return out.with_name(f"{out.stem}.study.db")


def _open_study(
    path: Path, resume: bool, seed: int, startup_trials: int, first_slice: int
) -> optuna.Study:
    url = f"sqlite:///{path.resolve()}"
    pruner = optuna.pruners.MedianPruner(
        n_startup_trials=startup_trials, n_warmup_steps=first_slice
    )
    if not resume:
        if path.exists():
            raise InputError(
                f"The study file {path} already exists: pass --resume to add trials to it, "
                "or choose another --study file."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        sampler = optuna.samplers.TPESampler(seed=seed)
        return optuna.create_study(
            storage=url, study_name=STUDY_NAME, direction="maximize", sampler=sampler, pruner=pruner
        )
    if not path.exists():
        raise InputError(f"No tuning study to resume at {path}: run without --resume to start one.")
    try:
        study = optuna.load_study(study_name=STUDY_NAME, storage=url, pruner=pruner)
    except KeyError:
        raise InputError(f"{path} holds no {STUDY_NAME!r} study to resume.") from None
    # Seeded afresh for each resumption, or its random start would repeat the first run's draws.
    study.sampler = optuna.samplers.TPESampler(seed=seed + len(study.trials))
    return study


def _default_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return next((t for t in complete if t.user_attrs.get("preset") == BASE_PRESET), None)


def _trial_rows(study: optuna.Study, tunable: list[str]) -> pd.DataFrame:
    rows = []
    for t in study.trials:
        attrs = t.user_attrs
        value = t.value if t.value is not None else attrs.get("score")
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                "value": round(value, 6) if value is not None else None,
                "field_accuracy": round(attrs.get("field_accuracy", float("nan")), 4),
                "micro_cer": round(attrs.get("micro_cer", float("nan")), 4),
                "documents": attrs.get("documents", 0),
                **{k: attrs.get("ocr", {}).get(k) for k in tunable},
                "steps": describe_steps(attrs.get("steps", [])),
                "default": attrs.get("preset") == BASE_PRESET,
            }
        )
    table = pd.DataFrame(rows)
    table["_complete"] = table["state"] == "complete"
    return table.sort_values(
        ["_complete", "value", "trial"], ascending=[False, False, True], ignore_index=True
    ).drop(columns="_complete")


def importances(study: optuna.Study) -> tuple[dict[str, float], str]:
    """PED-ANOVA importances of the complete trials (fANOVA, Optuna's other choice, needs
    scikit-learn), or an empty dict and the reason there are none."""
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < MIN_IMPORTANCE_TRIALS:
        return {}, (
            f"only {len(complete)} complete trial(s), {MIN_IMPORTANCE_TRIALS} needed; "
            "run more with --resume"
        )
    if len({t.value for t in complete}) == 1:
        return {}, "every complete trial scored the same: no parameter made a difference"
    with warnings.catch_warnings():
        # Per-parameter notes about thin regimes (the plain message below covers the outcome),
        # and the notice that ``normalize`` is experimental.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        raw = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.PedAnovaImportanceEvaluator(), normalize=False
        )
    total = sum(raw.values())
    if total <= 0:
        return {}, "no parameter set the best trials apart from the rest"
    return {k: v / total for k, v in raw.items() if v > 0}, ""


def tune(
    corpus: list[LabeledDocument],
    budget: int,
    study_path: str | Path,
    seed: int = 0,
    use_cache: bool = True,
    resume: bool = False,
    startup_trials: int = PRUNER_STARTUP_TRIALS,
    progress: str = "auto",
) -> TuneResult:
    """Run ``budget`` trials (``default`` is trial 0 of a new study) and check the winner on
    the held-out half. ``resume`` adds the trials to the study already at ``study_path``."""
    if budget < 1:
        raise InputError(f"The budget must be at least one trial, got {budget}.")
    if len(corpus) < 2:
        raise InputError(
            "Tuning needs at least two matching documents: one half tunes, one checks."
        )
    study_path = Path(study_path)
    base = get_preset(BASE_PRESET)
    start = params_of(base)  # fails here, not after a search, if default left the space
    tune_docs, holdout_docs = split(corpus, seed)
    parts = slices(tune_docs)
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our bar, not a log line per trial
    try:
        study = _open_study(study_path, resume, seed, startup_trials, len(parts[0]))
        ids = [d.id for d in tune_docs]
        if not resume:
            study.set_user_attr("tune_documents", ids)
            study.set_user_attr("holdout_documents", [d.id for d in holdout_docs])
        elif study.user_attrs.get("tune_documents") != ids:
            raise InputError(
                f"The study in {study_path} was tuned on other documents; resume it with the "
                "same --corpus, --source, --doc-type and --seed, or start a new --study."
            )
        if _default_trial(study) is None:  # a new study, or one stopped during trial 0
            study.enqueue_trial(start, user_attrs={"preset": BASE_PRESET})
        # One pool for the whole search: workers keep their loaded models between trials.
        workers = min(os.cpu_count() or 1, len(corpus))
        with cf.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            search = _Search(base, parts, holdout_docs, pool, use_cache)
            bar = progress_bar(total=budget, desc="tuning", unit="trial", mode=progress)

            values: list[float] = []

            def advance(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
                if trial.value is not None:
                    values.append(trial.value)
                    bar.set_postfix(best=f"{max(values):.4f}", refresh=False)
                bar.update()

            with bar:
                study.optimize(search.objective, n_trials=budget, callbacks=[advance])
            return search.conclude(study, study_path)
    finally:
        optuna.logging.set_verbosity(verbosity)


@dataclass
class _Search:
    """What every trial shares: the base config, the documents and the worker pool."""

    base: PipelineConfig
    parts: list[list[LabeledDocument]]
    holdout: list[LabeledDocument]
    pool: cf.Executor
    use_cache: bool

    def score(self, docs: list[LabeledDocument], config: PipelineConfig, tally: _Tally) -> None:
        tally.add(evaluate(docs, config, self.pool, use_cache=self.use_cache, progress="off"))

    def objective(self, trial: optuna.Trial) -> float:
        """The score on the tuning half, reported slice by slice for the pruner."""
        config = config_from_params(suggest_params(trial, self.base), self.base)
        config = config.with_name(f"trial-{trial.number}")
        trial.set_user_attr("steps", config.to_dict()["steps"])
        trial.set_user_attr("ocr", {k: getattr(config.ocr, k) for k in _tunable(self.base)})
        # The baseline is always read in full: every verdict compares with it.
        prunable = trial.user_attrs.get("preset") != BASE_PRESET
        tally = _Tally()
        for number, part in enumerate(self.parts, start=1):
            self.score(part, config, tally)
            # Kept on the trial, so a pruned trial still shows how far it got and how well.
            trial.set_user_attr("field_accuracy", tally.accuracy)
            trial.set_user_attr("micro_cer", tally.cer)
            trial.set_user_attr("documents", tally.documents)
            trial.set_user_attr("score", tally.score)
            trial.report(tally.score, step=tally.documents)
            if prunable and number < len(self.parts) and trial.should_prune():
                raise optuna.TrialPruned()
        return tally.score

    def conclude(self, study: optuna.Study, study_path: Path) -> TuneResult:
        """Pick the winner (``default`` unless a trial scored strictly above it) and check it
        on the held-out half."""
        default = _default_trial(study)
        assert default is not None  # enqueued when missing, and never pruned
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        top = max(complete, key=lambda t: (t.value, -t.number))
        beat = top.value > default.value
        winner = top if beat else default
        name = "tuned" if beat else BASE_PRESET
        best = config_from_params(winner.params, self.base).with_name(name)
        held, baseline = _Tally(), _Tally()
        self.score(self.holdout, best, held)
        if beat:
            self.score(self.holdout, self.base, baseline)
        else:
            baseline = held
        found, note = importances(study)
        return TuneResult(
            best=best,
            best_trial=winner.number,
            beat_default=beat,
            trials=_trial_rows(study, list(_tunable(self.base))),
            holdout={
                "documents": len(self.holdout),
                "best_field_accuracy": held.accuracy,
                "best_micro_cer": held.cer,
                "default_field_accuracy": baseline.accuracy,
                "default_micro_cer": baseline.cer,
                "tune_best_value": winner.value,
                "tune_default_value": default.value,
            },
            importances=found,
            importance_note=note,
            study=study_path,
            tune_documents=sum(len(p) for p in self.parts),
            slices=len(self.parts),
        )


# -- output --------------------------------------------------------------------------------------
def format_table(trials: pd.DataFrame, rows: int = 5, width: int = 100) -> list[str]:
    """The best trials, and ``default`` when it is not among them, each with its steps wrapped
    below it, in at most ``width`` columns (the CSV beside the config has every trial)."""
    shown = trials.head(rows)
    if not shown["default"].any():
        shown = pd.concat([shown, trials[trials["default"]]])
    columns = [c for c in trials.columns if c not in ("value", "steps", "default")]
    heads = {"field_accuracy": "accuracy", "micro_cer": "CER", "documents": "docs"}
    cells = [
        {
            c: f"{row[c]:.4f}" if c in ("field_accuracy", "micro_cer") else str(row[c])
            for c in columns
        }
        | {"trial": f"{row['trial']}{' (default)' if row['default'] else ''}"}
        for _, row in shown.iterrows()
    ]
    widths = {c: max(len(heads.get(c, c)), *(len(cell[c]) for cell in cells)) for c in columns}
    lines = ["  ".join(heads.get(c, c).rjust(widths[c]) for c in columns)]
    for cell, steps in zip(cells, shown["steps"], strict=True):
        lines.append("  ".join(cell[c].rjust(widths[c]) for c in columns))
        lines += _wrap_steps(steps, width)
    return lines


def _wrap_steps(steps: str, width: int) -> list[str]:
    """A trial's steps below its row, broken between steps rather than inside one."""
    first, *rest = steps.split(" > ")
    lines = [f"    {first}"]
    for item in rest:
        if len(lines[-1]) + len(item) + 3 <= width:
            lines[-1] += f" > {item}"
        else:
            lines.append(f"      > {item}")
    return lines


def write_tune_result(result: TuneResult, out: str | Path) -> tuple[Path, Path]:
    """The best config (JSON or YAML by extension) and a CSV of every trial beside it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_config(result.best, out)
    table = out.with_suffix(".trials.csv")
    result.trials.to_csv(table, index=False)
    return out, table
