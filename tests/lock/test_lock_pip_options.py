"""Package names that carry pip options (`"torch --index-url …"`, as envd users write them) lock and install
from the same sources: the options are sources for the resolver, never requirement lines."""

from __future__ import annotations

from envbuild.compile import BuildTarget, compile_graph
from envbuild.compile.dump import dump_definition
from envbuild.graph import Base, Graph, Packages, Project, PythonPackageInstall
from envbuild.lock import LockedPackage, LockedPython
from envbuild.lock.wants import wants

INDEX = "https://download.example/whl/cu124"
LINKS = "https://links.example/wheels.html"


def graph(*names: str) -> Graph:
    return Graph(
        project=Project("opts", "/tmp/opts"),
        base=Base(image="docker.io/library/debian:bookworm"),
        packages=Packages(python=(PythonPackageInstall(names=names),)),
    )


def test_options_become_sources_not_requirements():
    python = wants(graph(f"torch --index-url {INDEX}", "--pre", f"-f {LINKS}", "numpy"), "linux/amd64").python
    assert python is not None and python.unlockable is None
    assert python.requirements == ("torch", "numpy")
    assert INDEX in python.extra_index_urls
    assert python.find_links == (LINKS,) and python.prerelease


def test_an_option_that_changes_what_is_installed_cannot_be_locked():
    python = wants(graph("torch", "--no-deps"), "linux/amd64").python
    assert python is not None and python.unlockable and "--no-deps" in python.unlockable


def test_the_locked_install_reads_the_same_sources():
    locked = LockedPython(
        platform="linux/amd64",
        python="3.11",
        inputs=(),
        packages=(LockedPackage("torch", "2.5.1", ("sha256:" + "0" * 64,)),),
    )
    g = graph(f"torch --index-url {INDEX}", f"-f {LINKS}", "--pre")
    target = BuildTarget(python_lock=locked.requirements())
    execs = [e for e in dump_definition(compile_graph(g, target=target).definition) if e["kind"] == "exec"]
    (install,) = [e for e in execs if "--require-hashes" in " ".join(e["exec"]["meta"]["args"])]
    env = dict(item.split("=", 1) for item in install["exec"]["meta"]["env"])
    assert INDEX in env["UV_EXTRA_INDEX_URL"].split()
    assert env["UV_FIND_LINKS"] == LINKS and env["UV_PRERELEASE"] == "allow"
