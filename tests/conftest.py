"""Fixtures shared by every test area.

Every test gets its own config and cache directories so nothing touches the real ~/.config/envbuild, and
tests marked `docker` check once that the real engine from scripts/backend.sh answers.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.builders import builder  # noqa: F401  (the fixture, for every test area)

DOCKER_SOCKET = "/var/run/docker.sock"
BASE_IMAGE = "docker.io/library/debian:bookworm"
REGISTRY = "127.0.0.1:5000"
DOCKER_ROOT = Path("/var/lib/docker")
#: below this much free space under Docker's data root, the build cache is pruned between test modules
LOW_DISK_BYTES = 20 * 2**30


def pytest_configure(config):
    """Tests send SIGINT to the processes they start, as a terminal does. A shell that runs pytest in the
    background starts it with SIGINT ignored, which every child would inherit across exec (and Python then
    installs no KeyboardInterrupt handler): give pytest Python's own handler, so children start with the
    default whatever started the run."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="module", autouse=True)
def _disk_headroom():
    """The machines' disk is shared, and its free space varies from run to run: after a module, when Docker's
    data root runs low, the build cache and dangling images go (the base images stay), so the modules after
    it rebuild more but still have room. Said on the terminal, since it changes the run's timing."""
    yield
    if not DOCKER_ROOT.is_dir() or shutil.disk_usage(DOCKER_ROOT).free >= LOW_DISK_BYTES:
        return
    free = shutil.disk_usage(DOCKER_ROOT).free / 2**30
    print(f"\n[disk] {free:.1f} GiB free under {DOCKER_ROOT}: pruning the build cache", file=sys.__stderr__)
    for what in ("builder", "image"):
        prune = ["docker", what, "prune", "--force", *(["--all"] if what == "builder" else [])]
        subprocess.run(prune, capture_output=True, timeout=600, check=False)


@pytest.fixture(autouse=True)
def _isolated_envbuild_dirs(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.mktemp("envbuild-home")
    monkeypatch.setenv("ENVBUILD_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("ENVBUILD_CACHE_DIR", str(root / "cache"))


def _docker_answers() -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(3)
            sock.connect(DOCKER_SOCKET)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in sock.recv(128)
    except OSError:
        return False


@pytest.fixture(scope="session")
def docker_engine() -> str:
    """The real dockerd; a test that needs it fails (not skips) when it is down, since CI always starts it."""
    if not _docker_answers():
        pytest.fail(f"dockerd does not answer on {DOCKER_SOCKET}: run `bash scripts/backend.sh` first")
    return DOCKER_SOCKET


def _backend_param(item) -> str | None:
    """The backend a test runs against, if it is parametrized over tests.support.builders.BACKENDS."""
    from tests.support.builders import BACKENDS

    params = getattr(getattr(item, "callspec", None), "params", {})
    return next((v for v in params.values() if isinstance(v, str) and v in BACKENDS), None)


def pytest_collection_modifyitems(config, items):
    """Tests marked `docker` get the engine check without having to ask for the fixture.

    A test marked `backends("moby", ...)` runs only against those backends: the others are deselected (a
    choice made for CI's time budget, so it is not reported as a skip).
    """
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("docker") is not None and "docker_engine" not in item.fixturenames:
            item.fixturenames.append("docker_engine")
        only = item.get_closest_marker("backends")
        backend = _backend_param(item)
        (drop if only is not None and backend is not None and backend not in only.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
