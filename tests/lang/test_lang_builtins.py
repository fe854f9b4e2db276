"""Every v1 builtin records what envd records, with envd's defaults; every validation rule has a case."""

from __future__ import annotations

import pytest

from envbuild import graph as g


def test_defaults_without_any_call(project):
    graph = project.build("pass")
    assert graph.base == g.Base("ubuntu:22.04", False, None)
    assert graph.shell == "bash"
    assert graph.syntax == "v1"
    assert graph.project.name == "proj" and graph.project.function == "build"
    assert graph.project.build_file == "build.envd"


def test_universe(project):
    graph = project.build(
        """
        base(image="debian:bookworm", dev=True)
        shell("ZSH")
        run(commands=["echo 1", "echo 2"])
        run(["echo 3"], mount_host=True)
        git_config(name="n", email="e@x", editor="vim")
        """
    )
    assert graph.base.image == "debian:bookworm" and graph.base.dev is True
    base_line = '    base(image="debian:bookworm", dev=True)'
    assert graph.base.location == g.Location("build.envd", 2, 5, base_line)
    assert graph.shell == "zsh"
    assert [r.commands for r in graph.runs] == [("echo 1", "echo 2"), ("echo 3",)]
    assert [r.mount_host for r in graph.runs] == [False, True]
    assert graph.runs[1].location.line == 5
    assert graph.git_config.name == "n" and graph.git_config.editor == "vim"


def test_base_empty_image_keeps_default(project):
    assert project.build('base(image="")').base.image == "ubuntu:22.04"


def test_positional_arguments_follow_envd_order(project):
    graph = project.build('base("debian:bookworm", True)\ninstall.cuda("12.2.0", "9")')
    assert graph.base.dev and graph.cuda.cudnn == "9"


def test_install_languages(project):
    graph = project.build(
        """
        install.python()
        install.r_lang()
        install.julia()
        install.rust(version="1.72.0")
        install.go()
        install.nodejs(version="20.0.0")
        install.codex()
        """
    )
    assert [(lang.name, lang.version) for lang in graph.languages] == [
        ("python", "3.11"),
        ("r", None),
        ("julia", None),
        ("rust", "1.72.0"),
        ("go", None),
        ("nodejs", "20.0.0"),
    ]
    assert graph.code_agents[0].name == "codex" and graph.code_agents[0].version is None


def test_install_conda_uv_pixi_cuda(project):
    project.write("env.yml", "name: x\n")
    graph = project.build(
        """
        install.conda(use_mamba=True)
        config.conda_channel(channel="channels:\\n  - defaults\\n")
        install.conda_packages(name=["numpy"], channel=["conda-forge"])
        install.conda_packages(env_file="env.yml")
        install.cuda(version="11.8.0")
        """
    )
    assert graph.conda.use_mamba and graph.conda.channel.startswith("channels:")
    assert graph.packages.conda[0] == g.CondaPackageInstall(
        ("numpy",), ("conda-forge",), None, graph.packages.conda[0].location
    )
    assert graph.packages.conda[1].env_file == "env.yml"
    assert graph.cuda.version == "11.8.0" and graph.cuda.cudnn == "8"
    assert project.build("install.uv()").uv.python_version == "3.11"
    pixi = project.build('install.pixi(use_pixi_mirror=True, pypi_index="https://x/simple")').pixi
    assert pixi.use_pixi_mirror and pixi.pypi_index == "https://x/simple"
    assert project.build("install.pixi()").pixi.pypi_index is None
    assert project.build('install.cuda("12.2", cudnn=None)').cuda.cudnn is None
    assert project.build('install.cuda("12.2", cudnn="")').cuda.cudnn == "8"


