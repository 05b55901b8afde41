#!/usr/bin/env bash
# The pinned Label Studio SDK in a venv of its own, for tests/test_labelstudio.py: why it is
# not in .venv, and what is pinned, is in tests/labelstudio_sdk/requirements.txt.
#
# usage: PYTHON=.venv/bin/python scripts/labelstudio-sdk-venv.sh [VENV]
#   PYTHON  an interpreter with pip 22.3 or newer (default python3); VENV default .venv-labelstudio
# Does nothing when VENV already holds the versions the requirements file names.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv-labelstudio}"
requirements=tests/labelstudio_sdk/requirements.txt
python="${PYTHON:-python3}"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -f "$venv/.installed" && "$(cat "$venv/.installed")" == "$wanted" ]]; then
    exit 0
fi
rm -rf "$venv"
"$python" -m venv --without-pip "$venv"
"$python" -m pip --python "$venv/bin/python" install --quiet --no-deps -r "$requirements"
"$venv/bin/python" -c "import label_studio_sdk.label_interface"
echo "$wanted" > "$venv/.installed"
