"""A buildkitd of the test's own (state in a temporary directory, its own socket), whose whole cache the test
may prune: the shared daemons' caches belong to everyone else running tests at the same time.

It runs the fixture binary `../shared/bin/buildkitd` with Debian's runc and host networking (so build steps
reach servers the test starts on 127.0.0.1) and pulls base images from the plain-HTTP local registry. Where
the fixture is absent (a user's machine) the caller skips.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
SHARED_BIN = CHECKOUT.parent / "shared" / "bin"
REGISTRY = "127.0.0.1:5000"


def missing() -> str | None:
    """Why no dedicated buildkitd can run here, or None."""
    if not (SHARED_BIN / "buildkitd").is_file():
        return f"no {SHARED_BIN}/buildkitd (a CI test fixture; nothing here may download it)"
    if shutil.which("runc") is None:
        return "no runc for buildkitd's OCI worker"
    return None


@contextmanager
def dedicated_buildkitd(state: Path) -> Iterator[str]:
    """Start buildkitd with its root under `state`; yields its address; stops it (by its own pid)."""
    state.mkdir(parents=True, exist_ok=True)
    (state / "buildkitd.toml").write_text(f'[registry."{REGISTRY}"]\n  http = true\n')
    socket = state / "buildkitd.sock"
    log = (state / "buildkitd.log").open("w")
    process = subprocess.Popen(
        [
            str(SHARED_BIN / "buildkitd"),
            "--root",
            str(state / "root"),
            "--addr",
            f"unix://{socket}",
            "--config",
            str(state / "buildkitd.toml"),
            "--otel-socket-path",
            str(state / "otel.sock"),
            "--oci-worker-net=host",
            "--oci-worker-binary",
            shutil.which("runc") or "runc",
            "--containerd-worker=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    address = f"unix://{socket}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(address):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"buildkitd did not start: {(state / 'buildkitd.log').read_text()[-2000:]}"
                )
            time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()
        subprocess.run(["umount", "-R", str(state / "root")], capture_output=True)


def _answers(address: str) -> bool:
    from envbuild.buildkit import connect

    try:
        with connect(address) as client:
            client.info()
        return True
    except Exception:  # not up yet: any failure to answer
        return False
