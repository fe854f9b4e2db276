"""`envbuild lsp` is one small CLI command: the language server's imports stay out of every other command."""

from __future__ import annotations

import subprocess
import sys


def test_cli_start_up_does_not_import_the_language_server() -> None:
    probe = (
        "import sys, envbuild.cli.app; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol') "
        "or m.startswith('envbuild.lsp')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
