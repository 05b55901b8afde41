"""environment.yml (conda) and pyproject.toml (pip) must list the same dependencies."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= set(extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {d for d in pip_section if not d.startswith("-e")}
    assert listed == wanted
    conda = {d.split(">")[0] for d in env["dependencies"] if isinstance(d, str)}
    assert {"python", "poppler", "tesseract"} <= conda
    assert project["scripts"]["medxtract"] == "medxtract_lab.cli:main"
