"""Registry credentials reach BuildKit through the session: a push to a registry that demands a login.

A second Debian docker-registry with htpasswd auth runs on a free 127.0.0.1 port for this module; the Docker
config the session reads is a temporary one (DOCKER_CONFIG), so the user's real credentials are never used.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from envbuild import llb
from envbuild.buildkit import Export, SolveError
from envbuild.buildkit.options import SolveOptions

pytestmark = pytest.mark.docker

USER, PASSWORD = "envbuild", "s3cret"
# bcrypt of PASSWORD (what `htpasswd -B` writes); the registry accepts only bcrypt entries.
HTPASSWD = f"{USER}:$2b$12$q6u4EJV5fzbEPFKpSle1xuHA7QrQvin4YQ/LQatCWpIK1KbpuRwIK\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory):
    if shutil.which("docker-registry") is None:
        pytest.skip("Debian's docker-registry is not installed")
    root = tmp_path_factory.mktemp("auth-registry")
    (root / "htpasswd").write_text(HTPASSWD)
    port = _free_port()
    config = {
        "version": 0.1,
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": {"addr": f"127.0.0.1:{port}"},
        "auth": {"htpasswd": {"realm": "envbuild-test", "path": str(root / "htpasswd")}},
    }
    (root / "config.yml").write_text(json.dumps(config))  # YAML is a superset of JSON
    log = open(root / "registry.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")], stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            except urllib.error.HTTPError:
                break  # 401: up, and asking for credentials
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the auth registry did not start: {(root / 'registry.log').read_text()[-1000:]}")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def docker_config(tmp_path, monkeypatch):
    """A Docker config dir of our own; the test fills in credentials (or not)."""
    directory = tmp_path / "docker-config"
    directory.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(directory))
    return directory / "config.json"


def _tags(registry: str, repo: str) -> list[str]:
    request = urllib.request.Request(f"http://{registry}/v2/{repo}/tags/list")
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.load(resp)["tags"]


def test_push_with_credentials_from_the_docker_config(builder, auth_registry, docker_config):
    if "image" not in builder.client.capabilities().exporters:
        pytest.skip("this builder cannot push images")
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    docker_config.write_text(json.dumps({"auths": {auth_registry: {"auth": auth}}}))
    builder.created.append(f"{auth_registry}/envbuild-test-auth:1")  # the image store keeps a copy
    definition = llb.scratch().mkfile("/hello", "authenticated\n").marshal()
    builder.client.solve(
        definition,
        SolveOptions(
            exports=[Export.image(f"{auth_registry}/envbuild-test-auth:1", push=True, insecure=True)]
        ),
    )
    assert _tags(auth_registry, "envbuild-test-auth") == ["1"]


def test_push_without_credentials_is_refused(builder, auth_registry, docker_config):
    if "image" not in builder.client.capabilities().exporters:
        pytest.skip("this builder cannot push images")
    docker_config.write_text("{}")
    builder.created.append(f"{auth_registry}/envbuild-test-anon:1")
    definition = llb.scratch().mkfile("/hello", "anonymous\n").marshal()
    with pytest.raises(SolveError) as info:
        builder.client.solve(
            definition,
            SolveOptions(
                exports=[Export.image(f"{auth_registry}/envbuild-test-anon:1", push=True, insecure=True)]
            ),
        )
    assert "401" in info.value.message or "unauthorized" in info.value.message.lower()
