"""One Control.Solve per build, and no solve at all when nothing changed, on the real moby worker.

Solves are counted at the gRPC call the client makes to the daemon (`Control.Solve`), so a probe or a
separate resolve session would show up. The skip is checked in-process (where calls can be counted) and
once through the console entry (`--force`, the message).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from envbuild import contract
from envbuild.builder import BuildOptions, build
from envbuild.buildkit import client as client_mod
from envbuild.cli.building import run_build
from envbuild.lang import evaluate

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUILD = (
    "def build():\n"
    '    base(image="debian:bookworm", dev=False)\n'
    '    io.copy(source="data.txt", target="/opt/data.txt")\n'
    '    run(commands=["echo {marker} > /opt/marker"])\n'
)


class _Counted:
    """Wraps the client's Control.Solve callable: every call (blocking or future) is one solve."""

    def __init__(self, inner, calls: list[str]):
        self._inner, self._calls = inner, calls

    def __call__(self, request, **kwargs):
        self._calls.append(request.Ref)
        return self._inner(request, **kwargs)

    def future(self, request, **kwargs):
        self._calls.append(request.Ref)
        return self._inner.future(request, **kwargs)


@pytest.fixture
def solves(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = client_mod.Client.__init__

    def init(self, connection):
        original(self, connection)
        self._solve = _Counted(self._solve, calls)

    monkeypatch.setattr(client_mod.Client, "__init__", init)
    return calls


@pytest.fixture
def image() -> Iterator[str]:
    name = f"docker.io/library/envbuild-test-skip-{secrets.token_hex(4)}:dev"
    yield name
    subprocess.run(["docker", "image", "rm", "-f", name], capture_output=True)


def _project(tmp_path, marker: str = "one"):
    (tmp_path / "build.envd").write_text(BUILD.format(marker=marker))  # rewritten each time, as editors do
    if not (tmp_path / "data.txt").exists():
        (tmp_path / "data.txt").write_text("first\n")
    return evaluate(tmp_path / "build.envd", "build")


def _cat(name: str, path: str) -> str:
    run = subprocess.run(["docker", "run", "--rm", name, "cat", path], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_a_build_is_one_solve_and_labels_the_image_with_its_key(tmp_path, solves, image):
    result = build(_project(tmp_path), BuildOptions(tag=image, address="moby-worker://"))
    assert len(solves) == 1, f"{len(solves)} Control.Solve calls: {solves}"
    assert result.digest and not result.up_to_date
    inspect = json.loads(subprocess.run(["docker", "image", "inspect", image], capture_output=True).stdout)
    assert inspect[0]["Config"]["Labels"][contract.BUILD_KEY_LABEL].startswith("sha256:")


def test_nothing_changed_means_no_solve_and_any_change_rebuilds(tmp_path, solves, image):
    options = BuildOptions(tag=image, address="moby-worker://")
    first = run_build(_project(tmp_path), options, "quiet")
    assert len(solves) == 1 and not first.up_to_date

    again = run_build(_project(tmp_path), options, "quiet")
    assert len(solves) == 1, "an up-to-date build still solved"
    assert again.up_to_date and again.name == image and again.digest == first.digest

    (tmp_path / "data.txt").write_text("first\n")  # the same bytes again: a new mtime, no change
    assert run_build(_project(tmp_path), options, "quiet").up_to_date
    assert len(solves) == 1

    forced = run_build(_project(tmp_path), replace(options, force=True), "quiet")
    assert len(solves) == 2 and not forced.up_to_date
    assert forced.digest == first.digest  # same inputs, same image: --force only skips the check

    (tmp_path / "data.txt").write_text("second, longer\n")  # a context file the build sends
    changed_input = run_build(_project(tmp_path), options, "quiet")
    assert len(solves) == 3 and not changed_input.up_to_date
    assert _cat(image, "/opt/data.txt") == "second, longer\n"

    changed_graph = run_build(_project(tmp_path, marker="two"), options, "quiet")
    assert len(solves) == 4 and not changed_graph.up_to_date
    assert _cat(image, "/opt/marker") == "two\n"
    assert run_build(_project(tmp_path, marker="two"), options, "quiet").up_to_date
    assert len(solves) == 4

    other_options = run_build(_project(tmp_path, marker="two"), replace(options, owner=(4242, 4242)), "quiet")
    assert len(solves) == 5 and not other_options.up_to_date


def _loaded(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if "import time:" in line}


def _said(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "import time:" not in line]


def test_the_cli_says_up_to_date_and_force_rebuilds(tmp_path, image):
    _project(tmp_path)

    def cli(*extra: str, python: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        build = ["build", "-p", str(tmp_path), "-t", image, *extra]
        args = [sys.executable, *python, "-m", "envbuild.cli", *build]
        return subprocess.run(args, capture_output=True, text=True, timeout=600)

    first = cli("--progress", "plain")
    assert first.returncode == 0, first.stderr
    assert "up to date" not in first.stderr
    second = cli(python=("-X", "importtime"))
    assert second.returncode == 0, second.stderr
    assert "is up to date" in second.stderr and second.stdout == first.stdout
    # the check compiles nothing and asks the engine itself: none of what a real build loads
    loaded = _loaded(second.stderr)
    unneeded = {"envbuild.llb", "envbuild.compile.pipeline", "envbuild.lock.model", "grpc", "docker",
                "http.client", "envbuild.lang.include"}
    assert not loaded & unneeded, sorted(loaded & unneeded)
    for _ in range(2):  # the second time too: a forced build keeps no memo to answer from
        forced = cli("--force", "--progress", "plain")
        assert forced.returncode == 0, forced.stderr
        assert "up to date" not in forced.stderr and "#1 " in forced.stderr  # it talked to BuildKit


def test_a_no_op_after_a_build_is_answered_from_a_memo_until_something_it_read_changes(tmp_path, image):
    """The console entry, as a user runs it: a build keeps a memo, and the same command again answers from
    it, without the CLI, the evaluation or the graph, saying what a full run finding the image up to date
    says. A change the memo watches (a user config.envd that was not there) or the image gone sends the next
    run through in full."""
    _project(tmp_path)
    time.sleep(2.1)  # files changed just before a run leave no memo (their content may still be moving)

    def cli(**env: str) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, "-X", "importtime", "-m", "envbuild.cli", "build", "-p", str(tmp_path),
                "-t", image]
        return subprocess.run(args, capture_output=True, text=True, timeout=600, env={**os.environ, **env})

    built = cli()
    assert built.returncode == 0 and "is up to date" not in built.stderr, built.stderr
    memo = cli()
    assert memo.returncode == 0, memo.stderr
    skipped = {"typer", "envbuild.lang", "starlark", "envbuild.graph", "envbuild.errors", "dataclasses"}
    assert not _loaded(memo.stderr) & skipped, sorted(_loaded(memo.stderr) & skipped)
    full = cli(ENVBUILD_TEST_OTHER_ENVIRONMENT="1")  # an environment the memo was not made in
    assert full.returncode == 0 and "typer" in _loaded(full.stderr)
    assert "is up to date" in full.stderr
    assert (memo.stdout, _said(memo.stderr)) == (full.stdout, _said(full.stderr))

    config = Path(os.environ["ENVBUILD_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.envd").write_text("# a user config that sets nothing\n")
    time.sleep(2.1)
    again = cli()
    assert again.returncode == 0 and "is up to date" in again.stderr
    assert "typer" in _loaded(again.stderr), "a config.envd that appeared went unnoticed"
    assert "typer" not in _loaded(cli().stderr)  # the new memo holds

    subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True, check=True)
    rebuilt = cli()
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "is up to date" not in rebuilt.stderr and _cat(image, "/opt/data.txt") == "first\n"
