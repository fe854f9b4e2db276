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


# ---------------------------------------------------------------- git libraries for include()

GIT_ENV = {
    "GIT_AUTHOR_NAME": "envbuild tests",
    "GIT_AUTHOR_EMAIL": "tests@envbuild.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "envbuild tests",
    "GIT_COMMITTER_EMAIL": "tests@envbuild.invalid",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    import os
    import subprocess

    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def make_repo(path: Path, files: dict[str, str], *, tag: str | None = None, message: str = "library") -> str:
    """A git repository at `path` holding `files` in one commit on `main`; returns the commit id.

    Author, committer and dates are fixed, so the same files always give the same commit id.
    """
    if not (path / ".git").exists():
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
    git(path, "add", "-A")
    git(path, "commit", "-q", "--allow-empty", "-m", message)
    if tag:
        git(path, "tag", tag)
    return git(path, "rev-parse", "HEAD")


@pytest.fixture
def git_daemon(tmp_path: Path):
    """A real `git daemon` on 127.0.0.1 (free port) serving repositories made under the yielded dir."""
    import socket
    import subprocess
    import time

    base = tmp_path / "served"
    base.mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={base}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("git daemon did not start")
            time.sleep(0.05)
    try:
        yield base, f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
