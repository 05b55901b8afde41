"""One scanned example per built-in document type, shipped with the package so an installed
``medxtract`` (the Streamlit page's ``?sample=``, a first ``medxtract extract``) has a document
to show. They are copies of ``rx-scan-007`` and ``pr-scan-003`` from the committed corpus."""

from __future__ import annotations

from importlib import resources


def sample_pdf(doc_type: str) -> bytes | None:
    """The bundled example of ``doc_type`` as PDF bytes, or None when there is none."""
    item = resources.files(__package__) / f"{doc_type}.pdf"
    return item.read_bytes() if item.is_file() else None
