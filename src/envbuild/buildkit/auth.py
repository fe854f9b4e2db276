"""Registry credentials from the user's Docker config, as `docker login` left them.

Looks in `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`): a per-registry `credHelpers` entry,
then the global `credsStore`, then inline `auths` (base64 `user:password`, or an identity token). Helpers are
the `docker-credential-<name> get` programs Docker itself calls.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Docker Hub is stored under its legacy index URL.
_HUB_KEY = "https://index.docker.io/v1/"
_HUB_HOSTS = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}


@dataclass(frozen=True)
class Credentials:
    """An empty username with a secret means an identity (refresh) token."""

    username: str = ""
    secret: str = ""


def config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def _normalise(key: str) -> str:
    key = key.strip()
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    key = key.split("/", 1)[0]
    return "docker.io" if key in _HUB_HOSTS else key


def _helper(name: str, server: str) -> Credentials:
    try:
        out = subprocess.run(
            [f"docker-credential-{name}", "get"], input=server, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return Credentials()
    if out.returncode != 0:
        return Credentials()
    try:
        data = json.loads(out.stdout)
    except ValueError:
        return Credentials()
    user, secret = data.get("Username", ""), data.get("Secret", "")
    return Credentials("" if user == "<token>" else user, secret)


def lookup(host: str, path: Path | None = None) -> Credentials:
    """Credentials for a registry host (e.g. `127.0.0.1:5000`, `registry-1.docker.io`); empty when none."""
    path = path or config_path()
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError):
        return Credentials()
    want = _normalise(host)
    server = _HUB_KEY if want == "docker.io" else want
    helpers = config.get("credHelpers") or {}
    for key, helper in helpers.items():
        if _normalise(key) == want:
            return _helper(helper, key)
    if config.get("credsStore"):
        creds = _helper(config["credsStore"], server)
        if creds.secret:
            return creds
    for key, entry in (config.get("auths") or {}).items():
        if _normalise(key) != want or not isinstance(entry, dict):
            continue
        if entry.get("identitytoken"):
            return Credentials("", entry["identitytoken"])
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except ValueError:
                return Credentials()
            return Credentials(user, password)
        if entry.get("username"):
            return Credentials(entry["username"], entry.get("password", ""))
    return Credentials()
