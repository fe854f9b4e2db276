"""include(): real repositories over git:// (a `git daemon` on 127.0.0.1) and file:// URLs."""

from __future__ import annotations

import logging
import shutil

import pytest

from tests.lang.conftest import git, make_repo

LIB = {
    "tools.envd": """
        def jupyter_lab(port=8888):
            install.python_packages(name=["jupyterlab"])
            runtime.expose(envd_port=port, service="jupyter")

        def _private():
            pass
        """,
    "extra/apt.envd": """
        BASE_PACKAGES = ["git", "curl"]

        def apt():
            install.apt_packages(name=BASE_PACKAGES)
        """,
}

BUILD = """
envdlib = include("{url}"{ref})

def build():
    envdlib.jupyter_lab(port=9999)
    envdlib.apt()
    run(commands=[" ".join(envdlib.BASE_PACKAGES)])
"""


def _build(url: str, ref: str | None = None) -> str:
    return BUILD.format(url=url, ref=f', ref="{ref}"' if ref else "")


def test_file_url_unpinned_records_the_resolved_commit(project, tmp_path):
    commit = make_repo(tmp_path / "lib", LIB)
    url = f"file://{tmp_path / 'lib'}"
    graph = project.evaluate(_build(url))
    assert graph.includes[0].url == url and graph.includes[0].ref is None
    assert graph.includes[0].commit == commit
    assert graph.includes[0].location.line == 1
    assert graph.packages.python[0].names == ("jupyterlab",)
    assert graph.packages.python[0].location.file == f"{url}/tools.envd"
    assert graph.runtime.expose[0].envd_port == 9999
    assert graph.packages.apt[0].names == ("git", "curl")
    assert graph.runs[0].commands == ("git curl",)


def test_git_daemon_tag_branch_and_commit_pins(project, git_daemon):
    base, root_url = git_daemon
    v1 = make_repo(base / "lib", LIB, tag="v1")
    v2 = make_repo(
        base / "lib", {"tools.envd": LIB["tools.envd"].replace("jupyterlab", "notebook")}, message="v2"
    )
    url = f"{root_url}/lib"
    assert project.evaluate(_build(url, "v1")).includes[0].commit == v1
    assert project.evaluate(_build(url, "v1")).packages.python[0].names == ("jupyterlab",)
    assert project.evaluate(_build(url, "main")).includes[0].commit == v2
    assert project.evaluate(_build(url, v1)).includes[0].commit == v1
    assert project.evaluate(_build(url, v1[:10])).includes[0].commit == v1
    latest = project.evaluate(_build(url))
    assert latest.includes[0].commit == v2 and latest.packages.python[0].names == ("notebook",)


def test_unpinned_include_follows_new_commits(project, git_daemon):
    base, root_url = git_daemon
    first = make_repo(base / "lib", LIB)
    url = f"{root_url}/lib"
    assert project.evaluate(_build(url)).includes[0].commit == first
    second = make_repo(base / "lib", {"extra/new.envd": "NEW = 1\n"}, message="more")
    assert project.evaluate(_build(url)).includes[0].commit == second


def test_offline_with_cached_clone_uses_it_and_says_so(project, tmp_path, caplog):
    make_repo(tmp_path / "lib", LIB)
    url = f"file://{tmp_path / 'lib'}"
    first = project.evaluate(_build(url))
    shutil.rmtree(tmp_path / "lib")  # the remote is gone
    with caplog.at_level(logging.WARNING, logger="envbuild.lang.include"):
        again = project.evaluate(_build(url))
    assert again.includes == first.includes
    assert "using the cached clone" in caplog.text and url in caplog.text


def test_pinned_commit_in_cache_needs_no_network(project, tmp_path):
    commit = make_repo(tmp_path / "lib", LIB)
    url = f"file://{tmp_path / 'lib'}"
    project.evaluate(_build(url, commit))
    shutil.rmtree(tmp_path / "lib")
    assert project.evaluate(_build(url, commit)).includes[0].commit == commit


def test_unreachable_without_cache_names_the_url(project, git_daemon):
    _base, root_url = git_daemon
    url = f"{root_url}/missing"
    err = project.error(_build(url))
    assert url in err.message and "cannot fetch" in err.message
    assert err.location.line == 1 and err.location.column == 1


def test_unknown_ref_is_an_error(project, tmp_path):
    make_repo(tmp_path / "lib", LIB)
    err = project.error(_build(f"file://{tmp_path / 'lib'}", "v9"))
    assert "has no ref 'v9'" in err.message


def test_private_names_are_not_exported(project, tmp_path):
    make_repo(tmp_path / "lib", LIB)
    url = f"file://{tmp_path / 'lib'}"
    err = project.error(f'lib = include("{url}")\ndef build():\n    lib._private()\n')
    assert "_private" in err.message and err.location.line == 3


def test_duplicate_names_across_library_files(project, tmp_path):
    make_repo(tmp_path / "lib", {"a.envd": "def f():\n    pass\n", "b.envd": "def f():\n    pass\n"})
    err = project.error(f'lib = include("file://{tmp_path / "lib"}")\ndef build():\n    pass\n')
    assert "defines `f` in both a.envd and b.envd" in err.message


