"""Refusals found while compiling name the build-file line of the call that caused them (issue 13: a bad
image reference and a Python version like "3.x" were reported without file:line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envbuild.compile import BuildTarget, compile_graph
from envbuild.errors import EnvbuildError
from envbuild.lang import evaluate


def _compile_error(tmp_path: Path, body: str) -> EnvbuildError:
    (tmp_path / "build.envd").write_text("def build():\n" + body)
    graph = evaluate(tmp_path)
    with pytest.raises(EnvbuildError) as info:
        compile_graph(graph, target=BuildTarget())
    return info.value


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('    base(image="Debian:Bookworm", dev=False)\n', 2, "image reference 'Debian:Bookworm'"),
        (
            '    base(image="debian:bookworm", dev=False)\n    install.python(version="3.x")\n',
            3,
            "python version '3.x'",
        ),
        (
            '    base(image="ubuntu:22.04", dev=False)\n    install.cuda(version="11.2.2", cudnn="8")\n',
            3,
            "CUDA 11.2.2 has no image",
        ),
    ],
)
def test_compile_refusals_are_located(tmp_path, body, line, words):
    err = _compile_error(tmp_path, body)
    assert words in err.message
    assert err.location is not None
    assert (err.location.file, err.location.line, err.location.column) == ("build.envd", line, 5)
    assert err.location.source_line.strip().startswith(("base(", "install."))
    assert err.render()  # a graph Location in an error used to crash the renderer
