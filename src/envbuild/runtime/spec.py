"""What to run: a pure plan (`RunSpec`) from the graph and the command-line options, before any side effect.

Keeping the plan apart from the Docker calls lets the flag checks (volumes, GPUs, memory, ports) fail before
anything exists, so a bad flag never leaves a half-started container behind.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from envbuild import contract
from envbuild.errors import EnvbuildError, UsageError
from envbuild.paths import cache_dir
from envbuild.runtime import labels

RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")
_CPU_SET = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
_CAPABILITY = re.compile(r"^(CAP_)?[A-Z][A-Z_]*$")
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*([kmgt]i?b?|b)?$", re.IGNORECASE)


@dataclass(frozen=True)
class PortBinding:
    name: str
    container_port: int
    host_port: int = 0  # 0: any free port
    host_ip: str = "127.0.0.1"
    strict: bool = True  # False: the port is a preference; a free one replaces it when it is taken


@dataclass(frozen=True)
class BindMount:
    source: str
    target: str
    read_only: bool = False
    create: bool = False  # an envbuild-managed dir (data.envd): made on the host at start if missing


@dataclass(frozen=True)
class GpuRequest:
    """`count=-1` means all GPUs; `device_ids` names specific ones. `optional`: nobody asked, the image is a
    CUDA one; attached when the engine can, else the environment runs without (with a warning)."""

    count: int = 0
    device_ids: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class RunOptions:
    """The run-time flags of `up` / `run`, as given."""

    name: str
    image: str
    project_dir: Path
    volumes: tuple[str, ...] = ()
    gpus: int | None = None
    gpu_set: str = ""
    no_gpu: bool = False
    shm_size: int | None = None  # MB
    cpus: str = ""
    cpu_set: str = ""
    memory: str = ""
    caps: tuple[str, ...] = ()
    restart: str = "unless-stopped"
    host: str = "127.0.0.1"
    ssh_port: int = 0
    jupyter_port: int | None = None
    timeout: float = 60.0


@dataclass(frozen=True)
class RunSpec:
    name: str
    image: str
    project_dir: Path
    workdir: str
    ports: tuple[PortBinding, ...]
    mounts: tuple[BindMount, ...]
    environment: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    gpu: GpuRequest | None = None
    shm_size_mb: int = 2048
    nano_cpus: int | None = None
    cpu_set: str | None = None
    memory: str | None = None
    caps: tuple[str, ...] = ()
    restart: str = "unless-stopped"
    jupyter_token: str | None = None
    timeout: float = 60.0
    commands: dict[str, str] = field(default_factory=dict)

    def port(self, name: str) -> PortBinding | None:
        return next((p for p in self.ports if p.name == name), None)


def parse_volume(value: str, project_dir: Path) -> BindMount:
    """`HOST:CONTAINER[:ro|rw]`, HOST relative to the project dir or with `~`."""
    parts = value.split(":")
    allowed = "HOST:CONTAINER or HOST:CONTAINER:ro with an existing host path and an absolute container path"
    if len(parts) not in (2, 3) or not all(parts[:2]) or (len(parts) == 3 and parts[2] not in ("ro", "rw")):
        raise UsageError("--volume", value, allowed)
    source = (project_dir / Path(parts[0]).expanduser()).resolve()
    if not source.exists() or not parts[1].startswith("/"):
        raise UsageError("--volume", value, allowed)
    return BindMount(str(source), parts[1], read_only=len(parts) == 3 and parts[2] == "ro")


def parse_gpu_set(value: str) -> GpuRequest:
    """Docker's `--gpus` forms: `all`, `N`, `count=N`, `device=1,3` (quotes allowed)."""
    raw = value.strip().strip("'\"")
    allowed = "all, a count (2 or count=2) or device ids (device=0,1)"
    if raw == "all" or raw == "count=all":
        return GpuRequest(count=-1)
    if raw.isdigit() and int(raw) > 0:
        return GpuRequest(count=int(raw))
    if raw.startswith("count=") and raw[6:].isdigit() and int(raw[6:]) > 0:
        return GpuRequest(count=int(raw[6:]))
    if raw.startswith("device="):
        ids = tuple(i.strip() for i in raw[7:].split(",") if i.strip())
        if ids:
            return GpuRequest(device_ids=ids)
    raise UsageError("--gpu-set", value, allowed)


def gpu_request(options: RunOptions, config_gpu: int, *, cuda: bool = False) -> GpuRequest | None:
    """`--gpu-set` beats `--gpus`, which beats `config.gpu()`; `--no-gpu` turns it all off (envd's order).
    A CUDA image with none of them asks for one GPU, as envd does, but only where the engine has GPUs."""
    if options.no_gpu:
        return None
    if options.gpu_set:
        return parse_gpu_set(options.gpu_set)
    if options.gpus is not None:
        if options.gpus < 0:
            raise UsageError("--gpus", options.gpus, "a positive number of GPUs")
        return GpuRequest(count=options.gpus) if options.gpus else None
    if config_gpu > 0:
        return GpuRequest(count=config_gpu)
    return GpuRequest(count=1, optional=True) if cuda else None


def parse_cpus(value: str) -> int | None:
    if not value:
        return None
    try:
        cpus = float(value)
    except ValueError:
        cpus = 0.0
    if cpus <= 0:
        raise UsageError("--cpus", value, "a positive number of CPUs, such as 0.5, 1 or 2")
    return int(cpus * 1e9)


