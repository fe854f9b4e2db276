"""One evaluation of a build file into a graph: modules, load(), include(), the entry function.

An `Evaluation` owns everything of one run (prelude module, loaded modules, sources for error display, the
recorder), so evaluations are independent and nothing lives at module level.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import stat
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import starlark as sl

from envbuild import graph as g
from envbuild.errors import EnvbuildError, shown_path
from envbuild.errors import Location as ErrorLocation
from envbuild.lang import diagnostics, isolation
from envbuild.lang.args import ArgumentError
from envbuild.lang.builtins import BUILTINS
from envbuild.lang.limits import DEPTH_ENV, MAX_FILE_BYTES, Limits, check_nesting
from envbuild.lang.prelude import DISPATCH, PRINT, prelude_source
from envbuild.lang.recorder import Recorder
from envbuild.lang.source import (
    LINE_OFFSET,
    PRELUDE_ID,
    IncludeRequest,
    PreparedSource,
    duplicate_globals,
    prepare,
)

PRELUDE_FILE = "envbuild-builtins"
BUILD_FILE_SUFFIX = ".envd"
_SYSTEM_TREES = ("/proc", "/sys", "/dev")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Abort(Exception):
    """Raised inside a builtin to stop Starlark; the real error waits in `Evaluation.pending`."""


class Evaluation:
    """`overlay` maps files to text that replaces what is on disk (an editor's unsaved buffers); `offline`
    makes include() read only the local cache; `include_pins` maps an include (url, ref) to the commit to
    evaluate (an envbuild.lock's pins); `limits` and `channel` are the forked child's (isolation)."""

    def __init__(
        self,
        project_dir: Path,
        *,
        overlay: dict[Path, str] | None = None,
        offline: bool = False,
        include_pins: Mapping[tuple[str, str | None], str] | None = None,
        limits: Limits | None = None,
        channel: isolation.Channel | None = None,
    ) -> None:
        self.project_dir = project_dir
        self.overlay = overlay or {}
        self.offline = offline
        self.include_pins = dict(include_pins or {})
        self.limits = limits or Limits()
        self.channel = channel
        self.memory_ceiling = isolation.resident_bytes() + self.limits.memory_mib * 1024 * 1024
        self.stopped: str | None = None  # "time" or "memory" once check_cancelled has said stop
        self.recorder = Recorder()
        self.globals = sl.Globals.extended_by([sl.LibraryExtension.StructType, sl.LibraryExtension.CallStack])
        self.dialect = sl.Dialect.standard()
        self.sources: dict[str, PreparedSource] = {}
        self.error_names: dict[str, str] = {}
        self.files: dict[str, Path] = {}  # error location file name → the file, for editors to open
        self.modules: dict[str, Any] = {}
        self.loading: list[str] = []
        self.includes: dict[str, IncludeRequest] = {}
        self.pending: EnvbuildError | None = None
        self.deadline = time.monotonic() + self.limits.seconds
        self.prelude = self._make_prelude()

    # ------------------------------------------------------------ locations

    def _options(self) -> Any:
        return sl.EvalOptions(check_cancelled=self._cancelled, max_callstack_size=self.limits.depth)

    def _cancelled(self) -> bool:
        """Called by Starlark every thousand or so steps: stop on the clock or the memory ceiling."""
        if time.monotonic() > self.deadline:
            self.stopped = "time"
        elif isolation.resident_bytes() > self.memory_ceiling:
            self.stopped = "memory"
        return self.stopped is not None

    def error_location(self, display: str, line: int, column: int) -> ErrorLocation | None:
        prepared = self.sources.get(display)
        if prepared is None:
            return None
        line = max(line - LINE_OFFSET, 1)
        loc = prepared.location(line, column)
        return ErrorLocation(self.error_names.get(display, display), loc.line, loc.column, loc.source_line)

    def frame_location(self, display: str, line: int, callee: str | None = None) -> ErrorLocation | None:
        prepared = self.sources.get(display)
        if prepared is None:
            return None
        line = max(line - LINE_OFFSET, 1)
        text = prepared.lines[line - 1] if line <= len(prepared.lines) else ""
        return self.error_location(display, line + LINE_OFFSET, _call_column(text, callee))

    def graph_error_location(self, loc: g.Location | None) -> ErrorLocation | None:
        if loc is None:
            return None
        return self.error_location(loc.file, loc.line + LINE_OFFSET, loc.column)

    # ------------------------------------------------------------ builtins

    def _make_prelude(self) -> Any:
        module = sl.Module()
        module.add_callable(DISPATCH, self._dispatch)
        module.add_callable(PRINT, lambda text: print(text, file=sys.stderr))
        ast = sl.parse(PRELUDE_FILE, prelude_source(), self.dialect)
        sl.eval(module, ast, self.globals)
        return module.freeze()

    def _dispatch(self, call: list[Any]) -> Any:
        name, stack, *values = call
        spec = BUILTINS[name]
        frame = diagnostics.last_frame(stack)
        error_loc = self.frame_location(*frame, spec.name.rpartition(".")[2]) if frame else None
        graph_loc = None
        if error_loc is not None and frame is not None:
            graph_loc = g.Location(frame[0], error_loc.line, error_loc.column, error_loc.source_line)
        try:
            return spec.handler(self.recorder, graph_loc, *values)
        except ArgumentError as err:
            self.pending = EnvbuildError(f"{name}(): {err}", location=error_loc)
        except EnvbuildError as err:
            self.pending = err
        except Exception as err:  # a handler bug must still not leak a traceback
            self.pending = EnvbuildError(
                f"{name}(): internal error: {type(err).__name__}: {err}", location=error_loc
            )
        raise _Abort(name)

    # ------------------------------------------------------------ files

    def display_name(self, path: Path) -> str:
        try:
            return path.relative_to(self.project_dir).as_posix()
        except ValueError:
            return str(path)

    def _error_name(self, path: Path) -> str:
        return shown_path(path)

    def load_file(self, path: Path, display: str | None = None, error_name: str | None = None) -> Any:
        """Evaluate a file once per evaluation and return its frozen module."""
        key = str(path)
        if key in self.modules:
            return self.modules[key]
        if key in self.loading:
            chain = " → ".join(self.display_name(Path(p)) for p in [*self.loading, key])
            raise EnvbuildError(f"load() cycle: {chain}")
        display = display or self.display_name(path)
        name = error_name or self._error_name(path)
        text = self.overlay[path] if path in self.overlay else read_build_file(path, name)
        self.files[name] = path
        echo = path.name.endswith(BUILD_FILE_SUFFIX)
        try:
            prepared = prepare(text, display, include_prefix=str(len(self.sources)))
            nesting = check_nesting(text, display, self.limits.depth)
            if nesting is not None:
                raise nesting
        except EnvbuildError as err:
            if err.location is not None:
                err.location = dataclasses.replace(err.location, file=name)
            raise err if echo else _redacted(err, name) from None
        prepared = dataclasses.replace(prepared, echo=echo)
        self.sources[display] = prepared
        self.error_names[display] = name
        for request in prepared.includes:
            self.includes[request.module_id] = request
        self.loading.append(key)
        try:
            module = self._evaluate(prepared, path.parent)
        except EnvbuildError as err:
            if echo or err.location is None or err.location.file != name:
                raise
            raise _redacted(err, name) from None
        finally:
            self.loading.pop()
        self.modules[key] = module
        return module

    def _evaluate(self, prepared: PreparedSource, directory: Path) -> Any:
        loader = sl.FileLoader(lambda module_id: self._load(module_id, directory, prepared))
        module = sl.Module()
        self._run(lambda: sl.eval_with(self._options(), module, self._parse(prepared), self.globals, loader))
        return module.freeze()

    def _parse(self, prepared: PreparedSource) -> Any:
        try:
            ast = sl.parse(prepared.display, prepared.text, self.dialect)
        except sl.StarlarkError as err:
            raise self._starlark_error(err) from None
        duplicate = duplicate_globals(ast, prepared)
        if duplicate is not None and duplicate.location is not None:
            duplicate.location = self.error_location(
                prepared.display, duplicate.location.line + LINE_OFFSET, duplicate.location.column
            )
            raise duplicate
        return ast

    def _load(self, module_id: str, directory: Path, prepared: PreparedSource) -> Any:
        try:
            if module_id == PRELUDE_ID:
                return self.prelude
            if module_id in self.includes:
                return self._include(self.includes[module_id], prepared, directory)
            target = Path(module_id)
            if not target.is_absolute():
                target = directory / target
            return self.load_file(Path(os.path.normpath(target)))
        except EnvbuildError as err:
            if err.location is None:
                err.location = self._load_location(prepared, module_id)
            self.pending = self.pending or err
            raise _Abort(module_id) from None

    def _load_location(self, prepared: PreparedSource, module_id: str) -> ErrorLocation | None:
        """The load() statement naming `module_id`, found by its quoted id."""
        for number, line in enumerate(prepared.lines, start=1):
            for quote in ('"', "'"):
                column = line.find(f"{quote}{module_id}{quote}")
                if column != -1 and "load" in line:
                    return self.error_location(prepared.display, number + LINE_OFFSET, column + 1)
        return None

    def _include(self, request: IncludeRequest, prepared: PreparedSource, directory: Path) -> Any:
        from envbuild.lang import include  # git and tar: only for files that include()

        source = include.repository_source(request.url, directory)
        key = f"include:{source}@{request.ref}"
        if key in self.modules:
            return self.modules[key]
        where = self.error_location(prepared.display, request.line + LINE_OFFSET, request.column)
        pinned = self.include_pins.get((request.url, request.ref))
        started = time.monotonic()
        # git has its own timeout (ENVBUILD_GIT_TIMEOUT): the evaluation's clock stops meanwhile
        with self.channel.paused() if self.channel is not None else contextlib.nullcontext():
            checkout = include.checkout(
                source, request.ref, location=where, offline=self.offline, commit=pinned
            )
        self.deadline += time.monotonic() - started
        files = sorted(p for p in checkout.root.rglob("*.envd") if p.is_file() and ".git" not in p.parts)
        exported: dict[str, str] = {}
        lines: list[str] = []
        for path in files:
            rel = path.relative_to(checkout.root).as_posix()
            display = f"{request.url}/{rel}"
            self.load_file(path, display=display, error_name=display)
            names = [n for n in self.sources[display].top_level_names if not n.startswith("_")]
            for name in names:
                if name in exported:
                    raise EnvbuildError(
                        f"library {request.url} defines `{name}` in both {exported[name]} and {rel}",
                        hint="names must be unique across a library's .envd files",
                        location=where,
                    )
                exported[name] = rel
            if names:
                lines.append(f"load({_quote(str(path))}, {', '.join(_quote(n) for n in names)})")
        lines.append(f"library = struct({', '.join(f'{n} = {n}' for n in exported)})")
        module = sl.Module()
        loader = sl.FileLoader(lambda module_id: self._load(module_id, checkout.root, prepared))
        self._run(
            lambda: sl.eval_with(
                self._options(),
                module,
                sl.parse(f"<include {request.url}>", "\n".join(lines)),
                self.globals,
                loader,
            )
        )
        frozen = module.freeze()
        self.modules[key] = frozen
        self.recorder.includes.append(
            g.Include(
                url=request.url,
                commit=checkout.commit,
                ref=request.ref,
                location=g.Location(prepared.display, request.line, request.column),
            )
        )
        return frozen

    # ------------------------------------------------------------ running

    def _run(self, action) -> Any:
        try:
            return action()
        except sl.StarlarkError as err:
            if self.pending is not None:
                pending, self.pending = self.pending, None
                raise pending from None
            raise self._starlark_error(err) from None
        except _Abort:
            aborted, self.pending = self.pending, None
            raise (aborted or EnvbuildError("evaluation aborted")) from None
        except BaseException as err:
            # starlark-rust panics (its heap out of memory) arrive as pyo3's PanicException, a BaseException
            # that would pass every `except Exception` (the language server evaluates in-process)
            if type(err).__name__ != "PanicException":
                raise
            file = next(reversed(self.error_names.values()), "the build file")
            if "memory" in str(err):
                raise isolation.memory_error(file, self.limits.memory_mib) from None
            raise EnvbuildError(f"the Starlark evaluator failed on {file}: {err}") from None

    def _starlark_error(self, err: Exception) -> EnvbuildError:
        found = diagnostics.from_starlark(str(err), self.error_location, self.frame_location)
        file = found.location.file if found.location else "the build file"
        if self.stopped == "time":
            return isolation.timeout_error(file, self.limits.seconds, found.location)
        if self.stopped == "memory":
            return isolation.memory_error(file, self.limits.memory_mib, found.location)
        if "call stack overflow" in found.message.lower():
            found.message = (
                f"call stack overflow: more than {self.limits.depth} nested calls (endless recursion?)"
            )
            found.hint = f"make the recursion stop, or raise the limit with {DEPTH_ENV}"
        return found

    def call(self, module: Any, function: str, display: str) -> None:
        prepared = self.sources[display]
        if not _IDENTIFIER.match(function):
            raise EnvbuildError(f"{function!r} is not a function name")
        if function not in prepared.top_level_names:
            raise EnvbuildError(
                f"{self.error_names[display]} has no function `{function}`",
                hint="choose the function with --from file:function",
            )
        if function.startswith("_"):
            raise EnvbuildError(
                f"`{function}` is private (its name starts with `_`) and cannot be the entry function",
                hint="rename it, or add a public function that calls it",
                location=self._definition_location(prepared, function),
            )
        try:
            self._run_entry(module, function)
        except EnvbuildError as err:
            if err.location is None and self.stopped is None:  # the call failed (not a function, needs args)
                err.message = f"cannot call `{function}` with no arguments: {err.message}"
                err.location = self._definition_location(prepared, function)
            raise

    def _run_entry(self, module: Any, function: str) -> None:
        """Call the entry through a tiny module so whatever it returns (envd ignores it) never has to cross
        into Python."""
        entry = sl.Module()
        ast = sl.parse("<entry>", f'load("@entry", entry = {_quote(function)})\nentry()\nNone\n')
        loader = sl.FileLoader(lambda _id: module)
        self._run(lambda: sl.eval_with(self._options(), entry, ast, self.globals, loader))

    def _definition_location(self, prepared: PreparedSource, function: str) -> ErrorLocation | None:
        pattern = re.compile(rf"^(?:def\s+{re.escape(function)}\b|{re.escape(function)}\s*=)")
        for number, line in enumerate(prepared.lines, start=1):
            if pattern.match(line):
                return self.error_location(prepared.display, number + LINE_OFFSET, 1)
        return None


def read_build_file(path: Path, name: str) -> str:
    """The text of a build file: a regular file of at most MAX_FILE_BYTES, in UTF-8.

    load() can name any path, so FIFOs (which block forever), devices (`/dev/zero` never ends) and the
    kernel's trees (`/proc/self/environ` would be echoed into a syntax error) are refused before reading.
    """
    real = os.path.realpath(path)
    for tree in _SYSTEM_TREES:
        if real == tree or real.startswith(tree + "/"):
            raise EnvbuildError(f"{name} is not a build file: {tree} holds the system's files and devices")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise EnvbuildError(f"build file not found: {path}") from None
    except OSError as err:
        raise EnvbuildError(f"cannot read build file {name}: {err.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EnvbuildError(f"{name} is {_file_kind(info.st_mode)}; build files must be regular files")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        mib = MAX_FILE_BYTES // (1024 * 1024)
        raise EnvbuildError(f"{name} is larger than {mib} MiB; build files are read whole")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        line_start = data.rfind(b"\n", 0, err.start) + 1
        column = len(data[line_start : err.start].decode("utf-8", errors="replace")) + 1
        raise EnvbuildError(
            f"the file is not valid UTF-8: byte 0x{data[err.start]:02x} here cannot be decoded",
            hint="save the file as UTF-8",
            location=ErrorLocation(name, line, column),
        ) from None


def _redacted(err: EnvbuildError, name: str) -> EnvbuildError:
    """An error inside a loaded file that is not a build file: where, but not what (Starlark's messages quote
    names and tokens, and a file like `.env` or `/etc/shadow` must not be shown)."""
    location = dataclasses.replace(err.location, source_line="") if err.location else None
    return EnvbuildError(
        f"{name} is not a build file (*{BUILD_FILE_SUFFIX}) and does not evaluate; its text is not shown",
        hint="load() only build files",
        location=location,
    )


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _call_column(line: str, callee: str | None) -> int:
    """The column of a builtin call on a line: the start of `ns.callee(` or `callee(`, else the first word."""
    if callee:
        match = re.search(rf"(?:\b[A-Za-z_]\w*\s*\.\s*)?\b{re.escape(callee)}\s*\(", line)
        if match:
            return match.start() + 1
    stripped = len(line) - len(line.lstrip())
    return stripped + 1


def evaluate(
    path: Path | str,
    function: str = "build",
    *,
    config_file: Path | None = None,
    project_dir: Path | None = None,
    include_pins: Mapping[tuple[str, str | None], str] | None = None,
) -> g.Graph:
    """Evaluate `function` of the build file at `path` (a file, or a directory holding build.envd).

    The user config (`config_file`, default `config_dir()/config.envd` when it exists) is evaluated first, as
    envd does, so its top-level calls set defaults the build function can override.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "build.envd"
    path = path.absolute()
    if not path.is_file():
        raise EnvbuildError(f"build file not found: {path}")
    project = (project_dir or path.parent).absolute()
    limits = Limits.from_env()

    def work(channel: isolation.Channel | None) -> g.Graph:
        evaluation = Evaluation(project, include_pins=include_pins, limits=limits, channel=channel)
        graph = run_evaluation(evaluation, path, function, config_file)
        assert graph is not None
        return graph

    return isolation.run(work, shown_path(path), limits)


def run_evaluation(
    evaluation: Evaluation, path: Path, function: str | None, config_file: Path | None = None
) -> g.Graph | None:
    """The steps of one evaluation: user config, the build file, then `function` and the graph's checks.

    `function=None` stops after the file's top level (a library file an editor shows has no entry)."""
    from envbuild.paths import config_dir

    config = config_file if config_file is not None else config_dir() / "config.envd"
    if config_file is not None or config.is_file():
        config_path = Path(config).absolute()
        evaluation.load_file(config_path, display=str(config_path))
    module = evaluation.load_file(path)
    if function is None:
        return None
    display = evaluation.display_name(path)
    evaluation.call(module, function, display)
    project = evaluation.project_dir
    return evaluation.recorder.finish(
        g.Project(name=project.name, dir=str(project), build_file=display, function=function),
        evaluation.graph_error_location,
    )
