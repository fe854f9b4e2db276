"""Diagnostics: the errors of a real evaluation of the buffer, located as the CLI locates them, including
those inside load()ed files, debounced while typing."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from envbuild.errors import EnvbuildError
from envbuild.lang import evaluate
from tests.lsp.session import Project, change_file, diagnostics_until, open_file, publications, uri

pytestmark = pytest.mark.asyncio

BROKEN = """\
# syntax=v1
def build():
    base(dev=True)
    install.pythn()
"""
FIXED = BROKEN.replace("pythn", "python")


def cli_error(project: Project) -> EnvbuildError:
    with pytest.raises(EnvbuildError) as info:
        evaluate(project.root)
    return info.value


async def test_an_error_is_the_cli_error_at_the_cli_location(client: LanguageClient, project: Project):
    path = project.write("build.envd", BROKEN)
    expected = cli_error(project)
    doc = open_file(client, path)
    [diagnostic] = await diagnostics_until(client, doc, bool)
    assert expected.location is not None
    assert diagnostic.message == expected.message
    assert diagnostic.severity == types.DiagnosticSeverity.Error and diagnostic.source == "envbuild"
    start = diagnostic.range.start
    assert (start.line + 1, start.character + 1) == (expected.location.line, expected.location.column)
    assert diagnostic.range.end == types.Position(3, len("    install.pythn"))


async def test_the_unsaved_buffer_is_evaluated_not_the_file(client: LanguageClient, project: Project):
    path = project.write("build.envd", FIXED)
    doc = open_file(client, path)
    await diagnostics_until(client, doc, lambda d: not d)
    change_file(client, doc, BROKEN.replace("base(dev=True)", 'base(dev="yes")'), 2)
    [diagnostic] = await diagnostics_until(client, doc, bool)
    assert diagnostic.message == "base(): `dev` must be a bool (True or False), got string"
    assert diagnostic.range.start == types.Position(2, 4)
    change_file(client, doc, FIXED, 3)
    await diagnostics_until(client, doc, lambda d: not d)
    assert path.read_text() == FIXED


async def test_syntax_errors_and_hints_are_shown(client: LanguageClient, project: Project):
    path = project.write("build.envd", "# syntax=v0\ndef build():\n    pass\n")
    doc = open_file(client, path)
    [diagnostic] = await diagnostics_until(client, doc, bool)
    assert diagnostic.message.startswith(
        "v0 build files are not supported\nhint: envd v1 is the only dialect"
    )
    change_file(client, doc, "def build(:\n    pass\n", 2)
    [diagnostic] = await diagnostics_until(client, doc, lambda d: bool(d) and "Parse error" in d[0].message)
    assert diagnostic.range.start == types.Position(0, 10)


async def test_an_error_inside_a_loaded_file_is_shown_there_and_at_the_load(
    client: LanguageClient, project: Project
):
    lib = project.write("lib/helpers.envd", "def helper():\n    install.python(version=3)\n")
    path = project.write("build.envd", 'load("lib/helpers.envd", "helper")\n\ndef build():\n    helper()\n')
    doc = open_file(client, path)
    [at_load] = await diagnostics_until(client, doc, bool)
    [inside] = await diagnostics_until(client, uri(lib), bool)
    message = "install.python(): `version` must be a string, got int"
    assert inside.message == message and inside.range.start == types.Position(1, 4)
    assert at_load.message == f"lib/helpers.envd:2:5: {message}"
    assert at_load.range == types.Range(types.Position(0, 5), types.Position(0, 23))  # the module string
    [related] = at_load.related_information or []
    assert related.location.uri == uri(lib) and related.location.range == inside.range


async def test_a_parse_error_inside_a_loaded_file(client: LanguageClient, project: Project):
    lib = project.write("helpers.envd", "def helper(:\n    pass\n")
    path = project.write("build.envd", 'load("helpers.envd", "helper")\n\ndef build():\n    helper()\n')
    doc = open_file(client, path)
    [inside] = await diagnostics_until(client, uri(lib), bool)
    assert "Parse error" in inside.message and inside.range.start == types.Position(0, 11)
    [at_load] = await diagnostics_until(client, doc, bool)
    assert at_load.message.startswith("helpers.envd:1:12: Parse error")


async def test_an_open_library_buffer_feeds_the_build_file(client: LanguageClient, project: Project):
    """Editing lib.envd (unsaved) re-evaluates build.envd with the new text; closing it clears both."""
    lib = project.write("helpers.envd", "def helper():\n    install.python()\n")
    path = project.write("build.envd", 'load("helpers.envd", "helper")\n\ndef build():\n    helper()\n')
    doc = open_file(client, path)
    lib_doc = open_file(client, lib)
    await diagnostics_until(client, doc, lambda d: not d)
    change_file(client, lib_doc, "def helper():\n    install.cuda()\n", 2)
    [at_load] = await diagnostics_until(client, doc, bool)
    assert "Missing parameter `version`" in at_load.message
    [inside] = await diagnostics_until(client, lib_doc, bool)
    assert inside.range.start == types.Position(1, 4)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(lib_doc)))
    await diagnostics_until(client, doc, lambda d: not d)  # the file on disk is fine
    await diagnostics_until(client, lib_doc, lambda d: not d)


async def test_a_library_file_without_build_has_its_top_level_checked(
    client: LanguageClient, project: Project
):
    path = project.write("helpers.envd", "def helper():\n    pass\n\nVERSION = undefined_name\n")
    doc = open_file(client, path)
    [diagnostic] = await diagnostics_until(client, doc, bool)
    assert "Variable `undefined_name` not found" in diagnostic.message
    assert diagnostic.range.start == types.Position(3, 10)


async def test_the_user_config_errors_like_the_cli(client: LanguageClient, project: Project, monkeypatch):
    """envbuild evaluates ~/.config/envbuild/config.envd first; a broken one shows up in every build file."""
    import os
    from pathlib import Path

    config = Path(os.environ["ENVBUILD_CONFIG_DIR"]) / "config.envd"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('config.pip_index(url="not a url")\n')
    path = project.write("build.envd", FIXED)
    doc = open_file(client, path)
    [in_config] = await diagnostics_until(client, uri(config), bool)
    assert in_config.message == "config.pip_index(): `url` must be an http(s) URL, got 'not a url'"
    [at_top] = await diagnostics_until(client, doc, bool)
    assert at_top.range.start == types.Position(0, 0) and "must be an http(s) URL" in at_top.message


@pytest.mark.debounce(400)
async def test_typing_is_debounced(client: LanguageClient, project: Project):
    """Changes closer together than the debounce give one evaluation, of the last text."""
    path = project.write("build.envd", FIXED)
    doc = open_file(client, path)  # opening is evaluated at once
    await diagnostics_until(client, doc, lambda d: not d)
    start = time.monotonic()
    for version, text in enumerate(
        [BROKEN, BROKEN.replace("pythn", "pyth"), FIXED.replace("python()", "python(1)")], 2
    ):
        change_file(client, doc, text, version)
        await asyncio.sleep(0.05)
    seen = await publications(client, doc, 1.5)
    [[diagnostic]] = seen  # one publication, for the last text only
    assert "`version` must be a string, got int" in diagnostic.message
    assert time.monotonic() - start >= 0.4
