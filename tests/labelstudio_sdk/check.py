"""Check Label Studio tasks and a labelling config with Label Studio's own SDK.

Runs under .venv-labelstudio's interpreter (the pinned SDK; see requirements.txt beside this
file), never under the project's: tests/test_labelstudio.py sends it {"config": XML, "tasks":
[...]} on stdin and reads back {"sdk": version, "controls": {name: {tag, labels}}, "problems":
[...]}, where an empty "problems" means the config, every task's data and every prediction and
annotation are valid for Label Studio.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from typing import Any

from label_studio_sdk.label_interface import LabelInterface


def check(config: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    interface = LabelInterface(config)
    problems = []
    try:
        interface.validate()  # the config's schema, unique names, toName targets, attributes
    except Exception as exc:  # the SDK raises several kinds; each is a problem to report
        problems.append(f"config: {type(exc).__name__}: {exc}")
    for index, task in enumerate(tasks):
        # The data alone: validate_task in 2.1.2 calls validate_prediction without the
        # prediction when a task holds one, so predictions and annotations are checked below.
        if not interface.validate_task({"data": task.get("data", {})}):
            problems.append(f"task {index}: its data lacks a key the config's objects read")
        for kind in ("predictions", "annotations"):
            for item in task.get(kind, []):
                errors = interface.validate_prediction(item, return_errors=True)
                if kind == "annotations" and not interface.validate_annotation(item):
                    errors = errors or ["validate_annotation refused it"]
                problems.extend(f"task {index} {kind}: {error}" for error in errors)
    controls = {
        control.name: {"tag": control.tag, "labels": list(control.labels or [])}
        for control in interface.controls
    }
    return {"sdk": version("label-studio-sdk"), "controls": controls, "problems": problems}


if __name__ == "__main__":
    payload = json.load(sys.stdin)
    json.dump(check(payload["config"], payload["tasks"]), sys.stdout)
