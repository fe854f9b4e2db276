"""`envbuild build` as a function: resolve what the compiler needs, compile, solve, report the image.

The target is learned in two parts: what the host decides (`local_target`: platform, owner, CA bundle and
proxy, where Horust comes from) and what only BuildKit knows (merge/diff support, the base image's config and
digest), learned inside the build's one solve. `envbuild debug llb` uses the first part alone, so it prints
what a build on this host would send. `up_to_date` answers, before any solve, whether the image in Docker's
store was built from the same inputs (builder/freshness.py).

Planning and the up-to-date check load neither the LLB API nor the compiler (`compile/inputs.py` names the
directories a build reads): a no-op build pays for neither. They are imported where a build compiles.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild import platforms
from envbuild.builder import pins
from envbuild.builder.freshness import (
    build_key,
    inspect_image,
    recorded_key,
    skippable,
    tree_digest,
    with_key,
)
from envbuild.builder.horust import horust_source
from envbuild.builder.network import NetworkSettings, discover
from envbuild.builder.options import BuildOptions
from envbuild.builder.outputs import OutputSpec, exporter_for, parse_output, qualify_image_name
from envbuild.builder.result import BuildResult
from envbuild.compile import inputs
from envbuild.compile.target import BaseImageConfig, BuildTarget
from envbuild.errors import EnvbuildError
from envbuild.graph import Graph

if TYPE_CHECKING:
    from envbuild import buildkit
    from envbuild._proto.pb import ops_pb2
    from envbuild.compile.pipeline import CompiledBuild
    from envbuild.lock.drift import LockPlan


def default_tag(graph: Graph) -> str:
    """envd tags `<env>:dev`; the name must be a valid repository, so the project name is lowered."""
    name = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in graph.project.name.lower()).strip(
        "._-"
    )
    return qualify_image_name(f"{name or 'env'}:dev")


def owner_for(graph: Graph, options: BuildOptions) -> tuple[int, int]:
    """envd's order: `--owner`, else `config.owner`, else the host user."""
    if options.owner is not None:
        return options.owner
    if graph.config.owner is not None:
        return graph.config.owner.uid, graph.config.owner.gid
    return os.getuid(), os.getgid()


def local_target(
    graph: Graph, options: BuildOptions, *, merge_diff: bool = True
) -> tuple[BuildTarget, NetworkSettings]:
    """The target as far as this host decides it; the base image's config is left for BuildKit to fill in
    (and a Horust checksum nobody recorded yet, for `build` to learn)."""
    platform = options.platform or str(platforms.host_platform())
    ca_flag = str(options.ca_bundle) if options.ca_bundle is not None else None
    network = discover(ca_bundle=ca_flag, use_proxy=options.use_proxy)
    uid, gid = owner_for(graph, options)
    horust = (
        horust_source(options.horust, platform=platform, recorded=pins.store_for(options))
        if graph.base.dev
        else None
    )
    target = BuildTarget(
        platform=platform,
        merge_diff=merge_diff,
        uid=uid,
        gid=gid,
        ca_bundle=network.ca_bundle is not None,
        proxy=network.proxy,
        ssh_public_key=options.ssh_public_key,
        no_cache=options.no_cache,
        horust=horust,
    )
    return target, network


@dataclass(frozen=True)
class BuildPlan:
    """What a build is, as far as this host knows before asking BuildKit: made once, by `plan_build`, for
    both the up-to-date check and the build."""

    graph: Graph  # with the lock's download checksums
    lock_plan: LockPlan | None
    outputs: tuple[OutputSpec, ...]
    target: BuildTarget
    network: NetworkSettings
    address: str
    local_dirs: dict[str, str]  # the local sources the build reads, by name
    input_digests: dict[str, str]  # the `tree_digest` of each, by name
    key: str
    store_name: str | None  # the image to look up in Docker's store, when the build can be skipped
    engine: str | None  # that store's Docker engine (the moby worker's docker host), else None


