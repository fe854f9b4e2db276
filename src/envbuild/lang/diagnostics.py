"""Turning starlark-pyo3's error text into an `EnvbuildError` with a location in the user's file.

starlark-pyo3 flattens every failure into one message: a traceback of `* file:line, in func` frames, an
`error: ...` line and a `--> file:line:col` pointer with a caret snippet. We parse those, shift lines back by
the prelude line we prepend, and render the caret ourselves from the original source.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from envbuild.errors import EnvbuildError
from envbuild.errors import Location as ErrorLocation
from envbuild.lang.prelude import dotted_name

FRAME = re.compile(r"^\s*\* (.*):(\d+), in (.*)$", re.MULTILINE)
POINTER = re.compile(r"^\s*--> (.*):(\d+):(\d+)\s*$", re.MULTILINE)
_WRAPPER = re.compile(r"call to `?envbuild-builtins\.(\w+)`?")
_EXPECTED = re.compile(r", expected one of (.*)$")
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"')
# What a parse error most likely lacks, in this order: the parser lists every token it could accept (about
# fifty after an expression), which buries the one the user forgot.
_LIKELY_TOKENS = (")", ",", "]", "}", ":", "=")
_MAX_EXPECTED = 4

# display name → (error location builder); None for files we did not prepare (the prelude)
Locate = Callable[[str, int, int], ErrorLocation | None]


def last_frame(stack: str) -> tuple[str, int] | None:
    frames = FRAME.findall(stack)
    if not frames:
        return None
    file, line, _func = frames[-1]
    return file, int(line)


def _message(text: str) -> str:
    match = re.search(r"^error: (.*?)(?=^\s*-->|\Z)", text, re.MULTILINE | re.DOTALL)
    message = (
        match.group(1) if match else text.strip().splitlines()[-1] if text.strip() else "evaluation failed"
    )
    message = " ".join(message.split())
    message = _WRAPPER.sub(lambda m: f"call to {dotted_name(m.group(1))}()", message)
    return _fewer_expected(message.removeprefix("StarlarkError: "))


def _fewer_expected(message: str) -> str:
    """`…, expected one of <fifty tokens>` → `…, expected "," or ")"`: only the likely ones, or none."""
    match = _EXPECTED.search(message)
    if match is None:
        return message
    tokens = [t.replace("\\n", "newline") for t in _TOKEN.findall(match.group(1))]
    if len(tokens) <= _MAX_EXPECTED:
        return message
    likely = [t for t in _LIKELY_TOKENS if t in tokens][:2]
    head = message[: match.start()]
    if not likely:
        return head
    return f"{head}, expected {' or '.join(repr(t) for t in likely)}"


def from_starlark(
    text: str, locate: Locate, locate_frame: Callable[[str, int], ErrorLocation | None]
) -> EnvbuildError:
    """An error from starlark text; the location is the innermost place inside a user's file."""
    message = _message(text)
    location = None
    pointers = POINTER.findall(text)
    if pointers:
        file, line, column = pointers[-1]
        location = locate(file, int(line), int(column))
    if location is None:
        for file, line, _func in reversed(FRAME.findall(text)):
            location = locate_frame(file, int(line))
            if location is not None:
                break
    return EnvbuildError(message, location=location)
