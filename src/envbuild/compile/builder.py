"""`envbuild build` as a function: resolve what the compiler needs, compile, solve, report the image.

The only module in `compile/` with side effects: it talks to BuildKit (base image config, worker capabilities,
the solve) and reads the host (uid, CA bundle, proxy variables). `envbuild up` calls `build` too.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from envbuild.compile.outputs import OutputSpec, exporter_for, parse_output, qualify_image_name
from envbuild.compile.pipeline import CompiledBuild, base_ref, compile_graph
from envbuild.compile.steps import CA_SECRET_ID
from envbuild.compile.target import BaseImageConfig, BuildTarget
from envbuild.errors import EnvbuildError
from envbuild.graph import Graph


@dataclass(frozen=True)
class BuildOptions:
    """What `envbuild build` takes besides the graph; every field has the CLI's default."""

    address: str | None = None
    tag: str | None = None
    outputs: tuple[OutputSpec, ...] = ()
    platform: str | None = None
    no_cache: bool = False
    cache_imports: tuple[dict[str, str], ...] = ()
    cache_exports: tuple[dict[str, str], ...] = ()
    progress: str = "auto"
    use_proxy: bool = False
    ca_bundle: Path | None = None
    owner: tuple[int, int] | None = None
    merge_diff: bool | None = None
    ssh_public_key: str | None = None
    horust: str | None = None
    on_status: Callable[[Any], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRecord:
    """One vertex as the status stream last reported it: did it come from the cache, did it fail."""

    digest: str
    name: str
    cached: bool
    completed: bool
    error: str = ""
    log: str = ""


class _StepLog:
    """Collects the last state of each vertex from the status stream (for `BuildResult.steps`)."""

    LOG_TAIL = 16 * 1024

    def __init__(self, forward: Callable[[Any], None] | None):
        self.forward = forward
        self.steps: dict[str, StepRecord] = {}
        self.logs: dict[str, bytes] = {}

    def __call__(self, event: Any) -> None:
        for chunk in getattr(event, "logs", ()):
            self.logs[chunk.vertex] = (self.logs.get(chunk.vertex, b"") + chunk.data)[-self.LOG_TAIL :]
        for vertex in getattr(event, "vertexes", ()):
            self.steps[vertex.digest] = StepRecord(
                vertex.digest, vertex.name, vertex.cached, vertex.completed is not None, vertex.error
            )
        if self.forward is not None:
            self.forward(event)

    def records(self) -> tuple[StepRecord, ...]:
        """Each vertex with the tail of what it printed."""
        return tuple(
            replace(step, log=self.logs.get(digest, b"").decode("utf-8", "replace"))
            for digest, step in self.steps.items()
        )


@dataclass(frozen=True)
class BuildResult:
    """The image built: its fully qualified name (None for file/dir outputs only), digest, and what was
    sent."""

    name: str | None
    digest: str | None
    compiled: CompiledBuild
    exporter_response: dict[str, str]
    steps: tuple[StepRecord, ...] = ()
    notes: tuple[str, ...] = ()

    def ran(self) -> list[str]:
        """Names of the steps that really ran (not cached), in stream order."""
        return [s.name for s in self.steps if s.completed and not s.cached]


def default_tag(graph: Graph) -> str:
    """envd tags `<env>:dev`; the name must be a valid repository, so the project name is lowered."""
    name = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in graph.project.name.lower()).strip(
        "._-"
    )
    return qualify_image_name(f"{name or 'env'}:dev")


def host_owner() -> tuple[int, int]:
    return os.getuid(), os.getgid()


def default_platform() -> str:
    machine = os.uname().machine
    return {"x86_64": "linux/amd64", "aarch64": "linux/arm64", "arm64": "linux/arm64"}.get(
        machine, "linux/amd64"
    )


def _owner(graph: Graph, options: BuildOptions) -> tuple[int, int]:
    if options.owner is not None:
        return options.owner
    if graph.config.owner is not None:
        return graph.config.owner.uid, graph.config.owner.gid
    return host_owner()


