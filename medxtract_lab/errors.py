"""Typed failures with fix-it messages.

Every class carries a stable ``code``, the CLI ``exit_code`` and the API ``http_status`` it maps
to, so the command line and the server read the mapping from the error itself instead of each
keeping its own list, and no failure is ever swallowed into an empty result.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DEPENDENCY = 3


class MedXtractError(Exception):
    """Base class: ``str(err)`` says what is wrong and what to do about it."""

    code = "error"
    exit_code = EXIT_FAILED
    http_status = 500


class InputError(MedXtractError):
    """The document itself cannot be processed; the caller must send a different file."""

    code = "bad_input"
    exit_code = EXIT_BAD_INPUT
    http_status = 422


class EmptyFile(InputError):
    code = "empty_file"


class FileMissing(InputError):
    """The path names no file (a typo, a moved file)."""

    code = "file_not_found"


class NotAPdf(InputError):
    code = "not_a_pdf"
    http_status = 415


class CorruptPdf(InputError):
    code = "corrupt_pdf"


class EncryptedPdf(InputError):
    code = "encrypted_pdf"


class TooManyPages(InputError):
    code = "too_many_pages"


class PageTooLarge(InputError):
    code = "page_too_large"


class PageTooComplex(InputError):
    """A page's content would take poppler unbounded work: a Flate bomb, forms fanned out."""

    code = "page_too_complex"


class NoisePage(InputError):
    """A page that is noise, not text: reading it would cost minutes and gigabytes for nothing."""

    code = "noise_page"


class LabelError(InputError):
    """One or more labels are malformed; the message lists every file and problem."""

    code = "bad_label"


class LabelConflict(LabelError):
    """A label changed since it was opened, or another writer holds it: saving would lose
    someone's work."""

    code = "label_conflict"
    http_status = 409


class LabelStudioError(InputError):
    """A Label Studio exchange that cannot be done: an export that is not Label Studio's JSON of
    tasks exported from this corpus, names a field the type does not have, or holds a value its
    contract refuses. Nothing is written; the message names every task and field at fault."""

    code = "bad_labelstudio_export"


class BaselineError(InputError):
    """The accuracy gate's baseline cannot be read, or covers another corpus than the run."""

    code = "bad_baseline"


class UnknownDocType(MedXtractError):
    code = "unknown_doc_type"
    exit_code = EXIT_BAD_INPUT
    http_status = 422


class TypeNotRecognised(InputError):
    """``auto`` was asked for, and the pages print too few labels of any type to tell."""

    code = "type_not_recognised"


class ConfigError(MedXtractError):
    code = "bad_config"
    exit_code = EXIT_BAD_INPUT
    http_status = 422


class LayoutFileError(ConfigError):
    """A document type or layout file that cannot be used; the message names the file, the
    key and the fix."""

    code = "bad_layout_file"


class DependencyMissing(MedXtractError):
    """A system program (poppler, Tesseract) or an engine's package is not installed."""

    code = "dependency_missing"
    exit_code = EXIT_DEPENDENCY
    http_status = 503


class OcrError(MedXtractError):
    """The OCR engine failed on a page."""

    code = "ocr_failed"


class OcrTimeout(OcrError):
    code = "ocr_timeout"
    http_status = 504


class DocumentTimeout(InputError):
    """A document took longer than its time budget, all stages together."""

    code = "document_timeout"
    http_status = 504


class ServiceStopping(MedXtractError):
    """The server was stopped while the document was being read; send it again."""

    code = "shutting_down"
    http_status = 503


class ReportError(MedXtractError):
    """The report notebook failed; the message names the failing cell."""

    code = "report_failed"
