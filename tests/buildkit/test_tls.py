"""A buildkitd on tcp:// with mutual TLS, for real: certificates made here with openssl, a daemon of this
module's own (../shared/bin/buildkitd), and contexts that carry the TLS files as buildctl's flags name them.

A good certificate builds; a wrong CA, a missing or foreign client certificate, a wrong server name and TLS on
one side only each fail in about a second with a sentence that names the cause and the flag to fix.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envbuild import llb
from envbuild.buildkit import Export, UnreachableError, connect
from envbuild.buildkit.options import SolveOptions
from tests.support.builders import standalone

pytestmark = [pytest.mark.docker, pytest.mark.buildkitd]

SERVER_NAME = "buildkitd.envbuild.test"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(d: Path, name: str) -> None:
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=d)


def make_cert(d: Path, name: str, ca: str, extensions: str) -> None:
    (d / f"{name}.ext").write_text(extensions + "\n")
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tls_daemon(tmp_path_factory):
    """(address host:port, certificate dir) of a buildkitd that requires client certificates from `ca`."""
    found = standalone()
    d = tmp_path_factory.mktemp("tls")
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    server_ext = f"subjectAltName=DNS:{SERVER_NAME},IP:127.0.0.1\nextendedKeyUsage=serverAuth"
    make_cert(d, "server", "ca", server_ext)
    make_cert(d, "client", "ca", "extendedKeyUsage=clientAuth")
    make_cert(d, "stranger", "other-ca", "extendedKeyUsage=clientAuth")
    port = free_port()
    log = (d / "buildkitd.log").open("w")
    daemon = subprocess.Popen(
        [str(found.buildkitd), "--addr", f"tcp://127.0.0.1:{port}", "--root", str(d / "root"),
         "--otel-socket-path", str(d / "otel.sock"), "--oci-worker-net=host",
         "--tlscacert", str(d / "ca.pem"), "--tlscert", str(d / "server.pem"),
         "--tlskey", str(d / "server.key")],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and b"running server on" not in (d / "buildkitd.log").read_bytes():
            assert daemon.poll() is None, (d / "buildkitd.log").read_text()
            time.sleep(0.2)
        yield f"127.0.0.1:{port}", d
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        log.close()
        subprocess.run(["rm", "-rf", str(d / "root")], check=False)


def envbuild(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BUILDKIT_HOST"}
    return subprocess.run([sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=120)


def context(name: str, host: str, *tls: str) -> None:
    out = envbuild("context", "create", "--name", name, "--builder", "tcp", "--builder-address", host, *tls)
    assert out.returncode == 0, out.stderr


def test_a_good_client_certificate_lists_and_builds(tls_daemon, tmp_path):
    host, d = tls_daemon
    context("mtls", host, "--tlscacert", str(d / "ca.pem"), "--tlscert", str(d / "client.pem"),
            "--tlskey", str(d / "client.key"), "--tlsservername", SERVER_NAME)
    listed = envbuild("prune", "--dry-run", "--context", "mtls")
    assert listed.returncode == 0, listed.stderr
    assert "cache records, could free" in listed.stdout
    detail = envbuild("version", "--detail", "--context", "mtls")
    assert "builder context mtls: buildkitd BuildKit" in detail.stdout, detail.stdout

    from envbuild import contexts

    made = llb.scratch().mkfile("/hello", b"over mutual TLS\n")
    with connect(contexts.select("mtls").address) as client:
        client.solve(made.marshal(), SolveOptions(exports=[Export.local(tmp_path / "out")]))
    assert (tmp_path / "out" / "hello").read_text() == "over mutual TLS\n"


@pytest.mark.parametrize(
    ("files", "says", "hint"),
    [
        ({"--tlscacert": "other-ca.pem", "--tlscert": "client.pem", "--tlskey": "client.key"},
         "presents a certificate that", "--tlscacert"),
        ({"--tlscacert": "ca.pem"},
         "requires a client certificate signed by its CA, and got no client", "--tlscert"),
        ({"--tlscacert": "ca.pem", "--tlscert": "stranger.pem", "--tlskey": "stranger.key"},
         "requires a client certificate signed by its CA, and got the client certificate", "--tlskey"),
        ({"--tlscacert": "ca.pem", "--tlscert": "client.pem", "--tlskey": "client.key",
          "--tlsservername": "elsewhere.test"}, "does not accept for 'elsewhere.test'", "--tlsservername"),
        ({}, "as a TLS-only buildkitd does, and this builder has no TLS settings", "--tlscacert"),
    ],
    ids=["wrong-ca", "no-client-cert", "foreign-client-cert", "wrong-server-name", "no-tls"],
)
def test_tls_mistakes_fail_at_once_naming_the_cause(tls_daemon, files, says, hint):
    host, d = tls_daemon
    args = []
    for flag, value in files.items():
        args += [flag, value if flag == "--tlsservername" else str(d / value)]
    context("bad", host, *args)
    out = envbuild("prune", "--dry-run", "--context", "bad")
    assert out.returncode == 1, out.stdout
    assert says in out.stderr and hint in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_tls_settings_against_a_plain_buildkitd_say_so(tls_daemon):
    _, d = tls_daemon
    with socket.socket() as listener:  # a plain TCP peer that answers like a non-TLS gRPC server would
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        address = f"tcp://127.0.0.1:{port}?cacert={d / 'ca.pem'}"
        import threading

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")

        threading.Thread(target=answer, daemon=True).start()
        with pytest.raises(UnreachableError, match="does not speak TLS"):
            connect(address)
