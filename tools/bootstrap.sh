#!/usr/bin/env bash
# Idempotent set-up of the project's .venv on Debian 12 / Python 3.11: Debian packages first, then
# the pinned Python packages. Re-running is cheap: pip is skipped while setup.py and
# constraints.txt are unchanged since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
DEBIAN_PACKAGES=(libusb-1.0-0)   # open3d loads libusb at import time

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: run 'sudo apt-get install ${missing[*]}' (or run make as root) and retry" >&2
    exit 1
  fi
fi

stamp="$VENV/.taishan-installed"
wanted=$(cat setup.py constraints.txt | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
  exit 0
fi
[[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -c constraints.txt -e ".[dev,train]"
echo "$wanted" > "$stamp"
echo "bootstrap: $VENV ready"
