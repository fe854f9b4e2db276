"""CA bundle and proxy discovery for build steps (the bundle only ever travels as a secret)."""

from __future__ import annotations

import pytest

from envbuild.builder import network as proxy
from envbuild.compile.steps import CA_SECRET_ID
from envbuild.errors import EnvbuildError, UsageError

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture
def bundle(tmp_path):
    path = tmp_path / "corp.pem"
    path.write_text(PEM)
    return path


@pytest.fixture
def stock(tmp_path):
    """A system bundle and an empty anchors directory: a host that trusts only the stock CAs."""
    system = tmp_path / "system.crt"
    system.write_text(PEM)
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    return system, anchors


def test_flag_wins_over_environment(bundle, tmp_path, stock):
    other = tmp_path / "other.pem"
    other.write_text(PEM)
    system, anchors = stock
    found = proxy.discover(ca_bundle=str(bundle), env={"SSL_CERT_FILE": str(other)},
                           system_bundle=system, anchor_dirs=[anchors])
    assert (found.ca_bundle, found.ca_origin) == (bundle, "--ca-bundle")
    assert found.secrets() == {CA_SECRET_ID: bundle}


@pytest.mark.parametrize("var", proxy.CA_ENV_VARS)
def test_each_usual_variable_is_honoured(var, bundle, stock):
    system, anchors = stock
    found = proxy.discover(env={var: str(bundle)}, system_bundle=system, anchor_dirs=[anchors])
    assert (found.ca_bundle, found.ca_origin) == (bundle, var)


def test_system_bundle_only_when_the_host_trusts_extra_cas(stock):
    system, anchors = stock
    assert proxy.discover(env={}, system_bundle=system, anchor_dirs=[anchors]).ca_bundle is None
    (anchors / "corp-proxy.crt").write_text(PEM)
    found = proxy.discover(env={}, system_bundle=system, anchor_dirs=[anchors])
    assert found.ca_bundle == system
    assert "local CAs" in found.ca_origin


def test_bad_flag_value_names_the_flag(tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate")
    for value in (str(empty), str(tmp_path / "missing.pem")):
        with pytest.raises(UsageError) as caught:
            proxy.discover(ca_bundle=value, env={})
        assert caught.value.flag == "--ca-bundle"


def test_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(EnvbuildError, match="REQUESTS_CA_BUNDLE="):
        proxy.discover(env={"REQUESTS_CA_BUNDLE": str(tmp_path / "nope.pem")})


def test_proxy_variables_only_with_use_proxy(stock):
    system, anchors = stock
    env = {"https_proxy": "http://proxy.corp:3128", "NO_PROXY": "localhost,.corp"}
    assert proxy.discover(env=env, system_bundle=system, anchor_dirs=[anchors]).proxy == ()
    found = proxy.discover(env=env, use_proxy=True, system_bundle=system, anchor_dirs=[anchors])
    assert dict(found.proxy) == {
        "HTTPS_PROXY": "http://proxy.corp:3128", "https_proxy": "http://proxy.corp:3128",
        "NO_PROXY": "localhost,.corp", "no_proxy": "localhost,.corp",
    }
    assert found.notes == ()


def test_loopback_proxy_gets_a_note(stock):
    system, anchors = stock
    found = proxy.discover(env={"HTTP_PROXY": "127.0.0.1:8080"}, use_proxy=True, system_bundle=system,
                           anchor_dirs=[anchors])
    assert len(found.notes) == 1 and "loopback" in found.notes[0]
