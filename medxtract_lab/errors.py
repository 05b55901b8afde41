"""Typed failures with fix-it messages.

Every class carries a stable ``code`` so the CLI (exit codes) and the API (HTTP statuses) map
them in one place each, and no failure is ever swallowed into an empty result.
"""

from __future__ import annotations


class MedXtractError(Exception):
    """Base class: ``str(err)`` says what is wrong and what to do about it."""

    code = "error"


class InputError(MedXtractError):
    """The document itself cannot be processed; the caller must send a different file."""

    code = "bad_input"


class EmptyFile(InputError):
    code = "empty_file"


class NotAPdf(InputError):
    code = "not_a_pdf"


class CorruptPdf(InputError):
    code = "corrupt_pdf"


class EncryptedPdf(InputError):
    code = "encrypted_pdf"


class TooManyPages(InputError):
    code = "too_many_pages"


class PageTooLarge(InputError):
    code = "page_too_large"


class UnknownDocType(MedXtractError):
    code = "unknown_doc_type"


class ConfigError(MedXtractError):
    code = "bad_config"


class DependencyMissing(MedXtractError):
    """A system program (poppler, Tesseract) is not installed."""

    code = "dependency_missing"


class OcrError(MedXtractError):
    """The OCR engine failed on a page."""

    code = "ocr_failed"


class OcrTimeout(OcrError):
    code = "ocr_timeout"


class ReportError(MedXtractError):
    """The report notebook failed; the message names the failing cell."""

    code = "report_failed"