def test_library_files_can_load_their_neighbours(project, tmp_path):
    make_repo(
        tmp_path / "lib",
        {
            "main.envd": 'load("helpers/h.envd", "h")\ndef go():\n    h()\n',
            "helpers/h.envd": "def h():\n    install.go()\n",
        },
    )
    graph = project.evaluate(f'lib = include("file://{tmp_path / "lib"}")\ndef build():\n    lib.go()\n')
    assert graph.languages[0].name == "go"


def test_error_inside_library_points_into_the_library(project, tmp_path):
    make_repo(tmp_path / "lib", {"bad.envd": "def f():\n    install.python(version='2')\n"})
    url = f"file://{tmp_path / 'lib'}"
    err = project.error(f'lib = include("{url}")\ndef build():\n    lib.f()\n')
    assert err.location.file == f"{url}/bad.envd" and err.location.line == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('u = "x"\nlib = include(u)\n', "must be a string literal"),
        ('lib = include("x", "y", "z")\n', "at most 2 arguments"),
        ('lib = include(url="x")\n', "unexpected or repeated argument `url`"),
        ("lib = include()\n", "needs the git URL"),
        ('lib = include("")\n', "must not be empty"),
        ('a, b = include("x")\n', "must be assigned to a global name"),
    ],
)
def test_include_call_shape(project, text, fragment):
    err = project.error(text + "def build():\n    pass\n")
    assert fragment in err.message


def test_include_keeps_line_numbers_of_following_code(project, tmp_path):
    make_repo(tmp_path / "lib", LIB)
    url = f"file://{tmp_path / 'lib'}"
    err = project.error(f'lib = include(\n    "{url}",\n)\ndef build():\n    install.python(version="2")\n')
    assert err.location.line == 5


def test_same_library_twice_is_one_checkout(project, tmp_path):
    commit = make_repo(tmp_path / "lib", LIB)
    url = f"file://{tmp_path / 'lib'}"
    graph = project.evaluate(
        f'a = include("{url}")\nb = include("{url}")\ndef build():\n    a.apt()\n    b.apt()\n'
    )
    assert [i.commit for i in graph.includes] == [commit]
    assert git(tmp_path / "lib", "rev-parse", "HEAD") == commit


def test_library_can_include_another_library(project, tmp_path):
    inner = make_repo(tmp_path / "inner", {"x.envd": "def rust():\n    install.rust(version='1.80.0')\n"})
    make_repo(
        tmp_path / "outer",
        {
            "y.envd": f'inner = include("file://{tmp_path / "inner"}")\n'
            + "def both():\n    inner.rust()\n    install.go()\n"
        },
    )
    graph = project.evaluate(f'lib = include("file://{tmp_path / "outer"}")\ndef build():\n    lib.both()\n')
    assert [lang.name for lang in graph.languages] == ["rust", "go"]
    assert inner in [i.commit for i in graph.includes] and len(graph.includes) == 2


def test_cache_directory_that_cannot_be_written(project, tmp_path, monkeypatch):
    make_repo(tmp_path / "lib", LIB)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("ENVBUILD_CACHE_DIR", str(blocker))
    err = project.error(_build(f"file://{tmp_path / 'lib'}"))
    assert "include()" in err.message and err.location.line == 1


def test_git_failure_shows_every_relevant_line(project, tmp_path):
    """ssh's reason comes before git's last line ("Could not read from remote repository"): show both."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ssh").write_text(
        "#!/bin/sh\necho 'git@example.invalid: Permission denied (publickey).' >&2\nexit 255\n"
    )
    (fake / "ssh").chmod(0o755)
    import os

    os.environ["GIT_SSH_COMMAND"] = str(fake / "ssh")
    try:
        err = project.error(_build("ssh://git@example.invalid/lib.git"))
    finally:
        del os.environ["GIT_SSH_COMMAND"]
    assert "Permission denied (publickey)" in err.message
    assert "Could not read from remote repository" in err.message


def test_offline_checkout_reads_only_the_cache(project, tmp_path):
    """The language server's mode: no clone → NotCached (nothing written); a cached clone is used as it is,
    even when the repository has moved on."""
    from envbuild.lang import include
    from envbuild.paths import cache_dir

    first = make_repo(tmp_path / "lib", LIB)
    url = f"file://{tmp_path / 'lib'}"
    with pytest.raises(include.NotCached) as info:
        include.checkout(url, None, offline=True)
    assert info.value.hint and "envbuild build" in info.value.hint
    assert not (cache_dir() / "include").exists()
    project.evaluate(_build(url))  # a normal evaluation clones
    make_repo(tmp_path / "lib", {"more.envd": "X = 1\n"}, message="newer")
    cached = include.checkout(url, None, offline=True)
    assert cached.commit == first and (cached.root / "tools.envd").is_file()
    with pytest.raises(include.NotCached, match="not in the local cache at 'v9' yet"):
        include.checkout(url, "v9", offline=True)
