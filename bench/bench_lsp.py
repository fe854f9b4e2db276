"""Benchmark: latency of `envbuild lsp` on a 300-line build file, measured from a real client over stdio.

Usage: `python bench/bench_lsp.py [--lines 300] [--runs 40]`. The server runs with `debounceMs` 0, so
"diagnostics" is the time from a `didChange` to its `publishDiagnostics` (a full evaluation of the buffer);
in an editor the debounce (the server's default is printed) comes on top, once the typing stops. Completion,
signature help and hover are request round trips. Goal: under 100 ms at the median. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_eval import generate
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from envbuild.lsp.server import DEFAULT_DEBOUNCE_MS

ENVBUILD = str(Path(sys.executable).with_name("envbuild"))


def report(label: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    print(f"{label:<28} median {statistics.median(ms):7.2f} ms   min {ms[0]:7.2f}   max {ms[-1]:7.2f}")


async def measure(lines: int, runs: int) -> None:
    text = generate(lines)
    source = text.split("\n")
    build_line = source.index("def build():")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "build.envd"
        path.write_text(text)
        doc = path.as_uri()
        client = LanguageClient("envbuild-bench", "1")
        published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(params: types.PublishDiagnosticsParams) -> None:
            published.put_nowait(params)

        await client.start_io(ENVBUILD, "lsp")
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(), initialization_options={"debounceMs": 0}
            )
        )
        client.initialized(types.InitializedParams())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=doc, language_id="envd", version=1, text=text)
            )
        )
        first = await published.get()
        assert not first.diagnostics, first.diagnostics

        diagnostics = []
        for run in range(runs):
            # a keystroke: a comment line at the end of the file changes, so every evaluation differs
            edit = types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(len(source) - 1, 0), types.Position(len(source) - 1, 20)),
                text=f"# edit {run:012d}",
            )
            start = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(uri=doc, version=run + 2), [edit]
                )
            )
            while (await published.get()).uri != doc:
                pass
            diagnostics.append(time.perf_counter() - start)

        ident = types.TextDocumentIdentifier(uri=doc)
        member = types.Position(build_line + 2, len("    install."))  # `    install.python(...)`
        top = types.Position(build_line + 1, 4)
        call = types.Position(build_line + 2, len('    install.python(version="3'))
        requests = {
            "completion (install.)": lambda: client.text_document_completion_async(
                types.CompletionParams(ident, member)
            ),
            "completion (top level)": lambda: client.text_document_completion_async(
                types.CompletionParams(ident, top)
            ),
            "signature help": lambda: client.text_document_signature_help_async(
                types.SignatureHelpParams(ident, call)
            ),
            "hover": lambda: client.text_document_hover_async(types.HoverParams(ident, member)),
        }
        timings: dict[str, list[float]] = {name: [] for name in requests}
        for _ in range(runs):
            for name, request in requests.items():
                start = time.perf_counter()
                result = await request()
                timings[name].append(time.perf_counter() - start)
                assert result, name

        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()

    print(f"envbuild lsp on a {len(source) - 1}-line build file, {runs} runs each (debounceMs 0)")
    report("diagnostics (evaluation)", diagnostics)
    for name, samples in timings.items():
        report(name, samples)
    print(
        f"in an editor, diagnostics wait for {DEFAULT_DEBOUNCE_MS} ms of quiet (the default debounce) first"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(measure(args.lines, args.runs))


if __name__ == "__main__":
    main()
