"""The BuildKit client: Control API calls, solves with sessions and exporters, image-config resolution.

A solve with an image config runs like BuildKit's Go `client.Build`: the Control.Solve carries no definition,
and we act as the frontend over the LLBBridge, solving our definition there and returning its result with the
image config JSON as `containerimage.config` metadata. Every image exporter (Docker's classic `moby` one
included, which ignores export attributes it does not know) reads the config from that metadata.

`Client.build` lets the caller decide the definition inside that same solve: its program gets a `Frontend`
(the worker's LLB capabilities, image configs) and returns what to solve, so a build that must first learn
merge/diff support and its base image's config still costs one Control.Solve.
"""

from __future__ import annotations

import contextlib
import json
import secrets as pysecrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import grpc
from google.rpc import status_pb2

from envbuild._proto.control import control_pb2
from envbuild._proto.gateway import gateway_pb2
from envbuild._proto.pb import ops_pb2
from envbuild._proto.types import worker_pb2
from envbuild.buildkit import capabilities as caps
from envbuild.buildkit.address import parse_address
from envbuild.buildkit.connection import Connection
from envbuild.buildkit.errors import (
    BuildKitError,
    CapabilityError,
    SolveCancelledError,
    SolveError,
    UnreachableError,
)
from envbuild.buildkit.exports import IMAGE_CONFIG_KEY, CacheEntry, Export
from envbuild.buildkit.options import SolveOptions
from envbuild.buildkit.secrets import SecretSource
from envbuild.buildkit.session import ExportTarget, Session, SessionOptions
from envbuild.buildkit.solve_errors import rpc_status, to_solve_error
from envbuild.errors import EnvbuildError
from envbuild.platforms import host_platform
from envbuild.progress.events import StatusEvent, from_status_response
from envbuild.progress.trace import Trace

BUILD_ID_KEY = "buildkit-controlapi-buildid"
#: how many log lines per step the client's trace keeps for error reports and `BuildResult.steps`
TRACE_LOG_LINES = 200
#: how long a failed solve waits for its status stream to end (it ends as BuildKit closes the job's progress,
#: within milliseconds of the Solve's error)
STATUS_DRAIN_SECONDS = 5.0
StatusCallback = Callable[[StatusEvent], None]


@dataclass(frozen=True)
class SolveResult:
    """`exporter_response` is BuildKit's map (e.g. `containerimage.digest`, `image.name`)."""

    exporter_response: Mapping[str, str]
    ref: str = ""
    trace: Trace = field(default_factory=Trace)

    @property
    def vertexes(self) -> frozenset[str]:
        """Every vertex digest the status stream named."""
        return frozenset(self.trace.digests)

    @property
    def image_digest(self) -> str:
        return self.exporter_response.get("containerimage.digest", "")


class Frontend:
    """The gateway of one running build, for a `Client.build` program: what it may ask BuildKit before it
    decides the definition to solve. Every call rides in the build's own Control.Solve."""

    def __init__(self, client: Client, metadata: list[tuple[str, str]]):
        self._client = client
        self._metadata = metadata
        self._pong: gateway_pb2.PongResponse | None = None

    def llb_caps(self) -> dict[str, bool]:
        """LLB capability id → enabled on this worker (e.g. `mergeop`, off with Docker's classic store)."""
        if self._pong is None:
            self._pong = self._client._gw_ping(gateway_pb2.PingRequest(), metadata=self._metadata, timeout=60)
        return {cap.ID: cap.Enabled for cap in self._pong.LLBCaps}

    @property
    def merge_diff(self) -> bool:
        found = self.llb_caps()
        return found.get("mergeop", False) and found.get("diffop", False)

    def resolve_image_config(
        self, ref: str, platform: ops_pb2.Platform | None = None, *, resolve_mode: str = "default"
    ) -> tuple[str, dict[str, Any]]:
        """(manifest digest, image config) of `ref` as the worker sees it: local-only images need no
        registry."""
        request = gateway_pb2.ResolveImageConfigRequest(
            Ref=ref, ResolveMode=resolve_mode, LogName=f"resolve {ref}"
        )
        if platform is not None:
            request.Platform.CopyFrom(platform)
        try:
            response = self._client._gw_resolve(request, metadata=self._metadata, timeout=300)
        except grpc.RpcError as exc:
            raise SolveError(exc.details() or str(exc.code()), name=f"resolve {ref}") from exc
        return response.Digest, json.loads(response.Config or b"{}")


