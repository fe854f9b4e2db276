"""Every failure is an EnvbuildError pointing at file:line:col with the source line; never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from envbuild.errors import EnvbuildError


def _loc(err: EnvbuildError) -> tuple[str, int, int]:
    assert err.location is not None, err.render()
    return err.location.file.rsplit("/", 1)[-1], err.location.line, err.location.column


def test_syntax_error_points_at_the_token(project):
    err = project.error("def build(:\n    pass\n")
    assert _loc(err) == ("build.envd", 1, 11)
    assert "Parse error" in err.message
    assert err.location.source_line == "def build(:"


def test_unknown_builtin(project):
    err = project.build_error("install.pythn()")
    assert _loc(err) == ("build.envd", 2, 5)
    assert "has no attribute `pythn`" in err.message and "did you mean `python`" in err.message


def test_unknown_global(project):
    err = project.build_error("foo()")
    assert _loc(err) == ("build.envd", 2, 5)
    assert "Variable `foo` not found" in err.message


def test_builtin_error_renders_caret_under_the_call(project):
    err = project.build_error("x = 1\nruntime.expose(envd_port=0)")
    rendered = err.render()
    assert rendered.splitlines()[0].endswith(
        "build.envd:3:5: error: runtime.expose(): `envd_port` must be between 1 and 65535, got 0"
    )
    assert rendered.splitlines()[1] == "        runtime.expose(envd_port=0)"
    assert rendered.splitlines()[2] == "        ^"


def test_error_inside_a_helper_points_at_the_builtin_call(project):
    err = project.error(
        """
        def helper(v):
            install.cuda(version=v)

        def build():
            helper(12)
        """
    )
    assert _loc(err) == ("build.envd", 2, 5)


def test_runtime_error_in_starlark_code(project):
    err = project.build_error("x = [1][5]")
    assert _loc(err) == ("build.envd", 2, 9)
    assert "out of bound" in err.message


def test_fail_builtin(project):
    err = project.build_error('fail("custom message")')
    assert "custom message" in err.message
    assert _loc(err)[1] == 2


def test_recursion_is_bounded(project):
    err = project.build_error("build()")
    assert "stack overflow" in err.message


def test_long_running_evaluation_is_stopped(project, monkeypatch):
    monkeypatch.setenv("ENVBUILD_EVAL_TIMEOUT", "0.2")
    err = project.build_error("for x in range(1000000000):\n    y = [x]")
    assert err.message == "evaluation took longer than 0.2 s and was stopped"
    assert _loc(err) == ("build.envd", 2, 5)  # the loop, not `cannot call build`
    assert "ENVBUILD_EVAL_TIMEOUT" in err.hint


def test_missing_function(project):
    err = project.error("def other():\n    pass\n")
    assert "has no function `build`" in err.message and "--from" in err.hint


def test_missing_build_file(tmp_path):
    from envbuild.lang import evaluate

    with pytest.raises(EnvbuildError, match="build file not found"):
        evaluate(tmp_path)


def test_non_utf8_file(project):
    (project.root / "build.envd").write_bytes(b"def build():\n    x = '\xff'\n")
    from envbuild.lang import evaluate

    with pytest.raises(EnvbuildError, match="not valid UTF-8"):
        evaluate(project.root)


def test_v0_is_refused(project):
    err = project.error("# syntax=v0\ndef build():\n    pass\n")
    assert "v0 build files are not supported" in err.message
    assert _loc(err) == ("build.envd", 1, 1)


@pytest.mark.parametrize("first", ["# syntax=v1", "", "# a comment"])
def test_v1_or_nothing_is_v1(project, first):
    assert project.evaluate(first + "\ndef build():\n    pass\n").syntax == "v1"


def test_cli_style_rendering_has_no_traceback(project):
    project.write("build.envd", "def build():\n    install.python(version='2')\n")
    code = (
        "import sys\n"
        "from envbuild.errors import EnvbuildError\n"
        "from envbuild.lang import evaluate\n"
        "try:\n"
        f"    evaluate({str(project.root)!r})\n"
        "except EnvbuildError as e:\n"
        "    print(e.render(), file=sys.stderr); sys.exit(1)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "build.envd:2:5: error: install.python(): Python 2 is not supported" in done.stderr


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("build = 1\n", "cannot call `build` with no arguments"),
        ("def build(x):\n    pass\n", "Missing parameter `x`"),
    ],
)
def test_entry_that_cannot_be_called(project, text, fragment):
    err = project.error(text)
    assert fragment in err.message and _loc(err) == ("build.envd", 1, 1)


def test_private_entry_function_is_refused(project):
    err = project.error("def _hidden():\n    pass\n", function="_hidden")
    assert "is private" in err.message and _loc(err) == ("build.envd", 1, 1)


def test_return_value_of_build_is_ignored(project):
    graph = project.evaluate("def build():\n    install.go()\n    return install\n")
    assert graph.languages[0].name == "go"


def test_a_parse_error_names_the_likely_tokens_not_fifty(project):
    err = project.error('base(image="x" dev=True)')
    assert err.message.endswith("expected ')' or ','"), err.message
    assert "expected one of" not in err.message
