"""load() is relative to the loading file; --from picks file and function; config.envd runs first."""

from __future__ import annotations

import pytest

from envbuild.errors import EnvbuildError
from envbuild.lang import evaluate


def test_load_is_relative_to_the_loading_file(project, monkeypatch, tmp_path):
    project.write(
        "lib/python.envd",
        """
        load("common/apt.envd", "apt")

        def python_env():
            apt()
            install.python()
        """,
    )
    project.write("lib/common/apt.envd", 'def apt():\n    install.apt_packages(name=["git"])\n')
    project.write("build.envd", 'load("lib/python.envd", "python_env")\ndef build():\n    python_env()\n')
    monkeypatch.chdir(tmp_path)  # not the project: paths must not depend on the working directory
    graph = evaluate(project.root)
    assert graph.packages.apt[0].location.file == "lib/common/apt.envd"
    assert graph.packages.apt[0].location.line == 2
    assert graph.languages[0].location.file == "lib/python.envd"


def test_loaded_file_evaluated_once(project):
    project.write("a.envd", 'print("loaded a")\nX = 1\n')
    project.write("b.envd", 'load("a.envd", "X")\nY = X + 1\n')
    project.write(
        "build.envd",
        'load("a.envd", "X")\nload("b.envd", "Y")\ndef build():\n    run(commands=[str(X + Y)])\n',
    )
    assert evaluate(project.root).runs[0].commands == ("3",)


def test_load_cycle_is_an_error(project):
    project.write("a.envd", 'load("b.envd", "B")\nA = 1\n')
    project.write("b.envd", 'load("a.envd", "A")\nB = 1\n')
    err = project.error('load("a.envd", "A")\ndef build():\n    pass\n')
    assert "load() cycle" in err.message


def test_missing_load_points_at_the_load(project):
    err = project.error('load("nope.envd", "x")\ndef build():\n    pass\n')
    assert "not found" in err.message and err.location.line == 1 and err.location.column == 6


def test_private_names_cannot_be_loaded(project):
    project.write("a.envd", "_secret = 1\n")
    err = project.error('load("a.envd", "_secret")\ndef build():\n    pass\n')
    assert err.location is not None


def test_error_in_loaded_file_names_that_file(project):
    project.write("lib.envd", "def f():\n    install.python(version='2')\n")
    err = project.error('load("lib.envd", "f")\ndef build():\n    f()\n')
    assert err.location.file.endswith("lib.envd") and err.location.line == 2


def test_other_function_and_file(project):
    project.write("build.envd", 'def build():\n    base(image="a")\ndef prod():\n    base(image="b")\n')
    project.write("gpu.envd", 'def build():\n    install.cuda(version="12.2.0")\n')
    assert evaluate(project.root, "prod").base.image == "b"
    graph = evaluate(project.root / "gpu.envd")
    assert graph.cuda.version == "12.2.0" and graph.project.build_file == "gpu.envd"


def test_function_in_subdirectory_keeps_project_dir(project):
    project.write("envs/gpu.envd", 'def build():\n    io.copy(source="src", target="/x")\n')
    project.write("src/app.py", "")
    graph = evaluate(project.root / "envs/gpu.envd", project_dir=project.root)
    assert graph.project.dir == str(project.root) and graph.project.build_file == "envs/gpu.envd"
    assert str(graph.project.host_path("src")) == str(project.root / "src")


def test_user_config_is_evaluated_first(project, tmp_path, monkeypatch):
    config_dir = tmp_path / "cfg"
    config_dir.mkdir()
    monkeypatch.setenv("ENVBUILD_CONFIG_DIR", str(config_dir))
    (config_dir / "config.envd").write_text(
        'config.pip_index(url="https://mirror.example/simple")\nconfig.apt_source(source="deb mirror")\n'
    )
    graph = project.build('config.apt_source(source="deb mine")')
    assert graph.config.pip_index.url == "https://mirror.example/simple"
    assert graph.config.apt_source == "deb mine"


def test_explicit_config_file_and_its_errors(project, tmp_path):
    config = tmp_path / "my.envd"
    config.write_text("config.gpu(count='x')\n")
    project.write("build.envd", "def build():\n    pass\n")
    with pytest.raises(EnvbuildError) as info:
        evaluate(project.root, config_file=config)
    assert info.value.location.file.endswith("my.envd") and info.value.location.line == 1


def test_graph_locations_carry_their_source_line_for_later_stages(project):
    graph = project.build('install.cuda(version="12.1.1")')
    loc = graph.cuda.location
    assert (loc.file, loc.line, loc.column) == ("build.envd", 2, 5)
    assert loc.source_line == '    install.cuda(version="12.1.1")'
