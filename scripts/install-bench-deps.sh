#!/usr/bin/env bash
# What `make bench` needs beyond `make setup`: valgrind (callgrind counts the instructions of
# each stage, benchmarks/instructions.py) and a C compiler for its client-request library.
# Idempotent.
set -euo pipefail

if command -v valgrind >/dev/null && [ -f /usr/include/valgrind/callgrind.h ] &&
    { command -v cc >/dev/null || command -v gcc >/dev/null; }; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "medxtract bench: install valgrind and a C compiler, then run 'make bench' again." >&2
    exit 1
fi
bash "$(dirname "$0")/apt-install.sh" valgrind gcc libc6-dev
