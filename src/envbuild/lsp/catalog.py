"""What the language offers a build file, as an editor presents it: the builtins of `lang/builtins.py` with
their signatures and documentation, the namespaces that hold them, and Starlark's own global functions.

Everything comes from the builtin table (`BUILTINS`, its `doc`, `DATA_PATHS`), so a builtin added there is
completed, hovered and explained without touching this package.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from envbuild.lang.builtins import BUILTINS, DATA_PATHS, REQUIRED
from envbuild.lang.prelude import NAMESPACES


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None  # as Starlark source; None when the argument is required
    doc: str

    @property
    def label(self) -> str:
        return self.name if self.default is None else f"{self.name}={self.default}"


@dataclass(frozen=True)
class Entry:
    """A builtin function (`kind="function"`), a namespace (`"namespace"`) or a constant (`"value"`)."""

    name: str  # dotted: "install.python"
    kind: str
    summary: str
    params: tuple[Param, ...] = ()
    value: str = ""

    @property
    def leaf(self) -> str:
        return self.name.rpartition(".")[2]

    @property
    def signature(self) -> str:
        if self.kind != "function":
            return self.name
        return f"{self.name}({', '.join(p.label for p in self.params)})"

    def markdown(self, *, signature: bool = True) -> str:
        """The documentation shown on hover (with the signature) and in completion (where the item's detail
        already shows it): summary, one line per argument."""
        parts = [f"```python\n{self.signature}\n```" if signature else "", self.summary]
        if self.value:
            parts.append(f"Value: `{self.value}`")
        if self.params:
            parts.append("\n".join(f"- `{p.label}`: {p.doc}" for p in self.params))
        return "\n\n".join(part for part in parts if part)


# Starlark's universe as envbuild's dialect has it (struct and call_stack come from library extensions).
STARLARK_FUNCTIONS = {
    "all": "all(x): True when every element of x is true.",
    "any": "any(x): True when some element of x is true.",
    "bool": "bool(x): the truth value of x.",
    "dict": "dict(pairs=[], **kwargs): a new dictionary.",
    "dir": "dir(x): the attribute names of x.",
    "enumerate": "enumerate(x, start=0): (index, element) pairs.",
    "fail": "fail(*args): stop the evaluation with an error message.",
    "getattr": "getattr(x, name, default): the attribute `name` of x.",
    "hasattr": "hasattr(x, name): whether x has an attribute `name`.",
    "hash": "hash(s): a hash of the string s.",
    "int": "int(x, base=10): x as an integer.",
    "len": "len(x): the number of elements of x.",
    "list": "list(x=[]): a new list.",
    "max": "max(*args, key=None): the largest argument (or element).",
    "min": "min(*args, key=None): the smallest argument (or element).",
    "print": "print(*args, sep=' '): write the arguments to the terminal (stderr).",
    "range": "range(start, stop, step): a sequence of integers.",
    "repr": "repr(x): x as Starlark source text.",
    "reversed": "reversed(x): the elements of x in reverse order.",
    "sorted": "sorted(x, key=None, reverse=False): the elements of x in order.",
    "str": "str(x): x as a string.",
    "struct": "struct(**kwargs): an immutable record with the given fields.",
    "tuple": "tuple(x=()): a new tuple.",
    "type": "type(x): the name of x's type.",
    "zip": "zip(*args): tuples of the elements at the same index.",
}
KEYWORDS = (
    "def",
    "load",
    "return",
    "if",
    "elif",
    "else",
    "for",
    "in",
    "not",
    "and",
    "or",
    "pass",
    "break",
    "continue",
    "lambda",
    "True",
    "False",
    "None",
)


def _literal(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _split_doc(doc: str) -> tuple[str, dict[str, str]]:
    """`Builtin.doc` → (description, {parameter: its text}); continuation lines join their parameter."""
    description, _, args = doc.partition("\nArgs:\n")
    params: dict[str, str] = {}
    current = None
    for line in args.split("\n"):
        match = re.match(r"^    (\w+): (.*)$", line)
        if match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif current and line.strip():
            params[current] += " " + line.strip()
    return description.strip(), params


@cache
def entries() -> dict[str, Entry]:
    """Every dotted name a build file can use, builtins and namespaces alike."""
    table: dict[str, Entry] = {}
    for spec in BUILTINS.values():
        description, param_docs = _split_doc(spec.doc)
        params = tuple(
            Param(name, None if default is REQUIRED else _literal(default), param_docs.get(name, ""))
            for name, default in spec.params
        )
        table[spec.name] = Entry(spec.name, "function", description, params)
    for namespace in (*NAMESPACES, "data"):
        members = sorted(name.rpartition(".")[2] for name in table if name.startswith(namespace + "."))
        if namespace == "data":
            members.append("path")
        listing = ", ".join(f"`{m}`" for m in members)
        table[namespace] = Entry(namespace, "namespace", f"The `{namespace}` builtins: {listing}.")
    table["data.path"] = Entry(
        "data.path", "namespace", "Where well-known data sets live in the environment, for runtime.mount()."
    )
    for key, path in DATA_PATHS.items():
        table[f"data.path.{key}"] = Entry(
            f"data.path.{key}", "value", f"The {key} data directory.", value=path
        )
    return table


def members(qualifier: str) -> list[Entry]:
    """The entries directly under a namespace: `install` → install.python, install.cuda, …"""
    prefix = qualifier + "."
    return [e for name, e in entries().items() if name.startswith(prefix) and "." not in name[len(prefix) :]]


def top_level() -> list[Entry]:
    return [e for name, e in entries().items() if "." not in name]
