"""A learned layout next to a page it read: the rules as a table, and the page with each field's
value boxed and named with the label that placed it (notebooks/04_new_layout.ipynb)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from medxtract_lab.config import RenderSettings
from medxtract_lab.extraction.spec import DocType
from medxtract_lab.learn.induce import FieldRule
from medxtract_lab.learn.write import describe
from medxtract_lab.pages import preview
from medxtract_lab.records import Extraction
from medxtract_lab.render import open_pdf


def rules_table(layout: DocType) -> pd.DataFrame:
    """One row per field: how the layout finds it, in words."""
    rows = []
    for spec in layout.fields:
        rule = FieldRule(spec.name, spec.find, spec.page, spec.value, "", 0, 0)
        rows.append(
            {
                "field": spec.name,
                "kind": type(spec.find).__name__.lower(),
                "labels": ", ".join(spec.find.labels),
                "how": describe(rule),
            }
        )
    return pd.DataFrame(rows).set_index("field")


def page_with_fields(
    pdf_path: str | Path, result: Extraction, layout: DocType, page: int = 1, dpi: int = 80
) -> Figure:
    """The page with each read value boxed, named by its field and the label that placed it."""
    image = preview(open_pdf(pdf_path, RenderSettings(dpi=dpi)), page, dpi)
    height, width = image.shape[:2]
    # Shown cropped to what is printed (a label may fill a corner of its page).
    gray = image if image.ndim == 2 else image.mean(axis=2)
    rows, cols = np.nonzero(gray < 160)
    top, bottom = (rows.min() - 20, rows.max() + 20) if rows.size else (0, height)
    left, right = (cols.min() - 20, cols.max() + 20) if cols.size else (0, width)
    shown = (right - left) * 1.35  # room for the names on the right
    figure, axes = plt.subplots(figsize=(10, 10 * (bottom - top) / max(1.0, shown)))
    axes.imshow(image, cmap="gray")
    axes.set_xlim(left, left + shown)
    axes.set_ylim(bottom, top)
    axes.set_axis_off()
    pad = 2
    labels = {spec.name: spec.find.labels for spec in layout.fields}
    for name, places in result.locations.items():
        for place in places:
            if place.page != page:
                continue
            x0, y0, x1, y1 = place.box
            axes.add_patch(
                Rectangle(
                    (x0 * width - pad, y0 * height - pad),
                    (x1 - x0) * width + 2 * pad,
                    (y1 - y0) * height + 2 * pad,
                    fill=False,
                    edgecolor="#d62728",
                    linewidth=1.2,
                )
            )
            anchor = f" ← {labels[name][0]}" if labels.get(name) else ""
            axes.text(
                x1 * width + 6,
                y0 * height,
                f"{name}{anchor}",
                fontsize=9,
                color="#d62728",
                va="top",
            )
    figure.tight_layout()
    plt.close(figure)
    return figure
