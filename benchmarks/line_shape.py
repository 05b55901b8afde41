"""How well the shape of a page's text lines tells an upside-down page, and at what cost.

Run: .venv/bin/python benchmarks/line_shape.py

Every OCR'd page of the corpus (both document types and the learned layouts), as `default`
preprocesses it for its first read: the pages of every condition but `rotated` are upright,
and are also measured turned upside down; the `rotated` condition's portrait pages are upside
down as captured (its sideways pages are landscape and are asked first anyway). Prints the
range of ``line_offset`` for each group, how many pages ``looks_upside_down`` flags, and the
median CPU time of the verdict per condition.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from medxtract_lab import line_shape, render  # noqa: E402
from medxtract_lab.config import PipelineConfig, get_preset  # noqa: E402
from medxtract_lab.pages import ocr_input  # noqa: E402
from medxtract_lab.pipeline import LANDSCAPE  # noqa: E402


def pages_of(config: PipelineConfig) -> list[tuple[str, np.ndarray]]:
    """(condition, first-read image) of every page that is read by OCR."""
    found = []
    for path in sorted((ROOT / "ground_truth").rglob("*.pdf")):
        pdf = render.open_pdf(path, config.render)
        if not any(pdf.info.scans) and "-digital-" in path.name:
            continue  # born-digital: read through its text layer
        condition = path.stem.split("-")[1]
        for number in range(1, pdf.pages + 1):
            found.append((condition, ocr_input(pdf, number, config)))
    return found


def main() -> None:
    cv2.setNumThreads(1)  # as medxtract_lab.pipeline runs OpenCV
    config = get_preset("default")
    groups: dict[str, list[np.ndarray]] = {"upright": [], "turned 180": [], "rotated": []}
    times: dict[str, list[float]] = {}
    for condition, image in pages_of(config):
        if image.shape[1] > image.shape[0] * LANDSCAPE:
            continue  # asked which way is up without this measure (``pipeline``)
        started = time.thread_time()
        line_shape.looks_upside_down(image)
        times.setdefault(condition, []).append(time.thread_time() - started)
        if condition != "rotated":
            groups["upright"].append(image)
            groups["turned 180"].append(np.ascontiguousarray(image[::-1, ::-1]))
        else:
            groups["rotated"].append(image)
    print("| pages | count | line offset: min | median | max | flagged upside down |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, images in groups.items():
        offsets = [line_shape.line_offset(image)[0] for image in images]
        flagged = sum(line_shape.looks_upside_down(image) for image in images)
        print(
            f"| {name} | {len(images)} | {min(offsets):.4f} | {statistics.median(offsets):.4f} "
            f"| {max(offsets):.4f} | {flagged} |"
        )
    print()
    print("| condition | pages | median CPU ms of a page's verdict (looks_upside_down) |")
    print("| --- | --- | --- |")
    for condition, spent in sorted(times.items()):
        print(f"| {condition} | {len(spent)} | {statistics.median(spent) * 1000:.2f} |")


if __name__ == "__main__":
    main()
