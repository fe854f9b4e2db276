"""How every build step runs: one place that gives each `RUN` the CA bundle, the proxy and a real shell.

envd builds each command as `bash -c '<text>'` through a shell-word splitter, so a `'` in a user's command
breaks the build, and its proxy settings reach only some steps. Here a step is an argv (`bash -c SCRIPT`, the
script passed as one argument, never re-quoted), and every step gets the same environment:

* the CA bundle as a **secret mount** (never a layer) with the variables that pip, requests, curl, OpenSSL,
  git, conda and node read, so an intercepting proxy's certificate is trusted in every step and in none of the
  image layers;
* proxy variables in the exec's proxy environment, which BuildKit keeps out of the cache key, so turning a
  proxy on or off does not invalidate the cache.

A step of envbuild's own that needs no network (`offline=True`: directories, ownership) runs without one:
on Docker's BuildKit a step with the default network waits ~0.1 s for its sandbox's network to be set up.
User commands keep the default network, as in envd.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from envbuild import llb
from envbuild.compile.inputs import CA_SECRET_ID

CA_MOUNT_PATH = "/run/secrets/envbuild-ca.crt"
CA_ENV_VARS = (
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "NODE_EXTRA_CA_CERTS",
    "PIP_CERT",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
)
SHELL_PRELUDE = "set -euo pipefail\n"


@dataclass(frozen=True)
class StepEnv:
    """What every step shares: the CA secret (if any), proxy variables, and the cache-id scope.

    `scope` is `<env>-cpu` or `<env>-gpu`: persistent cache mounts are keyed by it.
    """

    scope: str
    ca_bundle: bool = False
    proxy: tuple[tuple[str, str], ...] = field(default=())
    ignore_cache: bool = False

    def ca_env(self) -> dict[str, str]:
        if not self.ca_bundle:
            return {}
        env = {name: CA_MOUNT_PATH for name in CA_ENV_VARS}
        return env

    def secret_mounts(self) -> list:
        if not self.ca_bundle:
            return []
        return [llb.secret_mount(CA_MOUNT_PATH, CA_SECRET_ID, mode=0o444)]

    def sh(
        self,
        state: llb.State,
        script: str,
        *,
        name: str,
        mounts: list | None = None,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        location=None,
        offline: bool = False,
    ) -> llb.State:
        """Run `script` under `bash -euo pipefail` and return the new root filesystem."""
        return self.exec(
            state,
            ["bash", "-c", SHELL_PRELUDE + script],
            name=name,
            mounts=mounts,
            env=env,
            cwd=cwd,
            user=user,
            location=location,
            offline=offline,
        )

    def exec(
        self,
        state: llb.State,
        args: list[str],
        *,
        name: str,
        mounts: list | None = None,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        location=None,
        offline: bool = False,
    ) -> llb.State:
        """Run `args`; an `offline` step gets no network, so neither the CA bundle nor the proxy."""
        step_env = {**(self.ca_env() if not offline else {}), **(env or {})}
        all_mounts = [*(self.secret_mounts() if not offline else []), *(mounts or [])]
        run = state.run(
            args,
            llb.RunOptions(
                env=step_env or None,
                cwd=cwd,
                user=user,
                mounts=all_mounts,
                custom_name=name,
                proxy_env=(dict(self.proxy) or None) if not offline else None,
                ignore_cache=self.ignore_cache,
                location=location,
                network="none" if offline else "sandbox",
            ),
        )
        return run.root()


def step_location(location):
    """A graph `Location` as a BuildKit source-map entry, so a failing step is reported at its build-file
    line. The file's text is left out: the CLI has it, and the LLB stays the same when only comments
    change."""
    if location is None:
        return None
    from envbuild.llb.sourcemap import SourceMap

    return SourceMap(location.file).location(location.line, max(location.column - 1, 0))
