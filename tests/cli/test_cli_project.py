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
