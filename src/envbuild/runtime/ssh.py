"""Reach an environment with the system OpenSSH client through its `<env>.envd` entry.

Using the real `ssh` (not a Python SSH library) means exactly what the user gets from `ssh <env>.envd`:
their agent, their terminal handling, and VS Code Remote-SSH all see the same entry.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess

from envbuild.errors import EnvbuildError
from envbuild.runtime import ssh_config
from envbuild.runtime.names import ssh_host


def ssh_argv(name: str, remote: str | None = None, *, tty: bool = False) -> list[str]:
    ssh = shutil.which("ssh")
    if ssh is None:
        raise EnvbuildError(
            "the OpenSSH client `ssh` is not installed",
            hint="install it (Debian/Ubuntu: apt-get install openssh-client)",
        )
    argv = [ssh]
    if not ssh_config.uses_default_path():
        argv += ["-F", str(ssh_config.config_path())]
    argv.append("-t" if tty else "-T")
    argv.append(ssh_host(name))
    if remote is not None:
        argv.append(remote)
    return argv


def in_workdir(workdir: str, command: str) -> str:
    """Run `command` through the login shell from the project dir, as `envbuild exec` promises."""
    return f"cd {shlex.quote(workdir)} 2>/dev/null; {command}"


def run(name: str, remote: str | None = None, *, tty: bool = False) -> int:
    """Run ssh on the caller's terminal; returns the remote command's exit code (255: ssh failed)."""
    return subprocess.call(ssh_argv(name, remote, tty=tty))
