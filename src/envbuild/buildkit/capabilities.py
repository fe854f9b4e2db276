"""What the worker can do, found by asking, never by failing a real build.

- merge/diff: Docker with its classic image store disables the `mergeop`/`diffop` LLB capabilities (and
  refuses a definition that declares them). The gateway's Ping lists every LLB capability with its enabled
  flag, so a frontend learns it within the build's own solve (`client.Frontend.merge_diff`).
- exporters: BuildKit has no "list exporters" call. The worker labels say which it is: the moby worker
  with the containerd snapshotter has every exporter, with the classic store only moby/tar/local;
  buildkitd has all but moby.
"""

from __future__ import annotations

from dataclasses import dataclass

MOBY_LABEL_PREFIX = "org.mobyproject.buildkit.worker.moby."
SNAPSHOTTER_LABEL = "org.mobyproject.buildkit.worker.snapshotter"
EXECUTOR_LABEL = "org.mobyproject.buildkit.worker.executor"

ALL_EXPORTERS = frozenset({"moby", "image", "docker", "oci", "local", "tar"})
CLASSIC_MOBY_EXPORTERS = frozenset({"moby", "local", "tar"})
BUILDKITD_EXPORTERS = ALL_EXPORTERS - {"moby"}


@dataclass(frozen=True)
class Worker:
    """What the worker's labels tell without a solve: "moby" (Docker's embedded BuildKit) or "buildkitd",
    and the exporters it offers."""

    kind: str
    exporters: frozenset[str]
    snapshotter: str = ""


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
