"""Environment containers on the Docker engine: create, start, wait for sshd, find, list, remove.

Every path that fails after `create` removes the container again (showing its logs first), so a failed or
interrupted `up` leaves nothing behind for the user to clean up.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass

from envbuild.errors import EnvbuildError
from envbuild.runtime import labels
from envbuild.runtime.ports import check_port_free, free_port
from envbuild.runtime.spec import RunSpec

NVIDIA_HELP = "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/install-guide.html"
LOG_TAIL = 40
BANNER_POLL_INTERVAL = 0.02  # seconds between tries of sshd's banner while an environment starts
STATE_CHECK_INTERVAL = 0.25  # seconds between looks at the container's state meanwhile


class StartError(EnvbuildError):
    """The container did not come up; the message carries the tail of its logs."""


@dataclass(frozen=True)
class Environment:
    """An envbuild environment as read back from its container."""

    name: str
    container_id: str
    status: str
    image: str
    project_dir: str
    workdir: str
    ssh_port: int | None
    ports: dict[str, int]
    jupyter_url: str | None
    commands: dict[str, str]
    created: str

    @property
    def running(self) -> bool:
        return self.status == "running"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "container_id": self.container_id[:12],
            "status": self.status,
            "image": self.image,
            "project_dir": self.project_dir,
            "workdir": self.workdir,
            "ssh": f"{self.name}.envd" if self.ssh_port else None,
            "ssh_port": self.ssh_port,
            "ports": self.ports,
            "jupyter": self.jupyter_url,
            "commands": sorted(self.commands),
            "created": self.created,
        }


def environment_from_container(container) -> Environment:
    attrs = container.attrs
    found = attrs["Config"].get("Labels") or {}
    ports = json.loads(found.get(labels.PORTS) or "{}")
    ssh_port = found.get(labels.SSH_PORT)
    # The name the container was created from: no image lookup, which would fail once the image is gone.
    image = attrs["Config"].get("Image", "").removeprefix("docker.io/library/")
    return Environment(
        name=found.get(labels.ENVIRONMENT, container.name),
        container_id=container.id,
        status=container.status,
        image=image,
        project_dir=found.get(labels.PROJECT_DIR, ""),
        workdir=attrs["Config"].get("WorkingDir") or "",
        ssh_port=int(ssh_port) if ssh_port else None,
        ports={k: int(v) for k, v in ports.items()},
        jupyter_url=found.get(labels.JUPYTER_URL),
        commands=json.loads(found.get(labels.COMMANDS) or "{}"),
        created=attrs.get("Created", ""),
    )


def find(client, name: str):
    """The container of environment `name`, or None."""
    from docker.errors import NotFound

    try:
        container = client.containers.get(name)
    except NotFound:
        return None
    if labels.ENVIRONMENT not in (container.labels or {}):
        raise EnvbuildError(
            f"a container named {name!r} exists but is not an envbuild environment",
            hint="remove or rename it, or pick another environment name with --name",
        )
    return container


def age(container) -> float:
    """Seconds since Docker created `container`; infinite when its record gives no time."""
    from datetime import UTC, datetime

    try:
        created = datetime.fromisoformat(str(container.attrs["Created"]))
    except (KeyError, ValueError):
        return float("inf")
    return (datetime.now(UTC) - created).total_seconds()


def names_for_project(client, project_dir) -> list[str]:
    """Environments started from this project dir (whatever --name they were given)."""
    found = client.containers.list(all=True, filters={"label": f"{labels.PROJECT_DIR}={project_dir}"})
    return sorted((c.labels or {}).get(labels.ENVIRONMENT, c.name) for c in found)


def list_environments(client) -> list[Environment]:
    found = client.containers.list(all=True, filters={"label": labels.ENVIRONMENT})
    return sorted((environment_from_container(c) for c in found), key=lambda e: e.name)


def remove(container, *, wait: float = 60.0) -> None:
    """Remove the container; one already gone, or being removed by another envbuild (a concurrent
    `destroy`), counts as removed once it is gone."""
    from docker.errors import APIError, NotFound

    try:
        container.remove(force=True, v=True)
    except NotFound:
        return
    except APIError as err:
        if err.status_code != 409 or "in progress" not in str(err.explanation or err):
            raise
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                container.reload()
            except NotFound:
                return
            time.sleep(0.2)
        raise


def logs_tail(container, lines: int = LOG_TAIL) -> str:
    from docker.errors import APIError

    try:
        return container.logs(tail=lines).decode(errors="replace").rstrip()
    except APIError:
        return ""


def has_gpu_support(client) -> bool:
    return "nvidia" in (client.info().get("Runtimes") or {})


def check_gpu_support(client) -> None:
    if not has_gpu_support(client):
        raise EnvbuildError(
            "GPUs were requested but the Docker engine has no NVIDIA container runtime",
            hint=f"install the NVIDIA Container Toolkit ({NVIDIA_HELP}), or run without GPUs: --no-gpu",
        )


def resolve_ports(spec: RunSpec) -> dict[str, int]:
    """Pick free host ports for bindings that asked for any; refuse asked-for ports that are taken."""
    chosen: dict[str, int] = {}
    for binding in spec.ports:
        if binding.host_port and binding.strict:
            check_port_free(binding.host_port, binding.host_ip, what=binding.name)
            chosen[binding.name] = binding.host_port
        elif binding.host_port and _is_free(binding.host_port, binding.host_ip):
            chosen[binding.name] = binding.host_port
        else:
            chosen[binding.name] = free_port(binding.host_ip)
    return chosen


def _is_free(port: int, host: str) -> bool:
    try:
        check_port_free(port, host, what="")
    except EnvbuildError:
        return False
    return True


class NameTaken(EnvbuildError):
    """Another process created a container of this name first (a concurrent `up`)."""


def create_and_start(client, spec: RunSpec, *, token: str = "", attempts: int = 3):
    """Create and start the container; retry with fresh ports when another process grabbed a free one.

    The container starts without a restart policy (see `enable_restart`): a daemon that dies before the
    environment is ready must not bring a half-started container back on its own."""
    from docker.errors import APIError, ImageNotFound

    if spec.gpu is not None:
        check_gpu_support(client)
    for attempt in range(attempts):
        chosen = resolve_ports(spec)
        container = None
        try:
            container = client.containers.create(**_create_kwargs(spec, chosen, token))
            container.start()
            return container, chosen
        except ImageNotFound as err:
            raise EnvbuildError(f"image {spec.image} is not in the Docker engine: {err.explanation}") from err
        except APIError as err:
            if container is not None:
                remove(container)
            if container is None and err.status_code == 409:
                raise NameTaken(
                    f"environment {spec.name} was created meanwhile by another `envbuild up`",
                    hint=f"attach to it with `ssh {spec.name}.envd` once it is up, or replace it with "
                    "`envbuild up --force`",
                ) from err
            taken = "port is already allocated" in str(err) or "address already in use" in str(err)
            if taken and attempt + 1 < attempts and not all(p.host_port and p.strict for p in spec.ports):
                continue
            raise EnvbuildError(f"cannot start environment {spec.name}: {err.explanation or err}") from err
        except BaseException:
            if container is not None:
                remove(container)
            raise
    raise AssertionError("unreachable")


def enable_restart(container, spec: RunSpec) -> None:
    """Give the ready container the restart policy asked for (`--restart`)."""
    if spec.restart != "no":
        container.update(restart_policy={"Name": spec.restart})


def _create_kwargs(spec: RunSpec, chosen: dict[str, int], token: str = "") -> dict[str, object]:
    import docker

    all_labels = dict(spec.labels)
    if token:
        all_labels[labels.UP_TOKEN] = token
    all_labels[labels.SSH_PORT] = str(chosen["ssh"])
    all_labels[labels.PORTS] = json.dumps(chosen, sort_keys=True)
    if "jupyter" in chosen:
        url = f"http://127.0.0.1:{chosen['jupyter']}/"
        all_labels[labels.JUPYTER_URL] = url + (f"?token={spec.jupyter_token}" if spec.jupyter_token else "")
    ports = {f"{b.container_port}/tcp": (b.host_ip, chosen[b.name]) for b in spec.ports}
    kwargs: dict[str, object] = {
        "image": spec.image,
        "name": spec.name,
        "hostname": spec.name.replace("_", "-").replace(".", "-"),
        "detach": True,
        "labels": all_labels,
        "ports": ports,
        "mounts": [
            docker.types.Mount(m.target, m.source, type="bind", read_only=m.read_only) for m in spec.mounts
        ],
        "environment": dict(spec.environment),
        "working_dir": spec.workdir,
        "shm_size": f"{spec.shm_size_mb}m",
    }
    if spec.nano_cpus:
        kwargs["nano_cpus"] = spec.nano_cpus
    if spec.cpu_set:
        kwargs["cpuset_cpus"] = spec.cpu_set
    if spec.memory:
        kwargs["mem_limit"] = int(spec.memory)
    if spec.caps:
        kwargs["cap_add"] = list(spec.caps)
    if spec.gpu is not None:
        kwargs["device_requests"] = [
            docker.types.DeviceRequest(
                driver="nvidia",
                count=spec.gpu.count if not spec.gpu.device_ids else 0,
                device_ids=list(spec.gpu.device_ids) or None,
                capabilities=[["gpu"]],
            )
        ]
    return {k: v for k, v in kwargs.items() if v is not None}


def wait_for_sshd(container, port: int, *, timeout: float, host: str = "127.0.0.1") -> None:
    """Wait until sshd sends its banner through the published port.

    A TCP connect alone proves nothing: docker-proxy accepts on the host port before anything listens inside.
    A container that exits (or restarts) meanwhile fails with its logs. The banner is tried every 20 ms (a
    refused connect costs well under a millisecond) and the container's state, an Engine API call, only every
    quarter second, so `up` returns within a few milliseconds of sshd listening.
    """
    deadline = time.monotonic() + timeout
    next_state_check = 0.0
    while True:
        if _ssh_banner(host, port):
            return
        now = time.monotonic()
        if now >= next_state_check:
            next_state_check = now + STATE_CHECK_INTERVAL
            container.reload()
            state = container.attrs.get("State", {})
            code = state.get("ExitCode")
            if (
                state.get("Status") in ("exited", "dead")
                or state.get("Restarting")
                or container.attrs.get("RestartCount", 0)
            ):
                raise StartError(
                    f"environment {container.name} stopped while starting (exit code {code})",
                    hint="its last log lines:\n" + (logs_tail(container) or "(no output)"),
                )
        if now > deadline:
            raise StartError(
                f"sshd in environment {container.name} did not answer on {host}:{port} within {timeout:.0f}s",
                hint="its last log lines:\n" + (logs_tail(container) or "(no output)"),
            )
        time.sleep(BANNER_POLL_INTERVAL)


def _ssh_banner(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.settimeout(2)
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False
