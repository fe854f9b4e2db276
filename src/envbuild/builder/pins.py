"""What a build takes from the project's lock and from the digests learned on first use.

`envbuild.builder.build` calls these at fixed points: before connecting (`store_for`, `apply_lock`: the lock
compared with the graph, drift refused under `--locked`, else reported by `report_drift`), once connected
(`learn_horust`: the pinned Horust asset without a known checksum is fetched once through BuildKit and its
digest recorded), when the target is complete (`finish_target`: the locked Python set and the lock's digest),
and when the solve fails (`horust_failure`: a changed or unreachable Horust asset explained).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from envbuild.builder.horust import checksum_origin, unreachable_hint
from envbuild.builder.options import BuildOptions
from envbuild.builder.trust import DigestStore, LockDigests, UserDigests
from envbuild.compile.horust import FETCH_STEP, HorustSource
from envbuild.compile.target import BuildTarget
from envbuild.errors import EnvbuildError
from envbuild.graph import Graph

if TYPE_CHECKING:
    from envbuild.buildkit import Client
    from envbuild.buildkit.errors import SolveError
    from envbuild.lock import drift as lock_drift

Note = Callable[[str], None]


def store_for(options: BuildOptions) -> DigestStore:
    """The project's lock when the build has one, else the user's downloads.toml."""
    return LockDigests(options.lock.path) if options.lock is not None else UserDigests()


def note_for(options: BuildOptions) -> Note:
    return options.on_note or (lambda _text: None)


def apply_lock(
    graph: Graph, target: BuildTarget, options: BuildOptions
) -> tuple[Graph, lock_drift.LockPlan | None]:
    """The graph with the lock's download checksums filled in, and the plan; `--locked` and a drift (or a
    pinned Horust asset the lock has no digest for) is a `LockDriftError` naming every difference. Without
    `--locked` the drift stays in the plan, for `report_drift` when the build really runs."""
    use = options.lock
    if use is None:
        return graph, None
    # here, not at the top: the lock's modules (and the compile they import) are for builds with a lock
    from envbuild.lock import drift as lock_drift
    from envbuild.lock.wants import wants

    plan = lock_drift.plan(
        wants(graph, target.platform),
        use.lock,
        function=graph.project.function,
        build_file=graph.project.build_file,
    )
    drift = plan.drift
    if needs_learning(target.horust) and use.locked:
        horust = target.horust
        assert horust is not None
        drift = (*drift, f"+ Horust {horust.version} asset {horust.url} for {target.platform}")
    if drift:
        if use.locked:
            raise lock_drift.drift_error(use.path.name, drift)
        plan = replace(plan, drift=drift)
    if plan.downloads:
        graph = replace(
            graph,
            downloads=tuple(
                replace(d, checksum=plan.downloads[d.url])
                if d.url in plan.downloads and not d.checksum
                else d
                for d in graph.downloads
            ),
        )
    return graph, plan


def report_drift(plan: lock_drift.LockPlan | None, options: BuildOptions) -> None:
    """Say what the build file asks for that the lock does not hold (the build follows the file)."""
    if plan is not None and plan.drift and options.lock is not None:
        from envbuild.lock import drift as lock_drift

        note_for(options)(lock_drift.drift_note(options.lock.path.name, plan.drift))


def without_builder(graph: Graph, target: BuildTarget, options: BuildOptions) -> tuple[Graph, BuildTarget]:
    """What the lock decides with no BuildKit at hand (`debug llb`): download checksums, the base digest,
    the Python set and the label."""
    graph, plan = apply_lock(graph, target, options)
    report_drift(plan, options)
    target = finish_target(target, plan, options)
    if plan is not None and plan.base_digest:
        target = replace(target, base_digest=plan.base_digest)
    return graph, target


def needs_learning(source: HorustSource | None) -> bool:
    return source is not None and source.kind == "release" and not source.checksum


def learn_horust(client: Client, target: BuildTarget, store: DigestStore, note: Note) -> BuildTarget:
    """Fetch the pinned Horust asset once through BuildKit, record its sha256 and say so; the build then
    verifies it like any checksum."""
    from envbuild.builder.downloads import DownloadError, learn_digests

    source = target.horust
    if not needs_learning(source):
        return target
    assert source is not None and source.url is not None
    try:
        digest = learn_digests(client, [source.url], platform=target.platform)[source.url]
    except DownloadError as err:
        raise EnvbuildError(
            f"cannot download Horust {source.version} for {target.platform} from {source.url}: {err.reason}",
            hint=unreachable_hint(),
        ) from None
    store.record(source.url, target.platform, digest)
    note(
        f"Horust {source.version}: first download of {source.url}\n"
        f"  {digest}, recorded in {store.where}; later builds verify it"
    )
    return replace(target, horust=replace(source, checksum=digest))


def finish_target(
    target: BuildTarget, plan: lock_drift.LockPlan | None, options: BuildOptions
) -> BuildTarget:
    """The locked Python set, and the lock's digest when the build follows the lock in every part."""
    if plan is None or options.lock is None:
        return target
    from envbuild.lock import file_digest

    python = plan.python.requirements() if plan.python is not None and plan.python.packages else None
    digest = None if plan.drift else file_digest(options.lock.path)
    return replace(target, python_lock=python, lock_digest=digest)


def horust_failure(
    err: SolveError, client: Client, target: BuildTarget, store: DigestStore
) -> EnvbuildError | None:
    """A clear error when the solve failed fetching the Horust release, else None (not ours to explain)."""
    from envbuild.builder.downloads import DownloadError, learn_digests

    source = target.horust
    if source is None or source.kind != "release" or not (err.name or "").startswith(FETCH_STEP):
        return None
    assert source.url is not None
    if "digest mismatch" not in err.message:
        return EnvbuildError(
            f"cannot download Horust {source.version} from {source.url}: {err.message}",
            hint=unreachable_hint(),
        )
    origin = checksum_origin(source, recorded=store)
    try:
        now = "sends " + learn_digests(client, [source.url], platform=target.platform)[source.url]
    except DownloadError as fetch_error:
        now = f"answers with nothing usable ({fetch_error.reason})"
    accept = (
        store.forget_hint(source.url)
        if origin == store.where
        else f"set the new digest where {origin} is given"
    )
    return EnvbuildError(
        f"the Horust asset at {source.url} changed: {origin} records {source.checksum}, "
        f"the server now {now}",
        hint=f"a release asset should not change: check where it comes from; to accept the new one, {accept}",
    )
