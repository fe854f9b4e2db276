"""A second, throw-away dockerd that tests may start, kill and restart without touching the shared engine.

Its own data root, exec root, pidfile, socket, config file, containerd namespace, and a bridge of its own with
`--iptables=false`. Not `--bridge=none`: with it, dockerd deletes the host's `docker0` at start-up
(removeDefaultBridgeInterface), which breaks every RUN step of the shared engine. Build steps on it have no
network, so tests give it only work that needs none (and load the base image into it).
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

BASE = "docker.io/library/debian:bookworm"


def ping(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(str(sock))
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in s.recv(128)
    except OSError:
        return False


class SecondDockerd:
    """`start()`, `kill()` (SIGKILL, as a crash), `stop()`; `sock` is the socket path."""

    def __init__(self, name: str, subnet: str, *, containerd_snapshotter: bool) -> None:
        if os.geteuid() != 0 or shutil.which("dockerd") is None:
            pytest.skip("starting a second dockerd needs root and the dockerd binary")
        if shutil.which("ip") is None:
            pytest.skip("the ip tool is needed to give the second dockerd a bridge of its own")
        self.name = name
        self.root = Path(tempfile.mkdtemp(prefix=f"envbuild-{name}-", dir="/tmp"))
        self.sock = self.root / "docker.sock"
        self.bridge = f"envb{name[:5]}{os.getpid() % 100000}"
        self.proc: subprocess.Popen | None = None
        subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
        subprocess.run(["ip", "addr", "add", subnet, "dev", self.bridge], check=True)
        config = self.root / "daemon.json"
        config.write_text(json.dumps({"features": {"containerd-snapshotter": containerd_snapshotter}}))
        self.argv = [
            "dockerd",
            "--config-file", str(config),
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "docker.pid"),
            "-H", f"unix://{self.sock}",
            f"--bridge={self.bridge}",
            "--iptables=false",
            "--ip-forward=false",
            "--ip-masq=false",
            "--containerd-namespace", f"envbuild-{name}",
            "--containerd-plugins-namespace", f"envbuild-{name}-plugins",
        ]  # fmt: skip

    @property
    def host(self) -> str:
        return f"unix://{self.sock}"

    def start(self) -> None:
        log = open(self.root / "dockerd.log", "ab")  # noqa: SIM115 - dockerd keeps it; closed with the process
        self.proc = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        log.close()
        for _ in range(150):
            if ping(self.sock) or self.proc.poll() is not None:
                break
            time.sleep(0.2)
        if not ping(self.sock):
            tail = (self.root / "dockerd.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"the second dockerd ({self.name}) did not start:\n{tail}")

    def kill(self) -> None:
        """SIGKILL, as when the daemon crashes or is OOM-killed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        (self.root / "docker.pid").unlink(missing_ok=True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def load_base(self) -> None:
        """The shared engine's base image, loaded into this daemon (it cannot pull)."""
        save = subprocess.Popen(["docker", "save", BASE], stdout=subprocess.PIPE)
        load = ["docker", "-H", self.host, "load"]
        subprocess.run(load, stdin=save.stdout, check=True, capture_output=True, timeout=300)
        save.wait(timeout=60)

    def remove(self) -> None:
        self.stop()
        subprocess.run(["umount", "-R", str(self.root / "data")], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
