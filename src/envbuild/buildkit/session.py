"""The session: a gRPC server on our side that the daemon calls back into during a solve.

It serves health, file sync of local directories, exporter output (files and directories), registry
credentials, secrets and ssh-agent forwarding. The server listens on a private unix socket; the connection
relays the daemon's end (dockerd's `/session` upgrade or a `Control.Session` stream) into it. The daemon only
calls methods we list in the `X-Docker-Expose-Session-Grpc-Method` headers, so we list exactly what we serve.

Exporter output lands in a staging path next to its destination and is moved into place by `commit()` once
the solve succeeded; `discard()` removes it, so a failed or cancelled solve leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import os
import secrets as pysecrets
import shutil
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from envbuild._proto.filesync import auth_pb2, filesync_pb2
from envbuild._proto.fsutil import types_pb2
from envbuild._proto.secrets import secrets_pb2
from envbuild._proto.sshforward import ssh_pb2
from envbuild.buildkit import auth, filesync, rpcserver
from envbuild.buildkit.connection import Connection
from envbuild.buildkit.errors import abort
from envbuild.buildkit.patterns import PathFilter
from envbuild.buildkit.secrets import SecretSource, read_secret

EXPORTER_ID_KEY = "buildkit-attachable-exporter-id"
SSH_ID_KEY = "buildkit.ssh.id"


@dataclass(frozen=True)
class ExportTarget:
    """Where exporter number `index` writes: a file (tarballs) or a directory (local exporter)."""

    index: int
    dest: Path
    is_dir: bool

    @property
    def staging(self) -> Path:
        return self.dest.with_name(f".{self.dest.name}.envbuild-partial")


@dataclass(frozen=True)
class SessionOptions:
    """What the session offers the daemon during one solve."""

    local_dirs: Mapping[str, Path] = field(default_factory=dict)
    secrets: Mapping[str, SecretSource] = field(default_factory=dict)
    #: ssh id → agent socket path (None: $SSH_AUTH_SOCK).
    ssh: Mapping[str, str | None] = field(default_factory=dict)
    targets: tuple[ExportTarget, ...] = ()
    docker_config: Path | None = None
    #: Directories served as content stores (local cache import/export), keyed by absolute path.
    content_stores: tuple[Path, ...] = ()


def _metadata(context: rpcserver.Context) -> dict[str, list[str]]:
    """The call's metadata by key (HTTP/2 header names are lower case; rpcserver decodes values)."""
    out: dict[str, list[str]] = {}
    for key, value in context.invocation_metadata():
        out.setdefault(key, []).append(value)
    return out


def _decoded(md: dict[str, list[str]], key: str) -> list[str]:
    from urllib.parse import unquote_plus

    values = md.get(key, [])
    if md.get(key + "-encoded", ["false"])[0].lower() in ("1", "true"):
        return [unquote_plus(v) for v in values]
    return values


