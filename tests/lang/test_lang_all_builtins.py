"""One build file that calls every builtin evaluates, and the builtin table matches the issue's list."""

from __future__ import annotations

import re

from envbuild.lang.builtins import BUILTINS

EVERY_BUILTIN = f"""
# syntax=v1

def build():
    base(image="debian:bookworm", dev=False)  # config.entrypoint is refused on dev images, as in envd
    shell(name="zsh")
    run(commands=["true"], mount_host=False)
    git_config(name="n", email="e@example.com", editor="vim")
    install.python(version="3.11")
    install.conda(use_mamba=False)
    install.uv(python_version="3.12")
    install.pixi(use_pixi_mirror=False)
    install.r_lang()
    install.julia()
    install.rust(version="1.80.0")
    install.go(version="1.22.0")
    install.nodejs(version="20.0.0")
    install.codex()
    install.apt_packages(name=["git"])
    install.python_packages(name=[])
    install.conda_packages(name=["numpy"], channel=["conda-forge"])
    install.r_packages(name=["dplyr"])
    install.julia_packages(name=["Flux"])
    install.vscode_extensions(name=["ms-python.python"])
    install.cuda(version="12.1.1", cudnn="8")
    config.apt_source(source="deb http://mirror.test/debian bookworm main")
    config.pip_index(url="https://index.test/simple")
    config.conda_channel(channel="channels: [conda-forge]")
    config.jupyter(token="t", port=8888)
    config.rstudio_server()
    config.gpu(count=1)
    config.shm_size(size=512)
    config.cran_mirror(url="https://cran.rstudio.com")
    config.julia_pkg_server(url="https://pkg.julialang.org")
    config.entrypoint(args=["date"])
    config.repo(url="https://github.com/x/y", description="d")
    config.owner(uid=1000, gid=1000)
    io.copy(source="a", target="/b")
    io.http(url="https://example.com/f", checksum="sha256:{"0" * 64}")
    runtime.command(commands={{"a": "b"}})
    runtime.daemon(commands=[["sleep", "1"]])
    runtime.expose(envd_port=80)
    runtime.environ(env={{"A": "1"}}, extra_path=["/x"])
    runtime.mount(host_path=data.path.huggingface, envd_path="~/hf")
    runtime.mount(host_path=data.envd("d"), envd_path="/d")
    runtime.init(commands=["true"])
"""

ISSUE_LIST = [
    *("base", "shell", "run", "git_config", "include"),
    *(f"install.{n}" for n in ("python", "conda", "uv", "pixi", "r_lang", "julia", "rust", "go", "nodejs")),
    *(f"install.{n}_packages" for n in ("apt", "python", "conda", "r", "julia")),
    *("install.vscode_extensions", "install.cuda"),
    *(
        f"config.{n}"
        for n in ("apt_source", "pip_index", "conda_channel", "jupyter", "rstudio_server", "gpu")
    ),
    *(f"config.{n}" for n in ("shm_size", "cran_mirror", "julia_pkg_server", "entrypoint", "repo", "owner")),
    *("io.copy", "io.http", "data.envd"),
    *(f"runtime.{n}" for n in ("command", "daemon", "expose", "environ", "mount", "init")),
]


def test_builtin_table_covers_the_issue_list():
    assert set(ISSUE_LIST) <= set(BUILTINS)


def test_file_calling_every_builtin_evaluates(project):
    called = set(
        re.findall(r"\b((?:install|config|io|runtime|data)\.\w+|base|shell|run|git_config)\(", EVERY_BUILTIN)
    )
    assert called == set(BUILTINS) - {"include"}  # include() has its own tests (test_lang_include.py)
    project.write("a", "")
    graph = project.evaluate(EVERY_BUILTIN)
    assert graph.shell == "zsh" and graph.config.rstudio_server and len(graph.runtime.mounts) == 2
    assert [lang.name for lang in graph.languages] == ["python", "r", "julia", "rust", "go", "nodejs"]
