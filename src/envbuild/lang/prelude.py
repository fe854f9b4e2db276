"""The Starlark prelude: one small module, generated from the builtin table, that every evaluated file loads.

Each builtin becomes a real Starlark function with envd's signature, so Starlark binds the arguments and
reports a missing or unknown one at the caller's own line. The function passes the caller's call stack and
the bound values to one Python dispatcher; namespaces (`install.python`) are structs of those functions.
"""

from __future__ import annotations

import json
from typing import Any

from envbuild.lang.builtins import BUILTINS, DATA_PATHS, REQUIRED

DISPATCH = "_envbuild"
PRINT = "_envbuild_print"
NAMESPACES = ("install", "config", "io", "runtime")


def wrapper_name(dotted: str) -> str:
    """`install.python` → `install__python`; `wrapper_name` is reversed in error messages."""
    return dotted.replace(".", "__")


def dotted_name(wrapper: str) -> str:
    return wrapper.replace("__", ".")


def _literal(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, str)):
        return json.dumps(value)
    raise TypeError(f"no Starlark literal for default {value!r}")  # pragma: no cover - table bug


def _function(dotted: str, params: tuple[tuple[str, Any], ...], result: str = "{call}") -> str:
    signature = ", ".join(
        name if default is REQUIRED else f"{name} = {_literal(default)}" for name, default in params
    )
    values = "".join(f", {name}" for name, _ in params)
    # one list argument: starlark-pyo3 converts arguments one by one, so a single conversion is cheaper
    call = f'{DISPATCH}(["{dotted}", call_stack(strip_frames = 1){values}])'
    return f"def {wrapper_name(dotted)}({signature}):\n    return {result.format(call=call)}\n"


def prelude_source() -> str:
    parts: list[str] = []
    members: dict[str, list[str]] = {ns: [] for ns in NAMESPACES}
    for spec in BUILTINS.values():
        if spec.name == "data.envd":
            parts.append(_function(spec.name, spec.params, "struct(envd_data_source = {call})"))
            continue
        parts.append(_function(spec.name, spec.params))
        namespace, _, leaf = spec.name.rpartition(".")
        if namespace:
            members[namespace].append(f"{leaf} = {wrapper_name(spec.name)}")
    for namespace, fields in members.items():
        parts.append(f"{namespace} = struct({', '.join(fields)})\n")
    paths = ", ".join(f"{key} = {_literal(value)}" for key, value in DATA_PATHS.items())
    parts.append(f"data = struct(envd = {wrapper_name('data.envd')}, path = struct({paths}))\n")
    parts.append(f'def print(*args, sep = " "):\n    {PRINT}(sep.join([str(arg) for arg in args]))\n')
    return "\n".join(parts)