#: what a `Client.build` program returns: the definition to solve and the image config (None: not an image)
Program = Callable[[Frontend], tuple[ops_pb2.Definition, Mapping[str, Any] | None]]


class Client:
    """Use as a context manager; `connect()` builds one from an address."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self._caps: caps.Capabilities | None = None
        self._worker: caps.Worker | None = None
        ch = connection.channel

        def unary(service: str, method: str, req: Any, resp: Any) -> Any:
            return ch.unary_unary(
                f"/{service}/{method}",
                request_serializer=req.SerializeToString,
                response_deserializer=resp.FromString,
            )

        control = "moby.buildkit.v1.Control"
        bridge = "moby.buildkit.v1.frontend.LLBBridge"
        self._solve = unary(control, "Solve", control_pb2.SolveRequest, control_pb2.SolveResponse)
        self._info = unary(control, "Info", control_pb2.InfoRequest, control_pb2.InfoResponse)
        self._workers = unary(
            control, "ListWorkers", control_pb2.ListWorkersRequest, control_pb2.ListWorkersResponse
        )
        self._du = unary(control, "DiskUsage", control_pb2.DiskUsageRequest, control_pb2.DiskUsageResponse)
        self._status = ch.unary_stream(
            f"/{control}/Status",
            request_serializer=control_pb2.StatusRequest.SerializeToString,
            response_deserializer=control_pb2.StatusResponse.FromString,
        )
        self._prune = ch.unary_stream(
            f"/{control}/Prune",
            request_serializer=control_pb2.PruneRequest.SerializeToString,
            response_deserializer=control_pb2.UsageRecord.FromString,
        )
        self._gw_solve = unary(bridge, "Solve", gateway_pb2.SolveRequest, gateway_pb2.SolveResponse)
        self._gw_return = unary(bridge, "Return", gateway_pb2.ReturnRequest, gateway_pb2.ReturnResponse)
        self._gw_ping = unary(bridge, "Ping", gateway_pb2.PingRequest, gateway_pb2.PongResponse)
        self._gw_resolve = unary(
            bridge,
            "ResolveImageConfig",
            gateway_pb2.ResolveImageConfigRequest,
            gateway_pb2.ResolveImageConfigResponse,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    # --- plain Control calls --------------------------------------------------------------------------------

    def _call(self, fn: Callable[..., Any], request: Any, **kwargs: Any) -> Any:
        try:
            return fn(request, timeout=kwargs.pop("timeout", 60), **kwargs)
        except grpc.RpcError as exc:
            raise self._transport_error(exc) from exc

    def _transport_error(self, exc: grpc.RpcError) -> BuildKitError:
        if exc.code() == grpc.StatusCode.UNAVAILABLE:
            dial_error = self.connection.dial_error()
            if isinstance(dial_error, BuildKitError):
                return dial_error
            return UnreachableError(f"BuildKit at {self.connection.address} is unavailable ({exc.details()})")
        return BuildKitError(f"BuildKit at {self.connection.address} answered: {exc.details()}")

    def info(self) -> str:
        """The BuildKit version string (`v0.0.0+unknown` inside Docker)."""
        return self._call(self._info, control_pb2.InfoRequest()).buildkitVersion.version

    def list_workers(self) -> list[worker_pb2.WorkerRecord]:
        return list(self._call(self._workers, control_pb2.ListWorkersRequest()).record)

    def disk_usage(self, filters: Sequence[str] = ()) -> list[control_pb2.UsageRecord]:
        return list(self._call(self._du, control_pb2.DiskUsageRequest(filter=list(filters))).record)

    def prune(self, *, all: bool = False, filters: Sequence[str] = (), keep_bytes: int = 0) -> list[Any]:
        """Prune BuildKit's cache (records matching `filters`, e.g. `id==...`); returns what went."""
        request = control_pb2.PruneRequest(filter=list(filters), all=all, keepBytes=keep_bytes)
        try:
            return list(self._prune(request, timeout=600))
        except grpc.RpcError as exc:
            raise self._transport_error(exc) from exc

    # --- capabilities ---------------------------------------------------------------------------------------

    def worker(self) -> caps.Worker:
        """Which worker this is and the exporters it offers, from its labels (no solve)."""
        if self._worker is None:
            workers = self.list_workers()
            labels = dict(workers[0].Labels) if workers else {}
            kind = caps.worker_kind(labels, self.connection.is_moby)
            self._worker = caps.Worker(
                kind=kind,
                exporters=caps.exporters_for(kind, labels),
                snapshotter=labels.get(caps.SNAPSHOTTER_LABEL, ""),
            )
        return self._worker

    def capabilities(self) -> caps.Capabilities:
        """Everything about the worker, merge/diff support included (that takes a solve: `build` learns it
        inside its own instead)."""
        if self._caps is None:
            worker = self.worker()
            box: dict[str, bool] = {}

            def program(frontend: Frontend) -> None:
                box["merge_diff"] = frontend.merge_diff

            self._run(None, SolveOptions(), frontend=self._frontend_only(program))
            self._caps = caps.Capabilities(
                merge_diff=box["merge_diff"],
                exporters=worker.exporters,
                worker=worker.kind,
                version=self.info(),
                snapshotter=worker.snapshotter,
            )
        return self._caps

    # --- image config ---------------------------------------------------------------------------------------

    def resolve_image_config(
        self, ref: str, platform: ops_pb2.Platform | None = None, *, resolve_mode: str = "default"
    ) -> tuple[str, dict[str, Any]]:
        """(manifest digest, image config) of `ref` through BuildKit, in a solve of its own (`build` asks its
        `Frontend` instead)."""
        box: dict[str, tuple[str, dict[str, Any]]] = {}

        def program(frontend: Frontend) -> None:
            box["found"] = frontend.resolve_image_config(ref, platform, resolve_mode=resolve_mode)

        self._run(None, SolveOptions(), frontend=self._frontend_only(program))
        return box["found"]

    def _frontend_only(
        self, program: Callable[[Frontend], None]
    ) -> Callable[[str, list[tuple[str, str]]], gateway_pb2.Result | None]:
        def frontend(build_id: str, metadata: list[tuple[str, str]]) -> gateway_pb2.Result:
            program(Frontend(self, metadata))
            return gateway_pb2.Result()

        return frontend

    # --- solve ----------------------------------------------------------------------------------------------

    def solve(
        self,
        definition: ops_pb2.Definition,
        options: SolveOptions | None = None,
        *,
        on_status: StatusCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> SolveResult:
        """Solve `definition` and run `options.exports`. `cancel` (or Ctrl-C) stops it.

        `on_status` gets every `StatusEvent` as it arrives (the caller's display, if any); errors name the
        failed step from the client's own `Trace` whatever the caller shows.
        """
        options = options or SolveOptions()
        if options.image_config is None:
            return self._solve_with(definition, None, options, on_status=on_status, cancel=cancel)
        image_config = options.image_config
        return self.build(lambda _: (definition, image_config), options, on_status=on_status, cancel=cancel)

    def build(
        self,
        program: Program,
        options: SolveOptions | None = None,
        *,
        on_status: StatusCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> SolveResult:
        """One Control.Solve in which `program` (run as the frontend, with a `Frontend` to ask the worker)
        decides the definition and image config; then `options.exports` run as for `solve`. An image config
        in `options` is ignored: the program's is the one."""
        return self._solve_with(None, program, options or SolveOptions(), on_status=on_status, cancel=cancel)

    def _solve_with(
        self,
        definition: ops_pb2.Definition | None,
        program: Program | None,
        options: SolveOptions,
        *,
        on_status: StatusCallback | None,
        cancel: threading.Event | None,
    ) -> SolveResult:
        _check_inputs(options.local_dirs, options.secrets)
        self._check_exports(options.exports)
        cache_imports, cache_exports, cache_dirs = _local_caches(options.cache_imports, options.cache_exports)
        options = replace(options, cache_imports=cache_imports, cache_exports=cache_exports)
        sent: list[ops_pb2.Definition] = [definition] if definition is not None else []
        frontend = None
        if program is not None:

            def frontend(build_id: str, metadata: list[tuple[str, str]]) -> gateway_pb2.Result:
                solved, image_config = program(Frontend(self, metadata))
                sent.append(solved)
                request = gateway_pb2.SolveRequest(allowResultReturn=True, allowResultArrayRef=True)
                request.Definition.CopyFrom(solved)
                request.CacheImports.extend(
                    gateway_pb2.CacheOptionsEntry(Type=c.type, Attrs=dict(c.attrs)) for c in cache_imports
                )
                response = self._gw_solve(request, metadata=metadata)
                result = gateway_pb2.Result()
                if image_config is not None:
                    result.metadata[IMAGE_CONFIG_KEY] = image_config_json(image_config)
                result.ref.CopyFrom(response.result.ref)
                return result

        return self._run(
            definition,
            options,
            frontend=frontend,
            on_status=on_status,
            cancel=cancel,
            cache_dirs=cache_dirs,
            sent=sent,
        )

    def _check_exports(self, exports: Sequence[Export]) -> None:
        if not exports:
            return
        available = self.worker().exporters
        for export in exports:
            if export.type not in available:
                raise CapabilityError(
                    f"this builder ({self.connection.address}) has no {export.type!r} exporter; "
                    f"it offers {', '.join(sorted(available))}",
                    hint="Docker's containerd image store or a standalone buildkitd offers image/docker/oci",
                )

    def _run(
        self,
        definition: ops_pb2.Definition | None,
        options: SolveOptions,
        *,
        frontend: Callable[[str, list[tuple[str, str]]], gateway_pb2.Result | None] | None = None,
        on_status: StatusCallback | None = None,
        cancel: threading.Event | None = None,
        cache_dirs: Mapping[Path, str] | None = None,
        sent: Sequence[ops_pb2.Definition] = (),
    ) -> SolveResult:
        """Run one solve: `definition` is what the Solve sends (None when `frontend` solves it over the
        gateway); failures are located in the definition `sent` holds once the frontend has decided it."""
        ref = pysecrets.token_hex(13)
        loads: list[Path] = []
        targets = []
        for index, export in enumerate(options.exports):
            if not export.writes_to_client:
                continue
            dest = export.dest
            if dest is None:  # docker/oci tarball to load into Docker afterwards
                dest = self.connection.private_path(f"load-{ref}-{index}.tar")
                loads.append(dest)
            targets.append(ExportTarget(index, Path(dest).absolute(), is_dir=export.type == "local"))
        session = Session(
            SessionOptions(
                local_dirs={k: Path(v).absolute() for k, v in options.local_dirs.items()},
                secrets=dict(options.secrets),
                ssh=dict(options.ssh),
                targets=tuple(targets),
                content_stores=tuple(cache_dirs or {}),
            )
        )
        request = control_pb2.SolveRequest(
            Ref=ref,
            Session=session.id,
            Entitlements=list(options.entitlements),
            FrontendAttrs=dict(options.frontend_attrs),
            Internal=not options.history,
        )
        request.Cache.SetInParent()  # BuildKit v0.17 dereferences Cache without a nil check
        if definition is not None and frontend is None:
            request.Definition.CopyFrom(definition)
        for export in options.exports:
            request.Exporters.add(Type=export.type, Attrs=export.wire_attrs())
        for entry in options.cache_imports:
            request.Cache.Imports.add(Type=entry.type, Attrs=dict(entry.attrs))
        for entry in options.cache_exports:
            request.Cache.Exports.add(Type=entry.type, Attrs=dict(entry.attrs))

        trace = Trace(log_lines=TRACE_LOG_LINES)
        sinks: list[StatusCallback] = [trace.record]
        if on_status is not None:
            sinks.append(on_status)

        session.start(self.connection)
        status_thread = threading.Thread(
            target=self._follow_status, args=(ref, sinks), name="buildkit-status", daemon=True
        )
        status_thread.start()
        future = self._solve.future(request)
        frontend_error: list[BaseException] = []
        if frontend is not None:
            threading.Thread(
                target=self._run_frontend, args=(ref, frontend, frontend_error), name="frontend", daemon=True
            ).start()
        try:
            response = self._wait(future, cancel)
        except grpc.RpcError as exc:
            session.discard()
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                dial_error = self.connection.dial_error()
                if isinstance(dial_error, BuildKitError):
                    raise dial_error from None
                raise UnreachableError(
                    f"lost the connection to BuildKit at {self.connection.address} during the build "
                    f"({exc.details()})",
                    hint="check that the daemon is still running, then build again",
                ) from None
            if frontend_error and isinstance(frontend_error[0], EnvbuildError):
                raise frontend_error[0] from None  # the program's own, already worded for the user
            error = (
                frontend_error[0] if frontend_error and isinstance(frontend_error[0], grpc.RpcError) else exc
            )
            # a solve kept out of the history returns its error before its last progress reaches us; the
            # failed step's name, command and output are in that progress, so read the stream to its end
            status_thread.join(timeout=STATUS_DRAIN_SECONDS)
            raise to_solve_error(error, trace, sent[0] if sent else definition) from None
        except BaseException:
            session.discard()
            raise
        finally:
            session.close()
            status_thread.join(timeout=10)
        if session.errors:
            session.discard()
            raise BuildKitError(session.errors[0])
        session.commit()
        manifest = response.ExporterResponse.get("cache.manifest")
        if manifest:
            from envbuild.buildkit import content_store  # local cache export only

            for directory, tag in (cache_dirs or {}).items():
                if tag:  # export directories carry a tag; import-only ones carry ""
                    content_store.LocalStore(directory).tag_index(tag, json.loads(manifest))
        for tarball in loads:
            _docker_load(tarball)
        return SolveResult(dict(response.ExporterResponse), ref=ref, trace=trace)

    def _wait(self, future: grpc.Future, cancel: threading.Event | None) -> control_pb2.SolveResponse:
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    future.cancel()
                    raise SolveCancelledError("the build was cancelled; nothing was exported")
                try:
                    return future.result(timeout=0.2)
                except grpc.FutureTimeoutError:
                    continue
                except grpc.FutureCancelledError:
                    raise SolveCancelledError("the build was cancelled; nothing was exported") from None
        except KeyboardInterrupt:
            future.cancel()
            raise SolveCancelledError("the build was interrupted (Ctrl-C); nothing was exported") from None

    def _run_frontend(
        self,
        ref: str,
        frontend: Callable[[str, list[tuple[str, str]]], gateway_pb2.Result | None],
        errors: list[BaseException],
    ) -> None:
        """Act as the frontend of build `ref`, then hand BuildKit the result (or the error) with Return."""
        metadata = [(BUILD_ID_KEY, ref)]
        request = gateway_pb2.ReturnRequest()
        try:
            result = frontend(ref, metadata)
            if result is not None:
                request.result.CopyFrom(result)
        except grpc.RpcError as exc:
            errors.append(exc)
            status = rpc_status(exc) or status_pb2.Status(
                code=exc.code().value[0], message=exc.details() or ""
            )
            request.error.CopyFrom(status)
        except Exception as exc:  # the program refused (EnvbuildError) or our bug: end the build, no hang
            errors.append(exc)
            request.error.CopyFrom(status_pb2.Status(code=2, message=f"envbuild frontend failed: {exc}"))
        with contextlib.suppress(grpc.RpcError):
            self._gw_return(request, metadata=metadata, timeout=60)

    def _follow_status(self, ref: str, sinks: list[StatusCallback]) -> None:
        try:
            for response in self._status(control_pb2.StatusRequest(Ref=ref)):
                event = from_status_response(response)
                for sink in sinks:
                    with contextlib.suppress(Exception):  # a display bug must not break the build
                        sink(event)
        except grpc.RpcError:
            return


def _local_caches(
    imports: Sequence[CacheEntry], exports: Sequence[CacheEntry]
) -> tuple[list[CacheEntry], list[CacheEntry], dict[Path, str]]:
    """Resolve `local` cache entries as buildctl does: absolute directories (they name the session's content
    stores), an import's manifest digest looked up by tag in index.json (an import with nothing there yet
    is dropped), and the export directories mapped to the tag to record once the solve is done."""
    dirs: dict[Path, str] = {}
    out_imports: list[CacheEntry] = []
    for entry in imports:
        if entry.type != "local":
            out_imports.append(entry)
            continue
        from envbuild.buildkit import content_store  # local cache import only

        directory = Path(entry.attrs.get("src", "")).absolute()
        tag = entry.attrs.get("tag", "latest")
        digest = entry.attrs.get("digest") or content_store.LocalStore(directory).lookup(tag)
        if not digest:
            continue
        dirs.setdefault(directory, "")
        out_imports.append(CacheEntry("local", {"src": str(directory), "digest": digest}))
    out_exports: list[CacheEntry] = []
    for entry in exports:
        if entry.type != "local":
            out_exports.append(entry)
            continue
        if not entry.attrs.get("dest"):
            raise BuildKitError("a local cache export needs a destination directory (dest=)")
        directory = Path(entry.attrs["dest"]).absolute()
        directory.mkdir(parents=True, exist_ok=True)
        attrs = {k: v for k, v in entry.attrs.items() if k != "tag"}
        attrs["dest"] = str(directory)
        dirs[directory] = entry.attrs.get("tag", "latest")
        out_exports.append(CacheEntry("local", attrs))
    return out_imports, out_exports, dirs


def _check_inputs(local_dirs: Mapping[str, Path], secrets: Mapping[str, SecretSource]) -> None:
    """Missing host inputs fail before anything is sent, naming the input, not deep inside a step."""
    for name, path in local_dirs.items():
        if not Path(path).is_dir():
            raise BuildKitError(f"local directory {str(path)!r} for source {name!r} does not exist")
    for secret_id, source in secrets.items():
        if isinstance(source, (Path, str)) and not Path(source).is_file():
            raise BuildKitError(
                f"secret {secret_id!r} reads {str(source)!r}, which is not a file",
                hint="pass the secret's bytes, an existing file, or EnvSecret(NAME)",
            )


def image_config_json(image_config: Mapping[str, Any]) -> bytes:
    """A full OCI image config for the exporter. Either pass one (with `os`/`architecture`), or just its
    `config` part (`Env`, `Entrypoint`, `Cmd`, `WorkingDir`, `User`, `Labels`, `ExposedPorts`), which is
    wrapped for this host's platform. The exporter adds `rootfs` and `history` itself."""
    config = dict(image_config)
    if "os" not in config and "architecture" not in config:
        host = host_platform()
        config = {"architecture": host.architecture, "os": "linux", "config": config}
    config.setdefault("os", "linux")
    return json.dumps(config, sort_keys=True).encode()


def _docker_load(tarball: Path) -> None:
    import docker

    try:
        client = docker.from_env()
        with open(tarball, "rb") as fh:
            client.images.load(fh)
    except Exception as exc:
        raise BuildKitError(f"loading the exported image into Docker failed: {exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tarball.unlink()


def connect(address: str | None = None) -> Client:
    """A client for `address` (see `envbuild.buildkit.address`); None: BUILDKIT_HOST or the moby worker."""
    return Client(Connection(parse_address(address)))
