"""The graph's node types: one frozen dataclass per thing a build file can ask for.

Every value is plain data (str, int, bool, None, tuples of these, nested nodes) so the graph serialises to
JSON and back without loss, and the compile stage never sees a Starlark object. Lists are tuples in the order
the build file produced them; steps that the build file wrote carry the `Location` of the call that made
them (`envbuild.errors.Location`, with the source line), so a failing build step or a later stage's error
points back at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envbuild.errors import Location

DEFAULT_IMAGE = "ubuntu:22.04"
DEFAULT_SHELL = "bash"
DEFAULT_CUDNN = "8"


@dataclass(frozen=True)
class Project:
    """What was evaluated. `dir` is the absolute project directory (the build context); every relative host
    path in the graph (io.copy sources, requirements files, wheels, env files) resolves against it, as in
    envd. `build_file` is relative to `dir`."""

    name: str
    dir: str
    build_file: str = "build.envd"
    function: str = "build"

    def host_path(self, path: str) -> Path:
        """A host path from the build file (io.copy source, requirements, wheels) as an absolute path."""
        return Path(self.dir, path)


@dataclass(frozen=True)
class Base:
    image: str = DEFAULT_IMAGE
    dev: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class Language:
    """`install.python/r_lang/julia/rust/go/nodejs`; `version` None means the installer's default/latest."""

    name: str
    version: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class CodeAgent:
    """`install.codex`: a coding agent installed from a release; `version` None means the latest."""

    name: str
    version: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Conda:
    """`install.conda`, plus the `config.conda_channel` .condarc text when set."""

    use_mamba: bool = False
    channel: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class UV:
    python_version: str = "3.11"
    location: Location | None = None


@dataclass(frozen=True)
class Pixi:
    use_pixi_mirror: bool = False
    pypi_index: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Cuda:
    version: str
    cudnn: str | None = DEFAULT_CUDNN
    location: Location | None = None


@dataclass(frozen=True)
class PackageInstall:
    """One `install.apt_packages` / `r_packages` / `julia_packages` call."""

    names: tuple[str, ...]
    location: Location | None = None


@dataclass(frozen=True)
class PythonPackageInstall:
    """One `install.python_packages` call; `requirements` and `local_wheels` are host paths as written."""

    names: tuple[str, ...] = ()
    requirements: str | None = None
    local_wheels: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True)
class CondaPackageInstall:
    names: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    env_file: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class VSCodeExtension:
    """`publisher.extension[-version]` split as envd does."""

    publisher: str
    extension: str
    version: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Packages:
    """Package installs per kind, each a tuple of calls in call order."""

    apt: tuple[PackageInstall, ...] = ()
    python: tuple[PythonPackageInstall, ...] = ()
    conda: tuple[CondaPackageInstall, ...] = ()
    r: tuple[PackageInstall, ...] = ()
    julia: tuple[PackageInstall, ...] = ()
    vscode: tuple[VSCodeExtension, ...] = ()

    def apt_names(self) -> tuple[str, ...]:
        """All apt package names, first occurrence kept, for a single `apt-get install`."""
        return _unique(name for call in self.apt for name in call.names)


@dataclass(frozen=True)
class PipIndex:
    url: str
    extra_url: str | None = None
    trust: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class Jupyter:
    """`config.jupyter`. `token` None means not given: the server still requires a token (JUPYTER_TOKEN at
    start, else one Jupyter generates); only an explicit `token=""` makes an open server. `port` is the port
    the user asked for (envd publishes it on the host); 0 = not given (use the default)."""

    token: str | None = None
    port: int = 0
    location: Location | None = None


@dataclass(frozen=True)
class Repo:
    url: str
    description: str = ""


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


