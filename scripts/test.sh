#!/usr/bin/env bash
# The whole test run: backend, install, lint, every test (unit and real builds against dockerd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check src tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -ra "$@"
