"""Builder addresses parse into what the connection needs, and bad ones fail with one clear sentence."""

from __future__ import annotations

import pytest

from envbuild.buildkit.address import Address, TLSOptions, parse_address
from envbuild.buildkit.errors import AddressError


def test_default_is_the_moby_worker_on_the_docker_socket():
    assert parse_address(None, env={}) == Address(
        "moby-worker", docker_host="unix:///var/run/docker.sock", text="moby-worker://"
    )


def test_docker_host_is_honoured_for_the_moby_worker():
    addr = parse_address("moby-worker://", env={"DOCKER_HOST": "unix:///tmp/d.sock"})
    assert addr.docker_host == "unix:///tmp/d.sock"


def test_buildkit_host_is_used_when_no_address_is_given():
    addr = parse_address(None, env={"BUILDKIT_HOST": "unix:///run/buildkit/buildkitd.sock"})
    assert (addr.scheme, addr.path) == ("unix", "/run/buildkit/buildkitd.sock")


def test_an_explicit_address_wins_over_buildkit_host():
    addr = parse_address("moby", env={"BUILDKIT_HOST": "tcp://127.0.0.1:1234"})
    assert addr.scheme == "moby-worker"


def test_moby_worker_with_a_socket_path():
    assert parse_address("moby-worker:///tmp/x.sock", env={}).docker_host == "unix:///tmp/x.sock"


def test_tcp_with_tls_options():
    addr = parse_address(
        "tcp://10.0.0.2:1234?cacert=/c.pem&cert=/cert.pem&key=/key.pem&servername=bk", env={}
    )
    assert addr.host == "10.0.0.2:1234"
    assert addr.tls == TLSOptions("/c.pem", "/cert.pem", "/key.pem", "bk")


def test_docker_container():
    assert parse_address("docker-container://buildkitd", env={}).host == "buildkitd"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("ssh://host", "scheme 'ssh' is not supported"),
        ("/var/run/docker.sock", "has no scheme"),
        ("unix://relative.sock", "absolute socket path"),
        ("tcp://host", "needs a host and a port"),
        ("tcp://h:1?bogus=1", "unknown option(s) bogus"),
        ("tcp://h:1?cert=/a", "both cert= and key="),
        ("docker-container://", "needs a container name"),
    ],
)
def test_bad_addresses_say_what_is_allowed(text, says):
    with pytest.raises(AddressError) as info:
        parse_address(text, env={})
    assert says in info.value.message


def test_unsupported_docker_host_is_refused():
    with pytest.raises(AddressError, match="DOCKER_HOST"):
        parse_address(None, env={"DOCKER_HOST": "ssh://me@host"})


def test_moby_worker_address_names_the_engine_socket():
    """Daemon-loss messages say `BuildKit at {address}`: the socket is what the user must check."""
    addr = parse_address("moby-worker://", env={"DOCKER_HOST": "unix:///tmp/d.sock"})
    assert str(addr) == "moby-worker:// (unix:///tmp/d.sock)"
