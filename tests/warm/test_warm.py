"""The warm process (envbuild/warm/), through the console script as a user runs it: a second `debug llb` or
`build` is run by a worker of the warm process the first one started, with the same output and exit status
as a run in its own process; a Ctrl-C reaches the worker, a killed client interrupts it; `ENVBUILD_WARM=0`
starts none. Each test has a runtime directory, so a warm process of its own, which it stops at the end."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from envbuild.warm import server

SCRIPT = str(Path(sys.executable).with_name("envbuild"))
BUILD = """\
# syntax=v1


def build():
    base(image="debian:bookworm", dev=False)
    runtime.environ(env={"GREETING": "%s"})
"""


@pytest.fixture
def runtime_dir(monkeypatch):
    """A short runtime directory of the test's own (a socket's path has ~100 bytes at most); the warm
    process started there is stopped afterwards."""
    directory = tempfile.mkdtemp(prefix="ew", dir="/tmp")
    monkeypatch.setenv("XDG_RUNTIME_DIR", directory)
    monkeypatch.delenv("ENVBUILD_WARM", raising=False)
    yield Path(directory)
    for lock in Path(directory, "envbuild").glob("*.lock"):
        pid = lock.read_text().strip()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGTERM)
    shutil.rmtree(directory, ignore_errors=True)


def envbuild(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **env})


def server_pid(runtime_dir: Path) -> int:
    """The warm process's pid, once it listens (it imports first)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sockets = list((runtime_dir / "envbuild").glob("warm-*.sock"))
        if sockets:
            return int(Path(f"{sockets[0]}.lock").read_text())
        time.sleep(0.05)
    raise AssertionError("no warm process started")


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def wait_for_state(pid: int, states: str) -> None:
    deadline = time.monotonic() + 30
    while state(pid) not in states:
        assert time.monotonic() < deadline, f"{pid} is {state(pid)}, not one of {states}"
        time.sleep(0.05)


def edit(project: Path, greeting: str) -> None:
    (project / "build.envd").write_text(BUILD % greeting)


