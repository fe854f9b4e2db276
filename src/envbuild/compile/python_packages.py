"""`install.python_packages`: one install step per call, in call order, with downloads kept across builds.

Behind a proxy that strips caching headers pip's HTTP cache stores nothing, so a pip cache mount alone saves
no download. Measured here (numpy + requests, warm caches): `pip wheel -w CACHE` then
`pip install --no-index --find-links CACHE` took 4.8 s per step and downloaded nothing; pip with
`--find-links`
but the index on re-downloaded everything; `uv pip install` with its content-addressed cache on a cache mount
took 0.7 s (1.0 s cold). So uv installs the packages, with its cache persistent per environment, and pip's
semantics kept where they differ (`unsafe-best-match` across indexes, as pip does with `--extra-index-url`).

uv itself is installed from PyPI into a side state and bind-mounted into the install steps: it never becomes
part of the image, and it is fetched once per Python environment. When the build has no Python of its own (the
base image brings one), pip is used as envd does.
"""

from __future__ import annotations

import shlex

from envbuild import llb
from envbuild.compile.cache_mounts import PIP_CACHE, UV_CACHE, WHEELS, cache_id, uv_mounts, wheel_mounts
from envbuild.compile.pip_args import PipArgs
from envbuild.compile.python import ENV_PREFIX
from envbuild.compile.steps import StepEnv

CONTEXT_MOUNT = "/run/envbuild/context"
PIP_CONF = "/etc/pip.conf"
UV_VERSION = "0.13.9"
UV_TOOL_DIR = "/opt/envbuild-uv"
UV_MOUNT = "/run/envbuild/uv"
LOCK_MOUNT = "/run/envbuild/lock"
_PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_PROGRESS_BAR": "off", "PIP_ROOT_USER_ACTION": "ignore"}
_UV_ENV = {
    "UV_CACHE_DIR": UV_CACHE,
    "UV_LINK_MODE": "copy",
    "UV_PYTHON_DOWNLOADS": "never",
    "UV_INDEX_STRATEGY": "unsafe-best-match",
    "UV_NO_PROGRESS": "1",
}


def pip_index_config(url: str, extra_url: str | None, trust: bool, hosts: tuple[str, ...]) -> str:
    """The `/etc/pip.conf` text for `config.pip_index` (as envd writes it), for pip inside the container."""
    lines = ["[global]", f"index-url={url}"]
    if extra_url:
        lines.append(f"extra-index-url={extra_url}")
    if trust and hosts:
        lines.append("trusted-host=" + " ".join(hosts))
    return "\n".join(lines) + "\n"


def index_env(
    url: str | None,
    extra_url: str | None,
    trust_hosts: tuple[str, ...],
    *,
    find_links: tuple[str, ...] = (),
    prerelease: bool = False,
) -> dict[str, str]:
    """The same index settings for the build's installer (uv does not read pip.conf; pip does, harmlessly)."""
    env: dict[str, str] = {}
    if find_links:
        env["UV_FIND_LINKS"] = ",".join(find_links)
        env["PIP_FIND_LINKS"] = " ".join(find_links)
    if prerelease:
        env["UV_PRERELEASE"] = "allow"
        env["PIP_PRE"] = "1"
    if url:
        env["UV_INDEX_URL"] = env["PIP_INDEX_URL"] = url
    if extra_url:
        env["UV_EXTRA_INDEX_URL"] = env["PIP_EXTRA_INDEX_URL"] = extra_url
    if trust_hosts:
        env["UV_INSECURE_HOST"] = env["PIP_TRUSTED_HOST"] = " ".join(trust_hosts)
    return env


def set_pip_index(state: llb.State, content: str) -> llb.State:
    return state.mkfile(
        PIP_CONF, content, mode=0o644, custom_name=f"[internal] setting PyPI index {PIP_CONF}"
    )


def uv_tool(python_env: llb.State, steps: StepEnv) -> llb.State:
    """A side state with uv installed under /opt/envbuild-uv (mounted into install steps, never exported)."""
    return steps.sh(
        python_env,
        f"{ENV_PREFIX}/bin/python -m pip install --quiet --no-cache-dir"
        f" --target {UV_TOOL_DIR} uv=={UV_VERSION}\n",
        name=f"[internal] fetch the uv {UV_VERSION} installer (not part of the image)",
        env=_PIP_ENV,
    )


