"""Value patterns shared by document types (values are kept exactly as printed)."""

# Letters OCR reads for digits (S for 5, O for 0, l for 1) are allowed; correct.phone maps them.
_D = r"[\dOSlI|B]"
_SEP = r"[\s.-]{0,2}"
PHONE = rf"(?P<v>(?=(?:\D*\d){{7}})\(?{_D}{{3}}\)?{_SEP}{_D}{{3}}{_SEP}{_D}{{4}})(?!\d)"
DATE_NUMERIC = r"(?P<v>\d{1,2}\s?/\s?\d{1,2}\s?/\s?\d{2,4})"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# Day and year may run together ('January 41941') or be split by a speck read as a stop.
_MONTH_DAY_YEAR = rf"{_MONTH}\s+[0-3]?\d(?:,?\s+|[.,]\s*|(?=\d{{4}}\b))\d{{4}}\b"
DATE_ANY = rf"(?P<v>{_MONTH_DAY_YEAR}|\d{{1,2}}\s?[/.-]\s?\d{{1,2}}\s?[/.-]\s?\d{{2,4}})"
YES_NO = r"\b(?P<v>Y[e3][s5]|N[o0])\b"
IMMUNITY = r"(?P<v>(?:N[O0]T[\s.,]*)?[I1l]MMUNE)"
TWO_OR_THREE_DIGITS = r"(?<![\d.])(?P<v>\d{2,3})(?![\d.])"
# A small count; '|', 'l' and 'I' standing alone are how OCR reads a '1' (correct.count).
COUNT = r"(?<![A-Za-z0-9|])(?P<v>[\d|lI]{1,3})(?![A-Za-z0-9|])"
