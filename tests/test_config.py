import json

import numpy as np
import pytest

from medxtract_lab.config import (
    PRESETS,
    Step,
    config_from_dict,
    get_preset,
    load_config,
    resolve_config,
    save_config,
)
from medxtract_lab.errors import ConfigError
from medxtract_lab.preprocess import STEPS, apply_steps


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip(tmp_path, name, suffix) -> None:
    path = tmp_path / f"config{suffix}"
    save_config(PRESETS[name], path)
    assert load_config(path) == PRESETS[name]


def test_seed_is_the_original_pipeline() -> None:
    seed = get_preset("seed")
    assert seed.render.dpi == 200 and not seed.render.grayscale
    assert seed.steps == (
        Step("grayscale"),
        Step("scale", {"factor": 1.5, "interpolation": "linear"}),
        Step("adaptive_gaussian", {"block_size": 61, "c": 11}),
    )
    assert seed.ocr.psm is None and seed.ocr.oem is None and seed.ocr.omp_threads is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"steps": [{"name": "sharpen"}]}, "unknown step 'sharpen'"),
        ({"steps": [{"name": "adaptive_gaussian", "params": {"block_size": 60}}]}, "odd"),
        ({"steps": [{"name": "scale", "params": {"zoom": 2}}]}, "no parameter"),
        ({"render": {"dpi": 5000}}, "dpi"),
        ({"render": {"colour": True}}, "unknown key"),
        ({"ocr": {"engine": "magic"}}, "unknown engine 'magic'; choose one of"),
        ({"ocr": {"psm": 99}}, "page segmentation mode"),
        ({"ocr": {"engine": "pytesseract", "lang": "eng; rm"}}, "language codes"),
        ([1, 2], "mapping"),
    ],
)
def test_bad_configs_name_the_problem(data, message) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data)


def test_unreadable_config_file(tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(path)
    with pytest.raises(ConfigError, match="Unknown preset"):
        resolve_config("fastest")


def test_one_resolver_takes_a_preset_name_or_a_config_file(tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"name": "mine", "render": {"dpi": 150}}))
    from_file = resolve_config(str(path))
    assert from_file.render.dpi == 150 and from_file.name == "c"  # named after the file
    assert resolve_config("seed") == get_preset("seed")
    assert resolve_config(None) == get_preset("default")


def test_every_step_runs_on_a_page_and_keeps_its_size() -> None:
    page = np.full((200, 160), 230, np.uint8)
    page[50:60, 20:140] = 20
    for name, spec in STEPS.items():
        out = spec(page)
        assert out.dtype == np.uint8, name
        if name != "scale":
            assert out.shape[:2] == page.shape, name
    binary = apply_steps(page, [Step("adaptive_gaussian", {"block_size": 31, "c": 10})])
    assert set(np.unique(binary)) <= {0, 255}
    assert apply_steps(page, [Step("scale", {"factor": 1.5})]).shape == (300, 240)
