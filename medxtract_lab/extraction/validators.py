"""Validators: snap a read value to a known form when it is close enough.

Each corrector returns the value to report and a confidence factor. Above the similarity
threshold the value is replaced by the known form (factor = similarity); below it the value is
kept exactly as read and its confidence lowered. Nothing is ever invented for a missing field.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from rapidfuzz import fuzz, process

from medxtract_lab.lexicon import medications

KEPT_AS_READ = 0.6  # confidence factor for a value that matched no known form


def snap(value: str, choices: tuple[str, ...], threshold: float = 80) -> tuple[str, float]:
    """The closest choice (ignoring case and spaces), or the value itself with low confidence."""
    best = process.extractOne(_key(value), {c: _key(c) for c in choices}, scorer=fuzz.ratio)
    if best is None or best[1] < threshold:
        return value, KEPT_AS_READ
    if best[2] == value:
        return value, 1.0
    return best[2], min(best[1] / 100, 0.95)  # corrected: never as sure as a clean read


_LOOKALIKE_LETTERS = str.maketrans({"0": "o", "1": "l", "5": "s", "|": "l"})


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold().translate(_LOOKALIKE_LETTERS)


IMMUNITY_CHOICES = ("IMMUNE", "NOT IMMUNE")
YES_NO_CHOICES = ("Yes", "No")


def immunity(value: str) -> tuple[str, float]:
    return snap(value, IMMUNITY_CHOICES, threshold=80)


def yes_no(value: str) -> tuple[str, float]:
    return snap(value, YES_NO_CHOICES, threshold=66)


_NOT_APPLICABLE = re.compile(r"^N\s*[/|1lI\\]?\s*A\.?$", re.IGNORECASE)


# A short all-capitals token after a lower-case word ends a line as OCR debris ('Migraine CO'
# from a box edge or a speck); one capital letter is kept ('Vitamin D', 'Hepatitis B').
_TRAILING_DEBRIS = re.compile(r"(?<=[a-z]{3})\s+([A-Z]{2})$")
# Two-capital abbreviations a history or medication line really ends with, kept.
_ABBREVIATIONS = frozenset(
    [
        "MS",
        "PO",
        "IV",
        "IM",
        "SC",
        "SQ",
        "OD",
        "OS",
        "OU",
        "BD",
        "QD",
        "HS",
        "PR",
        "PV",
        "GI",
        "RA",
        "OA",
        "CF",
        "TB",
        "MI",
        "AF",
        "HF",
        "CP",
        "ED",
        "UC",
        "CD",
        "ID",
    ]
)


def text_or_na(value: str) -> tuple[str, float]:
    """Free text where the form allows 'N/A'; OCR's 'NA', 'NIA', 'N|A' become 'N/A'."""
    if value != "N/A" and _NOT_APPLICABLE.match(value):
        return "N/A", 0.9
    lines = [
        _TRAILING_DEBRIS.sub(lambda m: m.group() if m.group(1) in _ABBREVIATIONS else "", line)
        for line in value.split("\n")
    ]
    fixed = "\n".join(lines)
    return (fixed, 0.9) if fixed != value else (value, 1.0)


def medication_or_na(value: str) -> tuple[str, float]:
    """Medicines a patient takes, or 'N/A': a unit OCR misread after a strength is put right
    in place; every other character stays as printed ('Metformin XR 500mg')."""
    value, factor = text_or_na(value)

    def unit(match: re.Match) -> str:
        drug = (match.group("name") or "").capitalize()
        printed = match.group()[: match.start("unit") - match.start()]
        return printed + _unit(match.group("unit"), drug)

    fixed = _STRENGTH_UNIT.sub(unit, value)
    return (fixed, min(factor, 0.9)) if fixed != value else (value, factor)


_PHONE = re.compile(r"^\(?\d{3}\)?[\s.-]{0,2}\d{3}[\s.-]{0,2}\d{4}$")
_DIGITS_READ_AS = {"O": "0", "o": "0", "S": "5", "l": "1", "I": "1", "|": "1", "B": "8"}
_DIGIT_LOOKALIKES = str.maketrans(_DIGITS_READ_AS)
# An area code between brackets of any shape: what OCR reads for '(' and ')' on a grainy photo.
_BRACKETED_AREA = re.compile(r"^[({\[](.{3})[)}\]]")


def count(value: str) -> tuple[str, float]:
    """A number of refills or doses: letters read for digits ('| times') are mapped back."""
    if re.fullmatch(r"[0-9]+", value):
        return value, 1.0
    mapped = value.translate(_DIGIT_LOOKALIKES)
    return (mapped, 0.85) if re.fullmatch(r"[0-9]+", mapped) else (value, KEPT_AS_READ)


