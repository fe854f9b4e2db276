"""What the worker can do, found by asking, never by failing a real build.

- merge/diff: Docker with its classic image store disables the `mergeop`/`diffop` LLB capabilities, and
  refuses a definition that declares them (in its op metadata) when loading it, in ~10 ms. We solve a
  four-op probe (two mkdirs on scratch, their merge, a diff) declaring both: refused means no merge/diff;
  accepted costs a few milliseconds of file ops and exports nothing.
- exporters: BuildKit has no "list exporters" call. The worker labels say which it is: the moby worker
  with the containerd snapshotter has every exporter, with the classic store only moby/tar/local;
  buildkitd has all but moby.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from envbuild._proto.pb import ops_pb2

MOBY_LABEL_PREFIX = "org.mobyproject.buildkit.worker.moby."
SNAPSHOTTER_LABEL = "org.mobyproject.buildkit.worker.snapshotter"
EXECUTOR_LABEL = "org.mobyproject.buildkit.worker.executor"

ALL_EXPORTERS = frozenset({"moby", "image", "docker", "oci", "local", "tar"})
CLASSIC_MOBY_EXPORTERS = frozenset({"moby", "local", "tar"})
BUILDKITD_EXPORTERS = ALL_EXPORTERS - {"moby"}


@dataclass(frozen=True)
class Capabilities:
    """`worker` is "moby" (Docker's embedded BuildKit) or "buildkitd"."""

    merge_diff: bool
    exporters: frozenset[str]
    worker: str
    version: str
    snapshotter: str = ""


def worker_kind(labels: dict[str, str], is_moby_connection: bool) -> str:
    if is_moby_connection or any(k.startswith(MOBY_LABEL_PREFIX) for k in labels):
        return "moby"
    return "buildkitd"


def exporters_for(kind: str, labels: dict[str, str]) -> frozenset[str]:
    if kind != "moby":
        return BUILDKITD_EXPORTERS
    # The containerd image store shows as the containerd executor with a containerd namespace;
    # the classic store uses moby's own graph driver snapshotter (overlay2, ...).
    if labels.get(EXECUTOR_LABEL) == "containerd" or any(".containerd." in k for k in labels):
        return ALL_EXPORTERS
    return CLASSIC_MOBY_EXPORTERS


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def merge_diff_probe() -> ops_pb2.Definition:
    """A tiny definition using a merge and a diff. No op sets `platform`, so Python's field order is Go's."""

    def mkdir(path: str) -> bytes:
        action = ops_pb2.FileAction(
            input=-1, secondaryInput=-1, output=0, mkdir=ops_pb2.FileActionMkDir(path=path, mode=0o755)
        )
        return ops_pb2.Op(file=ops_pb2.FileOp(actions=[action])).SerializeToString()

    a, b = mkdir("/envbuild-probe-a"), mkdir("/envbuild-probe-b")
    merge = ops_pb2.Op(
        inputs=[ops_pb2.Input(digest=_digest(a)), ops_pb2.Input(digest=_digest(b))],
        merge=ops_pb2.MergeOp(inputs=[ops_pb2.MergeInput(input=0), ops_pb2.MergeInput(input=1)]),
    ).SerializeToString()
    diff = ops_pb2.Op(
        inputs=[ops_pb2.Input(digest=_digest(a)), ops_pb2.Input(digest=_digest(merge))],
        diff=ops_pb2.DiffOp(lower=ops_pb2.LowerDiffInput(input=0), upper=ops_pb2.UpperDiffInput(input=1)),
    ).SerializeToString()
    terminal = ops_pb2.Op(inputs=[ops_pb2.Input(digest=_digest(diff))]).SerializeToString()
    definition = ops_pb2.Definition()
    getattr(definition, "def").extend([a, b, merge, diff, terminal])  # `def` is a Python keyword
    # The server checks capabilities only where the definition declares them, as the Go client does.
    definition.metadata[_digest(merge)].caps["mergeop"] = True
    definition.metadata[_digest(diff)].caps["diffop"] = True
    return definition


def refuses_merge_diff(message: str) -> bool:
    text = message.lower()
    return ("mergeop" in text or "diffop" in text or "merge" in text or "diff" in text) and (
        "disabled" in text or "not supported" in text or "unsupported" in text
    )
