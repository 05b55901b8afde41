#!/usr/bin/env bash
# apt-get install the Debian packages given, as root or through sudo: the one place the setup
# scripts install from. Usage: scripts/apt-install.sh PACKAGE...
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
echo "medxtract: installing $* with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
