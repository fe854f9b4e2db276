"""Benchmark: evaluate a generated 300-line build file and print the median time (wall and CPU).

Usage: `python bench/bench_eval.py [--lines 300] [--runs 50]`. The target is well under 50 ms per evaluation
(envd's own Go interpreter is the yardstick users know). Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from envbuild.lang import evaluate


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "build.envd").write_text(generate(args.lines))
        config = root / "empty-config.envd"
        config.write_text("")
        evaluate(root, config_file=config)  # warm-up: imports and first-use costs
        times, cpu = [], []
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            graph = evaluate(root, config_file=config)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    lines = len(generate(args.lines).splitlines())
    print(f"evaluate {lines}-line build file ({len(graph.runs)} run steps), {args.runs} runs")
    median, fastest, slowest = (t * 1000 for t in (statistics.median(times), min(times), max(times)))
    print(f"median {median:.2f} ms  min {fastest:.2f} ms  max {slowest:.2f} ms (wall)")
    print(f"median {statistics.median(cpu) * 1000:.2f} ms CPU (less sensitive to a busy machine)")


if __name__ == "__main__":
    main()
