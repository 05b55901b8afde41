"""Value patterns shared by document types (values are kept exactly as printed)."""

# Letters OCR reads for digits (S for 5, O for 0, l for 1) are allowed, and a pair of brackets
# it reads for the area code's ('{353)', '[353]'); correct.phone maps them.
_D = r"[\dOSlI|B]"
_SEP = r"[\s.-]{0,2}"
_AREA = rf"(?:[(\[{{]{_D}{{3}}[)\]}}]|\(?{_D}{{3}}\)?)"
PHONE = rf"(?P<v>(?=(?:\D*\d){{7}}){_AREA}{_SEP}{_D}{{3}}{_SEP}{_D}{{4}})(?!\d)"
# A month's name or its usual abbreviation, as a whole word ('Mar', 'Sept.', 'March'; not
# 'Primary' or 'Mayfield').
_MONTH = (
    r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![a-z])\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
# 'May 6 1972', 'May 6, 1972', 'May 6th, 1972'; day and year may run together ('January
# 41941') or be split by a speck read as a stop.
_MONTH_DAY_YEAR = rf"{_MONTH}\s+[0-3]?\d{_ORDINAL}(?:,?\s+|[.,]\s*|(?=\d{{4}}\b))\d{{4}}\b"
# '14 February 2021', '6th May 1972', '07-Mar-2021', '07-Mar-21', '14/Feb/2021'.
_DAY_MONTH_YEAR = (
    rf"(?<![\d.])[0-3]?\d{_ORDINAL}(?:\s+|\s?[-/]\s?){_MONTH}(?:,?\s+|\s?[-/]\s?)"
    r"(?:\d{4}|\d{2})\b"
)
# '5/11/2022', '14/02/21', '14.02.2021', '14-02-2021' (the same separator twice; month or day
# first, kept as printed), not part of a decimal number or a time range ('9.30-12.30').
_NUMERIC = r"(?<![\d.])\d{1,2}\s?(?P<sep>[/.-])\s?\d{1,2}\s?(?P=sep)\s?(?:\d{4}|\d{2})(?!\.?\d)"
_ISO = r"(?<![\d.-])\d{4}-[01]\d-[0-3]\d(?![\d-])"  # 2024-03-14
# A date in any of the forms printed on medical documents, exactly as printed.
DATE = rf"(?P<v>{_MONTH_DAY_YEAR}|{_DAY_MONTH_YEAR}|{_ISO}|{_NUMERIC})"
YES_NO = r"\b(?P<v>Y[e3][s5]|N[o0])\b"
# 'IMMUNE', or a word as short when the next label was read glued to it ('NOT IMMUNÆMMeasles:'
# leaves 'NOT IMMUNÆM'; correct.immunity snaps it to the nearer choice), never 'Immunization'.
IMMUNITY = r"(?P<v>(?:N[O0]T[\s.,]*)?[I1l]MMU(?:NE|[^\W\d_]{0,3})(?![^\W\d_]))"
TWO_OR_THREE_DIGITS = r"(?<![\d.])(?P<v>\d{2,3})(?![\d.])"
# A small count; '|', 'l' and 'I' standing alone are how OCR reads a '1' (correct.count).
COUNT = r"(?<![A-Za-z0-9|])(?P<v>[\d|lI]{1,3})(?![A-Za-z0-9|])"

# The patterns type files name as a field's `value`.
NAMED_VALUES = {
    "date": DATE,
    "phone": PHONE,
    "yes_no": YES_NO,
    "immunity": IMMUNITY,
    "two_or_three_digits": TWO_OR_THREE_DIGITS,
    "count": COUNT,
}