def plan_build(graph: Graph, options: BuildOptions) -> BuildPlan:
    """The plan of building `graph` with `options` (a `--locked` drift is refused here; another drift is
    kept in the plan and reported by the build)."""
    from envbuild.buildkit.address import parse_address

    outputs = options.outputs or (parse_output("type=image", default_name=options.tag or default_tag(graph)),)
    target, network = local_target(graph, options)
    graph, lock_plan = pins.apply_lock(graph, target, options)
    target = pins.finish_target(target, lock_plan, options)
    address = options.address
    if address is None:
        from envbuild import contexts

        address = contexts.select().address
    parsed = parse_address(address)
    local_dirs = inputs.local_dirs(graph, target)
    digests = {name: tree_digest(path) for name, path in local_dirs.items()}
    key = build_key(graph, target, options, outputs, address, digests)
    engine = parsed.docker_host if parsed.scheme == "moby-worker" else None
    store_name = skippable(outputs, engine)
    return BuildPlan(
        graph, lock_plan, outputs, target, network, address, local_dirs, digests, key, store_name, engine
    )


def up_to_date(
    plan: BuildPlan, options: BuildOptions, seen: dict[str, str | None] | None = None
) -> BuildResult | None:
    """The result of the planned build when the builder's store already holds it (built by envbuild from
    the same graph, target, options and input files), without any solve; None when a build is needed. The
    lock's notes are left to the build. `seen` is given the image id the store had for the name (None for
    none), for `build` to watch without asking the engine again."""
    if options.force:
        return None
    if plan.store_name is None or plan.engine is None or pins.needs_learning(plan.target.horust):
        return None
    try:
        image = inspect_image(plan.engine, plan.store_name)
    except OSError:  # no answer we can use: just build
        return None
    if seen is not None:
        seen[plan.store_name] = image.get("Id") if image is not None else None
    if image is None or recorded_key(image) != plan.key:
        return None
    return BuildResult(
        name=plan.store_name,
        digest=image.get("Id"),
        compiled=None,
        exporter_response={},
        notes=plan.network.notes,
        up_to_date=True,
    )


