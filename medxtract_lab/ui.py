"""Streamlit page: upload a PDF, see where each field was read, correct the fields, download.

It calls the server at ``MEDXTRACT_API_URL`` when that is set, and otherwise runs the engine
in-process. A document is read once per content, type, file name and server
(``st.cache_data``, successes only): editing a field or downloading re-runs the page script,
not the OCR. The upload lives in memory, and on
disk only in temporary directories removed as soon as the extraction or the previews return.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import streamlit as st

from medxtract_lab.doctypes import contract, doc_type_names
from medxtract_lab.doctypes.detect import AUTO
from medxtract_lab.errors import MedXtractError
from medxtract_lab.samples import sample_pdf
from medxtract_lab.uploads import upload_name

# Per type, the confidence below which a field should be checked: the threshold the evaluation
# report finds keeps accepted fields 99.9% right on the corpus (written by `make baseline`).
REVIEW_BELOW = json.loads(
    resources.files("medxtract_lab").joinpath("data/review_thresholds.json").read_text()
)
_CACHE = {"max_entries": 16, "ttl": 3600, "show_spinner": False}  # bounded: uploads are private


class Refused(Exception):
    """An extraction that gave an error: raised, not returned, so that it is never cached (a
    busy or stopping server, or a timeout, may answer the same file differently later)."""

    def __init__(self, answer: dict) -> None:
        super().__init__(answer["error"])
        self.answer = answer


@st.cache_data(**_CACHE)
def extract_bytes(data: bytes, doc_type: str, name: str, url: str | None) -> dict:
    """The full extraction as the API's /v1/extract at ``url`` returns it, or in-process when
    ``url`` is None. An error raises ``Refused`` with its {"error", "detail"}."""
    if url:
        import httpx

        try:
            response = httpx.post(
                f"{url.rstrip('/')}/v1/extract",
                files={"file": (name, data, "application/pdf")},
                data={"file_format": doc_type},
                timeout=300,
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            answer = {
                "error": "server_unreachable",
                "detail": f"The server at {url} did not "
                f"answer ({type(exc).__name__}). Check MEDXTRACT_API_URL.",
            }
        if "error" in answer:
            raise Refused(answer)
        return answer
    from medxtract_lab.pipeline import extract

    with tempfile.TemporaryDirectory(prefix="medxtract-ui-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return extract(path, doc_type).to_dict()
        except MedXtractError as error:
            raise Refused({"error": error.code, "detail": str(error)}) from None


@st.cache_data(**_CACHE)
def page_previews(data: bytes, limit: int = 4) -> list[np.ndarray]:
    """Pictures of the first pages, made the way the pipeline reads pages (and behind the same
    guards); the upload sits in a temporary directory only while they are made."""
    from medxtract_lab.config import RenderSettings
    from medxtract_lab.pages import preview
    from medxtract_lab.render import open_pdf

    with tempfile.TemporaryDirectory(prefix="medxtract-ui-") as folder:
        path = Path(folder) / "upload.pdf"
        path.write_bytes(data)
        pdf = open_pdf(path, RenderSettings())
        return [preview(pdf, number, dpi=100) for number in range(1, min(pdf.pages, limit) + 1)]


def draw_locations(page: np.ndarray, number: int, result: dict, selected: str | None) -> np.ndarray:
    """The page with a box around every line a field was read from: the selected field in
    red and thick, the others in thin blue."""
    picture = cv2.cvtColor(page, cv2.COLOR_GRAY2RGB) if page.ndim == 2 else page.copy()
    height, width = picture.shape[:2]
    order = sorted(result.get("locations", {}).items(), key=lambda item: item[0] == selected)
    for name, places in order:
        chosen = name == selected
        for place in places:
            if place["page"] != number:
                continue
            x0, y0, x1, y1 = place["box"]
            top_left = round(x0 * width), round(y0 * height)
            bottom_right = round(x1 * width), round(y1 * height)
            color, thickness = ((220, 30, 30), 3) if chosen else ((60, 120, 220), 1)
            cv2.rectangle(picture, top_left, bottom_right, color, thickness)
    return picture


def field_editor(result: dict, document: str) -> dict[str, str | None]:
    """One input per field, a text area for a multi-line one, flagged when its confidence is
    low; returns the values as corrected. Inputs are keyed by ``document`` (the upload's hash
    and type), so a new upload never shows the corrections made to the last one."""
    fields = contract(result["document_type"]).fields
    multiline = {f.name for f in fields if f.multiline}
    review_below = REVIEW_BELOW.get(result["document_type"], 1.0)
    corrected: dict[str, str | None] = {}
    for name, value in result["fields"].items():
        confidence = result["confidence"].get(name, 0.0)
        flag = " ⚠ check it on the page" if confidence < review_below else ""
        label = f"{name} ({confidence:.2f}){flag}"
        key = f"field:{document}:{name}"
        if name in multiline:
            lines = max(2, (value or "").count("\n") + 1)
            text = st.text_area(label, value or "", key=key, height=34 * lines + 20)
        else:
            text = st.text_input(label, value or "", key=key)
        corrected[name] = text or None
    return corrected


def main() -> None:
    st.set_page_config(page_title="MedXtract", layout="wide")
    st.title("MedXtract: fields from a medical PDF")
    sample = st.query_params.get("sample")  # ?sample=prescription opens a bundled example
    types = doc_type_names()
    choices = [AUTO, *types]
    doc_type = st.selectbox(
        "Document type",
        choices,
        key="doc_type",
        index=choices.index(sample) if sample in types else 0,
        help="auto tells the type from the labels the pages print",
    )
    upload = st.file_uploader("PDF", type=["pdf"], key="upload")
    if upload is not None:
        data, name = upload.getvalue(), upload_name(upload.name)
    elif sample in types:
        data, name = sample_pdf(sample), f"sample {sample}.pdf"
    else:
        st.info(f"Upload a PDF of one of these document types: {', '.join(types)}.")
        return
    try:
        with st.spinner(f"Reading {name}: OCR takes a few seconds a page…"):
            result = extract_bytes(data, doc_type, name, os.environ.get("MEDXTRACT_API_URL"))
    except Refused as refused:
        answer = refused.answer
        st.error(f"{answer['detail']} ({answer['error']})")  # nothing of another file stays
        return
    st.caption(f"{name}: a {result['document_type']} of {result['pages']} page(s)")
    for warning in result.get("warnings", []):
        st.warning(warning)
    left, right = st.columns([1, 1])
    with right:
        fields = list(result["fields"])
        selected = st.selectbox("Show on the page", fields, key="selected")
        review_below = REVIEW_BELOW.get(result["document_type"], 1.0)
        low = sum(result["confidence"].get(f, 0) < review_below for f in fields)
        if low:
            st.warning(
                f"Check {low} field(s) against the page: their confidence is below "
                f"{review_below:g}, under which the evaluation finds fields less than 99.9% right."
            )
        document = f"{hashlib.sha256(data).hexdigest()[:16]}:{result['document_type']}"
        corrected = field_editor(result, document)
        st.download_button(
            "Download JSON",
            json.dumps(corrected, indent=2, ensure_ascii=False),
            file_name=f"{Path(name).stem}.json",
            mime="application/json",
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["field", "value"])
        writer.writerows((field, value or "") for field, value in corrected.items())
        st.download_button(
            "Download CSV", buffer.getvalue(), file_name=f"{Path(name).stem}.csv", mime="text/csv"
        )
    with left:
        try:
            pages = page_previews(data)
        except Exception:  # noqa: BLE001 - a preview failure must not hide the fields
            st.caption("The page preview is not available for this file.")
            return
        for number, page in enumerate(pages, start=1):
            st.image(draw_locations(page, number, result, selected), width="stretch")


main()
