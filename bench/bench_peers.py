"""Benchmark: envbuild side by side with envd 1.3.6 and `docker buildx` (with cache mounts), on one daemon.

Usage: `python bench/bench_peers.py [--rounds 5] [--quick] [--torch] [--port 5444] [--skip-envd]
[--skip-buildx] [--skip-up] [--no-warm] [--json FILE] [--logs DIR] [--keep]`

Same build for all three on the same dockerd (its embedded BuildKit): a Debian bookworm base, three apt
packages (`python3-pip python-is-python3 git`: envd without `install.python()` runs `python -m pip`), one
pip package (`six`), a copied directory, two `run` lines. envbuild and envd read the
same `build.envd`; buildx builds a hand-written Dockerfile with the same steps **and** cache mounts for apt
(archives and lists, `sharing=locked`, Debian's docker-clean hook removed) and pip, so the yardstick is a
Dockerfile written with care, not a naive one. No `runtime.environ`: envd 1.3.6 adds the environment to its
LLB in Go map order, so with more than one variable (the base image's PATH counts) its graph changes from run
to run and nothing is ever cached (measured here: its "no-op" rebuilt everything, 60-86 s).

Setup, all done by the bench: a TLS registry on 127.0.0.1:PORT (`tls_registry.py`; envd resolves base images
itself, over TLS only) serving `debian:bookworm` plus the host's local CA certificates (the proxy's, which
envd's and the Dockerfile's pip need: envd has no way to hand build steps a CA; envbuild passes its own as a
secret anyway) and an `/etc/pip.conf` with `break-system-packages` (Debian's pip refuses root installs
otherwise, PEP 668); envd 1.3.6 from PyPI in a venv under ~/.cache/envbuild/bench with its own HOME and a
`moby-worker` context; three project directories with distinct names (cache-mount ids are keyed by them).

Each round runs every scenario for every tool, the tools' order rotating round by round:
- cold:    a new base image (the same one plus a file with a random value, under a new repository name),
           so no step of the build is cached, for any tool; cache mounts stay warm, which is their point;
- no-op:   the same file again;
- +pip:    one more pip package (`idna`);
- +apt:    one more apt package (`jq`), the pip list as in cold;
then the fixed costs (`version`, `--help`, `debug llb`, each the median of a few runs) for envbuild and envd;
`debug llb` twice: as repeated on the same files, and with the build file touched before each run (an edit).
envbuild runs as a user's shell runs it: its first cold build starts the warm process (envbuild/warm/), which
then runs the `build` and `debug llb` that its memo does not answer; `--no-warm` measures every run in a
process of its own instead.
After the first cold build every image's size is measured the same way for all: each layer gzip-compressed
at level 6 (what a push of gzip layers sends), since envbuild keeps local images' layers uncompressed.
Once at the end: `up` → working `ssh <env>.envd true` for envbuild (bench_up.py's measurement; envd's dev
images need ghcr.io, which is out of reach here).

Printed: per scenario the median (min–max) of each tool and the paired ratio envbuild/peer (per round, then
median and range), as the table in issue 12. Wall clock of each command, as a user waits for it.

`--torch`: envbuild only, once: a file with `torch==2.5.1` (~3 GB with its CUDA wheels) built with gzip
layers (the old default) and with the default now (uncompressed into the local store), and rebuilt after
adding a small package, reporting BuildKit's own "exporting to image" time. Run by hand, never in CI.

Not a test: nothing asserts a time. Leaves no containers or images behind (tags `envbuild-bench-peers-*`
are removed); BuildKit cache records stay for BuildKit's own garbage collector.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tls_registry import TlsRegistry  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENVD_VERSION = "1.3.6"
LOCAL_BASE = "docker.io/library/debian:bookworm"
APT = ("python3-pip", "python-is-python3", "git")
APT_EXTRA = "jq"
PIP = ("six",)
PIP_EXTRA = "idna"
TAG_PREFIX = "envbuild-bench-peers"
TIMEOUT = 1800
SCENARIOS = ("cold", "no-op", "+pip", "+apt")
FIXED = ("version", "--help", "debug llb", "debug llb, file edited")
#: `debug llb` again on the same files is answered from a memo (cli/noop.py); this row touches the build file
#: before each run, as an edit does, so the whole evaluation and compile run every time
EDITED = "debug llb, file edited"
APP_MAIN = "import six\nprint(six.__version__)\n"


@dataclass(frozen=True)
class Spec:
    """What one build contains: the base image (new for each cold build), the apt and pip lists."""

    base: str
    apt: tuple[str, ...] = APT
    pip: tuple[str, ...] = PIP


def envd_file(spec: Spec) -> str:
    """The build file envbuild and envd both read. `run` lines avoid single quotes (envd re-splits commands
    with a shell-word splitter and breaks on them)."""
    return (
        "# syntax=v1\n\n\n"
        "def build():\n"
        f'    base(image="{spec.base}", dev=False)\n'
        f"    install.apt_packages(name={json.dumps(list(spec.apt))})\n"
        f"    install.python_packages(name={json.dumps(list(spec.pip))})\n"
        '    io.copy(source="app", target="/opt/app")\n'
        "    run(commands=[\n"
        '        "python /opt/app/main.py > /opt/app-output",\n'
        '        "git --version > /opt/git-version",\n'
        "    ])\n"
    )


def dockerfile(spec: Spec) -> str:
    """The same build as a careful Dockerfile: apt and pip caches mounted, apt lists kept out of the image."""
    apt_cache = (
        "--mount=type=cache,target=/var/cache/apt,sharing=locked "
        "--mount=type=cache,target=/var/lib/apt/lists,sharing=locked"
    )
    return (
        f"FROM {spec.base}\n"
        f"RUN {apt_cache} rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update -qq && "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        f"{' '.join(spec.apt)}\n"
        f"RUN --mount=type=cache,target=/root/.cache/pip python -m pip install {' '.join(spec.pip)}\n"
        "COPY app /opt/app\n"
        "RUN python /opt/app/main.py > /opt/app-output\n"
        "RUN git --version > /opt/git-version\n"
    )


# --- the tools ----------------------------------------------------------------------------------------------


@dataclass
class Tool:
    name: str
    project: Path
    write: Callable[[Path, Spec], None]
    build: Callable[[Path, str], list[str]]
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    fixed: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    @property
    def tag(self) -> str:
        return f"{TAG_PREFIX}-{self.name}:dev"


def envbuild_exe() -> list[str]:
    exe = Path(sys.executable).with_name("envbuild")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "envbuild.cli"]


def make_project(workdir: Path, name: str) -> Path:
    project = workdir / name
    (project / "app").mkdir(parents=True)
    (project / "app" / "main.py").write_text(APP_MAIN)
    return project


def envbuild_tool(workdir: Path, warm: bool = True) -> Tool:
    exe = envbuild_exe()
    project = make_project(workdir, "bench-envbuild")

    def write(p: Path, spec: Spec) -> None:
        (p / "build.envd").write_text(envd_file(spec))

    return Tool(
        "envbuild",
        project,
        write,
        lambda p, tag: [*exe, "build", "--path", str(p), "--tag", tag, "--progress", "plain"],
        env={**os.environ, **({} if warm else {"ENVBUILD_WARM": "0"})},
        fixed={
            "version": [*exe, "version"],
            "--help": [*exe, "--help"],
            "debug llb": [*exe, "debug", "llb", "--path", str(project)],
            EDITED: [*exe, "debug", "llb", "--path", str(project)],
        },
    )


def envd_tool(workdir: Path, envd: Path, home: Path) -> Tool:
    project = make_project(workdir, "bench-envd")
    cmd = [str(envd), "--analytics-enabled=false"]

    def write(p: Path, spec: Spec) -> None:
        (p / "build.envd").write_text(envd_file(spec))

    return Tool(
        "envd",
        project,
        write,
        lambda p, tag: [*cmd, "build", "--path", str(p), "--tag", tag],
        env={**os.environ, "HOME": str(home)},
        fixed={
            "version": [*cmd, "version"],
            "--help": [*cmd, "--help"],
            "debug llb": [*cmd, "debug", "llb", "--path", str(project)],
            EDITED: [*cmd, "debug", "llb", "--path", str(project)],
        },
    )


def buildx_tool(workdir: Path) -> Tool:
    project = make_project(workdir, "bench-buildx")

    def write(p: Path, spec: Spec) -> None:
        (p / "Dockerfile").write_text(dockerfile(spec))

    return Tool(
        "buildx",
        project,
        write,
        lambda p, tag: [
            "docker",
            "buildx",
            "build",
            "--builder",
            "default",
            "--progress",
            "plain",
            "-t",
            tag,
            str(p),
        ],
    )


def install_envd(cache: Path) -> tuple[Path, Path]:
    """envd's Go binary from PyPI in a venv of its own, with its own HOME and a moby-worker context."""
    venv = cache / f"envd-{ENVD_VERSION}"
    envd = venv / "bin" / "envd"
    if not envd.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        out = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"envd=={ENVD_VERSION}"],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0 or not envd.exists():
            sys.exit(f"pip install envd=={ENVD_VERSION} failed:\n{out.stderr[-2000:]}")
    home = venv / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home)}
    ls = subprocess.run(
        [str(envd), "--analytics-enabled=false", "context", "ls"], env=env, capture_output=True, text=True
    )
    if "bench (current)" not in ls.stdout:
        subprocess.run(
            [
                str(envd),
                "--analytics-enabled=false",
                "context",
                "create",
                "--name",
                "bench",
                "--builder",
                "moby-worker",
                "--use",
            ],
            env=env,
            capture_output=True,
            check=True,
        )
    return envd, home


