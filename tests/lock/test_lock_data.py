"""envbuild.lock as data: the file round-trips and reads as a diff, bad files are named errors, a graph's
wants compare with a lock the way builds rely on, and uv's hashed output parses into packages."""

from __future__ import annotations

import pytest

from envbuild.builder.locking import changes
from envbuild.builder.python_lock import parse_requirements
from envbuild.errors import EnvbuildError
from envbuild.graph import Base, Graph, HttpDownload, Include, Packages, Project, PythonPackageInstall
from envbuild.lock import Lock, LockedBase, LockedDownload, LockedInclude, LockedPackage, LockedPython
from envbuild.lock.drift import drift_error, plan
from envbuild.lock.lockfile import dumps, loads
from envbuild.lock.wants import wants

D1, D2, D3 = ("sha256:" + c * 64 for c in "abc")
COMMIT = "1" * 40
URL = "https://example.invalid/data.bin"


def sample_lock(**changes_) -> Lock:
    fields = dict(
        build_file="build.envd",
        function="build",
        bases=(LockedBase("docker.io/library/debian:bookworm", "linux/amd64", D1),),
        includes=(LockedInclude("https://example.invalid/lib", COMMIT, "main"),),
        horust=(LockedDownload("https://example.invalid/horust.tar.gz", D2, "linux/amd64"),),
        downloads=(LockedDownload(URL, D3),),
        python=(
            LockedPython(
                "linux/amd64",
                "3.11",
                ("six", "idna==3.6"),
                (LockedPackage("idna", "3.6", (D1, D2)), LockedPackage("six", "1.17.0", (D3,))),
                resolver="uv 0.13.9",
            ),
        ),
    )
    fields.update(changes_)
    return Lock(**fields)


def sample_graph(names=("six", "idna==3.6"), checksum=None) -> Graph:
    return Graph(
        project=Project(name="demo", dir="/tmp/demo"),
        base=Base(image="docker.io/library/debian:bookworm"),
        packages=Packages(python=(PythonPackageInstall(names=tuple(names)),)),
        downloads=(HttpDownload(URL, "data.bin", checksum),),
        includes=(Include("https://example.invalid/lib", COMMIT, "main"),),
    )


def test_the_file_round_trips_and_puts_one_value_per_line():
    lock = sample_lock()
    text = dumps(lock)
    assert loads(text) == lock
    assert text.startswith("# envbuild.lock: the pins `envbuild build` uses for build.envd:build.")
    assert f'    "{D1}",\n    "{D2}",\n' in text  # each hash on its own line: a new file is a one-line diff
    assert "[[python.package]]" in text and "[[base]]" in text and "[[include]]" in text


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda t: t.replace("version = 1", "version = 9"), "format version 9"),
        (lambda t: t.replace(D1, "sha256:xyz", 1), "`digest` must be sha256:<64 hex digits>"),
        (lambda t: t.replace(COMMIT, "main"), "`commit` must be a full git commit id"),
        (lambda t: t.replace('function = "build"\n', ""), "`function` is missing"),
        (lambda t: t + "[[base\n", "not valid TOML"),
    ],
)
def test_a_broken_file_is_an_error_naming_the_file_and_the_key(edit, says):
    with pytest.raises(EnvbuildError) as caught:
        loads(edit(dumps(sample_lock())), "/p/envbuild.lock")
    assert caught.value.message.startswith("/p/envbuild.lock is not a valid envbuild lock")
    assert says in caught.value.message
    assert "envbuild lock" in caught.value.hint


def test_a_graph_the_lock_was_made_for_takes_every_pin_and_drifts_nowhere():
    found = plan(
        wants(sample_graph(), "linux/amd64"), sample_lock(), function="build", build_file="build.envd"
    )
    assert found.drift == ()
    assert found.base_digest == D1
    assert found.downloads == {URL: D3}
    assert found.python == sample_lock().python[0]
    assert "six==1.17.0 \\\n    --hash=" + D3 in found.python.requirements()


def test_drift_names_each_difference_and_drops_only_the_drifting_part():
    graph = sample_graph(names=("six", "requests"), checksum=D1)
    found = plan(wants(graph, "linux/amd64"), sample_lock(), function="build", build_file="build.envd")
    assert found.drift == (
        f"~ io.http {URL}: the build file says {D1}, the lock holds {D3}",
        "+ python input requests",
        "- python input idna==3.6",
    )
    assert found.python is None and found.base_digest == D1  # the base still follows the lock
    arm = plan(wants(graph, "linux/arm64"), sample_lock(), function="build", build_file="build.envd")
    assert "+ base image docker.io/library/debian:bookworm for linux/arm64" in arm.drift[0]
    other = plan(wants(graph, "linux/amd64"), sample_lock(), function="gpu", build_file="build.envd")
    assert other.drift == ("~ the lock is for build.envd:build, this build is build.envd:gpu",)
    rendered = drift_error("envbuild.lock", found.drift).render()
    assert "  + python input requests" in rendered and "(--locked)" in rendered


def test_changes_between_two_locks_read_as_a_short_diff():
    old = sample_lock()
    new = sample_lock(
        bases=(LockedBase("docker.io/library/debian:bookworm", "linux/amd64", D2),),
        python=(LockedPython("linux/amd64", "3.11", ("six",), (LockedPackage("six", "1.18.0", (D1,)),)),),
        downloads=(),
    )
    assert changes(old, new) == (
        "~ base docker.io/library/debian:bookworm linux/amd64: sha256:aaaaaaaaaaaa -> sha256:bbbbbbbbbbbb",
        f"- io.http {URL} sha256:cccccccccccc",
        "- python linux/amd64 idna 3.6",
        "~ python linux/amd64 six 1.17.0 -> 1.18.0",
    )
    assert changes(old, old) == ()


UV_OUTPUT = f"""\
idna==3.6 \\
    --hash={D2} \\
    --hash={D1}
    # via requests
local-wheel @ file:///work/project/wheels/local_wheel-1.0-py3-none-any.whl \\
    --hash={D3}
Six==1.17.0 \\
    --hash={D3}
"""


def test_uv_output_parses_into_sorted_packages_leaving_out_local_wheels():
    packages = parse_requirements(UV_OUTPUT, local=("/work/project/wheels/local_wheel-1.0-py3-none-any.whl",))
    assert packages == (LockedPackage("idna", "3.6", (D1, D2)), LockedPackage("six", "1.17.0", (D3,)))


def test_a_direct_url_requirement_cannot_be_locked():
    with pytest.raises(EnvbuildError, match="cannot be locked by hash"):
        parse_requirements(f"pkg @ https://example.invalid/pkg.whl \\\n    --hash={D1}\n")
