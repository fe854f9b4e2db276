"""Connections to a BuildKit worker: a gRPC channel for the Control API and a way to attach a session.

- moby worker: dockerd upgrades `POST /grpc` and `POST /session` to h2c on its API socket. Each upgraded
  socket is relayed to a private unix socket, because grpcio cannot use an already-connected socket. The
  daemon may send bytes in the same read as the `101` headers; they are kept and relayed first.
- unix / tcp buildkitd: a plain gRPC channel; the session rides in `Control.Session` frames.
- docker-container: `docker exec -i NAME buildctl dial-stdio` per connection, relayed the same way.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import queue
import socket
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc

from envbuild.buildkit.address import Address
from envbuild.buildkit.errors import AddressError, PermissionDeniedError, UnreachableError
from envbuild.buildkit.relay import CHUNK, Listener, Pipe, PrivateDir, SocketPipe

#: Big enough for large definitions and tar chunks in both directions.
MAX_MESSAGE = 64 * 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
    # Our private sockets are unix sockets; the authority is irrelevant but must be a valid host name.
    ("grpc.default_authority", "localhost"),
]
READY_TIMEOUT = 10.0

SESSION_METHOD = "/moby.buildkit.v1.Control/Session"


def _connect_docker(docker_host: str) -> socket.socket:
    """Open a stream socket to the Docker API endpoint, turning OS errors into one-sentence errors."""
    if docker_host.startswith("unix://"):
        path = docker_host[len("unix://") :]
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target: str | tuple[str, int] = path
        where = path
    else:
        hostport = docker_host[len("tcp://") :].rstrip("/")
        host, _, port = hostport.rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
        where = hostport
    sock.settimeout(READY_TIMEOUT)
    try:
        sock.connect(target)
    except PermissionError as exc:
        sock.close()
        raise PermissionDeniedError(
            f"permission denied opening the Docker socket {where}",
            hint="add your user to the docker group (then log in again) or run as root",
        ) from exc
    except (FileNotFoundError, ConnectionRefusedError, OSError) as exc:
        sock.close()
        raise UnreachableError(
            f"the Docker engine does not answer at {where} ({exc.strerror or exc})",
            hint="start dockerd (e.g. `bash scripts/backend.sh`) or point DOCKER_HOST at a running engine",
        ) from exc
    sock.settimeout(None)
    return sock


def upgrade(docker_host: str, endpoint: str, headers: Sequence[tuple[str, str]] = ()) -> SocketPipe:
    """POST `endpoint` with `Upgrade: h2c` on the Docker API and return the raw socket after the `101`.

    Reads byte-wise up to the end of the response headers is not needed: whatever follows them in the same
    read is the start of the HTTP/2 stream and is handed back as the pipe's leftover.
    """
    sock = _connect_docker(docker_host)
    lines = [f"POST {endpoint} HTTP/1.1", "Host: docker", "Connection: Upgrade", "Upgrade: h2c"]
    lines += [f"{k}: {v}" for k, v in headers]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    buf = b""
    sock.settimeout(READY_TIMEOUT)
    try:
        while b"\r\n\r\n" not in buf:
            data = sock.recv(4096)
            if not data:
                break
            buf += data
    except OSError as exc:
        sock.close()
        raise UnreachableError(
            f"the Docker engine at {docker_host} closed the {endpoint} upgrade ({exc})"
        ) from exc
    sock.settimeout(None)
    head, _, leftover = buf.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    if " 101 " not in status + " ":
        sock.close()
        raise UnreachableError(
            f"the Docker engine at {docker_host} refused BuildKit's {endpoint} ({status or 'no answer'})",
            hint="BuildKit needs Docker Engine 23 or newer with the builder enabled",
        )
    return SocketPipe(sock, leftover)


class _ProcessPipe(Pipe):
    """A child process's stdout/stdin as one byte stream (`buildctl dial-stdio`)."""

    def __init__(self, argv: list[str]):
        # stderr is not read: a chatty child must never block on a full pipe.
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def recv(self) -> bytes:
        stdout = self.proc.stdout
        assert isinstance(stdout, io.BufferedReader)  # Popen's default buffering
        return stdout.read1(CHUNK)

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_write(self) -> None:
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()

    def close(self) -> None:
        self.close_write()
        with contextlib.suppress(OSError):
            self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


class _StreamPipe(Pipe):
    """A `Control.Session` bidirectional stream as a byte stream (BytesMessage frames carry raw HTTP/2)."""

    def __init__(self, channel: grpc.Channel, metadata: Sequence[tuple[str, str]]):
        from envbuild._proto.control import control_pb2

        self._msg = control_pb2.BytesMessage
        self._out: queue.Queue[bytes | None] = queue.Queue()
        call = channel.stream_stream(
            SESSION_METHOD,
            request_serializer=lambda data: self._msg(data=data).SerializeToString(),
            response_deserializer=lambda raw: self._msg.FromString(raw).data,
        )
        self._responses = call(self._requests(), metadata=list(metadata))

    def _requests(self) -> Iterator[bytes]:
        while True:
            item = self._out.get()
            if item is None:
                return
            yield item

    def recv(self) -> bytes:
        try:
            return next(self._responses)
        except (StopIteration, grpc.RpcError):
            return b""

    def send(self, data: bytes) -> None:
        self._out.put(bytes(data))

    def close_write(self) -> None:
        self._out.put(None)

    def close(self) -> None:
        self._out.put(None)
        with contextlib.suppress(Exception):
            self._responses.cancel()


