"""Patient medical record: two pages, a two-column patient block, history, insurance."""

from medxtract_lab import correct
from medxtract_lab.doctypes.patterns import (
    DATE_ANY,
    IMMUNITY,
    PHONE,
    TWO_OR_THREE_DIGITS,
    YES_NO,
)
from medxtract_lab.fields import DocType, FieldSpec

_PATIENT = {
    "kind": "section",
    "anchors": ("Patient Information",),
    "until": ("In Case of Emergency",),
    "page": 1,
}
_EMERGENCY = {
    "kind": "section",
    "anchors": ("In Case of Emergency",),
    "until": ("General Medical History",),
    "page": 1,
}

PATIENT_DETAILS = DocType(
    name="patient_details",
    title="Patient medical record",
    fields=(
        FieldSpec("patient_name", take="name", **_PATIENT),
        FieldSpec("phone_number", take="pattern", value=PHONE, correct=correct.phone, **_PATIENT),
        FieldSpec(
            "birth_date",
            anchors=("Birth Date",),
            page=1,
            value=DATE_ANY,
            correct=correct.month_date,
        ),
        FieldSpec("weight", anchors=("Weight:",), page=1, value=TWO_OR_THREE_DIGITS),
        FieldSpec("height", anchors=("Height:",), page=1, value=TWO_OR_THREE_DIGITS),
        FieldSpec("address", take="lines", correct=correct.us_address, **_PATIENT),
        FieldSpec("emergency_contact_name", take="name", **_EMERGENCY),
        FieldSpec(
            "emergency_contact_phone",
            anchors=("Home phone",),
            page=1,
            value=PHONE,
            correct=correct.phone,
        ),
        FieldSpec(
            "chicken_pox",
            anchors=("Chicken Pox (Varicella):",),
            page=1,
            value=IMMUNITY,
            correct=correct.immunity,
        ),
        FieldSpec(
            "measles", anchors=("Measles:",), page=1, value=IMMUNITY, correct=correct.immunity
        ),
        # Page 1 only: page 2 holds the insurance Yes/No, which a greedy search would take.
        FieldSpec(
            "hepatitis_b_vaccination",
            anchors=("Have you had the Hepatitis B vaccination?",),
            page=1,
            value=YES_NO,
            correct=correct.yes_no,
        ),
        FieldSpec(
            "medical_problems",
            anchors=("List any Medical Problems (asthma, seizures, headaches):",),
            page=1,
            correct=correct.text_or_na,
        ),
        FieldSpec(
            "has_insurance",
            anchors=("Do you have medical insurance?",),
            page=2,
            value=YES_NO,
            correct=correct.yes_no,
        ),
        FieldSpec("insurance_company", anchors=("Name of Insurance Company:",), page=2),
        FieldSpec("policy_number", anchors=("Policy Number:",), page=2),
        FieldSpec(
            "insurance_expiry",
            anchors=("Expiry Date:",),
            page=2,
            value=DATE_ANY,
            correct=correct.month_date,
        ),
        FieldSpec(
            "allergies", anchors=("List any allergies:",), page=2, correct=correct.text_or_na
        ),
        FieldSpec(
            "regular_medication",
            anchors=("List any medication taken regularly:",),
            page=2,
            correct=correct.text_or_na,
        ),
    ),
    structural_labels=(
        "Patient Medical Record",
        "Work phone",
        "Address:",
        "Medical Insurance Details",
    ),
)
