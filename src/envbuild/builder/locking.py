"""`envbuild lock`: resolve everything a build would otherwise learn from the network, and write it down.

Base images are resolved through BuildKit (`ResolveImageConfig`, the same call a build makes, so an image
that only exists in the builder's store locks too), include() commits come from the evaluation, the Horust
asset and `io.http` downloads are fetched once through BuildKit and hashed (`builder.downloads`), and the
Python packages are resolved by uv for the target Python and platform (`builder.python_lock`).

What the previous lock holds is kept unless asked otherwise: `upgrade=True` re-resolves every entry, named
`packages` re-resolve just those (Python package names, an include or download URL, or `horust`). The
changes between the old and the new lock are returned as lines for the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from envbuild import llb
from envbuild.builder.downloads import DownloadError, learn_digests
from envbuild.builder.horust import horust_source, unreachable_hint
from envbuild.builder.python_lock import resolve
from envbuild.builder.trust import UserDigests
from envbuild.compile.pipeline import base_ref
from envbuild.errors import EnvbuildError
from envbuild.graph import Graph
from envbuild.lock.model import Lock, LockedBase, LockedDownload, LockedInclude, LockedPython
from envbuild.lock.wants import python_wants

HORUST_NAME = "horust"


@dataclass(frozen=True)
class LockRequest:
    """`platforms` to lock for; `previous` lock (kept where still right); `upgrade` everything, or just the
    named `packages`; `address` of BuildKit (None: the current context); `ca_bundle` for the resolver;
    `horust`: the --horust choice (the Horust asset is locked only when builds use the pinned release)."""

    platforms: tuple[str, ...]
    previous: Lock | None = None
    upgrade: bool = False
    packages: tuple[str, ...] = ()
    address: str | None = None
    ca_bundle: Path | None = None
    horust: str | None = None


@dataclass(frozen=True)
class LockResult:
    lock: Lock
    changes: tuple[str, ...]


def resolve_lock(
    graph: Graph, request: LockRequest, *, on_note: Callable[[str], None] | None = None
) -> LockResult:
    from envbuild import buildkit

    note = on_note or (lambda _text: None)
    previous = request.previous
    if previous is not None and (previous.build_file, previous.function) != (
        graph.project.build_file,
        graph.project.function,
    ):
        previous = None
    everything = request.upgrade and not request.packages
    named = set(request.packages)
    address = request.address
    if address is None:
        from envbuild import contexts

        address = contexts.current().address

    ref = base_ref(graph)
    with buildkit.connect(address) as client:
        bases = tuple(_base(client, graph, ref, p, previous, everything) for p in request.platforms)
        horust = _horust(client, graph, request, previous, everything or HORUST_NAME in named, note)
        downloads = _downloads(client, graph, request.platforms[0], previous, everything, named)
    includes = tuple(
        dict.fromkeys(LockedInclude(url=i.url, commit=i.commit, ref=i.ref) for i in graph.includes)
    )
    python = _python(graph, request, previous, everything, named)
    lock = Lock(
        build_file=graph.project.build_file,
        function=graph.project.function,
        bases=bases,
        includes=includes,
        horust=horust,
        downloads=downloads,
        python=python,
    )
    return LockResult(lock, changes(request.previous, lock))


def _pb_platform(platform: str):
    from envbuild._proto.pb import ops_pb2

    plat = llb.Platform.parse(platform)
    return ops_pb2.Platform(OS=plat.os, Architecture=plat.architecture, Variant=plat.variant)


def _base(
    client, graph: Graph, ref: str, platform: str, previous: Lock | None, everything: bool
) -> LockedBase:
    held = previous.base(ref, platform) if previous is not None else None
    if held is not None and not everything:
        return held
    try:
        digest, _config = client.resolve_image_config(ref, _pb_platform(platform))
    except EnvbuildError as err:
        raise EnvbuildError(
            f"base image {ref} cannot be resolved for {platform}: {err.message}",
            hint="build or pull it into the builder's image store first (for another platform: that "
            "platform's image)",
            location=graph.base.location,
        ) from err
    return LockedBase(image=ref, platform=platform, digest=digest)


def _horust(
    client, graph: Graph, request: LockRequest, previous: Lock | None, relearn: bool, note
) -> tuple[LockedDownload, ...]:
    """The pinned Horust asset of each platform (dev images using the pinned release only): the table's or
    $ENVBUILD_HORUST_SHA256's checksum when there is one, else the lock's, else the one this user already
    learned, else learned now."""
    if not graph.base.dev:
        return ()
    out = []
    users = UserDigests()
    for platform in request.platforms:
        source = horust_source(request.horust, platform=platform)
        if source.kind != "release" or source.version == "custom" or source.url is None:
            continue
        held = previous.horust_for(source.url) if previous is not None else None
        digest = source.checksum
        if digest is None and held is not None and not relearn:
            digest = held.sha256
        if digest is None and not relearn:
            digest = users.get(source.url)
        if digest is None:
            try:
                digest = learn_digests(client, [source.url], platform=platform)[source.url]
            except DownloadError as err:
                raise EnvbuildError(
                    f"cannot download Horust {source.version} from {source.url}: {err.reason}",
                    hint=unreachable_hint(),
                ) from None
            note(f"Horust {source.version}: fetched {source.url} ({digest})")
        out.append(LockedDownload(url=source.url, sha256=digest, platform=platform))
    return tuple(out)


def _downloads(
    client, graph: Graph, platform: str, previous: Lock | None, everything: bool, named: set[str]
) -> tuple[LockedDownload, ...]:
    known: dict[str, str] = {}
    to_learn: list[str] = []
    for item in graph.downloads:
        held = previous.download(item.url) if previous is not None else None
        if item.checksum:
            known[item.url] = item.checksum
        elif held is not None and not everything and item.url not in named:
            known[item.url] = held.sha256
        else:
            to_learn.append(item.url)
    if to_learn:
        try:
            known.update(learn_digests(client, to_learn, platform=platform))
        except DownloadError as err:
            location = next((d.location for d in graph.downloads if d.url == err.url), None)
            raise EnvbuildError(err.message, location=location) from None
    return tuple(
        LockedDownload(url=url, sha256=known[url]) for url in dict.fromkeys(d.url for d in graph.downloads)
    )


def _python(
    graph: Graph, request: LockRequest, previous: Lock | None, everything: bool, named: set[str]
) -> tuple[LockedPython, ...]:
    wants = python_wants(graph)
    if wants is None:
        return ()
    from envbuild.builder.network import discover

    packages = sorted(n for n in named if n != HORUST_NAME and "://" not in n)
    ca = discover(ca_bundle=str(request.ca_bundle) if request.ca_bundle else None, use_proxy=False).ca_bundle
    out = []
    for platform in request.platforms:
        held = previous.python_for(platform) if previous is not None else None
        same = held is not None and held.inputs == wants.inputs and held.python == wants.python
        if same and not everything and not packages:
            assert held is not None
            out.append(held)
            continue
        upgrade: bool | list[str] = True if everything else packages
        out.append(resolve(wants, platform, previous=held, upgrade=upgrade, ca_bundle=ca))
    return tuple(out)


# --- what changed ---------------------------------------------------------------------------------------


def _short(digest: str) -> str:
    algo, _, hexpart = digest.partition(":")
    return f"{algo}:{hexpart[:12]}" if hexpart else digest[:12]


def _keyed_changes(kind: str, old: dict[str, str], new: dict[str, str], short=_short) -> list[str]:
    lines = []
    for key in sorted(new.keys() | old.keys()):
        if key not in old:
            lines.append(f"+ {kind} {key} {short(new[key])}")
        elif key not in new:
            lines.append(f"- {kind} {key} {short(old[key])}")
        elif old[key] != new[key]:
            lines.append(f"~ {kind} {key}: {short(old[key])} -> {short(new[key])}")
    return lines


def changes(old: Lock | None, new: Lock) -> tuple[str, ...]:
    """Every difference between two locks, one line each (`+` added, `-` removed, `~` moved)."""
    before = old or Lock(build_file=new.build_file, function=new.function)
    lines: list[str] = []
    lines += _keyed_changes(
        "base",
        {f"{b.image} {b.platform}": b.digest for b in before.bases},
        {f"{b.image} {b.platform}": b.digest for b in new.bases},
    )
    lines += _keyed_changes(
        "include",
        {_include_key(i): i.commit for i in before.includes},
        {_include_key(i): i.commit for i in new.includes},
        short=lambda c: c[:12],
    )
    lines += _keyed_changes(
        "horust",
        {f"{h.platform} {h.url}": h.sha256 for h in before.horust},
        {f"{h.platform} {h.url}": h.sha256 for h in new.horust},
    )
    lines += _keyed_changes(
        "io.http", {d.url: d.sha256 for d in before.downloads}, {d.url: d.sha256 for d in new.downloads}
    )
    platforms = dict.fromkeys([*(p.platform for p in before.python), *(p.platform for p in new.python)])
    for platform in platforms:
        was = before.python_for(platform)
        now = new.python_for(platform)
        old_pkgs = {p.name: p for p in was.packages} if was else {}
        new_pkgs = {p.name: p for p in now.packages} if now else {}
        for name in sorted(old_pkgs.keys() | new_pkgs.keys()):
            a, b = old_pkgs.get(name), new_pkgs.get(name)
            if a is None and b is not None:
                lines.append(f"+ python {platform} {name} {b.version}")
            elif b is None and a is not None:
                lines.append(f"- python {platform} {name} {a.version}")
            elif a is not None and b is not None and a.version != b.version:
                lines.append(f"~ python {platform} {name} {a.version} -> {b.version}")
            elif a is not None and b is not None and a.hashes != b.hashes:
                lines.append(f"~ python {platform} {name} {b.version}: the index lists other files now")
    return tuple(lines)


def _include_key(item: LockedInclude) -> str:
    return item.url + (f" ref {item.ref}" if item.ref else "")


def upgraded_include_pins(previous: Lock | None, upgrade: bool, packages: tuple[str, ...]):
    """The include pins an evaluation for `envbuild lock` uses: none when upgrading everything, else the
    previous lock's without the URLs named for upgrade."""
    if previous is None or (upgrade and not packages):
        return None
    return {key: commit for key, commit in previous.include_pins().items() if key[0] not in packages}


def default_platforms(previous: Lock | None) -> tuple[str, ...]:
    if previous is not None and previous.platforms():
        return previous.platforms()
    return (str(llb.host_platform()),)
