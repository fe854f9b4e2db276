"""`envbuild up --detach` for real: envbuild builds the dev image (Jupyter, a daemon, an init) on the real
dockerd, with the Horust STAND-IN from tests/support/horust_standin as the image's supervisor, then the real
OpenSSH client logs in through the generated ssh config entry. One build serves every test in this module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.horust_standin.build import build_standin

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PROJECT = Path(__file__).parent / "e2e_project"
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never goes via a proxy
TAG = "envbuild-test-up:dev"


@dataclass(frozen=True)
class Up:
    name: str
    project: Path
    env: dict[str, str]
    ssh_config: Path

    def envbuild(self, *args: str, cwd: Path | None = None, timeout: float = 300):
        return subprocess.run(
            [sys.executable, "-m", "envbuild.cli", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=cwd or self.project,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )

    def ssh(self, command: str):
        return subprocess.run(
            ["ssh", "-F", str(self.ssh_config), f"{self.name}.envd", command],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )

    def describe(self) -> dict:
        out = self.envbuild("envs", "describe", "--name", self.name, "--format", "json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


@pytest.fixture(scope="module")
def up(tmp_path_factory, docker_engine):
    root = tmp_path_factory.mktemp("up-e2e")
    project = root / "envbuild-e2e"
    shutil.copytree(PROJECT, project)
    env = {
        **os.environ,
        "ENVBUILD_CONFIG_DIR": str(root / "config"),
        "ENVBUILD_CACHE_DIR": str(root / "cache"),
        "ENVBUILD_SSH_CONFIG": str(root / "ssh_config"),
        "ENVBUILD_HORUST": str(build_standin()),
    }
    state = Up(f"envbuild-test-up-{uuid.uuid4().hex[:6]}", project, env, root / "ssh_config")
    out = state.envbuild(
        "up", "--detach", "--tag", TAG, "--name", state.name, "--progress", "plain", timeout=1500
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"ssh {state.name}.envd" in out.stdout and "?token=" in out.stdout
    yield state
    state.envbuild("destroy", "--name", state.name)
    subprocess.run(["docker", "rmi", "-f", TAG], capture_output=True)


def test_ssh_login_through_generated_entry_as_host_uid_with_writable_project(up):
    out = up.ssh("id -u; cd $ENVD_WORKDIR && pwd && touch written-from-inside")
    assert out.returncode == 0, out.stderr
    uid, pwd = out.stdout.split()
    assert uid == str(os.getuid())
    assert pwd == "/home/envd/envbuild-e2e"
    assert (up.project / "written-from-inside").exists()
    assert f"Host {up.name}.envd" in up.ssh_config.read_text()


def test_jupyter_answers_with_its_token_and_refuses_without(up):
    url = up.describe()["jupyter"]
    assert url and "?token=" in url
    base, token = url.split("?token=")
    status = None
    for _ in range(120):  # Jupyter starts after the init service; give it time to listen
        try:
            with _LOCAL.open(f"{base}api/status?token={token}", timeout=5) as response:
                status = response.status
                break
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(1)
    assert status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        _LOCAL.open(f"{base}api/status", timeout=5)
    assert refused.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as wrong:
        _LOCAL.open(f"{base}api/status?token=wrong", timeout=5)
    assert wrong.value.code == 403


def test_daemon_and_init_run_under_the_horust_standin(up):
    out = up.ssh("cat /proc/1/cmdline | tr '\\0' ' '; echo; cat /tmp/init-marker; cat /tmp/daemon-marker")
    assert out.returncode == 0, out.stderr
    pid1, init, daemon = out.stdout.splitlines()
    assert "horust" in pid1
    assert init == "init-ran"
    assert daemon == f"{os.getuid()} dev"  # the daemon's user and its runtime.environ


def test_exposed_port_reaches_the_daemon(up):
    port = up.describe()["ports"]["web"]
    body = None
    for _ in range(60):
        try:
            with _LOCAL.open(f"http://127.0.0.1:{port}/daemon-marker", timeout=5) as response:
                body = response.read().decode()
                break
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(1)
    assert body == f"{os.getuid()} dev\n"


def test_exec_runtime_command_returns_output_and_exit_code(up):
    out = up.envbuild("exec", "--command", "greet")
    assert out.returncode == 4, out.stderr
    assert out.stdout.strip() == "hello from /home/envd/envbuild-e2e"
    out = up.envbuild("exec", "--", "sh", "-c", "echo $1; exit 9", "sh", "two words")
    assert (out.returncode, out.stdout.strip()) == (9, "two words")


def test_envd_spellings_reach_the_same_environment(up):
    """envd users' habits: `exec -n NAME --raw 'CMD'` runs a command line through the shell, `envs list`,
    `image ls` and `env ls` list the same things as envbuild's own spellings."""
    out = up.envbuild("exec", "-n", up.name, "--raw", "cd / && echo \"$PWD $((6 * 7))\"; exit 5")
    assert (out.returncode, out.stdout.strip()) == (5, "/ 42"), out.stderr
    listed = json.loads(up.envbuild("envs", "list", "--format", "json").stdout)
    assert up.name in {e["name"] for e in listed}
    assert json.loads(up.envbuild("env", "ls", "--format", "json").stdout) == listed
    images = json.loads(up.envbuild("image", "ls", "--format", "json").stdout)
    assert any(TAG in i["tags"] for i in images)


