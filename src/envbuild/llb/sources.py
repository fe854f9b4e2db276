"""Where bytes enter a graph: images, the client's local directories, HTTP downloads and git repositories.

Identifiers, attribute names and capability names are BuildKit's (`solver/pb/attr.go`, `caps.go`); the
attribute values are written the way its Go client writes them (JSON lists for patterns, `0644` for modes),
so the same source gets the same digest from either client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from envbuild._proto.pb import ops_pb2 as pb
from envbuild.llb import gopath
from envbuild.llb.errors import LLBError
from envbuild.llb.refs import git_identifier, normalize_image_ref, parse_git_remote
from envbuild.llb.sourcemap import SourceLocation
from envbuild.llb.state import State
from envbuild.llb.vertex import Built, MarshalContext, Output, StepMeta, op_head, step_meta
from envbuild.platforms import Platform, as_platform

_RESOLVE_MODES = {"default": "default", "pull": "pull", "local": "local"}


@dataclass(frozen=True, slots=True, eq=False)
class SourceVertex:
    """A `pb.SourceOp`. Only image sources are platform-specific; BuildKit's Go client drops the platform
    from the others, and so do we (it would change their digests for nothing)."""

    identifier: str
    attrs: tuple[tuple[str, str], ...]
    caps: frozenset[str]
    meta: StepMeta
    platform: Platform | None = None
    platform_specific: bool = False

    def dependencies(self) -> tuple:
        return ()

    def build(self, ctx: MarshalContext) -> Built:
        attrs = dict(self.attrs)
        caps = set(self.caps)
        if self.identifier.startswith("local://") and "local.session" not in attrs and ctx.local_unique_id:
            attrs["local.unique"] = ctx.local_unique_id
            caps.add("source.local.unique")
        platform = (self.platform or ctx.platform) if self.platform_specific else None
        body = pb.SourceOp(identifier=self.identifier, attrs=attrs)
        return Built(op_head(platform), "source", body, caps)


def _go_json_list(items: Sequence[str]) -> str:
    """A JSON list of strings as Go's encoding/json writes it (compact, <>& escaped as \\u003c etc.)."""
    text = json.dumps(list(items), separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _source_state(vertex: SourceVertex, platform: Platform | None = None) -> State:
    return State(output=Output(vertex), platform=platform)


def image(
    ref: str,
    *,
    platform: Platform | str | None = None,
    resolve_mode: str | None = None,
    config: Mapping | None = None,
    custom_name: str | None = None,
    location: SourceLocation | None = None,
) -> State:
    """A container image (`docker-image://`), normalised like Docker does (`debian` -> docker.io/library/...).

    `platform` pins the image's platform (default: the platform given to `marshal`). `resolve_mode` is
    "default", "pull" (always ask the registry) or "local" (prefer an image the worker already has).
    `config` is the image's OCI config (as resolved through BuildKit): its Env, WorkingDir and User become
    the state's metadata, like a Dockerfile `FROM`.
    """
    plat = as_platform(platform)
    attrs: dict[str, str] = {}
    caps = {"source.image"}
    if resolve_mode is not None:
        if resolve_mode not in _RESOLVE_MODES:
            raise LLBError(f"image resolve_mode {resolve_mode!r} is not one of {', '.join(_RESOLVE_MODES)}")
        attrs["image.resolvemode"] = resolve_mode
        if resolve_mode == "pull":
            caps.add("source.image.resolvemode")
    vertex = SourceVertex(
        identifier="docker-image://" + normalize_image_ref(ref),
        attrs=tuple(sorted(attrs.items())),
        caps=frozenset(caps),
        meta=step_meta(custom_name, False, location),
        platform=plat,
        platform_specific=True,
    )
    state = _source_state(vertex, plat)
    return state.with_image_config(config) if config is not None else state


def local(
    name: str,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    follow_paths: Sequence[str] = (),
    shared_key: str | None = None,
    session_id: str | None = None,
    custom_name: str | None = None,
    location: SourceLocation | None = None,
) -> State:
    """A directory the client sends through the session's filesync (`local://name`).

    The client's `Solve` maps `name` to a host directory. `include`/`exclude` are .dockerignore-style
    patterns applied on the client side, so excluded files never cross the wire; `follow_paths` limits the
    transfer to those paths (and symlinks they need); `shared_key` lets different names share one
    incremental-transfer cache on the worker.
    """
    if not name:
        raise LLBError("a local source needs a name (the key of the directory passed to solve)")
    attrs: dict[str, str] = {}
    caps = {"source.local"}
    if session_id:
        attrs["local.session"] = session_id
        caps.add("source.local.sessionid")
    if include:
        attrs["local.includepattern"] = _go_json_list(include)
        caps.add("source.local.includepatterns")
    if follow_paths:
        attrs["local.followpaths"] = _go_json_list(follow_paths)
        caps.add("source.local.followpaths")
    if exclude:
        attrs["local.excludepatterns"] = _go_json_list(exclude)
        caps.add("source.local.excludepatterns")
    if shared_key:
        attrs["local.sharedkeyhint"] = shared_key
        caps.add("source.local.sharedkeyhint")
    vertex = SourceVertex(
        identifier="local://" + name,
        attrs=tuple(sorted(attrs.items())),
        caps=frozenset(caps),
        meta=step_meta(custom_name, False, location),
    )
    return _source_state(vertex)


def http(
    url: str,
    *,
    checksum: str | None = None,
    filename: str | None = None,
    mode: int | None = None,
    uid: int | None = None,
    gid: int | None = None,
    custom_name: str | None = None,
    location: SourceLocation | None = None,
) -> State:
    """A single file downloaded by the worker, placed at `/<filename>` (default: the URL's last segment).

    `checksum` (`sha256:<hex>`) makes BuildKit verify the download and lets it reuse the cache without
    fetching again.
    """
    if not url.startswith(("http://", "https://")):
        raise LLBError(f"http source {url!r} must start with http:// or https://")
    attrs: dict[str, str] = {}
    caps = {"source.http"}
    if checksum:
        if not checksum.startswith("sha256:") or len(checksum) != len("sha256:") + 64:
            raise LLBError(f"http checksum {checksum!r} must be sha256:<64 hex digits>")
        attrs["http.checksum"] = checksum
        caps.add("source.http.checksum")
    if filename:
        if "/" in filename:
            raise LLBError(f"http filename {filename!r} must be a bare file name")
        attrs["http.filename"] = filename
    if mode:
        attrs["http.perm"] = "0" + format(mode, "o")
        caps.add("source.http.perm")
    if uid:
        attrs["http.uid"] = str(uid)
        caps.add("soruce.http.uidgid")  # sic: BuildKit's capability id is spelled this way
    if gid:
        attrs["http.gid"] = str(gid)
        caps.add("soruce.http.uidgid")
    vertex = SourceVertex(
        identifier=url,
        attrs=tuple(sorted(attrs.items())),
        caps=frozenset(caps),
        meta=step_meta(custom_name, False, location),
    )
    return _source_state(vertex)


def git(
    url: str,
    ref: str | None = None,
    *,
    subdir: str | None = None,
    keep_git_dir: bool = False,
    known_ssh_hosts: str | None = None,
    ssh_id: str = "default",
    custom_name: str | None = None,
    location: SourceLocation | None = None,
) -> State:
    """A git checkout made by the worker: `url` at `ref` (branch, tag or commit; default: the remote HEAD).

    A `#ref[:subdir]` fragment in the URL is honoured when `ref`/`subdir` are not given. ssh remotes use the
    session's ssh agent (`ssh_id`) and, if given, `known_ssh_hosts` lines. Tokens for https remotes are read
    from the session secrets GIT_AUTH_TOKEN / GIT_AUTH_HEADER when the client provides them.
    """
    remote = parse_git_remote(url)
    frag_ref, _, frag_subdir = remote.fragment.partition(":")
    ref = ref if ref is not None else frag_ref
    subdir = subdir if subdir is not None else frag_subdir
    subdir = gopath.join("/", subdir).lstrip("/") if subdir else ""
    attrs: dict[str, str] = {
        "git.fullurl": remote.remote,
        "git.authtokensecret": "GIT_AUTH_TOKEN",
        "git.authheadersecret": "GIT_AUTH_HEADER",
    }
    caps = {"source.git", "source.git.fullurl"}
    if keep_git_dir:
        attrs["git.keepgitdir"] = "true"
        caps.add("source.git.keepgitdir")
    if remote.scheme == "ssh":
        if known_ssh_hosts:
            attrs["git.knownsshhosts"] = known_ssh_hosts.rstrip("\n") + "\n"
        caps.add("source.git.knownsshhosts")
        attrs["git.mountsshsock"] = ssh_id
        caps.add("source.git.mountsshsock")
    vertex = SourceVertex(
        identifier=git_identifier(remote, ref or "", subdir),
        attrs=tuple(sorted(attrs.items())),
        caps=frozenset(caps),
        meta=step_meta(custom_name, False, location),
    )
    return _source_state(vertex)