class Connection:
    """An open line to one BuildKit worker: `channel` for the Control API, `open_session` for callbacks."""

    def __init__(self, address: Address):
        self.address = address
        self.is_moby = address.scheme == "moby-worker"
        self._dir = PrivateDir()
        self._listeners: list[Listener] = []
        self._closed = False
        try:
            self.channel = self._open_channel()
        except BaseException:
            self._dir.close()
            raise

    def _open_channel(self) -> grpc.Channel:
        addr = self.address
        if addr.scheme == "moby-worker":
            # Fail now, with a clear sentence, rather than as a gRPC timeout later.
            upgrade(addr.docker_host, "/grpc").close()
            listener = Listener(
                self._dir.socket_path("grpc.sock"),
                lambda: upgrade(addr.docker_host, "/grpc"),
                name="moby-grpc",
            )
            self._listeners.append(listener)
            return grpc.insecure_channel(listener.target, options=CHANNEL_OPTIONS)
        if addr.scheme == "unix":
            _check_socket(addr.path)
            return grpc.insecure_channel(f"unix:{addr.path}", options=CHANNEL_OPTIONS)
        if addr.scheme == "tcp":
            from envbuild.buildkit.tcp_probe import probe

            probe(addr)
            if addr.tls is None:
                channel = grpc.insecure_channel(addr.host, options=CHANNEL_OPTIONS)
            else:
                channel = grpc.secure_channel(addr.host, _tls_credentials(addr), options=_tls_options(addr))
            _wait_ready(channel, str(addr))
            return channel
        if addr.scheme == "docker-container":
            _check_container(addr.host)
            argv = ["docker", "exec", "-i", addr.host, "buildctl", "dial-stdio"]
            listener = Listener(
                self._dir.socket_path("grpc.sock"), lambda: _ProcessPipe(argv), name="dial-stdio"
            )
            self._listeners.append(listener)
            return grpc.insecure_channel(listener.target, options=CHANNEL_OPTIONS)
        raise AddressError(f"builder address scheme {addr.scheme!r} is not supported")

    def dial_error(self) -> BaseException | None:
        """The last failure to open an upstream for the channel (e.g. dockerd gone), if any."""
        errors = [e for listener in self._listeners for e in listener.errors]
        return errors[-1] if errors else None

    def private_path(self, name: str) -> Path:
        """A path in this connection's private directory, removed with it (a tarball to `docker load`)."""
        return self._dir.socket_path(name)

    def open_session(self, headers: Sequence[tuple[str, str]]) -> Pipe:
        """The daemon's end of a session, for our session server to serve on (see rpcserver.py).

        Closing happens from our side by closing this pipe."""
        if self.is_moby:
            return upgrade(self.address.docker_host, "/session", headers)
        return _StreamPipe(self.channel, [(k.lower(), v) for k, v in headers])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.channel.close()
        for listener in self._listeners:
            listener.close()
        self._dir.close()


def _check_socket(path: str) -> None:
    if not os.path.exists(path):
        raise UnreachableError(
            f"no buildkitd socket at {path}",
            hint="start buildkitd, or pick another builder with `envbuild context`",
        )
    if not os.access(path, os.R_OK | os.W_OK):
        raise PermissionDeniedError(
            f"permission denied opening the buildkitd socket {path}",
            hint="run as the socket's owner or group (or use rootless buildkitd)",
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError as exc:
        if exc.errno == errno.EACCES:
            raise PermissionDeniedError(f"permission denied opening the buildkitd socket {path}") from exc
        raise UnreachableError(
            f"buildkitd does not answer at {path} ({exc.strerror})", hint="start buildkitd"
        ) from exc
    finally:
        probe.close()


def _check_container(name: str) -> None:
    try:
        out = subprocess.run(
            ["docker", "inspect", "--format", "{{.State.Running}}", name],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except FileNotFoundError as exc:
        raise UnreachableError(
            "the docker CLI is needed for docker-container:// builders but is not installed"
        ) from exc
    if out.returncode != 0:
        raise UnreachableError(
            f"container {name!r} does not exist",
            hint="create the buildkitd container or pick another builder",
        )
    if out.stdout.strip() != "true":
        raise UnreachableError(
            f"container {name!r} is not running", hint=f"start it with `docker start {name}`"
        )
    probe = subprocess.run(
        ["docker", "exec", name, "buildctl", "--version"], capture_output=True, text=True, timeout=30
    )
    if probe.returncode != 0:
        raise UnreachableError(
            f"container {name!r} has no working buildctl, so it is not a buildkitd container",
            hint="run BuildKit's image (moby/buildkit) there, or pick another builder",
        )


def _tls_credentials(addr: Address) -> grpc.ChannelCredentials:
    tls = addr.tls
    assert tls is not None

    def read(path: str | None) -> bytes | None:
        if not path:
            return None
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise AddressError(f"cannot read TLS file {path} for {addr} ({exc.strerror})") from exc

    return grpc.ssl_channel_credentials(read(tls.ca_cert), read(tls.key), read(tls.cert))


def _tls_options(addr: Address) -> list[tuple[str, object]]:
    options: list[tuple[str, object]] = [o for o in CHANNEL_OPTIONS if o[0] != "grpc.default_authority"]
    if addr.tls and addr.tls.server_name:
        options.append(("grpc.ssl_target_name_override", addr.tls.server_name))
    return options


def _wait_ready(channel: grpc.Channel, where: str) -> None:
    try:
        grpc.channel_ready_future(channel).result(timeout=READY_TIMEOUT)
    except grpc.FutureTimeoutError as exc:
        channel.close()
        raise UnreachableError(
            f"buildkitd does not answer at {where} within {READY_TIMEOUT:.0f} s",
            hint="check that buildkitd listens there (and the TLS options, if any)",
        ) from exc
