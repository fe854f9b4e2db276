"""The Python stage: uv and the environment at envd's prefix, prepared beside the apt step, not after it.

With the distribution's Python the interpreter comes from the apt step, but nothing else about the
environment needs that step: uv is fetched and the environment created on a state of their own (the base,
plus a tool-only python3 from apt and pip's wheel), so BuildKit runs them while the user's apt packages
install, and an apt change leaves them cached. Only the environment's own files (the prefix and the
`python`/`pip` wrappers) are merged into the image, as the changes from that tool state to the one with the
environment; uv never reaches the image: install steps mount it from the tool state.

The environment is a virtual environment of `/usr/bin/python3` made by `uv venv` (no ensurepip: apt needs no
`python3-venv`, and the image gets no setuptools), with pip installed into it by uv, since envd's
environment has pip and users run `pip install` in `run()` steps and shells. Measured on this machine kind:
`python3 -m venv` took 5 s and a 25.8 MB layer; `uv venv` plus pip from uv's cache takes well under a second
and 6.8 MB (pip's Windows launchers removed). Only when the environment sees the distribution's packages
(no `install.python()`) and the image's apt step brings `python3-pip` does it go without: its `pip` then
runs that one.

Without merge/diff support (Docker's classic store) the environment is created after the apt step, with uv
mounted from the same tool state, which BuildKit still builds beside the apt step.
"""

from __future__ import annotations

from envbuild import llb
from envbuild.compile.base import apt_source
from envbuild.compile.cache_mounts import UV_CACHE, uv_mounts
from envbuild.compile.join import Layer
from envbuild.compile.python import ENV_PREFIX, WRAPPERS, wrappers
from envbuild.compile.steps import StepEnv
from envbuild.compile.system_packages import install_apt_packages
from envbuild.compile.target import BuildTarget
from envbuild.graph import Graph

UV_VERSION = "0.13.9"
#: the pip release put into the environment: pinned, so the environment is the same on every machine and
#: a private index (`config.pip_index`) knows what it must serve besides the packages: uv and this pip
PIP_VERSION = "26.3"
UV_TOOL_DIR = "/opt/envbuild-uv"
UV_MOUNT = "/run/envbuild/uv"
#: apt packages of the tool state: an interpreter for uv to create the environment with
TOOL_APT = ("python3",)
#: pip's wheel, to fetch uv with, unpacked from its package without the package's dependencies (pip runs
#: from its wheel: python3-pip would add setuptools, wheel and distutils to install and byte-compile, beside
#: the user's apt step on the same cores)
TOOL_UNPACKED = ("python3-pip-whl",)
#: what Debian's pip wheel trusts (its certifi is patched to read the system store): installed only when
#: the build passes no CA bundle, which pip is given instead (PIP_CERT). Its setup, which rehashes every
#: certificate, took ~2.9 s of a 9.4 s tool state here, beside the user's apt step.
TOOL_CA_STORE = ("ca-certificates",)
#: the distribution's pip: when the image's own apt step installs it, a system-site environment runs it
SYSTEM_PIP = "python3-pip"
#: apt caches of the tool state, shared by every environment (its packages do not depend on the project)
TOOL_CACHE_SCOPE = "envbuild-python-tool"
PIP_ENV = {
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_PROGRESS_BAR": "off",
    "PIP_ROOT_USER_ACTION": "ignore",
}
UV_ENV = {
    "UV_CACHE_DIR": UV_CACHE,
    "UV_LINK_MODE": "copy",
    "UV_PYTHON_DOWNLOADS": "never",
    "UV_INDEX_STRATEGY": "unsafe-best-match",
    "UV_NO_PROGRESS": "1",
}


def tool_root(base: llb.State, target: BuildTarget, graph: Graph) -> llb.State:
    """What the tool state starts from: the base image with its own environment and the build's apt source,
    but not `runtime.environ` nor the dev layer, which the tools do not need: so a change to either (or a new
    project on the same base) finds uv and the environment's files already built."""
    return apt_source(base.with_envs(target.base_config.env_map()), graph.config.apt_source)


