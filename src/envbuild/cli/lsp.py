"""`envbuild lsp`: the language server for editors, on stdin/stdout (pygls is imported only when it runs)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command(name="lsp")
    def lsp(
        stdio: bool = typer.Option(
            True,
            "--stdio",
            help="Speak LSP on stdin/stdout (the only transport; accepted because clients pass it).",
        ),
    ) -> None:
        """Serve the Language Server Protocol on stdio for editors (VS Code, Neovim, Helix)."""
        from envbuild.lsp.server import main

        main()
