"""Horust, the supervisor that is PID 1 of every dev image: its service files and where its binary comes from.

One TOML file per process in `/etc/horust/services` (Horust's default services path). Horust shell-expands
the whole file (`$VAR`, `${VAR}`) before parsing it and splits `command` with shlex, so a user's command is
never put in the TOML: it goes into a script under `/etc/envbuild/services/` and the service runs
`/bin/bash <script>`. The TOML then holds only paths and names we choose, and a `'` or `$` in a daemon works.

Order: `runtime.init` entries run first; jupyter and the daemons `start-after` all of them. Horust counts a
dependency as started when it is Running or Finished, and a service without a health check is Running as soon
as it is spawned, so each init service announces completion by creating a ready file that is its
`healthiness.file-path`. sshd does not wait for the inits: a failing init must not lock the user out of the
container that could show why it failed.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import tomli_w

SERVICE_DIR = "/etc/horust/services"
SCRIPT_DIR = "/etc/envbuild/services"
LOG_DIR = "/var/log/horust"
RUN_DIR = "/var/run/horust"
BINARY_PATH = "/usr/local/bin/horust"
ENTRYPOINT = (BINARY_PATH, "--services-path", SERVICE_DIR)
SSHD_CONFIG = "/etc/envbuild/sshd_config"
#: the name of the step that downloads a Horust release (the builder recognises its failures by it)
FETCH_STEP = "[internal] fetch Horust"


@dataclass(frozen=True)
class Restart:
    """Horust's `[restart]` table: `strategy` always | on-failure | never."""

    strategy: Literal["always", "on-failure", "never"] = "on-failure"
    backoff: str = "1s"
    attempts: int = 3


@dataclass(frozen=True)
class ServiceFile:
    """A file the dev layer writes into the image."""

    path: str
    content: str
    mode: int


@dataclass(frozen=True)
class Service:
    """One supervised process. `script` is the bash text the process runs (kept out of the TOML)."""

    name: str
    script: str
    user: str
    working_directory: str
    start_after: tuple[str, ...] = ()
    restart: Restart = field(default_factory=Restart)
    environment: tuple[tuple[str, str], ...] = ()  # exported by the script: Horust would expand a `$` in TOML
    ready_file: str | None = None  # set for init services: created when the script has finished

    @property
    def script_path(self) -> str:
        return f"{SCRIPT_DIR}/{self.name}.sh"

    @property
    def service_path(self) -> str:
        return f"{SERVICE_DIR}/{self.name}.toml"

    def document(self) -> dict[str, Any]:
        """The service as Horust's TOML keys (None values dropped before writing)."""
        doc: dict[str, Any] = {
            "name": self.name,
            "command": f"/bin/bash {self.script_path}",
            "user": self.user,
            "working-directory": self.working_directory,
            "start-after": list(self.start_after) or None,
            "stdout": f"{LOG_DIR}/{self.name}_stdout.log",
            "stderr": f"{LOG_DIR}/{self.name}_stderr.log",
            "restart": {
                "strategy": self.restart.strategy,
                "backoff": self.restart.backoff,
                "attempts": self.restart.attempts,
            },
            "healthiness": {"file-path": self.ready_file} if self.ready_file else None,
            "environment": {"keep-env": True},
            "termination": {"signal": "TERM", "wait": "5s"},
        }
        return _drop_none(doc)

    def toml(self) -> str:
        return tomli_w.dumps(self.document())

    def files(self) -> tuple[ServiceFile, ServiceFile]:
        exports = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in self.environment)
        body = exports + self.script
        if self.ready_file:
            body = f"{body.rstrip()}\ntouch {shlex.quote(self.ready_file)}\n"
        script = f"# envbuild: horust service {self.name}\nset -euo pipefail\n{body}"
        return (
            ServiceFile(self.script_path, script, 0o755),
            ServiceFile(self.service_path, self.toml(), 0o644),
        )


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def sshd_service(*, user: str, script: str) -> Service:
    """The SSH server: never waits for inits, restarted whatever its exit, as sshd is how the user gets in."""
    return Service(name="sshd", script=script, user=user, working_directory="/",
                   restart=Restart(strategy="always", backoff="1s", attempts=10))


def jupyter_service(
    *, token: str | None, port: int, project_dir: str, user: str, after: Sequence[str], as_root: bool = False
) -> Service:
    """Jupyter on `port`, never open unless `token == ""` was asked for.

    token None: no token option at all, so Jupyter uses JUPYTER_TOKEN from the container's environment (what
    `envbuild up` sets) or generates one and logs it; a given token is exported by the service script (never
    put where Horust's `$` expansion or the command line would see it).
    """
    args = [
        "python3", "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=0.0.0.0", f"--ServerApp.port={port}", f"--ServerApp.root_dir={project_dir}",
    ]
    if as_root:
        args.append("--allow-root")
    env: tuple[tuple[str, str], ...] = ()
    if token == "":
        args += ["--ServerApp.token=", "--ServerApp.password="]
    elif token is not None:
        env = (("JUPYTER_TOKEN", token),)
    return Service(name="jupyter", script="exec " + shlex.join(args) + "\n", user=user,
                   working_directory=project_dir, start_after=tuple(after), environment=env)


