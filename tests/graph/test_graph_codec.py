"""The graph JSON is the contract with the compile stage: it must round-trip exactly and be byte-stable."""

from __future__ import annotations

import json

import pytest

from envbuild import graph as g


def _full_graph() -> g.Graph:
    loc = g.Location("build.envd", 3, 5)
    return g.Graph(
        project=g.Project(name="demo", dir="/tmp/demo"),
        base=g.Base(image="debian:bookworm", dev=True, location=loc),
        shell="zsh",
        languages=(g.Language("python", "3.11", loc), g.Language("rust")),
        code_agents=(g.CodeAgent("codex"),),
        conda=g.Conda(use_mamba=True, channel="channels: [x]"),
        uv=g.UV("3.12"),
        pixi=g.Pixi(True, "https://pypi.example/simple"),
        cuda=g.Cuda("12.2.0", "8"),
        packages=g.Packages(
            apt=(g.PackageInstall(("git", "curl"), loc), g.PackageInstall(("git", "vim"))),
            python=(g.PythonPackageInstall(("numpy",), "requirements.txt", ("a.whl",), loc),),
            conda=(g.CondaPackageInstall(("numpy",), ("conda-forge",), "env.yml"),),
            r=(g.PackageInstall(("dplyr",)),),
            julia=(g.PackageInstall(("Flux",)),),
            vscode=(g.VSCodeExtension("ms-python", "python", "2021.1.0"),),
        ),
        config=g.Config(
            apt_source="deb x",
            pip_index=g.PipIndex("https://i", "https://e", True),
            jupyter=g.Jupyter("", 8888),
            rstudio_server=True,
            gpu=2,
            shm_size=1024,
            cran_mirror="https://cran",
            julia_pkg_server="https://julia",
            entrypoint=("date", "-u"),
            repo=g.Repo("https://github.com/x/y", "d"),
            owner=g.Owner(1000, 1000),
        ),
        copies=(g.Copy("src", "/home/envd/src", None, loc),),
        downloads=(g.HttpDownload("https://x/y.tgz", "y.tgz", "sha256:" + "0" * 64, loc),),
        runs=(g.Run(("echo 1", "echo 2"), True, loc),),
        git_config=g.GitConfig("n", "e", "vim"),
        runtime=g.Runtime(
            commands=(g.RuntimeCommand("train", "python train.py"),),
            daemons=(g.Daemon(("python3", "-m", "http.server")),),
            expose=(g.Expose(8000, 0, "web", "0.0.0.0"),),
            environ=(g.EnvVar("A", "1"),),
            extra_path=("/opt/bin",),
            mounts=(g.Mount("/home/envd/data", host_path="~/data"), g.Mount("/d", data_source="mnist")),
            init=(g.InitCommands(("echo hi",)),),
        ),
        includes=(g.Include("https://example/lib.git", "a" * 40, "v1", loc),),
    )


def test_round_trip_is_exact():
    graph = _full_graph()
    text = graph.to_json()
    assert g.Graph.from_json(text) == graph
    assert g.Graph.from_json(text).to_json() == text


def test_json_is_sorted_and_indented():
    text = _full_graph().to_json()
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_defaults_round_trip():
    graph = g.Graph(project=g.Project(name="p", dir="/p"))
    assert g.Graph.from_json(graph.to_json()) == graph
    assert graph.base.image == "ubuntu:22.04" and graph.shell == "bash"


def test_graph_is_frozen():
    graph = g.Graph(project=g.Project(name="p", dir="/p"))
    with pytest.raises(AttributeError):
        graph.shell = "zsh"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(extra=1), "unknown field"),
        (lambda d: d["base"].update(dev="yes"), "graph.base.dev: expected a boolean"),
        (lambda d: d["config"].update(gpu=True), "graph.config.gpu: expected an integer"),
        (lambda d: d.update(runs={}), "graph.runs: expected a list"),
        (lambda d: d.pop("project"), "graph: "),
    ],
)
def test_bad_documents_are_graph_format_errors(mutate, message):
    data = json.loads(_full_graph().to_json())
    mutate(data)
    with pytest.raises(g.GraphFormatError, match=message):
        g.Graph.from_json(json.dumps(data))


def test_not_json_is_a_graph_format_error():
    with pytest.raises(g.GraphFormatError):
        g.Graph.from_json("{")


def test_helpers():
    graph = _full_graph()
    assert graph.packages.apt_names() == ("git", "curl", "vim")
    assert graph.language("python").version == "3.11"
    assert graph.language("go") is None
    assert str(graph.project.host_path("requirements.txt")) == "/tmp/demo/requirements.txt"
