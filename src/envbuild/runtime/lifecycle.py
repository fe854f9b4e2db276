"""Bring an environment up and take it down, leaving nothing half-done either way.

`up` is: refuse if the environment already runs (unless forced); build; start the container; wait for sshd;
write the ssh entry. Anything that fails or is interrupted after the container exists removes the container
and the ssh entry again, and prints the container's logs when it was the container that failed.

Undoing touches only what this run made: the container carries a token of this `up` (a concurrent `up` of
the same name that lost the race must not remove the winner's container or ssh entry), and the ssh entry is
removed only when it is still the one this run wrote. The restart policy is set once the environment is ready,
so a daemon that dies halfway does not bring a half-started container back by itself.
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid
from pathlib import Path

from envbuild.errors import EnvbuildError
from envbuild.runtime import containers, engine, labels, ssh_config
from envbuild.runtime.containers import Environment
from envbuild.runtime.keys import KeyPair
from envbuild.runtime.names import ssh_host
from envbuild.runtime.spec import RunSpec

#: a container created (not yet started) this recently is another `up` starting it, not a leftover
STARTING_SECONDS = 60.0


def check_can_start(client, name: str, *, force: bool, keys: KeyPair | None = None) -> object | None:
    """Refuse to replace a live environment without --force. Returns the old container to remove (a stopped
    leftover, or a live one when forced) once the new image is ready; None when there is none. A container
    another `up` has just created and is about to start counts as live, not as a leftover.

    Before refusing, a live environment's ssh entry is put back if it went missing or stale, so the `ssh`
    the message suggests works."""
    old = containers.find(client, name)
    if old is None:
        return None
    if old.status == "created" and not force and containers.age(old) < STARTING_SECONDS:
        # between another `up`'s create and start: not a leftover, which removing would break
        raise EnvbuildError(
            f"environment {name} was created meanwhile by another `envbuild up`, which is starting it",
            hint=f"attach with `ssh {ssh_host(name)}` once it is up, "
            "or replace it with `envbuild up --force`",
        )
    if old.status in ("running", "paused", "restarting") and not force:
        repaired = keys is not None and repair_entry(old, keys)
        note = " (its ssh entry was repaired)" if repaired else ""
        raise EnvbuildError(
            f"environment {name} is already {old.status}{note}",
            hint=f"attach with `ssh {ssh_host(name)}`, recreate it with `envbuild up --force`, "
            f"or remove it with `envbuild destroy --name {name}`",
        )
    return old


def repair_entry(container, keys: KeyPair) -> bool:
    """Make the ssh entry match the running container; True when it had to change."""
    env = containers.environment_from_container(container)
    if env.ssh_port is None:
        return False
    want = ssh_config.SSHEntry(env.name, env.ssh_port, keys.private, forward_agent=ssh_config.forward_agent())
    if ssh_config.entries().get(env.name) == want:
        return False
    ssh_config.add_entry(want)
    return True


def start(client, spec: RunSpec, keys: KeyPair, *, replace=None) -> Environment:
    """Start the planned container and publish its ssh entry; on any failure or Ctrl-C undo both."""
    if replace is not None:
        containers.remove(replace)
    for mount in spec.mounts:
        if mount.create:
            Path(mount.source).mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    entry: ssh_config.SSHEntry | None = None
    try:
        container, chosen = containers.create_and_start(client, spec, token=token)
        ssh_binding = spec.port("ssh")
        bound = ssh_binding.host_ip if ssh_binding is not None else ""
        host = "127.0.0.1" if bound in ("0.0.0.0", "") else bound
        containers.wait_for_sshd(container, chosen["ssh"], timeout=spec.timeout, host=host)
        entry = ssh_config.SSHEntry(
            spec.name, chosen["ssh"], keys.private, host=host, forward_agent=ssh_config.forward_agent()
        )
        ssh_config.add_entry(entry)
        containers.enable_restart(container, spec)
        container.reload()
        return containers.environment_from_container(container)
    except KeyboardInterrupt:
        left = _undo(client, spec.name, token, entry)
        outcome = (
            f"its container may remain: `envbuild destroy --name {spec.name}` removes it"
            if left
            else "its container and ssh entry were removed"
        )
        print(f"interrupted while starting environment {spec.name}: {outcome}", file=sys.stderr)
        raise
    except containers.NameTaken:
        raise  # the winner's container and entry stay
    except Exception as err:
        from docker.errors import NotFound

        lost = engine.is_engine_loss(err)
        left = _undo(client, spec.name, token, entry)
        if isinstance(err, NotFound):  # removed under us: `destroy`, or an `up --force` of the same name
            raise EnvbuildError(
                f"environment {spec.name} was removed meanwhile, while it was starting",
                hint="another `envbuild up --force` or `envbuild destroy` of the same name ran; "
                "`envbuild envs` shows what is there now",
            ) from err
        if not lost:
            raise
        message = engine.lost_engine(err, f"starting environment {spec.name}")
        if left:
            message.hint = (
                f"{message.hint}; its half-started container could not be removed: "
                f"`envbuild destroy --name {spec.name}` removes it once the engine is back"
            )
        raise message from err


def _undo(client, name: str, token: str, entry: ssh_config.SSHEntry | None, wait: float = 15.0) -> bool:
    """Remove this run's container and ssh entry; True when the container may remain (engine unreachable).

    The container is found by name and removed only when it carries this run's token: Ctrl-C or a lost
    connection during `create` leaves a container the client never heard of."""
    if entry is not None:
        with contextlib.suppress(EnvbuildError):
            ssh_config.remove_entry(name, only=entry)
    deadline = time.monotonic() + wait
    while True:
        try:
            container = client.containers.get(name)
            if (container.labels or {}).get(labels.UP_TOKEN) == token:
                containers.remove(container)
            return False
        except Exception as err:  # noqa: BLE001 - NotFound, or the engine is gone
            from docker.errors import NotFound

            if isinstance(err, NotFound):
                return False
            if not engine.is_engine_loss(err) or time.monotonic() > deadline:
                return True
            time.sleep(0.5)  # a restarting daemon (systemd) may come back within seconds


def destroy(client, name: str) -> tuple[bool, bool]:
    """Remove the container and the ssh entry; either may already be gone. Returns what was removed."""
    container = containers.find(client, name)
    if container is not None:
        containers.remove(container)
    removed_entry = ssh_config.remove_entry(name)
    return container is not None, removed_entry
