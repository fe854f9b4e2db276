"""`--path` and `--from` mean the same in every command: one parser, envd's defaults, usage errors that name
the flag."""

from __future__ import annotations

import pytest

from envbuild.cli.project import build_file, parse_from
from envbuild.errors import UsageError


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, ("build.envd", "build")),
        ("", ("build.envd", "build")),
        (":prod", ("build.envd", "prod")),
        ("other.envd", ("other.envd", "build")),
        ("other.envd:gpu", ("other.envd", "gpu")),
        ("other.envd:", ("other.envd", "build")),
    ],
)
def test_parse_from(spec, expected):
    assert parse_from(spec) == expected


@pytest.mark.parametrize("spec", ["a:b:c", ":1bad", "build.envd:not-a-name"])
def test_parse_from_refuses_what_envd_refuses(spec):
    with pytest.raises(UsageError) as err:
        parse_from(spec)
    assert err.value.flag == "--from" and "FILE:FUNCTION" in err.value.allowed


def test_build_file_names_the_missing_file(tmp_path):
    with pytest.raises(UsageError, match="does not"):
        build_file(tmp_path, "other.envd")
    with pytest.raises(UsageError) as err:
        build_file(tmp_path / "nope", None)
    assert err.value.flag == "--path"


def test_compile_errors_name_the_file_as_evaluation_errors_do(tmp_path):
    """Run from the project's parent, both kinds of error say `proj/build.envd`, not `build.envd`."""
    import subprocess
    import sys

    project = tmp_path / "proj"
    project.mkdir()
    (project / "build.envd").write_text(
        'def build():\n    base(image="debian:bookworm", dev=False)\n    install.cuda(version="11.2.2")\n'
        '    install.python_packages(name=["torch==2.9.1"])\n'
    )
    out = subprocess.run(
        [sys.executable, "-m", "envbuild.cli", "debug", "llb", "-p", "proj"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 1
    assert out.stderr.startswith("proj/build.envd:3:5: error: torch 2.9.1 has no wheels for CUDA 11.2")
