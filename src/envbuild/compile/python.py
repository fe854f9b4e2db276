"""`install.python` / `install.conda`: where the environment's Python comes from.

envd always installs Python with micromamba from conda channels (`/opt/conda/envs/envd`). Many machines, this
one included, reach only their distribution's mirror and PyPI, and a distribution's Python is patched and
security-maintained, so envbuild prefers it when the base image's distribution ships the requested version
(Debian bookworm → 3.11, trixie → 3.13, Ubuntu 22.04 → 3.10, 24.04 → 3.12): apt installs `python3` in the
system-packages step, and a virtual environment at envd's prefix, `/opt/conda/envs/envd`, keeps envd's layout
(PATH, scripts naming that prefix); `python_env.py` prepares it beside the apt step. Any other version, or
`install.conda()`, goes through micromamba / Miniconda as envd does.

The choice is made from the base image's name at compile time, so it is visible in `envbuild debug llb` and in
snapshots, and never depends on what a registry says.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from envbuild import llb
from envbuild.compile.cache_mounts import conda_mounts
from envbuild.compile.steps import StepEnv
from envbuild.errors import EnvbuildError

ENV_PREFIX = "/opt/conda/envs/envd"
CONDA_ROOT = "/opt/conda"
DEFAULT_VERSION = "3.11"
MICROMAMBA_IMAGE = "ghcr.io/mamba-org/micromamba:2.3.3-debian12-slim"
MINICONDA_VERSION = "py311_25.9.1-1"
# The installers' SHA-256 as envd pins them for this release (its get_conda.sh), checked by BuildKit
MINICONDA_SHA256 = {
    "x86_64": "sha256:238abad23f8d4d8ba89dd05df0b0079e278909a36e06955f12bbef4aa94e6131",
    "aarch64": "sha256:4e0723b9d76aa491cf22511dac36f4fdec373e41d2a243ff875e19b8df39bf94",
}
# envd's rc files: conda-forge, never Anaconda's `defaults` channels (terms of service, licensing)
CONDARC = "default_channels:\n  - https://conda.anaconda.org/conda-forge/\n\nchannels:\n  - conda-forge\n"
MAMBARC = "channels:\n  - conda-forge\n"
PYTHON_PATHS = (f"{ENV_PREFIX}/bin", f"{CONDA_ROOT}/bin", "/home/envd/.local/bin")

# The Python 3 each distribution release ships as `python3`.
DISTRO_PYTHON = {
    ("debian", "bullseye"): "3.9",
    ("debian", "11"): "3.9",
    ("debian", "bookworm"): "3.11",
    ("debian", "12"): "3.11",
    ("debian", "trixie"): "3.13",
    ("debian", "13"): "3.13",
    ("ubuntu", "20.04"): "3.8",
    ("ubuntu", "focal"): "3.8",
    ("ubuntu", "22.04"): "3.10",
    ("ubuntu", "jammy"): "3.10",
    ("ubuntu", "24.04"): "3.12",
    ("ubuntu", "noble"): "3.12",
}
_CUDA_TAG_DISTRO = re.compile(r"-(ubuntu)(\d\d\.\d\d)$")


@dataclass(frozen=True)
class PythonPlan:
    """How Python gets into the image: `apt` (distribution python3 + venv), `micromamba`, or `conda`.

    `system_site`: the environment also sees the distribution's Python packages, as envd's Python does when
    the file has no `install.python()` (envd then runs the base image's own interpreter, so a `python3-yaml`
    from apt imports)."""

    source: str
    version: str
    system_site: bool = False


def distro_of(image: str) -> tuple[str, str] | None:
    """(`debian`, `bookworm`) from `docker.io/library/debian:bookworm`; CUDA tags name their Ubuntu at the
    end (`12.2.2-cudnn8-devel-ubuntu22.04`). None when the name does not say."""
    name = image.split("@", 1)[0]
    repo, _, tag = name.rpartition(":")
    if not repo or "/" in tag:
        repo, tag = name, "latest"
    short = repo.rsplit("/", 1)[-1]
    if short in ("debian", "ubuntu"):
        tag = tag.removesuffix("-slim")
        return short, tag
    match = _CUDA_TAG_DISTRO.search(tag)
    if match:
        return match.group(1), match.group(2)
    return None


def requested_version(version: str | None) -> str:
    if version in (None, "", "3"):
        return DEFAULT_VERSION
    if not re.fullmatch(r"3(\.\d+){1,2}", version):
        raise EnvbuildError(f"python version {version!r} is not supported: ask for 3, 3.X or 3.X.Y")
    return version


def plan_python(image: str, version: str | None, *, conda: bool) -> PythonPlan:
    """Pick the source of Python for this base image and version."""
    if conda:
        return PythonPlan("conda", requested_version(version))
    distro = distro_of(image)
    shipped = DISTRO_PYTHON.get(distro) if distro else None
    if shipped and (version in (None, "", "3") or version == shipped):
        return PythonPlan("apt", shipped)
    return PythonPlan("micromamba", requested_version(version))


def apt_packages(plan: PythonPlan) -> tuple[str, ...]:
    """What the system-packages step must add for this plan."""
    if plan.source == "apt":
        return ("python3",)
    # micromamba and conda need nothing but a CA bundle, which comes as a secret; bzip2 for conda's installer
    return ("bzip2",) if plan.source == "conda" else ()


def wrappers(tools: tuple[str, ...], directory: str, command: str) -> str:
    """A script that writes an `sh` wrapper for each of `tools` into `directory`, running `command` (`%s`
    there is the tool's name) with the wrapper's arguments."""
    return (
        f"for tool in {' '.join(tools)}; do\n"
        f'  printf \'#!/bin/sh\\nexec {command} "$@"\\n\' "$tool" > {directory}/$tool\n'
        f"  chmod 755 {directory}/$tool\n"
        "done\n"
    )


# Wrappers rather than symlinks: a venv's python is only a venv when started through its own path (Python
# looks for pyvenv.cfg beside the path it was invoked as), so a symlink in /usr/local/bin would lose the
# environment's packages.
WRAPPERS = wrappers(("python", "python3", "pip", "pip3"), "/usr/local/bin", f"{ENV_PREFIX}/bin/%s")


def install_micromamba_python(
    state: llb.State, version: str, steps: StepEnv, *, rc: str | None = None, after: str = ""
) -> llb.State:
    """envd's way: micromamba from its image, `micromamba create -p /opt/conda/envs/envd python=X`; `rc` is
    written as /opt/conda/.mambarc first (install.conda(use_mamba=True)), `after` ends the step."""
    mamba = llb.image(MICROMAMBA_IMAGE)
    with_bin = state.mkdir(
        f"{CONDA_ROOT}/bin", mode=0o755, parents=True, custom_name="[internal] create conda dir"
    )
    with_bin = with_bin.copy(
        mamba,
        "/bin/micromamba",
        f"{CONDA_ROOT}/bin/micromamba",
        custom_name="[internal] copy micromamba binary",
    )
    script = (
        (f"printf '%s' {shlex.quote(rc)} > {CONDA_ROOT}/.mambarc\n" if rc else "")
        + f"{CONDA_ROOT}/bin/micromamba create -y -p {ENV_PREFIX}"
        f" -c conda-forge python={shlex.quote(version)}\n" + WRAPPERS + after
    )
    return steps.sh(
        with_bin,
        script,
        name=f"[internal] create envd python={version}",
        env={"MAMBA_ROOT_PREFIX": CONDA_ROOT},
        mounts=conda_mounts(steps.scope),
    )


def install_conda(
    state: llb.State,
    version: str,
    *,
    use_mamba: bool,
    channel: str | None,
    platform: str,
    steps: StepEnv,
    owner: tuple[int, int] | None = None,
) -> llb.State:
    """`install.conda()`: Miniconda (checksum-verified) or micromamba (`use_mamba=True`) at /opt/conda with
    envd's conda-forge rc file, and an `envd` env. `owner`: the dev user, who gets /opt/conda (as in envd,
    so `conda install` / `pip install` work without sudo in the environment)."""
    chown = f"chown -R {owner[0]}:{owner[1]} {CONDA_ROOT}\n" if owner and owner[0] != 0 else ""
    if use_mamba:
        state = install_micromamba_python(state, version, steps, rc=MAMBARC, after=chown)
    else:
        arch = "aarch64" if platform.endswith("arm64") else "x86_64"
        installer = llb.http(
            f"https://repo.anaconda.com/miniconda/Miniconda3-{MINICONDA_VERSION}-Linux-{arch}.sh",
            checksum=MINICONDA_SHA256[arch],
            filename="miniconda.sh",
        )
        script = (
            f"bash /tmp/miniconda/miniconda.sh -b -u -p {CONDA_ROOT}\n"
            f"printf '%s' {shlex.quote(CONDARC)} > {CONDA_ROOT}/.condarc\n"
            f"{CONDA_ROOT}/bin/conda create -y -n envd python={shlex.quote(version)}\n" + WRAPPERS + chown
        )
        state = steps.sh(
            state,
            script,
            name=f"[internal] install conda and create envd python={version}",
            mounts=[llb.bind_mount("/tmp/miniconda", installer, readonly=True), *conda_mounts(steps.scope)],
        )
    if channel:
        state = state.mkfile(
            f"{ENV_PREFIX}/.condarc",
            channel.encode(),
            mode=0o644,
            custom_name="[internal] setting conda channel",
        )
    return state


def conda_env_update(
    state: llb.State, env_file: str, context: llb.State, steps: StepEnv, *, use_mamba: bool, project_dir: str
) -> llb.State:
    """`install.conda_packages(env_file=)`: update the envd environment from a file in the project.

    As in envd, the whole project is mounted read-write (changes are not kept) at the project directory,
    which is the working directory, so relative paths in the file (`-e .` in its pip section) resolve."""
    tool = f"{CONDA_ROOT}/bin/micromamba" if use_mamba else f"{CONDA_ROOT}/bin/conda env"
    path = shlex.quote(env_file)
    return steps.sh(
        state,
        f"{tool} update -y -p {ENV_PREFIX} --file {path}\n"
        if use_mamba
        else f"{tool} update -p {ENV_PREFIX} --file {path}\n",
        name=f"conda env update --file {env_file}",
        env={"MAMBA_ROOT_PREFIX": CONDA_ROOT},
        cwd=project_dir,
        mounts=[llb.bind_mount(project_dir, context), *conda_mounts(steps.scope)],
    )


def install_conda_packages(
    state: llb.State, names: tuple[str, ...], channels: tuple[str, ...], steps: StepEnv, *, use_mamba: bool
) -> llb.State:
    """One `install.conda_packages` call into the envd environment, package cache mounted."""
    tool = f"{CONDA_ROOT}/bin/micromamba" if use_mamba else f"{CONDA_ROOT}/bin/conda"
    chans = "".join(f" -c {shlex.quote(c)}" for c in channels)
    pkgs = " ".join(shlex.quote(n) for n in names)
    return steps.sh(
        state,
        f"{tool} install -y -p {ENV_PREFIX}{chans} {pkgs}\n",
        name=f"conda install {' '.join(names)}",
        env={"MAMBA_ROOT_PREFIX": CONDA_ROOT},
        mounts=conda_mounts(steps.scope),
    )