def test_a_run_after_the_first_is_served_warm_as_it_would_be_in_its_own_process(tmp_path, runtime_dir):
    """Relative paths resolve in the client's working directory, the user config comes from the client's
    environment, and output, errors and exit codes are those of a run in its own process."""
    edit(tmp_path, "first")
    first = envbuild("debug", "llb", "-p", ".", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    pid = server_pid(runtime_dir)

    config = tmp_path / "config"
    config.mkdir()
    (config / "config.envd").write_text('runtime.environ(env={"FROM_CONFIG": "yes"})\n')
    for greeting in ("second", "third"):
        edit(tmp_path, greeting)
        # a file changed just now: neither run keeps a memo that would answer the other
        user = {"ENVBUILD_CONFIG_DIR": str(config)}
        alone = envbuild("debug", "llb", "-p", ".", cwd=tmp_path, ENVBUILD_WARM="0", **user)
        warm = envbuild("debug", "llb", "-p", ".", cwd=tmp_path, **user)
        assert warm.returncode == 0, warm.stderr
        assert (warm.stdout, warm.stderr) == (alone.stdout, alone.stderr)
        assert f"GREETING={greeting}" in warm.stdout and "FROM_CONFIG=yes" in warm.stdout
    assert server_pid(runtime_dir) == pid  # the same warm process served both

    (tmp_path / "build.envd").write_text("def build():\n    base(image=1)\n")
    alone = envbuild("debug", "llb", "-p", str(tmp_path), cwd=Path("/"), ENVBUILD_WARM="0")
    warm = envbuild("debug", "llb", "-p", str(tmp_path), cwd=Path("/"))
    assert warm.returncode == alone.returncode != 0
    assert warm.stderr == alone.stderr and "build.envd:2:" in warm.stderr
    big_env = {f"BIG{i}": "x" * 100_000 for i in range(5)}  # more than a socket's buffer takes at once
    big = envbuild("debug", "llb", "-p", str(tmp_path), cwd=Path("/"), **big_env)
    assert (big.returncode, big.stderr) == (alone.returncode, alone.stderr)
    usage = envbuild("build", "--progress", "sideways", cwd=tmp_path)
    assert usage.returncode == 2 and "--progress" in usage.stderr


def start_evaluating(
    project: Path, server: int, prefix: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[str], int]:
    """A `debug llb` client of the warm process `server`, and its worker, once that is evaluating. The client
    has a process group of its own, as a shell gives each job: the kernel does not stop a process in an
    orphaned group (pytest's, when CI runs it in the background) on Ctrl-Z."""
    client = subprocess.Popen([*prefix, SCRIPT, "debug", "llb", "-p", "."], cwd=project,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, process_group=0)
    deadline = time.monotonic() + 60
    while not children(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    (worker,) = children(server)
    time.sleep(0.5)
    return client, worker


def test_signals_between_client_and_worker(tmp_path, runtime_dir):
    edit(tmp_path, "first")
    assert envbuild("debug", "llb", "-p", ".", cwd=tmp_path).returncode == 0
    pid = server_pid(runtime_dir)
    (tmp_path / "build.envd").write_text("def build():\n    for i in range(100000000):\n        pass\n")

    for how in (signal.SIGINT, signal.SIGKILL):
        client, worker = start_evaluating(tmp_path, pid)
        if how == signal.SIGINT:  # Ctrl-Z stops the worker with its client, `fg` resumes both
            client.send_signal(signal.SIGTSTP)
            wait_for_state(worker, "T")
            client.send_signal(signal.SIGCONT)
            wait_for_state(worker, "RS")
        client.send_signal(how)
        out, err = client.communicate(timeout=60)
        if how == signal.SIGINT:
            assert client.returncode == 130, err
            assert "interrupted while evaluating" in err
        deadline = time.monotonic() + 30
        while worker in children(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker not in children(pid), f"the worker of a client ended by {how!r} runs on"

    # under `nohup` a hang-up is ignored, by the worker too, as by a run in its own process
    client, worker = start_evaluating(tmp_path, pid, prefix=("nohup",))
    client.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert client.poll() is None and state(worker) in "RS", "a hang-up under nohup ended the run"
    client.send_signal(signal.SIGINT)
    client.communicate(timeout=60)
    assert client.returncode == 130

    # a worker killed outright (the kernel's OOM killer) ends its client the same way
    client, worker = start_evaluating(tmp_path, pid)
    os.kill(worker, signal.SIGKILL)
    client.communicate(timeout=60)
    assert client.returncode == -signal.SIGKILL


def test_a_warm_process_that_does_not_answer_is_given_up_and_does_not_run_it_too(tmp_path, runtime_dir):
    """A stopped warm process takes the connection (the kernel queues it) but no worker says "P": the client
    gives up after `TAKE_SECONDS` and runs the command itself. The worker that comes later finds its client
    gone and leaves without running it: the output, which the streams passed to it would also carry, holds
    one answer."""
    edit(tmp_path, "first")
    assert envbuild("debug", "llb", "-p", ".", cwd=tmp_path).returncode == 0
    pid = server_pid(runtime_dir)
    edit(tmp_path, "second")
    os.kill(pid, signal.SIGSTOP)
    try:
        client = subprocess.Popen([SCRIPT, "debug", "llb", "-p", "."], cwd=tmp_path, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, process_group=0)
        assert client.wait(timeout=60) == 0
    finally:
        os.kill(pid, signal.SIGCONT)
    out, err = client.communicate(timeout=60)  # until the worker, which holds the streams too, is done
    assert out.count('"base": "debian:bookworm"') == 1 and "GREETING=second" in out, err


def test_warm_off_starts_no_warm_process(tmp_path, runtime_dir):
    edit(tmp_path, "first")
    run = envbuild("debug", "llb", "-p", ".", cwd=tmp_path, ENVBUILD_WARM="0")
    assert run.returncode == 0, run.stderr
    time.sleep(1)
    assert not list(runtime_dir.glob("envbuild/warm-*"))


def test_the_loop_of_an_idle_warm_process_returns(tmp_path, monkeypatch):
    """After `IDLE_SECONDS` without a run (here shortened); `serve` then removes the socket and ends."""
    monkeypatch.setattr(server, "IDLE_SECONDS", 0.2)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "s"))
    listener.listen(1)
    started = time.monotonic()
    server._loop(listener, -1, lambda: True, sys.exit)
    assert time.monotonic() - started >= 0.2
    gone = time.monotonic()
    server._loop(listener, -1, lambda: False, sys.exit)  # its socket removed: it ends at its next look
    assert time.monotonic() - gone < 0.2
    listener.close()


@pytest.mark.docker
@pytest.mark.slow
def test_a_build_served_warm_builds_its_image_on_the_real_engine(tmp_path, runtime_dir):
    """`envbuild build` run by a worker: it reaches BuildKit, shows its progress on the client's stream and
    names the image it built, as the run in its own process before it did."""
    tag = f"docker.io/library/envbuild-test-warm-{secrets.token_hex(4)}:dev"
    try:
        edit(tmp_path, "first")
        first = envbuild("build", "-t", tag, "--progress", "plain", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        pid = server_pid(runtime_dir)
        edit(tmp_path, "second")
        second = envbuild("build", "-t", tag, "--progress", "plain", cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert "#1 " in second.stderr and second.stdout.startswith(tag + "@sha256:")
        assert server_pid(runtime_dir) == pid
        inspect = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Env}}", tag],
                                 capture_output=True, text=True, check=True)
        assert "GREETING=second" in inspect.stdout
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True)
