"""Thin typer commands; every heavy import happens inside a command so `--help` stays fast."""
