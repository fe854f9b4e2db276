"""Reading a build file and turning it into the text starlark-pyo3 evaluates.

Three jobs, all done on Python's own `ast` (Starlark's grammar is a subset of Python's, and starlark-pyo3
exposes no syntax tree):

* the envd dialect rules starlark-rust does not enforce: a global name is bound once (no reassignment);
* `name = include(...)` becomes `load("@include:N", name = "library")` on the same line, since a Python
  builtin cannot hand a module back to Starlark;
* line 1 of the evaluated text loads the builtins from the prelude, so every file (build file, loaded files,
  included libraries, config.envd) sees the same names. Reported line numbers are shifted back by one.

If Python cannot parse the file, the checks are skipped and Starlark's parser reports the syntax error.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from envbuild.errors import EnvbuildError
from envbuild.errors import Location as ErrorLocation

PRELUDE_ID = "@envbuild//builtins"
PRELUDE_NAMES = (
    "base",
    "shell",
    "run",
    "git_config",
    "include",
    "install",
    "config",
    "io",
    "runtime",
    "data",
    "print",
)
LINE_OFFSET = 1  # the prelude load occupies line 1 of the evaluated text


@dataclass(frozen=True)
class IncludeRequest:
    """One `name = include(git, ref=...)` found in a file, replaced by a load of `module_id`."""

    module_id: str
    url: str
    ref: str | None
    line: int
    column: int


@dataclass(frozen=True)
class PreparedSource:
    display: str
    lines: tuple[str, ...]
    text: str
    includes: tuple[IncludeRequest, ...]
    public_names: tuple[str, ...]

    def location(self, line: int, column: int) -> ErrorLocation:
        """An error location in the original file (1-based line and column)."""
        source_line = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return ErrorLocation(self.display, line, column, source_line)


def syntax_version(text: str, display: str) -> str:
    """envd reads the version from line 1 only: `# syntax=v1` or nothing → v1, `# syntax=v0` → error."""
    first = text.split("\n", 1)[0]
    if "# syntax=v0" in first:
        raise EnvbuildError(
            "v0 build files are not supported",
            hint="envd v1 is the only dialect; make line 1 `# syntax=v1` and port the file",
            location=ErrorLocation(display, 1, first.find("#") + 1, first),
        )
    return "v1"


def prepare(text: str, display: str, include_prefix: str) -> PreparedSource:
    """Check envd's dialect rules, rewrite includes and prepend the prelude load.

    `include_prefix` makes include module ids unique across files of one evaluation.
    """
    syntax_version(text, display)
    lines = tuple(text.split("\n"))
    try:
        tree = ast.parse(text, filename=display)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    includes: list[IncludeRequest] = []
    public: list[str] = []
    body = text
    if tree is not None:
        prepared = PreparedSource(display, lines, text, (), ())
        public = _check_global_bindings(tree, prepared)
        body = _rewrite_includes(tree, lines, prepared, include_prefix, includes)
    bound = set(public) | {name for name in _loaded_names(tree)} if tree is not None else set()
    names = [n for n in PRELUDE_NAMES if n not in bound]
    header = "load(" + ", ".join([f'"{PRELUDE_ID}"'] + [f'"{n}"' for n in names]) + ")"
    return PreparedSource(display, lines, header + "\n" + body, tuple(includes), tuple(public))


def _error(prepared: PreparedSource, node: ast.AST, message: str, hint: str | None = None) -> EnvbuildError:
    return EnvbuildError(message, hint=hint, location=prepared.location(node.lineno, node.col_offset + 1))


def _target_names(target: ast.expr) -> list[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for elt in target.elts for name in _target_names(elt)]
    return []


def _is_load(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == "load"
    )


def _loaded_names(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for stmt in tree.body:
        if _is_load(stmt):
            call = stmt.value  # type: ignore[attr-defined]
            names += [
                a.value for a in call.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            names += [k.arg for k in call.keywords if k.arg]
    return names


def _check_global_bindings(tree: ast.Module, prepared: PreparedSource) -> list[str]:
    """envd (like Bazel) binds each global once; starlark-rust would silently let a later binding win.

    Returns the names the file defines itself (not via load), in order, for include()'s export list.
    """
    seen: dict[str, int] = {}
    defined: list[str] = []

    def bind(node: ast.AST, name: str, own: bool) -> None:
        if name in seen:
            raise _error(
                prepared,
                node,
                f"global variable `{name}` is assigned again (first bound on line {seen[name]})",
                hint="build files bind each global name once; use a new name or a function",
            )
        seen[name] = node.lineno
        if own:
            defined.append(name)

    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(stmt, stmt.name, True)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for name in _target_names(target):
                    bind(name, name.id, True)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            bind(stmt.target, stmt.target.id, True)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            raise _error(
                prepared,
                stmt.target,
                f"global variable `{name}` is assigned again"
                + (f" (first bound on line {seen[name]})" if name in seen else ""),
                hint="build files bind each global name once; use a new name or a function",
            )
        elif _is_load(stmt):
            call = stmt.value  # type: ignore[attr-defined]
            for arg in call.args[1:]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    bind(arg, arg.value, False)
            for kw in call.keywords:
                if kw.arg:
                    bind(kw.value, kw.arg, False)
    return defined


def _literal(prepared: PreparedSource, node: ast.expr, what: str) -> str | None:
    if isinstance(node, ast.Constant) and (isinstance(node.value, str) or node.value is None):
        return node.value
    raise _error(
        prepared, node, f"include() {what} must be a string literal", hint='include("https://…", ref="v1")'
    )


def _include_call(stmt: ast.stmt) -> ast.Call | None:
    if (
        isinstance(stmt, ast.Assign)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == "include"
    ):
        return stmt.value
    return None


def _rewrite_includes(
    tree: ast.Module,
    lines: tuple[str, ...],
    prepared: PreparedSource,
    prefix: str,
    out: list[IncludeRequest],
) -> str:
    edits: list[tuple[ast.stmt, str]] = []
    for stmt in tree.body:
        call = _include_call(stmt)
        if call is None:
            continue
        assert isinstance(stmt, ast.Assign)
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise _error(prepared, stmt, "include() must be assigned to one name: `lib = include(...)`")
        args: dict[str, ast.expr] = {}
        for name, arg in zip(("git", "ref"), call.args, strict=False):
            args[name] = arg
        if len(call.args) > 2:
            raise _error(prepared, call.args[2], "include() takes at most 2 arguments (git, ref)")
        for kw in call.keywords:
            if kw.arg not in ("git", "ref") or kw.arg in args:
                raise _error(
                    prepared, kw.value, f"include() got an unexpected or repeated argument `{kw.arg}`"
                )
            args[kw.arg] = kw.value
        if "git" not in args:
            raise _error(
                prepared, call, 'include() needs the git URL of the library: include(git="https://…")'
            )
        url = _literal(prepared, args["git"], "git URL")
        if not url:
            raise _error(prepared, args["git"], "include() git URL must not be empty")
        ref = _literal(prepared, args["ref"], "ref") if "ref" in args else None
        if ref == "":
            ref = None
        module_id = f"@include:{prefix}:{len(out)}"
        out.append(IncludeRequest(module_id, url, ref, stmt.lineno, stmt.col_offset + 1))
        name = stmt.targets[0].id
        edits.append((stmt, f'load("{module_id}", {name} = "library")'))
    if not edits:
        return "\n".join(lines)
    new_lines = list(lines)
    for stmt, replacement in reversed(edits):
        start, end = stmt.lineno - 1, (stmt.end_lineno or stmt.lineno) - 1
        end_col = stmt.end_col_offset if stmt.end_col_offset is not None else len(lines[end])
        head = lines[start][: stmt.col_offset]
        tail = lines[end][_char_col(lines[end], end_col) :]
        span = [head + replacement + tail] + [""] * (end - start)
        new_lines[start : end + 1] = span
    return "\n".join(new_lines)


def _char_col(line: str, byte_col: int) -> int:
    """ast columns are UTF-8 byte offsets; slicing needs character offsets."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
