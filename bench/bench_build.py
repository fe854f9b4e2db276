"""Benchmark: envbuild vs envd's own binary vs a hand-written Dockerfile, on the same Docker daemon.

Usage: `python bench/bench_build.py [--skip-envd] [--keep] [--json FILE]`

Same environment for all three: the local `debian:bookworm` base plus two apt packages (`git`, `curl`); the
"one-package" change adds `jq`. Each tool builds, in order:

1. cold      the environment with a fresh apt source line (a nonce comment), so no layer of this run's
             environment is in BuildKit's cache (apt's cache mounts, where a tool has them, stay warm, which
             is the point of having them);
2. no-op     the same file again: should be fully cached;
3. one-pkg   the file with `jq` added;
then the image size of the last build (`docker image inspect .Size`). Ratios are envbuild's time divided by
the other tool's (below 1 means envbuild is faster).

envd comes from PyPI (`pip install envd`) into its own venv under envbuild's cache dir and uses a
`moby-worker` context, i.e. the same BuildKit as the other two. On machines without Docker Hub (like the CI
machines here) envd cannot build at all: it resolves the base image's config from the registry directly
(not through BuildKit), so a local-only `debian:bookworm` fails; the bench then prints envd's error instead
of numbers and says so. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BASE = "docker.io/library/debian:bookworm"
PACKAGES = ("git", "curl")
EXTRA = "jq"
PREFIX = "envbuild-test-bench"
TIMEOUT = 1200
SYSTEM_CA = Path("/etc/ssl/certs/ca-certificates.crt")  # holds the proxy's CA on machines behind one


@dataclass
class Result:
    tool: str
    times: dict[str, float] = field(default_factory=dict)
    size: int | None = None
    error: str | None = None


def sh(args: list[str], *, timeout: float = TIMEOUT, env: dict[str, str] | None = None,
       cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def base_apt_sources() -> str:
    """The base image's own apt sources (the Debian mirror debootstrap used), to restate with a nonce."""
    out = sh(["docker", "run", "--rm", BASE, "sh", "-c",
              "cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true"], timeout=120)
    lines = [line for line in out.stdout.splitlines() if line.strip().startswith("deb ")]
    if not lines:
        raise SystemExit(f"cannot read apt sources from {BASE}: {out.stderr.strip()}")
    return "\n".join(lines) + "\n"


def envd_file(sources: str, packages: tuple[str, ...]) -> str:
    names = ", ".join(json.dumps(p) for p in packages)
    return (
        "# syntax=v1\n\n\n"
        "def build():\n"
        f'    base(image="{BASE}", dev=False)\n'
        f"    config.apt_source(source={json.dumps(sources)})\n"
        f"    install.apt_packages(name=[{names}])\n"
    )


def dockerfile(sources: str, packages: tuple[str, ...]) -> str:
    return (
        f"FROM {BASE}\n"
        "RUN printf '%s\\n' " + " ".join(shlex.quote(line) for line in sources.splitlines())
        + " > /etc/apt/sources.list\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends "
        + " ".join(packages)
        + " && rm -rf /var/lib/apt/lists/*\n"
    )


def image_size(tag: str) -> int | None:
    out = sh(["docker", "image", "inspect", "--format", "{{.Size}}", tag], timeout=60)
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip().isdigit() else None


def envbuild_cmd(project: Path, tag: str) -> list[str]:
    exe = Path(sys.executable).with_name("envbuild")
    prog = [str(exe)] if exe.exists() else [sys.executable, "-m", "envbuild.cli"]
    return [*prog, "build", "--path", str(project), "--tag", tag, "--progress", "quiet"]


def docker_cmd(project: Path, tag: str) -> list[str]:
    return ["docker", "buildx", "build", "--progress", "quiet", "--load", "-t", tag, str(project)]


def envd_cmd(envd: Path) -> callable:
    def cmd(project: Path, tag: str) -> list[str]:
        return [str(envd), "build", "--path", str(project), "--tag", tag]

    return cmd


