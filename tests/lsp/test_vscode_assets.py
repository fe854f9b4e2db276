"""The VS Code extension's static assets agree with the language: every snippet expands (placeholders at
their defaults) to code the real evaluator accepts, and the grammar knows every top-level builtin and
namespace of the builtin table."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from envbuild.lang import evaluate
from envbuild.lsp import catalog

EXTENSION = Path(__file__).resolve().parents[2] / "vscode-extension"
SNIPPETS = json.loads((EXTENSION / "snippets" / "envd.json").read_text())
GRAMMAR = json.loads((EXTENSION / "syntaxes" / "envd.tmLanguage.json").read_text())
NETWORK = {"include"}  # include() would fetch a repository: checked by the parser below instead


def expand(body: list[str]) -> str:
    """A snippet as the editor inserts it when every placeholder keeps its default (a choice: the first)."""
    text = "\n".join(body)
    text = re.sub(r"\$\{\d+\|([^,|}]*)[^}]*\}", r"\1", text)
    text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", text)
    return re.sub(r"\$\{\d+\}|\$\d+", "", text)


@pytest.mark.parametrize("name", sorted(set(SNIPPETS) - NETWORK))
def test_each_snippet_evaluates(name: str, tmp_path: Path) -> None:
    code = expand(SNIPPETS[name]["body"])
    (tmp_path / "requirements.txt").write_text("numpy\n")
    (tmp_path / "lib.envd").write_text("name = 1\n")
    if code.startswith("load("):  # a top-level statement
        code = f"{code}\n\ndef build():\n    base(dev=True)\n    print(name)\n"
    elif "def build" not in code:
        code = "def build():\n    base(dev=True)\n" + textwrap.indent(code, "    ") + "\n"
    (tmp_path / "build.envd").write_text(code)
    config = tmp_path / "empty-config.envd"
    config.write_text("")
    evaluate(tmp_path, config_file=config)


def test_the_include_snippet_is_a_valid_include() -> None:
    from envbuild.lang.source import prepare

    [request] = prepare(expand(SNIPPETS["include"]["body"]) + "\n", "build.envd", "0").includes
    assert request.url.startswith("https://") and request.ref == "main"


def test_the_grammar_knows_every_builtin_and_namespace() -> None:
    repository = GRAMMAR["repository"]
    functions = re.search(r"\(([\w|]+)\)", repository["envd-builtin"]["match"]).group(1).split("|")
    namespaces = re.search(r"\(([\w|]+)\)", repository["envd-namespace-member"]["match"]).group(1).split("|")
    entries = catalog.top_level()
    assert sorted(functions) == sorted(e.name for e in entries if e.kind == "function")
    assert sorted(namespaces) == sorted(e.name for e in entries if e.kind == "namespace")
    starlark = re.search(r"\(([\w|]+)\)", repository["starlark-builtin"]["match"]).group(1).split("|")
    assert sorted(starlark) == sorted(catalog.STARLARK_FUNCTIONS)