def test_install_packages(project):
    project.write("requirements.txt", "rich\n")
    project.write("w/a.whl", "")
    graph = project.build(
        """
        install.apt_packages(name=["git", "curl"])
        install.apt_packages(name=["git"])
        install.apt_packages()
        install.python_packages(name=["numpy", "rich==13.0"])
        install.python_packages(requirements="requirements.txt", local_wheels=["w/a.whl"])
        install.r_packages(name=["dplyr"])
        install.julia_packages(name=["Flux"])
        install.vscode_extensions(name=["ms-python.python", "eamodio.gitlens-11.7.0"])
        """
    )
    assert graph.packages.apt_names() == ("git", "curl")
    assert graph.packages.python[0].names == ("numpy", "rich==13.0")
    assert graph.packages.python[1].requirements == "requirements.txt"
    assert graph.packages.python[1].local_wheels == ("w/a.whl",)
    assert graph.packages.r[0].names == ("dplyr",)
    assert graph.packages.julia[0].names == ("Flux",)
    assert [(v.publisher, v.extension, v.version) for v in graph.packages.vscode] == [
        ("ms-python", "python", None),
        ("eamodio", "gitlens", "11.7.0"),
    ]


def test_config(project):
    graph = project.build(
        """
        config.apt_source(source="deb http://mirror.test/debian bookworm main")
        config.pip_index(url="https://pypi.example/simple", extra_url="https://extra/simple", trust=True)
        config.jupyter(token="", port=8888)
        config.rstudio_server()
        config.gpu(count=2)
        config.shm_size(size=1024)
        config.cran_mirror(url="https://cran.example")
        config.julia_pkg_server(url="https://julia.example")
        config.entrypoint(["date"])
        config.entrypoint(args=["-u"])
        config.repo(url="https://github.com/x/y", description="demo")
        config.owner(uid=1000, gid=1001)
        """
    )
    c = graph.config
    assert c.apt_source.startswith("deb ")
    assert (c.pip_index.url, c.pip_index.extra_url, c.pip_index.trust) == (
        "https://pypi.example/simple",
        "https://extra/simple",
        True,
    )
    assert (c.jupyter.token, c.jupyter.port) == ("", 8888)
    assert c.rstudio_server and c.gpu == 2 and c.shm_size == 1024
    assert c.cran_mirror == "https://cran.example" and c.julia_pkg_server == "https://julia.example"
    assert c.entrypoint == ("date", "-u")
    assert c.repo == g.Repo("https://github.com/x/y", "demo")
    assert c.owner == g.Owner(1000, 1001)


def test_jupyter_defaults(project):
    jupyter = project.build("config.jupyter()").config.jupyter
    assert jupyter.token is None and jupyter.port == 0


def test_io(project):
    project.write("src/main.py", "")
    graph = project.build(
        f"""
        io.copy(source="src", target="/home/envd/src")
        io.copy(source="/bin/micromamba", target="/usr/local/bin/micromamba", image="mamba:1")
        io.http(url="https://example.com/files/data.tar.gz", checksum="sha256:{"a" * 64}")
        io.http(url="https://example.com/x", filename="renamed.bin")
        """
    )
    assert graph.copies[0] == g.Copy("src", "/home/envd/src", None, graph.copies[0].location)
    assert graph.copies[1].image == "mamba:1"
    assert graph.downloads[0].filename == "data.tar.gz"
    assert graph.downloads[0].checksum == "sha256:" + "a" * 64
    assert graph.downloads[1].filename == "renamed.bin" and graph.downloads[1].checksum is None


