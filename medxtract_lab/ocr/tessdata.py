"""Where Tesseract and its language data are, found without any network access."""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
import sys

from medxtract_lab.errors import DependencyMissing

TESSERACT_INSTALL = (
    "Install Tesseract with English data: 'apt-get install tesseract-ocr tesseract-ocr-eng' "
    "(Debian/Ubuntu), 'conda install -c conda-forge tesseract' or 'brew install tesseract'."
)


@functools.cache
def tessdata_dir() -> str:
    """The language-data folder: $TESSDATA_PREFIX, what ``tesseract`` reports, or a known path."""
    if os.environ.get("TESSDATA_PREFIX"):
        return os.environ["TESSDATA_PREFIX"]
    exe = shutil.which("tesseract")
    if exe:
        listed = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
        found = re.search(r'"([^"]+)"', listed.stdout + listed.stderr)
        if found and os.path.isdir(found.group(1)):
            return found.group(1)
    candidates = [
        *sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata")),
        "/usr/share/tessdata",
        "/opt/homebrew/share/tessdata",
        "/usr/local/share/tessdata",
        os.path.join(sys.prefix, "share", "tessdata"),
    ]
    for candidate in candidates:
        if glob.glob(os.path.join(candidate, "*.traineddata")):
            return candidate
    raise DependencyMissing(f"Tesseract language data was not found. {TESSERACT_INSTALL}")


# Script models are named for the script ('Latin') and packaged by its ISO 15924 code.
_SCRIPT_CODES = {"Latin": "latn", "Cyrillic": "cyrl", "Greek": "grek", "Arabic": "arab"}


def _package(code: str) -> str:
    """The Debian/Ubuntu package of a language ('spa') or script ('Latin') model."""
    if code[:1].isupper():
        return f"tesseract-ocr-script-{_SCRIPT_CODES.get(code, code.lower())}"
    return f"tesseract-ocr-{code}"


def check_languages(lang: str) -> str:
    """The tessdata folder, once every language of ``lang`` ('eng+spa') is known to be there."""
    path = tessdata_dir()
    for code in lang.split("+"):
        if not os.path.exists(os.path.join(path, f"{code}.traineddata")):
            raise DependencyMissing(
                f"Tesseract has no '{code}' language data in {path}. Install it: "
                f"'apt-get install {_package(code)}' (Debian/Ubuntu), 'brew install "
                f"tesseract-lang', or copy {code}.traineddata from tessdata_fast into {path}."
            )
    return path


@functools.cache
def model_stamps(codes: tuple[str, ...]) -> str:
    """Each named model's size and modification time (what an upgraded language package
    changes, read without hashing files of up to 100 MB), once per process: the models this
    process's engines loaded (a server keeps them loaded through an upgrade), and no search
    for a missing tessdata folder on every call."""
    try:
        folder = tessdata_dir()
    except (DependencyMissing, OSError):
        return "no tessdata"
    stamps = []
    for code in codes:
        try:
            stat = os.stat(os.path.join(folder, f"{code}.traineddata"))
            stamps.append(f"{code} {stat.st_size} {stat.st_mtime_ns}")
        except OSError:
            stamps.append(f"{code} missing")
    return "; ".join(stamps)
