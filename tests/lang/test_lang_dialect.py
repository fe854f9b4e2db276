"""envd's dialect: no while, no top-level if/for, each global bound once; recursion is allowed."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("def build():\n    while True:\n        pass\n", "while", 2),
        ("if True:\n    x = 1\ndef build():\n    pass\n", "`if` cannot be used outside `def`", 1),
        ("for x in []:\n    pass\ndef build():\n    pass\n", "`for` cannot be used outside `def`", 1),
        (
            "x = 1\nx = 2\ndef build():\n    pass\n",
            "global variable `x` is assigned again (first bound on line 1)",
            2,
        ),
        ("x = 1\nx += 1\ndef build():\n    pass\n", "global variable `x` is assigned again", 2),
        ("def build():\n    pass\ndef build():\n    pass\n", "global variable `build` is assigned again", 3),
        ("a, b = 1, 2\nb = 3\ndef build():\n    pass\n", "global variable `b`", 2),
    ],
)
def test_forbidden_constructs(project, text, fragment, line):
    err = project.error(text)
    assert fragment in err.message
    assert err.location.line == line


def test_local_reassignment_and_recursion_are_fine(project):
    graph = project.evaluate(
        """
        def fact(n):
            if n <= 1:
                return 1
            return n * fact(n - 1)

        def build():
            x = 1
            x = x + fact(5)
            run(commands=["echo %d" % x])
        """
    )
    assert graph.runs[0].commands == ("echo 121",)


def test_users_may_shadow_builtin_names(project):
    graph = project.evaluate(
        """
        def run_all():
            run(commands=["a"])

        data = {"k": "v"}

        def build():
            run_all()
        """
    )
    assert graph.runs[0].commands == ("a",)


def test_shadowing_a_builtin_name_hides_it(project):
    graph = project.evaluate(
        """
        def shell(x):
            return x

        def build():
            run(commands=[shell("echo")])
        """
    )
    assert graph.shell == "bash" and graph.runs[0].commands == ("echo",)


def test_print_goes_to_stderr(project, capfd):
    project.build('print("hello", 1, [2])')
    out, err = capfd.readouterr()
    assert out == "" and "hello 1 [2]" in err


def test_structs_lambdas_and_comprehensions(project):
    graph = project.build(
        """
        pkgs = [p for p in ["a", "b"] if p != "b"]
        s = struct(name="x")
        f = lambda v: v + "!"
        install.apt_packages(name=pkgs + [f(s.name)])
        """
    )
    assert graph.packages.apt_names() == ("a", "x!")


def test_two_evaluations_share_nothing(project):
    first = project.build('run(commands=["one"])')
    second = project.build('run(commands=["two"])')
    assert [r.commands for r in first.runs] == [("one",)]
    assert [r.commands for r in second.runs] == [("two",)]


def test_assignments_inside_multiline_strings_are_not_globals(project):
    graph = project.evaluate(
        '''
        NOTE = """
        run = 1
        def install():
        """

        def build():
            run(commands=[NOTE.strip().splitlines()[0]])
        '''
    )
    assert graph.runs[0].commands == ("run = 1",)
