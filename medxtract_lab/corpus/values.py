"""Field values for synthetic documents: Faker identities plus the medical vocabularies.

Values are produced exactly as they will be printed, so they are also the ground truth.
"""

from __future__ import annotations

import random
from datetime import date, datetime

from faker import Faker

from medxtract_lab.lexicon import medications

# Mostly US documents, with names from a few other locales as in a real clinic.
NAME_LOCALES = ("en_US",) * 6 + ("en_GB", "es_ES", "it_IT", "de_DE", "fr_FR")
PROBLEMS = (
    "Migraine",
    "Asthma",
    "Seizures",
    "Headaches",
    "Hypertension",
    "Type 2 diabetes",
    "Hypothyroidism",
    "Arthritis",
    "Eczema",
    "Anemia",
    "Back pain",
    "Insomnia",
    "Gout",
)
ALLERGIES = (
    "Penicillin",
    "Peanuts",
    "Latex",
    "Sulfa drugs",
    "Shellfish",
    "Pollen",
    "Aspirin",
    "Bee stings",
    "Dust mites",
    "Codeine",
    "Eggs",
)
INSURERS = (
    "Gem Insurance",
    "Blue Harbor Health",
    "Northstar Mutual",
    "Evergreen Health Plans",
    "Summit Care Insurance",
    "Pioneer Medical Cover",
    "Lakeside Assurance",
    "Unity Health Co",
)
CONDITIONS = (
    "Ulcerative colitis",
    "Bronchitis",
    "Sinus infection",
    "Acid reflux",
    "Allergic rhinitis",
    "Urinary tract infection",
    "Hypertension",
    "Muscle spasm",
    "Acute gout",
)
FREQUENCIES = (
    "once a day",
    "twice a day",
    "every morning",
    "at bedtime",
    "every 8 hours",
    "three times a day with food",
    "everyday",
)
DURATIONS = (
    "for 5 days",
    "for 7 days",
    "for 10 days",
    "for 2 weeks",
    "for 1 month",
    "for 3 months",
)


def faker_for(rng: random.Random) -> Faker:
    fake = Faker(rng.choice(NAME_LOCALES))
    fake.seed_instance(rng.getrandbits(32))
    return fake


def person_name(rng: random.Random) -> str:
    fake = faker_for(rng)
    return f"{fake.first_name()} {fake.last_name()}"


def us_fake(rng: random.Random) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(rng.getrandbits(32))
    return fake


def phone(rng: random.Random, style: str = "us") -> str:
    a, b, c = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    if style == "dashed":
        return f"({a})-{b}-{c:04d}"
    return f"({a}) {b}-{c:04d}"


def street(rng: random.Random) -> str:
    return us_fake(rng).street_address()


def city_line(rng: random.Random, with_state: bool = True) -> str:
    fake = us_fake(rng)
    if with_state:
        return f"{fake.city()}, {fake.state_abbr()} {fake.postcode()}"
    return f"{fake.city()}, {fake.postcode()}"


def numeric_date(rng: random.Random, start: int = 2019, end: int = 2026) -> str:
    day = date.fromordinal(
        rng.randint(date(start, 1, 1).toordinal(), date(end, 12, 28).toordinal())
    )
    return f"{day.month}/{day.day}/{day.year}"


def worded_date(rng: random.Random, start: int, end: int) -> str:
    day = date.fromordinal(
        rng.randint(date(start, 1, 1).toordinal(), date(end, 12, 28).toordinal())
    )
    return f"{day:%B} {day.day} {day.year}"


def medicine_line(rng: random.Random) -> tuple[str, str]:
    med = rng.choice(medications())
    return med.name, f"{med.name} {rng.choice(med.strengths)} {med.unit}"


def direction_line(rng: random.Random, drug: str) -> str:
    pills = rng.choice(("1 pill", "2 pill", "1 tablet", "2 tablets", "1 capsule"))
    style = rng.randrange(4)
    if style == 0:
        return f"{drug} - take {pills} {rng.choice(FREQUENCIES)} {rng.choice(DURATIONS)}"
    if style == 1:
        return f"{drug}, Taper {rng.choice((5, 10))} mg every {rng.choice((3, 4, 7))} days"
    if style == 2:
        return f"Take {pills} of {drug} {rng.choice(FREQUENCIES)}"
    return f"{drug}: {rng.choice(FREQUENCIES)} {rng.choice(DURATIONS)}"


