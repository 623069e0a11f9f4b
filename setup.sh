#!/usr/bin/env bash
# One idempotent setup for a fresh Debian 12 machine: system toolchains, a virtual
# environment in .venv, and tinyprune with its extras. Safe to run again: it only
# installs what is missing.
#   ./setup.sh           everything (ARM + QEMU, MSP430, Python packages)
#   ./setup.sh --no-apt  Python packages only (tinyprune doctor lists what else is missing)
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
              clang-14 lld-14 llvm-14 mspdebug msp430mcu libclang-rt-14-dev)
want_apt=1
[ "${1:-}" = "--no-apt" ] && want_apt=0

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "$want_apt" = 1 ] && [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.tinyprune-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing tinyprune and its extras into .venv (torch comes from this machine's disk)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[train,prune,interop,dev,micropython,cluster,nas]"
  # The test-only `acconeer` extra without the dependencies it declares (see pyproject.toml).
  .venv/bin/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["acconeer"]))' \
    | xargs .venv/bin/python -m pip install -q --no-deps
  touch "$stamp"
fi
# PlatformIO cannot download its SCons here: point it at the pip one (idempotent).
scripts/pio_offline_setup.sh >/dev/null
.venv/bin/tinyprune doctor --quiet
