"""Draw the two document layouts with reportlab and record their text in reading order.

Fonts come from inside installed Python packages (matplotlib's DejaVu and STIX, reportlab's
Vera), embedded in every PDF, so nothing depends on the machine's system fonts.
"""

from __future__ import annotations

import functools
import io
import random
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import reportlab
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

_MPL = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_RL = Path(reportlab.__file__).parent / "fonts"
FONT_FILES = {
    "DejaVuSans": _MPL / "DejaVuSans.ttf",
    "DejaVuSans-Bold": _MPL / "DejaVuSans-Bold.ttf",
    "DejaVuSerif": _MPL / "DejaVuSerif.ttf",
    "DejaVuSerif-Bold": _MPL / "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono": _MPL / "DejaVuSansMono.ttf",
    "STIXGeneral": _MPL / "STIXGeneral.ttf",
    "Vera": _RL / "Vera.ttf",
    "Vera-Bold": _RL / "VeraBd.ttf",
}
LABEL_FONTS = ("DejaVuSans-Bold", "Vera-Bold", "DejaVuSerif-Bold", "DejaVuSans", "Vera")
VALUE_FONTS = ("DejaVuSerif", "DejaVuSansMono", "STIXGeneral", "Vera", "DejaVuSans")
PAGE_W, PAGE_H = letter


@functools.cache
def register_fonts() -> None:
    for name, path in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))


@dataclass(frozen=True)
class Style:
    """Per-document layout jitter."""

    label_font: str
    value_font: str
    heading_font: str
    size: float
    leading: float
    left: float
    right_col: float
    top: float
    underline: bool

    @classmethod
    def random(cls, rng: random.Random) -> Style:
        size = rng.uniform(9, 14)
        return cls(
            label_font=rng.choice(LABEL_FONTS),
            value_font=rng.choice(VALUE_FONTS),
            heading_font=rng.choice(("DejaVuSans-Bold", "Vera-Bold", "DejaVuSerif-Bold")),
            size=round(size, 1),
            leading=round(size * rng.uniform(1.6, 2.2), 1),
            left=rng.uniform(50, 80),
            right_col=rng.uniform(330, 370),
            top=rng.uniform(50, 80),
            underline=rng.random() < 0.6,
        )


class Writer:
    """Draws on a page and records every string drawn, to rebuild the text in reading order."""

    def __init__(self, pdf: canvas.Canvas, style: Style) -> None:
        self.pdf, self.style = pdf, style
        self.items: list[tuple[float, float, str]] = []
        self.y = PAGE_H - style.top

    def text(self) -> str:
        """Rows top to bottom, strings on one baseline joined left to right."""
        rows: dict[float, list[tuple[float, str]]] = {}
        for y, x, text in self.items:
            rows.setdefault(round(y, 1), []).append((x, text))
        return "".join(
            " ".join(t for _, t in sorted(rows[y])) + "\n" for y in sorted(rows, reverse=True)
        )

    def width(self, text: str, font: str, size: float) -> float:
        return pdfmetrics.stringWidth(text, font, size)

    def put(self, x: float, y: float, text: str, font: str, size: float | None = None) -> float:
        size = size or self.style.size
        self.pdf.setFont(font, size)
        self.pdf.drawString(x, y, text)
        self.items.append((y, x, text))
        return x + self.width(text, font, size)

    def label(self, x: float, y: float, text: str) -> float:
        return self.put(x, y, text, self.style.label_font) + self.style.size * 0.5

    def value(self, x: float, y: float, text: str | None, min_width: float = 0) -> None:
        end = self.put(x, y, text, self.style.value_font) if text else x
        if self.style.underline:
            self.pdf.setLineWidth(0.6)
            self.pdf.line(x - 2, y - 3, max(end, x + min_width) + 4, y - 3)

    def heading(self, text: str, size_bonus: float = 2, centre: bool = False) -> None:
        size = self.style.size + size_bonus
        x = (PAGE_W - self.width(text, self.style.heading_font, size)) / 2 if centre else None
        self.put(
            x if x is not None else self.style.left, self.y, text, self.style.heading_font, size
        )
        self.y -= self.style.leading * (1.2 if size_bonus else 1)

    def newline(self, times: float = 1) -> None:
        self.y -= self.style.leading * times


