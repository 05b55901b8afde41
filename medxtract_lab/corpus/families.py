"""Three layout families the built-in layouts were not written for (issue 15), each filling the
field contract of a registered document type with other labels, positions and value forms:

- ``pharmacy_label`` (prescription): a dispensing label: the pharmacy's name and address, an
  Rx number, a fill date such as ``07-Mar-2021``, the patient's name in capitals and address
  without labels, the directions in capitals (``TAKE 1 CAPSULE BY MOUTH TWICE DAILY``), one
  medicine, ``Qty:``, ``Refills:``, ``Prescriber:`` and a discard date;
- ``clinic_letterhead`` (prescription): a clinic's letterhead, ``Patient:``, ``DOB:``,
  ``Date:`` printed day first, ``Home address:``, an ``Rx`` block of medicines, ``Sig:``,
  ``Disp:``, ``Refills:``, and the doctor's name under a signature line (``<name>, MD``);
- ``intake_form`` (patient_details): a one-page new-patient intake form in numbered sections,
  other labels in another order, the yes/no and immunity answers ticked in checkboxes.

Values come from the house generators' values (``values.py``), changed where the family prints
them differently, so the ground truth is still what was drawn.
"""

from __future__ import annotations

import io
import random
from dataclasses import replace
from datetime import date

from medxtract_lab.corpus import values
from medxtract_lab.corpus.layout import PAGE_W, Style, Writer, new_canvas

PHARMACIES = (
    "GREENLEAF PHARMACY",
    "CORNER DRUG STORE",
    "MAPLE AVENUE PHARMACY",
    "HEALTHMART #0412",
    "CITYCARE DISPENSARY",
    "RIVERBEND APOTHECARY",
)
CLINICS = (
    "Riverside Family Clinic",
    "Oak Hill Medical Group",
    "Harbor View Health Centre",
    "Lakeshore Internal Medicine",
    "Northgate Community Practice",
    "St. Albans Medical Associates",
)
FORMS = ("TABLET", "CAPSULE", "TABLETS", "CAPSULES")
LABEL_FREQUENCIES = (
    "ONCE DAILY",
    "TWICE DAILY",
    "THREE TIMES DAILY",
    "EVERY 8 HOURS",
    "AT BEDTIME",
    "EVERY MORNING",
)
LABEL_EXTRAS = ("WITH FOOD", "AS NEEDED FOR PAIN", "FOR 10 DAYS", "UNTIL FINISHED")


def _day(rng: random.Random, start: int, end: int) -> date:
    return date.fromordinal(
        rng.randint(date(start, 1, 1).toordinal(), date(end, 12, 28).toordinal())
    )


def _day_first(day: date, rng: random.Random) -> str:
    """A date as clinics outside the US print it: '14 February 2021', '07-Mar-2021',
    '14/02/2021' or '14.02.2021'."""
    forms = (
        f"{day.day} {day:%B} {day.year}",
        f"{day:%d-%b-%Y}",
        f"{day:%d/%m/%Y}",
        f"{day:%d.%m.%Y}",
    )
    return rng.choice(forms)


def pharmacy_label_values(rng: random.Random) -> dict:
    """One medicine's dispensing label: the patient's name in capitals, directions as a
    pharmacy system prints them, a day-month-year fill date."""
    made = values.prescription_values(rng)
    fields = dict(made["fields"])
    drug, line = values.medicine_line(rng)
    form = rng.choice(FORMS)
    count = rng.choice(("1", "2"))
    directions = f"TAKE {count} {form.rstrip('S') if count == '1' else form} BY MOUTH"
    directions += f" {rng.choice(LABEL_FREQUENCIES)}"
    extra = rng.choice(LABEL_EXTRAS) if rng.random() < 0.5 else None
    filled = _day(rng, 2019, 2026)
    fields.update(
        patient_name=fields["patient_name"].upper(),
        date=f"{filled:%d-%b-%Y}",
        medicines=line,
        directions=directions if extra is None else f"{directions}\n{extra}",
        refills=str(rng.randint(0, 5)),
    )
    return {
        **made,
        "fields": fields,
        "pharmacy": rng.choice(PHARMACIES),
        "rx_number": str(rng.randint(1_000_000, 9_999_999)),
        "quantity": str(rng.choice((14, 20, 28, 30, 60, 90))),
        "form": form,
        "discard": f"{_day(rng, 2027, 2028):%d-%b-%Y}",
    }