def test_runtime(project):
    graph = project.build(
        """
        runtime.command(commands={"train": "python train.py", "serve": "python serve.py"})
        runtime.command(commands={"train": "python train.py --fast"})
        runtime.daemon(commands=[["python3", "-m", "http.server"], ["sleep", "inf"]])
        runtime.expose(envd_port=8000, host_port=8001, service="web")
        runtime.expose(envd_port=9000, listen_addr="0.0.0.0")
        runtime.environ(env={"A": "1"}, extra_path=["/opt/bin"])
        runtime.environ(env={"A": "2", "B": "3"})
        runtime.mount(host_path="~/data", envd_path="~/data")
        runtime.mount(host_path=data.envd("mnist"), envd_path="/data/mnist")
        runtime.init(commands=["echo a", "echo b"])
        """
    )
    rt = graph.runtime
    assert [(c.name, c.command) for c in rt.commands] == [
        ("train", "python train.py --fast"),
        ("serve", "python serve.py"),
    ]
    assert [d.args for d in rt.daemons] == [("python3", "-m", "http.server"), ("sleep", "inf")]
    assert (rt.expose[0].envd_port, rt.expose[0].host_port, rt.expose[0].service) == (8000, 8001, "web")
    assert rt.expose[0].listen_addr == "127.0.0.1" and rt.expose[1].listen_addr == "0.0.0.0"
    assert [(e.name, e.value) for e in rt.environ] == [("A", "2"), ("B", "3")]
    assert rt.extra_path == ("/opt/bin",)
    assert rt.mounts[0] == g.Mount("/home/envd/data", host_path="~/data", location=rt.mounts[0].location)
    assert rt.mounts[1].data_source == "mnist" and rt.mounts[1].host_path is None
    assert rt.init[0].commands == ("echo a", "echo b")


def test_data_paths(project):
    graph = project.build(
        """
        runtime.mount(host_path=data.path.huggingface, envd_path="/hf")
        runtime.mount(host_path=data.path.dgl, envd_path="/dgl")
        """
    )
    assert [m.host_path for m in graph.runtime.mounts] == ["~/.cache/huggingface", "~/.dgl"]


def test_later_calls_win_for_single_valued_settings(project):
    graph = project.build('base(image="a")\nbase(image="b", dev=True)\nshell("fish")\nshell("bash")')
    assert graph.base.image == "b" and graph.shell == "bash"


def test_run_keeps_call_order_across_helpers(project):
    graph = project.evaluate(
        """
        def _step(n):
            run(commands=["echo %d" % n])

        def build():
            _step(1)
            run(commands=["echo 2"])
            _step(3)
        """
    )
    assert [r.commands[0] for r in graph.runs] == ["echo 1", "echo 2", "echo 3"]
    assert [r.location.line for r in graph.runs] == [2, 6, 2]


