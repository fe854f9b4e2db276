"""`--output` specs: what the user asked for, checked before any build starts.

The syntax is buildx's (`type=image,name=x:y,push=true`), so CI scripts read the same. Which BuildKit exporter
serves a spec depends on the worker (Docker's moby worker stores images through its `moby` exporter, a
standalone buildkitd through `image`), so parsing and lowering are separate: `parse_output` is pure and runs
before we connect; `exporter_for` needs the worker's capabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envbuild.errors import EnvbuildError, UsageError

OUTPUT_TYPES = ("image", "docker", "oci", "tar", "local")
_KEYS = {
    "image": {"name", "push", "compression", "unpack"},
    "docker": {"name", "dest", "compression"},
    "oci": {"name", "dest", "compression"},
    "tar": {"dest"},
    "local": {"dest"},
}
_NEEDS_DEST = {"docker", "oci", "tar", "local"}
_COMPRESSIONS = ("gzip", "zstd", "uncompressed", "estargz")
#: Layers of an image that only goes into the builder's own store (containerd's, Docker's containerd store)
#: are written uncompressed: nothing downloads them, and gzip on a few cores dominated big builds (a 3.1 GB
#: torch layer: minutes of gzip, then decompressing it again to unpack). Pushes and tarballs keep BuildKit's
#: default (gzip, which every runtime pulls); `compression=` chooses otherwise. Docker's classic store keeps
#: layers its own way and gets no attribute.
LOCAL_STORE_COMPRESSION = "uncompressed"


@dataclass(frozen=True)
class OutputSpec:
    """One parsed `--output`: `type` is ours (image|docker|oci|tar|local), `name` fully qualified."""

    type: str
    name: str | None = None
    push: bool = False
    dest: str | None = None
    compression: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())


def qualify_image_name(name: str) -> str:
    """`x:y` → `docker.io/library/x:y`, as Docker's containerd store needs to find the image again by its
    name.

    A first component with a dot or colon, or `localhost`, is a registry host and stays; a missing tag is
    `latest`.
    """
    name = name.strip()
    if not name:
        raise UsageError("--tag", name, "an image name such as myenv:dev or 127.0.0.1:5000/team/env:1")
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = "docker.io", name
        if "/" not in path:
            path = "library/" + path
    last = path.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        path += ":latest"
    if path != path.lower() or any(ch.isspace() for ch in path):
        raise UsageError("--tag", name, "image names are lower case without spaces (repository[:tag])")
    return f"{host}/{path}"


def _truth(flag: str, text: str, key: str, value: str) -> bool:
    low = value.lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    raise UsageError(flag, text, f"{key} takes true or false")


def parse_output(text: str, *, default_name: str | None = None, flag: str = "--output") -> OutputSpec:
    """Parse one `--output` value; every mistake names the flag, the value and what is allowed."""
    if not text.strip():
        raise UsageError(flag, text, f"type=<{'|'.join(OUTPUT_TYPES)}>[,name=...][,push=true][,dest=...]")
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep:
            # buildx shorthand: a bare path means type=local,dest=PATH; `-` means a tar on stdout
            if len(text.split(",")) == 1:
                return OutputSpec(type="tar" if key == "-" else "local", dest=key)
            raise UsageError(flag, text, f"comma-separated key=value pairs; {part!r} has no '='")
        if key in fields:
            raise UsageError(flag, text, f"{key} given twice")
        fields[key] = value.strip()
    kind = fields.pop("type", None)
    if kind is None:
        raise UsageError(flag, text, f"a type=<{'|'.join(OUTPUT_TYPES)}> field")
    if kind not in OUTPUT_TYPES:
        raise UsageError(flag, text, f"type is one of {', '.join(OUTPUT_TYPES)}")
    unknown = sorted(set(fields) - _KEYS[kind])
    if unknown:
        raise UsageError(
            flag, text, f"type={kind} takes {', '.join(sorted(_KEYS[kind]))}; not {', '.join(unknown)}"
        )
    push = _truth(flag, text, "push", fields["push"]) if "push" in fields else False
    compression = fields.get("compression")
    if compression is not None and compression not in _COMPRESSIONS:
        raise UsageError(flag, text, f"compression is one of {', '.join(_COMPRESSIONS)}")
    dest = fields.get("dest")
    if kind in _NEEDS_DEST and not dest:
        raise UsageError(
            flag, text, f"type={kind} needs dest=<{'directory' if kind == 'local' else 'file or -'}>"
        )
    name = fields.get("name") or (default_name if kind in ("image", "docker", "oci") else None)
    if kind == "image" and not name:
        raise UsageError(flag, text, "type=image needs name=<image> (or --tag)")
    if push and kind != "image":
        raise UsageError(flag, text, "push=true only goes with type=image")
    extra = tuple(sorted((k, v) for k, v in fields.items() if k == "unpack"))
    return OutputSpec(
        type=kind,
        name=qualify_image_name(name) if name else None,
        push=push,
        dest=dest,
        compression=compression,
        extra=extra,
    )


def parse_cache_spec(text: str, flag: str) -> dict[str, str]:
    """`type=registry,ref=...` / `type=local,src=...` → attributes, as buildx writes them."""
    attrs: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            if len(text.split(",")) == 1:
                return {"type": "registry", "ref": text}
            raise UsageError(
                flag, text, "comma-separated key=value pairs such as type=registry,ref=host/repo:cache"
            )
        attrs[key.strip()] = value.strip()
    if attrs.get("type") not in ("registry", "local", "inline", "gha", "s3", "azblob"):
        raise UsageError(
            flag, text, "type is one of registry, local, inline (plus gha, s3, azblob on buildkitd)"
        )
    return attrs


@dataclass(frozen=True)
class ExporterChoice:
    """A spec lowered for one worker: BuildKit exporter type, its attributes, and where its bytes go."""

    type: str
    attrs: dict[str, str]
    dest: Path | None


def exporter_for(spec: OutputSpec, *, exporters: frozenset[str], worker: str) -> ExporterChoice:
    """Pick the exporter that serves `spec` on this worker, or say why none can."""
    attrs: dict[str, str] = {}
    if spec.name:
        attrs["name"] = spec.name
    if spec.compression:
        attrs["compression"] = spec.compression
    attrs.update(dict(spec.extra))
    if spec.dest == "-":
        raise EnvbuildError(
            "dest=- (the tarball on stdout) is written by the command line, which gives the build a file"
        )
    dest = None if spec.dest is None else Path(spec.dest)
    if spec.type == "image":
        if spec.push:
            attrs["push"] = "true"
        elif spec.compression is None and "image" in exporters:
            attrs["compression"] = LOCAL_STORE_COMPRESSION
        # Docker's engine keeps images in its own store only through `moby`. A standalone buildkitd's `image`
        # exporter writes to its own store, which nobody can run from: there an image is pushed when asked,
        # else loaded into Docker as a docker tarball (as envd and `buildx --load` do).
        if "moby" not in exporters and not spec.push and "docker" in exporters:
            return ExporterChoice("docker", attrs, None)
        kind = "moby" if "moby" in exporters else "image"
        if kind not in exporters:
            raise EnvbuildError(
                f"the {worker} worker has no image exporter (it offers {', '.join(sorted(exporters))})"
            )
        if spec.push and kind == "moby" and "image" not in exporters:
            raise EnvbuildError(
                "this Docker engine cannot push from a build: its classic image store ignores push=true",
                hint='enable the containerd image store ("features": {"containerd-snapshotter": true}) or '
                "build with --output type=docker,dest=x.tar and `docker load` + `docker push`",
            )
        return ExporterChoice(kind, attrs, None)
    if spec.type not in exporters:
        raise EnvbuildError(
            f"the {worker} worker cannot write type={spec.type} outputs"
            f" (it offers {', '.join(sorted(exporters))})",
            hint="Docker's containerd image store adds docker and oci outputs",
        )
    return ExporterChoice(spec.type, attrs, dest)
