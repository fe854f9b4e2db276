"""graph → LLB, in envd v1's order: base → apt source → dev layer → system packages ∥ languages → uv /
pixi → language packages → io.http ∥ io.copy → code agents → user / ssh key / shell / Horust services / git
config / VS Code extensions (dev layer) → `run()` in call order → workdir and mount targets.

Each step is a pure function from a state to a state, in the module named for its node kind; this module only
decides the order and what runs side by side, and assembles the image config.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import envbuild
from envbuild import contract, llb
from envbuild._proto.pb import ops_pb2
from envbuild.compile import agents, dev, inputs, languages, python, python_env, python_packages, sources
from envbuild.compile import base as base_mod
from envbuild.compile import image_config as config_mod
from envbuild.compile.context import CompileContext
from envbuild.compile.join import Stage, join_stages
from envbuild.compile.located import located
from envbuild.compile.pip_args import package_sources, split_names
from envbuild.compile.run_steps import runs
from envbuild.compile.steps import CA_SECRET_ID, StepEnv, step_location
from envbuild.compile.system_packages import install_apt_packages, installs
from envbuild.compile.target import BuildTarget
from envbuild.graph import Graph
from envbuild.llb.refs import normalize_image_ref


@dataclass(frozen=True)
class CompiledBuild:
    """The compiled build: final state, its marshalled definition, the image config, and what the solve
    must provide (local directories by name, secret ids)."""

    state: llb.State
    definition: ops_pb2.Definition
    image_config: dict[str, Any]
    local_dirs: dict[str, str]
    secret_ids: tuple[str, ...]
    base_ref: str
    platform: str
    cache_scope: str = ""


def gpu_stack_for(graph: Graph):
    """The CUDA/PyTorch/vLLM set for this graph (devimage's tables), or None for a CPU build."""
    if graph.cuda is None:
        return None
    from envbuild.compile.cuda import gpu_stack, requested_versions, ubuntu_release

    names = [n for call in graph.packages.python for n in split_names(call.names, call.location).requirements]
    torch, vllm = requested_versions(names)
    return gpu_stack(
        cuda=graph.cuda.version,
        cudnn=graph.cuda.cudnn,
        torch=torch,
        vllm=vllm,
        dev=graph.base.dev,
        ubuntu=ubuntu_release(graph.base.image),
        location=graph.cuda.location,
    )


def base_ref(graph: Graph) -> str:
    """The image the build starts from: the CUDA table's pick when `install.cuda` is used. A reference that
    cannot be pulled is an error at the `base()` call."""
    with located(graph.cuda.location if graph.cuda is not None else None):
        stack = gpu_stack_for(graph)
    ref = stack.image.ref if stack is not None else graph.base.image
    with located(graph.base.location):
        normalize_image_ref(ref)
    return ref


def cache_scope(graph: Graph) -> str:
    return f"{graph.project.name}-{'gpu' if graph.cuda is not None else 'cpu'}"


def python_plan(graph: Graph, ref: str) -> python.PythonPlan | None:
    lang = graph.language("python")
    if lang is None and graph.conda is None:
        # envd uses the base image's Python when install.python() is absent; a bare distribution image has
        # none, so python packages there imply the distribution's Python.
        wants_python = bool(graph.packages.python) or (graph.config.jupyter is not None and graph.base.dev)
        if not (wants_python and python.distro_of(ref)):
            return None
        plan = python.plan_python(ref, None, conda=False)
        return replace(plan, system_site=plan.source == "apt")
    with located(lang.location if lang else None):
        return python.plan_python(ref, lang.version if lang else None, conda=graph.conda is not None)


def language_needs(graph: Graph, plan: python.PythonPlan | None) -> tuple[tuple[str, ...], tuple, tuple]:
    """What the languages add: PATH entries, environment variables, apt packages for the apt step."""
    paths: list[str] = list(python.PYTHON_PATHS) if plan is not None else []
    env: list[tuple[str, str]] = []
    apt: list[str] = list(python.apt_packages(plan)) if plan is not None else []
    for name in dict.fromkeys(lang.name for lang in graph.languages):
        stage = languages.STAGES.get(name)
        if stage is not None:
            paths += stage.paths
            env += stage.env
            apt += stage.apt
    if graph.conda is not None and graph.conda.use_mamba:
        env.append(("MAMBA_ROOT_PREFIX", python.CONDA_ROOT))
    if graph.uv is not None:
        env += languages.UV_ENV
    if graph.config.julia_pkg_server:
        # Julia's own setting for the package server, for the build's Pkg.add and for the user's sessions
        env.append(("JULIA_PKG_SERVER", graph.config.julia_pkg_server))
    return tuple(paths), tuple(env), tuple(apt)


def language_stages(
    graph: Graph, plan: python.PythonPlan | None, apt: tuple[str, ...], target: BuildTarget, steps: StepEnv
) -> list[Stage]:
    """The stages that only need the base: the apt step and each self-contained language tree."""
    stages: list[Stage] = []
    if apt:
        stages.append(("install system packages", lambda s: install_apt_packages(s, apt, steps)))
    if plan is not None and plan.source == "micromamba":
        stages.append(
            (f"python {plan.version}", lambda s: python.install_micromamba_python(s, plan.version, steps))
        )
    conda = graph.conda
    if plan is not None and plan.source == "conda" and conda is not None:
        target_owner = (target.uid, target.gid) if graph.base.dev else None
        stages.append(
            (
                f"conda python {plan.version}",
                lambda s: python.install_conda(
                    s,
                    plan.version,
                    use_mamba=conda.use_mamba,
                    channel=conda.channel,
                    platform=target.platform,
                    steps=steps,
                    owner=target_owner,
                ),
            )
        )
    installers = {
        "go": languages.install_go,
        "nodejs": languages.install_nodejs,
        "julia": languages.install_julia,
    }
    for lang in graph.languages:
        install = installers.get(lang.name)
        if install is not None:
            stages.append((lang.name, partial(install, version=lang.version, platform=target.platform)))
    return stages


def compile_graph(graph: Graph, *, target: BuildTarget) -> CompiledBuild:
    """Compile `graph` for `target` into LLB plus the image config. Pure: same inputs, same bytes."""
    ref = base_ref(graph)
    scope = cache_scope(graph)
    steps = StepEnv(scope=scope, ca_bundle=target.ca_bundle, proxy=target.proxy, ignore_cache=target.no_cache)
    plan = python_plan(graph, ref)

    added_paths, added_env, extra_apt = language_needs(graph, plan)
    env = config_mod.image_env(graph, target.base_config, added_paths, added_env)
    ctx = CompileContext(
        graph=graph, target=target, steps=steps, base_ref=ref, python=plan, env=tuple(env.items())
    )
    owner = ctx.owner if graph.base.dev else None

    # base → apt source → dev layer
    base = base_mod.base_image(ref, platform=target.platform, digest=target.base_digest)
    state = base.with_envs(env)
    state = base_mod.apt_source(state, graph.config.apt_source)
    if graph.base.dev:
        state = dev.compile_dev_base(state, ctx)

    # system packages ∥ languages ∥ the Python environment (uv and the venv need the base, not the apt step)
    # envd hands the names to bash unquoted, so "libfoo libbar" in one name is two packages there too
    user_apt = [word for name in graph.packages.apt_names() for word in name.split()]
    apt = tuple(dict.fromkeys([*user_apt, *extra_apt]))
    stages = language_stages(graph, plan, apt, target, steps)
    index = _pip_index(graph)
    uv: llb.State | None = None
    if plan is not None and plan.source == "apt":
        tool = uv = python_env.uv_tool(python_env.tool_root(base, target, graph), steps, index.env)
        site = plan.system_site
        own_pip = not (site and installs(apt, python_env.SYSTEM_PIP))
        if target.merge_diff:
            env_layer = python_env.environment_layer(
                tool, steps, index.env, system_site=site, own_pip=own_pip
            )
            stages.append(("python environment", lambda _: env_layer))
    state = join_stages(state, stages, merge_diff=target.merge_diff)
    if uv is not None and not target.merge_diff:
        state = python_env.create_environment(state, uv, steps, index.env, system_site=site, own_pip=own_pip)
    if graph.uv is not None:
        state = languages.install_uv(state, graph.uv.python_version, target.platform, steps)
    if graph.pixi is not None:
        state = languages.install_pixi(
            state,
            use_pixi_mirror=graph.pixi.use_pixi_mirror,
            pypi_index=graph.pixi.pypi_index,
            platform=target.platform,
            owner=owner,
        )
    rust = graph.language("rust")
    if rust is not None:
        state = languages.install_rust(state, rust.version, steps)

    # language packages
    state = _language_packages(state, graph, ctx, index, uv)

    # io.http ∥ io.copy: neither reads what the other writes, so they are joined like the language stages
    file_stages: list[Stage] = []
    if graph.downloads:
        file_stages.append(("io.http", lambda s: sources.http_downloads(s, graph.downloads, owner=owner)))
    if graph.copies:
        file_stages.append(("io.copy", lambda s: sources.copies(s, graph.copies, owner=owner)))
    state = join_stages(state, file_stages, merge_diff=target.merge_diff)
    state = agents.install_agents(state, graph.code_agents, platform=target.platform)

    # user / ssh key / shell / prompt / Horust services
    workdir = (
        config_mod.envd_project_dir(graph) if graph.base.dev else (target.base_config.working_dir or "/")
    )
    user = target.base_config.user
    entrypoint: tuple[str, ...] | None = graph.config.entrypoint or None
    if graph.base.dev:
        layer = dev.compile_dev_user(state, ctx)
        state = layer.state
        user = layer.user
        entrypoint = layer.entrypoint
        env.update(dict(layer.env))

    # run() in call order (in /home/envd/<env> for every image, as envd does, so `mount_host` and relative
    # paths behave the same), then the workdir and mount targets
    if graph.runs:
        run_dir = config_mod.envd_project_dir(graph)
        if not _made_by_first_run(graph, owner, user):
            state = state.mkdir(
                run_dir,
                mode=0o755,
                parents=True,
                chown=owner,
                custom_name=f"[internal] create work dir {run_dir}",
            )
        state = runs(state, graph.runs, steps, workdir=run_dir, user=user or None)
    # the dev project directory is the run() directory, made above when there are runs
    state = _mount_targets(state, graph, workdir if graph.base.dev and not graph.runs else None, owner)

    image = config_mod.image_config(
        graph,
        target.base_config,
        platform=target.platform,
        env=env,
        user=user,
        workdir=workdir if workdir != "/" or target.base_config.working_dir else "",
        entrypoint=entrypoint,
        version=envbuild.version(),
    )
    if target.lock_digest:
        image["config"]["Labels"][contract.LOCK_LABEL] = target.lock_digest
    definition = state.marshal(platform=target.platform)
    return CompiledBuild(
        state=state,
        definition=definition,
        image_config=image,
        local_dirs=inputs.local_dirs(graph, target),
        secret_ids=(CA_SECRET_ID,) if target.ca_bundle else (),
        base_ref=ref,
        platform=target.platform,
        cache_scope=scope,
    )


@dataclass(frozen=True)
class PipIndex:
    """`config.pip_index` (and a CUDA stack's extra index) as every step that fetches Python packages sees
    it: the /etc/pip.conf text for pip in the container, and the variables for uv and pip in build steps."""

    conf: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    extra: str | None = None
    trust: tuple[str, ...] = ()


def _pip_index(graph: Graph) -> PipIndex:
    index = graph.config.pip_index
    url = extra = None
    trust: tuple[str, ...] = ()
    conf = None
    if index is not None:
        from urllib.parse import urlsplit

        hosts = tuple(h for h in (urlsplit(u).hostname for u in (index.url, index.extra_url) if u) if h)
        url, extra, trust = index.url, index.extra_url, hosts if index.trust else ()
        conf = python_packages.pip_index_config(index.url, index.extra_url, index.trust, hosts)
    stack = gpu_stack_for(graph)
    if stack is not None and stack.extra_index_url:
        extra = " ".join(u for u in (extra, stack.extra_index_url) if u)
    return PipIndex(conf, python_packages.index_env(url, extra, trust), url, extra, trust)


def _language_packages(
    state: llb.State, graph: Graph, ctx: CompileContext, index: PipIndex, uv: llb.State | None
) -> llb.State:
    """Language packages after the joined stages, in envd's order. `uv` is the Python stage's tool state
    (distribution Python); a micromamba/conda environment fetches uv with its own pip instead."""
    steps: StepEnv = ctx.steps
    if index.conf is not None:
        state = python_packages.set_pip_index(state, index.conf)
    jupyter = ("jupyterlab",) if graph.config.jupyter is not None and graph.base.dev else ()
    if ctx.target.python_lock is not None and ctx.python is not None:
        # the names' own options (`torch --index-url …`) were resolved into the lock as extra sources
        sources_ = package_sources(split_names(c.names, c.location) for c in graph.packages.python)
        extra = " ".join(u for u in (index.extra, *sources_.extra_index_urls) if u) or None
        trust = index.trust + sources_.trusted_hosts
        env = python_packages.index_env(
            index.url, extra, trust, find_links=sources_.find_links, prerelease=sources_.prerelease
        )
        uv = uv if uv is not None else python_env.uv_from_environment(state, steps)
        state = _locked_python_packages(state, graph, ctx, ctx.target.python_lock, env, uv)
    elif graph.packages.python or jupyter:
        if uv is None and ctx.python is not None:
            uv = python_env.uv_from_environment(state, steps)
        installer = python_packages.Installer(
            steps,
            python=f"{python.ENV_PREFIX}/bin/python" if ctx.python is not None else None,
            uv=uv,
            env=index.env,
        )
        if graph.config.jupyter is not None and jupyter:
            # envd installs Jupyter for config.jupyter(); a step of its own, so it stays cached when the
            # user's packages change
            state = installer.names(
                state, split_names(jupyter), location=step_location(graph.config.jupyter.location)
            )
        for call in graph.packages.python:
            where = step_location(call.location)
            if call.names:
                state = installer.names(state, split_names(call.names, call.location), location=where)
            if call.requirements:
                needed = sources.requirements_includes(graph.project.dir, call.requirements)
                req_src = sources.context_source(needed)
                state = installer.requirements(state, call.requirements, req_src, location=where)
            if call.local_wheels:
                wheels_src = sources.context_source(tuple(call.local_wheels))
                state = installer.wheels(state, call.local_wheels, wheels_src, location=where)
    use_mamba = graph.conda.use_mamba if graph.conda is not None else True
    for conda_call in graph.packages.conda:
        if conda_call.names:
            state = python.install_conda_packages(
                state, conda_call.names, conda_call.channels, steps, use_mamba=use_mamba
            )
        if conda_call.env_file:
            state = python.conda_env_update(
                state,
                conda_call.env_file,
                sources.context_source(),
                steps,
                use_mamba=use_mamba,
                project_dir=config_mod.envd_project_dir(graph),
            )
    for r_call in graph.packages.r:
        state = languages.install_r_packages(state, r_call.names, graph.config.cran_mirror, steps)
    for julia_call in graph.packages.julia:
        state = languages.install_julia_packages(state, julia_call.names, steps)
    return state


def _locked_python_packages(
    state: llb.State,
    graph: Graph,
    ctx: CompileContext,
    requirements: str,
    env: dict[str, str],
    uv: llb.State,
) -> llb.State:
    """The whole Python set of envbuild.lock in one hash-checking install (Jupyter, names and requirements
    files included: they were resolved together), then the project's local wheels without dependencies
    (their dependencies are in the locked set)."""
    steps: StepEnv = ctx.steps
    installer = python_packages.Installer(steps, python=f"{python.ENV_PREFIX}/bin/python", uv=uv, env=env)
    first = graph.packages.python[0].location if graph.packages.python else None
    if first is None and graph.config.jupyter is not None:
        first = graph.config.jupyter.location
    state = installer.locked(state, requirements, location=step_location(first))
    for call in graph.packages.python:
        if call.local_wheels:
            wheels_src = sources.context_source(tuple(call.local_wheels))
            state = installer.wheels(
                state, call.local_wheels, wheels_src, location=step_location(call.location), no_deps=True
            )
    return state


def _made_by_first_run(graph: Graph, owner: tuple[int, int] | None, user: str) -> bool:
    """Whether BuildKit makes the `run()` directory exactly as our mkdir would: it creates a step's missing
    working directory, mode 0755, owned by root (the OCI worker; the containerd worker gives it to the step's
    user, so root's steps only). A dev image's directory is the user's, and a `mount_host` step's directory is
    a mount point BuildKit removes again after the step, so those keep the mkdir. Saves a step and a layer."""
    root = user.split(":", 1)[0] in ("", "root", "0")
    return owner is None and root and not any(item.mount_host for item in graph.runs)


def _mount_targets(
    state: llb.State, graph: Graph, workdir: str | None, owner: tuple[int, int] | None
) -> llb.State:
    """The dev project directory and every `runtime.mount` target exist in the image, owned by the user, so
    a bind mount over them at run time does not leave root-owned parents behind."""
    targets = ([workdir] if workdir else []) + [m.envd_path for m in graph.runtime.mounts]
    for path in dict.fromkeys(targets):
        state = state.mkdir(
            path, mode=0o755, parents=True, chown=owner, custom_name=f"[internal] create dir {path}"
        )
    return state
