"""Which project, build file and function a command means: `--path` and `--from`, declared and parsed once.

`--from` is read as envd reads it: `FILE:FUNCTION`, `FILE` (function `build`), `:FUNCTION` (file
`build.envd`); anything else (two colons, a function that is not an identifier) is a usage error naming the
flag, whichever command it was given to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envbuild.errors import EnvbuildError, UsageError, shown_path

if TYPE_CHECKING:
    from envbuild.builder.options import LockUse
    from envbuild.graph import Graph

DEFAULT_FILE = "build.envd"
DEFAULT_FUNCTION = "build"
DEFAULT_FROM = f"{DEFAULT_FILE}:{DEFAULT_FUNCTION}"
_FROM_ALLOWED = "FILE:FUNCTION, FILE or :FUNCTION, such as build.envd:build or :gpu"

Locked = Annotated[
    bool,
    typer.Option("--locked", help="Build exactly what envbuild.lock pins; fail if the build file asks more."),
]
ProjectPath = Annotated[Path, typer.Option("--path", "-p", help="Project directory holding the build file.")]
From = Annotated[str, typer.Option("--from", "-f", help="Build function: FILE[:FUNCTION] in --path.")]


def parse_from(value: str | None) -> tuple[str, str]:
    """`--from` → (file relative to the project, function), with envd's defaults for empty parts."""
    if not value:
        return DEFAULT_FILE, DEFAULT_FUNCTION
    file, sep, function = value.partition(":")
    if ":" in function:
        raise UsageError("--from", value, _FROM_ALLOWED)
    function = function or DEFAULT_FUNCTION
    if not function.isidentifier():
        raise UsageError("--from", value, _FROM_ALLOWED)
    return file or DEFAULT_FILE, function


def project_dir(path: Path | str) -> Path:
    """`--path` as an absolute directory that exists."""
    path = Path(path)
    if not path.is_dir():
        raise UsageError("--path", str(path), "a project directory that exists")
    return path.resolve()


def build_file(path: Path | str, from_: str | None) -> tuple[Path, Path, str]:
    """(project dir, build file, function) for `--path` and `--from`; the file must exist."""
    project = project_dir(path)
    file, function = parse_from(from_)
    found = project / file
    if not found.is_file():
        raise UsageError("--from", from_, f"a build file that exists ({found} does not)")
    return project, found, function


def load_graph(path: Path | str, from_: str | None, lock: LockUse | None = None) -> Graph:
    """Evaluate the chosen build function (lang evaluates the user's config.envd first, if there is one);
    with a `lock` for this function, `include()` evaluates the commits it pins."""
    from envbuild.lang import evaluate

    project, file, function = build_file(path, from_)
    pins = None
    held = lock.lock if lock is not None else None
    if held is not None and (held.build_file, held.function) == (_relative(file, project), function):
        pins = held.include_pins()
    return evaluate(file, function, project_dir=project, include_pins=pins)


def _relative(file: Path, project: Path) -> str:
    try:
        return file.relative_to(project).as_posix()
    except ValueError:
        return str(file)


def project_lock(path: Path | str, from_: str | None, *, locked: bool = False) -> LockUse | None:
    """The envbuild.lock beside the build file (None when there is none); `--locked` requires one."""
    from envbuild import lock as lock_mod
    from envbuild.builder.options import LockUse

    project, file, _function = build_file(path, from_)
    found = lock_mod.lock_path(project, _relative(file, project))
    if not found.is_file():
        if locked:
            raise EnvbuildError(
                f"--locked needs a lock, and there is no {found}",
                hint="run `envbuild lock` to write it (then commit it with the build file)",
            )
        return None
    return LockUse(found, lock_mod.read(found), locked)


def evaluates_the_same(graph: Graph, lock: LockUse | None) -> bool:
    """Whether evaluating the build file again, with the same files, gives the same graph (so a memo of the
    run may be kept, cli/noop.py): not when it include()s a library by a ref the lock does not pin (a branch
    moves without any file here changing)."""
    pins = lock.lock.include_pins() if lock is not None else {}
    return all(pins.get((include.url, include.ref)) == include.commit for include in graph.includes)


@contextmanager
def located_from_here(graph: Graph) -> Iterator[None]:
    """Errors of later stages name the build file as evaluation errors do: relative to where the user is.

    The graph keeps locations relative to the project (they travel with the image), so a compile or runtime
    error raised for `build.envd:3:5` is shown as `myproject/build.envd:3:5` when the user is elsewhere.
    """
    try:
        yield
    except EnvbuildError as err:
        location = err.location
        if location is not None and not Path(location.file).is_absolute():
            in_project = Path(graph.project.dir) / location.file
            if in_project.is_file():
                err.location = replace(location, file=shown_path(in_project))
        raise
