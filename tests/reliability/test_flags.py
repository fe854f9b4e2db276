"""Any flag value: a usage error naming the flag, a located error, or a result; never "internal error".

Commands that only read and compile (no daemon, nothing written outside the temp project) get every flag
with generated values; the CLI is run in-process the way `main()` runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from envbuild.cli.app import app
from envbuild.errors import EnvbuildError

VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "-1", "0", "99999999999999999999", "1:2:3", "a:b", ":", "linux", "linux/amd64",
                     "linux/arm64/v8", "windows/amd64", "x/y/z/w", "../..", "/dev/null", "/proc/self/environ",
                     "build.envd:", ":1bad", "build.envd:build:x", "nope.envd", "\x00", "é", "~"]),
)  # fmt: skip
COMMANDS = {
    ("debug", "llb"): ["--from", "--platform", "--owner"],
    ("debug", "graph"): ["--from"],
    ("context", "create"): ["--name", "--builder", "--builder-address"],
    ("init",): ["--python", "--base"],
}


@pytest.fixture
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("flags")
    (root / "build.envd").write_text('def build():\n    base(image="debian:bookworm", dev=True)\n')
    (root / "requirements.txt").write_text("rich\n")
    return root


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(command=st.sampled_from(sorted(COMMANDS)), data=st.data())
def test_flags_with_any_value(project, command, data):
    flags = COMMANDS[command]
    chosen = data.draw(st.lists(st.sampled_from(flags), unique=True, min_size=1))
    args = [*command] if command == ("context", "create") else [*command, "-p", str(project)]
    for flag in chosen:
        args += [flag, data.draw(VALUES)]
    if command == ("context", "create") and "--name" not in chosen:
        args += ["--name", "fuzzed"]
    if command == ("init",):
        args.append("--force")  # init writes build.envd into the temp project
    result = CliRunner().invoke(app, args, catch_exceptions=True)
    error = result.exception
    if error is None or isinstance(error, SystemExit):
        return
    assert isinstance(error, EnvbuildError), f"{args}: {type(error).__name__}: {error}"
    assert error.message