class Installer:
    """How one environment installs Python packages: uv into `python` (a venv/conda prefix) when `uv` is
    given, else pip from PATH."""

    def __init__(self, steps: StepEnv, *, python: str | None, uv: llb.State | None, env: dict[str, str]):
        self.steps = steps
        self.python = python
        self.uv = uv
        self.env = env

    def _pip(self, state: llb.State, args: str, name: str, location=None) -> llb.State:
        """Plain `pip install ARGS`, envd's command, for option lines uv has no spelling for."""
        python = self.python or "python3"
        return self.steps.sh(
            state,
            f"{python} -m pip install {args}\n",
            name=name,
            env={**_PIP_ENV, **self.env},
            mounts=[llb.cache_mount(PIP_CACHE, cache_id(PIP_CACHE, self.steps.scope), sharing="locked")],
            location=location,
        )

    def _run(self, state: llb.State, args: str, name: str, extra_mounts: list, location=None) -> llb.State:
        if self.uv is not None and self.python:
            script = f"{UV_MOUNT}/bin/uv pip install --python {self.python} {args}\n"
            mounts = [
                llb.bind_mount(UV_MOUNT, self.uv, source=UV_TOOL_DIR, readonly=True),
                *uv_mounts(self.steps.scope),
                *extra_mounts,
            ]
            env = {**_UV_ENV, **self.env}
        else:
            # pip's HTTP cache is useless behind a header-stripping proxy: keep wheels in the cache mount and
            # install from there only (measured: no download on rebuild)
            script = (
                f"python3 -m pip wheel --wheel-dir {WHEELS} {args}\n"
                f"python3 -m pip install --no-index --find-links {WHEELS} {args}\n"
            )
            mounts = [*wheel_mounts(self.steps.scope), *extra_mounts]
            env = {**_PIP_ENV, **self.env}
        return self.steps.sh(state, script, name=name, env=env, mounts=mounts, location=location)

    def names(self, state: llb.State, args: PipArgs, *, location=None) -> llb.State:
        """One call's names, options included (`torch --index-url …`): uv when every option has a uv
        spelling, else pip with the line as written."""
        name = "pip install " + " ".join(args.words)
        if self.uv is not None and self.python and args.uv_words is not None:
            return self._run(state, shlex.join(args.uv_words), name, [], location)
        if args.has_options:
            return self._pip(state, shlex.join(args.words), name, location)
        return self._run(state, shlex.join(args.words), name, [], location)

    def requirements(self, state: llb.State, path: str, context: llb.State, *, location=None) -> llb.State:
        """`-r file` with the build context mounted read-only, so nested `-r`/`-e` paths resolve."""
        mount = llb.bind_mount(CONTEXT_MOUNT, context, readonly=True)
        args = f"-r {shlex.quote(f'{CONTEXT_MOUNT}/{path}')}"
        return self._run(state, args, f"pip install -r {path}", [mount], location)

    def wheels(
        self,
        state: llb.State,
        wheels: tuple[str, ...],
        context: llb.State,
        *,
        location=None,
        no_deps: bool = False,
    ) -> llb.State:
        mount = llb.bind_mount(CONTEXT_MOUNT, context, readonly=True)
        args = " ".join(shlex.quote(f"{CONTEXT_MOUNT}/{w}") for w in wheels)
        if no_deps:
            args = "--no-deps " + args
        return self._run(state, args, "pip install " + " ".join(wheels), [mount], location)

    def locked(self, state: llb.State, requirements: str, *, location=None) -> llb.State:
        """Every package of a lock, each checked against its hashes (`--require-hashes`): what the index
        serves now is installed only if it is byte for byte what was locked."""
        files = llb.scratch().mkfile(
            "/requirements.txt", requirements, mode=0o644, custom_name="[internal] envbuild.lock requirements"
        )
        mount = llb.bind_mount(LOCK_MOUNT, files, readonly=True)
        count = sum(1 for line in requirements.splitlines() if line and not line[0].isspace())
        return self._run(
            state,
            f"--require-hashes -r {LOCK_MOUNT}/requirements.txt",
            f"pip install {count} packages pinned by envbuild.lock",
            [mount],
            location,
        )
