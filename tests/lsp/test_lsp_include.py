"""include()d libraries in the editor: read from the local include cache only, never fetched on a keystroke,
with errors, completion, hover and go-to-definition reaching into the cached library."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from envbuild.errors import EnvbuildError
from envbuild.lang import evaluate
from tests.lang.conftest import make_repo
from tests.lsp.session import Project, change_file, diagnostics_until, open_file

pytestmark = pytest.mark.asyncio

LIBRARY = {
    "tensorboard.envd": '''
        def tensorboard(envd_port = 6006):
            """TensorBoard, served on `envd_port`."""
            install.python_packages(name=["tensorboard"])
            runtime.expose(envd_port=envd_port, service="tensorboard")
    ''',
    "_private.envd": "def _helper():\n    pass\n",
}


def include_cache() -> Path:
    return Path(os.environ["ENVBUILD_CACHE_DIR"]) / "include"


async def test_a_library_is_never_fetched_and_then_read_from_the_cache(
    client: LanguageClient, project: Project, git_daemon
):
    served, base_url = git_daemon
    make_repo(served / "envdlib", LIBRARY, tag="v1")
    url = f"{base_url}/envdlib"
    text = f'lib = include("{url}", ref="v1")\n\ndef build():\n    base(dev=True)\n'
    text += "    lib.tensorboard(envd_port=0)\n"
    path = project.write("build.envd", text)
    doc = open_file(client, path)

    # the git daemon answers, yet the server only looks at the cache: a warning, not a fetch
    [warning] = await diagnostics_until(client, doc, bool)
    assert warning.severity == types.DiagnosticSeverity.Warning
    assert warning.message.startswith(f"include(): {url} is not in the local cache yet\nhint: run")
    assert warning.range.start == types.Position(0, 0)
    assert not include_cache().exists()

    # a build fills the cache (and fails in the library, as the editor will show next)
    with pytest.raises(EnvbuildError) as info:
        evaluate(project.root)
    assert info.value.location is not None
    [clone] = include_cache().iterdir()
    library_file = next((clone / "trees").iterdir()) / "tensorboard.envd"

    change_file(client, doc, text, 2)  # any keystroke re-evaluates, now from the cache
    [at_include] = await diagnostics_until(client, doc, lambda d: bool(d) and "envd_port" in d[0].message)
    message = "runtime.expose(): `envd_port` must be between 1 and 65535, got 0"
    assert at_include.message == f"{url}/tensorboard.envd:4:5: {message}"
    assert at_include.range == types.Range(types.Position(0, 0), types.Position(0, 3))  # `lib`
    [inside] = await diagnostics_until(client, library_file.as_uri(), bool)
    assert inside.message == info.value.message == message
    assert inside.range.start == types.Position(3, 4)

    # completion, hover and definition reach into the cached library
    ident = types.TextDocumentIdentifier(uri=doc)
    member = types.Position(4, len("    lib."))
    completion = await client.text_document_completion_async(types.CompletionParams(ident, member))
    assert isinstance(completion, types.CompletionList)
    [item] = completion.items  # _helper is private, as in the evaluation
    assert item.label == "tensorboard" and item.detail == "tensorboard(envd_port = 6006)"
    assert isinstance(item.documentation, types.MarkupContent)
    assert item.documentation.value == "TensorBoard, served on `envd_port`."
    hover = await client.text_document_hover_async(types.HoverParams(ident, types.Position(4, 5)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith(f"Library `{url}` at `v1` (commit `")
    assert "from the local cache): `tensorboard`." in hover.contents.value
    target = await client.text_document_definition_async(types.DefinitionParams(ident, types.Position(4, 10)))
    assert isinstance(target, types.Location)
    assert target.uri == library_file.as_uri()
    assert target.range == types.Range(types.Position(0, 4), types.Position(0, 15))