def draw_pharmacy_label(made: dict, rng: random.Random) -> tuple[bytes, list[str]]:
    """A dispensing label in a bordered box on the upper part of a letter page."""
    buffer = io.BytesIO()
    pdf = new_canvas(buffer)
    style = replace(Style.random(rng), size=round(rng.uniform(10, 13), 1))
    w = Writer(pdf, style)
    f = made["fields"]
    width = rng.uniform(400, 470)
    left = rng.uniform(60, PAGE_W - width - 60)
    w.y -= rng.uniform(20, 120)
    top = w.y + style.size * 2
    x0 = left + 14
    bold, plain = style.heading_font, style.label_font.replace("-Bold", "")
    w.put(x0, w.y, made["pharmacy"], bold, style.size + 3)
    w.newline(0.9)
    address = made["doctor_street"] + ", " + made["doctor_city"]
    w.put(x0, w.y, address, plain, style.size - 1.5)
    w.newline(0.7)
    w.put(x0, w.y, f"Tel {made['doctor_phone']}", plain, style.size - 1.5)
    w.newline(1.1)
    pdf.setLineWidth(0.8)
    pdf.line(left, w.y + style.size * 1.2, left + width, w.y + style.size * 1.2)
    end = w.put(x0, w.y, f"Rx# {made['rx_number']}", bold)
    w.put(max(end + 30, x0 + width * 0.5), w.y, f"Filled: {f['date']}", plain)
    w.newline()
    w.put(x0, w.y, f["patient_name"], bold, style.size + 1)
    w.newline(0.8)
    w.put(x0, w.y, f["patient_address"], plain, style.size - 1)
    w.newline(1.2)
    for line in f["directions"].split("\n"):
        w.put(x0, w.y, line, bold, style.size + 1)
        w.newline(0.9)
    w.newline(0.3)
    w.put(x0, w.y, f["medicines"], style.value_font)
    w.newline()
    end = w.put(x0, w.y, f"Qty: {made['quantity']} {made['form']}", plain)
    w.put(max(end + 30, x0 + width * 0.55), w.y, f"Refills: {f['refills']}", plain)
    w.newline()
    w.put(x0, w.y, f"Prescriber: {f['doctor_name']}", plain)
    w.newline()
    w.put(x0, w.y, f"Discard after: {made['discard']}", plain, style.size - 1.5)
    bottom = w.y - style.size
    pdf.setLineWidth(1.4)
    pdf.roundRect(left, bottom, width, top - bottom, 8)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), [w.text()]


def clinic_letterhead_values(rng: random.Random) -> dict:
    """A prescription on a clinic's letterhead: a day-first date and the patient's birth date."""
    made = values.prescription_values(rng)
    fields = dict(made["fields"])
    fields["date"] = _day_first(_day(rng, 2019, 2026), rng)
    return {
        **made,
        "fields": fields,
        "clinic": rng.choice(CLINICS),
        "birth_date": _day_first(_day(rng, 1940, 2010), rng),
        "dispense": f"#{rng.choice((10, 14, 28, 30, 60, 90))}",
        "licence": str(rng.randint(100_000, 999_999)),
    }


def draw_clinic_letterhead(made: dict, rng: random.Random) -> tuple[bytes, list[str]]:
    """A letterhead prescription: Rx, Sig, Disp, Refills, and the doctor's name signed below."""
    buffer = io.BytesIO()
    pdf = new_canvas(buffer)
    style = Style.random(rng)
    w = Writer(pdf, style)
    f = made["fields"]
    left_head = rng.random() < 0.5
    lines = (
        made["doctor_street"] + ", " + made["doctor_city"],
        f"Tel {made['doctor_phone']}",
    )
    if left_head:
        w.heading(made["clinic"], size_bonus=5)
        for line in lines:
            w.put(style.left, w.y, line, style.label_font)
            w.newline(0.8)
    else:
        w.heading(made["clinic"], size_bonus=5, centre=True)
        for line in lines:
            x = (PAGE_W - w.width(line, style.label_font, style.size)) / 2
            w.put(x, w.y, line, style.label_font)
            w.newline(0.8)
    pdf.setLineWidth(2)
    pdf.line(style.left, w.y + 2, PAGE_W - style.left, w.y + 2)
    w.newline(1.5)
    x = w.label(style.left, w.y, "Patient:")
    w.value(x, w.y, f["patient_name"], 150)
    x = w.label(style.right_col + 30, w.y, "Date:")
    w.value(x, w.y, f["date"], 80)
    w.newline()
    x = w.label(style.left, w.y, "Home address:")
    w.value(x, w.y, f["patient_address"], 250)
    w.newline()
    x = w.label(style.left, w.y, "DOB:")
    w.value(x, w.y, made["birth_date"], 80)
    w.newline(1.5)
    w.put(style.left, w.y, "Rx", style.heading_font, style.size * 2.2)
    w.newline(1.4)
    indent = style.left + rng.uniform(10, 30)
    for line in f["medicines"].split("\n"):
        w.put(indent, w.y, line, style.value_font)
        w.newline()
    w.newline(0.4)
    directions = f["directions"].split("\n")
    x = w.label(indent, w.y, "Sig:")
    w.put(x, w.y, directions[0], style.value_font)
    w.newline()
    for line in directions[1:]:
        w.put(x, w.y, line, style.value_font)
        w.newline()
    w.newline(0.4)
    x = w.label(indent, w.y, "Disp:")
    w.put(x, w.y, made["dispense"], style.value_font)
    x = w.label(style.right_col, w.y, "Refills:")
    w.put(x, w.y, f["refills"], style.value_font)
    w.y = min(w.y - style.leading * 2.5, rng.uniform(150, 220))
    sign_x = PAGE_W - style.left - 220
    pdf.setLineWidth(0.8)
    pdf.line(sign_x, w.y + style.size * 1.4, sign_x + 200, w.y + style.size * 1.4)
    w.put(sign_x, w.y, f"{f['doctor_name']}, MD", style.value_font)
    w.newline(0.8)
    w.put(sign_x, w.y, f"Lic. No. {made['licence']}", style.label_font, style.size - 2)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), [w.text()]