VALIDATION = [
    # (call, message fragment) — one per rule envd has, plus the checks envd leaves to later failures
    ('install.python(version="2.7")', "Python 2.7 is not supported"),
    ('install.python(version="")', "`version` must not be empty"),
    ("install.python(version=3)", "`version` must be a string, got int"),
    ("install.r_packages(name=[])", "at least one r package"),
    ("install.julia_packages(name=[])", "at least one julia package"),
    ("install.r_packages()", "Missing parameter `name`"),
    ('install.apt_packages(name="git")', "got a single string"),
    ("install.apt_packages(name=[1])", "`name[0]` must be a string, got int"),
    ('install.vscode_extensions(name=["nodot"])', "invalid extension 'nodot'"),
    ('install.conda_packages(name=["x"])', "call install.conda() before"),
    ('install.conda()\ninstall.conda_packages(name=["x"], env_file="e.yml")', "mutually exclusive"),
    ('config.conda_channel(channel="x")', "call install.conda() before config.conda_channel()"),
    ('install.cuda(version="twelve")', "`version` must look like"),
    ("install.cuda()", "Missing parameter `version`"),
    ("install.conda(use_mamba=1)", "`use_mamba` must be a bool"),
    ('config.apt_source(source="")', "`source` must not be empty"),
    ("config.apt_source()", "`source` must not be empty"),
    ('config.pip_index(url="")', "`url` must not be empty"),
    ('config.pip_index(url="ftp://x")', "must be an http(s) URL"),
    ('config.jupyter(port="8888")', "`port` must be an int, got string"),
    ("config.jupyter(port=70000)", "`port` must be between 0 and 65535"),
    ("config.gpu(count=-2)", "`count` must be at least -1"),
    ("config.shm_size(size=-1)", "`size` must be at least 0"),
    ('config.shm_size(size="1g")', "`size` must be an int"),
    ('config.cran_mirror(url="")', "`url` must not be empty"),
    ('config.julia_pkg_server(url="nope")', "must be an http(s) URL"),
    ('config.entrypoint(args="date")', "got a single string"),
    ("config.owner(uid=-1, gid=0)", "`uid` must be between 0 and 65535"),
    ("config.owner(uid=0, gid=70000)", "`gid` must be between 0 and 65535"),
    ('config.repo(url="")', "`url` must not be empty"),
    ('io.copy(source="", target="/x")', "`source` must not be empty"),
    ('io.copy(source="a")', "Missing parameter `target`"),
    ('io.http(url="https://x/y", checksum="md5:abc")', "algorithm 'md5' is not supported"),
    ('io.http(url="https://x/y", checksum="sha256:abc")', "64 lowercase hex digits"),
    ('io.http(url="https://x/y", checksum="deadbeef")', "must be a digest"),
    ('io.http(url="x/y")', "must be an http(s) URL"),
    ('io.http(url="https://x/y", filename="a/b")', "plain file name"),
    ('runtime.command(commands=["x"])', "`commands` must be a dict"),
    ('runtime.command(commands={"a": 1})', "`commands['a']` must be a string"),
    ('runtime.daemon(commands=["python3"])', "`commands[0]` must be a list of strings"),
    ("runtime.daemon(commands=[[]])", "`commands[0]` must not be empty"),
    ("runtime.expose(envd_port=0)", "`envd_port` must be between 1 and 65535"),
    ("runtime.expose(envd_port=65536)", "`envd_port` must be between 1 and 65535"),
    ("runtime.expose(envd_port=80, host_port=-1)", "`host_port` must be between 0 and 65535"),
    ('runtime.expose(envd_port=80, listen_addr="localhost")', "`listen_addr` must be an IP address"),
    ('runtime.environ(env={"A": 1})', "`env['A']` must be a string"),
    ('runtime.environ(extra_path="/x")', "got a single string"),
    ('runtime.mount(host_path=1, envd_path="/x")', "`host_path` must be a string or data.envd"),
    ('runtime.mount(host_path="/x", envd_path="")', "`envd_path` must not be empty"),
    ('runtime.init(commands="echo")', "got a single string"),
    ('data.envd(name="a b")', "may hold only letters"),
    ('data.envd(name="")', "`name` must not be empty"),
    ('shell("tcsh")', "unknown shell 'tcsh'"),
    ('base(dev="yes")', "`dev` must be a bool"),
    ("base(image=None)", "`image` must be a string, got None"),
    ('run(commands="echo")', "got a single string"),
    ("run()", "Missing parameter `commands`"),
    ('run(["x"], mount_host="yes")', "`mount_host` must be a bool"),
    ("git_config(name=1)", "`name` must be a string"),
    ('include("https://x")', "must be assigned to a global name"),
    ('install.uv()\ninstall.python_packages(name=["x"])', "cannot be used together with install.uv()"),
    ('install.python_packages(name=["x"])\ninstall.pixi()', "cannot be used together with install.pixi()"),
    ("install.python(vers='3')", "extra named parameter(s) for call to install.python()"),
    ('install.python_packages(requirements="nope.txt")', "requirements file 'nope.txt' does not exist"),
    ('install.python_packages(local_wheels=["../x.whl"])', "wheel '../x.whl' is outside the project"),
    (
        'install.conda()\ninstall.conda_packages(env_file="/etc/hostname")',
        "env_file '/etc/hostname' is outside",
    ),
    ('io.copy(source="missing", target="/x")', "source 'missing' does not exist"),
]


@pytest.mark.parametrize(("call", "fragment"), VALIDATION, ids=[c for c, _ in VALIDATION])
def test_validation(project, call, fragment):
    err = project.build_error(call)
    assert fragment in err.message
    assert err.location is not None and err.location.file.endswith("proj/build.envd")
    assert err.location.line >= 2