def build(graph: Graph, options: BuildOptions | None = None) -> BuildResult:
    """Build `graph` on the current context's BuildKit (or `options.address`) and export it.

    Raises `EnvbuildError` (from BuildKit: with the failing step, its command and last log lines).
    """
    from envbuild import buildkit

    options = options or BuildOptions()
    outputs = options.outputs or (parse_output("type=image", default_name=options.tag or default_tag(graph)),)
    platform = options.platform or default_platform()
    from envbuild.compile.proxy import discover

    ca_flag = str(options.ca_bundle) if options.ca_bundle is not None else None
    network = discover(ca_bundle=ca_flag, use_proxy=options.use_proxy)
    ca = network.ca_bundle
    address = options.address
    if address is None:
        from envbuild import contexts

        address = contexts.current().address

    ref = base_ref(graph)
    with buildkit.connect(address) as client:
        caps = client.capabilities()
        merge_diff = (
            caps.merge_diff if options.merge_diff is None else (options.merge_diff and caps.merge_diff)
        )
        from envbuild._proto.pb import ops_pb2
        from envbuild.llb import Platform

        plat = Platform.parse(platform)
        pb_platform = ops_pb2.Platform(OS=plat.os, Architecture=plat.architecture, Variant=plat.variant)
        try:
            digest, config = client.resolve_image_config(ref, pb_platform)
        except EnvbuildError as err:
            raise EnvbuildError(
                f"base image {ref} cannot be found: {err.message}",
                hint="build or pull it into the builder's image store first (docker images lists Docker's)",
                location=graph.base.location,
            ) from err
        uid, gid = _owner(graph, options)
        target = BuildTarget(
            platform=platform,
            merge_diff=merge_diff,
            base_config=BaseImageConfig.from_oci(config),
            base_digest=digest,
            uid=uid,
            gid=gid,
            ca_bundle=ca is not None,
            proxy=network.proxy,
            ssh_public_key=options.ssh_public_key,
            no_cache=options.no_cache,
            horust=options.horust,
        )
        compiled = compile_graph(graph, target=target)
        exports = []
        to_stdout: list[Path] = []
        for spec in outputs:
            choice = exporter_for(spec, exporters=caps.exporters, worker=caps.worker)
            dest = choice.dest
            if choice.to_stdout:
                # BuildKit writes tarballs to a file; `dest=-` streams that file out when the solve is done
                handle, name = tempfile.mkstemp(prefix="envbuild-", suffix=".tar")
                os.close(handle)
                dest = Path(name)
                to_stdout.append(dest)
            exports.append(buildkit.Export(type=choice.type, attrs=choice.attrs, dest=dest))
        from envbuild.buildkit.progress import ProgressRenderer

        try:
            log = _StepLog(options.on_status)
            with ProgressRenderer(options.progress, report_failures=False) as renderer:

                def on_status(event: Any) -> None:
                    renderer.update(event)
                    log(event)

                response = client.solve(
                    compiled.definition,
                    exports=exports,
                    local_dirs={name: Path(path) for name, path in compiled.local_dirs.items()},
                    secrets={CA_SECRET_ID: ca} if ca is not None else {},
                    cache_imports=[_cache_entry(c) for c in options.cache_imports],
                    cache_exports=[_cache_entry(c) for c in options.cache_exports],
                    image_config=compiled.image_config,
                    progress="quiet",
                    on_status=on_status,
                )
                for path in to_stdout:
                    with path.open("rb") as fh:
                        shutil.copyfileobj(fh, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
        finally:
            for path in to_stdout:
                path.unlink(missing_ok=True)
    exporter_response = dict(getattr(response, "exporter_response", {}) or {})
    name = next((s.name for s in outputs if s.type == "image"), None)
    digest_out = exporter_response.get("containerimage.digest")
    return BuildResult(
        name=name,
        digest=digest_out,
        compiled=compiled,
        exporter_response=exporter_response,
        steps=log.records(),
        notes=network.notes,
    )


def _cache_entry(spec: dict[str, str]):
    from envbuild import buildkit

    attrs = {k: v for k, v in spec.items() if k != "type"}
    return buildkit.CacheEntry(spec["type"], attrs)
