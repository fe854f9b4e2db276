"""docs/builders.md's recipes, run from the page itself: each code block marked `<!-- recipe: NAME STEP -->`
is read from the doc and run with bash, so the doc cannot drift from what works.

What the tests change, and why: names the doc leaves to the reader get test values (`alice` becomes a user
made for the test, `buildkit.example.com:1234` becomes `localhost` and a free port, `registry.example.com`
the local registry); `buildkitd` comes from the test fixtures `../shared/bin` (put on PATH, as the doc says
to do with a release); a daemon the doc starts in the background gets its own state dir; and the BuildKit
container recipe gets the locally made image and a buildkitd.toml for the plain-HTTP local registry,
because BuildKit's published image cannot be pulled here. The rootless recipe's envbuild commands run as the
test's user (root in CI) with the build user's XDG_RUNTIME_DIR: a fresh user may not be able to read the
checkout's virtualenv, and root reaches the user's socket all the same.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envbuild.buildkit import connect
from tests.support.builders import BUILDKITD_CONFIG, REGISTRY, TEST_CONTAINER, base_in_registry, standalone

pytestmark = [pytest.mark.docker, pytest.mark.buildkitd, pytest.mark.slow]

DOC = Path(__file__).resolve().parents[2] / "docs" / "builders.md"
_BLOCK = re.compile(r"<!-- recipe: ([\w-]+) ?([\w-]*) -->\n```sh\n(.*?)```", re.S)
VENV_BIN = str(Path(sys.executable).parent)


def recipe(name: str, step: str = "") -> str:
    blocks = {(m.group(1), m.group(2)): m.group(3) for m in _BLOCK.finditer(DOC.read_text())}
    assert (name, step) in blocks, f"docs/builders.md has no block marked `recipe: {name} {step}`"
    return blocks[(name, step)]


def bash(script: str, *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600):
    environ = {k: v for k, v in os.environ.items() if k != "BUILDKIT_HOST"}
    environ["PATH"] = f"{VENV_BIN}:{environ['PATH']}"
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env={**environ, **(env or {})},
                         capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, f"recipe failed:\n{script}\n--- out\n{out.stdout}\n--- err\n{out.stderr}"
    return out


def background(script: str, *, cwd: Path, env: dict[str, str], user: str | None = None) -> subprocess.Popen:
    """Run a block that starts a daemon with `&`, in a session of its own so the test can stop all of it."""
    argv = ["bash", "-euo", "pipefail", "-c", script + "\nwait\n"]
    if user:
        argv = ["setpriv", "--reuid", user, "--regid", user, "--init-groups", *argv]
    return subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def wait_for(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.3)


def project(path: Path, token: str) -> Path:
    path.mkdir(parents=True)
    (path / "build.envd").write_text(
        f'def build():\n    base(image="{base_in_registry()}", dev=False)\n'
        f'    run(commands=["echo {token} > /token"])\n'
    )
    return path


def built_on(address: str, token: str) -> bool:
    with connect(address) as client:
        return any(token in record.Description for record in client.disk_usage())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fixtures_bin() -> str:
    return str(standalone().bin)


@pytest.fixture
def build_user():
    if os.geteuid() != 0:
        pytest.skip("the rootless recipe's first block runs as root (packages, subordinate ids, a new user)")
    name = f"envbuild-doc-{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    entry = pwd.getpwnam(name)
    runtime = Path(f"/run/user/{entry.pw_uid}")  # what a login session (systemd-logind) provides
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(runtime, entry.pw_uid, entry.pw_gid)
    try:
        yield entry, runtime
    finally:
        subprocess.run(["rm", "-rf", str(runtime)], check=False)
        subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)


def test_rootless_recipe(build_user, fixtures_bin, tmp_path):
    entry, runtime = build_user
    bash(recipe("rootless", "root").replace("alice", entry.pw_name), cwd=tmp_path)
    for ids in ("/etc/subuid", "/etc/subgid"):
        assert f"\n{entry.pw_name}:" in "\n" + Path(ids).read_text()
    home = Path(entry.pw_dir)
    user_env = {"HOME": str(home), "USER": entry.pw_name, "XDG_RUNTIME_DIR": str(runtime),
                "PATH": f"{fixtures_bin}:/usr/bin:/bin:/usr/sbin:/sbin"}
    daemon = background(recipe("rootless", "daemon"), cwd=home, env=user_env, user=entry.pw_name)
    sock = runtime / "buildkit" / "buildkitd.sock"
    try:
        wait_for(sock.exists, f"the rootless buildkitd socket {sock}")
        token = secrets.token_hex(6)
        path = project(tmp_path / "envbuild-test-doc-rootless", token)
        out = bash(recipe("rootless", "context"), cwd=path, env={"XDG_RUNTIME_DIR": str(runtime)})
        assert "envbuild-test-doc-rootless:dev" in out.stdout
        assert built_on(f"unix://{sock}", token)
        ps = ["ps", "-o", "user=", "-C", "buildkitd"]
        owner = subprocess.run(ps, capture_output=True, text=True).stdout
        assert entry.pw_name[:8] in owner or str(entry.pw_uid) in owner  # the daemon runs as the user
    finally:
        stop(daemon)
        subprocess.run(["docker", "rmi", "-f", "docker.io/library/envbuild-test-doc-rootless:dev"],
                       capture_output=True, check=False)


def test_mutual_tls_recipe(fixtures_bin, tmp_path):
    port = free_port()

    def local(text: str) -> str:
        return text.replace("buildkit.example.com", "localhost").replace(":1234", f":{port}")

    bash(local(recipe("mtls", "certificates")), cwd=tmp_path)
    state = f" --root {tmp_path / 'root'} --otel-socket-path {tmp_path / 'otel.sock'} --oci-worker-net=host"
    start = local(recipe("mtls", "daemon")).replace(" &", state + " &")
    env = {**os.environ, "PATH": f"{fixtures_bin}:{os.environ['PATH']}"}
    daemon = background(start, cwd=tmp_path, env=env)
    try:
        def listening() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, f"buildkitd on port {port}")
        out = bash(local(recipe("mtls", "context")), cwd=tmp_path)
        assert "cache records, could free" in out.stdout
    finally:
        stop(daemon)
        subprocess.run(["rm", "-rf", str(tmp_path / "root")], check=False)


@pytest.fixture
def default_container():
    yield "envbuild_buildkitd"
    for args in (["rm", "-f", "envbuild_buildkitd"], ["volume", "rm", "-f", "envbuild_buildkitd_state"]):
        subprocess.run(["docker", *args], capture_output=True, check=False)


def test_buildkit_container_recipe(default_container, tmp_path):
    image = standalone().container_image
    config = tmp_path / "buildkitd.toml"
    config.write_text(BUILDKITD_CONFIG)
    steps = recipe("container").replace(
        "--builder docker-container --use",
        f"--builder docker-container --use --builder-image {image} --buildkitd-config {config}",
    )
    token = secrets.token_hex(6)
    path = project(tmp_path / "envbuild-test-doc-container", token)
    out = bash(steps, cwd=path)
    assert f"BuildKit container {default_container} created" in out.stdout
    assert f"BuildKit container {default_container} removed" in out.stdout
    inspect = subprocess.run(["docker", "inspect", default_container], capture_output=True)
    assert inspect.returncode != 0  # removed with its context
    subprocess.run(["docker", "rmi", "-f", "docker.io/library/envbuild-test-doc-container:dev"],
                   capture_output=True, check=False)
    assert default_container != TEST_CONTAINER  # the suite's own container is not the one the recipe made


def test_team_cache_recipe(tmp_path):
    found = standalone()
    nonce = secrets.token_hex(4)

    def local(text: str) -> str:
        return text.replace("registry.example.com/team/env", f"{REGISTRY}/envbuild-test-doc/env-{nonce}")

    path = project(tmp_path / "envbuild-test-doc-team", nonce)
    ci = bash(local(recipe("team-cache", "ci")), cwd=path)  # the moby worker, as a CI runner with Docker
    assert "also keyed for the other BuildKit generation" in ci.stderr
    developer_steps = local(recipe("team-cache", "developer")).replace(
        "envbuild build ", "envbuild build --progress plain ", 1
    )
    developer = bash(developer_steps, cwd=path, env={"BUILDKIT_HOST": found.rootless})
    assert re.search(rf"run: echo {nonce} > /token.*\n#\d+ CACHED", developer.stderr), developer.stderr
    for tag in (f"{REGISTRY}/envbuild-test-doc/env-{nonce}:latest", "envbuild-test-doc-team:dev"):
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)
