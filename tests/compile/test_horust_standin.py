"""The Horust STAND-IN (tests/support/horust_standin) runs the service files envbuild writes.

Horust cannot be downloaded on these machines, so the dev-image tests use this stand-in; these tests check, on
the host, that it honours the parts of Horust's format envbuild relies on (so a green dev-image test means
something): start-after with ready files, users, working directories, environment, log files, restarts, and
a clean shutdown on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from envbuild.compile import horust
from tests.support.horust_standin import build as standin_build


@pytest.fixture(scope="module")
def standin() -> Path:
    return standin_build.build_standin()


def write_service(directory: Path, service: horust.Service, root: Path) -> None:
    """Write a service as the dev layer would, with its paths moved under `root` (no root needed)."""
    script_path = root / service.script_path.lstrip("/")
    script_path.parent.mkdir(parents=True, exist_ok=True)
    script, toml_file = service.files()

    def moved(text: str) -> str:
        text = text.replace(service.script_path, str(script_path))
        return text.replace(horust.LOG_DIR, str(root / "log")).replace(horust.RUN_DIR, str(root / "run"))

    script_path.write_text(moved(script.content))
    (directory / f"{service.name}.toml").write_text(moved(toml_file.content))


def until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


@pytest.fixture
def run_standin(standin, tmp_path):
    procs = []

    def start(services: list[horust.Service], env: dict[str, str] | None = None):
        root = tmp_path / "root"
        services_dir = tmp_path / "services"
        for d in (services_dir, root / "log", root / "run"):
            d.mkdir(parents=True, exist_ok=True)
        for service in services:
            write_service(services_dir, service, root)
        proc = subprocess.Popen(
            [str(standin), "--services-path", str(services_dir)],
            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
        )
        procs.append(proc)
        return proc, root

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def me() -> str:
    return str(os.getuid())


def test_says_it_is_a_stand_in(standin):
    out = subprocess.run([str(standin), "--version"], capture_output=True, text=True, check=True).stdout
    assert "stand-in" in out and "not Horust" in out


def test_init_finishes_before_dependents_start_and_daemon_keeps_running(run_standin, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    init = horust.init_service(0, ["sleep 0.5", "echo init-done > init.txt"], user=me(),
                               project_dir=str(work))
    daemon = horust.daemon_service(
        0, ["bash", "-c", "cat init.txt > seen.txt; echo \"$GREETING from $PWD\"; exec sleep 300"],
        user=me(), project_dir=str(work), after=["init_0"],
    )
    daemon = horust.Service(**{**daemon.__dict__, "environment": (("GREETING", "it's $fine"),)})
    proc, root = run_standin([init, daemon])
    assert until(lambda: (work / "seen.txt").read_text() == "init-done\n")
    assert until(lambda: (root / "log" / "daemon_0_stdout.log").read_text().endswith("\n"))
    assert (root / "log" / "daemon_0_stdout.log").read_text() == f"it's $fine from {work}\n"
    time.sleep(0.3)
    assert proc.poll() is None  # the daemon is still supervised
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert "service daemon_0: InKilling -> Finished" in proc.stderr.read()


def test_on_failure_restarts_then_gives_up(run_standin, tmp_path):
    counter = tmp_path / "count"
    failing = horust.Service(
        name="flaky", script=f"echo x >> {counter}\nexit 3\n", user=me(), working_directory=str(tmp_path),
        restart=horust.Restart(strategy="on-failure", backoff="0s", attempts=2),
    )
    proc, _ = run_standin([failing])
    assert proc.wait(timeout=15) == 1  # every service finished, one failed
    assert counter.read_text().count("x") == 3  # first run + 2 attempts


def test_unknown_variable_makes_the_file_fail_to_load_as_in_horust(run_standin, tmp_path):
    bad = horust.Service(name="bad", script="true\n", user="${ENVBUILD_TEST_UNSET_VAR}",
                         working_directory=str(tmp_path))
    proc, _ = run_standin([bad])
    assert proc.wait(timeout=10) == 0  # nothing loaded, nothing to supervise
    assert "ENVBUILD_TEST_UNSET_VAR" in proc.stderr.read()


def test_keep_env_passes_the_container_environment(run_standin, tmp_path):
    out = tmp_path / "env.txt"
    service = horust.Service(name="envcheck", script=f"echo \"$FROM_IMAGE $USER\" > {out}\n", user=me(),
                             working_directory=str(tmp_path), restart=horust.Restart(strategy="never"))
    proc, _ = run_standin([service], env={"FROM_IMAGE": "image-env"})
    assert proc.wait(timeout=10) == 0
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    assert out.read_text() == f"image-env {user}\n"
