#!/usr/bin/env bash
# The whole test run: backend, install, lint, every test (unit and real builds against dockerd), and the
# VS Code extension built, unit-tested and packaged.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check src tests bench
.venv/bin/mypy
bash scripts/vscode.sh
.venv/bin/python -m pytest -ra "$@"