@dataclass(frozen=True)
class Config:
    """`config.*` values; None means "not set, use the default"."""

    apt_source: str | None = None
    pip_index: PipIndex | None = None
    jupyter: Jupyter | None = None
    rstudio_server: bool = False
    gpu: int = 0
    shm_size: int = 0
    cran_mirror: str | None = None
    julia_pkg_server: str | None = None
    entrypoint: tuple[str, ...] = ()
    repo: Repo | None = None
    owner: Owner | None = None


@dataclass(frozen=True)
class Copy:
    """`io.copy`: `source` is a host path as written (relative → project dir) unless `image` is set, in which
    case it is a path inside that image. `target` is a container path as written (relative → working dir)."""

    source: str
    target: str
    image: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class HttpDownload:
    """`io.http`: downloaded to `/home/envd/extra_source/<filename>`; `filename` defaults to the last segment
    of the URL path. `checksum` is an OCI digest (`sha256:<hex>`, validated) when given."""

    url: str
    filename: str
    checksum: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Run:
    """One `run()` call: shell commands run in one build step, in call order among runs."""

    commands: tuple[str, ...]
    mount_host: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class GitConfig:
    name: str = ""
    email: str = ""
    editor: str = ""
    location: Location | None = None


@dataclass(frozen=True)
class RuntimeCommand:
    name: str
    command: str


@dataclass(frozen=True)
class Daemon:
    args: tuple[str, ...]
    location: Location | None = None


@dataclass(frozen=True)
class Expose:
    envd_port: int
    host_port: int = 0
    service: str = ""
    listen_addr: str = "127.0.0.1"
    location: Location | None = None


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str


@dataclass(frozen=True)
class Mount:
    """`runtime.mount`. `host_path` is as written (`~` not expanded: the host user's home, known only at run
    time); `data_source` names an envd-managed data set (`data.envd("name")`) instead of a host path.
    `envd_path` has `~` expanded to the envd home."""

    envd_path: str
    host_path: str | None = None
    data_source: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class InitCommands:
    commands: tuple[str, ...]
    location: Location | None = None


@dataclass(frozen=True)
class Runtime:
    """`runtime.*`: what `up` applies when it starts the container; nothing here changes the image itself
    except through the compile stage's supervisor config."""

    commands: tuple[RuntimeCommand, ...] = ()
    daemons: tuple[Daemon, ...] = ()
    expose: tuple[Expose, ...] = ()
    environ: tuple[EnvVar, ...] = ()
    extra_path: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    init: tuple[InitCommands, ...] = ()


@dataclass(frozen=True)
class Include:
    """An `include()` of a git library: `ref` as pinned by the user (None = default branch), `commit` the
    commit actually evaluated."""

    url: str
    commit: str
    ref: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Graph:
    """Everything one evaluation of a build function asks for. The only thing later stages see."""

    project: Project
    syntax: str = "v1"
    base: Base = field(default_factory=Base)
    shell: str = DEFAULT_SHELL
    languages: tuple[Language, ...] = ()
    code_agents: tuple[CodeAgent, ...] = ()
    conda: Conda | None = None
    uv: UV | None = None
    pixi: Pixi | None = None
    cuda: Cuda | None = None
    packages: Packages = field(default_factory=Packages)
    config: Config = field(default_factory=Config)
    copies: tuple[Copy, ...] = ()
    downloads: tuple[HttpDownload, ...] = ()
    runs: tuple[Run, ...] = ()
    git_config: GitConfig | None = None
    runtime: Runtime = field(default_factory=Runtime)
    includes: tuple[Include, ...] = ()

    def language(self, name: str) -> Language | None:
        """The last `install.<name>` call for a language, as later calls win."""
        found = None
        for lang in self.languages:
            if lang.name == name:
                found = lang
        return found

    def to_json(self) -> str:
        from envbuild.graph.codec import graph_to_json

        return graph_to_json(self)

    @classmethod
    def from_json(cls, text: str) -> Graph:
        from envbuild.graph.codec import graph_from_json

        return graph_from_json(text)


def _unique(items) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)
