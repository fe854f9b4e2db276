"""A lock's pins reach the LLB as data, with no daemon: `envbuild debug llb` prints what a build with
envbuild.lock sends (base at its digest, download checksums, one --require-hashes install, the label)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

from envbuild import contract
from envbuild.lock import Lock, LockedBase, LockedDownload, LockedPackage, LockedPython, file_digest, write

D1, D2, D3 = ("sha256:" + c * 64 for c in "abc")
URL = "http://127.0.0.1:9/data.bin"
BUILD = f"""
def build():
    base(image="debian:bookworm")
    install.python()
    install.python_packages(name=["six"])
    io.http(url="{URL}")
"""


def debug_llb(project):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "envbuild.cli",
            "debug",
            "llb",
            "-p",
            str(project),
            "--platform",
            "linux/amd64",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_debug_llb_applies_the_lock(tmp_path):
    (tmp_path / "build.envd").write_text(BUILD)
    unlocked = debug_llb(tmp_path).stdout
    lock = Lock(
        build_file="build.envd",
        function="build",
        bases=(LockedBase("debian:bookworm", "linux/amd64", D1),),
        downloads=(LockedDownload(URL, D2),),
        python=(LockedPython("linux/amd64", "3.11", ("six",), (LockedPackage("six", "1.17.0", (D3,)),)),),
    )
    write(tmp_path / "envbuild.lock", lock)
    done = debug_llb(tmp_path)
    locked = done.stdout
    assert done.stderr == ""  # no drift to report
    assert f"debian:bookworm@{D1}" in locked and f"debian:bookworm@{D1}" not in unlocked
    assert f'"http.checksum": "{D2}"' in locked
    assert "--require-hashes -r /run/envbuild/lock/requirements.txt" in locked
    assert "pip install 1 packages pinned by envbuild.lock" in locked and "pip install six" not in locked
    requirements = base64.b64encode(f"six==1.17.0 \\\n    --hash={D3}\n".encode()).decode()
    assert f'"data": "{requirements}"' in locked  # the file the install step reads
    assert (
        json.dumps(contract.LOCK_LABEL) + ": " + json.dumps(file_digest(tmp_path / "envbuild.lock")) in locked
    )


def test_a_drift_is_reported_and_that_part_follows_the_build_file(tmp_path):
    (tmp_path / "build.envd").write_text(BUILD.replace('["six"]', '["six", "requests"]'))
    write(
        tmp_path / "envbuild.lock",
        Lock(
            build_file="build.envd",
            function="build",
            bases=(LockedBase("debian:bookworm", "linux/amd64", D1),),
            downloads=(LockedDownload(URL, D2),),
            python=(LockedPython("linux/amd64", "3.11", ("six",), (LockedPackage("six", "1.17.0", (D3,)),)),),
        ),
    )
    done = debug_llb(tmp_path)
    assert "envbuild.lock does not match the build file" in done.stderr
    assert "+ python input requests" in done.stderr
    assert "pip install six requests" in done.stdout and "--require-hashes" not in done.stdout
    assert f"debian:bookworm@{D1}" in done.stdout  # what does match still follows the lock
    assert contract.LOCK_LABEL not in done.stdout  # the image is not what the lock describes