def new_canvas(buffer: io.BytesIO) -> canvas.Canvas:
    register_fonts()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1, pageCompression=1)
    pdf.setTitle("Synthetic medical document")
    return pdf


def draw_prescription(values: dict, rng: random.Random) -> tuple[bytes, list[str]]:
    """One-page prescription; returns the PDF bytes and the page text in reading order."""
    buffer = io.BytesIO()
    pdf = new_canvas(buffer)
    style = Style.random(rng)
    w = Writer(pdf, style)
    f = values["fields"]
    w.heading(f"Dr {f['doctor_name']}, M.D", size_bonus=3, centre=True)
    for line in (values["doctor_street"], values["doctor_city"], f"Phone {values['doctor_phone']}"):
        x = (PAGE_W - w.width(line, style.label_font, style.size)) / 2
        w.put(x, w.y, line, style.label_font)
        w.newline(0.8)
    pdf.setLineWidth(1)
    pdf.line(style.left, w.y + 4, PAGE_W - style.left, w.y + 4)
    w.newline(1.5)

    x = w.label(style.left, w.y, "Name:")
    w.value(x, w.y, f["patient_name"], 150)
    x = w.label(style.right_col + 40, w.y, "Date:")
    w.value(x, w.y, f["date"], 80)
    w.newline()
    x = w.label(style.left, w.y, "Address:")
    w.value(x, w.y, f["patient_address"], 250)
    w.newline()
    if values["condition"]:
        x = w.label(style.left, w.y, "Condition:")
        w.value(x, w.y, values["condition"], 150)
        w.newline()
    w.newline(0.5)
    w.put(style.left, w.y, "Rx", style.heading_font, style.size * 2)
    w.newline(1.3)
    indent = style.left + rng.uniform(10, 40)
    if values["medicines_label"]:
        w.label(style.left, w.y, "Medicines:")
        w.newline()
    for line in f["medicines"].split("\n"):
        w.put(indent, w.y, line, style.value_font)
        w.newline()
    w.newline(0.5)
    directions = f["directions"].split("\n")
    x = w.label(style.left, w.y, "Directions:")
    if rng.random() < 0.4:
        w.put(x, w.y, directions[0], style.value_font)
        directions = directions[1:]
    w.newline()
    for line in directions:
        w.put(indent, w.y, line, style.value_font)
        w.newline()
    w.y = min(w.y - style.leading, rng.uniform(110, 170))
    x = w.label(PAGE_W - style.left - 150, w.y, "Refill:")
    w.put(x + 8, w.y, f["refills"], style.value_font)
    pdf.line(x, w.y - 3, x + 26, w.y - 3)
    w.label(x + 32, w.y, "times")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), [w.text()]


def _column(w: Writer, x: float, y: float, rows: list[tuple[str | None, str | None]]) -> float:
    """Draw (label, value) rows in a column; a label alone is followed by its value below."""
    for label, value in rows:
        if label and value is not None:
            end = w.label(x, y, label)
            w.value(end, y, value, 60)
        elif label:
            w.label(x, y, label)
        elif value:
            w.value(x, y, value, 100)
        y -= w.style.leading
    return y


