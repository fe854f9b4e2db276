"""What one evaluation may use: time, memory, nesting depth, and the size of each file it reads.

A build file is code from wherever the user got it. starlark-rust recurses on the native stack (a few
thousand nested brackets, lambdas or blocks overflow it and kill the process) and its heap has no ceiling, so
every limit here ends in an error naming the file rather than a crash. Each limit can be raised by an
environment variable, named in the error that reports it.
"""

from __future__ import annotations

import io
import os
import tokenize
from dataclasses import dataclass

from envbuild.errors import EnvbuildError
from envbuild.errors import Location as ErrorLocation

TIME_ENV = "ENVBUILD_EVAL_TIMEOUT"
MEMORY_ENV = "ENVBUILD_EVAL_MEMORY"
DEPTH_ENV = "ENVBUILD_EVAL_DEPTH"
MAX_FILE_BYTES = 4 * 1024 * 1024  # a generated build file with 20,000 environ keys is ~0.6 MiB
OPERATORS_PER_DEPTH = 10  # one statement may chain this many operators per unit of depth


@dataclass(frozen=True)
class Limits:
    seconds: float = 60.0
    memory_mib: int = 1024
    depth: int = 200  # Starlark call frames, and bracket / block / lambda nesting in the source

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, overridden by the environment; a malformed value is an error naming the variable."""
        base = cls()
        return cls(
            seconds=_positive(TIME_ENV, base.seconds, float),
            memory_mib=int(_positive(MEMORY_ENV, base.memory_mib, int)),
            depth=int(_positive(DEPTH_ENV, base.depth, int)),
        )


def _positive(name: str, default: float, kind: type) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise EnvbuildError(
            f"{name}={raw!r} is not valid: expected a positive {'number' if kind is float else 'integer'}",
            hint=f"unset {name} to use the default ({default:g})",
        )
    return value


_OPENING = {"(", "[", "{"}
_CLOSING = {")", "]", "}"}
_CHAIN_WORDS = {"lambda", "not", "if", "and", "or", "in"}
_NOT_CHAINING = {",", ":", "=", ";", "->", "**", "*"} | _CLOSING  # separators, and * / ** in argument lists


def check_nesting(text: str, display: str, depth: int) -> EnvbuildError | None:
    """An error at the first place `text` nests deeper than `depth`, or None.

    Python's tokenizer reads Starlark's tokens (same brackets, strings, indentation); text it cannot tokenize
    is left to Starlark's parser, which reports the syntax error itself.
    """
    brackets: list[tokenize.TokenInfo] = []
    blocks = lambdas = operators = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, string = token.type, token.string
            if kind == tokenize.INDENT:
                blocks += 1
                if blocks > depth:
                    return _error(display, text, token, f"more than {depth} nested blocks", depth)
            elif kind == tokenize.DEDENT:
                blocks -= 1
            elif kind == tokenize.NEWLINE:
                lambdas = operators = 0
            elif kind == tokenize.OP and string in _OPENING:
                brackets.append(token)
                operators += 1
                if len(brackets) > depth:
                    return _error(display, text, token, f"brackets nested more than {depth} deep", depth)
            elif kind == tokenize.OP and string in _CLOSING:
                if brackets:
                    brackets.pop()
            elif kind == tokenize.NAME and string == "lambda":
                lambdas += 1
                operators += 1
                if lambdas > depth:
                    return _error(display, text, token, f"more than {depth} lambdas in one statement", depth)
            elif (kind == tokenize.NAME and string in _CHAIN_WORDS) or (
                kind == tokenize.OP and string not in _NOT_CHAINING
            ):
                operators += 1
            if operators > depth * OPERATORS_PER_DEPTH:
                limit = depth * OPERATORS_PER_DEPTH
                return _error(display, text, token, f"more than {limit} operators in one statement", depth)
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def _error(display: str, text: str, token: tokenize.TokenInfo, what: str, depth: int) -> EnvbuildError:
    line, column = token.start
    lines = text.split("\n")
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    return EnvbuildError(
        f"{what}: envbuild stops here rather than overflow the evaluator's stack",
        hint=f"split it into smaller expressions or functions, or raise the limit with {DEPTH_ENV} "
        f"(now {depth})",
        location=ErrorLocation(display, line, column + 1, source),
    )
