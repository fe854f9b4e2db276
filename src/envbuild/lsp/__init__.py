"""The language server for envd v1 build files (`envbuild lsp`).

Module map: `server.py` (pygls wiring, debounced diagnostics), `analysis.py` (a real evaluation → problems),
`completion.py` (completion, signature help), `navigation.py` (hover, definition, outline), `fixes.py`
("did you mean" quick fixes), `resolve.py` (what a name refers to, across load() and include()),
`symbols.py` (a file's top-level names), `catalog.py` (the builtin table as an editor shows it), `text.py`
(what is at the cursor). Importing this package is cheap; pygls loads with `server`.
"""