def bench_base(registry: TlsRegistry, workdir: Path) -> str:
    """debian:bookworm plus the host's local CA certificates, pip's permission to install as root and a
    random value, pushed to the TLS registry under a new repository name (tag `bookworm`, so every tool
    still sees Debian bookworm). The certificates are copied at run time (they are regenerated at boot
    here); the image is a bench fixture only."""
    nonce = uuid.uuid4().hex[:10]
    ctx = workdir / f"base-{nonce}"
    (ctx / "certs").mkdir(parents=True)
    for crt in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        shutil.copy(crt, ctx / "certs" / crt.name)
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", ctx / "ca-certificates.crt")
    (ctx / "pip.conf").write_text("[global]\nbreak-system-packages = true\n")
    (ctx / "nonce").write_text(nonce + "\n")
    (ctx / "Dockerfile").write_text(
        f"FROM {LOCAL_BASE}\n"
        "COPY certs/ /usr/local/share/ca-certificates/\n"
        "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
        "COPY pip.conf /etc/pip.conf\n"
        "COPY nonce /etc/envbuild-bench-nonce\n"
    )
    local = f"{TAG_PREFIX}-base-{nonce}:bookworm"
    run(["docker", "buildx", "build", "--builder", "default", "-q", "-t", local, str(ctx)])
    name = registry.push(local, f"envbuild-bench-{nonce}/debian:bookworm")
    run(["docker", "rmi", local, name], check=False)
    return name


