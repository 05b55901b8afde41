"""Document types by name: the one registry every consumer reads (the pipeline, the CLI and the
API, the ground-truth store, the generator, the labeler, the Streamlit page and the tests).

Adding a built-in type is adding a module with a ``DocType`` and a line in ``_BUILT_IN``; another
installed package declares an entry point (``medxtract_lab.plugins``), and a test or a notebook
calls ``register_doctype`` for the current process.
"""

from medxtract_lab.doctypes.patient_details import PATIENT_DETAILS
from medxtract_lab.doctypes.prescription import PRESCRIPTION
from medxtract_lab.errors import UnknownDocType
from medxtract_lab.extraction.kinds import kind_of
from medxtract_lab.extraction.spec import DocType
from medxtract_lab.plugins import DOCTYPES_GROUP, load_entry_points

_BUILT_IN = (PRESCRIPTION, PATIENT_DETAILS)
DOC_TYPES: dict[str, DocType] = {}


def register_doctype(doc_type: DocType) -> DocType:
    """Add (or replace) a document type, after checking every field names a known value kind."""
    for spec in doc_type.fields:
        kind_of(spec)
    names = doc_type.field_names
    if len(set(names)) != len(names):
        raise ValueError(f"document type {doc_type.name!r} names a field twice: {names}")
    DOC_TYPES[doc_type.name] = doc_type
    return doc_type


def unregister_doctype(name: str) -> None:
    DOC_TYPES.pop(name, None)


def doc_type_names() -> list[str]:
    return sorted(DOC_TYPES)


def get_doctype(name: str) -> DocType:
    try:
        return DOC_TYPES[name]
    except KeyError:
        raise UnknownDocType(
            f"Unknown document type {name!r}; choose one of {doc_type_names()}."
        ) from None


for _doc_type in _BUILT_IN:
    register_doctype(_doc_type)
load_entry_points(DOCTYPES_GROUP, register_doctype)
