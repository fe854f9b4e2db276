"""JSON for the graph: deterministic text out (sorted keys, 2-space indent), the same typed graph back in.

The codec walks dataclass fields and their type hints, so adding a field to a node needs no codec change.
Unknown keys are an error rather than silently dropped, so a graph written by a newer envbuild is not
half-read by an older one.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any

from envbuild.errors import EnvbuildError
from envbuild.graph import nodes


class GraphFormatError(EnvbuildError):
    """A graph JSON document that does not match the node types."""


def to_data(value: Any) -> Any:
    """A node as JSON-ready data: dataclasses → dicts, tuples → lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [to_data(item) for item in value]
    return value


def graph_to_json(graph: nodes.Graph) -> str:
    return json.dumps(to_data(graph), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def graph_from_json(text: str) -> nodes.Graph:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise GraphFormatError(f"graph JSON is not valid JSON: {err}") from err
    return from_data(nodes.Graph, data, "graph")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(nodes))


def from_data(tp: Any, data: Any, where: str) -> Any:
    """Rebuild a value of type `tp` from JSON data; `where` names the position for error messages."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return from_data(inner, data, where)
    if origin is tuple:
        if not isinstance(data, list):
            raise GraphFormatError(f"{where}: expected a list, got {type(data).__name__}")
        (item_type, _ellipsis) = typing.get_args(tp)
        return tuple(from_data(item_type, item, f"{where}[{i}]") for i, item in enumerate(data))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise GraphFormatError(f"{where}: expected an object, got {type(data).__name__}")
        hints = _hints(tp)
        unknown = set(data) - set(hints)
        if unknown:
            raise GraphFormatError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        kwargs = {name: from_data(hints[name], value, f"{where}.{name}") for name, value in data.items()}
        try:
            return tp(**kwargs)
        except TypeError as err:
            raise GraphFormatError(f"{where}: {err}") from err
    if tp is bool:
        if not isinstance(data, bool):
            raise GraphFormatError(f"{where}: expected a boolean")
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise GraphFormatError(f"{where}: expected an integer")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise GraphFormatError(f"{where}: expected a string")
        return data
    raise GraphFormatError(f"{where}: unsupported type {tp!r}")  # pragma: no cover - a node type bug