def run_tool(name: str, command, write, workdir: Path, sources: str) -> Result:
    result = Result(name)
    project = workdir / name
    project.mkdir()
    tag = f"{PREFIX}-{name}:{uuid.uuid4().hex[:8]}"
    steps = [("cold", PACKAGES), ("no-op", PACKAGES), ("one-pkg", (*PACKAGES, EXTRA))]
    try:
        for label, packages in steps:
            write(project, sources, packages)
            start = time.perf_counter()
            out = sh(command(project, tag))
            elapsed = time.perf_counter() - start
            if out.returncode != 0:
                tail = "\n".join((out.stderr or out.stdout).strip().splitlines()[-6:])
                result.error = f"{label} build failed (exit {out.returncode}):\n{tail}"
                return result
            result.times[label] = elapsed
        result.size = image_size(tag)
    except subprocess.TimeoutExpired:
        result.error = f"timed out after {TIMEOUT}s"
    finally:
        sh(["docker", "rmi", "-f", tag], timeout=120)
    return result


def write_envd(project: Path, sources: str, packages: tuple[str, ...]) -> None:
    (project / "build.envd").write_text(envd_file(sources, packages))


def write_docker(project: Path, sources: str, packages: tuple[str, ...]) -> None:
    (project / "Dockerfile").write_text(dockerfile(sources, packages))


def install_envd(venv: Path) -> tuple[Path | None, str | None]:
    """envd's binary from PyPI in its own venv, with a moby-worker context; (path, None) or (None, why)."""
    envd = venv / "bin" / "envd"
    if not envd.exists():
        if not (venv / "bin" / "python").exists():
            out = sh([sys.executable, "-m", "venv", str(venv)], timeout=300)
            if out.returncode != 0:
                return None, f"cannot create a venv for envd: {out.stderr.strip()}"
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "envd"]
        cert = os.environ.get("PIP_CERT") or (str(SYSTEM_CA) if SYSTEM_CA.exists() else None)
        if cert:
            pip += ["--cert", cert]
        out = sh(pip, timeout=900)
        if out.returncode != 0 or not envd.exists():
            return None, f"pip install envd failed: {out.stderr.strip()[-600:]}"
    home = venv / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home)}
    sh([str(envd), "context", "create", "--name", "moby", "--builder", "moby-worker", "--use"], env=env,
       timeout=120)
    wrapper = venv / "envd-bench"
    wrapper.write_text(f'#!/bin/sh\nHOME="{home}" exec "{envd}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, None


def ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "n/a"
    return f"{ours / theirs:.2f}"


def report(results: list[Result]) -> None:
    labels = ["cold", "no-op", "one-pkg"]
    print(f"{'tool':<10}" + "".join(f"{label:>12}" for label in labels) + f"{'size MB':>12}")
    for r in results:
        cells = "".join(f"{r.times[label]:>11.1f}s" if label in r.times else f"{'-':>12}" for label in labels)
        size = f"{r.size / 1e6:>12.1f}" if r.size else f"{'-':>12}"
        print(f"{r.tool:<10}{cells}{size}")
    ours = next((r for r in results if r.tool == "envbuild"), None)
    for other in results:
        if other is ours or ours is None:
            continue
        row = "  ".join(f"{label} {ratio(ours.times.get(label), other.times.get(label))}" for label in labels)
        size = ratio(ours.size, other.size)
        print(f"envbuild/{other.tool}: {row}  size {size}")
    for r in results:
        if r.error:
            print(f"\n{r.tool} could not complete: {r.error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-envd", action="store_true", help="do not install or run envd")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project directories")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()

    sources_base = base_apt_sources()
    nonce = uuid.uuid4().hex
    sources = sources_base + f"# envbuild bench {nonce}\n"
    workdir = Path(tempfile.mkdtemp(prefix="envbuild-bench-"))
    results = [
        run_tool("envbuild", envbuild_cmd, write_envd, workdir, sources),
        run_tool("docker", docker_cmd, write_docker, workdir, sources),
    ]
    if not args.skip_envd:
        from envbuild.paths import cache_dir

        envd, why = install_envd(cache_dir() / "bench" / "envd-venv")
        if envd is None:
            results.append(Result("envd", error=why))
        else:
            results.append(run_tool("envd", envd_cmd(envd), write_envd, workdir, sources))
    report(results)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2))
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
