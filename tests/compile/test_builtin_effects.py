"""Every builtin has an effect: a build file with the call compiles to something different from the same file
without it, and the difference is the specific thing envd's builtin does (packages, files, env, services,
ports, labels, or what `envbuild up` applies from the graph).

`test_every_builtin_has_an_effect_test` walks the builtin table, so a new builtin without an entry here, or
a builtin that stops doing anything, fails. Downloads are checked as envd would make them (URL, checksum,
place in the image); `test_builtin_downloads_real.py` serves them from 127.0.0.1 and builds for real.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from envbuild.builder.options import BuildOptions
from envbuild.builder.orchestrator import owner_for
from envbuild.compile import BuildTarget, compile_graph
from envbuild.compile.dump import dump_definition
from envbuild.compile.horust import HorustSource
from envbuild.graph import Graph
from envbuild.lang import evaluate
from envbuild.lang.builtins import BUILTINS
from envbuild.runtime import spec
from tests.lang.conftest import make_repo

NON_DEV = 'base(image="debian:bookworm", dev=False)'
DEV = 'base(image="debian:bookworm", dev=True)'
UID = 1000


@dataclass
class Compiled:
    graph: Graph
    ops: list[dict[str, Any]]
    image: dict[str, Any]
    project: Path

    @property
    def config(self) -> dict[str, Any]:
        return self.image["config"]

    @property
    def env(self) -> dict[str, str]:
        return dict(e.split("=", 1) for e in self.config.get("Env", []))

    @property
    def labels(self) -> dict[str, str]:
        return self.config.get("Labels", {})

    def scripts(self) -> list[str]:
        return [" ".join(op["exec"]["meta"]["args"]) for op in self.ops if op["kind"] == "exec"]

    def script(self, needle: str) -> str:
        found = [s for s in self.scripts() if needle in s]
        assert found, f"no build step runs {needle!r}"
        return found[0]

    def step(self, needle: str) -> dict[str, Any]:
        found = [
            op for op in self.ops if op["kind"] == "exec" and needle in " ".join(op["exec"]["meta"]["args"])
        ]
        assert found, f"no build step runs {needle!r}"
        return found[0]

    def actions(self, kind: str) -> list[dict[str, Any]]:
        return [
            a[kind] for op in self.ops if op["kind"] == "file" for a in op["file"]["actions"] if kind in a
        ]

    def file(self, path: str) -> dict[str, Any]:
        found = [a for a in self.actions("mkfile") if a["path"] == path]
        assert found, f"no file {path} is written"
        return found[-1]

    def text(self, path: str) -> str:
        import base64

        return base64.b64decode(self.file(path).get("data", "")).decode()

    def copy_to(self, dest: str) -> dict[str, Any]:
        found = [a for a in self.actions("copy") if a["dest"] == dest]
        assert found, f"nothing is copied to {dest}"
        return found[-1]

    def sources(self) -> list[str]:
        return [op["source"]["identifier"] for op in self.ops if op["kind"] == "source"]

    def source(self, prefix: str) -> dict[str, Any]:
        found = [
            op["source"]
            for op in self.ops
            if op["kind"] == "source" and op["source"]["identifier"].startswith(prefix)
        ]
        assert found, f"no source {prefix}…"
        return found[0]

    def run_spec(self) -> spec.RunSpec:
        key = self.project / "key.pub"
        key.write_text("ssh-ed25519 AAAA test\n")
        options = spec.RunOptions(name="effects", image="effects:dev", project_dir=self.project)
        return spec.plan(options, self.graph, public_key=key)

    def graph_label(self) -> dict[str, Any]:
        return json.loads(self.labels["ai.envbuild.graph"])


def compile_text(project: Path, body: str, files: dict[str, str]) -> Compiled:
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    lines = textwrap.dedent(body).strip("\n").splitlines()
    head = [line for line in lines if line.startswith("lib = ")]
    inner = [line for line in lines if not line.startswith("lib = ")]
    (project / "build.envd").write_text(
        "\n".join(head) + "\ndef build():\n" + textwrap.indent("\n".join(inner), "    ") + "\n"
    )
    graph = evaluate(project / "build.envd", project_dir=project)
    uid, gid = owner_for(graph, BuildOptions(owner=None if graph.config.owner else (UID, UID)))
    target = BuildTarget(
        platform="linux/amd64",
        merge_diff=True,
        ca_bundle=True,
        uid=uid,
        gid=gid,
        horust=HorustSource(kind="image", ref="envbuild-test-horust-standin:latest", path="/sbin/horust"),
    )
    compiled = compile_graph(graph, target=target)
    return Compiled(graph, dump_definition(compiled.definition), compiled.image_config, project)


@dataclass(frozen=True)
class Effect:
    """`call` added to `base` (both inside `def build():`); `check(with_call, without_call)` asserts what
    the call did."""

    call: str
    check: Callable[[Compiled, Compiled], None]
    base: str = NON_DEV
    files: dict[str, str] = field(default_factory=dict)


# --- checks, one per builtin ---------------------------------------------------------------------


def _base(c: Compiled, without: Compiled) -> None:
    assert without.sources()[0] == "docker-image://docker.io/library/ubuntu:22.04"  # envd's default
    assert c.sources()[0] == "docker-image://docker.io/library/debian:trixie"
    assert c.config["User"] == "envd" and c.config["Entrypoint"][0].endswith("horust")
    assert "useradd" in c.script("useradd") and "2222/tcp" in c.config["ExposedPorts"]


def _shell(c: Compiled, without: Compiled) -> None:
    assert " zsh" in c.script("openssh-server") and " zsh" not in without.script("openssh-server")
    assert c.env["SHELL"] == "/usr/bin/zsh" and without.env["SHELL"] == "/bin/bash"
    assert "/home/envd/.zshrc" in c.script("envbuild prompt")


def _run(c: Compiled, without: Compiled) -> None:
    step = c.step("echo ran > /tmp/ran")
    assert step["exec"]["meta"]["cwd"] == f"/home/envd/{c.project.name}"


def _git_config(c: Compiled, without: Compiled) -> None:
    text = c.text("/home/envd/.gitconfig")
    assert "[user]\n\temail = ada@example.com\n\tname = Ada Lovelace\n[core]\n\teditor = vim\n" in text
    assert c.file("/home/envd/.gitconfig")["owner"]["user"]["byID"] == UID


def _include(c: Compiled, without: Compiled) -> None:
    assert "htop" in c.script("apt-get") and not [s for s in without.scripts() if "htop" in s]
    assert c.graph.includes and c.graph.includes[0].url.startswith("file://")


def _python(c: Compiled, without: Compiled) -> None:
    assert any("--no-install-recommends python3; }" in s for s in c.scripts())  # no python3-venv
    assert "uv venv --quiet --python /usr/bin/python3 /opt/conda/envs/envd" in c.script("uv venv")
    assert (
        "/opt/conda/envs/envd/bin" in c.env["PATH"] and "/opt/conda/envs/envd/bin" not in without.env["PATH"]
    )


def _conda(c: Compiled, without: Compiled) -> None:
    http = c.source("https://repo.anaconda.com/miniconda/")
    assert http["attrs"]["http.checksum"].startswith("sha256:238abad2")
    script = c.script("miniconda.sh")
    assert "conda-forge" in script and "/opt/conda/.condarc" in script
    assert f"chown -R {UID}:{UID} /opt/conda" in script  # dev image: the dev user's, as in envd


def _uv(c: Compiled, without: Compiled) -> None:
    assert c.source("https://github.com/astral-sh/uv/releases/download/")
    assert "uv python install 3.12" in c.script("uv python install")
    assert c.env["UV_PYTHON_INSTALL_DIR"] == "/opt/uv/python"


def _pixi(c: Compiled, without: Compiled) -> None:
    assert c.source(
        "https://github.com/prefix-dev/pixi/releases/download/v0.62.2/pixi-x86_64-unknown-linux-musl"
    )
    assert c.copy_to("/usr/bin/pixi")["src"] == "/pixi"
    config = c.text("/etc/pixi/config.toml")
    assert '"https://conda.anaconda.org" = ["https://prefix.dev/"]' in config
    assert '[pypi-config]\nindex-url = "https://pypi.example/simple"' in config


def _r_lang(c: Compiled, without: Compiled) -> None:
    assert "r-base" in c.script("apt-get")


def _julia(c: Compiled, without: Compiled) -> None:
    assert c.source("https://julialang-s3.julialang.org/bin/linux/x64/")
    assert "/opt/julia/bin" in c.env["PATH"]


def _rust(c: Compiled, without: Compiled) -> None:
    assert c.source("https://sh.rustup.rs")
    assert "--default-toolchain 1.80.0" in c.script("rustup-init")
    assert c.env["CARGO_HOME"] == "/opt/rust"


def _go(c: Compiled, without: Compiled) -> None:
    assert c.source("https://go.dev/dl/go1.22.0.linux-amd64.tar.gz")
    assert "/usr/local/go/bin" in c.env["PATH"]


def _nodejs(c: Compiled, without: Compiled) -> None:
    assert c.source("https://nodejs.org/download/release/v20.0.0/node-v20.0.0-linux-x64.tar.xz")
    assert "/opt/nodejs/bin" in c.env["PATH"]


def _codex(c: Compiled, without: Compiled) -> None:
    assert c.source("https://github.com/openai/codex/releases/download/rust-v0.98.0/codex-x86_64")
    assert c.copy_to("/usr/bin/codex")["src"] == "/codex-x86_64-unknown-linux-musl"


def _apt_packages(c: Compiled, without: Compiled) -> None:
    assert "install -y -qq --no-install-recommends htop" in c.script("apt-get")
    assert json.loads(c.labels["ai.tensorchord.envd.apt.packages"]) == ["htop"]


def _python_packages(c: Compiled, without: Compiled) -> None:
    installs = c.script("uv pip install --python")
    assert "uv pip install --python /opt/conda/envs/envd/bin/python rich" in installs
    assert json.loads(c.labels["ai.tensorchord.envd.pypi.commands"]) == ["rich"]


def _conda_packages(c: Compiled, without: Compiled) -> None:
    assert "/opt/conda/bin/conda install -y -p /opt/conda/envs/envd numpy" in c.script("conda install")


def _r_packages(c: Compiled, without: Compiled) -> None:
    assert 'install.packages(c("dplyr")' in c.script("install.packages")
    assert json.loads(c.labels["ai.tensorchord.envd.r.packages"]) == [["dplyr"]]


def _julia_packages(c: Compiled, without: Compiled) -> None:
    step = c.step("Pkg.add")
    assert 'Pkg.add(["Example"])' in " ".join(step["exec"]["meta"]["args"])
    assert "JULIA_DEPOT_PATH=/opt/julia/user_packages" in step["exec"]["meta"]["env"]


def _vscode(c: Compiled, without: Compiled) -> None:
    script = c.script("open-vsx.org")
    assert "https://open-vsx.org/api/ms-python/python/2024.0.1?targetPlatform=linux-x64" in script
    assert "/home/envd/.vscode-server/extensions/ms-python.python-2024.0.1@linux-x64" in script
    assert f"chown -R {UID}:{UID} /home/envd/.vscode-server" in script


def _cuda(c: Compiled, without: Compiled) -> None:
    assert c.sources()[0] == "docker-image://docker.io/nvidia/cuda:12.2.2-cudnn8-runtime-ubuntu22.04"
    assert (
        c.labels["ai.tensorchord.envd.gpu"] == "true" and c.labels["ai.tensorchord.envd.gpu.cuda"] == "12.2.2"
    )
    assert c.run_spec().gpu is not None


def _apt_source(c: Compiled, without: Compiled) -> None:
    assert c.text("/etc/apt/sources.list") == "deb http://mirror.test/debian bookworm main\n"


def _pip_index(c: Compiled, without: Compiled) -> None:
    assert "index-url=https://pypi.example/simple" in c.text("/etc/pip.conf")
    install = c.step("uv pip install --python")
    assert "UV_INDEX_URL=https://pypi.example/simple" in install["exec"]["meta"]["env"]


def _conda_channel(c: Compiled, without: Compiled) -> None:
    assert c.text("/opt/conda/envs/envd/.condarc") == "channels: [conda-forge]"


def _jupyter(c: Compiled, without: Compiled) -> None:
    assert "jupyterlab" in c.script("uv pip install --python")
    assert "--ServerApp.port=8899" in c.text("/etc/envbuild/services/jupyter.sh")
    assert "8899/tcp" in c.config["ExposedPorts"]


def _rstudio(c: Compiled, without: Compiled) -> None:
    assert "rserver --server-daemonize=0" in c.text("/etc/envbuild/services/rstudio.sh")
    assert 'name = "rstudio"' in c.text("/etc/horust/services/rstudio.toml")
    assert "8787/tcp" in c.config["ExposedPorts"]
    assert {"name": "rstudio-server", "port": 8787} in json.loads(c.labels["ai.tensorchord.envd.ports"])
    assert c.run_spec().port("rstudio-server").container_port == 8787


def _gpu(c: Compiled, without: Compiled) -> None:
    assert c.run_spec().gpu == spec.GpuRequest(count=2) and without.run_spec().gpu is None


def _shm_size(c: Compiled, without: Compiled) -> None:
    assert c.run_spec().shm_size_mb == 512 and without.run_spec().shm_size_mb == 2048


def _cran_mirror(c: Compiled, without: Compiled) -> None:
    assert 'options(repos = "https://cran.example.org")' in c.script("install.packages")


def _julia_pkg_server(c: Compiled, without: Compiled) -> None:
    assert c.env["JULIA_PKG_SERVER"] == "https://pkg.example.org"
    assert "JULIA_PKG_SERVER=https://pkg.example.org" in c.step("Pkg.add")["exec"]["meta"]["env"]


def _entrypoint(c: Compiled, without: Compiled) -> None:
    assert c.config["Entrypoint"] == ["python3", "-m", "http.server"] and "Entrypoint" not in without.config


def _repo(c: Compiled, without: Compiled) -> None:
    assert json.loads(c.labels["ai.tensorchord.envd.repo"]) == {
        "url": "https://github.com/x/y",
        "description": "d",
    }
    assert without.labels["ai.tensorchord.envd.repo"] == "{}"


def _owner(c: Compiled, without: Compiled) -> None:
    assert "useradd -u 2345 " in c.script("useradd") and "groupadd -g 2346 " in c.script("useradd")


def _copy(c: Compiled, without: Compiled) -> None:
    copy = c.copy_to("/srv")
    assert copy["src"] == "/data" and not copy.get("dirCopyContents")  # envd nests into an existing dir
    assert c.source("local://context")


def _http(c: Compiled, without: Compiled) -> None:
    http = c.source("https://example.com/model.bin")
    assert http["attrs"]["http.checksum"] == "sha256:" + "0" * 64
    assert c.copy_to("/home/envd/extra_source/model.bin")


def _data_envd(c: Compiled, without: Compiled) -> None:
    assert [a for a in c.actions("mkdir") if a["path"] == "/data"]
    mount = next(m for m in c.run_spec().mounts if m.target == "/data")
    assert mount.source.endswith("/data/mnist") and mount.create


def _command(c: Compiled, without: Compiled) -> None:
    assert c.graph_label()["runtime"]["commands"] == [{"name": "serve", "command": "python3 -m http.server"}]
    assert c.run_spec().commands == {"serve": "python3 -m http.server"}


def _daemon(c: Compiled, without: Compiled) -> None:
    assert "exec sleep infinity" in c.text("/etc/envbuild/services/daemon_0.sh")


def _expose(c: Compiled, without: Compiled) -> None:
    assert "8080/tcp" in c.config["ExposedPorts"]
    assert {"name": "web", "port": 8080} in json.loads(c.labels["ai.tensorchord.envd.ports"])
    assert c.run_spec().port("web").container_port == 8080


def _environ(c: Compiled, without: Compiled) -> None:
    assert c.env["MODEL"] == "tiny" and c.env["PATH"].split(":")[6] == "/opt/tools/bin"
    assert "MODEL=tiny" in c.step("echo ran")["exec"]["meta"]["env"]


def _mount(c: Compiled, without: Compiled) -> None:
    assert [a for a in c.actions("mkdir") if a["path"] == "/home/envd/cache"]
    assert any(m.target == "/home/envd/cache" for m in c.run_spec().mounts)


def _init(c: Compiled, without: Compiled) -> None:
    assert "echo ready > /tmp/ready" in c.text("/etc/envbuild/services/init_0.sh")


PY = "install.python()"
EFFECTS: dict[str, Effect] = {
    "base": Effect('base(image="debian:trixie", dev=True)', _base, base=""),
    "shell": Effect('shell(name="zsh")', _shell, base=DEV),
    "run": Effect('run(commands=["echo ran > /tmp/ran"])', _run),
    "git_config": Effect(
        'git_config(name="Ada Lovelace", email="ada@example.com", editor="vim")', _git_config, base=DEV
    ),
    "include": Effect('lib = include("{lib}")\nlib.tools()', _include),
    "install.python": Effect(PY, _python),
    "install.conda": Effect("install.conda()", _conda, base=DEV),
    "install.uv": Effect('install.uv(python_version="3.12")', _uv),
    "install.pixi": Effect(
        'install.pixi(use_pixi_mirror=True, pypi_index="https://pypi.example/simple")', _pixi
    ),
    "install.r_lang": Effect("install.r_lang()", _r_lang),
    "install.julia": Effect("install.julia()", _julia),
    "install.rust": Effect('install.rust(version="1.80.0")', _rust),
    "install.go": Effect('install.go(version="1.22.0")', _go),
    "install.nodejs": Effect('install.nodejs(version="20.0.0")', _nodejs),
    "install.codex": Effect("install.codex()", _codex),
    "install.apt_packages": Effect('install.apt_packages(name=["htop"])', _apt_packages),
    "install.python_packages": Effect(
        'install.python_packages(name=["rich"])', _python_packages, base=f"{NON_DEV}\n{PY}"
    ),
    "install.conda_packages": Effect(
        'install.conda_packages(name=["numpy"])', _conda_packages, base=f"{NON_DEV}\ninstall.conda()"
    ),
    "install.r_packages": Effect(
        'install.r_packages(name=["dplyr"])', _r_packages, base=f"{NON_DEV}\ninstall.r_lang()"
    ),
    "install.julia_packages": Effect(
        'install.julia_packages(name=["Example"])', _julia_packages, base=f"{NON_DEV}\ninstall.julia()"
    ),
    "install.vscode_extensions": Effect(
        'install.vscode_extensions(name=["ms-python.python-2024.0.1"])', _vscode, base=DEV
    ),
    "install.cuda": Effect(
        'install.cuda(version="12.2.2", cudnn="8")', _cuda, base='base(image="ubuntu:22.04", dev=False)'
    ),
    "config.apt_source": Effect(
        'config.apt_source(source="deb http://mirror.test/debian bookworm main")', _apt_source
    ),
    "config.pip_index": Effect(
        'config.pip_index(url="https://pypi.example/simple")',
        _pip_index,
        base=f'{NON_DEV}\n{PY}\ninstall.python_packages(name=["rich"])',
    ),
    "config.conda_channel": Effect(
        'config.conda_channel(channel="channels: [conda-forge]")',
        _conda_channel,
        base=f"{NON_DEV}\ninstall.conda()",
    ),
    "config.jupyter": Effect("config.jupyter(port=8899)", _jupyter, base=f"{DEV}\n{PY}"),
    "config.rstudio_server": Effect("config.rstudio_server()", _rstudio, base=f"{DEV}\ninstall.r_lang()"),
    "config.gpu": Effect("config.gpu(count=2)", _gpu),
    "config.shm_size": Effect("config.shm_size(size=512)", _shm_size),
    "config.cran_mirror": Effect(
        'config.cran_mirror(url="https://cran.example.org")',
        _cran_mirror,
        base=f'{NON_DEV}\ninstall.r_lang()\ninstall.r_packages(name=["dplyr"])',
    ),
    "config.julia_pkg_server": Effect(
        'config.julia_pkg_server(url="https://pkg.example.org")',
        _julia_pkg_server,
        base=f'{NON_DEV}\ninstall.julia()\ninstall.julia_packages(name=["Example"])',
    ),
    "config.entrypoint": Effect('config.entrypoint(args=["python3", "-m", "http.server"])', _entrypoint),
    "config.repo": Effect('config.repo(url="https://github.com/x/y", description="d")', _repo),
    "config.owner": Effect("config.owner(uid=2345, gid=2346)", _owner, base=DEV),
    "io.copy": Effect('io.copy(source="data", target="/srv")', _copy, files={"data/a.txt": "a\n"}),
    "io.http": Effect(f'io.http(url="https://example.com/model.bin", checksum="sha256:{"0" * 64}")', _http),
    "data.envd": Effect('runtime.mount(host_path=data.envd("mnist"), envd_path="/data")', _data_envd),
    "runtime.command": Effect('runtime.command(commands={"serve": "python3 -m http.server"})', _command),
    "runtime.daemon": Effect('runtime.daemon(commands=[["sleep", "infinity"]])', _daemon, base=DEV),
    "runtime.expose": Effect('runtime.expose(envd_port=8080, service="web")', _expose),
    "runtime.environ": Effect(
        'runtime.environ(env={"MODEL": "tiny"}, extra_path=["/opt/tools/bin"])',
        _environ,
        base=f'{NON_DEV}\nrun(commands=["echo ran"])',
    ),
    "runtime.mount": Effect(
        'runtime.mount(host_path="cache", envd_path="~/cache")', _mount, files={"cache/.keep": ""}
    ),
    "runtime.init": Effect('runtime.init(commands=["echo ready > /tmp/ready"])', _init, base=DEV),
}


def test_every_builtin_has_an_effect_test():
    assert sorted(set(BUILTINS) - set(EFFECTS)) == [], "builtins without an effect test"
    assert sorted(set(EFFECTS) - set(BUILTINS)) == [], "effect tests for builtins that do not exist"


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("envdlib")
    make_repo(root, {"tools.envd": 'def tools():\n    install.apt_packages(name=["htop"])\n'})
    return f"file://{root}"


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_builtin_has_its_effect(name, tmp_path, library):
    effect = EFFECTS[name]
    call = effect.call.replace("{lib}", library)
    without_call = "\n".join(line for line in call.splitlines() if line.startswith("lib = "))
    project = tmp_path / "proj"
    project.mkdir()
    without = compile_text(project, f"{effect.base}\n{without_call}\npass", effect.files)
    with_call = compile_text(project, f"{effect.base}\n{call}", effect.files)
    assert (with_call.ops, with_call.image) != (without.ops, without.image), f"{name} changes nothing"
    effect.check(with_call, without)
