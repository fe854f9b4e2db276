"""Hostile build files, generated: whatever a build file holds, evaluation and compilation end in a result or
an `EnvbuildError` with a message, and envbuild itself never crashes, hangs or says "internal error".

Three generators: constructs nested or repeated to depths that used to segfault starlark-rust or exhaust
memory (issue 13), every builtin called with arguments of every type, and raw bytes. Thousands of cases run in
CI within a few minutes; `ENVBUILD_FUZZ_EXAMPLES=N` sets the examples per generator (for a longer hunt).
Evaluation runs under small limits here (2 s, 256 MiB) so runaway cases end quickly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envbuild.compile import BuildTarget, compile_graph
from envbuild.compile.horust import HorustSource
from envbuild.errors import EnvbuildError
from envbuild.lang import evaluate
from envbuild.lang.builtins import BUILTINS

EXAMPLES = int(os.environ.get("ENVBUILD_FUZZ_EXAMPLES", "0") or 0)
TARGET = BuildTarget(
    horust=HorustSource(kind="image", ref="envbuild-test-horust-standin:latest", path="/sbin/horust")
)


def fuzz_settings(default: int):
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


@pytest.fixture
def limits(monkeypatch):
    monkeypatch.setenv("ENVBUILD_EVAL_TIMEOUT", "2")
    monkeypatch.setenv("ENVBUILD_EVAL_MEMORY", "256")


def check(root: Path, data: bytes) -> None:
    """The property: a graph that compiles (or refuses with an error), or an error with a message."""
    (root / "build.envd").write_bytes(data)
    try:
        graph = evaluate(root)
    except EnvbuildError as err:
        _assert_clean(err)
        return
    try:
        compile_graph(graph, target=TARGET)
    except EnvbuildError as err:
        _assert_clean(err)


def _assert_clean(err: EnvbuildError) -> None:
    text = err.render()
    assert err.message and "internal error" not in text and "Traceback" not in text, text


# ------------------------------------------------------------------------------ deep and heavy constructs

NESTED = {
    "lambda": lambda n: "lambda: " * n + "1",
    "brackets": lambda n: "[" * n + "]" * n,
    "parens": lambda n: "(" * n + "1" + ")" * n,
    "dicts": lambda n: '{"k": ' * n + "1" + "}" * n,
    "unary": lambda n: "-" * n + "1",
    "not": lambda n: "not " * n + "True",
    "plus": lambda n: "1" + " + 1" * n,
    "ternary": lambda n: "1 if True else " * n + "1",
    "calls": lambda n: "str" + "(1)" * min(n, 1) + ".upper()" * n,
    "index": lambda n: "[[1]]" + "[0]" * min(n, 2) + "[0:1]" * n,
    "comprehension": lambda n: "[" * n + "x for x in [1]" + "]" * n,
}


def _blocks(depth: int) -> str:
    return "".join("    " * (i + 1) + "if True:\n" for i in range(depth)) + "    " * (depth + 1) + "pass\n"


HEAVY = [
    'x = ""\n    for i in range(100000):\n        x += "abcd"',
    "x = []\n    for i in range(10000000):\n        x.append([i, i])",
    'x = "ab" * 4000000000',
    "x = [1] * 2000000000",
    "for i in range(1000000000):\n        pass",
    "f = lambda n: f(n)\n    f(1)",
    'load("/dev/zero", "x")',
    'load("/proc/self/environ", "x")',
    'load("../../../../../../etc/passwd", "x")',
    "x = {str(i): i for i in range(3000000)}",
    'x = "%s" * 100000 % tuple(range(100000))',
]


@fuzz_settings(300)
@given(kind=st.sampled_from(sorted(NESTED)), depth=st.integers(1, 4000))
def test_nested_expressions(tmp_path, limits, kind, depth):
    check(tmp_path, f"def build():\n    x = {NESTED[kind](depth)}\n".encode())


@fuzz_settings(40)
@given(depth=st.integers(1, 600))
def test_nested_blocks(tmp_path, limits, depth):
    check(tmp_path, ("def build():\n" + _blocks(depth)).encode())


@fuzz_settings(len(HEAVY))
@given(body=st.sampled_from(HEAVY))
def test_heavy_bodies(tmp_path, limits, body):
    text = body if body.startswith("load(") else f"def build():\n    {body}\n"
    if body.startswith("load("):
        text += "\ndef build():\n    pass\n"
    check(tmp_path, text.encode())


@fuzz_settings(40)
@given(depth=st.integers(1, 5000))
def test_recursion(tmp_path, limits, depth):
    check(
        tmp_path, f"def f(n):\n    return f(n - 1) if n > 0 else 0\n\ndef build():\n    f({depth})\n".encode()
    )


# ------------------------------------------------------------------------------ every builtin, any argument

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(max_size=20),
    st.sampled_from(["", "~", "~/x", "/", "..", "3.x", "Debian:Bookworm", "a\nb", "x" * 300, "12.4", "3.11"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner)),
    max_leaves=8,
)
NAMES = sorted(BUILTINS)


def _literal(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"


@st.composite
def builtin_call(draw) -> str:
    spec = BUILTINS[draw(st.sampled_from(NAMES))]
    names = [name for name, _default in spec.params]
    chosen = draw(st.lists(st.sampled_from(names + ["bogus"]), unique=True, max_size=len(names) + 1))
    args = ", ".join(f"{name}={_literal(draw(VALUES))}" for name in chosen)
    return f"{spec.name}({args})"


@fuzz_settings(800)
@given(
    dev=st.booleans(),
    image=st.sampled_from(["debian:bookworm", "ubuntu:22.04", "Debian:Bookworm", "", "x@sha256:zz"]),
    calls=st.lists(builtin_call(), max_size=5),
)
def test_builtins_with_any_arguments(tmp_path, limits, dev, image, calls):
    body = "".join(f"    {call}\n" for call in calls)
    check(tmp_path, f'def build():\n    base(image="{image}", dev={dev})\n{body}'.encode())


# ------------------------------------------------------------------------------ bytes


@fuzz_settings(200)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(tmp_path, limits, data):
    check(tmp_path, b"def build():\n    " + data + b"\n")
