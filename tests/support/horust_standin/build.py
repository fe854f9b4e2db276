"""Build the Horust STAND-IN (horust_standin.c) that tests pass to envbuild as a local Horust binary.

Horust itself cannot be downloaded on the test machines. The stand-in is compiled statically so it runs in
any Linux image, whatever C library it has. The host gcc is used when there is one; otherwise the compiler
runs in a throw-away container of the local base image (the Debian mirror is reachable from containers).
The result is cached by source hash, so one compile serves the whole test session and later runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("horust_standin.c")
BASE_IMAGE = "docker.io/library/debian:bookworm"


def standin_path() -> Path:
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "envbuild-test-horust-standin" / digest / "horust"


def build_standin() -> Path:
    """Path of the compiled stand-in, compiling it if this source version has not been compiled yet."""
    target = standin_path()
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    if shutil.which("gcc"):
        _compile_on_host(partial)
    else:
        _compile_in_container(partial)
    partial.chmod(0o755)
    partial.replace(target)
    return target


def _compile_on_host(out: Path) -> None:
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-o", str(out), str(SOURCE)], check=True,
                   capture_output=True, text=True)


def _compile_in_container(out: Path) -> None:
    script = (
        "set -e; apt-get update -qq >/dev/null; "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev "
        ">/dev/null; "
        "gcc -static -O2 -Wall -o /out/horust /src/horust_standin.c"
    )
    subprocess.run(
        ["docker", "run", "--rm", "--name", f"envbuild-test-standin-cc-{os.getpid()}",
         "-v", f"{SOURCE.parent}:/src:ro", "-v", f"{out.parent}:/out", BASE_IMAGE, "sh", "-c", script],
        check=True, capture_output=True, text=True, timeout=600,
    )
    (out.parent / "horust").replace(out)
