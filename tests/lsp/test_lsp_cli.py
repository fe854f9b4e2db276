"""`envbuild lsp` is one small CLI command: the language server's imports stay out of every other command."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_cli_start_up_does_not_import_the_language_server() -> None:
    probe = (
        "import sys, envbuild.cli.app; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol') "
        "or m.startswith('envbuild.lsp')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.asyncio
async def test_the_stdio_flag_other_clients_pass_is_accepted() -> None:
    """vscode-languageclient (TransportKind.stdio) and some Neovim set-ups append `--stdio`."""
    from lsprotocol import types
    from pytest_lsp import ClientServerConfig, client_capabilities

    from tests.lsp.session import ENVBUILD

    client = await ClientServerConfig(server_command=[ENVBUILD, "lsp", "--stdio"]).start()
    try:
        result = await client.initialize_session(
            types.InitializeParams(capabilities=client_capabilities("neovim"))
        )
        assert result.server_info is not None and result.server_info.name == "envbuild"
        await client.shutdown_session()
    finally:
        await client.stop()
