#!/usr/bin/env bash
# Install envbuild into ./.venv and bring up its default backend (Docker's embedded BuildKit, see backend.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/backend.sh
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
echo "envbuild installed: $(.venv/bin/envbuild version 2>/dev/null || echo .venv/bin/envbuild)" >&2
