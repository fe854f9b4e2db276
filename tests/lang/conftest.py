"""Helpers for language tests: write a build file (and friends) into a temp project and evaluate it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from envbuild.errors import EnvbuildError
from envbuild.lang import evaluate


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def evaluate(self, text: str | None = None, function: str = "build", **kwargs):
        if text is not None:
            self.write("build.envd", text)
        return evaluate(self.root, function, **kwargs)

    def build(self, body: str, **kwargs):
        """Evaluate `body` as the body of `def build():`."""
        return self.evaluate(
            "def build():\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    "), **kwargs
        )

    def error(self, text: str, **kwargs) -> EnvbuildError:
        with pytest.raises(EnvbuildError) as info:
            self.evaluate(text, **kwargs)
        return info.value

    def build_error(self, body: str, **kwargs) -> EnvbuildError:
        with pytest.raises(EnvbuildError) as info:
            self.build(body, **kwargs)
        return info.value


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    return Project(root)
