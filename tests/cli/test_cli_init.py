"""`envbuild init` writes a build file from what the project declares, and never waits for input."""

from __future__ import annotations

import os
import subprocess
import sys


def envbuild(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_init_from_requirements_and_pyproject(tmp_path):
    (tmp_path / "requirements.txt").write_text("numpy\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nrequires-python = ">=3.10"\n'
        'dependencies = ["rich>=13", \'pkg[extra]; python_version>"3"\']\n'
    )
    out = envbuild("init", cwd=tmp_path)  # stdin is not a terminal: no question asked, defaults taken
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "build.envd").read_text()
    assert text.startswith("# syntax=v1\n")
    assert 'install.python(version="3.10")' in text
    assert 'install.python_packages(requirements="requirements.txt")' in text
    assert 'install.python_packages(name=["rich>=13", "pkg[extra]; python_version>\\"3\\""])' in text
    assert "config.jupyter()" in text and "base(" in text and "dev=True" in text
    from envbuild.lang import evaluate

    graph = evaluate(tmp_path / "build.envd")
    assert graph.base.dev and graph.config.jupyter is not None
    assert graph.language("python").version == "3.10"
    python = graph.packages.python
    assert any(p.requirements for p in python) and any("rich>=13" in p.names for p in python)

    again = envbuild("init", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr and "--force" in again.stderr


def test_init_from_conda_env_file(tmp_path):
    (tmp_path / "environment.yml").write_text("dependencies:\n  - numpy\n")
    out = envbuild("init", "--path", str(tmp_path), "--python", "3.12", "--no-jupyter")
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "build.envd").read_text()
    assert "install.conda()" in text and 'install.conda_packages(env_file="environment.yml")' in text
    assert 'version="3.12"' in text and "jupyter" not in text
    from envbuild.lang import evaluate

    graph = evaluate(tmp_path / "build.envd")
    assert graph.packages.conda and graph.packages.conda[0].env_file == "environment.yml"


def test_init_bad_values(tmp_path):
    bad = envbuild("init", "--path", str(tmp_path), "--python", "three")
    assert bad.returncode == 2 and "--python 'three'" in bad.stderr
    missing = envbuild("init", "--path", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "--path" in missing.stderr
