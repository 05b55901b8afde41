"""Patient medical record: two pages, a two-column patient block, history, insurance."""

from medxtract_lab.doctypes.patterns import (
    DATE,
    IMMUNITY,
    PHONE,
    TWO_OR_THREE_DIGITS,
    YES_NO,
)
from medxtract_lab.extraction import validators as fix
from medxtract_lab.extraction.spec import DocType, FieldSpec, Label, Section

_PATIENT = ("Patient Information",), ("In Case of Emergency",)
_EMERGENCY = ("In Case of Emergency",), ("General Medical History",)


def _on_page(page: int, *labels: str) -> dict:
    return {"find": Label(labels), "page": page}


PATIENT_DETAILS = DocType(
    name="patient_details",
    fields=(
        FieldSpec("patient_name", Section(*_PATIENT, take="name"), page=1),
        FieldSpec(
            "phone_number",
            Section(*_PATIENT, take="pattern"),
            page=1,
            value=PHONE,
            correct=fix.phone,
        ),
        FieldSpec("birth_date", **_on_page(1, "Birth Date"), value=DATE, correct=fix.month_date),
        FieldSpec("weight", **_on_page(1, "Weight:"), value=TWO_OR_THREE_DIGITS),
        FieldSpec("height", **_on_page(1, "Height:"), value=TWO_OR_THREE_DIGITS),
        FieldSpec("address", Section(*_PATIENT, take="lines"), page=1, correct=fix.us_address),
        FieldSpec("emergency_contact_name", Section(*_EMERGENCY, take="name"), page=1),
        FieldSpec(
            "emergency_contact_phone",
            **_on_page(1, "Home phone"),
            value=PHONE,
            correct=fix.phone,
        ),
        FieldSpec(
            "chicken_pox",
            **_on_page(1, "Chicken Pox (Varicella):"),
            value=IMMUNITY,
            correct=fix.immunity,
        ),
        FieldSpec("measles", **_on_page(1, "Measles:"), value=IMMUNITY, correct=fix.immunity),
        # Page 1 only: page 2 holds the insurance Yes/No, which a greedy search would take.
        FieldSpec(
            "hepatitis_b_vaccination",
            **_on_page(1, "Have you had the Hepatitis B vaccination?"),
            value=YES_NO,
            correct=fix.yes_no,
        ),
        FieldSpec(
            "medical_problems",
            **_on_page(1, "List any Medical Problems (asthma, seizures, headaches):"),
            correct=fix.text_or_na,
        ),
        FieldSpec(
            "has_insurance",
            **_on_page(2, "Do you have medical insurance?"),
            value=YES_NO,
            correct=fix.yes_no,
        ),
        FieldSpec("insurance_company", **_on_page(2, "Name of Insurance Company:")),
        FieldSpec("policy_number", **_on_page(2, "Policy Number:")),
        FieldSpec(
            "insurance_expiry",
            **_on_page(2, "Expiry Date:"),
            value=DATE,
            correct=fix.month_date,
        ),
        FieldSpec("allergies", **_on_page(2, "List any allergies:"), correct=fix.text_or_na),
        FieldSpec(
            "regular_medication",
            **_on_page(2, "List any medication taken regularly:"),
            correct=fix.medication_or_na,
        ),
    ),
    structural_labels=(
        "Patient Medical Record",
        "Work phone",
        "Address:",
        "Medical Insurance Details",
    ),
)
