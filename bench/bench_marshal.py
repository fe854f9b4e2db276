"""Benchmark: marshal a 5,000-op LLB graph and print the median wall time.

Usage: `python bench/bench_marshal.py [--ops 5000] [--runs 9]`. The graph mixes what compile emits: runs
with cache and secret mounts, named file-op chains, local/image sources and merges, so the time covers
digesting, input de-duplication and metadata. Also printed: the share of the time spent in the Go-order
encoding (our op bytes vs. Python's own serialisation of the same ops). Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import time

from envbuild import llb
from envbuild._proto.pb import ops_pb2 as pb


def build_graph(ops: int) -> llb.State:
    """A chain of distinct steps with side branches, about `ops` vertices once marshalled."""
    base = llb.image("debian:bookworm")
    ctx = llb.local("ctx", exclude=[".git"])
    pip = llb.cache_mount("/root/.cache/pip", "pip", sharing="locked")
    ca = llb.secret_mount("/run/secrets/ca.crt", "ca")
    state, count, layers = base, 2, []
    while count < ops:
        i = count
        if i % 10 == 0:
            state = state.mkdir(f"/opt/{i}", parents=True, custom_name=f"dir {i}").mkfile(
                f"/opt/{i}/f", f"{i}\n", custom_name=f"dir {i}"
            )
        elif i % 25 == 1:
            layer = llb.scratch().copy(ctx, f"src/{i}", f"/layer/{i}", custom_name=f"layer {i}")
            layers.append(layer)
            state = llb.merge([state, layer], custom_name=f"merge {i}")
            count += 1
        else:
            state = state.run(
                ["bash", "-c", f"echo step {i}"],
                llb.RunOptions(mounts=[pip, ca], env={"STEP": str(i)}, custom_name=f"step {i}"),
            ).root()
        count += 1
    return state


def _time(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    state = build_graph(args.ops)
    definition = state.marshal("linux/amd64")  # warm-up
    vertices = len(getattr(definition, "def")) - 1
    marshal_s = _time(lambda: state.marshal("linux/amd64"), args.runs)

    parsed = []
    for raw in getattr(definition, "def"):
        op = pb.Op()
        op.ParseFromString(raw)
        parsed.append(op)
    go_order_s = _time(lambda: [llb.encode_op(op) for op in parsed], args.runs)
    native_s = _time(lambda: [op.SerializeToString(deterministic=True) for op in parsed], args.runs)

    print(
        f"marshal of {vertices} ops: median {marshal_s * 1000:.1f} ms over {args.runs} runs "
        f"({vertices / marshal_s:,.0f} ops/s)"
    )
    print(
        f"op encoding alone: Go order {go_order_s * 1000:.1f} ms, protobuf's own order "
        f"{native_s * 1000:.1f} ms (ratio {go_order_s / native_s:.2f})"
    )


if __name__ == "__main__":
    main()
