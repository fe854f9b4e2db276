"""A build that would change nothing is not sent at all: its key, recorded on the image, is checked first.

The key is a digest of everything a build depends on that this host knows before talking to BuildKit: the
graph, the target as far as the host decides it (platform, owner, proxy, Horust, ssh key, ...), the build
options, the builder's address, envbuild's version and code, and the local directories the build sends. A file
counts by its content up to `CONTENT_LIMIT` (editors, `git checkout` and generators rewrite files with the
same bytes, and BuildKit would find such a build fully cached: so must we), and above it by size and
modification time (datasets and checkpoints are never read for this). Contents are hashed once: each small
file's digest is kept under the cache directory with the stat it was read at, so an unchanged tree costs a
walk and no reads.
`build` writes the key into the image's labels; before the next build, an image of that name in the builder's
store with the same key means it is up to date.

Only an image in Docker's own store (the moby worker) can be looked up this way: BuildKit keeps no image store
we could ask, and an export to a registry or a file has to run anyway. The base image is named by reference in
the graph; a new image under the same tag is not noticed (`--force` rebuilds), which is also what makes the
check cheap enough to run before every build.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from envbuild import contract

if TYPE_CHECKING:
    from pathlib import Path

    from envbuild.builder.options import BuildOptions
    from envbuild.builder.outputs import OutputSpec
    from envbuild.compile.target import BuildTarget
    from envbuild.graph import Graph

#: the tree digests' kept contents, under the cache directory
HASHES_DIR = "tree-hashes"
#: what a URL path may hold as it is (every character of a valid image reference is among them)
_URL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/@")
#: options that do not change the image: where progress and notes go, and whether to check at all
_SKIP = ("on_status", "on_note", "force")


#: files up to this size are identified by content, larger ones by size and modification time
CONTENT_LIMIT = 1 << 20
#: a file modified this recently may still change within the filesystem's timestamp granularity: its digest is
#: used but not kept (and a memo of a no-op, cli/noop.py, is not kept either)
RACY_NS = 2_000_000_000


def tree_digest(root: str | Path) -> str:
    """Digest of a directory's tree: names, modes, symlink targets, and each file's content (small files) or
    size and mtime (large ones). Symlinks are not followed. Plain strings and `os` calls throughout: a no-op
    `build` answered from its memo (cli/noop.py) walks the trees again, and pathlib costs that 10 ms."""
    root = os.fspath(root)
    known = _HashCache.load(root)
    digest = hashlib.sha256()
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as err:
            digest.update(f"!{directory}:{err.errno}\n".encode())
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            rel = os.path.relpath(entry.path, root)
            if stat.S_ISDIR(info.st_mode):
                digest.update(f"d {rel} {info.st_mode:o}\n".encode())
                stack.append(entry.path)
            elif stat.S_ISLNK(info.st_mode):
                digest.update(f"l {rel} {os.readlink(entry.path)}\n".encode())
            elif info.st_size > CONTENT_LIMIT or not stat.S_ISREG(info.st_mode):
                digest.update(f"f {rel} {info.st_mode:o} {info.st_size} {info.st_mtime_ns}\n".encode())
            else:
                digest.update(f"c {rel} {info.st_mode:o} {known.content(rel, entry.path, info)}\n".encode())
    known.save()
    return digest.hexdigest()


class _HashCache:
    """Content digests of one tree's small files, each with the (size, mtime, inode) it was read at."""

    def __init__(self, path: str, entries: dict[str, list[Any]]) -> None:
        self.path, self.entries = path, entries
        self.seen: dict[str, list[Any]] = {}
        self.start_ns = time.time_ns()

    @classmethod
    def load(cls, root: str) -> _HashCache:
        from envbuild import paths

        name = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:32]
        path = os.path.join(paths.cache_dir_name(), HASHES_DIR, f"{name}.json")
        try:
            with open(path, encoding="utf-8") as file:
                entries = json.load(file)
        except (OSError, ValueError):
            entries = {}
        return cls(path, entries if isinstance(entries, dict) else {})

    def content(self, rel: str, path: str, info: os.stat_result) -> str:
        seen = [info.st_size, info.st_mtime_ns, info.st_ino]
        cached = self.entries.get(rel)
        if isinstance(cached, list) and len(cached) == 4 and cached[:3] == seen:
            self.seen[rel] = cached
            return str(cached[3])
        try:
            with open(path, "rb") as file:
                value = hashlib.file_digest(file, "sha256").hexdigest()
        except OSError as err:  # unreadable: BuildKit's transfer will say so; here it just is not cached
            return f"!{err.errno} {info.st_size} {info.st_mtime_ns}"
        if info.st_mtime_ns < self.start_ns - RACY_NS:
            self.seen[rel] = [*seen, value]
        return value

    def save(self) -> None:
        """Keep what this walk saw (files gone since are dropped); best effort, a cache only."""
        from envbuild import paths

        if self.seen != self.entries:
            paths.keep_file(self.path, json.dumps(self.seen, separators=(",", ":")))


