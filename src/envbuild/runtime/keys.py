"""The per-user SSH key pair that envbuild's dev containers accept.

One ed25519 pair under the config dir, made with the system `ssh-keygen` (the `cryptography` package is not a
dependency, and every machine that runs `ssh` has `ssh-keygen`). It is written to a temp dir and renamed into
place so an interrupted first run never leaves half a pair behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from envbuild.errors import EnvbuildError
from envbuild.paths import config_dir

KEY_NAME = "id_ed25519_envbuild"


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path

    def public_text(self) -> str:
        return self.public.read_text().strip()


def key_pair_paths() -> KeyPair:
    base = config_dir() / "ssh"
    return KeyPair(base / KEY_NAME, base / f"{KEY_NAME}.pub")


def given_key_pair(private: Path, flag: str = "--private-key") -> KeyPair:
    """The user's own pair (envd's `--private-key`): the public half must sit beside it as `<file>.pub`."""
    from envbuild.errors import UsageError

    private = private.expanduser()
    public = private.with_name(private.name + ".pub")
    if not private.is_file():
        raise UsageError(flag, str(private), "a private key file that exists")
    if not public.is_file():
        raise UsageError(flag, str(private), f"a private key with its public key beside it (no {public})")
    return KeyPair(private.resolve(), public.resolve())


def ensure_key_pair() -> KeyPair:
    """Return the pair, creating it if either half is missing."""
    pair = key_pair_paths()
    if pair.private.is_file() and pair.public.is_file():
        return pair
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        raise EnvbuildError(
            "ssh-keygen is not installed, so no SSH key can be made for the environment",
            hint="install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client)",
        )
    pair.private.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(pair.private.parent, 0o700)
    with tempfile.TemporaryDirectory(dir=pair.private.parent, prefix=".keygen-") as tmp:
        tmp_key = Path(tmp) / KEY_NAME
        result = subprocess.run(
            [keygen, "-q", "-t", "ed25519", "-N", "", "-C", "envbuild", "-f", str(tmp_key)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise EnvbuildError(f"ssh-keygen failed: {result.stderr.strip() or result.returncode}")
        os.replace(tmp_key.with_suffix(".pub"), pair.public)
        os.replace(tmp_key, pair.private)
    return pair
