"""Python packages resolved with hashes for a target Python and platform: `uv pip compile` on this host.

Why uv from PyPI on the host rather than uv inside BuildKit: resolving is a question about index metadata,
not about the image, and uv answers it for another interpreter and platform (`--python-version`,
`--python-platform`) without having that interpreter. On the host it takes about a second and needs no
image: inside BuildKit it would first need the environment's Python built to install uv into. The result is
installed inside BuildKit by the same uv release (`compile.python_packages.UV_VERSION`, checked here) with
`--require-hashes`, so the files installed are byte for byte the files resolved, whichever network fetched
them. The index options are the build's own (`config.pip_index`, the PyTorch index of `install.cuda`).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from envbuild.compile.python_packages import UV_VERSION
from envbuild.errors import EnvbuildError
from envbuild.lock.model import LockedPackage, LockedPython
from envbuild.lock.wants import PythonWants
from envbuild.paths import cache_dir

#: uv's target triples for the platforms envbuild builds (glibc: the base images envd users start from)
UV_PLATFORMS = {"linux/amd64": "x86_64-unknown-linux-gnu", "linux/arm64": "aarch64-unknown-linux-gnu"}
_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")
TIMEOUT = 600


def uv_binary() -> str:
    """The uv executable of the `uv` distribution envbuild depends on."""
    try:
        from uv import find_uv_bin
    except ImportError:
        raise EnvbuildError(
            "envbuild lock needs uv to resolve Python packages, and the `uv` package is not installed",
            hint=f"pip install 'uv=={UV_VERSION}' into envbuild's environment",
        ) from None
    return find_uv_bin()


def resolver_version(uv: str) -> str:
    done = subprocess.run([uv, "--version"], capture_output=True, text=True, timeout=60, check=False)
    return done.stdout.split()[1] if done.returncode == 0 and len(done.stdout.split()) > 1 else "unknown"


def resolve(
    wants: PythonWants,
    platform: str,
    *,
    previous: LockedPython | None = None,
    upgrade: bool | Sequence[str] = False,
    ca_bundle: Path | None = None,
) -> LockedPython:
    """Resolve `wants` for `platform`. Versions in `previous` are kept where they still fit (uv reads them as
    preferences), except every package when `upgrade` is True, or the named ones."""
    if wants.unlockable:
        raise EnvbuildError(
            f"the Python packages cannot be locked: {wants.unlockable}", location=wants.location
        )
    triple = UV_PLATFORMS.get(platform)
    if triple is None:
        raise EnvbuildError(
            f"envbuild lock resolves Python packages for {', '.join(UV_PLATFORMS)}, not {platform}",
            hint="lock for one of those platforms with --platform",
        )
    uv = uv_binary()
    version = resolver_version(uv)
    with tempfile.TemporaryDirectory(prefix="envbuild-lock-") as work:
        work_dir = Path(work)
        (work_dir / "requirements.in").write_text("\n".join(wants.requirements) + "\n", encoding="utf-8")
        out = work_dir / "requirements.txt"
        if previous is not None and upgrade is not True:
            out.write_text(previous.requirements(), encoding="utf-8")
        args = [
            uv,
            "pip",
            "compile",
            "requirements.in",
            "--output-file",
            "requirements.txt",
            "--generate-hashes",
            "--python-version",
            wants.python,
            "--python-platform",
            triple,
            "--no-header",
            "--no-annotate",
            "--quiet",
            "--no-config",
            "--index-strategy",
            "unsafe-best-match",
            "--cache-dir",
            str(cache_dir() / "uv"),
        ]
        if wants.index_url:
            args += ["--index-url", wants.index_url]
        for url in wants.extra_index_urls:
            args += ["--extra-index-url", url]
        for host in wants.trusted_hosts:
            args += ["--allow-insecure-host", host]
        for link in wants.find_links:
            args += ["--find-links", link]
        if wants.prerelease:
            args += ["--prerelease", "allow"]
        if upgrade is True:
            args.append("--upgrade")
        elif upgrade:
            args += [f"--upgrade-package={name}" for name in upgrade]
        env = dict(os.environ, UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
        if ca_bundle is not None:
            env["SSL_CERT_FILE"] = str(ca_bundle)
        try:
            done = subprocess.run(
                args, cwd=work_dir, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise EnvbuildError(f"resolving the Python packages took more than {TIMEOUT} s") from None
        if done.returncode != 0:
            detail = "\n".join(line for line in done.stderr.strip().splitlines()[-15:])
            raise EnvbuildError(
                f"the Python packages cannot be resolved for Python {wants.python} on {platform}:\n{detail}",
                location=wants.location,
            )
        packages = parse_requirements(out.read_text(encoding="utf-8"), local=wants.wheels)
    return LockedPython(
        platform=platform,
        python=wants.python,
        inputs=wants.inputs,
        packages=packages,
        resolver=f"uv {version}",
    )


def parse_requirements(text: str, *, local: Sequence[str] = ()) -> tuple[LockedPackage, ...]:
    """uv's hashed output → packages, sorted by name. The project's own local wheels are left out (installed
    from the project); any other requirement that is not `name==version` cannot be locked by hash."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("--hash") else raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        current += " " + line.rstrip("\\").strip()
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    if current.strip():
        logical.append(current.strip())
    packages = []
    for entry in logical:
        words = entry.split()
        spec = words[0]
        hashes = tuple(w.removeprefix("--hash=") for w in words if w.startswith("--hash="))
        match = _PINNED.match(spec)
        if match:
            packages.append(LockedPackage(_normalise(match.group(1)), match.group(2), tuple(sorted(hashes))))
            continue
        if " @ file:" in entry or any(path in entry for path in local):
            continue
        requirement = entry.split(" --hash")[0]
        raise EnvbuildError(
            f"the resolved requirement `{requirement}` is not a name==version from an index, so it cannot "
            "be locked by hash",
            hint="install it from an index, or with run() after the locked packages",
        )
    return tuple(sorted(packages, key=lambda p: p.name))


def _normalise(name: str) -> str:
    """PEP 503 normalised name: what pip and uv compare."""
    return re.sub(r"[-_.]+", "-", name).lower()
