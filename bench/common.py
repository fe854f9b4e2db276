"""Helpers the benchmarks share: timing, a reproducible file tree, external tools, and the ratio line.

Benchmarks run by hand (`.venv/bin/python bench/<name>.py`), never under pytest: they print medians and
ratios against a reference tool and assert nothing about time.
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000


@dataclass(frozen=True)
class Timing:
    """Wall-clock samples of one measured action, in seconds."""

    label: str
    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def __str__(self) -> str:
        spread = (
            f"min {min(self.samples):.2f}s, max {max(self.samples):.2f}s" if len(self.samples) > 1 else ""
        )
        return f"{self.label}: median {self.median:.2f}s over {len(self.samples)} runs" + (
            f" ({spread})" if spread else ""
        )


def print_ratio(ours: Timing, reference: Timing, *, per_run_bytes: int | None = None) -> float:
    """Print both medians, the ratio ours / reference (< 1: we are faster) and, given bytes, MB/s."""
    ratio = ours.median / reference.median
    for timing in (ours, reference):
        line = str(timing)
        if per_run_bytes:
            line += f", {per_run_bytes / MB / timing.median:.0f} MB/s"
        print(line)
    print(f"ratio {ours.label} / {reference.label}: {ratio:.2f}")
    return ratio


def make_tree(root: Path, total_bytes: int, *, seed: int = 42) -> tuple[int, int]:
    """Fill `root` with about `total_bytes` of incompressible files of mixed sizes; return (files, bytes).

    A fifth of the bytes are small files (0.5-16 kB, as in source trees), half are medium (64 kB-1 MB,
    wheels and assets) and the rest a few large blobs (5-20 MB, datasets and weights), spread over nested
    directories, so per-file overhead and raw throughput both count.
    """
    rng = random.Random(seed)
    buckets = ((0.2, 512, 16_000), (0.5, 64_000, 1_000_000), (0.3, 5 * MB, 20 * MB))
    files = written = 0
    for share, low, high in buckets:
        budget = int(total_bytes * share)
        while budget > 0:
            size = min(budget, rng.randint(low, high))
            folder = root / f"d{rng.randrange(40):02}" / f"s{rng.randrange(8)}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{files:06}.bin").write_bytes(rng.randbytes(size))
            files += 1
            written += size
            budget -= size
    return files, written


def make_small_tree(root: Path, count: int, *, seed: int = 42, linked: float = 0.05) -> tuple[int, int]:
    """`count` small files (0.1-4 kB, as in source trees and site-packages) in nested directories, a share
    `linked` of them hard links to earlier ones (as package managers' stores make); return (files, bytes)."""
    rng = random.Random(seed)
    made: list[Path] = []
    written = 0
    for i in range(count):
        folder = root / f"p{rng.randrange(30):02}" / f"m{rng.randrange(20):02}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"f{i:06}.py"
        if made and rng.random() < linked:
            source = rng.choice(made)
            path.hardlink_to(source)
            written += source.stat().st_size
        else:
            size = rng.randint(100, 4000)
            path.write_bytes(rng.randbytes(size))
            made.append(path)
            written += size
    return count, written


def tool(name: str, install_hint: str) -> str:
    """The path of an external program, or exit with a sentence on how to get it."""
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} not found: {install_hint}")
    return path


def run(args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command; with `check`, exit with its output on failure (a failed build measures nothing)."""
    result = subprocess.run(list(args), capture_output=True, text=True)
    if check and result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result