def phone(value: str) -> tuple[str, float]:
    """A US phone shape; letters OCR reads for digits (S01 for 501) and a pair of brackets it
    reads for the area code's ({501]) are mapped back."""
    if _PHONE.match(value):
        return value, 1.0
    mapped = _BRACKETED_AREA.sub(r"(\1)", value).translate(_DIGIT_LOOKALIKES)
    if _PHONE.match(mapped):
        return mapped, 0.85
    return value, KEPT_AS_READ


@functools.cache
def _drug_names() -> dict[str, str]:
    return {m.name: _key(m.name) for m in medications()}


_UNITS = ("mg", "mcg", "g", "gram", "ml", "mEq", "units")
# What OCR makes of 'mg' and 'mcg': 'g' read as 'eg', 'e', 'q' or 'd', 'm' as 'rn'. 'meg' is
# also 'mcg' with 'c' read as 'e': the drug's unit in the lexicon decides when the drug is known.
_UNIT_MISREADS = {
    "meg": "mg",
    "me": "mg",
    "md": "mg",
    "rng": "mg",
    "rnq": "mg",
    "mq": "mg",
    "rncg": "mcg",
}


def _unit(unit: str, drug: str | None = None) -> str:
    """A unit as printed, or the unit OCR misread. 'meg' is 'mg' or 'mcg' with one letter
    misread: a drug the lexicon lists in mcg decides; nothing else is taken from the lexicon,
    whose unit may not be the one printed. Two-letter misreads only in lower case, since 'mE'
    is what is left of 'mEq'."""
    misread = _UNIT_MISREADS.get(unit if len(unit) <= 2 else unit.casefold())
    if misread is None:
        return unit
    if unit.casefold() == "meg" and _drug_units().get(drug or "") == "mcg":
        return "mcg"
    return misread


@functools.cache
def _drug_units() -> dict[str, str]:
    return {m.name: m.unit for m in medications()}


# A strength and its unit inside free text, with the word before it (the drug, when known).
_STRENGTH_UNIT = re.compile(
    r"(?:(?P<name>[A-Za-z]+)\s+)?(?P<strength>\d[\d.,]*)(?P<gap>\s*)(?P<unit>[A-Za-z]+)\b"
)
_MEDICINE = re.compile(
    r"^(?P<name>.+?)\s+(?P<strength>[\d.,|lI]+)\s*(?P<unit>[A-Za-z]+)\b(?P<rest>.*)$"
)


def medicine_line(line: str) -> tuple[str, float]:
    """'<drug> <strength> <unit>' checked against the shipped lexicon and unit list."""
    match = _MEDICINE.match(line)
    if not match:
        return line, KEPT_AS_READ
    name, strength, unit, rest = match.group("name", "strength", "unit", "rest")
    factor = 1.0
    best = process.extractOne(_key(name), _drug_names(), scorer=fuzz.ratio)
    if best is not None and best[1] >= 85:
        name, factor = best[2], min(factor, best[1] / 100)
    else:
        factor = KEPT_AS_READ
    fixed_strength = re.sub(r"[|lI]", "1", strength)
    if fixed_strength != strength:
        strength, factor = fixed_strength, min(factor, 0.85)
    if _unit(unit, name) != unit:
        unit, factor = _unit(unit, name), min(factor, 0.9)
    elif unit not in _UNITS:
        factor = min(factor, KEPT_AS_READ)
    return f"{name} {strength} {unit}{rest}", factor


def medicines(value: str) -> tuple[str, float]:
    lines, factors = [], []
    for line in value.split("\n"):
        fixed, factor = medicine_line(line)
        lines.append(fixed)
        factors.append(factor)
    return "\n".join(lines), min(factors)


def _speck_rule(read: str, fixed: str) -> tuple[str, float]:
    """A shape rule's result: a changed value is less certain than a clean read."""
    return (fixed, 0.9) if fixed != read else (read, 1.0)


_STATE_ZIP = re.compile(r"\b([A-Z]{2})[.:;'’]\s+(\d{5}(?:-\d{4})?)\b")
# Punctuation other than a single comma before the state code: 'Lakeport; TN', 'Lakeport,. TN'.
_BEFORE_STATE = re.compile(r"(?:\s*[,.:;'’]){1,3}\s*(?=\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b)")


# A ZIP code ending its line with a hyphen and nothing after it: a speck, not a ZIP+4.
_ZIP_DASH = re.compile(r"(\b[A-Z]{2}\s+\d{5})-[ \t]*$", re.MULTILINE)
_COUNTRY = "united states"


