"""A TLS registry on 127.0.0.1 for side-by-side runs with envd, which resolves base images on the client.

envd reads a base image's config from its registry itself (not through BuildKit), over TLS only, so an image
that exists only in Docker's store, or on the plain-HTTP registry at 127.0.0.1:5000, is out of its reach.
This module serves one: Debian's `docker-registry` with a certificate for 127.0.0.1 signed by a CA made here
with openssl. The CA goes to the host's trust store (`/usr/local/share/ca-certificates` +
`update-ca-certificates`: envd's Go client reads it) and to `/etc/docker/certs.d/127.0.0.1:PORT/ca.crt`
(dockerd's pushes and BuildKit's pulls read it). Keys, certificates and registry data live under
`~/.cache/envbuild/bench/registry-PORT`; `close()` stops the registry this process started and removes
the two trust entries again.

Benchmark support only (never used by envbuild itself or by tests); needs root, openssl and docker-registry.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

TRUST_DIR = Path("/usr/local/share/ca-certificates")
DOCKER_CERTS = Path("/etc/docker/certs.d")


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return out


class TlsRegistry:
    """`with TlsRegistry(5444, root) as reg: reg.host` → "127.0.0.1:5444", trusted by envd and dockerd."""

    def __init__(self, port: int, root: Path):
        self.port = port
        self.root = root
        self.host = f"127.0.0.1:{port}"
        self._process: subprocess.Popen | None = None
        self._trust_file = TRUST_DIR / f"envbuild-bench-{port}.crt"
        self._docker_dir = DOCKER_CERTS / self.host

    # --- certificates ---------------------------------------------------------------------------------------

    def _make_certificates(self) -> None:
        """A CA and a server certificate for IP 127.0.0.1 (kept across runs, so trust entries stay valid)."""
        ca, key, crt = self.root / "ca.crt", self.root / "server.key", self.root / "server.crt"
        if ca.exists() and key.exists() and crt.exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        _run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "365",
                "-subj",
                "/CN=envbuild bench CA",
                "-keyout",
                str(self.root / "ca.key"),
                "-out",
                str(ca),
            ]
        )
        _run(
            [
                "openssl",
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(self.root / "server.csr"),
            ]
        )
        ext = self.root / "ext.cnf"
        ext.write_text(
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        )
        _run(
            [
                "openssl",
                "x509",
                "-req",
                "-in",
                str(self.root / "server.csr"),
                "-CA",
                str(ca),
                "-CAkey",
                str(self.root / "ca.key"),
                "-CAcreateserial",
                "-days",
                "365",
                "-extfile",
                str(ext),
                "-out",
                str(crt),
            ]
        )

    def _trust(self) -> None:
        ca = (self.root / "ca.crt").read_bytes()
        if not self._trust_file.exists() or self._trust_file.read_bytes() != ca:
            self._trust_file.write_bytes(ca)
            _run(["update-ca-certificates"])
        self._docker_dir.mkdir(parents=True, exist_ok=True)
        (self._docker_dir / "ca.crt").write_bytes(ca)

    def _untrust(self) -> None:
        if self._trust_file.exists():
            self._trust_file.unlink()
            subprocess.run(["update-ca-certificates", "--fresh"], capture_output=True)
        shutil.rmtree(self._docker_dir, ignore_errors=True)

    # --- the registry process -------------------------------------------------------------------------------

    def _answers(self) -> bool:
        context = ssl.create_default_context(cafile=str(self.root / "ca.crt"))
        try:
            with (
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw,
                context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
            ):
                tls.sendall(b"GET /v2/ HTTP/1.0\r\n\r\n")
                return tls.recv(64).startswith(b"HTTP/1.")
        except OSError:
            return False

    def _start(self) -> None:
        if self._answers():
            return
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            sys.exit(
                f"127.0.0.1:{self.port} is taken by something that is not this bench's registry: "
                "pick another --port"
            )
        data = self.root / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\nlog: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {data}}}, delete: {{enabled: true}}}}\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
            f"  tls: {{certificate: {self.root / 'server.crt'}, key: {self.root / 'server.key'}}}\n"
        )
        log = open(self.root / "registry.log", "ab")  # noqa: SIM115 - handed to the child for its lifetime
        self._process = subprocess.Popen(
            ["docker-registry", "serve", str(config)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"docker-registry did not start; see {self.root / 'registry.log'}")
            time.sleep(0.2)

    def __enter__(self) -> TlsRegistry:
        if os.geteuid() != 0:
            sys.exit("the TLS registry needs root (it adds its CA to the host's trust store)")
        for tool in ("openssl", "docker-registry", "update-ca-certificates"):
            if shutil.which(tool) is None:
                sys.exit(f"{tool} not found (apt-get install openssl docker-registry ca-certificates)")
        self._make_certificates()
        self._trust()
        self._start()
        return self

    def close(self, *, keep: bool = False) -> None:
        if self._process is not None and not keep:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=10)
            self._process = None
        if not keep:
            self._untrust()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def push(self, local: str, repository: str) -> str:
        """Tag `local` as HOST/repository and push it; returns the registry name."""
        name = f"{self.host}/{repository}"
        _run(["docker", "tag", local, name])
        _run(["docker", "push", "-q", name], timeout=600)
        return name