def parse_cpu_set(value: str, cpus: str) -> str | None:
    if not value:
        return None
    if not _CPU_SET.match(value):
        raise UsageError("--cpu-set", value, "CPU numbers and ranges such as 0-3 or 1,3")
    if cpus:
        raise UsageError("--cpu-set", value, "either --cpus or --cpu-set, not both")
    return value


def parse_caps(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not _CAPABILITY.match(value):
            raise UsageError("--cap", value, "a Linux capability name such as SYS_PTRACE")
    return tuple(v.removeprefix("CAP_") for v in values)


def parse_memory(value: str) -> str | None:
    if not value:
        return None
    if not _MEMORY.match(value.strip()):
        raise UsageError("--memory", value, "a size such as 512m, 2g or 2GiB")
    parts = re.match(r"^([\d.]+)\s*(\w*)$", value.strip())
    if parts is None:
        raise UsageError("--memory", value, "a size such as 512m, 2g or 2GiB")
    number, unit = parts.groups()
    unit = unit.lower().rstrip("b").rstrip("i") or "b"
    scale = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[unit]
    return str(int(float(number) * scale))


def _check_port(flag: str, port: int) -> int:
    if not 0 <= port <= 65535:
        raise UsageError(flag, port, "a TCP port 1-65535, or 0 for any free port")
    return port


def plan(options: RunOptions, graph, *, public_key: Path) -> RunSpec:
    """Turn the options and the environment's graph (an `envbuild.graph.Graph`, or None for a bare image)
    into the container to create."""
    if options.restart not in RESTART_POLICIES:
        raise UsageError("--restart", options.restart, "one of " + ", ".join(RESTART_POLICIES))
    project_dir = options.project_dir.resolve()
    # Where the dev image expects the project (Jupyter's root, the shell's start): named after the project, as
    # envd does, even when --name gives the environment another name.
    workdir = contract.project_dir(graph.project.name if graph is not None else options.name)
    runtime = graph.runtime if graph is not None else None
    config = graph.config if graph is not None else None

    ports = [PortBinding("ssh", contract.SSH_PORT, _check_port("--ssh-port", options.ssh_port), options.host)]
    jupyter = config.jupyter if config is not None else None
    token = None
    if jupyter is not None:
        # The dev image serves Jupyter on config.jupyter(port=) inside (compile's choice); envd users also
        # expect that number on the host, but its 8888 default would clash between environments, so on the
        # host it is a preference and --jupyter-port a demand.
        inside = jupyter.port or contract.JUPYTER_PORT
        if options.jupyter_port is not None:
            binding = PortBinding("jupyter", inside, _check_port("--jupyter-port", options.jupyter_port))
        else:
            binding = PortBinding("jupyter", inside, inside, strict=False)
        ports.append(binding)
        # None: not given in the build file, so a fresh token; "" asks for an open server.
        token = secrets.token_hex(24) if jupyter.token is None else jupyter.token
    if config is not None and config.rstudio_server:
        # published as envd does; like Jupyter's, the host port is a preference (environments would clash)
        rstudio = contract.RSTUDIO_PORT
        ports.append(PortBinding("rstudio-server", rstudio, rstudio, strict=False))
    for expose in runtime.expose if runtime is not None else ():
        name = expose.service or f"port-{expose.envd_port}"
        ports.append(PortBinding(name, expose.envd_port, expose.host_port, expose.listen_addr or "127.0.0.1"))

    mounts = [
        BindMount(str(project_dir), workdir),
        BindMount(str(public_key), contract.AUTHORIZED_KEYS, read_only=True),
    ]
    for mount in runtime.mounts if runtime is not None else ():
        if mount.host_path:
            source = (project_dir / Path(mount.host_path).expanduser()).resolve()
            if not source.exists():
                raise EnvbuildError(
                    f"runtime.mount host path {mount.host_path!r} does not exist ({source})",
                    hint="create it, or change the mount in the build file",
                    location=mount.location,
                )
            mounts.append(BindMount(str(source), mount.envd_path))
        else:
            source = cache_dir() / "data" / (mount.data_source or "default")
            mounts.append(BindMount(str(source), mount.envd_path, create=True))
    mounts += [parse_volume(v, project_dir) for v in options.volumes]

    environment: dict[str, str] = {}
    for env in runtime.environ if runtime is not None else ():
        environment[env.name] = env.value
    environment["ENVD_WORKDIR"] = workdir
    if token:
        environment["JUPYTER_TOKEN"] = token

    commands = {c.name: c.command for c in runtime.commands} if runtime is not None else {}
    shm = (
        options.shm_size
        if options.shm_size is not None
        else (config.shm_size if config and config.shm_size else 2048)
    )
    if shm <= 0:
        raise UsageError("--shm-size", shm, "a positive size in megabytes")
    spec_labels = {
        labels.ENVIRONMENT: options.name,
        labels.PROJECT_DIR: str(project_dir),
        labels.COMMANDS: json.dumps(commands, sort_keys=True),
    }
    return RunSpec(
        name=options.name,
        image=options.image,
        project_dir=project_dir,
        workdir=workdir,
        ports=tuple(ports),
        mounts=tuple(mounts),
        environment=tuple(sorted(environment.items())),
        labels=tuple(sorted(spec_labels.items())),
        gpu=gpu_request(
            options,
            config.gpu if config is not None else 0,
            cuda=graph is not None and graph.cuda is not None,
        ),
        shm_size_mb=shm,
        nano_cpus=parse_cpus(options.cpus),
        cpu_set=parse_cpu_set(options.cpu_set, options.cpus),
        caps=parse_caps(options.caps),
        memory=parse_memory(options.memory),
        restart=options.restart,
        jupyter_token=token,
        timeout=options.timeout,
        commands=commands,
    )