def uv_tool(root: llb.State, steps: StepEnv, index_env: dict[str, str]) -> llb.State:
    """`root` plus the distribution's python3, pip's wheel, and uv under /opt/envbuild-uv: a state the
    install steps mount uv from and the environment is created on, never exported. It depends on the base
    image, the apt source and the pip index alone, so it is built once per base image."""
    tool = install_apt_packages(
        root,
        TOOL_APT if steps.ca_bundle else TOOL_APT + TOOL_CA_STORE,
        steps,
        name="[internal] python3 for uv (not part of the image)",
        cache_scope=TOOL_CACHE_SCOPE,
        unpacked=TOOL_UNPACKED,
    )
    return steps.sh(
        tool,
        "set -- /usr/share/python-wheels/pip-*.whl\n"
        f'python3 "$1/pip" install --quiet --no-cache-dir --target {UV_TOOL_DIR} uv=={UV_VERSION}\n',
        name=f"[internal] fetch uv {UV_VERSION} (not part of the image)",
        # --target installs outside the system's packages, which PEP 668's marker guards
        env={**PIP_ENV, "PIP_BREAK_SYSTEM_PACKAGES": "1", **index_env},
    )


def uv_from_environment(python_env: llb.State, steps: StepEnv) -> llb.State:
    """uv for an environment that brings its own pip (micromamba, conda): fetched with that pip, on a side
    state that is mounted into install steps and never exported."""
    return steps.sh(
        python_env,
        f"{ENV_PREFIX}/bin/python -m pip install --quiet --no-cache-dir"
        f" --target {UV_TOOL_DIR} uv=={UV_VERSION}\n",
        name=f"[internal] fetch uv {UV_VERSION} (not part of the image)",
        env=PIP_ENV,
    )


def uv_mount(tool: llb.State) -> llb.BindMount:
    return llb.bind_mount(UV_MOUNT, tool, source=UV_TOOL_DIR, readonly=True)


def create_environment(
    state: llb.State,
    tool: llb.State,
    steps: StepEnv,
    index_env: dict[str, str],
    *,
    system_site: bool,
    own_pip: bool,
) -> llb.State:
    """The environment at envd's prefix on `state` (which has the distribution's /usr/bin/python3), and
    `python`/`pip` wrappers in /usr/local/bin (ahead of /usr/bin on PATH, while apt's maintainer scripts keep
    using /usr/bin/python3).

    `system_site`: the environment sees the distribution's packages too (see `PythonPlan`). `own_pip`: pip is
    installed into it; without, its `pip` runs the distribution's (`python3-pip` from the image's apt step,
    which a system-site environment imports and which then installs into the environment, as pip does in
    any virtual environment), so the image does not carry pip twice."""
    uv = f"{UV_MOUNT}/bin/uv"
    site = " --system-site-packages" if system_site else ""
    if own_pip:
        pip = (
            f"{uv} pip install --quiet --python {ENV_PREFIX}/bin/python pip=={PIP_VERSION}\n"
            # pip's Windows launchers (distlib's *.exe, 0.7 MB, a fifth of the layer gzipped): never run
            # here, and Debian's own pip package drops them too
            f"rm -f {ENV_PREFIX}/lib/python3*/site-packages/pip/_vendor/distlib/*.exe\n"
        )
    else:
        pip = wrappers(("pip", "pip3"), f"{ENV_PREFIX}/bin", f"{ENV_PREFIX}/bin/python -m pip")
    return steps.sh(
        state,
        f"{uv} venv --quiet{site} --python /usr/bin/python3 {ENV_PREFIX}\n" + pip + WRAPPERS,
        name=f"[internal] create python environment {ENV_PREFIX}",
        env={**UV_ENV, **index_env},
        mounts=[uv_mount(tool), *uv_mounts(steps.scope)],
    )


def environment_layer(
    tool: llb.State, steps: StepEnv, index_env: dict[str, str], *, system_site: bool, own_pip: bool
) -> Layer:
    """The environment created on the tool state, as the layer of what that added (the prefix and the
    wrappers; not python3, pip or uv, which the image gets from its own apt step or never)."""
    return Layer(
        tool, create_environment(tool, tool, steps, index_env, system_site=system_site, own_pip=own_pip)
    )
