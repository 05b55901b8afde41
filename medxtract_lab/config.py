"""Pipeline configuration: one dataclass, named presets, JSON/YAML round trip.

The same file format is accepted by the CLI, the report notebook, the widgets and the API, so a
configuration tuned in a notebook is one file away from production.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from medxtract_lab.errors import ConfigError
from medxtract_lab.ocr.registry import check_settings
from medxtract_lab.preprocess import STEPS


@dataclass(frozen=True)
class Step:
    """One preprocessing step by registry name, with its parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderSettings:
    dpi: int = 300
    grayscale: bool = True
    use_text_layer: bool = True
    # Pictures are read at their own resolution: a page that is one JPEG (full-page, or a photo
    # placed by a print app) is decoded rather than rendered, same pixels and about ten times
    # cheaper (only with ``grayscale``), and a photo page that must be rendered is rendered no
    # finer than its photo. Off for ``seed``, which rendered everything at its dpi.
    decode_embedded_scans: bool = True
    max_pages: int = 20
    # Guard applied before rasterising: width x height at ``dpi`` must stay below this.
    max_page_pixels: int = 60_000_000
    # Guard applied before poppler: the content bytes drawing a page takes, forms counted each
    # time they are drawn (page_content.drawing_bytes). Corpus pages need at most 4 KB.
    max_drawing_bytes: int = 32 * 1024 * 1024
    # Seconds one document may take in ``extract``, every stage together (see budget.py).
    doc_timeout_s: float = 120.0


@dataclass(frozen=True)
class OcrSettings:
    engine: str = "tesserocr"  # a name from the engine registry (medxtract_lab.ocr)
    lang: str = "eng"
    psm: int | None = None  # None: Tesseract's default page segmentation
    oem: int | None = None
    # OMP_THREAD_LIMIT for the pytesseract engine's tesseract program; None keeps Tesseract's
    # default OpenMP threading. The tesserocr wheel is built without OpenMP: one thread per page.
    omp_threads: int | None = 1
    page_timeout_s: float = 120.0
    # Turned pages are read upright: a page the shapes of its letters and lines show turned
    # (line_shape) is read turned, a landscape page whose shapes do not tell asks the engine's
    # orientation detection first, and a page whose reads are poor asks it and is read again.
    # Engines without orientation detection ignore it, with a warning.
    upright: bool = False
    # Seconds per document for re-reading missing or doubtful fields from their own region;
    # 0 turns multi-candidate recognition off.
    reread_budget_s: float = 0.0


@dataclass(frozen=True)
class PipelineConfig:
    name: str = "custom"
    render: RenderSettings = field(default_factory=RenderSettings)
    steps: tuple[Step, ...] = ()
    ocr: OcrSettings = field(default_factory=OcrSettings)
    # Pages processed at once; None means one per core.
    workers: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["steps"] = [{"name": s.name, "params": dict(s.params)} for s in self.steps]
        return data

    def ocr_relevant(self) -> dict[str, Any]:
        """The part of the config that changes OCR output (for cache keys)."""
        data = self.to_dict()
        ocr = dict(data["ocr"])
        ocr.pop("page_timeout_s")
        render = dict(data["render"])
        for guard in ("doc_timeout_s", "max_drawing_bytes"):  # refuse or not; same output
            render.pop(guard)
        return {"render": render, "steps": data["steps"], "ocr": ocr}

    def with_name(self, name: str) -> PipelineConfig:
        return replace(self, name=name)


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}.")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{where} has unknown key(s) {unknown}; allowed keys are {sorted(known)}."
        )
    try:
        return cls(**data)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def config_from_dict(data: dict[str, Any]) -> PipelineConfig:
    """Build and validate a config; every problem names the key and the allowed values."""
    if not isinstance(data, dict):
        raise ConfigError("A pipeline config must be a mapping of keys to values.")
    data = dict(data)
    render = _build(RenderSettings, data.pop("render", {}), "config.render")
    ocr = _build(OcrSettings, data.pop("ocr", {}), "config.ocr")
    steps = []
    for i, raw in enumerate(data.pop("steps", [])):
        if isinstance(raw, str):
            raw = {"name": raw}
        step = _build(Step, raw, f"config.steps[{i}]")
        if step.name not in STEPS:
            raise ConfigError(
                f"config.steps[{i}]: unknown step {step.name!r}; choose one of {sorted(STEPS)}."
            )
        STEPS[step.name].check_params(step.params, f"config.steps[{i}]")
        steps.append(step)
    config = _build(PipelineConfig, {**data, "render": render, "ocr": ocr}, "config")
    check_settings(config.ocr)
    if config.render.dpi < 50 or config.render.dpi > 600:
        raise ConfigError("config.render.dpi must be between 50 and 600.")
    return replace(config, steps=tuple(steps))


def load_config(path: str | Path) -> PipelineConfig:
    """Read a config from a ``.json``, ``.yaml`` or ``.yml`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc.strerror}.") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"Config file {path} is not valid JSON/YAML: {exc}") from exc
    return config_from_dict(data)


def save_config(config: PipelineConfig, path: str | Path) -> None:
    """Write a config as JSON or YAML, chosen by the file extension."""
    path = Path(path)
    data = config.to_dict()
    if path.suffix == ".json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")


PRESETS: dict[str, PipelineConfig] = {
    # The original MedXtract pipeline, kept as the comparison baseline.
    "seed": PipelineConfig(
        name="seed",
        render=RenderSettings(
            dpi=200, grayscale=False, use_text_layer=False, decode_embedded_scans=False
        ),
        steps=(
            Step("grayscale"),
            Step("scale", {"factor": 1.5, "interpolation": "linear"}),
            Step("adaptive_gaussian", {"block_size": 61, "c": 11}),
        ),
        ocr=OcrSettings(engine="pytesseract", omp_threads=None),
        workers=1,
    ),
    # Text layer when present; a full-page JPEG decoded at its own resolution (at most 300
    # dpi), any other page rendered in grayscale at 300 dpi; resampled so its characters are
    # about 20 px high (the working resolution comes from the page: see the README's curve);
    # deskew, divide out shadows and uneven light, erase form underlines, then Tesseract's own
    # binarisation. Page segmentation mode 4 reads a form row by row, in the order a person
    # reads it (measured in the README).
    "default": PipelineConfig(
        name="default",
        render=RenderSettings(dpi=300, grayscale=True, use_text_layer=True),
        steps=(
            Step("grayscale"),
            Step("resample_text", {"target": 20}),
            Step("deskew", {"max_degrees": 5.0}),
            Step("normalize_illumination", {"kernel": 41}),
            Step("remove_lines", {"min_length": 80}),
        ),
        # Tesseract's Latin-script model: it keeps the accents of names (María, Françoise) that
        # the English model drops, and reads serif capitals before digits (T79199802) that the
        # English model takes for a 1; about 40% more OCR time per page, most of it won back
        # by reading at the working resolution (see the README). A poorly read page is checked
        # for a sideways or upside-down picture and read upright.
        ocr=OcrSettings(
            engine="tesserocr", lang="Latin", psm=4, upright=True, reread_budget_s=10.0
        ),
    ),
}


def get_preset(name: str) -> PipelineConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.") from None


def resolve_config(name: str | Path | None = None) -> PipelineConfig:
    """A preset name or the path of a JSON/YAML config file; None means ``default``. A file
    takes its name from its stem, so reports and caches tell two files apart."""
    if name is None:
        return get_preset("default")
    text = str(name)
    if text.endswith((".json", ".yaml", ".yml")) or Path(text).is_file():
        return load_config(text).with_name(Path(text).stem)
    return get_preset(text)
