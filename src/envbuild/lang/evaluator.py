"""One evaluation of a build file into a graph: modules, load(), include(), the entry function.

An `Evaluation` owns everything of one run (prelude module, loaded modules, sources for error display, the
recorder), so evaluations are independent and nothing lives at module level.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import starlark as sl

from envbuild import graph as g
from envbuild.errors import EnvbuildError
from envbuild.errors import Location as ErrorLocation
from envbuild.lang import diagnostics, include
from envbuild.lang.args import ArgumentError, seconds_from_env
from envbuild.lang.builtins import BUILTINS
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
MAX_CALLSTACK = 200
TIME_LIMIT_SECONDS = seconds_from_env("ENVBUILD_EVAL_TIMEOUT", 60.0)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Abort(Exception):
    """Raised inside a builtin to stop Starlark; the real error waits in `Evaluation.pending`."""


class Evaluation:
    """`overlay` maps files to text that replaces what is on disk (an editor's unsaved buffers); `offline`
    makes include() read only the local cache."""

    def __init__(
        self, project_dir: Path, *, overlay: dict[Path, str] | None = None, offline: bool = False
    ) -> None:
        self.project_dir = project_dir
        self.overlay = overlay or {}
        self.offline = offline
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
        self.deadline = time.monotonic() + TIME_LIMIT_SECONDS
        self.prelude = self._make_prelude()

    # ------------------------------------------------------------ locations

    def _options(self) -> Any:
        return sl.EvalOptions(
            check_cancelled=lambda: time.monotonic() > self.deadline, max_callstack_size=MAX_CALLSTACK
        )

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
        try:
            rel = os.path.relpath(path)
        except ValueError:
            return str(path)
        return str(path) if rel.startswith("..") else rel

    def load_file(self, path: Path, display: str | None = None, error_name: str | None = None) -> Any:
        """Evaluate a file once per evaluation and return its frozen module."""
        key = str(path)
        if key in self.modules:
            return self.modules[key]
        if key in self.loading:
            chain = " → ".join(self.display_name(Path(p)) for p in [*self.loading, key])
            raise EnvbuildError(f"load() cycle: {chain}")
        display = display or self.display_name(path)
        try:
            text = self.overlay[path] if path in self.overlay else path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise EnvbuildError(f"build file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise EnvbuildError(f"cannot read build file {path}: {err}") from None
        name = error_name or self._error_name(path)
        self.files[name] = path
        try:
            prepared = prepare(text, display, include_prefix=str(len(self.sources)))
        except EnvbuildError as err:
            if err.location is not None:
                err.location = dataclasses.replace(err.location, file=name)
            raise
        self.sources[display] = prepared
        self.error_names[display] = name
        for request in prepared.includes:
            self.includes[request.module_id] = request
        self.loading.append(key)
        try:
            module = self._evaluate(prepared, path.parent)
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
        source = include.repository_source(request.url, directory)
        key = f"include:{source}@{request.ref}"
        if key in self.modules:
            return self.modules[key]
        where = self.error_location(prepared.display, request.line + LINE_OFFSET, request.column)
        checkout = include.checkout(source, request.ref, location=where, offline=self.offline)
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

    def _starlark_error(self, err: Exception) -> EnvbuildError:
        text = str(err)
        if "cancelled" in text.lower() and time.monotonic() > self.deadline:
            return EnvbuildError(f"evaluation took longer than {TIME_LIMIT_SECONDS:g}s and was stopped")
        return diagnostics.from_starlark(text, self.error_location, self.frame_location)

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
            if err.location is None:  # the call itself failed (not a function, needs arguments)
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
    graph = run_evaluation(Evaluation(project), path, function, config_file)
    assert graph is not None
    return graph


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