def test_up_twice_without_force_is_refused_cleanly(up):
    before = up.describe()["container_id"]
    out = up.envbuild("up", "--detach", "--tag", TAG, "--name", up.name)
    assert out.returncode == 1
    assert "already running" in out.stderr and "--force" in out.stderr and "Traceback" not in out.stderr
    assert up.describe()["container_id"] == before


def test_images_ls_describe_and_rm_refused_while_in_use(up):
    listed = json.loads(up.envbuild("images", "ls", "--format", "json").stdout)
    mine = [i for i in listed if TAG in i["tags"]]
    assert mine and mine[0]["project"] == "envbuild-e2e" and mine[0]["dev"] is True
    described = json.loads(up.envbuild("images", "describe", TAG, "--format", "json").stdout)
    assert "jupyterlab" in described["python_packages"] and described["base"] == "debian:bookworm"
    refused = up.envbuild("images", "rm", TAG)
    assert refused.returncode == 1 and "destroy the environments" in refused.stderr


def test_run_image_starts_a_second_environment_from_labels_alone(up, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    name = f"envbuild-test-run-{uuid.uuid4().hex[:6]}"
    out = up.envbuild("run", "--image", TAG, "--name", name, "--detach", cwd=other)
    try:
        assert out.returncode == 0, out.stderr
        login = subprocess.run(
            ["ssh", "-F", str(up.ssh_config), f"{name}.envd", "cat /tmp/init-marker; echo $ENVD_WORKDIR"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        assert login.returncode == 0, login.stderr
        assert login.stdout.split() == ["init-ran", "/home/envd/envbuild-e2e"]
        described = json.loads(up.envbuild("envs", "describe", "--format", "json", cwd=other).stdout)
        assert described["name"] == name and described["commands"] == {
            "greet": "echo hello from $(pwd); exit 4"
        }
    finally:
        up.envbuild("destroy", "--name", name)


def test_up_force_on_a_terminal_recreates_and_attaches_a_shell(up):
    """Without --detach, on a terminal (a pty here), up ends in an interactive ssh session."""
    import pty
    import select

    before = up.describe()["container_id"]
    argv = [sys.executable, "-m", "envbuild.cli", "up", "--force", "--tag", TAG, "--name", up.name]
    pid, fd = pty.fork()
    if pid == 0:  # the child: envbuild with the pty as its terminal
        os.chdir(up.project)
        os.execve(sys.executable, argv, up.env)
    output, sent = b"", False
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        if not sent and b"is running" in output:
            os.write(fd, b"echo MARK-$((6*7)) $(id -u); exit\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    assert f"MARK-42 {os.getuid()}" in text
    assert "attach again with" in text
    assert up.describe()["container_id"] != before


def test_container_removed_behind_our_back_is_recreated_by_the_next_up(up):
    subprocess.run(["docker", "rm", "-f", up.name], capture_output=True, check=True)
    out = up.envbuild("up", "--detach", "--tag", TAG, "--name", up.name, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    port = up.describe()["ssh_port"]
    assert f"Port {port}" in up.ssh_config.read_text()
    assert up.ssh("true").returncode == 0


def test_zz_destroy_removes_container_and_ssh_entry(up):
    out = up.envbuild("down", "-n", up.name)  # envd's spelling of `destroy --name`
    assert out.returncode == 0, out.stderr
    assert f"{up.name}.envd" not in up.ssh_config.read_text()
    listed = up.envbuild("envs", "ls", "--format", "json")
    assert up.name not in {e["name"] for e in json.loads(listed.stdout)}
    gone = subprocess.run(["docker", "inspect", up.name], capture_output=True)
    assert gone.returncode != 0


def test_failed_build_leaves_no_container_and_no_ssh_entry(up, tmp_path):
    project = tmp_path / "envbuild-e2e-fail"
    project.mkdir()
    text = (PROJECT / "build.envd").read_text()
    (project / "build.envd").write_text(
        text.replace('shell("bash")', 'shell("bash")\n    run(commands=["exit 3"])')
    )
    name = f"envbuild-test-fail-{uuid.uuid4().hex[:6]}"
    out = up.envbuild(
        "up", "--detach", "--name", name, "--tag", "envbuild-test-fail:dev", cwd=project, timeout=900
    )
    assert out.returncode == 1, out.stdout[-2000:]
    assert "exit 3" in out.stderr and "Traceback" not in out.stderr
    assert subprocess.run(["docker", "inspect", name], capture_output=True).returncode != 0
    assert not up.ssh_config.exists() or f"{name}.envd" not in up.ssh_config.read_text()
