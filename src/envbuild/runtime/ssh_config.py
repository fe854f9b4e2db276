"""`<env>.envd` entries in the user's ssh config, only ever inside envbuild's marked block.

Why a marked block: the user's own config is theirs; we rewrite nothing outside the lines between our markers.
The block goes first in the file because ssh takes the first value it finds for each option, so a later
`Host *` of the user's cannot override our Port or IdentityFile; it ends with `Host *` so the user's own
top-of-file global options that now follow it stay global. Every write goes through a temp file and a rename
(atomic), under a lock so two `envbuild up` runs cannot lose each other's entry.

`ENVBUILD_SSH_CONFIG` points everything at another file (tests, or users who keep a separate one with
`Include`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from envbuild.paths import config_dir
from envbuild.runtime.names import ssh_host

BEGIN = "# >>> envbuild managed block: entries here are rewritten by envbuild >>>"
END = "# <<< envbuild managed block <<<"


@dataclass(frozen=True)
class SSHEntry:
    name: str
    port: int
    identity_file: Path
    host: str = "127.0.0.1"
    user: str = "envd"

    def render(self) -> list[str]:
        return [
            f"Host {ssh_host(self.name)}",
            f"  HostName {self.host}",
            f"  Port {self.port}",
            f"  User {self.user}",
            f'  IdentityFile "{self.identity_file}"',
            "  IdentitiesOnly yes",
            "  StrictHostKeyChecking no",
            "  UserKnownHostsFile /dev/null",
            "  LogLevel ERROR",
            "  ForwardAgent yes",
        ]


def config_path() -> Path:
    if value := os.environ.get("ENVBUILD_SSH_CONFIG"):
        return Path(value)
    return Path.home() / ".ssh" / "config"


def uses_default_path() -> bool:
    """Whether plain `ssh <env>.envd` reads our file; when not, callers pass `-F config_path()`."""
    return not os.environ.get("ENVBUILD_SSH_CONFIG")


def entries() -> dict[str, SSHEntry]:
    """The entries currently in our block, by environment name."""
    path = config_path()
    if not path.exists():
        return {}
    _, block, _ = _split(path.read_text().splitlines())
    return _parse(block)


def add_entry(entry: SSHEntry) -> Path:
    with _locked_edit() as (lines, write):
        before, block, after = _split(lines)
        current = _parse(block)
        current[entry.name] = entry
        write(_join(before, current, after))
    return config_path()


def remove_entry(name: str) -> bool:
    """Drop the entry if present; True when something was removed. The block goes when it empties."""
    path = config_path()
    if not path.exists():
        return False
    with _locked_edit() as (lines, write):
        before, block, after = _split(lines)
        current = _parse(block)
        if current.pop(name, None) is None:
            return False
        write(_join(before, current, after))
    return True


def _split(lines: list[str]) -> tuple[list[str], list[str], list[str]]:
    try:
        start = lines.index(BEGIN)
        end = lines.index(END, start)
    except ValueError:
        return [], [], lines
    return lines[:start], lines[start + 1 : end], lines[end + 1 :]


def _parse(block: list[str]) -> dict[str, SSHEntry]:
    found: dict[str, SSHEntry] = {}
    name = None
    values: dict[str, str] = {}

    def flush() -> None:
        if name and "port" in values:
            found[name] = SSHEntry(
                name,
                int(values["port"]),
                Path(values.get("identityfile", "").strip('"')),
                values.get("hostname", "127.0.0.1"),
                values.get("user", "envd"),
            )

    for raw in block:
        words = raw.strip().split(None, 1)
        if len(words) != 2 or raw.strip().startswith("#"):
            continue
        key, value = words[0].lower(), words[1].strip()
        if key == "host":
            flush()
            name = value.removesuffix(".envd") if value.endswith(".envd") else None
            values = {}
        else:
            values[key] = value
    flush()
    return found


def _join(before: list[str], current: dict[str, SSHEntry], after: list[str]) -> str:
    if not current:
        out = before + after
    else:
        block = [BEGIN]
        for entry in sorted(current.values(), key=lambda e: e.name):
            block += entry.render()
        block += ["Host *", END]
        # A block we add to a file for the first time goes on top; one that exists stays where it is.
        out = before + block + after
    return "\n".join(out) + ("\n" if out else "")


@contextlib.contextmanager
def _locked_edit() -> Iterator[tuple[list[str], Callable[[str], None]]]:
    path = config_path()
    target = path.resolve() if path.is_symlink() else path  # keep a dotfiles symlink a symlink
    if not target.parent.exists():
        target.parent.mkdir(parents=True, mode=0o700)
    config_dir().mkdir(parents=True, exist_ok=True)
    with open(config_dir() / "ssh-config.lock", "a") as lock:  # in our dir: nothing extra in ~/.ssh
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            text = target.read_text() if target.exists() else ""
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o600

            def write(new_text: str) -> None:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
                try:
                    with os.fdopen(fd, "w") as handle:
                        handle.write(new_text)
                        handle.flush()
                        os.fsync(handle.fileno())
                    os.chmod(tmp, mode)
                    os.replace(tmp, target)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise

            yield text.splitlines(), write
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
