#!/usr/bin/env bash
# Let PlatformIO build offline: install its "tool-scons" package as a local shim that runs the
# SCons installed by pip in the same Python (PlatformIO would otherwise download it).
# Idempotent. Uses $PLATFORMIO_CORE_DIR (default ~/.platformio) and .venv/bin/python.
#   scripts/pio_offline_setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
CORE=${PLATFORMIO_CORE_DIR:-$HOME/.platformio}
"$PY" -c "import SCons" 2>/dev/null || { echo "pio_offline_setup: install scons first: $PY -m pip install scons==4.11.1" >&2; exit 1; }
# The version PlatformIO 6.2 requires (~4.41101.0, its encoding of SCons 4.11.1).
VERSION=4.41101.0
DIR="$CORE/packages/tool-scons"
mkdir -p "$DIR"
cat > "$DIR/scons.py" <<'PY'
# tinyprune shim: run the pip-installed SCons with PlatformIO's Python.
import sys

import SCons.Script

sys.exit(SCons.Script.main())
PY
cat > "$DIR/package.json" <<JSON
{"name": "tool-scons", "version": "$VERSION", "description": "tinyprune shim for the pip SCons", "system": "*"}
JSON
cat > "$DIR/.piopm" <<JSON
{"type": "tool", "name": "tool-scons", "version": "$VERSION", "spec": {"owner": "platformio", "id": null, "name": "tool-scons", "requirements": null, "uri": null}}
JSON
echo "pio_offline_setup: tool-scons shim in $DIR"
