"""A directory in OCI image-layout form served as containerd's content store, for `local` cache import/export.

BuildKit's local cache reads and writes blobs on the client through the session (containerd's Content
service, one store per directory, chosen by the `buildkit-attachable-store-id` metadata, "local:<dir>").
Blobs live in `<dir>/blobs/sha256/<hex>`; ingests in `<dir>/ingest/<ref hash>` until committed. After an
export, `tag_index()` records the cache manifest in `<dir>/index.json` under a tag, as buildctl does, and an
import looks the tag up to tell BuildKit which manifest to read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2

from envbuild._proto.content import content_pb2
from envbuild.buildkit import rpcserver
from envbuild.buildkit.errors import abort

STORE_ID_KEY = "buildkit-attachable-store-id"
REF_NAME = "org.opencontainers.image.ref.name"
READ_CHUNK = 1024 * 1024
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"


def store_id(directory: Path) -> str:
    return f"local:{directory}"


class LocalStore:
    def __init__(self, root: Path):
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.ingest = root / "ingest"

    def blob(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
            raise ValueError(f"unsupported digest {digest!r}")
        return self.blobs / hexpart

    def ingest_path(self, ref: str) -> Path:
        return self.ingest / hashlib.sha256(ref.encode()).hexdigest()

    def tag_index(self, tag: str, descriptor: dict[str, Any]) -> None:
        """Point `tag` at `descriptor` in index.json (replacing an older entry with that tag)."""
        self.root.mkdir(parents=True, exist_ok=True)
        layout = self.root / "oci-layout"
        if not layout.exists():
            layout.write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
        index_path = self.root / "index.json"
        try:
            index = json.loads(index_path.read_text())
        except (OSError, ValueError):
            index = {"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": []}
        entry = dict(descriptor)
        entry["annotations"] = {**(entry.get("annotations") or {}), REF_NAME: tag}
        manifests = [
            m for m in index.get("manifests", []) if (m.get("annotations") or {}).get(REF_NAME) != tag
        ]
        index["manifests"] = [*manifests, entry]
        tmp = index_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(index))
        os.replace(tmp, index_path)

    def lookup(self, tag: str) -> str | None:
        """The digest tagged `tag` in index.json, if any."""
        try:
            index = json.loads((self.root / "index.json").read_text())
        except (OSError, ValueError):
            return None
        for m in index.get("manifests", []):
            if (m.get("annotations") or {}).get(REF_NAME) == tag:
                return m.get("digest")
        return None


def _now(ts: Any) -> None:
    ts.FromNanoseconds(time.time_ns())


class ContentService:
    """gRPC handlers for containerd's Content service over a set of `LocalStore`s keyed by store id."""

    def __init__(self, stores: dict[str, LocalStore]):
        self.stores = stores

    def _store(self, context: rpcserver.Context) -> LocalStore:
        for key, value in context.invocation_metadata():
            if key == STORE_ID_KEY:
                store = self.stores.get(value)
                if store is None:
                    abort(context, grpc.StatusCode.NOT_FOUND, f"unknown store {value}")
                return store
        abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"request lacks metadata {STORE_ID_KEY!r}")

    def _blob(self, store: LocalStore, digest: str, context: rpcserver.Context) -> Path:
        try:
            path = store.blob(digest)
        except ValueError as exc:
            abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if not path.is_file():
            abort(context, grpc.StatusCode.NOT_FOUND, f"content digest {digest}: not found")
        return path

    def info(self, request: content_pb2.InfoRequest, context: rpcserver.Context):
        path = self._blob(self._store(context), request.digest, context)
        stat = path.stat()
        info = content_pb2.Info(digest=request.digest, size=stat.st_size)
        info.created_at.FromNanoseconds(stat.st_mtime_ns)
        info.updated_at.FromNanoseconds(stat.st_mtime_ns)
        return content_pb2.InfoResponse(info=info)

    def update(self, request: content_pb2.UpdateRequest, context: rpcserver.Context):
        # Labels (garbage-collection hints) mean nothing in a plain directory; report the blob as it is.
        info = self.info(content_pb2.InfoRequest(digest=request.info.digest), context).info
        info.labels.update(request.info.labels)
        return content_pb2.UpdateResponse(info=info)

    def delete(self, request: content_pb2.DeleteContentRequest, context: rpcserver.Context):
        self._blob(self._store(context), request.digest, context).unlink()
        return empty_pb2.Empty()

    def read(self, request: content_pb2.ReadContentRequest, context: rpcserver.Context):
        path = self._blob(self._store(context), request.digest, context)
        remaining = request.size if request.size > 0 else None
        offset = request.offset
        with open(path, "rb") as fh:
            fh.seek(offset)
            while remaining is None or remaining > 0:
                data = fh.read(READ_CHUNK if remaining is None else min(READ_CHUNK, remaining))
                if not data:
                    break
                yield content_pb2.ReadContentResponse(offset=offset, data=data)
                offset += len(data)
                if remaining is not None:
                    remaining -= len(data)

    def status(self, request: content_pb2.StatusRequest, context: rpcserver.Context):
        path = self._store(context).ingest_path(request.ref)
        if not path.exists():
            abort(context, grpc.StatusCode.NOT_FOUND, f"ref {request.ref}: not found")
        status = content_pb2.Status(ref=request.ref, offset=path.stat().st_size)
        return content_pb2.StatusResponse(status=status)

    def abort(self, request: content_pb2.AbortRequest, context: rpcserver.Context):
        with contextlib.suppress(FileNotFoundError):
            self._store(context).ingest_path(request.ref).unlink()
        return empty_pb2.Empty()

    def write(
        self, requests: Iterator[content_pb2.WriteContentRequest], context: rpcserver.Context
    ) -> Iterator[content_pb2.WriteContentResponse]:
        """One ingest per stream: STAT reports progress, WRITE appends at `offset`, COMMIT verifies and moves
        the blob into place. Each request is answered once."""
        store = self._store(context)
        store.ingest.mkdir(parents=True, exist_ok=True)
        store.blobs.mkdir(parents=True, exist_ok=True)
        fh = None
        path: Path | None = None
        total = 0
        started = content_pb2.WriteContentResponse().started_at
        _now(started)
        try:
            for req in requests:
                if path is None:
                    if not req.ref:
                        abort(
                            context, grpc.StatusCode.INVALID_ARGUMENT, "first message must have a reference"
                        )
                    if req.expected:
                        with contextlib.suppress(ValueError):
                            if store.blob(req.expected).is_file():
                                abort(context, grpc.StatusCode.ALREADY_EXISTS, f"{req.expected} exists")
                    path = store.ingest_path(req.ref)
                    fh = open(path, "a+b")  # noqa: SIM115 - closed in finally; resumes an earlier ingest
                assert fh is not None
                if req.total:
                    total = req.total
                response = content_pb2.WriteContentResponse(action=req.action, total=total)
                response.started_at.CopyFrom(started)
                if req.action == content_pb2.WRITE:
                    fh.seek(0, os.SEEK_END)
                    size = fh.tell()
                    if req.offset < size:
                        fh.truncate(req.offset)
                        fh.seek(req.offset)
                    elif req.offset > size:
                        abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"write at {req.offset} > {size}")
                    fh.write(req.data)
                elif req.action == content_pb2.COMMIT:
                    fh.flush()
                    digest = _file_digest(path)
                    size = path.stat().st_size
                    if req.total and req.total != size:
                        abort(context, grpc.StatusCode.FAILED_PRECONDITION, f"size {size} != {req.total}")
                    if req.expected and req.expected != digest:
                        abort(context, grpc.StatusCode.FAILED_PRECONDITION, f"{digest} != {req.expected}")
                    target = store.blob(digest)
                    if target.exists():
                        path.unlink()
                    else:
                        os.replace(path, target)
                    response.digest = digest
                    response.offset = size
                    _now(response.updated_at)
                    yield response
                    continue
                fh.flush()
                response.offset = path.stat().st_size
                _now(response.updated_at)
                yield response
        finally:
            if fh is not None:
                fh.close()


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


SERVICE = "containerd.services.content.v1.Content"


def methods(service: ContentService) -> dict[str, rpcserver.Method]:
    c = content_pb2
    empty = empty_pb2.Empty.SerializeToString
    return {
        "Info": rpcserver.unary(service.info, c.InfoRequest.FromString, c.InfoResponse.SerializeToString),
        "Update": rpcserver.unary(
            service.update, c.UpdateRequest.FromString, c.UpdateResponse.SerializeToString
        ),
        "Delete": rpcserver.unary(service.delete, c.DeleteContentRequest.FromString, empty),
        "Read": rpcserver.unary_stream(
            service.read, c.ReadContentRequest.FromString, c.ReadContentResponse.SerializeToString
        ),
        "Status": rpcserver.unary(
            service.status, c.StatusRequest.FromString, c.StatusResponse.SerializeToString
        ),
        "Write": rpcserver.stream_stream(
            service.write, c.WriteContentRequest.FromString, c.WriteContentResponse.SerializeToString
        ),
        "Abort": rpcserver.unary(service.abort, c.AbortRequest.FromString, empty),
    }
