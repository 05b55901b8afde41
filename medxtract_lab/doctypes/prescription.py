"""Prescription: one page, doctor header, patient lines, medicines, directions, refills."""

from medxtract_lab import correct
from medxtract_lab.doctypes.patterns import COUNT, DATE_NUMERIC
from medxtract_lab.fields import DocType, FieldSpec

PRESCRIPTION = DocType(
    name="prescription",
    title="Prescription",
    fields=(
        FieldSpec(
            "doctor_name",
            kind="pattern",
            page=1,
            value=r"^\W*D[rt]\.?\s+(?P<v>[A-Z][^,\n]*?)\s*,\s*M\.?\s?D\b",
        ),
        FieldSpec("patient_name", anchors=("Name:",), page=1),
        FieldSpec("date", anchors=("Date:",), page=1, value=DATE_NUMERIC),
        FieldSpec("patient_address", anchors=("Address:",), page=1, correct=correct.us_address),
        FieldSpec(
            "medicines",
            kind="block",
            anchors=("Address:", "Medicines:"),
            until=("Directions:",),
            page=1,
            # A medicine line names a drug and its strength (a "1" may be read as "|");
            # this drops the Rx symbol.
            line_filter=r"[^\W\d_]{3,}.*(?:\d|\s[|lI]\s*[a-z]{1,5}\b)",
            correct=correct.medicines,
        ),
        FieldSpec(
            "directions",
            anchors=("Directions:",),
            page=1,
            max_lines=8,
            lookahead=1,
            correct=correct.prose,
        ),
        FieldSpec(
            "refills",
            anchors=("Refill:", "Refills:"),
            page=1,
            value=COUNT,
            lookahead=1,
            normalise=str.strip,  # the pattern takes one token; a lone '|' is a misread '1'
            correct=correct.count,
        ),
    ),
    structural_labels=("Condition:",),
)
