"""``medxtract tune``: the Optuna search, its pruning and its resumable SQLite study, read with
real Tesseract on four quick scanned prescriptions (the session's OCR cache makes a config seen
by an earlier test free for a later one)."""

import statistics
from dataclasses import replace
from pathlib import Path

import optuna
import pytest

from medxtract_lab.cli import main
from medxtract_lab.config import get_preset, load_config
from medxtract_lab.corpus import load_corpus
from medxtract_lab.errors import ConfigError
from medxtract_lab.evaluation.tune import (
    STUDY_NAME,
    config_from_params,
    importances,
    params_of,
    suggest_params,
    tune,
)

GROUND_TRUTH = Path(__file__).parent.parent / "ground_truth"
# The quickest pages of the corpus to read (about half a second each with ``default``).
QUICK = ("rx-scan-001", "rx-scan-007", "rx-scan-008", "rx-scan-009")
COMPLETE = optuna.trial.TrialState.COMPLETE
PRUNED = optuna.trial.TrialState.PRUNED


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name in QUICK:
        for suffix in (".json", ".pdf"):
            source = GROUND_TRUTH / "prescription" / f"{name}{suffix}"
            (folder / source.name).write_bytes(source.read_bytes())
    return folder


def load_study(path: Path) -> optuna.Study:
    return optuna.load_study(study_name=STUDY_NAME, storage=f"sqlite:///{path}")


def test_default_is_a_point_of_the_search_space_and_other_orders_are_not() -> None:
    default = get_preset("default")
    rebuilt = config_from_params(params_of(default), default)
    assert rebuilt.steps == default.steps and rebuilt.ocr == default.ocr
    steps = default.steps
    swapped = replace(default, steps=(steps[0], steps[2], steps[1], *steps[3:]))
    with pytest.raises(ConfigError, match="search space"):
        params_of(swapped)


def test_tune_starts_from_default_and_prints_a_table_that_fits(corpus_dir, tmp_path, capsys):
    out = tmp_path / "tuned.yaml"
    code = main(["tune", "--corpus", str(corpus_dir), "--budget", "3", "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    lines = printed.out.splitlines()
    assert len(lines) > 8 and lines[0].split()[:3] == ["trial", "state", "accuracy"]
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    assert "held-out half (2 documents)" in printed.out
    # Three complete trials are too few for importances: said plainly, not a crash.
    assert "importances not computed: only 3 complete trial(s), 5 needed" in printed.out

    study = load_study(tmp_path / "tuned.study.db")
    assert len(study.trials) == 3
    first = study.trials[0]
    default = get_preset("default")
    assert first.user_attrs["preset"] == "default"
    assert config_from_params(first.params, default) == default  # trial 0 IS default
    assert first.user_attrs["steps"] == default.to_dict()["steps"]  # as recorded in the study
    # The written config is the strict winner on the tuning half, else default.
    top = max((t for t in study.trials if t.state == COMPLETE), key=lambda t: (t.value, -t.number))
    winner = top if top.value > first.value else first
    assert load_config(out).steps == config_from_params(winner.params, default).steps
    assert ("no trial beat default on the tuning half; default kept" in printed.out) == (
        winner is first
    )
    table = (tmp_path / "tuned.trials.csv").read_text().splitlines()
    assert table[0].startswith("trial,state,value,field_accuracy,micro_cer,documents")
    assert len(table) == 4


def test_a_study_resumes_only_when_asked(corpus_dir, tmp_path, capsys) -> None:
    study_file = tmp_path / "studies" / "scan.db"
    common = ["tune", "--corpus", str(corpus_dir), "--out", str(tmp_path / "tuned.json")]
    argv = [*common, "--study", str(study_file)]
    assert main([*argv, "--budget", "1"]) == 0
    capsys.readouterr()

    assert main([*argv, "--budget", "1"]) == 2  # the study exists: refused before any trial
    err = capsys.readouterr().err
    assert "--resume" in err and str(study_file) in err
    assert len(load_study(study_file).trials) == 1

    assert main([*argv, "--budget", "1", "--resume"]) == 0
    trials = load_study(study_file).trials
    assert len(trials) == 1 + 1
    assert [t.user_attrs.get("preset") for t in trials] == ["default", None]
    assert trials[1].user_attrs["steps"][0]["name"] == "grayscale"
    # The resumed sampler is seeded afresh, so it does not replay the first run's draws.
    replay = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    assert trials[1].params != suggest_params(replay.ask(), get_preset("default"))

    missing = tmp_path / "none.db"
    assert main([*common, "--study", str(missing), "--budget", "1", "--resume"]) == 2
    assert "No tuning study to resume" in capsys.readouterr().err and not missing.exists()


def test_trials_below_the_median_after_the_first_slice_are_pruned(corpus_dir, tmp_path) -> None:
    docs = load_corpus(corpus_dir)
    result = tune(docs, 4, tmp_path / "study.db", startup_trials=1, progress="off")
    trials = load_study(tmp_path / "study.db").trials
    pruned = [t for t in trials if t.state == PRUNED]
    assert pruned, [(t.number, t.state, t.intermediate_values) for t in trials]
    for trial in pruned:
        step = trial.last_step
        assert step < result.tune_documents  # stopped before reading the whole tuning half
        earlier = [
            t.intermediate_values[step] for t in trials[: trial.number] if t.state == COMPLETE
        ]
        assert max(trial.intermediate_values.values()) < statistics.median(earlier)
        assert trial.user_attrs["steps"]  # a pruned trial's config is recorded too
    assert (result.trials["state"] == "pruned").sum() == len(pruned)
    assert result.trials.loc[0, "state"] == "complete"  # best first


def test_importances_name_the_parameter_that_matters_or_say_why_not() -> None:
    def objective(trial: optuna.Trial) -> float:
        return trial.suggest_float("x", 0, 1) + trial.suggest_float("y", 0, 1) / 100

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=40)
    found, note = importances(study)
    assert note == "" and max(found, key=found.get) == "x"
    assert sum(found.values()) == pytest.approx(1.0)

    few = optuna.create_study(direction="maximize")
    few.optimize(objective, n_trials=2)
    assert importances(few) == ({}, "only 2 complete trial(s), 5 needed; run more with --resume")
