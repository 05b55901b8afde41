"""Value patterns shared by document types (values are kept exactly as printed)."""

PHONE = r"(?P<v>\(?\d{3}\)?[\s.-]{0,2}\d{3}[\s.-]{0,2}\d{4})(?!\d)"
DATE_NUMERIC = r"(?P<v>\d{1,2}\s?/\s?\d{1,2}\s?/\s?\d{2,4})"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATE_ANY = (
    rf"(?P<v>{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s?[/.-]\s?\d{{1,2}}\s?[/.-]\s?\d{{2,4}})"
)
YES_NO = r"\b(?P<v>Yes|No)\b"
IMMUNITY = r"(?P<v>(?:NOT\s+)?IMMUNE)"
TWO_OR_THREE_DIGITS = r"(?<![\d.])(?P<v>\d{2,3})(?![\d.])"
INTEGER = r"(?P<v>\d+)"