# --- measuring ----------------------------------------------------------------------------------------------


def run(
    args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = TIMEOUT, check: bool = True
) -> subprocess.CompletedProcess:
    out = subprocess.run(
        list(args), capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if check and out.returncode != 0:
        sys.exit(f"{shlex.join(args)} failed ({out.returncode}):\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
    return out


def timed(args: Sequence[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    out = subprocess.run(
        list(args), capture_output=True, text=True, env=env, timeout=TIMEOUT, stdin=subprocess.DEVNULL
    )
    return time.perf_counter() - start, out


def build_once(tool: Tool, spec: Spec, log: Path | None = None) -> float | None:
    if tool.error:
        return None
    tool.write(tool.project, spec)
    seconds, out = timed(tool.build(tool.project, tool.tag), tool.env)
    if log is not None:
        log.write_text(f"$ {shlex.join(tool.build(tool.project, tool.tag))}\n{out.stdout}{out.stderr}")
    if out.returncode != 0:
        tool.error = f"build failed (exit {out.returncode}):\n" + "\n".join(
            (out.stderr or out.stdout).strip().splitlines()[-15:]
        )
        print(f"  {tool.name}: FAILED", flush=True)
        return None
    return seconds


def fixed_cost(args: list[str], env: dict[str, str], repeats: int, touch: Path | None = None) -> float:
    """The median of `repeats` runs of `args`; `touch`: a file whose times are set to now before each."""
    samples = []
    for _ in range(repeats):
        if touch is not None:
            os.utime(touch)
        seconds, out = timed(args, env)
        if out.returncode != 0:
            return float("nan")
        samples.append(seconds)
    return statistics.median(samples)


@dataclass(frozen=True)
class ImageSize:
    gzip_bytes: int
    raw_bytes: int
    layers: int


def image_size(name: str) -> ImageSize:
    """Every layer as a push of gzip layers would send it (level 6, as BuildKit's default), plus the
    uncompressed size, from `docker save` (which writes the blobs as the store keeps them)."""
    saved = subprocess.run(["docker", "save", name], capture_output=True, timeout=600, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as tar:

        def blob(digest: str) -> bytes:
            member = tar.extractfile(f"blobs/sha256/{digest.split(':', 1)[1]}")
            assert member is not None
            return member.read()

        index = json.loads(tar.extractfile("index.json").read())  # type: ignore[union-attr]
        manifest = json.loads(blob(index["manifests"][0]["digest"]))
        if "manifests" in manifest:  # an index (attestations): take the image manifest for this platform
            manifest = json.loads(blob(manifest["manifests"][0]["digest"]))
        gz = raw = 0
        for layer in manifest["layers"]:
            data = blob(layer["digest"])
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            elif data[:4] == b"\x28\xb5\x2f\xfd":
                sys.exit("a zstd layer: install python zstandard support to measure it")
            raw += len(data)
            gz += len(zlib.compress(data, 6)) + 18  # the gzip header and trailer
        return ImageSize(gz, raw, len(manifest["layers"]))


def median_range(values: Sequence[float], unit: str = "s") -> str:
    values = [v for v in values if v == v]  # drop NaN
    if not values:
        return "—"
    med = statistics.median(values)
    if unit == "×":
        text = f"{med:.2f}×"
        return text + (f" ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else "")
    text = f"{med:.2f} s"
    return text + (f" ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else "")


def paired(ours: Sequence[float | None], theirs: Sequence[float | None]) -> list[float]:
    return [a / b for a, b in zip(ours, theirs, strict=False) if a and b]


# --- torch: the export of a big image -----------------------------------------------------------------------


def export_seconds(plain_log: str) -> float | None:
    """BuildKit's own time for "exporting to image" from a plain progress log."""
    vertex = None
    for line in plain_log.splitlines():
        match = re.match(r"#(\d+) exporting to image", line)
        if match:
            vertex = match.group(1)
        if vertex:
            done = re.match(rf"#{vertex} DONE ([\d.]+)s", line)
            if done:
                return float(done.group(1))
    return None


def bench_torch(workdir: Path, registry: TlsRegistry, *, gzip: bool) -> list[tuple[str, float, float | None]]:
    exe = envbuild_exe()
    project = make_project(workdir, "bench-torch")
    (project / "app" / "main.py").write_text("import six, torch\nprint(torch.__version__)\n")
    base = bench_base(registry, workdir)

    def build(packages: list[str], output: list[str], label: str) -> tuple[str, float, float | None]:
        (project / "build.envd").write_text(envd_file(Spec(base, apt=("git",), pip=tuple(packages))))
        tag = f"{TAG_PREFIX}-torch:dev"
        seconds, out = timed(
            [*exe, "build", "--path", str(project), "--tag", tag, "--progress", "plain", *output],
            dict(os.environ),
        )
        if out.returncode != 0:  # reported, not fatal: the other results are printed already
            print(f"  {label}: FAILED\n{out.stderr[-1500:]}", flush=True)
            return label + " (failed)", seconds, export_seconds(out.stderr)
        print(f"  {label}: {seconds:.1f} s, export {export_seconds(out.stderr)} s", flush=True)
        return label, seconds, export_seconds(out.stderr)

    tag = f"{TAG_PREFIX}-torch:dev"
    results = []
    if gzip:
        layers = ["-o", f"type=image,name={tag},compression=gzip"]
        results.append(build(["torch==2.5.1", "six"], layers, "cold, gzip layers (the old default)"))
        base = bench_base(registry, workdir)
    results.append(build(["torch==2.5.1", "six"], [], "cold, default (local store)"))
    results.append(build(["torch==2.5.1", "six", "idna"], [], "+1 small package, default"))
    run(["docker", "rmi", "-f", tag], check=False)
    return results


# --- main ---------------------------------------------------------------------------------------------------


def machine_load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def bytecode_warning() -> str | None:
    """What to say when envbuild's own modules have no compiled bytecode: with PYTHONDONTWRITEBYTECODE set,
    every command would compile them again (0.2 s here), which an installed envbuild never does."""
    import importlib.util

    import envbuild.cli.app

    source = envbuild.cli.app.__file__
    if source and not os.path.exists(importlib.util.cache_from_source(source)):
        return "warning: envbuild's modules are not compiled (scripts/install.sh does it): times include that"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one round, fewer repeats of the fixed costs")
    parser.add_argument("--torch", action="store_true", help="also the torch export scenario (~3 GB)")
    parser.add_argument(
        "--torch-skip-gzip", action="store_true", help="torch: leave out the build with gzip layers (~10 min)"
    )
    parser.add_argument("--port", type=int, default=5444, help="port of the TLS registry on 127.0.0.1")
    parser.add_argument("--skip-envd", action="store_true")
    parser.add_argument("--skip-buildx", action="store_true")
    parser.add_argument("--skip-up", action="store_true", help="do not measure up → ssh")
    parser.add_argument(
        "--no-warm", action="store_true", help="envbuild with ENVBUILD_WARM=0: every run in its own process"
    )
    parser.add_argument("--json", type=Path, help="also write the samples as JSON here")
    parser.add_argument("--logs", type=Path, help="write each build's output to a file in this directory")
    parser.add_argument("--keep", action="store_true", help="keep the registry running and trusted")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    repeats = 3 if args.quick else 5
    warning = bytecode_warning()
    if warning:
        print(warning, file=sys.stderr)

    from envbuild.paths import cache_dir

    cache = cache_dir() / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="envbuild-bench-peers-"))
    load_before = machine_load()
    registry = TlsRegistry(args.port, cache / f"registry-{args.port}").__enter__()
    tools: list[Tool] = []
    try:
        tools.append(envbuild_tool(workdir, warm=not args.no_warm))
        if not args.skip_envd:
            envd, home = install_envd(cache)
            tools.append(envd_tool(workdir, envd, home))
        if not args.skip_buildx:
            tools.append(buildx_tool(workdir))
        times: dict[str, dict[str, list[float | None]]] = {t.name: {s: [] for s in SCENARIOS} for t in tools}
        fixed: dict[str, dict[str, list[float]]] = {t.name: {f: [] for f in FIXED} for t in tools if t.fixed}
        sizes: dict[str, ImageSize] = {}
        for r in range(rounds):
            order = tools[r % len(tools) :] + tools[: r % len(tools)]
            spec = Spec(bench_base(registry, workdir))
            specs = {
                "cold": spec,
                "no-op": spec,
                "+pip": replace(spec, pip=(*PIP, PIP_EXTRA)),
                "+apt": replace(spec, apt=(*APT, APT_EXTRA)),
            }
            for scenario in SCENARIOS:
                for tool in order:
                    log = args.logs / f"{r + 1}-{scenario}-{tool.name}.log" if args.logs else None
                    seconds = build_once(tool, specs[scenario], log)
                    times[tool.name][scenario].append(seconds)
                    print(
                        f"round {r + 1} {scenario:<6} {tool.name:<9} "
                        f"{'-' if seconds is None else f'{seconds:.2f} s'}",
                        flush=True,
                    )
                    if scenario == "cold" and r == 0 and seconds is not None:
                        sizes[tool.name] = image_size(tool.tag)
            for tool in order:
                for what, command in tool.fixed.items():
                    touch = tool.project / "build.envd" if what == EDITED else None
                    fixed[tool.name][what].append(fixed_cost(command, tool.env, repeats, touch))
        up = None
        if not args.skip_up:
            import bench_up

            horust = os.environ.get("ENVBUILD_HORUST") or str(bench_up.standin_horust())
            _, sshs = bench_up.bench_envbuild(workdir, max(rounds, 3), horust)
            up = sshs
        report(tools, times, fixed, sizes, up, None, rounds, load_before, machine_load())
        torch = bench_torch(workdir, registry, gzip=not args.torch_skip_gzip) if args.torch else None
    finally:
        for tool in tools:
            run(["docker", "rmi", "-f", tool.tag], check=False)
        registry.close(keep=args.keep)
        shutil.rmtree(workdir, ignore_errors=True)

    if torch:
        report_torch(torch)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "times": times,
                    "fixed": fixed,
                    "sizes": {k: v.__dict__ for k, v in sizes.items()},
                    "up_ssh": up,
                    "torch": torch,
                    "load": [load_before, machine_load()],
                },
                indent=2,
            )
        )


def report_torch(torch: list[tuple[str, float, float | None]]) -> None:
    print()
    print("| torch==2.5.1 image, envbuild | build | exporting to image |")
    print("|---|---|---|")
    for label, seconds, export in torch:
        print(f"| {label} | {seconds:.1f} s | {'—' if export is None else f'{export:.1f} s'} |")


def report(tools, times, fixed, sizes, up, torch, rounds, load_before, load_after) -> None:
    names = [t.name for t in tools]
    peers = [n for n in names if n != "envbuild"]
    labels = {"envbuild": "envbuild", "envd": f"envd {ENVD_VERSION}", "buildx": "buildx + cache mounts"}
    header = ["scenario", *[labels[n] for n in names], *[f"envbuild/{n}" for n in peers]]
    print()
    print(f"{rounds} interleaved round(s); load before: {load_before}")
    print(f"load after: {load_after}")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for scenario in SCENARIOS:
        cells = [median_range([v for v in times[n][scenario] if v is not None]) for n in names]
        ratios = [median_range(paired(times["envbuild"][scenario], times[p][scenario]), "×") for p in peers]
        print(f"| {scenario} | " + " | ".join(cells + ratios) + " |")
    for what in FIXED:
        cells = [median_range(fixed[n][what]) if n in fixed else "—" for n in names]
        ratios = [
            median_range(paired(fixed["envbuild"][what], fixed[p][what]), "×") if p in fixed else "—"
            for p in peers
        ]
        print(f"| `{what}` | " + " | ".join(cells + ratios) + " |")
    if up is not None:
        cells = [median_range(up) if n == "envbuild" else "— (needs ghcr.io)" for n in names]
        print("| up → `ssh <env>.envd true` | " + " | ".join(cells + ["—"] * len(peers)) + " |")
    if sizes:
        cells = [
            f"{sizes[n].gzip_bytes / 1e6:.1f} MB, {sizes[n].layers} layers"
            f" ({sizes[n].raw_bytes / 1e6:.0f} MB raw)"
            if n in sizes
            else "—"
            for n in names
        ]
        ratios = [
            f"{sizes['envbuild'].gzip_bytes / sizes[p].gzip_bytes:.2f}×"
            if "envbuild" in sizes and p in sizes
            else "—"
            for p in peers
        ]
        print("| image (gzip layers) | " + " | ".join(cells + ratios) + " |")
    for tool in tools:
        if tool.error:
            print(f"\n{tool.name} failed: {tool.error}")


if __name__ == "__main__":
    main()
