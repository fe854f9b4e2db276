"""Argument checks for builtins: each returns the value in graph form or raises `ArgumentError`.

Values arrive from Starlark already converted to Python (str, int, bool, None, list, dict). Messages name the
argument and what was given, the way Starlark's own type errors do, so users see one consistent voice.
"""

from __future__ import annotations

from typing import Any


def seconds_from_env(name: str, default: float) -> float:
    """A positive number of seconds from the environment; a malformed value falls back to the default rather
    than failing at import (which would surface as a traceback)."""
    import os

    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


class ArgumentError(Exception):
    """A bad argument value; the evaluator adds the builtin's name and the call's location."""


def type_name(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def string(name: str, value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ArgumentError(f"`{name}` must be a string, got {type_name(value)}")
    return value


def non_empty_string(name: str, value: Any) -> str:
    text = string(name, value)
    assert text is not None
    if not text.strip():
        raise ArgumentError(f"`{name}` must not be empty")
    return text


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(f"`{name}` must be a bool (True or False), got {type_name(value)}")
    return value


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"`{name}` must be an int, got {type_name(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ArgumentError(f"`{name}` must be {bounds}, got {value}")
    return value


def string_list(name: str, value: Any, *, optional: bool = True) -> tuple[str, ...]:
    if value is None and optional:
        return ()
    if isinstance(value, str):
        raise ArgumentError(f"`{name}` must be a list of strings, got a single string (wrap it: [{value!r}])")
    if not isinstance(value, (list, tuple)):
        raise ArgumentError(f"`{name}` must be a list of strings, got {type_name(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ArgumentError(f"`{name}[{index}]` must be a string, got {type_name(item)}")
    return tuple(value)


def string_dict(name: str, value: Any, *, optional: bool = True) -> tuple[tuple[str, str], ...]:
    if value is None and optional:
        return ()
    if not isinstance(value, dict):
        raise ArgumentError(f"`{name}` must be a dict of strings to strings, got {type_name(value)}")
    items = []
    for key, item in value.items():
        if not isinstance(key, str):
            raise ArgumentError(f"`{name}` keys must be strings, got {type_name(key)}")
        if not isinstance(item, str):
            raise ArgumentError(f"`{name}[{key!r}]` must be a string, got {type_name(item)}")
        items.append((key, item))
    return tuple(items)