def prescription_values(rng: random.Random) -> dict:
    """Fields plus the extra printed text (header, condition) of one prescription."""
    doctor = person_name(rng)
    count = rng.choice((1, 1, 2, 2, 3))
    drugs, lines = [], []
    for _ in range(count):
        drug, line = medicine_line(rng)
        if drug not in drugs:
            drugs.append(drug)
            lines.append(line)
    directions = [direction_line(rng, d) for d in drugs]
    if rng.random() < 0.3:
        directions.append(
            rng.choice(("Finish the full course", "Avoid alcohol", "Take with water"))
        )
    return {
        "fields": {
            "doctor_name": doctor,
            "patient_name": person_name(rng),
            "date": numeric_date(rng),
            "patient_address": f"{street(rng)}, {city_line(rng)}",
            "medicines": "\n".join(lines),
            "directions": "\n".join(directions),
            "refills": str(rng.randint(0, 5)),
        },
        "doctor_street": street(rng),
        "doctor_city": city_line(rng),
        "doctor_phone": phone(rng, "dashed"),
        "condition": rng.choice(CONDITIONS) if rng.random() < 0.4 else None,
        "medicines_label": rng.random() < 0.4,
    }


def _maybe_na(rng: random.Random, options: tuple[str, ...], p_na: float) -> str:
    return "N/A" if rng.random() < p_na else rng.choice(options)


def patient_values(rng: random.Random) -> dict:
    last = person_name(rng).split()[-1]
    insured = rng.random() < 0.8
    fields = {
        "patient_name": f"{person_name(rng).split()[0]} {last}",
        "phone_number": phone(rng),
        "birth_date": worded_date(rng, 1940, 2010),
        "weight": str(rng.randint(45, 130)),
        "height": str(rng.randint(145, 205)),
        "address": "\n".join((street(rng), city_line(rng), "United States")),
        "emergency_contact_name": f"{person_name(rng).split()[0]} {last}",
        "emergency_contact_phone": phone(rng),
        "chicken_pox": rng.choice(("IMMUNE", "NOT IMMUNE")),
        "measles": rng.choice(("IMMUNE", "NOT IMMUNE")),
        "hepatitis_b_vaccination": rng.choice(("Yes", "No")),
        "medical_problems": _maybe_na(rng, PROBLEMS, 0.3),
        "has_insurance": "Yes" if insured else "No",
        "insurance_company": rng.choice(INSURERS) if insured else None,
        "policy_number": f"{rng.choice('ABCDEFGHKMPRTX')}{rng.randint(10_000_000, 99_999_999)}"
        if insured
        else None,
        "insurance_expiry": numeric_date(rng, 2026, 2030) if insured else None,
        "allergies": _maybe_na(rng, ALLERGIES, 0.4),
        "regular_medication": "N/A" if rng.random() < 0.4 else medicine_line(rng)[1],
    }
    return {
        "fields": fields,
        "record_date": numeric_date(rng),
        "emergency_address": (street(rng), city_line(rng), "United States"),
        "insurer_address": (street(rng), city_line(rng)) if insured else None,
    }


_DAY_FIRST = (
    lambda d: f"{d.day} {d:%B} {d.year}",  # 14 February 2021
    lambda d: f"{d:%d-%b-%Y}",  # 07-Mar-2021
    lambda d: f"{d:%d/%m/%y}",  # 14/02/21
    lambda d: f"{d:%B} {d.day}, {d.year}",  # May 6, 1972
)


def _parse_date(text: str) -> date | None:
    for pattern in ("%m/%d/%Y", "%B %d %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def day_first_dates(made: dict, rng: random.Random) -> dict:
    """The same document with every date field printed in another common form: day-month-year
    with the month's name or number, or the month's name with a comma."""
    fields = dict(made["fields"])
    for name, value in fields.items():
        day = _parse_date(value) if isinstance(value, str) else None
        if day is not None:
            fields[name] = rng.choice(_DAY_FIRST)(day)
    return {**made, "fields": fields}
