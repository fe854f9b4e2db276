#!/usr/bin/env bash
# The whole test run: backend, install, lint, every test (unit and real builds against dockerd), and the
# VS Code extension built, unit-tested and packaged.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check src tests bench
.venv/bin/mypy
bash scripts/vscode.sh
# the disk is shared with other work: say how much room the run starts with (tests/conftest.py prunes when low)
df -h --output=avail /var/lib/docker | awk 'NR == 2 { print "test.sh: " $1 " free for Docker" }' >&2
.venv/bin/python -m pytest -ra "$@"
