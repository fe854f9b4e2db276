"""The cache-map digests BuildKit computes for exec, merge and diff ops, as both generations compute them.

BuildKit names an op's cache entry by the SHA-256 of Go's `encoding/json` rendering of the op
(solver/llbsolver/ops/{exec,merge,diff}.go, `CacheMap`), and a remote cache record by
`sha256("<that digest>@<output>")`
(solver/cachemanager.go, `rootKey`). The rendering changed when BuildKit v0.17 replaced gogo-protobuf's
generated structs with protobuf-go's: gogo tagged `Mount.input`, `Mount.output` and the merge and diff inputs
`json:"input"` (always written), protobuf-go tags them `omitempty`, so an index 0 - the root mount, the first
merge input - disappears from the JSON. File ops kept their old rendering (solver/pb/json.go) and a `RUN` with
only its root mount is special-cased to no mounts at all, so only those op kinds differ.

The upshot: a cache exported by Docker 26/27's embedded BuildKit (<= v0.16) misses on BuildKit >= v0.17 (and
back) for every step with a cache, secret or tmpfs mount, which is nearly every envbuild step. `team_cache`
uses these digests to give an exported cache the other generation's keys too. Reproduced here, not guessed:
tests compare them with the records real daemons of both generations export.
"""

from __future__ import annotations

import hashlib
from typing import Any

from envbuild._proto.pb import ops_pb2 as pb

#: BuildKit <= v0.16 (gogo-protobuf structs), BuildKit >= v0.17 (protobuf-go structs).
GENERATIONS = ("gogo", "protobuf-go")
EXEC_TYPE = "buildkit.exec.v0"
MERGE_TYPE = "buildkit.merge.v0"
DIFF_TYPE = "buildkit.diff.v0"

# A field: (json name, value, omitempty). Values are str, bool, int, lists, nested field lists or None (nil).
Fields = list[tuple[str, Any, bool]]


def go_json(value: Any) -> str:
    """`value` as Go's `json.Marshal` writes it: struct fields in order, compact, HTML-safe string escapes."""
    if isinstance(value, list) and (not value or isinstance(value[0], tuple)):
        parts = [
            f"{_go_string(name)}:{go_json(v)}"
            for name, v, omitempty in value
            if not (omitempty and _empty(v))
        ]
        return "{" + ",".join(parts) + "}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, _Array):
        return "[" + ",".join(go_json(v) for v in value.items) + "]" if value.items is not None else "null"
    raise TypeError(f"no Go JSON for {value!r}")


class _Array:
    """A Go slice (nil when `items` is None), kept apart from struct field lists."""

    def __init__(self, items: list | None):
        self.items = items


def _empty(value: Any) -> bool:
    if isinstance(value, _Array):
        return not value.items
    return value is None or value is False or value == 0 or value == ""


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _go_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " " or ch in "<>&\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def root_key(cache_digest: str, output: int) -> str:
    """The remote cache record digest of an op's output (BuildKit's `rootKey`)."""
    return _sha(f"{cache_digest}@{output}")


def _index(value: int, gogo: bool) -> tuple[int, bool]:
    """An input/output index field: gogo always writes it, protobuf-go omits 0."""
    return value, not gogo


def _mount(m: pb.Mount, gogo: bool) -> Fields:
    cache = None
    if m.HasField("cacheOpt"):
        cache_id, sharing = m.cacheOpt.ID, int(m.cacheOpt.sharing)
        default_dockerfile = sharing == 0 and (cache_id == m.dest or cache_id.partition("/")[2] == m.dest)
        if not default_dockerfile:  # checkShouldClearCacheOpts: the id and sharing stay out of the key
            cache_id, sharing = "", 0
        cache = [("ID", cache_id, True), ("sharing", sharing, True)]

    def owned(o: Any) -> Fields:
        return [("ID", o.ID, True), ("uid", o.uid, True), ("gid", o.gid, True), ("mode", o.mode, True),
                ("optional", o.optional, True)]

    return [
        ("input", *_index(m.input, gogo)),
        ("selector", "", True),  # cleared before hashing
        ("dest", m.dest, True),
        ("output", *_index(m.output, gogo)),
        ("readonly", m.readonly, True),
        ("mountType", m.mountType, True),
        ("TmpfsOpt", [("size", m.TmpfsOpt.size, True)] if m.HasField("TmpfsOpt") else None, True),
        ("cacheOpt", cache, True),
        ("secretOpt", owned(m.secretOpt) if m.HasField("secretOpt") else None, True),
        ("SSHOpt", owned(m.SSHOpt) if m.HasField("SSHOpt") else None, True),
        ("resultID", m.resultID, True),
        ("contentCache", m.contentCache, True),
    ]