def build_key(
    graph: Graph,
    target: BuildTarget,
    options: BuildOptions,
    outputs: tuple[OutputSpec, ...],
    address: str,
    inputs: Mapping[str, str],
) -> str:
    """The digest of everything the build depends on that this host knows (see the module docstring);
    `inputs`: the `tree_digest` of each local directory the build sends, by name."""
    from dataclasses import fields

    from envbuild import installation, version

    parts = {
        # the version, and the code itself: an install from a branch keeps its version string
        "envbuild": [version(), installation.code_digest()],
        "graph": graph.to_json(),
        "target": repr(target),
        "options": {f.name: repr(getattr(options, f.name)) for f in fields(options) if f.name not in _SKIP},
        "outputs": [repr(spec) for spec in outputs],
        "address": address,
        "inputs": dict(sorted(inputs.items())),
    }
    return "sha256:" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def with_key(image_config: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The OCI image config document with the key among its labels."""
    config = dict(image_config.get("config") or {})
    config["Labels"] = {**(config.get("Labels") or {}), contract.BUILD_KEY_LABEL: key}
    return {**image_config, "config": config}


def skippable(outputs: tuple[OutputSpec, ...], docker_host: str | None) -> str | None:
    """The image name to look up when the build's only output is an image in Docker's store, else None."""
    if docker_host is None or len(outputs) != 1:
        return None
    spec = outputs[0]
    if spec.type != "image" or spec.push or not spec.name or spec.extra:
        return None
    return spec.name


def inspect_image(docker_host: str, name: str) -> dict[str, Any] | None:
    """Docker's inspection of the image `name`, None when the engine has none; OSError when it gives no
    usable answer. A bare HTTP GET: docker-py costs more to import than the whole check.
    Inspecting the one image took dockerd 5-15 ms here, listing images filtered by reference 40 ms with eight
    images in the store (a list grows with the store)."""
    familiar = _familiar(name)
    quoted = familiar
    if not _URL_SAFE.issuperset(familiar):  # never for a valid reference; urllib costs 5 ms to import
        from urllib.parse import quote

        quoted = quote(familiar, safe=":/@")
    status, body = _get(docker_host, f"/images/{quoted}/json")
    if status == 404:
        return None
    if status != 200:
        raise OSError(f"the engine answered {status} to an image inspection")
    try:
        image: dict[str, Any] = json.loads(body)
    except ValueError as err:
        raise OSError(f"the engine's image inspection is not JSON: {err}") from None
    return image if familiar in (image.get("RepoTags") or ()) else None


def recorded_key(image: Mapping[str, Any]) -> str | None:
    key = ((image.get("Config") or {}).get("Labels") or {}).get(contract.BUILD_KEY_LABEL)
    return key if isinstance(key, str) else None


def _familiar(name: str) -> str:
    """`docker.io/library/x:y` → `x:y`, the spelling Docker's RepoTags use."""
    for prefix in ("docker.io/library/", "docker.io/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _get(docker_host: str, path: str) -> tuple[int, bytes]:
    """The status and body of one GET to the engine. HTTP/1.0, so the engine sends the body as it is and
    closes: this reads to the end and needs no HTTP client (http.client, with the email parser it imports,
    cost a no-op build 20 ms)."""
    import socket

    if docker_host.startswith("unix://"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(docker_host[len("unix://") :])
    else:
        host, _, port = docker_host[len("tcp://") :].rstrip("/").rpartition(":")
        sock = socket.create_connection((host, int(port)), timeout=10)
    with sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b" ", 2)
    if len(status) < 2 or not status[1].isdigit():
        raise OSError(f"no HTTP answer from the engine at {docker_host}")
    return int(status[1]), body
