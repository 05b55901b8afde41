"""Document types by name. Adding a type is adding a module with a ``DocType`` and a line here."""

from medxtract_lab.doctypes.patient_details import PATIENT_DETAILS
from medxtract_lab.doctypes.prescription import PRESCRIPTION
from medxtract_lab.errors import UnknownDocType
from medxtract_lab.fields import DocType

DOC_TYPES: dict[str, DocType] = {t.name: t for t in (PRESCRIPTION, PATIENT_DETAILS)}


def get_doctype(name: str) -> DocType:
    try:
        return DOC_TYPES[name]
    except KeyError:
        raise UnknownDocType(
            f"Unknown document type {name!r}; choose one of {sorted(DOC_TYPES)}."
        ) from None