def _plain_root(mounts: Any) -> bool:
    """BuildKit's special case: one writable root bind mount with no options hashes as no mounts at all."""
    if len(mounts) != 1:
        return False
    m = mounts[0]
    return (
        m.dest == "/" and not m.selector and not m.readonly and m.mountType == pb.BIND
        and not m.HasField("cacheOpt") and not m.HasField("SSHOpt") and not m.HasField("secretOpt")
        and not m.resultID
    )


def _platform(op: pb.Op, default: tuple[str, str, str]) -> Fields:
    if op.HasField("platform"):
        p = op.platform
        os_, arch, variant = p.OS, p.Architecture, p.Variant
        os_version, features = p.OSVersion, list(p.OSFeatures)
    else:
        (os_, arch, variant), os_version, features = default, "", []
    return [
        ("OS", os_, False),
        ("Arch", arch, False),
        ("Variant", variant, True),
        ("OSVersion", os_version, True),
        ("OSFeatures", _Array(features or None), True),
    ]


def _exec_json(op: pb.Op, gogo: bool, default: tuple[str, str, str]) -> str:
    e = op.exec
    meta = e.meta
    hosts = [[("Host", h.Host, True), ("IP", "", True)] for h in meta.extraHosts]  # IPs are cleared
    ulimits = [[("Name", u.Name, True), ("Soft", u.Soft, True), ("Hard", u.Hard, True)] for u in meta.ulimit]
    meta_fields: Fields = [
        ("args", _Array(list(meta.args) or None), True),
        ("env", _Array(list(meta.env) or None), True),
        ("cwd", meta.cwd, True),
        ("user", meta.user, True),
        ("proxy_env", None, True),  # cleared before hashing
        ("extraHosts", _Array(hosts or None), True),
        ("hostname", meta.hostname, True),
        ("ulimit", _Array(ulimits or None), True),
        ("cgroupParent", meta.cgroupParent, True),
        ("removeMountStubsRecursive", meta.removeMountStubsRecursive, True),
    ]
    if not gogo:
        meta_fields.append(("validExitCodes", _Array(list(meta.validExitCodes) or None), True))
    mounts = None if _plain_root(e.mounts) else [_mount(m, gogo) for m in e.mounts]
    secret_env = [
        [("ID", s.ID, True), ("name", s.name, True), ("optional", s.optional, True)] for s in e.secretenv
    ]
    exec_fields: Fields = [
        ("meta", meta_fields if e.HasField("meta") else None, True),
        ("mounts", _Array(mounts), True),
        ("network", e.network, True),
        ("security", e.security, True),
        ("secretenv", _Array(secret_env or None), True),
    ]
    if not gogo:
        exec_fields.append(("cdiDevices", _Array(None), True))
    return go_json([("Type", EXEC_TYPE, False), ("Exec", exec_fields, False), *_platform(op, default)])


def _merge_json(op: pb.Op, gogo: bool) -> str:
    inputs = [[("input", *_index(i.input, gogo))] for i in op.merge.inputs]
    merge: Fields = [("inputs", _Array(inputs or None), True)]
    return go_json([("Type", MERGE_TYPE, False), ("Merge", merge, False)])


def _diff_json(op: pb.Op, gogo: bool) -> str:
    d = op.diff
    lower = [("input", *_index(d.lower.input, gogo))] if d.HasField("lower") else None
    upper = [("input", *_index(d.upper.input, gogo))] if d.HasField("upper") else None
    diff: Fields = [("lower", lower, True), ("upper", upper, True)]
    return go_json([("Type", DIFF_TYPE, False), ("Diff", diff, False)])


def cache_digests(
    op: pb.Op, default_platform: tuple[str, str, str] = ("linux", "amd64", "")
) -> dict[str, str]:
    """{generation: cache-map digest} for an exec, merge or diff op; {} for op kinds both generations agree
    on. `default_platform` (os, arch, variant) stands for the worker's when an exec op carries none."""
    kind = op.WhichOneof("op")
    out = {}
    for generation in GENERATIONS:
        gogo = generation == "gogo"
        if kind == "exec":
            text = _exec_json(op, gogo, default_platform)
        elif kind == "merge":
            text = _merge_json(op, gogo)
        elif kind == "diff":
            text = _diff_json(op, gogo)
        else:
            return {}
        out[generation] = _sha(text)
    return out


def output_count(op: pb.Op) -> int:
    """How many outputs an op has (the record of each is `root_key(digest, output)`)."""
    if op.WhichOneof("op") == "exec":
        return max((m.output for m in op.exec.mounts), default=-1) + 1
    return 1