def intake_form_values(rng: random.Random) -> dict:
    """A patient intake form's values: the house record's fields with a numeric birth date."""
    made = values.patient_values(rng)
    fields = dict(made["fields"])
    born = _day(rng, 1940, 2010)
    fields["birth_date"] = rng.choice((f"{born.month}/{born.day}/{born.year}", f"{born:%m/%d/%Y}"))
    return {**made, "fields": fields, "clinic": rng.choice(CLINICS)}


def _checkboxes(w: Writer, x: float, y: float, options: tuple[str, ...], chosen: str) -> float:
    """Options each after a square box, the chosen one ticked with a cross; returns the end x.
    Only the option words are text: a box is a drawing."""
    box = w.style.size * 0.8
    for option in options:
        w.pdf.setLineWidth(0.9)
        w.pdf.rect(x, y - 1, box, box)
        if option == chosen:
            w.pdf.setLineWidth(1.6)
            w.pdf.line(x + 1.5, y + 0.5, x + box - 1.5, y + box - 2.5)
            w.pdf.line(x + 1.5, y + box - 2.5, x + box - 1.5, y + 0.5)
        x = w.put(x + box + w.style.size * 0.4, y, option, w.style.value_font) + w.style.size * 1.5
    return x


def draw_intake_form(made: dict, rng: random.Random) -> tuple[bytes, list[str]]:
    """A one-page intake form: numbered sections, labels of its own, checkboxes for answers."""
    buffer = io.BytesIO()
    pdf = new_canvas(buffer)
    size = round(rng.uniform(9, 11.5), 1)
    style = replace(Style.random(rng), size=size, leading=round(size * rng.uniform(1.6, 1.9), 1))
    w = Writer(pdf, style)
    f = made["fields"]
    w.put(style.left, w.y, made["clinic"], style.label_font)
    w.newline(1.2)
    w.heading("New Patient Intake Form", size_bonus=5, centre=True)
    w.newline(0.3)
    col = style.right_col

    def row(pairs: list[tuple[float, str, str | None]]) -> None:
        for x, label, value in pairs:
            end = w.label(x, w.y, label)
            w.value(end, w.y, value, 60)
        w.newline()

    w.heading("1. About you", size_bonus=1)
    row([(style.left, "Full name:", f["patient_name"]), (col, "Date of birth:", f["birth_date"])])
    row([(style.left, "Mobile:", f["phone_number"]), (col, "Weight (kg):", f["weight"])])
    street, city, country = f["address"].split("\n")
    end = w.label(style.left, w.y, "Home address:")
    w.value(end, w.y, street, 120)
    w.put(col, w.y, "Height (cm):", style.label_font)
    w.value(
        col + w.width("Height (cm):", style.label_font, style.size) + style.size * 0.5,
        w.y,
        f["height"],
        40,
    )
    w.newline()
    for line in (city, country):
        w.value(end, w.y, line, 120)
        w.newline()
    w.newline(0.3)
    w.heading("2. Emergency contact", size_bonus=1)
    row(
        [
            (style.left, "Contact name:", f["emergency_contact_name"]),
            (col, "Contact phone:", f["emergency_contact_phone"]),
        ]
    )
    w.newline(0.3)
    w.heading("3. Health history", size_bonus=1)
    answers_x = style.left + rng.uniform(200, 230)
    for label, chosen, options in (
        ("Chickenpox immunity:", f["chicken_pox"], ("IMMUNE", "NOT IMMUNE")),
        ("Measles immunity:", f["measles"], ("IMMUNE", "NOT IMMUNE")),
        ("Hepatitis B vaccine received?", f["hepatitis_b_vaccination"], ("Yes", "No")),
    ):
        w.label(style.left, w.y, label)
        _checkboxes(w, answers_x, w.y, options, chosen)
        w.newline()
    for label, value in (
        ("Current medical conditions:", f["medical_problems"]),
        ("Known allergies:", f["allergies"]),
        ("Current medications:", f["regular_medication"]),
    ):
        end = w.label(style.left, w.y, label)
        w.value(end, w.y, value, 150)
        w.newline()
    w.newline(0.3)
    w.heading("4. Insurance", size_bonus=1)
    w.label(style.left, w.y, "Are you insured?")
    _checkboxes(w, answers_x, w.y, ("Yes", "No"), f["has_insurance"])
    w.newline()
    row(
        [
            (style.left, "Insurer:", f["insurance_company"] or ""),
            (col, "Member ID:", f["policy_number"] or ""),
        ]
    )
    row([(style.left, "Valid until:", f["insurance_expiry"] or "")])
    w.newline(1.5)
    w.put(style.left, w.y, "Signature: ______________________", style.label_font)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), [w.text()]
