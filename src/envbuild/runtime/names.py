"""Environment names: one per project dir, legal as a Docker container name, an image tag and an ssh host.

Why lower-case and capped: the same name becomes the image repository (`<name>:dev`, lower-case only), the
container name and the `<name>.envd` ssh host, and envd users expect `ssh <project-dir>.envd` to work.
"""

from __future__ import annotations

import re
from pathlib import Path

from envbuild.errors import EnvbuildError, UsageError

MAX_LENGTH = 30
_LEGAL = re.compile(r"[a-z0-9_.-]")
_VALID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def env_name_from_dir(project_dir: Path) -> str:
    """The default environment name: the dir's base name, lower-cased, illegal characters dropped, capped."""
    base = project_dir.resolve().name.lower()
    name = "".join(_LEGAL.findall(base)).lstrip("_.-")[:MAX_LENGTH].rstrip("_.-")
    if not name:
        raise EnvbuildError(
            f"cannot make an environment name from the directory name {project_dir.resolve().name!r}",
            hint="pass one with --name",
        )
    return name


def check_env_name(name: str, flag: str = "--name") -> str:
    if len(name) > MAX_LENGTH or not _VALID.match(name) or name.endswith((".", "-", "_")):
        raise UsageError(
            flag,
            name,
            f"lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, at most "
            f"{MAX_LENGTH} characters",
        )
    return name


def ssh_host(name: str) -> str:
    return f"{name}.envd"


def resolve_name(name: str | None, project_dir: Path) -> str:
    """`--name` when given (checked), else the name `up` derives from the project dir."""
    return check_env_name(name) if name else env_name_from_dir(project_dir)
