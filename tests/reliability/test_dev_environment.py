"""A real dev environment under stress: Ctrl-C while it starts, concurrent `up`/`destroy` of the same and of
different names, and a scan of every layer of the image for what must never be in one.

The image is the one tests/runtime/test_up_e2e.py builds (its `up` fixture, same project, so BuildKit's cache
serves both), with the Horust stand-in as supervisor (tests/support/horust_standin).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.runtime import test_up_e2e

pytestmark = [pytest.mark.docker, pytest.mark.slow]

up = test_up_e2e.up  # the built and started dev environment fixture
TAG = test_up_e2e.TAG


def _up(state, name: str) -> subprocess.CompletedProcess[str]:
    return state.envbuild("up", "--detach", "--tag", TAG, "--name", name, "--progress", "quiet", timeout=900)


def _gone(state, name: str) -> bool:
    container = subprocess.run(["docker", "inspect", name], capture_output=True).returncode != 0
    entry = not state.ssh_config.exists() or f"Host {name}.envd" not in state.ssh_config.read_text()
    return container and entry


def test_ctrl_c_while_the_container_starts_says_what_was_removed(up):
    """A real SIGINT to `envbuild up` once its container exists (the build is cached by now): exit 130, and
    neither the container nor the ssh entry is left."""
    name = f"envbuild-test-rint-{uuid.uuid4().hex[:6]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "envbuild.cli", "up", "--detach", "--tag", TAG, "--name", name],
        cwd=up.project, env=up.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if subprocess.run(["docker", "inspect", name], capture_output=True).returncode == 0:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        up.envbuild("destroy", "--name", name)
        pytest.skip("up finished before the interrupt landed; nothing to check this time")
    assert proc.returncode == 130, err
    assert f"interrupted while starting environment {name}: its container and ssh entry were removed" in err
    assert "Traceback" not in err and "internal error" not in err
    assert _gone(up, name)


def test_concurrent_ups_of_one_name_leave_the_winner_whole(up):
    """Issue 13: the loser removed the winner's ssh entry."""
    name = f"envbuild-test-race-{uuid.uuid4().hex[:6]}"
    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: _up(up, name), range(2)))
        codes = sorted(r.returncode for r in results)
        assert codes == [0, 1], [r.stderr[-2000:] for r in results]
        loser = next(r for r in results if r.returncode == 1)
        assert "internal error" not in loser.stderr and "Traceback" not in loser.stderr
        assert "meanwhile" in loser.stderr or "already running" in loser.stderr, loser.stderr
        assert f"Host {name}.envd" in up.ssh_config.read_text()
        login = up_ssh(up, name, "true")
        assert login.returncode == 0, login.stderr
    finally:
        with ThreadPoolExecutor(2) as pool:
            destroyed = list(pool.map(lambda _: up.envbuild("destroy", "--name", name), range(2)))
    assert [d.returncode for d in destroyed] == [0, 0], [d.stderr for d in destroyed]
    assert _gone(up, name)


def test_concurrent_ups_of_different_names_both_work(up):
    names = [f"envbuild-test-pair-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda n: _up(up, n), names))
        assert [r.returncode for r in results] == [0, 0], [r.stderr[-2000:] for r in results]
        for name in names:
            assert up_ssh(up, name, "true").returncode == 0
    finally:
        for name in names:
            up.envbuild("destroy", "--name", name)
    assert all(_gone(up, name) for name in names)


def up_ssh(state, name: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", str(state.ssh_config), f"{name}.envd", command],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
    )  # fmt: skip


def test_login_shell_opens_in_the_project_with_the_prompt(up):
    out = subprocess.run(
        ["ssh", "-tt", "-F", str(up.ssh_config), f"{up.name}.envd"],
        input="echo pwd=$PWD; echo env=$ENVD_ENV; exit\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "pwd=/home/envd/envbuild-e2e" in out.stdout, out.stdout + out.stderr
    assert "env=envbuild-e2e" in out.stdout


# ------------------------------------------------------------------------------ what the layers hold


def _pem_bodies() -> dict[str, str]:
    """A distinctive line of each CA certificate the host trusts locally (the build gets them as a secret)."""
    found = {}
    for cert in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        lines = [
            line for line in cert.read_text(errors="replace").splitlines() if line and "-----" not in line
        ]
        if len(lines) > 3:
            found[cert.name] = lines[2]
    return found


def _host_secrets() -> dict[str, str]:
    """Values of the host environment that look like credentials."""
    pattern = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|CREDENTIAL", re.IGNORECASE)
    return {k: v for k, v in os.environ.items() if pattern.search(k) and len(v) >= 8}


THIRD_PARTY = ("site-packages/", "dist-packages/", "/pkgs/", "/test/", "/tests/", "usr/share/doc/")
# a key itself, not the marker text that ssh-keygen or a TLS library carries as a string
PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n(?:[A-Za-z0-9+/=]{40,}\r?\n){2,}")


def _layers(image: str):
    """(layer digest, member path, bytes) for every regular file of every layer, and the config JSON."""
    with tempfile.TemporaryDirectory(prefix="envbuild-scan-") as tmp:
        archive = Path(tmp) / "image.tar"
        subprocess.run(["docker", "save", "-o", str(archive), image], check=True, timeout=600)
        with tarfile.open(archive) as outer:
            manifest = json.load(outer.extractfile("manifest.json"))[0]  # type: ignore[arg-type]
            config = outer.extractfile(manifest["Config"]).read()  # type: ignore[union-attr]
            yield "config", "config.json", config
            for layer in manifest["Layers"]:
                blob = outer.extractfile(layer)
                assert blob is not None
                with tarfile.open(fileobj=io.BytesIO(blob.read()), mode="r:*") as inner:
                    for member in inner:
                        if member.isfile() and member.size < 64 * 1024 * 1024:
                            data = inner.extractfile(member)
                            if data is not None:
                                yield layer, member.name, data.read()


def test_no_layer_holds_the_ca_bundle_private_keys_or_tokens(up):
    from envbuild.runtime.keys import key_pair_paths

    private_key = (Path(up.env["ENVBUILD_CONFIG_DIR"]) / "ssh" / key_pair_paths().private.name).read_text()
    key_body = [line for line in private_key.splitlines() if "-----" not in line][1]
    needles = {f"CA {name}": body for name, body in _pem_bodies().items()}
    needles.update({f"host ${name}": value for name, value in _host_secrets().items()})
    needles["envbuild's private ssh key"] = key_body
    found: list[str] = []
    files = 0
    for layer, path, data in _layers(TAG):
        files += 1
        text = data.decode("latin-1")
        found += [f"{what} in {path} ({layer[:19]})" for what, needle in needles.items() if needle in text]
        binary = b"\x00" in data  # a library's embedded self-test key is not ours to judge
        if not binary and PEM_KEY.search(text) and not any(part in path for part in THIRD_PARTY):
            found.append(f"a private key in {path} ({layer[:19]})")
    assert files > 1000  # the scan really read the image
    assert not found, found
