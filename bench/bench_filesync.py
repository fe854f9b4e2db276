"""Benchmark: send a 200 MB build context through our filesync and through `docker buildx build`.

Usage: `.venv/bin/python bench/bench_filesync.py [--mb 200] [--runs 3] [--mode cold|warm|both]
[--output none|tar] [--address moby-worker://]`.

Both sides do the same work on the same daemon: the context (many files of mixed sizes) goes to BuildKit
through the session's filesync, is copied into a scratch filesystem, and nothing is exported (`none`,
buildx `type=cacheonly`) or the result comes back as a tar file (`tar`). Ours is `llb.local("ctx")` →
`scratch().copy(...)` solved by `envbuild.buildkit`; theirs is `FROM scratch` + `COPY . /ctx` (no `# syntax=`
line, as Docker Hub is out of reach).

- `cold`: BuildKit has never seen this context, so every byte crosses the session (a new local shared key
  for us, a new directory path for buildx, whose key derives from it).
- `warm`: the same context again with one small file changed: BuildKit's incremental sync sends only that.
Each run writes a fresh marker file into the context, so the COPY really runs instead of hitting the cache.
One untimed run per side first exports to a local directory and checks every file arrived.
Prints medians, MB/s and the ratio ours / buildx (below 1: we are faster). Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import io
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

from common import MB, Timing, make_tree, print_ratio, run, tool
from rich.console import Console

from envbuild import llb
from envbuild.buildkit import Export, connect
from envbuild.buildkit.options import SolveOptions
from envbuild.progress.display import ProgressRenderer

DOCKERFILE = "FROM scratch\nCOPY . /ctx\n"
MARKER = ".bench-run"


class Context:
    """The benchmark tree, moved to a new path when a cold run needs BuildKit to see it as new."""

    def __init__(self, parent: Path, mb: int):
        self.parent = parent
        self.path = parent / "ctx-0"
        self.path.mkdir()
        self.files, self.bytes = make_tree(self.path, mb * MB)
        self._moves = 0

    def fresh_path(self) -> None:
        self._moves += 1
        target = self.parent / f"ctx-{self._moves}"
        self.path.rename(target)
        self.path = target

    def mark(self) -> str:
        token = secrets.token_hex(8)
        (self.path / MARKER).write_text(token)
        return token


def solve_ours(address: str | None, ctx: Path, shared_key: str, exports: list[Export]) -> str:
    """Solve and return the plain progress log (buildx's format, so one parser reads both sides)."""
    state = llb.scratch().copy(llb.local("ctx", shared_key=shared_key), "/", "/ctx")
    log = io.StringIO()
    with connect(address) as client, ProgressRenderer("plain", Console(file=log)) as progress:
        client.solve(
            state.marshal(), SolveOptions(exports=exports, local_dirs={"ctx": ctx}), on_status=progress.update
        )
    return log.getvalue()


def build_theirs(docker: str, dockerfile: Path, ctx: Path, output: str) -> str:
    args = [docker, "buildx", "build", "--progress", "plain", "-f", str(dockerfile), "-o", output, str(ctx)]
    return run(args).stderr


def step_seconds(plain_log: str) -> tuple[float, float]:
    """(context transfer, COPY step) in seconds, as BuildKit itself timed them, from a plain progress log."""
    transfer = re.findall(r"^#\d+ transferring (?:context|ctx): \S+ (\d+\.\d)s done$", plain_log, re.M)
    copy = re.search(r"^#(\d+) (?:\[1/1\] COPY \. /ctx|copy / /ctx)$", plain_log, re.M)
    done = copy and re.search(rf"^#{copy.group(1)} DONE (\d+\.\d)s$", plain_log, re.M)
    return max(map(float, transfer), default=0.0), float(done.group(1)) if done else 0.0


def check_copy(out: Path, ctx: Context, who: str) -> None:
    """The exported /ctx must hold every file of the context (plus the marker), byte counts equal."""
    copied = [p for p in (out / "ctx").rglob("*") if p.is_file() and p.name != MARKER]
    size = sum(p.stat().st_size for p in copied)
    if (len(copied), size) != (ctx.files, ctx.bytes):
        sys.exit(f"{who} copied {len(copied)} files / {size} bytes, expected {ctx.files} / {ctx.bytes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="context size in MB (default 200)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side and mode (default 3)")
    parser.add_argument("--mode", choices=("cold", "warm", "both"), default="both")
    parser.add_argument("--output", choices=("none", "tar"), default="none")
    parser.add_argument("--address", default=None, help="builder address (default: BUILDKIT_HOST or moby)")
    args = parser.parse_args()

    docker = tool("docker", "install docker-cli (scripts/backend.sh)")
    if run([docker, "buildx", "version"], check=False).returncode != 0:
        sys.exit(
            "docker buildx is missing: `apt-get install --no-install-recommends docker-buildx/trixie` "
            "(Debian's package of the buildx plugin; -t trixie would upgrade half the system)"
        )
    if args.address and not args.address.startswith("moby-worker://"):
        print("note: buildx always talks to the Docker engine's BuildKit; the comparison is fair only there")

    with tempfile.TemporaryDirectory(prefix="envbuild-bench-filesync-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        ctx = Context(root, args.mb)
        made = time.perf_counter() - started
        print(f"context: {ctx.files} files, {ctx.bytes / MB:.0f} MB (made in {made:.1f}s)")
        dockerfile = root / "Dockerfile"  # outside the context, so both sides send exactly the same tree
        dockerfile.write_text(DOCKERFILE)

        def our_exports(i: int) -> list[Export]:
            return [Export.tar(root / f"ours-{i}.tar")] if args.output == "tar" else []

        def their_output(i: int) -> str:
            return f"type=tar,dest={root / f'theirs-{i}.tar'}" if args.output == "tar" else "type=cacheonly"

        # Untimed first runs: warm the daemon and prove both sides copy the whole tree.
        ctx.mark()
        solve_ours(args.address, ctx.path, "bench-check", [Export.local(root / "check-ours")])
        check_copy(root / "check-ours", ctx, "envbuild")
        build_theirs(docker, dockerfile, ctx.path, f"type=local,dest={root / 'check-theirs'}")
        check_copy(root / "check-theirs", ctx, "buildx")
        run(["rm", "-rf", str(root / "check-ours"), str(root / "check-theirs")])

        modes = ("cold", "warm") if args.mode == "both" else (args.mode,)
        for mode in modes:
            sent = "every byte sent" if mode == "cold" else "only a changed marker file sent"
            print(f"\n== {mode}: {sent}")
            wall: dict[str, list[float]] = {"ours": [], "theirs": []}
            steps: dict[str, list[tuple[float, float]]] = {"ours": [], "theirs": []}
            warm_key = f"bench-warm-{secrets.token_hex(4)}"
            if mode == "warm":  # one untimed pass each so the daemon holds this context already
                ctx.mark()
                solve_ours(args.address, ctx.path, warm_key, [])
                build_theirs(docker, dockerfile, ctx.path, "type=cacheonly")
            for i in range(args.runs):
                # Alternate the sides so drifts of the machine (page cache, daemon GC) hit both alike.
                for side in ("ours", "theirs"):
                    if mode == "cold":
                        ctx.fresh_path()
                    ctx.mark()
                    t0 = time.perf_counter()
                    if side == "ours":
                        key = f"bench-cold-{secrets.token_hex(8)}" if mode == "cold" else warm_key
                        log = solve_ours(args.address, ctx.path, key, our_exports(i))
                    else:
                        log = build_theirs(docker, dockerfile, ctx.path, their_output(i))
                    wall[side].append(time.perf_counter() - t0)
                    steps[side].append(step_seconds(log))
                for tar in root.glob("*.tar"):
                    tar.unlink()
            print("whole build, wall clock (connection, session, transfer, copy, export):")
            print_ratio(
                Timing("envbuild", tuple(wall["ours"])),
                Timing("docker buildx", tuple(wall["theirs"])),
                per_run_bytes=ctx.bytes if mode == "cold" else None,
            )
            print("context transfer alone, as BuildKit timed it (the 'transferring' status):")
            print_ratio(
                Timing("envbuild", tuple(t for t, _ in steps["ours"])),
                Timing("docker buildx", tuple(t for t, _ in steps["theirs"])),
                per_run_bytes=ctx.bytes if mode == "cold" else None,
            )
            ours_copy, theirs_copy = (
                sorted(c for _, c in steps[side])[len(steps[side]) // 2] for side in steps
            )
            print(f"COPY step in BuildKit, median: envbuild {ours_copy:.1f}s, buildx {theirs_copy:.1f}s")


if __name__ == "__main__":
    main()
