"""CPU time per stage: what the speed benchmark weighs, beside the reported wall time."""

import time

from medxtract_lab.config import get_preset
from medxtract_lab.pipeline import extract
from medxtract_lab.poppler import render as poppler_render
from medxtract_lab.stopwatch import Stopwatch


def test_a_stage_counts_its_own_threads_work_and_its_childrens() -> None:
    watch = Stopwatch()
    with watch.stage("spin"):
        started = time.thread_time()
        while time.thread_time() - started < 0.05:
            pass
    with watch.stage("sleep"):
        time.sleep(0.05)
    assert watch.cpu_ms["spin"] >= 45 and watch.wall_ms["spin"] >= 45
    assert watch.cpu_ms["sleep"] < 10 <= watch.wall_ms["sleep"] - 40  # waiting is not work


def test_poppler_running_in_a_child_process_counts_as_the_stages_work(docs) -> None:
    watch = Stopwatch()
    with watch.stage("render"):
        poppler_render(docs["prescription-digital"].path, 1, 300, True)
    assert watch.cpu_ms["render"] > 5  # pdftoppm's own CPU time, not this thread's


def test_a_result_carries_cpu_time_per_stage_outside_its_json(docs) -> None:
    config = get_preset("default")
    result = extract(docs["prescription-image"].path, "prescription", config)
    assert {"ocr", "preprocess", "render", "extract"} <= set(result.cpu_ms)
    assert result.cpu_ms["ocr"] > 50
    assert "cpu_ms" not in result.to_dict()
