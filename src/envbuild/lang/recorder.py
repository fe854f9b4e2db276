"""The mutable side of one evaluation: builtins record into a `Recorder`, which then yields the frozen graph.

One Recorder per `evaluate()` call, so two evaluations never share state (envd keeps a process-global graph).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from envbuild import graph as g
from envbuild.errors import EnvbuildError


@dataclass
class Recorder:
    base: g.Base = field(default_factory=g.Base)
    shell: str = g.DEFAULT_SHELL
    languages: list[g.Language] = field(default_factory=list)
    code_agents: list[g.CodeAgent] = field(default_factory=list)
    conda: g.Conda | None = None
    uv: g.UV | None = None
    pixi: g.Pixi | None = None
    cuda: g.Cuda | None = None
    apt: list[g.PackageInstall] = field(default_factory=list)
    python: list[g.PythonPackageInstall] = field(default_factory=list)
    conda_packages: list[g.CondaPackageInstall] = field(default_factory=list)
    r: list[g.PackageInstall] = field(default_factory=list)
    julia: list[g.PackageInstall] = field(default_factory=list)
    vscode: list[g.VSCodeExtension] = field(default_factory=list)
    config: g.Config = field(default_factory=g.Config)
    copies: list[g.Copy] = field(default_factory=list)
    downloads: list[g.HttpDownload] = field(default_factory=list)
    runs: list[g.Run] = field(default_factory=list)
    git_config: g.GitConfig | None = None
    commands: dict[str, str] = field(default_factory=dict)
    daemons: list[g.Daemon] = field(default_factory=list)
    expose: list[g.Expose] = field(default_factory=list)
    environ: dict[str, str] = field(default_factory=dict)
    extra_path: list[str] = field(default_factory=list)
    mounts: list[g.Mount] = field(default_factory=list)
    init: list[g.InitCommands] = field(default_factory=list)
    includes: list[g.Include] = field(default_factory=list)
    entrypoint_location: g.Location | None = None  # the first config.entrypoint call, for the dev-image check

    def _check_host_paths(self, project_dir: Path, error_location) -> None:
        """Files the build reads from the host must exist inside the project: only the project directory is
        sent to BuildKit, so anything else would fail later, far from the line that named it."""
        uses: list[tuple[str, str, g.Location | None]] = []
        pip = "install.python_packages():"
        for call in self.python:
            if call.requirements:
                uses.append((f"{pip} requirements file", call.requirements, call.location))
            uses += [(f"{pip} wheel", wheel, call.location) for wheel in call.local_wheels]
        for conda_call in self.conda_packages:
            if conda_call.env_file:
                uses.append(("install.conda_packages(): env_file", conda_call.env_file, conda_call.location))
        for copy in self.copies:
            if copy.image is None:
                uses.append(("io.copy(): source", copy.source, copy.location))
        root = project_dir.resolve()
        for what, path, location in uses:
            target = (project_dir / path).resolve()
            if target != root and root not in target.parents:
                raise EnvbuildError(
                    f"{what} {path!r} is outside the project directory {project_dir}",
                    hint="only the project directory is sent to the builder; move the file into it",
                    location=error_location(location),
                )
            if not target.exists():
                raise EnvbuildError(
                    f"{what} {path!r} does not exist in the project directory {project_dir}",
                    location=error_location(location),
                )

    def set_config(self, **changes) -> None:
        self.config = replace(self.config, **changes)

    def finish(self, project: g.Project, error_location) -> g.Graph:
        """The frozen graph; checks that need the whole build (not one call) happen here.

        `error_location(graph_location)` turns a recorded step location into an error location.
        """
        if self.uv is not None or self.pixi is not None:
            manager = "install.uv" if self.uv is not None else "install.pixi"
            for call in self.python:
                if call.names or call.local_wheels or call.requirements:
                    raise EnvbuildError(
                        f"install.python_packages cannot be used together with {manager}()",
                        hint="with uv or pixi the project's own lock file manages Python packages "
                        "(run `uv sync` / `pixi install` in the environment)",
                        location=error_location(call.location),
                    )
        if self.base.dev and self.config.entrypoint:
            # envd refuses it too: the dev image's entrypoint is the supervisor that runs sshd and services
            raise EnvbuildError(
                "config.entrypoint() is only for images without base(dev=True): a dev image's entrypoint "
                "is the supervisor that starts sshd and the services",
                hint="to run something when the environment starts use runtime.init(commands=[...]) "
                "(once) or runtime.daemon(commands=[[...]]) (kept running)",
                location=error_location(self.entrypoint_location),
            )
        self._check_host_paths(Path(project.dir), error_location)
        return g.Graph(
            project=project,
            base=self.base,
            shell=self.shell,
            languages=tuple(self.languages),
            code_agents=tuple(self.code_agents),
            conda=self.conda,
            uv=self.uv,
            pixi=self.pixi,
            cuda=self.cuda,
            packages=g.Packages(
                apt=tuple(self.apt),
                python=tuple(self.python),
                conda=tuple(self.conda_packages),
                r=tuple(self.r),
                julia=tuple(self.julia),
                vscode=tuple(self.vscode),
            ),
            config=self.config,
            copies=tuple(self.copies),
            downloads=tuple(self.downloads),
            runs=tuple(self.runs),
            git_config=self.git_config,
            runtime=g.Runtime(
                commands=tuple(g.RuntimeCommand(k, v) for k, v in self.commands.items()),
                daemons=tuple(self.daemons),
                expose=tuple(self.expose),
                environ=tuple(g.EnvVar(k, v) for k, v in self.environ.items()),
                extra_path=tuple(self.extra_path),
                mounts=tuple(self.mounts),
                init=tuple(self.init),
            ),
            includes=tuple(self.includes),
        )