class Session:
    """One build session; `start(connection)` serves it, `close()` ends it."""

    def __init__(self, options: SessionOptions, *, name: str = "envbuild", shared_key: str = ""):
        self.options = options
        self.id = pysecrets.token_hex(12)
        self.name = name
        self.shared_key = shared_key or socket.gethostname()
        self.errors: list[str] = []
        self._targets = {t.index: t for t in options.targets}
        self._methods = self._services()
        self._server: rpcserver.Server | None = None

    # --- service handlers -----------------------------------------------------------------------------------

    def _diffcopy(self, requests: Iterator[types_pb2.Packet], context: rpcserver.Context):
        md = _metadata(context)
        name = (_decoded(md, "dir-name") or [""])[0]
        root = self.options.local_dirs.get(name)
        if root is None:
            abort(context, grpc.StatusCode.NOT_FOUND, f"no access allowed to dir {name!r}")
        filt = PathFilter(
            include=tuple(_decoded(md, "include-patterns")), exclude=tuple(_decoded(md, "exclude-patterns"))
        )
        yield from filesync.send(Path(root), filt, requests)

    def _filesend(self, requests: Iterator[bytes], context: rpcserver.Context):
        md = _metadata(context)
        try:
            index = int((md.get(EXPORTER_ID_KEY) or ["0"])[0])
        except ValueError:
            index = 0
        target = self._targets.get(index)
        if target is None:
            abort(context, grpc.StatusCode.NOT_FOUND, f"exporter {index} has no destination")
        try:
            if target.is_dir:
                packets = (types_pb2.Packet.FromString(raw) for raw in requests)
                for packet in filesync.receive_dir(target.staging, packets):
                    yield packet.SerializeToString()
            else:
                target.staging.parent.mkdir(parents=True, exist_ok=True)
                with open(target.staging, "wb") as fh:
                    for raw in requests:
                        fh.write(filesync_pb2.BytesMessage.FromString(raw).data)
        except OSError as exc:
            self.errors.append(f"cannot write the export to {target.dest}: {exc}")
            abort(context, grpc.StatusCode.INTERNAL, str(exc))

    def _credentials(self, request: auth_pb2.CredentialsRequest, context: rpcserver.Context):
        creds = auth.lookup(request.Host, self.options.docker_config)
        return auth_pb2.CredentialsResponse(Username=creds.username, Secret=creds.secret)

    def _get_secret(self, request: secrets_pb2.GetSecretRequest, context: rpcserver.Context):
        source = self.options.secrets.get(request.ID)
        data = None if source is None else read_secret(source)
        if data is None:
            abort(context, grpc.StatusCode.NOT_FOUND, f"secret {request.ID} not found")
        return secrets_pb2.GetSecretResponse(data=data)

    def _agent_path(self, ssh_id: str) -> str | None:
        if ssh_id not in self.options.ssh:
            return None
        return self.options.ssh[ssh_id] or os.environ.get("SSH_AUTH_SOCK")

    def _check_agent(self, request: ssh_pb2.CheckAgentRequest, context: rpcserver.Context):
        ssh_id = request.ID or "default"
        if not self._agent_path(ssh_id):
            abort(context, grpc.StatusCode.NOT_FOUND, f"unset ssh forward key {ssh_id}")
        return ssh_pb2.CheckAgentResponse()

    def _forward_agent(self, requests: Iterator[ssh_pb2.BytesMessage], context: rpcserver.Context):
        ssh_id = (_metadata(context).get(SSH_ID_KEY) or ["default"])[0]
        path = self._agent_path(ssh_id)
        if not path:
            abort(context, grpc.StatusCode.NOT_FOUND, f"unset ssh forward key {ssh_id}")
        agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        agent.connect(path)

        def pump_in() -> None:
            with contextlib.suppress(Exception):
                for message in requests:
                    agent.sendall(message.data)
            with contextlib.suppress(OSError):
                agent.shutdown(socket.SHUT_WR)

        threading.Thread(target=pump_in, name="ssh-agent-in", daemon=True).start()
        try:
            while data := agent.recv(65536):
                yield ssh_pb2.BytesMessage(data=data)
        finally:
            agent.close()

    # --- lifecycle ------------------------------------------------------------------------------------------

    def _services(self) -> dict[str, rpcserver.Method]:
        packet = types_pb2.Packet
        services: dict[str, dict[str, rpcserver.Method]] = {
            "grpc.health.v1.Health": {
                # HealthCheckResponse{status: SERVING}: field 1, varint 1. The daemon asks every few seconds.
                "Check": rpcserver.unary(lambda request, context: b"\x08\x01", bytes, bytes),
            },
            "moby.filesync.v1.FileSync": {
                # the sender writes its packets' bytes itself, in batches (filesync.py)
                "DiffCopy": rpcserver.stream_stream(self._diffcopy, packet.FromString, batches=True),
            },
            "moby.filesync.v1.Auth": {
                "Credentials": rpcserver.unary(
                    self._credentials,
                    auth_pb2.CredentialsRequest.FromString,
                    auth_pb2.CredentialsResponse.SerializeToString,
                ),
            },
            "moby.buildkit.secrets.v1.Secrets": {
                "GetSecret": rpcserver.unary(
                    self._get_secret,
                    secrets_pb2.GetSecretRequest.FromString,
                    secrets_pb2.GetSecretResponse.SerializeToString,
                ),
            },
        }
        if self._targets:
            # Raw bytes: the frames are Packets or BytesMessages depending on the exporter.
            services["moby.filesync.v1.FileSend"] = {"DiffCopy": rpcserver.stream_stream(self._filesend)}
        if self.options.ssh:
            services["moby.sshforward.v1.SSH"] = {
                "CheckAgent": rpcserver.unary(
                    self._check_agent,
                    ssh_pb2.CheckAgentRequest.FromString,
                    ssh_pb2.CheckAgentResponse.SerializeToString,
                ),
                "ForwardAgent": rpcserver.stream_stream(
                    self._forward_agent,
                    ssh_pb2.BytesMessage.FromString,
                    ssh_pb2.BytesMessage.SerializeToString,
                ),
            }
        if self.options.content_stores:  # local cache import/export only: its protos load when used
            from envbuild.buildkit import content_store

            stores = {
                content_store.store_id(p): content_store.LocalStore(p) for p in self.options.content_stores
            }
            services[content_store.SERVICE] = content_store.methods(content_store.ContentService(stores))
        return rpcserver.paths(services)

    def headers(self) -> list[tuple[str, str]]:
        out = [
            ("X-Docker-Expose-Session-Uuid", self.id),
            ("X-Docker-Expose-Session-Name", self.name),
            ("X-Docker-Expose-Session-Sharedkey", self.shared_key),
        ]
        out += [("X-Docker-Expose-Session-Grpc-Method", m) for m in self._methods]
        return out

    def start(self, connection: Connection) -> None:
        pipe = connection.open_session(self.headers())
        self._server = rpcserver.Server(pipe, self._methods, name="session")

    def close(self) -> None:
        """Stop serving: the daemon's end closes, and we wait (briefly) until the server has stopped."""
        if self._server is not None:
            self._server.close()
            self._server.done.wait(timeout=2)
            self._server = None

    # --- exporter output ------------------------------------------------------------------------------------

    def commit(self) -> None:
        """Move every staged export into place (after the solve succeeded)."""
        for target in self._targets.values():
            staging = target.staging
            if not staging.exists():
                continue
            if target.is_dir:
                target.dest.mkdir(parents=True, exist_ok=True)
                for child in staging.iterdir():
                    final = target.dest / child.name
                    if final.is_dir() and not final.is_symlink():
                        shutil.rmtree(final)
                    elif final.exists() or final.is_symlink():
                        final.unlink()
                    os.replace(child, final)
                shutil.rmtree(staging, ignore_errors=True)
            else:
                os.replace(staging, target.dest)

    def discard(self) -> None:
        for target in self._targets.values():
            staging = target.staging
            if staging.is_dir():
                shutil.rmtree(staging, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    staging.unlink()
