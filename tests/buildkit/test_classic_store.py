"""A second, throw-away dockerd with Docker's classic image store: detected as having no merge/diff.

The daemon gets its own data root, exec root, pidfile, socket, config file (no containerd snapshotter),
containerd namespace, and a bridge of its own with `--iptables=false`, so it never touches the shared engine.
Not `--bridge=none`: with it, dockerd deletes the host's `docker0` at start-up (removeDefaultBridgeInterface),
which breaks every RUN step of the shared engine. Only ops that need no network run on this daemon.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from envbuild import llb
from envbuild.buildkit import CapabilityError, Export, connect
from envbuild.buildkit.options import SolveOptions

pytestmark = pytest.mark.docker


def _ping(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(str(sock))
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in s.recv(128)
    except OSError:
        return False


@pytest.fixture(scope="module")
def classic_dockerd():
    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        pytest.skip("starting a second dockerd needs root and the dockerd binary")
    if shutil.which("ip") is None:
        pytest.skip("the ip tool is needed to give the second dockerd a bridge of its own")
    root = Path(tempfile.mkdtemp(prefix="envbuild-classic-", dir="/tmp"))
    bridge = f"envbcls{os.getpid() % 100000}"
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", "10.213.77.1/24", "dev", bridge], check=True)
    sock = root / "docker.sock"
    config = root / "daemon.json"
    config.write_text(json.dumps({"features": {"containerd-snapshotter": False}}))
    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - closed in the teardown below
    proc = subprocess.Popen(
        [
            "dockerd",
            "--config-file", str(config),
            "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"),
            "--pidfile", str(root / "docker.pid"),
            "-H", f"unix://{sock}",
            f"--bridge={bridge}",
            "--iptables=false",
            "--ip-forward=false",
            "--ip-masq=false",
            "--containerd-namespace", "envbuild-classic",
            "--containerd-plugins-namespace", "envbuild-classic-plugins",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(150):
            if _ping(sock):
                break
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        if not _ping(sock):
            tail = (root / "dockerd.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"the classic-store dockerd did not start:\n{tail}")
        yield sock
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        subprocess.run(["umount", "-R", str(root / "data")], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_classic_store_has_no_merge_diff_and_few_exporters(classic_dockerd):
    with connect(f"moby-worker://{classic_dockerd}") as client:
        caps = client.capabilities()
    assert caps.worker == "moby"
    assert caps.merge_diff is False
    assert caps.exporters == frozenset({"moby", "local", "tar"})


def test_classic_store_refuses_image_exporters_up_front(classic_dockerd):
    """A builder without an exporter refuses before solving (the builder suite's backends have them all)."""
    definition = llb.scratch().mkfile("/x", "x").marshal()
    refused = pytest.raises(CapabilityError, match="no 'oci' exporter")
    with connect(f"moby-worker://{classic_dockerd}") as client, refused:
        client.solve(definition, SolveOptions(exports=[Export.oci(name="x")]))


def test_image_config_reaches_the_classic_moby_exporter(classic_dockerd):
    """The classic exporter ignores unknown export attributes; the config must come as result metadata."""
    definition = llb.scratch().mkfile("/hello", "hi\n").marshal()
    name = "docker.io/library/envbuild-test-classic:1"
    with connect(f"moby-worker://{classic_dockerd}") as client:
        client.solve(
            definition,
            SolveOptions(
                exports=[Export.moby(name)],
                image_config={
                    "Env": ["CLASSIC=1"],
                    "Entrypoint": ["/hello"],
                    "Labels": {"envbuild.test": "yes"},
                },
            ),
        )
    inspect = subprocess.run(
        ["docker", "-H", f"unix://{classic_dockerd}", "image", "inspect", name, "-f", "{{json .Config}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    config = json.loads(inspect.stdout)
    assert config["Env"] == ["CLASSIC=1"]
    assert config["Entrypoint"] == ["/hello"]
    assert config["Labels"] == {"envbuild.test": "yes"}
