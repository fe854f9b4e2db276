"""Benchmark: a team cache across machines, simulated on one.

Usage: `python bench/bench_team_cache.py [--buildkitd PATH] [--keep]`

"CI" builds an environment on dockerd (the moby worker) with `--export-cache type=registry,ref=...,mode=max`
into the local registry; a "developer" then builds the same file on a fresh buildkitd (empty state dir)
with `--import-cache` of that ref. For comparison a second fresh buildkitd builds it cold. Both daemons are
started here from `--buildkitd` (default: the test fixture `../shared/bin/buildkitd`, BuildKit v0.26.3), so
the exporter and the importers are of different BuildKit generations (Docker 26 embeds v0.13), as in the
issue that found 1 step in 11 reused. Printed: the steps taken from the cache out of all build steps, the
warm and cold wall times and their ratio (goal: >= 90 % cached, <= 0.3x cold). Not a test: nothing is
asserted.

The environment: the local Debian base (pushed to the registry, where buildkitd pulls it from), Python from
apt, two apt packages, two pip packages (through the machine's proxy, with its CA as a build secret) and a
run step - examples/python-basic with a registry base.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from envbuild.builder import BuildOptions, BuildResult, build  # noqa: E402
from envbuild.builder.outputs import parse_output  # noqa: E402
from envbuild.lang import evaluate  # noqa: E402

REGISTRY = "127.0.0.1:5000"
BASE = f"{REGISTRY}/library/debian:bookworm"
BUILD_FILE = f'''def build():
    base(image="{BASE}", dev=False)
    install.python(version="3.11")
    install.apt_packages(name=["git", "curl"])
    install.python_packages(name=["six", "idna"])
    run(commands=["python3 -c 'import six, idna; print(six.__version__, idna.__version__)'"])
'''
BUILDKITD_TOML = f'[registry."{REGISTRY}"]\n  http = true\n'


@dataclass
class Run:
    label: str
    seconds: float
    steps: int
    cached: int
    missed: list[str]


def build_steps(result: BuildResult) -> tuple[int, int, list[str]]:
    """(build steps, those taken from the cache, names of the others)."""
    steps = result.build_steps()
    return len(steps), sum(s.cached for s in steps), [s.name for s in steps if not s.cached]


class Daemon:
    """A buildkitd with an empty state dir of its own, removed on exit."""

    def __init__(self, binary: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="envbuild-bench-buildkitd-"))
        (self.dir / "buildkitd.toml").write_text(BUILDKITD_TOML)
        self.address = f"unix://{self.dir}/buildkitd.sock"
        self.log = (self.dir / "buildkitd.log").open("w")
        self.proc = subprocess.Popen(
            [str(binary), "--config", str(self.dir / "buildkitd.toml"), "--root", str(self.dir / "root"),
             "--addr", self.address, "--otel-socket-path", str(self.dir / "otel.sock"),
             "--oci-worker-net=host"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while b"running server on" not in (self.dir / "buildkitd.log").read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"buildkitd did not start:\n{(self.dir / 'buildkitd.log').read_text()[-2000:]}")
            time.sleep(0.2)

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def timed(label: str, graph, options: BuildOptions) -> Run:
    start = time.monotonic()
    result = build(graph, options)
    seconds = time.monotonic() - start
    steps, cached, missed = build_steps(result)
    for note in result.notes:
        print(f"  note: {note}")
    return Run(label, seconds, steps, cached, missed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buildkitd", type=Path, default=REPO.parent / "shared" / "bin" / "buildkitd",
                        help="buildkitd binary for the fresh daemons (default: ../shared/bin/buildkitd)")
    parser.add_argument("--keep", action="store_true", help="keep the project dir and say where it is")
    args = parser.parse_args()
    if not args.buildkitd.is_file():
        sys.exit(f"no buildkitd at {args.buildkitd}: give one with --buildkitd")
    for cmd in (["docker", "tag", "docker.io/library/debian:bookworm", BASE], ["docker", "push", BASE]):
        subprocess.run(cmd, check=True, capture_output=True)

    work = Path(tempfile.mkdtemp(prefix="envbuild-bench-team-cache-"))
    project = work / "team-cache"  # one path for every build: the work dir name is part of the steps
    project.mkdir()
    (project / "build.envd").write_text(BUILD_FILE)
    graph = evaluate(project / "build.envd", project_dir=project)
    ref = f"{REGISTRY}/envbuild-bench/team-cache:{secrets.token_hex(4)}"
    out = parse_output(f"type=tar,dest={work / 'out.tar'}")

    print(f"CI: dockerd (moby worker) builds and exports the cache to {ref}")
    export = {"type": "registry", "ref": ref, "mode": "max"}
    exported = timed("dockerd export", graph, BuildOptions(
        address="moby-worker://", outputs=(out,), cache_exports=(export,),
    ))
    print(f"  {exported.seconds:.1f}s, {exported.cached}/{exported.steps} steps from its own cache")
    print("cold: a fresh buildkitd builds without any cache")
    with Daemon(args.buildkitd) as daemon:
        cold = timed("cold", graph, BuildOptions(address=daemon.address, outputs=(out,)))
    print(f"  {cold.seconds:.1f}s, {cold.cached}/{cold.steps} steps cached")
    print("developer: another fresh buildkitd builds with --import-cache of that ref")
    with Daemon(args.buildkitd) as daemon:
        warm = timed("warm", graph, BuildOptions(
            address=daemon.address, outputs=(out,), cache_imports=({"type": "registry", "ref": ref},),
        ))
    print(f"  {warm.seconds:.1f}s, {warm.cached}/{warm.steps} steps cached")
    for name in warm.missed:
        print(f"  not from the cache: {name}")

    fraction = warm.cached / warm.steps if warm.steps else 0.0
    ratio = warm.seconds / cold.seconds
    print(f"\nsteps from the team cache: {warm.cached}/{warm.steps} = {fraction:.0%} (goal >= 90%)")
    print(f"time with the team cache: {warm.seconds:.1f}s vs cold {cold.seconds:.1f}s = {ratio:.2f}x "
          "(goal <= 0.3x)")
    if args.keep:
        print(f"project kept in {project}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
