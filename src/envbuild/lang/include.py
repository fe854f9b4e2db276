"""`include()`'s git side: a bare clone per URL in the cache, a checked-out tree per commit.

We call the git CLI (never prompting, always with a timeout) so users' own git setup applies: credentials,
proxies and `url.<base>.insteadOf` rewrites. The clone is keyed by the URL as written; each evaluated commit
is extracted once into `trees/<commit>` (written to a temporary name, then renamed, so an interrupted run
never leaves a half tree). Offline with a cached clone, we use the cache and say so; `offline=True` (the
language server) only ever reads the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from envbuild.errors import EnvbuildError
from envbuild.errors import Location as ErrorLocation
from envbuild.lang.args import seconds_from_env

log = logging.getLogger("envbuild.lang.include")
CLONE_TIMEOUT = seconds_from_env("ENVBUILD_GIT_TIMEOUT", 120.0)
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


@dataclass(frozen=True)
class Checkout:
    url: str
    ref: str | None
    commit: str
    root: Path


def cache_key(url: str) -> str:
    """A directory name for a URL: readable tail plus a hash, so two URLs never share a clone."""
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", url.rstrip("/").rsplit("/", 1)[-1]).strip("-.") or "repo"
    return f"{tail[:40]}-{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def _git(args: list[str], *, cwd: Path | None = None, timeout: float = CLONE_TIMEOUT) -> str:
    env = dict(
        os.environ,
        GIT_TERMINAL_PROMPT="0",
        GIT_SSH_COMMAND=os.environ.get("GIT_SSH_COMMAND", "ssh -oBatchMode=yes"),
    )
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise EnvbuildError("include() needs the git command, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise _GitFailed(f"git {args[0]} timed out after {timeout:g}s") from None
    if done.returncode != 0:
        raise _GitFailed(git_message(done.stderr or done.stdout, done.returncode))
    return done.stdout


_PROGRESS = re.compile(
    r"^(Cloning into|remote: (Enumerating|Counting|Compressing|Total)|Receiving |Resolving )"
)
MAX_GIT_LINES = 12


def git_message(output: str, code: int) -> str:
    """What git said, minus its progress lines: the reason is often not on the last line (ssh's
    "Permission denied" comes before git's "Could not read from remote repository")."""
    lines = [line.rstrip() for line in output.replace("\r", "\n").splitlines()]
    lines = [line for line in lines if line.strip() and not _PROGRESS.match(line)]
    if len(lines) > MAX_GIT_LINES:
        lines = [*lines[: MAX_GIT_LINES // 2], "…", *lines[-MAX_GIT_LINES // 2 :]]
    return "\n  ".join(lines) if lines else f"git exited with status {code}"


class _GitFailed(Exception):
    pass


def _resolve(clone: Path, ref: str | None) -> str | None:
    names = ["HEAD"] if ref is None else [f"refs/heads/{ref}", f"refs/tags/{ref}", ref]
    for name in names:
        try:
            return _git(["rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], cwd=clone).strip()
        except _GitFailed:
            continue
    return None


def _fetch(clone: Path, url: str, ref: str | None) -> None:
    _git(
        ["fetch", "--quiet", "--prune", "--force", "--tags", "origin", "+refs/heads/*:refs/heads/*"],
        cwd=clone,
    )
    if ref is not None and _COMMIT.match(ref) and _resolve(clone, ref) is None:
        _git(["fetch", "--quiet", "origin", ref], cwd=clone)


def _clone(url: str, clone: Path) -> None:
    clone.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=clone.parent))
    try:
        _git(["clone", "--quiet", "--bare", "--", url, str(tmp / "repo.git")])
        try:
            (tmp / "repo.git").rename(clone)
        except OSError:
            if not clone.is_dir():  # else another evaluation cloned it first: use theirs
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tree(clone: Path, commit: str) -> Path:
    root = clone.parent / "trees" / commit
    if root.is_dir():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    data = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=clone,
        capture_output=True,
        timeout=CLONE_TIMEOUT,
        check=True,
    ).stdout
    tmp = Path(tempfile.mkdtemp(prefix=".tree-", dir=root.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(tmp, filter="data")
        tmp.rename(root)
    except OSError:
        if not root.is_dir():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def repository_source(url: str, directory: Path) -> str:
    """What git clones for `url`: a `./` or `../` path names a local repository or bundle beside the file.

    envd only takes URLs; a relative path lets a library author try a local repository (or a `git bundle`
    shipped with a project) without publishing it. The graph keeps the URL as written, so it stays portable.
    """
    if url.startswith(("./", "../")):
        return os.path.normpath(directory / url)
    return url


class NotCached(EnvbuildError):
    """An offline lookup found no usable clone: the library has never been fetched (or lacks the ref)."""


def checkout(
    url: str,
    ref: str | None,
    *,
    location: ErrorLocation | None = None,
    offline: bool = False,
    commit: str | None = None,
) -> Checkout:
    """The library at `url` (pinned to `ref` when given) as a local directory, plus the commit it is.

    `offline` uses the cached clone as it is and never runs git against the network: an editor evaluates on
    every keystroke and must neither wait for nor trigger a fetch. `commit` (an envbuild.lock pin) is checked
    out instead of whatever `ref` names now, fetched only when the cached clone lacks it, so a branch that
    moved upstream is ignored.
    """
    from envbuild.paths import cache_dir

    clone = cache_dir() / "include" / cache_key(url) / "repo.git"
    asked_ref = ref
    if commit is not None:
        ref = commit
    pinned_commit = ref is not None and _COMMIT.match(ref) is not None
    if offline:
        return dataclasses.replace(_cached_checkout(url, ref, clone, location), ref=asked_ref)
    try:
        if not clone.is_dir():
            _clone(url, clone)
            if pinned_commit and _resolve(clone, ref) is None:
                _fetch(clone, url, ref)
        elif not (pinned_commit and _resolve(clone, ref) is not None):
            try:
                _fetch(clone, url, ref)
            except _GitFailed as err:
                log.warning("include(%s): cannot reach the repository (%s); using the cached clone", url, err)
    except OSError as err:
        message = f"include(): cannot write the cache for {url}: {err}"
        raise EnvbuildError(message, location=location) from None
    except _GitFailed as err:
        raise EnvbuildError(
            f"include(): cannot fetch {url}:\n  {err}",
            hint="check the URL and your network; a library is used offline only after one successful fetch",
            location=location,
        ) from None
    found = _resolve(clone, ref)
    if found is None:
        if commit is not None:
            raise EnvbuildError(
                f"include(): {url} has no commit {commit} (pinned by envbuild.lock)",
                hint="the commit was removed upstream (a force-push?): run `envbuild lock --upgrade URL` to "
                "pin what the ref names now",
                location=location,
            )
        what = f"ref {ref!r}" if ref is not None else "a default branch"
        raise EnvbuildError(f"include(): {url} has no {what}", location=location)
    return _extracted(url, asked_ref, clone, found, location)


def _cached_checkout(url: str, ref: str | None, clone: Path, location: ErrorLocation | None) -> Checkout:
    hint = "run `envbuild build` once to fetch it; the editor never fetches libraries"
    commit = _resolve(clone, ref) if clone.is_dir() else None
    if commit is None:
        what = f"at {ref!r} " if ref is not None and clone.is_dir() else ""
        raise NotCached(f"include(): {url} is not in the local cache {what}yet", hint=hint, location=location)
    return _extracted(url, ref, clone, commit, location)


def _extracted(
    url: str, ref: str | None, clone: Path, commit: str, location: ErrorLocation | None
) -> Checkout:
    try:
        root = _tree(clone, commit)
    except (subprocess.SubprocessError, OSError, tarfile.TarError) as err:
        raise EnvbuildError(
            f"include(): cannot extract {url} at {commit[:12]}: {err}", location=location
        ) from None
    return Checkout(url, ref, commit, root)
