"""Finding the CA bundle and proxy settings that build steps need behind a corporate (TLS-intercepting) proxy.

The bundle only ever reaches build steps as a BuildKit secret (`inputs.CA_SECRET_ID`, mounted at
`steps.CA_MOUNT_PATH` with the variables apt, pip, curl, git and node read), never as a file in a layer: a
pushed image must not carry a company's CA, and a rotated CA must not bust the cache.

Where the bundle comes from, first match wins:
1. `--ca-bundle PATH` (the flag's value, checked);
2. `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`, `PIP_CERT`, `CURL_CA_BUNDLE` in the environment;
3. the system bundle (`/etc/ssl/certs/ca-certificates.crt`) when local anchors exist
   (`/usr/local/share/ca-certificates/*`, `/etc/pki/ca-trust/source/anchors/*`), i.e. when the host trusts
   CAs that a stock image would not.
Proxy variables are passed only with `--use-proxy` (as envd), through the exec's proxy environment, which
BuildKit keeps out of cache keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from envbuild.compile.inputs import CA_SECRET_ID
from envbuild.errors import EnvbuildError, UsageError

CA_ENV_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "CURL_CA_BUNDLE")
SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
ANCHOR_DIRS = (Path("/usr/local/share/ca-certificates"), Path("/etc/pki/ca-trust/source/anchors"))
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")
_PEM_MARK = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class NetworkSettings:
    """The CA bundle (if any) with where it was found, proxy variables for build steps, and notes for the
    user (e.g. a proxy on localhost, which build steps cannot reach)."""

    ca_bundle: Path | None = None
    ca_origin: str | None = None
    proxy: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    def secrets(self) -> dict[str, Path]:
        """Secret id → file, for the solve (the CA bundle only)."""
        return {CA_SECRET_ID: self.ca_bundle} if self.ca_bundle is not None else {}


def _has_certificate(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return _PEM_MARK in handle.read(4 * 1024 * 1024)
    except OSError:
        return False


def _local_anchors(dirs: Sequence[Path]) -> list[Path]:
    found = []
    for directory in dirs:
        if directory.is_dir():
            found += [p for p in sorted(directory.rglob("*")) if p.is_file() and p.suffix in (".crt", ".pem")]
    return found


def find_ca_bundle(
    flag_value: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    system_bundle: Path = SYSTEM_BUNDLE,
    anchor_dirs: Sequence[Path] = ANCHOR_DIRS,
    flag: str = "--ca-bundle",
) -> tuple[Path | None, str | None]:
    """(bundle, where it came from), or (None, None) when nothing beyond the stock trust store is needed."""
    env = os.environ if env is None else env
    if flag_value:
        path = Path(flag_value).expanduser()
        if not _has_certificate(path):
            raise UsageError(flag, flag_value, "a readable PEM file holding at least one certificate")
        return path.resolve(), flag
    for name in CA_ENV_VARS:
        value = env.get(name)
        if not value:
            continue
        path = Path(value).expanduser()
        if not _has_certificate(path):
            raise EnvbuildError(
                f"{name}={value} does not name a readable PEM file with a certificate",
                hint=f"fix or unset {name}, or pass {flag} PATH",
            )
        return path.resolve(), name
    if _local_anchors(anchor_dirs) and _has_certificate(system_bundle):
        return system_bundle, f"{system_bundle} (the host trusts local CAs)"
    return None, None


def proxy_env(env: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """Proxy variables as set on the host, both spellings (tools disagree on which one they read)."""
    env = os.environ if env is None else env
    out: dict[str, str] = {}
    for name in PROXY_VARS:
        value = env.get(name) or env.get(name.lower())
        if value:
            out[name] = value
            out[name.lower()] = value
    return tuple(sorted(out.items()))


def _loopback_notes(proxy: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    notes = []
    for name, value in proxy:
        if name.isupper() and name != "NO_PROXY":
            host = urlsplit(value if "://" in value else f"http://{value}").hostname or ""
            if host in ("localhost", "::1") or host.startswith("127."):
                notes.append(
                    f"{name}={value} points at this machine's loopback, which build steps (in their own "
                    "network namespace) cannot reach; use an address of the host they can route to"
                )
    return tuple(notes)


def discover(
    *,
    ca_bundle: str | None = None,
    use_proxy: bool = False,
    env: Mapping[str, str] | None = None,
    system_bundle: Path = SYSTEM_BUNDLE,
    anchor_dirs: Sequence[Path] = ANCHOR_DIRS,
) -> NetworkSettings:
    """Everything `build` hands the compiler and the solve for CA and proxy, resolved before any build."""
    bundle, origin = find_ca_bundle(ca_bundle, env=env, system_bundle=system_bundle, anchor_dirs=anchor_dirs)
    proxy = proxy_env(env) if use_proxy else ()
    return NetworkSettings(ca_bundle=bundle, ca_origin=origin, proxy=proxy, notes=_loopback_notes(proxy))
