"""Completion, signature help, hover, go-to-definition across load(), document symbols and quick fixes, asked
of the real server about real files."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from envbuild.lang.builtins import BUILTINS
from tests.lsp.session import Project, change_file, diagnostics_until, open_file, position_of, uri

pytestmark = pytest.mark.asyncio

BUILD = '''\
# syntax=v1
load("lib/helpers.envd", "jupyter_lab", py = "python_env")

def build():
    """The dev environment."""
    base(dev=True)
    py("3.11")
    install.python_packages(name=["numpy"], )
    jupyter_lab(port=8888)
    install.
'''
HELPERS = '''\
def python_env(version, extra = []):
    """Python with the team's tools."""
    install.python(version=version)

def jupyter_lab(port = 8888, token = ""):
    """JupyterLab on `port`."""
    config.jupyter(token=token, port=port)
'''


def at(text: str, needle: str, offset: int = 0) -> types.Position:
    return position_of(text, needle, offset)


def doc_id(doc: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=doc)


async def complete(
    client: LanguageClient, doc: str, position: types.Position
) -> dict[str, types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(doc), position=position)
    )
    assert isinstance(result, types.CompletionList)
    return {item.label: item for item in result.items}


def markdown(value: object) -> str:
    assert isinstance(value, types.MarkupContent) and value.kind == types.MarkupKind.Markdown
    return value.value


@pytest.fixture
def files(project: Project):
    helpers = project.write("lib/helpers.envd", HELPERS)
    build = project.write("build.envd", BUILD)
    return build, helpers


async def test_every_namespace_member_completes_with_signature_and_docs(client: LanguageClient, files):
    build, _ = files
    doc = open_file(client, build)
    items = await complete(client, doc, at(BUILD, "install.\n", len("install.")))
    expected = {name.partition(".")[2] for name in BUILTINS if name.startswith("install.")}
    assert set(items) == expected
    item = items["python_packages"]
    assert item.kind == types.CompletionItemKind.Function
    assert item.detail == 'install.python_packages(name=None, requirements="", local_wheels=None)'
    text = markdown(item.documentation)
    assert "Install Python packages with pip." in text and '- `requirements=""`: a requirements file' in text
    assert not text.startswith("```")  # the signature is the item's detail, not repeated
    assert item.insert_text == "python_packages($0)"
    for namespace in ("config", "io", "runtime", "data"):
        line = f"    {namespace}."
        change_file(client, doc, BUILD.replace("    install.\n", line + "\n"), 2)
        members = await complete(client, doc, types.Position(9, len(line)))
        expected = {n.partition(".")[2] for n in BUILTINS if n.startswith(namespace + ".")}
        assert set(members) == expected | ({"path"} if namespace == "data" else set())
        assert all(markdown(m.documentation) for m in members.values())
    change_file(client, doc, BUILD.replace("    install.\n", "    x = data.path.\n"), 3)
    paths = await complete(client, doc, types.Position(9, len("    x = data.path.")))
    assert set(paths) == {"huggingface", "dgl"}
    assert "`~/.cache/huggingface`" in markdown(paths["huggingface"].documentation)


async def test_top_level_completion_lists_builtins_and_the_files_names(client: LanguageClient, files):
    build, _ = files
    doc = open_file(client, build)
    items = await complete(client, doc, types.Position(9, 4))
    for name in (
        "base",
        "shell",
        "run",
        "git_config",
        "include",
        "install",
        "config",
        "io",
        "runtime",
        "data",
    ):
        assert name in items, name
    assert items["install"].kind == types.CompletionItemKind.Module
    assert items["base"].detail == 'base(image="ubuntu:22.04", dev=False)'
    # names the file binds, loaded ones described by their definition in the other file
    assert items["build"].kind == types.CompletionItemKind.Function
    assert items["py"].detail == "py(version, extra = [])"
    assert markdown(items["py"].documentation) == "Python with the team's tools."
    assert "len" in items and "def" in items


async def test_keyword_arguments_complete_inside_a_call(client: LanguageClient, files):
    build, _ = files
    doc = open_file(client, build)
    inside = at(BUILD, '["numpy"], )', len('["numpy"], '))
    items = await complete(client, doc, inside)
    assert "requirements=" in items and "local_wheels=" in items
    assert "name=" not in items  # already given
    assert "a requirements file" in markdown(items["requirements="].documentation)
    user_call = at(BUILD, "jupyter_lab(port", len("jupyter_lab("))
    assert {"port=", "token="} <= set(await complete(client, doc, user_call))


async def test_no_completion_inside_strings_and_comments(client: LanguageClient, project: Project):
    text = '# install.\ndef build():\n    run(["install.'
    doc = open_file(client, project.write("build.envd", text))
    assert await complete(client, doc, types.Position(0, len("# install."))) == {}
    assert await complete(client, doc, types.Position(2, len('    run(["install.'))) == {}


async def test_signature_help_follows_the_argument(client: LanguageClient, files):
    build, _ = files
    doc = open_file(client, build)

    async def signature(position: types.Position) -> types.SignatureHelp | None:
        return await client.text_document_signature_help_async(
            types.SignatureHelpParams(text_document=doc_id(doc), position=position)
        )

    help_ = await signature(at(BUILD, '["numpy"], )', len('["numpy"], ')))
    assert help_ is not None
    [info] = help_.signatures
    assert info.label == 'install.python_packages(name=None, requirements="", local_wheels=None)'
    assert help_.active_parameter == 1
    labels = [
        info.label[p.label[0] : p.label[1]] for p in info.parameters or [] if isinstance(p.label, tuple)
    ]
    assert labels == ["name=None", 'requirements=""', "local_wheels=None"]
    assert "Install Python packages with pip." in markdown(info.documentation)
    keyword = await signature(at(BUILD, "jupyter_lab(port=", len("jupyter_lab(port=")))
    assert keyword is not None and keyword.signatures[0].label == 'jupyter_lab(port = 8888, token = "")'
    assert keyword.active_parameter == 0
    assert await signature(at(BUILD, "base(dev", 0)) is None  # outside any call


async def test_hover_shows_builtin_docs_and_user_docstrings(client: LanguageClient, files):
    build, _ = files
    doc = open_file(client, build)

    async def hover(position: types.Position) -> str:
        result = await client.text_document_hover_async(
            types.HoverParams(text_document=doc_id(doc), position=position)
        )
        assert result is not None
        return markdown(result.contents)

    text = await hover(at(BUILD, "python_packages", 3))
    assert text.startswith("```python\ninstall.python_packages(")
    assert "`local_wheels=None`: wheel files inside the project directory." in text
    assert "The `install` builtins:" in await hover(at(BUILD, "install.python_packages", 2))
    loaded = await hover(at(BUILD, "py(", 0))
    assert loaded.startswith("```python\ndef python_env(version, extra = [])\n```")
    assert "Python with the team's tools." in loaded and "Defined in `helpers.envd`, line 1." in loaded
    assert "The dev environment." in await hover(at(BUILD, "def build", 5))


async def test_definition_across_load(client: LanguageClient, files):
    build, helpers = files
    doc = open_file(client, build)

    async def definition(position: types.Position) -> types.Location:
        result = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc_id(doc), position=position)
        )
        assert isinstance(result, types.Location)
        return result

    aliased = await definition(at(BUILD, "py(", 1))
    assert aliased.uri == uri(helpers)
    assert aliased.range == types.Range(types.Position(0, 4), types.Position(0, len("def python_env")))
    called = await definition(at(BUILD, "jupyter_lab(port", 3))
    assert called.uri == uri(helpers) and called.range.start == types.Position(4, 4)
    module = await definition(at(BUILD, '"lib/helpers.envd"', 3))
    assert module.uri == uri(helpers) and module.range.start == types.Position(0, 0)
    local = await definition(at(BUILD, "def build", 5))
    assert local.uri == doc and local.range.start == types.Position(3, 4)


async def test_document_symbols_are_the_build_functions(client: LanguageClient, project: Project):
    text = """\
lib = include("https://example.invalid/lib")
MIRROR = "https://pypi.example.invalid/simple"

def build():
    base(dev=True)

def build_gpu(cuda = "12.2"):
    build()
    install.cuda(version=cuda)
"""
    doc = open_file(client, project.write("build.envd", text))
    result = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc_id(doc))
    )
    symbols = {s.name: s for s in result or [] if isinstance(s, types.DocumentSymbol)}
    assert list(symbols) == ["lib", "MIRROR", "build", "build_gpu"]
    assert symbols["build_gpu"].kind == types.SymbolKind.Function
    assert symbols["build_gpu"].detail == '(cuda = "12.2")'
    assert symbols["build_gpu"].range == types.Range(types.Position(6, 0), types.Position(8, 30))
    assert symbols["build_gpu"].selection_range == types.Range(types.Position(6, 4), types.Position(6, 13))
    assert symbols["lib"].kind == types.SymbolKind.Module


@pytest.mark.parametrize(
    ("typo", "fixed", "title"),
    [
        ("install.pythn()", "install.python()", "Change `pythn` to `python`"),
        ("instal.python()", "install.python()", "Change `instal` to `install`"),
        ("base(devv=True)", "base(dev=True)", "Change `devv` to `dev`"),
        (
            "install.python(\n        verison='3.11',\n    )",
            "install.python(\n        version='3.11',\n    )",
            None,
        ),
    ],
)
async def test_quick_fix_for_did_you_mean(client: LanguageClient, project: Project, typo, fixed, title):
    text = f"def build():\n    {typo}\n"
    doc = open_file(client, project.write("build.envd", text))
    [diagnostic] = await diagnostics_until(client, doc, bool)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc_id(doc),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    [action] = actions or []
    assert isinstance(action, types.CodeAction) and action.kind == types.CodeActionKind.QuickFix
    assert title is None or action.title == title
    assert action.edit is not None and action.edit.changes is not None
    [edit] = action.edit.changes[doc]
    lines = text.split("\n")
    start, end = edit.range.start, edit.range.end
    assert start.line == end.line
    line = lines[start.line]
    lines[start.line] = line[: start.character] + edit.new_text + line[end.character :]
    assert "\n".join(lines) == f"def build():\n    {fixed}\n"
    change_file(client, doc, "\n".join(lines), 2)
    await diagnostics_until(client, doc, lambda d: not d)  # the fixed file evaluates cleanly
