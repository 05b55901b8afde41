"""The name an upload is saved under in its private temporary folder.

Every message about a file names it (``rx.pdf is not a PDF``), so the server and the Streamlit
page save an upload under the user's own file name rather than a fixed one: the message then
speaks of the file the user chose. The name is stripped of any folder and of every character
but letters, digits, dots, dashes and underscores, so it can neither leave the folder nor split
a path in a log line (where the temporary folder is scrubbed up to the first space).
"""

from __future__ import annotations

import re
from pathlib import PurePath

DEFAULT = "upload.pdf"
_MAX_LENGTH = 80


def upload_name(name: str | None) -> str:
    """``name`` made safe to save under (``DEFAULT`` when nothing of it is left)."""
    base = PurePath((name or "").replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-]", "_", base).strip("._")[-_MAX_LENGTH:]
    return cleaned or DEFAULT
