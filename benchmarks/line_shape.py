"""How well the shapes of a page's lines and letters tell a turned page, and at what cost.

Run: .venv/bin/python benchmarks/line_shape.py

Every OCR'd page of the corpus (both document types and the learned layouts), as `default`
preprocesses it for its first read: the pages of every condition but `rotated` are upright,
and are also measured turned upside down; the `rotated` condition's portrait pages are upside
down as captured, its landscape pages sideways. Prints the range of ``line_offset`` for each
group of portrait pages and how many ``looks_upside_down`` flags; the range of
``letters_standing`` on upright and on sideways pages, and how many sideways pages
``guessed_turn`` turns as Tesseract's orientation detection does; and the median CPU time of
``guessed_turn`` per condition.
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
from medxtract_lab.line_shape import LANDSCAPE  # noqa: E402
from medxtract_lab.ocr import get_engine  # noqa: E402
from medxtract_lab.pages import ocr_input  # noqa: E402


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
    sideways: list[np.ndarray] = []
    times: dict[str, list[float]] = {}
    for condition, image in pages_of(config):
        started = time.thread_time()
        line_shape.guessed_turn(image)
        times.setdefault(condition, []).append(time.thread_time() - started)
        if condition != "rotated":  # upright, landscape or not
            groups["upright"].append(image)
            groups["turned 180"].append(np.ascontiguousarray(image[::-1, ::-1]))
        elif image.shape[1] > image.shape[0] * LANDSCAPE:
            sideways.append(image)
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
    engine = get_engine(config.ocr.engine)
    agreed = sum(
        line_shape.guessed_turn(image) == engine.orientation(image)[0] for image in sideways
    )
    print("| pages | count | letters standing: min | median | max | turned as OSD turns them |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, images in (("upright", groups["upright"]), ("sideways", sideways)):
        balances = [line_shape.letters_standing(image)[0] for image in images]
        print(
            f"| {name} | {len(images)} | {min(balances):.2f} | {statistics.median(balances):.2f} "
            f"| {max(balances):.2f} | {agreed if name == 'sideways' else '-'} |"
        )
    print()
    print("| condition | pages | median CPU ms of a page's verdict (guessed_turn) |")
    print("| --- | --- | --- |")
    for condition, spent in sorted(times.items()):
        print(f"| {condition} | {len(spent)} | {statistics.median(spent) * 1000:.2f} |")


if __name__ == "__main__":
    main()
