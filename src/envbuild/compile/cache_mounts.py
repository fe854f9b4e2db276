"""Persistent cache mounts: one id per environment and per CPU/GPU flavour, as envd keys them.

Keying by environment keeps one project's apt lists or wheels from racing another's; keying by flavour keeps
CUDA wheels (hundreds of MB) out of CPU builds. The ids are stable across builds, which is what makes a
rebuild after a one-package change reuse everything already downloaded.
"""

from __future__ import annotations

from envbuild import llb

APT_ARCHIVES = "/var/cache/apt"
APT_LISTS = "/var/lib/apt/lists"
WHEELS = "/var/cache/envbuild/wheels"
PIP_CACHE = "/root/.cache/pip"
UV_CACHE = "/root/.cache/uv"
CONDA_PKGS = "/opt/conda/pkgs"


def cache_id(target: str, scope: str) -> str:
    """`/var/cache/apt/myenv-cpu`: envd's scheme (path, then `<env>-<cpu|gpu>`)."""
    return f"{target}/{scope}"


def apt_mounts(scope: str) -> list:
    """apt's archives and package lists; `locked`, since two apt processes on one cache corrupt it.

    The lists directory rather than all of `/var/lib/apt`: `extended_states` (which packages were installed
    automatically) lives beside it and belongs in the image, or `apt autoremove` in the container goes wrong.
    """
    return [
        llb.cache_mount(APT_ARCHIVES, cache_id(APT_ARCHIVES, scope), sharing="locked"),
        llb.cache_mount(APT_LISTS, cache_id(APT_LISTS, scope), sharing="locked"),
    ]


def wheel_mounts(scope: str) -> list:
    """The wheel store (`pip download -d`) plus pip's own cache; `locked` so parallel steps never see a half
    written wheel."""
    return [
        llb.cache_mount(WHEELS, cache_id(WHEELS, scope), sharing="locked"),
        llb.cache_mount(PIP_CACHE, cache_id(PIP_CACHE, scope), sharing="locked"),
    ]


def uv_mounts(scope: str) -> list:
    return [llb.cache_mount(UV_CACHE, cache_id(UV_CACHE, scope), sharing="locked")]


def conda_mounts(scope: str) -> list:
    return [llb.cache_mount(CONDA_PKGS, cache_id(CONDA_PKGS, scope), sharing="locked")]
