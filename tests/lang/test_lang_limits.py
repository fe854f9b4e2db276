"""Evaluation limits: every hostile build file ends in a located error, and the process never dies.

Each case here crashed, hung or exhausted memory before the limits existed (issue 13): deep nesting segfaulted
starlark-rust (exit 139), `x += "ab"` in a loop took 1.6 GB, load() of a FIFO hung, of /dev/zero read without
end, of /proc/self/environ echoed the host environment into the error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from envbuild.errors import EnvbuildError
from envbuild.lang.limits import Limits, check_nesting


def _loc(err: EnvbuildError) -> tuple[str, int, int]:
    assert err.location is not None, err.render()
    return err.location.file.rsplit("/", 1)[-1], err.location.line, err.location.column


@pytest.mark.parametrize(
    ("expression", "what"),
    [
        ("lambda: " * 1100 + "1", "lambdas"),
        ("[" * 2400 + "]" * 2400, "brackets"),
        ("-" * 5000 + "1", "operators"),
        ("1+" * 20000 + "1", "operators"),
        ("not " * 10000 + "True", "operators"),
    ],
)
def test_deep_expressions_are_located_errors(project, expression, what):
    err = project.build_error(f"x = {expression}")
    assert what in err.message
    assert _loc(err)[:2] == ("build.envd", 2)
    assert "ENVBUILD_EVAL_DEPTH" in err.hint


def test_deeply_nested_blocks_are_a_located_error(project):
    body = "".join("    " * i + "if True:\n" for i in range(300)) + "    " * 300 + "pass\n"
    err = project.build_error(body)
    assert "nested blocks" in err.message
    assert _loc(err)[1] == 2 + 200  # the 201st block's first line


def test_depth_limit_is_settable(project, monkeypatch):
    nested = "[" * 250 + "]" * 250
    assert "brackets" in project.build_error(f"x = {nested}").message
    monkeypatch.setenv("ENVBUILD_EVAL_DEPTH", "400")
    project.build(f"x = {nested}")  # 250 levels evaluate fine on the evaluation thread's large stack


def test_a_malformed_limit_names_the_variable(project, monkeypatch):
    monkeypatch.setenv("ENVBUILD_EVAL_MEMORY", "lots")
    err = project.build_error("pass")
    assert "ENVBUILD_EVAL_MEMORY='lots' is not valid" in err.message


def test_nesting_check_passes_ordinary_code():
    text = "def build():\n    x = [{'a': (1, 2)}, lambda y: y + 1]\n    if x:\n        pass\n"
    assert check_nesting(text, "build.envd", Limits().depth) is None


def test_endless_recursion_points_at_the_recursive_call(project):
    err = project.error(
        """
        def f(n):
            return f(n + 1)

        def build():
            f(0)
        """
    )
    assert _loc(err) == ("build.envd", 2, 12)
    assert "more than 200 nested calls" in err.message


def test_memory_ceiling_stops_a_growing_string_at_its_loop(project, monkeypatch):
    monkeypatch.setenv("ENVBUILD_EVAL_MEMORY", "200")
    err = project.build_error('x = ""\nfor i in range(40000):\n    x += "ab"')
    assert "more than 200 MiB of memory" in err.message
    assert _loc(err) == ("build.envd", 3, 5)
    assert "ENVBUILD_EVAL_MEMORY" in err.hint


def test_memory_ceiling_stops_one_huge_allocation(project, monkeypatch):
    """One string multiplication never reaches Starlark's cancellation check: the parent kills the child."""
    monkeypatch.setenv("ENVBUILD_EVAL_MEMORY", "200")
    err = project.build_error('x = "ab" * 2000000000')
    assert "more than 200 MiB of memory" in err.message
    assert "build.envd" in err.message


def test_non_utf8_build_file_names_line_and_column(project):
    (project.root / "build.envd").write_bytes(b"def build():\n    x = 'ab\xffc'\n")
    err = project.error(None)
    assert _loc(err) == ("build.envd", 2, 12)
    assert "not valid UTF-8" in err.message and "0xff" in err.message


def test_load_of_a_fifo_is_refused_without_blocking(project):
    os.mkfifo(project.root / "pipe.envd")
    err = project.error('load("pipe.envd", "x")\ndef build():\n    pass\n')
    assert "is a FIFO" in err.message
    assert _loc(err)[:2] == ("build.envd", 1)


@pytest.mark.parametrize("target", ["/dev/zero", "/proc/self/environ", "/sys/kernel/notes"])
def test_load_of_system_files_is_refused_without_reading(project, target, monkeypatch):
    monkeypatch.setenv("ENVBUILD_LIMITS_TEST_SECRET", "hunter2-secret")
    err = project.error(f'load("{target}", "x")\ndef build():\n    pass\n')
    assert "not a build file" in err.message
    assert "hunter2" not in err.render()


def test_load_of_a_non_build_file_never_echoes_its_text(project):
    project.write("secrets.txt", "API_TOKEN=hunter2-secret-value\n")
    err = project.error('load("secrets.txt", "x")\ndef build():\n    pass\n')
    assert err.location is not None and err.location.file.endswith("secrets.txt")
    assert "hunter2" not in err.render()


def test_oversized_build_file_is_refused(project):
    (project.root / "big.envd").write_text("# " + "x" * (5 * 1024 * 1024) + "\n")
    err = project.error('load("big.envd", "x")\ndef build():\n    pass\n')
    assert "larger than 4 MiB" in err.message


def test_long_source_lines_are_shown_as_a_window(project):
    err = project.build_error("x = " + "1, " * 5000 + "y")
    rendered = err.render()
    assert max(len(line) for line in rendered.splitlines()) < 200
    caret_line = rendered.splitlines()[2]
    assert rendered.splitlines()[1][caret_line.index("^")] == "y"


def test_print_from_a_build_file_still_reaches_stderr(tmp_path):
    (tmp_path / "build.envd").write_text('def build():\n    print("hello from the child")\n')
    done = subprocess.run(
        [sys.executable, "-m", "envbuild.cli", "debug", "graph", "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "hello from the child" in done.stderr


def test_cli_never_dies_on_deep_nesting(tmp_path: Path):
    (tmp_path / "build.envd").write_text("def build():\n    x = " + "lambda: " * 1100 + "1\n")
    done = subprocess.run(
        [sys.executable, "-m", "envbuild.cli", "debug", "graph", "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "build.envd:2:" in done.stderr and "Traceback" not in done.stderr


def test_a_starlark_panic_in_process_is_an_error_not_a_baseexception(project, monkeypatch):
    """The language server evaluates in-process; pyo3's PanicException (a BaseException) from an exhausted
    Starlark heap must not pass its `except Exception` and kill the server."""
    import starlark as sl

    from envbuild.lang.evaluator import Evaluation, run_evaluation

    class PanicException(BaseException):  # the name pyo3 gives it; it cannot be raised from Python otherwise
        pass

    def panicking(*_args, **_kwargs):
        raise PanicException("out of memory")

    project.write("build.envd", "def build():\n    pass\n")
    evaluation = Evaluation(project.root)
    monkeypatch.setattr(sl, "eval_with", panicking)
    with pytest.raises(EnvbuildError, match="MiB of memory"):
        run_evaluation(evaluation, project.root / "build.envd", "build")
