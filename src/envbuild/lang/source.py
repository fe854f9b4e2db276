"""Reading a build file and turning it into the text starlark-pyo3 evaluates.

* `name = include(...)` becomes `load("@include:N", name = "library")` on the same line, since a Python
  builtin cannot hand a module back to Starlark (only that statement is parsed, with Python's `ast`);
* line 1 of the evaluated text loads the builtins from the prelude, so every file (build file, loaded files,
  included libraries, config.envd) sees the same names. Reported line numbers are shifted back by one;
* the top-level names a file defines are found by a line scan (top-level code starts in column 0, and envd's
  dialect has no top-level `if`/`for`), for include()'s export list and to keep the prelude load from
  shadowing a user's own `run` or `data`.

envd's "no global reassignment" rule is checked after parsing, from starlark-rust's own lint
(`duplicate-top-level-assign`, see `duplicate_globals`): exact and much cheaper than a second parser.
"""

from __future__ import annotations

import ast
import re
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
    top_level_names: tuple[str, ...]
    echo: bool = True  # False for a loaded file that is not a build file: its text never appears in errors

    def location(self, line: int, column: int) -> ErrorLocation:
        """An error location in the original file (1-based line and column)."""
        source_line = self.lines[line - 1].rstrip("\r") if 0 < line <= len(self.lines) and self.echo else ""
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
    """Rewrite includes and prepend the prelude load; `include_prefix` keeps include ids unique."""
    syntax_version(text, display)
    lines = tuple(text.split("\n"))
    prepared = PreparedSource(display, lines, text, (), ())
    includes: list[IncludeRequest] = []
    body = _rewrite_includes(lines, prepared, include_prefix, includes)
    defined = _top_level_names(lines)
    names = [n for n in PRELUDE_NAMES if n not in defined]
    header = "load(" + ", ".join([f'"{PRELUDE_ID}"'] + [f'"{n}"' for n in names]) + ")"
    return PreparedSource(display, lines, header + "\n" + body, tuple(includes), defined)


_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)")
_ASSIGN = re.compile(r"^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*,?\s*=(?!=)")
_INCLUDE = re.compile(r"^[A-Za-z_]\w*\s*=\s*include\s*\(")
_DUPLICATE = re.compile(r"Duplicate top-level assignment of `(\w+)`, first defined at .*:(\d+):(\d+)-")


def _top_level_names(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Names bound by `def` or assignment in column 0, skipping the inside of triple-quoted strings."""
    names: dict[str, None] = {}
    quote: str | None = None
    for line in lines:
        starts_inside = quote is not None
        for match in re.finditer(r'"""|\'\'\'', line):
            if quote is None:
                quote = match.group(0)
            elif match.group(0) == quote:
                quote = None
        if starts_inside or not line or line[0] in " \t#":
            continue
        definition = _DEF.match(line)
        if definition:
            names.setdefault(definition.group(1), None)
            continue
        assignment = _ASSIGN.match(line)
        if assignment:
            for name in assignment.group(1).split(","):
                names.setdefault(name.strip(), None)
    return tuple(names)


def duplicate_globals(ast_module, prepared: PreparedSource) -> EnvbuildError | None:
    """envd binds each global once; starlark-rust lets a later binding win but lints it. The prelude load on
    line 1 is ours, so a user's binding of a builtin name is not a duplicate."""
    for lint in ast_module.lint():
        if lint.short_name != "duplicate-top-level-assign":
            continue
        match = _DUPLICATE.search(lint.problem)
        if match is None or int(match.group(2)) <= LINE_OFFSET:
            continue
        begin = lint.resolved_location.span.begin  # 0-based
        line, column = begin.line + 1, begin.column + 1
        first = int(match.group(2)) - LINE_OFFSET
        return EnvbuildError(
            f"global variable `{match.group(1)}` is assigned again (first bound on line {first})",
            hint="build files bind each global name once; use a new name or a function",
            location=prepared.location(max(line - LINE_OFFSET, 1), column),
        )
    return None


def _error(
    prepared: PreparedSource, node: ast.expr | ast.stmt, message: str, hint: str | None = None, line0: int = 0
):
    line = node.lineno + line0
    text = prepared.lines[line - 1] if 0 < line <= len(prepared.lines) else ""
    column = _char_col(text, node.col_offset) + 1
    return EnvbuildError(message, hint=hint, location=prepared.location(line, column))


def _statement(lines: tuple[str, ...], start: int) -> ast.Assign | None:
    """Parse the statement at line index `start`, growing it line by line (multi-line calls)."""
    for end in range(start, min(start + 50, len(lines))):
        try:
            tree = ast.parse("\n".join(lines[start : end + 1]))
        except (SyntaxError, ValueError):
            continue
        if len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign):
            return tree.body[0]
        return None
    return None


def _literal(prepared: PreparedSource, node: ast.expr, what: str, line0: int) -> str | None:
    if isinstance(node, ast.Constant) and (isinstance(node.value, str) or node.value is None):
        return node.value
    raise _error(
        prepared, node, f"include() {what} must be a string literal", 'include("https://…", ref="v1")', line0
    )


def _rewrite_includes(
    lines: tuple[str, ...], prepared: PreparedSource, prefix: str, out: list[IncludeRequest]
) -> str:
    new_lines = list(lines)
    for index, line in enumerate(lines):
        if not _INCLUDE.match(line):
            continue
        stmt = _statement(lines, index)
        if stmt is None or not isinstance(stmt.value, ast.Call):
            continue  # Starlark's parser will report what is wrong with it
        call, line0 = stmt.value, index
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise _error(
                prepared, stmt, "include() must be assigned to one name: `lib = include(...)`", None, line0
            )
        args: dict[str, ast.expr] = {}
        for name, arg in zip(("git", "ref"), call.args, strict=False):
            args[name] = arg
        if len(call.args) > 2:
            raise _error(
                prepared, call.args[2], "include() takes at most 2 arguments (git, ref)", None, line0
            )
        for kw in call.keywords:
            if kw.arg not in ("git", "ref") or kw.arg in args:
                message = f"include() got an unexpected or repeated argument `{kw.arg}`"
                raise _error(prepared, kw.value, message, None, line0)
            args[kw.arg] = kw.value
        if "git" not in args:
            raise _error(
                prepared,
                call,
                'include() needs the git URL of the library: include(git="https://…")',
                None,
                line0,
            )
        url = _literal(prepared, args["git"], "git URL", line0)
        if not url:
            raise _error(prepared, args["git"], "include() git URL must not be empty", None, line0)
        ref = _literal(prepared, args["ref"], "ref", line0) if "ref" in args else None
        module_id = f"@include:{prefix}:{len(out)}"
        out.append(IncludeRequest(module_id, url, ref or None, index + 1, 1))
        last = index + (stmt.end_lineno or 1) - 1
        tail = lines[last][_char_col(lines[last], stmt.end_col_offset or 0) :]
        new_lines[index] = f'load("{module_id}", {stmt.targets[0].id} = "library")' + tail
        for extra in range(index + 1, last + 1):
            new_lines[extra] = ""
    return "\n".join(new_lines)


def _char_col(line: str, byte_col: int) -> int:
    """ast columns are UTF-8 byte offsets; slicing needs character offsets."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
