"""Option values of plain types converted without pydantic, so a short command does not pay for it.

typer 0.29 converts every parameter value, even a flag left unset, through a pydantic `TypeAdapter`; building
the first one imports pydantic and pydantic-core's schema machinery, which took longer than everything else
`envbuild version` or `envbuild debug llb` does. Our commands declare only str, bool, int, float and Path
(optionally a list of one of them), whose conversion is one call: `install()` makes typer use that for such a
parameter and keeps typer's own (pydantic) for anything richer (choices, ranges, path checks, custom parsers).

It hooks `typer.core._TyperParameter.get_runtime_param`, a private method: typer is pinned to one minor
version, and tests/cli/test_cli_startup.py fails if a command loads pydantic again or converts wrongly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from typer import _coercion, core
from typer._click.exceptions import BadParameter

_NAMES: dict[Any, str] = {int: "integer", float: "number"}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes", "y", "on"):
        return True
    if text in ("", "0", "false", "f", "no", "n", "off"):
        return False
    raise ValueError(text)


def _to_str(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


_CONVERTERS: dict[Any, Callable[[Any], Any]] = {
    str: _to_str, bool: _to_bool, int: int, float: float, Path: Path,
}


@dataclass(frozen=True)
class _Plain(_coercion.RuntimeParam):
    """One value, or each of a list's, through a plain converter; a failure is click's usage error."""

    convert: Callable[[Any], Any]
    many: bool

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if not self.many:
            return self._one(value, param, ctx)
        items = value if isinstance(value, (list, tuple)) else [value]
        return [self._one(item, param, ctx) for item in items]

    def _one(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return self.convert(value)
        except (TypeError, ValueError) as err:
            kind = _NAMES.get(self.convert, getattr(self.annotation, "__name__", "value"))
            raise BadParameter(f"{value!r} is not a valid {kind}.", ctx=ctx, param=param) from err


def plain_runtime_param(descriptor: _coercion.TypeDescriptor) -> _coercion.RuntimeParam | None:
    """A pydantic-free conversion for this parameter, or None when typer's own is needed."""
    info = descriptor.parameter_info
    annotation = descriptor.annotation
    many = get_origin(annotation) is list
    leaf = get_args(annotation)[0] if many else annotation
    richer = (
        descriptor.file_annotation is not None
        or info.parser is not None
        or getattr(info, "min", None) is not None
        or getattr(info, "max", None) is not None
        or getattr(info, "exists", False)
        or getattr(info, "resolve_path", False)
        or getattr(info, "writable", False)
        or getattr(info, "allow_dash", False)
        or getattr(info, "path_type", None) is not None
        or getattr(info, "file_okay", True) is not True
        or getattr(info, "dir_okay", True) is not True
    )
    convert = _CONVERTERS.get(leaf)
    if richer or convert is None:
        return None
    return _Plain(parameter_info=info, annotation=annotation, convert=convert, many=many)


def _get_runtime_param(self: Any) -> _coercion.RuntimeParam:
    if self._runtime_param is None:
        self._runtime_param = plain_runtime_param(self.type_descriptor) or _coercion.build_runtime_param(
            self.type_descriptor
        )
    return self._runtime_param


def install() -> None:
    """Make typer convert plain parameter values with `plain_runtime_param` (idempotent)."""
    core._TyperParameter.get_runtime_param = _get_runtime_param  # type: ignore[method-assign]
