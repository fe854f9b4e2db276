"""Mangled build files never let a Python exception other than EnvbuildError escape evaluate()."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envbuild.errors import EnvbuildError
from envbuild.lang import evaluate

SEED = """# syntax=v1
lib_apt = ["git", "curl"]

def helper(v):
    install.python(version=v)
    runtime.expose(envd_port=8000, host_port=0, service="web")

def build():
    base(image="debian:bookworm", dev=False)
    helper("3.11")
    install.apt_packages(name=lib_apt)
    install.python_packages(name=["rich"], requirements="", local_wheels=[])
    config.jupyter(token="", port=8888)
    io.http(url="https://x/y.tgz", checksum="sha256:%s" % ("a" * 64))
    runtime.daemon(commands=[["sleep", "inf"]])
    runtime.mount(host_path=data.envd("d"), envd_path="~/d")
    run(commands=["echo " + str(len(lib_apt))])
"""

TOKENS = [
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "=",
    ".",
    "'",
    '"',
    "\\",
    "\n",
    "    ",
    "\t",
    "#",
    "def ",
    "if ",
    "for ",
    "while ",
    "lambda",
    "load(",
    "include(",
    "None",
    "True",
    "1",
    "-1",
    "99999999999999999999",
    "install.",
    "config.",
    "runtime.",
    "io.",
    "data.",
    "base(",
    "run(",
    "fail(",
    "build()",
    "x = 1\n",
    "\x00",
    "é",
    "\u2028",
    "*",
    "**",
    "%",
    "@",
    "`",
    "$",
    "struct(",
    "print(",
    "range(1 << 40)",
]


def _mutate(text: str, edits: list[tuple[int, int, int]]) -> str:
    for kind, pos, arg in edits:
        pos %= max(len(text), 1)
        if kind == 0:
            text = text[:pos] + text[pos + 1 + arg % 20 :]
        elif kind == 1:
            text = text[:pos] + TOKENS[arg % len(TOKENS)] + text[pos:]
        else:
            lines = text.split("\n")
            i, j = pos % len(lines), arg % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


def _check(root: Path, text: str) -> None:
    (root / "build.envd").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        evaluate(root)
    except EnvbuildError as err:
        assert err.render()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 10_000)), max_size=6))
def test_mutated_files_only_raise_envbuild_errors(tmp_path, monkeypatch, edits):
    monkeypatch.setenv("ENVBUILD_EVAL_TIMEOUT", "2")
    _check(tmp_path, _mutate(SEED, edits))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_token_soup_only_raises_envbuild_errors(tmp_path, monkeypatch, tokens):
    monkeypatch.setenv("ENVBUILD_EVAL_TIMEOUT", "2")
    _check(tmp_path, "def build():\n    " + "".join(tokens) + "\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_envbuild_errors(tmp_path, monkeypatch, text):
    monkeypatch.setenv("ENVBUILD_EVAL_TIMEOUT", "2")
    _check(tmp_path, text)