def build(
    graph: Graph,
    options: BuildOptions | None = None,
    plan: BuildPlan | None = None,
    seen: dict[str, str | None] | None = None,
) -> BuildResult:
    """Build `graph` on `options.address`, else as `contexts.select` decides (BUILDKIT_HOST, else the current
    context), and export it, in one solve:
    the worker's merge/diff support and the base image's config are learned inside it, then the graph is
    compiled and solved there (`buildkit.Client.build`). An image for Docker's store gets the build key.

    Raises `EnvbuildError` (from BuildKit: with the failing step, its command and last log lines).
    With `options.lock`, the lock's pins are applied (and a drift refused under `--locked`, else reported).
    `plan`: what `plan_build` made of the same graph and options, when the caller already asked for it;
    `seen`: the image ids `up_to_date` found for it just before.
    """
    from envbuild import buildkit, llb
    from envbuild._proto.pb import ops_pb2
    from envbuild.builder.interrupted import ImageNames
    from envbuild.buildkit.errors import SolveCancelledError, SolveError
    from envbuild.buildkit.options import SolveOptions
    from envbuild.compile.pipeline import base_ref, compile_graph

    options = options or BuildOptions()
    plan = plan or plan_build(graph, options)
    pins.report_drift(plan.lock_plan, options)
    graph = plan.graph
    store = pins.store_for(options)
    ref = base_ref(graph)
    plat = llb.Platform.parse(plan.target.platform)
    pb_platform = ops_pb2.Platform(OS=plat.os, Architecture=plat.architecture, Variant=plat.variant)
    locked_digest = plan.lock_plan.base_digest if plan.lock_plan is not None else None
    wanted_ref = f"{ref}@{locked_digest}" if locked_digest and "@" not in ref else ref
    compiled_in_solve: list[CompiledBuild] = []

    def program(
        frontend: buildkit.Frontend, target: BuildTarget
    ) -> tuple[ops_pb2.Definition, dict[str, Any]]:
        merge_diff = options.merge_diff is not False and frontend.merge_diff
        try:
            digest, config = frontend.resolve_image_config(wanted_ref, pb_platform)
        except EnvbuildError as err:
            hint = "build or pull it into the builder's image store first (docker images lists Docker's)"
            if wanted_ref != ref:
                hint = f"envbuild.lock pins the digest: {hint}, or move the pin: `envbuild lock --upgrade`"
            raise EnvbuildError(
                f"base image {wanted_ref} cannot be found: {err.message}",
                hint=hint,
                location=graph.base.location,
            ) from err
        base = BaseImageConfig.from_oci(config)
        target = replace(target, merge_diff=merge_diff, base_config=base, base_digest=locked_digest or digest)
        compiled = compile_graph(graph, target=target)
        compiled_in_solve.append(compiled)
        image_config = compiled.image_config
        if plan.store_name is not None:
            image_config = with_key(image_config, plan.key)
        return compiled.definition, image_config

    with buildkit.connect(plan.address) as client:
        # only on first use of a pinned Horust release nobody recorded a digest for: a fetch of its own
        target = pins.learn_horust(client, plan.target, store, pins.note_for(options))
        worker = client.worker()
        exports = []
        for spec in plan.outputs:
            choice = exporter_for(spec, exporters=worker.exporters, worker=worker.kind)
            exports.append(buildkit.Export(type=choice.type, attrs=choice.attrs, dest=choice.dest))
        ca = plan.network.ca_bundle
        watched = ImageNames(
            plan.address,
            [s.name for s in plan.outputs if s.type == "image" and s.name and not s.push],
            seen or {},
        )
        try:
            response = client.build(
                lambda frontend: program(frontend, target),
                SolveOptions(
                    exports=exports,
                    local_dirs={name: Path(path) for name, path in plan.local_dirs.items()},
                    secrets={inputs.CA_SECRET_ID: ca} if ca is not None else {},
                    cache_imports=[_cache_entry(c) for c in options.cache_imports],
                    cache_exports=[_cache_entry(c) for c in options.cache_exports],
                    history=options.history,
                ),
                on_status=options.on_status,
            )
        except SolveCancelledError as err:
            raise watched.interrupted(err) from None
        except EnvbuildError as err:
            image_id = watched.named_meanwhile(err)
            if image_id is None:
                if isinstance(err, SolveError):
                    raise (pins.horust_failure(err, client, target, store) or err) from None
                raise
            return BuildResult(
                name=next(s.name for s in plan.outputs if s.type == "image"),
                digest=None,
                compiled=compiled_in_solve[-1] if compiled_in_solve else None,
                exporter_response={"containerimage.config.digest": image_id},
                steps=(),
                notes=(*plan.network.notes, "another build of the same image named it first; using that one"),
            )
        finally:
            watched.close()
    compiled = compiled_in_solve[-1]
    notes = plan.network.notes + _share_registry_caches(compiled.definition, options.cache_exports)
    name = next((s.name for s in plan.outputs if s.type == "image"), None)
    exporter_response = dict(response.exporter_response)
    return BuildResult(
        name=name,
        digest=exporter_response.get("containerimage.digest"),
        compiled=compiled,
        exporter_response=exporter_response,
        steps=response.trace.vertex_records(),
        notes=notes,
    )


def _share_registry_caches(definition, exports: tuple[dict[str, str], ...]) -> tuple[str, ...]:
    """Registry caches just exported get both BuildKit generations' keys (`team_cache`); a failure there
    costs the build nothing but is reported."""
    registries = [spec for spec in exports if spec.get("type") == "registry" and spec.get("ref")]
    if not registries:
        return ()
    from envbuild.builder.team_cache import share_registry_cache

    notes = []
    for spec in registries:
        try:
            result = share_registry_cache(
                definition, spec["ref"], insecure=spec.get("registry.insecure") == "true"
            )
        except EnvbuildError as err:
            notes.append(
                f"the cache at {spec['ref']} serves only builders of this BuildKit generation: {err.message}"
            )
            continue
        if result.twins:
            notes.append(
                f"cache {spec['ref']}: {result.twins} steps also keyed for the other BuildKit generation "
                "(<= v0.16 / >= v0.17), so builders of both reuse it"
            )
    return tuple(notes)


def _cache_entry(spec: dict[str, str]):
    from envbuild import buildkit

    attrs = {k: v for k, v in spec.items() if k != "type"}
    return buildkit.CacheEntry(spec["type"], attrs)
