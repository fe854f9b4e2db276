"""Benchmark: evaluate a generated 300-line build file and print the median time (wall and CPU).

Usage: `python bench/bench_eval.py [--lines 300] [--runs 50] [--environ-keys N]`. The target is well
under 50 ms per evaluation (envd's own Go interpreter is the yardstick users know). Evaluation runs in a
forked child (see envbuild.lang.isolation); the same file is also evaluated in-process, so the price of the
fork is printed too. `--environ-keys N` also times the compile of a file setting N runtime.environ keys (it
was quadratic: 20,000 keys took 39 s). Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from envbuild.lang import evaluate, isolation


def generate(lines: int) -> str:
    """A realistic build file: helpers, constants and a build() calling most builtins, `lines` long."""
    out = ["# syntax=v1", "", 'BASE_PACKAGES = ["git", "curl", "vim"]', ""]
    helpers = max((lines - 13) // 9, 1)
    for helper in range(helpers):
        out += [
            f"def helper_{helper}(port):",
            f'    install.apt_packages(name=BASE_PACKAGES + ["pkg-{helper}"])',
            f'    install.python_packages(name=["lib{helper}==1.0", "other{helper}"])',
            f'    run(commands=["echo step {helper}", "test -d /tmp"])',
            f'    runtime.environ(env={{"VAR_{helper}": str(port)}})',
            f'    runtime.expose(envd_port=port, service="svc{helper}")',
            f'    runtime.command(commands={{"cmd{helper}": "python -m svc{helper}"}})',
            "",
        ]
    out += [
        "def build():",
        '    base(image="debian:bookworm", dev=True)',
        '    install.python(version="3.11")',
        '    install.cuda(version="12.1.1", cudnn="8")',
        '    config.pip_index(url="https://index.test/simple")',
        '    config.jupyter(token="", port=8888)',
        '    io.http(url="https://example.com/a.tgz", checksum="sha256:' + "a" * 64 + '")',
        '    runtime.mount(host_path=data.envd("mnist"), envd_path="~/data")',
        '    runtime.daemon(commands=[["sleep", "inf"]])',
    ]
    out += [f"    helper_{i}({1000 + i})" for i in range(helpers)]
    while len(out) < lines:
        out.append('    git_config(name="bench", email="bench@example.com")')
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--environ-keys", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "build.envd").write_text(generate(args.lines))
        config = root / "empty-config.envd"
        config.write_text("")
        evaluate(root, config_file=config)  # warm-up: imports and first-use costs
        isolated = _time(lambda: evaluate(root, config_file=config), args.runs)
        forked = isolation.run
        isolation.run = lambda work, _file, _limits: work(None)  # type: ignore[assignment]
        try:
            in_process = _time(lambda: evaluate(root, config_file=config), args.runs)
        finally:
            isolation.run = forked
        graph = evaluate(root, config_file=config)
    lines = len(generate(args.lines).splitlines())
    print(f"evaluate {lines}-line build file ({len(graph.runs)} run steps), {args.runs} runs")
    for name, (times, cpu) in (("isolated (forked child)", isolated), ("in-process", in_process)):
        median, fastest, slowest = (t * 1000 for t in (statistics.median(times), min(times), max(times)))
        print(f"{name}: median {median:.2f} ms  min {fastest:.2f} ms  max {slowest:.2f} ms (wall)")
        print(f"{name}: median {statistics.median(cpu) * 1000:.2f} ms CPU, parent and child")
    if args.environ_keys:
        environ(args.environ_keys)


def _time(action, runs: int) -> tuple[list[float], list[float]]:
    times, cpu = [], []
    for _ in range(runs):
        start, before = time.perf_counter(), _cpu()
        action()
        times.append(time.perf_counter() - start)
        cpu.append(_cpu() - before)
    return times, cpu


def _cpu() -> float:
    """User + system time of this process and of its waited-for children (the evaluation's child)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def environ(keys: int) -> None:
    """Evaluate and compile a file that sets `keys` runtime.environ variables."""
    from envbuild.compile import BuildTarget, compile_graph

    pairs = ", ".join(f'"K{i}": "v{i}"' for i in range(keys))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        body = f'    base(image="debian:bookworm", dev=False)\n    runtime.environ(env={{{pairs}}})\n'
        (root / "build.envd").write_text("def build():\n" + body)
        start = time.perf_counter()
        graph = evaluate(root)
        evaluated = time.perf_counter()
        compile_graph(graph, target=BuildTarget())
        done = time.perf_counter()
    took = f"evaluate {evaluated - start:.2f} s, compile {done - evaluated:.2f} s"
    print(f"{keys} runtime.environ keys: {took}")


if __name__ == "__main__":
    main()
