"""Choosing a coherent GPU stack: nvidia/cuda base tag, PyTorch wheel index, vLLM release.

The facts live in `data/cuda_images.json`, `data/pytorch.json` and `data/vllm.json` so they can be refreshed
without touching code. Everything here is pure and runs before any build starts: an impossible combination
(cuDNN 8 on CUDA 12.4, torch 2.5 on CUDA 12.8, vLLM 0.8 with torch 2.7) is an `EnvbuildError` that names what
is possible. Nothing here needs a GPU: the images are only pulled and built on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from envbuild.errors import EnvbuildError, Location

_DATA = Path(__file__).with_name("data")
ANY = "*"  # a bare `torch` / `vllm` request: the newest release that fits
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


@cache
def load_table(name: str) -> dict[str, Any]:
    """One of the JSON tables shipped in `envbuild/compile/data/`."""
    return json.loads((_DATA / f"{name}.json").read_text(encoding="utf-8"))


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _matches(requested: str, actual: str) -> bool:
    """'12.4' matches 12.4.1, '12.4.1' only itself, '12' every 12.x."""
    return _key(actual)[: len(_key(requested))] == _key(requested)


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _known(what: str) -> str:
    """The versions the tables hold for `what` ("CUDA version", "torch version", "vllm version")."""
    if what.startswith("CUDA"):
        return _listing(r["cuda"] for r in load_table("cuda_images")["images"])
    if what.startswith("torch"):
        return _listing(r["torch"] for r in _torch_rows())
    return _listing(r["vllm"] for r in load_table("vllm")["releases"])


def _check_version(what: str, value: str, location: Location | None) -> str:
    value = str(value).strip()
    if not _VERSION.match(value):
        raise EnvbuildError(
            f"{what} {value!r} is not a version like 12.4 or 12.4.1",
            hint=f"{what}s in envbuild's tables: {_known(what)}",
            location=location,
        )
    return value


def _listing(values: Iterable[str]) -> str:
    return ", ".join(sorted(set(values), key=_key))


_UBUNTU_CODENAMES = {
    "xenial": "16.04", "bionic": "18.04", "focal": "20.04", "jammy": "22.04", "noble": "24.04",
}


def ubuntu_release(image: str) -> str | None:
    """The Ubuntu release a base image names (`ubuntu:22.04`, `docker.io/library/ubuntu:jammy`), else None.

    envd keeps the base image's Ubuntu release when it swaps in the CUDA image; so do we, via `ubuntu=`.
    """
    name, _, tag = image.rpartition(":")
    if "/" in tag or name.rsplit("/", 1)[-1] != "ubuntu":
        return None
    tag = tag.split("-", 1)[0]
    if re.fullmatch(r"\d\d\.\d\d", tag):
        return tag
    return _UBUNTU_CODENAMES.get(tag)


@dataclass(frozen=True)
class CudaImage:
    """An nvidia/cuda tag that exists, with what it holds."""

    cuda: str
    cudnn: str
    ubuntu: str
    variant: str  # "devel" for dev images (nvcc, headers), "runtime" otherwise
    ref: str  # fully qualified image reference


def cuda_image(
    version: str,
    cudnn: str | None = None,
    *,
    dev: bool = True,
    ubuntu: str | None = None,
    location: Location | None = None,
) -> CudaImage:
    """The nvidia/cuda image for `install.cuda(version=, cudnn=)`.

    `version` may be major.minor (the newest patch with images is taken) or a full X.Y.Z; `cudnn` is the cuDNN
    major ("8", "9") or None for whatever that CUDA release ships. `ubuntu` pins the distribution release when
    the base image says which one it wants.
    """
    table = load_table("cuda_images")
    version = _check_version("CUDA version", version, location)
    rows = [r for r in table["images"] if _matches(version, r["cuda"])]
    if not rows:
        known = _listing(r["cuda"] for r in table["images"])
        raise EnvbuildError(
            f"no nvidia/cuda image with cuDNN exists for CUDA {version}",
            hint=f"CUDA versions with images: {known}",
            location=location,
        )
    if cudnn is not None and str(cudnn).strip() != "":
        wanted = str(cudnn).strip().removeprefix("cudnn")
        with_cudnn = [r for r in rows if r["cudnn"] == wanted]
        if not with_cudnn:
            offers = "; ".join(f"CUDA {r['cuda']}: cuDNN {r['cudnn']}" for r in rows)
            raise EnvbuildError(
                f"CUDA {version} has no image with cuDNN {wanted}",
                hint=f"images exist for {offers}",
                location=location,
            )
        rows = with_cudnn
    if ubuntu is not None:
        on_release = [r for r in rows if ubuntu in r["ubuntu"]]
        if not on_release:
            offers = "; ".join(f"CUDA {r['cuda']}: Ubuntu {', '.join(r['ubuntu'])}" for r in rows)
            raise EnvbuildError(
                f"CUDA {version} has no image on Ubuntu {ubuntu}", hint=f"images exist for {offers}",
                location=location,
            )
        rows = on_release
    row = max(rows, key=lambda r: (_key(r["cuda"]), _key(r["cudnn"])))
    distro = ubuntu or next(u for u in table["ubuntu_preference"] if u in row["ubuntu"])
    variant = "devel" if dev else "runtime"
    tag = f"{row['cuda']}-{row['cudnn_tag']}-{variant}-ubuntu{distro}"
    return CudaImage(cuda=row["cuda"], cudnn=row["cudnn"], ubuntu=distro, variant=variant,
                     ref=f"{table['repository']}:{tag}")


@dataclass(frozen=True)
class TorchWheels:
    """Which torch to install and from where, for one CUDA major.minor (None = CPU wheels)."""

    torch: str
    cuda: str | None
    index_url: str
    packages: tuple[str, ...]  # pinned requirement strings: torch, torchvision, torchaudio


def _torch_rows() -> list[dict[str, Any]]:
    return load_table("pytorch")["releases"]


def _torch_row(version: str, location: Location | None) -> dict[str, Any]:
    version = _check_version("torch version", version, location)
    rows = [r for r in _torch_rows() if _matches(version, r["torch"])]
    if not rows:
        raise EnvbuildError(
            f"torch {version} is not in envbuild's PyTorch table",
            hint=f"known torch releases: {_listing(r['torch'] for r in _torch_rows())}",
            location=location,
        )
    return max(rows, key=lambda r: _key(r["torch"]))


def torch_wheels(
    torch: str | None, cuda: str | None, *, location: Location | None = None
) -> TorchWheels:
    """The torch release and wheel index for a torch request and/or a CUDA version.

    With only a CUDA version, the newest torch built for it is taken; with only a torch version, its default
    CUDA build; with neither, an error (there is nothing to choose from).
    """
    table = load_table("pytorch")
    if torch is None and cuda is None:
        raise EnvbuildError("a torch version or a CUDA version is needed to pick PyTorch wheels",
                            hint="CUDA versions with torch wheels: "
                            f"{_listing(c for r in _torch_rows() for c in r['cuda'])}", location=location)
    if cuda is not None:
        cuda = _major_minor(_check_version("CUDA version", cuda, location))
    if torch is not None:
        row = _torch_row(torch, location)
        if cuda is None:
            cuda = row["default_cuda"]
        elif cuda not in row["cuda"]:
            raise EnvbuildError(
                f"torch {row['torch']} has no wheels for CUDA {cuda}",
                hint=f"torch {row['torch']} is built for CUDA {', '.join(row['cuda'])}; "
                f"torch releases built for CUDA {cuda}: "
                f"{_listing(r['torch'] for r in _torch_rows() if cuda in r['cuda']) or 'none'}",
                location=location,
            )
    else:
        rows = [r for r in _torch_rows() if cuda in r["cuda"]]
        if not rows:
            raise EnvbuildError(
                f"no torch release in envbuild's table has wheels for CUDA {cuda}",
                hint="CUDA versions with torch wheels: "
                f"{_listing(c for r in _torch_rows() for c in r['cuda'])}",
                location=location,
            )
        row = max(rows, key=lambda r: _key(r["torch"]))
    assert cuda is not None  # from the request or from the torch row
    tag = cuda.replace(".", "")
    packages = tuple(f"{name}=={row[name]}" for name in ("torch", "torchvision", "torchaudio"))
    return TorchWheels(torch=row["torch"], cuda=cuda, index_url=table["index_url"].format(tag=tag),
                       packages=packages)


@dataclass(frozen=True)
class VllmRelease:
    vllm: str
    torch: str
    cuda: str


def vllm_release(version: str, *, location: Location | None = None) -> VllmRelease:
    """The vLLM release for a request like '0.8' or '0.8.5' (newest matching)."""
    rows = load_table("vllm")["releases"]
    version = _check_version("vllm version", version, location)
    matching = [r for r in rows if _matches(version, r["vllm"])]
    if not matching:
        raise EnvbuildError(
            f"vllm {version} is not in envbuild's vLLM table",
            hint=f"known vLLM releases: {_listing(r['vllm'] for r in rows)}",
            location=location,
        )
    row = max(matching, key=lambda r: _key(r["vllm"]))
    return VllmRelease(vllm=row["vllm"], torch=row["torch"], cuda=row["cuda"])


@dataclass(frozen=True)
class GpuStack:
    """A coherent set: base image, torch wheels and vLLM (when asked for), and the pip lines for them."""

    image: CudaImage
    torch: TorchWheels | None
    vllm: VllmRelease | None

    @property
    def python_packages(self) -> tuple[str, ...]:
        packages = self.torch.packages if self.torch else ()
        if self.vllm is not None:
            packages = (*packages, f"vllm=={self.vllm.vllm}")
        return packages

    @property
    def extra_index_url(self) -> str | None:
        """Passed to pip as --extra-index-url so PyPI stays the main index (vLLM and its other deps)."""
        return self.torch.index_url if self.torch else None


def gpu_stack(
    *,
    cuda: str | None = None,
    cudnn: str | None = None,
    torch: str | None = None,
    vllm: str | None = None,
    dev: bool = True,
    ubuntu: str | None = None,
    location: Location | None = None,
) -> GpuStack:
    """Everything a CUDA / PyTorch / vLLM request needs, checked for coherence before any build starts.

    vLLM fixes torch (its wheel pins one), torch fixes the set of CUDA builds, and the CUDA request must be
    one of them; the base image then comes from the CUDA major.minor that won. `torch`/`vllm` may be `ANY`
    (a bare `torch` / `vllm` package): the newest release that fits the rest of the request, and when none
    in the tables fits, no pin at all (pip decides, as it would in envd).
    """
    any_torch = torch == ANY
    torch = None if any_torch else torch
    if vllm == ANY:
        vllm = _newest_vllm_for(cuda=cuda, torch=torch)
    release = vllm_release(vllm, location=location) if vllm is not None else None
    if release is not None:
        asked_torch = _check_version("torch version", torch, location) if torch is not None else None
        if asked_torch is not None and not _matches(asked_torch, release.torch):
            asked: str = asked_torch
            raise EnvbuildError(
                f"vllm {release.vllm} needs torch {release.torch}, not torch {torch}",
                hint=_vllm_hint("torch", asked, lambda r: _matches(asked, r["torch"])),
                location=location,
            )
        if cuda is not None and _major_minor(cuda) != release.cuda:
            raise EnvbuildError(
                f"vllm {release.vllm} wheels are built for CUDA {release.cuda}, not CUDA {cuda}",
                hint=_vllm_hint("CUDA", cuda, lambda r: r["cuda"] == _major_minor(cuda)),
                location=location,
            )
        torch = release.torch
        cuda = cuda or release.cuda
    if any_torch and torch is None:
        torch = _newest_torch_for(cuda)
    wheels = torch_wheels(torch, cuda, location=location) if torch is not None else None
    if cuda is None and wheels is not None:
        cuda = wheels.cuda
    if cuda is None:
        raise EnvbuildError("install.cuda needs a CUDA version", hint=f"CUDA versions: {_known('CUDA')}",
                            location=location)
    image = cuda_image(cuda, cudnn, dev=dev, ubuntu=ubuntu, location=location)
    return GpuStack(image=image, torch=wheels, vllm=release)


def _newest_torch_for(cuda: str | None) -> str | None:
    """The newest torch with wheels for `cuda` (any torch when None), or None when the table has none."""
    cuda = _major_minor(cuda) if cuda and _VERSION.match(cuda.strip()) else cuda
    rows = [r for r in _torch_rows() if cuda is None or cuda in r["cuda"]]
    return max((r["torch"] for r in rows), key=_key) if rows else None


def _newest_vllm_for(*, cuda: str | None, torch: str | None) -> str | None:
    """The newest vLLM whose wheels fit the requested CUDA and torch, or None when none does."""
    rows = load_table("vllm")["releases"]
    if cuda is not None and _VERSION.match(cuda.strip()):
        rows = [r for r in rows if r["cuda"] == _major_minor(cuda.strip())]
    if torch is not None and _VERSION.match(torch.strip()):
        rows = [r for r in rows if _matches(torch.strip(), r["torch"])]
    return max((r["vllm"] for r in rows), key=_key) if rows else None


def _vllm_hint(what: str, value: str, fits) -> str:
    rows = [r for r in load_table("vllm")["releases"] if fits(r)]
    if not rows:
        return f"no vLLM release in envbuild's table goes with {what} {value}"
    return f"vLLM releases for {what} {value}: {_listing(r['vllm'] for r in rows)}"


_PIN = re.compile(r"^\s*(torch|vllm)\s*(?:==\s*([0-9][0-9.]*[0-9])(?:\+cu\d+)?)?\s*(?:;.*)?$", re.IGNORECASE)


def requested_versions(packages: Sequence[str]) -> tuple[str | None, str | None]:
    """(torch, vllm) versions asked for in python package specs such as 'torch==2.5.1' or 'vllm==0.8.5'.

    A bare 'torch' or 'vllm' is `ANY` ("the newest that fits", see `gpu_stack`); anything fancier (ranges,
    URLs, extras) is left alone and returns None for that package, so pip decides.
    """
    found: dict[str, str | None] = {}
    for spec in packages:
        match = _PIN.match(spec)
        if match is None:
            continue
        name, version = match.groups()
        name = name.lower()
        found[name] = ANY if version is None else version
    return found.get("torch"), found.get("vllm")