def _accents_off(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def us_address(value: str) -> tuple[str, float]:
    """Specks read as punctuation around the state code: 'MN. 16663' and 'Lakeport;, MN' (a
    US address separates city and state by one comma), or as a hyphen after the ZIP code;
    accents the Latin-script model puts on the country line ('United Státes')."""
    fixed = _STATE_ZIP.sub(r"\1 \2", value)
    fixed = _BEFORE_STATE.sub(lambda m: m.group() if m.group() == ", " else ", ", fixed)
    fixed = _ZIP_DASH.sub(r"\1", fixed)
    lines = [_country_line(line) for line in fixed.split("\n")]
    return _speck_rule(value, "\n".join(lines))


def _country_line(line: str) -> str:
    plain = _accents_off(line)
    return plain if plain.casefold() == _COUNTRY else line


_SPECK_AFTER_NUMBER = re.compile(r"(?<=\d)\.(?=[a-z])")
_DOSE_FORMS = r"(?i:tablet|pill|capsule|drop|puff|spray|patch|dose|unit|teaspoon|tablespoon)"
# A '1' the English model reads as a bar or 'l', the Latin-script model as an accented 'i'.
_BAR_FOR_ONE = re.compile(rf"(?<!\S)[|lIìíîïĩ](?=\s+{_DOSE_FORMS})")


# Words of a prescription's directions, and what OCR makes of them by reading 'rn' as 'm' or
# 'm' as 'rn' ('moming'): only such exact look-alikes are mapped back, never near words.
_SIG_WORDS = (
    "morning", "evening", "bedtime", "night", "daily", "everyday", "twice", "once", "every",
    "tablet", "tablets", "capsule", "capsules", "pill", "pills", "months", "month", "meals",
    "dinner", "breakfast", "symptoms", "needed", "minutes", "hours", "water", "food",
)  # fmt: skip


@functools.cache
def _sig_lookalikes() -> dict[str, str]:
    found = {}
    for word in _SIG_WORDS:
        for read, printed in (("m", "rn"), ("rn", "m")):
            at = word.find(printed)
            while at >= 0:
                found[word[:at] + read + word[at + len(printed) :]] = word
                at = word.find(printed, at + 1)
    return {read: word for read, word in found.items() if read not in _SIG_WORDS}


def _sig_word(match: re.Match) -> str:
    """A directions word read with 'rn' as 'm' (or back), in the case it was printed in."""
    read = match.group()
    word = _sig_lookalikes().get(read.lower())
    if word is None:
        return read
    return word.upper() if read.isupper() else word.capitalize() if read[0].isupper() else word


def prose(value: str) -> tuple[str, float]:
    """Directions as printed, less three misreadings: a speck read as a full stop between a
    number and a word ('every 8.hours'; a decimal has a digit after the stop), a '1' read as
    '|', 'l', 'I' or 'ì' before a dose form ('take | tablet'), and a directions word with 'rn'
    read as 'm' ('every moming')."""
    fixed = _SPECK_AFTER_NUMBER.sub(" ", value)
    fixed = _BAR_FOR_ONE.sub("1", fixed)
    fixed = re.sub(r"\b[A-Za-z]+\b", _sig_word, fixed)
    return _speck_rule(value, fixed)


_MONTH_DATE_SPECK = re.compile(r"^([A-Za-z]+\.?\s+\d{1,2})(?:\.\s*|)(\d{4})$")


def month_date(value: str) -> tuple[str, float]:
    """'January 4.1941' and 'January 41941' are 'January 4 1941' with a speck read as a stop,
    or a space lost (the year has four digits, so the split is never ambiguous). A printed
    comma is read as a comma and kept."""
    fixed = _MONTH_DATE_SPECK.sub(r"\1 \2", value)
    return _speck_rule(value, fixed)


# A capital I read as a lower-case l at the start of a name's word ('Bernardo lannelli'); the
# particles a name may keep in lower case ('la', 'los', 'le') are shorter.
_L_FOR_CAPITAL_I = re.compile(r"(?<!\S)l(?=[a-z]{3,}(?!\S))")


def person_name(value: str) -> tuple[str, float]:
    """A person's name printed capitalised: a word of four letters or more that OCR began
    with 'l' for 'I' is given its capital back. Only in a value of two to four words whose
    other words are capitalised (particles such as 'de la' aside): a name written in lower
    case, or a phrase ('Dean Bryant lives here'), is left as it is. OCR reads a capital 'I'
    as 'l' far more often than a capital 'L' (a 'lewis' read for 'Lewis' would be 'Iewis')."""
    words = value.split()
    misread = [w for w in words if _L_FOR_CAPITAL_I.match(w)]
    others = [w for w in words if w not in misread]
    if not 2 <= len(words) <= 4 or not misread or not any(w[0].isupper() for w in others):
        return value, 1.0
    if not all(w[0].isupper() for w in others if len(w) >= 4):
        return value, 1.0
    return _speck_rule(value, _L_FOR_CAPITAL_I.sub("I", value))


# The validators type files name as a field's `correct`.
VALIDATORS = {
    fn.__name__: fn
    for fn in (
        immunity,
        yes_no,
        text_or_na,
        medication_or_na,
        count,
        phone,
        medicines,
        us_address,
        prose,
        month_date,
        person_name,
    )
}

# The values validators that snap to a fixed set allow: a form may print them as options.
CHOICES = {immunity: IMMUNITY_CHOICES, yes_no: YES_NO_CHOICES}
