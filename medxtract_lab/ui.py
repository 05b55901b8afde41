"""Streamlit page: upload a PDF, choose its type, see and correct the fields.

It calls the server at ``MEDXTRACT_API_URL`` when that is set, and otherwise runs the engine
in-process. The upload lives in memory, and on disk only in temporary directories removed as
soon as the extraction (in-process) or the page previews return.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from medxtract_lab.doctypes import doc_type_names
from medxtract_lab.errors import MedXtractError
from medxtract_lab.samples import sample_pdf

LOW_CONFIDENCE = 0.6


def extract_bytes(data: bytes, doc_type: str) -> dict:
    """The full extraction as the API's /v1/extract returns it; errors as {"error", "detail"}."""
    url = os.environ.get("MEDXTRACT_API_URL")
    if url:
        import httpx

        try:
            response = httpx.post(
                f"{url.rstrip('/')}/v1/extract",
                files={"file": ("upload.pdf", data, "application/pdf")},
                data={"file_format": doc_type},
                timeout=300,
            )
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            return {
                "error": "server_unreachable",
                "detail": f"The server at {url} did not "
                f"answer ({type(exc).__name__}). Check MEDXTRACT_API_URL.",
            }
    from medxtract_lab.pipeline import extract

    with tempfile.TemporaryDirectory(prefix="medxtract-ui-") as folder:
        path = Path(folder) / "upload.pdf"
        path.write_bytes(data)
        try:
            return extract(path, doc_type).to_dict()
        except MedXtractError as error:
            return {"error": error.code, "detail": str(error)}


def page_previews(data: bytes, limit: int = 4) -> list[np.ndarray]:
    """Small pictures of the first pages, made the way the pipeline reads pages (and behind
    the same guards); the upload sits in a temporary directory only while they are made."""
    from medxtract_lab.config import RenderSettings
    from medxtract_lab.pages import preview
    from medxtract_lab.render import open_pdf

    with tempfile.TemporaryDirectory(prefix="medxtract-ui-") as folder:
        path = Path(folder) / "upload.pdf"
        path.write_bytes(data)
        pdf = open_pdf(path, RenderSettings())
        return [preview(pdf, number) for number in range(1, min(pdf.pages, limit) + 1)]


def field_table(result: dict) -> pd.DataFrame:
    rows = [
        {
            "field": name,
            "value": value or "",
            "confidence": result["confidence"].get(name, 0.0),
            "check": "LOW - please check"
            if result["confidence"].get(name, 0) < LOW_CONFIDENCE
            else "",
        }
        for name, value in result["fields"].items()
    ]
    return pd.DataFrame(rows)


def main() -> None:
    st.set_page_config(page_title="MedXtract", layout="wide")
    st.title("MedXtract: fields from a medical PDF")
    sample = st.query_params.get("sample")  # ?sample=prescription opens a bundled example
    types = doc_type_names()
    doc_type = st.selectbox(
        "Document type", types, key="doc_type", index=types.index(sample) if sample in types else 0
    )
    upload = st.file_uploader("PDF", type=["pdf"])
    data = upload.getvalue() if upload is not None else st.session_state.get("pdf_bytes")
    if data is None and sample in types:
        data = sample_pdf(sample)
    if not data:
        st.info(f"Upload a PDF of one of these document types: {', '.join(types)}.")
        return
    result = extract_bytes(data, doc_type)
    if "error" in result:
        st.error(f"{result['detail']} ({result['error']})")
        return
    left, right = st.columns([1, 1])
    with left:
        try:
            for page in page_previews(data):
                st.image(page, width="stretch")
        except Exception:  # noqa: BLE001 - a preview failure must not hide the fields
            st.caption("The page preview is not available for this file.")
    with right:
        table = field_table(result)
        low = int((table["confidence"] < LOW_CONFIDENCE).sum())
        if low:
            st.warning(f"{low} field(s) have low confidence: check them against the page.")
        edited = st.data_editor(
            table, disabled=["field", "confidence", "check"], hide_index=True, key="fields"
        )
        corrected = {r.field: (r.value or None) for r in edited.itertuples()}
        st.download_button(
            "Download JSON",
            json.dumps(corrected, indent=2),
            file_name="fields.json",
            mime="application/json",
        )
        buffer = io.StringIO()
        edited[["field", "value"]].to_csv(buffer, index=False)
        st.download_button(
            "Download CSV", buffer.getvalue(), file_name="fields.csv", mime="text/csv"
        )


main()
