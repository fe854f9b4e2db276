"""apt lists in their cache mount: fetched by one build, used as they are by the next within the hour, and
fetched again when the packages asked for cannot be installed from them. Real apt steps on dockerd."""

from __future__ import annotations

import secrets

import pytest

from envbuild import llb
from envbuild.buildkit import connect
from envbuild.buildkit.options import SolveOptions
from envbuild.compile.cache_mounts import APT_LISTS, apt_mounts
from envbuild.compile.steps import StepEnv
from envbuild.compile.system_packages import LISTS_STAMP, install_apt_packages

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE = "docker.io/library/debian:bookworm"
REUSED = "not updated again"
RETRIED = "updating them and trying again"


def _solve(state: llb.State) -> str:
    """Solve `state` on dockerd; what its steps printed."""
    chunks: list[bytes] = []
    with connect("moby-worker://") as client:
        client.solve(state.marshal(), SolveOptions(), on_status=lambda event: chunks.extend(
            chunk.data for chunk in event.logs))
    return b"".join(chunks).decode(errors="replace")


def test_lists_are_reused_within_the_hour_and_fetched_again_when_they_cannot_serve():
    steps = StepEnv(scope=f"envbuild-test-aptlists-{secrets.token_hex(4)}")  # caches of its own
    base = llb.image(BASE)

    first = _solve(install_apt_packages(base, ("tree",), steps))
    assert REUSED not in first  # nothing in the new cache: apt-get update ran

    second = _solve(install_apt_packages(base, ("bc",), steps))
    assert REUSED in second and RETRIED not in second

    # the lists gone but the stamp still fresh, as after a mirror moved on: the install fails, then updates
    forgotten = steps.sh(
        base,
        f"find {APT_LISTS} -type f ! -path {LISTS_STAMP} -delete\n",
        name="forget the package lists, keep the stamp",
        mounts=apt_mounts(steps.scope),
    )
    installed = install_apt_packages(forgotten, ("less",), steps)
    third = _solve(steps.sh(installed, "command -v less\n", name="less is there", offline=True))
    assert REUSED in third and RETRIED in third


def test_no_cache_always_fetches_the_lists():
    steps = StepEnv(scope=f"envbuild-test-aptlists-{secrets.token_hex(4)}")
    base = llb.image(BASE)
    _solve(install_apt_packages(base, ("tree",), steps))
    again = _solve(install_apt_packages(base, ("bc",), StepEnv(scope=steps.scope, ignore_cache=True)))
    assert REUSED not in again
