#!/usr/bin/env bash
# Creates a virtual environment; on Debian, installs python3-venv first (as root) when it is missing.
set -euo pipefail
python=$1
target=$2
# A venv whose creation was interrupted has python but no pip: build it again.
[ -x "$target/bin/pip" ] && exit 0
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  else
    echo "Python's venv module is missing. Run as root: apt-get install python3-venv" >&2
    exit 1
  fi
fi
"$python" -m venv --clear "$target"
"$target/bin/pip" install --disable-pip-version-check -q --upgrade pip
