"""The result image's OCI config: env (PATH in envd's order), user, workdir, ports, entrypoint, labels.

The graph JSON rides in the `ai.envbuild.graph` label so an image alone is enough for `envbuild up` to start
it later (ports, mounts, daemons all come from the graph). envd's own labels are written where their meaning
carries over, so tools that read them (envd's `envs`/`images` listings) see packages, ports and GPU flags.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from envbuild import contract
from envbuild.compile.target import BaseImageConfig
from envbuild.graph import Graph

DEFAULT_SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
BASE_ENV = (("LANG", "C.UTF-8"), ("LC_ALL", "C.UTF-8"))


def build_path(base: BaseImageConfig, extra_path: tuple[str, ...], added: tuple[str, ...]) -> str:
    """envd's PATH order: the default Unix PATH, `runtime.environ(extra_path=)`, the base image's PATH, then
    what the build added (Python prefix, Go, Node, ...), each directory once."""
    seen: dict[str, None] = {}
    base_path = tuple(p for p in base.env_map().get("PATH", "").split(":") if p)
    for item in (*DEFAULT_SYSTEM_PATH, *extra_path, *base_path, *added):
        seen.setdefault(item, None)
    return ":".join(seen)


def image_env(
    graph: Graph, base: BaseImageConfig, added_paths: tuple[str, ...], added_env: tuple[tuple[str, str], ...]
) -> dict[str, str]:
    """Base image env, then envd's locale, what languages set, and `runtime.environ`; PATH last."""
    env = {k: v for k, v in base.env_map().items() if k != "PATH"}
    env.update(BASE_ENV)
    env.update(added_env)
    for var in graph.runtime.environ:
        if var.name != "PATH":
            env[var.name] = var.value
    env["PATH"] = build_path(base, graph.runtime.extra_path, added_paths)
    return env


def repo_label(graph: Graph) -> str:
    """`config.repo` as envd writes it: JSON with empty fields left out (`{}` when the file has no repo)."""
    repo = graph.config.repo
    info = {"url": repo.url, "description": repo.description} if repo is not None else {}
    return json.dumps({k: v for k, v in info.items() if v}, separators=(",", ":"))


def exposed_ports(graph: Graph) -> list[str]:
    ports: set[int] = {e.envd_port for e in graph.runtime.expose}
    if graph.base.dev:
        ports.add(contract.SSH_PORT)
        if graph.config.jupyter is not None:
            ports.add(graph.config.jupyter.port or contract.JUPYTER_PORT)
        if graph.config.rstudio_server:
            ports.add(contract.RSTUDIO_PORT)
    return [f"{p}/tcp" for p in sorted(ports)]


def _shareable(graph: Graph) -> Graph:
    """The graph as the image label carries it: without the host's absolute project path (a pushed image
    would tell everyone where the builder kept the project, and the same project built from two checkouts
    would differ). Nothing reads it back: a container's project is the one `up`/`run` is given."""
    return dataclasses.replace(graph, project=dataclasses.replace(graph.project, dir="."))


def labels(graph: Graph, base: BaseImageConfig, version: str) -> dict[str, str]:
    out = dict(base.labels)
    pypi = [name for call in graph.packages.python for name in call.names]
    envd_ports = [{"name": "ssh", "port": contract.SSH_PORT}] if graph.base.dev else []
    if graph.base.dev and graph.config.jupyter is not None:
        envd_ports.append({"name": "jupyter", "port": graph.config.jupyter.port or contract.JUPYTER_PORT})
    if graph.base.dev and graph.config.rstudio_server:
        envd_ports.append({"name": "rstudio-server", "port": contract.RSTUDIO_PORT})
    envd_ports += [{"name": e.service, "port": e.envd_port} for e in graph.runtime.expose]
    out.update(
        {
            contract.GRAPH_LABEL: json.dumps(
                json.loads(_shareable(graph).to_json()), sort_keys=True, separators=(",", ":")
            ),
            contract.VERSION_LABEL: version,
            "ai.tensorchord.envd.syntax.version": graph.syntax,
            "ai.tensorchord.envd.vendor": "envbuild",
            "ai.tensorchord.envd.container.name": graph.project.name,
            "ai.tensorchord.envd.apt.packages": json.dumps(list(graph.packages.apt_names())),
            "ai.tensorchord.envd.pypi.commands": json.dumps(pypi),
            "ai.tensorchord.envd.r.packages": json.dumps([list(c.names) for c in graph.packages.r]),
            "ai.tensorchord.envd.ports": json.dumps(envd_ports),
            "ai.tensorchord.envd.repo": repo_label(graph),
        }
    )
    if graph.cuda is not None:
        out["ai.tensorchord.envd.gpu"] = "true"
        out["ai.tensorchord.envd.gpu.cuda"] = graph.cuda.version
        out["ai.tensorchord.envd.gpu.cudnn"] = graph.cuda.cudnn or ""
    return out


def image_config(
    graph: Graph,
    base: BaseImageConfig,
    *,
    platform: str,
    env: dict[str, str],
    user: str,
    workdir: str,
    entrypoint: tuple[str, ...] | None,
    version: str,
) -> dict[str, Any]:
    """The OCI image config document (`architecture`, `os`, `config`) handed to the exporter.

    `entrypoint` None keeps the base image's entrypoint and cmd (non-dev images); a dev image or
    `config.entrypoint` replaces both.
    """
    os_name, _, arch_variant = platform.partition("/")
    arch, _, variant = arch_variant.partition("/")
    config: dict[str, Any] = {
        "Env": [f"{k}={v}" for k, v in env.items()],
        "Labels": labels(graph, base, version),
    }
    if user:
        config["User"] = user
    if workdir:
        config["WorkingDir"] = workdir
    if entrypoint is None:
        if base.entrypoint:
            config["Entrypoint"] = list(base.entrypoint)
        if base.cmd:
            config["Cmd"] = list(base.cmd)
    else:
        config["Entrypoint"] = list(entrypoint)
    ports = sorted({*base.exposed_ports, *exposed_ports(graph)})
    if ports:
        config["ExposedPorts"] = {p: {} for p in ports}
    doc: dict[str, Any] = {"architecture": arch or "amd64", "os": os_name or "linux", "config": config}
    if variant:
        doc["variant"] = variant
    return doc


def envd_project_dir(graph: Graph) -> str:
    """`/home/envd/<env>`: the dev image's workdir and where every image's run() steps work."""
    return contract.project_dir(graph.project.name)