def draw_patient_record(
    values: dict, rng: random.Random, columns: bool = False
) -> tuple[bytes, list[str]]:
    """Two-page patient medical record; returns the PDF bytes and each page's text. With
    ``columns``, page 2 prints the insurer's address and the expiry date in a right-hand column
    beside the company and the policy number."""
    buffer = io.BytesIO()
    pdf = new_canvas(buffer)
    style = Style.random(rng)
    f = values["fields"]
    pages = []

    w = Writer(pdf, style)
    date_x = PAGE_W - style.left - w.width(values["record_date"], style.value_font, style.size)
    w.put(date_x, w.y, values["record_date"], style.value_font)
    w.newline(1.5)
    w.heading("Patient Medical Record", size_bonus=6, centre=True)
    w.newline(0.5)
    w.heading("Patient Information")
    inline = rng.random() < 0.5
    top = w.y
    left_rows = [
        (None, v) for v in (f["patient_name"], f["phone_number"], *f["address"].split("\n"))
    ]
    bottom_left = _column(w, style.left, top, left_rows)
    right_rows: list[tuple[str | None, str | None]] = [
        ("Birth Date", None),
        (None, f["birth_date"]),
    ]
    for label, value in (("Weight:", f["weight"]), ("Height:", f["height"])):
        right_rows += [(label, value)] if inline else [(label, None), (None, value)]
    bottom_right = _column(w, style.right_col, top, right_rows)
    w.y = min(bottom_left, bottom_right) - style.leading * 0.5

    w.heading("In Case of Emergency")
    top = w.y
    left_rows = [
        (None, f["emergency_contact_name"]),
        ("Home phone", None),
        (None, f["emergency_contact_phone"]),
        ("Work phone", None),
    ]
    bottom_left = _column(w, style.left, top, left_rows)
    right_rows = [(None, line) for line in values["emergency_address"]]
    bottom_right = _column(w, style.right_col, top, right_rows)
    w.y = min(bottom_left, bottom_right) - style.leading * 0.5

    w.heading("General Medical History")
    x = w.label(style.left, w.y, "Chicken Pox (Varicella):")
    mx = w.label(style.right_col, w.y, "Measles:")
    if rng.random() < 0.5:
        w.value(x, w.y, f["chicken_pox"], 60)
        w.value(mx, w.y, f["measles"], 60)
    else:
        w.newline()
        w.value(style.left, w.y, f["chicken_pox"], 60)
        w.value(style.right_col, w.y, f["measles"], 60)
    w.newline(1.3)
    for label, value in (
        ("Have you had the Hepatitis B vaccination?", f["hepatitis_b_vaccination"]),
        ("List any Medical Problems (asthma, seizures, headaches):", f["medical_problems"]),
    ):
        _column(w, style.left, w.y, [(label, None), (None, value)])
        w.newline(2.3)
    pages.append(w.text())
    pdf.showPage()

    w = Writer(pdf, style)
    insurer = values["insurer_address"] or ("", "")
    if columns:
        _insurance_columns(w, f, insurer)
    else:
        _insurance_rows(w, f, insurer)
    w.newline(0.5)
    w.y = _column(
        w, style.left, w.y, [("Do you have medical insurance?", None), (None, f["has_insurance"])]
    )
    w.newline(0.5)
    w.heading("Medical Insurance Details")
    for label, value in (
        ("List any allergies:", f["allergies"]),
        ("List any medication taken regularly:", f["regular_medication"]),
    ):
        w.y = _column(w, style.left, w.y, [(label, None), (None, value)])
        w.newline(0.5)
    pages.append(w.text())
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), pages


def _insurance_rows(w: Writer, f: dict, insurer: tuple[str, str]) -> None:
    """Company, policy, address and expiry one under another (the original layout)."""
    style = w.style
    rows = [
        ("Name of Insurance Company:", f["insurance_company"] or ""),
        ("Policy Number:", f["policy_number"] or ""),
        ("Address:", insurer[0]),
    ]
    w.y = _column(w, style.left, w.y, rows)
    if insurer[1]:
        indent = style.left + w.width("Address:", style.label_font, style.size) + style.size * 0.5
        w.y = _column(w, indent, w.y, [(None, insurer[1])])
    else:
        w.newline()
    w.y = _column(w, style.left, w.y, [("Expiry Date:", f["insurance_expiry"] or "")])


def _insurance_columns(w: Writer, f: dict, insurer: tuple[str, str]) -> None:
    """Company and policy (each label above its value) on the left; the insurer's address and
    the expiry date in a right-hand column sharing their rows."""
    style = w.style
    company, policy = f["insurance_company"] or "", f["policy_number"] or ""
    left_width = max(
        w.width("Name of Insurance Company:", style.label_font, style.size),
        w.width(company, style.value_font, style.size),
        w.width(policy, style.value_font, style.size),
    )
    right = min(max(style.right_col, style.left + left_width + 40), PAGE_W - 240)
    top = w.y
    bottom_left = _column(
        w,
        style.left,
        top,
        [("Name of Insurance Company:", None), (None, company), ("Policy Number:", None)]
        + [(None, policy)],
    )
    bottom_right = _column(
        w,
        right,
        top,
        [("Address:", None), (None, insurer[0]), (None, insurer[1])]
        + [("Expiry Date:", f["insurance_expiry"] or "")],
    )
    w.y = min(bottom_left, bottom_right)
