#!/usr/bin/env bash
# Install envbuild into ./.venv and bring up its default backend (Docker's embedded BuildKit, see backend.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/backend.sh
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# An editable install leaves envbuild's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE is set
# (as on these machines) every command then compiled them again: 0.2 s of each no-op build. pip compiles a
# regular install's modules; this does the same for ours (an edited module is simply compiled in memory).
.venv/bin/python -m compileall -q src/envbuild
echo "envbuild installed: $(.venv/bin/envbuild version 2>/dev/null || echo .venv/bin/envbuild)" >&2
