"""Go path rules and git remote parsing: the small pieces that decide identifiers and paths in ops."""

from __future__ import annotations

import pytest

from envbuild import llb
from envbuild.llb import gopath
from envbuild.llb.refs import parse_git_remote


@pytest.mark.parametrize(
    ("cwd", "path", "keep_slash", "expected"),
    [
        ("/", "a/b/../c", False, "/a/c"),
        ("/work", "x", False, "/work/x"),
        ("/work", "/abs//x/", False, "/abs/x"),
        ("/work", "dir/", True, "/work/dir/"),
        ("/work", "dir/.", True, "/work/dir/."),
        ("/", ".", True, "/"),
        ("/", "/.", True, "/."),
        ("/work", "//x", False, "/x"),
    ],
)
def test_resolve_follows_go_path_rules(cwd, path, keep_slash, expected):
    assert gopath.resolve(cwd, path, keep_slash) == expected


def test_clean_and_join():
    assert gopath.clean("") == "."
    assert gopath.clean("//a//b/") == "/a/b"
    assert gopath.join("", "") == ""
    assert gopath.join("/", "a", "../b") == "/b"


@pytest.mark.parametrize(
    ("url", "scheme", "host", "path", "remote", "fragment"),
    [
        ("https://github.com/a/b.git", "https", "github.com", "/a/b.git", "https://github.com/a/b.git", ""),
        ("https://user@gitlab.example.com:8443/a/b#v1:sub", "https", "gitlab.example.com:8443", "/a/b",
         "https://user@gitlab.example.com:8443/a/b", "v1:sub"),
        ("ssh://git@github.com/a/b.git", "ssh", "github.com", "/a/b.git", "ssh://git@github.com/a/b.git", ""),
        ("git@github.com:a/b.git#main", "ssh", "github.com", "a/b.git", "git@github.com:a/b.git", "main"),
        ("github.com/a/b", "https", "github.com", "/a/b", "https://github.com/a/b", ""),
    ],
)
def test_git_remotes(url, scheme, host, path, remote, fragment):
    parsed = parse_git_remote(url)
    assert (parsed.scheme, parsed.host, parsed.path, parsed.remote, parsed.fragment) == (
        scheme, host, path, remote, fragment)


@pytest.mark.parametrize("url", ["not a url", "https://", "file:///tmp/repo"])
def test_bad_git_remotes(url):
    with pytest.raises(llb.LLBError):
        parse_git_remote(url)
