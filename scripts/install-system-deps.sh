#!/usr/bin/env bash
# Install poppler and Tesseract (English and Latin-script data, and the orientation model that
# turns sideways pages upright) when missing. Idempotent.
set -euo pipefail

have_all() {
    command -v pdftoppm >/dev/null && command -v pdfinfo >/dev/null &&
        command -v pdftotext >/dev/null && command -v tesseract >/dev/null &&
        tesseract --list-langs 2>/dev/null | grep -qx eng &&
        tesseract --list-langs 2>/dev/null | grep -qx Latin &&
        tesseract --list-langs 2>/dev/null | grep -qx osd
}

if have_all; then
    exit 0
fi

if ! command -v apt-get >/dev/null; then
    cat >&2 <<'MSG'
medxtract setup: poppler and/or Tesseract (with English data) are missing, and apt-get is not
available to install them. Install them another way, then run 'make setup' again:
  conda:    conda env create -f environment.yml && conda activate medxtract
  Homebrew: brew install poppler tesseract
MSG
    exit 1
fi

bash "$(dirname "$0")/apt-install.sh" \
    poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-script-latn
have_all
