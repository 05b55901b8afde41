"""Prescription: one page, doctor header, patient lines, medicines, directions, refills."""

from medxtract_lab.doctypes.patterns import COUNT, DATE
from medxtract_lab.extraction import validators as fix
from medxtract_lab.extraction.spec import Block, DocType, FieldSpec, Label, Pattern

PRESCRIPTION = DocType(
    name="prescription",
    fields=(
        FieldSpec(
            "doctor_name",
            Pattern(),
            page=1,
            value=r"^\W*D[rt]\.?\s+(?P<v>[A-Z][^,\n]*?)\s*,\s*M\.?\s?D\b",
        ),
        FieldSpec("patient_name", Label(("Name:",)), page=1),
        FieldSpec("date", Label(("Date:",)), page=1, value=DATE, correct=fix.month_date),
        FieldSpec("patient_address", Label(("Address:",)), page=1, correct=fix.us_address),
        FieldSpec(
            "medicines",
            Block(
                anchors=("Address:", "Medicines:"),
                until=("Directions:",),
                # A medicine line names a drug and its strength (a "1" may be read as "|");
                # this drops the Rx symbol.
                line_filter=r"[^\W\d_]{3,}.*(?:\d|\s[|lI]\s*[a-z]{1,5}\b)",
            ),
            page=1,
            correct=fix.medicines,
        ),
        FieldSpec(
            "directions",
            Label(("Directions:",), max_lines=8, lookahead=1),
            page=1,
            correct=fix.prose,
        ),
        FieldSpec(
            "refills",
            Label(("Refill:", "Refills:"), lookahead=1),
            page=1,
            value=COUNT,
            normalise=str.strip,  # the pattern takes one token; a lone '|' is a misread '1'
            correct=fix.count,
        ),
    ),
    structural_labels=("Condition:",),
)
