"""`python -m envbuild.lsp`: the language server without the CLI around it."""

from envbuild.lsp.server import main

main()
