"""`<env>.envd` entries in the user's ssh config, only ever inside envbuild's marked block.

Why a marked block: the user's own config is theirs; we rewrite nothing outside the lines between our markers.
The block goes first in the file because ssh takes the first value it finds for each option, so a later
`Host *` of the user's cannot override our Port or IdentityFile; it ends with `Host *` so the user's own
top-of-file global options that now follow it stay global. Every write goes through a temp file and a rename
(atomic), under a lock (flock on the file's directory, so locking creates nothing) so two `envbuild up` runs
cannot lose each other's entry.

The file is the user's: every byte outside our block is written back as it was read (line endings, a
missing final newline, bytes that are not UTF-8). Our block is read leniently: a damaged entry, a missing end
marker or a second block is repaired on the next write, with a warning naming the file and line; nothing is
created unless an entry is added.

`ENVBUILD_SSH_CONFIG` points everything at another file (tests, or users who keep a separate one with
`Include`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from envbuild.errors import EnvbuildError
from envbuild.runtime.names import ssh_host

log = logging.getLogger("envbuild.runtime.ssh_config")

BEGIN = "# >>> envbuild managed block: entries here are rewritten by envbuild >>>"
END = "# <<< envbuild managed block <<<"


@dataclass(frozen=True)
class SSHEntry:
    name: str
    port: int
    identity_file: Path
    host: str = "127.0.0.1"
    user: str = "envd"
    forward_agent: bool = True

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
            f"  ForwardAgent {'yes' if self.forward_agent else 'no'}",
        ]


def config_path() -> Path:
    if value := os.environ.get("ENVBUILD_SSH_CONFIG"):
        return Path(value)
    return Path.home() / ".ssh" / "config"


def forward_agent() -> bool:
    """envd forwards the ssh agent into environments (git push from inside works); a user who does not want
    the agent reachable from code in the container sets ENVBUILD_SSH_FORWARD_AGENT=no."""
    return os.environ.get("ENVBUILD_SSH_FORWARD_AGENT", "yes").strip().lower() not in ("no", "0", "false")


def uses_default_path() -> bool:
    """Whether plain `ssh <env>.envd` reads our file; when not, callers pass `-F config_path()`."""
    return not os.environ.get("ENVBUILD_SSH_CONFIG")


@dataclass
class Document:
    """A config file split around our block: `before` and `after` are the user's text, kept verbatim (decoded
    with surrogateescape, so undecodable bytes survive the round trip)."""

    before: str = ""
    after: str = ""
    entries: dict[str, SSHEntry] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every name in the block, damaged entries included
    newline: str = "\n"
    problems: list[str] = field(default_factory=list)

    def render(self) -> str:
        if not self.entries:
            return self.before + self.after
        lines = [BEGIN]
        for entry in sorted(self.entries.values(), key=lambda e: e.name):
            lines += entry.render()
        lines += ["Host *", END]
        before = self.before
        if before and not before.endswith(("\n", "\r")):
            before += self.newline  # a block moved below a last line without its newline
        return before + "".join(line + self.newline for line in lines) + self.after


def entries() -> dict[str, SSHEntry]:
    """The entries currently in our block, by environment name (damaged ones left out, with a warning)."""
    path = config_path()
    data = _read(path)
    if data is None:
        return {}
    document = parse(data, _shown(path))
    _warn(document)
    return document.entries


def add_entry(entry: SSHEntry) -> Path:
    with _locked_edit(create=True) as document:
        document.entries[entry.name] = entry
    return config_path()


def remove_entry(name: str, *, only: SSHEntry | None = None) -> bool:
    """Drop the entry (even a damaged one) if present; True when something was removed. The block goes
    when it empties. With `only`, the entry is removed only while it is still that one (an `up` undoing
    its own entry must not remove one another `up` wrote since)."""
    if _read(config_path()) is None:
        return False
    removed = False
    with _locked_edit(create=False) as document:
        if name not in document.names or (only is not None and document.entries.get(name) != only):
            raise _Unchanged
        document.entries.pop(name, None)
        removed = True
    return removed


# ----------------------------------------------------------------------------------------------- parsing

_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_HOST = re.compile(r"^Host\s+(\S+)\s*$", re.IGNORECASE)
_OPTION = re.compile(r"^\s+(\w+)\s+(.*?)\s*$")


def parse(data: bytes, shown: str) -> Document:
    """Split `data` around envbuild's block(s) and read the entries, noting every repair that writing will
    make in `problems`."""
    text = data.decode("utf-8", errors="surrogateescape")
    lines = _LINE.findall(text)
    bare = [line.rstrip("\r\n").rstrip() for line in lines]
    document = Document(newline="\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n")
    spans: list[tuple[int, int]] = []  # [start, end) line ranges that are ours
    index = 0
    while index < len(lines):
        if bare[index] == END:
            document.problems.append(
                f"{shown}:{index + 1}: an envbuild end marker without its start; removed"
            )
            spans.append((index, index + 1))
            index += 1
            continue
        if bare[index] != BEGIN:
            index += 1
            continue
        end = next((j for j in range(index + 1, len(lines)) if bare[j] in (BEGIN, END)), None)
        if end is not None and bare[end] == END:
            spans.append((index, end + 1))
            index = end + 1
            continue
        stop = _our_lines_end(bare, index + 1)
        document.problems.append(
            f"{shown}:{index + 1}: envbuild's block has no end marker; lines {index + 1}-{stop} are rewritten"
        )
        spans.append((index, stop))
        index = stop
    if len(spans) > 1 and sum(1 for a, _ in spans if bare[a] == BEGIN) > 1:
        document.problems.append(f"{shown}: more than one envbuild block; merged into the first")
    for start, stop in spans:
        _read_entries(document, bare, start + 1, stop, shown)
    if not spans:
        document.after = text
        return document
    first = spans[0][0]
    document.before = "".join(lines[:first])
    kept, previous = [], spans[0][1]
    for start, stop in spans[1:]:
        kept += lines[previous:start]
        previous = stop
    document.after = "".join(kept + lines[previous:])
    return document


def _our_lines_end(bare: list[str], start: int) -> int:
    """Where a block without its end marker stops: after our `Host *`, or at the first line that is not an
    entry of ours (a `Host` that is not `*.envd`, or an unindented option)."""
    index = start
    while index < len(bare):
        line = bare[index]
        host = _HOST.match(line)
        if host and host.group(1) == "*":
            return index + 1
        if host and not host.group(1).endswith(".envd"):
            return index
        if not host and line and not line[0].isspace() and not line.startswith("#"):
            return index
        index += 1
    return index


def _read_entries(document: Document, bare: list[str], start: int, stop: int, shown: str) -> None:
    name: str | None = None
    values: dict[str, str] = {}
    first_line = start

    def flush() -> None:
        if name is None:
            return
        document.names.add(name)
        port = values.get("port", "")
        if not port.isdigit() or not 0 < int(port) < 65536:
            document.problems.append(
                f"{shown}:{first_line + 1}: envbuild's entry for {name} is damaged "
                f"(Port {port or 'missing'}); it is left out and rewritten"
            )
            return
        document.entries[name] = SSHEntry(
            name,
            int(port),
            Path(values.get("identityfile", "").strip('"')),
            values.get("hostname", "127.0.0.1"),
            values.get("user", "envd"),
            values.get("forwardagent", "yes").lower() != "no",
        )

    for index in range(start, stop):
        line = bare[index]
        if line in (BEGIN, END) or not line.strip() or line.lstrip().startswith("#"):
            continue
        host = _HOST.match(line)
        if host:
            flush()
            value = host.group(1)
            name = value.removesuffix(".envd") if value.endswith(".envd") and value != ".envd" else None
            values, first_line = {}, index
            continue
        option = _OPTION.match(line)
        if option and name is not None:
            values[option.group(1).lower()] = option.group(2)
    flush()


# ----------------------------------------------------------------------------------------------- writing


class _Unchanged(Exception):
    """Raised inside an edit that turns out to change nothing: no write."""


def _shown(path: Path) -> str:
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if text.startswith(home + "/") else text


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise EnvbuildError(
            f"{_shown(path)} is a directory, not an ssh config file",
            hint="move it away, or set ENVBUILD_SSH_CONFIG to the file envbuild should manage",
        ) from None
    except OSError as err:
        raise _access_error(path, err, "read") from None


def _access_error(path: Path, err: OSError, verb: str) -> EnvbuildError:
    return EnvbuildError(
        f"cannot {verb} {_shown(Path(err.filename) if err.filename else path)}: {err.strerror}",
        hint="fix its permissions (envbuild keeps its `<env>.envd` entries there), or set "
        "ENVBUILD_SSH_CONFIG to a file envbuild may write and `Include` it from your ssh config",
    )


_warned: set[str] = set()


def _warn(document: Document) -> None:
    for problem in document.problems:
        if problem not in _warned:
            _warned.add(problem)
            log.warning("warning: %s", problem)


@contextlib.contextmanager
def _locked_edit(*, create: bool) -> Iterator[Document]:
    """The parsed file under an exclusive lock; what the body leaves in the document is written back
    atomically (unless it raised `_Unchanged`)."""
    path = config_path()
    target = path.resolve() if path.is_symlink() else path  # keep a dotfiles symlink a symlink
    try:
        if create and not target.parent.exists():
            target.parent.mkdir(parents=True, mode=0o700)
        directory = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as err:
        raise _access_error(target.parent, err, "create" if create else "open") from None
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        data = _read(target)
        existed = data is not None
        if not existed and not create:
            with contextlib.suppress(_Unchanged):
                yield Document()  # the file went away meanwhile: nothing to edit
            return
        document = parse(data or b"", _shown(path))
        _warn(document)
        try:
            yield document
        except _Unchanged:
            return
        new = document.render().encode("utf-8", errors="surrogateescape")
        if existed and new == data:
            return
        mode = target.stat().st_mode & 0o777 if existed else 0o600
        _replace(target, new, mode)
    finally:
        os.close(directory)  # closing drops the lock


def _replace(target: Path, data: bytes, mode: int) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as err:
        raise _access_error(target.parent, err, "write in") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise _access_error(target, err, "write") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
