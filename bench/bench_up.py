"""Benchmark: time from `up` (image already cached) to a working `ssh <env>.envd true`, envbuild vs envd.

Usage: `python bench/bench_up.py [--runs N] [--skip-envd] [--horust PATH]`

The environment is a plain dev image (`base(image="debian:bookworm", dev=True)`, bash). One untimed `up`
fills the build cache; then each run destroys the environment and times:

1. `up --detach` returning (build fully cached, container created and started, sshd answering, ssh entry
   written), and
2. the first `ssh <env>.envd true` through the generated entry succeeding (polled every 50 ms from the start),

so the number is what a user waits for between typing `up` and having a shell. envd gets the same file through
its own binary from PyPI (`pip install envd`, in a venv under envbuild's cache dir) with a moby-worker
context on the same daemon. On machines without Docker Hub (like the CI machines here) envd cannot `up` at
all (it pulls its own sshd image and resolves base images from the registry, not through BuildKit): the bench
then prints envd's error instead of a ratio and says so.

Horust cannot be downloaded here either: pass `--horust PATH` (or set ENVBUILD_HORUST) to a Horust binary;
without one the test suite's stand-in (tests/support/horust_standin) is built and used, and the output says
so. Everything runs with its own config dir and ssh config file, never the user's. Not a test: nothing asserts
a time.

Measured on this machine kind (2 cores, dockerd 26.1.5, stand-in Horust), 3 runs: `up --detach` returns in a
median 3.4 s, `ssh <env>.envd true` works 3.8 s after `up` started; envd 1.3.6 could not run (no Docker Hub).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_FILE = '# syntax=v1\n\n\ndef build():\n    base(image="debian:bookworm", dev=True)\n    shell("bash")\n'
TIMEOUT = 1200


def sh(args: list[str], *, env: dict[str, str], cwd: Path | None = None, timeout: float = TIMEOUT):
    return subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL
    )


def standin_horust() -> Path:
    spec = importlib.util.spec_from_file_location(
        "horust_standin_build", ROOT / "tests" / "support" / "horust_standin" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_standin()


def wait_for_ssh(ssh_config: Path, host: str, start: float, limit: float = 120) -> float:
    """Seconds from `start` until `ssh host true` succeeds."""
    while True:
        ok = (
            subprocess.run(
                ["ssh", "-F", str(ssh_config), "-o", "ConnectTimeout=2", host, "true"],
                capture_output=True,
                stdin=subprocess.DEVNULL,
            ).returncode
            == 0
        )
        now = time.perf_counter()
        if ok:
            return now - start
        if now - start > limit:
            raise RuntimeError(f"ssh {host} true did not succeed within {limit}s")
        time.sleep(0.05)


def bench_envbuild(workdir: Path, runs: int, horust: str) -> tuple[list[float], list[float]]:
    project = workdir / "envbuild-bench-up"
    project.mkdir()
    (project / "build.envd").write_text(BUILD_FILE)
    name = f"envbuild-test-bench-{uuid.uuid4().hex[:6]}"
    ssh_config = workdir / "ssh_config"
    env = {
        **os.environ,
        "ENVBUILD_CONFIG_DIR": str(workdir / "config"),
        "ENVBUILD_SSH_CONFIG": str(ssh_config),
        "ENVBUILD_HORUST": horust,
    }
    envbuild = [sys.executable, "-m", "envbuild.cli"]
    up = [*envbuild, "up", "--detach", "--name", name, "--tag", f"{name}:dev", "--progress", "quiet"]
    destroy = [*envbuild, "destroy", "--name", name]
    ups, sshs = [], []
    try:
        first = sh(up, env=env, cwd=project)
        if first.returncode != 0:
            sys.exit(f"envbuild up failed:\n{first.stdout}{first.stderr}")
        for _ in range(runs):
            sh(destroy, env=env, cwd=project)
            start = time.perf_counter()
            out = sh(up, env=env, cwd=project)
            ups.append(time.perf_counter() - start)
            if out.returncode != 0:
                sys.exit(f"envbuild up failed:\n{out.stdout}{out.stderr}")
            sshs.append(wait_for_ssh(ssh_config, f"{name}.envd", start))
    finally:
        sh(destroy, env=env, cwd=project)
        subprocess.run(["docker", "rmi", "-f", f"docker.io/library/{name}:dev"], capture_output=True)
    return ups, sshs


def bench_envd(workdir: Path, runs: int) -> tuple[list[float] | None, str | None]:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_build import install_envd

    envd, why = install_envd(Path(tempfile.gettempdir()) / "envbuild-bench-envd-venv")
    if envd is None:
        return None, why
    project = workdir / "envd-bench-up"
    project.mkdir()
    (project / "build.envd").write_text(BUILD_FILE)
    env = dict(os.environ)
    first = sh([str(envd), "up", "--detach", "--path", str(project)], env=env)
    if first.returncode != 0:
        return None, (first.stderr or first.stdout).strip()[-800:]
    times = []
    try:
        for _ in range(runs):
            sh([str(envd), "destroy", "--path", str(project)], env=env)
            start = time.perf_counter()
            out = sh([str(envd), "up", "--detach", "--path", str(project)], env=env)
            if out.returncode != 0:
                return None, (out.stderr or out.stdout).strip()[-800:]
            home = Path(env.get("HOME", str(Path.home())))
            times.append(wait_for_ssh(home / ".ssh" / "config", "envd-bench-up.envd", start))
    finally:
        sh([str(envd), "destroy", "--path", str(project)], env=env)
    return times, None


def summary(label: str, samples: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(samples):.2f}s over {len(samples)} runs "
        f"(min {min(samples):.2f}s, max {max(samples):.2f}s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-envd", action="store_true", help="do not install or run envd")
    parser.add_argument(
        "--horust",
        default=os.environ.get("ENVBUILD_HORUST", ""),
        help="Horust binary for the dev image (default: the test suite's stand-in)",
    )
    args = parser.parse_args()
    horust = args.horust
    if not horust:
        horust = str(standin_horust())
        print(
            f"using the Horust STAND-IN from tests/support ({horust}): real Horust cannot be downloaded here"
        )
    with tempfile.TemporaryDirectory(prefix="envbuild-bench-up-") as tmp:
        workdir = Path(tmp)
        ups, sshs = bench_envbuild(workdir, args.runs, horust)
        print(summary("envbuild up --detach returns", ups))
        print(summary("envbuild up -> ssh true works", sshs))
        if args.skip_envd:
            return
        envd_times, why = bench_envd(workdir, args.runs)
        if envd_times is None:
            print(f"envd could not run here, so no ratio: {why}")
            return
        print(summary("envd up -> ssh true works", envd_times))
        print(f"ratio envbuild / envd: {statistics.median(sshs) / statistics.median(envd_times):.2f}")


if __name__ == "__main__":
    main()