def init_service(index: int, commands: Sequence[str], *, user: str, project_dir: str) -> Service:
    """One `runtime.init(commands)` call: runs once, in order, and reports done through its ready file."""
    name = f"init_{index}"
    return Service(name=name, script="\n".join(commands) + "\n", user=user, working_directory=project_dir,
                   restart=Restart(strategy="never", backoff="0s", attempts=0),
                   ready_file=f"{RUN_DIR}/{name}.ready")


def daemon_service(index: int, args: Sequence[str], *, user: str, project_dir: str,
                   after: Sequence[str]) -> Service:
    """One `runtime.daemon(commands=[...])` entry.

    Several elements are an argv, exec'd exactly (envd joins them with spaces and lets Horust split again, so
    an argument with a space breaks there). A single element is a command line, as envd users write
    `["python3 -m http.server"]`: exec'd when it is a plain command, run by bash when it uses shell syntax.
    """
    if len(args) == 1:
        line = args[0].strip()
        script = f"{line}\n" if _uses_shell_syntax(line) else f"exec {line}\n"
    else:
        script = "exec " + shlex.join(args) + "\n"
    return Service(name=f"daemon_{index}", script=script, user=user, working_directory=project_dir,
                   start_after=tuple(after))


RSERVER = "/usr/lib/rstudio-server/bin/rserver"


def rstudio_service(*, user: str, project_dir: str, after: Sequence[str]) -> Service:
    """`config.rstudio_server()`: RStudio Server as envd starts it (`sudo rserver`, port 8787), kept in the
    foreground so Horust supervises it rather than a daemonised copy. Like envd, the image must bring
    RStudio Server itself (a base image with it, or `run()`); without it the service log says so."""
    script = (
        f"if [ ! -x {RSERVER} ]; then\n"
        f"  echo 'config.rstudio_server(): {RSERVER} is not installed in this image' >&2\n"
        "  exit 1\n"
        "fi\n"
        f"exec sudo {RSERVER} --server-daemonize=0\n"
    )
    return Service(name="rstudio", script=script, user=user, working_directory=project_dir,
                   start_after=tuple(after))


def _uses_shell_syntax(line: str) -> bool:
    """Operators outside quotes, expansions or several lines: then bash runs the line instead of exec."""
    if "$" in line or "`" in line or "\n" in line:
        return True
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return any(token and set(token) <= set("();<>|&") for token in lexer)
    except ValueError:  # unbalanced quotes: let bash report it in the service log
        return True


def dev_services(
    *,
    user: str,
    project_dir: str,
    sshd_script: str,
    as_root: bool = False,
    jupyter_token: str | None = None,
    jupyter_port: int | None = None,
    daemons: Sequence[Sequence[str]] = (),
    inits: Sequence[Sequence[str]] = (),
    rstudio: bool = False,
) -> tuple[Service, ...]:
    """Every service of a dev image, in a stable order: sshd, inits, daemons, jupyter, rstudio.

    `jupyter_port` None means no Jupyter (`config.jupyter` not called).
    """
    init = tuple(init_service(i, cmds, user=user, project_dir=project_dir) for i, cmds in enumerate(inits))
    after = tuple(s.name for s in init)
    services = [sshd_service(user=user, script=sshd_script), *init]
    services += [daemon_service(i, args, user=user, project_dir=project_dir, after=after)
                 for i, args in enumerate(daemons)]
    if jupyter_port is not None:
        services.append(jupyter_service(token=jupyter_token, port=jupyter_port, project_dir=project_dir,
                                        user=user, as_root=as_root, after=after))
    if rstudio:
        services.append(rstudio_service(user=user, project_dir=project_dir, after=after))
    return tuple(services)


# --- where the Horust binary comes from (decided by the builder, read here) ---------------------------

@dataclass(frozen=True)
class HorustSource:
    """Where the dev image's Horust binary comes from.

    kind "release": a tar.gz release asset fetched by BuildKit as an http source, verified by `checksum`, the
    binary `member` extracted from it. kind "file": a local file sent as a local source named
    `local_name` from directory `local_dir`. kind "image": `path` copied out of image `ref`.
    """

    kind: Literal["release", "file", "image"]
    url: str | None = None
    checksum: str | None = None
    member: str = "horust"
    path: str | None = None
    ref: str | None = None
    version: str | None = None

    local_name = "envbuild-horust"

    @property
    def local_dir(self) -> str:
        """kind "file": the directory sent as the local source `local_name`."""
        assert self.path is not None
        return self.path.rpartition("/")[0] or "/"

    @property
    def local_file(self) -> str:
        """kind "file": the binary's name in `local_dir`."""
        assert self.path is not None
        return self.path.rpartition("/")[2]

    def describe(self) -> str:
        if self.kind == "release":
            return f"Horust {self.version} release ({self.url})"
        if self.kind == "file":
            return f"local Horust file {self.path}"
        return f"Horust from image {self.ref}:{self.path}"
