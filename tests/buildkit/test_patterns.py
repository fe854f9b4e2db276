"""Include/exclude filtering of local directories follows .dockerignore-style rules."""

from __future__ import annotations

from envbuild.buildkit.patterns import PathFilter


def test_empty_filter_sends_everything():
    f = PathFilter()
    assert f.wants("a/b/c") and f.may_descend("a")


def test_exclude_matches_a_path_or_its_parents():
    f = PathFilter(exclude=("build", "*.pyc"))
    assert not f.wants("build")
    assert not f.wants("build/x/y.o")
    assert not f.may_descend("build")
    assert not f.wants("a.pyc")
    assert f.wants("src/a.pyc")  # `*` does not cross directories
    assert f.wants("src/a.py")


def test_negation_reincludes_and_last_match_wins():
    f = PathFilter(exclude=("*.log", "!keep.log"))
    assert not f.wants("x.log")
    assert f.wants("keep.log")


def test_double_star_crosses_directories():
    f = PathFilter(exclude=("**/__pycache__",))
    assert not f.wants("__pycache__")
    assert not f.wants("a/b/__pycache__/m.pyc")
    assert f.wants("a/b/m.py")


def test_include_walks_only_towards_matches():
    f = PathFilter(include=("src/**/*.py", "README.md"))
    assert f.wants("README.md")
    assert f.wants("src/pkg/m.py")
    assert not f.wants("src/pkg/m.txt")
    assert f.may_descend("src") and f.may_descend("src/pkg")
    assert not f.may_descend("docs")


def test_include_of_a_directory_takes_its_contents():
    f = PathFilter(include=("data",))
    assert f.wants("data/x/y.csv")
    assert not f.wants("other.csv")
