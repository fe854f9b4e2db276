"""envbuild's LLB API: build a BuildKit graph from immutable values, then `marshal()` it.

    from envbuild import llb

    base = llb.image("debian:bookworm", platform="linux/amd64")
    built = base.run(
        ["bash", "-c", "apt-get update && apt-get install -y curl"],
        llb.RunOptions(
            mounts=[llb.cache_mount("/var/cache/apt", "apt", sharing="locked")],
            custom_name="install curl",
        ),
    ).root()
    definition = built.marshal(platform="linux/amd64")   # envbuild._proto.pb.ops_pb2.Definition

Every vertex digest equals the one BuildKit's Go client computes for the same op (see `digest.py`), so the
digests in the status stream and in error source maps are ours. The design follows BuildKit's `client/llb`:
a State points at one output of a vertex and carries image-config metadata; options are plain values.
"""

from envbuild.llb.digest import digest_of, encode_op
from envbuild.llb.errors import LLBError
from envbuild.llb.exec import ExecState, RunOptions
from envbuild.llb.fileops import Chown
from envbuild.llb.merge_diff import diff, merge
from envbuild.llb.mounts import (
    BindMount,
    CacheMount,
    Mount,
    SecretMount,
    SSHMount,
    TmpfsMount,
    bind_mount,
    cache_mount,
    secret_mount,
    ssh_mount,
    tmpfs_mount,
)
from envbuild.llb.sourcemap import SourceLocation, SourceMap
from envbuild.llb.sources import git, http, image, local
from envbuild.llb.state import State, scratch
from envbuild.platforms import Platform, host_platform

__all__ = [
    "BindMount",
    "CacheMount",
    "Chown",
    "ExecState",
    "LLBError",
    "Mount",
    "Platform",
    "RunOptions",
    "SSHMount",
    "SecretMount",
    "SourceLocation",
    "SourceMap",
    "State",
    "TmpfsMount",
    "bind_mount",
    "cache_mount",
    "diff",
    "digest_of",
    "encode_op",
    "git",
    "host_platform",
    "http",
    "image",
    "local",
    "merge",
    "scratch",
    "secret_mount",
    "ssh_mount",
    "tmpfs_mount",
]
