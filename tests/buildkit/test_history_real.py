"""Build history on a real buildkitd: envbuild's solves are not recorded (`Internal`, so the Solve does not
wait for the record either), unless the user asks with `--history`. Checked with buildctl's own listing of
the daemon's build records, through the CLI on the rootful daemon of scripts/buildkitd.sh."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from envbuild import llb
from envbuild.buildkit import connect
from envbuild.buildkit.options import SolveOptions
from tests.support.builders import address_of, base_for, standalone

pytestmark = pytest.mark.docker


def records(address: str) -> set[str]:
    listing = subprocess.run(
        [str(standalone().buildctl), "--addr", address, "debug", "histories"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return {line.split()[1] for line in listing.stdout.splitlines()[1:] if line.split()}


def test_a_solve_is_kept_in_the_build_history_only_when_asked(tmp_path):
    address = address_of("buildkitd-rootful")
    base = base_for("buildkitd-rootful")
    with connect(address) as client:
        before = records(address)
        client.solve(llb.image(base).run(f"echo {secrets.token_hex(6)}").root().marshal("linux/amd64"),
                     SolveOptions())
        assert records(address) == before
        client.solve(llb.image(base).run(f"echo {secrets.token_hex(6)}").root().marshal("linux/amd64"),
                     SolveOptions(history=True))
        assert len(records(address) - before) == 1


def test_build_history_flag(tmp_path):
    """`envbuild build --history` reaches the solve; without it, the build leaves no record."""
    address = address_of("buildkitd-rootful")
    (tmp_path / "build.envd").write_text(
        "def build():\n"
        f'    base(image="{base_for("buildkitd-rootful")}", dev=False)\n'
        f'    run(commands=["echo {secrets.token_hex(6)}"])\n'
    )
    env = {**os.environ, "BUILDKIT_HOST": address}

    def build(*flags: str) -> None:
        out = tmp_path / f"out-{len(flags)}"
        run = subprocess.run(
            [sys.executable, "-m", "envbuild.cli", "build", "-p", str(tmp_path), "--progress", "plain",
             "-o", f"type=local,dest={out}", *flags],
            capture_output=True, text=True, env=env, timeout=600,
        )
        assert run.returncode == 0, run.stderr

    before = records(address)
    build()
    assert records(address) == before
    build("--history", "--no-cache")
    assert len(records(address) - before) == 1
